"""Censored and truncated responses on a Dask frame's partitions.

A fit on a Dask frame (:mod:`mlefit.partitioned`) with a ``Surv(...)`` response,
``censoring=(lo, hi)`` or ``truncation=(lower, upper)`` builds each partition's kinds and
limits with the in-memory model frame's own code (:func:`mlefit.formula.build`'s
``_censored_response`` and :func:`mlefit.censoring.response_of`), on the partition's rows:

* One pass before the fit reads the distinct values of a ``Surv``'s event indicator over
  all rows (:func:`mlefit.censoring.event_values`), so every partition reads R's 1/2
  coding as the whole column does (a partition holding only 1s is censored, not observed).
* A row with a missing ``Surv`` argument or truncation limit is dropped and counted under
  the same label as in memory.
* Each partition gives its rows' :class:`mlefit.engine.censored.Limits` (the kernel's
  ``Chunk.kinds``/``Chunk.bounds``), the number of censored or truncated rows and a digest
  of its rows' censoring signature; the digests, in partition order, make the fit's
  censoring signature (what ``lrtest``/``compare`` check) without the rows on the driver.

Start values come from the first partition's in-memory fit with its censored rows read as
exact and its truncation kept (``start_limits``, which :func:`mlefit.partitioned._start`
reads): a partition that holds only right-censored rows has no maximum of its censored
likelihood, so a start fitted to it would run off (342 s, and no convergence, when
tried), while a truncated count fitted as untruncated starts where its dispersion is
far off (the zero-truncated negative binomial then did not converge in 100 Newton
steps). The Newton steps on all rows with their limits make the answer independent of
the start.

Truncation limits given as arrays (one value per row) are refused on Dask frames: pass a
column name.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from .censoring import (
    Response,
    SurvCall,
    censor_fixed,
    event_coding,
    event_values,
    read_surv,
    response_of,
    surv_lhs,
    truncation_ends,
)
from .engine.censored import Limits
from .errors import DataError
from .formula import _censored_response, _parse, surv_arguments

__all__ = ["PARTITIONS", "CensoredRows", "ResponsePlan", "combine", "digest", "plan_response",
           "refuse_arrays", "rewritten", "stats_of"]


@dataclass(frozen=True)
class CensoredRows:
    """What a partitioned objective's ``limits`` is when rows are censored or truncated
    (their limits live in the partitions' arrays): the label and the number of rows."""

    label: str
    count: int


@dataclass(frozen=True)
class ResponsePlan:
    """How every partition reads the censored or truncated response (it pickles)."""

    first: str                    # the main formula's parameter
    formula: str                  # the main formula as written (with Surv(...))
    call: SurvCall | None
    censoring: tuple | None
    truncation: tuple | None
    coding: str | None            # the event coding of all rows (censoring.event_coding)
    safe: bool
    discrete: bool                # inclusive ends (a discrete family)
    columns: tuple                # the data columns it reads

    def read(self, part):
        """``(part with the Surv time column, the Surv or None, the truncation ends,
        missing-value masks by label)`` for every row of a partition."""
        _, part, surv, ends = _censored_response({self.first: self.formula}, self.first,
                                                 part, self.safe, self.truncation,
                                                 self.coding)
        missing = {} if surv is None else {surv.label: np.isnan(surv.value.time)}
        for name, values in ends.items():
            if values is not None:
                missing[name] = np.isnan(values)
        return part, surv, ends, missing

    def respond(self, y: np.ndarray, surv, ends: dict, keep: np.ndarray):
        """``(y with the kept rows' response as the model frame has it, the kept rows'
        :class:`~mlefit.censoring.Response`)``: :func:`mlefit.censoring.response_of`."""
        tlo, thi = (None if v is None else v[keep] for v in ends.values())
        y_kept, resp = response_of(y[keep], None if surv is None else surv.value.take(keep),
                                   self.censoring, tlo, thi, self.truncation)
        out = np.array(y, dtype=float)
        out[keep] = y_kept
        return out, resp

    def limits(self, resp: Response | None, used: np.ndarray, y: np.ndarray) -> dict:
        """The used rows' limits (None when none is censored or truncated), their count
        and signature digest, for a partition's arrays."""
        if resp is None:
            return {"limits": None, "censored": 0, "signature": b"", "kinds": np.zeros(4),
                    "start_limits": None}
        on = resp.take(used)
        lim = on.limits(y, self.discrete)
        start = Limits(np.zeros_like(lim.kinds), lim.bounds)    # censored rows as exact
        return {"limits": lim if lim.any else None,
                "start_limits": start if start.any else None,
                "censored": int(np.count_nonzero(lim.censored | lim.truncated)),
                "signature": digest(on.signature()), "label": resp.label,
                "kinds": np.bincount(on.kinds, minlength=4)}


def digest(signature: tuple) -> bytes:
    """A SHA-256 digest of a :meth:`mlefit.censoring.Response.signature`."""
    h = hashlib.sha256()
    for piece in signature:
        h.update(b"\x00" if piece is None else
                 piece.encode() if isinstance(piece, str) else bytes(piece))
        h.update(b"|")
    return h.digest()


def refuse_arrays(truncation) -> None:
    """Truncation limits as one value per row cannot be matched to a Dask frame's rows."""
    if truncation is None:
        return
    for side, end in zip(("lower", "upper"), truncation_ends(truncation), strict=True):
        if end is not None and not isinstance(end, str) and np.ndim(end) > 0:
            raise DataError(f"the truncation {side} limit as values (one per row) is not yet "
                            "supported on Dask frames (issue 16). Fix: add the limits as a "
                            "column of the Dask frame and pass its name, e.g. "
                            "truncation=('entry', None).")


def _event_part(part, call: SurvCall, first: str, formula: str, safe: bool) -> np.ndarray:
    return event_values(surv_arguments(call, part, safe, first, formula), call.type)


def plan_response(request, censoring, truncation, ddf, dask, compute) -> ResponsePlan | None:
    """The plan of a censored or truncated response (None without one); a Surv's event
    coding is read from all rows (one pass over its columns)."""
    first = next(iter(request.formulas))
    formula = request.formulas[first]
    _, call = surv_lhs(formula)
    if call is None and censoring is None and truncation is None:
        return None
    refuse_arrays(truncation)
    if censoring is not None:
        censor_fixed(np.empty(0), censoring)       # the limits checked here, not per task
    columns = set()
    for end in truncation_ends(truncation) if truncation is not None else ():
        if isinstance(end, str):
            if end not in ddf.columns:
                raise DataError(f"the truncation limit {end!r} is not a column of the data. "
                                "Fix: name an existing column, or pass a number.")
            columns.add(end)
    coding = None
    if call is not None:
        read_surv([np.empty(0)] * len(call.args), call.type, "01")   # type and arity
        for arg in call.args:
            columns |= set(_parse(f"0 + I({arg})", first).required_variables) & \
                set(ddf.columns)
        if event_values([np.zeros(1)] * len(call.args), call.type).size:
            cols = [c for c in ddf.columns if c in columns]
            task = dask.delayed(_event_part, pure=True)
            found = compute(dask, *[task(part, call, first, formula, request.safe_formulas)
                                    for part in ddf[cols].to_delayed()])
            coding = event_coding(np.unique(np.concatenate([np.empty(0), *found])))
    return ResponsePlan(first, formula, call, None if censoring is None else tuple(censoring),
                        None if truncation is None else tuple(truncation), coding,
                        request.safe_formulas, bool(request.family.support.integer),
                        tuple(sorted(columns, key=str)))


def rewritten(plan: ResponsePlan | None, formulas: dict) -> dict:
    """The formulas as formulaic reads them: a Surv response is the column SURV_COLUMN."""
    if plan is None or plan.call is None:
        return dict(formulas)
    return {**formulas, plan.first: surv_lhs(plan.formula)[0]}


#: the first item of a Dask fit's censoring signature (an in-memory one starts with the
#: label): ``(PARTITIONS, digest, rows of each kind)``; the summary reads the counts
PARTITIONS = "partitions"


def combine(stats: list) -> tuple[int, str | None, tuple]:
    """The partitions' censored-row counts, label and digests (in partition order) as
    ``(rows censored or truncated, label, the fit's signature)``, the signature
    ``(PARTITIONS, the digest of the digests, rows of each kind)``."""
    label = next((s["label"] for s in stats if s.get("label")), None)
    h = hashlib.sha256()
    for s in stats:
        h.update(s["signature"])
    kinds = tuple(int(k) for k in np.sum([s["kinds"] for s in stats], axis=0))
    return sum(s["censored"] for s in stats), label, (PARTITIONS, h.hexdigest(), kinds)


def stats_of(a: dict) -> dict:
    """A partition's censoring statistics (from its arrays)."""
    return {k: a.get(k) for k in ("censored", "signature", "label", "kinds")}

