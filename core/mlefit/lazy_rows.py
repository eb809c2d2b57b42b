"""Per-row results on Dask frames: predictions and residuals as lazy Dask collections.

A fit on a Dask frame (:mod:`mlefit.partitioned`) keeps its frame and the plan that
turns a partition into the model frame's rows (:class:`Source`, in the result's private
context). ``res.predict()``, ``res.fittedvalues`` and ``res.resid(kind)`` then return a
``dask.dataframe.Series`` (a ``DataFrame`` with ``interval="confidence"``): one task per
partition rebuilds that partition's kept rows with the fit's frozen formula specs and
runs the in-memory code (:mod:`mlefit.postestimation.prediction`,
:mod:`mlefit.postestimation.residuals`) on them, with the partition's index. Computed,
they equal the in-memory results (the same function on the same rows).
``res.predict(newdata=ddf)`` with a Dask frame (for a fit on any data) maps the in-memory
``predict(newdata=partition)`` over its partitions the same way.

``res.simulate(nsim, seed)`` is a lazy Dask DataFrame of ``nsim`` columns ``sim_1``,
``sim_2``, ... on the index of the rows the fit used (``sim_1_1``, ``sim_1_2``, ... for a
response of several columns: draw, then column, e.g. a binomial's successes and
failures). Its draws and the randomized quantile residuals of
a discrete family come per partition from the generator
``np.random.default_rng([seed, partition number])``: reproducible for a ``seed`` and a
partitioning, but not the draws of the in-memory fit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .context import FitData
from .errors import DataError
from .formula import ModelFrame
from .inference.resampling import draws_at
from .postestimation.prediction import predict
from .postestimation.residuals import KINDS, residuals
from .request import bind_response

__all__ = ["Source", "is_dask", "lazy_predict", "lazy_resid", "lazy_simulate", "on_rows",
           "shipped", "wants_lazy"]


@dataclass(frozen=True)
class Source:
    """A Dask fit's data: its frame, the plan whose ``kept(partition)`` gives the
    partition's kept rows (response, designs, offsets, weights, index), and the
    objective. It does not pickle (a pickled result has no source)."""

    ddf: object
    plan: object
    #: the fit's objective over the partitions (profile likelihoods refit it)
    objective: object = None

    def __reduce__(self):     # a pickled result keeps no frame: its rows are refused
        return _no_source, ()

    def embed(self, m0, m1, nest) -> np.ndarray:
        """The score test's embedding of the smaller Dask fit ``m0`` in this (the larger)
        fit ``m1``: :func:`mlefit.partitioned.embed`."""
        from .partitioned import embed  # partitioned imports this module: not at the top

        return embed(self, m0, m1, nest)


def _no_source():
    return None


def is_dask(data) -> bool:
    """Whether ``data`` is a Dask DataFrame (dask itself is not imported)."""
    return type(data).__module__.split(".")[0] in ("dask", "dask_expr") and \
        hasattr(data, "npartitions")


def wants_lazy(res, newdata=None) -> bool:
    """Whether a per-row result of ``res`` is a lazy Dask collection: ``newdata`` is a
    Dask frame, or there is none and ``res`` was fitted on one."""
    if newdata is not None:
        return is_dask(newdata)
    return getattr(res._context, "source", None) is not None


def shipped(res):
    """``res`` as the tasks get it: without its source (the frame stays on the driver)."""
    return replace(res, _context=replace(res._context, source=None))


def on_rows(res, plan, part: pd.DataFrame):
    """``res`` with a partition's kept rows as its data (what the in-memory per-row code
    reads: the model frame's response, designs, offsets, weights and index)."""
    k = plan.kept(part)
    ctx = res._context
    designs = {n: replace(d, X=k["designs"][n], offset=k["offsets"][n])
               for n, d in ctx.designs.items()}
    frame = ModelFrame(k["y"], ctx.response, designs, k["weights"], None, k["index"], 0, {},
                       censoring=k.get("censoring"))
    if frame.censoring is not None:
        return replace(res, _context=replace(ctx, data=_censored_data(res, plan, frame),
                                             lazy=None))
    rows = np.ones(len(k["index"]), dtype=bool)
    return replace(res, _context=replace(ctx, data=FitData(frame, None, rows), lazy=None))


def _censored_data(res, plan, frame: ModelFrame) -> FitData:
    """A censored or truncated partition's rows as an in-memory fit has them: the rows
    used (weight > 0) and an objective with their limits (quantile and Cox-Snell
    residuals read them)."""
    from .engine import Objective
    from .fitting import _blocks
    from .request import bind_response

    rows = frame.weights > 0
    _, y = bind_response(plan.request, frame.y[rows])
    limits = frame.censoring.take(rows).limits(y, bool(res.family.support.integer))
    blocks = _blocks(res.family, frame, res.links, res.fixed, rows)
    return FitData(frame, Objective(res.family, y, blocks, frame.weights[rows],
                                    limits=limits), rows)


def _predict_part(part, res, plan, which, interval, alpha):
    if plan is not None:
        return predict(on_rows(res, plan, part), None, which, interval, alpha)
    return predict(res, _plain_strings(part), which, interval, alpha)


