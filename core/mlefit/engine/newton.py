"""Newton's method with a line search and a fallback chain.

Each iteration solves ``I d = g`` for the information ``I`` at the current point:

1. the observed information (exact Newton); by Cholesky of the correlation-scaled
   matrix, or by QR of the stacked weighted design when its condition exceeds 1e7;
2. if that is not positive definite: the expected information (Fisher scoring) when the
   family gives it cheaply (``Family.expected_in_optimiser``), otherwise BHHH from the
   per-row scores;
3. if still not, or the line search fails: Levenberg-Marquardt damping.

Step halving rejects steps whose log-likelihood is NaN or -inf. The fit has converged
when the Newton decrement ``g' I^-1 g`` is below ``tol``; one more full step then polishes
the estimate. When rounding keeps the decrement above ``tol`` (a response of size 1e12
with residuals of size 1: the gradient is rounding noise), the fit has also converged once
the decrement is below ``FLOOR`` and stops shrinking while the log-likelihood gains
nothing above its rounding level, ``STALL`` iterations in a row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import linalg
from .linalg import NotPositiveDefinite
from .objective import Objective, Rows

__all__ = ["ARMIJO", "FLOOR", "MIN_STEP", "STALL", "Direction", "Solution", "damped", "direction",
           "line_search", "newton"]

ARMIJO = 1e-4
MIN_STEP = 2.0**-40
#: a decrement below this that stops shrinking while the log-likelihood gains nothing
#: above its rounding level, STALL times in a row, is the rounding floor: converged
FLOOR = 1e-6
STALL = 3


@dataclass(frozen=True)
class Solution:
    """What an optimiser returns to the inference layer."""

    beta: np.ndarray
    llf: float
    converged: bool
    iterations: int
    decrement: float
    fallbacks: tuple[str, ...] = ()
    message: str = ""
    last_step: np.ndarray | None = None
    exact_fit: bool = False
    rows: Rows | None = None    # per-row derivatives at ``beta``, when the optimiser has them


@dataclass(frozen=True)
class Direction:
    step: np.ndarray
    decrement: float
    kind: str


def _solve(obj: Objective, W: dict, g: np.ndarray, kind: str, scores) -> Direction:
    """Solve ``I d = g``: Cholesky, or the stacked-design QR when ill-conditioned."""
    info = obj.information(W)
    try:
        sol = linalg.solve_psd(info, g)
        step, use_qr = sol.x, sol.rcond * linalg.QR_CONDITION < 1.0
    except NotPositiveDefinite:
        step, use_qr = None, True
    if use_qr:
        L = linalg.row_factors({key: obj.weights * v for key, v in W.items()},
                               len(obj.active), obj.n)
        if L is not None:
            _, d = linalg.scaled(info)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = linalg.qr_step(obj.designs, L, [obj.weights * s for s in scores], d)
    if step is None:
        raise NotPositiveDefinite("information is not positive definite")
    dec = float(g @ step)
    if not np.isfinite(dec) or dec < 0:
        raise NotPositiveDefinite("non-descent direction")
    return Direction(step, dec, kind)


def direction(obj: Objective, rows, g: np.ndarray) -> Direction:
    """Newton direction, falling back to Fisher scoring / BHHH, then damping."""
    try:
        return _solve(obj, obj.observed(rows), g, "newton", rows.d1)
    except NotPositiveDefinite:
        pass
    expected = obj.expected(rows) if obj.family.expected_in_optimiser else None
    alternative = expected if expected is not None else obj.bhhh(rows)
    try:
        kind = "fisher" if expected is not None else "bhhh"
        return _solve(obj, alternative, g, kind, rows.d1)
    except NotPositiveDefinite:
        return damped(obj.information(obj.observed(rows)), g, 1e-4)


def damped(info: np.ndarray, g: np.ndarray, lam: float) -> Direction:
    """Levenberg-Marquardt: solve ``(I + lam diag|I|) d = g``, raising ``lam`` until PD."""
    scale = np.maximum(np.abs(np.diag(info)), 1e-12 * max(1.0, np.abs(np.diag(info)).max()))
    while lam < 1e16:
        try:
            sol = linalg.solve_psd(info + lam * np.diag(scale), g)
            dec = float(g @ sol.x)
            if np.isfinite(dec) and dec >= 0:
                return Direction(sol.x, dec, "levenberg-marquardt")
        except NotPositiveDefinite:
            pass
        lam *= 10
    return Direction(g / scale, float(g @ (g / scale)), "gradient")


def _noise(llf: float, n: int) -> float:
    """Rounding level of a log-likelihood summed over ``n`` rows."""
    return 64 * linalg.EPS * (abs(llf) + n)


def _accept(value: float, llf: float, t: float, d: Direction, near: bool, n: int) -> bool:
    if not np.isfinite(value):
        return False
    if value >= llf + ARMIJO * t * d.decrement:
        return True
    return near and t == 1.0 and value >= llf - _noise(llf, n)


def line_search(obj: Objective, rows: Rows, d: Direction, near: bool) -> Rows | None:
    """Backtracking: the first halving of ``d.step`` that raises the log-likelihood.

    The full step is evaluated with its derivatives (it is usually accepted and they are
    the next iteration's); shorter ones by the log-likelihood alone.
    """
    full = obj.rows(rows.beta + d.step)
    if _accept(full.llf, rows.llf, 1.0, d, near, obj.n):
        return full
    t = 0.5
    while t >= MIN_STEP:
        cand = rows.beta + t * d.step
        if _accept(obj.loglik(cand), rows.llf, t, d, near, obj.n):
            return obj.rows(cand)
        t /= 2
    return None


def newton(obj: Objective, beta0: np.ndarray, *, maxiter: int = 100,
           tol: float = 1e-12) -> Solution:
    """Maximise ``obj`` from ``beta0``; see the module docstring for the rules."""
    rows = obj.rows(np.asarray(beta0, dtype=float).copy())
    if not np.isfinite(rows.llf):
        return Solution(rows.beta, rows.llf, False, 0, np.inf, message="log-likelihood is "
                        "not finite at the start values")
    fallbacks: list[str] = []
    dec, step, stalled = np.inf, None, 0
    for it in range(1, maxiter + 1):
        g = obj.gradient(rows)
        if not np.all(np.isfinite(g)):
            return Solution(rows.beta, rows.llf, False, it, np.inf,
                            tuple(dict.fromkeys(fallbacks)),
                            f"the derivatives of family {obj.family.name!r} are NaN or "
                            "infinite at a point where its log-likelihood is finite "
                            "(a bug in its dlogpdf/eta_derivatives)", step, rows=rows)
        d = direction(obj, rows, g)
        if d.kind != "newton":
            fallbacks.append(d.kind)
        shrinking = d.decrement < 0.25 * dec
        dec, step = d.decrement, d.step
        if dec <= tol:
            cand = obj.rows(rows.beta + d.step)  # one more step: iterative refinement
            if np.isfinite(cand.llf) and cand.llf >= rows.llf - _noise(rows.llf, obj.n):
                rows = cand
            return Solution(rows.beta, rows.llf, True, it, dec,
                            tuple(dict.fromkeys(fallbacks)), "Newton decrement below tolerance",
                            step, rows=rows)
        nxt = line_search(obj, rows, d, near=dec < 1e-6)
        if nxt is None:
            lam = 1e-3
            info = obj.information(obj.observed(rows))
            while nxt is None and lam < 1e12:
                nxt = line_search(obj, rows, damped(info, g, lam), near=False)
                lam *= 100
            if nxt is None:
                converged = dec < 1e-6
                why = ("no step raises the log-likelihood above its rounding level"
                       if converged else "line search failed: no step raises the "
                       "log-likelihood")
                return Solution(rows.beta, rows.llf, converged, it, dec,
                                tuple(dict.fromkeys(fallbacks)), why, step, rows=rows)
            fallbacks.append("levenberg-marquardt")
        gained = nxt.llf - rows.llf > _noise(rows.llf, obj.n)
        stalled = stalled + 1 if dec < FLOOR and not shrinking and not gained else 0
        rows = nxt
        if stalled >= STALL:
            return Solution(rows.beta, rows.llf, True, it, dec,
                            tuple(dict.fromkeys(fallbacks)), "Newton decrement at the "
                            "rounding level of the log-likelihood", step, rows=rows)
    return Solution(rows.beta, rows.llf, False, maxiter, dec, tuple(dict.fromkeys(fallbacks)),
                    f"iteration limit {maxiter} reached", step, rows=rows)
