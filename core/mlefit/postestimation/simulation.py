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

__all__ = ["simulate"]


def simulate(res, nsim: int = 1, seed=None) -> np.ndarray:
    """Simulated responses, shape ``(n, nsim)`` (``(n, c, nsim)`` for c columns)."""
    if not isinstance(nsim, int | np.integer) or nsim < 1:
        raise DataError(f"nsim={nsim!r} must be a positive integer.")
    rng = make_rng(seed)
    if is_censored(res):   # drawn, then censored (and truncated) as the data were
        return np.column_stack([censored_draw(res, rng)[0] for _ in range(int(nsim))])
    out = draws(res, int(nsim), rng)
    return np.moveaxis(out, 0, -1)
