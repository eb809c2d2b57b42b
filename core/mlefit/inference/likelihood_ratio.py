"""Likelihood-ratio tests of nested fits: :func:`mlefit.lrtest`.

The fits must be comparable (:mod:`mlefit.inference.comparability`) and each nested in
the next (:mod:`mlefit.inference.nesting`). The statistic is ``LR = 2 (llf1 - llf0)`` on
``df = k1 - k0``, referred to chi2(df). When the reduction's value lies on the boundary
of the parameter space (poisson in the negative binomial at 1/theta = 0) and the reduced
parameter is intercept-only, ``LR`` is referred to the chi-bar-squared mixture
``1/2 chi2(d) + 1/2 chi2(d + 1)``, ``d = df - 1`` (Self and Liang 1987), where chi2(0) is
a point mass at 0: ``p = 1/2 P(chi2(d) >= LR) + 1/2 P(chi2(d + 1) >= LR)``. Where that
asymptotic test is refused, ``bootstrap=`` gives a parametric-bootstrap p-value
(:mod:`mlefit.inference.bootstrap`).

A larger model whose added terms are all aliased (``singular="drop"``) is the smaller
model again: the step has ``df = 0``, the statistic 0 (up to rounding) and no p-value
(NaN), as R's ``anova`` (``stat.anova`` gives NA where ``Df`` is 0).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from ..conventions import ROBUST_COV_TYPES
from ..errors import ComparisonError, DataError, InferenceWarning
from .bootstrap import bootstrap_lrt
from .comparability import check_finite, check_same_data, labels, warn_unconverged
from .f_test import f_steps, format_f_table
from .nesting import check_order, nesting, same_size

__all__ = ["LLF_ROUNDING", "LRTest", "LRTestSequence", "chi2_sf",
           "format_table", "lrtest"]

#: relative shortfall of the larger model's log-likelihood tolerated as rounding
LLF_ROUNDING = 1e-10
#: the tests ``lrtest(test=...)`` makes, with the titles of one test and of a sequence
_TITLES = {"Chisq": ("Likelihood-ratio test",
                     "Likelihood-ratio tests, each model against the next"),
           "F": ("F test (analysis of deviance)",
                 "F tests (analysis of deviance), each model against the next")}


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
    #: ``"Chisq"`` (the likelihood-ratio test) or ``"F"`` (``lrtest(..., test="F")``:
    #: R's analysis-of-deviance F test, :mod:`mlefit.inference.f_test`)
    test: str = "Chisq"
    #: the F test's denominator degrees of freedom (the largest model's df_resid)
    df_denom: float | None = None

    @property
    def distribution(self) -> str:
        """The null distribution of the p-value: ``chi2(df)``, the boundary mixture, or
        ``F(df, df_denom)``."""
        if self.test == "F":
            return f"F({self.df}, {self.df_denom:g})"
        d = self.df - 1
        return (f"1/2 chi2({d}) + 1/2 chi2({d + 1})" if self.boundary else f"chi2({self.df})")

    def summary(self) -> str:
        """The test as an R ``anova``-like table, with its notes."""
        return format_table(_TITLES[self.test][0], self.table, self.notes)

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
    statistic = property(lambda self: self._each("statistic"),
                         doc="The LR statistic of each step.")
    df = property(lambda self: self._each("df"), doc="The degrees of freedom of each step.")
    pvalue = property(lambda self: self._each("pvalue"), doc="The p-value of each step.")
    boundary = property(lambda self: self._each("boundary"),
                        doc="Whether each step's p-value is from the boundary mixture.")

    def summary(self) -> str:
        """All the steps as one R ``anova``-like table, with their notes."""
        notes = tuple(f"{i} vs {i + 1}: {n}" for i, t in enumerate(self.tests, 1)
                      for n in t.notes)
        return format_table(_TITLES[self.tests[0].test][1], self.table, notes)

    def __str__(self) -> str:
        return self.summary()


def format_table(title: str, table: pd.DataFrame, notes: Sequence[str]) -> str:
    """The text of an LR (or F) test table: one line per model, then the notes."""
    if "deviance_change" in table.columns:
        return format_f_table(title, table, notes)
    lines = [title]
    lines += [f"  Model {i}: {label}" for i, label in zip(table.index, table["model"],
                                                        strict=True)]
    lines.append(f"{'':>3} {'k':>4} {'LogLik':>13} {'Df':>4} {'Chisq':>11} {'Pr(>Chisq)':>11}")
    for i, row in table.iterrows():
        line = f"{i:>3} {row['k']:>4} {row['llf']:>13.6g}"
        if not pd.isna(row["df"]):
            p = row["pvalue"]
            shown = "NA" if np.isnan(p) else "<2e-16" if p < 2e-16 else f"{p:.4g}"
            line += f" {int(row['df']):>4} {row['statistic']:>11.6g} {shown:>11}"
        lines.append(line)
    lines += [f"Note: {n}" for n in notes]
    return "\n".join(lines)


def _warn_robust(models) -> None:
    robust = [i for i, m in enumerate(models, 1) if m.convention.cov_type in ROBUST_COV_TYPES]
    if robust:
        warnings.warn(
            f"model(s) {robust} use a robust covariance (cov_type="
            f"{models[robust[0] - 1].convention.cov_type!r}); the likelihood-ratio test "
            "assumes the model is correctly specified and does not use it. Fix: for a test "
            "that matches the robust standard errors, use a Wald test on the larger model "
            "(res.wald_test('term = 0, ...')).", InferenceWarning, stacklevel=3)


def lrtest(m0, m1, *more, nested: bool | None = None,
           names: Sequence[str] | None = None, bootstrap: int | None = None, seed=None,
           progress: bool | None = None, test: str = "Chisq") -> LRTest | LRTestSequence:
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
        responses simulated from ``m0`` (two models only; :mod:`mlefit.inference.bootstrap`). It
        stands where the asymptotic test is refused (a boundary parameter with covariates;
        pass ``nested=True`` then).
    seed, progress
        The bootstrap's random seed and progress bar (optional tqdm).
    test : {"Chisq", "F"}
        ``"Chisq"`` (default): the likelihood-ratio test. ``"F"``: R's
        ``anova(m0, m1, test = "F")``, ``F = (D0 - D1) / (df0 - df1) / phi`` with the
        largest model's Pearson dispersion ``phi``, for GLM fits of one family with an
        estimated dispersion (:mod:`mlefit.inference.f_test`); then ``statistic`` is F,
        ``df_denom`` its denominator degrees of freedom and the ``table`` holds each
        model's ``df_resid``, ``deviance`` and ``deviance_change``.

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
        an exact fit (infinite log-likelihood); ``test="F"`` without an estimated
        dispersion or across families.

    Warns
    -----
    ConvergenceWarning
        A model did not converge. :class:`InferenceWarning`: a robust covariance.
    """
    models = (m0, m1, *more)
    if test not in _TITLES:
        raise DataError(f"test={test!r} is not 'Chisq' (the likelihood-ratio test) or 'F' "
                        "(the analysis-of-deviance F test).")
    if test == "F" and bootstrap is not None:
        raise DataError("bootstrap= gives a p-value of the likelihood-ratio statistic, not "
                        "of F. Fix: drop test='F' or bootstrap=.")
    check_same_data(models)
    check_finite(models, "likelihood-ratio test" if test == "Chisq" else "F test")
    if test == "F":
        return _f_test(models, nested, names)
    if bootstrap is not None:
        return _bootstrapped(m0, m1, more, nested, names, bootstrap, seed, progress)
    _warn_robust(models)
    warn_unconverged(models, names)
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


