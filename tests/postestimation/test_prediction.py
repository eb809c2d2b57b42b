"""Predictions with intervals, residuals and simulation, against statsmodels and closed
forms (Gaussian; the other families test theirs in tests/families)."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import stats

import mlefit
from mlefit import DataError
from mlefit.inference.resampling import refit
from mlefit.postestimation.prediction import predict
from mlefit.postestimation.residuals import residuals
from mlefit.postestimation.simulation import simulate

FORMULA = "thalach ~ age + exang + oldpeak"
LOG_GAUSSIAN = sm.families.Gaussian(sm.families.links.Log())


@pytest.fixture(scope="module")
def new(heart):
    return heart.iloc[[0, 7, 42, 100]]


def test_mean_interval_matches_statsmodels_get_prediction(heart, new):
    res = mlefit.fit(FORMULA, heart, "gaussian", link="log", convention="R")
    glm = smf.glm(FORMULA, heart, family=LOG_GAUSSIAN).fit(tol=1e-13)
    ours = predict(res, new, interval="confidence")
    theirs = glm.get_prediction(new).summary_frame(alpha=0.05)
    np.testing.assert_allclose(ours["estimate"], theirs["mean"], rtol=1e-7)
    np.testing.assert_allclose(ours["se"], theirs["mean_se"], rtol=1e-5)
    # statsmodels' interval uses normal quantiles; convention="R" takes t on df_resid for
    # the gaussian (as R's t tests): rebuild it from statsmodels' linear-predictor SE
    lin = glm.get_prediction(new, which="linear").summary_frame()
    t = stats.t(res.df_resid).ppf(0.975)
    np.testing.assert_allclose(ours["lower"], np.exp(lin["predicted"] - t * lin["se"]),
                               rtol=1e-6)
    np.testing.assert_allclose(ours["upper"], np.exp(lin["predicted"] + t * lin["se"]),
                               rtol=1e-6)
    assert (ours["lower"] < ours["estimate"]).all() and (ours["estimate"] < ours["upper"]).all()


def test_link_and_parameter_intervals_are_closed_form(heart, new):
    res = mlefit.fit(FORMULA, heart, "gaussian", sigma="~ age")
    X = np.column_stack([np.ones(4), new["age"], new["exang"], new["oldpeak"]])
    C = res.cov_params().loc["mu", "mu"].to_numpy()
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, C, X))
    link = predict(res, new, which="link", interval="confidence")
    np.testing.assert_allclose(link["se"], se, rtol=1e-12)
    np.testing.assert_allclose(link["upper"] - link["estimate"], stats.norm.ppf(0.975) * se,
                               rtol=1e-12)
    sig = predict(res, new, which="sigma", interval="confidence")
    Z = np.column_stack([np.ones(4), new["age"]])
    Cs = res.cov_params().loc["sigma", "sigma"].to_numpy()
    eta = Z @ res.params["sigma"].to_numpy()
    half = stats.norm.ppf(0.975) * np.sqrt(np.einsum("ij,jk,ik->i", Z, Cs, Z))
    np.testing.assert_allclose(sig["lower"], np.exp(eta - half), rtol=1e-12)
    np.testing.assert_allclose(sig["upper"], np.exp(eta + half), rtol=1e-12)


def test_residuals_match_statsmodels(heart):
    res = mlefit.fit(FORMULA, heart, "gaussian", link="log")
    glm = smf.glm(FORMULA, heart, family=LOG_GAUSSIAN).fit(tol=1e-13)
    np.testing.assert_allclose(residuals(res, "deviance"), glm.resid_deviance, rtol=1e-6)
    np.testing.assert_allclose(residuals(res, "pearson"), glm.resid_pearson, rtol=1e-6)
    np.testing.assert_allclose(residuals(res, "response"), glm.resid_response, rtol=1e-6)


def test_quantile_residuals_of_the_gaussian_are_standardised(heart):
    res = mlefit.fit(FORMULA, heart, "gaussian", sigma="~ age")
    mu, sigma = res.predict(which="mu"), res.predict(which="sigma")
    np.testing.assert_allclose(residuals(res, "quantile"), (heart["thalach"] - mu) / sigma,
                               rtol=1e-9, atol=1e-12)


def test_simulate_and_refit(heart):
    res = mlefit.fit(FORMULA, heart, "gaussian")
    draws = simulate(res, 2000, seed=1)
    assert draws.shape == (303, 2000)
    np.testing.assert_allclose(draws.mean(axis=1), res.fittedvalues, atol=5 * 19.03 / 40)
    assert np.all(simulate(res, 3, seed=7) == simulate(res, 3, seed=7))
    again = refit(res, heart["thalach"].to_numpy(float))
    np.testing.assert_allclose(again.beta[:4], res.coef[:4], rtol=1e-10)
    boot = refit(res, draws[:, 0])
    assert boot.converged and np.isfinite(boot.llf)


def test_bad_requests(heart):
    res = mlefit.fit(FORMULA, heart, "gaussian")
    # interval="prediction" exists now (tests/postestimation/test_predictive.py)
    with pytest.raises(DataError, match="interval='credible'"):
        predict(res, interval="credible")
    with pytest.raises(DataError, match="kind='studentized'"):
        residuals(res, "studentized")
    with pytest.raises(DataError, match="positive integer"):
        simulate(res, 0)
    with pytest.raises(DataError, match="DataFrame"):
        predict(res, np.ones((2, 3)))
    frame = predict(res, pd.DataFrame({"age": [50.0], "exang": [0], "oldpeak": [1.0]}),
                    interval="confidence")
    assert list(frame.columns) == ["estimate", "se", "lower", "upper"]


@pytest.mark.parametrize("alpha", [1.5, 0, -0.1, np.nan, "0.05x"])
def test_wald_interval_alpha_must_lie_in_the_unit_interval(heart, new, alpha):
    res = mlefit.fit(FORMULA, heart, "gaussian")
    with pytest.raises(DataError, match=r"must lie in \(0, 1\)"):
        res.conf_int(alpha=alpha)
    with pytest.raises(DataError, match=r"must lie in \(0, 1\)"):
        res.predict(new, interval="confidence", alpha=alpha)


def test_bad_seeds_are_refused(heart):
    res = mlefit.fit("num ~ age", heart, "poisson")      # discrete: quantile residuals draw
    for seed in ("abc", -1, 1.5):
        with pytest.raises(DataError, match="is not a random seed"):
            res.resid("quantile", seed=seed)
        with pytest.raises(DataError, match="is not a random seed"):
            res.simulate(2, seed=seed)
    generator = np.random.default_rng(5)
    assert res.simulate(2, seed=generator).shape == (res._context.objective.n, 2)
