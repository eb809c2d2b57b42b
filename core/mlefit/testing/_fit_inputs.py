"""Topic: the methods ``fit`` calls on the data before optimising, ``start`` (start
values inside the domains) and ``prepare_response`` (idempotent).
"""

from __future__ import annotations

import numpy as np

from ._case import N_DRAWS, Case
from ._check import Check, CheckFailure, require


def check_start(case: Case) -> str | None:
    """start(y, weights): finite values inside each parameter's domain."""
    fam = require(case, "start")
    got = fam.start(case.y, np.ones(N_DRAWS))
    if not isinstance(got, dict):
        raise CheckFailure(f"start returned {type(got).__name__}, not a dict")
    for name, value in got.items():
        if name not in case.names:
            raise CheckFailure(f"start names {name!r}, not a parameter {list(case.names)}")
        value = float(value)
        if not (np.isfinite(value) and fam.parameter(name).domain.contains(value)):
            raise CheckFailure(f"start gives {name}={value!r}, outside the domain "
                               f"{fam.parameter(name).domain}")
    return None


def check_prepare_response(case: Case) -> str | None:
    """prepare_response keeps an already prepared response as it is."""
    require(case, "prepare_response")
    got = np.asarray(case.family.prepare_response(case.y.copy()), dtype=float)
    if got.shape != case.y.shape or not np.array_equal(got, case.y):
        raise CheckFailure(f"prepare_response changed a response already in logpdf's layout "
                           f"(shape {case.y.shape} -> {got.shape}). Fix: leave such input as it "
                           "is (fit applies prepare_response to the left-hand side columns)")
    return None


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("start", check_start),
    Check("prepare_response", check_prepare_response),
)
