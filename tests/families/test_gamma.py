"""The gamma family against oracles that are not mlefit.

Oracles
-------
* ``scipy.stats.gamma`` (logpdf, cdf), mpmath at 50 digits (large shapes, Stirling's
  remainder), ``scipy.integrate.quad`` (expected information), central differences.
* statsmodels ``GLM(family=Gamma(link))``, refit with ``tol=1e-12`` (IRLS deviance change)
  so that it is converged far below the tolerances used here: coefficients, Pearson-scale
  standard errors (R's ``summary.glm``), deviance, null deviance, Pearson X2, with
  ``var_weights`` (R's prior weights) and ``freq_weights``.
* R values published in statsmodels' own test results,
  ``statsmodels/genmod/tests/results/results_glm.py``: class ``Scotvote`` (R
  ``glm(YES ~ ..., family=Gamma)`` on ``sm.datasets.scotland``) and classes ``CancerLog``
  / ``CancerIdentity`` (``Gamma(link="log" / "identity")`` on the Stata cancer data,
  ``mlefit.datasets.load_cancer()``, ``studytime ~ age + factor(drug)``).
* R's logLik rule, from R's ``src/library/stats/R/family.R`` (``Gamma()$aic``:
  ``disp <- dev / sum(wt); -2 * sum(dgamma(y, 1/disp, scale = mu * disp, log = TRUE) * wt)
  + 2``; ``logLik.glm`` counts the dispersion and undoes the ``+ 2``), written here with
  ``scipy.stats.gamma.logpdf``.
* Under the ML convention: the shape MLE by ``scipy.optimize`` on the profile likelihood
  (``scipy.stats.gamma.logpdf`` at statsmodels' mean), and the observed-information
  standard errors against a central-difference Hessian of the same hand-written
  likelihood.

Tolerances
----------
* statsmodels: both programs solve the same score equations to convergence (mlefit: Newton
  decrement < 1e-12 plus a polishing step; statsmodels: deviance change < 1e-12); they
  agree to ~1e-10 (observed <= 2e-10), tested at 1e-8; deviance-type sums at 1e-10.
* R numbers, Scotvote (canonical inverse link: R's IRLS is Newton and converged fully; the
  deviance matches to 1e-14): coefficients, SEs, scale and null deviance to their printed
  6-7 significant digits (rtol 1e-6). Its Pearson X2, printed to 9 digits, agrees to 1.1e-7
  only (mlefit and statsmodels agree with each other to 1e-14; the value is not recomputed
  from the rounded coefficients either, which gives 6.5e-7): compared at 1e-6.
* R numbers, cancer (log and identity links: IRLS converges linearly and R stops when the
  relative deviance change is below 1e-8): the deviance, AIC and logLik agree to ~1e-10
  (tested at 1e-9, and mlefit's deviance may not exceed R's); the deviance excess (1.5e-10)
  puts R's coefficients ~sqrt(1.5e-10 (n - p)) = 8e-5 SE from the optimum, to which the
  Pearson scale is first-order sensitive: rtol 1e-5 (observed 7.7e-7).
* Profile maximisation from function values resolves the maximiser only to about
  sqrt(eps |l| / l'') ~ 1e-7 relative: shape MLE at rtol 1e-6.
* Central-difference Hessian with steps h of 3e-3 SE, Richardson-extrapolated (h, 2h):
  rounding ~eps S / h^2, with S ~ 1e5 the size of the terms scipy's log densities sum,
  is ~2e-6 relative at most, and the O(h^4) truncation is far smaller (plain central
  differences at 1e-3 SE leave 2e-5 on the cancer data with the identity link, where
  some fitted means are small and the curvature changes fast); observed <= 6e-7:
  standard errors at rtol 1e-5.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import integrate, optimize, special, stats

import mlefit
from mlefit.errors import DataError
from mlefit.testing import parametrize_with_checks
from mlefit_families.gamma import Gamma, stirling_remainder

GAMMA = Gamma()
LINKS = sm.families.links
SM_LINKS = {"log": LINKS.Log, "inverse": LINKS.InversePower, "identity": LINKS.Identity}
INVERSE = {"log": np.exp, "inverse": lambda e: 1.0 / e, "identity": lambda e: e}
SCOTLAND = "YES ~ COUTAX + UNEMPF + MOR + ACT + GDP + AGE + COUTAX_FEMALEUNEMP"
HEART = "trestbps ~ age + sex"
CANCER = "studytime ~ age + C(drug)"

# statsmodels/genmod/tests/results/results_glm.py, class Scotvote (R, Gamma inverse link);
# reordered to mlefit's order (intercept first; statsmodels' test puts it last)
SCOTVOTE_R = {
    "params": [-1.776527e-02, 4.961768e-05, 0.002034423, -7.181429e-05, 0.000111852,
               -1.467515e-07, -5.186831e-04, -2.42717498e-06],
    "bse": [1.147922e-02, 1.621577e-05, 5.320802e-04, 2.711664e-05, 4.057691e-05,
            1.236569e-07, 2.402534e-04, 7.460253e-07],
    "deviance": 0.087388516417, "null_deviance": 0.536072, "pearson_chi2": 0.0860228056,
    "scale": 0.003584283, "aic": 182.947045954721, "df_resid": 24,
}
# same file, classes CancerLog and CancerIdentity: aic_R and null_deviance ("From R"),
# deviance and scale, and R's logLik (the commented "self.llf = ...  # From R")
CANCER_R = {
    "log": {"aic": 331.89022395372069, "null_deviance": 27.92207137420696,
            "deviance": 16.174635536991005, "scale": 0.31805268736385695,
            "llf": -160.94511197686035},
    "identity": {"aic": 328.39209118952965, "null_deviance": 27.92207137420696,
                 "deviance": 15.093762327607557, "scale": 0.29512089119443752,
                 "llf": -159.19604559476483},
}


# --- helpers (independent of mlefit) ------------------------------------------------------
def sm_glm(formula, data, link, **kwargs):
    """statsmodels' Gamma GLM, converged tightly (IRLS deviance change below 1e-12)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DomainWarning: inverse/identity links on (0, inf)
        res = smf.glm(formula, data, family=sm.families.Gamma(SM_LINKS[link]()),
                      **kwargs).fit(tol=1e-12, use_t=True)
    assert res.converged
    return res


