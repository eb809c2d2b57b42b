"""Quantile and Cox-Snell residuals of censored and truncated fits.

Oracles: distribution theory checked by simulation. For data drawn from the fitted model
the randomized quantile residuals (censored rows uniform on [F(lo), F(hi)]; truncated
rows on the truncated scale) are standard normal (Kolmogorov-Smirnov), and the
Cox-Snell residuals with the event indicator are a right-censored unit-exponential sample
(their Kaplan-Meier curve, by lifelines, follows exp(-r)).
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlefit
from mlefit.errors import DataError


def _weibull(n=3000, seed=6):
    """Weibull AFT times (shape 1.3), right-censored by uniform dropout times."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=n)})
    latent = stats.weibull_min.rvs(1.3, scale=np.exp(0.5 + 0.5 * df["x"]), random_state=rng)
    dropout = rng.uniform(0.0, 6.0, n)
    df["time"], df["event"] = np.fmin(latent, dropout), (latent <= dropout).astype(int)
    return df


def test_quantile_residuals_of_right_censored_data_are_normal():
    df = _weibull()
    res = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    r = res.resid("quantile", seed=1)
    assert r.notna().all()
    # KS at the 0.1% level with n = 3000: a residual that ignored censoring (Phi^-1 F(t)
    # at the censoring time) fails by far (checked just below)
    assert stats.kstest(r, "norm").pvalue > 1e-3
    cens = df["event"] == 0
    assert stats.kstest(r[~cens], "norm").pvalue < 1e-3   # exact rows alone are not


def test_cox_snell_residuals_follow_the_unit_exponential():
    lifelines = pytest.importorskip("lifelines")
    df = _weibull()
    res = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    r = res.resid("cox-snell")
    km = lifelines.KaplanMeierFitter().fit(r, df["event"])
    grid = np.linspace(0.05, 2.0, 40)
    # the KM curve's standard error near S = 0.2 at n = 3000 is about 0.01
    assert np.max(np.abs(km.survival_function_at_times(grid).to_numpy() - np.exp(-grid))) < 0.04


def test_quantile_residuals_of_a_truncated_fit_are_normal():
    rng = np.random.default_rng(2)
    x = rng.normal(size=6000)
    y = 0.5 + x + rng.normal(size=6000)
    keep = y > 0.8
    res = mlefit.fit("y ~ x", pd.DataFrame({"y": y[keep], "x": x[keep]}),
                     truncation=(0.8, None))
    r = res.resid("quantile", seed=3)
    assert stats.kstest(r, "norm").pvalue > 1e-3


def test_discrete_cox_snell_refused():
    df = pd.DataFrame({"y": [1, 2, 3, 1, 5, 2], "x": np.arange(6.0)})
    res = mlefit.fit("y ~ x", df, family="poisson", truncation=(1, None))
    with pytest.raises(DataError, match="continuous"):
        res.resid("cox-snell")
    assert res.resid("quantile", seed=0).notna().all()
