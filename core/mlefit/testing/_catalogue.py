"""The catalogue: every topic's checks, collected in the order they run.

A *topic* is a private module of this package that defines ``TOPIC_CHECKS``, a tuple of
:class:`~mlefit.testing.Check`; :data:`TOPICS` lists the topic modules in run order and
:data:`CHECKS` is their checks, concatenated. Check names are unique across topics.
"""

from __future__ import annotations

from . import (
    _cdf,
    _declaration,
    _density,
    _derivatives,
    _fit_inputs,
    _glm,
    _information,
    _links,
    _moments,
    _recovery,
    _reductions,
    _registry,
    _sampling,
    _tails,
)
from ._check import Check

#: The topic modules, in the order their checks run (``declaration`` first: it gates the
#: rest; ``recovery`` late: it is the slowest).
TOPICS = (
    _declaration,
    _links,
    _density,
    _derivatives,
    _information,
    _moments,
    _cdf,
    _tails,
    _sampling,
    _glm,
    _fit_inputs,
    _reductions,
    _recovery,
    _registry,
)

#: The conformance checks, in the order they run.
CHECKS: tuple[Check, ...] = tuple(check for topic in TOPICS for check in topic.TOPIC_CHECKS)
#: Their names, as ``family_checks(..., checks=...)`` and ``mlefit families check --check``
#: take them.
CHECK_NAMES = tuple(c.name for c in CHECKS)
if len(set(CHECK_NAMES)) != len(CHECK_NAMES):  # pragma: no cover - a topic author's slip
    raise RuntimeError(f"two conformance checks share a name: {CHECK_NAMES}")


def select_checks(checks) -> tuple[Check, ...]:
    """The checks named by ``checks`` (a name or names; None for all), in run order."""
    if checks is None:
        return CHECKS
    names = [checks] if isinstance(checks, str) else list(checks)
    unknown = [n for n in names if n not in CHECK_NAMES]
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; the checks are {list(CHECK_NAMES)}")
    return tuple(c for c in CHECKS if c.name in names)
