"""Simulated responses of a fitted model: ``res.simulate(nsim, seed)``.

The draws themselves (and the refits that the bootstrap and the envelopes make) are
:mod:`mlefit.inference.resampling`'s.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError
from ..inference.resampling import draws, make_rng

__all__ = ["simulate"]


def simulate(res, nsim: int = 1, seed=None) -> np.ndarray:
    """Simulated responses, shape ``(n, nsim)`` (``(n, c, nsim)`` for c columns)."""
    if not isinstance(nsim, int | np.integer) or nsim < 1:
        raise DataError(f"nsim={nsim!r} must be a positive integer.")
    out = draws(res, int(nsim), make_rng(seed))
    return np.moveaxis(out, 0, -1)
