"""Formulaic's stateful transforms on a Dask frame: their state from passes over all rows.

A stateful transform (``center``, ``scale``, ``standardize``, ``poly``, ``bs``, ``cr``,
``cs``, ``cc``) keeps
what it learnt from the data it was first applied to (a mean, a standard deviation, the
three-term recurrence coefficients of ``poly``, the boundary knots of ``bs``) in the
formulaic spec's ``transform_state``. In memory that state comes from the rows the fit
keeps (the rows with no missing value in any variable of any formula, weights, offsets
or groups). On a Dask frame :func:`whole_data_state` computes the same numbers from
additive sums over the partitions, and the frozen spec then builds every partition's
design on the workers:

* ``center``, ``scale``, ``standardize``: one pass for the count and the sum (the mean),
  one for the centred sum of squares (the standard deviation, with the transform's
  ``ddof``): formulaic's own two-step formula, summed by partition;
* ``poly(x, d)`` (orthonormal): formulaic builds the monic orthogonal polynomials by the
  three-term recurrence ``P_{k+1} = (x - alpha_k) P_k - (n_k / n_{k-1}) P_{k-1}`` with
  ``alpha_k = sum x P_k^2 / sum P_k^2`` and ``n_k = sum P_k^2``; pass ``k`` evaluates
  ``P_k`` on each partition from the coefficients found so far and adds the two sums
  (``d + 1`` passes over one column; the moments ``sum x^j`` would give the same numbers
  in exact arithmetic but lose digits to cancellation). ``raw=True`` has no state;
* ``bs(x, knots=[...])``: the boundary knots are the exact minimum and maximum (one
  pass), or the user's ``lower_bound`` / ``upper_bound``. ``bs(x, df=...)`` puts the
  inner knots at quantiles of the kept values (numpy's linear rule, as formulaic does):
  :func:`mlefit.partition_quantiles.quantiles` selects them exactly (two more passes
  for continuous data: a histogram, then the few values of the bins that hold the
  order statistics);
* ``cr``, ``cs``, ``cc`` (formulaic's cubic regression splines): bounds the exact minimum
  and maximum or given; inner knots given, or at percentiles of the *distinct* values
  inside the bounds (exact: Dask's ``drop_duplicates``, then the same selection: about
  four more passes); ``constraints="center"`` needs the column means of the unconstrained
  basis over all kept rows: one more pass of sums;
* ``hashed`` and the order-dependent ``lag`` are refused with an error that names the
  term.

The state is computed on the rows kept by the missing-value rule (as in memory), minus
the rows where the transform's own argument is not finite (there its output is not
finite, so the row is dropped anyway). A row dropped only because *another* term is not
finite (``log(z)`` with ``z = 0``) would be in that state but not in the in-memory one:
:func:`mlefit.partitioned.fit_partitioned` detects it and refuses, naming the fix.
"""

from __future__ import annotations

import ast
import inspect
import re
import warnings

import numpy as np
import pandas as pd
from formulaic import model_matrix

from .errors import DataError
from .formula import CONTEXT
from .partition_quantiles import quantiles

__all__ = ["ORDER_DEPENDENT", "STATEFUL", "Transform", "argument_values", "refuse_terms",
           "stateful_calls", "whole_data_state"]

#: transforms whose state :func:`whole_data_state` computes from sums over all rows
STATEFUL = ("center", "scale", "standardize", "poly", "bs", "cr", "cs", "cc")
#: stateful transforms refused on a Dask frame (see the module docstring)
REFUSED = ("hashed",)
#: transforms that depend on the order of the rows: refused on a Dask frame
ORDER_DEPENDENT = ("lag",)


# the transforms' signatures as formulaic defines them (data first); bound with
# inspect to read a call's options whatever mix of positional and keyword arguments
def _scale(x, center=True, scale=True, ddof=1): ...
def _center(x): ...
def _standardize(x, center=True, rescale=True, ddof=0): ...
def _poly(x, degree=1, raw=False): ...
def _bs(x, df=None, knots=None, degree=3, include_intercept=False, lower_bound=None,
        upper_bound=None, extrapolation="raise"): ...
