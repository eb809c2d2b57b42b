"""Censored and truncated responses: ``Surv(...)``, fixed censoring limits, truncation.

A response is censored when a row is known only to lie beyond a limit, truncated when
rows were sampled only inside a range. Both are properties of the response, not of a
family: every family with a ``cdf`` (better: ``logcdf`` and ``logsf``) fits them.

* :class:`Surv` reads R's survival forms: ``Surv(time, event)`` (right censoring; event
  1/True observed, 0/False censored, R's 2/1 coding accepted), ``Surv(time, event,
  type="left")``, ``Surv(lower, upper, type="interval2")`` (NaN lower: left-censored at
  upper; NaN upper: right-censored at lower; equal: exact), ``Surv(time, time2, event,
  type="interval")`` (codes 0 right, 1 exact, 2 left, 3 interval) and ``Surv(start, stop,
  event)`` (counting form: delayed entry, left truncation at ``start``). It is the left-hand
  side of a formula (rewritten here, :func:`surv_lhs`) or the ``y`` of ``fit_arrays``.
* ``censoring=(lo, hi)``: values at or beyond a fixed limit are censored there (Tobit).
* ``truncation=(lower, upper)``: every row is known to lie in ``[lower, upper]``.

:class:`Response` holds the result per row (kinds, interval upper ends, truncation
limits) and turns it into the engine's half-open intervals (:meth:`Response.limits`):
for a discrete family the ends are inclusive, so a count right-censored at ``c`` is
``P(Y >= c) = S(c - 1)``, an interval ``[a, b]`` is ``F(b) - F(a - 1)`` and truncation to
``[a, b]`` divides by ``F(b) - F(a - 1)`` (``truncation=(1, None)``: zero-truncated);
delayed entry at ``s`` means ``Y > s`` for every family.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, replace

import numpy as np

from .engine.censored import EXACT, INTERVAL, LEFT, RIGHT, Limits
from .errors import DataError

__all__ = ["ROWS", "SURV_COLUMN", "TYPES", "Response", "Surv", "SurvCall", "censor_fixed",
           "check_family", "event_coding", "event_values", "read_surv", "response_of",
           "surv_lhs", "truncation_ends", "truncation_spec"]

#: the Surv types, as R's survival package names them
TYPES = ("right", "left", "interval", "interval2", "counting")
#: the column name the rewritten formula's response takes
SURV_COLUMN = "_mlefit_surv_time"
#: a truncation end given as one value per row (:func:`truncation_spec`)
ROWS = "<one value per row>"
_KIND_NAMES = {EXACT: "exact", RIGHT: "right-censored", LEFT: "left-censored",
               INTERVAL: "interval-censored"}


def _floats(name: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float).reshape(-1)
    except (TypeError, ValueError) as exc:
        raise DataError(f"Surv: {name} is not numeric ({exc}). Fix: pass numbers "
                        "(booleans for an event indicator).") from exc
    return arr


def event_coding(seen) -> str:
    """``"12"`` (R's 1 censored, 2 observed) when the event values ``seen`` (every row's)
    are 1s and 2s with a 2, else ``"01"``."""
    seen = np.asarray(seen, dtype=float)
    return "12" if seen.size and np.all(np.isin(seen, (1.0, 2.0))) and 2.0 in seen else "01"


def _event(values: np.ndarray, coding: str | None = None) -> np.ndarray:
    """An event indicator as 1.0 (observed), 0.0 (censored) or NaN (missing): 0/1,
    False/True or R's 1/2 coding (1 censored, 2 observed); ``coding`` as
    :func:`event_coding` read it from all rows (None: from these)."""
    seen = np.unique(values[~np.isnan(values)])
    if (coding or event_coding(seen)) == "12" and np.all(np.isin(seen, (1.0, 2.0))):
        return values - 1.0
    if not np.all(np.isin(seen, (0.0, 1.0))):
        raise DataError(f"Surv: the event indicator has values {seen[:6].tolist()}; it must "
                        "be 0/1, False/True, or R's 1/2 (1 censored, 2 observed). Fix: recode "
                        "it, e.g. Surv(time, status == 2).")
    return values


class Surv:
    """A censored (and possibly left-truncated) response, as R's ``survival::Surv``.

    ``Surv(time, event)`` right-censored, ``Surv(time, event, type="left")``,
    ``Surv(lower, upper, type="interval2")``, ``Surv(time, time2, event, type="interval")``
    (event codes 0 right, 1 exact, 2 left, 3 interval) and ``Surv(start, stop, event)``
    (counting form: left truncation at ``start``). Use it as a formula's left-hand side
    (``"Surv(time, status) ~ age"``) or as ``y`` of :func:`mlefit.fit_arrays`. Rows with a
    missing value get a NaN :attr:`time` (a formula drops them).
    """

    def __init__(self, *args, type: str | None = None):
        self._read(args, type, None)

    def _read(self, args, type: str | None, coding: str | None) -> None:
        if len(args) not in (2, 3):
            raise DataError(f"Surv takes 2 or 3 arrays, got {len(args)}. Fix: Surv(time, "
                            "event), Surv(lower, upper, type='interval2'), Surv(time, time2, "
                            "event, type='interval') or Surv(start, stop, event).")
        if type is None:
            type = "right" if len(args) == 2 else "counting"
        if type not in TYPES:
            raise DataError(f"Surv type={type!r} is not one of {list(TYPES)}.")
        need = 3 if type in ("interval", "counting") else 2
        if len(args) != need:
            raise DataError(f"Surv(type={type!r}) takes {need} arrays, got {len(args)}.")
        cols = [_floats(f"argument {i + 1}", a) for i, a in enumerate(args)]
        n = cols[0].shape[0]
        if any(c.shape[0] != n for c in cols):
            raise DataError("Surv: the arrays have different lengths. Fix: one value per row "
                            "in each.")
        self.type = type
        self.time, self.kinds, self.upper, self.entry = _READERS[type](*cols, coding=coding)
        #: the lower end of an interval row (the time of the others)
        self.lower = self.time
        interval = self.kinds == INTERVAL
        if interval.any():   # an interval row's time is its upper end: inside the support
            self.time = np.where(interval, self.upper, self.time)

    def __len__(self) -> int:
        return self.time.shape[0]

    def take(self, rows) -> Surv:
        """The rows ``rows`` (a mask or positions) of this response."""
        out = object.__new__(Surv)
        out.type = self.type
        out.time, out.kinds, out.upper, out.entry, out.lower = (
            self.time[rows], self.kinds[rows], self.upper[rows], self.entry[rows],
            self.lower[rows])
        return out

    def __repr__(self) -> str:
        counts = {name: int(np.count_nonzero(self.kinds == k)) for k, name in
                  _KIND_NAMES.items()}
        shown = ", ".join(f"{v} {k}" for k, v in counts.items() if v)
        return f"Surv(type={self.type!r}, {len(self)} rows: {shown})"


def _right_or_left(time, event, censored_kind, coding):
    e = _event(event, coding)
    kinds = np.where(e == 1.0, EXACT, censored_kind).astype(np.int8)
    t = np.where(np.isnan(e), np.nan, time)
    return t, kinds, t.copy(), np.full(t.shape, -np.inf)


def _right(time, event, coding=None):
    return _right_or_left(time, event, RIGHT, coding)


def _left(time, event, coding=None):
    return _right_or_left(time, event, LEFT, coding)


def _interval2(lower, upper, coding=None):
    lo_missing = np.isnan(lower) | np.isneginf(lower)
    hi_missing = np.isnan(upper) | np.isposinf(upper)
    both = lo_missing & hi_missing
    bad = ~lo_missing & ~hi_missing & (lower > upper)
    if bad.any():
        raise DataError(f"Surv(type='interval2'): {int(bad.sum())} row(s) have lower > upper "
                        f"(e.g. row {int(np.flatnonzero(bad)[0])}). Fix: swap or correct them.")
    kinds = np.full(lower.shape, INTERVAL, dtype=np.int8)
    kinds[lo_missing] = LEFT
    kinds[hi_missing] = RIGHT
    kinds[~lo_missing & ~hi_missing & (lower == upper)] = EXACT
    time = np.where(lo_missing, upper, lower)
    time = np.where(both, np.nan, time)
    return time, kinds, np.where(hi_missing, np.inf, upper), np.full(time.shape, -np.inf)


def _interval(time, time2, code, coding=None):
    ok = np.isnan(code) | np.isin(code, (0.0, 1.0, 2.0, 3.0))
    if not ok.all():
        raise DataError(f"Surv(type='interval'): event codes must be 0 (right), 1 (exact), "
                        f"2 (left) or 3 (interval); got {np.unique(code[~ok])[:6].tolist()}.")
    kinds = np.choose(np.nan_to_num(code).astype(int),
                      [RIGHT, EXACT, LEFT, INTERVAL]).astype(np.int8)
    t = np.where(np.isnan(code), np.nan, time)
    interval = kinds == INTERVAL
    t = np.where(interval & np.isnan(time2), np.nan, t)
    bad = interval & (time2 <= time)
    if bad.any():
        raise DataError(f"Surv(type='interval'): {int(bad.sum())} interval row(s) have time2 <= "
                        "time. Fix: code equal ends as exact (1), or correct them.")
    return t, kinds, np.where(interval, time2, t), np.full(t.shape, -np.inf)


def _counting(start, stop, event, coding=None):
    t, kinds, upper, _ = _right(stop, event, coding)
    t = np.where(np.isnan(start), np.nan, t)
    bad = start >= stop
    if bad.any():
        raise DataError(f"Surv(start, stop, event): {int(bad.sum())} row(s) have start >= stop. "
                        "Fix: the entry time must come before the exit time.")
    return t, kinds, upper, start


_READERS = {"right": _right, "left": _left, "interval2": _interval2, "interval": _interval,
            "counting": _counting}
#: the position of the event indicator among a Surv type's arguments
_EVENT_AT = {"right": 1, "left": 1, "counting": 2}


def _type_of(args, type: str | None) -> str | None:
    return ("right" if len(args) == 2 else "counting") if type is None else type


def event_values(columns, type: str | None) -> np.ndarray:
    """The distinct values of the event indicator among ``columns`` (a Surv's evaluated
    arguments; empty for the interval types): what :func:`event_coding` reads, gathered
    over all rows when they come in parts (a Dask frame's partitions)."""
    at = _EVENT_AT.get(_type_of(columns, type))
    if at is None or len(columns) <= at:
        return np.empty(0)
    values = _floats(f"argument {at + 1}", columns[at])
    return np.unique(values[~np.isnan(values)])


def read_surv(columns, type: str | None, coding: str | None) -> Surv:
    """A :class:`Surv` of evaluated argument ``columns`` whose event coding (``"01"`` or
    ``"12"``, :func:`event_coding`) was read from all rows, of which these are a part."""
    out = object.__new__(Surv)
    out._read(tuple(columns), type, coding)
    return out


# --------------------------------------------------------------------------------------
# the formula's left-hand side


@dataclass(frozen=True)
class SurvCall:
    """A formula's ``Surv(...)`` left-hand side: its argument expressions and type."""

    text: str
    args: tuple[str, ...]
    type: str | None


_SURV = re.compile(r"^\s*Surv\s*\((.*)\)\s*$", re.DOTALL)


def _split_args(inner: str) -> list[str]:
    """Top-level comma-separated pieces of ``inner`` (brackets and quotes respected)."""
    parts, depth, quote, cur = [], 0, None, []
    for ch in inner:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def surv_lhs(formula: str) -> tuple[str, SurvCall | None]:
    """``(formula with the response replaced by SURV_COLUMN, the Surv call)`` when the
    left-hand side is ``Surv(...)``, else ``(formula, None)``."""
    lhs, tilde, rhs = formula.partition("~")
    m = _SURV.match(lhs) if tilde else None
    if m is None:
        return formula, None
    args, kind = [], None
    for piece in _split_args(m.group(1)):
        key, eq, value = piece.partition("=")
        if eq and key.strip() == "type" and "=" not in value:
            try:
                kind = ast.literal_eval(value.strip())
            except (ValueError, SyntaxError):
                kind = None
            if not isinstance(kind, str):
                raise DataError(f"Surv's type in {lhs.strip()!r} must be a quoted string, "
                                "e.g. type='interval2'.")
        elif piece:
            args.append(piece)
    return f"{SURV_COLUMN} ~{rhs}", SurvCall(lhs.strip(), tuple(args), kind)


# --------------------------------------------------------------------------------------
# the response per row


@dataclass(frozen=True)
class Response:
    """Per row: kind, the upper end of an interval row, truncation limits (inclusive for a
    discrete family, ``-inf``/``inf`` open). ``label`` says how the response was censored
    (comparisons of fits check it)."""

    kinds: np.ndarray
    upper: np.ndarray
    tlo: np.ndarray
    thi: np.ndarray
    label: str
    entry: bool = False     # tlo holds delayed-entry times (exclusive ends)
    lower: np.ndarray | None = None   # the lower ends of interval rows (None: y)
    #: the Surv type, or None
    surv: str | None = None
    #: ``censoring=(lo, hi)`` as numbers (-inf/inf open), or None
    fixed: tuple[float, float] | None = None
    #: ``truncation=`` as given (:func:`truncation_spec`), which predictions on new data
    #: read; None without it (delayed entry is not part of it)
    window: tuple | None = None

    def take(self, rows) -> Response:
        return replace(self, kinds=self.kinds[rows], upper=self.upper[rows],
                       tlo=self.tlo[rows], thi=self.thi[rows],
                       lower=None if self.lower is None else self.lower[rows])

    @property
    def censored(self) -> bool:
        return bool(np.any(self.kinds != EXACT))

    @property
    def truncated(self) -> bool:
        return bool(np.any(np.isfinite(self.tlo)) or np.any(np.isfinite(self.thi)))

    def signature(self) -> tuple:
        """What two fits must share to be compared: the label, kinds and limits."""
        return (self.label, self.kinds.tobytes(), self.upper.tobytes(), self.tlo.tobytes(),
                self.thi.tobytes(), None if self.lower is None else self.lower.tobytes())

    def limits(self, y: np.ndarray, discrete: bool) -> Limits:
        """The engine's half-open intervals ``(lo, hi]`` (see the module docstring)."""
        n = y.shape[0]
        step = 1.0 if discrete else 0.0
        b = np.empty((n, 4))
        k = self.kinds
        lower = y if self.lower is None else np.where(k == INTERVAL, self.lower, y)
        b[:, 0] = np.where(k == LEFT, -np.inf, np.where(k == EXACT, y, lower - step))
        b[:, 1] = np.where(k == RIGHT, np.inf, np.where(k == INTERVAL, self.upper, y))
        b[:, 2] = self.tlo if self.entry else self.tlo - step
        b[:, 3] = self.thi
        return Limits(k.astype(np.int8), b)


def truncation_ends(truncation) -> tuple:
    """``truncation=(lower, upper)`` checked to be a pair (values resolved by the caller)."""
    if not isinstance(truncation, tuple | list) or len(truncation) != 2:
        raise DataError(f"truncation={truncation!r} must be a pair (lower, upper); None for an "
                        "open end, e.g. truncation=(1, None) for zero-truncated counts.")
    return tuple(truncation)


def truncation_spec(truncation) -> tuple | None:
    """``truncation=`` as predictions on new data read it: each end None (open), a number,
    a column name, or :data:`ROWS` (one value per row, which new data cannot supply)."""
    if truncation is None:
        return None
    out = []
    for end in truncation_ends(truncation):
        if end is None or isinstance(end, str):
            out.append(end)
        elif np.ndim(end) == 0:
            out.append(float(end))
        else:
            out.append(ROWS)
    return tuple(out)


def _fixed_limits(censoring) -> tuple[float, float]:
    if not isinstance(censoring, tuple | list) or len(censoring) != 2:
        raise DataError(f"censoring={censoring!r} must be a pair (lo, hi) of fixed limits, "
                        "None for no limit on that side, e.g. censoring=(0, None) (Tobit).")
    out = []
    for end, default in zip(censoring, (-np.inf, np.inf), strict=True):
        if end is None:
            out.append(default)
            continue
        try:
            out.append(float(end))
        except (TypeError, ValueError):
            raise DataError(f"censoring={censoring!r}: each limit must be a number or None."
                            ) from None
    if not out[0] < out[1]:
        raise DataError(f"censoring={censoring!r}: the lower limit must be below the upper.")
    return out[0], out[1]


def censor_fixed(y: np.ndarray, censoring) -> tuple[np.ndarray, np.ndarray]:
    """``(y at its limit where censored, kinds)``: values at or beyond a fixed limit are
    censored there."""
    lo, hi = _fixed_limits(censoring)
    kinds = np.full(y.shape[0], EXACT, dtype=np.int8)
    kinds[y <= lo] = LEFT
    kinds[y >= hi] = RIGHT
    return np.clip(y, lo, hi), kinds


def response_of(y, surv: Surv | None, censoring, tlo, thi,
                truncation=None) -> tuple[np.ndarray, Response | None]:
    """``(y, Response)`` from a Surv (or a plain ``y``), fixed limits and truncation
    arrays (None: none); ``Response`` is None when nothing is censored or truncated.
    ``truncation`` is the ``truncation=`` argument as given (for :attr:`Response.window`)."""
    if surv is None and censoring is None and tlo is None and thi is None:
        return y, None
    n = y.shape[0]
    parts = []
    lower_ends, fixed = None, None
    if surv is not None:
        kinds, upper, lower_ends = surv.kinds, surv.upper, surv.lower
        entry = surv.type == "counting"
        parts.append(f"Surv(type={surv.type!r})")
        if censoring is not None:
            raise DataError("censoring= gives fixed limits to a plain response; this response "
                            "is a Surv(...) already. Fix: drop censoring=, or code the limits "
                            "into the Surv.")
        if entry and tlo is not None:
            raise DataError("Surv(start, stop, event) truncates at start already; "
                            "truncation=(lower, ...) would give a second lower limit. Fix: "
                            "pass truncation=(None, upper), or fold it into start.")
        lower = surv.entry if entry else (np.full(n, -np.inf) if tlo is None else tlo)
    else:
        entry = False
        upper = y.copy()
        kinds = np.full(n, EXACT, dtype=np.int8)
        if censoring is not None:
            fixed = _fixed_limits(censoring)
            y, kinds = censor_fixed(y, censoring)
            parts.append(f"censoring={tuple(censoring)!r}")
        lower = np.full(n, -np.inf) if tlo is None else tlo
    higher = np.full(n, np.inf) if thi is None else thi
    if tlo is not None or thi is not None:
        parts.append("truncated")
        _check_inside(y, kinds, upper, lower, higher)
    resp = Response(np.asarray(kinds, dtype=np.int8), np.asarray(upper, dtype=float),
                    np.asarray(lower, dtype=float), higher, "; ".join(parts), entry,
                    lower_ends, None if surv is None else surv.type, fixed,
                    truncation_spec(truncation))
    return y, resp


def _check_inside(y, kinds, upper, lower, higher):
    bad = (lower > higher) | ((kinds == EXACT) & ((y < lower) | (y > higher)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{int(bad.sum())} row(s) lie outside their truncation range (e.g. row "
                        f"{i}: y = {y[i]!r}, range [{lower[i]!r}, {higher[i]!r}]). Fix: a "
                        "truncated sample holds only values inside the range; correct the "
                        "limits or drop those rows.")


def check_family(family, origin: str, response: Response | str | None) -> None:
    """Refuse a family without a cdf for a censored or truncated response (a
    :class:`Response` or its label)."""
    if response is None or family.has("cdf") or (family.has("logcdf") and family.has("logsf")):
        return
    label = getattr(response, "label", response)
    raise DataError(f"family {family.name!r} ({origin}) has no cdf, so it cannot fit a "
                    f"censored or truncated response ({label}). Fix: give the "
                    "family a cdf(y, **params) method (better: logcdf and logsf), or fit "
                    "uncensored data.")
