"""The data behind marginal effects and marginal means: the fit's rows, typical rows, and
one parameter's design rebuilt for any of them, a block of rows at a time.

A fit from a data frame keeps a reference to that frame (``ModelFrame.data``) and the
positions of the rows it kept; the rows *used* (weight > 0) are those positions masked by
the fit's rows. :func:`blocks` cuts a table of rows into blocks of at most
:data:`BLOCK_BYTES` of design, so that nothing n-by-p is allocated beyond one block's
design. :func:`variables` reads from the formula's spec which data columns a parameter's
design depends on and whether each enters as a factor (a text or categorical column, or
``C(x)``), a 0/1 column, or a number.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from formulaic.errors import DataMismatchWarning, FormulaicError

from ..errors import DataError
from ..formula import CONTEXT

__all__ = ["BLOCK_BYTES", "Partial", "RowsView", "Variable", "blocks", "columns_needed",
           "design_block", "fit_rows", "level_label", "partial_design", "reads", "set_value",
           "typical_row", "variables"]

#: bytes of design per block of rows. formulaic's cost per call dominates small blocks:
#: marginal effects of 10 variables at n = 3e5 took 7.4 s with 1 MiB blocks, 3.6 s with 4
#: MiB and 1.8 s with 8 MiB, whose peak allocation (53 MiB, about 6.5 blocks of design:
#: formulaic's frames and the block's columns) is fixed whatever n
BLOCK_BYTES = 1 << 23


@dataclass(frozen=True)
class Variable:
    """A data column of a parameter's formula: ``kind`` is ``"numeric"``, ``"binary"``
    (every value 0 or 1) or ``"factor"`` with its ``levels`` in the fit's order."""

    name: str
    kind: str
    levels: tuple = ()


def _design(res, parameter: str):
    try:
        return res._context.designs[parameter]
    except KeyError:
        raise DataError(f"parameter {parameter!r} is not estimated in this fit (it is fixed "
                        f"or unknown). Fix: choose one of {list(res.formulas)}.") from None


def fit_rows(res) -> tuple[pd.DataFrame, np.ndarray]:
    """The data frame of the fit and the positions in it of the rows used."""
    ctx = res._context
    frame = ctx.frame
    if frame.data is None:
        raise DataError("this fit keeps no data frame (it was fitted from arrays or a Dask "
                        "frame), so its rows cannot be rebuilt with changed values. Fix: pass "
                        "the rows to use as newdata=DataFrame(...).")
    base = np.arange(frame.n) if frame.data_rows is None else frame.data_rows
    return frame.data, base[ctx.rows]


class RowsView:
    """The columns of ``data`` at ``positions`` (None: every row), taken one column at a
    time when asked for: what the spreads, means and modes of the variables need,
    without a copy of the whole table of rows."""

    def __init__(self, data: pd.DataFrame, positions: np.ndarray | None):
        if positions is not None and positions.size == len(data) and \
                np.array_equal(positions, np.arange(len(data))):
            positions = None
        self.data, self.positions = data, positions

    def __getitem__(self, name: str) -> pd.Series:
        column = self.data[name]
        return column if self.positions is None else column.iloc[self.positions]

    def __contains__(self, name: str) -> bool:
        return name in self.data

    def __len__(self) -> int:
        return len(self.data) if self.positions is None else self.positions.size


def _data_variables(spec) -> set[str]:
    return set(spec.variables_by_source.get("data", set()))


def variables(res, parameter: str, data) -> list[Variable]:
    """The data columns ``parameter``'s design reads, classified, in formula order."""
    design = _design(res, parameter)
    spec = design.spec
    if spec is None:
        raise DataError(f"the fit of {parameter!r} was made from arrays: there are no data "
                        "columns to vary. Fix: fit with mlefit.fit(formula, data).")
    names = _data_variables(spec)
    offsets = {s.column for s in design.sources if s.column is not None}
    factor_levels = {}
    for expr, (kind, state) in spec.encoder_state.items():
        if str(getattr(kind, "value", kind)) != "categorical":
            continue
        inner = expr[2:-1].strip() if expr.startswith("C(") and expr.endswith(")") else expr
        inner = inner.split(",")[0].strip()
        if inner in names:
            factor_levels[inner] = tuple(state.get("categories", ()))
    rhs = design.formula.split("~")[-1]

    def first_use(name: str) -> tuple[int, str]:
        found = re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", rhs)
        return (found.start() if found else len(rhs), name)

    ordered = sorted(names - offsets, key=first_use)
    out = []
    for name in ordered:
        if name in factor_levels:
            out.append(Variable(name, "factor", factor_levels[name]))
            continue
        values = pd.to_numeric(data[name], errors="coerce").to_numpy(dtype=float) \
            if name in data else np.array([np.nan])
        finite = values[np.isfinite(values)]
        binary = finite.size and np.isin(finite, (0.0, 1.0)).all()
        out.append(Variable(name, "binary" if binary else "numeric"))
    return out


