"""The stacked coefficient vector of a fit: its names, positions and ML values.

A fit stacks the coefficients of every estimated distribution parameter in family order.
Tests and intervals name them as follows:

* a term of the **first** parameter (the one the main formula models) by its term name
  alone, ``age`` or ``C(cp)[T.2]``; the qualified form ``mu:age`` is accepted too;
* a term of any **other** parameter qualified by the parameter, ``sigma:age``,
  ``sigma:Intercept``;
* or by the ``(parameter, term)`` pair of ``res.params.index``, or by position.

A fit with ``singular="drop"`` has coefficients that were not estimated (``res.aliased``):
they keep their names and places (NaN) in the stacked vector, while the engine's
objective and the ML vector (:func:`ml_coef`) have the estimated ones only;
:func:`estimated` and :func:`objective_position` map the one onto the other.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

__all__ = ["SEPARATOR", "aliases", "estimated", "estimated_coef", "estimated_cov", "ml_coef",
           "names", "objective_position", "position", "positions"]

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
        size = len(res.index)
        if not -size <= term < size:
            raise DataError(f"coefficient position {term} is out of range ({size} "
                            "coefficients).")
        return int(term) % size
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
        return list(range(len(res.index)))
    if isinstance(terms, (str, tuple, int, np.integer)):
        terms = [terms]
    return [position(res, t) for t in terms]


def ml_coef(res) -> np.ndarray:
    """The maximum-likelihood coefficient vector (a copy).

    Equal to ``res.coef`` except under a convention that reports the dispersion at its
    Pearson estimate (``convention="R"``); the fit keeps the ML vector it found.
    """
    return res._context.coef_ml.copy()


def estimated(res) -> np.ndarray:
    """Which stacked coefficients were estimated (a boolean mask over ``res.index``): all
    but the aliased ones of a fit with ``singular="drop"``."""
    if not res.aliased:
        return np.ones(len(res.index), dtype=bool)
    return ~res.index.isin(list(res.aliased))


def estimated_coef(res) -> np.ndarray:
    """The reported coefficients that were estimated, in the objective's order."""
    return res.coef[estimated(res)]


def estimated_cov(res) -> np.ndarray:
    """The covariance of :func:`estimated_coef`."""
    mask = estimated(res)
    return res.cov[np.ix_(mask, mask)]


def objective_position(res, position: int) -> int:
    """The place in the objective (and in :func:`ml_coef`) of the coefficient at
    ``position`` of the stacked vector; a DataError for an aliased one."""
    mask = estimated(res)
    if not mask[position]:
        raise DataError(f"{names(res)[position]!r} is aliased: singular='drop' dropped its "
                        "column as a linear combination of the others, so it was not "
                        "estimated and has no likelihood of its own. Fix: ask about the "
                        "estimated coefficients, or remove the aliased term and refit.")
    return int(np.count_nonzero(mask[:position]))
