"""Outcomes: one :class:`CheckResult` per check run, gathered in a :class:`CheckReport`.

:func:`run_guarded` runs one check and turns whatever it does (return, skip, fail, or the
family's own code raising) into a :class:`CheckResult`, timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ._check import CheckFailure, SkipCheck

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one named check."""

    name: str
    status: str
    message: str = ""
    seconds: float = 0.0


@dataclass(frozen=True)
class CheckReport:
    """Per-check outcomes for one family or link; ``str()`` gives a readable table."""

    subject: str
    results: tuple[CheckResult, ...]

    def __getitem__(self, name: str) -> CheckResult:
        """The result of the check called ``name``."""
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def _names(self, status: str) -> tuple[str, ...]:
        return tuple(r.name for r in self.results if r.status == status)

    @property
    def passed(self) -> tuple[str, ...]:
        """Names of the checks that passed, in run order."""
        return self._names(PASSED)

    @property
    def failed(self) -> tuple[str, ...]:
        """Names of the checks that failed, in run order."""
        return self._names(FAILED)

    @property
    def skipped(self) -> tuple[str, ...]:
        """Names of the checks that were skipped, in run order."""
        return self._names(SKIPPED)

    @property
    def ok(self) -> bool:
        """Whether no check failed."""
        return not self.failed

    def as_dict(self) -> dict:
        """``{"subject", "ok", "checks": [one dict per result]}`` (``--json`` prints it)."""
        return {"subject": self.subject, "ok": self.ok,
                "checks": [vars(r).copy() for r in self.results]}

    def failure_text(self) -> str:
        """One line per failed check: its name and message (the ConformanceError text)."""
        lines = [f"{self.subject} fails {len(self.failed)} conformance check(s):"]
        lines += [f"  [{r.name}] {r.message}" for r in self.results if r.status == FAILED]
        return "\n".join(lines)

    def __str__(self) -> str:
        lines = [f"mlefit conformance kit: {self.subject}"]
        for r in self.results:
            status = "FAILED" if r.status == FAILED else r.status
            lines.append(f"  {status:<8} {r.name:<22} {r.seconds:6.2f}s  {r.message}".rstrip())
        lines.append(f"{len(self.passed)} passed, {len(self.failed)} failed, "
                     f"{len(self.skipped)} skipped")
        return "\n".join(lines)


def run_guarded(name: str, function: Callable[[], str | None]) -> CheckResult:
    """Run ``function`` (a check bound to its case) under ``np.errstate(all="ignore")``."""
    start = time.perf_counter()
    try:
        with np.errstate(all="ignore"):
            note = function()
        status, message = PASSED, note or ""
    except SkipCheck as exc:
        status, message = SKIPPED, str(exc)
    except CheckFailure as exc:
        status, message = FAILED, str(exc)
    except Exception as exc:  # the family's own code raised: that is a failure too
        status, message = FAILED, (f"raised {type(exc).__name__}: {exc}. Fix: the family's "
                                   "methods must not raise for valid parameters and responses")
    return CheckResult(name, status, message, time.perf_counter() - start)
