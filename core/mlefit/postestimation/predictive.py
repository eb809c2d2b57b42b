"""The predictive distribution of a fit: quantiles, prediction intervals and survival
quantities for new (or the fit's) rows.

* ``predict(which="quantile", q=[0.1, 0.5, 0.9])``: the quantiles of ``y`` given each
  row's fitted parameters (gamlss's centiles), one column per ``q``; integers for a
  discrete family. ``q=0.5`` on a survival model is the median survival time.
* ``predict(interval="prediction", alpha=0.05)``: the estimate (E[y]) with the ``alpha/2``
  and ``1 - alpha/2`` quantiles of ``y``. Plug-in by default (the parameters at their
  estimates). The gaussian with identity link under ``convention="R"`` and a constant
  sigma gives R's ``predict.lm(interval = "prediction")`` exactly instead: ``mu -+
  t(df_resid) sqrt(se_mu^2 + phi / w)`` with ``phi`` the Pearson dispersion and ``w``
  the new rows' weights (1 unless ``weights=`` is given, as R assumes).
* ``method="simulate"`` (quantiles and intervals) adds the parameters' uncertainty: ``nsim``
  coefficient vectors drawn from their normal approximation ``N(b, cov)``, one response
  drawn per row from each, and the empirical quantiles of those responses (``seed=``).
* ``which="survival"``, ``"hazard"``, ``"cumhazard"`` at ``times=``: ``S(t) = P(Y > t)``,
  ``h(t) = f(t) / S(t)`` (a discrete family: ``P(Y = t) / P(Y >= t)``) and ``H(t) = -log
  S(t)``, a DataFrame of rows by times. ``log S`` comes from the family's ``logsf`` when
  it has one, else from ``log1p(-cdf)``, which loses relative accuracy where the cdf is
  within a few digits of 1.

A truncated fit's quantiles (plug-in) are those of its truncated distribution
(:func:`mlefit.postestimation.truncated_mean.truncated_ppf`; ``truncation=`` sets another
window).

The quantile function is the family's ``ppf when it defines one; otherwise the cdf is
inverted (:func:`ppf`): for a discrete family the smallest integer ``k`` with ``F(k) >= q``
by bisection on the integers, for a continuous one a bracket on a scale that maps the
support onto the real line (log for ``(0, inf)``, logit for ``(0, 1)``), then Newton's
method kept inside the bracket (a step that leaves it bisects), to rounding.
Above the median both use ``logsf(y) <= log(1 - q)`` when the family has ``logsf``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ..errors import DataError
from ..inference.coefficients import estimated, estimated_cov
from ..inference.confidence import check_alpha, quantile
from ..inference.resampling import make_rng

__all__ = ["METHODS", "OPTIONS", "WHICH", "log_survival", "ppf", "predict"]

#: the ``which`` this module answers (besides ``interval="prediction"``)
WHICH = ("quantile", "survival", "hazard", "cumhazard")
#: how the predictive distribution is obtained
METHODS = ("plugin", "simulate")
#: the keywords of ``predict`` this module takes
OPTIONS = ("q", "times", "method", "nsim", "seed", "weights", "truncation")

#: steps of the continuous inversion (Newton, or a bisection where Newton leaves the
#: bracket; the bracket is at most 2^70 wide on the mapped scale, 53 halvings more reach
#: rounding)
_BISECT = 200
#: doublings of the bracket before the inversion gives up
_EXPAND = 70
#: cells (rows x draws) method="simulate" holds at once
_SIM_CELLS = 1 << 20


# the quantile function ---------------------------------------------------------------------
def ppf(family, q, params: dict) -> np.ndarray:
    """The ``q`` quantile of ``y`` per row: the family's ``ppf``, else the cdf inverted.

    ``q`` and every parameter array broadcast to one shape. A family with neither ``ppf``
    nor ``cdf`` is refused (:class:`~mlefit.errors.DataError`).
    """
    arrays = np.broadcast_arrays(np.asarray(q, dtype=float),
                                 *[np.asarray(v, dtype=float) for v in params.values()])
    q, rows = arrays[0], dict(zip(params, arrays[1:], strict=True))
    if family.has("ppf"):
        return np.asarray(family.ppf(q, **rows), dtype=float)
    if not family.has("cdf"):
        raise DataError(f"family {family.name!r} defines neither ppf nor cdf, which "
                        "predictive quantiles and intervals need. Fix: give the family a "
                        "cdf(y, **params) (or a ppf(q, **params)).")
    if getattr(family, "response_columns", 1) > 1:
        raise DataError(f"family {family.name!r} has a response of several columns and no "
                        "ppf(q, **params): its quantiles are not defined from the cdf alone. "
                        "Fix: give the family a ppf.")
    if family.support.integer:
        return _discrete_ppf(family, q, rows)
    return _continuous_ppf(family, q, rows)


def _at_least(family, y, q, rows) -> np.ndarray:
    """``F(y) >= q`` per row, through ``logsf`` above the median when the family has it
    (the cdf there is within rounding of 1 long before the tail ends)."""
    with np.errstate(all="ignore"):
        if family.has("logsf"):
            upper = q > 0.5
            out = np.empty(q.shape, dtype=bool)
            if upper.any():
                sub = {k: v[upper] for k, v in rows.items()}
                out[upper] = np.asarray(family.logsf(y[upper], **sub)) <= np.log1p(-q[upper])
            if (~upper).any():
                sub = {k: v[~upper] for k, v in rows.items()}
                out[~upper] = np.asarray(family.cdf(y[~upper], **sub)) >= q[~upper]
            return out
        return np.asarray(family.cdf(y, **rows), dtype=float) >= q


def _discrete_ppf(family, q, rows) -> np.ndarray:
    """The smallest integer ``k`` of the support with ``F(k) >= q``: an upper end found
    by doubling steps, then bisection on the integers."""
    dom = family.support
    bounded = bool(np.isfinite(dom.lower))
    start = float(np.ceil(dom.lower)) if bounded else 0.0
    if bounded and not dom.closed_lower and start == dom.lower:
        start += 1.0
    hi, step = np.full(q.shape, start), np.ones(q.shape)
    ok = _at_least(family, hi, q, rows)
    for _ in range(_EXPAND):
        if ok.all():
            break
        hi = np.where(ok, hi, hi + step)
        step = np.where(ok, step, 2 * step)
        ok = _at_least(family, hi, q, rows)
    lo = np.full(q.shape, start - 1.0)     # below the support: F(lo) = 0 < q
    if not bounded:                        # move down until F(lo) < q
        step = np.ones(q.shape)
        for _ in range(_EXPAND):
            bad = _at_least(family, lo, q, rows)
            if not bad.any():
                break
            hi = np.where(bad, lo, hi)
            lo = np.where(bad, lo - step, lo)
            step = 2 * step
    while True:
        open_ = hi - lo > 1
        if not open_.any():
            break
        mid = np.floor((lo + hi) / 2)
        good = _at_least(family, mid, q, rows)
        hi = np.where(open_ & good, mid, hi)
        lo = np.where(open_ & ~good, mid, lo)
    return np.where(ok, hi, np.nan)


def _mapping(dom):
    """``(to_y, dy_dx, x0)``: an increasing map of the real line onto the support's
    interior, its derivative, and a start on it (None: start at the mean)."""
    lower, upper = float(dom.lower), float(dom.upper)
    if np.isfinite(lower) and np.isfinite(upper):
        width = upper - lower
        return ((lambda x: lower + width * special.expit(x)),
                (lambda x: width * special.expit(x) * special.expit(-x)), 0.0)
    if np.isfinite(lower):
        return (lambda x: lower + np.exp(x)), np.exp, 0.0
    if np.isfinite(upper):
        return (lambda x: upper - np.exp(-x)), (lambda x: np.exp(-x)), 0.0
    return (lambda x: x), np.ones_like, None


def _gap(family, y, q, rows):
    """``(phi, dphi/dy)`` of a function increasing in ``y`` that is 0 at the ``q``
    quantile: ``log(1 - q) - log S(y)`` above the median when the family has ``logsf``
    (``dphi/dy`` the hazard), else ``F(y) - q`` (``dphi/dy`` the density)."""
    with np.errstate(all="ignore"):
        logf = np.asarray(family.logpdf(y, **rows), dtype=float)
        upper = (q > 0.5) & family.has("logsf")
        phi, slope = np.empty(q.shape), np.empty(q.shape)
        if upper.any():
            sub = {k: v[upper] for k, v in rows.items()}
            logS = np.asarray(family.logsf(y[upper], **sub), dtype=float)
            phi[upper] = np.log1p(-q[upper]) - logS
            slope[upper] = np.exp(logf[upper] - logS)
        if (~upper).any():
            sub = {k: v[~upper] for k, v in rows.items()}
            phi[~upper] = np.asarray(family.cdf(y[~upper], **sub), dtype=float) - q[~upper]
            slope[~upper] = np.exp(logf[~upper])
    return phi, slope


def _continuous_ppf(family, q, rows) -> np.ndarray:
    """``F(y) = q`` on the support mapped onto the real line: a bracket by doubling, then
    Newton's method kept inside the bracket (a step that leaves it bisects), to rounding."""
    to_y, dy_dx, x0 = _mapping(family.support)
    if x0 is None:      # the real line: start at the mean when there is one
        with np.errstate(all="ignore"):
            centre = (np.asarray(family.mean(**rows), dtype=float) if family.has("mean")
                      else np.zeros(q.shape))
        centre = np.where(np.isfinite(centre), centre, 0.0)
    else:
        centre = np.full(q.shape, x0)
    width = np.ones(q.shape)
    lo, hi = centre - width, centre + width
    for _ in range(_EXPAND):
        lo_bad = _at_least(family, to_y(lo), q, rows)
        hi_bad = ~_at_least(family, to_y(hi), q, rows)
        if not (lo_bad.any() or hi_bad.any()):
            break
        width = 2 * width
        lo = np.where(lo_bad, lo - width, lo)
        hi = np.where(hi_bad, hi + width, hi)
    eps, tiny = np.finfo(float).eps, np.finfo(float).tiny
    x = 0.5 * (lo + hi)
    active = np.arange(q.size)
    for _ in range(_BISECT):
        xa, la, ha = x[active], lo[active], hi[active]
        sub = {k: v[active] for k, v in rows.items()}
        with np.errstate(all="ignore"):
            phi, slope = _gap(family, to_y(xa), q[active], sub)
            above = phi >= 0
            ha, la = np.where(above, xa, ha), np.where(above, la, xa)
            step = phi / (slope * dy_dx(xa))
            new = xa - step
        settled = (phi == 0) | (np.abs(step) <= 4 * eps * np.abs(xa) + tiny)
        bisect = ~np.isfinite(new) | (new <= la) | (new >= ha)
        new = np.where(bisect, 0.5 * (la + ha), new)
        narrow = ha - la <= 4 * eps * np.maximum(np.abs(la), np.abs(ha)) + tiny
        lo[active], hi[active] = la, ha
        x[active] = np.where(settled, xa, np.where(narrow, 0.5 * (la + ha), new))
        active = active[~(settled | narrow)]
        if active.size == 0:
            break
    with np.errstate(all="ignore"):
        return to_y(x)


