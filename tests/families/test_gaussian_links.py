"""The Gaussian family with its non-identity links (log, inverse) against R and statsmodels.

Data: ``tests/data/gaussian_log.csv`` and ``gaussian_inverse.csv`` are the
generated data of statsmodels' ``TestGaussianLog`` / ``TestGaussianInverse``
(``statsmodels/genmod/tests/test_glm.py``: x = 0..99, design 1, x, x^2, so the model is
``y ~ x + I(x**2)``). R's results for them are classes ``GaussianLog`` and
``GaussianInverse`` of ``statsmodels/genmod/tests/results/results_glm.py`` (R
``glm(y ~ x + I(x^2), family = gaussian(link = "log" / "inverse"))``).

Oracles and tolerances
----------------------
* R (printed to 9 significant digits, or 8 decimals for GaussianInverse's coefficients):
  coefficients and SEs to that rounding (rtol 1e-8, atol 5e-9); deviance, logLik and AIC
  to 1e-9 (R's IRLS stopping rule, see ``test_gamma.py``; observed ~1e-14).
* Two published numbers are not what R's glm computes from the others, and the test says
  why: GaussianLog's null deviance is ``sum((y - 1)^2)``, R's null deviance of a model
  *without* intercept (``wtdmu = linkinv(0) = 1``: the Rpy wrapper passed the constant as
  an ordinary column), where the model has one (``sum((y - mean(y))^2)``, which mlefit
  and statsmodels give); the published scales differ from ``deviance / df_resid`` by
  1.1e-9 and 2.6e-9 (checked below), so the scale is compared at 1e-8.
* statsmodels GLM (IRLS to a deviance change below 1e-12): coefficients and SEs at 1e-8,
  deviance-type sums at 1e-10. statsmodels' ``llf`` for a Gaussian with a non-identity
  link is evaluated at the Pearson scale (RSS / (n - p)), not at the ML ``RSS / n`` that
  R's ``logLik`` uses, so it is 4e-5 away: the logLik oracle is R and the closed form
  ``-n/2 (log(2 pi RSS / n) + 1)``.
* ML convention: the observed-information SEs against a Richardson-extrapolated
  central-difference Hessian of a hand-written ``scipy.stats.norm`` likelihood (steps 3e-3
  SE, error ~1e-7): rtol 1e-5.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats
from test_gamma import assert_matches_glm, assert_observed_information

import mlefit

FORMULA = "y ~ x + I(x**2)"
LINKS = {"log": (sm.families.links.Log, np.exp),
         "inverse": (sm.families.links.InversePower, lambda e: 1.0 / e)}

# statsmodels/genmod/tests/results/results_glm.py, classes GaussianLog and GaussianInverse
R_RESULTS = {
    "log": {
        "file": "gaussian_log.csv",
        "params": [9.99964386e-01, -1.99896965e-02, -1.00027232e-04],
        "bse": [1.42119293e-04, 1.20276468e-05, 1.87347682e-07],
        "deviance": 8.68876986288542e-05, "null_deviance": 56.691617808182208,
        "aic": -1103.8187213072656, "llf": 555.9093606536328,
        "scale": 8.9574946938163984e-07, "df_resid": 97,
    },
    "inverse": {
        "file": "gaussian_inverse.csv",
        "params": [1.00045997, 0.01991666, 0.00100126],
        "bse": [4.55214070e-04, 7.00529313e-05, 1.84478509e-06],
        "deviance": 7.1612915365488368e-05, "null_deviance": 6.8088354977561,
        "aic": -1123.1528237643774, "llf": 565.57641188218872,
        "scale": 7.3827747608449547e-07, "df_resid": 97,
    },
}


@pytest.fixture(params=list(LINKS))
def link(request):
    return request.param


@pytest.fixture
def data(link, data_dir):
    return pd.read_csv(data_dir / R_RESULTS[link]["file"])


def sm_glm(data, link):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = smf.glm(FORMULA, data, family=sm.families.Gaussian(LINKS[link][0]())).fit(
            tol=1e-12, use_t=True)
    assert res.converged
    return res


def test_reproduces_r(data, link):
    res = mlefit.fit(FORMULA, data, family="gaussian", link=link, convention="R")
    ref = R_RESULTS[link]
    y = data["y"].to_numpy()
    assert res.converged and list(res.params["mu"].index) == ["Intercept", "x", "I(x ** 2)"]
    np.testing.assert_allclose(res.params["mu"], ref["params"], rtol=1e-8, atol=5e-9)
    np.testing.assert_allclose(res.bse["mu"], ref["bse"], rtol=1e-8)
    assert res.deviance == pytest.approx(ref["deviance"], rel=1e-9)
    assert res.llf == pytest.approx(ref["llf"], rel=1e-9)
    assert res.aic == pytest.approx(ref["aic"], rel=1e-9)
    assert res.df_resid == ref["df_resid"] and res.t_tests
    rss = res.deviance
    assert res.llf == pytest.approx(-len(y) / 2 * (np.log(2 * np.pi * rss / len(y)) + 1),
                                    rel=1e-13)
    # the published scale is not deviance / df_resid to better than ~3e-9 (see docstring)
    assert abs(ref["deviance"] / ref["df_resid"] / ref["scale"] - 1) > 1e-9
    assert res.dispersion.phi_pearson == pytest.approx(rss / 97, rel=1e-14)
    assert res.dispersion.phi_pearson == pytest.approx(ref["scale"], rel=1e-8)
    assert np.exp(res.params[("sigma", "Intercept")]) ** 2 == pytest.approx(rss / 97, rel=1e-12)
    assert res.null_deviance == pytest.approx(np.sum((y - y.mean()) ** 2), rel=1e-12)
    if link == "inverse":
        assert res.null_deviance == pytest.approx(ref["null_deviance"], rel=1e-12)
    else:  # R's value is the no-intercept null deviance (mu = exp(0) = 1): see docstring
        assert ref["null_deviance"] == pytest.approx(np.sum((y - 1) ** 2), rel=1e-14)
    assert f"mu (link: {link})" in res.summary()


def test_matches_statsmodels(data, link):
    res = mlefit.fit(FORMULA, data, family="gaussian", link=link, convention="R")
    sm_res = sm_glm(data, link)
    assert_matches_glm(res, sm_res)
    # statsmodels evaluates this llf at the Pearson scale, not the ML one (see docstring)
    n = sm_res.nobs
    at_pearson = np.sum(stats.norm.logpdf(sm_res.model.endog, sm_res.mu,
                                          np.sqrt(sm_res.scale)))
    assert sm_res.llf == pytest.approx(at_pearson, rel=1e-12)
    assert res.llf - sm_res.llf == pytest.approx(n / 2 * (np.log(n / (n - 3)) - 3 / n),
                                                 rel=1e-6)


def test_maximum_likelihood_observed_information(data, link):
    res = mlefit.fit(FORMULA, data, family="gaussian", link=link)
    sm_res = sm_glm(data, link)
    y, X = sm_res.model.endog, sm_res.model.exog
    np.testing.assert_allclose(res.params["mu"], sm_res.params, rtol=1e-8)
    sigma = np.sqrt(sm_res.deviance / len(y))
    assert np.exp(res.params[("sigma", "Intercept")]) == pytest.approx(sigma, rel=1e-10)
    assert res.dispersion.phi_ml == pytest.approx(sigma**2, rel=1e-10)

    def loglik(theta):
        return np.sum(stats.norm.logpdf(y, LINKS[link][1](X @ theta[:-1]), np.exp(theta[-1])))

    assert_observed_information(res, sm_res, loglik, np.log(sigma), np.sqrt(0.5 / len(y)))
