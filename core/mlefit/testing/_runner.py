"""The family runner: run the catalogue's checks on one family and report.

:func:`family_checks` returns a :class:`~mlefit.testing.CheckReport` and never raises for
a broken family; :func:`check_family` raises one
:class:`~mlefit.errors.ConformanceError` listing every failure. The ``declaration`` check
runs first and gates the others.
"""

from __future__ import annotations

import numpy as np

from ..errors import ConformanceError
from ..family import Family, FamilyInfo
from ._case import Case
from ._catalogue import select_checks
from ._declaration import check_declaration
from ._report import FAILED, SKIPPED, CheckReport, CheckResult, run_guarded


def as_family(family) -> Family:
    """The family behind an instance, an entry of ``mlefit.families()`` or a name."""
    if isinstance(family, FamilyInfo):
        return family.family
    if isinstance(family, str):
        from ..registry import get_registry

        return get_registry().family(family)
    return family


def bound_example(family, seed: int = 0):
    """An unbound family (one that defines ``bind``: parameters that depend on the data)
    bound to its own ``example_response``; any other family as given."""
    if not (isinstance(family, Family) and family.has("bind")):
        return family
    example = family.example_response(np.random.default_rng(seed), 500)
    return family.bind(family.summarize_response(example))


def family_checks(family, checks=None, *, seed: int = 0, registry=None) -> CheckReport:
    """Run the conformance checks on ``family``; return the report without raising.

    Parameters
    ----------
    family : Family, FamilyInfo or str
        The family (an instance, an entry of ``mlefit.families()`` or a registered name).
    checks : str or list of str, optional
        Names from :data:`CHECK_NAMES`; all by default.
    seed : int
        Seed of every draw (each check seeds its own generator from it and its purpose).
    registry : Registry, optional
        Where link names are looked up; the process-wide registry by default.
    """
    fam = bound_example(as_family(family), seed)
    case = Case(fam, seed, registry)
    if not isinstance(fam, Family):
        result = CheckResult("declaration", FAILED, f"{fam!r} is not an mlefit.Family instance")
        return CheckReport(f"family {fam!r}", (result,))
    # the declaration gates every other check (a family that breaks it cannot be exercised)
    declared = run_guarded("declaration", lambda: check_declaration(case))
    results = []
    for check in select_checks(checks):
        if check.name == "declaration":
            results.append(declared)
        elif declared.status == FAILED:
            results.append(CheckResult(check.name, SKIPPED, "the declaration check failed"))
        else:
            results.append(run_guarded(check.name, lambda c=check: c.function(case)))
    return CheckReport(f"family {getattr(fam, 'name', '?')!r} ({type(fam).__name__})",
                       tuple(results))


def check_family(family, checks=None, *, seed: int = 0, registry=None) -> CheckReport:
    """Run the checks; raise one :class:`~mlefit.errors.ConformanceError` listing every
    failed check (name, rule, fix). Returns the report when nothing failed."""
    report = family_checks(family, checks, seed=seed, registry=registry)
    if not report.ok:
        raise ConformanceError(report.failure_text(), report)
    return report
