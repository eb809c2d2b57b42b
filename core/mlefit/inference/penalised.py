"""Inference from Firth fits (``penalty="firth"``) by R's logistf rules: penalised
profiles, their intervals, and the smaller model's penalised log-likelihood of a nested
likelihood-ratio test.

The interval of a coefficient ``beta_j`` holds the values ``b`` with
``2 (l*(beta_hat) - max l*(beta | beta_j = b)) <= chi2_1(1 - alpha)``, where ``l*`` is the
Jeffreys-prior penalised log-likelihood and the penalty ``1/2 log|I(beta)|`` keeps the
full model's design while ``beta_j`` is held (logistf's rule; Heinze and Schemper 2002).
The constrained maxima come from :func:`mlefit.engine.firth.constrained`.

A likelihood-ratio test between two nested Firth fits (:func:`mlefit.lrtest`) compares
the larger fit's penalised log-likelihood with the smaller model's maximum under the
*larger* model's penalty, ``max_g l(X_s g) + 1/2 log|X_l' W X_l|`` (logistf's default
``anova(..., method = "nested")``): the penalty depends on the design, so the smaller
fit's own penalised log-likelihood is not the null value (:func:`nested_llf`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..engine.firth import held, nested, penalised_loglik, profile_bounds
from ..errors import DataError
from .coefficients import estimated, estimated_coef, names, positions
from .confidence import check_alpha

__all__ = ["conf_int", "nested_llf", "profile"]


def conf_int(res, alpha: float = 0.05, terms=None) -> pd.DataFrame:
    """``lower``, ``upper`` of the penalised profile-likelihood intervals of ``terms``."""
    check_alpha(alpha)
    _needs_data(res)
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


def _needs_data(res) -> None:
    if not res._context.has_data:
        raise DataError("penalised profiles refit on the fit's rows, which this result no "
                        "longer has. Fix: refit, or use method='wald'.")


def profile(res, term, values=None, *, alpha: float = 0.01, points: int = 21) -> pd.DataFrame:
    """The penalised profile of one coefficient: ``value``, ``llf`` (the maximum of the
    penalised log-likelihood with the coefficient held at ``value``) and ``signed_root``
    (``sign(value - estimate) sqrt(2 (llf_max - llf))``), as
    :func:`mlefit.inference.profile_likelihood.profile` for an unpenalised fit; by default
    ``points`` values over the ``1 - alpha`` interval, plus the estimate."""
    _needs_data(res)
    i = positions(res, term)[0]
    mask = estimated(res)
    if not mask[i]:
        raise DataError(f"{res.index[i]} is aliased (not estimated); it has no profile.")
    obj = res._context.objective
    beta = estimated_coef(res)
    j = int(np.count_nonzero(mask[:i]))
    b = beta[j]
    if values is None:
        lo, hi = conf_int(res, alpha, [i]).to_numpy()[0]
        se = float(res.bse.iloc[i])
        z = float(stats.norm.isf(alpha / 2))
        lo = lo if np.isfinite(lo) else b - 4 * z * se
        hi = hi if np.isfinite(hi) else b + 4 * z * se
        values = np.linspace(lo, hi, points)
    grid = np.unique(np.append(np.asarray(values, dtype=float).ravel(), b))
    top = penalised_loglik(obj, beta)
    llf = {b: top}
    for side in (grid[grid < b][::-1], grid[grid > b]):    # outwards: warm starts
        start = beta
        for v in side:
            start, llf[v] = held(obj, start, j, v)
    ll = np.array([llf[v] for v in grid])
    root = np.sign(grid - b) * np.sqrt(np.maximum(2.0 * (top - ll), 0.0))
    out = pd.DataFrame({"value": grid, "llf": ll, "signed_root": root})
    out.attrs.update(term=names(res)[i], estimate=b, llf_max=top)
    return out


def nested_llf(small, large) -> float:
    """The smaller Firth fit's maximum penalised log-likelihood under the larger fit's
    penalty (module docstring); the fits are on the same rows (checked by the caller)."""
    _needs_data(small)
    _needs_data(large)
    so, lo = small._context.objective, large._context.objective
    if not np.array_equal(np.broadcast_to(so.blocks[0].offset, (so.n,)),
                          np.broadcast_to(lo.blocks[0].offset, (lo.n,))):
        raise DataError("the two Firth fits have different offsets, so the smaller one is "
                        "not the larger with coefficients held. Fix: fit both with the same "
                        "offset=.")
    pl, _ = nested(so, lo, estimated_coef(small))
    return pl
