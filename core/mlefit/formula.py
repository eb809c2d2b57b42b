"""Formulas and a data frame in, a :class:`ModelFrame` of numpy arrays out.

Pandas and formulaic stop here. The rows with a missing value in any variable any
formula uses (including those read only inside a stateful transform, which formulaic's
``required_variables`` leaves out: :mod:`mlefit.stateful_terms`), or a missing weight,
offset, group or truncation limit, are dropped first, before any term is evaluated, as
R's ``model.frame`` does: a stateful transform (``center``, ``scale``, ``poly``, ``bs``,
...) then learns its state from the rows the fit keeps, and so do categorical levels.
The rows where a stateful transform's argument is not finite go next; the formulas are
then materialised, and when a term is not finite on a row (``np.log(0)``) the designs
are rebuilt without it. ``offset(x)`` inside a formula is taken out of the design and
added to that parameter's offset."""

from __future__ import annotations

import ast
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from formulaic import Formula, ModelMatrices
from formulaic.errors import DataMismatchWarning, FormulaicError

from . import cbind as cbind_
from . import censoring as censoring_
from .columns import check_used, numeric_column, refuse_complex
from .errors import DataError
from .formula_safety import check_formula, check_terms
from .stateful_terms import call_variables, stateful_calls

__all__ = ["CONTEXT", "OFFSET_PREFIX", "Design", "ModelFrame", "OffsetSource", "aligned",
           "build", "cbind_elsewhere", "numeric", "offset", "surv_arguments",
           "surv_elsewhere"]

OFFSET_PREFIX = "offset("


def offset(x):
    """Formula function: ``y ~ x + offset(np.log(t))`` adds its argument to the offset."""
    return x


def surv_elsewhere(*args, **kwargs):
    """Formula function: ``Surv(...)`` anywhere but the whole left-hand side is refused."""
    raise DataError("Surv(...) is a censored response: it is the whole left-hand side of the "
                    "main formula ('Surv(time, event) ~ x'), not a term. Fix: move it there.")


def cbind_elsewhere(*args, **kwargs):
    """Formula function: ``cbind(...)`` anywhere but the whole left-hand side is refused."""
    raise DataError("cbind(...) is a multi-column response: it is the whole left-hand side "
                    "of the main formula ('cbind(successes, failures) ~ x'), not a term. "
                    "Fix: move it there.")


#: names a formula may use beyond formulaic's own (``log`` and ``exp`` are formulaic's;
#: ``Surv`` on the left-hand side is read by :mod:`mlefit.censoring` before formulaic,
#: ``cbind`` by :mod:`mlefit.cbind`)
CONTEXT = {"offset": offset, "sqrt": np.sqrt, "Surv": surv_elsewhere,
           "cbind": cbind_elsewhere}


@dataclass(frozen=True)
class OffsetSource:
    """A user-supplied offset: a data column (rebuilt from newdata) or a fixed array."""

    column: str | None
    values: np.ndarray | None
    log: bool = False          # exposure: the offset is log(values)

    def evaluate(self, data: pd.DataFrame | None, n: int) -> np.ndarray:
        if self.column is not None:
            if data is None or self.column not in data:
                raise DataError(f"offset column {self.column!r} is missing from the data. "
                                "Fix: add the column to newdata.")
            raw = numeric_column("exposure" if self.log else "offset", self.column,
                                 data[self.column])
        elif data is None and self.values is not None and self.values.shape[0] == n:
            raw = self.values
        else:
            raise DataError("this fit took its offset or exposure as an array, which cannot "
                            "be rebuilt for new data. Fix: pass it as a column name to fit(), "
                            "or use offset(...) inside the formula.")
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log(raw)
        return raw


