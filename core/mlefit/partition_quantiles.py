"""Exact quantiles of a column spread over Dask partitions: a selection by passes.

Dask's own quantiles are approximate; a spline's knots at quantiles must be the numbers
numpy computes on all the rows at once. :func:`quantiles` finds the needed order
statistics exactly, with a few passes over the partitions, and never gathers more than a
bounded number of values on the driver:

1. one pass: the count, minimum and maximum (the caller may already have them);
2. one pass: a histogram of :data:`BINS` equal-width bins over ``[min, max]`` on each
   partition (with each bin's smallest and largest value), added over the partitions;
   the cumulative counts say which bin holds each needed order statistic;
3. one pass: the values of those bins (at most :data:`GATHER` each), gathered and sorted:
   the exact order statistics. A bin holding more values is histogrammed again (its own
   pass), and a bin whose smallest and largest values are equal (ties) is done at once.

Bins are half-open, ``[lo, hi)``, the last one closed, and a value's bin is found the same
way in every pass (:func:`_bin_of`), so the counts and the gathered values agree exactly.
The quantile is then numpy's default (``method="linear"``) rule between the two order
statistics around the virtual index ``(n - 1) q``, with numpy's own arithmetic
(:func:`_lerp`), so it equals ``numpy.quantile`` of the whole column bit for bit.

``distinct=True`` takes the quantiles of the column's distinct values (formulaic's cubic
regression splines, ``cr``/``cs``/``cc``, take the percentiles of ``numpy.unique(x)``): the
values are first made distinct over all partitions by Dask's exact ``drop_duplicates``
(one more pass, a shuffle), then selected as above.
"""

from __future__ import annotations

import numpy as np

__all__ = ["BINS", "GATHER", "Selection", "quantiles"]

#: bins of each histogram pass
BINS = 2048
#: a bin holding at most this many values is gathered to the driver and sorted
GATHER = 100_000


def _column(a: np.ndarray, j: int | None, lo: float, hi: float) -> np.ndarray:
    x = a if j is None else a[:, j]
    x = np.asarray(x, dtype=float)
    return x[(x >= lo) & (x <= hi)] if np.isfinite(lo) or np.isfinite(hi) else x


def _inside(x: np.ndarray, box: tuple) -> np.ndarray:
    lo, hi, closed = box
    return (x >= lo) & ((x < hi) | (closed & (x == hi)))


def _edges(box: tuple) -> np.ndarray:
    lo, hi, _ = box
    e = np.linspace(lo, hi, BINS + 1)
    return np.clip(np.maximum.accumulate(e), lo, hi)


def _bin_of(x: np.ndarray, edges: np.ndarray) -> np.ndarray:
    return np.clip(np.searchsorted(edges, x, side="right") - 1, 0, BINS - 1)


def _stats(x: np.ndarray) -> np.ndarray:
    return np.array([x.size, np.min(x) if x.size else np.inf,
                     np.max(x) if x.size else -np.inf])


def _merge_stats(a, b):
    return np.array([a[0] + b[0], min(a[1], b[1]), max(a[2], b[2])])


def _histogram(x: np.ndarray, box: tuple) -> np.ndarray:
    """Per bin of ``box``: the count, the smallest and the largest value (3 x BINS)."""
    x = x[_inside(x, box)]
    idx = _bin_of(x, _edges(box))
    out = np.empty((3, BINS))
    out[0] = np.bincount(idx, minlength=BINS)
    out[1], out[2] = np.inf, -np.inf
    np.minimum.at(out[1], idx, x)
    np.maximum.at(out[2], idx, x)
    return out


def _merge_histograms(a, b):
    return np.stack([a[0] + b[0], np.minimum(a[1], b[1]), np.maximum(a[2], b[2])])


def _values(x: np.ndarray, box: tuple) -> np.ndarray:
    return x[_inside(x, box)]


def _sub_box(box: tuple, edges: np.ndarray, b: int) -> tuple:
    return (float(edges[b]), float(edges[b + 1]), bool(box[2] and b == BINS - 1))


