"""Post-estimation across families: intervals against statsmodels, quantile residuals that
are standard normal under the true model, and a logpdf-only family with cdf and sample
going through every feature."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats

import mlefit
from mlefit import Family, Parameter
from mlefit.domains import Positive


def poisson_data(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "t": rng.uniform(1, 3, size=n),
                         "y": rng.poisson(np.exp(0.3 + 0.5 * x))})


def test_poisson_intervals_match_statsmodels_get_prediction():
    data = poisson_data()
    res = mlefit.fit("y ~ x", data, "poisson", exposure="t")
    glm = sm.GLM(data["y"], sm.add_constant(data["x"]), family=sm.families.Poisson(),
                 exposure=data["t"]).fit(tol=1e-13)
    new = data.iloc[:5]
    ours = res.predict(new, interval="confidence")
    theirs = glm.get_prediction(sm.add_constant(data["x"]).iloc[:5],
                                exposure=new["t"]).summary_frame()
    np.testing.assert_allclose(ours["estimate"], theirs["mean"], rtol=1e-8)
    # statsmodels' IRLS covariance is the expected information, which equals the observed
    # one for the canonical log link
    np.testing.assert_allclose(ours["se"], theirs["mean_se"], rtol=1e-6)
    np.testing.assert_allclose(ours["lower"], theirs["mean_ci_lower"], rtol=1e-6)
    np.testing.assert_allclose(ours["upper"], theirs["mean_ci_upper"], rtol=1e-6)


def test_predict_refuses_exposure_that_fit_refuses():
    data = poisson_data()
    res = mlefit.fit("y ~ x", data, "poisson", exposure="t")
    with pytest.raises(mlefit.DataError, match=r"exposure column 't' of newdata is <= 0 in 2"):
        res.predict(data.iloc[:3].assign(t=[0.0, -1.0, 2.0]))
    missing = res.predict(data.iloc[:2].assign(t=[np.nan, 2.0]))     # NaN stays NaN
    assert np.isnan(missing.iloc[0]) and np.isfinite(missing.iloc[1])


def test_deviance_residuals_match_statsmodels_for_poisson_and_gamma(heart):
    data = poisson_data()
    res = mlefit.fit("y ~ x", data, "poisson")
    glm = sm.GLM(data["y"], sm.add_constant(data["x"]), family=sm.families.Poisson()).fit(
        tol=1e-13)
    np.testing.assert_allclose(res.resid("deviance"), glm.resid_deviance, rtol=1e-7,
                               atol=1e-10)
    g = mlefit.fit("trestbps ~ age + sex", heart, "gamma", link="log")
    gg = sm.GLM(heart["trestbps"], sm.add_constant(heart[["age", "sex"]]),
                family=sm.families.Gamma(sm.families.links.Log())).fit(tol=1e-13)
    np.testing.assert_allclose(g.resid("deviance"), gg.resid_deviance, rtol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("family, simulate", [
    ("poisson", lambda rng, mu: rng.poisson(mu)),
    ("gamma", lambda rng, mu: rng.gamma(3.0, mu / 3.0)),
    ("negative_binomial", lambda rng, mu: rng.poisson(rng.gamma(2.0, mu / 2.0))),
])
def test_quantile_residuals_are_standard_normal_under_the_true_model(family, simulate):
    """Kolmogorov-Smirnov of the randomized quantile residuals of a correctly specified
    fit against N(0, 1) (n = 3000; estimation makes the test slightly conservative)."""
    rng = np.random.default_rng(42)
    n = 3000
    x = rng.normal(size=n)
    data = pd.DataFrame({"x": x, "y": simulate(rng, np.exp(0.5 + 0.4 * x))})
    res = mlefit.fit("y ~ x", data, family)
    q = res.resid("quantile", seed=1)
    assert stats.kstest(q, "norm").pvalue > 0.01


class Rayleighish(Family):
    """A Weibull with shape 2 written by a newcomer: logpdf, cdf and sample only."""

    name = "rayleighish"
    support = Positive()
    parameters = (Parameter("scale", Positive()),)

    def logpdf(self, y, scale):
        return np.log(2.0) + np.log(y) - 2 * np.log(scale) - (y / scale) ** 2

    def cdf(self, y, scale):
        return -np.expm1(-((y / scale) ** 2))

    def sample(self, rng, size, scale):
        return scale * np.sqrt(rng.exponential(size=size))


def test_logpdf_only_family_with_cdf_and_sample_gets_everything():
    matplotlib = pytest.importorskip("matplotlib")   # its plots are part of "everything"

    matplotlib.use("Agg")
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=500)
    data = pd.DataFrame({"x": x, "y": np.exp(0.2 + 0.6 * x) * np.sqrt(rng.exponential(
        size=500))})
    fam = Rayleighish()
    res = mlefit.fit("y ~ x", data, fam)
    assert res.diagnostics.derivatives == "numeric" and res.converged
    pred = res.predict(data.iloc[:3], which="scale", interval="confidence")
    X = np.column_stack([np.ones(3), data["x"].iloc[:3]])
    se = np.sqrt(np.einsum("ij,jk,ik->i", X, res.cov, X))
    eta = X @ res.coef
    np.testing.assert_allclose(pred["lower"], np.exp(eta - stats.norm.ppf(0.975) * se))
    q = res.resid("quantile")
    # the cdf at the fitted scale, transformed: closed form
    scale = np.exp(res.coef[0] + res.coef[1] * x)
    np.testing.assert_allclose(q, stats.norm.ppf(-np.expm1(-(data["y"] / scale) ** 2)),
                               rtol=1e-10)
    sims = res.simulate(200, seed=3)
    assert sims.shape == (500, 200)
    # E[y] = scale sqrt(pi) / 2 for shape 2
    np.testing.assert_allclose(sims.mean(axis=1).mean(), (scale * np.sqrt(np.pi) / 2).mean(),
                               rtol=0.02)
    small = mlefit.fit("y ~ 1", data, fam)
    test = mlefit.lrtest(small, res, bootstrap=30, seed=1, progress=False)
    assert test.bootstrap.failed == 0 and test.pvalue < 1e-6
    fig = res.plot_diagnostics(nsim=5, seed=1)
    assert len(fig.axes) == 4
    with pytest.raises(mlefit.DataError, match="defines no mean"):
        res.predict()
    with pytest.raises(mlefit.DataError, match="unit_deviance"):
        res.resid("deviance")
