"""Domains: the support of a response and the range of a distribution parameter.

A domain is an interval of the real line, optionally restricted to the integers. It
answers membership (vectorised), proposes a default link, a typical range for tests and
a way to tell whether fitted values sit numerically on its boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ClosedUnitInterval", "Domain", "NonNegative", "NonNegativeIntegers", "Positive",
           "PositiveIntegers", "Real", "UnitInterval"]

_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class Domain:
    """An interval ``(lower, upper)``; ends are open unless ``closed_*`` says otherwise."""

    lower: float = -np.inf
    upper: float = np.inf
    closed_lower: bool = False
    closed_upper: bool = False
    integer: bool = False

    def contains(self, x) -> np.ndarray:
        """Elementwise membership; NaN is never a member."""
        x = np.asarray(x, dtype=float)
        if np.isinf(self.lower) and np.isinf(self.upper) and not self.integer:
            return np.isfinite(x)
        low = x >= self.lower if self.closed_lower else x > self.lower
        high = x <= self.upper if self.closed_upper else x < self.upper
        inside = low & high
        if self.integer:
            inside &= np.floor(x) == x
        return inside

    @property
    def default_link(self) -> str:
        """identity on the real line, log on (0, inf), logit on (0, 1)."""
        if self.lower == 0 and self.upper == 1:
            return "logit"
        if self.lower == 0 and np.isinf(self.upper):
            return "log"
        return "identity"

    @property
    def standard_links(self) -> tuple[str, ...]:
        """Links a parameter on this domain allows unless its family says otherwise."""
        if self.lower == 0 and self.upper == 1:
            return ("logit", "probit", "cloglog", "cauchit", "log")
        if self.lower == 0 and np.isinf(self.upper):
            return ("log", "identity", "inverse", "sqrt")
        return ("identity",)

    @property
    def typical(self) -> tuple[float, float]:
        """A default range of ordinary values, used by tests and generic start values."""
        low = self.lower if np.isfinite(self.lower) else None
        high = self.upper if np.isfinite(self.upper) else None
        if low is not None and high is not None:
            width = high - low
            return (low + 0.1 * width, high - 0.1 * width)
        if low is not None:
            return (low + 0.5, low + 3.0)
        if high is not None:
            return (high - 3.0, high - 0.5)
        return (-2.0, 2.0)

    def near_boundary(self, x) -> np.ndarray:
        """Rows numerically on a finite end (R's rule: within 10 machine epsilons)."""
        x = np.asarray(x, dtype=float)
        near = np.zeros(x.shape, dtype=bool)
        for end in (self.lower, self.upper):
            if np.isfinite(end):
                near |= np.abs(x - end) <= 10 * _EPS * max(1.0, abs(end))
        return near

    def __str__(self) -> str:
        name = type(self).__name__
        if name != "Domain":
            return name
        left = "[" if self.closed_lower else "("
        right = "]" if self.closed_upper else ")"
        kind = " integers" if self.integer else ""
        return f"{left}{self.lower:g}, {self.upper:g}{right}{kind}"


@dataclass(frozen=True)
class Real(Domain):
    """The whole real line."""


@dataclass(frozen=True)
class Positive(Domain):
    """(0, inf)."""

    lower: float = 0.0


@dataclass(frozen=True)
class NonNegative(Domain):
    """[0, inf)."""

    lower: float = 0.0
    closed_lower: bool = True


@dataclass(frozen=True)
class UnitInterval(Domain):
    """(0, 1), for probabilities and proportions."""

    lower: float = 0.0
    upper: float = 1.0


@dataclass(frozen=True)
class ClosedUnitInterval(Domain):
    """[0, 1]."""

    lower: float = 0.0
    upper: float = 1.0
    closed_lower: bool = True
    closed_upper: bool = True


@dataclass(frozen=True)
class NonNegativeIntegers(Domain):
    """{0, 1, 2, ...}, for counts."""

    lower: float = 0.0
    closed_lower: bool = True
    integer: bool = True


@dataclass(frozen=True)
class PositiveIntegers(Domain):
    """{1, 2, 3, ...}."""

    lower: float = 1.0
    closed_lower: bool = True
    integer: bool = True
