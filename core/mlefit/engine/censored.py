r"""Censored and truncated rows: ``log P(lo < Y <= hi)`` and its derivatives, stably.

The kernel reads a censored or truncated response as per-row *limits*
(:class:`Limits`): an ``(n, 4)`` array ``[lo, hi, tlo, thi]`` and per-row kinds
(:data:`EXACT`, :data:`RIGHT`, :data:`LEFT`, :data:`INTERVAL`). A censored row (any kind
but exact) contributes ``log P(lo < Y <= hi)`` (its interval cut to its truncation range,
if any); a truncated row (``tlo > -inf`` or
``thi < inf``) subtracts ``log P(tlo < Y <= thi)``. Both intervals are half open, so a
discrete family's inclusive ends are moved by the caller (:mod:`mlefit.censoring`): a
count right-censored at ``c`` is ``(c - 1, inf)`` and truncation to ``[a, b]`` is
``(a - 1, b]``.

Every probability is computed in log space from the family's ``logcdf`` and ``logsf``:

* ``lo = -inf``: ``log F(hi)``; ``hi = inf``: ``log S(lo)``;
* both finite: ``log F(hi) + log1mexp(log F(lo) - log F(hi))`` when ``lo`` lies in the
  lower half of the distribution, else ``log S(lo) + log1mexp(log S(hi) - log S(lo))``,
  so the difference of two probabilities near 1 is never formed.

A family with only ``cdf`` gets ``log F = log(cdf)`` and ``log S = log1p(-cdf)``, which
loses all accuracy where the cdf rounds to 1 (its upper tail): the documented limit of a
cdf-only family. With ``F = e^A`` and ``G = e^B`` (``B < A``), the derivatives of
``log(e^A - e^B)`` are, for ``r = e^(B - A)``,

.. math::

    g = \frac{A' - r B'}{1 - r}, \qquad
    H = \frac{(A'' + A'A'^T) - r (B'' + B'B'^T)}{1 - r} - g g^T,

which :func:`pieces` forms from the family's ``dlogcdf``/``dlogsf`` and
``d2logcdf``/``d2logsf`` (on the natural parameter scale; the kernel applies the links).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["CENSORING_DERIVATIVES", "EXACT", "INTERVAL", "LEFT", "RIGHT", "Limits", "Plan",
           "Span", "has_analytic", "log1mexp", "log_interval", "pieces", "row_loglik"]

#: the response kinds of a row
EXACT, RIGHT, LEFT, INTERVAL = 0, 1, 2, 3
#: the optional family methods exact Newton on censored rows needs
CENSORING_DERIVATIVES = ("dlogcdf", "dlogsf", "d2logcdf", "d2logsf")
LN2 = float(np.log(2.0))
#: a stand-in value where a limit is open (its result is never used)
_FILLER = 0.5


@dataclass(frozen=True)
class Limits:
    """Per-row kinds and ``[lo, hi, tlo, thi]`` (views, sliced with the rows)."""

    kinds: np.ndarray            # int8: EXACT, RIGHT, LEFT, INTERVAL
    bounds: np.ndarray           # (n, 4) float: censoring (lo, hi], truncation (tlo, thi]

    def __getitem__(self, rows) -> Limits:
        return Limits(self.kinds[rows], self.bounds[rows])

    def tile(self, m: int) -> Limits:
        return Limits(np.tile(self.kinds, m), np.tile(self.bounds, (m, 1)))

    def scaled(self, exponent: int) -> Limits:
        """The limits of ``y / 2^exponent`` (exact)."""
        return Limits(self.kinds, np.ldexp(self.bounds, -exponent))

    @property
    def n(self) -> int:
        return self.kinds.shape[0]

    @cached_property
    def censored(self) -> np.ndarray:
        return self.kinds != EXACT

    @cached_property
    def truncated(self) -> np.ndarray:
        return np.isfinite(self.bounds[:, 2]) | np.isfinite(self.bounds[:, 3])

    def censored_interval(self, rows) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi]`` of censored ``rows``, cut to their truncation range (a row censored
        beyond a truncation limit is known to lie inside it)."""
        b = self.bounds[rows]
        return np.maximum(b[:, 0], b[:, 2]), np.minimum(b[:, 1], b[:, 3])

    @property
    def any(self) -> bool:
        """Whether any row is censored or truncated."""
        return bool(self.censored.any() or self.truncated.any())


def _compact(positions: np.ndarray) -> slice | np.ndarray:
    """Sorted row positions as a slice when they are contiguous (a view, no copy)."""
    if positions.size and positions[-1] - positions[0] + 1 == positions.size:
        return slice(int(positions[0]), int(positions[-1]) + 1)
    return positions