def aligned(series, res):
    """A statsmodels Series in mlefit's term order."""
    return series[list(res.params["mu"].index)].to_numpy()


def r_loglik(y, mu, wt):
    """R's logLik(glm(..., family = Gamma)): Gamma()$aic of R's family.R."""
    wt = np.broadcast_to(wt, y.shape)
    disp = np.sum(wt * 2 * ((y - mu) / mu - np.log(y / mu))) / np.sum(wt)
    return np.sum(wt * stats.gamma.logpdf(y, a=1 / disp, scale=mu * disp))


def profile_shape(y, mu, v=1.0, w=1.0):
    """ML shape at a given mean, maximising scipy's gamma log density over log(shape)."""
    def nll(s):
        nu = np.exp(s) * v
        return -np.sum(w * stats.gamma.logpdf(y, a=nu, scale=mu / nu))

    opt = optimize.minimize_scalar(nll, bounds=(-10.0, 25.0), method="bounded",
                                   options={"xatol": 1e-10})
    return np.exp(opt.x), -opt.fun


def central_hessian(f, x, h):
    """``(f(x+a+b) - f(x+a-b) - f(x-a+b) + f(x-a-b)) / (4 h_a h_b)`` for every pair, at
    steps ``h`` and ``2h`` combined by Richardson extrapolation (error O(h^4))."""
    def at(h):
        steps = np.diag(h)
        return np.array([[(f(x + a + b) - f(x + a - b) - f(x - a + b) + f(x - a - b))
                          / (4 * ha * hb) for b, hb in zip(steps, h, strict=True)]
                         for a, ha in zip(steps, h, strict=True)])

    return (4 * at(h) - at(2 * h)) / 3


def assert_matches_glm(res, sm_res):
    """mlefit under convention="R" against a statsmodels GLM: R's summary.glm numbers."""
    assert res.converged and res.diagnostics.derivatives == "analytic"
    np.testing.assert_allclose(res.params["mu"], aligned(sm_res.params, res), rtol=1e-8)
    np.testing.assert_allclose(res.bse["mu"], aligned(sm_res.bse, res), rtol=1e-8)
    np.testing.assert_allclose(res.pvalues["mu"], aligned(sm_res.pvalues, res), rtol=1e-6)
    assert res.t_tests and res.df_resid == sm_res.df_resid and res.nobs == sm_res.model.wnobs
    assert res.dispersion.phi_pearson == pytest.approx(sm_res.scale, rel=1e-10)
    for name in ("deviance", "null_deviance", "pearson_chi2"):
        assert getattr(res, name) == pytest.approx(getattr(sm_res, name), rel=1e-10), name


