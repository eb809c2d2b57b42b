"""The F test of nested GLM fits with an estimated dispersion: ``lrtest(..., test="F")``.

R's ``anova(m0, m1, test = "F")`` for ``glm`` fits: with the residual deviances ``D`` and
degrees of freedom ``df`` (``res.deviance``, ``res.df_resid``) of each model and the
Pearson dispersion ``phi = X2 / (n - p)`` of the largest model,
``F = (D0 - D1) / (df0 - df1) / phi`` on ``(df0 - df1, df_largest)`` degrees of freedom.
With more than two models each step is tested against the largest model's dispersion,
as R does. For the gaussian family this is the classical F test of nested least-squares
fits (``anova_lm``).

The test needs a dispersion that is estimated (the largest model's
``res.dispersion``): an exponential-dispersion family with an intercept-only dispersion
(gaussian, gamma, inverse gaussian), or a family that fixes it at 1 fitted with
``dispersion="pearson"`` (R's ``negative.binomial(theta)`` and the quasi families).
Where the dispersion is fixed at 1 (binomial, poisson) or modelled with covariates there
is no F test (R warns and uses chi-square; here it is refused): use the default
likelihood-ratio test. The statistic uses only deviances and the Pearson dispersion, so
it is the same under both conventions; the fits must be of one family.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ComparisonError
from .nesting import same_size

__all__ = ["estimated_dispersion", "f_steps", "format_f_table"]


def estimated_dispersion(res) -> bool:
    """Whether ``res`` has one estimated dispersion (the F test's denominator)."""
    disp = res.dispersion
    return disp is not None and (disp.parameter is not None
                                 or res.convention.dispersion == "pearson")


def _check(models: Sequence) -> None:
    large = models[-1]
    if not estimated_dispersion(large):
        why = ("its dispersion has covariates (no single phi)" if
               large.family.dispersion is not None else
               f"the {large.family.name} family fixes its dispersion at 1"
               if large.dispersion is not None else
               f"the {large.family.name} family has no deviance and dispersion")
        raise ComparisonError(
            f"test='F' needs an estimated dispersion in the largest model, and {why}. Fix: "
            "use the likelihood-ratio test (the default test='Chisq'); for an "
            "over-dispersed count model with the dispersion fixed by its family, fit the "
            "models with dispersion='pearson' (every parameter but the mean fixed).")
    names = {m.family.name for m in models}
    if len(names) > 1:
        raise ComparisonError(f"test='F' compares deviances of one family; the models are "
                              f"of the families {sorted(names)}. Fix: use the "
                              "likelihood-ratio test (test='Chisq').")


def f_steps(models: Sequence) -> tuple[list[tuple[float, int, float, float]], pd.Series]:
    """``[(F, df, df_denom, pvalue)]`` for each model against the next, and the change of
    deviance of each model from the previous one."""
    _check(models)
    large = models[-1]
    phi, df_denom = large.dispersion.phi_pearson, float(large.df_resid)
    dev = np.array([m.deviance for m in models])
    resid = np.array([m.df_resid for m in models], dtype=float)
    steps = []
    for i in range(len(models) - 1):
        df = round(resid[i] - resid[i + 1])
        if df == 0 and same_size(models[i], models[i + 1]):   # aliased terms: R gives NA
            steps.append((np.nan, 0, df_denom, np.nan))
            continue
        if df <= 0:
            raise ComparisonError(f"model {i + 2} has as many residual degrees of freedom "
                                  f"({resid[i + 1]:g}) as model {i + 1} or more: the F test "
                                  "needs a larger mean model second. Fix: order the models "
                                  "from the smallest to the largest mean model.")
        F = (dev[i] - dev[i + 1]) / df / phi
        steps.append((float(F), df, df_denom, float(stats.f.sf(F, df, df_denom))))
    return steps, pd.Series(np.r_[np.nan, -np.diff(dev)])


def format_f_table(title: str, table: pd.DataFrame, notes: Sequence[str]) -> str:
    """An F test table as R's ``anova``: residual df and deviance, df, deviance, F, p."""
    lines = [title]
    lines += [f"  Model {i}: {label}" for i, label in zip(table.index, table["model"],
                                                        strict=True)]
    lines.append(f"{'':>3} {'Resid. Df':>9} {'Resid. Dev':>12} {'Df':>4} {'Deviance':>11} "
                 f"{'F':>10} {'Pr(>F)':>11}")
    for i, row in table.iterrows():
        line = f"{i:>3} {row['df_resid']:>9g} {row['deviance']:>12.6g}"
        if not pd.isna(row["df"]):
            p = row["pvalue"]
            shown = "NA" if np.isnan(p) else "<2e-16" if p < 2e-16 else f"{p:.4g}"
            F = "NA" if np.isnan(row["statistic"]) else f"{row['statistic']:.6g}"
            line += f" {int(row['df']):>4} {row['deviance_change']:>11.6g} {F:>10} {shown:>11}"
        lines.append(line)
    lines += [f"Note: {n}" for n in notes]
    return "\n".join(lines)
