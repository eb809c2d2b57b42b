"""Firth's (1993) bias-reduced estimate: the Jeffreys-prior penalised log-likelihood.

``l*(beta) = l(beta) + 1/2 log |I(beta)|`` with ``I`` the (expected) information of the
mean model. For a canonical link (binomial-logit, poisson-log) its gradient is the
modified score

    U*(beta) = X' (w s + h a),     a_i = 1/2 d log W_i / d eta_i,

with ``s`` the score on the linear-predictor scale, ``W_i`` the working weight and ``h``
the leverages (``h_i = w_i W_i x_i' I^-1 x_i``, the kernel's leverage pass):
``a = 1/2 - mu`` for the logit (``U* = X'(y - mu + h (1/2 - mu))``, Heinze and Schemper
2002) and ``a = 1/2`` for the log-linear poisson. The maximiser steps by Fisher scoring on
``U*`` (``I^-1 U*``, at most :data:`MAX_STEP` in any coordinate, as R's logistf) and
halves a step until the penalised log-likelihood rises. The covariance of the estimate is
the inverse Fisher information there (logistf's). :func:`constrained` maximises ``l*``
with some coefficients held (the penalty keeps the full design): the penalised profile
likelihood of logistf's intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernel import Want
from .newton import Solution
from .objective import Objective

__all__ = [
    "CANONICAL",
    "MAX_STEP",
    "PROFILE_TOL",
    "Penalty",
    "constrained",
    "held",
    "maximize_firth",
    "nested",
    "penalised_loglik",
    "profile_bounds",
]

#: (family, link) pairs whose penalised score is implemented, and ``a(mu)`` of each
CANONICAL = {("binomial", "logit"): lambda mu: 0.5 - mu, ("poisson", "log"): lambda mu: 0.5}
#: the largest change of a coefficient in one step (logistf's ``maxstep``)
MAX_STEP = 5.0
_HALVINGS = 30
#: a constrained maximum's step tolerance in a profile: the maximum's value is off by the
#: square of the coefficients' error (times the information), far below 1e-10
PROFILE_TOL = 1e-7


def _a(obj: Objective):
    return CANONICAL[(obj.family.name, obj.blocks[0].link.name)]


def _information(obj: Objective, rows) -> np.ndarray:
    return obj.information(obj.expected(rows))


def _logdet(info: np.ndarray) -> float:
    d = 1.0 / np.sqrt(np.diag(info))
    try:
        c = np.linalg.cholesky(info * d[:, None] * d[None, :])
    except np.linalg.LinAlgError:
        return -np.inf
    return float(2.0 * np.sum(np.log(np.diag(c))) - 2.0 * np.sum(np.log(d)))


@dataclass(frozen=True)
class Penalty:
    """The design whose information the penalty takes, when it is not the model's own:
    ``obj`` a larger model on the same rows and offsets, ``A`` with ``X_obj A`` the
    model's design (its coefficients are ``A beta``): logistf's nested comparisons."""

    obj: Objective
    A: np.ndarray


def _point(obj: Objective, beta: np.ndarray, penalty: Penalty | None = None):
    """``(l*, rows, information)`` at ``beta``; ``l* = -inf`` outside the domain or where
    the information is singular. The information is the model's (the steps'); the
    penalty's is that of ``penalty.obj`` when given."""
    rows = obj.rows(beta, second=False)
    if not np.isfinite(rows.llf):
        return -np.inf, rows, None
    with np.errstate(all="ignore"):
        W = obj.expected(rows)
        info = obj.information(W)
        pen = info if penalty is None else penalty.obj.information(W)
        return float(rows.llf + 0.5 * _logdet(pen)), rows, info


def penalised_loglik(obj: Objective, beta: np.ndarray) -> float:
    """``l(beta) + 1/2 log |I(beta)|`` (``-inf`` outside the domain or where ``I`` is
    singular)."""
    return _point(obj, beta)[0]


def _score(obj: Objective, beta: np.ndarray, rows, penalty: Penalty | None = None
           ) -> np.ndarray:
    """The modified score ``U*`` at ``beta`` (raw coordinates), with the leverages from
    the kernel's leverage pass (of the penalty's design when given)."""
    lev, b = (obj, beta) if penalty is None else (penalty.obj, penalty.A @ beta)
    R, d = lev.leverage_factor(b)
    h = lev.evaluate(b, Want(leverage=(R, d, False), leverages_out=True)).leverages
    mu = rows.thetas[obj.blocks[0].name]
    v = obj.weights * rows.d1[0] + h * _a(obj)(mu)
    return obj.blocks[0].X.T @ v


def _solve(info: np.ndarray, g: np.ndarray) -> np.ndarray:
    d = 1.0 / np.sqrt(np.diag(info))
    return d * np.linalg.solve(info * d[:, None] * d[None, :], d * g)


