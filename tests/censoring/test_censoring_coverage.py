"""Coverage of Wald and profile-likelihood intervals under 30% right censoring (slow).

Oracle: simulation. 300 data sets of n = 150 from a Weibull AFT model with exponential
censoring at a rate that censors 30% of the rows; the 95% intervals of the slope and of
log(shape) must cover the truth in a share of the replicates inside the binomial band
0.95 +- 3.5 sd (sd = sqrt(0.95 * 0.05 / 300) = 0.0126): [0.906, 0.994].
"""

import numpy as np
import pandas as pd
import pytest

import mlefit

REPS, N = 300, 150
BETA, SHAPE = (1.0, 0.5), 1.5


def _data(rng):
    x = rng.normal(size=N)
    t = np.exp(BETA[0] + BETA[1] * x) * rng.weibull(SHAPE, N)
    c = rng.exponential(7.0, N)       # about 30% censored at these values
    return pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "x": x})


@pytest.mark.slow
def test_wald_and_profile_coverage_under_censoring():
    rng = np.random.default_rng(2024)
    truth = {("mu", "x"): BETA[1], ("shape", "Intercept"): np.log(SHAPE)}
    hits = {(k, m): 0 for k in truth for m in ("wald", "profile")}
    censored = []
    for _ in range(REPS):
        df = _data(rng)
        censored.append(1 - df["event"].mean())
        res = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
        for method in ("wald", "profile"):
            ci = res.conf_int(method=method)
            for key, value in truth.items():
                lo, hi = ci.loc[key]
                hits[(key, method)] += int(lo <= value <= hi)
    assert 0.25 < np.mean(censored) < 0.35
    for key, count in hits.items():
        assert 0.906 <= count / REPS <= 0.994, (key, count / REPS)
