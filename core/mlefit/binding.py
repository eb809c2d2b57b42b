"""Families whose parameters depend on the data: bound to the response before the fit.

An *unbound* family (ordinal, multinomial; see the ``bind`` hook in
:class:`mlefit.Family`) does not know its parameters until it has seen the response: the
ordinal family has one cutpoint per pair of adjacent levels, the multinomial family one
linear predictor per non-reference category. :func:`mlefit.fit` and
:func:`mlefit.fit_arrays` therefore bind it first, before the request is built:

1. ``family.summarize_response(column)`` summarises the raw response column (its levels);
   the summary is reducible (``family.merge_summaries``), so the levels of a Dask frame
   are the union over its partitions (:func:`summarize_partitions`);
2. ``family.bind(summary)`` returns the concrete family, whose ``parameters`` are known;
3. ``bound.encode_response(column)`` replaces the response column by what its ``logpdf``
   takes (category codes), and the request is built for the bound family as for any
   other (its parameters' formulas, links and ``fixed=`` are checked against it).

After the model frame is built, :func:`adjust_frame` applies two declarations of the
bound family's :class:`~mlefit.Parameter`: ``intercept=False`` drops the intercept column
of that parameter's design (the ordinal location: the cutpoints are the intercepts; the
formula keeps its intercept so that factors are coded as with one, as R's ``polr``), and
``label`` names the coefficient of an intercept-only parameter (the cutpoint
``"Low|Medium"``). ``shares_formula=True`` parameters (multinomial categories) get the main
formula's right-hand side unless given their own (:mod:`mlefit.request`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd

from .errors import DataError
from .family import Family
from .formula import ModelFrame

__all__ = ["adjust_columns", "adjust_frame", "bind_arrays", "bind_data", "needs_binding",
           "response_column", "summarize_partitions"]

_NAME = re.compile(r"^`?([^`~]+?)`?$")


def needs_binding(family) -> bool:
    """Whether ``family`` is an unbound family (it defines ``bind``)."""
    return isinstance(family, Family) and family.has("bind")


def response_column(formula: str, columns) -> str:
    """The column named by the left-hand side of ``formula`` (a bound family's response is
    a column of the data, not an expression)."""
    lhs = formula.partition("~")[0].strip() if isinstance(formula, str) else ""
    match = _NAME.match(lhs)
    if not match or match.group(1).strip() not in set(map(str, columns)):
        raise DataError(f"the response of {formula!r} must be a column name of the data (a "
                        "family bound to the response's levels reads the column itself). "
                        "Fix: add the response as a column and write 'column ~ x'.")
    return match.group(1).strip()


def summarize_partitions(family: Family, ddf, column: str):
    """The response summary of a Dask frame: each partition's, merged (one compute)."""
    import dask

    parts = ddf[column].to_delayed()
    summaries = dask.compute(*[dask.delayed(family.summarize_response)(p) for p in parts])
    out = summaries[0]
    for s in summaries[1:]:
        out = family.merge_summaries(out, s)
    return out


def bind_data(family: Family, formula: str, data, parameter_formulas: dict):
    """``(bound family, data with the response encoded, parameter formulas)`` for
    :func:`mlefit.fit` (a pandas or a Dask frame); see the module docstring."""
    dask_frame = type(data).__module__.split(".")[0] in ("dask", "dask_expr")
    if not dask_frame and not isinstance(data, pd.DataFrame):
        raise DataError(f"family {family.name!r} takes data as a pandas DataFrame. Fix: "
                        "pd.DataFrame(data).")
    column = response_column(formula, data.columns)
    if dask_frame:
        bound = family.bind(summarize_partitions(family, data, column))
        codes = data[column].map_partitions(partial(_encoded, family=bound),
                                            meta=(column, "f8"))
        return bound, data.assign(**{column: codes}), parameter_formulas
    bound = family.bind(family.summarize_response(data[column]))
    data = data.assign(**{column: bound.encode_response(data[column])})
    return bound, data, parameter_formulas


def _encoded(column: pd.Series, family: Family) -> pd.Series:
    """One partition's response encoded by the bound ``family``."""
    return pd.Series(family.encode_response(column), index=column.index, name=column.name)


def bind_arrays(family: Family, y, X, designs: dict | None, names: dict | None):
    """``(bound family, encoded y, designs, names)`` for :func:`mlefit.fit_arrays`:
    ``shares_formula`` parameters get ``X`` as their design unless given one, and
    intercept-only labelled parameters their label as the column name."""
    column = y if isinstance(y, pd.Series) else np.asarray(y).reshape(-1)
    bound = family.bind(family.summarize_response(column))
    designs, names = dict(designs or {}), dict(names or {})
    for p in bound.parameters[1:]:
        if p.shares_formula and p.name not in designs:
            designs[p.name] = X
            if bound.parameters[0].name in names and p.name not in names:
                names[p.name] = names[bound.parameters[0].name]
        elif p.label and p.name not in designs and p.name not in names:
            names[p.name] = [p.label]
    return bound, bound.encode_response(column), designs, names


def adjust_frame(family: Family, frame: ModelFrame) -> ModelFrame:
    """The model frame with the declarations of ``family``'s parameters applied (the
    intercept dropped where ``intercept=False``, labels on intercept-only designs)."""
    designs = dict(frame.designs)
    for p in family.parameters:
        d = designs.get(p.name)
        if d is None:
            continue
        columns, keep = adjust_columns(family, p.name, d.columns, d.formula,
                                       arrays=d.spec is None)
        if columns == d.columns:
            continue
        if keep.all():
            designs[p.name] = replace(d, columns=columns)
            continue
        positions = None if d.keep_columns is None else np.asarray(d.keep_columns)[keep]
        designs[p.name] = replace(d, columns=columns, X=np.ascontiguousarray(d.X[:, keep]),
                                  keep_columns=positions)
    return replace(frame, designs=designs)


def adjust_columns(family: Family, name: str, columns: tuple, formula: str,
                   arrays: bool = False) -> tuple[tuple, np.ndarray]:
    """``(columns, keep)``: parameter ``name``'s design columns after its declarations,
    and which of the given columns are kept (shared with :mod:`mlefit.partitioned`)."""
    p = family.parameter(name)
    keep = np.ones(len(columns), dtype=bool)
    if not p.intercept:
        if "Intercept" not in columns:
            if arrays:          # arrays: the caller's design, taken as it is
                return tuple(columns), keep
            raise DataError(f"the {family.name!r} family's {name!r} formula {formula!r} has "
                            "no intercept; its intercepts are the family's own parameters "
                            "(the cutpoints), and without one a factor is coded with all its "
                            "levels, which the cutpoints alias. Fix: keep the intercept in "
                            "the formula (write 'y ~ x', not 'y ~ 0 + x'): mlefit drops its "
                            "column.")
        keep = np.array([c != "Intercept" for c in columns])
        return tuple(c for c, k in zip(columns, keep, strict=True) if k), keep
    if p.label and not p.shares_formula and tuple(columns) == ("Intercept",):
        return (p.label,), keep
    return tuple(columns), keep
