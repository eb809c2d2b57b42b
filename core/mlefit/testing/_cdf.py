"""Topic ``cdf``: the cumulative distribution function against the integrated (or summed)
density.
"""

from __future__ import annotations

import numpy as np

from ._case import Case
from ._check import Check, CheckFailure, require
from ._expectation import expect, trial_responses


def check_cdf(case: Case) -> str | None:
    """cdf against the integrated (or summed) density."""
    fam = require(case, "cdf")
    for point in case.points:
        e = expect(case, point)
        if e.at.size == 0:
            continue
        y = trial_responses(fam, point.trials) if case.columns > 1 else e.at
        got = np.asarray(fam.cdf(y, **point.rows(len(y))), dtype=float)
        ref = e.cumulative[:len(y)] if case.columns > 1 else e.cumulative
        if got.shape != ref.shape:
            raise CheckFailure(f"cdf returned shape {got.shape} for {ref.size} rows")
        err = np.abs(got - ref)
        i = int(np.nanargmax(np.where(np.isnan(err), np.inf, err)))
        if not err[i] <= 1e-7:
            raise CheckFailure(f"cdf = {got[i]:.10g} but the density accumulates "
                               f"{ref[i]:.10g} up to y={e.at[i]:.6g} at {point}. Fix: cdf must "
                               "be P(Y <= y)")
    return None


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("cdf", check_cdf),
)
