"""From a fit request and a model frame to a :class:`FitResult`: checks, engine, inference.

This is the one place where the pieces meet: the response step of the request
(:func:`mlefit.request.bind_response`), the parameter blocks (designs, links, offsets,
fixed values, variance weights), rank deficiency, the runtime contract check, start
values, the optimiser, the covariance, and what the convention reports
(:mod:`mlefit.conventions`). The result keeps what refits need in its private
:class:`~mlefit.context.FitContext`.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from . import censoring, diagnose, engine, start
from .collinearity import drop_aliased, refuse_rank_deficient, warn_collinear
from .context import FitContext
from .contract import check_logpdf
from .conventions import ROBUST_COV_TYPES
from .engine import Block, DispersionSpec, Objective, linalg
from .engine.firth import maximize_firth
from .errors import ConvergenceError, DataError
from .family import constant
from .formula import ModelFrame
from .inference.covariance import OutOfRange, covariance, held_covariance
from .links import Link
from .postestimation.goodness_of_fit import pearson_chi2
from .request import FitRequest, bind_response
from .results import Diagnostics, DispersionSummary, FitResult

#: Firth's maximiser stops when no coefficient moves by more than this (relative)
FIRTH_TOL = 1e-10

__all__ = ["conclude", "estimate", "refuse_censored"]


def _take(values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[rows]`` without a copy when every row is used."""
    return values if rows.all() else values[rows]


def _blocks(family, frame: ModelFrame, links: dict[str, Link], fixed: dict, rows, kept=None):
    blocks = []
    n = int(rows.sum())
    disp = family.dispersion
    vw_offset = (None if frame.var_weights is None or disp is None
                 else -np.log(frame.var_weights[rows]) / disp.power)
    for p in family.parameters:
        link = links[p.name]
        extra = vw_offset if disp is not None and disp.parameter == p.name else None
        if p.name in fixed:
            with np.errstate(divide="ignore"):   # a boundary value: log(0) = -inf
                eta = constant(float(link.link(fixed[p.name])), n)
            if extra is not None:
                eta = eta + extra
            blocks.append(Block(p.name, link, constant(0.0, (n, 0)), eta, p.domain))
            continue
        d = frame.designs[p.name]
        offset = _take(d.offset, rows)
        if extra is not None:
            offset = offset + extra
        X = _take(d.X, rows)
        if kept and p.name in kept:       # singular="drop": the columns not aliased
            X = X[:, kept[p.name]]
        blocks.append(Block(p.name, link, X, offset, p.domain))
    return tuple(blocks)


def _check_rank(frame: ModelFrame, rows, names, singular: str = "error"):
    """Refuse rank-deficient designs (or, ``singular="drop"``, drop their aliased columns),
    warn about nearly collinear ones; return each design's power-of-two column scales
    (None where no column needs one) and, for the designs with columns dropped, the
    positions of the columns kept."""
    scales, kept = {}, {}
    for name in names:
        d = frame.designs[name]
        X = _take(d.X, rows)
        if X.shape[1] == 0:
            continue
        check = linalg.design_rank(X)
        pr, zero, scales[name] = check.rank, check.zero, check.scales
        columns = d.columns
        if (pr.rank < X.shape[1] or zero.size) and singular == "drop":
            kept[name], pr = drop_aliased(name, d.formula, d.columns, pr, stacklevel=4)
            columns = [d.columns[j] for j in kept[name]]
            if scales[name] is not None:
                scales[name] = scales[name][kept[name]]
        else:
            refuse_rank_deficient(name, d.formula, d.columns, pr, zero)
        warn_collinear(name, d.formula, columns, pr, stacklevel=4)
    return scales, kept


def _active_rows(frame: ModelFrame) -> np.ndarray:
    rows = frame.weights > 0
    if frame.var_weights is not None:
        rows &= frame.var_weights > 0
    if not rows.any():
        raise DataError("every row has weight 0. Fix: give some rows positive weights.")
    return rows


