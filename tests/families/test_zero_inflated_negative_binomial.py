"""The zero-inflated negative binomial against oracles that are not mlefit.

Oracles:

* scipy's ``nbinom`` (and the mixture written out) for the mass, cdf and moments;
* central differences (``_count_oracles``) for the analytic derivatives;
* statsmodels ``ZeroInflatedNegativeBinomialP(p=2)`` on pscl's bioChemists data
  (``art ~ . | .``), fitted by BFGS (gtol 1e-10, maxiter 5000) and polished by Newton
  (tol 1e-14): its default stops after 35 iterations, and its Newton from its own start
  values fails on these data (NaN). Its estimates and log-likelihood are the oracle; the
  SE oracle is the inverse of a numerical Hessian of statsmodels' log-likelihood in
  mlefit's coordinates (``log theta = -log alpha``): ``approx_hess3`` at the absolute
  steps ``h = 2e-3`` and ``h/2``, Richardson-extrapolated (``_count_oracles``; error
  O(h^4) plus rounding ``eps |llf| / h^2 ~ 1e-7``). numdiff's default steps are not enough here: the
  inflation block's Hessian then carries a truncation error of 7e-5 relative in the SEs
  (the Richardson pair at 4e-3 .. 2e-4 agrees with mlefit's analytic SEs to 1e-7 .. 8e-6);
  the sandwich's meat is the numerical per-row gradient of its ``loglikeobs``;
* pscl's published ``summary(zeroinfl(art ~ ., data = bioChemists, dist = "negbin"))``
  (printed in the pscl 1.5 era: 7 digits for the count part, 5 for the zero part). Its
  optimiser (``optim`` BFGS, reltol 1e-8) stops short of the maximum: its estimates are
  within 1e-4 of the maximum, so the tolerance is 1e-4 absolute (2e-4 for the
  inflation intercept, the flattest direction; see the test);
* nesting: the negative binomial and the zero-inflated Poisson (boundary reductions), the
  chi-bar-squared mixture ``1/2 chi2(0) + 1/2 chi2(1)`` written out with scipy;
* simulation (4 standard errors).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from _count_oracles import (
    BIOCHEMISTS_FORMULA,
    BIOCHEMISTS_TERMS,
    assert_mixture_lrtest,
    biochemists_design,
    check_mass_cdf_moments,
    check_zero_modified_derivatives,
    richardson_hessian,
    within_se,
)
from scipy import special, stats
from statsmodels.discrete.count_model import ZeroInflatedNegativeBinomialP
from statsmodels.tools.numdiff import approx_fprime

import mlefit
from mlefit.errors import ComparisonError, DataError
from mlefit_families.negative_binomial import NegativeBinomial
from mlefit_families.zero_inflated_negative_binomial import ZeroInflatedNegativeBinomial

FAMILY = ZeroInflatedNegativeBinomial()
FORMULA, TERMS = BIOCHEMISTS_FORMULA, BIOCHEMISTS_TERMS


def nb_pmf(y, mu, theta):
    return stats.nbinom.pmf(y, theta, theta / (theta + mu))


def to_statsmodels(beta):
    """mlefit's (mu[6], log theta, pi[6]) -> statsmodels' (inflate[6], main[6], alpha)."""
    return np.r_[beta[7:13], beta[:6], np.exp(-beta[6])]


def from_statsmodels(p):
    return np.r_[p[6:12], -np.log(p[12]), p[:6]]


def numeric_hessian(model, beta):
    """Richardson-extrapolated central-difference Hessian of statsmodels' log-likelihood."""
    return richardson_hessian(lambda b: model.loglike(to_statsmodels(b)), beta)


@pytest.fixture(scope="module")
def bio():
    return mlefit.datasets.load_biochemists()


