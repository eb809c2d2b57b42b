"""Newton's method with a line search and a fallback chain.

Each iteration is one pass of the kernel over the rows (log-likelihood, score and
observed information at the trial point, which becomes the next iteration's point when
the step is accepted), then a solve of ``I d = g``:

1. the observed information (exact Newton); by Cholesky of the correlation-scaled
   matrix, or by the blockwise QR of the stacked weighted design (a second pass) when its
   condition exceeds 1e7;
2. if that is not positive definite: the expected information (Fisher scoring) when the
   family gives it cheaply (``Family.expected_in_optimiser``), otherwise BHHH from the
   per-row scores;
3. if still not, or the line search fails: Levenberg-Marquardt damping.

Step halving rejects steps whose log-likelihood is NaN or -inf. The fit has converged
when the Newton decrement ``g' I^-1 g`` is below ``tol``; one more full step then polishes
the estimate (its pass gives the covariance its information). When rounding keeps the
decrement above ``tol`` (a response of size 1e12
with residuals of size 1: the gradient is rounding noise), the fit has also converged once
the decrement is below ``FLOOR`` and stops shrinking while the log-likelihood gains
nothing above its rounding level, ``STALL`` iterations in a row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import linalg as sla

from . import linalg
from .kernel import Sums, Want
from .linalg import NotPositiveDefinite
from .objective import Objective

__all__ = ["ARMIJO", "FLOOR", "MIN_STEP", "STALL", "STEP", "Direction", "Point", "Solution",
           "damped", "direction", "line_search", "newton"]

ARMIJO = 1e-4
MIN_STEP = 2.0**-40
#: a decrement below this that stops shrinking while the log-likelihood gains nothing
#: above its rounding level, STALL times in a row, is the rounding floor: converged
FLOOR = 1e-6
STALL = 3


#: the score and observed information of a Newton pass (``Objective.final_want`` adds the
#: boundary counts and the Pearson sum for the last one)
STEP = Want(gradient=True, information="observed")


@dataclass(frozen=True)
class Point:
    """A coefficient vector and the sums of one pass there (scaled coordinates)."""

    beta: np.ndarray
    sums: Sums
    #: numeric derivatives by the accurate scheme (the covariance can use this pass)
    accurate: bool = False

    @property
    def llf(self) -> float:
        return self.sums.llf


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
    #: the pass at ``beta`` (score and observed information), when the optimiser has it
    point: Point | None = None


@dataclass(frozen=True)
class Direction:
    step: np.ndarray            # in the scaled coordinates of ``Objective.scale``
    decrement: float
    kind: str


def _solve(obj: Objective, beta: np.ndarray, info: np.ndarray | None, g: np.ndarray,
           kind: str, information: str) -> Direction:
    """Solve ``I d = g``: Cholesky, or the blockwise QR of the stacked weighted design (a
    second pass) when the scaled condition number exceeds :data:`linalg.QR_CONDITION`."""
    if info is None:
        raise NotPositiveDefinite("no information of this kind")
    try:
        sol = linalg.solve_psd(info, g)
        step, use_qr = sol.x, sol.rcond * linalg.QR_CONDITION < 1.0
    except NotPositiveDefinite:
        step, use_qr = None, True
    if use_qr:
        try:
            _, d = linalg.scaled(info)
        except NotPositiveDefinite:
            d = None
        if d is not None:
            with np.errstate(divide="ignore", invalid="ignore"):
                qr = obj.evaluate(beta, Want(information=information, qr=(information, d)))
            if qr.qr_ok and qr.qr is not None:
                p = d.size
                with np.errstate(divide="ignore", invalid="ignore"):
                    step = sla.solve_triangular(qr.qr[:p, :p], qr.qr[:p, p]) * d
    if step is None:
        raise NotPositiveDefinite("information is not positive definite")
    dec = float(g @ step)
    if not np.isfinite(dec) or dec < 0:
        raise NotPositiveDefinite("non-descent direction")
    return Direction(step, dec, kind)


def direction(obj: Objective, point: Point) -> Direction:
    """Newton direction, falling back to Fisher scoring / BHHH, then damping."""
    g, info = point.sums.gradient, point.sums.information
    try:
        return _solve(obj, point.beta, info, g, "newton", "observed")
    except NotPositiveDefinite:
        pass
    fisher = obj.family.expected_in_optimiser and obj.family.has("expected_information")
    kind = "expected" if fisher else "bhhh"
    alternative = obj.evaluate(point.beta, Want(information=kind)).information
    try:
        return _solve(obj, point.beta, alternative, g, "fisher" if fisher else "bhhh", kind)
    except NotPositiveDefinite:
        return damped(info, g, 1e-4)


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


def line_search(obj: Objective, point: Point, d: Direction, near: bool) -> Point | None:
    """Backtracking: the first halving of ``d.step`` that raises the log-likelihood.

    The full step is evaluated with its derivatives in one pass (it is usually accepted
    and they are the next iteration's); shorter ones by the log-likelihood alone.
    """
    step = d.step * obj.scale
    full = _at(obj, point.beta + step)
    if _accept(full.llf, point.llf, 1.0, d, near, obj.n):
        return full
    t = 0.5
    while t >= MIN_STEP:
        cand = point.beta + t * step
        if _accept(obj.loglik(cand), point.llf, t, d, near, obj.n):
            return _at(obj, cand)
        t /= 2
    return None


def _refined(obj: Objective, point: Point, step: np.ndarray) -> Point:
    """The converged ``point`` refined by one more full step, whose pass is the fit's
    last; with numeric derivatives, by a second step from that pass's accurate score.

    The iterations' central differences leave a noise of about 1e-10 SE in the score,
    and where in that band Newton stops depends on its path (the start values, the order
    of the sums over partitions); the second step puts the estimate at the root of the
    accurate scheme's score (:func:`mlefit.engine.kernel._numeric`)."""
    for _ in range(2 if obj.derivatives == "numeric" else 1):
        cand = _at(obj, point.beta + step, final=True)
        if not (np.isfinite(cand.llf) and cand.llf >= point.llf - _noise(point.llf, obj.n)):
            break
        point = cand
        try:
            step = _solve(obj, point.beta, point.sums.information, point.sums.gradient,
                          "newton", "observed").step * obj.scale
        except NotPositiveDefinite:
            break
    return point


def _at(obj: Objective, beta: np.ndarray, final: bool = False) -> Point:
    """The pass at ``beta``: score and observed information; the last pass of a fit also
    counts the rows on a boundary and the Pearson sum, and takes numeric derivatives by
    the accurate scheme (its information is the covariance's)."""
    if not final:
        return Point(beta, obj.evaluate(beta, STEP))
    accurate = obj.derivatives == "numeric"
    return Point(beta, obj.evaluate(beta, replace(obj.final_want, accurate=accurate)), accurate)


def newton(obj: Objective, beta0: np.ndarray, *, maxiter: int = 100,
           tol: float = 1e-12, polish: bool = True) -> Solution:
    """Maximise ``obj`` from ``beta0``; see the module docstring for the rules.

    ``polish=False``: when the decrement at ``beta0`` is already below ``tol`` (a check of
    a known maximum), keep ``beta0`` instead of taking the refining step."""
    # a check of a known maximum (polish=False) is usually the last pass: count it as one
    point = _at(obj, np.asarray(beta0, dtype=float).copy(), final=not polish)
    if not np.isfinite(point.llf):
        return Solution(point.beta, point.llf, False, 0, np.inf, message="log-likelihood "
                        "is not finite at the start values")
    fallbacks: list[str] = []
    dec, step, stalled = np.inf, None, 0
    for it in range(1, maxiter + 1):
        g = point.sums.gradient
        if not np.all(np.isfinite(g)):
            return Solution(point.beta, point.llf, False, it, np.inf,
                            tuple(dict.fromkeys(fallbacks)),
                            f"the derivatives of family {obj.family.name!r} are NaN or "
                            "infinite at a point where its log-likelihood is finite "
                            "(a bug in its dlogpdf/eta_derivatives)", step, point=point)
        d = direction(obj, point)
        if d.kind != "newton":
            fallbacks.append(d.kind)
        shrinking = d.decrement < 0.25 * dec
        dec, step = d.decrement, d.step * obj.scale
        if dec <= tol:
            if not polish and it == 1:
                return Solution(point.beta, point.llf, True, it, dec,
                                tuple(dict.fromkeys(fallbacks)),
                                "Newton decrement below tolerance", step, point=point)
            point = _refined(obj, point, step)
            return Solution(point.beta, point.llf, True, it, dec,
                            tuple(dict.fromkeys(fallbacks)), "Newton decrement below tolerance",
                            step, point=point)
        nxt = line_search(obj, point, d, near=dec < 1e-6)
        if nxt is None:
            lam = 1e-3
            while nxt is None and lam < 1e12:
                nxt = line_search(obj, point, damped(point.sums.information, g, lam),
                                  near=False)
                lam *= 100
            if nxt is None:
                converged = dec < 1e-6
                why = ("no step raises the log-likelihood above its rounding level"
                       if converged else "line search failed: no step raises the "
                       "log-likelihood")
                return Solution(point.beta, point.llf, converged, it, dec,
                                tuple(dict.fromkeys(fallbacks)), why, step, point=point)
            fallbacks.append("levenberg-marquardt")
        gained = nxt.llf - point.llf > _noise(point.llf, obj.n)
        stalled = stalled + 1 if dec < FLOOR and not shrinking and not gained else 0
        point = nxt
        if stalled >= STALL:
            return Solution(point.beta, point.llf, True, it, dec,
                            tuple(dict.fromkeys(fallbacks)), "Newton decrement at the "
                            "rounding level of the log-likelihood", step, point=point)
    return Solution(point.beta, point.llf, False, maxiter, dec, tuple(dict.fromkeys(fallbacks)),
                    f"iteration limit {maxiter} reached", step, point=point)
