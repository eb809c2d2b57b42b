"""The hurdle Poisson against oracles that are not mlefit.

Oracles:

* scipy's ``poisson`` (the hurdle mass written out) and mpmath (50 digits) for the
  zero-truncated log mass as ``mu -> 0``, where ``1 - exp(-mu)`` cancels;
* central differences (``_count_oracles``) for the derivatives; the information identity
  (``score_moments`` over scipy's mass) for the expected information;
* the separated likelihood on pscl's bioChemists (``art ~ . | .``): statsmodels ``Logit``
  of ``art > 0`` for the ``hurdle`` block and ``TruncatedLFPoisson`` on the positive rows
  for ``mu`` (estimates 1e-6, log-likelihoods 1e-10; SEs 1e-5 against the Logit's
  analytic Hessian and a Richardson-extrapolated numerical Hessian of the truncated
  model's log-likelihood). statsmodels' ``HurdleCountModel`` is not an oracle: it models
  the zeros with a censored count model, not a logit;
* pscl's published ``summary(hurdle(art ~ ., data = bioChemists))`` (5 decimals; pscl's
  BFGS stops short of the maximum by ~1e-5);
* simulation.
"""

import mpmath
import numpy as np
import pandas as pd
import pytest
from _count_oracles import (
    BIOCHEMISTS_FORMULA,
    BIOCHEMISTS_TERMS,
    check_mass_cdf_moments,
    check_zero_modified_derivatives,
    hurdle_oracle,
    richardson_hessian,
    score_moments,
    within_se,
)
from scipy import special, stats
from statsmodels.discrete.truncated_model import TruncatedLFPoisson

import mlefit
from mlefit.errors import ComparisonError
from mlefit_families._counts import zero_truncated_logpmf
from mlefit_families.hurdle_poisson import HurdlePoisson

FAMILY = HurdlePoisson()


def hurdle_pmf(y, mu, h):
    return np.where(y == 0, 1 - h, h * stats.poisson.pmf(y, mu) / -np.expm1(-mu))


@pytest.fixture(scope="module")
def bio():
    return mlefit.datasets.load_biochemists()


@pytest.fixture(scope="module")
def fits(bio):
    logit, model, trunc = hurdle_oracle(bio, lambda y, X: TruncatedLFPoisson(y, X, truncation=0))
    res = mlefit.fit(BIOCHEMISTS_FORMULA, bio, family=FAMILY, hurdle=BIOCHEMISTS_TERMS)
    return res, logit, model, trunc


# the distribution ------------------------------------------------------------------------
@pytest.mark.parametrize("mu, h", [(0.05, 0.3), (2.0, 0.6), (30.0, 0.9)])
def test_mass_cdf_moments_match_scipy(mu, h):
    check_mass_cdf_moments(FAMILY, {"mu": mu, "hurdle": h}, hurdle_pmf(np.arange(200.0), mu, h))


@pytest.mark.parametrize("mu", [1e-300, 1e-12, 1e-5, 0.3, 0.7, 40.0, 800.0])
def test_zero_truncated_log_mass_is_accurate_as_mu_goes_to_zero(mu):
    """``log(mu^y e^-mu / y! / (1 - e^-mu))`` to 50 digits; the naive ``log(1 - e^-mu)``
    is -inf below 1e-16 and loses every digit near it. The result is a difference of
    terms of size ``|y log mu| + log y!``, so its rounding is a few eps of that size in
    absolute terms (at ``y = 1`` the value itself is ``-mu/2``, far below those terms)."""
    y = np.array([1.0, 2.0, 5.0])
    got = zero_truncated_logpmf(-mu + y * np.log(mu) - special.gammaln(y + 1), mu)
    mpmath.mp.dps = 50
    m = mpmath.mpf(mu)
    want = [float(k * mpmath.log(m) - m - mpmath.loggamma(k + 1) - mpmath.log(-mpmath.expm1(-m)))
            for k in (1, 2, 5)]
    size = y * abs(np.log(mu)) + special.gammaln(y + 1) + mu
    assert np.all(np.abs(got - np.array(want)) <= 4 * np.finfo(float).eps * size), (got, want)