@pytest.fixture(scope="module")
def fits(bio):
    """mlefit's fit (observed and HC0), statsmodels' fit and model."""
    X = biochemists_design(bio)
    model = ZeroInflatedNegativeBinomialP(bio["art"].to_numpy(float), X, exog_infl=X, p=2)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")     # statsmodels' own warnings on its way there
        first = model.fit(method="bfgs", maxiter=5000, gtol=1e-10, disp=False)
        sm_res = model.fit(start_params=first.params, method="newton", maxiter=100,
                           tol=1e-14, disp=False)
    with pytest.warns(mlefit.ConvergenceWarning, match="pi: 29 fitted value"):
        res = mlefit.fit(FORMULA, bio, family=FAMILY, pi=TERMS)
    with pytest.warns(mlefit.ConvergenceWarning, match="pi: 29 fitted value"):
        robust = mlefit.fit(FORMULA, bio, family=FAMILY, pi=TERMS, cov_type="HC0")
    return res, robust, sm_res, model


# the distribution ------------------------------------------------------------------------
@pytest.mark.parametrize("mu, theta, pi", [(0.3, 0.5, 0.05), (2.0, 3.0, 0.3),
                                           (25.0, 40.0, 0.7), (4.0, 1e3, 0.2)])
def test_mass_cdf_moments_match_scipy(mu, theta, pi):
    y = np.arange(0.0, 400.0)
    pmf = (1 - pi) * nb_pmf(y, mu, theta) + np.where(y == 0, pi, 0.0)
    check_mass_cdf_moments(FAMILY, {"mu": mu, "theta": theta, "pi": pi}, pmf)


def test_pi_zero_is_the_negative_binomial_and_theta_inf_the_zip():
    y = np.arange(0.0, 30.0)
    mu, theta = np.full(y.shape, 3.0), np.full(y.shape, 2.5)
    np.testing.assert_allclose(FAMILY.logpdf(y, mu, theta, np.zeros(y.shape)),
                               NegativeBinomial().logpdf(y, mu, theta), rtol=1e-15)
    pois = (1 - 0.2) * stats.poisson.pmf(y, 3.0) + np.where(y == 0, 0.2, 0.0)
    np.testing.assert_allclose(np.exp(FAMILY.logpdf(y, mu, np.full(y.shape, np.inf),
                                                    np.full(y.shape, 0.2))), pois, rtol=1e-13)
    assert np.all(FAMILY.logpdf(np.array([-1.0, 0.5]), mu[:2], theta[:2], mu[:2] * 0.1)
                  == -np.inf)


def test_derivatives_match_central_differences():
    check_zero_modified_derivatives(FAMILY, {"mu": (0.1, 15.0), "theta": (0.3, 30.0),
                                             "pi": (0.02, 0.9)}, seed=3)


def test_sample_moments():
    rng = np.random.default_rng(6)
    n = 300_000
    mu, theta, pi = 2.5, 1.5, 0.3
    draws = FAMILY.sample(rng, n, np.full(n, mu), np.full(n, theta), np.full(n, pi))
    zero = pi + (1 - pi) * nb_pmf(0, mu, theta)
    assert abs(np.mean(draws == 0) - zero) < 5 * np.sqrt(zero * (1 - zero) / n)
    mean, var = FAMILY.mean(mu, theta, pi), FAMILY.variance(mu, theta, pi)
    assert abs(draws.mean() - mean) < 5 * np.sqrt(var / n)


# against statsmodels and pscl ------------------------------------------------------------
def test_biochemists_matches_statsmodels(fits):
    """Estimates 1e-6 relative (they agree to ~1e-8), log-likelihood 1e-10 relative, SEs
    1e-5 relative against the inverse numerical Hessian of statsmodels' log-likelihood."""
    res, _, sm_res, model = fits
    assert sm_res.mle_retvals["converged"]
    beta = res.params.to_numpy()
    np.testing.assert_allclose(beta, from_statsmodels(np.asarray(sm_res.params)), rtol=1e-6)
    assert res.llf == pytest.approx(sm_res.llf, rel=1e-10)
    hess = numeric_hessian(model, beta)
    np.testing.assert_allclose(res.bse, np.sqrt(np.diag(np.linalg.inv(-hess))), rtol=1e-5)
    assert res.aic == pytest.approx(sm_res.aic, rel=1e-10) and res.k == 13


