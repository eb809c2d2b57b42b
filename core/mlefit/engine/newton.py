"""Newton's method with a line search and a fallback chain.

Each iteration solves ``I d = g`` for the information ``I`` at the current point:

1. the observed information (exact Newton); by Cholesky of the correlation-scaled
   matrix, or by QR of the stacked weighted design when its condition exceeds 1e7;
2. if that is not positive definite: the expected information (Fisher scoring) when the
   family gives it, otherwise BHHH from the per-row scores;
3. if still not, or the line search fails: Levenberg-Marquardt damping.

Step halving rejects steps whose log-likelihood is NaN or -inf. The fit has converged
when the Newton decrement ``g' I^-1 g`` is below ``tol``; one more full step then polishes
the estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import linalg
from .linalg import NotPositiveDefinite
from .objective import Objective

ARMIJO = 1e-4
MIN_STEP = 2.0**-40


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
    expected = obj.expected(rows)
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


def line_search(obj: Objective, beta, llf, d: Direction, near: bool):
    """Backtracking: the first halving of ``d.step`` that raises the log-likelihood."""
    t = 1.0
    noise = _noise(llf, obj.n)
    while t >= MIN_STEP:
        cand = beta + t * d.step
        value = obj.loglik(cand)
        if np.isfinite(value):
            if value >= llf + ARMIJO * t * d.decrement:
                return cand, value
            if near and t == 1.0 and value >= llf - noise:
                return cand, value
        t /= 2
    return None, None


def newton(obj: Objective, beta0: np.ndarray, *, maxiter: int = 100,
           tol: float = 1e-12) -> Solution:
    """Maximise ``obj`` from ``beta0``; see the module docstring for the rules."""
    beta = np.asarray(beta0, dtype=float).copy()
    llf = obj.loglik(beta)
    if not np.isfinite(llf):
        return Solution(beta, llf, False, 0, np.inf, message="log-likelihood is not finite "
                        "at the start values")
    fallbacks: list[str] = []
    dec, step = np.inf, None
    for it in range(1, maxiter + 1):
        rows = obj.rows(beta)
        g = obj.gradient(rows)
        d = direction(obj, rows, g)
        if d.kind != "newton":
            fallbacks.append(d.kind)
        dec, step = d.decrement, d.step
        if dec <= tol:
            cand = beta + d.step
            value = obj.loglik(cand)
            if np.isfinite(value) and value >= llf - _noise(llf, obj.n):
                beta, llf = cand, value
            return Solution(beta, llf, True, it, dec, tuple(dict.fromkeys(fallbacks)),
                            "Newton decrement below tolerance", step)
        cand, value = line_search(obj, beta, llf, d, near=dec < 1e-6)
        if cand is None:
            lam = 1e-3
            info = obj.information(obj.observed(rows))
            while cand is None and lam < 1e12:
                d = damped(info, g, lam)
                cand, value = line_search(obj, beta, llf, d, near=False)
                lam *= 100
            if cand is None:
                converged = dec < 1e-6
                why = ("no step raises the log-likelihood above its rounding level"
                       if converged else "line search failed: no step raises the "
                       "log-likelihood")
                return Solution(beta, llf, converged, it, dec, tuple(dict.fromkeys(fallbacks)),
                                why, step)
            fallbacks.append("levenberg-marquardt")
        beta, llf = cand, value
    return Solution(beta, llf, False, maxiter, dec, tuple(dict.fromkeys(fallbacks)),
                    f"iteration limit {maxiter} reached", step)