def log_survival(family, y, params: dict) -> np.ndarray:
    """``log P(Y > y)``: the family's ``logsf``, else ``log1p(-cdf)`` (inaccurate where the
    cdf is within rounding of 1)."""
    with np.errstate(divide="ignore"):
        if family.has("logsf"):
            return np.asarray(family.logsf(y, **params), dtype=float)
        return np.log1p(-np.asarray(family.cdf(y, **params), dtype=float))


# predict's dispatch ------------------------------------------------------------------------
def predict(res, newdata, which, interval, alpha, options: dict):
    """``which`` in :data:`WHICH` or ``interval="prediction"`` (see the module
    docstring); ``options`` are :data:`OPTIONS` keywords."""
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise DataError(f"predict() got unknown keyword(s) {unknown}; with which={which!r} "
                        f"and interval={interval!r} it takes {list(OPTIONS)}.")
    method = options.get("method", "plugin")
    if method not in METHODS:
        raise DataError(f"method={method!r} is not one of {list(METHODS)}.")
    if which in ("survival", "hazard", "cumhazard"):
        if interval is not None:
            raise DataError(f"which={which!r} takes no interval. Fix: leave interval=None.")
        return _survival(res, newdata, which, options.get("times"))
    if which == "quantile":
        if interval is not None:
            raise DataError("which='quantile' takes no interval (the quantiles are the "
                            "interval's ends). Fix: leave interval=None.")
        return _quantiles(res, newdata, options.get("q", 0.5), method, options)
    if which != "mean":
        raise DataError(f"interval='prediction' is for which='mean' (the response); got "
                        f"which={which!r}. Fix: drop which=, or use which='quantile'.")
    return _prediction_interval(res, newdata, check_alpha(alpha), method, options)


