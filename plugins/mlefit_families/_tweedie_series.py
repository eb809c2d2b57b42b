"""The Tweedie compound Poisson-gamma density (``1 < p < 2``) by Dunn and Smyth's series.

For ``y > 0`` the density is ``f(y; mu, phi, p) = a(y; phi, p) exp(-d(y, mu) / (2 phi))``
with the unit deviance ``d`` and ``a(y; phi, p) = f(y; y, phi, p)``. Dunn and Smyth
(2005, *Statistics and Computing* 15, 267-280) write ``a`` as ``W(y, phi, p) / y`` times
``exp(-j0 / (p - 1))`` with ``W = sum_{j >= 1} W_j`` and ``j0 = y^(2-p) / (phi (2-p))``,
the (real) index of the largest term. With ``r = (2 - p) / (p - 1)`` (the gamma shape of
one claim), ``u = j / j0`` and Stirling's formula written with its exact remainder ``c``
(``log Gamma(x) = (x - 1/2) log x - x + log(2 pi) / 2 + c(x)``), every large term of
``log W_j - j0 / (p - 1)`` cancels in closed form:

.. math::

    t_j = \\log W_j - \\frac{j_0}{p-1}
        = -(1 + r)\\, j_0\\, h(j / j_0) + \\tfrac12 \\log r - \\log(2\\pi) - c(j) - c(r j),
    \\qquad h(u) = u \\log u - u + 1 \\ge 0 .

So ``log a = -log y + log sum_j exp(t_j)`` carries no cancellation: its rounding error is a
few ulps of ``(1 + r) j0 h`` near the peak (where ``h`` is 0), instead of the ``eps j0 log
j0`` of the textbook ``log W_j`` (0.03 at ``j0 = 1e12``). Every term is positive, so the
sum itself loses nothing; the only question is how many terms it needs.

How the sum is taken (one method over the whole regime)
-------------------------------------------------------
The terms are a smooth, log-concave function of ``j`` peaked at ``j ~ j0`` with width
``s = sqrt(j0 (p - 1))`` (``t''(j) = -(1 + r) / j``). The sum runs over ``j = m + k h``,
``|k| <= K`` with ``m = round(j0)`` (at least 1), ``K = 64`` grid points each side and the
stride ``h = max(1, ceil(12 s / K))``:

* ``h = 1`` (``s <= 5.3``: the series regime of Dunn and Smyth, where it converges fast)
  is the plain series, every term from ``max(1, m - K)`` to ``m + K`` with ``K = min(64,
  ceil(12 s) + 10)``. The terms outside are below ``exp(-50)`` of the largest (the grid
  reaches 12 widths and 10 terms beyond the peak; the right tail decays as
  ``exp(-(1 + r) j0 h(u))``, no slower than a Gaussian for ``u < 3``, and for a peak
  near ``j = 1`` it is ``exp(-(1 + r) j log(j / j0))``);
* ``h > 1`` (many terms: small ``phi``, ``p`` near 2, large ``y``: where Dunn and Smyth
  switch to Fourier inversion) is the trapezoidal rule with step ``h`` applied to the same
  analytic function of ``j``: by Poisson's summation formula the sum over the integers and
  ``h`` times the sum over the grid both equal the integral over ``j`` up to the Fourier
  transform of the terms at ``2 pi / h``, relative size ``exp(-2 pi^2 (s / h)^2)`` for a
  peak this shape: ``s / h >= 2.6`` here, so below ``exp(-130)``. The grid covers ``+-12``
  widths. This is what makes the series usable for ``j0`` up to ``1e15`` at a constant
  129 terms a row (the plain series would need ``~20 s`` terms).

The measured agreement with 50-digit mpmath sums of every term and with numerical
inversion of the characteristic function is in ``tests/families/test_tweedie.py``.
``y = 0`` has ``log P(Y = 0) = -mu^(2-p) / (phi (2 - p))``.

The same weights give the derivatives in ``phi``: ``W_j`` is proportional to
``phi^(-(1 + r) j)``, so with ``E`` and ``V`` the mean and variance of ``j`` under the
weights ``exp(t_j)``:
``d log a / d phi = (1 + r)(j0 - E) / phi`` and
``d2 log a / d phi2 = (1 + r) [E - 2 j0 + (1 + r) V] / phi^2``.
"""

from __future__ import annotations

import numpy as np

from .gamma import _SERIES_FROM, _stirling_series, stirling_remainder

__all__ = ["GRID", "SeriesTerms", "log_a", "series"]

#: grid points on each side of the largest term
GRID = 64
#: the grid covers this many widths of the peak each side
WIDTHS = 12.0
_LOG_2PI = np.log(2.0 * np.pi)
#: the per-call table of Stirling remainders reaches the largest index below this
TABLE_LIMIT = 4096


def _h(u):
    """``u log u - u + 1`` without cancellation near ``u = 1``: ``(1 + t) log1p(t) - t``
    with ``t = u - 1`` (exact for ``u`` in ``[1/2, 2]`` by Sterbenz's lemma; relative
    error ``eps`` above), and the direct form below ``u = 1/2``, where ``t`` would lose
    the low digits of a small ``u``. One logarithm a term."""
    u = np.asarray(u, dtype=float)
    t = u - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray((1.0 + t) * np.log1p(t) - t)
        low = t < -0.5
        if low.any():
            ul = u[low]
            out[low] = ul * np.log(np.where(ul > 0, ul, 1.0)) - t[low]
    return out