def estimate(request: FitRequest, frame: ModelFrame) -> FitResult:
    """Fit ``request`` to ``frame``; see the module docstring."""
    request, y_all = bind_response(request, frame.y)
    family, links, fixed, options = request.family, request.links, request.fixed, \
        request.options
    rows = _active_rows(frame)
    estimated = [p.name for p in family.parameters if p.name not in fixed]
    n_rows = int(rows.sum())
    if options.singular == "error":
        _check_rows(n_rows, sum(len(frame.designs[n].columns) for n in estimated))
    scales, kept = _check_rank(frame, rows, estimated, options.singular)
    blocks = _blocks(family, frame, links, fixed, rows, kept)
    _check_rows(n_rows, sum(b.size for b in blocks))
    limits = _limits(request, frame, y_all, rows)
    obj = Objective(family, _take(y_all, rows), blocks, _take(frame.weights, rows),
                    scales=tuple(scales.get(b.name) for b in blocks if b.size),
                    var_weights=None if frame.var_weights is None else frame.var_weights[rows],
                    limits=limits)
    columns = {n: tuple(frame.designs[n].columns[j] for j in kept[n]) if n in kept
               else frame.designs[n].columns for n in estimated}
    _check_contract(obj, request.origin, start.first_guess(obj, family))
    user_start = start.without_aliased(options.start, {n: frame.designs[n].columns
                                                       for n in estimated}, kept)
    beta0 = start.start_vector(obj, family, columns, user_start)
    if options.method != "newton" and not np.isfinite(obj.loglik(beta0)):
        _refuse_start(obj, beta0)
    spec = None if limits is not None else DispersionSpec.of(
        family, None if frame.var_weights is None else frame.var_weights[rows])
    if options.penalty == "firth" and limits is not None:
        raise DataError("penalty='firth' is for an exact (uncensored, untruncated) binomial "
                        "or poisson response: its penalty is the expected information of "
                        "that likelihood. Fix: drop penalty=, or the censoring/truncation.")
    if options.penalty == "firth":
        sol = maximize_firth(obj, beta0, maxiter=options.maxiter, tol=FIRTH_TOL)
    else:
        sol = engine.maximize(obj, beta0, method=options.method, dispersion=spec,
                              maxiter=options.maxiter, tol=options.tol)
    if sol.iterations == 0 and not np.isfinite(sol.llf):   # Newton's first pass
        _refuse_start(obj, beta0)
    return conclude(request, obj, sol, spec, frame, rows, kept, columns, _nobs(family, obj),
                    lambda coef, unbounded, aliased: FitContext.of(
                        frame, obj, rows, options, coef, unbounded, aliased))