@dataclass(frozen=True)
class Design:
    """One distribution parameter's design matrix and offset on the kept rows."""

    parameter: str
    formula: str
    columns: tuple[str, ...]
    X: np.ndarray
    offset: np.ndarray
    spec: object = field(default=None, repr=False)    # formulaic ModelSpec for newdata
    keep_columns: np.ndarray | None = field(default=None, repr=False)
    formula_offsets: np.ndarray | None = field(default=None, repr=False)
    sources: tuple[OffsetSource, ...] = ()
    safe: bool = False       # fitted with safe_formulas: newdata is checked the same way

    def rebuild(self, newdata: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Design and offset of this parameter for ``newdata`` (NaN rows stay NaN)."""
        n = len(newdata)
        if self.spec is None:
            raise DataError(f"the fit of {self.parameter!r} was made from arrays, so there is "
                            "no formula to build its design from new data. Fix: refit with "
                            "mlefit.fit(formula, data), or compute X_new @ res.params["
                            f"{self.parameter!r}] and apply the link's inverse.")
        if self.safe:
            check_formula(self.spec.formula, newdata.columns, parameter=self.parameter,
                          text=self.formula)
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("error", DataMismatchWarning)
                full = self.spec.get_model_matrix(newdata, na_action="ignore",
                                                  context=CONTEXT)
        except (FormulaicError, DataMismatchWarning) as exc:
            raise DataError(f"cannot build the {self.parameter!r} design for new data: "
                            f"{_without_cast_note(_first_line(exc))}. Fix: give newdata the "
                            "columns and categorical levels the fit saw.") from exc
        M = full.to_numpy(dtype=float)
        off = M[:, self.formula_offsets].sum(axis=1) if self.formula_offsets.size else np.zeros(n)
        for s in self.sources:
            off = off + s.evaluate(newdata, n)
        return M[:, self.keep_columns], off


@dataclass(frozen=True)
class ModelFrame:
    """The numpy face of the data: response, designs, weights, and what was dropped."""

    y: np.ndarray
    response: tuple[str, ...]
    designs: dict[str, Design]
    weights: np.ndarray
    var_weights: np.ndarray | None
    index: pd.Index
    n_dropped: int
    dropped_by: dict[str, int]
    groups: np.ndarray | None = None
    #: the columns of the data frame that the formulas read (not copied) and the positions
    #: of the kept rows in it (None: every row); marginal effects and means rebuild
    #: designs from them
    data: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    data_rows: np.ndarray | None = field(default=None, repr=False, compare=False)
    #: censored or truncated rows (:class:`mlefit.censoring.Response`), None when none
    censoring: object = None

    @property
    def n(self) -> int:
        return self.y.shape[0]


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _as_frame(data) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        frame = data
    elif isinstance(data, dict):
        frame = pd.DataFrame(data)
    else:
        raise DataError(f"data is a {type(data).__name__}, not a pandas DataFrame. Fix: pass "
                        "a DataFrame (or a dict of columns), or use mlefit.fit_arrays() for "
                        "matrices.")
    if len(frame) == 0:
        raise DataError("data has no rows. Fix: pass a non-empty DataFrame.")
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        raise DataError(f"data has duplicate column names {duplicated}. Fix: rename them.")
    return _plain_dtypes(frame)


def _plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable boolean and string columns as object columns with NaN for NA (what
    formulaic handles: categorical levels, NA rows dropped); datetimes refused.

    pandas 3's default text dtype (``str``: a string dtype with NaN for missing) is one
    formulaic reads as text already and stays as it is: converting it cost a pass over
    its values, and formulaic encodes an object column slower. The data are never copied:
    the columns converted replace their originals in a shallow copy of the frame."""
    dtypes = frame.dtypes
    dated = [c for c, t in dtypes.items() if pd.api.types.is_datetime64_any_dtype(t)
             or pd.api.types.is_timedelta64_dtype(t)]
    if dated:
        raise DataError(f"column(s) {dated} hold dates or durations, which have no numeric "
                        "scale in a formula. Fix: convert them to numbers, e.g. "
                        "(d[col] - d[col].min()).dt.days.")
    nullable = [c for c, t in dtypes.items()
                if isinstance(t, pd.BooleanDtype)
                or (isinstance(t, pd.StringDtype) and not _text_formulaic_reads(t))]
    if not nullable:
        return frame
    frame = frame.copy(deep=False)
    for c in nullable:
        frame[c] = frame[c].astype(object).where(frame[c].notna(), np.nan)
    return frame


def _text_formulaic_reads(dtype: pd.StringDtype) -> bool:
    """A string dtype that formulaic treats as categorical text with NaN for missing, as
    it does an object column (its test: ``dtype in ("object", "str")``)."""
    return dtype == "str" and dtype.na_value is not pd.NA


def _parse(formula: str, parameter: str) -> Formula:
    formula = cbind_.rewrite(formula)    # R's cbind(s, f) ~ x is formulaic's s + f ~ x
    try:
        return Formula(formula)
    except Exception as exc:  # formulaic raises several types for bad syntax
        raise DataError(f"cannot parse the formula {formula!r} of {parameter!r}: "
                        f"{_first_line(exc)}. Fix: correct the formula syntax.") from exc


def _materialise(formula: Formula, frame: pd.DataFrame, parameter: str, text: str):
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)
            return formula.get_model_matrix(frame, na_action="ignore", context=CONTEXT)
    except FormulaicError as exc:
        missing = sorted(v for v in formula.required_variables
                         if v not in frame.columns and v not in CONTEXT and v != "np")
        cause = f"column(s) {missing} not in the data" if missing else _first_line(exc)
        raise DataError(f"cannot build the design of {parameter!r} from {text!r}: {cause}. "
                        f"Fix: check the formula against the data's columns "
                        f"({', '.join(map(str, list(frame.columns)[:12]))}"
                        f"{', ...' if frame.shape[1] > 12 else ''}).") from exc