def test_biochemists_sandwich_matches_statsmodels_loglikelihood(fits):
    """HC0: ``H^-1 (sum g g') H^-1`` with ``H`` (:func:`numeric_hessian`) and the per-row
    gradients ``g`` taken numerically from statsmodels' ``loglike`` / ``loglikeobs``
    (rtol 1e-5)."""
    res, robust, _, model = fits
    beta = res.params.to_numpy()
    hess = numeric_hessian(model, beta)
    scores = approx_fprime(beta, lambda b: model.loglikeobs(to_statsmodels(b)), centered=True)
    bread = np.linalg.inv(-hess)
    cov = bread @ (scores.T @ scores) @ bread
    np.testing.assert_allclose(robust.bse, np.sqrt(np.diag(cov)), rtol=1e-5)
    np.testing.assert_allclose(robust.params, res.params, rtol=1e-12)


def test_biochemists_reproduces_pscl(fits):
    """pscl's printed estimates and SEs. Its BFGS stops short (its inflation intercept is
    -0.19161 where the maximum is -0.19169, the flattest direction of the likelihood, SE
    1.32): estimates within 1e-4 (2e-4 for that intercept), SEs within 1e-3 relative
    (optim's finite-difference Hessian at a point 1e-4 away), log-likelihood -1550 printed
    to 4 digits on 13 df."""
    res = fits[0]
    count = [0.4167466, -0.1955076, 0.0975826, -0.1517321, -0.0006998, 0.0247862]
    count_se = [0.1435964, 0.0755926, 0.0844520, 0.0542061, 0.0362697, 0.0034927]
    zero = [-0.19161, 0.63587, -1.49944, 0.62841, -0.03773, -0.88227]
    zero_se = [1.32280, 0.84890, 0.93866, 0.44277, 0.30801, 0.31622]
    np.testing.assert_allclose(res.params["mu"], count, atol=1e-4, rtol=0)
    np.testing.assert_allclose(res.bse["mu"], count_se, rtol=1e-3)
    assert res.params[("theta", "Intercept")] == pytest.approx(0.9763577, abs=1e-4)
    assert np.exp(res.params[("theta", "Intercept")]) == pytest.approx(2.6548, abs=1e-3)
    assert res.bse[("theta", "Intercept")] == pytest.approx(0.1354696, rel=1e-3)
    np.testing.assert_allclose(res.params["pi"], zero, atol=2e-4, rtol=0)
    np.testing.assert_allclose(res.bse["pi"], zero_se, rtol=1e-3)
    assert round(res.llf) == -1550 and res.k == 13


# predictions (pscl's type =) ----------------------------------------------------------------
def test_predict_components(fits, bio):
    res = fits[0]
    mu = res.predict(which="mu").to_numpy()
    theta = res.predict(which="theta").to_numpy()
    pi = res.predict(which="pi").to_numpy()
    np.testing.assert_allclose(res.predict(which="zero"), pi, rtol=0)
    np.testing.assert_allclose(res.predict(which="count"), mu, rtol=0)
    np.testing.assert_allclose(res.predict(), (1 - pi) * mu, rtol=1e-15)
    prob = res.predict(which="prob")
    assert list(prob.columns) == list(range(20)) and prob.index.equals(bio.index)
    k = np.arange(20.0)
    expected = (1 - pi)[:, None] * nb_pmf(k[None, :], mu[:, None], theta[:, None])
    expected[:, 0] += pi
    np.testing.assert_allclose(prob.to_numpy(), expected, rtol=1e-11)
    some = res.predict(bio.iloc[:5], which="prob", k=[0, 3])
    np.testing.assert_allclose(some.to_numpy(), prob.iloc[:5, [0, 3]].to_numpy(), rtol=1e-14)


def test_expected_information_is_not_offered(bio):
    with pytest.raises(DataError, match="cov_type='expected' needs the family's expected_info"):
        mlefit.fit("art ~ kid5", bio, family=FAMILY, cov_type="expected")