def _rows(res, newdata):
    _, thetas, index = res._thetas(newdata)
    n = len(index)
    return {k: np.broadcast_to(np.asarray(v, dtype=float), (n,)) for k, v in thetas.items()}, index


def _check_q(q) -> tuple[np.ndarray, bool]:
    scalar = np.ndim(q) == 0
    try:
        qs = np.atleast_1d(np.asarray(q, dtype=float))
    except (TypeError, ValueError):
        qs = np.array([np.nan])
    if qs.ndim != 1 or qs.size == 0 or not np.all((qs > 0) & (qs < 1)):
        raise DataError(f"q={q!r} must be a probability or a list of them, each in (0, 1). "
                        "Fix: e.g. q=[0.1, 0.5, 0.9].")
    return qs, scalar


def _quantiles(res, newdata, q, method, options):
    qs, scalar = _check_q(q)
    fam = res.family
    if method == "simulate":
        draws, index = _simulated(res, newdata, options)
        kind = "inverted_cdf" if fam.support.integer else "linear"
        values = np.quantile(draws, qs, axis=1, method=kind).T
    else:
        rows, index = _rows(res, newdata)
        quantile_of = _quantile_function(res, newdata, rows, options)
        values = np.column_stack([quantile_of(p) for p in qs])
    if scalar:
        return pd.Series(values[:, 0], index=index, name="quantile")
    return pd.DataFrame(values, index=index, columns=[f"q{p:g}" for p in qs])