def assert_observed_information(res, sm_res, loglik, last, last_se):
    """ML SEs against a numeric Hessian of ``loglik(coefficients..., last)`` at statsmodels'
    coefficients and ``last`` (the log of the dispersion parameter), steps 3e-3 SE."""
    theta = np.r_[sm_res.params.to_numpy(), last]
    h = 3e-3 * np.r_[sm_res.bse.to_numpy(), last_se]
    se = np.sqrt(np.diag(np.linalg.inv(-central_hessian(loglik, theta, h))))
    np.testing.assert_allclose(res.bse["mu"], aligned(pd.Series(se[:-1], sm_res.params.index),
                                                      res), rtol=1e-5)
    assert res.bse.iloc[-1] == pytest.approx(se[-1], rel=1e-5)


# --- data ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def scotland():
    return sm.datasets.scotland.load_pandas().data



CASES = [("scotland", SCOTLAND, "inverse"), ("scotland", SCOTLAND, "log"),
         ("heart", HEART, "log"), ("heart", HEART, "inverse"), ("heart", HEART, "identity"),
         ("cancer", CANCER, "log"), ("cancer", CANCER, "identity"),
         ("cancer", CANCER, "inverse")]


@pytest.fixture(params=CASES, ids=[f"{d}-{link}" for d, _, link in CASES])
def case(request, scotland, heart, cancer):
    name, formula, link = request.param
    data = {"scotland": scotland, "heart": heart, "cancer": cancer}[name]
    return data, formula, link


# --- the density ----------------------------------------------------------------------------
@parametrize_with_checks([GAMMA])
def test_conformance_kit(family, check):
    check(family)


Y = np.array([1e-3, 0.2, 1.0, 2.5, 7.0, 40.0])


@pytest.mark.parametrize("shape", [0.05, 0.5, 1.0, 7.5, 19.99, 20.0, 50.0, 1e3])
def test_logpdf_cdf_match_scipy(shape):
    mu, nu = np.full(Y.size, 2.0), np.full(Y.size, shape)
    ref = stats.gamma.logpdf(Y, a=shape, scale=2.0 / shape)
    # scipy sums terms of size shape * log(shape): its own rounding is ~eps * that
    np.testing.assert_allclose(GAMMA.logpdf(Y, mu, nu), ref, rtol=1e-13,
                               atol=4 * np.finfo(float).eps * shape * np.log(shape + 2))
    np.testing.assert_allclose(GAMMA.cdf(Y, mu, nu),
                               stats.gamma.cdf(Y, a=shape, scale=2.0 / shape), rtol=1e-12,
                               atol=1e-300)