@dataclass(frozen=True)
class Span:
    """Rows of a block that share one form of ``log P(lo < Y <= hi)``: ``rows`` (a slice
    when contiguous, else sorted positions), their number, and their ends (``lo`` None:
    open below, ``log F(hi)``; ``hi`` None: open above, ``log S(lo)``; both given: the
    two-point form). For the exact rows both ends are None."""

    rows: slice | np.ndarray
    size: int
    lo: np.ndarray | None = None
    hi: np.ndarray | None = None


def _spans(lo, hi, rows: np.ndarray) -> tuple[Span, ...]:
    """The rows ``rows`` with intervals ``(lo, hi]`` split by which ends are open (rows
    open at both ends have probability 1 and get no span)."""
    lo_open, hi_open = np.isneginf(lo), np.isposinf(hi)
    out = []
    for mask, has_lo, has_hi in ((lo_open & ~hi_open, False, True),
                                 (hi_open & ~lo_open, True, False),
                                 (~lo_open & ~hi_open, True, True)):
        idx = np.flatnonzero(mask)
        if idx.size:
            out.append(Span(_compact(rows[idx]), int(idx.size),
                            lo[idx] if has_lo else None, hi[idx] if has_hi else None))
    return tuple(out)


@dataclass(frozen=True)
class Plan:
    """A block's rows sorted by what the likelihood evaluates on them, built once from
    its :class:`Limits` (the data do not change between passes): the exact rows (their
    ``logpdf``), the censored rows by case (their interval cut to the truncation range)
    and the truncated rows by case. ``exponent``: the response scale ``2^exponent`` the
    limits were divided by."""

    n: int
    exact: Span
    censored: tuple[Span, ...]
    truncated: tuple[Span, ...]
    exponent: int = 0

    @classmethod
    def of(cls, limits: Limits, exponent: int = 0) -> Plan:
        cens = np.flatnonzero(limits.censored)
        exact = np.flatnonzero(~limits.censored)
        trunc = np.flatnonzero(limits.truncated)
        b = limits.bounds
        return cls(limits.n, Span(_compact(exact), int(exact.size)),
                   _spans(*limits.censored_interval(cens), cens),
                   _spans(b[trunc, 2], b[trunc, 3], trunc), exponent)

    @property
    def all_exact(self) -> bool:
        """Whether no row of the block is censored (some may be truncated)."""
        return self.exact.size == self.n


def has_analytic(family) -> bool:
    """Whether the family gives every derivative censored rows need."""
    return all(family.has(m) for m in CENSORING_DERIVATIVES)


def log1mexp(x):
    """``log(1 - exp(x))`` for ``x <= 0``, accurate at both ends (Maechler's rule)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x > -LN2, np.log(-np.expm1(x)), np.log1p(-np.exp(x)))


def logcdf(family, y, params):
    """``log F(y)``: the family's ``logcdf``, else ``log(cdf)``."""
    if family.has("logcdf"):
        return np.asarray(family.logcdf(y, **params), dtype=float)
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(family.cdf(y, **params), dtype=float))


def logsf(family, y, params):
    """``log S(y) = log P(Y > y)``: the family's ``logsf``, else ``log1p(-cdf)`` (inaccurate
    where the cdf rounds to 1)."""
    if family.has("logsf"):
        return np.asarray(family.logsf(y, **params), dtype=float)
    with np.errstate(divide="ignore"):
        return np.log1p(-np.asarray(family.cdf(y, **params), dtype=float))


def _take(params: dict, rows, n: int) -> dict:
    return {k: _take_one(v, rows, n) for k, v in params.items()}


def _take_one(v, rows, n: int):
    """``rows`` of a per-row array, or of a scalar broadcast to ``n`` rows."""
    if isinstance(v, np.ndarray) and v.shape == (n,):
        return v[rows]
    return np.broadcast_to(v, (n,))[rows]


def _span_value(family, span: Span, params) -> np.ndarray:
    """``log P(lo < Y <= hi)`` on the rows of one :class:`Span`."""
    if span.lo is None:
        return logcdf(family, span.hi, params)
    if span.hi is None:
        return logsf(family, span.lo, params)
    a, u = span.lo, span.hi
    Fl, Fu = logcdf(family, a, params), logcdf(family, u, params)
    upper = Fl > -LN2        # lo in the upper half: the survival form
    val = Fu + log1mexp(Fl - Fu)
    if upper.any():
        pu = {k: v[upper] for k, v in params.items()}
        Sl, Su = logsf(family, a[upper], pu), logsf(family, u[upper], pu)
        val[upper] = Sl + log1mexp(Su - Sl)
    return np.where(u > a, val, -np.inf)


def log_interval(family, lo, hi, params) -> np.ndarray:
    """``log P(lo < Y <= hi)`` per row (``lo = -inf``, ``hi = inf``: open ends)."""
    n = lo.shape[0]
    out = np.zeros(n)
    with np.errstate(all="ignore"):
        for span in _spans(lo, hi, np.arange(n)):
            out[span.rows] = _span_value(family, span, _take(params, span.rows, n))
    return out


