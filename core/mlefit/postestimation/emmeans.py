"""Estimated marginal means over a reference grid, and their pairwise comparisons:
``mlefit.emmeans(res, "cp")``, ``.pairs()``.

The rules are R's emmeans': the **reference grid** crosses every level of every factor
of the parameter's formula (text or categorical columns, ``C(x)``) and holds each numeric
variable (0/1 columns too) at its mean over the fit's rows, unless ``at`` gives its
value(s) or the levels to keep. The marginal mean of a level of ``specs`` (within each
level of ``by``) is the **equally weighted** average of the grid's linear predictors
with that level: ``m = L b``, ``L`` the average of the grid's design rows, with
``Var(m) = L V L'`` from the fit's covariance. ``type="response"`` transforms the mean
back, ``g^-1(m)``, with the delta method's SE ``|g^-1'(m)| se(m)`` and the interval's
ends transformed back (what emmeans prints with ``type = "response"``); ``type="link"``
keeps ``m``.

``pairs()`` compares the means in each ``by`` group, earlier level minus later one, on
the link scale; with ``type="response"`` and a log or logit link the difference is
reported as a ratio ``exp(d)`` (rate ratio, odds ratio; SE ``exp(d) se(d)``), its test on
the log scale, as emmeans does. Adjustment over the comparisons of one group:
``"tukey"`` (the studentized range of as many means as the group has, scipy's
``studentized_range``; intervals too), ``"holm"`` (p-values; intervals by Bonferroni,
emmeans' choice) or ``"none"``. Tests are z, or t on ``df_resid`` where the fit's tests
are t.
"""

from __future__ import annotations

import itertools
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, InferenceWarning
from ..inference.confidence import check_alpha
from .marginal_effects import parameter_block, response_and_slope
from .reference_data import (
    RowsView,
    columns_needed,
    design_block,
    fit_rows,
    level_label,
    reads,
    variables,
)

__all__ = ["ADJUSTMENTS", "EMMeans", "emmeans"]

ADJUSTMENTS = ("tukey", "holm", "none")

#: links whose differences transform back to ratios (as emmeans reports them)
RATIO_LINKS = {"log": "ratio", "logit": "odds ratio"}


def _names(value, what: str) -> list[str]:
    if value is None:
        return []
    names = [value] if isinstance(value, str) else list(value)
    if not names or not all(isinstance(n, str) for n in names):
        raise DataError(f"{what}={value!r} must name one or more variables, e.g. {what}='cp'.")
    return names


