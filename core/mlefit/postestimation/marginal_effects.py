"""Marginal effects of the data's variables on any distribution parameter, with
delta-method standard errors: ``res.marginal_effects()``.

For a parameter ``theta = g^-1(x(z)' b)`` (``type="response"``; ``type="link"`` takes the
linear predictor itself) and a variable ``z`` of its formula:

* a **numeric** variable gets the derivative ``d theta / d z``, a central difference
  ``(theta(z + h/2) - theta(z - h/2)) / h`` with ``h = 1e-4 (max z - min z)`` over the
  fit's rows (the default step ``eps`` of R's marginaleffects; the central difference
  makes the truncation error O(h^2)); its Jacobian in the coefficients is analytic,
  ``theta'(eta) x`` at the two points (marginaleffects differentiates numerically);
* a **0/1** variable gets the discrete change ``theta(z = 1) - theta(z = 0)``, and a
  **factor** (a text or categorical column, or ``C(z)``) each level against the first
  (``contrast="reference"``) or every pair of levels (``contrast="pairwise"``, later
  minus earlier level), as statsmodels' ``get_margeff(dummy=True)`` and marginaleffects'
  ``avg_comparisons`` do.

The design is rebuilt from the changed data through the formula's spec, so a variable
that enters several terms (``age + I(age**2)``, interactions) is handled as one.

``at="average"`` averages the effects over the fit's rows used (the AME, R's
``avg_slopes``; an unweighted mean of the rows, as marginaleffects' default ``wts =
FALSE`` and statsmodels' ``get_margeff``); ``at="mean"`` takes one typical row, numeric
variables at their mean and the others at their most frequent value (marginaleffects'
``datagrid()``; unlike statsmodels' ``at="mean"``, which averages the dummy columns of a
factor too); a dict
``{"age": [40, 60]}`` takes typical rows with those values (one effect per row of the
grid, the grid's columns in the table); a DataFrame averages over its rows.

The delta method: the effect is a function of the coefficients ``b`` of the parameter;
its Jacobian is accumulated with the effect itself, a block of rows at a time
(``theta'(eta) x`` at the two points, averaged), so nothing n-by-p is allocated beyond a
block's design; the covariance is the fit's (observed, expected, sandwich or cluster) and
the tests are z, or t on ``df_resid`` where the fit's tests are t.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ..engine.threads import blas_single
from ..errors import DataError
from ..inference.coefficients import estimated
from ..inference.confidence import quantile
from ..inference.wald import wald_table
from . import reference_data
from .reference_data import (
    RowsView,
    blocks,
    columns_needed,
    design_block,
    fit_rows,
    level_label,
    partial_design,
    set_value,
    typical_row,
)

__all__ = ["COLUMNS", "marginal_effects", "parameter_block", "response_and_slope"]

#: the columns of the table, after any columns of an ``at`` grid
COLUMNS = ["term", "contrast", "estimate", "std_error", "statistic", "p_value", "conf_low",
           "conf_high"]

#: R marginaleffects' step: this fraction of the variable's range over the data
STEP = 1e-4


def parameter_block(res, parameter: str | None) -> tuple[str, np.ndarray]:
    """The parameter (default: the first) and the positions of its estimated
    coefficients in ``res.coef``."""
    names = res.family.parameter_names
    parameter = names[0] if parameter is None else parameter
    if parameter not in names:
        raise DataError(f"parameter={parameter!r} is not a parameter of the "
                        f"{res.family.name!r} family. Fix: choose one of {list(names)}.")
    if parameter in res.fixed:
        raise DataError(f"parameter {parameter!r} is fixed at {res.fixed[parameter]:g} in this "
                        "fit, so no variable changes it. Fix: choose an estimated parameter: "
                        f"{list(res.formulas)}.")
    positions = np.intersect1d(res.index.get_locs([parameter]), np.flatnonzero(estimated(res)))
    return parameter, positions


def response_and_slope(res, parameter: str, eta: np.ndarray, type: str):
    """``theta`` (or ``eta`` for ``type="link"``) and its derivative in ``eta``."""
    if type == "link":
        return eta, np.ones_like(eta)
    link = res.links[parameter]
    with np.errstate(all="ignore"):
        return link.inverse(eta), link.inverse_deriv(eta)


def _check(type: str, contrast: str) -> None:
    if type not in ("response", "link"):
        raise DataError(f"type={type!r} is not 'response' or 'link'. Fix: type='response' "
                        "for effects on the parameter's natural scale.")
    if contrast not in ("reference", "pairwise"):
        raise DataError(f"contrast={contrast!r} is not 'reference' or 'pairwise'.")


def _chosen(found, wanted) -> list:
    if wanted is None:
        return found
    wanted = [wanted] if isinstance(wanted, str) else list(wanted)
    by_name = {v.name: v for v in found}
    unknown = [w for w in wanted if w not in by_name]
    if unknown:
        raise DataError(f"variables {unknown} are not data columns of this parameter's "
                        f"formula. Fix: choose among {list(by_name)}.")
    return [by_name[w] for w in wanted]


def _grid(data: pd.DataFrame, needed, at, factors) -> tuple[pd.DataFrame, np.ndarray,
                                                            pd.DataFrame]:
    """Rows to evaluate, the group of each row, and the table of groups."""
    if isinstance(at, str) and at == "mean":
        return (typical_row(data, needed, factors=factors), np.zeros(1, dtype=int),
                pd.DataFrame(index=[0]))
    if isinstance(at, dict):
        unknown = [k for k in at if k not in needed]
        if unknown:
            raise DataError(f"at names {unknown}, which the formula does not read. Fix: give "
                            f"values of {needed}.")
        keys = list(at)
        values = [v if isinstance(v, (list, tuple, np.ndarray, pd.Series)) else [v]
                  for v in at.values()]
        combos = list(itertools.product(*values))
        rows = pd.concat([typical_row(data, needed, dict(zip(keys, c, strict=True)), factors)
                          for c in combos], ignore_index=True)
        table = pd.DataFrame(combos, columns=keys)
        return rows, np.arange(len(combos)), table
    raise DataError(f"at={at!r} is not 'average', 'mean', a dict of values or a DataFrame.")


def _points(var, spread: pd.DataFrame, contrast: str):
    """The values the variable is set to (as functions of a block), and the contrasts:
    (label, index of the later point, index of the earlier point, divisor)."""
    if var.kind == "numeric":
        x = pd.to_numeric(spread[var.name], errors="coerce").to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        h = STEP * (float(x.max() - x.min()) if x.size else 0.0)
        if not h > 0:
            h = STEP * max(1.0, float(np.abs(x).mean()) if x.size else 1.0)
        points = [lambda b, s=s: pd.to_numeric(b[var.name]).to_numpy(dtype=float) + s * h / 2
                  for s in (-1.0, 1.0)]
        return points, [("dY/dX", 1, 0, h)]
    levels = (0.0, 1.0) if var.kind == "binary" else var.levels
    labels = ["0", "1"] if var.kind == "binary" else [level_label(v) for v in levels]
    points = [lambda b, v=v: set_value(b, var.name, v) for v in levels]
    if contrast == "pairwise":
        pairs = [(j, i) for i in range(len(levels)) for j in range(i + 1, len(levels))]
    else:
        pairs = [(j, 0) for j in range(1, len(levels))]
    return points, [(f"{labels[j]} - {labels[i]}", j, i, 1.0) for j, i in pairs]


def _group_sums(d: np.ndarray, X: np.ndarray, g: np.ndarray, G: int) -> np.ndarray:
    """``sum_i d_i x_i`` within each of the ``G`` groups: ``(G, p)``."""
    if G == 1:
        return (d @ X)[None, :]
    return np.array([d[g == gi] @ X[g == gi] for gi in range(G)])


def _accumulate(res, parameter, type, b, prepared, data, rows, positions, groups, G,
                needed):
    """Per variable: the mean of theta at each of its points within each group, ``F``
    (points, G), and the mean of its gradient in ``b``, ``J`` (points, G, p); one
    block of rows at a time. Where only some columns read the variable
    (:func:`~mlefit.postestimation.reference_data.partial_design`), the block's design is
    built once and those columns alone are rebuilt at each point."""
    sums = [(np.zeros((len(pts), G)), np.zeros((len(pts), G, b.size)))
            for _, pts, _, _ in prepared]
    counts = np.zeros(G)
    n_rows = len(rows) if positions is None else len(positions)
    with blas_single():     # block-sized products: a second BLAS thread only costs
        for sl in blocks(n_rows, b.size):
            _one_block(res, parameter, type, b, prepared, sums, counts, data, rows, where=(
                None if positions is None else positions[sl]), sl=sl, groups=groups, G=G,
                needed=needed)
    return [(F / counts, J / counts[None, :, None]) for F, J in sums]


def _one_block(res, parameter, type, b, prepared, sums, counts, data, rows, *, where, sl,
               groups, G, needed) -> None:
    """Add one block of rows to ``sums`` and ``counts`` (see :func:`_accumulate`)."""
    block = (rows.iloc[sl] if where is None else data.iloc[where])[needed]
    g = np.zeros(len(block), dtype=int) if groups is None else groups[sl]
    counts += np.bincount(g, minlength=G)
    X0 = None
    if any(part is not None for *_, part in prepared):
        X0, off0 = design_block(res, parameter, block, where)
        eta0 = off0 + X0 @ b
    for (var, points, _, part), (F, J) in zip(prepared, sums, strict=True):
        for k, point in enumerate(points):
            moved = block.copy(deep=False)
            moved[var.name] = point(block)
            if part is None:
                X, off = design_block(res, parameter, moved, where)
                f, d = response_and_slope(res, parameter, off + X @ b, type)
                J[k] += _group_sums(d, X, g, G)
            else:
                cols = part.positions
                S = part.build(moved)
                eta = eta0 + (S - X0[:, cols]) @ b[cols]
                f, d = response_and_slope(res, parameter, eta, type)
                here = _group_sums(d, X0, g, G)
                here[:, cols] = _group_sums(d, S, g, G)
                J[k] += here
            F[k] += np.bincount(g, weights=f, minlength=G)


def marginal_effects(res, variables=None, at="average", type: str = "response",
                     parameter: str | None = None, contrast: str = "reference",
                     alpha: float = 0.05, newdata: pd.DataFrame | None = None) -> pd.DataFrame:
    """See :meth:`mlefit.FitResult.marginal_effects`."""
    _check(type, contrast)
    q = quantile(res, alpha)
    parameter, pos = parameter_block(res, parameter)
    if newdata is not None:
        if not isinstance(newdata, pd.DataFrame):
            raise DataError("newdata must be a pandas DataFrame.")
        data, positions = newdata, None
    else:
        data, positions = fit_rows(res)
    used = RowsView(data, positions)
    needed = columns_needed(res, parameter)
    missing = [c for c in needed if c not in data]
    if missing:
        raise DataError(f"the data lack the column(s) {missing} the formula of {parameter!r} "
                        "reads. Fix: add them to newdata.")
    found = reference_data.variables(res, parameter, used)
    chosen = _chosen(found, variables)
    factors = {v.name for v in found if v.kind == "factor"}
    if isinstance(at, pd.DataFrame):
        lacking = [c for c in needed if c not in at]
        if lacking or at.empty:
            raise DataError(f"the rows given as at lack the column(s) {lacking} the formula "
                            f"of {parameter!r} reads, or have no rows. Fix: give at the "
                            "formula's columns.")
        rows, groups, table = at, None, pd.DataFrame(index=[0])
    elif isinstance(at, str) and at == "average":
        rows, groups, table = data, None, pd.DataFrame(index=[0])
    else:
        rows, groups, table = _grid(used, needed, at, factors)
    if rows is not data:
        positions = None
    b = res.coef[pos]
    G = len(table)
    prepared = [(var, *_points(var, used, contrast), partial_design(res, parameter, var.name))
                for var in chosen]
    sums = _accumulate(res, parameter, type, b, prepared, data, rows, positions, groups, G,
                       needed)
    out, grads = [], []
    for (var, _, contrasts, _), (F, J) in zip(prepared, sums, strict=True):
        for gi in range(G):
            for label, hi, lo, div in contrasts:
                out.append((var.name, label, gi, (F[hi, gi] - F[lo, gi]) / div))
                grads.append((J[hi, gi] - J[lo, gi]) / div)
    C = res.cov[np.ix_(pos, pos)]
    if not out:
        return pd.DataFrame(columns=COLUMNS)
    grads = np.array(grads)
    V = grads @ C @ grads.T
    est = np.array([o[3] for o in out])
    se = np.sqrt(np.clip(np.diag(V), 0, None))
    stat, p = wald_table(est, se, res.df_resid if res.t_tests else None)
    frame = pd.DataFrame({"term": [o[0] for o in out], "contrast": [o[1] for o in out]})
    for c in table.columns:
        frame[c] = table[c].to_numpy()[[o[2] for o in out]]
    frame = frame.assign(estimate=est, std_error=se, statistic=stat, p_value=p,
                         conf_low=est - q * se, conf_high=est + q * se)
    frame.attrs["vcov"] = V
    frame.attrs["jacobian"] = grads
    return frame
