"""Goodness of fit of families with a unit deviance: deviance, null deviance, Pearson X2.

``deviance = sum w v m d(ybar, mu)`` with frequency weights ``w``, precision weights
``v`` and, for a multi-column response, the trials ``m`` and mean-scale response ``ybar``
(the family's ``glm_response``). The null deviance refits the mean with an intercept
only (or nothing, when the model has no intercept) and the same offset and weights, the
other parameters held at their estimates: R's rule. These are the GLM statistics of a fit
(``res.glm``, ``res.deviance``, ``res.pearson_chi2``).

An exact fit (every residual zero to rounding, the dispersion 0) has deviance and Pearson
X2 exactly 0, as its diagnosis says; its null deviance is computed as for any fit, with
the dispersion (which the mean's fit does not depend on) held at 1
(:func:`exact_fit_statistics`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..engine import Objective, Want, newton
from ..family import mean_scale

__all__ = ["GLMStatistics", "exact_fit_statistics", "pearson_chi2", "statistics",
           "unit_weights"]


@dataclass(frozen=True)
class GLMStatistics:
    """Deviance, null deviance with its residual degrees of freedom (R's ``df.null``:
    ``nobs - 1`` with an intercept in the mean model, ``nobs`` without) and Pearson X2."""

    deviance: float
    null_deviance: float
    df_null: float
    pearson_chi2: float


def unit_weights(obj: Objective, var_weights, trials) -> np.ndarray:
    v = 1.0 if var_weights is None else var_weights
    return obj.weights * v * trials


def pearson_chi2(obj: Objective, beta: np.ndarray, var_weights) -> float:
    """Pearson's statistic ``sum w v m (ybar - mu)^2 / V(mu)`` at ``beta`` (one pass of the
    kernel); a row fitted exactly on the boundary (``mu = y`` where ``V = 0``, e.g. under
    separation) adds 0."""
    return obj.evaluate(beta, Want(pearson=True), var_weights=var_weights).pearson


def statistics(obj: Objective, beta: np.ndarray, var_weights) -> GLMStatistics:
    fam = obj.family
    first = obj.blocks[0].name
    thetas = obj.thetas(obj.etas(beta))
    ybar, m = mean_scale(fam, obj.y)
    wt = unit_weights(obj, var_weights, m)
    deviance = float(np.sum(wt * fam.unit_deviance(ybar, **thetas)))
    pearson = pearson_chi2(obj, beta, var_weights)
    null_mu, df_null = _null_mean(obj, beta)
    null = float(np.sum(wt * fam.unit_deviance(ybar, **{**thetas, first: null_mu})))
    return GLMStatistics(deviance, null, df_null, pearson)


def exact_fit_statistics(obj: Objective, beta: np.ndarray, var_weights,
                         dispersion: str) -> GLMStatistics:
    """The statistics of an exact fit: deviance and Pearson X2 0, the null deviance of the
    intercept-only mean with the dispersion parameter ``dispersion`` held at 1."""
    beta = np.array(beta, dtype=float)
    block = obj.blocks[obj.index(dispersion)]
    beta[obj.block_slice(dispersion)] = (block.link.link(1.0) - block.offset[0]) / block.X[0, 0]
    return replace(statistics(obj, beta, var_weights), deviance=0.0, pearson_chi2=0.0)


def _null_mean(obj: Objective, beta: np.ndarray):
    """Fitted mean of the intercept-only (same offset) model, others held at ``beta``."""
    first = obj.blocks[0]
    _, trials = mean_scale(obj.family, obj.y)
    nobs = float(np.sum(obj.weights[trials > 0]))   # R's n.ok: rows with no trials drop
    X = first.X
    has_intercept = X.shape[1] > 0 and bool(np.any(np.all(X == X[0], axis=0) & (X[0] != 0)))
    if not has_intercept:
        return first.link.inverse(first.offset), nobs
    held = obj.freeze(beta, keep=[first.name])
    ones = replace(first, X=np.ones((obj.n, 1)))
    null_obj = Objective(obj.family, obj.y, (ones, *held.blocks[1:]), obj.weights,
                         obj.derivatives)
    eta0 = _start(obj, first)
    sol = newton(null_obj, np.array([eta0]))
    return first.link.inverse(first.offset + sol.beta[0]), nobs - 1


def _start(obj, first) -> float:
    ybar, _ = mean_scale(obj.family, obj.y)
    guess = float(np.average(ybar, weights=obj.weights))
    base = float(np.average(first.offset, weights=obj.weights))
    with np.errstate(all="ignore"):
        eta = float(first.link.link(np.clip(guess, 1e-8, None) if first.domain.lower >= 0
                                    else guess))
    return eta - base if np.isfinite(eta) else 0.0
