"""Topic ``expected_information``: the family's Fisher information against
``E[score score']`` of numeric scores, by quadrature or summation.
"""

from __future__ import annotations

import numpy as np

from ._case import Case, Point
from ._check import Check, CheckFailure, require
from ._dicts import complete_dict, parameter_pairs
from ._expectation import centres, expect, trial_responses
from ._numeric import numeric_scores

#: tolerance relative to ``sqrt(I_aa I_bb)``
INFO_TOL = 1e-5


def representative(case: Case, point: Point) -> np.ndarray:
    """One response inside the support at ``point`` (for methods that take ``y``)."""
    if case.columns > 1:
        return trial_responses(case.family, point.trials)[:1]
    dom = case.family.support
    c = next(iter(centres(case, point)))[0]
    c = float(np.round(c)) if dom.integer else c
    return np.array([c if dom.contains(c) else float(case.y[0])])


def check_expected_information(case: Case) -> str | None:
    """expected_information against E[score score'] of numeric scores (quadrature/sum)."""
    require(case, "expected_information")
    fam, names = case.family, case.names
    pairs = parameter_pairs(names)

    def outer(y, params):
        s = numeric_scores(fam, y, params)
        return np.column_stack([s[a] * s[b] for a, b in pairs])

    for point in case.points:
        y1 = representative(case, point)
        info = complete_dict(fam.expected_information(y1, **point.rows(1)), pairs,
                             "expected_information", 1)
        e = expect(case, point, outer)
        numeric = dict(zip(pairs, e.values / e.mass, strict=True))
        for a, b in pairs:
            tol = INFO_TOL * np.sqrt(abs(numeric[(a, a)] * numeric[(b, b)])) + 1e-12
            if not abs(info[(a, b)][0] - numeric[(a, b)]) <= tol:
                raise CheckFailure(f"expected_information[({a!r}, {b!r})] = "
                                   f"{info[(a, b)][0]:.8g} but E[score_{a} score_{b}] = "
                                   f"{numeric[(a, b)]:.8g} at {point}. Fix: the Fisher "
                                   "information -E[d2 logpdf] per row")
    return f"{len(case.points)} points"


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("expected_information", check_expected_information),
)
