"""Residuals of a fit to censored or truncated data: randomized quantile and Cox-Snell.

* quantile (Dunn and Smyth 1996, with censoring): a row known to lie in ``(lo, hi]`` gets
  ``Phi^-1(u)`` with ``u`` uniform on ``[F(lo), F(hi)]`` (an exact row of a continuous
  family ``u = F(y)``; of a discrete one, uniform on ``[F(y - 1), F(y)]``); a truncated
  row's ``u`` is taken to the truncated distribution, ``(u - F(tlo)) / (F(thi) -
  F(tlo))``. For a correctly specified model they are standard normal, censored rows
  included.
* Cox-Snell: ``r = -log S(y)`` (the cumulative hazard at the observed value; a truncated
  row's ``-log(S(y) / S(tlo))``). For a correct model the residuals of exact rows behave
  as a unit-exponential sample, those of right-censored rows as right-censored ones
  (their Kaplan-Meier curve follows ``exp(-r)``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..engine.censored import logcdf, logsf
from ..errors import DataError
from ..inference.resampling import make_rng

__all__ = ["censored_quantile_residuals", "cox_snell_residuals"]


def _family_rows(res):
    """The family, the kernel's view of the rows (y, parameters) and the limits."""
    obj = res._context.objective
    coef = res._context.coef_ml
    y, thetas = obj.family_view(coef, slice(None))
    limits = obj.limits
    if limits is not None and obj.response is not None:
        limits = limits.scaled(obj.response.exponent)
    return obj.family, y, thetas, limits


def _cdf(fam, y, thetas):
    with np.errstate(all="ignore"):
        return np.exp(logcdf(fam, y, thetas))


def censored_quantile_residuals(res, seed=None) -> np.ndarray:
    """Randomized quantile residuals honouring censoring and truncation (rows used)."""
    fam, y, thetas, limits = _family_rows(res)
    if not (fam.has("cdf") or fam.has("logcdf")):
        raise DataError(f"family {fam.name!r} defines no cdf, which quantile residuals need.")
    rng = make_rng(seed)
    upper = _cdf(fam, y, thetas)
    lower = _cdf(fam, y - 1.0, thetas) if fam.support.integer else upper
    if limits is not None:
        cens = limits.censored
        lo, hi = limits.censored_interval(slice(None))
        with np.errstate(all="ignore"):
            lower = np.where(cens, np.where(np.isneginf(lo), 0.0, _cdf(fam, lo, thetas)), lower)
            upper = np.where(cens, np.where(np.isposinf(hi), 1.0, _cdf(fam, hi, thetas)), upper)
    u = rng.uniform(lower, upper)
    if limits is not None and limits.truncated.any():
        b = limits.bounds
        with np.errstate(all="ignore"):
            ft = np.where(np.isneginf(b[:, 2]), 0.0, _cdf(fam, b[:, 2], thetas))
            fu = np.where(np.isposinf(b[:, 3]), 1.0, _cdf(fam, b[:, 3], thetas))
            u = np.where(limits.truncated, (u - ft) / (fu - ft), u)
    eps = np.finfo(float).eps
    return special.ndtri(np.clip(u, eps, 1 - eps))


def cox_snell_residuals(res) -> np.ndarray:
    """``-log S(y)`` per row used (less ``-log S(tlo)`` for a truncated row)."""
    fam, y, thetas, limits = _family_rows(res)
    if fam.support.integer:
        raise DataError(f"Cox-Snell residuals are for continuous responses; {fam.name!r} is "
                        "discrete. Fix: use kind='quantile'.")
    if not (fam.has("cdf") or fam.has("logsf")):
        raise DataError(f"family {fam.name!r} defines no cdf, which Cox-Snell residuals need.")
    with np.errstate(all="ignore"):
        r = -logsf(fam, y, thetas)
        if limits is not None and limits.truncated.any():
            tlo = limits.bounds[:, 2]
            r = r + np.where(np.isneginf(tlo), 0.0, logsf(fam, np.where(
                np.isneginf(tlo), y, tlo), thetas))
    return r