def aligned(name: str, value, index: pd.Index):
    """``value`` row-aligned with ``index``: a pandas Series by its index labels (in any
    order), anything else by position."""
    if not isinstance(value, pd.Series) or value.index.equals(index):
        return value
    if index.is_unique and value.index.is_unique and len(value) == len(index) \
            and value.index.isin(index).all():
        return value.reindex(index)
    raise DataError(f"{name} is a pandas Series whose index does not match the data's rows. "
                    "Fix: give it the data's index (e.g. a column of the data), or pass "
                    ".to_numpy() to match by position.")


def _vector(name: str, value, frame: pd.DataFrame) -> tuple[np.ndarray, OffsetSource]:
    """A per-row vector given as a column name, a Series (matched by index) or an array."""
    if isinstance(value, str):
        if value not in frame.columns:
            raise DataError(f"{name}={value!r} is not a column of the data. Fix: name an "
                            "existing column or pass an array with one value per row.")
        raw = numeric_column(name, value, frame[value])
        return raw, OffsetSource(value, None)
    raw = numeric(name, aligned(name, value, frame.index))
    if raw.shape[0] != len(frame):
        raise DataError(f"{name} has {raw.shape[0]} values but the data has {len(frame)} "
                        "rows. Fix: pass one value per row.")
    return raw, OffsetSource(None, raw)


def numeric(name: str, value) -> np.ndarray:
    """``value`` as a flat contiguous float array (NA as NaN; the values themselves when
    they are one already), or a DataError naming ``name``."""
    refuse_complex(name, value)
    try:
        if isinstance(value, pd.Series):
            return np.ascontiguousarray(value.to_numpy(dtype=float, na_value=np.nan))
        return np.ascontiguousarray(np.asarray(value, dtype=float).reshape(-1))
    except (TypeError, ValueError) as exc:
        raise DataError(f"{name} is not numeric ({_first_line(exc)}). Fix: pass numbers, one "
                        "per row, or the name of a numeric column.") from exc


