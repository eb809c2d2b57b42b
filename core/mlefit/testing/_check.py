"""What a check is: a named function of a :class:`~mlefit.testing._case.Case` that
passes (returning an optional note), skips or fails.

A check raises :class:`SkipCheck` when the family lacks the optional capability it
exercises (:func:`require` does that for optional methods) and :class:`CheckFailure`
with a message that names the broken rule and its fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..family import Family
    from ._case import Case


class SkipCheck(Exception):
    """Raised by a check whose capability the family does not have."""


class CheckFailure(AssertionError):
    """Raised by a check that found a broken rule; the message says what to fix."""


def require(case: Case, *methods: str) -> Family:
    """The case's family, or :class:`SkipCheck` when it lacks one of the optional
    ``methods``."""
    missing = [m for m in methods if not case.family.has(m)]
    if missing:
        raise SkipCheck(f"no {' / '.join(missing)} (optional)")
    return case.family


@dataclass(frozen=True)
class Check:
    """A named check: ``function(case)`` passes, raises SkipCheck or CheckFailure."""

    name: str
    function: Callable[[Case], str | None]

    @property
    def doc(self) -> str:
        """The first line of the function's docstring: what the check verifies."""
        return (self.function.__doc__ or "").strip().splitlines()[0]
