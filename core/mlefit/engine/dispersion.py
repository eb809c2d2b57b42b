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

from . import linalg
from .kernel import Sums, Want
from .newton import Point, Solution, newton
from .objective import Objective

__all__ = ["EXACT_FIT", "DispersionSpec", "applies", "base_offset", "maximize_split",
           "pearson_unit"]

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
    """The split applies to an intercept-only dispersion estimated beside a mean model,
    and nothing else (a further free parameter, such as the Tweedie's power, moves the
    mean's maximiser: then the fit is joint)."""
    if spec is None or obj.y.ndim != 1:
        return False
    if getattr(obj, "limits", None) is not None:   # censored rows: no profiled dispersion
        return False
    names = [obj.blocks[a].name for a in obj.active]
    if spec.name not in names or len(names) < 2:
        return False
    if set(names) - {spec.name, obj.family.parameters[0].name}:
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
            beta[sl] = (_eta_of(obj, block, phi ** (1.0 / spec.power)) - base) / block.X[0, 0]
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
    # one-block maxima are the joint maximum. The joint score and information there need
    # no pass of their own: the mean's score and information scale as 1/phi, and the
    # cross block is proportional to the mean's score (zero at its maximum), so both are
    # assembled from the two last passes; their Newton decrement confirms the maximum
    # (Newton continues jointly if it does not, from one joint pass).
    point = _assembled(obj, spec.name, mean_sol.point, disp_sol.point,
                       _phi_ratio(block, spec, beta0[sl], beta[sl]))
    if point is not None:
        try:
            dec = float(point.sums.gradient @ linalg.solve_psd(point.sums.information,
                                                               point.sums.gradient).x)
        except linalg.NotPositiveDefinite:
            dec = np.inf
        if dec <= tol:
            return Solution(beta, disp_sol.llf, True, iterations,
                            max(mean_sol.decrement, disp_sol.decrement, dec), fallbacks,
                            disp_sol.message, np.insert(mean_sol.last_step, sl.start, 0.0),
                            point=point)
    joint = newton(obj, beta, maxiter=maxiter, tol=tol, polish=False)
    last = joint.last_step if joint.iterations > 1 else np.insert(mean_sol.last_step,
                                                                  sl.start, 0.0)
    return replace(joint, iterations=iterations + joint.iterations - 1,
                   fallbacks=tuple(dict.fromkeys(fallbacks + joint.fallbacks)),
                   decrement=max(mean_sol.decrement, disp_sol.decrement, joint.decrement),
                   last_step=last)


def _eta_of(obj: Objective, block, theta_family):
    """The linear predictor (in the design's units) of a parameter value given in the
    units the family sees (those of ``y / 2^e`` under a response scale)."""
    eta = block.link.link(theta_family)
    r = obj.response
    return eta if r is None else r.untilde(obj.index(block.name), eta)


def pearson_unit(obj: Objective, spec: DispersionSpec) -> float:
    """The factor from a Pearson dispersion computed in the family's units to the
    caller's: ``phi = theta^power`` with ``theta -> 2^(e k) theta``."""
    r = obj.response
    if r is None:
        return 1.0
    with np.errstate(over="ignore", under="ignore"):   # beyond float64: inf or 0
        return float(np.ldexp(1.0, int(r.exponent * r.powers[obj.index(spec.name)]
                                       * spec.power)))


def _phi_ratio(block, spec: DispersionSpec, start: np.ndarray, end: np.ndarray):
    """``phi_start / phi_end`` of an intercept-only dispersion with a constant offset (the
    factor by which the mean's score and information grow from the mean's fit to the
    joint maximum); None when the offset varies by row and the link is not log."""
    base = base_offset(block, spec)
    if base is None and block.link.name != "log":
        return None
    base = float(block.offset[0]) if base is None else base
    x0 = float(block.X[0, 0])
    with np.errstate(all="ignore"):
        theta0 = float(block.link.inverse(x0 * start[0] + base))
        theta1 = float(block.link.inverse(x0 * end[0] + base))
        ratio = (theta0 / theta1) ** spec.power
    return ratio if np.isfinite(ratio) and ratio > 0 else None


def _assembled(obj: Objective, name: str, mean: Point | None, disp: Point | None,
               ratio: float | None) -> Point | None:
    """The joint pass at the split's answer, from the mean's and the dispersion's last
    passes (see :func:`maximize_split`); None when either lacks what it needs."""
    if ratio is None or mean is None or disp is None:
        return None
    m, s = mean.sums, disp.sums
    if m.information is None or s.information is None or m.gradient is None or \
            s.gradient is None:
        return None
    p, sl = obj.p, obj.block_slice(name)
    rest = np.delete(np.arange(p), np.arange(p)[sl])
    info = np.zeros((p, p))
    info[np.ix_(rest, rest)] = m.information * ratio
    info[sl, sl] = s.information
    gradient = np.zeros(p)
    gradient[rest] = m.gradient * ratio
    gradient[sl] = s.gradient
    edges = None
    if m.edges is not None and s.edges is not None:   # in the order of the estimated blocks
        edges = np.insert(m.edges, [obj.blocks[a].name for a in obj.active].index(name),
                          s.edges[0])
    sums = Sums(llf=s.llf, rows=s.rows, gradient=gradient, information=info,
                pearson=m.pearson, pearson_scale=m.pearson_scale, edges=edges)
    beta = np.insert(mean.beta, sl.start, disp.beta)
    return Point(beta, sums, mean.accurate and disp.accurate)


def _exact_fit(obj, beta, sl, block, phi, spec, mean_sol, base) -> Solution:
    """Residuals at rounding level: keep the dispersion they imply, flag the fit."""
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        beta[sl] = (_eta_of(obj, block, np.float64(phi) ** (1.0 / spec.power)) - base) \
            / block.X[0, 0]
    if phi > 0:   # phi at rounding level: its information overflows (gamma: 1/phi^2)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            disp_sol = newton(obj.freeze(beta, keep=[block.name]), beta[sl])
        beta[sl] = disp_sol.beta
    llf = obj.loglik(beta) if phi > 0 else np.inf
    return Solution(beta, llf, True, mean_sol.iterations, 0.0, mean_sol.fallbacks,
                    "exact fit: every residual is zero to rounding", mean_sol.last_step,
                    exact_fit=True)
