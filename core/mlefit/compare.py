"""Comparing fits: likelihood-ratio tests that check nesting, and information criteria.

Fits are comparable when they use the same rows (the same index labels with positive
weight), the same response values, the same frequency and precision weights, and the same
log-likelihood rule (``convention``). A likelihood-ratio test also needs the smaller
model nested in the larger one:

* **designs**, per distribution parameter: every linear predictor ``X0 b + o0`` of the
  smaller model is one of the larger model's ``X1 c + o1``, i.e. each column of
  ``[X0, o0 - o1]`` lies in the column space of ``X1``. Checked numerically: the residual
  of its projection onto ``X1`` (a QR of the column-scaled ``X1``), relative to the
  column's norm, must be below :data:`NESTING_TOL`. A fixed parameter is a design with no
  columns and the constant offset ``link(value)``, so fixing versus estimating a parameter
  falls under the same rule.
* **families**: when they differ, the larger family must declare that it reduces to the
  smaller one at a parameter value (:class:`mlefit.Reduction`); the core names no family.

The statistic is ``LR = 2 (llf1 - llf0)`` on ``df = k1 - k0``, referred to chi2(df). When
the reduction's value lies on the boundary of the parameter space (poisson in the
negative binomial at 1/theta = 0) and the reduced parameter is intercept-only, ``LR`` is
referred to the chi-bar-squared mixture ``1/2 chi2(d) + 1/2 chi2(d + 1)``, ``d = df - 1``
(Self and Liang 1987), where chi2(0) is a point mass at 0:
``p = 1/2 P(chi2(d) >= LR) + 1/2 P(chi2(d + 1) >= LR)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from .errors import ComparisonError, ConvergenceWarning, InferenceWarning
from .family import Reduction

#: largest relative projection residual of a column still counted inside a column space
NESTING_TOL = 1e-7
#: relative shortfall of the larger model's log-likelihood tolerated as rounding
LLF_ROUNDING = 1e-10
ROBUST_COV = ("robust", "HC0", "HC1", "cluster")
FIX_NOT_NESTED = ("Fix: compare non-nested models with mlefit.compare() (AIC), or pass "
                  "nested=True if you know the smaller model is a special case of the larger.")


# the models ----------------------------------------------------------------------------
def describe(res) -> str:
    """A one-line label: family, main formula, and the other parameters' formulas."""
    first = res.family.parameters[0].name
    parts = [res.formulas[first]]
    for p in res.family.parameters[1:]:
        if p.name in res.fixed:
            parts.append(f"{p.name} = {res.fixed[p.name]:g}")
        elif res.formulas[p.name].replace(" ", "") != "~1":
            parts.append(f"{p.name} {res.formulas[p.name]}")
    return f"{res.family.name}: " + "; ".join(parts)


def labels(models: Sequence, names: Sequence[str] | None = None) -> list[str]:
    if names is not None:
        names = [str(n) for n in names]
        if len(names) != len(models):
            raise ComparisonError(f"names= has {len(names)} entries for {len(models)} models.")
        return names
    out = [describe(m) for m in models]
    return [f"{lab} [{i}]" if out.count(lab) > 1 else lab for i, lab in enumerate(out, 1)]


def _check_fit(res, i: int) -> None:
    from .results import FitResult

    if not isinstance(res, FitResult):
        raise ComparisonError(f"model {i} is a {type(res).__name__}, not a fit. Fix: pass the "
                              "results of mlefit.fit().")
    if res._context.objective is None or res._context.rows is None:
        raise ComparisonError(f"model {i} carries no objective (made by an older version or "
                              "by hand). Fix: refit it with mlefit.fit().")


def check_same_data(models: Sequence) -> None:
    """Refuse fits on different rows, responses, weights or log-likelihood rules."""
    for i, m in enumerate(models, 1):
        _check_fit(m, i)
    ref = models[0]
    for i, m in enumerate(models[1:], 2):
        _same_rows(ref, m, i)
        _same_response(ref, m, i)
        _same_weights(ref, m, i)
        if m.convention.name != ref.convention.name:
            raise ComparisonError(
                f"model 1 reports its log-likelihood under convention={ref.convention.name!r} "
                f"and model {i} under convention={m.convention.name!r}; the two rules differ "
                "by constants, so their log-likelihoods cannot be compared. Fix: fit every "
                "model with the same convention.")


