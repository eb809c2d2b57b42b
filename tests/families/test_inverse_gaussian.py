"""The inverse Gaussian family against oracles that are not mlefit.

Oracles
-------
* ``scipy.stats.invgauss`` (``invgauss(mu / lambda, scale=lambda)`` is IG(mean mu, shape
  lambda)) for the log density; the closed-form cdf
  ``Phi(sqrt(lambda / y) (y / mu - 1)) + exp(2 lambda / mu) Phi(-sqrt(lambda / y) (y / mu
  + 1))``; ``scipy.integrate.quad`` (expected information); central differences.
* statsmodels ``GLM(family=InverseGaussian(link))`` refit with ``tol=1e-12``: coefficients,
  Pearson-scale SEs (R's ``summary.glm``), deviance, null deviance, Pearson X2, with
  ``var_weights`` (R's prior weights) and ``freq_weights``.
* R values published in statsmodels' test results,
  ``statsmodels/genmod/tests/results/results_glm.py``, class ``InvGauss`` (R ``glm(xig ~ x1
  + x2, family = inverse.gaussian)``, canonical ``1/mu^2`` link, on the 5000 rows of
  ``mlefit.datasets.load_inv_gaussian()``, statsmodels' ``inv_gaussian.csv``).
* R's logLik rule from R's ``src/library/stats/R/family.R``: ``inverse.gaussian()$aic`` is
  ``sum(wt) (log(disp 2 pi) + 1) + 3 sum(log(y) wt) + 2`` with ``disp = dev / sum(wt)``,
  written here in that closed form.
* Under the ML convention: the closed-form shape MLE ``sum(w) / sum(w v d)`` (``d`` the unit
  deviance, ``v`` precision weights), a ``scipy.optimize`` maximisation of the profile
  likelihood (``scipy.stats.invgauss.logpdf``), and the observed-information SEs against a
  central-difference Hessian of that hand-written likelihood.

Tolerances: as in ``test_gamma.py`` (same reasoning, same helpers). Of the ``InvGauss``
numbers, the deviance, null deviance and AIC (16 digits) match to rounding (canonical link:
R's IRLS is Newton and converged fully) and the coefficients to their 7 printed digits
(rtol 1e-6). The SEs, scale and Pearson X2 there are not mutually consistent: ``scale *
df_resid`` differs from ``pearson_chi2`` by 1.0e-6 relative (checked below), so they come
from different programs or precisions; mlefit and statsmodels agree with each other to
1e-13 and with those three to about 1e-6: compared at rtol 1e-5.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import integrate, optimize, special, stats
from test_gamma import aligned, assert_matches_glm, assert_observed_information

import mlefit
from mlefit.errors import DataError
from mlefit.testing import parametrize_with_checks
from mlefit_families.inverse_gaussian import InverseGaussian

IG = InverseGaussian()
LINKS = sm.families.links
SM_LINKS = {"1/mu^2": LINKS.InverseSquared, "log": LINKS.Log, "inverse": LINKS.InversePower,
            "identity": LINKS.Identity}
INVERSE = {"1/mu^2": lambda e: e**-0.5, "log": np.exp, "inverse": lambda e: 1.0 / e,
           "identity": lambda e: e}
XIG = "xig ~ x1 + x2"
HEART = "trestbps ~ age + sex"

# statsmodels/genmod/tests/results/results_glm.py, class InvGauss (R), mlefit's term order;
# llf is the commented "self.llf = -2525.70955823223   # from R"
INVGAUSS_R = {
    "params": [1.0359574, 0.4519770, -0.2508288],
    "bse": [0.03429943, 0.03148291, 0.02237211],
    "null_deviance": 1520.673165475461, "deviance": 1423.943980407997, "df_resid": 4997,
    "aic": 5059.41911646446, "llf": -2525.70955823223, "scale": 0.2867266359127567,
    "pearson_chi2": 1432.771536,
}


def ig_logpdf(y, mu, shape):
    return stats.invgauss.logpdf(y, mu / shape, scale=shape)


def sm_glm(formula, data, link, **kwargs):
    """statsmodels' inverse Gaussian GLM, converged tightly."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DomainWarning for the non-canonical links
        res = smf.glm(formula, data, family=sm.families.InverseGaussian(SM_LINKS[link]()),
                      **kwargs).fit(tol=1e-12, use_t=True)
    assert res.converged
    return res


