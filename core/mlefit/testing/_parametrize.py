"""The pytest face of the kit: one test per (family, check).

:func:`parametrize_with_checks` gives the ``pytest.mark.parametrize`` mark; each
:class:`FamilyCheck` runs one named check and turns a skip into ``pytest.skip`` and a
failure into :class:`~mlefit.errors.ConformanceError`. pytest is imported only when used.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConformanceError
from ._catalogue import select_checks
from ._report import FAILED, SKIPPED
from ._runner import as_family, family_checks


@dataclass(frozen=True)
class FamilyCheck:
    """One named check as a pytest-friendly callable: raises on failure, skips on skip."""

    name: str
    seed: int = 0

    def __call__(self, family) -> None:
        report = family_checks(family, [self.name], seed=self.seed)
        result = report[self.name]
        if result.status == SKIPPED:
            import pytest

            pytest.skip(result.message)
        if result.status == FAILED:
            raise ConformanceError(report.failure_text(), report)

    def __repr__(self) -> str:
        return self.name


def parametrize_with_checks(families, checks=None, *, seed: int = 0):
    """A ``pytest.mark.parametrize`` giving one test per (family, check).

    The decorated test takes ``family`` and ``check`` and calls ``check(family)``; the
    test id is ``<family name>-<check name>``, so a failure names both.
    """
    import pytest

    fams = [as_family(f) for f in families]
    params = [pytest.param(f, FamilyCheck(c.name, seed), id=f"{f.name}-{c.name}")
              for f in fams for c in select_checks(checks)]
    return pytest.mark.parametrize(("family", "check"), params)