def _tree(parts: list, merge, dask) -> object:
    while len(parts) > 1:
        parts = [dask.delayed(merge, pure=True)(parts[i], parts[i + 1])
                 if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return parts[0]


class Selection:
    """Order statistics of the values in delayed 1-D arrays ``columns``, by passes."""

    def __init__(self, columns: list, dask, stats=None):
        self.columns, self.dask, self.passes = columns, dask, 0
        if stats is None:
            stats = self._compute(_tree([dask.delayed(_stats, pure=True)(c)
                                         for c in columns], _merge_stats, dask))[0]
        self.n, self.lo, self.hi = int(stats[0]), float(stats[1]), float(stats[2])

    def _compute(self, *things):
        self.passes += 1
        return self.dask.compute(*things)

    def order_statistics(self, ranks) -> dict:
        """``{rank: value}`` for 0-based ranks of the sorted values."""
        d = self.dask
        found: dict[int, float] = {}
        # box -> (values below the box, ranks inside it)
        pending = {(self.lo, self.hi, True): (0, sorted(set(int(r) for r in ranks)))}
        gather: dict = {}
        for _ in range(400):
            if not pending and not gather:
                return found
            boxes, small = list(pending), list(gather)
            hist = [_tree([d.delayed(_histogram, pure=True)(c, b) for c in self.columns],
                          _merge_histograms, d) for b in boxes]
            got = [[d.delayed(_values, pure=True)(c, b) for c in self.columns]
                   for b in small]
            hist_out, got_out = self._compute(hist, got)
            for b, pieces in zip(small, got_out, strict=True):
                below, rs = gather[b]
                v = np.sort(np.concatenate(pieces))
                for r in rs:
                    found[r] = float(v[r - below])
            new_pending, new_gather = {}, {}
            for box, h in zip(boxes, hist_out, strict=True):
                below, rs = pending[box]
                edges, cum = _edges(box), np.concatenate([[0], np.cumsum(h[0])])
                for r in rs:
                    b = int(np.searchsorted(cum, r - below, side="right") - 1)
                    start = below + int(cum[b])
                    if h[1, b] == h[2, b]:
                        found[r] = float(h[1, b])
                        continue
                    target = new_gather if h[0, b] <= GATHER else new_pending
                    sub = _sub_box(box, edges, b)
                    target.setdefault(sub, (start, []))[1].append(r)
            pending, gather = new_pending, new_gather
        raise RuntimeError("the exact selection did not finish in 400 passes")


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's ``_lerp`` (numpy.quantile's linear interpolation), on float64 scalars."""
    a, b, t = np.float64(a), np.float64(b), np.float64(t)
    diff = b - a
    out = a + diff * t
    if t >= 0.5:
        out = b - diff * (1 - t)
    return float(out)


def _from_order_statistics(select: Selection, q: np.ndarray) -> np.ndarray:
    n = select.n
    virtual = (n - 1) * np.asarray(q, dtype=np.float64)
    prev = np.floor(virtual)
    above = virtual >= n - 1
    lo = np.where(above, n - 1, np.maximum(prev, 0)).astype(np.int64)
    hi = np.where(above, n - 1, np.maximum(prev, 0) + 1).astype(np.int64)
    gamma = virtual - np.where(above, -1.0, prev)
    stats = select.order_statistics(np.concatenate([lo, hi]))
    return np.array([_lerp(stats[a], stats[b], g) for a, b, g in zip(lo, hi, gamma,
                                                                      strict=True)])


def _unique_series(a, j, lo, hi):
    """A partition's distinct values, with -0.0 read as 0.0 (``+ 0.0``): ``np.unique``
    (formulaic's rule) takes them as one value, and a hash-based ``drop_duplicates``
    (pandas 2.2) as two."""
    import pandas as pd
    return pd.Series(np.unique(_column(a, j, lo, hi)) + 0.0, dtype=float)


def _as_array(s) -> np.ndarray:
    return s.to_numpy(dtype=float)


def quantiles(values: list, j: int | None, q, dask, *, within=None, distinct=False,
              stats=None):
    """The exact quantiles ``q`` (probabilities in [0, 1], numpy's linear rule) of
    column ``j`` of the delayed arrays ``values`` (``j=None``: 1-D arrays), restricted to
    ``within = (lo, hi)`` (inclusive) if given, of the distinct values if ``distinct``.
    ``stats`` (count, minimum, maximum of that column), if known, saves a pass. Returns
    ``(quantiles, count, passes)``."""
    lo, hi = within if within is not None else (-np.inf, np.inf)
    passes = 0
    if distinct:
        import dask.dataframe as dd
        parts = [dask.delayed(_unique_series, pure=True)(v, j, lo, hi) for v in values]
        uniq = dd.from_delayed(parts, meta=(None, float)).drop_duplicates()
        columns = [dask.delayed(_as_array, pure=True)(p) for p in uniq.to_delayed()]
        columns = list(dask.persist(*columns))
        passes, stats = 1, None
    else:
        columns = [dask.delayed(_column, pure=True)(v, j, lo, hi) for v in values]
        if within is not None:
            stats = None
    select = Selection(columns, dask, stats)
    if select.n == 0:
        return np.full(np.size(q), np.nan), 0, passes + select.passes
    out = _from_order_statistics(select, q)
    return out, select.n, passes + select.passes