def test_large_shapes_keep_full_precision_against_mpmath():
    """Nearly deterministic data: shape 1e4..1e12, where nu log nu - lgamma(nu) cancels."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    shapes = np.array([1e4, 1e6, 1e8, 1e12])
    mu = np.full(4, 3.0)
    y = mu * (1 + 1 / np.sqrt(shapes))  # one standard deviation above the mean

    def exact(yi, m, a):
        yi, m, a = mpmath.mpf(yi), mpmath.mpf(m), mpmath.mpf(a)
        return float(a * mpmath.log(a / m) + (a - 1) * mpmath.log(yi) - a * yi / m
                     - mpmath.loggamma(a))

    ref = np.array([exact(*args) for args in zip(y, mu, shapes, strict=True)])
    # the half deviance t - log1p(t), t = (y - mu) / mu ~ 1 / sqrt(shape), carries a relative
    # error ~2 eps / t, so shape * d / 2 an absolute one ~eps sqrt(shape); the textbook
    # shape log(shape) - lgamma(shape) form would lose ~eps shape log(shape) (1e-3 at 1e12)
    error = np.abs(GAMMA.logpdf(y, mu, shapes) - ref)
    assert np.all(error <= 1e-14 * np.abs(ref) + 2 * np.finfo(float).eps * np.sqrt(shapes))


@pytest.mark.parametrize("order", [0, 1, 2])
def test_stirling_remainder_against_mpmath(order):
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    x = np.array([0.01, 0.7, 3.0, 19.999, 20.0, 20.001, 150.0, 1e5, 1e9])

    def exact(v):
        v = mpmath.mpf(v)
        if order == 0:
            return mpmath.loggamma(v) - (v - 0.5) * mpmath.log(v) + v - mpmath.log(
                2 * mpmath.pi) / 2
        if order == 1:
            return mpmath.digamma(v) - mpmath.log(v) + 1 / (2 * v)
        return mpmath.psi(1, v) - 1 / v - 1 / (2 * v**2)

    ref = np.array([float(exact(v)) for v in x])
    # below 20 scipy's polygamma differences carry ~1e-13 relative; the series ~1e-16
    np.testing.assert_allclose(stirling_remainder(x, order), ref, rtol=2e-12)
    # a constant argument (intercept-only shape) is evaluated once, same values
    np.testing.assert_allclose(stirling_remainder(np.full(3, 7.0), order),
                               float(exact(7.0)), rtol=2e-12)


def test_support_reduction_and_no_nan():
    mu, nu = np.full(4, 2.0), np.full(4, 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = GAMMA.logpdf(np.array([-1.0, 0.0, 1.0, np.inf]), mu, nu)
    assert values[0] == -np.inf and values[1] == -np.inf and values[3] == -np.inf
    assert np.isfinite(values[2])
    # Reduction("exponential", "shape", 1): the exponential distribution with mean mu
    np.testing.assert_allclose(GAMMA.logpdf(Y, np.full(Y.size, 2.0), np.ones(Y.size)),
                               stats.expon.logpdf(Y, scale=2.0), rtol=1e-14)
    (red,) = GAMMA.reductions
    assert (red.family, red.parameter, red.value, red.boundary) == ("exponential", "shape",
                                                                   1.0, False)


@pytest.mark.parametrize("mu, shape", [(0.3, 0.4), (2.0, 3.0), (50.0, 25.0)])
def test_derivatives_against_central_differences_of_scipy(mu, shape):
    """Moderate shapes only: scipy's log density rounds at ~eps shape log(shape), which second
    differences amplify beyond use for shape >~ 100; there the mpmath tests of Stirling's
    remainder cover the shape derivatives (the rest is closed form)."""
    y = stats.gamma.ppf([0.05, 0.3, 0.5, 0.8, 0.99], a=shape, scale=mu / shape)
    m, s = np.full(y.size, mu), np.full(y.size, shape)

    def f(dm=0.0, ds=0.0):
        return stats.gamma.logpdf(y, a=s + ds, scale=(m + dm) / (s + ds))

    h1m, h1s = 1e-6 * mu, 1e-6 * shape          # first differences: error ~1e-10 relative
    d1 = GAMMA.dlogpdf(y, m, s)
    scale = np.max(np.abs(f())) + 1
    np.testing.assert_allclose(d1["mu"] * mu, (f(h1m) - f(-h1m)) / (2 * h1m) * mu,
                               rtol=1e-7, atol=1e-7 * scale)
    np.testing.assert_allclose(d1["shape"] * shape, (f(0, h1s) - f(0, -h1s)) / (2 * h1s)
                               * shape, rtol=1e-7, atol=1e-7 * scale)
    hm, hs = 1e-4 * mu, 1e-4 * shape            # second differences: error ~1e-7 relative
    d2 = GAMMA.d2logpdf(y, m, s)
    num = {("mu", "mu"): (f(hm) - 2 * f() + f(-hm)) / hm**2 * mu**2,
           ("shape", "shape"): (f(0, hs) - 2 * f() + f(0, -hs)) / hs**2 * shape**2,
           ("mu", "shape"): (f(hm, hs) - f(hm, -hs) - f(-hm, hs) + f(-hm, -hs))
           / (4 * hm * hs) * mu * shape}
    for (a, b), value in num.items():
        factor = {"mu": mu, "shape": shape}
        np.testing.assert_allclose(d2[(a, b)] * factor[a] * factor[b], value, rtol=1e-5,
                                   atol=1e-5 * scale, err_msg=f"{a}, {b}")


@pytest.mark.parametrize("mu, shape", [(0.3, 0.6), (2.0, 3.0), (10.0, 80.0)])
def test_expected_information_by_quadrature(mu, shape):
    dist = stats.gamma(a=shape, scale=mu / shape)
    info = GAMMA.expected_information(np.ones(1), np.full(1, mu), np.full(1, shape))
    for (a, b), value in info.items():
        def integrand(y, a=a, b=b):
            return -GAMMA.d2logpdf(np.array([y]), np.array([mu]),
                                   np.array([shape]))[(a, b)][0] * dist.pdf(y)
        # quad's default relative accuracy is 1.5e-8; the cross term integrates to 0
        ref = integrate.quad(integrand, 0, np.inf, epsrel=1e-11, limit=200)[0]
        np.testing.assert_allclose(value[0], ref, rtol=1e-8, atol=1e-10 * abs(info[(a, a)][0]))
    assert info[("mu", "mu")][0] == pytest.approx(shape / mu**2, rel=1e-15)
    assert info[("shape", "shape")][0] == pytest.approx(special.polygamma(1, shape) - 1 / shape,
                                                        rel=1e-12)


def test_sample_moments_and_distribution():
    rng = np.random.default_rng(20240501)
    n = 200_000
    mu, nu = np.full(n, 3.0), np.full(n, 2.5)
    draws = GAMMA.sample(rng, n, mu, nu)
    # sample mean within 5 standard errors of mu; variance of the draws vs mu^2 / shape
    assert abs(draws.mean() - 3.0) < 5 * np.sqrt(3.0**2 / 2.5 / n)
    assert GAMMA.variance(mu[:1], nu[:1])[0] == pytest.approx(3.6, rel=1e-15)
    assert draws.var() == pytest.approx(3.6, rel=0.03)   # SE of a gamma variance ~0.6 %
    assert stats.kstest(draws[:5000], stats.gamma(a=2.5, scale=3.0 / 2.5).cdf).pvalue > 1e-3


def test_declaration_and_defaults():
    mu, shape = GAMMA.parameters
    assert (GAMMA.name, mu.name, shape.name) == ("gamma", "mu", "shape")
    assert mu.default_link == "log"                     # R's Gamma() default is inverse
    assert set(mu.allowed_links) == {"log", "inverse", "identity"}
    assert GAMMA.dispersion.parameter == "shape" and GAMMA.dispersion.power == -1.0


# --- statsmodels and R ------------------------------------------------------------------------
def test_convention_r_matches_statsmodels(case):
    data, formula, link = case
    res = mlefit.fit(formula, data, family=GAMMA, link=link, convention="R")
    sm_res = sm_glm(formula, data, link)
    assert_matches_glm(res, sm_res)
    assert np.exp(-res.params[("shape", "Intercept")]) == pytest.approx(sm_res.scale, rel=1e-10)
    assert res.llf == pytest.approx(r_loglik(sm_res.model.endog, sm_res.mu, 1.0), rel=1e-10)
    assert res.k == res.params["mu"].size + 1
    assert res.aic == pytest.approx(-2 * res.llf + 2 * res.k, rel=1e-15)


def test_scotland_inverse_link_reproduces_r():
    data = sm.datasets.scotland.load_pandas().data
    res = mlefit.fit(SCOTLAND, data, family=GAMMA, link="inverse", convention="R")
    ref = SCOTVOTE_R
    # R printed 7 significant digits
    np.testing.assert_allclose(res.params["mu"], ref["params"], rtol=1e-6)
    np.testing.assert_allclose(res.bse["mu"], ref["bse"], rtol=1e-6)
    assert res.deviance == pytest.approx(ref["deviance"], rel=1e-10)
    assert res.null_deviance == pytest.approx(ref["null_deviance"], rel=1e-6)  # 6 digits
    assert res.pearson_chi2 == pytest.approx(ref["pearson_chi2"], rel=1e-6)
    assert res.dispersion.phi_pearson == pytest.approx(ref["scale"], rel=1e-6)
    assert res.df_resid == ref["df_resid"]
    assert res.aic == pytest.approx(ref["aic"], rel=1e-9)
    # R: logLik = (2 (rank + 1) - AIC) / 2
    assert res.llf == pytest.approx((2 * 9 - ref["aic"]) / 2, rel=1e-9)
    text = res.summary()
    assert "R glm" in text and "mu (link: inverse)" in text and f"{res.llf:.8g}" in text


@pytest.mark.parametrize("link", ["log", "identity"])
def test_cancer_reproduces_r(cancer, link):
    res = mlefit.fit(CANCER, cancer, family=GAMMA, link=link, convention="R")
    ref = CANCER_R[link]
    assert res.deviance <= ref["deviance"] * (1 + 1e-14)   # a true minimum is not above R's
    assert res.deviance == pytest.approx(ref["deviance"], rel=1e-9)
    assert res.null_deviance == pytest.approx(ref["null_deviance"], rel=1e-12)  # closed form
    assert res.aic == pytest.approx(ref["aic"], rel=1e-9)
    assert res.llf == pytest.approx(ref["llf"], rel=1e-9)
    assert res.dispersion.phi_pearson == pytest.approx(ref["scale"], rel=1e-5)  # first order


# --- maximum likelihood (default convention) ---------------------------------------------------
def test_ml_shape_and_observed_information(case):
    data, formula, link = case
    res = mlefit.fit(formula, data, family=GAMMA, link=link)
    sm_res = sm_glm(formula, data, link)
    y, X = sm_res.model.endog, sm_res.model.exog
    shape, llf = profile_shape(y, sm_res.mu)
    assert res.convention.name == "ML" and res.converged
    np.testing.assert_allclose(res.params["mu"], aligned(sm_res.params, res), rtol=1e-8)
    assert np.exp(res.params[("shape", "Intercept")]) == pytest.approx(shape, rel=1e-6)
    assert res.dispersion.phi_ml == pytest.approx(1 / shape, rel=1e-6)
    assert res.llf == pytest.approx(llf, rel=1e-12)
    assert res.llf >= llf - 1e-9 * abs(llf)

    def loglik(theta):
        mu = INVERSE[link](X @ theta[:-1])
        nu = np.exp(theta[-1])
        return np.sum(stats.gamma.logpdf(y, a=nu, scale=mu / nu))

    assert_observed_information(res, sm_res, loglik, np.log(shape), np.sqrt(2 / len(y)))


# --- weights --------------------------------------------------------------------------------------
def test_var_weights_match_statsmodels_and_r(heart):
    v = 0.5 + (np.arange(len(heart)) % 4)     # R glm(weights = v): precision weights
    for link in ("log", "inverse"):
        res = mlefit.fit(HEART, heart, family=GAMMA, link=link, var_weights=v, convention="R")
        sm_res = sm_glm(HEART, heart, link, var_weights=v)
        assert_matches_glm(res, sm_res)
        y = sm_res.model.endog
        assert res.llf == pytest.approx(r_loglik(y, sm_res.mu, v), rel=1e-10)
        # ML: each row's shape is shape * v (phi / v); the profile maximum over shape
        ml = mlefit.fit(HEART, heart, family=GAMMA, link=link, var_weights=v)
        shape, llf = profile_shape(y, sm_res.mu, v=v)
        assert np.exp(ml.params[("shape", "Intercept")]) == pytest.approx(shape, rel=1e-6)
        assert ml.llf == pytest.approx(llf, rel=1e-12)


def test_frequency_weights_match_statsmodels_and_duplicated_rows(heart):
    w = 1 + (np.arange(len(heart)) % 3)
    res = mlefit.fit(HEART, heart, family=GAMMA, weights=w, convention="R")
    sm_res = sm_glm(HEART, heart, "log", freq_weights=w)
    assert_matches_glm(res, sm_res)
    assert res.nobs == w.sum()
    y = np.repeat(sm_res.model.endog, w)        # R's rule on the duplicated rows
    assert res.llf == pytest.approx(r_loglik(y, np.repeat(sm_res.mu, w), 1.0), rel=1e-10)


def test_var_weights_with_fixed_shape(heart):
    v = 0.5 + (np.arange(len(heart)) % 4)
    res = mlefit.fit(HEART, heart, family=GAMMA, var_weights=v, fixed={"shape": 50.0})
    # the mean coefficients do not depend on a common shape: the weighted GLM estimates
    np.testing.assert_allclose(res.params["mu"], sm_glm(HEART, heart, "log",
                                                        var_weights=v).params, rtol=1e-8)


def test_lrtest_against_exponential_is_plain_chi_square(heart):
    """Reduction("exponential", "shape", 1): shape = 1 is interior, so chi2(1), no mixture."""
    exponential = pytest.importorskip("mlefit_families.exponential")
    small = mlefit.fit(HEART, heart, family=exponential.Exponential())
    large = mlefit.fit(HEART, heart, family=GAMMA)
    sm_res = sm_glm(HEART, heart, "log")   # the mean MLE is the same for every fixed shape
    y = sm_res.model.endog
    llf0 = np.sum(stats.expon.logpdf(y, scale=sm_res.mu))
    _, llf1 = profile_shape(y, sm_res.mu)
    test = mlefit.lrtest(small, large)
    assert test.df == 1 and not test.boundary
    assert test.statistic == pytest.approx(2 * (llf1 - llf0), rel=1e-10)
    assert test.pvalue == pytest.approx(stats.chi2.sf(2 * (llf1 - llf0), 1), rel=1e-6, abs=1e-300)


def test_dispersion_offset_keeps_r_standard_errors(heart):
    """A constant offset on log(shape) is absorbed by its intercept: R's numbers unchanged."""
    res = mlefit.fit(HEART, heart, family=GAMMA, convention="R",
                     offsets={"shape": np.ones(len(heart))})
    sm_res = sm_glm(HEART, heart, "log")
    np.testing.assert_allclose(res.bse["mu"], sm_res.bse, rtol=1e-8)
    assert res.dispersion.phi_ml == pytest.approx(
        mlefit.fit(HEART, heart, family=GAMMA).dispersion.phi_ml, rel=1e-8)


