"""Responses drawn from a fitted model, and refits of the model to them.

``draws`` samples from the family's ``sample`` at the fitted parameters of every row
(for a multi-column response, with the observed row totals as ``trials``). ``refit``
re-estimates a fitted model on a new response with the same design, weights and
options, warm-started at the original estimate: the engine's objective with ``y``
replaced. The parametric bootstrap of :func:`mlefit.lrtest` stands on both, and so do
``res.simulate()``, the quantile residuals and the plots' simulation envelopes.
"""

from __future__ import annotations

import inspect

import numpy as np

from .. import engine
from ..engine.firth import maximize_firth
from ..errors import DataError
from ..family import mean_scale
from .coefficients import estimated_coef

__all__ = ["draws", "draws_at", "inside_open_ends", "make_rng", "refit"]


def make_rng(seed) -> np.random.Generator:
    """``np.random.default_rng(seed)``; a seed numpy cannot use is refused as a DataError."""
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise DataError(f"seed={seed!r} is not a random seed ({exc}). Fix: pass None, a "
                        "non-negative integer or a numpy Generator.") from exc


def _thetas(res):
    obj = res._context.objective
    return obj.thetas(obj.etas(estimated_coef(res)))


def draws(res, nsim: int, rng) -> np.ndarray:
    """``(nsim, n, ...)`` responses in logpdf's form for the rows the fit used."""
    return draws_at(res.family, _thetas(res), res._context.objective.y, nsim, rng)


def draws_at(fam, thetas: dict, y: np.ndarray, nsim: int, rng) -> np.ndarray:
    """``(nsim, n, ...)`` responses of ``fam`` at per-row parameters ``thetas`` (``y``:
    the observed response, whose columns give a multi-column response its trials)."""
    if not fam.has("sample"):
        raise DataError(f"family {fam.name!r} defines no sample(), so it cannot be "
                        "simulated. Fix: add sample(rng, size, **params) to the family.")
    n = y.shape[0]
    kwargs = {}
    if y.ndim == 2:
        if "trials" not in inspect.signature(fam.sample).parameters:
            raise DataError(f"family {fam.name!r} has a multi-column response but its "
                            "sample() takes no trials=.")
        kwargs["trials"] = mean_scale(fam, y)[1]
    out = np.asarray(fam.sample(rng, (nsim, n), **thetas, **kwargs), dtype=float)
    return inside_open_ends(fam.support, out)


def inside_open_ends(support, y: np.ndarray) -> np.ndarray:
    """Draws that rounded onto an open end of a continuous support (a gamma draw of shape
    1e-3 underflowing to 0, a beta draw of mean 1e-10) moved to the nearest double inside
    it, so that every simulated data set can be refitted."""
    if support.integer:
        return y
    for end, closed, inward in ((support.lower, support.closed_lower, np.inf),
                                (support.upper, support.closed_upper, -np.inf)):
        if np.isfinite(end) and not closed:
            y = np.where(y == end, np.nextafter(end, inward), y)
    return y


def refit(res, y: np.ndarray, censoring=None) -> engine.Solution:
    """Re-estimate ``res``'s model on response ``y`` (rows as the fit used them), censored
    as ``censoring`` says (a :class:`mlefit.censoring.Response` on those rows, or None)."""
    obj = res._context.objective
    y = np.asarray(y, dtype=float)
    limits = None if censoring is None else censoring.limits(
        y, bool(obj.family.support.integer))
    new = engine.Objective(obj.family, y, obj.blocks, obj.weights, obj.derivatives,
                           limits=limits)
    opts = res._context.options
    var_weights = res._context.frame.var_weights
    spec = None if new.limits is not None else engine.DispersionSpec.of(
        obj.family, None if var_weights is None else var_weights[res._context.rows])
    if opts.penalty == "firth":        # the penalised estimate, as the fit's own
        return maximize_firth(new, estimated_coef(res), maxiter=opts.maxiter)
    return engine.maximize(new, estimated_coef(res), method=opts.method, dispersion=spec,
                           maxiter=opts.maxiter, tol=opts.tol)
