"""``scipy.optimize.minimize`` as an alternative optimiser (``fit(method="bfgs")``).

The objective and its analytic or numeric gradient are the engine's; only the search
differs. The search runs in coordinates scaled by the information's diagonal at the
start (``beta = beta0 + d * z``), so that an intercept of 200 and a slope of 0.01 look
alike to the optimiser. The covariance is computed afterwards from the information at
the estimate, never from the optimiser's approximate inverse Hessian.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from .kernel import Want
from .linalg import NotPositiveDefinite
from .newton import STEP, Point, Solution, direction
from .objective import Objective

__all__ = ["DECREMENT_TOL", "METHODS", "maximize_scipy"]

#: Newton decrement at the optimiser's answer below which it counts as converged even
#: when scipy's own rule reports "precision loss" (llf within ~tol/2 of the maximum)
DECREMENT_TOL = 1e-8

METHODS = {
    "bfgs": "BFGS", "l-bfgs-b": "L-BFGS-B", "lbfgs": "L-BFGS-B", "nelder-mead": "Nelder-Mead",
    "powell": "Powell", "cg": "CG", "newton-cg": "Newton-CG", "trust-ncg": "trust-ncg",
    "trust-exact": "trust-exact", "trust-krylov": "trust-krylov",
}
_HESSIAN = {"Newton-CG", "trust-ncg", "trust-exact", "trust-krylov"}
_GRADIENT_FREE = {"Nelder-Mead", "Powell"}


def _scales(obj: Objective, beta0: np.ndarray) -> np.ndarray:
    info = obj.evaluate(beta0, Want(information="bhhh")).information
    diag = np.abs(np.diag(info)) / obj.scale**2
    with np.errstate(divide="ignore"):
        d = 1.0 / np.sqrt(diag)
    return np.where(np.isfinite(d) & (d > 0), d, 1.0)


def maximize_scipy(obj: Objective, beta0: np.ndarray, method: str, *, maxiter: int = 1000,
                   tol: float = 1e-10) -> Solution:
    """Minimise ``-loglik`` with ``scipy.optimize.minimize(method=...)``."""
    name = METHODS[method]
    d = _scales(obj, beta0)

    def beta(z):
        return beta0 + d * z

    def f(z):
        value = obj.loglik(beta(z))
        return -value if np.isfinite(value) else np.inf

    def jac(z):
        return -d * obj.evaluate(beta(z), Want(gradient=True)).gradient / obj.scale

    def hess(z):
        dd = d / obj.scale
        info = obj.evaluate(beta(z), Want(information="observed")).information
        return info * dd[:, None] * dd[None, :]

    limit = maxiter * 50 * beta0.size if name in _GRADIENT_FREE else maxiter
    kwargs = {"method": name, "options": {"maxiter": limit}}
    if name not in _GRADIENT_FREE:
        kwargs["jac"] = jac
    if name in _HESSIAN:
        kwargs["hess"] = hess
    res = optimize.minimize(f, np.zeros_like(beta0), tol=tol, **kwargs)
    est = beta(np.asarray(res.x, dtype=float))
    dec = _decrement(obj, est)
    return Solution(est, obj.loglik(est), bool(res.success) or dec < DECREMENT_TOL,
                    int(res.get("nit", 0)), dec, (),
                    f"scipy {name}: {res.message} (Newton decrement there {dec:.2g})")


def _decrement(obj: Objective, beta: np.ndarray) -> float:
    try:
        return direction(obj, Point(beta, obj.evaluate(beta, STEP))).decrement
    except NotPositiveDefinite:
        return np.inf
