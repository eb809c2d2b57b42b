"""Wald tests: of each coefficient, and of linear hypotheses ``R beta = q``.

Each coefficient's test divides it by its standard error: z (normal), or t on the
residual degrees of freedom for a fit that reports t tests (:func:`wald_table`).

For hypotheses on the stacked coefficients, with ``d = R b - q`` and ``V = R C R'``
(``C``: the fit's covariance, whatever ``cov_type`` it was made with), the joint statistic
is ``W = d' V^-1 d``, chi-square on ``m = rank(R)`` degrees of freedom; for a fit whose
summary uses t tests (``convention="R"`` with a dispersion family) it is ``F = W / m`` on
``(m, df_resid)``, as R's and statsmodels' F tests. Each row also gets its own z (or t)
test.

Hypotheses are written with formulaic's linear-constraint grammar, naming coefficients as
:mod:`mlefit.inference.coefficients` does: ``"age = 0, exang = oldpeak"``,
``"sigma:age = 0"`` (terms of parameters other than the first are qualified by the
parameter). Names with characters outside the grammar (``C(cp)[T.2]``, ``sigma:age``)
need no quoting here: every known name is quoted before parsing, and each equation is
parsed as ``lhs - (rhs)`` so that ``age = -1`` reads as meant. Numbers are written in
decimal notation (``0.001``, not ``1e-3``, which the grammar does not read). Or give the
matrix ``R`` (and ``q``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError
from . import coefficients

__all__ = ["WaldTest", "constraints", "parse", "wald_table", "wald_test"]


@dataclass(frozen=True)
class WaldTest:
    """The result of :meth:`FitResult.wald_test`."""

    statistic: float
    df: int
    pvalue: float
    #: ``"chi2"`` or ``"F"``
    distribution: str
    df_denom: float | None
    #: one row per constraint: estimate ``R b``, std_error, statistic ``(R b - q) / se``,
    #: pvalue
    table: pd.DataFrame
    R: np.ndarray
    q: np.ndarray
    covariance: str

    def summary(self) -> str:
        """The constraints' table and the joint test, as text."""
        kind = "t" if self.df_denom is not None else "z"
        width = max(12, *(len(s) for s in self.table.index))
        lines = [f"Wald test (covariance: {self.covariance})",
                 f"{'':<{width}} {'Estimate':>11} {'Std. Error':>11} {kind + ' value':>9} "
                 f"{'Pr(>|' + kind + '|)':>10}"]
        for label, row in self.table.iterrows():
            lines.append(f"{label:<{width}} {row['estimate']:>11.6g} {row['std_error']:>11.6g} "
                         f"{row['statistic']:>9.4g} {row['pvalue']:>10.4g}")
        dist = (f"F({self.df}, {self.df_denom:g})" if self.distribution == "F"
                else f"chi2({self.df})")
        lines.append(f"Joint: {dist} = {self.statistic:.6g}, p-value = {self.pvalue:.4g}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _ratio(estimate: np.ndarray, se: np.ndarray) -> np.ndarray:
    """``estimate / se``, NaN where ``se`` is 0: a test with no sampling variance (an
    exact fit) is undefined, not infinitely significant."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(se > 0, estimate / se, np.nan)


def wald_table(params: np.ndarray, se: np.ndarray, df: float | None):
    """Statistic and two-sided p-value: z (normal) or, with ``df``, t on ``df``; NaN
    for a standard error of 0 (an exact fit)."""
    stat = _ratio(params, se)
    dist = stats.norm if df is None else stats.t(df)
    return stat, 2 * dist.sf(np.abs(stat))


def _quote(spec: str, names: list[str]) -> str:
    """Backtick every known coefficient name outside existing backticks."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.`])(?:{alternatives})(?![\w.`])")
    parts = spec.split("`")
    for i in range(0, len(parts), 2):          # even pieces are outside backticks
        parts[i] = pattern.sub(lambda m: f"`{m.group(0)}`", parts[i])
    return "`".join(parts)