def test_derivatives_match_central_differences():
    check_zero_modified_derivatives(FAMILY, {"mu": (0.05, 15.0), "hurdle": (0.05, 0.95)},
                                    seed=2)


@pytest.mark.parametrize("mu, h", [(0.4, 0.2), (3.0, 0.5), (12.0, 0.85)])
def test_expected_information_is_variance_of_score(mu, h):
    def logpmf(y, mu, h):
        return np.log(hurdle_pmf(y, mu, h))

    moments = score_moments(logpmf, {"mu": mu, "h": h}, upper=120,
                            steps={"mu": 1e-4 * mu, "h": 1e-4 * h})
    info = FAMILY.expected_information(np.ones(1), mu * np.ones(1), h * np.ones(1))
    assert info[("mu", "mu")][0] == pytest.approx(moments[("mu", "mu")], rel=1e-8)
    assert info[("hurdle", "hurdle")][0] == pytest.approx(moments[("h", "h")], rel=1e-8)
    assert abs(moments[("mu", "h")]) < 1e-9 * np.sqrt(moments[("mu", "mu")] * moments[("h", "h")])


def test_sample_frequencies():
    rng = np.random.default_rng(6)
    n = 200_000
    mu, h = 0.8, 0.4
    draws = FAMILY.sample(rng, n, np.full(n, mu), np.full(n, h))
    for k in range(4):
        p = hurdle_pmf(np.array(float(k)), mu, h)
        assert abs(np.mean(draws == k) - p) < 5 * np.sqrt(p * (1 - p) / n)


# against statsmodels (the separated likelihood) and pscl --------------------------------------
def test_biochemists_is_a_logit_plus_a_truncated_poisson(fits):
    res, logit, model, trunc = fits
    np.testing.assert_allclose(res.params["hurdle"], logit.params, rtol=1e-6)
    np.testing.assert_allclose(res.params["mu"], trunc.params, rtol=1e-6)
    assert res.llf == pytest.approx(logit.llf + trunc.llf, rel=1e-10)
    np.testing.assert_allclose(res.bse["hurdle"], logit.bse, rtol=1e-5)
    hess = richardson_hessian(model.loglike, np.asarray(trunc.params))
    np.testing.assert_allclose(res.bse["mu"], np.sqrt(np.diag(np.linalg.inv(-hess))), rtol=1e-5)
    assert res.k == 12 and res.aic == pytest.approx(-2 * res.llf + 24, rel=1e-15)


def test_biochemists_reproduces_pscl(fits):
    """pscl's printed values (5 significant decimals): estimates within 2e-5, SEs within
    1e-4 relative (its BFGS stops ~1e-5 short and its Hessian is optim's numerical one)."""
    res = fits[0]
    count = [0.67114, -0.22858, 0.09649, -0.14219, -0.01273, 0.01875]
    count_se = [0.12246, 0.06522, 0.07283, 0.04845, 0.03130, 0.00228]
    zero = [0.23680, -0.25115, 0.32623, -0.28525, 0.02222, 0.08012]
    zero_se = [0.29552, 0.15911, 0.18082, 0.11113, 0.07956, 0.01302]
    np.testing.assert_allclose(res.params["mu"], count, atol=2e-5, rtol=0)
    np.testing.assert_allclose(res.bse["mu"], count_se, rtol=3e-3)
    np.testing.assert_allclose(res.params["hurdle"], zero, atol=2e-5, rtol=0)
    np.testing.assert_allclose(res.bse["hurdle"], zero_se, rtol=3e-3)