@dataclass(frozen=True)
class EMMeans:
    """Estimated marginal means (:func:`emmeans`): ``table`` (one row per level of the
    specs within each ``by`` group: the levels, ``emmean``, ``std_error``, ``conf_low``,
    ``conf_high``), and :meth:`pairs` for their comparisons."""

    table: pd.DataFrame
    specs: tuple[str, ...]
    by: tuple[str, ...]
    type: str
    link: str
    alpha: float
    #: the link-scale means, their rows of L and their covariance (for contrasts)
    means: np.ndarray = field(repr=False)
    cov: np.ndarray = field(repr=False)
    df: float | None = None

    def __repr__(self) -> str:
        return self.table.to_string(index=False)

    def pairs(self, adjust: str = "tukey", alpha: float | None = None) -> pd.DataFrame:
        """Every pair of means within each ``by`` group (earlier minus later level):
        ``contrast``, the ``by`` columns, ``estimate`` (a difference on the link scale,
        or a ratio with ``type="response"`` and a log or logit link), ``std_error``,
        ``statistic``, ``p_value`` and ``conf_low``, ``conf_high``, adjusted by
        ``adjust``: ``"tukey"``, ``"holm"`` or ``"none"``."""
        if adjust not in ADJUSTMENTS:
            raise DataError(f"adjust={adjust!r} is not one of {list(ADJUSTMENTS)}.")
        alpha = self.alpha if alpha is None else check_alpha(alpha)
        keys = self.table[list(self.by)].apply(tuple, axis=1) if self.by else \
            pd.Series([()] * len(self.table))
        labels = self.table[list(self.specs)].map(level_label).agg(" ".join, axis=1).to_numpy()
        ratio = RATIO_LINKS.get(self.link) if self.type == "response" else None
        df = np.inf if self.df is None else self.df
        out = []
        for key in dict.fromkeys(keys):
            idx = np.flatnonzero((keys == key).to_numpy())
            k = idx.size
            pairs = list(itertools.combinations(idx, 2))
            A = np.zeros((len(pairs), len(self.means)))
            for r, (i, j) in enumerate(pairs):
                A[r, i], A[r, j] = 1.0, -1.0
            d = A @ self.means
            se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", A, self.cov, A), 0, None))
            t = d / se
            p_raw = 2 * stats.t.sf(np.abs(t), df)
            if adjust == "tukey" and k > 2:
                p = stats.studentized_range.sf(np.abs(t) * np.sqrt(2), k, df)
                q = stats.studentized_range.ppf(1 - alpha, k, df) / np.sqrt(2)
            elif adjust == "holm":
                p = _holm(p_raw)
                q = stats.t.ppf(1 - alpha / (2 * max(len(pairs), 1)), df)
            else:
                p, q = p_raw, stats.t.ppf(1 - alpha / 2, df)
            low, high = d - q * se, d + q * se
            sep = " / " if ratio else " - "
            rows = pd.DataFrame({"contrast": [f"{labels[i]}{sep}{labels[j]}" for i, j in pairs]})
            for b, v in zip(self.by, key, strict=True):
                rows[b] = [v] * len(pairs)
            if ratio:
                est = np.exp(d)
                rows = rows.assign(estimate=est, std_error=est * se, statistic=t, p_value=p,
                                   conf_low=np.exp(low), conf_high=np.exp(high))
            else:
                rows = rows.assign(estimate=d, std_error=se, statistic=t, p_value=p,
                                   conf_low=low, conf_high=high)
            out.append(rows)
        return pd.concat(out, ignore_index=True)


def _holm(p: np.ndarray) -> np.ndarray:
    """Holm's step-down adjustment: the i-th smallest of m p-values times (m - i + 1),
    made monotone and capped at 1."""
    order = np.argsort(p)
    m = p.size
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def _grid_values(res, parameter, used, at) -> dict[str, list]:
    """Each variable's values in the reference grid."""
    found = {v.name: v for v in variables(res, parameter, used)}
    values = {}
    for name in columns_needed(res, parameter):
        var = found.get(name)
        if var is not None and var.kind == "factor":
            values[name] = list(var.levels)
        else:
            values[name] = [float(pd.to_numeric(used[name], errors="coerce").mean())]
    for name, value in (at or {}).items():
        if name not in values:
            raise DataError(f"at names {name!r}, which the formula of {parameter!r} does not "
                            f"read. Fix: give values of {list(values)}.")
        given = list(value) if isinstance(value, (list, tuple, np.ndarray, pd.Series)) \
            else [value]
        var = found.get(name)
        if var is not None and var.kind == "factor":
            unknown = [g for g in given if g not in var.levels]
            if unknown:
                raise DataError(f"at gives levels {unknown} of {name!r}, which the fit did "
                                f"not see. Fix: choose among {list(var.levels)}.")
        values[name] = given
    return values


def _warn_interactions(res, parameter: str, specs: list[str], by: list[str],
                       names) -> None:
    """R's emmeans note: a spec variable in an interaction with a variable that is
    averaged over makes the means depend on that variable's grid."""
    for part in res._context.designs[parameter].spec.structure:
        exprs = [str(getattr(f, "expr", f)) for f in part.term.factors]
        used = {n for n in names if any(reads(e, n) for e in exprs)}
        if used & set(specs) and used - set(specs) - set(by):
            warnings.warn(f"the means of {specs} average over {sorted(used - set(specs))}, "
                          f"with which they interact ({part.term}): they may mislead (R's "
                          "emmeans says so too). Fix: give the interacting variables as by= "
                          "(or in specs).", InferenceWarning, stacklevel=3)
            return


