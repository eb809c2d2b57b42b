"""Topic ``moments``: ``mean`` and ``variance`` against the density's own moments.

:func:`density_moments` (by quadrature or summation) and :func:`declared_moments` (the
family's methods) also serve the sample check.
"""

from __future__ import annotations

import numpy as np

from ._case import Case, Point, mean_scale_or_none
from ._check import Check, CheckFailure, SkipCheck, require
from ._expectation import expect


def density_moments(case: Case, point: Point) -> tuple[float, float]:
    """Numeric E[ybar] and trials * Var[ybar] at ``point``."""
    fam = case.family

    def ybar(y, params):
        return mean_scale_or_none(fam, y)[0][:, None]

    e = expect(case, point, ybar)
    mean = float(e.values[0] / e.mass)

    def spread(y, params):
        yb, m = mean_scale_or_none(fam, y)
        return (m * (yb - mean) ** 2)[:, None]

    e2 = expect(case, point, spread)
    return mean, float(e2.values[0] / e2.mass)


def declared_moments(case: Case, point: Point) -> tuple[float, float]:
    """The family's ``mean`` and ``variance`` at ``point``."""
    params = point.rows(1)
    mean = float(np.asarray(case.family.mean(**params)).reshape(-1)[0])
    var = float(np.asarray(case.family.variance(**params)).reshape(-1)[0])
    return mean, var


def check_moments(case: Case) -> str | None:
    """mean and variance against the moments of the density (quadrature or summation)."""
    require(case, "mean", "variance")
    if case.columns > 1 and not case.family.has("glm_response"):
        raise SkipCheck("a multi-column response without glm_response has no mean scale")
    compared = 0
    for point in case.points:
        mean, var = declared_moments(case, point)
        if not (np.isfinite(mean) and np.isfinite(var)):
            continue
        num_mean, num_var = density_moments(case, point)
        compared += 1
        if not abs(mean - num_mean) <= 1e-6 * (np.sqrt(var) + abs(mean)):
            raise CheckFailure(f"mean() = {mean:.10g} but the density's mean is "
                               f"{num_mean:.10g} at {point}. Fix: mean must be E[y]")
        if not abs(var - num_var) <= 1e-6 * var + 1e-300:
            what = "trials * Var[ybar]" if case.columns > 1 else "Var[y]"
            raise CheckFailure(f"variance() = {var:.10g} but the density's {what} is "
                               f"{num_var:.10g} at {point}. Fix: variance must be {what}")
    if not compared:
        raise SkipCheck("mean or variance is infinite at every parameter point")
    return f"{compared} points"


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("moments", check_moments),
)