def _same_rows(ref, m, i: int) -> None:
    a = ref._context.frame.index[ref._context.rows]
    b = m._context.frame.index[m._context.rows]
    if len(a) == len(b) and a.equals(b):
        return
    set_a, set_b = set(a), set(b)
    only_a = [x for x in a if x not in set_b][:5]
    only_b = [x for x in b if x not in set_a][:5]
    shown = "; ".join(s for s in (
        f"rows only in model 1: {only_a}" if only_a else "",
        f"rows only in model {i}: {only_b}" if only_b else "") if s) or "different order"
    raise ComparisonError(
        f"model 1 uses {len(a)} rows and model {i} uses {len(b)} ({shown}). Likelihoods on "
        "different rows cannot be compared. Fix: fit every model on the same rows, e.g. drop "
        "the rows with a missing value in any variable of any model first "
        "(data.dropna(subset=[...])).")


def _same_response(ref, m, i: int) -> None:
    a = ref._context.frame.y[ref._context.rows]
    b = m._context.frame.y[m._context.rows]
    if a.shape == b.shape and np.array_equal(a, b):
        return
    ra, rb = " + ".join(ref._context.frame.response), " + ".join(m._context.frame.response)
    raise ComparisonError(
        f"the responses differ (model 1: {ra}; model {i}: {rb}). Likelihoods of different "
        "responses cannot be compared (a transformed response changes the likelihood by its "
        "Jacobian). Fix: fit every model to the same response.")


def _same_weights(ref, m, i: int) -> None:
    if not np.array_equal(ref._context.frame.weights[ref._context.rows],
                          m._context.frame.weights[m._context.rows]):
        raise ComparisonError(f"models 1 and {i} have different weights. Fix: fit every model "
                              "with the same weights=.")
    va, vb = ref._context.frame.var_weights, m._context.frame.var_weights
    same = (va is None and vb is None) or (
        va is not None and vb is not None
        and np.array_equal(va[ref._context.rows], vb[m._context.rows]))
    if not same:
        raise ComparisonError(f"models 1 and {i} have different var_weights. Fix: fit every "
                              "model with the same var_weights=.")


# nesting -------------------------------------------------------------------------------
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
            "null distribution. Fix: use a parametric bootstrap (simulate from the smaller "
            "fit, refit both models to each simulated response, and compare the observed "
            f"statistic with the simulated ones), or make {name} intercept-only.")
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
    cols = list(m0._context.frame.designs[name].columns) if name not in m0.fixed else []
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


# likelihood-ratio tests ----------------------------------------------------------------
def chi2_sf(x: float, df: int) -> float:
    """``P(chi2(df) >= x)``; chi2(0) is a point mass at 0."""
    if df == 0:
        return 1.0 if x <= 0 else 0.0
    return float(stats.chi2.sf(x, df))


@dataclass(frozen=True)
class LRTest:
    """A likelihood-ratio test of a smaller model against a larger one."""

    statistic: float
    df: int
    pvalue: float
    #: the p-value comes from the chi-bar-squared mixture (boundary null)
    boundary: bool
    #: one row per model: model, k, llf, df, statistic, pvalue
    table: pd.DataFrame
    notes: tuple[str, ...] = ()
    #: the parametric bootstrap (``lrtest(..., bootstrap=B)``), if asked for
    bootstrap: object = None

    @property
    def distribution(self) -> str:
        d = self.df - 1
        return (f"1/2 chi2({d}) + 1/2 chi2({d + 1})" if self.boundary else f"chi2({self.df})")

    def summary(self) -> str:
        return format_table("Likelihood-ratio test", self.table, self.notes)

    def __str__(self) -> str:
        return self.summary()


