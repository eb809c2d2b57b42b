"""Fitting on a Dask DataFrame: its partitions are the kernel's blocks of rows.

:func:`fit_partitioned` is what :func:`mlefit.fit` calls when ``data`` is a
``dask.dataframe.DataFrame`` (dask is imported here only, and only then). The rows never
come to the driver:

1. **Formulas on partitions.** One ``dask.compute`` gathers the categorical levels of
   every column a formula uses as a category (object, string and category columns, and
   the variables of ``C(x)``); the formulaic specs are built on a small in-memory sample
   whose categorical columns carry every level, and each partition's design is
   ``spec.get_model_matrix(partition)`` on the workers (filled row-major as in memory),
   so every partition has the same columns. Transforms whose state depends on all rows
   (``center``, ``scale``, ``standardize``, ``poly``, ``bs``, ``cr``, ``cs``, ``cc``) get
   it from passes over the partitions first (:mod:`mlefit.transform_passes`; spline knots
   at exact quantiles, :mod:`mlefit.partition_quantiles`); order-dependent ones are
   refused, naming the term. A row with a missing value in any variable of any formula,
   or in the weights or offsets, is dropped and counted (a lazy sum), as in memory.
2. **One structure pass** gives the rows used, the weights' sum, each design's R factor
   (a TSQR over partitions: the rank check) and its columns' largest values (the kernel's
   power-of-two column scales).
3. :class:`PartitionedObjective` is the Newton-facing objective of
   :class:`mlefit.engine.Objective` with partitions as blocks: ``evaluate`` maps
   :func:`mlefit.engine.kernel.accumulate` over the partitions (each cut into cache-sized
   blocks inside its task) and adds the :class:`~mlefit.engine.kernel.Sums` in a tree.
   ``freeze`` keeps the frozen parameters' coefficients and computes their linear
   predictors inside the tasks (no n-vector on the driver).
4. Start values come from an in-memory fit on a sample of rows spread over the frame
   (:func:`start_sample`: up to 8 evenly spaced partitions, each thinned evenly, 1e5
   rows in all, one ``dask.compute``); the Newton steps on all rows make the answer
   independent of them. The estimate, its covariance and the
   conventions are :func:`mlefit.fitting.conclude`, as in memory. HC2/HC3 take the
   second pass with the leverages from the fixed triangular factor of the mean model's
   expected information, as in memory. Cluster-robust covariance: each partition sums
   its rows' scores by cluster label (the kernel's cluster sums), a groupby on the label
   across partitions adds the pieces of clusters that span partitions, and the
   clusters-by-p matrix is reduced to its R factor in a tree (:func:`_cluster_factor`):
   no array over all clusters or rows is formed on the driver or on one worker.

``persist=True`` (the default) keeps each partition's arrays (designs, response, weights,
offsets) in the workers' memory between Newton passes: a fit takes 5 to 20 passes, and
re-reading and re-building the designs from the source each time costs more than the
kernel. ``persist=False`` rebuilds them from the source in every pass, for data larger
than the cluster's memory. The active ``distributed.Client`` is used if there is one,
else dask's default scheduler.
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass, replace
from functools import reduce

import numpy as np
import pandas as pd
from scipy import linalg as sla

from . import engine, start
from .binding import adjust_columns
from .censoring import SURV_COLUMN, truncation_spec
from .collinearity import refuse_rank_deficient, warn_collinear
from .context import FitContext
from .contract import check_logpdf
from .engine import Block, DispersionSpec, Objective, kernel, linalg, response_scale
from .engine.censored import Limits, has_analytic
from .engine.kernel import LOGLIK, Chunk, Model, Slot, Sums, Want
from .engine.objective import BlockLayout
from .errors import ComparisonError, DataError
from .family import constant
from .fitting import conclude, refuse_censored
from .formula import (
    CONTEXT,
    Design,
    ModelFrame,
    OffsetSource,
    _columns,
    _parse,
    _parts,
    _response,
    _row_major,
    _summed,
)
from .formula_safety import check_terms
from .inference.score import check_embedded
from .lazy_rows import Source, on_rows, shipped
from .partitioned_response import (
    CensoredRows,
    ResponsePlan,
    combine,
    plan_response,
    refuse_arrays,
    rewritten,
    stats_of,
)
from .postestimation.prediction import predict
from .request import FitRequest, bind_response
from .results import FitResult
from .transform_passes import argument_values, refuse_terms, stateful_calls, whole_data_state

__all__ = ["Clusters", "PartitionedObjective", "Progress", "compute", "embed", "fit_partitioned"]

NOT_YET = ("{what} is not yet supported on Dask frames (issue 16). Fix: {fix}")

LAZY = ("this needs the rows of the fit in memory, which a fit on a Dask frame does not "
        "have: it is not available for Dask fits (issue 16). Fix: fit an in-memory "
        "sample (ddf.sample(...).compute()) for the bootstrap; "
        "predictions, residuals and simulations are lazy Dask collections: res.predict(), "
        "res.resid(kind), res.simulate(nsim, seed), res.predict(newdata=...).")


# ---------------------------------------------------------------------------------------
# the plan: what every partition is turned into


@dataclass(frozen=True)
class _Plan:
    """Everything a worker needs to turn a partition into arrays (it pickles)."""

    request: FitRequest
    specs: dict                   # parameter -> formulaic ModelSpecs
    keep_columns: dict            # parameter -> positions of the design's columns
    formula_offsets: dict         # parameter -> positions of offset(...) columns
    levels: dict                  # column -> the categories every partition gets
    used: tuple                   # the data columns any formula uses
    vectors: dict                 # "weights" / "exposure" / "offset of p" -> column name
    groups: str | None = None     # the column of cluster labels (cov_type="cluster")
    #: a censored or truncated response (:mod:`mlefit.partitioned_response`), or None
    response: ResponsePlan | None = None

    def prepare(self, part: pd.DataFrame) -> pd.DataFrame:
        part = part.copy()
        for c, cats in self.levels.items():
            if c in part.columns and not _numeric_levels(cats):
                part[c] = pd.Categorical(part[c].astype(object).where(part[c].notna(), None),
                                         categories=cats)
        return part

    def arguments(self, part: pd.DataFrame, transforms: list) -> np.ndarray:
        """The stateful transforms' arguments on the rows the fit keeps: no missing value
        in a variable of the formulas, the weights, offsets or groups, and every argument
        finite (:mod:`mlefit.transform_passes`)."""
        part = self.prepare(part)
        drop = part[list(self.used)].isna().any(axis=1).to_numpy().copy()
        for column in self.vectors.values():
            drop |= ~np.isfinite(pd.to_numeric(part[column], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan))
        if self.groups is not None:
            drop |= part[self.groups].isna().to_numpy()
        values = argument_values(part, transforms)
        return values[~drop & np.all(np.isfinite(values), axis=1)]

    def arrays(self, part: pd.DataFrame) -> dict:
        """The partition's response, designs, offsets and weights on its kept rows, and
        the counts of the rows dropped (by cause)."""
        r = self.rows(part)
        used, keep, bad = r["used"], r["keep"], r["bad"]
        _, y = bind_response(self.request, r["y"][used])
        censored = {} if self.response is None else \
            self.response.limits(r["response"], used[keep], y)
        return {"y": y, "weights": r["weights"][used],
                "designs": {p: X[used] for p, X in r["designs"].items()},
                "offsets": {p: o[used] for p, o in r["offsets"].items()},
                "groups": None if r["groups"] is None else r["groups"][used],
                "kept": int(keep.sum()), "dropped": int((~keep).sum()),
                "dropped_by": {c: int(m.sum()) for c, m in bad.items() if m.any()},
                **censored}

    def kept(self, part: pd.DataFrame) -> dict:
        """The partition's kept rows as the in-memory model frame has them (the response
        before the family's response step, weight-0 rows included) and their index."""
        r = self.rows(part)
        keep = r["keep"]
        return {"y": r["y"][keep], "weights": r["weights"][keep],
                "designs": {p: X[keep] for p, X in r["designs"].items()},
                "offsets": {p: o[keep] for p, o in r["offsets"].items()},
                "index": part.index[keep], "censoring": r["response"]}

    def rows(self, part: pd.DataFrame) -> dict:
        """Every row of the partition: response, designs, offsets, weights, labels, and
        which rows are kept (no missing value) and used (kept, weight > 0)."""
        part = self.prepare(part)
        n = len(part)
        bad: dict[str, np.ndarray] = {}
        raw_na = np.zeros(n, dtype=bool)
        for c in self.used:
            bad[c] = part[c].isna().to_numpy()
            raw_na |= bad[c]
        part = _levels_filled(part, self.levels)
        surv, ends = None, {}
        if self.response is not None:     # the Surv time column, truncation limits
            part, surv, ends, missing = self.response.read(part)
            bad.update(missing)
            if surv is not None:
                raw_na |= missing[surv.label]
        first = next(iter(self.specs))
        out_y, designs, offsets = None, {}, {}
        for p, spec in self.specs.items():
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)   # rows dropped below
                mm = spec.get_model_matrix(part, na_action="ignore", context=CONTEXT)
            parts = _parts(mm)
            columns = []
            for mat in parts:
                columns = _columns(mat)       # the design's, after the last part
                for j, values in enumerate(columns):
                    nonfinite = ~np.isfinite(values) & ~raw_na
                    if nonfinite.any():
                        bad[f"{mat.columns[j]} (non-finite)"] = nonfinite
            if p == first:
                out_y = _response(parts[0], self.request.formulas[first])[0]
            summed = _summed([columns[i] for i in self.formula_offsets[p]])
            offsets[p] = np.zeros(n) if summed is None else summed
            designs[p] = _row_major([columns[i] for i in self.keep_columns[p]], n)
        vec = {}
        for name, column in self.vectors.items():
            raw = pd.to_numeric(part[column], errors="coerce").to_numpy(dtype=float,
                                                                        na_value=np.nan)
            bad[name] = ~np.isfinite(raw)
            vec[name] = raw
        labels = None
        if self.groups is not None:
            labels = part[self.groups].to_numpy(dtype=object)
            bad["groups"] = pd.isna(labels)
        drop = reduce(np.logical_or, bad.values(), np.zeros(n, dtype=bool))
        weights = vec.get("weights", np.ones(n))
        if np.any(weights[~drop] < 0):
            raise DataError("weights has negative values. Fix: weights must be >= 0.")
        if "exposure" in vec and np.any(vec["exposure"][~drop] <= 0):
            raise DataError("exposure must be positive (its log is the offset). Fix: drop "
                            "or correct the rows with exposure <= 0.")
        keep = ~drop
        used = keep & (weights > 0)
        response = None
        if self.response is not None:
            out_y, response = self.response.respond(out_y, surv, ends, keep)
        for p in self.specs:
            if f"offset of {p}" in vec:
                offsets[p] = offsets[p] + vec[f"offset of {p}"]
        if "exposure" in vec:
            with np.errstate(all="ignore"):
                offsets[first] = offsets[first] + np.log(vec["exposure"])
        return {"y": out_y, "weights": weights, "designs": designs, "offsets": offsets,
                "groups": labels, "keep": keep, "used": used, "bad": bad,
                "response": response}