def _without_cast_note(message: str) -> str:
    """formulaic's message about unseen categorical levels in mlefit's words, without its
    note that they "are being cast to nan" (mlefit refuses them instead)."""
    if "They are being" not in message:
        return message
    levels = re.search(r"\{.*\}", message)
    shown = re.sub(r"np\.\w+\((.*?)\)", r"\1", levels.group(0)) if levels else "some"
    return f"newdata has categorical level(s) {shown} that the fit did not see"


def _variables(parsed: dict, first: str) -> tuple[set, set]:
    """The variables the formulas use, and those used as predictors (every variable but
    the main formula's response)."""
    used = set().union(*(f.required_variables for f in parsed.values()))
    lhs = getattr(parsed[first], "lhs", None)
    response = set(lhs.required_variables) if lhs is not None else set()
    rhs = getattr(parsed[first], "rhs", None)
    predictors = set(rhs.required_variables) if rhs is not None and hasattr(
        rhs, "required_variables") else used - response
    for p, f in parsed.items():
        if p != first:
            predictors |= set(f.required_variables)
    return used, predictors


def _split_offsets(columns: list[str]):
    is_off = np.array([c.startswith(OFFSET_PREFIX) for c in columns], dtype=bool)
    return np.flatnonzero(~is_off), np.flatnonzero(is_off)


def _few(items: list, shown: int = 4) -> str:
    """``items`` as a list, cut after ``shown`` entries with a count of the rest."""
    if len(items) <= shown:
        return str(items)
    return f"{str(items[:shown])[:-1]}, ... and {len(items) - shown} more]"


def _response(lhs, formula: str) -> tuple[np.ndarray, tuple[str, ...]]:
    names = tuple(lhs.columns)
    for term, columns in lhs.model_spec.term_indices.items():
        if len(columns) > 1:
            raise DataError(f"the response term {str(term)!r} of {formula!r} is categorical "
                            f"(it expands to {_few([names[i] for i in columns])}), so which level "
                            "counts as the event would be a guess. Fix: write the event "
                            "explicitly, e.g. 'I(sex == \"M\") ~ ...', or give numeric "
                            "columns ('successes + failures ~ ...').")
    try:
        y = lhs.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise DataError(f"the response of {formula!r} is not numeric. Fix: recode it as "
                        "numbers or booleans (e.g. (smoker == 'yes')).") from exc
    return (y[:, 0] if y.shape[1] == 1 else y), names


