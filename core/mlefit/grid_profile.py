"""The profile log-likelihood of one family parameter over a grid of fixed values.

:func:`profile_fixed` refits a model with one distribution parameter held at each value of
a grid (``fit(..., fixed={parameter: value})``) and returns the profile log-likelihood,
its maximiser and a likelihood-ratio interval: R's ``tweedie::tweedie.profile`` for the
Tweedie's ``power`` (``mlefit.profile_fixed("y ~ x", data, "tweedie", "power",
[1.2, 1.3, ..., 1.8])``), and the same for any parameter a family lets ``fixed=`` hold
(a Box-Cox-like shape, a degrees-of-freedom parameter).

The maximiser and the interval come from the cubic spline through the grid's values
(``scipy.interpolate.CubicSpline``): the maximum of the spline, and where it falls
``chi2_1(level) / 2`` below that maximum. Their accuracy is the spline's (for a smooth
profile, fourth order in the grid step); refine the grid around them, or fit the parameter
freely where the family estimates it (the Tweedie's ``power``), for the exact ML value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import interpolate, optimize, stats

from .errors import DataError

__all__ = ["FixedProfile", "profile_fixed"]


@dataclass(frozen=True)
class FixedProfile:
    """What :func:`profile_fixed` returns.

    ``parameter``: the profiled parameter; ``table``: one row per grid value (``value``,
    ``llf``, ``converged``); ``mle``: the maximiser of the spline through the grid;
    ``llf_max``: the spline's maximum; ``interval``: ``(low, high)`` where the spline is
    ``chi2_1(level) / 2`` below its maximum (``nan`` where it does not fall that far
    inside the grid); ``level``; ``fits``: the fits, one per grid value.
    """

    parameter: str
    table: pd.DataFrame
    mle: float
    llf_max: float
    interval: tuple[float, float]
    level: float
    fits: tuple

    def __str__(self) -> str:
        low, high = self.interval
        return (f"Profile log-likelihood of {self.parameter!r} over {len(self.table)} values: "
                f"maximum {self.llf_max:.6g} at {self.parameter} = {self.mle:.6g}; "
                f"{100 * self.level:g}% likelihood interval ({low:.6g}, {high:.6g})")


def profile_fixed(formula: str, data, family, parameter: str, values, *,
                  level: float = 0.95, **fit_options) -> FixedProfile:
    """Profile log-likelihood of the family parameter ``parameter`` over ``values``.

    Each value is one ``mlefit.fit(formula, data, family, fixed={parameter: value,
    ...}, **fit_options)`` (other ``fixed`` entries are kept). Returns a
    :class:`FixedProfile`: the table of log-likelihoods, the maximiser and the
    likelihood-ratio interval at ``level`` from the cubic spline through them (module
    docstring). At least four distinct grid values are needed.
    """
    from .api import fit

    grid = np.unique(np.asarray(values, dtype=float).ravel())
    if grid.size < 4 or not np.all(np.isfinite(grid)):
        raise DataError(f"profile_fixed needs at least four distinct finite values of "
                        f"{parameter!r}; got {list(np.ravel(values))}. Fix: pass a grid, "
                        "e.g. numpy.linspace(1.1, 1.9, 9).")
    if not 0 < level < 1:
        raise DataError(f"level={level!r} is not in (0, 1).")
    fixed = dict(fit_options.pop("fixed", None) or {})
    if parameter in fixed:
        raise DataError(f"{parameter!r} is the profiled parameter and also in fixed=. Fix: "
                        "drop it from fixed.")
    fits = tuple(fit(formula, data, family, fixed={**fixed, parameter: float(v)},
                     **fit_options) for v in grid)
    if parameter not in fits[0].family.parameter_names:
        raise DataError(f"{parameter!r} is not a parameter of {fits[0].family.name!r}.")
    llf = np.array([f.llf for f in fits])
    table = pd.DataFrame({"value": grid, "llf": llf,
                          "converged": [f.converged for f in fits]})
    spline = interpolate.CubicSpline(grid, llf)
    mle, top = _spline_max(spline, grid, llf)
    drop = stats.chi2.ppf(level, 1) / 2.0
    low = _crossing(spline, grid[0], mle, top - drop)
    high = _crossing(spline, mle, grid[-1], top - drop)
    return FixedProfile(parameter, table, mle, top, (low, high), level, fits)


def _spline_max(spline, grid, llf) -> tuple[float, float]:
    """The spline's maximum near the best grid value (between its neighbours)."""
    i = int(np.argmax(llf))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
    best = optimize.minimize_scalar(lambda x: -float(spline(x)), bounds=(lo, hi),
                                    method="bounded", options={"xatol": 1e-10})
    x = float(best.x) if float(spline(best.x)) >= llf[i] else float(grid[i])
    return x, float(spline(x))


def _crossing(spline, a: float, b: float, target: float) -> float:
    """Where the spline equals ``target`` between ``a`` and ``b`` (nan if it does not)."""
    fa, fb = float(spline(a)) - target, float(spline(b)) - target
    if fa * fb > 0 or a == b:
        return float("nan")
    return float(optimize.brentq(lambda x: float(spline(x)) - target, a, b, xtol=1e-12))