def conclude(request: FitRequest, obj, sol, spec, frame: ModelFrame, rows, kept: dict,
             columns: dict, nobs: float, context_of) -> FitResult:
    """From an optimiser's solution to a :class:`FitResult`: diagnoses, dispersion,
    covariance, conventions (shared by the in-memory and the partitioned paths;
    ``context_of(coef_ml, unbounded, aliased)`` makes the result's private context)."""
    family, links, fixed, options = request.family, request.links, request.fixed, \
        request.options
    estimated = [p.name for p in family.parameters if p.name not in fixed]
    blocks = obj.blocks
    if not sol.exact_fit and not np.isfinite(sol.llf):
        raise ConvergenceError(f"the optimiser ended where the log-likelihood is not finite "
                               f"({sol.message}), e.g. after an overflow. Fix: rescale the "
                               "response or covariates, or give start= values.")
    unbounded = diagnose.warn_fit(obj, sol, columns)
    at_boundary = diagnose.boundary_reductions(obj, sol)
    conv = options.convention
    disp = None
    p_first = blocks[0].size
    base = None
    if spec is not None and not sol.exact_fit and spec.name in estimated and \
            blocks[obj.index(spec.name)].size == 1 and family.has("unit_variance"):
        base = engine.base_offset(blocks[obj.index(spec.name)], spec)
    if base is not None:
        disp = _dispersion(obj, sol, spec, nobs - p_first, base, conv)
    beta = conv.reported_coef(obj, sol.beta.copy(), spec, disp, base)
    if sol.exact_fit:
        cov_matrix = _exact_fit_cov(obj, spec)
        cov = None
    else:
        groups = frame.groups if frame.groups is None or hasattr(frame.groups,
                                                                 "cluster_count") \
            else frame.groups[rows]     # cluster_count: labels in a Dask fit's partitions
        try:
            if at_boundary:
                cov = held_covariance(obj, beta, at_boundary, conv.cov_type, groups,
                                      conv.sandwich)
            else:
                cov = covariance(obj, beta, conv.cov_type, groups, mle=sol.beta,
                                 point=sol.point, rule=conv.sandwich)
        except OutOfRange as exc:
            terms = [f"{n}: {t}" for n in estimated for t in columns[n]]
            named = [terms[i] for i in exc.positions]
            raise DataError(f"the variances of {named} are beyond the range of float64 "
                            "(1e-308 to 1e308): a column or a response of size beyond about "
                            "1e154 or below 1e-154 makes a coefficient's variance the square "
                            "of that (or of its inverse). The estimates are fine. Fix: rescale "
                            "the response or those columns (e.g. divide by a power of ten) "
                            "and refit.") from None
        cov_matrix = cov.matrix
    vw = None if frame.var_weights is None else frame.var_weights[rows]
    if spec is None and family.has("unit_variance") and \
            getattr(obj, "limits", None) is None:
        disp, cov_matrix, cov = _fixed_dispersion(obj, sol, beta, nobs - p_first, conv,
                                                  cov_matrix, cov)
    elif spec is not None and sol.exact_fit and spec.name in estimated:
        disp = DispersionSummary(spec.name, 0.0, 0.0, nobs - p_first, 0.0)
    index = pd.MultiIndex.from_tuples([(n, t) for n in estimated
                                       for t in frame.designs[n].columns],
                                      names=["parameter", "term"])
    aliased = {n: tuple(j for j in range(len(frame.designs[n].columns)) if j not in kept[n])
               for n in kept}
    dropped = tuple((n, frame.designs[n].columns[j]) for n in aliased for j in aliased[n])
    beta, cov_matrix = _with_aliased(beta, cov_matrix, index, dropped)
    modelled = spec is not None and spec.name in estimated and \
        blocks[obj.index(spec.name)].size > 1
    llf = conv.reported_llf(obj, sol.beta, sol.llf, vw, modelled)
    diagnostics = Diagnostics(
        converged=sol.converged, iterations=sol.iterations, decrement=sol.decrement,
        gradient_se=cov.gradient_se if cov else 0.0, condition=cov.condition if cov else np.nan,
        derivatives=obj.derivatives, fallbacks=sol.fallbacks, method=options.method,
        message=sol.message, exact_fit=sol.exact_fit)
    formulas = {n: frame.designs[n].formula for n in estimated}
    return FitResult(
        family=family, formulas=formulas, links=dict(links), fixed=dict(fixed), coef=beta,
        cov=cov_matrix, index=index, llf=llf, llf_ml=sol.llf, nobs=nobs,
        n_dropped=frame.n_dropped, dropped_by=dict(frame.dropped_by),
        df_resid=nobs - p_first, convention=conv, diagnostics=diagnostics,
        covariance_kind=cov.kind if cov else "exact fit (zero residual variance)",
        _context=context_of(sol.beta, unbounded, aliased),
        dispersion=disp, aliased=dropped)


def _limits(request: FitRequest, frame: ModelFrame, y_all, rows):
    """The engine's limits of a censored or truncated response on the rows used (None
    for an exact one), after refusing what such a response cannot have."""
    resp = frame.censoring
    if resp is None or not (resp.censored or resp.truncated):
        return None
    refuse_censored(request, resp.label, y_all.ndim)
    return resp.take(rows).limits(_take(y_all, rows), bool(request.family.support.integer))


def refuse_censored(request: FitRequest, label: str, y_ndim: int) -> None:
    """Refuse what a censored or truncated response (``label``) cannot have: a family
    without a cdf, the expected information, R's dispersion, a multi-column response
    (the in-memory and the partitioned paths)."""
    family, conv = request.family, request.options.convention
    censoring.check_family(family, request.origin, label)
    refused = [what for what, bad in (
        ("cov_type='expected'", conv.cov_type == "expected"),
        (f"cov_type={conv.cov_type!r} (leverages of the expected information)",
         conv.cov_type in ("HC2", "HC3")),
        ("convention='R'", conv.name == "R"),
        ("dispersion='pearson'", conv.dispersion == "pearson")) if bad]
    if refused:
        raise DataError(f"{', '.join(refused)} is defined for an exactly observed response; "
                        f"this one is censored or truncated ({label}), where the expected "
                        "information and the Pearson dispersion have no closed form. Fix: use "
                        "the default (observed information, maximum likelihood) or the "
                        "sandwiches 'HC0', 'HC1' or 'cluster'.")
    if y_ndim != 1:
        raise DataError(f"family {family.name!r} takes a multi-column response; censoring and "
                        "truncation apply to a one-column response.")


def _check_rows(n_rows: int, p: int) -> None:
    if n_rows < p:
        raise DataError(f"{n_rows} rows with positive weight for {p} coefficients. Fix: "
                        "use more data or a smaller model.")