def build(formulas: dict[str, str], data, *, weights=None, var_weights=None,
          offsets: dict | None = None, exposure=None, groups=None,
          missing: str = "drop", safe: bool = False, censoring=None,
          truncation=None) -> ModelFrame:
    """Materialise ``formulas`` ({parameter: formula}, the first with a response);
    ``missing`` ("drop" or "raise", checked with the request) says what missing values do;
    ``safe`` checks every term against :mod:`mlefit.formula_safety` before any is evaluated.
    A ``Surv(...)`` response, ``censoring=(lo, hi)`` and ``truncation=(lower, upper)``
    (numbers, column names or arrays) give the frame its :attr:`ModelFrame.censoring`."""
    frame = _as_frame(data)
    params = list(formulas)
    first = params[0]
    if "~" not in formulas[first] or not formulas[first].split("~")[0].strip():
        raise DataError(f"the main formula {formulas[first]!r} has no response. Fix: write "
                        "it as 'y ~ x1 + x2'.")
    texts = dict(formulas)     # as written (a Surv response is rewritten to a column)
    formulas, frame, surv, ends = _censored_response(formulas, first, frame, safe, truncation)
    vectors = {}
    for name, value in (("weights", weights), ("var_weights", var_weights),
                        ("exposure", exposure)):
        if value is not None:
            vectors[name] = _vector(name, value, frame)
    offset_vectors = {p: _vector(f"offset of {p!r}", v, frame)
                      for p, v in (offsets or {}).items() if v is not None}
    _check_vectors(vectors)
    group_values = _groups(groups, frame)
    parsed = {p: _parse(formulas[p], p) for p in params}
    if safe:
        check_terms(parsed, frame.columns, formulas)
    calls = stateful_calls(parsed)
    hidden = call_variables(calls, frame.columns)
    used, predictors = _variables(parsed, first)
    check_used(frame, used | hidden, predictors | hidden, stacklevel=3)
    # the rows with a missing value anywhere go before any formula is evaluated, so that
    # a stateful transform (center, scale, poly, bs, ...) learns its state from the rows
    # the fit keeps (R's model.frame: na.omit first, then the terms)
    bad = _missing_mask(parsed, frame, hidden, vectors, offset_vectors)
    if group_values is not None:
        bad["groups"] = pd.isna(group_values)
    if surv is not None:
        bad[surv.label] = bad.pop(censoring_.SURV_COLUMN, np.zeros(len(frame), dtype=bool))
    for name, values in ends.items():
        if values is not None:
            bad[name] = np.isnan(values)
    drop = _union(bad, len(frame))
    source = frame
    if calls and not drop.all():    # an argument not finite (log(0)): not in the state
        _add_rows(bad, drop, _call_nonfinite(calls, _kept_rows(source, drop)))
        drop = _union(bad, len(frame))
    if drop.all():
        _refuse_drops(bad, drop, missing)
    frame = _kept_rows(source, drop)
    built = {p: _materialise(parsed[p], frame, p, formulas[p]) for p in params}
    _add_rows(bad, drop, _design_nonfinite(built))
    more = _union(bad, len(source))
    if more.sum() > drop.sum():    # a term not finite (np.log(0)): rebuilt without it
        drop = more
        _refuse_drops(bad, drop, missing)
        frame = _kept_rows(source, drop)
        built = {p: _materialise(parsed[p], frame, p, formulas[p]) for p in params}
    dropped_by = {col: int(m.sum()) for col, m in bad.items() if m.any()}
    _refuse_drops(bad, drop, missing)
    dropping = bool(drop.any())

    def kept(values: np.ndarray) -> np.ndarray:   # a per-row vector on the kept rows
        return values[~drop] if dropping else values

    y, response = _response(built[first].lhs, formulas[first])
    if surv is not None:
        surv.value = surv.value.take(~drop) if dropping else surv.value
        response = (surv.label,)
    y, censored = censoring_.response_of(
        y, None if surv is None else surv.value, censoring,
        *(None if v is None else kept(v) for v in ends.values()), truncation)
    designs = {}
    for p in params:
        rhs = _parts(built[p])[-1]
        cols = list(rhs.columns)
        keep_cols, off_cols = _split_offsets(cols)
        columns = _columns(rhs)
        offset_values = _summed([columns[i] for i in off_cols])
        sources = []
        if p in offset_vectors:
            raw, src = offset_vectors[p]
            offset_values = kept(raw) if offset_values is None else offset_values + kept(raw)
            sources.append(src)
        if p == first and "exposure" in vectors:
            raw, src = vectors["exposure"]
            log_exposure = np.log(kept(raw))
            offset_values = log_exposure if offset_values is None else \
                offset_values + log_exposure
            sources.append(OffsetSource(src.column, src.values, log=True))
        X = _row_major([columns[i] for i in keep_cols], len(frame))
        designs[p] = Design(p, texts[p], tuple(cols[i] for i in keep_cols), X,
                            np.zeros(len(frame)) if offset_values is None else offset_values,
                            rhs.model_spec, keep_cols, off_cols, tuple(sources), safe=safe)
    w = kept(vectors["weights"][0]) if "weights" in vectors else np.ones(len(frame))
    vw = kept(vectors["var_weights"][0]) if "var_weights" in vectors else None
    return ModelFrame(y, response, designs, w, vw, frame.index, int(drop.sum()), dropped_by,
                      None if group_values is None else kept(group_values),
                      _columns_read(source if dropping else frame, designs),
                      np.flatnonzero(~drop) if dropping else None, censored)