def _prediction_interval(res, newdata, alpha, method, options):
    fam = res.family
    estimate = (res.predict(newdata, which="mean", truncation=options.get("truncation"))
                if fam.has("mean") else None)
    exact = _lm_case(res)
    if exact and method == "plugin":
        return _lm_interval(res, newdata, alpha, options.get("weights"))
    if options.get("weights") is not None:
        raise DataError("weights= in predict() are the new rows' variance weights of R's "
                        "predict.lm, used only by the gaussian-identity prediction interval "
                        "under convention='R'. Fix: drop weights=.")
    qs = np.array([alpha / 2, 1 - alpha / 2])
    if method == "simulate":
        draws, index = _simulated(res, newdata, options)
        kind = "inverted_cdf" if fam.support.integer else "linear"
        lower, upper = np.quantile(draws, qs, axis=1, method=kind)
    else:
        rows, index = _rows(res, newdata)
        lower, upper = (_quantile_function(res, newdata, rows, options)(p) for p in qs)
    value = (estimate.to_numpy() if estimate is not None
             else np.full(len(index), np.nan))
    return pd.DataFrame({"estimate": value, "lower": lower, "upper": upper}, index=index)


def _quantile_function(res, newdata, rows, options):
    """``p -> quantiles per row`` of the fit's distribution, truncated to its window
    (:mod:`mlefit.postestimation.truncated_mean`) when it has one."""
    from .truncated_mean import truncated_ppf, window

    n = len(next(iter(rows.values())))
    bounds = window(res, newdata, n, options.get("truncation"))
    if bounds is None:
        return lambda p: ppf(res.family, np.full(n, p), rows)
    return lambda p: truncated_ppf(res.family, p, rows, *bounds)


def _lm_case(res) -> bool:
    """Whether R's ``predict.lm`` rule applies: gaussian, identity link for ``mu``,
    ``convention="R"`` and one sigma for every row (estimated as the Pearson dispersion)."""
    fam = res.family
    if fam.name != "gaussian" or res.links["mu"].name != "identity":
        return False
    if getattr(res.convention, "name", None) != "R" or res.dispersion is None:
        return False
    if "sigma" in res.fixed:
        return False
    return len(res.params.loc["sigma"]) == 1


def _lm_interval(res, newdata, alpha, weights):
    """``mu -+ t sqrt(se_mu^2 + phi / w)`` (R's ``predict.lm(interval = "prediction")``)."""
    conf = res.predict(newdata, which="mean", interval="confidence", alpha=alpha)
    n = len(conf)
    if weights is None:
        w = np.ones(n)
    else:
        if isinstance(weights, str):
            if newdata is None or weights not in newdata:
                raise DataError(f"weights={weights!r} is not a column of newdata. Fix: pass "
                                "the column's name or an array with one weight per row.")
            weights = newdata[weights]
        w = np.asarray(weights, dtype=float).reshape(-1)
        if w.shape != (n,) or not np.all(np.isfinite(w) & (w > 0)):
            raise DataError(f"weights must be {n} finite positive numbers, one per row "
                            "predicted. Fix: pass one weight per row of newdata.")
    t = quantile(res, alpha)
    spread = t * np.sqrt(conf["se"].to_numpy() ** 2 + res.dispersion.phi / w)
    est = conf["estimate"].to_numpy()
    return pd.DataFrame({"estimate": est, "lower": est - spread, "upper": est + spread},
                        index=conf.index)


