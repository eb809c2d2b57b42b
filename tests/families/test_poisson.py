"""The Poisson family against oracles that are not mlefit.

Oracles:

* ``scipy.stats.poisson`` for the log mass, the cdf, the mean and the variance;
* central differences of ``logpdf`` for the derivatives (``_count_oracles``);
* the exact expected information ``sum_y p(y) s(y)^2`` with ``p`` from scipy;
* R's ``glm(EXECUTIONS ~ ..., family = poisson)`` on the capital-punishment data, as
  published in statsmodels' test results
  (``statsmodels/genmod/tests/results/results_glm.py``, class ``Cpunish``);
* statsmodels ``GLM`` (IRLS to ``tol_criterion="params"``, 1e-14: expected information;
  ``method="newton"``: observed information) under the log, identity and sqrt links, and
  ``discrete.Poisson`` on the heart data;
* simulation: estimates within 4 standard errors of the truth.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from _count_oracles import check_derivatives, r_order, within_se
from scipy import special, stats
from statsmodels.genmod.tests.results.results_glm import Cpunish

import mlefit
from mlefit_families.poisson import Poisson

FAMILY = Poisson()
CPUNISH = "EXECUTIONS ~ INCOME + PERPOVERTY + PERBLACK + LN_VC100k96 + SOUTH + DEGREE"


@pytest.fixture(scope="module")
def cpunish():
    data = sm.datasets.cpunish.load_pandas().data
    return data.assign(LN_VC100k96=np.log(data["VC100k96"]))


@pytest.fixture(scope="module")
def simulated():
    rng = np.random.default_rng(2024)
    n = 300
    data = pd.DataFrame({"x": rng.uniform(0, 1, n), "z": rng.integers(0, 2, n)})
    return data.assign(y=rng.poisson(2 + 3 * data["x"] + data["z"]))


# distribution ------------------------------------------------------------------------
def test_logpdf_cdf_moments_match_scipy():
    y = np.arange(0.0, 60.0)
    for mu in (1e-3, 0.7, 4.0, 35.0):
        m = np.full(y.shape, mu)
        np.testing.assert_allclose(FAMILY.logpdf(y, m), stats.poisson.logpmf(y, mu),
                                   rtol=1e-14, atol=1e-14)
        np.testing.assert_allclose(FAMILY.cdf(y + 0.5, m), stats.poisson.cdf(y, mu),
                                   rtol=1e-13, atol=1e-300)
        assert FAMILY.mean(mu) == mu and FAMILY.variance(mu) == stats.poisson.var(mu)


def test_outside_support_is_minus_inf_and_cdf_zero():
    y = np.array([-1.0, 0.5, 2.5, -3.0])
    assert np.all(FAMILY.logpdf(y, np.full(4, 2.0)) == -np.inf)
    assert FAMILY.cdf(np.array([-0.5]), np.array([2.0]))[0] == 0.0


def test_derivatives_match_central_differences():
    rng = np.random.default_rng(1)
    mu = rng.uniform(0.2, 30.0, 200)
    y = rng.poisson(mu).astype(float)
    check_derivatives(FAMILY, y, {"mu": mu},
                      logpdf_scale=special.gammaln(y + 1) + y * np.abs(np.log(mu)) + mu + 1)


def test_log_link_eta_derivatives_equal_chain_rule_and_survive_underflow():
    y = np.array([0.0, 1.0, 7.0, 0.0])
    eta = np.array([-2.0, 0.3, 1.9, -800.0])
    d1, d2 = FAMILY.eta_derivatives(y, {"mu": "log"}, mu=eta)
    mu = np.exp(eta[:3])
    # chain rule: dl/deta = (y/mu - 1) mu; d2l/deta2 = -y/mu^2 mu^2 + (y/mu - 1) mu
    np.testing.assert_allclose(d1["mu"][:3], (y[:3] / mu - 1) * mu, rtol=1e-14)
    np.testing.assert_allclose(d2[("mu", "mu")][:3], -y[:3] + (y[:3] / mu - 1) * mu,
                               rtol=1e-14)
    assert d1["mu"][3] == 0.0 and d2[("mu", "mu")][3] == -0.0  # mu = exp(-800) = 0
    assert FAMILY.eta_derivatives(y, {"mu": "sqrt"}, mu=eta) is None


@pytest.mark.parametrize("mu", [0.05, 1.0, 12.0])
def test_expected_information_is_variance_of_score(mu):
    y = np.arange(0.0, 200.0)
    pmf = stats.poisson.pmf(y, mu)
    exact = np.sum(pmf * (y / mu - 1.0) ** 2)
    info = FAMILY.expected_information(np.array([0.0]), np.array([mu]))[("mu", "mu")]
    assert info[0] == pytest.approx(exact, rel=1e-12)


def test_sample_moments():
    rng = np.random.default_rng(5)
    n = 200_000
    draws = FAMILY.sample(rng, n, np.full(n, 3.5))
    assert np.all(draws == np.floor(draws)) and draws.min() >= 0
    # 5 standard errors of the sample mean (sd sqrt(3.5)) and variance (sd ~ sqrt(2 * 3.5^2 + 3.5))
    assert abs(draws.mean() - 3.5) < 5 * np.sqrt(3.5 / n)
    assert abs(draws.var() - 3.5) < 5 * np.sqrt((2 * 3.5**2 + 3.5) / n)


def test_unit_deviance_is_twice_the_loglik_gap_to_the_saturated_model():
    y = np.array([0.0, 1.0, 4.0, 17.0])
    mu = np.array([0.3, 2.0, 4.0, 11.0])
    gap = 2 * (stats.poisson.logpmf(y, y) - stats.poisson.logpmf(y, mu))
    np.testing.assert_allclose(FAMILY.unit_deviance(y, mu), gap, rtol=1e-12, atol=1e-14)


# against R and statsmodels -----------------------------------------------------------
def test_cpunish_reproduces_r_glm(cpunish):
    """R's numbers (results_glm.Cpunish) are printed to 7 significant digits: rtol 5e-7.

    R's standard errors agree to 1e-5 only: summary.glm takes them from the last IRLS
    weighted least squares, whose weights are computed at the previous iterate (the fit
    stops when the relative deviance change is below 1e-8), so they lag the estimate by
    one step. The deviance is stationary at the optimum and agrees to rounding; Pearson's
    X2 is not and carries R's ~1e-7 relative coefficient error.
    """
    r = Cpunish()
    res = mlefit.fit(CPUNISH, cpunish, family=FAMILY, convention="R")
    np.testing.assert_allclose(r_order(res.params["mu"]), r.params, rtol=5e-7)
    np.testing.assert_allclose(r_order(res.bse["mu"]), r.bse, rtol=1e-5)
    assert res.llf == pytest.approx(r.llf, rel=1e-13)
    assert res.aic == pytest.approx(r.aic_R, rel=1e-13)
    assert res.deviance == pytest.approx(r.deviance, rel=1e-13)
    assert res.null_deviance == pytest.approx(r.null_deviance, rel=1e-13)
    assert res.pearson_chi2 == pytest.approx(r.pearson_chi2, rel=1e-7)
    assert res.df_resid == r.df_resid and not res.t_tests


def test_cpunish_matches_statsmodels_glm(cpunish):
    glm = smf.glm(CPUNISH, cpunish, family=sm.families.Poisson()).fit(
        tol=1e-14, tol_criterion="params")
    res = mlefit.fit(CPUNISH, cpunish, family=FAMILY)
    np.testing.assert_allclose(res.params["mu"], glm.params, rtol=1e-9)
    # log link: observed information = expected information
    np.testing.assert_allclose(res.bse["mu"], glm.bse, rtol=1e-9)
    assert res.llf == pytest.approx(glm.llf, rel=1e-13)
    assert res.pearson_chi2 == pytest.approx(glm.pearson_chi2, rel=1e-11)
    np.testing.assert_allclose(res.fittedvalues, glm.fittedvalues, rtol=1e-9)


@pytest.mark.parametrize("link, sm_link", [("identity", sm.families.links.Identity()),
                                           ("sqrt", sm.families.links.Sqrt())])
def test_noncanonical_links_match_statsmodels(simulated, link, sm_link):
    """IRLS gives the expected information (convention='R'), Newton the observed one
    (mlefit's default); for these links they differ (~0.5% here), and each matches."""
    with pytest.warns(sm.tools.sm_exceptions.DomainWarning):
        model = smf.glm("y ~ x + z", simulated, family=sm.families.Poisson(link=sm_link))
    irls = model.fit(tol=1e-14, tol_criterion="params", maxiter=500)
    newton = model.fit(method="newton", tol=1e-12, maxiter=500)
    ml = mlefit.fit("y ~ x + z", simulated, family=FAMILY, link=link)
    r = mlefit.fit("y ~ x + z", simulated, family=FAMILY, link=link, convention="R")
    np.testing.assert_allclose(ml.params["mu"], irls.params, rtol=1e-10)
    np.testing.assert_allclose(ml.bse["mu"], newton.bse, rtol=1e-10)
    np.testing.assert_allclose(r.bse["mu"], irls.bse, rtol=1e-10)
    assert np.max(np.abs(ml.bse.to_numpy() / r.bse.to_numpy() - 1)) > 1e-3
    assert ml.llf == pytest.approx(irls.llf, rel=1e-13)
    assert ml.deviance == pytest.approx(irls.deviance, rel=1e-11)
    assert ml.null_deviance == pytest.approx(irls.null_deviance, rel=1e-11)


def test_heart_vessel_count_matches_discrete_poisson(heart):
    """``ca`` (major vessels coloured, 0-3; 4 missing rows are dropped)."""
    data = heart.dropna(subset=["ca"])
    d = sm.Poisson.from_formula("ca ~ age + sex + thalach", data).fit(
        method="newton", tol=1e-12, disp=False)
    res = mlefit.fit("ca ~ age + sex + thalach", heart, family=FAMILY)
    assert res.n_dropped == 4
    np.testing.assert_allclose(res.params["mu"], d.params, rtol=1e-9)
    np.testing.assert_allclose(res.bse["mu"], d.bse, rtol=1e-9)
    assert res.llf == pytest.approx(d.llf, rel=1e-13)


def test_simulate_and_recover():
    rng = np.random.default_rng(11)
    n = 3000
    data = pd.DataFrame({"x": rng.standard_normal(n), "g": rng.integers(0, 2, n)})
    mu = np.exp(0.4 + 0.6 * data["x"] - 0.5 * data["g"])
    data["y"] = FAMILY.sample(rng, n, mu.to_numpy())
    res = mlefit.fit("y ~ x + g", data, family=FAMILY)
    within_se(res, {("mu", "Intercept"): 0.4, ("mu", "x"): 0.6, ("mu", "g"): -0.5})


def test_exposure_is_a_log_offset(cpunish):
    """``exposure=`` adds ``log(exposure)``: only the intercept moves, by -log(100)
    (statsmodels' ``Cpunish_offset`` case)."""
    base = mlefit.fit(CPUNISH, cpunish, family=FAMILY)
    exp = mlefit.fit(CPUNISH, cpunish, family=FAMILY, exposure=np.full(len(cpunish), 100.0))
    shift = exp.params["mu"].to_numpy() - base.params["mu"].to_numpy()
    np.testing.assert_allclose(shift, [-np.log(100.0), 0, 0, 0, 0, 0, 0], atol=1e-9)
    assert exp.llf == pytest.approx(base.llf, rel=1e-13)


def test_refuses_negative_and_fractional_counts(simulated):
    with pytest.raises(mlefit.DataError, match="outside the support"):
        mlefit.fit("y ~ x", simulated.assign(y=simulated["y"] - 0.5), family=FAMILY)
