"""The conditional mean of a truncated model: ``E[Y | lower <= Y <= upper]`` per row.

A fit with ``truncation=(lower, upper)`` describes a response sampled only inside the
window, so ``predict(which="mean")`` returns the mean of that truncated distribution
(statsmodels' truncated count models do the same: their ``predict(which="mean")`` is the
truncated mean and ``"mean-main"`` the untruncated one); ``which="mean_untruncated"``
gives ``E[Y]`` of the untruncated model. The window's ends are those of the fit: numbers
as fitted, column names read from ``newdata`` (refused when ``newdata`` lacks them), per-row
arrays only on the fit's own rows. ``predict(..., truncation=(lower, upper))`` sets another
window (numbers, ``newdata`` columns, one value per row or None), with the fit's rule: the
ends are inclusive for a discrete family.

Delayed entry (``Surv(start, stop, event)``) truncates the *sample* on the left, not the
subject's future: a new subject is followed from time 0, so a counting-form fit predicts
the untruncated mean; pass ``truncation=("start", None)`` for ``E[Y | Y > start]``.

How it is computed:

* discrete: ``sum k P(Y = k) / sum P(Y = k)`` over the window in log space, from
  ``max(lower, Q(1e-18))`` up in blocks until ``upper``, or until the terms, past their
  largest, fall 50 nats (2e-22) below it. An open upper end with a small lower end
  (``lower <= 256`` holding at least half the mass, e.g. zero truncation) uses
  ``E[Y | Y >= l] = (E[Y] - sum_{k<l} k P(k)) / P(Y >= l)`` instead.
* continuous: the body of the distribution (``S > 1e-3``) on the quantile scale,
  ``int_{F(a)}^{F(b)} Q(p) dp / (F(b) - F(a))`` by Gauss-Legendre after Sidi's substitution
  ``p = F(a) + (F(b) - F(a)) phi(t)``, ``phi(t) = t^3 / (t^3 + (1 - t)^3)`` (``Q`` the
  family's ``ppf`` or the inverted cdf, :func:`mlefit.postestimation.predictive.ppf`); the
  upper tail from ``logsf`` alone, where ``p`` near 1 is not representable:
  ``E[Y | Y > a] = a + int_a^inf S(y) / S(a) dy`` by Gauss-Laguerre on the scale of the
  local tail (``y = a exp(u / (a h(a) - 1))``, exact for a Pareto tail, or ``a + u /
  h(a)``, exact for an exponential one; ``h`` the hazard). A window across ``Q(1 - 1e-3)``
  is split there and its parts weighted by their probabilities. Against quad: 2e-14
  relative for the Weibull, gamma, gaussian and loglogistic families, from the body to
  windows with ``S(a) = 1e-89``; 1e-10 for a window open towards ``-inf`` on the real
  line (the quantile's singularity at ``p = 0``: no tail rule there), measured in
  tests/postestimation/test_truncated_mean.py.

The quantiles of the truncated distribution (:func:`truncated_ppf`) serve
``which="quantile"`` and ``interval="prediction"``.

``interval="confidence"``: the delta method on the coefficients, with the conditional
mean's gradient in each linear predictor taken numerically per row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ..censoring import ROWS, truncation_ends
from ..errors import DataError
from ..inference.confidence import quantile
from .predictive import log_survival, ppf

__all__ = ["NODES", "TAIL_NODES", "conditional_mean", "predict", "truncated_ppf", "window"]

#: Gauss-Legendre nodes of the quadrature on the quantile scale (each an inversion of
#: the cdf where the family has no ppf)
NODES = 48
#: nodes of the tail's quadratures (evaluations of logsf only)
TAIL_NODES = 96
#: the upper tail's probability, computed from ``logsf`` (:func:`_upper_tail`)
_TAIL = 1e-3
#: lower-tail probability below which a discrete window's terms are skipped
_SKIP = 1e-18
#: nats below the largest term at which a discrete sum stops (past the largest)
_STOP = 50.0
#: the largest lower end for which the open-window identity is used
_SMALL = 256
#: cells (rows x nodes or terms) held at once
_CELLS = 1 << 20


# the window ---------------------------------------------------------------------------
def _end(value, i, res, newdata, n, given: bool) -> np.ndarray:
    """One end of the window as ``n`` numbers (``-inf``/``inf`` open)."""
    open_ = -np.inf if i == 0 else np.inf
    side = ("lower", "upper")[i]
    if value is None:
        return np.full(n, open_)
    if isinstance(value, str) and value == ROWS and not given:
        if newdata is not None:
            raise DataError(f"this fit's truncation {side} limit was one value per row, which "
                            "new rows cannot supply. Fix: pass predict(newdata, "
                            "truncation=(lower, upper)) with numbers or columns of newdata.")
        resp = res._context.frame.censoring
        return np.asarray(resp.thi if i else (np.full(n, open_) if resp.entry else resp.tlo),
                          dtype=float)
    if isinstance(value, str):
        source = newdata if newdata is not None else _fit_columns(res)
        if source is None or value not in source:
            where = "newdata" if newdata is not None else "the fit's data"
            raise DataError(f"the truncation {side} limit is the column {value!r}, which "
                            f"{where} lacks. Fix: add the column {value!r} to newdata, or pass "
                            "predict(..., truncation=(lower, upper)) with numbers.")
        out = pd.to_numeric(source[value], errors="coerce").to_numpy(dtype=float)
    else:
        try:
            out = np.broadcast_to(np.asarray(value, dtype=float), (n,)).copy()
        except (TypeError, ValueError):
            raise DataError(f"truncation {side} limit {value!r} must be a number, a column "
                            f"name, {n} values (one per row) or None.") from None
    if out.shape != (n,) or np.isnan(out).any():
        raise DataError(f"the truncation {side} limit has missing values or the wrong length "
                        f"({out.shape[0]} for {n} rows). Fix: one finite limit per row.")
    return out


def _fit_columns(res):
    """The columns the fit's designs read, on the fit's rows (None without them)."""
    frame = res._context.frame
    if frame.data is None:
        return None
    return frame.data if frame.data_rows is None else frame.data.iloc[frame.data_rows]


def window(res, newdata, n: int, truncation=None):
    """``(lower, upper)`` arrays of the window per row (inclusive ends for a discrete
    family), or None for no truncation: ``truncation`` when given, else the fit's."""
    given = truncation is not None
    spec = truncation_ends(truncation) if given else res._context.truncation
    if spec is None or all(e is None for e in spec):
        return None
    if not given and newdata is None:    # the fit's rows: its own limits, as fitted
        resp = res._context.frame.censoring
        lower = np.full(n, -np.inf) if resp.entry else resp.tlo
        return np.asarray(lower, dtype=float), np.asarray(resp.thi, dtype=float)
    lo, hi = (_end(v, i, res, newdata, n, given) for i, v in enumerate(spec))
    if (lo > hi).any():
        raise DataError(f"the truncation window has lower > upper in {int((lo > hi).sum())} "
                        "row(s). Fix: correct the limits.")
    return lo, hi