class _Remainders:
    """``c(j) + c(r j)`` at the series' indices ``j`` (whole numbers: ``m`` and the stride
    are): where ``r`` is one number (a fixed or intercept-only power: the usual case) the
    values up to the largest index (or at least below ``_SERIES_FROM``, where the
    asymptotic series does not serve) come from a table made once per call by the same
    :func:`stirling_remainder` (a lookup instead of two log-gammas a term), the rest from
    its asymptotic series, as :func:`stirling_remainder` itself takes them."""

    def __init__(self, r, last):
        self.r = float(r[0]) if r.size and np.ptp(r) == 0 else None
        if self.r is not None:
            # the table reaches the largest index used (``last``) when that is small
            self.top = int(np.ceil(_SERIES_FROM / min(self.r, 1.0))) + 1
            if last < TABLE_LIMIT:
                self.top = max(self.top, int(last) + 1)
            k = np.arange(self.top, dtype=float)
            k[0] = 1.0       # unused (j >= 1)
            self.table = stirling_remainder(k) + stirling_remainder(self.r * k)

    def __call__(self, j, r):
        if self.r is None:
            return stirling_remainder(j) + stirling_remainder(r * j)
        small = j < self.top
        if small.all():
            return self.table[j.astype(np.intp)]
        big = np.maximum(j, float(self.top))
        out = _stirling_series(big, 0) + _stirling_series(self.r * big, 0)
        if small.any():
            out[small] = self.table[j[small].astype(np.intp)]
        return out


class SeriesTerms:
    """``log a`` and the mean and variance of ``j`` for rows ``y > 0`` (flat arrays)."""

    __slots__ = ("j0", "log_a", "mean_j", "var_j")

    def __init__(self, log_a, j0, mean_j, var_j):
        self.log_a, self.j0, self.mean_j, self.var_j = log_a, j0, mean_j, var_j


def series(y, phi, p) -> SeriesTerms:
    """The series of the module docstring at positive ``y`` (arrays of one shape)."""
    y, phi, p = (np.asarray(v, dtype=float).ravel() for v in np.broadcast_arrays(y, phi, p))
    r = (2.0 - p) / (p - 1.0)
    j0 = np.exp((2.0 - p) * np.log(y) - np.log(phi) - np.log(2.0 - p))
    m = np.maximum(1.0, np.round(j0))
    width = np.sqrt(j0 * (p - 1.0))
    step = np.maximum(1.0, np.ceil(WIDTHS * width / GRID))
    # grid points each side: all of them on a strided grid, else 12 widths and 10 more;
    # on the left only those at j >= 1 (the terms start there)
    reach = np.where(step > 1, GRID, np.minimum(GRID, np.ceil(WIDTHS * width) + 10))
    left = np.minimum(reach, np.floor((m - 1.0) / step))
    rem = _Remainders(r, np.max(m + reach * step, initial=0.0))
    scale = (1.0 + r) * j0
    ref = -scale * _h(m / j0) - rem(m, r)          # t_m without its constant
    sums = [_side(k, j0, m, r, scale, ref, step, rem, sign)
            for k, sign in ((reach, 1.0), (left, -1.0))]
    total = 1.0 + sums[0][0] + sums[1][0]
    mean_d = (sums[0][1] + sums[1][1]) / total          # mean of j - m
    var = (sums[0][2] + sums[1][2]) / total - mean_d**2
    log_a = ref + 0.5 * np.log(r) - _LOG_2PI + np.log(total) + np.log(step) - np.log(y)
    return SeriesTerms(log_a, j0, m + mean_d, var)


def _side(reach, j0, m, r, scale, ref, step, rem, sign):
    """``sum w``, ``sum w d`` and ``sum w d^2`` over ``j = m + d``, ``d = sign k step``,
    ``k = 1 .. reach`` (per row), with ``w = exp(t_j - t_m)``: rows sorted by ``reach``
    so that step ``k`` works on the leading rows that still need it."""
    order = np.argsort(GRID - reach.astype(np.int16), kind="stable")   # a radix sort
    counts = np.searchsorted(-reach[order], -np.arange(1, GRID + 1), side="right")
    j0s, ms, scales, refs, steps = (v[order] for v in (j0, m, scale, ref, step))
    rs = r[order] if rem.r is None else r
    out = np.zeros((3, order.size))
    for k in range(1, GRID + 1):
        c = int(counts[k - 1])
        if c == 0:
            break
        d = sign * k * steps[:c]
        j = ms[:c] + d
        with np.errstate(over="ignore"):
            w = np.exp(-scales[:c] * _h(j / j0s[:c]) - rem(j, rs[:c] if rem.r is None
                                                          else rs) - refs[:c])
        out[0, :c] += w
        wd = w * d
        out[1, :c] += wd
        out[2, :c] += wd * d
    back = np.empty_like(out)
    back[:, order] = out
    return back


def log_a(y, phi, p):
    """``log a(y; phi, p)`` at positive ``y``."""
    return series(y, phi, p).log_a