def _grid_frame(values: dict[str, list], used: pd.DataFrame) -> pd.DataFrame:
    combos = list(itertools.product(*values.values()))
    grid = pd.DataFrame(combos, columns=list(values))
    for name in values:
        if isinstance(used[name].dtype, pd.CategoricalDtype):
            grid[name] = pd.Categorical(grid[name], categories=used[name].cat.categories)
    return grid


def emmeans(res, specs, by=None, at: dict | None = None, type: str = "response",
            parameter: str | None = None, alpha: float = 0.05) -> EMMeans:
    """Estimated marginal means of ``parameter`` (default the first, the mean) for each
    level of ``specs`` (a variable's name or a list; within each level of ``by``) over
    the reference grid of R's emmeans: every level of every factor, equally weighted,
    and numeric variables at their means (or at the values ``at`` gives). Averaged on the
    link scale; ``type="response"`` transforms the means (and their intervals) back.
    Returns an :class:`~mlefit.postestimation.emmeans.EMMeans`; ``.pairs(adjust=...)``
    compares the means ("tukey", "holm" or "none"; ratios on the response scale of a
    log or logit link). See :mod:`mlefit.postestimation.emmeans`."""
    if type not in ("response", "link"):
        raise DataError(f"type={type!r} is not 'response' or 'link'.")
    alpha = check_alpha(alpha)
    if at is not None and not isinstance(at, dict):
        raise DataError(f"at must be a dict of values, e.g. at={{'age': 50}}; got {at!r}.")
    parameter, pos = parameter_block(res, parameter)
    specs_, by_ = _names(specs, "specs"), _names(by, "by")
    if not specs_:
        raise DataError("specs names no variable. Fix: e.g. emmeans(res, 'cp').")
    data, positions = fit_rows(res)
    used = RowsView(data, positions)
    values = _grid_values(res, parameter, used, at)
    unknown = [n for n in specs_ + by_ if n not in values]
    if unknown:
        raise DataError(f"{unknown} are not variables of the formula of {parameter!r}. Fix: "
                        f"choose among {list(values)}.")
    _warn_interactions(res, parameter, specs_, by_, values)
    grid = _grid_frame(values, used)
    X, off = design_block(res, parameter, grid)
    keys = grid[by_ + specs_].apply(tuple, axis=1)
    groups = list(itertools.product(*(values[n] for n in by_ + specs_)))
    L = np.array([X[(keys == g).to_numpy()].mean(axis=0) for g in groups])
    o = np.array([off[(keys == g).to_numpy()].mean() for g in groups])
    m = o + L @ res.coef[pos]
    V = L @ res.cov[np.ix_(pos, pos)] @ L.T
    se = np.sqrt(np.clip(np.diag(V), 0, None))
    df = res.df_resid if res.t_tests else None
    q = float((stats.t(df) if df is not None else stats.norm).ppf(1 - alpha / 2))
    table = pd.DataFrame(groups, columns=by_ + specs_)[specs_ + by_]
    if type == "response":
        est, slope = response_and_slope(res, parameter, m, "response")
        ends = response_and_slope(res, parameter, np.vstack([m - q * se, m + q * se]),
                                  "response")[0]
        table = table.assign(emmean=est, std_error=np.abs(slope) * se,
                             conf_low=ends.min(axis=0), conf_high=ends.max(axis=0))
    else:
        table = table.assign(emmean=m, std_error=se, conf_low=m - q * se, conf_high=m + q * se)
    return EMMeans(table, tuple(specs_), tuple(by_), type, res.links[parameter].name, alpha,
                   m, V, df)