# the conditional mean -----------------------------------------------------------------
def conditional_mean(family, rows: dict, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``E[Y | lo <= Y <= hi]`` per row of ``rows`` (the parameters' values)."""
    if not family.has("cdf"):
        raise DataError(f"family {family.name!r} defines no cdf, which the mean of a "
                        "truncated distribution needs. Fix: which='mean_untruncated'.")
    dom = family.support
    lo = np.maximum(lo, float(dom.lower))
    hi = np.minimum(hi, float(dom.upper))
    n = lo.shape[0]
    out = np.empty(n)
    step = max(1, _CELLS // (NODES if not family.support.integer else 4096))
    for s in range(0, n, step):
        sl = slice(s, s + step)
        sub = {k: np.asarray(v, dtype=float)[sl] for k, v in rows.items()}
        if family.support.integer:
            out[sl] = _discrete(family, sub, lo[sl], hi[sl])
        else:
            out[sl] = _continuous(family, sub, lo[sl], hi[sl])
    return out


def _continuous(family, rows, lo, hi) -> np.ndarray:
    """The body of the distribution on the quantile scale, its upper tail (``S <
    1e-3``) from ``logsf``; a window reaching across ``c = Q(1 - 1e-3)`` is split there
    and the two parts' means weighted by their probabilities."""
    with np.errstate(all="ignore"):
        log_sa = np.where(np.isfinite(lo), log_survival(family, lo, rows), 0.0)
        c = np.asarray(ppf(family, np.full(lo.shape, 1.0 - _TAIL), rows), dtype=float)
        log_sc = log_survival(family, c, rows)
        log_sb = np.where(np.isfinite(hi), log_survival(family, hi, rows), -np.inf)
    tail = (log_sa < np.log(_TAIL)) | ~np.isfinite(c) | (c <= lo)
    split = ~tail & (log_sb < log_sc)
    out = np.full(lo.shape, np.nan)
    if tail.any():
        sub = {k: v[tail] for k, v in rows.items()}
        out[tail] = _upper_tail(family, sub, lo[tail], hi[tail], log_sa[tail])
    top = np.where(split, c, hi)
    body = ~tail
    if body.any():
        sub = {k: v[body] for k, v in rows.items()}
        out[body] = _quantile_scale(family, sub, lo[body], top[body])
    if split.any():
        sub = {k: v[split] for k, v in rows.items()}
        upper = _upper_tail(family, sub, c[split], hi[split], log_sc[split])
        sa, sc, sb = (np.exp(v[split]) for v in (log_sa, log_sc, log_sb))
        p_body, p_upper = sa - sc, sc - sb
        out[split] = (p_body * out[split] + p_upper * upper) / (p_body + p_upper)
    return out


def _upper_tail(family, rows, a, b, log_sa) -> np.ndarray:
    """A window in the upper tail, from ``logsf`` alone: ``E[Y | Y > a]`` by
    :func:`_open_tail`; a finite ``b`` with ``r = S(b) / S(a) <= 1/2`` as ``(E[Y | Y > a] -
    r E[Y | Y > b]) / (1 - r)``, a narrower one as ``a + int_a^b (S(y) - S(b)) dy / (S(a) -
    S(b))`` by Gauss-Legendre on ``[a, b]``."""
    with np.errstate(all="ignore"):
        log_sb = np.where(np.isfinite(b), log_survival(family, b, rows), -np.inf)
    r = np.exp(log_sb - log_sa)
    out = _open_tail(family, rows, a, log_sa)
    far = np.isfinite(b) & (r <= 0.5)
    if far.any():
        sub = {k: v[far] for k, v in rows.items()}
        out[far] = (out[far] - r[far] * _open_tail(family, sub, b[far], log_sb[far])) \
            / (1.0 - r[far])
    near = np.isfinite(b) & (r > 0.5)
    if near.any():
        sub = {k: v[near] for k, v in rows.items()}
        t, w = np.polynomial.legendre.leggauss(TAIL_NODES)
        t, w = 0.5 * (t + 1.0), 0.5 * w
        an, bn, rn = a[near], b[near], r[near]
        y = an[:, None] + (bn - an)[:, None] * t
        big = {k: np.repeat(v, TAIL_NODES) for k, v in sub.items()}
        with np.errstate(all="ignore"):
            rel = np.exp(np.asarray(log_survival(family, y.reshape(-1), big),
                                    dtype=float).reshape(y.shape) - log_sa[near][:, None])
        out[near] = an + (bn - an) * (((rel - rn[:, None]) / (1.0 - rn[:, None])) @ w)
    return out


def _open_tail(family, rows, a, log_sa) -> np.ndarray:
    """``E[Y | Y > a] = a + int_a^inf S(y) / S(a) dy`` by Gauss-Laguerre: for ``a > 0`` in
    ``y = a exp(u / (kappa - 1))`` with ``kappa = a h(a)`` the local tail index (exact for
    a Pareto tail), else in ``y = a + u / h(a)`` (exact for an exponential tail)."""
    u, wu = special.roots_laguerre(TAIL_NODES)
    with np.errstate(all="ignore"):
        hazard = np.exp(np.asarray(family.logpdf(a, **rows), dtype=float) - log_sa)
        kappa = np.maximum(a * hazard - 1.0, 0.5)
        geometric = a > 0
        y = np.where(geometric[:, None], a[:, None] * np.exp(u / kappa[:, None]),
                     a[:, None] + u / hazard[:, None])
        big = {k: np.repeat(v, TAIL_NODES) for k, v in rows.items()}
        rel = np.exp(np.asarray(log_survival(family, y.reshape(-1), big),
                                dtype=float).reshape(y.shape) - log_sa[:, None])
        jac = np.where(geometric[:, None], y / kappa[:, None], 1.0 / hazard[:, None])
        terms = np.where(rel > 0, rel * jac, 0.0)         # y = inf: S = 0
        return a + terms @ (wu * np.exp(u))               # e^u undoes Laguerre's weight


def _quantile_scale(family, rows, lo, hi) -> np.ndarray:
    with np.errstate(all="ignore"):
        pa = np.where(np.isfinite(lo), np.asarray(family.cdf(lo, **rows), dtype=float), 0.0)
        pb = np.where(np.isfinite(hi), np.asarray(family.cdf(hi, **rows), dtype=float), 1.0)
        upper = pa > 0.5      # both ends in the upper half: the width from the survival
        if upper.any():
            sa = np.exp(log_survival(family, lo, rows))
            sb = np.where(np.isfinite(hi), np.exp(log_survival(family, hi, rows)), 0.0)
            width = np.where(upper, sa - sb, pb - pa)
        else:
            width = pb - pa
    t, w = np.polynomial.legendre.leggauss(NODES)
    t, w = 0.5 * (t + 1.0), 0.5 * w
    a, b = t ** 3, (1.0 - t) ** 3
    phi, rest = a / (a + b), b / (a + b)          # rest = 1 - phi without cancellation
    dphi = 3.0 * t ** 2 * (1.0 - t) ** 2 / (a + b) ** 2
    near_top = phi > 0.5
    p = np.where(near_top, pb[:, None] - width[:, None] * rest, pa[:, None] + width[:, None] * phi)
    m = lo.shape[0]
    big = {k: np.repeat(v, NODES) for k, v in rows.items()}
    with np.errstate(all="ignore"):
        q = np.asarray(ppf(family, p.reshape(-1), big), dtype=float).reshape(m, NODES)
    q = np.where(q < lo[:, None], lo[:, None], q)   # rounding of p at the lower end
    out = q @ (w * dphi)
    point = width <= 0                              # a window of no mass: its end
    return np.where(point, np.where(np.isfinite(lo), lo, hi), out)


def _discrete(family, rows, lo, hi) -> np.ndarray:
    lo, hi = np.ceil(lo), np.floor(hi)
    out = np.full(lo.shape, np.nan)
    small = ~np.isfinite(hi) & (lo <= _SMALL) & family.has("mean")
    if small.any():
        sub = {k: v[small] for k, v in rows.items()}
        tail = log_survival(family, lo[small] - 1.0, sub)
        ok = tail > np.log(0.5)
        idx = np.flatnonzero(small)[ok]
        if idx.size:
            out[idx] = _open_identity(family, {k: v[idx] for k, v in rows.items()}, lo[idx],
                                      tail[ok])
    rest = np.isnan(out)
    if rest.any():
        sub = {k: v[rest] for k, v in rows.items()}
        out[rest] = _summed(family, sub, lo[rest], hi[rest])
    return out


def _open_identity(family, rows, lo, log_tail) -> np.ndarray:
    """``(E[Y] - sum_{k<l} k P(k)) / P(Y >= l)`` for small ``l``."""
    mean = np.asarray(family.mean(**rows), dtype=float)
    below = np.zeros(lo.shape)
    top = int(lo.max()) if lo.size else 0
    start = float(family.support.lower) if np.isfinite(family.support.lower) else 0.0
    for k in range(int(np.ceil(start)), top):
        keep = k < lo
        with np.errstate(all="ignore"):
            pk = np.exp(np.asarray(family.logpdf(np.full(lo.shape, float(k)), **rows),
                                   dtype=float))
        below += np.where(keep, k * pk, 0.0)
    return (mean - below) / np.exp(log_tail)


def _summed(family, rows, lo, hi) -> np.ndarray:
    """``sum k P(k) / sum P(k)`` over ``[lo, hi]`` in log space, block by block."""
    m = lo.shape[0]
    skip = np.asarray(ppf(family, np.full(m, _SKIP), rows), dtype=float)
    start = np.where(skip <= hi, np.fmax(lo, skip), lo)   # lo: finite (the support's end)
    log_num = np.full(m, -np.inf)     # log sum k P(k) (k >= 0 here: counts)
    log_den = np.full(m, -np.inf)
    top = np.full(m, -np.inf)         # the largest log term so far
    active = np.ones(m, dtype=bool)
    offset = start.copy()
    width = 64
    while active.any():
        idx = np.flatnonzero(active)
        k = offset[idx, None] + np.arange(width)
        inside = k <= hi[idx, None]
        sub = {key: np.repeat(v[idx], width) for key, v in rows.items()}
        with np.errstate(all="ignore"):
            lp = np.asarray(family.logpdf(k.reshape(-1), **sub), dtype=float).reshape(k.shape)
        lp = np.where(inside, lp, -np.inf)
        with np.errstate(divide="ignore"):
            log_k = np.log(np.abs(k))
        log_den[idx] = np.logaddexp(log_den[idx], special.logsumexp(lp, axis=1))
        log_num[idx] = np.logaddexp(log_num[idx], special.logsumexp(lp + log_k, axis=1))
        top[idx] = np.maximum(top[idx], lp.max(axis=1))
        last = lp[:, -1]
        falling = last <= lp[:, 0]
        done = ~inside[:, -1] | (falling & (last < top[idx] - _STOP))
        offset[idx] += width
        active[idx[done]] = False
        width = min(2 * width, 4096)
    return np.exp(log_num - log_den)


def truncated_ppf(family, q: float, rows: dict, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The ``q`` quantile of ``Y`` given ``lo <= Y <= hi`` per row: ``Q(P(Y < lo) + q
    P(lo <= Y <= hi))`` (``P(Y < lo) = F(lo - 1)`` for a discrete family)."""
    dom = family.support
    lo = np.maximum(lo, float(dom.lower))
    hi = np.minimum(hi, float(dom.upper))
    step = 1.0 if dom.integer else 0.0
    with np.errstate(all="ignore"):
        below = np.where(np.isfinite(lo), np.asarray(family.cdf(np.ceil(lo) - 1.0 if step else lo,
                                                                **rows), dtype=float), 0.0)
        top = np.where(np.isfinite(hi), np.asarray(family.cdf(hi, **rows), dtype=float), 1.0)
        out = np.asarray(ppf(family, below + q * (top - below), rows), dtype=float)
    return np.clip(out, np.ceil(lo) if step else lo, hi)


# predict ------------------------------------------------------------------------------
def predict(res, newdata, bounds, interval, alpha):
    """``predict(which="mean")`` of a truncated model (``bounds``: :func:`window`)."""
    from .prediction import _mean_se, designs, linear_predictors

    fam = res.family
    lo, hi = bounds
    mats, index = designs(res, newdata)
    etas = linear_predictors(res, mats, len(index))

    def mean(thetas):
        n = len(index)
        rows = {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in
                thetas.items()}
        return conditional_mean(fam, rows, lo, hi)

    with np.errstate(all="ignore"):
        value = mean({p: res.links[p].inverse(e) for p, e in etas.items()})
    if interval is None:
        return pd.Series(value, index=index, name="mean")
    if interval != "confidence":
        raise DataError(f"interval={interval!r}: the mean of a truncated model takes "
                        "interval='confidence' (the delta method) or None.")
    se = _mean_se(res, mats, etas, mean)
    q = quantile(res, alpha)
    return pd.DataFrame({"estimate": value, "se": se, "lower": value - q * se,
                         "upper": value + q * se}, index=index)
