"""Confidence levels: the ``alpha`` of a ``1 - alpha`` interval and its critical value.

Shared by every interval: Wald intervals of the coefficients, profile-likelihood
intervals and prediction intervals. The critical value is the two-sided quantile of the
Wald tests' distribution: normal, or Student's t on the residual degrees of freedom for a
fit that reports t tests.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from ..errors import DataError

__all__ = ["check_alpha", "quantile"]


def check_alpha(alpha) -> float:
    """``alpha`` of a ``1 - alpha`` interval, refused unless it lies in (0, 1)."""
    try:
        value = float(alpha)
    except (TypeError, ValueError):
        value = np.nan
    if not 0 < value < 1:
        raise DataError(f"alpha={alpha!r} must lie in (0, 1): the interval covers 1 - alpha. "
                        "Fix: pass e.g. alpha=0.05 for a 95% interval.")
    return value


def quantile(res, alpha) -> float:
    """The two-sided ``1 - alpha`` quantile of the Wald tests (normal, or t on df_resid)."""
    dist = stats.t(res.df_resid) if res.t_tests else stats.norm
    return float(dist.ppf(1 - check_alpha(alpha) / 2))
