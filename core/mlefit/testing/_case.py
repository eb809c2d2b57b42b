"""The case: what the checks of one family share.

A :class:`Case` holds the family, the seed and the link registry, and derives from them
``N_DRAWS`` rows of parameters drawn uniformly on each default link's scale over the
``typical`` ranges, responses for them (from ``sample`` or from the support) and three
parameter :class:`Point` s. The helpers here put responses in ``logpdf``'s layout, test
support membership row by row and describe a row in a failure message.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..errors import MlefitError
from ..family import Family, mean_scale
from ..links import Link

#: rows of parameters and responses the per-row checks evaluate
N_DRAWS = 200
#: where each parameter point sits in its typical range (on the default link's scale)
FRACTIONS = ((0.5, 0.5), (0.15, 0.85), (0.85, 0.15))
TRIALS = (1, 7, 25)


@dataclass(frozen=True)
class Point:
    """One parameter point (natural scale) and, for a trials response, its trials."""

    params: dict
    trials: int = 1

    def rows(self, n: int) -> dict:
        return {k: np.full(n, float(v)) for k, v in self.params.items()}

    def __str__(self) -> str:
        text = ", ".join(f"{k}={v:.6g}" for k, v in self.params.items())
        return text + (f", trials={self.trials}" if self.trials > 1 else "")


@dataclass
class Case:
    """What the checks of one family share: the family, a seed and the link registry."""

    family: Family
    seed: int = 0
    registry: object = None

    def __post_init__(self):
        if self.registry is None:
            from ..registry import get_registry

            self.registry = get_registry()

    def rng(self, purpose: str) -> np.random.Generator:
        """A generator seeded by the case seed and ``purpose`` (order-independent)."""
        return np.random.default_rng([self.seed, zlib.crc32(purpose.encode())])

    @property
    def names(self) -> tuple[str, ...]:
        return self.family.parameter_names

    @property
    def columns(self) -> int:
        return int(getattr(self.family, "response_columns", 1))

    def link(self, name: str) -> Link:
        """The link called ``name``; ``"power"`` (every power link allowed) is checked as
        ``power(1/3)``."""
        return self.registry.link("power(0.333333)" if name == "power" else name)

    def default_link(self, p) -> Link | None:
        try:
            return self.link(p.default_link)
        except MlefitError:
            return None

    def between(self, p, fraction):
        """Value(s) at ``fraction`` of ``p``'s typical range, on its default link scale."""
        lo, hi = p.typical_range
        link = self.default_link(p)
        a, b = (float(link.link(lo)), float(link.link(hi))) if link else (np.nan, np.nan)
        if np.isfinite(a) and np.isfinite(b):
            theta = np.asarray(link.inverse(a + np.asarray(fraction) * (b - a)), dtype=float)
        else:
            theta = lo + np.asarray(fraction, dtype=float) * (hi - lo)
        theta = np.clip(theta, lo, hi)
        return np.round(theta) if p.domain.integer else theta

    @cached_property
    def params(self) -> dict:
        """``N_DRAWS`` rows of parameter values, uniform on each default link's scale."""
        rng = self.rng("params")
        return {p.name: self.between(p, rng.uniform(size=N_DRAWS))
                for p in self.family.parameters}

    @cached_property
    def _responses(self) -> tuple[np.ndarray, str]:
        if self.family.has("sample"):
            try:
                y = prepared(self.family, self.family.sample(self.rng("y"), N_DRAWS,
                                                             **self.params))
                if y.shape == self.shape(N_DRAWS) and inside(self.family, y).all():
                    return y, "sample()"
            except Exception:  # the sample check reports it
                pass
        y = support_draws(self.family.support, self.rng("y"), N_DRAWS, self.columns)
        return y, "the support's typical range"

    @property
    def y(self) -> np.ndarray:
        """Responses for :attr:`params`: from ``sample`` if it works, else the support."""
        return self._responses[0]

    @property
    def y_source(self) -> str:
        return self._responses[1]

    def shape(self, n: int) -> tuple[int, ...]:
        return (n,) if self.columns == 1 else (n, self.columns)

    @cached_property
    def points(self) -> tuple[Point, ...]:
        """Three parameter points: the middle of every range, then two mixed corners."""
        out = []
        for i, (even, odd) in enumerate(FRACTIONS):
            params = {p.name: float(self.between(p, even if j % 2 == 0 else odd))
                      for j, p in enumerate(self.family.parameters)}
            out.append(Point(params, TRIALS[i] if self.columns > 1 else 1))
        return tuple(out)

    def logpdf(self, y, params) -> np.ndarray:
        return np.asarray(self.family.logpdf(y, **params), dtype=float)


def prepared(family: Family, y) -> np.ndarray:
    """``y`` as logpdf takes it (through ``prepare_response`` when the shape needs it)."""
    y = np.asarray(y, dtype=float)
    columns = getattr(family, "response_columns", 1)
    shape_ok = y.ndim == 1 if columns == 1 else (y.ndim == 2 and y.shape[1] == columns)
    if not shape_ok and family.has("prepare_response"):
        y = np.asarray(family.prepare_response(y), dtype=float)
    return y


def inside(family: Family, y) -> np.ndarray:
    """Row-wise membership of a (possibly multi-column) response in the support."""
    got = family.support.contains(y)
    return got.all(axis=1) if got.ndim == 2 else got


def support_draws(domain, rng, n: int, columns: int = 1) -> np.ndarray:
    """Draws from a domain's typical range (integers for an integer domain)."""
    size = (n,) if columns == 1 else (n, columns)
    if domain.integer:
        low = np.ceil(domain.lower) if np.isfinite(domain.lower) else -5.0
        if not domain.closed_lower and low == domain.lower:
            low += 1
        high = low + 10 if not np.isfinite(domain.upper) else np.floor(domain.upper)
        if not domain.closed_upper and high == domain.upper:
            high -= 1
        return rng.integers(int(low), int(high) + 1, size=size).astype(float)
    lo, hi = domain.typical
    return rng.uniform(lo, hi, size=size)


def mean_scale_or_none(family: Family, y: np.ndarray):
    """``(ybar, trials)`` of a response, trials one per row (for a multi-column one:
    :func:`mlefit.family.mean_scale`); ``None`` for a multi-column
    one without ``glm_response``."""
    if y.ndim == 1:
        return y, np.ones(y.shape[0])
    if not family.has("glm_response"):
        return None
    ybar, m = mean_scale(family, y)
    return ybar, np.broadcast_to(m, (len(y),))


def describe_row(case: Case, i: int, y=None, params=None) -> str:
    """Row ``i`` of the responses and parameters (the case's unless given), for a message."""
    y = case.y if y is None else y
    params = case.params if params is None else params
    yi = np.asarray(y)[i]
    ytext = f"{yi:.6g}" if np.ndim(yi) == 0 else "(" + ", ".join(f"{v:.6g}" for v in yi) + ")"
    return f"y={ytext}, " + ", ".join(f"{k}={float(v[i]):.6g}" for k, v in params.items())