def _f_test(models, nested, names) -> LRTest | LRTestSequence:
    """``lrtest(..., test="F")``: the models checked as for the LR test, then F."""
    steps, change = f_steps(models)
    _warn_robust(models)
    warn_unconverged(models, names)
    notes = []
    for i in range(len(models) - 1):
        check_order(models[i], models[i + 1], (i + 1, i + 2))
        asserted = nesting(models[i], models[i + 1], nested, (i + 1, i + 2)).asserted
        notes.append(("nesting asserted by nested=True, not checked",) if asserted else ())
    table = pd.DataFrame({
        "model": labels(models, names),
        "df_resid": [float(m.df_resid) for m in models],
        "deviance": [m.deviance for m in models],
        "df": pd.array([pd.NA] + [s[1] for s in steps], dtype="Int64"),
        "deviance_change": change.to_numpy(),
        "statistic": [np.nan] + [s[0] for s in steps],
        "pvalue": [np.nan] + [s[3] for s in steps],
    }, index=pd.RangeIndex(1, len(models) + 1, name="model_no"))
    tests = [LRTest(F, df, p, False, table.iloc[j:j + 2], notes[j], test="F",
                    df_denom=denom) for j, (F, df, denom, p) in enumerate(steps)]
    if len(tests) == 1:
        return replace(tests[0], table=table)
    return LRTestSequence(tuple(tests), table)


def _bootstrapped(m0, m1, more, nested, names, B, seed, progress) -> LRTest:
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


def _same_model(small, large, which, nest, stat: float) -> LRTest:
    """A step of 0 degrees of freedom: the larger model's added terms are all aliased."""
    i, j = which
    if abs(stat) / 2 <= LLF_ROUNDING * max(1.0, abs(small.llf)):
        stat = 0.0
    notes = [f"model {j}'s added terms are aliased (singular='drop': "
             f"{[f'{p}: {t}' for p, t in large.aliased]} not estimated), so it is model {i} "
             "again: df = 0 and no p-value, as R's anova"]
    if nest.asserted:
        notes.append("nesting asserted by nested=True, not checked")
    return LRTest(float(stat), 0, np.nan, False, pd.DataFrame(), tuple(notes))


def _null_llf(small, large) -> float:
    """The smaller model's log-likelihood in the statistic: its own, or for Firth fits
    its penalised maximum under the larger model's penalty (logistf's nested rule,
    :mod:`mlefit.inference.penalised`)."""
    if small._context.options.penalty is None:
        return small.llf
    from .penalised import nested_llf

    return nested_llf(small, large)


def _pair(small, large, which: tuple[int, int], nested) -> LRTest:
    i, j = which
    check_order(small, large, which)
    nest = nesting(small, large, nested, which)
    df = large.k - small.k
    stat = 2.0 * (large.llf - _null_llf(small, large))
    if same_size(small, large):
        return _same_model(small, large, which, nest, stat)
    notes = [] if small._context.options.penalty is None else [
        "Firth fits: the smaller model's penalised log-likelihood is taken under the larger "
        f"model's penalty ({large.llf - stat / 2:.10g}), logistf's nested rule"]
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
