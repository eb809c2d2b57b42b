"""Numeric derivatives, and how closely an analytic one must agree with them.

Central differences with step ``h = eps^(1/3) s``, ``s = max(|theta|, width/10)``, all
shifted rows evaluated in one stacked call; :func:`disagreement` applies the tolerance
``|analytic - numeric| <= RTOL |numeric| + ATOL (1 + |f|) / s`` (the package docstring
says why).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..family import Family

EPS = np.finfo(float).eps
H1 = EPS ** (1 / 3)
#: relative and absolute-factor tolerance of analytic against numeric derivatives
RTOL, ATOL = 1e-6, 1e-7


def steps(family: Family, params: dict) -> tuple[dict, dict]:
    """Central-difference steps ``eps^(1/3) s`` per parameter and row, and the scales ``s``;
    a step never takes a parameter within a quarter of its distance to the domain's end."""
    h, scale = {}, {}
    for p in family.parameters:
        theta = np.asarray(params[p.name], dtype=float)
        lo, hi = p.typical_range
        s = np.maximum(np.abs(theta), 0.1 * (hi - lo))
        room = np.minimum(theta - p.domain.lower, p.domain.upper - theta)
        h[p.name] = np.minimum(H1 * s, 0.25 * room)
        scale[p.name] = h[p.name] / H1
    return h, scale


def central(fn: Callable, y, params: dict, h: dict, names) -> list[dict]:
    """``[{b: (fn_b(theta + h_a) - fn_b(theta - h_a)) / 2h_a} for a in names]`` with one
    stacked call of ``fn(y, **params) -> {b: (n,)}``."""
    n = len(y)
    k = len(names)
    ys = np.concatenate([y] * (2 * k))
    stacked = {}
    for name, value in params.items():
        parts = []
        for a in names:
            for sign in (1.0, -1.0):
                parts.append(value + sign * h[a] if name == a else value)
        stacked[name] = np.concatenate(parts)
    values = fn(ys, **stacked)
    out = []
    for i, a in enumerate(names):
        plus, minus = slice(2 * i * n, (2 * i + 1) * n), slice((2 * i + 1) * n, (2 * i + 2) * n)
        out.append({b: (np.asarray(v)[plus] - np.asarray(v)[minus]) / (2 * h[a])
                    for b, v in values.items()})
    return out


def numeric_scores(family: Family, y, params: dict) -> dict:
    """``{a: d logpdf / d a}`` by central differences on the natural scale."""
    h, _ = steps(family, params)
    names = family.parameter_names
    diffs = central(lambda yy, **p: {"f": family.logpdf(yy, **p)}, y, params, h, names)
    return {a: d["f"] for a, d in zip(names, diffs, strict=True)}


def disagreement(analytic, numeric, fvalue, scale, rtol=RTOL, atol=ATOL):
    """Index of the worst row breaking ``|a - n| <= rtol |n| + atol (1 + |f|) / s``, or
    None when every row keeps it."""
    analytic = np.broadcast_to(np.asarray(analytic, dtype=float), np.shape(numeric))
    bound = rtol * np.abs(numeric) + atol * (1.0 + np.abs(fvalue)) / scale
    excess = np.abs(analytic - numeric) - bound
    excess = np.where(np.isnan(excess), np.inf, excess)
    worst = int(np.argmax(excess))
    return worst if excess[worst] > 0 else None
