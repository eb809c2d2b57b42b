"""Topic ``reductions``: ``logpdf`` at each declared reduction value is finite and, when
the reduced family is installed, equal to that family's.
"""

from __future__ import annotations

import numpy as np

from ..errors import MlefitError
from ._case import N_DRAWS, Case, describe_row
from ._check import Check, CheckFailure, SkipCheck


def check_reductions(case: Case) -> str | None:
    """logpdf at each declared reduction value: finite, and equal to the reduced family."""
    fam = case.family
    if not fam.reductions:
        raise SkipCheck("no reductions declared (optional)")
    notes = []
    for red in fam.reductions:
        params = {**case.params, red.parameter: np.full(N_DRAWS, float(red.value))}
        values = case.logpdf(case.y, params)
        if not np.isfinite(values).all():
            i = int(np.flatnonzero(~np.isfinite(values))[0])
            raise CheckFailure(f"logpdf is {values[i]} at the reduction {red.parameter}="
                               f"{red.value} ({describe_row(case, i, params=params)}). Fix: "
                               "logpdf must handle the reduction value (the core evaluates it)")
        notes.append(_compare_reduced(case, red, params, values))
    return "; ".join(notes)


def _compare_reduced(case: Case, red, params: dict, values: np.ndarray) -> str:
    try:
        other = case.registry.family(red.family)
    except MlefitError:
        other = None
    rest = {k: v for k, v in params.items() if k != red.parameter}
    if other is None or set(other.parameter_names) != set(rest):
        return f"{red.family}: not compared (not installed, or other parameters)"
    ref = np.asarray(other.logpdf(case.y, **rest), dtype=float)
    if not np.allclose(values, ref, rtol=1e-8, atol=1e-10):
        i = int(np.argmax(np.abs(values - ref)))
        raise CheckFailure(f"at {red.parameter}={red.value} logpdf = {values[i]:.10g} but "
                           f"{red.family!r} gives {ref[i]:.10g} ({describe_row(case, i)}). "
                           "Fix: the Reduction declaration or the logpdf at that value")
    return f"{red.family}: equal"


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("reductions", check_reductions),
)
