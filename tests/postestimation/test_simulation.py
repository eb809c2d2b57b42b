"""Simulate from known parameters, fit, and check recovery and Wald coverage.

The oracle is the data-generating process itself.
"""

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit.inference.resampling import inside_open_ends

TRUE = {"mu": np.array([1.0, -0.5, 2.0]), "sigma": np.array([0.2, 0.4])}


def simulate(n, rng):
    x1, x2 = rng.normal(size=n), rng.uniform(-1, 1, size=n)
    mu = TRUE["mu"] @ np.vstack([np.ones(n), x1, x2])
    sigma = np.exp(TRUE["sigma"] @ np.vstack([np.ones(n), x2]))
    return pd.DataFrame({"x1": x1, "x2": x2, "y": rng.normal(mu, sigma)})


def fit(data, **kw):
    return mlefit.fit("y ~ x1 + x2", data, "gaussian", sigma="~ x2", **kw)


def true_vector():
    return np.concatenate([TRUE["mu"], TRUE["sigma"]])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_recovery_within_four_standard_errors(seed):
    res = fit(simulate(2000, np.random.default_rng(seed)))
    z = (res.coef - true_vector()) / res.bse.to_numpy()
    assert np.all(np.abs(z) < 4), z


@pytest.mark.slow
def test_wald_coverage_of_distributional_gaussian():
    """95% intervals cover the truth in 95% of 400 fits (binomial SE 1.1%: allow 3 SE)."""
    rng = np.random.default_rng(2024)
    hits = np.zeros(5)
    reps = 400
    for _ in range(reps):
        ci = fit(simulate(300, rng)).conf_int()
        hits += (ci["lower"].to_numpy() <= true_vector()) & (true_vector() <= ci["upper"])
    coverage = hits / reps
    half = 3 * np.sqrt(0.95 * 0.05 / reps)
    assert np.all(np.abs(coverage - 0.95) < half), coverage


def test_draws_on_an_open_end_of_the_support_are_moved_inside():
    """Gamma with shape 1e-3: about half the draws underflow to 0, outside (0, inf); the
    simulated responses are moved to the smallest positive double and can be refitted.
    Beta draws of 0 and 1 move inside (0, 1) the same way."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=300)
    fam = mlefit.get_family("gamma")[0]
    y = fam.sample(rng, 300, np.exp(0.2 * x), np.full(300, 0.3))
    res = mlefit.fit("y ~ x", pd.DataFrame({"y": y, "x": x}), "gamma", fixed={"shape": 1e-3})
    raw = fam.sample(np.random.default_rng(1), 300, np.ones(300), np.full(300, 1e-3))
    assert np.mean(raw == 0) > 0.2            # what the family's sampler gives
    sims = res.simulate(3, seed=1)
    assert np.all(sims > 0) and np.mean(sims == np.nextafter(0.0, 1.0)) > 0.2
    beta = mlefit.get_family("beta")[0]
    np.testing.assert_array_equal(inside_open_ends(beta.support, np.array([0.0, 0.5, 1.0])),
                                  [np.nextafter(0, 1), 0.5, np.nextafter(1, 0)])
