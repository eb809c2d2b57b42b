"""Predictions of count models by component, as R's pscl ``predict(type = ...)``:
``which="prob"`` (``P(Y = k)`` per row and count), ``"zero"`` and ``"count"``.

* ``"prob"``: a DataFrame with one column per count ``k`` (``0..max(y)`` of the fit by
  default, as pscl's ``at``), ``exp(logpdf(k))`` at each row's parameters. Any family
  whose support is the non-negative integers has it.
* ``"zero"``: the family's ``zero_part`` (an optional family method): the inflation
  probability ``pi`` of a zero-inflated family (pscl's ``zeroinfl``), and for a hurdle
  family the ratio of ``P(y > 0)`` under the binary part to ``P(y > 0)`` under the
  untruncated count model (pscl's ``hurdle``: the factor that turns the count mean into
  the response mean).
* ``"count"``: the family's ``count_mean``: the mean of the (untruncated) count component.

These are point predictions: ``interval=`` is refused for them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..domains import NonNegativeIntegers
from ..errors import DataError
from .prediction import designs, linear_predictors

__all__ = ["WHICH", "predict_zero_modified"]

#: the components predicted here, with the family method each needs
WHICH = {"prob": "logpdf", "zero": "zero_part", "count": "count_mean"}


def _counts(res, k) -> np.ndarray:
    if k is None:
        try:
            y = res._context.frame.y
        except DataError:
            y = None
        if y is None or np.size(y) == 0:
            raise DataError("which='prob' without k= gives the counts 0..max(y) of the fit's "
                            "response, which this result does not hold (remove_data(), or a "
                            "fit on a Dask frame). Fix: pass the counts, e.g. k=range(10).")
        return np.arange(int(np.max(y)) + 1)
    counts = np.atleast_1d(np.asarray(k))
    if counts.ndim != 1 or counts.size == 0 or not np.issubdtype(counts.dtype, np.number) or \
            np.any(counts < 0) or np.any(np.floor(counts) != counts):
        raise DataError(f"k={k!r} is not a non-negative integer or a sequence of them. "
                        "Fix: pass the counts whose probabilities you want, e.g. k=range(10).")
    return counts.astype(int)


def predict_zero_modified(res, newdata=None, which: str = "prob", interval=None, k=None):
    """See :meth:`mlefit.FitResult.predict` (``which="prob"``, ``"zero"``, ``"count"``)."""
    fam = res.family
    if which == "prob" and not isinstance(fam.support, NonNegativeIntegers):
        raise DataError(f"which='prob' gives P(Y = k) for a count response; family "
                        f"{fam.name!r} has support {fam.support}. Fix: use which='mean' or a "
                        "parameter's name.")
    if which != "prob" and not fam.has(WHICH[which]):
        raise DataError(f"which={which!r} is a component of a zero-modified count model "
                        f"(zero_inflated_*, hurdle_*); family {fam.name!r} has none. Fix: use "
                        "which='mean' or a parameter's name.")
    if interval is not None:
        raise DataError(f"which={which!r} gives point predictions only. Fix: drop interval=, "
                        "or predict a parameter (e.g. which='mu') with its interval.")
    if k is not None and which != "prob":
        raise DataError(f"k= is for which='prob', not which={which!r}. Fix: drop k=.")
    mats, index = designs(res, newdata)
    etas = linear_predictors(res, mats, len(index))
    with np.errstate(all="ignore"):
        thetas = {p: res.links[p].inverse(e) for p, e in etas.items()}
    if which == "prob":
        counts = _counts(res, k)
        table = {int(c): np.exp(fam.logpdf(np.full(len(index), float(c)), **thetas))
                 for c in counts}
        return pd.DataFrame(table, index=index)
    value = np.asarray(getattr(fam, WHICH[which])(**thetas), dtype=float)
    return pd.Series(np.broadcast_to(value, (len(index),)), index=index, name=which)