def _columns_read(frame: pd.DataFrame, designs: dict[str, Design]) -> pd.DataFrame:
    """The columns of ``frame`` that the designs read (formula variables and offset
    columns): a selection, which pandas' copy-on-write does not copy."""
    read = set()
    for d in designs.values():
        read |= set(d.spec.variables_by_source.get("data", ())) if d.spec is not None else set()
        read |= {s.column for s in d.sources if s.column is not None}
    return frame[[c for c in frame.columns if c in read]]



@dataclass
class _SurvColumns:
    label: str
    value: censoring_.Surv


def _censored_response(formulas, first, frame, safe, truncation, coding=None):
    """A ``Surv(...)`` left-hand side evaluated into a column of (a shallow copy of) the
    frame, and the truncation limits as per-row arrays (None: open). ``coding``: the
    event coding read from all rows when ``frame`` is a part of them (a partition)."""
    ends = {"truncation lower": None, "truncation upper": None}
    if truncation is not None:
        for label, end in zip(("truncation lower", "truncation upper"),
                              censoring_.truncation_ends(truncation), strict=True):
            if end is None:
                ends[label] = None
            elif isinstance(end, str) or np.ndim(end) > 0:
                ends[label] = _vector(label, end, frame)[0]
            else:
                ends[label] = np.full(len(frame), float(numeric(label, [end])[0]))
    text, call = censoring_.surv_lhs(formulas[first])
    if call is None:
        return formulas, frame, None, ends
    columns = surv_arguments(call, frame, safe, first, formulas[first])
    value = censoring_.read_surv(columns, call.type, coding)
    frame = frame.assign(**{censoring_.SURV_COLUMN: value.time})
    return {**formulas, first: text}, frame, _SurvColumns(call.text, value), ends


def surv_arguments(call, frame: pd.DataFrame, safe: bool, parameter: str,
                   text: str) -> list[np.ndarray]:
    """The arguments of the ``Surv(...)`` call ``call`` evaluated on ``frame``."""
    return [_surv_argument(arg, frame, safe, parameter, text) for arg in call.args]


def _surv_argument(arg: str, frame: pd.DataFrame, safe: bool, parameter: str, text: str):
    """One argument of ``Surv(...)`` evaluated on the frame (NaN where a variable it
    reads is missing); with ``safe`` checked like any term first."""
    parsed = _parse(f"0 + I({arg})", parameter)
    if safe:
        check_formula(parsed, frame.columns, parameter=parameter, text=text)
    mm = _materialise(parsed, frame, parameter, text)
    values = np.asarray(_columns(mm)[0], dtype=float)
    for v in parsed.required_variables:
        if v in frame.columns:
            missing = _missing(frame[v])
            if missing is not None:
                values = np.where(missing, np.nan, values)
    return values


#: bytes of the column-major buffer through which :func:`_row_major` interleaves a block
#: of rows: it stays in cache (4 MiB measured fastest, 256 KiB to 4 MiB within 25%, at
#: n = 3e5, p = 12)
_FILL_BYTES = 1 << 22


def _columns(part) -> list[np.ndarray]:
    """A model matrix's columns as 1-D numpy arrays, without copies where the values are
    numbers already (float, int, bool as formulaic stored them); a nullable column as
    floats with NaN for NA."""
    out = []
    for j in range(part.shape[1]):
        column = part.iloc[:, j]
        if isinstance(column.dtype, np.dtype) and column.dtype.kind in "biuf":
            out.append(column.to_numpy())
        else:
            out.append(column.to_numpy(dtype=float, na_value=np.nan))
    return out


