"""Residuals: response, Pearson, deviance and randomized quantile residuals.

* response: ``ybar - E[y]`` (for a response of several columns, on the mean scale);
* Pearson (GLM families, as R): ``(ybar - mu) sqrt(v m) / sqrt(V(mu))``; otherwise
  ``(y - E y) / sd(y)`` from the family's mean and variance;
* deviance (families with a unit deviance): ``sign(ybar - mu) sqrt(v m d(ybar, mu))``;
* quantile (Dunn and Smyth 1996): ``Phi^-1(F(y))`` for a continuous family (at a
  family's ``atoms``, such as the Tweedie's 0, ``u`` is drawn across the mass); for a
  discrete one ``Phi^-1(u)`` with ``u`` uniform between ``F(y-)`` and ``F(y)``, drawn from
  ``seed``. For a correctly specified model they are standard normal.
* cox-snell: ``-log S(y)``, the cumulative hazard at ``y`` (continuous families).

A fit to censored or truncated data has quantile residuals that honour the censoring and
Cox-Snell residuals (:mod:`.censored_residuals`); its response, Pearson and deviance
residuals are refused (a censored row has no observed value to subtract from).

``v`` are variance weights, ``m`` the trials of a multi-column response (binomial). The
frequency weights do not enter a row's residual (they count copies of it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from ..errors import DataError
from ..family import mean_scale
from ..inference.resampling import make_rng
from .censored_residuals import censored_quantile_residuals, cox_snell_residuals

__all__ = ["KINDS", "quantile_residuals", "residuals"]

KINDS = ("response", "pearson", "deviance", "quantile", "cox-snell")


def _pieces(res):
    """Response in logpdf's form, its mean-scale form and trials, and the fitted thetas."""
    fam = res.family
    y = res._context.frame.y
    if fam.has("prepare_response"):
        y = np.asarray(fam.prepare_response(y), dtype=float)
    ybar, m = mean_scale(fam, y) if y.ndim == 2 else (y, np.ones(y.shape[0]))
    _, thetas, _ = res._thetas()
    return y, ybar, m, thetas


def _needs(fam, *methods):
    missing = [m for m in methods if not fam.has(m)]
    if missing:
        raise DataError(f"family {fam.name!r} defines no {', '.join(missing)}, which these "
                        "residuals need. Fix: use another kind of residual.")


def residuals(res, kind: str = "response", seed=None) -> pd.Series:
    """See :meth:`mlefit.FitResult.resid`."""
    if kind not in KINDS:
        raise DataError(f"kind={kind!r} is not one of {list(KINDS)}.")
    fam = res.family
    censoring = getattr(res._context, "censoring", None)
    if kind in ("quantile", "cox-snell") and (kind == "cox-snell" or censoring is not None):
        return _censored_kind(res, kind, seed)
    if censoring is not None:
        raise DataError(f"{kind} residuals need each row's observed value; this response is "
                        f"censored or truncated ({censoring[0]}). Fix: use kind='quantile' "
                        "or kind='cox-snell'.")
    y, ybar, m, thetas = _pieces(res)
    v = (1.0 if res._context.frame.var_weights is None else res._context.frame.var_weights) * m
    mu = thetas[fam.parameters[0].name]
    if kind == "response":
        _needs(fam, "mean")
        values = ybar - np.asarray(fam.mean(**thetas), dtype=float)
    elif kind == "pearson":
        if fam.has("unit_variance"):
            values = (ybar - mu) * np.sqrt(v) / np.sqrt(fam.unit_variance(**thetas))
        else:
            _needs(fam, "mean", "variance")
            values = (ybar - fam.mean(**thetas)) / np.sqrt(fam.variance(**thetas))
    elif kind == "deviance":
        _needs(fam, "unit_deviance")
        dev = np.maximum(v * fam.unit_deviance(ybar, **thetas), 0.0)
        values = np.sign(ybar - mu) * np.sqrt(dev)
    else:
        values = quantile_residuals(fam, y, thetas, seed)
    return pd.Series(np.asarray(values, dtype=float), index=res._context.frame.index,
                     name=f"resid_{kind}")


def _censored_kind(res, kind, seed) -> pd.Series:
    """Quantile residuals honouring censoring, and Cox-Snell residuals (on the rows the
    fit used; :mod:`.censored_residuals`)."""
    values = censored_quantile_residuals(res, seed) if kind == "quantile" else \
        cox_snell_residuals(res)
    ctx = res._context
    full = np.full(ctx.rows.shape[0], np.nan)
    full[ctx.rows] = values
    return pd.Series(full, index=ctx.frame.index, name=f"resid_{kind.replace('-', '_')}")


def quantile_residuals(fam, y: np.ndarray, thetas: dict, seed=None) -> np.ndarray:
    """Randomized quantile residuals from the family's cdf (Dunn and Smyth 1996)."""
    _needs(fam, "cdf")
    rng = make_rng(seed)
    upper = np.asarray(fam.cdf(y, **thetas), dtype=float)
    if fam.support.integer:
        lower = np.asarray(fam.cdf(_previous(y), **thetas), dtype=float)
        u = rng.uniform(lower, upper)
    else:
        u = upper
        for atom in fam.atoms:   # a mass in a continuous support (the Tweedie's 0)
            at = y == atom
            if np.any(at):
                mass = np.exp(np.asarray(fam.logpdf(y[at], **{k: np.broadcast_to(
                    v, y.shape)[at] for k, v in thetas.items()}), dtype=float))
                u = u.copy()
                u[at] = rng.uniform(upper[at] - mass, upper[at])
    eps = np.finfo(float).eps
    return special.ndtri(np.clip(u, eps, 1 - eps))


def _previous(y: np.ndarray) -> np.ndarray:
    """The next smaller response value: ``y - 1``; for a two-column (count, rest) response
    the count goes down by one and the row total stays."""
    if y.ndim == 1:
        return y - 1
    prev = y.copy()
    prev[:, 0] -= 1
    prev[:, 1] += 1
    return prev
