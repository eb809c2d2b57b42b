"""Exact quantiles over partitions (mlefit.partition_quantiles): the selection by passes.

Oracle: numpy.quantile / numpy.nanpercentile of the concatenated column (numpy's default
linear rule, which formulaic's spline knots use), compared for exact equality: the
selection finds the exact order statistics and interpolates with numpy's own arithmetic,
so no tolerance is needed (or allowed).
"""

import numpy as np
import pytest

from mlefit import partition_quantiles as pq

dask = pytest.importorskip("dask")


def _columns(rng, kind: str, n: int) -> np.ndarray:
    return {"normal": lambda: rng.normal(size=n),
            "ties": lambda: rng.integers(0, 5, size=n).astype(float),
            "rounded": lambda: np.round(rng.normal(size=n), 2),
            "skewed": lambda: np.sort(rng.exponential(size=n)) ** 3,   # sorted, one tail
            "tiny": lambda: np.concatenate([np.zeros(n), rng.normal(size=5) * 1e-300]),
            "cauchy": lambda: rng.standard_cauchy(size=n) * 1e10}[kind]()


def _split(rng, x: np.ndarray) -> list:
    """Partitions of random sizes, some empty (repeated cut points)."""
    cuts = np.sort(rng.integers(0, len(x), size=int(rng.integers(0, 7))))
    return [dask.delayed(p) for p in np.split(x, np.sort(np.concatenate([cuts, cuts[:1]])))]


#: "rounded" holds -0.0 and 0.0: under pandas 2.2 (the lowest declared version) dask's
#: drop_duplicates hashed them apart and the distinct count was one too many (CI's
#: lowest-versions run; partition_quantiles now reads -0.0 as 0.0)
@pytest.mark.parametrize("kind", ["normal", "ties", "rounded", "skewed", "tiny", "cauchy"])
@pytest.mark.parametrize("gather", [3, 100, pq.GATHER])
def test_quantiles_equal_numpy_exactly(kind, gather, monkeypatch):
    monkeypatch.setattr(pq, "GATHER", gather)     # small: bins histogrammed again
    rng = np.random.default_rng(len(kind) * 7 + gather)
    for _ in range(4):
        x = _columns(rng, kind, int(rng.integers(1, 2500)))
        values = _split(rng, x)
        k = int(rng.integers(0, 9))
        q = np.linspace(0, 1, k + 2)[1:-1]
        got, n, _ = pq.quantiles(values, None, q, dask)
        assert n == x.size and np.array_equal(got, np.quantile(x, q))
        pct = np.linspace(0, 100, k + 2)[1:-1]        # cubic splines: distinct values
        got, n, _ = pq.quantiles(values, None, np.true_divide(pct.tolist(), 100), dask,
                                 distinct=True)
        assert n == np.unique(x).size
        assert np.array_equal(got, np.asarray(np.nanpercentile(np.unique(x), pct.tolist())))
        lo, hi = np.quantile(x, [0.2, 0.9])
        got, n, _ = pq.quantiles(values, None, q, dask, within=(lo, hi))
        inside = x[(x >= lo) & (x <= hi)]
        assert n == inside.size and np.array_equal(got, np.quantile(inside, q))


def test_a_column_of_a_two_dimensional_partition_and_the_ends():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(1000, 3))
    values = [dask.delayed(x[:400]), dask.delayed(x[400:])]
    q = np.array([0.0, 1e-9, 0.25, 0.5, 0.999999, 1.0])
    got, _, _ = pq.quantiles(values, 1, q, dask)
    assert np.array_equal(got, np.quantile(x[:, 1], q))
    one, n, _ = pq.quantiles([dask.delayed(np.array([2.5]))], None, q, dask)
    assert n == 1 and np.all(one == 2.5)
    none, n, _ = pq.quantiles([dask.delayed(np.empty(0))], None, q, dask)
    assert n == 0 and np.all(np.isnan(none))


def test_passes():
    """Continuous data: count/min/max, one histogram, one gather (3 passes; 2 when the
    caller knows the count and range). All-equal values: the histogram's bin has
    min == max, no gather. Distinct values: one more pass (drop_duplicates)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=20000)
    values = [dask.delayed(p) for p in np.array_split(x, 7)]
    q = np.linspace(0, 1, 6)[1:-1]
    assert pq.quantiles(values, None, q, dask)[2] == 3
    assert pq.quantiles(values, None, q, dask, stats=(x.size, x.min(), x.max()))[2] == 2
    assert pq.quantiles(values, None, q, dask, distinct=True)[2] == 4
    same = [dask.delayed(np.full(100, 1.5)) for _ in range(3)]
    got, _, passes = pq.quantiles(same, None, q, dask)
    assert passes == 2 and np.all(got == 1.5)