def _row_major(columns: list[np.ndarray], n: int) -> np.ndarray:
    """The design as the engine reads it: one C-contiguous float64 ``n x p`` matrix (each
    row's values adjacent, so a block of rows is one contiguous slice), written once from
    formulaic's columns.

    A block of rows at a time, the columns are copied into a small column-major buffer
    (contiguous reads and writes, ints and booleans cast on the way) and the buffer is
    transposed into the matrix while it is in cache: no n-by-p intermediate, and about
    half the time of ``DataFrame.to_numpy()`` followed by ``np.ascontiguousarray``."""
    p = len(columns)
    X = np.empty((n, p))
    if p == 1:
        X[:, 0] = columns[0]
    if p <= 1:
        return X
    rows = max(256, _FILL_BYTES // (8 * p))
    buffer = np.empty((min(rows, n), p), order="F")
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        block = buffer[:stop - start]
        for j, column in enumerate(columns):
            block[:, j] = column[start:stop]
        X[start:stop] = block
    return X


def _summed(columns: list[np.ndarray]) -> np.ndarray | None:
    """The sum of a formula's ``offset(...)`` columns as floats, None without any."""
    if not columns:
        return None
    total = np.array(columns[0], dtype=float)
    for column in columns[1:]:
        total += column
    return total


def _groups(groups, frame: pd.DataFrame) -> np.ndarray | None:
    """Cluster labels as an object array (a column name or one label per row)."""
    if groups is None:
        return None
    if isinstance(groups, str):
        if groups not in frame.columns:
            raise DataError(f"groups={groups!r} is not a column of the data. Fix: name an "
                            "existing column or pass one label per row.")
        return frame[groups].to_numpy(dtype=object)
    values = np.asarray(aligned("groups", groups, frame.index), dtype=object).reshape(-1)
    if values.shape[0] != len(frame):
        raise DataError(f"groups has {values.shape[0]} labels but the data has {len(frame)} "
                        "rows. Fix: pass one label per row.")
    return values


def _parts(mm) -> list:
    """``[lhs, rhs]`` of a two-sided formula's matrices, ``[rhs]`` of a one-sided one."""
    return [mm.lhs, mm.rhs] if isinstance(mm, ModelMatrices) and "lhs" in mm.model_spec \
        else [mm.rhs if isinstance(mm, ModelMatrices) else mm]


def _check_vectors(vectors):
    for name, (raw, _) in vectors.items():   # NaN compares False: a missing value passes
        if np.isinf(raw).any():
            raise DataError(f"{name} has infinite values. Fix: replace them.")
        if name == "exposure" and (raw <= 0).any():
            raise DataError("exposure must be positive (its log is the offset). Fix: drop or "
                            "correct the rows with exposure <= 0.")
        if name in ("weights", "var_weights") and (raw < 0).any():
            raise DataError(f"{name} has negative values. Fix: weights must be >= 0 "
                            "(0 drops a row's contribution).")


def _missing_mask(parsed, frame, hidden: set, vectors, offset_vectors) -> dict:
    """One boolean mask per cause (a column, a weight, an offset) of the rows with a
    missing value, known before any formula is evaluated; ``hidden`` are the columns read
    only inside stateful transforms."""
    bad: dict[str, np.ndarray] = {}
    used = set(hidden)
    for f in parsed.values():
        used |= {v for v in f.required_variables if v in frame.columns}
    for col in sorted(used, key=str):
        missing = _missing(frame[col])
        if missing is not None:
            bad[str(col)] = missing
    for name, (raw, _) in list(vectors.items()) + [(f"offset of {p}", v) for p, v in
                                                    offset_vectors.items()]:
        bad[name] = ~np.isfinite(raw)
    return bad


def _union(bad: dict, n: int) -> np.ndarray:
    drop = np.zeros(n, dtype=bool)
    for m in bad.values():
        drop |= m
    return drop


def _kept_rows(frame: pd.DataFrame, drop: np.ndarray) -> pd.DataFrame:
    """The rows not dropped, without the categorical levels only dropped rows had."""
    return _without_unused_levels(frame.loc[~drop] if drop.any() else frame)


def _add_rows(bad: dict, drop: np.ndarray, found: dict) -> None:
    """Masks over the kept rows (``~drop``) added to ``bad`` as masks over every row."""
    for name, mask in found.items():
        full = np.zeros(drop.shape[0], dtype=bool)
        full[~drop] = mask
        bad[name] = bad[name] | full if name in bad else full


def _refuse_drops(bad: dict, drop: np.ndarray, missing: str) -> None:
    dropped_by = {col: int(m.sum()) for col, m in bad.items() if m.any()}
    if drop.any() and missing == "raise":
        raise DataError(f"{int(drop.sum())} row(s) have missing or non-finite values "
                        f"({_describe(dropped_by)}). Fix: clean them, or use missing='drop'.")
    if drop.all():
        raise DataError(f"every row has a missing or non-finite value ({_describe(dropped_by)}"
                        "). Fix: check the na_values of the file and the transforms.")


def _design_nonfinite(built: dict) -> dict[str, np.ndarray]:
    """The rows where a column of a design (or the response) is NaN or infinite though
    no variable is missing (``np.log(0)``), by column."""
    bad = {}
    for mm in built.values():
        for part in _parts(mm):
            for name, column in zip(part.columns, _columns(part), strict=True):
                nonfinite = _nonfinite(column)
                if nonfinite is not None:
                    bad[f"{name} (non-finite)"] = nonfinite
    return bad


def _call_nonfinite(calls: dict, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The rows where a stateful transform's argument is not finite (``center(np.log(z))``
    at ``z = 0``): they are dropped before the transform learns its state (as on a Dask
    frame, :mod:`mlefit.transform_passes`), by call."""
    bad = {}
    for text, call in calls.items():
        arg = call.args[0]
        if isinstance(arg, ast.Name) and arg.id in frame.columns:
            values = frame[arg.id]
            if not (isinstance(values.dtype, np.dtype) and values.dtype.kind == "f"):
                continue
            columns = [values.to_numpy()]
        else:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    mm = Formula(f"0 + I({ast.unparse(arg)})").get_model_matrix(
                        frame, na_action="ignore", context=CONTEXT)
                columns = [np.asarray(c, dtype=float) for c in _columns(mm)]
            except (FormulaicError, ValueError, TypeError, NameError):
                continue     # the term itself reports it when the design is built
        for column in columns:
            nonfinite = _nonfinite(column)
            if nonfinite is not None:
                bad[f"{text} (non-finite)"] = bad.get(f"{text} (non-finite)",
                                                      False) | nonfinite
    return bad


def _missing(values: pd.Series) -> np.ndarray | None:
    """The rows where a data column is missing, or None when none is (a float column's
    sum is finite: no NaN in it, and no pass to build the mask)."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "biuf":
        if values.dtype.kind != "f":
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(np.add.reduce(values.to_numpy())):
                return None
    missing = values.isna().to_numpy()
    return missing if missing.any() else None


def _nonfinite(column: np.ndarray, raw_na: np.ndarray | None = None) -> np.ndarray | None:
    """The rows where a column is NaN or infinite (those of ``raw_na``, a missing
    variable, left out), or None when there is none. One pass, the column's sum, when every
    value is finite (the sum of finite values is finite unless it overflows, and then the
    rows are looked at one by one)."""
    if column.dtype.kind in "biu":
        return None
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(column)):
            return None
    nonfinite = ~np.isfinite(column)
    if raw_na is not None:
        nonfinite &= ~raw_na
    return nonfinite if nonfinite.any() else None


def _describe(counts: dict[str, int]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))


def _without_unused_levels(frame: pd.DataFrame) -> pd.DataFrame:
    """Categorical levels no kept row has are dropped (R's ``drop.unused.levels``)."""
    cats = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)
            and frame[c].nunique(dropna=True) < len(frame[c].cat.categories)]
    if not cats:
        return frame
    frame = frame.copy(deep=False)    # only the categorical columns are replaced
    for c in cats:
        frame[c] = frame[c].cat.remove_unused_categories()
    return frame
