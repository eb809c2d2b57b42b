"""Simulation and the parametric bootstrap of censored fits.

Oracles: lifelines' KaplanMeierFitter (the product-limit estimate), the fitted censoring
itself (fixed limits are reproduced exactly), and simulation (the censored fraction of
simulated data matches the observed one; bootstrap p-values of a true null are not small).
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit.errors import DataError
from mlefit.inference.censored_draws import kaplan_meier


def test_kaplan_meier_matches_lifelines():
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(2)
    t = np.round(rng.exponential(5.0, 200), 1)       # ties on purpose
    e = rng.random(200) < 0.7
    w = rng.integers(1, 4, 200).astype(float)
    times, surv = kaplan_meier(t, e, w)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        km = lifelines.KaplanMeierFitter().fit(t, e, weights=w)
    ref = km.survival_function_at_times(times).to_numpy()
    np.testing.assert_allclose(surv, ref, rtol=1e-12)


def _right_censored(seed=3, n=400):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = np.exp(1.0 + 0.4 * x) * rng.weibull(1.5, n)
    c = rng.exponential(6.0, n)
    return pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "x": x})


def test_simulate_right_censored_keeps_the_censored_fraction():
    df = _right_censored()
    res = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    sims = res.simulate(200, seed=1)
    assert sims.shape == (len(df), 200)
    # a censored row is never observed beyond its censoring time
    cens = df["event"].to_numpy() == 0
    assert np.all(sims[cens] <= df["time"].to_numpy()[cens, None])
    # refits of simulated data: the share censored is that of the data (binomial sd at
    # n = 400, 200 simulations: 0.023 / sqrt(200); 5 sd)
    from mlefit.inference.censored_draws import censored_draw
    rng = np.random.default_rng(5)
    shares = [np.mean(censored_draw(res, rng)[1].kinds != 0) for _ in range(200)]
    assert abs(np.mean(shares) - cens.mean()) < 5 * 0.023 / np.sqrt(200)


def test_simulate_fixed_limits_and_truncation():
    rng = np.random.default_rng(4)
    x = rng.normal(size=300)
    y = np.clip(0.5 + x + rng.normal(size=300), 0.0, 2.0)
    tob = mlefit.fit("y ~ x", pd.DataFrame({"y": y, "x": x}), censoring=(0, 2))
    sims = tob.simulate(50, seed=2)
    assert sims.min() == 0.0 and sims.max() == 2.0
    assert 0.1 < np.mean(sims == 0.0) < 0.5
    pos = y > 0
    trunc = mlefit.fit("y ~ x", pd.DataFrame({"y": y[pos], "x": x[pos]}),
                       truncation=(0, None))
    assert np.all(trunc.simulate(20, seed=3) > 0)


def test_left_censored_simulation_is_refused():
    df = _right_censored()
    res = mlefit.fit("Surv(time, event, type='left') ~ x", df, family="weibull")
    with pytest.raises(DataError, match="inspected"):
        res.simulate(1, seed=0)


def test_bootstrap_lrt_on_censored_data():
    df = _right_censored(n=200)
    df["z"] = np.random.default_rng(9).normal(size=len(df))     # unrelated: H0 true
    small = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    large = mlefit.fit("Surv(time, event) ~ x + z", df, family="weibull")
    lr = mlefit.lrtest(small, large, bootstrap=19, seed=1)
    boot = lr.bootstrap
    assert boot.failed == 0 and boot.replicates.size == 19
    assert np.all(boot.replicates >= -1e-8)
    # under H0 the statistic's replicates are chi-square(1)-like: their median about 0.45
    assert 0.01 < np.median(boot.replicates) < 3.0