# --- other checks -----------------------------------------------------------------------------
def test_simulate_and_recover():
    rng = np.random.default_rng(7)
    n = 4000
    x = rng.uniform(-1, 1, n)
    beta, shape = np.array([1.0, -0.6]), 3.0
    mu = np.exp(beta[0] + beta[1] * x)
    data = pd.DataFrame({"y": GAMMA.sample(rng, n, mu, np.full(n, shape)), "x": x})
    res = mlefit.fit("y ~ x", data, family=GAMMA)
    truth = np.r_[beta, np.log(shape)]
    assert np.all(np.abs(res.coef - truth) < 4 * res.bse.to_numpy())


def test_shape_formula_against_generic_optimizer(heart):
    """shape ~ sex: no dispersion split; compare with BFGS on a hand-written likelihood."""
    res = mlefit.fit(HEART, heart, family=GAMMA, shape="~ sex")
    y = heart["trestbps"].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), heart[["age", "sex"]].to_numpy(float)])
    Z = X[:, [0, 2]]

    def nll(b):
        mu, nu = np.exp(X @ b[:3]), np.exp(Z @ b[3:])
        return -np.sum(stats.gamma.logpdf(y, a=nu, scale=mu / nu))

    b0 = np.r_[np.log(y.mean()), 0.0, 0.0, 3.0, 0.0]
    opt = optimize.minimize(nll, b0, method="BFGS", options={"gtol": 1e-6, "maxiter": 10_000})
    assert res.llf >= -opt.fun - 1e-9 * abs(opt.fun)      # mlefit's maximum is not lower
    # BFGS (numeric gradient) stops at |gradient| < 1e-6: within ~1e-3 SE of the optimum
    assert np.all(np.abs(res.coef - opt.x) < 1e-2 * res.bse.to_numpy())
    assert list(res.params.index.get_level_values(0)) == ["mu"] * 3 + ["shape"] * 2


def test_errors_name_cause_and_fix(heart):
    bad = heart.assign(trestbps=heart["trestbps"] - 150)
    with pytest.raises(DataError, match="outside the support"):
        mlefit.fit(HEART, bad, family=GAMMA)
    with pytest.raises(DataError, match="not allowed for 'gamma'"):
        mlefit.fit(HEART, heart, family=GAMMA, link="logit")
    with pytest.raises(DataError, match="log link on 'shape'"):
        mlefit.fit(HEART, heart, family=GAMMA, var_weights=np.ones(len(heart)),
                   links={"shape": "identity"})