def row_loglik(family, y, params, limits: Limits | None, plan: Plan | None = None
               ) -> np.ndarray:
    """Per-row log-likelihood: ``logpdf`` of exact rows, ``log P`` of censored ones, less
    ``log P(truncation)`` of truncated ones (``plan``: the rows' :class:`Plan`, built from
    ``limits`` when not given). Each row's family method is called on that row only."""
    if plan is None:
        if limits is None:
            with np.errstate(all="ignore"):
                return np.asarray(family.logpdf(y, **params), dtype=float)
        plan = Plan.of(limits)
    n = plan.n
    if plan.all_exact:
        with np.errstate(all="ignore"):
            f = np.asarray(family.logpdf(y, **params), dtype=float)
        if not plan.truncated:
            return f
        f = np.array(np.broadcast_to(f, (n,)), dtype=float)
    else:
        f = np.zeros(n)
        ex = plan.exact
        if ex.size:
            with np.errstate(all="ignore"):
                f[ex.rows] = family.logpdf(y[ex.rows], **_take(params, ex.rows, n))
    with np.errstate(all="ignore"):
        for span in plan.censored:
            f[span.rows] = _span_value(family, span, _take(params, span.rows, n))
        for span in plan.truncated:
            f[span.rows] -= _span_value(family, span, _take(params, span.rows, n))
    return f


def _pair(values: dict, a: str, b: str):
    return values[(a, b)] if (a, b) in values else values[(b, a)]


def _one_point(family, which: str, y, params, names, order):
    d1 = getattr(family, f"dlog{which}")(y, **params)
    g = {a: np.asarray(d1[a], dtype=float) for a in names}
    if order < 2:
        return g, None
    d2 = getattr(family, f"d2log{which}")(y, **params)
    return g, {(a, b): np.asarray(_pair(d2, a, b), dtype=float)
               for i, a in enumerate(names) for b in names[i:]}


def _two_point(A, gA, HA, B, gB, HB, names, order):
    """Derivatives of ``log(e^A - e^B)`` (see the module docstring)."""
    r = np.exp(B - A)
    q = 1.0 / (1.0 - r)
    g = {a: q * (gA[a] - r * gB[a]) for a in names}
    if order < 2:
        return g, None
    H = {(a, b): q * ((HA[(a, b)] + gA[a] * gA[b]) - r * (HB[(a, b)] + gB[a] * gB[b]))
         - g[a] * g[b] for (a, b) in HA}
    return g, H


def _span_derivatives(family, span: Span, params, names, order):
    """Derivatives of ``log P(lo < Y <= hi)`` on the rows of one :class:`Span`."""
    if span.lo is None:
        return _one_point(family, "cdf", span.hi, params, names, order)
    if span.hi is None:
        return _one_point(family, "sf", span.lo, params, names, order)
    n = span.size
    g = {a: np.zeros(n) for a in names}
    H = {(a, b): np.zeros(n) for i, a in enumerate(names) for b in names[i:]}
    upper = logcdf(family, span.lo, params) > -LN2
    for mask, which in ((~upper, "cdf"), (upper, "sf")):
        if not mask.any():
            continue
        pm = {k: v[mask] for k, v in params.items()}
        lo, hi = span.lo[mask], span.hi[mask]
        top, bottom = (hi, lo) if which == "cdf" else (lo, hi)
        log_f = logcdf if which == "cdf" else logsf
        A, B = log_f(family, top, pm), log_f(family, bottom, pm)
        gg, HH = _two_point(A, *_one_point(family, which, top, pm, names, order),
                            B, *_one_point(family, which, bottom, pm, names, order),
                            names, order)
        for a in names:
            g[a][mask] = gg[a]
        if HH is not None:
            for key in H:
                H[key][mask] = HH[key]
    return g, (H if order == 2 else None)


def pieces(family, params, limits: Limits | Plan, names, order: int):
    """The censored and truncated rows' part of the derivatives of :func:`row_loglik`
    with respect to the natural parameters ``names``: a list of ``(rows, replace, g, H)``,
    where ``g = {a: d log P / d a}`` and ``H = {(a, b): d2 log P / da db}`` (None for
    ``order`` 1) on ``rows`` (a slice or row positions of the block); ``replace`` True:
    they replace the exact-row derivatives there (censored rows), False: they are
    subtracted (the truncation probability). ``limits`` may be the rows' :class:`Plan`."""
    plan = limits if isinstance(limits, Plan) else Plan.of(limits)
    n = plan.n
    out = []
    with np.errstate(all="ignore"):
        for spans, replace in ((plan.censored, True), (plan.truncated, False)):
            for span in spans:
                out.append((span.rows, replace, *_span_derivatives(
                    family, span, _take(params, span.rows, n), names, order)))
    return out
