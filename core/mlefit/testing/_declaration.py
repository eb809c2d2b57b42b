"""Topic ``declaration``: the family's declaration keeps the plugin contract.

The same static rules as registration (:func:`mlefit.contract.validate_family`), plus the
optional methods that come in pairs. The runner runs this check first: when it fails,
every other check is skipped.
"""

from __future__ import annotations

from ..contract import validate_family
from ..errors import MlefitError
from ._case import Case
from ._check import Check, CheckFailure


def check_declaration(case: Case) -> str | None:
    """Names, domains, typical ranges, installed links, optional methods in pairs."""
    fam = case.family
    known = set(case.registry.links)
    try:
        validate_family(fam, "under test", known)
    except MlefitError as exc:
        raise CheckFailure(str(exc)) from None
    pairs = (("dlogpdf", "d2logpdf"), ("unit_deviance", "unit_variance"))
    for a, b in pairs:
        if fam.has(a) != fam.has(b):
            have, missing = (a, b) if fam.has(a) else (b, a)
            raise CheckFailure(f"defines {have} but not {missing}. Fix: define both or none")
    if case.columns > 1 and not fam.has("glm_response") and fam.has("unit_deviance"):
        raise CheckFailure("a multi-column response with unit_deviance needs glm_response "
                           "(ybar, trials). Fix: define glm_response(y)")
    return None


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("declaration", check_declaration),
)