def _levels_filled(part: pd.DataFrame, levels: dict) -> pd.DataFrame:
    """``part`` with each missing value of a categorical column set to the column's first
    level. Those rows are dropped (their masks are taken before), and formulaic then sees
    no value outside the levels: it would warn that one "will likely skew the results",
    and a filter set around it does not hold when tasks run in threads."""
    fill = {c: cats[0] for c, cats in levels.items()
            if len(cats) and c in part.columns and part[c].isna().any()}
    return part.fillna(fill) if fill else part


def _numeric_levels(cats) -> bool:
    return len(cats) > 0 and all(isinstance(c, (int, float, np.number)) for c in cats)


def _arrays(part, plan: _Plan) -> dict:
    return plan.arrays(part)


def _arguments(part, plan: _Plan, transforms: list) -> np.ndarray:
    return plan.arguments(part, transforms)


# ---------------------------------------------------------------------------------------
# the objective


@dataclass(frozen=True)
class _View:
    """How an objective reads a partition's arrays: which parameters are estimated, which
    are frozen at coefficients (their linear predictor joins the offset), which fixed."""

    names: tuple[str, ...]             # every parameter, in the family's order
    estimated: tuple[str, ...]         # estimated by this objective
    frozen: tuple[tuple[str, np.ndarray], ...] = ()
    fixed: tuple[tuple[str, float], ...] = ()    # parameter -> its constant eta
    #: ``(parameter, column, value)``: a column held at a value (it moves into the
    #: offset; the profile likelihood's restriction), applied in order
    held: tuple[tuple[str, int, float], ...] = ()

    def chunk(self, a: dict, rows: slice) -> Chunk:
        frozen, fixed = dict(self.frozen), dict(self.fixed)
        n = a["y"][rows].shape[0]
        offsets, designs = [], {}
        for p in self.names:
            if p in fixed:
                offsets.append(constant(fixed[p], n))
                continue
            off, X = a["offsets"][p][rows], a["designs"][p][rows]
            for name, col, value in self.held:
                if name == p:
                    off, X = off + value * X[:, col], np.delete(X, col, axis=1)
            if p in frozen:
                off = off + X @ frozen[p]
            offsets.append(off)
            designs[p] = X
        lim = a.get("limits")        # censored or truncated rows (partitioned_response)
        return Chunk(a["y"][rows], a["weights"][rows],
                     tuple(designs[p] for p in self.estimated), tuple(offsets),
                     kinds=None if lim is None else lim.kinds[rows],
                     bounds=None if lim is None else lim.bounds[rows])


