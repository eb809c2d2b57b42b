"""Exponential-dispersion families: the mean with the dispersion profiled out, then the
dispersion by 1-D ML, then one joint Newton pass.

For an exponential-dispersion family the score of the mean coefficients is proportional
to ``1/phi``, so their maximiser does not depend on the dispersion: they are solved with
the dispersion held at its start (IRLS on the profile; for the Gaussian with identity
link one least-squares solve and a check), then the dispersion by one-dimensional ML from
the Pearson moment estimate (closed form for the Gaussian: the Newton check finds it
there), on the mean's linear predictors held as an offset (no design is read), then one
joint pass confirms the joint maximum and gives the covariance its information. An exact
fit (every residual zero, NIST Wampler1) gives ``phi = 0``; it is reported, not a crash.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .kernel import Want
from .newton import Solution, newton
from .objective import Objective

__all__ = ["EXACT_FIT", "DispersionSpec", "applies", "base_offset", "maximize_split"]

#: relative Pearson dispersion below which residuals are at rounding level (exact fit)
EXACT_FIT = (1e3 * np.finfo(float).eps) ** 2


@dataclass(frozen=True)
class DispersionSpec:
    """The family's dispersion parameter: ``phi = theta ** power``, ``V(mu)``."""

    name: str
    power: float
    unit_variance: object  # the family's unit_variance(mu, **others), or None
    var_weights: np.ndarray | None = None

    @classmethod
    def of(cls, family, var_weights: np.ndarray | None) -> DispersionSpec | None:
        """The spec of ``family`` (None when it declares no dispersion), with the precision
        weights of the rows fitted: the fit and every refit of it use this one."""
        if family.dispersion is None:
            return None
        uv = family.unit_variance if family.has("unit_variance") else None
        return cls(family.dispersion.parameter, family.dispersion.power, uv, var_weights)


def base_offset(block, spec: DispersionSpec) -> float | None:
    """The dispersion block's offset without the var_weights part, if it is constant
    (then ``theta = inverse(X[0, 0] b + base)``); ``None`` for a row-varying offset."""
    base = block.offset
    if spec.var_weights is not None:
        base = base + np.log(spec.var_weights) / spec.power
    return float(base[0]) if np.ptp(base) == 0 else None


def applies(obj: Objective, spec: DispersionSpec | None) -> bool:
    """The split applies to an intercept-only dispersion estimated beside a mean model."""
    if spec is None or obj.y.ndim != 1:
        return False
    names = [obj.blocks[a].name for a in obj.active]
    if spec.name not in names or len(names) < 2:
        return False
    X = obj.blocks[obj.index(spec.name)].X
    return X.shape[1] == 1 and np.ptp(X[:, 0]) == 0 and X[0, 0] != 0


def maximize_split(obj: Objective, beta0: np.ndarray, spec: DispersionSpec, *,
                   maxiter: int = 100, tol: float = 1e-12) -> Solution:
    """Mean coefficients with the dispersion profiled out, the dispersion by 1-D ML, then
    one joint Newton pass that confirms the joint maximum (its sums are the covariance's)."""
    sl = obj.block_slice(spec.name)
    others = [obj.blocks[a].name for a in obj.active if obj.blocks[a].name != spec.name]
    mean_obj = obj.freeze(beta0, keep=others)
    mean_sol = newton(mean_obj, np.delete(beta0, sl), maxiter=maxiter, tol=tol)
    del mean_obj     # its frozen dispersion offset: one n-vector
    beta = np.insert(mean_sol.beta, sl.start, beta0[sl])
    if not mean_sol.converged:
        return replace(mean_sol, beta=beta, llf=obj.loglik(beta), point=None,
                       message="mean coefficients: " + mean_sol.message)
    block = obj.blocks[obj.index(spec.name)]
    # the mean's linear predictors become an offset: the dispersion's passes read no design
    disp_obj = obj.freeze(beta, keep=[spec.name])
    if spec.unit_variance is not None and np.isfinite(mean_sol.llf):
        sums = disp_obj.evaluate(beta[sl], Want(pearson=True), var_weights=spec.var_weights)
        total = float(np.sum(obj.weights))
        phi, scale = sums.pearson / total, sums.pearson_scale / total
        base = base_offset(block, spec)
        if phi <= EXACT_FIT * scale:
            return _exact_fit(obj, beta, sl, block, phi, spec, mean_sol, base or 0.0)
        if base is not None:
            beta[sl] = (block.link.link(phi ** (1.0 / spec.power)) - base) / block.X[0, 0]
    disp_sol = newton(disp_obj, beta[sl], maxiter=maxiter, tol=tol)
    beta[sl] = disp_sol.beta
    del disp_obj
    fallbacks = tuple(dict.fromkeys(mean_sol.fallbacks + disp_sol.fallbacks))
    iterations = mean_sol.iterations + disp_sol.iterations
    if not disp_sol.converged:
        return Solution(beta, obj.loglik(beta), False, iterations, disp_sol.decrement,
                        fallbacks, "dispersion: " + disp_sol.message,
                        np.insert(mean_sol.last_step, sl.start, 0.0))
    # The mean coefficients maximise the likelihood whatever the dispersion, so the two
    # one-block maxima are the joint maximum: one joint pass confirms it (and its score
    # and information serve the covariance); Newton continues jointly if it does not.
    joint = newton(obj, beta, maxiter=maxiter, tol=tol, polish=False)
    last = joint.last_step if joint.iterations > 1 else np.insert(mean_sol.last_step,
                                                                  sl.start, 0.0)
    return replace(joint, iterations=iterations + joint.iterations - 1,
                   fallbacks=tuple(dict.fromkeys(fallbacks + joint.fallbacks)),
                   decrement=max(mean_sol.decrement, disp_sol.decrement, joint.decrement),
                   last_step=last)


def _exact_fit(obj, beta, sl, block, phi, spec, mean_sol, base) -> Solution:
    """Residuals at rounding level: keep the dispersion they imply, flag the fit."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        beta[sl] = (block.link.link(np.float64(phi) ** (1.0 / spec.power)) - base) \
            / block.X[0, 0]
    if phi > 0:   # phi at rounding level: its information overflows (gamma: 1/phi^2)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            disp_sol = newton(obj.freeze(beta, keep=[block.name]), beta[sl])
        beta[sl] = disp_sol.beta
    llf = obj.loglik(beta) if phi > 0 else np.inf
    return Solution(beta, llf, True, mean_sol.iterations, 0.0, mean_sol.fallbacks,
                    "exact fit: every residual is zero to rounding", mean_sol.last_step,
                    exact_fit=True)