def _simulated(res, newdata, options):
    """``(n, nsim)`` responses: each column from one coefficient vector drawn from
    ``N(b, cov)`` (the estimated coefficients; fixed parameters stay fixed)."""
    fam = res.family
    if res._context.truncation is not None or options.get("truncation") is not None:
        raise DataError("method='simulate' draws from the untruncated distribution; this "
                        "fit (or predict's truncation=) is truncated. Fix: use "
                        "method='plugin', which truncates the quantiles to the window.")
    if not fam.has("sample"):
        raise DataError(f"family {fam.name!r} defines no sample(), which method='simulate' "
                        "needs. Fix: use method='plugin'.")
    nsim = options.get("nsim", 1000)
    if not isinstance(nsim, int | np.integer) or isinstance(nsim, bool) or nsim < 1:
        raise DataError(f"nsim={nsim!r} must be a positive integer (the number of draws).")
    rng = make_rng(options.get("seed"))
    from .prediction import designs

    mats, index = designs(res, newdata)
    n = len(index)
    mask = estimated(res)
    b = res.coef[mask]
    draws = rng.multivariate_normal(b, estimated_cov(res), size=nsim, method="eigh")
    names = res.index.get_level_values(0)[mask]
    out = np.empty((n, nsim))
    chunk = max(1, _SIM_CELLS // max(n, 1))     # draws per pass: n * chunk cells at most
    for first in range(0, nsim, chunk):
        part = draws[first:first + chunk]
        m = len(part)
        params = {}
        for p in fam.parameters:
            if p.name in res.fixed:
                params[p.name] = np.full(n * m, float(res.fixed[p.name]))
                continue
            X, off = mats[p.name]
            eta = np.asarray(off, dtype=float).reshape(-1, 1) + X @ part[:, names == p.name].T
            with np.errstate(all="ignore"):
                params[p.name] = np.asarray(res.links[p.name].inverse(eta)).reshape(-1)
        y = np.asarray(fam.sample(rng, n * m, **params), dtype=float)
        y = y[:, 0] if y.ndim == 2 else y
        out[:, first:first + m] = y.reshape(n, m)
    return out, index


def _survival(res, newdata, which, times):
    fam = res.family
    if not fam.has("cdf"):
        raise DataError(f"family {fam.name!r} defines no cdf, which which={which!r} needs. "
                        "Fix: give the family a cdf(y, **params) (and logsf for accuracy).")
    if getattr(fam, "response_columns", 1) > 1:
        raise DataError(f"which={which!r} is for a response of one column; family "
                        f"{fam.name!r} has {fam.response_columns}.")
    if times is None:
        raise DataError(f"which={which!r} needs times=, the times at which to evaluate it. "
                        "Fix: e.g. times=[100, 365].")
    try:
        ts = np.atleast_1d(np.asarray(times, dtype=float))
    except (TypeError, ValueError):
        ts = np.array([np.nan])
    if ts.ndim != 1 or ts.size == 0 or not np.all(np.isfinite(ts)):
        raise DataError(f"times={times!r} must be finite numbers. Fix: e.g. times=[100, 365].")
    rows, index = _rows(res, newdata)
    n = len(index)
    cols = []
    for t in ts:
        y = np.full(n, t)
        logS = log_survival(fam, y, rows)
        if which == "survival":
            cols.append(np.exp(logS))
        elif which == "cumhazard":
            cols.append(-logS)
        else:
            with np.errstate(all="ignore"):
                logf = np.asarray(fam.logpdf(y, **rows), dtype=float)
                if fam.support.integer:     # P(Y = t) / P(Y >= t)
                    cols.append(np.exp(logf - np.logaddexp(logS, logf)))
                else:
                    cols.append(np.exp(logf - logS))
    labels = list(np.atleast_1d(np.asarray(times)))     # as given (ints stay ints)
    return pd.DataFrame(np.column_stack(cols), index=index, columns=labels)