def constrained(obj: Objective, beta0: np.ndarray, free: np.ndarray, *, maxiter: int = 100,
                tol: float = 1e-10, penalty: Penalty | None = None
                ) -> tuple[np.ndarray, float, bool, int]:
    """Maximise ``l*`` over the coefficients ``free`` (a boolean mask), the others held at
    ``beta0``: ``(beta, l*, converged, iterations)``; ``penalty``: the information of
    another design in the penalty (:class:`Penalty`)."""
    beta = np.array(beta0, dtype=float)
    pl, rows, info = _point(obj, beta, penalty)
    for it in range(1, maxiter + 1):
        if info is None:
            return beta, pl, False, it
        g = _score(obj, beta, rows, penalty)
        step = np.zeros_like(beta)
        step[free] = _solve(info[np.ix_(free, free)], g[free])
        biggest = np.max(np.abs(step)) if step.size else 0.0
        if biggest > MAX_STEP:
            step *= MAX_STEP / biggest
        if biggest < tol * (1.0 + np.max(np.abs(beta))):
            return beta, pl, True, it
        for _ in range(_HALVINGS):
            trial = beta + step
            got = _point(obj, trial, penalty)
            if np.isfinite(got[0]) and got[0] >= pl - 1e-12 * (1.0 + abs(pl)):
                break
            step *= 0.5
        else:
            return beta, pl, False, it
        beta, (pl, rows, info) = trial, got
    return beta, pl, False, maxiter


def maximize_firth(obj: Objective, beta0: np.ndarray, *, maxiter: int = 100,
                   tol: float = 1e-10) -> Solution:
    """The penalised estimate from ``beta0``; ``llf`` is the penalised log-likelihood."""
    free = np.ones(obj.p, dtype=bool)
    beta, pl, ok, it = constrained(obj, beta0, free, maxiter=maxiter, tol=tol)
    return Solution(beta=beta, llf=pl, converged=ok, iterations=it, decrement=0.0,
                    fallbacks=(), message="penalised score below tolerance" if ok else
                    "iteration limit reached (penalised likelihood, Firth)",
                    last_step=np.zeros(obj.p))


def held(obj: Objective, beta0: np.ndarray, j: int, value: float, *,
         tol: float = PROFILE_TOL) -> tuple[np.ndarray, float]:
    """``max l*(beta | beta_j = value)`` from ``beta0`` (the penalty on the full design):
    the maximiser and the maximum."""
    free = np.ones(obj.p, dtype=bool)
    free[j] = False
    beta = np.array(beta0, dtype=float)
    beta[j] = value
    beta, pl, _, _ = constrained(obj, beta, free, tol=tol)
    return beta, pl


def profile_bounds(obj: Objective, beta_hat: np.ndarray, j: int, q: float, se: float,
                   *, tol: float = PROFILE_TOL) -> tuple[float, float]:
    """The penalised profile-likelihood interval of coefficient ``j`` (logistf's): the two
    values ``b`` where ``2 (l*(beta_hat) - max l*(beta | beta_j = b)) = q`` (``q`` the
    chi-square quantile), the penalty keeping the full design. NaN on a side where no
    crossing is found within 64 standard errors."""
    from scipy import optimize

    pl_hat = penalised_loglik(obj, beta_hat)
    start = {1.0: beta_hat.copy(), -1.0: beta_hat.copy()}
    z = np.sqrt(q)

    def root(b, side):
        """The signed root minus its target: nearly linear in ``b``, so Brent's method
        needs few constrained fits."""
        start[side], pl = held(obj, start[side], j, b, tol=tol)
        return np.sqrt(max(2.0 * (pl_hat - pl), 0.0)) - z

    bounds = []
    width = max(se, 1e-8) if np.isfinite(se) else 1.0
    for side in (-1.0, 1.0):
        inner, k = beta_hat[j], 1.0
        found = np.nan
        while k <= 64.0:
            outer = beta_hat[j] + side * k * width
            if root(outer, side) > 0:
                found = optimize.brentq(root, *sorted((inner, outer)), args=(side,),
                                        xtol=1e-10 * (1.0 + abs(outer)), rtol=1e-12)
                break
            inner, k = outer, 2.0 * k
        bounds.append(found)
    return bounds[0], bounds[1]


def nested(small: Objective, large: Objective, beta0: np.ndarray, *,
           tol: float = 1e-10) -> tuple[float, bool]:
    """The smaller model's maximum of ``l*`` under the larger model's penalty (logistf's
    nested rule: ``l(X_s g) + 1/2 log|X_l' W X_l|``), from ``beta0``: ``(l*, converged)``.
    The two objectives hold the same rows and offsets, and ``X_s`` lies in the column
    space of ``X_l``."""
    Xs, Xl = small.blocks[0].X, large.blocks[0].X
    A = np.linalg.lstsq(Xl, Xs, rcond=None)[0]
    free = np.ones(small.p, dtype=bool)
    _, pl, ok, _ = constrained(small, beta0, free, tol=tol, penalty=Penalty(large, A))
    return pl, ok