@dataclass(frozen=True)
class LRTestSequence:
    """Likelihood-ratio tests of each model against the next, smallest first."""

    tests: tuple[LRTest, ...]
    table: pd.DataFrame

    def _each(self, name: str) -> np.ndarray:
        return np.array([getattr(t, name) for t in self.tests])

    #: one entry per step (model i against model i + 1)
    statistic = property(lambda self: self._each("statistic"))
    df = property(lambda self: self._each("df"))
    pvalue = property(lambda self: self._each("pvalue"))
    boundary = property(lambda self: self._each("boundary"))

    def summary(self) -> str:
        notes = tuple(f"{i} vs {i + 1}: {n}" for i, t in enumerate(self.tests, 1)
                      for n in t.notes)
        return format_table("Likelihood-ratio tests, each model against the next",
                            self.table, notes)

    def __str__(self) -> str:
        return self.summary()


def format_table(title: str, table: pd.DataFrame, notes: Sequence[str]) -> str:
    lines = [title]
    lines += [f"  Model {i}: {label}" for i, label in zip(table.index, table["model"],
                                                        strict=True)]
    lines.append(f"{'':>3} {'k':>4} {'LogLik':>13} {'Df':>4} {'Chisq':>11} {'Pr(>Chisq)':>11}")
    for i, row in table.iterrows():
        line = f"{i:>3} {row['k']:>4} {row['llf']:>13.6g}"
        if not pd.isna(row["df"]):
            p = row["pvalue"]
            shown = "<2e-16" if p < 2e-16 else f"{p:.4g}"
            line += f" {int(row['df']):>4} {row['statistic']:>11.6g} {shown:>11}"
        lines.append(line)
    lines += [f"Note: {n}" for n in notes]
    return "\n".join(lines)


def _warn_robust(models) -> None:
    robust = [i for i, m in enumerate(models, 1) if m.convention.cov_type in ROBUST_COV]
    if robust:
        warnings.warn(
            f"model(s) {robust} use a robust covariance (cov_type="
            f"{models[robust[0] - 1].convention.cov_type!r}); the likelihood-ratio test "
            "assumes the model is correctly specified and does not use it. Fix: for a test "
            "that matches the robust standard errors, use a Wald test on the larger model "
            "(res.wald_test('term = 0, ...')).", InferenceWarning, stacklevel=3)


def check_finite(models: Sequence, test: str) -> None:
    """Refuse exact fits: their log-likelihood is infinite, so no test compares them."""
    exact = [i for i, m in enumerate(models, 1)
             if m.diagnostics.exact_fit or not np.isfinite(m.llf)]
    if exact:
        raise ComparisonError(
            f"model(s) {exact} fit the response exactly (every residual is zero; "
            f"log-likelihood {models[exact[0] - 1].llf:g}): a {test} needs finite "
            "log-likelihoods. Fix: check the response (is it constant, or an exact function "
            "of the predictors?); an exact fit leaves nothing to test.")


def _warn_unconverged(models, names) -> None:
    shown = [f"model {i} ({label})" for i, (m, label)
             in enumerate(zip(models, labels(models, names), strict=True), 1)
             if not m.converged]
    if shown:
        warnings.warn(
            f"{', '.join(shown)} did not converge (res.converged is False): the "
            "log-likelihood of such a fit may be short of its maximum, so the comparison can "
            "be wrong. Fix: refit (more maxiter=, start= values from a simpler model) until "
            "res.converged is True; res.diagnostics says why the fit stopped.",
            ConvergenceWarning, stacklevel=3)


def _warn_supports(models, names) -> None:
    """Likelihoods of a mass function and of a density are not on one scale."""
    discrete = {bool(m.family.support.integer) for m in models}
    if len(discrete) > 1:
        kinds = [f"{label}: {'mass function' if m.family.support.integer else 'density'}"
                 for m, label in zip(models, labels(models, names), strict=True)]
        warnings.warn(
            "the models mix probability mass functions (discrete support) and densities "
            f"(continuous support) ({'; '.join(kinds)}): their log-likelihoods are on "
            "different scales, so AIC and BIC do not compare them. Fix: compare models of "
            "the same kind (all discrete or all continuous) for this response.",
            InferenceWarning, stacklevel=3)


