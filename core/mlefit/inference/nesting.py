"""Whether a smaller fit is nested in a larger one, as a likelihood-ratio test needs.

* **designs**, per distribution parameter: every linear predictor ``X0 b + o0`` of the
  smaller model is one of the larger model's ``X1 c + o1``, i.e. each column of
  ``[X0, o0 - o1]`` lies in the column space of ``X1``. Checked numerically: the residual
  of its projection onto ``X1`` (a QR of the column-scaled ``X1``), relative to the
  column's norm, must be below :data:`NESTING_TOL`. A fixed parameter is a design with no
  columns and the constant offset ``link(value)``, so fixing versus estimating a parameter
  falls under the same rule.
* **families**: when they differ, the larger family must declare that it reduces to the
  smaller one at a parameter value (:class:`mlefit.Reduction`); the core names no family.
  A reduction whose value lies on the boundary of the parameter space marks the nesting
  as a boundary one (the test's null distribution changes).
* **order**: the larger model comes second and has more coefficients, or as many when
  it has more terms, some of them aliased (``singular="drop"``): the two models are then
  the same, and the test has 0 degrees of freedom, as in R's ``anova``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import ComparisonError
from ..family import Reduction

__all__ = ["FIX_NOT_NESTED", "NESTING_TOL", "Nesting", "check_order", "nesting", "outside"]

#: largest relative projection residual of a column still counted inside a column space
NESTING_TOL = 1e-7
FIX_NOT_NESTED = ("Fix: compare non-nested models with mlefit.compare() (AIC), or pass "
                  "nested=True if you know the smaller model is a special case of the larger.")


@dataclass(frozen=True)
class Nesting:
    """How the smaller model sits inside the larger one."""

    #: the larger family's declared reduction, when the families differ
    reduction: Reduction | None
    #: the reduced parameter's null value is on a boundary: chi-bar-squared null
    boundary: bool
    #: nesting asserted by ``nested=True`` rather than checked
    asserted: bool


def outside(X: np.ndarray, A: np.ndarray, tol: float = NESTING_TOL) -> np.ndarray:
    """Indices of the nonzero columns of ``A`` not in the column space of ``X``."""
    norms = np.linalg.norm(A, axis=0)
    if X.shape[1]:
        scale = np.linalg.norm(X, axis=0)
        Q, _ = np.linalg.qr(X / np.where(scale > 0, scale, 1.0))
        resid = A - Q @ (Q.T @ A)
    else:
        resid = A
    with np.errstate(invalid="ignore", divide="ignore"):
        rel = np.linalg.norm(resid, axis=0) / norms
    return np.flatnonzero((norms > 0) & (rel > tol))


def nesting(m0, m1, nested: bool | None = None, which: tuple[int, int] = (1, 2)) -> Nesting:
    """Check that ``m0`` is nested in ``m1`` (see the module docstring)."""
    if nested is False:
        raise ComparisonError("nested=False: a likelihood-ratio test needs nested models. "
                              "Fix: compare non-nested models with mlefit.compare() (AIC).")
    red = _reduction(m0, m1, nested, which)
    if red is not None:
        _check_reduced(m0, m1, red, which, asserted=nested is True)
    if nested is True:
        return Nesting(red, bool(red and red.boundary and red.parameter not in m1.fixed), True)
    for name in m0.family.parameter_names:
        _check_parameter(m0, m1, name, which)
    return Nesting(red, bool(red and red.boundary and red.parameter not in m1.fixed), False)


def _reduction(m0, m1, nested, which) -> Reduction | None:
    f0, f1 = m0.family, m1.family
    if f0.name == f1.name:
        return None
    known = {f0.name, *f0.aliases}
    found = [r for r in f1.reductions if r.family in known]
    if not found:
        if nested is True:
            return None
        declared = [f"{r.family} at {r.parameter} = {r.value:g}" for r in f1.reductions]
        raise ComparisonError(
            f"model {which[0]} ({f0.name}) is not nested in model {which[1]} ({f1.name}): "
            f"{f1.name} declares no reduction to {f0.name} (it declares "
            f"{declared or 'none'}). {FIX_NOT_NESTED}")
    red = found[0]
    rest = [n for n in f1.parameter_names if n != red.parameter]
    if sorted(rest) != sorted(f0.parameter_names):
        raise ComparisonError(
            f"{f1.name} declares a reduction to {f0.name} at {red.parameter} = {red.value:g}, "
            f"but its other parameters {rest} are not {f0.name}'s {list(f0.parameter_names)}. "
            f"The declaration of {f1.name} is inconsistent; report it to its author.")
    return red


def _check_reduced(m0, m1, red: Reduction, which, asserted: bool) -> None:
    """The reduced parameter of the larger model can take the reduction's value."""
    name = red.parameter
    if name in m1.fixed:
        if not asserted and m1.fixed[name] != red.value:
            raise ComparisonError(
                f"model {which[1]} fixes {name} at {m1.fixed[name]:g}, where {m1.family.name} "
                f"is not {m0.family.name} (that needs {name} = {red.value:g}). "
                f"{FIX_NOT_NESTED}")
        return
    obj = m1._context.objective
    block = obj.blocks[obj.index(name)]
    X, offset = block.X, block.offset
    intercept_only = X.shape[1] == 1 and np.ptp(X[:, 0]) == 0 and np.ptp(offset) == 0
    if red.boundary and not intercept_only:
        raise ComparisonError(
            f"{name} has its own design in model {which[1]} ({m1.formulas[name]}) and its "
            f"null value {red.value:g} ({m0.family.name}) lies on the boundary of its domain: "
            "the likelihood-ratio statistic then has neither a chi-square nor a chi-bar-squared "
            "null distribution. Fix: use a parametric bootstrap, lrtest(m0, m1, "
            "bootstrap=B) (it simulates from the smaller fit, refits both models to each "
            "simulated response, and compares the observed statistic with the simulated "
            f"ones), or make {name} intercept-only.")
    if red.boundary or asserted:
        return
    with np.errstate(all="ignore"):
        eta = float(block.link.link(np.float64(red.value)))
    if not np.isfinite(eta) or outside(X, (eta - offset)[:, None]).size:
        raise ComparisonError(
            f"{name} = {red.value:g} ({m0.family.name}) is not reachable in model "
            f"{which[1]}: its design for {name} ({m1.formulas[name]}, link "
            f"{block.link.name}) cannot give the constant {eta:g}. Fix: include an intercept "
            f"in {name}'s formula. {FIX_NOT_NESTED}")


