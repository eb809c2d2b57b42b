"""Categorical responses: the levels present in a response column (a summary that merges
over partitions), their order, and the response coded ``0 .. K-1`` for ``logpdf``.

Shared by the ``ordinal`` and ``multinomial`` families, which are bound to the levels of
their response (see the ``bind`` hook of :class:`mlefit.Family`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlefit.errors import DataError

__all__ = ["IdentityScale", "LastRows", "Levels", "Unbound", "draw", "encode",
           "merge", "ordered_levels", "summarize"]


@dataclass(frozen=True)
class Levels:
    """What one response column says about its levels: those present, and the declared
    categories of a pandas Categorical (with whether they are ordered)."""

    present: frozenset
    declared: tuple | None = None
    ordered: bool = False


#: the class a user instantiates to pass levels=, per family name
_HINT = {"ordinal": "mlefit_families.ordinal.Ordinal",
         "multinomial": "mlefit_families.multinomial.Multinomial"}


def _plain(value):
    """A numpy scalar as the Python one (so 1 and np.int64(1) are the same level)."""
    return value.item() if isinstance(value, np.generic) else value


def summarize(column) -> Levels:
    """The levels of one column (a pandas Series, Categorical or array); missing values
    are not levels."""
    series = column if isinstance(column, pd.Series) else pd.Series(column)
    if isinstance(series.dtype, pd.CategoricalDtype):
        cats = tuple(_plain(c) for c in series.cat.categories)
        used = series.cat.codes.to_numpy()
        present = frozenset(cats[i] for i in np.unique(used[used >= 0]))
        return Levels(present, cats, bool(series.dtype.ordered))
    values = series.dropna().unique()
    return Levels(frozenset(_plain(v) for v in values))


def merge(a: Levels, b: Levels) -> Levels:
    """The union of two partitions' levels (their declared categories must agree)."""
    if a.declared != b.declared or a.ordered != b.ordered:
        raise DataError("the partitions of the response declare different categories. Fix: "
                        "give the column one categorical dtype (e.g. astype(pd.CategoricalDtype"
                        "(levels, ordered=True)) before fitting).")
    return Levels(a.present | b.present, a.declared, a.ordered)


def ordered_levels(summary: Levels, levels, *, family: str, need_order: bool) -> tuple:
    """The levels present, in order: ``levels=`` if given, else the declared categories,
    else (numbers, or any levels when ``need_order`` is False) sorted. Levels declared but
    absent from the data are dropped (they have no rows, so no cutpoint or category)."""
    present = summary.present
    if levels is not None:
        order = tuple(levels)
        unknown = sorted(map(str, present - set(order)))
        if unknown:
            raise DataError(f"the response has value(s) {unknown[:5]} not among the levels= "
                            f"{list(order)} of family {family!r}. Fix: list every level in "
                            "levels=, in order.")
    elif summary.declared is not None:
        if need_order and not summary.ordered:
            raise DataError(f"family {family!r} needs an ordered response, and the response is "
                            "an unordered categorical. Fix: make it ordered (pd.Categorical("
                            "values, categories=[...], ordered=True)) or pass the order as "
                            f"family={_HINT.get(family, family)}(levels=[...]).")
        order = summary.declared
    else:
        numbers = all(isinstance(v, (int, float, bool)) for v in present)
        if need_order and not numbers:
            raise DataError(f"family {family!r} needs the order of the response's levels, and "
                            f"the response holds text {sorted(map(str, present))[:5]}. Fix: "
                            "make it an ordered pandas Categorical, or pass the order as "
                            f"family={_HINT.get(family, family)}(levels=[...]).")
        order = tuple(sorted(present, key=lambda v: (not numbers, v if numbers else str(v))))
    kept = tuple(v for v in order if v in present)
    if len(kept) < 2:
        raise DataError(f"family {family!r} needs a response with at least 2 levels present; "
                        f"it has {len(kept)} ({list(kept)}). Fix: check the response column.")
    return kept


def encode(column, levels: tuple) -> np.ndarray:
    """The response coded as float ``0 .. K-1`` in the order of ``levels``, NaN where it is
    missing; a value that is not a level raises :class:`~mlefit.errors.DataError`."""
    series = column if isinstance(column, pd.Series) else pd.Series(np.asarray(column))
    values = series.astype(object) if isinstance(series.dtype, pd.CategoricalDtype) else series
    values = values.map(_plain) if values.dtype == object else values
    codes = pd.Categorical(values, categories=list(levels)).codes.astype(float)
    missing = series.isna().to_numpy()
    unknown = (codes < 0) & ~missing
    if unknown.any():
        shown = sorted({str(v) for v in series[unknown].tolist()})[:5]
        raise DataError(f"the response has value(s) {shown} that are not among its levels "
                        f"{list(levels)}. Fix: recode them, or refit with those levels.")
    codes[codes < 0] = np.nan
    return codes


def draw(rng, P: np.ndarray) -> np.ndarray:
    """One category code per row of the probabilities ``P`` (n x K), as floats."""
    u = rng.random(P.shape[0])[:, None]
    return np.minimum(np.sum(np.cumsum(P, axis=1) < u, axis=1), P.shape[1] - 1).astype(float)


class Unbound:
    """The response step of an unbound categorical family (a mixin of ``ordinal`` and
    ``multinomial``): the levels of a column, merged over partitions, and the refusal
    to evaluate before the family is bound."""

    def summarize_response(self, column) -> Levels:
        """The levels of one response column (see :func:`summarize`)."""
        return summarize(column)

    def merge_summaries(self, a: Levels, b: Levels) -> Levels:
        """The union of two partitions' levels (see :func:`merge`)."""
        return merge(a, b)

    def _unbound(self, what: str):
        raise DataError(f"the {self.name} family is bound to its response's levels when a "
                        f"fit starts (mlefit.fit); unbound it has no {what}. Fix: fit it, or "
                        "bind it: family.bind(family.summarize_response(column)).")


class LastRows:
    """A bound family's per-row work kept for the last rows (a mixin). The engine
    evaluates the log density and then the first and second derivatives of the same rows:
    an entry is keyed by the identity of the arrays, which it holds (so a key cannot be
    reused while it is kept), and read as one immutable tuple (threads sharing the family
    see a whole entry or none)."""

    def _cached(self, slot: str, compute, y, params: dict):
        key = (y, *(params[name] for name in self.parameter_names if name in params))
        cached = getattr(self, slot, None)
        if cached is not None and len(cached[0]) == len(key) and \
                all(u is v for u, v in zip(cached[0], key, strict=True)):
            return cached[1]
        out = compute(y, params)
        setattr(self, slot, (key, out))
        return out


class IdentityScale:
    """Every parameter on the identity scale: the derivatives on the linear-predictor
    scale are the family's own (no chain rule; a mixin)."""

    def eta_derivatives(self, y, links, **etas):
        if any(name != "identity" for name in links.values()):
            return None
        return self.dlogpdf(y, **etas), self.d2logpdf(y, **etas)