def _with_aliased(beta, cov, index: pd.MultiIndex, dropped):
    """``singular="drop"``: the estimates and covariance on every column of the designs,
    NaN in the places of the ``dropped`` (parameter, term) pairs (R's NA coefficients)."""
    if not dropped:
        return beta, cov
    mask = ~index.isin(list(dropped))
    full = np.full(mask.size, np.nan)
    full[mask] = beta
    full_cov = np.full((mask.size, mask.size), np.nan)
    full_cov[np.ix_(mask, mask)] = cov
    return full, full_cov


def _nobs(family, obj) -> float:
    """Sum of the frequency weights; rows of a multi-column response with no trials carry
    no observation (R drops them from the residual degrees of freedom)."""
    if obj.y.ndim == 2 and family.has("glm_response"):
        total = 0.0
        for start_row in range(0, obj.n, obj.block):
            sl = slice(start_row, start_row + obj.block)
            trials = np.asarray(family.glm_response(obj.y[sl])[1])
            total += float(np.sum(obj.weights[sl][trials > 0]))
        return total
    return float(np.sum(obj.weights))


def _check_contract(obj, origin: str, beta: np.ndarray) -> None:
    """The family's runtime contract on every row at ``beta``, block by block (no n-sized
    temporaries)."""
    for start_row in range(0, obj.n, obj.block):
        sl = slice(start_row, min(start_row + obj.block, obj.n))
        check_logpdf(obj.family, origin, *obj.family_view(beta, sl), start_row)


def _refuse_start(obj, beta0):
    raise ConvergenceError(f"the log-likelihood is -inf or NaN at the start values "
                           f"({_constants(obj, beta0)}). Fix: pass start= values inside "
                           "the support, or check the links.")


def _constants(obj, beta):
    etas = obj.etas(beta)
    return ", ".join(f"{b.name} ~ {float(np.median(b.link.inverse(e))):.4g}"
                     for b, e in zip(obj.blocks, etas, strict=True))


def _pearson(obj, sol, beta) -> float:
    """Pearson's X2 at ``beta``: from the optimiser's last pass when it was there."""
    point = sol.point
    if point is not None and point.sums.pearson is not None and \
            np.array_equal(point.beta, beta):
        return point.sums.pearson
    return pearson_chi2(obj, beta, obj.var_weights)


def _dispersion(obj, sol, spec, dof, base: float, conv) -> DispersionSummary:
    beta = sol.beta
    block = obj.blocks[obj.index(spec.name)]
    theta = float(block.link.inverse(block.X[0, 0] * beta[obj.block_slice(spec.name)][0]
                                     + base))
    unit = engine.pearson_unit(obj, spec)
    phi_p = _pearson(obj, sol, beta) * unit / dof if dof > 0 else np.nan
    with np.errstate(over="ignore", under="ignore"):   # beyond float64: inf or 0
        phi_ml = float(np.float64(theta) ** spec.power)
    return DispersionSummary(spec.name, phi_ml, phi_p, dof,
                             phi_p if conv.dispersion == "pearson" else phi_ml)


def _fixed_dispersion(obj, sol, beta, dof, conv, cov_matrix, cov):
    """A family that fixes phi at 1 (no dispersion parameter, a variance function):
    ``phi = 1``, or under ``dispersion="pearson"`` the Pearson ``X2 / (n - p)`` with the
    model-based covariance multiplied by it (a sandwich does not depend on phi)."""
    phi_p = _pearson(obj, sol, beta) / dof if dof > 0 else np.nan
    if conv.dispersion != "pearson":
        return DispersionSummary(None, 1.0, phi_p, dof, 1.0), cov_matrix, cov
    if not dof > 0:
        raise DataError(f"dispersion='pearson' divides Pearson's X2 by the residual degrees "
                        f"of freedom n - p = {dof:g}, and there are none. Fix: use more data "
                        "or a smaller model, or drop dispersion='pearson'.")
    if conv.cov_type not in ROBUST_COV_TYPES:
        cov_matrix = cov_matrix * phi_p
        if cov is not None:
            cov = replace(cov, matrix=cov_matrix,
                          kind=f"{cov.kind} x Pearson dispersion {phi_p:.6g}")
    return DispersionSummary(None, 1.0, phi_p, dof, phi_p), cov_matrix, cov


def _exact_fit_cov(obj, spec):
    cov = np.zeros((obj.p, obj.p))
    if spec is not None:
        sl = obj.block_slice(spec.name)
        cov[sl, sl] = np.nan
    return cov