def _blocks_of(a: dict, p: int):
    n = a["y"].shape[0]
    step = linalg.block_rows(p)
    return [slice(s, min(s + step, n)) for s in range(0, n, step)]


def _accumulate(a: dict, model: Model, view: _View, beta, want: Want, codes=None) -> Sums:
    total = Sums()
    for sl in _blocks_of(a, model.p):
        chunk = view.chunk(a, sl)
        if codes is not None:
            chunk = replace(chunk, groups=codes[sl])
        part = kernel.accumulate(model, chunk, beta, want)
        if not part.finite:
            return Sums(llf=-np.inf, rows=a["y"].shape[0])
        total = total + part
    return total


def _cluster_frame(labels, sums: np.ndarray) -> pd.DataFrame:
    """One row per cluster: its label (column ``cluster``) and its score sums."""
    frame = pd.DataFrame(sums, columns=[f"s{j}" for j in range(sums.shape[1])])
    frame.insert(0, "cluster", pd.Series(labels, dtype=object))
    return frame


def _cluster_task(a: dict, model: Model, view: _View, beta, want: Want):
    """A partition's sums (without cluster sums) and the score sums of the clusters it
    holds (a frame with one row per cluster label of the partition)."""
    codes, labels = pd.factorize(a["groups"])
    got = _accumulate(a, model, view, beta, replace(want, clusters=len(labels)), codes)
    sums = got.clusters if got.clusters is not None else np.zeros((len(labels), model.p))
    return replace(got, clusters=None), _cluster_frame(labels, sums)


def _labels_task(a: dict) -> pd.DataFrame:
    return pd.DataFrame({"cluster": pd.Series(pd.unique(a["groups"]), dtype=object)})


def _r_factor(X: np.ndarray) -> np.ndarray:
    """The ``p x p`` R factor of ``X`` (``R' R = X' X``; zero rows below a short ``X``)."""
    p = X.shape[1]
    R = np.linalg.qr(X, mode="r") if X.shape[0] else np.zeros((0, p))
    return np.vstack([R, np.zeros((max(0, p - R.shape[0]), p))])[:p]


def _frame_r(frame: pd.DataFrame) -> Sums:
    return Sums(qr=_r_factor(frame.drop(columns="cluster").to_numpy(dtype=float)))


def _cluster_factor(frames: list, p: int, dask):
    """The delayed R factor of the clusters-by-p matrix of score sums: the partitions'
    per-cluster sums are added by a groupby on the label across partitions (a shuffle:
    a cluster may span partitions, and there may be millions of them; no array of all
    clusters is formed anywhere), and each output partition's block of cluster sums is
    reduced to its R factor, merged in a tree (TSQR): ``R' R = C' C``, the meat."""
    import dask.dataframe as dd

    meta = _cluster_frame(np.empty(0, dtype=object), np.empty((0, p)))
    sums = dd.from_delayed(frames, meta=meta, verify_meta=False).groupby(
        "cluster", sort=False).sum(split_out=len(frames)).reset_index()
    return _tree([dask.delayed(_frame_r, pure=True)(f) for f in sums.to_delayed()], dask)


@dataclass(frozen=True)
class Clusters:
    """The cluster labels of a Dask fit (a column of its partitions): what
    :func:`mlefit.inference.covariance.covariance` gets as ``groups``. Its
    ``cluster_count`` is the number of distinct labels among the rows used (one pass: a
    distributed ``drop_duplicates``); the cluster sums themselves are
    :meth:`PartitionedObjective.evaluate`'s."""

    column: str
    count: int

    @property
    def cluster_count(self) -> int:
        return self.count


def _count_clusters(parts: list, dask) -> int:
    import dask.dataframe as dd

    meta = pd.DataFrame({"cluster": pd.Series([], dtype=object)})
    labels = dd.from_delayed([dask.delayed(_labels_task, pure=True)(a) for a in parts],
                             meta=meta, verify_meta=False)
    return int(compute(dask, labels.drop_duplicates(split_out=len(parts)).shape[0])[0])


def _pilot(a: dict, model: Model, view: _View, beta) -> Sums:
    total = Sums()
    for sl in _blocks_of(a, model.p):
        total = total + kernel.pilot(model, view.chunk(a, sl), beta)
    return total


def _gather(client, futures):
    return client.gather(futures)


def compute(dask, *collections):
    """``dask.compute(*collections)``; with an active ``distributed.Client`` its futures,
    cancelled on KeyboardInterrupt (Ctrl-C): the cluster stops working on an interrupted
    pass, and the client stays usable."""
    try:
        from distributed import default_client
        client = default_client()
    except (ImportError, ValueError):
        return dask.compute(*collections)
    futures = client.compute(list(collections))
    try:
        return tuple(_gather(client, futures))
    except KeyboardInterrupt:
        client.cancel(futures, force=True)
        raise