def unit_deviance(y, mu):
    return (y - mu) ** 2 / (mu**2 * y)


def r_loglik(y, mu, wt):
    """R's logLik(glm(..., family = inverse.gaussian)): inverse.gaussian()$aic."""
    wt = np.broadcast_to(wt, y.shape)
    disp = np.sum(wt * unit_deviance(y, mu)) / np.sum(wt)
    return -0.5 * (np.sum(wt) * (np.log(disp * 2 * np.pi) + 1) + 3 * np.sum(np.log(y) * wt))


def profile_shape(y, mu, v=1.0):
    """Closed-form ML shape (sum(w) / sum(v d)) and scipy's numeric maximiser of the profile."""
    def nll(s):
        return -np.sum(ig_logpdf(y, mu, np.exp(s) * v))

    opt = optimize.minimize_scalar(nll, bounds=(-15.0, 25.0), method="bounded",
                                   options={"xatol": 1e-10})
    return y.size / np.sum(v * unit_deviance(y, mu)), np.exp(opt.x), -opt.fun


@pytest.fixture(scope="module")
def invgauss():
    return mlefit.datasets.load_inv_gaussian()


CASES = [("invgauss", XIG, link) for link in SM_LINKS] + [("heart", HEART, link)
                                                         for link in SM_LINKS]


@pytest.fixture(params=CASES, ids=[f"{d}-{link}" for d, _, link in CASES])
def case(request, invgauss, heart):
    name, formula, link = request.param
    return {"invgauss": invgauss, "heart": heart}[name], formula, link


# --- the density ------------------------------------------------------------------------------
@parametrize_with_checks([IG])
def test_conformance_kit(family, check):
    check(family)


@pytest.mark.parametrize("mu, shape", [(1.0, 0.2), (2.0, 3.0), (0.5, 40.0), (3.0, 2e3)])
def test_logpdf_cdf_against_scipy_and_closed_form(mu, shape):
    y = np.array([1e-3, 0.1, 0.5, 1.0, 2.5, 9.0])
    m, s = np.full(y.size, mu), np.full(y.size, shape)
    np.testing.assert_allclose(IG.logpdf(y, m, s), ig_logpdf(y, mu, shape), rtol=1e-12,
                               atol=1e-12)
    # the closed form overflows for large lambda / mu; compare where it does not, in the
    # central part of the distribution (its subtraction loses digits in the far tails)
    if shape / mu < 300:
        r = np.sqrt(shape / y)
        closed = special.ndtr(r * (y / mu - 1)) + np.exp(2 * shape / mu) * special.ndtr(
            -r * (y / mu + 1))
        central = (closed > 1e-6) & (closed < 1 - 1e-6)
        np.testing.assert_allclose(IG.cdf(y, m, s)[central], closed[central], rtol=1e-9)
    values = IG.logpdf(np.array([-1.0, 0.0, np.inf]), m[:3], s[:3])
    assert np.all(values == -np.inf)


@pytest.mark.parametrize("mu, shape", [(0.4, 0.5), (2.0, 3.0), (10.0, 400.0)])
def test_derivatives_against_central_differences_of_scipy(mu, shape):
    y = stats.invgauss.ppf([0.05, 0.3, 0.5, 0.8, 0.99], mu / shape, scale=shape)
    m, s = np.full(y.size, mu), np.full(y.size, shape)

    def f(dm=0.0, ds=0.0):
        return ig_logpdf(y, m + dm, s + ds)

    scale = np.max(np.abs(f())) + 1
    d1, d2 = IG.dlogpdf(y, m, s), IG.d2logpdf(y, m, s)
    h = {"mu": 1e-6 * mu, "shape": 1e-6 * shape}       # first differences: ~1e-10
    np.testing.assert_allclose(d1["mu"] * mu, (f(h["mu"]) - f(-h["mu"])) / 2e-6, rtol=1e-7,
                               atol=1e-7 * scale)
    np.testing.assert_allclose(d1["shape"] * shape, (f(0, h["shape"]) - f(0, -h["shape"]))
                               / 2e-6, rtol=1e-7, atol=1e-7 * scale)
    hm, hs = 1e-4 * mu, 1e-4 * shape                   # second differences: ~1e-7
    num = {("mu", "mu"): (f(hm) - 2 * f() + f(-hm)) / 1e-8,
           ("shape", "shape"): (f(0, hs) - 2 * f() + f(0, -hs)) / 1e-8,
           ("mu", "shape"): (f(hm, hs) - f(hm, -hs) - f(-hm, hs) + f(-hm, -hs)) / 4e-8}
    factor = {"mu": mu, "shape": shape}
    for (a, b), value in num.items():
        np.testing.assert_allclose(d2[(a, b)] * factor[a] * factor[b], value, rtol=1e-5,
                                   atol=1e-5 * scale, err_msg=f"{a}, {b}")


