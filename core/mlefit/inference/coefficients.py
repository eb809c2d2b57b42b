"""The stacked coefficient vector of a fit: its names, positions and ML values.

A fit stacks the coefficients of every estimated distribution parameter in family order.
Tests and intervals name them as follows:

* a term of the **first** parameter (the one the main formula models) by its term name
  alone, ``age`` or ``C(cp)[T.2]``; the qualified form ``mu:age`` is accepted too;
* a term of any **other** parameter qualified by the parameter, ``sigma:age``,
  ``sigma:Intercept``;
* or by the ``(parameter, term)`` pair of ``res.params.index``, or by position.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

__all__ = ["SEPARATOR", "aliases", "ml_coef", "names", "position", "positions"]

SEPARATOR = ":"


def names(res) -> list[str]:
    """Public name of each stacked coefficient (``age``, ``sigma:age``)."""
    first = res.family.parameters[0].name
    return [term if param == first else f"{param}{SEPARATOR}{term}"
            for param, term in res.index]


def aliases(res) -> dict[str, int]:
    """Every accepted name -> position: the public names and ``mu:age`` for the first."""
    first = res.family.parameters[0].name
    out: dict[str, int] = {}
    for pos, ((param, term), name) in enumerate(zip(res.index, names(res), strict=True)):
        for key in dict.fromkeys((name, f"{param}{SEPARATOR}{term}")):
            if key in out and out[key] != pos:
                raise DataError(f"the coefficient name {key!r} is ambiguous (a term of "
                                f"{first!r} has the name of a qualified term). Fix: refer to "
                                "coefficients by (parameter, term) pairs or by position.")
            out[key] = pos
    return out


def position(res, term) -> int:
    """Position of one coefficient given by name, ``(parameter, term)`` or integer."""
    if isinstance(term, (int, np.integer)) and not isinstance(term, bool):
        if not -res.k <= term < res.k:
            raise DataError(f"coefficient position {term} is out of range (k = {res.k}).")
        return int(term) % res.k
    if isinstance(term, tuple):
        if term in res.index:
            return int(res.index.get_loc(term))
    else:
        found = aliases(res).get(str(term))
        if found is not None:
            return found
    raise DataError(f"{term!r} is not a coefficient of this fit. The coefficients are "
                    f"{names(res)} (terms of parameters other than the first are qualified "
                    "by the parameter, e.g. 'sigma:age').")


def positions(res, terms=None) -> list[int]:
    """Positions of ``terms`` (all coefficients when ``None``)."""
    if terms is None:
        return list(range(res.k))
    if isinstance(terms, (str, tuple, int, np.integer)):
        terms = [terms]
    return [position(res, t) for t in terms]


def ml_coef(res) -> np.ndarray:
    """The maximum-likelihood coefficient vector (a copy).

    Equal to ``res.coef`` except under a convention that reports the dispersion at its
    Pearson estimate (``convention="R"``); the fit keeps the ML vector it found.
    """
    return res._context.coef_ml.copy()
