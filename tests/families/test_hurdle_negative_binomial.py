"""The hurdle negative binomial against oracles that are not mlefit.

Oracles:

* scipy's ``nbinom`` (the hurdle mass written out) for the mass, cdf and moments;
* central differences (``_count_oracles``) for the derivatives;
* the separated likelihood on pscl's bioChemists (``art ~ . | .``): statsmodels ``Logit``
  of ``art > 0`` for the ``hurdle`` block and ``TruncatedLFNegativeBinomialP(p=2)`` on
  the positive rows for ``mu`` and ``theta`` (``log theta = -log alpha``): estimates 1e-6,
  log-likelihood 1e-10, SEs 1e-5 against the Logit's analytic Hessian and a
  Richardson-extrapolated numerical Hessian of the truncated model's log-likelihood. (The
  binary part is the same logit as the hurdle Poisson's, checked there against pscl's
  printed output.)
* the boundary nesting of ``hurdle_poisson`` at ``theta = inf`` (chi-bar-squared mixture
  written out with scipy);
* simulation.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from _count_oracles import (
    BIOCHEMISTS_FORMULA,
    BIOCHEMISTS_TERMS,
    assert_mixture_lrtest,
    check_mass_cdf_moments,
    check_zero_modified_derivatives,
    hurdle_oracle,
    richardson_hessian,
    within_se,
)
from scipy import special, stats
from statsmodels.discrete.truncated_model import TruncatedLFNegativeBinomialP

import mlefit
from mlefit.errors import ComparisonError
from mlefit_families.hurdle_negative_binomial import HurdleNegativeBinomial
from mlefit_families.hurdle_poisson import HurdlePoisson

FAMILY = HurdleNegativeBinomial()


def hurdle_pmf(y, mu, theta, h):
    nb = stats.nbinom(theta, theta / (theta + mu))
    return np.where(y == 0, 1 - h, h * nb.pmf(y) / nb.sf(0))


@pytest.fixture(scope="module")
def fits():
    bio = mlefit.datasets.load_biochemists()
    logit, model, trunc = hurdle_oracle(
        bio, lambda y, X: TruncatedLFNegativeBinomialP(y, X, p=2, truncation=0))
    res = mlefit.fit(BIOCHEMISTS_FORMULA, bio, family=FAMILY, hurdle=BIOCHEMISTS_TERMS)
    return res, logit, model, trunc


@pytest.mark.parametrize("mu, theta, h", [(0.05, 0.5, 0.3), (2.0, 3.0, 0.6),
                                          (30.0, 50.0, 0.9)])
def test_mass_cdf_moments_match_scipy(mu, theta, h):
    pmf = hurdle_pmf(np.arange(0.0, 600.0), mu, theta, h)
    check_mass_cdf_moments(FAMILY, {"mu": mu, "theta": theta, "hurdle": h}, pmf, rtol=1e-11)


def test_theta_inf_is_the_hurdle_poisson():
    y = np.arange(0.0, 40.0)
    mu, h = np.full(y.shape, 3.0), np.full(y.shape, 0.6)
    np.testing.assert_allclose(FAMILY.logpdf(y, mu, np.full(y.shape, np.inf), h),
                               HurdlePoisson().logpdf(y, mu, h), rtol=1e-15)


def test_derivatives_match_central_differences():
    check_zero_modified_derivatives(FAMILY, {"mu": (0.1, 15.0), "theta": (0.3, 30.0),
                                             "hurdle": (0.05, 0.95)}, seed=4)


def test_biochemists_is_a_logit_plus_a_truncated_negative_binomial(fits):
    res, logit, model, trunc = fits
    p = np.asarray(trunc.params)
    np.testing.assert_allclose(res.params["hurdle"], logit.params, rtol=1e-6)
    np.testing.assert_allclose(res.params["mu"], p[:6], rtol=1e-6)
    assert res.params[("theta", "Intercept")] == pytest.approx(-np.log(p[6]), rel=1e-6)
    assert res.llf == pytest.approx(logit.llf + trunc.llf, rel=1e-10)
    np.testing.assert_allclose(res.bse["hurdle"], logit.bse, rtol=1e-5)
    beta = np.r_[res.params["mu"], res.params["theta"]]
    hess = richardson_hessian(lambda b: model.loglike(np.r_[b[:6], np.exp(-b[6])]), beta)
    np.testing.assert_allclose(np.r_[res.bse["mu"], res.bse["theta"]],
                               np.sqrt(np.diag(np.linalg.inv(-hess))), rtol=1e-5)
    assert res.k == 13


def test_predict_components(fits):
    res = fits[0]
    mu, theta, h = (res.predict(which=p).to_numpy() for p in ("mu", "theta", "hurdle"))
    ratio = h / (1 - (1 + mu / theta) ** -theta)
    np.testing.assert_allclose(res.predict(which="zero"), ratio, rtol=1e-13)
    np.testing.assert_allclose(res.predict(which="count"), mu, rtol=0)
    np.testing.assert_allclose(res.predict(), ratio * mu, rtol=1e-13)
    prob = res.predict(which="prob")
    assert list(prob.columns) == list(range(20))
    expected = hurdle_pmf(np.arange(20.0)[None, :], mu[:, None], theta[:, None], h[:, None])
    np.testing.assert_allclose(prob.to_numpy(), expected, rtol=1e-11)


# nesting: hurdle_poisson at theta = inf ------------------------------------------------------
def _data(seed, theta, n=3000):
    rng = np.random.default_rng(seed)
    x, z = rng.standard_normal(n), rng.standard_normal(n)
    y = FAMILY.sample(rng, n, np.exp(1.0 + 0.3 * x), np.full(n, theta),
                      special.expit(0.2 + 0.5 * z))
    return pd.DataFrame({"y": y, "x": x, "z": z})


def test_hurdle_poisson_in_hurdle_negative_binomial_uses_the_mixture():
    data = _data(7, 8.0)
    hp = mlefit.fit("y ~ x", data, family="hurdle_poisson", hurdle="~ z")
    hnb = mlefit.fit("y ~ x", data, family=FAMILY, hurdle="~ z")
    assert_mixture_lrtest(hp, hnb, min_lr=1)


def test_hurdle_poisson_data_end_at_theta_inf_with_a_warning():
    """Equidispersed positive counts: the hurdle NB ends at theta = inf (its log link runs
    to +inf) with the reduction's warning, and its fit is the hurdle Poisson's."""
    rng = np.random.default_rng(8)
    n = 2000
    x = rng.standard_normal(n)
    y = HurdlePoisson().sample(rng, n, np.exp(1.0 + 0.3 * x), np.full(n, 0.6))
    data = pd.DataFrame({"y": y, "x": x})
    hp = mlefit.fit("y ~ x", data, family="hurdle_poisson")
    with pytest.warns(mlefit.ConvergenceWarning, match="hurdle_poisson"):
        hnb = mlefit.fit("y ~ x", data, family=FAMILY)
    assert hnb.llf == pytest.approx(hp.llf, rel=1e-10)
    np.testing.assert_allclose(hnb.params["mu"], hp.params["mu"], rtol=1e-5)


def test_theta_with_covariates_refuses_the_chi_square():
    data = _data(9, 3.0)
    hp = mlefit.fit("y ~ x", data, family="hurdle_poisson")
    hnb = mlefit.fit("y ~ x", data, family=FAMILY, theta="~ z")
    with pytest.raises(ComparisonError, match="parametric bootstrap"):
        mlefit.lrtest(hp, hnb)


def test_simulate_and_recover():
    data = _data(10, 2.0, n=5000)
    res = mlefit.fit("y ~ x", data, family=FAMILY, hurdle="~ z")
    within_se(res, {("mu", "Intercept"): 1.0, ("mu", "x"): 0.3,
                    ("theta", "Intercept"): np.log(2.0),
                    ("hurdle", "Intercept"): 0.2, ("hurdle", "z"): 0.5})
    sims = res.simulate(nsim=5, seed=2)
    assert sims.shape == (5000, 5) and np.all(sims >= 0) and np.all(sims == np.floor(sims))
    q = res.resid(kind="quantile", seed=3).to_numpy()
    assert stats.kstest(q, "norm").pvalue > 1e-3


@pytest.mark.slow      # ~10 s: Dask's scheduler start-up and six partitioned fits
def test_a_dask_frame_gives_the_in_memory_fit():
    """The partitioned path (Sums added over partitions) on shuffled bioChemists: the same
    estimates and SEs as in memory, for the hurdle and the zero-inflated NB (whose
    ``pi ~ ment`` puts 8 fitted values below the logit's saturation, -30: the warning is
    expected). On the file's own order, sorted by ``art``, the first partition, whose
    in-memory fit gives the Dask path its start values, has only zeros and ones: its
    truncated NB runs to theta = inf, where the full-data Newton cannot leave the Poisson
    boundary. ``from_pandas`` sorts by the index, hence the fresh one."""
    dd = pytest.importorskip("dask.dataframe")
    bio = mlefit.datasets.load_biochemists().sample(frac=1, random_state=1).reset_index()
    lazy_bio = dd.from_pandas(bio, npartitions=3)
    for family, kw in (("hurdle_negative_binomial", {"hurdle": "~ ment"}),
                       ("zero_inflated_negative_binomial", {"pi": "~ ment"})):
        fits = []
        for data in (bio, lazy_bio):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fits.append(mlefit.fit("art ~ fem + kid5 + ment", data, family=family, **kw))
            assert [str(w.message)[:20] for w in caught] == \
                (["pi: 8 fitted value(s"] if "pi" in kw else [])
        res, lazy = fits
        np.testing.assert_allclose(lazy.params, res.params, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(lazy.bse, res.bse, rtol=1e-9)
        assert lazy.llf == pytest.approx(res.llf, rel=1e-12)