def _constant(block) -> bool:
    """The parameter is one constant on every row (intercept-only or fixed)."""
    flat_x = block.X.size == 0 or (block.X.shape[1] == 1 and not np.ptp(block.X))
    return flat_x and not np.ptp(block.offset)


def _check_parameter(m0, m1, name: str, which) -> None:
    if m0._context.fingerprint is not None:    # a Dask fit: no designs in memory
        _check_by_terms(m0, m1, name, which)
        return
    b0 = m0._context.objective.blocks[m0._context.objective.index(name)]
    b1 = m1._context.objective.blocks[m1._context.objective.index(name)]
    if b0.link.name != b1.link.name:
        if _constant(b0) and b1.X.shape[1] and not np.ptp(b1.offset) and not outside(
                b1.X, np.ones((b1.X.shape[0], 1))).size:
            return      # a constant parameter is a constant on every scale
        raise ComparisonError(
            f"{name} has link {b0.link.name} in model {which[0]} and {b1.link.name} in model "
            f"{which[1]}: the models are not nested (their linear predictors live on "
            f"different scales). Fix: use the same link. {FIX_NOT_NESTED[5:]}")
    A = np.column_stack([b0.X, b0.offset - b1.offset])
    bad = outside(b1.X, A)
    if not bad.size:
        return
    ctx = m0._context
    cols = [] if name in m0.fixed else \
        [ctx.designs[name].columns[j] for j in ctx.estimated_columns(name)]
    what = [f"term(s) {[cols[j] for j in bad if j < len(cols)]}"] if bad[0] < len(cols) else []
    if bad[-1] == len(cols):
        what.append(f"the fixed value {m0.fixed[name]:g}" if name in m0.fixed else
                    "the offset (it differs between the models)")
    there = (f"{name} fixed at {m1.fixed[name]:g}" if name in m1.fixed
             else f"{name}'s design ({m1.formulas[name]})")
    raise ComparisonError(
        f"model {which[0]} is not nested in model {which[1]}: {name}'s "
        f"{' and '.join(what)} in model {which[0]} cannot be written with {there} in model "
        f"{which[1]}. {FIX_NOT_NESTED}")


def same_size(small, large) -> bool:
    """The larger model has as many estimated coefficients as the smaller one because
    some of its terms are aliased (``singular="drop"``): a step of 0 degrees of freedom."""
    return large.k == small.k and bool(large.aliased) and \
        len(large.index) > len(small.index)


def check_order(small, large, which: tuple[int, int] = (1, 2)) -> None:
    """Refuse a "larger" model that does not have more coefficients (never an abs()),
    unless it has as many because of aliased terms (:func:`same_size`)."""
    i, j = which
    if large.k <= small.k and not same_size(small, large):
        raise ComparisonError(
            f"model {j} has k = {large.k} coefficients and model {i} has {small.k}: a test "
            "of nested models needs the larger model second, with more coefficients. Fix: "
            "pass the models from the smallest to the largest (lrtest(small, large)); "
            "models with as many coefficients are not nested: compare them with "
            "mlefit.compare().")


def _check_by_terms(m0, m1, name: str, which) -> None:
    """Fits without their designs in memory (Dask): nested when every term of the smaller
    model's parameter is a term of the larger's, with the same link (a fixed parameter in
    the smaller model is nested in a larger one that estimates it with an intercept)."""
    l0, l1 = m0.links[name].name, m1.links[name].name
    t0 = set() if name in m0.fixed else set(m0._context.designs[name].columns)
    t1 = set() if name in m1.fixed else set(m1._context.designs[name].columns)
    if name in m0.fixed and name not in m1.fixed and "Intercept" in t1:
        return
    if l0 != l1 or not t0 <= t1 or (name in m1.fixed) != (name in m0.fixed):
        raise ComparisonError(
            f"{name}: the terms {sorted(t0 - t1) or sorted(t0)} (link {l0}) of model "
            f"{which[0]} are not among those of model {which[1]} (link {l1}); for fits on "
            f"Dask frames nesting is judged by the terms. {FIX_NOT_NESTED}")