@pytest.mark.parametrize("mu, shape", [(0.5, 1.0), (2.0, 3.0)])
def test_expected_information_by_quadrature(mu, shape):
    dist = stats.invgauss(mu / shape, scale=shape)
    info = IG.expected_information(np.ones(1), np.full(1, mu), np.full(1, shape))
    assert info[("mu", "mu")][0] == pytest.approx(shape / mu**3, rel=1e-15)
    assert info[("shape", "shape")][0] == pytest.approx(0.5 / shape**2, rel=1e-15)
    for (a, b), value in info.items():
        def integrand(y, a=a, b=b):
            return -IG.d2logpdf(np.array([y]), np.array([mu]),
                                np.array([shape]))[(a, b)][0] * dist.pdf(y)
        ref = integrate.quad(integrand, 0, np.inf, epsrel=1e-11, limit=200)[0]
        np.testing.assert_allclose(value[0], ref, rtol=1e-8, atol=1e-10 * abs(info[(a, a)][0]))


def test_sample_and_declaration():
    rng = np.random.default_rng(11)
    n = 200_000
    draws = IG.sample(rng, n, np.full(n, 2.0), np.full(n, 3.0))
    assert abs(draws.mean() - 2.0) < 5 * np.sqrt(8.0 / 3.0 / n)
    assert stats.kstest(draws[:5000], stats.invgauss(2.0 / 3.0, scale=3.0).cdf).pvalue > 1e-3
    assert IG.variance(np.array([2.0]), np.array([3.0]))[0] == pytest.approx(8 / 3, rel=1e-15)
    mu, shape = IG.parameters
    assert mu.default_link == "log"            # R's inverse.gaussian() default is 1/mu^2
    assert set(mu.allowed_links) == {"log", "inverse_squared", "inverse", "identity"}
    assert IG.dispersion.parameter == shape.name == "shape" and IG.dispersion.power == -1.0
    assert shape.default_link == "log" and IG.reductions == ()


# --- statsmodels and R ------------------------------------------------------------------------
def test_convention_r_matches_statsmodels(case):
    data, formula, link = case
    res = mlefit.fit(formula, data, family=IG, link=link, convention="R")
    sm_res = sm_glm(formula, data, link)
    assert_matches_glm(res, sm_res)
    assert res.llf == pytest.approx(r_loglik(sm_res.model.endog, sm_res.mu, 1.0), rel=1e-10)
    # without weights R's dispersion dev / n is the ML one: R's logLik is the ML value
    assert res.llf == pytest.approx(res.llf_ml, rel=1e-12)
    assert res.aic == pytest.approx(-2 * res.llf + 2 * (res.params["mu"].size + 1), rel=1e-15)


def test_canonical_link_reproduces_r(invgauss):
    res = mlefit.fit(XIG, invgauss, family=IG, link="1/mu^2", convention="R")
    ref = INVGAUSS_R
    np.testing.assert_allclose(res.params["mu"], ref["params"], rtol=1e-6)
    np.testing.assert_allclose(res.bse["mu"], ref["bse"], rtol=1e-5)
    assert res.deviance <= ref["deviance"] * (1 + 1e-14)
    assert res.deviance == pytest.approx(ref["deviance"], rel=1e-9)
    assert res.null_deviance == pytest.approx(ref["null_deviance"], rel=1e-12)  # closed form
    assert res.aic == pytest.approx(ref["aic"], rel=1e-9)
    assert res.llf == pytest.approx(ref["llf"], rel=1e-9)
    assert res.df_resid == ref["df_resid"]
    # the published scale and Pearson X2 disagree with each other by 1e-6 (see the docstring)
    assert ref["scale"] * ref["df_resid"] / ref["pearson_chi2"] - 1 == pytest.approx(1.0e-6,
                                                                                  abs=1e-7)
    assert res.dispersion.phi_pearson == pytest.approx(res.pearson_chi2 / 4997, rel=1e-14)
    assert res.dispersion.phi_pearson == pytest.approx(ref["scale"], rel=1e-5)
    assert res.pearson_chi2 == pytest.approx(ref["pearson_chi2"], rel=1e-5)
    assert "mu (link: inverse_squared)" in res.summary()


