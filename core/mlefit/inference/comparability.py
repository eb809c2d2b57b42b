"""Whether fits can be compared at all: the same data and the same log-likelihood rule.

Fits are comparable when they use the same rows (the same index labels with positive
weight), the same response values, the same frequency and precision weights, and the same
log-likelihood rule (``convention``, and the same ``penalty``); their log-likelihoods
must be finite (no exact fit).
A fit that did not converge is compared with a :class:`~mlefit.ConvergenceWarning`. Every
comparison (:func:`mlefit.lrtest`, :func:`mlefit.compare`, :func:`mlefit.score_test`)
starts here; the models are labelled by family and formulas.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

from ..context import DATA_REMOVED
from ..errors import ComparisonError, ConvergenceWarning, DataError

__all__ = ["check_finite", "check_same_data", "describe", "labels", "warn_unconverged"]


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
    from ..results import FitResult

    if not isinstance(res, FitResult):
        raise ComparisonError(f"model {i} is a {type(res).__name__}, not a fit. Fix: pass the "
                              "results of mlefit.fit().")
    if not res._context.has_data and res._context.fingerprint is None:
        raise DataError(f"model {i}: {DATA_REMOVED}")


def check_same_data(models: Sequence) -> None:
    """Refuse fits on different rows, responses, weights or log-likelihood rules."""
    for i, m in enumerate(models, 1):
        _check_fit(m, i)
    ref = models[0]
    for i, m in enumerate(models[1:], 2):
        if not _same_lazy_data(ref, m, i):
            _same_rows(ref, m, i)
            _same_response(ref, m, i)
            _same_weights(ref, m, i)
        _same_censoring(ref, m, i)
        if m.convention.name != ref.convention.name:
            raise ComparisonError(
                f"model 1 reports its log-likelihood under convention={ref.convention.name!r} "
                f"and model {i} under convention={m.convention.name!r}; the two rules differ "
                "by constants, so their log-likelihoods cannot be compared. Fix: fit every "
                "model with the same convention.")
        _same_penalty(ref, m, i)


def _same_penalty(ref, m, i: int) -> None:
    """A penalised (Firth) log-likelihood is not comparable with an unpenalised one."""
    a, b = ref._context.options.penalty, m._context.options.penalty
    if a != b:
        raise ComparisonError(
            f"model 1 was fitted with penalty={a!r} and model {i} with penalty={b!r}: a "
            "penalised log-likelihood and an unpenalised one cannot be compared. Fix: fit "
            "every model with the same penalty= (logistf compares Firth fits by their "
            "penalised log-likelihoods).")


def _same_lazy_data(ref, m, i: int) -> bool:
    """Fits on a Dask frame: the same source, rows, weights and response sums (True), or
    refused; False when neither is one."""
    a, b = ref._context.fingerprint, m._context.fingerprint
    if a is None and b is None:
        return False
    if a is None or b is None or a != b:
        raise ComparisonError(f"models 1 and {i} were not fitted to the same rows of the same "
                              "Dask frame (source, rows used, weights or response differ). "
                              "Fix: fit every model to the same frame, with the rows with a "
                              "missing value in any model's variables dropped first.")
    return True


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
    if ra == rb and a.shape == b.shape:
        raise ComparisonError(_same_name_message(ref, a, b, i, ra))
    raise ComparisonError(
        f"the responses differ (model 1: {ra}; model {i}: {rb}). Likelihoods of different "
        "responses cannot be compared (a transformed response changes the likelihood by its "
        "Jacobian). Fix: fit every model to the same response.")


def _same_censoring(ref, m, i: int) -> None:
    """The same censoring and truncation, row by row (a censored row's likelihood is a
    probability, an exact row's a density: they cannot be compared)."""
    a = getattr(ref._context, "censoring", None)
    b = getattr(m._context, "censoring", None)
    if a == b:
        return
    what = [label for label in (a and a[0], b and b[0])]
    raise ComparisonError(
        f"models 1 and {i} differ in how the response is censored or truncated (model 1: "
        f"{what[0] or 'exact'}; model {i}: {what[1] or 'exact'}). Their likelihoods are of "
        "different events and cannot be compared. Fix: fit every model with the same "
        "Surv(...), censoring= and truncation=.")


def _same_name_message(ref, a: np.ndarray, b: np.ndarray, i: int, name: str) -> str:
    """Two responses with one name and different values: say where they differ."""
    differ = a != b
    rows = np.flatnonzero(differ.reshape(len(a), -1).any(axis=1))
    label = ref._context.frame.index[ref._context.rows][rows[0]]
    label = label.item() if isinstance(label, np.generic) else label
    return (f"models 1 and {i} both call their response {name!r}, but its values differ in "
            f"{rows.size} of {len(a)} rows (row {label!r}: {a[rows[0]].tolist()!r} in model 1, "
            f"{b[rows[0]].tolist()!r} in model {i}): the models were fitted to different data, "
            "and likelihoods of different responses cannot be compared. Fix: fit every "
            "model to the same data frame (the same values of the response).")


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


def check_finite(models: Sequence, test: str) -> None:
    """Refuse quasi-likelihood fits (no log-likelihood) and exact fits (an infinite
    one): no test compares them."""
    quasi = [i for i, m in enumerate(models, 1) if m.family.no_likelihood]
    if quasi:
        raise ComparisonError(f"model(s) {quasi} have no log-likelihood: "
                              f"{models[quasi[0] - 1].family.no_likelihood}. A {test} needs "
                              "log-likelihoods. Fix: compare fits of a family with a "
                              "likelihood, or use a Wald test (res.wald_test).")
    exact = [i for i, m in enumerate(models, 1)
             if m.diagnostics.exact_fit or not np.isfinite(m.llf)]
    if exact:
        raise ComparisonError(
            f"model(s) {exact} fit the response exactly (every residual is zero; "
            f"log-likelihood {models[exact[0] - 1].llf:g}): a {test} needs finite "
            "log-likelihoods. Fix: check the response (is it constant, or an exact function "
            "of the predictors?); an exact fit leaves nothing to test.")


def warn_unconverged(models, names) -> None:
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
