"""How often a fit reads the design: one kernel pass per Newton iteration (issue 15).

The kernel (:func:`mlefit.engine.kernel.accumulate`) is wrapped to count the passes that
read the mean's design. The counts are exact properties of the algorithm, not timings:

* a Gaussian with identity link: the least-squares solve from the start values (pass 1),
  its check at the solution (pass 2), the refining step (pass 3), then sigma by 1-D ML on
  the mean's linear predictors held as an offset (no design read: the mean's ``X beta``
  once, by a matrix-vector product). The joint score and information at (beta, sigma),
  the covariance's, are assembled from the last two passes (the mean's scale as 1/phi;
  the cross block is proportional to the mean's score, zero there): no fourth pass;
* a Poisson: one pass per Newton iteration (the start, each accepted step, the refining
  step); the covariance, Pearson's X2 and the boundary diagnosis reuse the last one.
"""

import numpy as np
import pytest

import mlefit
from mlefit.engine import kernel


@pytest.fixture
def passes(monkeypatch):
    """Count the passes over the rows that read a design of more than one column."""
    seen = {"blocks": 0, "rows": 0}
    original = kernel.accumulate

    def counting(model, chunk, beta, want):
        if chunk.designs and chunk.designs[0].shape[1] > 1:
            seen["rows"] += chunk.n
        return original(model, chunk, beta, want)

    monkeypatch.setattr(kernel, "accumulate", counting)
    return seen


def _data(n=20000, p=6, seed=5):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(scale=0.5, size=(n, p - 1))])
    return X, X @ np.linspace(0.4, -0.3, p), rng


def test_a_gaussian_reads_the_design_three_times(passes):
    X, eta, rng = _data()
    res = mlefit.fit_arrays(eta + rng.normal(size=X.shape[0]), X, "gaussian")
    assert res.converged
    assert passes["rows"] == 3 * X.shape[0]


def test_a_gamma_reads_the_design_only_in_its_mean_iterations(passes):
    """Newton's passes of the mean (start, steps, refinement) and none after them: the
    shape's 1-D fit reads no design and the joint pass is assembled. Its iteration count
    is the mean's plus the shape's, so the design passes are at most that."""
    X, eta, rng = _data()
    res = mlefit.fit_arrays(rng.gamma(2.0, np.exp(eta) / 2.0), X, "gamma", link="log")
    assert res.converged
    assert passes["rows"] % X.shape[0] == 0
    assert 3 <= passes["rows"] // X.shape[0] <= res.diagnostics.iterations


def test_a_poisson_reads_the_design_once_per_iteration(passes):
    X, eta, rng = _data()
    res = mlefit.fit_arrays(rng.poisson(np.exp(eta)).astype(float), X, "poisson")
    assert res.converged
    # iterations counts the passes of the Newton loop: the start and each step taken,
    # the refining one included
    assert passes["rows"] == (res.diagnostics.iterations + 1) * X.shape[0]
