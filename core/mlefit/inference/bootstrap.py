"""The parametric bootstrap of a likelihood-ratio test.

Responses are drawn from the smaller fitted model; both models are refitted on each
(warm-started at their estimates); the p-value is ``(1 + #{T* >= T}) / (B + 1)`` over the
``B`` refits that converged, ``T = 2 (llf1 - llf0)`` with maximum-likelihood
log-likelihoods. It needs no regularity: this is the answer for the non-regular tests
(boundary parameters with covariates) that :func:`mlefit.lrtest` refuses asymptotically.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ._progress import progress_bar
from .censored_draws import censored_draw, is_censored
from .resampling import draws, make_rng, refit

__all__ = ["MANY_REFITS", "Bootstrap", "bootstrap_lrt"]

#: the bootstrap shows a progress bar (if tqdm is installed) from this many refits on
MANY_REFITS = 50


@dataclass(frozen=True)
class Bootstrap:
    """Bootstrap distribution of the LR statistic under the smaller model."""

    statistic: float
    replicates: np.ndarray     # T* of the refits that converged
    failed: int                # refits that did not converge (left out)
    pvalue: float

    @property
    def B(self) -> int:
        """The number of replicates asked for (converged and failed)."""
        return int(self.replicates.size + self.failed)

    def describe(self) -> str:
        """The bootstrap p-value and its replicates, in one line."""
        return (f"parametric bootstrap: p = {self.pvalue:.4g} from {self.replicates.size} "
                f"replicates ({self.failed} failed refits left out)")


def bootstrap_lrt(m0, m1, B: int, seed=None, progress: bool | None = None) -> Bootstrap:
    """Parametric-bootstrap distribution of ``2 (llf1 - llf0)`` under ``m0``."""
    if not isinstance(B, int | np.integer) or B < 1:
        raise DataError(f"bootstrap={B!r} must be a positive number of replicates.")
    if m0._context.options.penalty is not None:
        raise DataError("the parametric bootstrap of a likelihood-ratio test between Firth "
                        "fits (penalty='firth') is not implemented. Fix: use the asymptotic "
                        "test, mlefit.lrtest(m0, m1), or the penalised profile intervals.")
    rng = make_rng(seed)
    observed = 2.0 * (m1.llf_ml - m0.llf_ml)
    values, failed = [], 0
    for _ in progress_bar(range(int(B)), int(B), progress, threshold=MANY_REFITS,
                          desc="bootstrap refits"):
        if is_censored(m0):
            y, censoring = censored_draw(m0, rng)
        else:
            y, censoring = draws(m0, 1, rng)[0], None
        small, large = refit(m0, y, censoring), refit(m1, y, censoring)
        if small.converged and large.converged and np.isfinite(small.llf) and \
                np.isfinite(large.llf):
            values.append(2.0 * (large.llf - small.llf))
        else:
            failed += 1
    reps = np.asarray(values)
    pvalue = (1.0 + np.sum(reps >= observed)) / (reps.size + 1.0)
    return Bootstrap(float(observed), reps, failed, float(pvalue))