def _split(text: str, separator: str) -> list[str]:
    """Split at ``separator`` outside backticks and brackets."""
    pieces, depth, quoted, current = [], 0, False, []
    for ch in text:
        if ch == "`":
            quoted = not quoted
        elif not quoted and ch in "([":
            depth += 1
        elif not quoted and ch in ")]":
            depth -= 1
        elif not quoted and depth == 0 and ch == separator:
            pieces.append("".join(current))
            current = []
            continue
        current.append(ch)
    pieces.append("".join(current))
    return pieces


def _equations(spec) -> list[str]:
    """One expression ``lhs - (rhs)`` (meaning ``= 0``) per equation of ``spec``.

    formulaic's grammar reads ``a = -1`` and ``a, -b`` as unknown operators ``=-`` and
    ``,-``; writing each equation as ``lhs - (rhs)`` and parsing it alone avoids both.
    """
    if isinstance(spec, dict):
        return [f"{lhs} - ({float(value)!r})" for lhs, value in spec.items()]
    out = []
    for text in [spec] if isinstance(spec, str) else spec:
        for eq in _split(text, ","):
            sides = _split(eq, "=")
            if len(sides) > 2 or not all(side.strip() for side in sides):
                raise ValueError(f"{eq.strip()!r} is not an equation 'lhs = rhs' or an "
                                 "expression (meaning '= 0')")
            out.append(sides[0] if len(sides) == 1 else f"{sides[0]} - ({sides[1]})")
    return out


def parse(res, spec) -> tuple[np.ndarray, np.ndarray]:
    """``(R, q)`` from a hypothesis string, a list of them, or ``{expression: value}``."""
    from formulaic.errors import FormulaicError
    from formulaic.utils.constraints import LinearConstraints

    known = coefficients.aliases(res)
    keys = list(known)
    rows, values = [], []
    try:
        for expr in _equations(spec):
            parsed = LinearConstraints.from_spec(_quote(expr, keys), variable_names=keys)
            rows.append(np.asarray(parsed.constraint_matrix, dtype=float))
            values.append(np.asarray(parsed.constraint_values, dtype=float))
    except (FormulaicError, KeyError, ValueError, SyntaxError, RuntimeError) as exc:
        why = str(exc).strip().splitlines()[0].rstrip(".")
        if isinstance(exc, KeyError):
            why = f"{exc.args[0]!r} is not a coefficient"
        elif isinstance(exc, RuntimeError):     # formulaic: a product or ratio of coefficients
            why = f"it is not linear in the coefficients ({why})"
        raise DataError(f"cannot read the hypothesis {spec!r}: {why}. Write linear equations "
                        f"in the coefficients {coefficients.names(res)}, e.g. 'age = 0, "
                        "exang = oldpeak' (terms of other parameters as 'sigma:age').") from exc
    M = np.vstack(rows)
    R = np.zeros((M.shape[0], res.k))
    for col, key in enumerate(keys):
        R[:, known[key]] += M[:, col]
    return R, np.concatenate(values)


def _label(row: np.ndarray, value: float, names: list[str]) -> str:
    terms = []
    for j in np.flatnonzero(row):
        c = row[j]
        sign = "-" if c < 0 else "+"
        mag = "" if abs(c) == 1 else f"{abs(c):g}*"
        terms.append(f"{sign} {mag}{names[j]}")
    text = " ".join(terms)
    text = text[2:] if text.startswith("+ ") else "-" + text[2:]
    return f"{text} = {value:g}"


