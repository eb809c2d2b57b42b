"""Simulated responses of a fitted model: ``res.simulate(nsim, seed)``.

The draws themselves (and the refits that the bootstrap and the envelopes make) are
:mod:`mlefit.inference.resampling`'s; a fit to censored or truncated data is simulated
and then censored as its data were (:mod:`mlefit.inference.censored_draws`).
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..inference.censored_draws import censored_draw, is_censored
from ..inference.resampling import draws, make_rng

__all__ = ["KINDS", "simulate"]


#: the censoring kinds of ``simulate(return_censoring=True)``, by the engine's codes
KINDS = np.array(["exact", "right", "left", "interval"])


def simulate(res, nsim: int = 1, seed=None, return_censoring: bool = False):
    """Simulated responses, shape ``(n, nsim)`` (``(n, c, nsim)`` for c columns).

    ``return_censoring=True``: ``(values, kinds)``, ``kinds`` an ``(n, nsim)`` array of
    ``"exact"``, ``"right"`` or ``"left"`` saying how each value is observed (the event
    indicator is ``kinds == "exact"``); every value of an uncensored fit is exact."""
    if not isinstance(nsim, int | np.integer) or nsim < 1:
        raise DataError(f"nsim={nsim!r} must be a positive integer.")
    if not isinstance(return_censoring, bool | np.bool_):
        raise DataError(f"return_censoring={return_censoring!r} must be True or False.")
    rng = make_rng(seed)
    if is_censored(res):   # drawn, then censored (and truncated) as the data were
        pairs = [censored_draw(res, rng) for _ in range(int(nsim))]
        values = np.column_stack([y for y, _ in pairs])
        if return_censoring:
            return values, KINDS[np.column_stack([r.kinds for _, r in pairs])]
        return values
    out = draws(res, int(nsim), rng)
    if return_censoring:
        values = np.moveaxis(out, 0, -1)
        if values.ndim != 2:
            raise DataError("return_censoring=True is for a response of one column.")
        return values, np.full(values.shape, "exact", dtype=KINDS.dtype)
    return np.moveaxis(out, 0, -1)
