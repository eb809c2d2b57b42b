"""Links: a :class:`~mlefit.links.Link` keeps its round trip, range and derivatives.

Two uses of one rule set (:func:`link_problems`): the family topic ``links`` (every allowed
link of every parameter, at the case's draws) and the link kit for a plugin's own link
(:func:`link_checks`, :func:`check_link`).
"""

from __future__ import annotations

import numpy as np

from ..errors import ConformanceError, MlefitError
from ..links import Link
from ._case import Case
from ._check import Check, CheckFailure
from ._numeric import H1, disagreement
from ._report import PASSED, SKIPPED, CheckReport, CheckResult, run_guarded


def link_problems(link: Link, theta: np.ndarray, domain=None) -> list[str]:
    """Round trip, range and derivatives of ``link`` at natural-scale values ``theta``."""
    problems = []
    theta = np.asarray(theta, dtype=float)
    eta = np.asarray(link.link(theta), dtype=float)
    if eta.shape != theta.shape:
        return [f"link returned shape {eta.shape} for {theta.shape}"]
    ok = np.isfinite(eta)
    if not ok.any():
        return []
    theta, eta = theta[ok], eta[ok]
    back = np.asarray(link.inverse(eta), dtype=float)
    if back.shape != eta.shape or not np.allclose(back, theta, rtol=1e-8, atol=1e-12):
        i = int(np.nanargmax(np.abs(back - theta))) if back.shape == eta.shape else 0
        problems.append(f"inverse(link(theta)) != theta (theta={theta[i]:.6g} gives "
                        f"{np.ravel(back)[i]:.6g})")
        return problems
    again = np.asarray(link.link(back), dtype=float)
    if not np.allclose(again, eta, rtol=1e-8, atol=1e-10):
        i = int(np.nanargmax(np.abs(again - eta)))
        problems.append(f"link(inverse(eta)) != eta at eta={eta[i]:.6g} ({again[i]:.6g})")
    if domain is not None and not domain.contains(back).all():
        problems.append(f"inverse maps into values outside the parameter domain {domain}")
    s = np.maximum(np.abs(eta), 1.0)
    h = H1 * s
    for label, f, d in (("inverse_deriv", link.inverse, link.inverse_deriv),
                        ("inverse_deriv2", link.inverse_deriv, link.inverse_deriv2)):
        analytic = np.asarray(d(eta), dtype=float)
        if analytic.shape != eta.shape:
            problems.append(f"{label} returned shape {analytic.shape} for {eta.shape}")
            continue
        numeric = (np.asarray(f(eta + h), float) - np.asarray(f(eta - h), float)) / (2 * h)
        bad = disagreement(analytic, numeric, np.asarray(f(eta), float), s)
        if bad is not None:
            problems.append(f"{label} disagrees with central differences at eta={eta[bad]:.6g}"
                            f": {analytic[bad]:.8g} vs {numeric[bad]:.8g}")
    return problems


def check_links(case: Case) -> str | None:
    """Every allowed link of every parameter: installed, round trip, derivatives."""
    problems, count = [], 0
    for p in case.family.parameters:
        for name in p.allowed_links:
            try:
                link = case.link(name)
            except MlefitError as exc:
                problems.append(f"{p.name}/{name}: {exc}")
                continue
            count += 1
            problems += [f"{p.name}/{name}: {m}" for m in
                         link_problems(link, case.params[p.name], p.domain)]
    if problems:
        raise CheckFailure("; ".join(problems) + ". Fix: the Link's inverse, inverse_deriv "
                           "and inverse_deriv2 must be h, h' and h'' of the same function")
    return f"{count} (parameter, link) pairs"


#: Where :func:`link_checks` evaluates a link unless told: inside (0, 1), where every
#: standard link is defined.
DEFAULT_LINK_THETA = np.linspace(0.05, 0.95, 19)


def link_checks(link: Link, theta=None) -> CheckReport:
    """Check a :class:`~mlefit.links.Link`: declaration, round trip, derivatives.

    ``theta``: natural-scale values where the link is defined; by default a grid in
    (0, 1), where every standard link is defined. Pass ``theta`` for a link of a parameter
    living elsewhere (e.g. ``theta=np.linspace(1.5, 10, 20)`` for a log(theta - 1) link).
    """
    theta = DEFAULT_LINK_THETA if theta is None else np.asarray(theta, dtype=float)

    def declaration():
        from ..contract import validate_link

        try:
            validate_link(link, "under test")
        except MlefitError as exc:
            raise CheckFailure(str(exc)) from None

    def behaviour():
        if not np.isfinite(np.asarray(link.link(theta), dtype=float)).any():
            raise CheckFailure(f"link is not finite at any of theta={theta}. Fix: pass theta "
                               "values where the link is defined")
        problems = link_problems(link, theta)
        if problems:
            raise CheckFailure("; ".join(problems))

    results = [run_guarded("declaration", declaration)]
    if results[0].status == PASSED:
        results.append(run_guarded("behaviour", behaviour))
    else:
        results.append(CheckResult("behaviour", SKIPPED, "the declaration check failed"))
    return CheckReport(f"link {getattr(link, 'name', link)!r}", tuple(results))


def check_link(link: Link, theta=None) -> CheckReport:
    """:func:`link_checks`, raising :class:`~mlefit.errors.ConformanceError` on failure."""
    report = link_checks(link, theta)
    if not report.ok:
        raise ConformanceError(report.failure_text(), report)
    return report


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("links", check_links),
)
