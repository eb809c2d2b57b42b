"""Other in-memory data frames (polars, pyarrow, ...) as the pandas frame mlefit reads.

:func:`as_pandas` is called once where data enter (``fit``'s ``data``, ``predict``'s
``newdata``): a polars DataFrame, a pyarrow Table, or any eager frame that narwhals
knows becomes a pandas DataFrame through narwhals (the optional ``frames`` extra). The
columns keep their types as narwhals converts them (numbers, strings, categoricals, and
nulls as missing values), so a fit on a polars or pyarrow frame is the fit on the same
data as pandas. A pandas DataFrame, a dict of columns and anything narwhals does not know
pass through unchanged (the formula step then says what it accepts); a lazy polars frame
is refused with the fix (collect it, or pass a Dask frame for data beyond memory).
"""

from __future__ import annotations

import pandas as pd

from .errors import DataError

__all__ = ["as_pandas"]


def as_pandas(data, name: str = "data"):
    """``data`` as a pandas DataFrame when narwhals can convert it (see the module
    docstring), else ``data`` itself."""
    if data is None or isinstance(data, (pd.DataFrame, pd.Series, dict)):
        return data
    if type(data).__module__.split(".")[0] == "polars" and type(data).__name__ == "LazyFrame":
        raise DataError(f"{name} is a polars LazyFrame, which mlefit does not collect for "
                        "you. Fix: pass its .collect(), or a Dask frame for data beyond "
                        "memory.")
    try:
        import narwhals.stable.v1 as nw
    except ImportError:
        return data
    try:
        frame = nw.from_native(data, eager_only=True)
    except TypeError:
        return data
    return frame.to_pandas()
