"""What a data frame's columns hold, checked before a design is built from them.

Three careless inputs that would otherwise be fitted silently wrong:

* a **text column of numbers** used as a predictor (a file read without its missing-value
  code, ``"?"``, turns a numeric column into text, which a formula fits as categories):
  a :class:`~mlefit.errors.DataWarning` naming the column, the values that are not
  numbers and how to read the file;
* a **complex** column (numpy would drop the imaginary part): a
  :class:`~mlefit.errors.DataError`;
* **text that is not a number** in a column named as weights, exposure or offset (it
  would become a missing value and drop its row): a :class:`~mlefit.errors.DataError`
  naming the column and the values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .errors import DataError, DataWarning

__all__ = ["MOSTLY_NUMERIC", "check_used", "numeric_column", "refuse_complex",
           "warn_numeric_text"]

#: a text predictor is reported when more than this share of its non-missing values are
#: numbers written as text
MOSTLY_NUMERIC = 0.5
_SHOWN = 5


def _shown(values) -> str:
    unique = pd.unique(np.asarray(values, dtype=object))
    text = ", ".join(repr(v) for v in unique[:_SHOWN])
    return text + (f", ... ({len(unique)} distinct)" if len(unique) > _SHOWN else "")


def refuse_complex(label: str, values) -> None:
    """Raise a :class:`DataError` when ``values`` (an array or a Series) are complex."""
    dtype = getattr(values, "dtype", None)
    if dtype is None:
        try:
            dtype = np.asarray(values).dtype
        except (TypeError, ValueError):   # not an array at all: the conversion says so
            return
    if isinstance(dtype, np.dtype) and dtype.kind == "c":
        raise DataError(f"{label} holds complex numbers; a likelihood regression takes real "
                        "values, and dropping the imaginary part would fit other data than "
                        "given. Fix: pass the real part (np.real), the modulus (np.abs) or "
                        "both as separate columns.")


def numeric_column(label: str, column, values: pd.Series) -> np.ndarray:
    """A data column named as ``label`` (weights, exposure, an offset) as floats: missing
    values become NaN (their rows are dropped and counted), but text that is not a number
    is refused, naming the column and the values."""
    refuse_complex(f"column {column!r}, given as {label},", values)
    raw = pd.to_numeric(values, errors="coerce")
    bad = np.asarray(pd.isna(raw)) & np.asarray(pd.notna(values))
    if bad.any():
        raise DataError(f"column {column!r}, given as {label}, has {int(bad.sum())} value(s) "
                        f"that are not numbers: {_shown(values[bad])}. Fix: if they mark missing "
                        "values, read the file with na_values=[...] (pandas.read_csv) so "
                        "that they are missing; otherwise correct them.")
    return np.ascontiguousarray(raw, dtype=float)


def _numbers(texts) -> np.ndarray:
    """Which of ``texts`` read as a number (surrounding spaces ignored)."""
    return pd.to_numeric(pd.Series(texts).str.strip(), errors="coerce").notna() \
        .to_numpy(dtype=bool)


def warn_numeric_text(column, values: pd.Series, stacklevel: int = 2) -> None:
    """Warn (:class:`DataWarning`) when ``values``, a text column used as a predictor, are
    mostly numbers written as text (more than :data:`MOSTLY_NUMERIC` of the non-missing
    values); a column of dtype ``category`` is taken as meant and not reported.

    The check parses each distinct value once, never every row (a column fitted as
    categories has few distinct values; parsing 300,000 strings took longer than the fit),
    and counts rows only when some distinct value is a number."""
    if isinstance(values.dtype, pd.CategoricalDtype) or \
            pd.api.types.is_numeric_dtype(values.dtype):
        return   # categories as meant; numbers and booleans hold no text
    try:
        distinct = values.unique()       # in order of first appearance
    except TypeError:   # unhashable values (lists, dicts) are not text
        return
    distinct = distinct[~pd.isna(distinct)]
    if len(distinct) == 0 or pd.api.types.infer_dtype(distinct, skipna=True) != "string" \
            or not _numbers(distinct).any():
        return
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(distinct))
    is_number = _numbers(distinct)
    numbers, present = int(counts[is_number].sum()), int(counts.sum())
    if numbers <= MOSTLY_NUMERIC * present:
        return
    others = distinct[~is_number]     # in order of first appearance, as pd.unique gives
    if others.empty:
        found = "every value is a number written as text"
        read = (f"convert it: data[{column!r}] = pd.to_numeric(data[{column!r}])")
    else:
        found = (f"{numbers} of its {present} values are numbers and the others are "
                 f"{_shown(others)} ({int(counts[~is_number].sum())} row(s))")
        read = (f"if these mark missing values, read the file with "
                f"na_values={others.to_numpy(dtype=object)[:_SHOWN].tolist()!r} "
                "(pandas.read_csv; --na-values on the command line), or convert the column: "
                f"data[{column!r}] = pd.to_numeric(data[{column!r}], errors='coerce')")
    warnings.warn(f"column {column!r} is text but looks numeric ({found}), so it is fitted "
                  f"as {len(distinct)} categories. Fix: {read}; if the column is meant "
                  f"as categories, say so: data[{column!r}] = data[{column!r}]"
                  ".astype('category').", DataWarning, stacklevel=stacklevel + 1)


def check_used(frame: pd.DataFrame, used, predictors, stacklevel: int = 2) -> None:
    """Check the columns a fit uses: complex ones refused (any use), text that looks
    numeric warned about (predictors only: a text response has its own error)."""
    for col in sorted((c for c in used if c in frame.columns), key=str):
        refuse_complex(f"column {col!r}", frame[col])
    for col in sorted((c for c in predictors if c in frame.columns), key=str):
        warn_numeric_text(col, frame[col], stacklevel + 1)