class Progress:
    """Per-iteration progress of a fit on a Dask frame: iteration, log-likelihood and the
    largest change of a coefficient (the step), on a tqdm bar (the ``progress`` extra).
    ``show=None``: shown when stderr is a terminal and tqdm is installed; True: always
    (an ImportError without tqdm); False: never."""

    def __init__(self, show: bool | None):
        self.bar, self.last, self.iteration = None, None, 0
        if show is False or (show is None and not sys.stderr.isatty()):
            return
        try:
            from tqdm.auto import tqdm
        except ImportError as exc:
            if show:
                raise ImportError("progress=True needs tqdm. Fix: pip install "
                                  "'mlefit[progress]'.") from exc
            return
        self.bar = tqdm(desc="mlefit fit (Dask)", unit="iteration")

    def update(self, beta: np.ndarray, llf: float) -> None:
        """One Newton iteration: a pass with the score, at ``beta``."""
        step = np.nan if self.last is None else float(np.max(np.abs(beta - self.last),
                                                             initial=0.0))
        self.last, self.iteration = beta.copy(), self.iteration + 1
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(llf=f"{llf:.10g}", step=f"{step:.3g}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _tree(parts: list, dask):
    """The delayed sum of ``parts`` in a binary tree."""
    add = dask.delayed(lambda a, b: a + b, pure=True)
    while len(parts) > 1:
        parts = [add(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
                 for i in range(0, len(parts), 2)]
    return parts[0]


@dataclass(frozen=True)
class _BlockInfo:
    """A parameter as the Newton, dispersion and diagnosis code reads it: its link,
    domain and size, and a one-row stand-in of its design and offset that is exact when
    the design is an intercept column and the offset constant (NaN otherwise: those
    shortcuts then do not apply)."""

    name: str
    link: object
    domain: object
    size: int
    X: np.ndarray
    offset: np.ndarray


class PartitionedObjective(BlockLayout):
    """The log-likelihood over a Dask frame's partitions (see the module docstring)."""

    #: censored or truncated rows (:class:`mlefit.partitioned_response.CensoredRows`;
    #: their limits are in the partitions' arrays), None when there are none
    limits = None

    def __init__(self, family, slots: tuple[Slot, ...], view: _View, parts: list,
                 derivatives: str, scales: tuple, steps, response, total_weight: float,
                 n: int, y_tail: tuple, intercept_only: dict, dask):
        self.family = family
        self.view = view
        self.parts = parts
        self.derivatives = derivatives
        self._dask = dask
        self.n_rows = n
        self.model = Model(family, slots, derivatives, scales,
                           steps if derivatives == "numeric" else None, response)
        self.active = [i for i, s in enumerate(slots) if s.size]
        self.edges = self.model.edges
        self.blocks = tuple(_BlockInfo(
            s.name, s.link, s.domain, s.size,
            np.ones((1, max(s.size, 1))) if intercept_only.get(s.name) else
            np.full((1, max(s.size, 1)), np.nan),
            np.zeros(1) if intercept_only.get(s.name) or not s.size else np.full(1, np.nan))
            for s in slots)
        if view.fixed:
            fixed = dict(view.fixed)
            self.blocks = tuple(replace(b, offset=np.full(1, fixed[b.name]))
                                if b.name in fixed else b for b in self.blocks)
        #: the total weight as a one-element array: code that sums the weights gets it
        self.weights = np.array([total_weight])
        self.y = np.empty((0, *y_tail))      # no rows; the response's columns
        self.var_weights = None
        #: passes over the partitions, shared with the objectives derived from this one
        #: (frozen, restricted): a fit's and its profiles' total
        self.counter = [0]
        self._intercept_only = intercept_only
        #: per-iteration progress (:class:`Progress`) while the fit runs, else None
        self.progress = None

    # structure ---------------------------------------------------------------------
    @property
    def passes(self) -> int:
        return self.counter[0]

    @property
    def n(self) -> int:
        return self.n_rows

    @property
    def p(self) -> int:
        return int(self.edges[-1])

    @property
    def scale(self) -> np.ndarray:
        return self.model.scale_vector()

    @property
    def response(self):
        return self.model.response

    @property
    def final_want(self) -> Want:
        return Want(gradient=True, information="observed", edges=True,
                    pearson=self.family.has("unit_variance") and self.limits is None)

    def freeze(self, beta, keep: list[str]) -> PartitionedObjective:
        """The objective in the parameters ``keep``; the others held at ``beta`` (their
        linear predictors are computed inside the tasks)."""
        pieces = dict(zip([self.blocks[a].name for a in self.active], self.split(beta),
                          strict=True))
        frozen = dict(self.view.frozen)
        frozen.update({n: np.array(v, dtype=float) for n, v in pieces.items() if n not in keep})
        estimated = tuple(n for n in self.view.estimated if n in keep)
        slots = tuple(s if s.name in estimated else replace(s, size=0)
                      for s in self.model.slots)
        kept = [j for j, a in enumerate(self.active) if self.blocks[a].name in keep]
        scales = tuple(self.model.scales[j] for j in kept)
        steps = None if self.model.steps is None else tuple(self.model.steps[j] for j in kept)
        view = replace(self.view, estimated=estimated, frozen=tuple(frozen.items()))
        other = PartitionedObjective(self.family, slots, view, self.parts, self.derivatives,
                                     scales, steps, self.model.response,
                                     float(self.weights[0]), self.n_rows, self.y.shape[1:],
                                     self._intercept_only, self._dask)
        other.blocks = tuple(replace(b, size=s.size) for b, s in zip(self.blocks, slots,
                                                                       strict=True))
        other.counter = self.counter
        other.limits = self.limits
        return other

    def restrict(self, position, value) -> PartitionedObjective:
        """The objective with coefficient ``position`` held at ``value`` (its column moves
        into the offset inside the tasks), as :meth:`mlefit.engine.Objective.restrict`."""
        a = int(np.searchsorted(self.edges, position, side="right") - 1)
        i, col = self.active[a], position - int(self.edges[a])
        name = self.blocks[i].name
        slots = tuple(replace(s, size=s.size - 1) if s.name == name else s
                      for s in self.model.slots)
        scales = list(self.model.scales)
        steps = None if self.model.steps is None else list(self.model.steps)
        if scales[a] is not None:
            scales[a] = np.delete(scales[a], col)
        view = replace(self.view, held=(*self.view.held, (name, int(col), float(value))))
        if slots[i].size == 0:
            del scales[a]
            if steps is not None:
                del steps[a]
            view = replace(view, estimated=tuple(n for n in view.estimated if n != name))
        other = PartitionedObjective(
            self.family, slots, view, self.parts, self.derivatives, tuple(scales),
            None if steps is None else tuple(steps), self.model.response,
            float(self.weights[0]), self.n_rows, self.y.shape[1:],
            {**self._intercept_only, name: False}, self._dask)
        other.counter = self.counter
        other.limits = self.limits
        return other

    def information_at(self, beta) -> np.ndarray:
        """The observed information at ``beta`` in the coefficients' own units (one pass;
        in memory it is assembled from the rows)."""
        d = self.scale
        got = self.evaluate(beta, Want(information="observed", accurate=True))
        return got.information / (d[:, None] * d[None, :])

    # the kernel --------------------------------------------------------------------
    def evaluate(self, beta, want: Want = LOGLIK, groups=None, var_weights=None) -> Sums:
        """One pass of the kernel over every partition, added in a tree."""
        if var_weights is not None:
            raise DataError(NOT_YET.format(what="var_weights", fix="use weights=."))
        beta = np.asarray(beta, dtype=float)
        self._ensure_steps(beta, want.derivatives)
        self.counter[0] += 1
        dask = self._dask
        if want.clusters:
            return self._with_clusters(beta, want)
        task = dask.delayed(_accumulate, pure=True)
        total = compute(dask, _tree([task(a, self.model, self.view, beta, want)
                                     for a in self.parts], dask))[0]
        if not total.finite:
            return Sums(llf=-np.inf, rows=self.n)
        if want.gradient and self.progress is not None:
            self.progress.update(beta, total.llf)
        return total

    def _with_clusters(self, beta, want: Want) -> Sums:
        """One pass with the cluster sums: ``Sums.clusters`` is then the ``p x p`` R
        factor of the clusters-by-p score sums (``clusters' clusters`` is the meat, which
        is all the sandwich reads), from :func:`_cluster_factor`."""
        dask = self._dask
        task = dask.delayed(_cluster_task, pure=True, nout=2)
        pieces = [task(a, self.model, self.view, beta, want) for a in self.parts]
        total, r = compute(dask, _tree([q[0] for q in pieces], dask),
                                _cluster_factor([q[1] for q in pieces], self.p, dask))
        if not total.finite:
            return Sums(llf=-np.inf, rows=self.n)
        return replace(total, clusters=r.qr)

    def _ensure_steps(self, beta, needed: bool) -> None:
        if self.derivatives != "numeric" or self.model.steps is not None or not needed:
            return
        dask = self._dask
        task = dask.delayed(_pilot, pure=True)
        total = compute(dask, _tree([task(a, self.model, self.view, beta)
                                     for a in self.parts], dask))[0]
        self.model = kernel.with_steps(self.model, total)

    def loglik(self, beta) -> float:
        return self.evaluate(beta).llf

    # per-row values: not on Dask -----------------------------------------------------
    def rows(self, beta, second: bool = True):
        raise DataError("the covariance needs the per-row fallback for an ill-conditioned "
                        "information matrix, and " + LAZY)

    def expected(self, rows):
        raise DataError(LAZY)

    def leverage_factor(self, beta):
        """As :meth:`mlefit.engine.Objective.leverage_factor` (it reads only ``freeze``
        and ``evaluate``): the fixed triangular factor of the leverage pass of HC2/HC3."""
        return Objective.leverage_factor(self, beta)

    def etas(self, beta):
        raise DataError(LAZY)


# ---------------------------------------------------------------------------------------
# the entry point


def _refuse(request: FitRequest, truncation=None) -> None:
    refuse_arrays(truncation)
    o = request.options
    checks = [
        (request.groups is not None and not isinstance(request.groups, str),
         "groups= as values", "pass groups= as the name of a column of the Dask frame."),
        (o.singular != "error", "singular='drop'",
         "remove the aliased terms, or fit an in-memory sample."),
        (o.method != "newton", f"method={o.method!r}", "use method='newton'."),
        (request.var_weights is not None, "var_weights=", "use weights= or fit in memory."),
    ]
    for name in ("weights", "exposure"):
        value = getattr(request, name)
        checks.append((value is not None and not isinstance(value, str), f"{name}= as values",
                       f"pass {name}= as the name of a column of the Dask frame."))
    for p, value in (request.offsets or {}).items():
        checks.append((value is not None and not isinstance(value, str),
                       f"the offset of {p!r} as values",
                       "pass offset= as the name of a column of the Dask frame."))
    for bad, what, fix in checks:
        if bad:
            raise DataError(NOT_YET.format(what=what, fix=fix))
    refuse_terms(request.formulas)


def _categorical_columns(parsed: dict, formulas: dict, ddf) -> list[str]:
    used = set().union(*(f.required_variables for f in parsed.values()))
    cols = []
    for c in ddf.columns:
        if c not in used:
            continue
        dt = ddf.dtypes[c]
        if isinstance(dt, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dt) or \
                pd.api.types.is_string_dtype(dt) or pd.api.types.is_bool_dtype(dt):
            cols.append(c)
    for text in formulas.values():
        for name in re.findall(r"\bC\(\s*([A-Za-z_][A-Za-z0-9_]*)", text):
            if name in ddf.columns and name not in cols:
                cols.append(name)
    return cols


def _levels(values, dtype) -> list:
    present = [v for v in values if not pd.isna(v)]
    if isinstance(dtype, pd.CategoricalDtype):
        return [c for c in dtype.categories if c in set(present)]
    return sorted(present, key=lambda v: (str(type(v)), v))


def _sample(ddf, levels: dict, used: list) -> pd.DataFrame:
    """A small in-memory frame with every categorical level (formulaic's specs are built
    on it; its rows are never fitted)."""
    head = ddf.get_partition(0).head(64, compute=True)
    if len(head) == 0:
        head = ddf.head(64, npartitions=-1)
    head = head[[c for c in head.columns if c in used]].dropna()
    if len(head) == 0:
        head = ddf[used].dropna().head(64, npartitions=-1)
    if len(head) == 0:
        raise DataError("every row has a missing value in a variable of the formulas. Fix: "
                        "check the data.")
    m = max([len(head)] + [len(v) for v in levels.values()])
    sample = head.iloc[np.arange(m) % len(head)].reset_index(drop=True)
    for c, cats in levels.items():
        vals = [cats[i % len(cats)] for i in range(m)] if cats else [None] * m
        sample[c] = vals if _numeric_levels(cats) else pd.Categorical(vals, categories=cats)
    return sample


def fit_partitioned(request: FitRequest, ddf, persist: bool = True,
                    progress: bool | None = None, censoring=None,
                    truncation=None) -> FitResult:
    """Fit ``request`` on the Dask frame ``ddf`` (see the module docstring); a censored
    or truncated response as :mod:`mlefit.partitioned_response` reads it."""
    import dask

    _refuse(request, truncation)
    family, fixed = request.family, request.fixed
    formulas = request.formulas
    params = list(formulas)
    first = params[0]
    response_plan = plan_response(request, censoring, truncation, ddf, dask, compute)
    texts = rewritten(response_plan, formulas)    # a Surv response: the column SURV_COLUMN
    parsed = {p: _parse(texts[p], p) for p in params}
    missing_cols = sorted({v for f in parsed.values() for v in f.required_variables
                           if v not in ddf.columns and v not in CONTEXT and v != "np"
                           and v != SURV_COLUMN})
    if missing_cols:
        raise DataError(f"column(s) {missing_cols} of the formulas are not in the data. Fix: "
                        "check the formulas against the frame's columns.")
    if request.safe_formulas:
        check_terms(parsed, pd.Index([*ddf.columns, SURV_COLUMN]), texts)
    # formulaic's required_variables leaves out the variables of stateful transforms
    # (center(x) requires nothing): the names in the formulas' text that are columns
    named = {v for text in texts.values() for v in re.findall(r"[A-Za-z_]\w*", text)}
    used = sorted(({v for f in parsed.values() for v in f.required_variables} | named)
                  & set(ddf.columns), key=str)
    vectors = {}
    for name in ("weights", "exposure"):
        if isinstance(getattr(request, name), str):
            vectors[name] = getattr(request, name)
    for p, value in (request.offsets or {}).items():
        if isinstance(value, str):
            vectors[f"offset of {p}"] = value
    named = dict(vectors, **({"groups": request.groups} if request.groups else {}))
    for name, column in named.items():
        if column not in ddf.columns:
            raise DataError(f"{name}={column!r} is not a column of the data. Fix: name an "
                            "existing column.")
    # pass 1: the categorical levels
    cats = _categorical_columns(parsed, formulas, ddf)
    found = dask.compute(*[ddf[c].drop_duplicates() for c in cats]) if cats else ()
    levels = {c: _levels(list(v), ddf.dtypes[c]) for c, v in zip(cats, found, strict=True)}
    sample = _sample(ddf, levels, used)
    if response_plan is not None and response_plan.call is not None:
        sample[SURV_COLUMN] = 1.0      # the Surv time column the rewritten formula reads
    states, n_state = _transform_states(parsed, sample, ddf, levels, used, vectors, request,
                                        dask)
    specs, keep_cols, off_cols, designs = {}, {}, {}, {}
    for p in params:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            mm = parsed[p].get_model_matrix(sample, na_action="ignore", context=CONTEXT)
        specs[p] = _with_state(mm.model_spec, states)
        if states:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                mm = specs[p].get_model_matrix(sample, na_action="ignore", context=CONTEXT)
        cols = list(_parts(mm)[-1].columns)
        is_off = np.array([c.startswith("offset(") for c in cols], dtype=bool)
        keep_cols[p], off_cols[p] = np.flatnonzero(~is_off), np.flatnonzero(is_off)
        sources = []
        if f"offset of {p}" in vectors:
            sources.append(OffsetSource(vectors[f"offset of {p}"], None))
        if p == first and "exposure" in vectors:
            sources.append(OffsetSource(vectors["exposure"], None, log=True))
        rhs_spec = _parts(mm)[-1].model_spec
        # a family bound to its response: its parameters' declarations (mlefit.binding)
        names, kept = adjust_columns(family, p, tuple(cols[i] for i in keep_cols[p]),
                                     formulas[p])
        keep_cols[p] = keep_cols[p][kept]
        designs[p] = Design(p, formulas[p], names,
                            np.empty((0, keep_cols[p].size)), np.empty(0), rhs_spec,
                            keep_cols[p], off_cols[p], tuple(sources), safe=request.safe_formulas)
    response_names = tuple(_parts(parsed[first].get_model_matrix(
        sample, na_action="ignore", context=CONTEXT))[0].columns)
    plan = _Plan(request, specs, keep_cols, off_cols, levels, tuple(used), vectors,
                 request.groups, response_plan)
    arrays = [dask.delayed(_arrays, pure=True)(part, plan)
              for part in _needed(ddf, plan).to_delayed()]
    if persist:
        arrays = list(dask.persist(*arrays))
    estimated = [p.name for p in family.parameters if p.name not in fixed]
    # pass 2: rows, weights, TSQR of each design, largest values (censored rows)
    got = compute(dask, *[dask.delayed(_structure, pure=True)(a, tuple(estimated))
                          for a in arrays],
                  *([dask.delayed(stats_of, pure=True)(a) for a in arrays]
                    if response_plan is not None else []))
    stats = got[:len(arrays)]
    total = reduce(_merge_structure, stats)
    censored = _censored(request, response_plan, got[len(arrays):], len(total["y_tail"]) + 1)
    n_kept, n_used = total["kept"], total["used"]
    if n_state is not None and n_state != n_kept:
        raise DataError(f"{n_state - n_kept} row(s) are dropped for non-finite values of "
                        f"terms ({total['dropped_by']}) after the stateful transforms' state "
                        "(a mean, a scale, poly's coefficients, spline bounds) was computed "
                        "with them; in memory that state leaves them out. Fix: drop those "
                        "rows from the frame first (e.g. ddf[ddf.z > 0]).")
    n_dropped = total["dropped"]
    if n_kept == 0:
        raise DataError(f"every row has a missing or non-finite value "
                        f"({total['dropped_by']}). Fix: check the data.")
    if n_dropped and request.missing == "raise":
        raise DataError(f"{n_dropped} row(s) have missing or non-finite values "
                        f"({total['dropped_by']}). Fix: clean them, or use missing='drop'.")
    if n_used == 0:
        raise DataError("every row has weight 0. Fix: give some rows positive weights.")
    p_total = sum(designs[n].X.shape[1] for n in estimated)
    if n_used < p_total:
        raise DataError(f"{n_used} rows with positive weight for {p_total} coefficients. Fix: "
                        "use more data or a smaller model.")
    scales = {}
    for name in estimated:
        R, top = total["qr"][name], total["top"][name]
        d = designs[name]
        zero = np.flatnonzero(top == 0)
        scales[name] = linalg.power_of_two_scales(top)
        norms = np.sqrt(np.einsum("ij,ij->j", R, R))
        pr = linalg.pivoted(R * np.where(norms > 0, 1.0 / np.where(norms > 0, norms, 1), 1.0))
        refuse_rank_deficient(name, d.formula, d.columns, pr, zero)
        warn_collinear(name, d.formula, d.columns, pr, stacklevel=4)
    links = request.links
    slots = tuple(Slot(p.name, links[p.name], p.domain,
                       0 if p.name in fixed else len(designs[p.name].columns))
                  for p in family.parameters)
    with np.errstate(divide="ignore"):
        fixed_eta = tuple((n, float(links[n].link(v))) for n, v in fixed.items())
    view = _View(tuple(p.name for p in family.parameters), tuple(estimated), (), fixed_eta)
    derivatives = _derivatives(family, censored)
    y_top = np.array([total["y_top"]]) if not total["y_tail"] else np.empty((0, 2))
    rscale = response_scale.choose(family, slots, y_top, linalg.SCALE_RANGE)
    intercept_only = {n: designs[n].columns == ("Intercept",) and not off_cols[n].size
                      and f"offset of {n}" not in vectors and not (n == first and
                                                                   "exposure" in vectors)
                      for n in estimated}
    obj = PartitionedObjective(family, slots, view, arrays, derivatives,
                               tuple(scales[n] for n in estimated), None, rscale,
                               total["weight"], n_used, total["y_tail"], intercept_only, dask)
    obj.limits = censored[0]
    columns = {n: designs[n].columns for n in estimated}
    # censored rows: no profiled dispersion, no least-squares step (as in memory)
    spec = None if obj.limits is not None else DispersionSpec.of(family, None)
    beta0 = _start(obj, plan, arrays, columns, request, dask)
    obj.progress = Progress(progress)
    try:
        sol = engine.maximize(obj, beta0, method="newton", dispersion=spec,
                              maxiter=request.options.maxiter, tol=request.options.tol)
    finally:
        obj.progress.close()
        obj.progress = None
    if not np.isfinite(sol.llf) and not sol.exact_fit:
        from .errors import ConvergenceError
        raise ConvergenceError(f"the optimiser ended where the log-likelihood is not finite "
                               f"({sol.message}). Fix: rescale the response or covariates, "
                               "or give start= values.")
    if response_plan is not None and response_plan.call is not None:
        response_names = (response_plan.call.text,)
    frame = ModelFrame(np.empty((0, *total["y_tail"])), response_names, designs,
                       np.empty(0), None, pd.RangeIndex(0), n_dropped,
                       dict(total["dropped_by"]),
                       Clusters(request.groups, _count_clusters(arrays, dask))
                       if request.groups else None)
    fingerprint = (ddf._name if hasattr(ddf, "_name") else id(ddf), n_used,
                   total["weight"], total["y_sum"])

    def context_of(coef, unbounded, aliased):
        return FitContext(request.options, response_names, n_kept, dict(designs),
                          np.array(coef, dtype=float), unbounded, None, dict(aliased),
                          lazy=LAZY, fingerprint=fingerprint,
                          source=Source(ddf, plan, obj), censoring=censored[1],
                          truncation=None if response_plan is None else
                          truncation_spec(truncation))

    return conclude(request, obj, sol, spec, frame, np.empty(0, dtype=bool), {}, columns,
                    total["nobs"], context_of)


def _transform_states(parsed, sample, ddf, levels, used, vectors, request, dask):
    """The whole-data state of every stateful transform of the formulas (a pass per
    statistic, :mod:`mlefit.transform_passes`), and the number of rows it was computed on
    (None without such transforms)."""
    transforms = {}
    for p, formula in parsed.items():
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            spec = formula.get_model_matrix(sample, na_action="ignore",
                                            context=CONTEXT).model_spec
        for one in _parts_of(spec):
            for t in stateful_calls(one.transform_state, p):
                transforms.setdefault(t.key, t)
    if not transforms:
        return {}, None
    calls = list(transforms.values())
    plan = _Plan(request, {}, {}, {}, levels, tuple(used), vectors, request.groups)
    values = [dask.delayed(_arguments, pure=True)(part, plan, calls)
              for part in _needed(ddf, plan).to_delayed()]
    values = list(dask.persist(*values))
    states = whole_data_state(calls, values, dask)
    return states, int(sum(dask.compute(*[dask.delayed(len)(v) for v in values])))


def _needed(ddf, plan: _Plan):
    """``ddf`` with only the columns the plan reads: a Parquet or CSV source then reads
    only those (each pass re-reads them when ``persist=False``)."""
    needed = set(plan.used) | set(plan.vectors.values()) | (
        {plan.groups} if plan.groups is not None else set()) | set(
        plan.response.columns if plan.response is not None else ())
    return ddf[[c for c in ddf.columns if c in needed]]


def _parts_of(spec) -> list:
    return [spec.lhs, spec.rhs] if hasattr(spec, "rhs") else [spec]


def _with_state(spec, states: dict):
    """``spec`` (a ModelSpec or ModelSpecs) with the whole-data transform states."""
    if not states:
        return spec

    def one(s):
        return s.update(transform_state={k: states.get(k, v) for k, v in
                                         s.transform_state.items()})
    if hasattr(spec, "rhs"):
        from formulaic import ModelSpecs
        return ModelSpecs(lhs=one(spec.lhs), rhs=one(spec.rhs))
    return one(spec)


def _derivatives(family, censored=(None, None)) -> str:
    analytic = family.has("dlogpdf") and family.has("d2logpdf") and (
        censored[0] is None or has_analytic(family))
    return "analytic" if analytic else "numeric"


def _censored(request: FitRequest, plan: ResponsePlan | None, stats, y_ndim: int):
    """``(the objective's limits, the context's censoring)`` of a censored or truncated
    response (None, None without one), after refusing what it cannot have."""
    if plan is None:
        return None, None
    count, label, signature = combine(list(stats))
    if not count:      # nothing censored or truncated: an exact fit (as in memory)
        return None, (label, signature)
    refuse_censored(request, label, y_ndim)
    return CensoredRows(label, count), (label, signature)


def _structure(a: dict, estimated: tuple) -> dict:
    """Per partition: counts, sums, each design's R factor and largest values."""
    y, w = a["y"], a["weights"]
    out = {"kept": a["kept"], "dropped": a["dropped"], "dropped_by": a["dropped_by"],
           "used": int(y.shape[0]), "weight": float(np.sum(w)), "y_tail": y.shape[1:],
           "y_top": float(np.max(np.abs(y))) if y.size else 0.0,
           "y_sum": float(np.sum(y)), "qr": {}, "top": {}}
    for name in estimated:
        X = a["designs"][name]
        out["top"][name] = linalg.column_max_abs(X)
        out["qr"][name] = _r_factor(X)
    out["nobs"] = out["weight"]
    return out


def _merge_structure(a: dict, b: dict) -> dict:
    by = dict(a["dropped_by"])
    for k, v in b["dropped_by"].items():
        by[k] = by.get(k, 0) + v
    out = {k: a[k] + b[k] for k in ("kept", "dropped", "used", "weight", "y_sum", "nobs")}
    out.update(dropped_by=by, y_tail=max(a["y_tail"], b["y_tail"]),
               y_top=max(a["y_top"], b["y_top"]),
               qr={n: Sums(qr=a["qr"][n]).__add__(Sums(qr=b["qr"][n])).qr for n in a["qr"]},
               top={n: np.maximum(a["top"][n], b["top"][n]) for n in a["top"]})
    return out


#: start values: rows from at most this many partitions, spread evenly over the frame
START_PARTITIONS = 8
#: start values: at most this many rows in all (each sampled partition thinned evenly)
START_ROWS = 100_000


def start_partitions(npartitions: int, k: int = START_PARTITIONS) -> list[int]:
    """The partitions the start values read: ``k`` (or all, if fewer) evenly spaced from
    the first to the last, each once."""
    if npartitions <= k:
        return list(range(npartitions))
    return sorted({int(i) for i in np.round(np.linspace(0, npartitions - 1, k))})


def _thin(a: dict, cap: int) -> dict:
    """At most ``cap`` of a partition's usable rows, evenly spaced over it (the first and
    the last included): a sorted partition keeps its whole range."""
    n = a["y"].shape[0]
    if n <= cap:
        rows = np.arange(n)
    else:
        rows = np.unique(np.round(np.linspace(0, n - 1, cap)).astype(np.int64))
    limits = a.get("start_limits")
    return {"y": a["y"][rows], "weights": a["weights"][rows],
            "designs": {p: X[rows] for p, X in a["designs"].items()},
            "offsets": {p: o[rows] for p, o in a["offsets"].items()},
            "start_limits": None if limits is None else limits[rows]}


def _joined(pieces: list) -> dict:
    first = pieces[0]
    return {"y": np.concatenate([q["y"] for q in pieces]),
            "weights": np.concatenate([q["weights"] for q in pieces]),
            "designs": {p: np.concatenate([q["designs"][p] for q in pieces])
                        for p in first["designs"]},
            "offsets": {p: np.concatenate([q["offsets"][p] for q in pieces])
                        for p in first["offsets"]},
            "start_limits": _joined_limits(pieces)}


def _joined_limits(pieces: list) -> Limits | None:
    """The sampled rows' start limits (censored rows read as exact, truncation kept); a
    partition without any is all exact and untruncated."""
    if all(q["start_limits"] is None for q in pieces):
        return None
    parts = []
    for q in pieces:
        lim = q["start_limits"]
        if lim is None:
            y = q["y"]
            lim = Limits(np.zeros(y.shape[0], dtype=np.int8),
                         np.column_stack([y, y, np.full_like(y, -np.inf),
                                          np.full_like(y, np.inf)]))
        parts.append(lim)
    return Limits(np.concatenate([p.kinds for p in parts]),
                  np.concatenate([p.bounds for p in parts]))


def start_sample(arrays: list, dask) -> dict:
    """The rows the start values are fitted on: up to :data:`START_PARTITIONS`
    partitions evenly spaced over the frame (:func:`start_partitions`), each thinned
    evenly to its share of :data:`START_ROWS`, in one ``dask.compute`` (each partition
    read once). Deterministic: no random draw."""
    chosen = start_partitions(len(arrays))
    cap = max(START_ROWS // len(chosen), 1)
    task = dask.delayed(_thin, pure=True)
    pieces = compute(dask, *[task(arrays[i], cap) for i in chosen])
    a = _joined(list(pieces))
    if a["y"].shape[0] == 0:
        raise DataError(f"the {len(chosen)} partition(s) sampled for start values "
                        f"({chosen} of {len(arrays)}) have no usable rows. Fix: repartition "
                        "the frame (ddf.repartition(...)) or drop empty partitions.")
    return a


def _start(obj: PartitionedObjective, plan: _Plan, arrays: list, columns, request, dask):
    """Start values: an in-memory fit on a sample of rows spread over the partitions
    (:func:`start_sample`), checked on all rows; the family's constants where that fit
    fails."""
    a = start_sample(arrays, dask)
    family, user = request.family, request.options.start
    fixed = dict(obj.view.fixed)
    n = a["y"].shape[0]
    blocks = tuple(Block(s.name, s.link,
                         a["designs"][s.name] if s.size else constant(0.0, (n, 0)),
                         constant(fixed[s.name], n) if s.name in fixed else a["offsets"][s.name],
                         s.domain) for s in obj.model.slots)
    sample = Objective(family, a["y"], blocks, a["weights"], obj.derivatives,
                       scales=obj.model.scales, limits=a.get("start_limits"))
    for sl in _blocks_of(a, obj.p):
        check_logpdf(family, request.origin, *sample.family_view(
            start.first_guess(sample, family), sl), sl.start)
    beta0 = start.start_vector(sample, family, columns, user)
    if user is not None:
        return beta0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = engine.maximize(sample, beta0, dispersion=DispersionSpec.of(family, None),
                                  maxiter=50)
        if np.all(np.isfinite(sol.beta)) and np.isfinite(obj.loglik(sol.beta)):
            return sol.beta
    except (ArithmeticError, ValueError, DataError):
        pass
    return beta0


# ---------------------------------------------------------------------------------------
# the score test's embedding (Source.embed)


def embed(source: Source, m0, m1, nest) -> np.ndarray:
    """:func:`mlefit.inference.score.embed` over partitions: the smaller fit ``m0``'s
    estimate as coefficients of the larger ``m1`` (whose source this is) by a least
    squares per parameter, each partition reducing ``[X1 | target - offset]`` to its R
    factor and the factors merged in a tree (no rows on the driver)."""
    obj1 = source.objective
    dask = obj1._dask
    red = nest.reduction
    targets = tuple((b.name, b.link, red.value if red is not None and
                     b.name == red.parameter else None)
                    for b in (obj1.blocks[a] for a in obj1.active))
    task = dask.delayed(_embed_part, pure=True)
    parts = [task(part, shipped(m0), m0._context.source.plan, source.plan, targets)
             for part in source.ddf.to_delayed()]
    factors = compute(dask, _tree(parts, dask))[0]
    return np.concatenate([_solved(name, f.qr, m1) for (name, *_), f in
                           zip(targets, factors, strict=True)] or [np.empty(0)])


class _Factors(tuple):
    """A partition's per-parameter R factors (as Sums), added factor by factor."""

    def __add__(self, other):
        return _Factors(a + b for a, b in zip(self, other, strict=True))


def _embed_part(part, m0, plan0, plan1, targets) -> _Factors:
    small, large = plan0.kept(part), plan1.kept(part)
    used0, used1 = small["weights"] > 0, large["weights"] > 0
    if not np.array_equal(small["index"][used0], large["index"][used1]):
        raise ComparisonError("the two fits use different rows of a partition: the score "
                              "test needs fits on the same rows. Fix: fit both on the same "
                              "frame with the same missing values dropped.")
    rows0 = on_rows(m0, plan0, part)
    out = []
    for name, link, value in targets:
        if value is not None:
            target = np.full(int(used1.sum()), float(link.link(np.float64(value))))
        else:
            theta = np.asarray(predict(rows0, None, name, None, 0.05), dtype=float)[used0]
            target = link.link(theta)
        A = np.column_stack([large["designs"][name][used1],
                             target - large["offsets"][name][used1]])
        out.append(Sums(qr=_r_factor(A)))
    return _Factors(out)


def _solved(name: str, R: np.ndarray, m1) -> np.ndarray:
    """The least-squares coefficients from the R factor of ``[X | rhs]``, refused as in
    memory when the residual (``R``'s last diagonal entry) is not zero."""
    p = R.shape[1] - 1
    check_embedded(m1, name, abs(R[p, p]), float(np.sqrt(np.sum(R[:, p] ** 2))))
    return sla.solve_triangular(R[:p, :p], R[:p, p])