def lrtest(m0, m1, *more, nested: bool | None = None,
           names: Sequence[str] | None = None, bootstrap: int | None = None, seed=None,
           progress: bool | None = None) -> LRTest | LRTestSequence:
    """Likelihood-ratio test of nested fits, smallest first.

    Parameters
    ----------
    m0, m1, *more : FitResult
        Fits on the same data, each nested in the next.
    nested : bool, optional
        ``True`` asserts the nesting instead of checking it (the family reductions are
        still used for boundary nulls). ``None`` (default) checks it.
    names : sequence of str, optional
        Labels of the models in the table (default: family and formulas).
    bootstrap : int, optional
        Also a parametric-bootstrap p-value from this many refits of both models on
        responses simulated from ``m0`` (two models only; :mod:`mlefit.bootstrap`). It
        stands where the asymptotic test is refused (a boundary parameter with covariates;
        pass ``nested=True`` then).
    seed, progress
        The bootstrap's random seed and progress bar (optional tqdm).

    Returns
    -------
    LRTest
        For two models: ``statistic = 2 (llf1 - llf0)``, ``df = k1 - k0``, ``pvalue``,
        ``boundary`` and a ``table``. For more, an :class:`LRTestSequence` of the tests
        of each model against the next.

    Raises
    ------
    ComparisonError
        Different rows, responses, weights or conventions; a larger model with fewer
        coefficients; models that are not nested; a boundary parameter with covariates;
        an exact fit (infinite log-likelihood).

    Warns
    -----
    ConvergenceWarning
        A model did not converge. :class:`InferenceWarning`: a robust covariance.
    """
    models = (m0, m1, *more)
    check_same_data(models)
    check_finite(models, "likelihood-ratio test")
    if bootstrap is not None:
        return _bootstrapped(m0, m1, more, nested, names, bootstrap, seed, progress)
    _warn_robust(models)
    _warn_unconverged(models, names)
    tests = tuple(_pair(models[i], models[i + 1], (i + 1, i + 2), nested)
                  for i in range(len(models) - 1))
    table = pd.DataFrame({
        "model": labels(models, names),
        "k": [m.k for m in models],
        "llf": [m.llf for m in models],
        "df": pd.array([pd.NA] + [t.df for t in tests], dtype="Int64"),
        "statistic": [np.nan] + [t.statistic for t in tests],
        "pvalue": [np.nan] + [t.pvalue for t in tests],
    }, index=pd.RangeIndex(1, len(models) + 1, name="model_no"))
    if len(tests) == 1:
        return LRTest(tests[0].statistic, tests[0].df, tests[0].pvalue, tests[0].boundary,
                      table, tests[0].notes)
    pairs = tuple(LRTest(t.statistic, t.df, t.pvalue, t.boundary, table.iloc[j:j + 2],
                         t.notes) for j, t in enumerate(tests))
    return LRTestSequence(pairs, table)


def _bootstrapped(m0, m1, more, nested, names, B, seed, progress) -> LRTest:
    from .bootstrap import bootstrap_lrt

    if more:
        raise ComparisonError("bootstrap= compares two models. Fix: call lrtest(m0, m1, "
                              "bootstrap=B) for each pair.")
    try:
        asymptotic = lrtest(m0, m1, nested=nested, names=names)
    except ComparisonError as exc:
        if "bootstrap" not in str(exc):
            raise
        check_order(m0, m1)  # refused only for the boundary with covariates: go on
        asymptotic = None
    boot = bootstrap_lrt(m0, m1, B, seed, progress)
    if asymptotic is None:
        table = pd.DataFrame({"model": labels((m0, m1), names), "k": [m0.k, m1.k],
                              "llf": [m0.llf, m1.llf],
                              "df": pd.array([pd.NA, m1.k - m0.k], dtype="Int64"),
                              "statistic": [np.nan, boot.statistic],
                              "pvalue": [np.nan, boot.pvalue]},
                             index=pd.RangeIndex(1, 3, name="model_no"))
        return LRTest(boot.statistic, m1.k - m0.k, boot.pvalue, True, table,
                      ("no asymptotic p-value (boundary parameter with covariates): "
                       "the p-value is the bootstrap's", boot.describe()), boot)
    return replace(asymptotic, notes=(*asymptotic.notes, boot.describe()), bootstrap=boot)