def test_expected_and_sandwich_covariances(bio, fits):
    """The Logit block's expected information is its observed one (canonical link); the
    truncated-Poisson block's expected one differs by O(n^-1/2). HC0 with the score of
    the separated likelihood: statsmodels' ``cov_type="HC0"`` Logit for the hurdle block."""
    res, logit = fits[0], fits[1]
    expected = mlefit.fit(BIOCHEMISTS_FORMULA, bio, family=FAMILY, hurdle=BIOCHEMISTS_TERMS,
                          cov_type="expected")
    np.testing.assert_allclose(expected.bse["hurdle"], logit.bse, rtol=1e-9)
    np.testing.assert_allclose(expected.bse["mu"], res.bse["mu"], rtol=0.1)
    robust = mlefit.fit(BIOCHEMISTS_FORMULA, bio, family=FAMILY, hurdle=BIOCHEMISTS_TERMS,
                        cov_type="HC0")
    logit_hc0 = logit.model.fit(disp=False, tol=1e-12, cov_type="HC0")
    np.testing.assert_allclose(robust.bse["hurdle"], logit_hc0.bse, rtol=1e-6)


# predictions (pscl's type =) ------------------------------------------------------------------
def test_predict_components(fits):
    res = fits[0]
    mu, h = res.predict(which="mu").to_numpy(), res.predict(which="hurdle").to_numpy()
    ratio = h / -np.expm1(-mu)
    np.testing.assert_allclose(res.predict(which="zero"), ratio, rtol=1e-14)
    np.testing.assert_allclose(res.predict(which="count"), mu, rtol=0)
    np.testing.assert_allclose(res.predict(), ratio * mu, rtol=1e-14)
    prob = res.predict(which="prob", k=range(6))
    expected = hurdle_pmf(np.arange(6.0)[None, :], mu[:, None], h[:, None])
    np.testing.assert_allclose(prob.to_numpy(), expected, rtol=1e-12)


def test_predict_prob_without_the_data_needs_k(fits, bio):
    small = fits[0].remove_data()
    np.testing.assert_array_equal(small.predict(bio.iloc[:3], which="prob", k=[0, 2]),
                                  fits[0].predict(bio.iloc[:3], which="prob", k=[0, 2]))
    with pytest.raises(mlefit.DataError, match=r"Fix: pass the counts, e.g. k=range\(10\)"):
        small.predict(bio.iloc[:3], which="prob")


# nesting ---------------------------------------------------------------------------------------
def test_hurdle_poisson_and_the_zip_are_not_nested():
    """Same number of coefficients, and neither family reduces to the other: refused."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(500)
    data = pd.DataFrame({"x": x, "y": FAMILY.sample(rng, 500, np.exp(1 + 0.3 * x),
                                                    np.full(500, 0.6))})
    hp = mlefit.fit("y ~ x", data, family=FAMILY)
    zip_ = mlefit.fit("y ~ x", data, family="zero_inflated_poisson")
    with pytest.raises(ComparisonError, match="not nested"):
        mlefit.lrtest(hp, zip_)
    with pytest.raises(ComparisonError, match="declares no reduction"):
        mlefit.lrtest(mlefit.fit("y ~ 1", data, family=FAMILY), zip_)


# simulation ------------------------------------------------------------------------------------
def test_simulate_recover_and_quantile_residuals():
    rng = np.random.default_rng(12)
    n = 5000
    x, z = rng.standard_normal(n), rng.standard_normal(n)
    mu, h = np.exp(0.5 + 0.4 * x), special.expit(0.3 + 0.8 * z)
    data = pd.DataFrame({"y": FAMILY.sample(rng, n, mu, h), "x": x, "z": z})
    res = mlefit.fit("y ~ x", data, family=FAMILY, hurdle="~ z")
    within_se(res, {("mu", "Intercept"): 0.5, ("mu", "x"): 0.4,
                    ("hurdle", "Intercept"): 0.3, ("hurdle", "z"): 0.8})
    sims = res.simulate(nsim=10, seed=1)
    assert sims.shape == (n, 10) and np.all(sims >= 0)
    zero = 1 - res.predict(which="hurdle").to_numpy()
    assert abs(np.mean(sims == 0) - zero.mean()) < 5 * np.sqrt(0.25 / (10 * n))
    q = res.resid(kind="quantile", seed=3).to_numpy()
    assert stats.kstest(q, "norm").pvalue > 1e-3