def _cubic(x, df=None, knots=None, lower_bound=None, upper_bound=None, constraints=None,
           extrapolation="extend"): ...


_SIGNATURES = {"scale": _scale, "center": _center, "standardize": _standardize,
               "poly": _poly, "bs": _bs, "cr": _cubic, "cs": _cubic, "cc": _cubic}


class Transform:
    """One stateful call of a formula: its text (the spec's key), name, argument
    expression and options."""

    def __init__(self, key: str, name: str, argument: str, options: dict):
        self.key, self.name, self.argument, self.options = key, name, argument, options

    def __repr__(self) -> str:
        return f"Transform({self.key!r})"


def _call_name(node) -> str | None:
    return node.func.id if isinstance(node, ast.Call) and \
        isinstance(node.func, ast.Name) else None


def refuse_terms(formulas: dict) -> None:
    """A DataError naming the first term of ``formulas`` that cannot be computed by
    passes over partitions (order-dependent or refused stateful transforms)."""
    for p, text in formulas.items():
        for fn in ORDER_DEPENDENT + REFUSED:
            m = re.search(rf"\b{fn}\s*\(", text)
            if not m:
                continue
            term = text[m.start():_close(text, m.end() - 1) + 1]
            why = ("depends on the order of the rows, which a Dask frame's partitions do not "
                   "keep" if fn in ORDER_DEPENDENT else
                   "keeps a state (a centring constraint over the spline basis) that is not "
                   "hashed into columns by a state that is not computed from partitions")
            raise DataError(f"the term {term!r} of {p!r} {why}: it is not supported on Dask "
                            "frames. Fix: compute the column in the frame first (e.g. "
                            "ddf.assign(...) or, for a lag, a sorted shift within groups).")


def _close(text: str, open_at: int) -> int:
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i
    return len(text) - 1


def stateful_calls(transform_state: dict, parameter: str) -> list[Transform]:
    """The stateful calls behind a spec's ``transform_state`` keys."""
    out = []
    for key in transform_state:
        try:
            node = ast.parse(key, mode="eval").body
        except SyntaxError:
            node = None
        name = _call_name(node)
        if name not in _SIGNATURES or not node.args:
            raise DataError(f"the term {key!r} of {parameter!r} keeps a state that is not "
                            "computed from partitions: it is not supported on Dask frames. "
                            "Fix: compute the column in the frame first.")
        inner = [n for n in ast.walk(node.args[0]) if _call_name(n) in
                 _SIGNATURES or _call_name(n) in REFUSED + ORDER_DEPENDENT]
        if inner:
            raise DataError(f"the term {key!r} of {parameter!r} nests one stateful transform "
                            "in another: not supported on Dask frames. Fix: compute the "
                            "inner column in the frame first.")
        try:
            args = [ast.literal_eval(a) for a in node.args[1:]]
            kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
            bound = inspect.signature(_SIGNATURES[name]).bind(None, *args, **kwargs)
        except (ValueError, TypeError, SyntaxError) as exc:
            raise DataError(f"the options of {key!r} of {parameter!r} are not literal values "
                            f"({exc}). Fix: write them as numbers, lists or booleans.") from None
        bound.apply_defaults()
        options = dict(bound.arguments)
        options.pop("x")
        out.append(Transform(key, name, ast.unparse(node.args[0]), options))
    return out


def argument_values(part: pd.DataFrame, transforms: list[Transform]) -> np.ndarray:
    """The arguments of ``transforms`` evaluated on a partition (one column each)."""
    out = np.empty((len(part), len(transforms)))
    for j, t in enumerate(transforms):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            mm = model_matrix(f"0 + I({t.argument})", part, na_action="ignore",
                              context=CONTEXT)
        out[:, j] = mm.to_numpy(dtype=float, na_value=np.nan)[:, 0]
    return out


# ---------------------------------------------------------------------------------------
# the passes: ``values`` is a list of delayed per-partition arrays (rows kept x transforms)


def _sums(a: np.ndarray, j: int, centre: float) -> np.ndarray:
    x = a[:, j]
    return np.array([x.shape[0], np.sum(x), np.sum((x - centre) ** 2) if np.isfinite(centre)
                     else 0.0, np.min(x) if x.size else np.inf,
                     np.max(x) if x.size else -np.inf])


