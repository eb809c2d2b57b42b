"""Formulaic's stateful transforms on a Dask frame: their state from passes over all rows.

A stateful transform (``center``, ``scale``, ``standardize``, ``poly``, ``bs``) keeps
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
  pass), or the user's ``lower_bound`` / ``upper_bound``; the inner knots must be given.
  ``bs(x, df=...)`` with inner knots at quantiles is refused: dask's quantiles are
  approximate, and an exact distributed selection is not built; the error says to pass
  ``knots=``;
* ``cr``, ``cs``, ``cc`` (their centring constraint is a mean of the spline basis) and the
  order-dependent ``lag`` are refused with an error that names the term.

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

__all__ = ["ORDER_DEPENDENT", "STATEFUL", "Transform", "argument_values", "refuse_terms",
           "stateful_calls", "whole_data_state"]

#: transforms whose state :func:`whole_data_state` computes from sums over all rows
STATEFUL = ("center", "scale", "standardize", "poly", "bs")
#: stateful transforms refused on a Dask frame (see the module docstring)
REFUSED = ("cr", "cs", "cc", "hashed")
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


_SIGNATURES = {"scale": _scale, "center": _center, "standardize": _standardize,
               "poly": _poly, "bs": _bs}


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
                   "computed from partitions")
            raise DataError(f"the term {term!r} of {p!r} {why}: it is not supported on Dask "
                            "frames. Fix: compute the column in the frame first (e.g. "
                            "ddf.assign(...) or, for a lag, a sorted shift within groups), "
                            "or use bs(x, knots=[...]) for a spline.")


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
        if name == "bs" and options["knots"] is None and options["df"] is not None and \
                options["df"] - options["degree"] - bool(options["include_intercept"]) > 0:
            raise DataError(f"the term {key!r} of {parameter!r} puts spline knots at quantiles "
                            "of the data, which a Dask frame gives only approximately: not "
                            "supported. Fix: give the inner knots, e.g. bs(x, knots=[1, 2.5, "
                            "4]) (the boundary knots are the exact minimum and maximum), or "
                            "compute the quantiles of an in-memory column yourself.")
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


def _reduce(values: list, fn, args, dask):
    parts = [dask.delayed(fn, pure=True)(v, *args) for v in values]
    while len(parts) > 1:
        parts = [dask.delayed(_merge, pure=True)(parts[i], parts[i + 1])
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
        else:
            states[t.key] = _bs_state(o, lo, hi)
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


def _bs_state(o: dict, lo: float, hi: float) -> dict:
    lower = float(lo) if o["lower_bound"] is None else o["lower_bound"]
    upper = float(hi) if o["upper_bound"] is None else o["upper_bound"]
    knots = [] if o["knots"] is None else list(o["knots"])
    knots = np.pad([lower, *knots, upper], o["degree"], mode="edge").tolist()
    return {"lower_bound": lower, "upper_bound": upper, "knots": knots}