def level_label(value) -> str:
    """A level as text: ``1.0`` (a numeric column used as a factor) shows as ``1``."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def typical_row(data, columns, fixed: dict | None = None,
                factors=()) -> pd.DataFrame:
    """One row: numeric columns at their mean, factors (``factors``, and columns that are
    not numeric) at their most frequent value (the typical row of R's marginaleffects
    ``datagrid()``), ``fixed`` values set."""
    row = {}
    for c in columns:
        col = data[c]
        if c not in factors and pd.api.types.is_numeric_dtype(col) \
                and not pd.api.types.is_bool_dtype(col):
            row[c] = [float(col.mean())]
        else:
            row[c] = [col.mode(dropna=True).iloc[0]]
            if isinstance(col.dtype, pd.CategoricalDtype):
                row[c] = pd.Categorical(row[c], categories=col.cat.categories)
    out = pd.DataFrame(row)
    for c, v in (fixed or {}).items():
        out[c] = set_value(out, c, v, data)
    return out


def set_value(block: pd.DataFrame, name: str, value, data: pd.DataFrame | None = None):
    """The column ``name`` of ``block`` with every row set to ``value`` (categories kept)."""
    col = block[name] if name in block else (data[name] if data is not None else None)
    if col is not None and isinstance(col.dtype, pd.CategoricalDtype):
        return pd.Categorical([value] * len(block), categories=col.cat.categories)
    return np.repeat(np.asarray([value], dtype=object if isinstance(value, str) else None),
                     len(block))


def columns_needed(res, parameter: str) -> list[str]:
    """The data columns a rebuild of ``parameter``'s design reads."""
    design = _design(res, parameter)
    names = _data_variables(design.spec) if design.spec is not None else set()
    names |= {s.column for s in design.sources if s.column is not None}
    return sorted(names)


@dataclass(frozen=True)
class Partial:
    """The columns of a design that read one variable: the formula spec of their terms
    and their positions in the (estimated) design."""

    spec: object
    keep: np.ndarray          # which of the spec's columns are estimated
    positions: np.ndarray     # where those columns sit in the design

    def build(self, rows: pd.DataFrame) -> np.ndarray:
        """Those columns for ``rows``."""
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("error", DataMismatchWarning)
                M = self.spec.get_model_matrix(rows, na_action="ignore", context=CONTEXT)
        except (FormulaicError, DataMismatchWarning) as exc:
            raise DataError(f"cannot build the design for these rows: {exc}. Fix: give them "
                            "the columns and categorical levels the fit saw.") from exc
        return M.to_numpy(dtype=float)[:, self.keep]


def reads(expr: str, name: str) -> bool:
    """Whether the formula expression ``expr`` reads the variable ``name``."""
    return re.search(rf"(?<![\w.]){re.escape(name)}(?![\w])", expr) is not None


def partial_design(res, parameter: str, name: str) -> Partial | None:
    """The terms of ``parameter``'s formula that read the variable ``name``, to rebuild
    those columns only; None where the whole design must be rebuilt (an offset reads the
    variable, or the terms' columns do not map one to one onto the design's)."""
    design = _design(res, parameter)
    spec = design.spec
    if spec is None or any(s.column == name for s in design.sources):
        return None
    parts = [t for t in spec.structure
             if any(reads(str(getattr(f, "expr", f)), name) for f in t.term.factors)]
    columns = [c for t in parts for c in t.columns]
    if not parts or any(c not in design.columns for c in columns):
        return None          # an offset(...) term reads it, or nothing does
    try:
        sub = spec.subset([t.term for t in parts])
    except (FormulaicError, ValueError, KeyError, TypeError):   # rebuild all instead
        return None
    if list(sub.column_names) != columns:
        return None
    estimated = list(design.columns)
    if parameter in res._context.aliased:
        estimated = [design.columns[j] for j in res._context.estimated_columns(parameter)]
    keep = [i for i, c in enumerate(columns) if c in estimated]
    return Partial(sub, np.array(keep, dtype=int),
                   np.array([estimated.index(columns[i]) for i in keep], dtype=int))


def blocks(n: int, width: int):
    """Slices of ``range(n)`` with at most :data:`BLOCK_BYTES` of ``width`` columns."""
    size = max(1024, BLOCK_BYTES // (8 * max(width, 1)))
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def design_block(res, parameter: str, rows: pd.DataFrame,
                 positions: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``parameter``'s design (its estimated columns) and offset for ``rows``.

    Offsets from data columns are read from ``rows``; an offset the fit took as an array is
    read at ``positions`` (rows of the fit's data frame), or refused for other rows."""
    design = _design(res, parameter)
    X, off = replace(design, sources=()).rebuild(rows)
    for s in design.sources:
        if s.column is None and positions is not None and s.values is not None:
            raw = np.asarray(s.values, dtype=float)[positions]
            with np.errstate(divide="ignore", invalid="ignore"):
                off = off + (np.log(raw) if s.log else raw)
        else:
            off = off + s.evaluate(rows, len(rows))
    if parameter in res._context.aliased:
        X = X[:, res._context.estimated_columns(parameter)]
    return X, off
