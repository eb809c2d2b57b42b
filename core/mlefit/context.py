"""The private fit context: what refits, predictions and residuals need from a fit.

A :class:`~mlefit.FitResult` carries the statistics users read. Everything else it was
made from lives in one :class:`FitContext`, the result's private ``_context`` field (not
in its repr, not compared): the estimation options, the model frame (response, designs,
weights and the formula specs that rebuild designs for new data), the engine's objective
on the rows used, the mask of those rows, and the maximum-likelihood coefficients (which a
convention may report otherwise). Every internal consumer (profiles, score and
likelihood-ratio tests, the bootstrap, simulation, prediction, residuals, plots, the
summary) reads them from there, never from public attributes.

Data policy
-----------
* **References, never copies.** The context holds the arrays the fit used as they are:
  the user's own arrays where :func:`mlefit.fit_arrays` could use them as given (float
  arrays; a C-contiguous float64 design is the layout the engine reads), the row-major
  design :func:`mlefit.fit` wrote once from formulaic's columns, the user's weights
  and offsets (arrays or data columns) when no row was dropped (copies of the
  kept rows otherwise), and the objective's views of them. A result costs about one
  model frame of memory; an array changed in place after the fit changes what later
  refits and predictions without ``newdata`` see (do not, or refit).
* **remove_data.** :meth:`mlefit.FitResult.remove_data` returns a copy of the result
  whose context has no data (:meth:`FitContext.without_data`): it keeps the options, the
  response's names, the number of rows and each parameter's formula spec (so
  ``predict(newdata)`` still works), and drops the frame, the objective and the rows.
  Reading any of those three then raises a :class:`~mlefit.errors.DataError` that names
  the cause (the data were removed by ``remove_data()``) and the fix (refit, or pass
  ``newdata`` where that works).
* **Lazy data.** A result fitted on a Dask frame (:mod:`mlefit.partitioned`) has no
  arrays (``data`` is None) and says why in ``lazy``: what needs the rows raises that
  message; ``fingerprint`` identifies its data for likelihood-ratio tests and comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .engine import Objective
from .errors import DataError
from .formula import Design, ModelFrame
from .request import Options

__all__ = ["DATA_REMOVED", "FitContext", "FitData"]

#: the error raised when a result without data is asked for something that needs them
DATA_REMOVED = ("this needs the data of the fit (its response, designs and weights), which "
                "remove_data() dropped from this result. Fix: refit the model (mlefit.fit) "
                "to get a result with its data; predictions for new rows work without them: "
                "predict(newdata=...).")


@dataclass(frozen=True)
class FitData:
    """The arrays of a fit: its model frame, the objective on the rows used, those rows."""

    frame: ModelFrame
    objective: Objective
    #: which of ``frame``'s rows the objective uses (weight > 0)
    rows: np.ndarray


@dataclass(frozen=True)
class FitContext:
    """Everything a fit was made from that users do not read (see the module docstring)."""

    #: estimation options (convention, method, start, maxiter, tol), for refits
    options: Options
    #: the response's column names
    response: tuple[str, ...]
    #: rows of the model frame (after missing values were dropped)
    n_rows: int
    #: each estimated parameter's design: its columns and the formula spec that rebuilds
    #: it for new data (its arrays are the frame's, or empty without data)
    designs: dict[str, Design]
    #: the maximum-likelihood coefficients (a convention may report others: R's reports
    #: the dispersion at its Pearson value); tests and profiles start from these
    coef_ml: np.ndarray
    #: after (quasi-)separation: the direction in which the coefficients move towards
    #: infinity and the likelihood keeps rising (zero where they do not move); else None
    unbounded: np.ndarray | None = None
    #: the arrays, or None after ``remove_data()``
    data: FitData | None = None
    #: ``singular="drop"``: per parameter, the positions of its design's columns that were
    #: dropped as aliased (the objective and ``coef_ml`` have the others only; a design
    #: rebuilt for new data drops the same columns); empty otherwise
    aliased: dict[str, tuple[int, ...]] = field(default_factory=dict)
    #: a fit whose rows were never in memory (a Dask frame): why anything that needs the
    #: rows is refused (instead of :data:`DATA_REMOVED`); None for an in-memory fit
    lazy: str | None = None
    #: a lazy fit's data, for comparisons: the source's token, the rows used, the sums of
    #: the weights and of the response
    fingerprint: tuple | None = None
    #: a lazy fit's data for its per-row results (:class:`mlefit.lazy_rows.Source`: the
    #: Dask frame and the plan of its partitions); None otherwise
    source: object = None
    #: how the response is censored or truncated (:class:`mlefit.censoring.Response`'s
    #: label and signature), None for an exact response
    censoring: tuple | None = None
    #: ``truncation=`` as given (:attr:`mlefit.censoring.Response.window`), which
    #: ``predict(which="mean")`` reads for new rows; None without it
    truncation: tuple | None = None

    @classmethod
    def of(cls, frame: ModelFrame, objective: Objective, rows: np.ndarray,
           options: Options, coef_ml: np.ndarray,
           unbounded: np.ndarray | None = None,
           aliased: dict[str, tuple[int, ...]] | None = None) -> FitContext:
        """The context of a fit made on ``frame`` with ML estimate ``coef_ml``."""
        resp = getattr(frame, "censoring", None)
        return cls(options, tuple(frame.response), frame.n, dict(frame.designs),
                   np.array(coef_ml, dtype=float), unbounded,
                   FitData(frame, objective, rows), dict(aliased or {}),
                   censoring=None if resp is None else (resp.label, resp.take(rows).signature()),
                   truncation=None if resp is None else resp.window)

    def estimated_columns(self, name: str) -> np.ndarray:
        """Positions of the columns of ``name``'s design that were estimated: all of them
        but those ``singular="drop"`` dropped as aliased."""
        dropped = set(self.aliased.get(name, ()))
        return np.array([j for j in range(len(self.designs[name].columns))
                         if j not in dropped], dtype=int)

    @property
    def has_data(self) -> bool:
        """Whether the arrays are here (False after ``remove_data()``)."""
        return self.data is not None

    def _data(self) -> FitData:
        if self.data is None:
            raise DataError(self.lazy or DATA_REMOVED)
        return self.data

    @property
    def frame(self) -> ModelFrame:
        """The model frame (response, designs, weights, index of the rows kept)."""
        return self._data().frame

    @property
    def objective(self) -> Objective:
        """The engine's objective on the rows used, for refits."""
        return self._data().objective

    @property
    def rows(self) -> np.ndarray:
        """Which rows of :attr:`frame` the objective uses."""
        return self._data().rows

    def without_data(self) -> FitContext:
        """This context with no arrays: the designs keep their columns and formula specs
        (a user's offset given as an array is dropped with the data)."""
        return replace(self, designs={n: _spec_only(d) for n, d in self.designs.items()},
                       data=None)


def _spec_only(design: Design) -> Design:
    """``design`` without its rows: empty matrix and offset, offsets given as arrays gone."""
    sources = tuple(replace(s, values=None) for s in design.sources)
    return replace(design, X=np.empty((0, len(design.columns))), offset=np.empty(0),
                   sources=sources)
