"""``scipy.optimize.minimize`` as an alternative optimiser (``fit(method="bfgs")``).

The objective and its analytic or numeric gradient are the engine's; only the search
differs. The covariance is computed afterwards from the information at the estimate,
never from the optimiser's approximate inverse Hessian.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize

from .newton import Solution
from .objective import Objective

METHODS = {
    "bfgs": "BFGS", "l-bfgs-b": "L-BFGS-B", "lbfgs": "L-BFGS-B", "nelder-mead": "Nelder-Mead",
    "powell": "Powell", "cg": "CG", "newton-cg": "Newton-CG", "trust-ncg": "trust-ncg",
    "trust-exact": "trust-exact", "trust-krylov": "trust-krylov",
}
_HESSIAN = {"Newton-CG", "trust-ncg", "trust-exact", "trust-krylov"}
_GRADIENT_FREE = {"Nelder-Mead", "Powell"}


def maximize_scipy(obj: Objective, beta0: np.ndarray, method: str, *, maxiter: int = 1000,
                   tol: float = 1e-10) -> Solution:
    """Minimise ``-loglik`` with ``scipy.optimize.minimize(method=...)``."""
    name = METHODS[method]
    scale = max(1.0, abs(obj.loglik(beta0)))

    def f(beta):
        value = obj.loglik(beta)
        return -value / scale if np.isfinite(value) else np.inf

    def jac(beta):
        return -obj.gradient(obj.rows(beta, second=False)) / scale

    def hess(beta):
        return obj.information(obj.observed(obj.rows(beta))) / scale

    kwargs = {"method": name, "options": {"maxiter": maxiter}}
    if name not in _GRADIENT_FREE:
        kwargs["jac"] = jac
    if name in _HESSIAN:
        kwargs["hess"] = hess
    res = optimize.minimize(f, beta0, tol=tol, **kwargs)
    beta = np.asarray(res.x, dtype=float)
    return Solution(beta, obj.loglik(beta), bool(res.success), int(res.get("nit", 0)),
                    np.nan, (), f"scipy {name}: {res.message}")
