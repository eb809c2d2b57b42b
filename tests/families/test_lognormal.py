"""The lognormal family against oracles that are not mlefit.

Oracles: scipy.stats.lognorm (logpdf, cdf, moments, the closed-form fit with floc=0),
statsmodels OLS on log(y) (a lognormal fit is a Gaussian fit of log y: the same
coefficients, sigma^2 = RSS/n, and logLik = OLS logLik - sum(log y), the Jacobian),
quadrature of the score's variance, central differences and simulation.
"""

import numpy as np
import pytest
import statsmodels.formula.api as smf
from _continuous_oracles import (
    assert_derivatives_at_typical_draws,
    assert_expected_information,
    assert_matches_scipy,
    assert_recovered,
    regression_data,
)
from scipy import stats

import mlefit
from mlefit.errors import DataError
from mlefit.testing import parametrize_with_checks
from mlefit_families.lognormal import LogNormal

FAMILY = LogNormal()
FORMULA = "chol ~ age + sex"


@parametrize_with_checks([FAMILY])
def test_conformance(family, check):
    check(family)


def test_declaration():
    assert isinstance(mlefit.get_family("lognormal")[0], LogNormal)   # the entry point
    assert FAMILY.parameter_names == ("mu", "sigma")
    assert [p.default_link for p in FAMILY.parameters] == ["identity", "log"]
    assert str(FAMILY.support) == "Positive"


@pytest.mark.parametrize(("mu", "sigma"), [(-1.0, 0.2), (0.0, 1.0), (2.5, 0.7), (5.0, 2.0)])
def test_logpdf_cdf_moments_match_scipy(mu, sigma):
    # scipy.stats.lognorm(s=sigma, scale=exp(mu)); measured <= 1.3e-15 relative; the
    # variance exp(2 mu + s2) expm1(s2) against scipy's form: 1e-13
    assert_matches_scipy(FAMILY, stats.lognorm(sigma, scale=np.exp(mu)),
                         {"mu": mu, "sigma": sigma}, moments_rtol=1e-13)


def test_outside_the_support():
    y = np.array([-1.0, 0.0])
    assert np.all(FAMILY.logpdf(y, mu=np.zeros(2), sigma=np.ones(2)) == -np.inf)
    data = {"y": [1.0, 2.0, 0.0, 3.0], "x": [0.0, 1.0, 2.0, 3.0]}
    with pytest.raises(DataError, match="outside the support Positive"):
        mlefit.fit("y ~ x", data, family=FAMILY)


def test_derivatives_match_central_differences():
    assert_derivatives_at_typical_draws(FAMILY, seed=3)


def test_expected_information_matches_quadrature():
    assert_expected_information(FAMILY, {"mu": 0.5, "sigma": 0.8}, 0.0, np.inf,
                                points=[np.exp(0.5)])


@pytest.fixture(scope="module")
def fitted(heart):
    return mlefit.fit(FORMULA, heart, family=FAMILY)


def test_is_the_gaussian_fit_of_log_y(heart, fitted):
    logged = heart.assign(chol=np.log(heart["chol"]))
    gauss = mlefit.fit(FORMULA, logged, family="gaussian")
    # the same optimisation problem up to the constant Jacobian: equal to rounding
    np.testing.assert_allclose(fitted.coef, gauss.coef, rtol=1e-12)
    np.testing.assert_allclose(fitted.bse.to_numpy(), gauss.bse.to_numpy(), rtol=1e-10)
    jacobian = np.log(heart["chol"]).sum()
    assert fitted.llf == pytest.approx(gauss.llf - jacobian, rel=1e-13)


def test_matches_ols_on_log_y(heart, fitted):
    """The closed forms of the Gaussian MLE on log y, from statsmodels OLS."""
    ols = smf.ols("np.log(chol) ~ age + sex", heart).fit()
    n = ols.nobs
    np.testing.assert_allclose(fitted.params["mu"].to_numpy(), ols.params.to_numpy(),
                               rtol=1e-11)
    sigma_ml = np.sqrt(ols.ssr / n)
    assert np.exp(fitted.params[("sigma", "Intercept")]) == pytest.approx(sigma_ml, rel=1e-12)
    # observed information at the MLE: X'X / sigma2 for mu, 2n for log sigma
    np.testing.assert_allclose(fitted.bse["mu"].to_numpy(),
                               ols.bse.to_numpy() * np.sqrt((n - 3) / n), rtol=1e-10)
    assert fitted.bse[("sigma", "Intercept")] == pytest.approx(1 / np.sqrt(2 * n), rel=1e-10)
    assert fitted.llf == pytest.approx(ols.llf - np.log(heart["chol"]).sum(), rel=1e-13)


def test_predicted_mean_is_exp_mu_plus_half_sigma2(heart, fitted):
    ols = smf.ols("np.log(chol) ~ age + sex", heart).fit()
    s2 = ols.ssr / ols.nobs
    np.testing.assert_allclose(fitted.predict(which="mean").to_numpy(),
                               np.exp(ols.fittedvalues.to_numpy() + s2 / 2), rtol=1e-11)
    np.testing.assert_allclose(fitted.predict(which="mu").to_numpy(),
                               ols.fittedvalues.to_numpy(), rtol=1e-12)


def test_intercept_only_matches_scipy_closed_form(heart):
    # scipy's lognorm.fit with floc=0 is the closed form (mean and sd of log y)
    y = heart["chol"].to_numpy(float)
    s, _, scale = stats.lognorm.fit(y, floc=0)
    res = mlefit.fit("chol ~ 1", heart, family=FAMILY)
    assert res.params[("mu", "Intercept")] == pytest.approx(np.log(scale), rel=1e-12)
    assert np.exp(res.params[("sigma", "Intercept")]) == pytest.approx(s, rel=1e-12)
    assert res.llf == pytest.approx(stats.lognorm.logpdf(y, s, 0, scale).sum(), rel=1e-13)


def test_simulate_and_recover_with_modelled_sigma():
    rng = np.random.default_rng(5)
    data = regression_data(rng, 2000)
    data["y"] = np.exp(1.0 + 0.3 * data["x1"] - 0.5 * data["x2"]
                       + np.exp(-0.5 + 0.4 * data["x2"]) * rng.standard_normal(2000))
    res = mlefit.fit("y ~ x1 + x2", data, family=FAMILY, sigma="~ x2")
    assert_recovered(res, {("mu", "Intercept"): 1.0, ("mu", "x1"): 0.3, ("mu", "x2"): -0.5,
                           ("sigma", "Intercept"): -0.5, ("sigma", "x2"): 0.4})