def test_predict_components_refuse_bad_requests(fits):
    res = fits[0]
    with pytest.raises(DataError, match="point predictions only"):
        res.predict(which="zero", interval="confidence")
    with pytest.raises(DataError, match="k=-1 is not a non-negative integer"):
        res.predict(which="prob", k=-1)
    with pytest.raises(DataError, match="k= is for which='prob'"):
        res.predict(which="count", k=3)
    data = pd.DataFrame({"y": [1.0, 2.0, 0.5, 3.0], "x": [0.0, 1.0, 2.0, 3.0]})
    gauss = mlefit.fit("y ~ x", data, family="gaussian")
    with pytest.raises(DataError, match="family 'gaussian' has none"):
        gauss.predict(which="zero")
    with pytest.raises(DataError, match="for a count response"):
        gauss.predict(which="prob")


# nesting and likelihood-ratio tests --------------------------------------------------------
def _zinb_data(seed, pi, n=3000):
    rng = np.random.default_rng(seed)
    x, z = rng.standard_normal(n), rng.standard_normal(n)
    mu = np.exp(1.0 + 0.4 * x)
    y = FAMILY.sample(rng, n, mu, np.full(n, 2.0), np.broadcast_to(pi, n))
    return pd.DataFrame({"y": y, "x": x, "z": z})


def test_negative_binomial_in_zinb_with_intercept_only_pi_uses_the_mixture():
    data = _zinb_data(4, 0.03)
    nb = mlefit.fit("y ~ x", data, family="negative_binomial")
    zinb = mlefit.fit("y ~ x", data, family=FAMILY)
    assert_mixture_lrtest(nb, zinb)


def test_negative_binomial_in_zinb_with_inflation_covariates_is_refused():
    data = _zinb_data(5, 0.2)
    nb = mlefit.fit("y ~ x", data, family="negative_binomial")
    zinb = mlefit.fit("y ~ x", data, family=FAMILY, pi="~ z")
    with pytest.raises(ComparisonError, match=r"parametric bootstrap, lrtest\(m0, m1, "
                                              r"bootstrap=B\)"):
        mlefit.lrtest(nb, zinb)


def test_zip_in_zinb_on_the_theta_boundary():
    data = _zinb_data(6, 0.2)
    zip_ = mlefit.fit("y ~ x", data, family="zero_inflated_poisson")
    zinb = mlefit.fit("y ~ x", data, family=FAMILY)
    assert_mixture_lrtest(zip_, zinb, min_lr=10)
    table = mlefit.compare(zip_, zinb)
    assert sorted(table["AIC"]) == pytest.approx(sorted([zip_.aic, zinb.aic]), rel=1e-15)
    assert zinb.aic == pytest.approx(-2 * zinb.llf + 2 * 4, rel=1e-15)
    assert zinb.bic == pytest.approx(-2 * zinb.llf + np.log(len(data)) * 4, rel=1e-15)


# simulation ---------------------------------------------------------------------------------
def test_simulate_recover_and_quantile_residuals():
    rng = np.random.default_rng(12)
    n = 5000
    x, z = rng.standard_normal(n), rng.standard_normal(n)
    mu, pi = np.exp(1.0 + 0.4 * x), special.expit(-0.5 + 0.8 * z)
    data = pd.DataFrame({"y": FAMILY.sample(rng, n, mu, np.full(n, 1.5), pi), "x": x, "z": z})
    res = mlefit.fit("y ~ x", data, family=FAMILY, pi="~ z")
    within_se(res, {("mu", "Intercept"): 1.0, ("mu", "x"): 0.4,
                    ("theta", "Intercept"): np.log(1.5),
                    ("pi", "Intercept"): -0.5, ("pi", "z"): 0.8})
    sims = res.simulate(nsim=20, seed=1)
    assert sims.shape == (n, 20)
    fitted = res.predict().to_numpy()
    # the simulated mean per row has variance Var(y)/20 around E y: 5 SE of the average
    assert abs(np.mean(sims.mean(axis=1) - fitted)) < 5 * np.sqrt(
        np.mean(FAMILY.variance(*(res.predict(which=p).to_numpy()
                                  for p in ("mu", "theta", "pi")))) / (20 * n))
    q = res.resid(kind="quantile", seed=3).to_numpy()
    assert stats.kstest(q, "norm").pvalue > 1e-3
