"""Penalised profile-likelihood intervals of a Firth fit (``penalty="firth"``), as R's
logistf computes them.

The interval of a coefficient ``beta_j`` holds the values ``b`` with
``2 (l*(beta_hat) - max l*(beta | beta_j = b)) <= chi2_1(1 - alpha)``, where ``l*`` is the
Jeffreys-prior penalised log-likelihood and the penalty ``1/2 log|I(beta)|`` keeps the
full model's design while ``beta_j`` is held (logistf's rule; Heinze and Schemper 2002).
The constrained maxima come from :func:`mlefit.engine.firth.constrained`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..engine.firth import profile_bounds
from ..errors import DataError
from .coefficients import estimated, estimated_coef, positions
from .confidence import check_alpha

__all__ = ["conf_int"]


def conf_int(res, alpha: float = 0.05, terms=None) -> pd.DataFrame:
    """``lower``, ``upper`` of the penalised profile-likelihood intervals of ``terms``."""
    check_alpha(alpha)
    if not res._context.has_data:
        raise DataError("profile intervals refit on the fit's rows, which this result no "
                        "longer has. Fix: refit, or use method='wald'.")
    obj = res._context.objective
    mask = estimated(res)
    beta = estimated_coef(res)
    q = float(stats.chi2.ppf(1.0 - alpha, 1))
    se = res.bse.to_numpy()
    chosen = positions(res, terms)
    rows = []
    for i in chosen:
        if not mask[i]:
            rows.append((np.nan, np.nan))
            continue
        j = int(np.count_nonzero(mask[:i]))
        rows.append(profile_bounds(obj, beta, j, q, se[i]))
    out = np.array(rows, dtype=float).reshape(-1, 2)
    return pd.DataFrame({"lower": out[:, 0], "upper": out[:, 1]}, index=res.index[chosen])