# --- maximum likelihood -------------------------------------------------------------------------
def test_ml_shape_and_observed_information(case):
    data, formula, link = case
    res = mlefit.fit(formula, data, family=IG, link=link)
    sm_res = sm_glm(formula, data, link)
    y, X = sm_res.model.endog, sm_res.model.exog
    closed, numeric, llf = profile_shape(y, sm_res.mu)
    shape = np.exp(res.params[("shape", "Intercept")])
    assert shape == pytest.approx(closed, rel=1e-10)
    assert shape == pytest.approx(numeric, rel=1e-6)        # maximiser from function values
    assert res.llf == pytest.approx(llf, rel=1e-12)
    np.testing.assert_allclose(res.params["mu"], aligned(sm_res.params, res), rtol=1e-8)

    def loglik(theta):
        return np.sum(ig_logpdf(y, INVERSE[link](X @ theta[:-1]), np.exp(theta[-1])))

    assert_observed_information(res, sm_res, loglik, np.log(closed), np.sqrt(2 / len(y)))
    # log(shape) is orthogonal to the mean: its SE is sqrt(2 / n) exactly
    assert res.bse[("shape", "Intercept")] == pytest.approx(np.sqrt(2 / len(y)), rel=1e-10)


# --- weights ------------------------------------------------------------------------------------
def test_var_weights_match_statsmodels_and_r(heart):
    v = 0.5 + (np.arange(len(heart)) % 4)
    for link in ("log", "1/mu^2"):
        res = mlefit.fit(HEART, heart, family=IG, link=link, var_weights=v, convention="R")
        sm_res = sm_glm(HEART, heart, link, var_weights=v)
        assert_matches_glm(res, sm_res)
        y = sm_res.model.endog
        assert res.llf == pytest.approx(r_loglik(y, sm_res.mu, v), rel=1e-10)
        # ML with precision weights: shape_i = shape v_i, closed form sum(1) / sum(v d)
        ml = mlefit.fit(HEART, heart, family=IG, link=link, var_weights=v)
        closed, _, llf = profile_shape(y, sm_res.mu, v=v)
        assert np.exp(ml.params[("shape", "Intercept")]) == pytest.approx(closed, rel=1e-10)
        assert ml.llf == pytest.approx(llf, rel=1e-12)
        assert ml.llf != pytest.approx(res.llf, rel=1e-3)   # with weights R's rule differs


def test_frequency_weights_match_statsmodels_and_duplicated_rows(heart):
    w = 1 + (np.arange(len(heart)) % 3)
    res = mlefit.fit(HEART, heart, family=IG, weights=w, convention="R")
    sm_res = sm_glm(HEART, heart, "log", freq_weights=w)
    assert_matches_glm(res, sm_res)
    assert res.nobs == w.sum()
    y = np.repeat(sm_res.model.endog, w)
    assert res.llf == pytest.approx(r_loglik(y, np.repeat(sm_res.mu, w), 1.0), rel=1e-10)


def test_simulate_and_recover():
    rng = np.random.default_rng(3)
    n = 4000
    x = rng.uniform(-1, 1, n)
    beta, shape = np.array([0.5, 0.8]), 6.0
    mu = np.exp(beta[0] + beta[1] * x)
    data = pd.DataFrame({"y": IG.sample(rng, n, mu, np.full(n, shape)), "x": x})
    res = mlefit.fit("y ~ x", data, family=IG)
    assert np.all(np.abs(res.coef - np.r_[beta, np.log(shape)]) < 4 * res.bse.to_numpy())


def test_errors_name_cause_and_fix(heart):
    with pytest.raises(DataError, match="outside the support"):
        mlefit.fit(HEART, heart.assign(trestbps=-heart["trestbps"]), family=IG)
    with pytest.raises(DataError, match="not allowed for 'inverse_gaussian'"):
        mlefit.fit(HEART, heart, family=IG, link="sqrt")