def check_order(small, large, which: tuple[int, int] = (1, 2)) -> None:
    """Refuse a "larger" model that does not have more coefficients (never an abs())."""
    i, j = which
    if large.k <= small.k:
        raise ComparisonError(
            f"model {j} has k = {large.k} coefficients and model {i} has {small.k}: a test "
            "of nested models needs the larger model second, with more coefficients. Fix: "
            "pass the models from the smallest to the largest (lrtest(small, large)); "
            "models with as many coefficients are not nested: compare them with "
            "mlefit.compare().")


def _pair(small, large, which: tuple[int, int], nested) -> LRTest:
    i, j = which
    check_order(small, large, which)
    nest = nesting(small, large, nested, which)
    df = large.k - small.k
    stat = 2.0 * (large.llf - small.llf)
    notes = []
    if stat < 0:
        shortfall = -stat / 2
        if shortfall > LLF_ROUNDING * max(1.0, abs(small.llf)) and not nest.boundary:
            raise ComparisonError(
                f"the larger model {j} has a lower log-likelihood ({large.llf:.10g}) than "
                f"the smaller model {i} ({small.llf:.10g}): the larger fit did not reach its "
                "maximum. Fix: check res.converged and refit the larger model, e.g. with "
                "start values from the smaller one.")
        notes.append(f"the larger model's log-likelihood is below the smaller's by "
                     f"{shortfall:.3g} (its estimate stopped short of the boundary); the "
                     "statistic is set to 0")
        stat = 0.0
    if nest.boundary:
        red = nest.reduction
        pvalue = 0.5 * chi2_sf(stat, df - 1) + 0.5 * chi2_sf(stat, df)
        notes.append(f"{red.parameter} = {red.value:g} ({red.family}) lies on the boundary of "
                     f"{large.family.name}'s parameter space: p-value from the chi-bar-squared "
                     f"mixture 1/2 chi2({df - 1}) + 1/2 chi2({df}) (Self and Liang 1987)")
    else:
        pvalue = chi2_sf(stat, df)
    if nest.asserted:
        notes.append("nesting asserted by nested=True, not checked")
    return LRTest(float(stat), int(df), float(pvalue), nest.boundary, pd.DataFrame(),
                  tuple(notes))


# information criteria ------------------------------------------------------------------
def compare(*models, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Information criteria of fits on the same data, best (lowest AIC) first.

    Columns: ``k``, ``llf``, ``AIC = -2 llf + 2k``, ``dAIC`` (AIC minus the lowest),
    ``weight`` (Akaike weight ``exp(-dAIC/2) / sum exp(-dAIC/2)``),
    ``AICc = AIC + 2k(k + 1)/(n - k - 1)`` and ``BIC = -2 llf + k log n``. The models need
    not be nested; they must use the same rows, response, weights and convention. A
    :class:`ConvergenceWarning` names a model that did not converge, an
    :class:`InferenceWarning` a mix of mass functions and densities (not comparable).
    """
    if not models:
        raise ComparisonError("compare() needs at least one fit.")
    check_same_data(models)
    _warn_unconverged(models, names)
    _warn_supports(models, names)
    aic = np.array([m.aic for m in models])
    d = aic - aic.min()
    w = np.exp(-d / 2)
    table = pd.DataFrame({
        "k": [m.k for m in models], "llf": [m.llf for m in models], "AIC": aic, "dAIC": d,
        "weight": w / w.sum(), "AICc": [m.aicc for m in models],
        "BIC": [m.bic for m in models]}, index=pd.Index(labels(models, names), name="model"))
    return table.sort_values("AIC", kind="stable")