def _merge(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.concatenate([a[:3] + b[:3], [min(a[3], b[3]), max(a[4], b[4])]])


def _poly_sums(a: np.ndarray, j: int, alpha: list, norms2: list) -> np.ndarray:
    """``[sum P_k^2, sum x P_k^2]`` for ``k = len(alpha)`` (formulaic's recurrence)."""
    x = a[:, j]
    prev, cur = np.zeros_like(x), np.ones_like(x)
    for k in range(len(alpha)):
        nxt = (x - alpha[k]) * cur
        if k >= 1:
            nxt -= norms2[k] / norms2[k - 1] * prev
        prev, cur = cur, nxt
    return np.array([np.sum(cur ** 2), np.sum(x * cur ** 2), 0.0, np.inf, -np.inf])


def _add(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a + b


def _reduce(values: list, fn, args, dask, merge=_merge):
    parts = [dask.delayed(fn, pure=True)(v, *args) for v in values]
    while len(parts) > 1:
        parts = [dask.delayed(merge, pure=True)(parts[i], parts[i + 1])
                 if i + 1 < len(parts) else parts[i] for i in range(0, len(parts), 2)]
    return dask.compute(parts[0])[0]


def whole_data_state(transforms: list[Transform], values: list, dask) -> dict:
    """``{key: state}`` for every transform, in formulaic's format, from passes over the
    partitions' argument values (see the module docstring)."""
    states = {}
    for j, t in enumerate(transforms):
        o = t.options
        first = _reduce(values, _sums, (j, np.nan), dask)
        n, total, lo, hi = first[0], first[1], first[3], first[4]
        if n == 0:
            raise DataError(f"the argument of {t.key!r} has no finite value on the rows "
                            "kept. Fix: check the data.")
        if t.name in ("center", "scale", "standardize"):
            states[t.key] = _scale_state(t, n, total, values, j, dask)
        elif t.name == "poly":
            states[t.key] = {} if o["raw"] else _poly_state(o["degree"], n, total, values,
                                                            j, dask)
        elif t.name == "bs":
            states[t.key] = _bs_state(t, lo, hi, values, j, (n, lo, hi), dask)
        else:
            states[t.key] = _cubic_state(t, lo, hi, values, j, dask)
    return states


def _scale_state(t: Transform, n, total, values, j, dask) -> dict:
    o = t.options
    center = True if t.name == "center" else o["center"]
    spread = False if t.name == "center" else o["scale" if t.name == "scale" else "rescale"]
    ddof = 1 if t.name == "center" else o["ddof"]
    if isinstance(center, bool):
        centre = total / n if center else None
    else:
        centre = np.array(center)
    if isinstance(spread, bool) and spread:
        shift = 0.0 if centre is None else float(centre)
        ss = _reduce(values, _sums, (j, shift), dask)[2]
        spread = np.sqrt(ss / (n - ddof))
    elif isinstance(spread, bool):
        spread = None
    else:
        spread = np.array(spread)
    return {"ddof": ddof, "center": None if centre is None else np.float64(centre),
            "scale": None if spread is None else np.float64(spread)}


def _poly_state(degree: int, n, total, values, j, dask) -> dict:
    alpha, norms2 = [total / n], [float(n)]
    for k in range(1, degree + 1):
        got = _reduce(values, _poly_sums, (j, alpha, norms2), dask)
        norms2.append(got[0])
        if k < degree:
            alpha.append(got[1] / got[0])
    return {"alpha": {k: np.float64(v) for k, v in enumerate(alpha)},
            "norms2": {k: np.float64(v) for k, v in enumerate(norms2)}}


def _bs_state(t: Transform, lo: float, hi: float, values, j, stats, dask) -> dict:
    o = t.options
    lower = float(lo) if o["lower_bound"] is None else o["lower_bound"]
    upper = float(hi) if o["upper_bound"] is None else o["upper_bound"]
    knots = [] if o["knots"] is None else list(o["knots"])
    inner = 0 if o["knots"] is not None or not o["df"] else \
        o["df"] - o["degree"] - bool(o["include_intercept"])
    if inner > 0:
        # formulaic: numpy.nanquantile(knots_x, linspace(0, 1, inner + 2))[1:-1], where
        # knots_x is x inside the bounds for extrapolation clip / na / zero, else all x
        within = (lower, upper) if o["extrapolation"] in ("clip", "na", "zero") else None
        got, count, _ = quantiles(values, j, np.linspace(0, 1, inner + 2)[1:-1], dask,
                                  within=within, stats=None if within else stats)
        if count == 0:
            raise DataError(f"the term {t.key!r} has no value between its bounds ({lower}, "
                            f"{upper}) to put knots at. Fix: check the bounds.")
        knots = got.tolist()
    knots = np.pad([lower, *knots, upper], o["degree"], mode="edge").tolist()
    return {"lower_bound": lower, "upper_bound": upper, "knots": knots}


def _spline_sums(a: np.ndarray, j: int, knots: np.ndarray, cyclic: bool, clip) -> np.ndarray:
    """``[rows, column sums of the unconstrained cubic spline basis]`` on a partition."""
    from formulaic.transforms.cubic_spline import _get_free_cubic_spline_matrix
    x = np.array(a[:, j], dtype=float)          # a copy: the basis may map x in place
    if clip is not None:
        x = np.clip(x, *clip)
    m = _get_free_cubic_spline_matrix(x, knots, cyclic=cyclic)
    # each column contiguous: numpy's pairwise sum (error ~ log2(n) eps, not n eps)
    return np.concatenate([[x.shape[0]], np.ascontiguousarray(m.T).sum(axis=1)])


def _cubic_state(t: Transform, lo: float, hi: float, values, j, dask) -> dict:
    """formulaic's ``cubic_spline`` state (``cr``, ``cs``, ``cc``) from passes."""
    from formulaic.transforms.cubic_spline import _get_all_sorted_knots
    o, cyclic = t.options, t.name == "cc"
    lower = float(lo) if o["lower_bound"] is None else o["lower_bound"]
    upper = float(hi) if o["upper_bound"] is None else o["upper_bound"]
    constraints = o["constraints"]
    center = isinstance(constraints, str) and constraints == "center"
    if o["extrapolation"] == "na" and center:
        raise DataError(f"the term {t.key!r} centres a basis that is missing outside its "
                        "bounds (extrapolation='na'): not supported on Dask frames. Fix: "
                        "use extrapolation='extend' or 'clip'.")
    n_constraints = 1 if center else 0 if constraints is None else \
        np.atleast_2d(constraints).shape[0]
    inner, n_inner = None, None
    if o["knots"] is not None:
        inner = np.array(o["knots"])
    else:
        n_inner = o["df"] - 2 + n_constraints + int(cyclic)
        # formulaic: numpy.nanpercentile(unique(x inside the bounds), q.tolist())
        q = np.true_divide(np.linspace(0, 100, n_inner + 2)[1:-1].tolist(), 100)
        got, count, _ = quantiles(values, j, q, dask, within=(lower, upper), distinct=True)
        if count == 0 and n_inner > 0:
            raise DataError(f"the term {t.key!r} has no value between its bounds ({lower}, "
                            f"{upper}) to put knots at. Fix: check the bounds.")
        inner = got if count else np.array([])
    try:
        knots = _get_all_sorted_knots(np.empty(0), lower, upper, n_inner_knots=n_inner,
                                      inner_knots=inner)
    except ValueError as exc:
        raise DataError(f"the knots of the term {t.key!r} cannot be placed ({exc}). Fix: "
                        "use fewer knots (a smaller df) or give them.") from None
    if center:
        clip = (lower, upper) if o["extrapolation"] == "clip" else None
        sums = _reduce(values, _spline_sums, (j, knots, cyclic, clip), dask, _add)
        constraints = (sums[1:] / sums[0]).reshape((1, -1))
    elif constraints is not None:
        constraints = np.atleast_2d(constraints)
    return {"lower_bound": lower, "upper_bound": upper, "constraints": constraints,
            "cyclic": cyclic, "knots": knots.tolist()}

