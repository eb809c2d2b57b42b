"""Memory of a fit: at most 3 float64 n-vectors beyond the inputs (issue 15, item 4).

tracemalloc counts every allocation numpy makes while ``fit_arrays`` runs (the inputs
exist before it starts). The kernel reads the design in row blocks, so nothing n-by-p is
allocated; what remains are n-vectors such as the start values' sums over ``y``, a
frozen parameter's linear predictor (the dispersion's 1-D fit), and the binomial's
two-column response. A result keeps none of them (fitted values and residuals are
computed on request). n = 4e5 makes the blocks' own temporaries (fixed in size) small
beside an n-vector.
"""

import tracemalloc

import numpy as np
import pytest

import mlefit

N, P = 400_000, 10


def _problem(family):
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(N), rng.normal(scale=0.3, size=(N, P - 1))])
    eta = X @ np.linspace(0.5, -0.5, P)
    y = {"gaussian": lambda: eta + rng.normal(size=N),
         "poisson": lambda: rng.poisson(np.exp(eta)).astype(float),
         "binomial": lambda: (rng.random(N) < 1 / (1 + np.exp(-eta))).astype(float),
         "gamma": lambda: rng.gamma(2.0, np.exp(eta) / 2.0),
         "inverse_gaussian": lambda: rng.wald(np.exp(eta), 2.0),
         "negative_binomial": lambda: rng.poisson(rng.gamma(2.0, np.exp(eta) / 2.0))
         .astype(float)}[family]()
    return y, X


@pytest.mark.parametrize("family", ["gaussian", "poisson", "binomial", "gamma",
                                    "inverse_gaussian", "negative_binomial"])
def test_a_fit_allocates_at_most_three_n_vectors(family):
    y, X = _problem(family)
    link = {"link": "log"} if family in ("gamma", "inverse_gaussian") else {}
    mlefit.fit_arrays(y[:2000], X[:2000], family, **link)   # first-use caches, not per fit
    tracemalloc.start()
    try:
        res = mlefit.fit_arrays(y, X, family, **link)
        assert np.all(np.isfinite(res.bse))
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    vector = 8 * N
    assert peak <= 3 * vector, f"peak {peak / vector:.2f} n-vectors"
    two_columns = 2 * vector if family == "binomial" else 0   # its response, as logpdf takes it
    assert kept <= two_columns + 0.25 * vector, f"kept {kept / vector:.2f} n-vectors"
