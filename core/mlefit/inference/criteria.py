"""Information criteria of fits on the same data: the table of :func:`mlefit.compare`.

AIC, its small-sample form AICc, BIC and Akaike weights rank models that need not be
nested; they must be comparable (:mod:`mlefit.inference.comparability`) and of one kind
(all mass functions or all densities).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import ComparisonError, InferenceWarning
from .comparability import check_finite, check_same_data, labels, warn_unconverged

__all__ = ["compare"]


def _warn_supports(models, names) -> None:
    """Likelihoods of a mass function and of a density are not on one scale."""
    discrete = {bool(m.family.support.integer) for m in models}
    if len(discrete) > 1:
        kinds = [f"{label}: {'mass function' if m.family.support.integer else 'density'}"
                 for m, label in zip(models, labels(models, names), strict=True)]
        warnings.warn(
            "the models mix probability mass functions (discrete support) and densities "
            f"(continuous support) ({'; '.join(kinds)}): their log-likelihoods are on "
            "different scales, so AIC and BIC do not compare them. Fix: compare models of "
            "the same kind (all discrete or all continuous) for this response.",
            InferenceWarning, stacklevel=3)


def compare(*models, names: Sequence[str] | None = None) -> pd.DataFrame:
    """Information criteria of fits on the same data, best (lowest AIC) first.

    Columns: ``k``, ``llf``, ``AIC = -2 llf + 2k``, ``dAIC`` (AIC minus the lowest),
    ``weight`` (Akaike weight ``exp(-dAIC/2) / sum exp(-dAIC/2)``),
    ``AICc = AIC + 2k(k + 1)/(n - k - 1)`` and ``BIC = -2 llf + k log n``. The models need
    not be nested; they must use the same rows, response, weights and convention, and have
    finite log-likelihoods (an exact fit, whose AIC is -inf, is refused with a
    :class:`ComparisonError`: it has no Akaike weight to share). A
    :class:`ConvergenceWarning` names a model that did not converge, an
    :class:`InferenceWarning` a mix of mass functions and densities (not comparable).
    """
    if not models:
        raise ComparisonError("compare() needs at least one fit.")
    check_same_data(models)
    check_finite(models, "comparison by information criteria")
    warn_unconverged(models, names)
    _warn_supports(models, names)
    aic = np.array([m.aic for m in models])
    d = aic - aic.min()
    w = np.exp(-d / 2)
    table = pd.DataFrame({
        "k": [m.k for m in models], "llf": [m.llf for m in models], "AIC": aic, "dAIC": d,
        "weight": w / w.sum(), "AICc": [m.aicc for m in models],
        "BIC": [m.bic for m in models]}, index=pd.Index(labels(models, names), name="model"))
    return table.sort_values("AIC", kind="stable")
