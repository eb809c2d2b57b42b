"""What the optimiser's answer says about the data: diagnoses after the fit.

Exact fits, non-convergence, fitted values on the boundary of a parameter's domain
(separation, a linear predictor that saturates its link), and constant parameters whose
declared boundary value (a family reduction) fits as well as the estimate. Each is a
:class:`~mlefit.ConvergenceWarning` naming the cause and the fix.
"""

from __future__ import annotations

import warnings

import numpy as np

from .engine import Objective, Want
from .errors import ConvergenceWarning

__all__ = ["boundary_reductions", "warn_fit"]


def warn_fit(obj: Objective, sol, columns) -> np.ndarray | None:
    """Warn about an exact fit, non-convergence, and fitted values on a domain boundary
    (separation); name the coefficients moving towards infinity.

    Returns, when fitted values are on a boundary, the direction along which the
    coefficients move towards infinity (the last step, zero on the coefficients it did not
    move): the likelihood keeps rising that way, and profiles use it (else None)."""
    unbounded = None
    if sol.exact_fit:
        warnings.warn("exact fit: every residual is zero to rounding, so the dispersion is "
                      "0 (or at rounding level) and the log-likelihood is degenerate. The "
                      "coefficients are fine; their standard errors are 0.",
                      ConvergenceWarning, stacklevel=4)
        return unbounded
    if not sol.converged:
        warnings.warn(f"the fit did not converge: {sol.message} (Newton decrement "
                      f"{sol.decrement:.3g}). Fix: raise maxiter=, give start= values, "
                      "rescale covariates, or simplify the model.", ConvergenceWarning,
                      stacklevel=4)
    counts = _edge_counts(obj, sol)
    for j, a in enumerate(obj.active):
        b = obj.blocks[a]
        if counts[j]:
            moving = _moving(obj, sol, b)
            if moving is not None:
                unbounded = np.zeros(obj.p) if unbounded is None else unbounded
                sl = obj.block_slice(b.name)
                unbounded[sl] = np.where(moving, sol.last_step[sl], unbounded[sl])
            warnings.warn(f"{b.name}: {int(counts[j])} fitted value(s) are numerically on "
                          f"the boundary of {b.domain} ({_direction(moving, b, columns)}). "
                          "This is (quasi-)complete separation or a parameter running to "
                          "its limit: those estimates are not finite maximum-likelihood "
                          "values and their standard errors are meaningless. Fix: remove "
                          "the separating terms, merge sparse categories, or use a "
                          "penalised fit (penalty=\"firth\" for binomial-logit and "
                          "poisson-log models).", ConvergenceWarning, stacklevel=4)
    return unbounded


def boundary_reductions(obj: Objective, sol) -> list[str]:
    """Constant parameters whose boundary value fits as well as their estimate: warn, and
    return their names."""
    found = []
    for red in obj.family.reductions:
        if not red.boundary or red.parameter not in [obj.blocks[a].name for a in obj.active]:
            continue
        block = obj.blocks[obj.index(red.parameter)]
        if block.size != 1 or np.ptp(block.X[:, 0]) != 0:
            continue
        at = sol.beta.copy()
        with np.errstate(all="ignore"):
            at[obj.block_slice(red.parameter)] = (block.link.link(red.value) - block.offset[0]) \
                / block.X[0, 0]
            # the boundary value itself may lie outside the open domain: no domain check
            llf_boundary = obj.evaluate(at, Want(domain_check=False)).llf
        if np.isfinite(llf_boundary) and llf_boundary >= sol.llf - 1e-6 * max(1.0, abs(sol.llf)):
            found.append(red.parameter)
            warnings.warn(f"{red.parameter} is at its boundary value {red.value:g}: the fit is "
                          f"indistinguishable from the {red.family!r} family (log-likelihood "
                          f"{llf_boundary:.8g} there). The estimate of {red.parameter} and its "
                          f"standard error are not meaningful (reported as NaN); the others "
                          f"are given with {red.parameter} held fixed. Fix: fit "
                          f"family={red.family!r}.", ConvergenceWarning, stacklevel=4)
    return found


def _edge_counts(obj: Objective, sol) -> np.ndarray:
    """Rows on a domain boundary per estimated parameter: from the optimiser's last pass
    when it counted them at the estimate, else from one more pass."""
    point = sol.point
    if point is not None and point.sums.edges is not None and \
            np.array_equal(point.beta, sol.beta):
        return point.sums.edges
    got = obj.evaluate(sol.beta, Want(edges=True)).edges
    return np.zeros(len(obj.active)) if got is None else got


def _moving(obj, sol, block) -> np.ndarray | None:
    """Which of ``block``'s coefficients the last step moved (by their effect on the
    linear predictor, at least a tenth of the largest); None when that is unknown."""
    if sol.last_step is None:
        return None
    step = sol.last_step[obj.block_slice(block.name)]
    size = np.abs(step) * np.sqrt(np.einsum("ij,ij->j", block.X, block.X))
    if not np.any(size > 0):
        return np.zeros(step.size, dtype=bool)
    return size >= 0.1 * size.max()


def _direction(moving, block, columns) -> str:
    if moving is None:
        return "direction unknown"
    if not moving.any():
        return "the estimates have stopped moving"
    names = [columns[block.name][i] for i in np.flatnonzero(moving)]
    return f"the estimates move towards infinity along {names}"