def constraints(res, spec, q=None) -> tuple[np.ndarray, np.ndarray]:
    """``(R, q)`` from a hypothesis string (or list, dict) or a matrix ``R`` and ``q``."""
    written = isinstance(spec, (list, tuple)) and any(isinstance(s, str) for s in spec)
    if isinstance(spec, (str, dict)) or written:
        others = [f"item {i} ({s!r})" for i, s in enumerate(spec, 1)
                  if not isinstance(s, str)] if written else []
        if others:
            raise DataError(f"a list of hypotheses holds strings only, not "
                            f"{', '.join(others)}. Fix: write every equation as a string "
                            "(['age = 0', 'exang = 0']), or pass a matrix R of numbers.")
        if q is not None:
            raise DataError("q= goes with a matrix R; a written hypothesis carries its own "
                            "right-hand sides ('age = 1').")
        return parse(res, spec)
    R = np.atleast_2d(_numbers(spec, "R"))
    if R.ndim != 2 or R.shape[1] != res.k:
        raise DataError(f"R must have one column per coefficient (k = {res.k}); it has shape "
                        f"{R.shape}. The columns are {coefficients.names(res)}.")
    q = np.zeros(R.shape[0]) if q is None else np.atleast_1d(_numbers(q, "q"))
    if q.shape != (R.shape[0],):
        raise DataError(f"q must have one value per row of R ({R.shape[0]}); it has {q.size}.")
    return R, q


def _numbers(values, name: str) -> np.ndarray:
    """``values`` as a float array of finite numbers, else a DataError naming ``name``."""
    try:
        out = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} must hold numbers: {exc}. Fix: pass a numeric array, or "
                        "write the hypothesis as a string ('age = 0').") from exc
    if not np.isfinite(out).all():
        raise DataError(f"{name} holds NaN or infinite values; a constraint needs finite "
                        f"numbers. Fix: replace them in {name}.")
    return out


def wald_test(res, spec, q=None, *, use_f: bool | None = None) -> WaldTest:
    """Wald test of ``R beta = q`` (see the module docstring).

    Parameters
    ----------
    res : FitResult
    spec : str, list of str, dict, or array
        The hypothesis (``"age = 0, exang = oldpeak"``) or the matrix ``R``.
    q : array, optional
        Right-hand side with a matrix ``R`` (default zeros).
    use_f : bool, optional
        F test on ``(m, df_resid)``; default: when the fit reports t tests.
    """
    R, q = constraints(res, spec, q)
    m = R.shape[0]
    if m == 0 or np.linalg.matrix_rank(R) < m:
        raise DataError(f"the {m} constraint(s) are {'empty' if m == 0 else 'linearly dependent'}"
                        ". Fix: give independent equations (drop the ones implied by others).")
    use_f = res.t_tests if use_f is None else use_f
    # only the coefficients the constraints involve: another parameter's estimate of
    # -inf (sigma = 0 at an exact fit) or NaN variance would turn 0 * inf into NaN
    used = np.flatnonzero(np.any(R != 0, axis=0))
    R_used = R[:, used]
    estimate = R_used @ res.coef[used]
    d = estimate - q
    V = R_used @ res.cov[np.ix_(used, used)] @ R_used.T
    try:
        W = float(d @ np.linalg.solve(V, d))
    except np.linalg.LinAlgError:
        W = np.nan
    se = np.sqrt(np.diag(V))
    z = _ratio(d, se)
    if use_f:
        df_denom = float(res.df_resid)
        stat, pvalue = W / m, float(stats.f.sf(W / m, m, df_denom))
        p_rows = 2 * stats.t.sf(np.abs(z), df_denom)
    else:
        df_denom = None
        stat, pvalue = W, float(stats.chi2.sf(W, m))
        p_rows = 2 * stats.norm.sf(np.abs(z))
    names = coefficients.names(res)
    index = pd.Index([_label(r, v, names) for r, v in zip(R, q, strict=True)],
                     name="constraint")
    table = pd.DataFrame({"estimate": estimate, "std_error": se, "statistic": z,
                          "pvalue": p_rows}, index=index)
    return WaldTest(float(stat), m, pvalue, "F" if use_f else "chi2", df_denom, table, R, q,
                    res.covariance_kind)