def _plain_strings(part: pd.DataFrame) -> pd.DataFrame:
    """Dask's string columns (pyarrow-backed, with pd.NA) as the object columns a pandas
    frame read from the same data has: what formulaic encodes as categories."""
    strings = {c: object for c, t in part.dtypes.items()
               if isinstance(t, pd.StringDtype)}
    return part.astype(strings) if strings else part


def _check_seed(seed) -> None:
    if seed is not None and not isinstance(seed, (int, np.integer)):
        raise DataError("on a Dask fit, seed= must be an integer (each partition draws from "
                        "default_rng([seed, partition number])). Fix: pass an int.")


def _partition_rng(seed, partition_info) -> np.random.Generator | None:
    number = 0 if partition_info is None else partition_info["number"]
    return None if seed is None else np.random.default_rng([int(seed), number])


def _resid_part(part, res, plan, kind, seed, partition_info=None):
    return residuals(on_rows(res, plan, part), kind, _partition_rng(seed, partition_info))


def _simulate_part(part, res, plan, nsim, seed, partition_info=None):
    rows = on_rows(res, plan, part)
    frame = rows._context.data.frame
    used = frame.weights > 0
    thetas = {p: np.asarray(predict(rows, None, p, None, 0.05), dtype=float)[used]
              for p in res.family.parameter_names}
    rng = _partition_rng(seed, partition_info) or np.random.default_rng()
    _, y = bind_response(plan.request, frame.y[used])    # the family's response form
    values = draws_at(res.family, thetas, y, nsim, rng)   # (nsim, n[, c])
    values = np.moveaxis(values, 0, 1).reshape(values.shape[1], -1)
    return pd.DataFrame(values, index=frame.index[used], columns=_sim_columns(nsim, y))


def _sim_columns(nsim: int, y) -> list[str]:
    """``sim_1``, ... for a response of one column; ``sim_1_1``, ``sim_1_2``, ... (draw,
    then the response's column) for several (a binomial's successes and failures)."""
    if y.ndim == 1:
        return [f"sim_{i + 1}" for i in range(nsim)]
    return [f"sim_{i + 1}_{k + 1}" for i in range(nsim) for k in range(y.shape[1])]


def _meta_predict(which: str, interval):
    if interval is None:     # mean_untruncated: the mean of the untruncated distribution
        return pd.Series(np.empty(0), name="mean" if which == "mean_untruncated" else which)
    return pd.DataFrame({c: np.empty(0) for c in ("estimate", "se", "lower", "upper")})


def lazy_predict(res, newdata, which: str, interval, alpha: float, **options):
    """``res.predict`` as a lazy Dask collection (see the module docstring): the mean,
    the link or a parameter, with or without confidence intervals. The predictive
    distribution (quantiles, prediction intervals, survival quantities, probabilities)
    is refused here: its columns depend on the options."""
    lazy = ("mean", "mean_untruncated", "link", *res.family.parameter_names)
    if options or which not in lazy or interval not in (None, "confidence"):
        raise DataError(
            f"predict(which={which!r}, interval={interval!r}"
            f"{''.join(f', {k}=...' for k in options)}) is not available lazily on Dask "
            f"data (only which in {list(lazy)} with interval=None or 'confidence'). Pass "
            f"newdata as a pandas frame, e.g. a sample: ddf.sample(frac=0.01).compute().")
    if newdata is None:
        source = res._context.source
        ddf, plan = source.ddf, source.plan
    else:
        ddf, plan = newdata, None
    return ddf.map_partitions(_predict_part, shipped(res), plan, which, interval, alpha,
                              meta=_meta_predict(which, interval), align_dataframes=False)


def lazy_resid(res, kind: str, seed):
    """``res.resid(kind)`` as a lazy Dask Series (see the module docstring)."""
    if kind not in KINDS:
        raise DataError(f"kind={kind!r} is not one of {list(KINDS)}.")
    _check_seed(seed)
    source = res._context.source
    return source.ddf.map_partitions(_resid_part, shipped(res), source.plan, kind, seed,
                                     meta=pd.Series(np.empty(0), name=f"resid_{kind}"),
                                     align_dataframes=False)


def lazy_simulate(res, nsim: int, seed, return_censoring: bool):
    """``res.simulate(nsim, seed)`` as a lazy Dask DataFrame (see the module docstring),
    drawn on each partition's rows used (kept, weight > 0)."""
    if not isinstance(nsim, int | np.integer) or nsim < 1:
        raise DataError(f"nsim={nsim!r} must be a positive integer.")
    _check_seed(seed)
    if return_censoring or getattr(res._context, "censoring", None) is not None:
        raise DataError("simulating a censored or truncated fit is not available lazily on "
                        "Dask data. Fix: simulate an in-memory fit to a sample, "
                        "ddf.sample(frac=0.01).compute().")
    source = res._context.source
    y = source.objective.y     # empty, with the response's columns
    meta = pd.DataFrame({c: np.empty(0) for c in _sim_columns(int(nsim), y)})
    return source.ddf.map_partitions(_simulate_part, shipped(res), source.plan, int(nsim),
                                     seed, meta=meta, align_dataframes=False)

