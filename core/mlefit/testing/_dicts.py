"""Reading what a family's derivative-like methods return: dicts keyed by parameter or
by parameter pair ``(a, b)`` with ``a <= b`` (either order accepted), one value per row.
"""

from __future__ import annotations

import numpy as np

from ._check import CheckFailure


def parameter_pairs(names) -> list[tuple[str, str]]:
    """Every pair ``(a, b)`` with ``a`` not after ``b`` in ``names``."""
    return [(a, b) for i, a in enumerate(names) for b in names[i:]]


def pair_value(values: dict, a: str, b: str):
    """``values[(a, b)]`` or ``values[(b, a)]``; None when neither is there."""
    if (a, b) in values:
        return values[(a, b)]
    if (b, a) in values:
        return values[(b, a)]
    return None


def complete_dict(got, keys, what: str, n: int) -> dict:
    """``got`` (what the method ``what`` returned) as ``{key: (n,) array}`` for every key;
    :class:`CheckFailure` when it is not a dict, lacks a key or has a wrong shape."""
    if not isinstance(got, dict):
        raise CheckFailure(f"{what} returned {type(got).__name__}, not a dict")
    out = {}
    for key in keys:
        value = got.get(key) if not isinstance(key, tuple) else pair_value(got, *key)
        if value is None:
            every = "pair (a, b) with a <= b" if isinstance(key, tuple) else "parameter"
            raise CheckFailure(f"{what} has no entry {key!r}. Fix: return every {every}")
        value = np.asarray(value, dtype=float)
        if value.shape != (n,):
            raise CheckFailure(f"{what}[{key!r}] has shape {value.shape}, not ({n},). Fix: "
                               "return one value per row")
        out[key] = value
    return out
