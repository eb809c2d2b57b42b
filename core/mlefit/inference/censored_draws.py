"""Responses drawn from a fit to censored or truncated data, censored as the data were.

* Fixed limits (``censoring=(lo, hi)``, Tobit): a draw from the fitted model is censored
  at the limits, as the data were.
* Random right censoring (``Surv(time, event)``): a censored row's censoring time is its
  observed time; an event row's was never observed, so it is drawn from the Kaplan-Meier
  estimate of the censoring distribution (censorings as the events, events as the
  censorings) conditional on exceeding the row's event time (none left: uncensored).
  The response is ``min(T*, C)`` with ``T*`` drawn from the model.
* Truncation ``[tlo, thi]`` (and delayed entry): draws outside the range are redrawn, as a
  truncated sample holds only values inside it.

Other kinds (left and interval censoring) have no model of their inspection process
here, and are refused. :func:`kaplan_meier` is the product-limit estimate these draws
use.
"""

from __future__ import annotations

import numpy as np

from ..censoring import Response, censor_fixed
from ..engine.censored import EXACT, LEFT, RIGHT
from ..errors import DataError
from .resampling import draws

__all__ = ["censored_draw", "is_censored", "kaplan_meier"]

#: rounds of redrawing the rows outside a truncation range
REDRAWS = 1000


def kaplan_meier(time, event, weights=None) -> tuple[np.ndarray, np.ndarray]:
    """The product-limit estimate: the distinct event times and ``S(t)`` just after each
    (``prod (1 - d_j / n_j)``; a censoring at an event time counts as at risk there)."""
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=bool)
    w = np.ones(time.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    order = np.argsort(time, kind="stable")
    t, e, w = time[order], event[order], w[order]
    times = np.unique(t[e])
    at_risk = w.sum() - np.concatenate([[0.0], np.cumsum(w)])[np.searchsorted(t, times)]
    deaths = np.bincount(np.searchsorted(times, t[e]), weights=w[e], minlength=times.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod(1.0 - np.where(at_risk > 0, deaths / at_risk, 0.0))
    return times, surv


def _response(res) -> Response | None:
    ctx = res._context
    resp = getattr(ctx.frame, "censoring", None)
    return None if resp is None else resp.take(ctx.rows)


def is_censored(res) -> bool:
    """Whether ``res`` was fitted to a censored or truncated response."""
    return getattr(res._context, "censoring", None) is not None


def _conditional_km(times, surv, after: np.ndarray, rng) -> np.ndarray:
    """One draw per entry of ``after`` from the KM distribution given ``C > after`` (inf
    where no mass is left beyond it)."""
    mass = -np.diff(np.concatenate([[1.0], surv]))
    out = np.full(after.shape[0], np.inf)
    cum = np.concatenate([[0.0], np.cumsum(mass)])
    for i, a in enumerate(after):
        start = np.searchsorted(times, a, side="right")
        left = cum[-1] - cum[start]
        if left <= 1e-15:
            continue
        u = cum[start] + rng.random() * left
        out[i] = times[min(np.searchsorted(cum, u, side="right") - 1, times.size - 1)]
    return out


def censored_draw(res, rng) -> tuple[np.ndarray, Response]:
    """One simulated response of a censored or truncated fit and its censoring."""
    resp = _response(res)
    y_obs = res._context.objective.y
    y = draws(res, 1, rng)[0]
    y = _inside_truncation(res, y, resp, rng)
    kinds = np.full(y.shape[0], EXACT, dtype=np.int8)
    if resp.fixed is not None:
        y, kinds = censor_fixed(y, resp.fixed)
    elif resp.surv in ("right", "counting"):
        censored = resp.kinds == RIGHT
        times, surv = kaplan_meier(y_obs, censored, res._context.objective.weights)
        c = y_obs.copy()
        c[~censored] = _conditional_km(times, surv, y_obs[~censored], rng)
        kinds = np.where(y > c, RIGHT, EXACT).astype(np.int8)
        y = np.minimum(y, c)
    elif resp.censored:
        kind = "left" if np.any(resp.kinds == LEFT) else "interval"
        raise DataError(f"this fit's response is {kind}-censored ({resp.label}); simulating "
                        "it needs a model of when each row was inspected, which mlefit does "
                        "not have. Fix: simulate right-censored, fixed-limit (censoring=) or "
                        "truncated fits only.")
    return y, Response(kinds, y.copy(), resp.tlo, resp.thi, resp.label, resp.entry, None,
                       resp.surv, resp.fixed)


def _inside_truncation(res, y, resp: Response, rng) -> np.ndarray:
    if not resp.truncated:
        return y
    discrete = bool(res.family.support.integer)

    def outside(v):
        low = v <= resp.tlo if (resp.entry or not discrete) else v < resp.tlo
        return low | (v > resp.thi)

    bad = outside(y)
    for _ in range(REDRAWS):
        if not bad.any():
            return y
        y = np.where(bad, draws(res, 1, rng)[0], y)
        bad = outside(y)
    raise DataError(f"{int(bad.sum())} row(s) drew no value inside their truncation range in "
                    f"{REDRAWS} rounds (the range holds almost no probability at the fitted "
                    "parameters). Fix: check the truncation limits.")
