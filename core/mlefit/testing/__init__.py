"""The conformance kit: named checks that a family (or a link) keeps the plugin contract.

>>> from mlefit.testing import check_family, family_checks
>>> report = family_checks(MyFamily())          # doctest: +SKIP
>>> print(report)                               # doctest: +SKIP
>>> check_family(MyFamily())                    # doctest: +SKIP

``print(report)`` shows passed / failed / skipped per check; ``check_family`` raises one
:class:`~mlefit.errors.ConformanceError` listing every failure.

In a test suite, one pytest test per (family, check)::

    from mlefit.testing import parametrize_with_checks

    @parametrize_with_checks([MyFamily()])
    def test_conformance(family, check):
        check(family)

Every check is a small function of a :class:`Case` (the family, seeded draws from each
parameter's ``typical`` range and responses from ``sample`` or from the support), listed
in :data:`CHECKS`. A check of an optional capability the family lacks is *skipped*, not
failed. Numbers the checks compare, and why each tolerance is what it is:

- Derivatives are compared with central differences of the next-lower quantity, step
  ``h = eps^(1/3) s`` with ``s = max(|theta|, width/10)``. Its rounding error is about
  ``eps |f| / h = 4e-11 |f| / s`` and its truncation error ``h^2 |f'''| / 6`` is of the
  same order, so ``|analytic - numeric| <= 1e-6 |numeric| + 1e-7 (1 + |f|) / s`` leaves a
  margin of more than a thousand while a wrong formula (off by a factor, a sign, a term)
  is off by far more than ``1e-6``.
- The density must integrate (:func:`integrate_pieces`: adaptive Gauss-Legendre over the
  support split at the family's centre and scale, tolerance 1e-10; the tests check it
  against closed forms and ``scipy.integrate.quad``) or sum (until the tail mass is below 1e-14)
  to 1 within ``1e-6``; the expected information must equal the variance of the numeric
  score within ``1e-5 sqrt(I_aa I_bb)``.
- Sample moments use 20,000 seeded draws per parameter point and must lie within 5
  standard errors (central limit theorem; two-sided chance 6e-7 for a correct family).
- Simulate-fit-recover fits an intercept-only model to 2,000 draws at the middle of the
  typical ranges (standard errors from the expected information when the family has it);
  every coefficient must be within 4 standard errors of the truth.
"""

from __future__ import annotations

import time
import types
import warnings
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ..contract import validate_family
from ..errors import ConformanceError, ConvergenceWarning, HessianWarning, MlefitError
from ..family import Family, FamilyInfo
from ..hookspecs import hookimpl
from ..links import BUILTIN_LINKS, Link

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
EPS = np.finfo(float).eps
H1 = EPS ** (1 / 3)
#: relative and absolute-factor tolerance of analytic against numeric derivatives
RTOL, ATOL = 1e-6, 1e-7
NORM_TOL = 1e-6
INFO_TOL = 1e-5
Z_MAX = 5.0
RECOVERY_SE = 4.0
N_DRAWS, N_SAMPLE, N_RECOVERY = 200, 20_000, 2_000
#: where each parameter point sits in its typical range (on the default link's scale)
FRACTIONS = ((0.5, 0.5), (0.15, 0.85), (0.85, 0.15))
TRIALS = (1, 7, 25)


class SkipCheck(Exception):
    """Raised by a check whose capability the family does not have."""


class CheckFailure(AssertionError):
    """Raised by a check that found a broken rule; the message says what to fix."""


# reports ---------------------------------------------------------------------------------
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
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def _names(self, status: str) -> tuple[str, ...]:
        return tuple(r.name for r in self.results if r.status == status)

    @property
    def passed(self) -> tuple[str, ...]:
        return self._names(PASSED)

    @property
    def failed(self) -> tuple[str, ...]:
        return self._names(FAILED)

    @property
    def skipped(self) -> tuple[str, ...]:
        return self._names(SKIPPED)

    @property
    def ok(self) -> bool:
        return not self.failed

    def as_dict(self) -> dict:
        return {"subject": self.subject, "ok": self.ok,
                "checks": [vars(r).copy() for r in self.results]}

    def failure_text(self) -> str:
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


def _run(name: str, function: Callable[[], str | None]) -> CheckResult:
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


# the case: a family, seeded draws, parameter points ----------------------------------------
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
        return self.registry.link(name)

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


def mean_scale(family: Family, y: np.ndarray):
    """``(ybar, trials)`` of a response; ``None`` for a multi-column one without
    ``glm_response``."""
    if y.ndim == 1:
        return y, np.ones(y.shape[0])
    if not family.has("glm_response"):
        return None
    ybar, m = family.glm_response(y)
    return np.asarray(ybar, dtype=float), np.broadcast_to(np.asarray(m, dtype=float), (len(y),))


# numeric derivatives ----------------------------------------------------------------------
def steps(family: Family, params: dict) -> tuple[dict, dict]:
    """Central-difference steps ``eps^(1/3) s`` per parameter and row, and the scales ``s``;
    a step never takes a parameter within a quarter of its distance to the domain's end."""
    h, scale = {}, {}
    for p in family.parameters:
        theta = np.asarray(params[p.name], dtype=float)
        lo, hi = p.typical_range
        s = np.maximum(np.abs(theta), 0.1 * (hi - lo))
        room = np.minimum(theta - p.domain.lower, p.domain.upper - theta)
        h[p.name] = np.minimum(H1 * s, 0.25 * room)
        scale[p.name] = h[p.name] / H1
    return h, scale


def central(fn: Callable, y, params: dict, h: dict, names) -> list[dict]:
    """``[{b: (fn_b(theta + h_a) - fn_b(theta - h_a)) / 2h_a} for a in names]`` with one
    stacked call of ``fn(y, **params) -> {b: (n,)}``."""
    n = len(y)
    k = len(names)
    ys = np.concatenate([y] * (2 * k))
    stacked = {}
    for name, value in params.items():
        parts = []
        for a in names:
            for sign in (1.0, -1.0):
                parts.append(value + sign * h[a] if name == a else value)
        stacked[name] = np.concatenate(parts)
    values = fn(ys, **stacked)
    out = []
    for i, a in enumerate(names):
        plus, minus = slice(2 * i * n, (2 * i + 1) * n), slice((2 * i + 1) * n, (2 * i + 2) * n)
        out.append({b: (np.asarray(v)[plus] - np.asarray(v)[minus]) / (2 * h[a])
                    for b, v in values.items()})
    return out


def numeric_scores(family: Family, y, params: dict) -> dict:
    """``{a: d logpdf / d a}`` by central differences on the natural scale."""
    h, _ = steps(family, params)
    names = family.parameter_names
    diffs = central(lambda yy, **p: {"f": family.logpdf(yy, **p)}, y, params, h, names)
    return {a: d["f"] for a, d in zip(names, diffs, strict=True)}


def disagreement(analytic, numeric, fvalue, scale, rtol=RTOL, atol=ATOL):
    """Index of the worst row breaking ``|a - n| <= rtol |n| + atol (1 + |f|) / s``, or
    None when every row keeps it."""
    analytic = np.broadcast_to(np.asarray(analytic, dtype=float), np.shape(numeric))
    bound = rtol * np.abs(numeric) + atol * (1.0 + np.abs(fvalue)) / scale
    excess = np.abs(analytic - numeric) - bound
    excess = np.where(np.isnan(excess), np.inf, excess)
    worst = int(np.argmax(excess))
    return worst if excess[worst] > 0 else None


def describe_row(case: Case, i: int, y=None, params=None) -> str:
    y = case.y if y is None else y
    params = case.params if params is None else params
    yi = np.asarray(y)[i]
    ytext = f"{yi:.6g}" if np.ndim(yi) == 0 else "(" + ", ".join(f"{v:.6g}" for v in yi) + ")"
    return f"y={ytext}, " + ", ".join(f"{k}={float(v[i]):.6g}" for k, v in params.items())


# expectations over the response: summation or quadrature ------------------------------------
@dataclass(frozen=True)
class Expectation:
    """``E[func(y)]`` at one point; ``mass`` is the total probability; ``at``/``cdf`` give
    the cumulative probability at some responses (for the cdf check)."""

    mass: float
    values: np.ndarray
    at: np.ndarray
    cumulative: np.ndarray


def trial_responses(family: Family, m: int) -> np.ndarray:
    """Every response with ``m`` trials, in the family's column layout."""
    k = np.arange(m + 1, dtype=float)
    for y in (np.column_stack([k, m - k]), np.column_stack([k, np.full_like(k, m)])):
        if not inside(family, y).all():
            continue
        ybar, trials = family.glm_response(y)
        if np.allclose(trials, m) and np.allclose(ybar, k / m):
            return y
    raise SkipCheck("the kit enumerates a multi-column response as (successes, failures) or "
                    "(successes, trials) through glm_response; this family's layout is neither")


def discrete_grid(case: Case, point: Point) -> np.ndarray:
    """Support points from the lower end until the tail mass is below 1e-14."""
    domain = case.family.support
    if not np.isfinite(domain.lower):
        raise SkipCheck("an integer support without a lower end cannot be enumerated")
    low = np.ceil(domain.lower) + (0 if domain.closed_lower or
                                   np.ceil(domain.lower) != domain.lower else 1)
    size = 256
    while True:
        high = low + size - 1
        if np.isfinite(domain.upper):
            top = np.floor(domain.upper) - (0 if domain.closed_upper else 1)
            if top <= high:
                return np.arange(low, top + 1)
        grid = np.arange(low, high + 1)
        pmf = np.exp(case.logpdf(grid, point.rows(grid.size)))
        if pmf[size // 2:].sum() <= 1e-14 and np.isfinite(pmf).all():
            return grid
        if size >= 2 ** 22:
            raise CheckFailure(f"the probability mass at {point} does not vanish before "
                               f"y={high:g} (tail mass {pmf[size // 2:].sum():.3g}). Fix: "
                               "logpdf must be a normalised log probability mass")
        size *= 2


def expect(case: Case, point: Point, func=None) -> Expectation:
    """Total mass and ``E[func(y, params)]`` at ``point`` (func gives ``(len(y), q)``)."""
    fam = case.family
    if case.columns > 1:
        if not (fam.has("glm_response") and fam.support.integer):
            raise SkipCheck("the kit can only enumerate a multi-column response of counts "
                            "with glm_response (binomial style)")
        return _expect_grid(case, point, trial_responses(fam, point.trials), func)
    if fam.support.integer:
        return _expect_grid(case, point, discrete_grid(case, point), func)
    return _expect_line(case, point, func)


def _expect_grid(case, point, grid, func):
    params = point.rows(len(grid))
    pmf = np.exp(case.logpdf(grid, params))
    if np.isnan(pmf).any():
        raise CheckFailure(f"logpdf is NaN at {point} for a response inside the support. "
                           "Fix: return a finite value or -inf, never NaN")
    values = np.zeros(0)
    if func is not None:
        f = np.asarray(func(grid, params), dtype=float)
        values = pmf @ np.where(pmf[:, None] > 0, f, 0.0)
    at = grid if grid.ndim == 1 else grid[:, 0]
    return Expectation(float(pmf.sum()), values, at, np.cumsum(pmf))


def centres(case: Case, point: Point) -> list[tuple[float, float]]:
    """(centre, scale) guesses of the distribution at ``point``, from every source it has."""
    fam, out = case.family, []
    if fam.has("mean") and fam.has("variance"):
        params = point.rows(1)
        c = float(np.asarray(fam.mean(**params)).reshape(-1)[0])
        s = float(np.sqrt(np.asarray(fam.variance(**params)).reshape(-1)[0]))
        if np.isfinite(c) and np.isfinite(s) and s > 0:
            out.append((c, s))
    if fam.has("sample"):
        try:
            draws = np.asarray(fam.sample(case.rng("centre"), 4000, **point.rows(4000)), float)
            q1, q2, q3 = np.quantile(draws, [0.25, 0.5, 0.75])
            if np.isfinite(q2) and q3 > q1:
                out.append((float(q2), float(q3 - q1) / 1.349))
        except Exception:  # the sample check reports it
            pass
    lo, hi = fam.support.typical
    out.append((0.5 * (lo + hi), 0.25 * (hi - lo)))
    return out


def _edges(case: Case, point: Point) -> tuple[np.ndarray, float]:
    """Breakpoints over the support at every centre +- (0, 1, 3, 8, 30) scales, and the
    first scale (for the tails)."""
    dom = case.family.support
    guesses = centres(case, point)
    inner = [c + s * k for c, s in guesses
             for k in (-30.0, -8.0, -3.0, -1.0, 0.0, 1.0, 3.0, 8.0, 30.0)]
    inner = [v for v in inner if dom.lower < v < dom.upper]
    edges = np.unique(np.array([dom.lower, *inner, dom.upper], dtype=float))
    return edges, guesses[0][1]


NODES, WEIGHTS = np.polynomial.legendre.leggauss(16)
MAX_LEVELS = 60


def integrate_pieces(g, edges, scale, rtol=1e-10, atol=1e-13) -> np.ndarray:
    """``(pieces, q)`` integrals of the vector function ``g(y) -> (len(y), q)`` between
    consecutive ``edges`` (the outer ones may be infinite).

    Adaptive 16-point Gauss-Legendre, vectorised: every round evaluates all unfinished
    intervals in one call of ``g`` and keeps an interval when its halves agree with it
    within its share of ``max(atol, rtol |total|)``. A half-infinite piece is mapped to
    [0, 1) by ``y = a + scale u / (1 - u)``.
    """
    lo_e, hi_e = edges[:-1], edges[1:]
    kind = np.where(np.isinf(hi_e), 1.0, np.where(np.isinf(lo_e), -1.0, 0.0))
    anchor = np.where(kind == 1, lo_e, np.where(kind == -1, hi_e, 0.0))
    lo, hi = np.where(kind == 0, lo_e, 0.0), np.where(kind == 0, hi_e, 1.0)
    width = hi - lo
    piece = np.arange(len(lo_e))

    def rule(lo, hi, piece):
        half = 0.5 * (hi - lo)
        u = (lo + half)[:, None] + half[:, None] * NODES
        k = kind[piece][:, None]
        y = np.where(k == 0, u, anchor[piece][:, None] + k * scale * u / (1.0 - u))
        jac = np.where(k == 0, 1.0, scale / (1.0 - u) ** 2)
        values = np.asarray(g(y.ravel()), dtype=float).reshape(*u.shape, -1)
        return np.einsum("j,mjq->mq", WEIGHTS, values * jac[..., None]) * half[:, None]

    estimate = rule(lo, hi, piece)
    out = np.zeros_like(estimate)
    for _ in range(MAX_LEVELS):
        mid = 0.5 * (lo + hi)
        both = rule(np.concatenate([lo, mid]), np.concatenate([mid, hi]),
                    np.concatenate([piece, piece]))
        left, right = both[:len(lo)], both[len(lo):]
        children = left + right
        error = np.max(np.abs(children - estimate), axis=1)
        budget = max(atol, rtol * float(np.max(np.abs(out.sum(0) + children.sum(0)))))
        share = np.maximum((hi - lo) / width[piece] / len(width), 1.0 / (8 * MAX_LEVELS))
        done = (error <= budget * share) | (len(lo) > 50_000)
        np.add.at(out, piece[done], children[done])
        if done.all():
            return out
        keep = ~done
        lo, hi = np.concatenate([lo[keep], mid[keep]]), np.concatenate([mid[keep], hi[keep]])
        piece = np.concatenate([piece[keep], piece[keep]])
        estimate = np.concatenate([left[keep], right[keep]])
    np.add.at(out, piece, estimate)
    return out


def _expect_line(case, point, func):
    def g(y):
        params = point.rows(len(y))
        lp = case.logpdf(y, params)
        if np.isnan(lp).any():
            bad = float(y[np.isnan(lp)][0])
            raise CheckFailure(f"logpdf is NaN at y={bad:.6g}, {point}. Fix: return a finite "
                               "value or -inf, never NaN")
        pdf = np.exp(lp)[:, None]
        if func is None:
            return pdf
        f = np.asarray(func(y, params), dtype=float)
        return np.hstack([pdf, np.where(pdf > 0, pdf * f, 0.0)])

    edges, scale = _edges(case, point)
    pieces = integrate_pieces(g, edges, scale)
    total = pieces.sum(axis=0)
    return Expectation(float(total[0]), total[1:], edges[1:-1], np.cumsum(pieces[:, 0])[:-1])


# the checks -------------------------------------------------------------------------------
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


def _link_problems(link: Link, theta: np.ndarray, domain=None) -> list[str]:
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
                         _link_problems(link, case.params[p.name], p.domain)]
    if problems:
        raise CheckFailure("; ".join(problems) + ". Fix: the Link's inverse, inverse_deriv "
                           "and inverse_deriv2 must be h, h' and h'' of the same function")
    return f"{count} (parameter, link) pairs"


def check_logpdf(case: Case) -> str | None:
    """Vectorised, finite on typical draws, row by row equal, inputs untouched."""
    fam, y, params = case.family, case.y, case.params
    y_copy, p_copy = y.copy(), {k: v.copy() for k, v in params.items()}
    values = np.asarray(fam.logpdf(y, **params))
    if values.shape != (N_DRAWS,):
        raise CheckFailure(f"logpdf returned shape {values.shape} for {N_DRAWS} rows. Fix: "
                           "return one value per row (vectorise over y and the parameters)")
    if not (np.array_equal(y, y_copy) and all(np.array_equal(params[k], p_copy[k])
                                              for k in params)):
        raise CheckFailure("logpdf modified its input arrays. Fix: never write into y or "
                           "the parameter arrays")
    bad = np.flatnonzero(~np.isfinite(values))
    if bad.size:
        source = case.y_source
        raise CheckFailure(f"logpdf is {values[bad[0]]} at {describe_row(case, bad[0])} "
                           f"({bad.size} of {N_DRAWS} rows; y from {source}). Fix: logpdf "
                           "must be finite inside the support for typical parameter values")
    for i in range(5):
        one = np.asarray(fam.logpdf(y[i:i + 1], **{k: v[i:i + 1] for k, v in params.items()}))
        if one.shape != (1,) or not np.allclose(one, values[i], rtol=1e-12, atol=0):
            raise CheckFailure(f"logpdf of row {i} alone ({one}) differs from the same row "
                               f"among others ({values[i]}). Fix: compute row by row "
                               "(no sums, means or sorting across rows)")
    return None


def outside_values(domain) -> list[float]:
    """Responses just outside a domain: below and above finite ends, open ends themselves,
    and non-integers for an integer domain."""
    out = []
    if np.isfinite(domain.lower):
        out += [domain.lower - 1.0, domain.lower - 0.25]
        if not domain.closed_lower:
            out.append(domain.lower)
    if np.isfinite(domain.upper):
        out += [domain.upper + 1.0, domain.upper + 0.25]
        if not domain.closed_upper:
            out.append(domain.upper)
    if domain.integer:
        base = domain.lower if np.isfinite(domain.lower) else 0.0
        out += [base + 0.5, base + 2.5]
    return [v for v in out if not domain.contains(v)]


def check_outside_support(case: Case) -> str | None:
    """-inf (no exception, no NaN) for responses outside the support."""
    fam = case.family
    values = outside_values(fam.support)
    if not values:
        raise SkipCheck(f"the support {fam.support} has no values outside it")
    rows = []
    for v in values:
        for j in range(case.columns):
            row = np.array(case.y[0], dtype=float, ndmin=1)
            row[j] = v
            rows.append(row)
    y = np.array(rows) if case.columns > 1 else np.array(rows)[:, 0]
    n = len(y)
    params = {k: v[:n] if n <= N_DRAWS else np.resize(v, n) for k, v in case.params.items()}
    try:
        got = np.asarray(fam.logpdf(y, **params))
    except Exception as exc:
        raise CheckFailure(f"logpdf raised {type(exc).__name__}: {exc} for responses outside "
                           f"the support {fam.support}. Fix: return -inf there, e.g. "
                           "np.where(self.support.contains(y), value, -np.inf)") from None
    if got.shape != (n,):
        raise CheckFailure(f"logpdf returned shape {got.shape} for {n} rows")
    bad = np.flatnonzero(~(got == -np.inf))
    if bad.size:
        i = int(bad[0])
        raise CheckFailure(f"logpdf is {got[i]} (not -inf) at {describe_row(case, i, y, params)}"
                           f", outside the support {fam.support}. Fix: return -inf there, "
                           "e.g. np.where(self.support.contains(y), value, -np.inf)")
    return f"{n} responses outside {fam.support}"


def check_normalization(case: Case) -> str | None:
    """The density integrates (or the mass sums) to 1 at three parameter points."""
    kind = "sums" if case.family.support.integer else "integrates"
    for point in case.points:
        mass = expect(case, point).mass
        if not abs(mass - 1.0) <= NORM_TOL:
            raise CheckFailure(f"the density {kind} to {mass:.10g}, not 1, at {point}. Fix: "
                               "include every normalising constant in logpdf (a log density "
                               "or log probability mass)")
    return f"{kind} to 1 within {NORM_TOL:g} at {len(case.points)} points"


def _require(case: Case, *methods: str) -> None:
    missing = [m for m in methods if not case.family.has(m)]
    if missing:
        raise SkipCheck(f"no {' / '.join(missing)} (optional)")


def _pairs(names) -> list[tuple[str, str]]:
    return [(a, b) for i, a in enumerate(names) for b in names[i:]]


def _pick(values: dict, a: str, b: str):
    if (a, b) in values:
        return values[(a, b)]
    if (b, a) in values:
        return values[(b, a)]
    return None


def _complete(got, keys, what: str, n: int) -> dict:
    if not isinstance(got, dict):
        raise CheckFailure(f"{what} returned {type(got).__name__}, not a dict")
    out = {}
    for key in keys:
        value = got.get(key) if not isinstance(key, tuple) else _pick(got, *key)
        if value is None:
            every = "pair (a, b) with a <= b" if isinstance(key, tuple) else "parameter"
            raise CheckFailure(f"{what} has no entry {key!r}. Fix: return every {every}")
        value = np.asarray(value, dtype=float)
        if value.shape != (n,):
            raise CheckFailure(f"{what}[{key!r}] has shape {value.shape}, not ({n},). Fix: "
                               "return one value per row")
        out[key] = value
    return out


def check_derivatives(case: Case) -> str | None:
    """dlogpdf against central differences of logpdf; d2logpdf against those of dlogpdf."""
    _require(case, "dlogpdf", "d2logpdf")
    fam, y, params, names = case.family, case.y, case.params, case.names
    h, scale = steps(fam, params)
    f0 = case.logpdf(y, params)
    d1 = _complete(fam.dlogpdf(y, **params), names, "dlogpdf", N_DRAWS)
    d2 = _complete(fam.d2logpdf(y, **params), _pairs(names), "d2logpdf", N_DRAWS)
    num1 = central(lambda yy, **p: {"f": fam.logpdf(yy, **p)}, y, params, h, names)
    for a, diff in zip(names, num1, strict=True):
        bad = disagreement(d1[a], diff["f"], f0, scale[a])
        if bad is not None:
            raise CheckFailure(f"dlogpdf[{a!r}] = {d1[a][bad]:.8g} but central differences "
                               f"give {diff['f'][bad]:.8g} at {describe_row(case, bad)}. Fix: "
                               f"the derivative of logpdf with respect to {a}")
    num2 = central(lambda yy, **p: _complete(fam.dlogpdf(yy, **p), names, "dlogpdf",
                                             len(yy)), y, params, h, names)
    by_name = dict(zip(names, num2, strict=True))
    for a, b in _pairs(names):
        numeric = by_name[b][a]
        bad = disagreement(d2[(a, b)], numeric, d1[a], scale[b])
        if bad is not None:
            raise CheckFailure(f"d2logpdf[({a!r}, {b!r})] = {d2[(a, b)][bad]:.8g} but "
                               f"differences of dlogpdf give {numeric[bad]:.8g} at "
                               f"{describe_row(case, bad)}. Fix: the second derivative")
    return None


def check_eta_derivatives(case: Case) -> str | None:
    """eta_derivatives against central differences on the linear-predictor scale."""
    _require(case, "eta_derivatives")
    fam, y, names = case.family, case.y, case.names
    combos = [{q.name: q.default_link for q in fam.parameters}]
    for p in fam.parameters:
        for name in p.allowed_links:
            if name != p.default_link:
                combos.append({**combos[0], p.name: name})
    covered = 0
    for links_by_name in combos:
        links = {k: case.link(v) for k, v in links_by_name.items()}
        etas = {k: np.asarray(links[k].link(case.params[k]), float) for k in names}
        if not all(np.isfinite(e).all() for e in etas.values()):
            continue
        got = fam.eta_derivatives(y, links_by_name, **etas)
        if got is None:
            continue
        covered += 1
        _compare_eta(case, links, links_by_name, etas, got)
    if not covered:
        raise SkipCheck("eta_derivatives returned None for every link combination tried")
    return f"{covered} link combination(s) covered"


def _compare_eta(case, links, links_by_name, etas, got):
    fam, y, names = case.family, case.y, case.names
    g1 = _complete(got[0], names, "eta_derivatives d1", N_DRAWS)
    g2 = _complete(got[1], _pairs(names), "eta_derivatives d2", N_DRAWS)
    s = {k: np.maximum(np.abs(e), 1.0) for k, e in etas.items()}
    h = {k: H1 * v for k, v in s.items()}

    def on_eta(yy, **e):
        return {"f": fam.logpdf(yy, **{k: links[k].inverse(v) for k, v in e.items()})}

    def d1_on_eta(yy, **e):
        return _complete(fam.eta_derivatives(yy, links_by_name, **e)[0], names, "d1", len(yy))

    f0 = on_eta(y, **etas)["f"]
    where = f"links {links_by_name}"
    for a, diff in zip(names, central(on_eta, y, etas, h, names), strict=True):
        bad = disagreement(g1[a], diff["f"], f0, s[a])
        if bad is not None:
            raise CheckFailure(f"eta_derivatives d1[{a!r}] = {g1[a][bad]:.8g} but central "
                               f"differences give {diff['f'][bad]:.8g} ({where}, "
                               f"{describe_row(case, bad)})")
    by_name = dict(zip(names, central(d1_on_eta, y, etas, h, names), strict=True))
    for a, b in _pairs(names):
        bad = disagreement(g2[(a, b)], by_name[b][a], g1[a], s[b])
        if bad is not None:
            raise CheckFailure(f"eta_derivatives d2[({a!r}, {b!r})] = {g2[(a, b)][bad]:.8g} "
                               f"but differences of d1 give {by_name[b][a][bad]:.8g} "
                               f"({where}, {describe_row(case, bad)})")


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
    _require(case, "expected_information")
    fam, names = case.family, case.names
    pairs = _pairs(names)

    def outer(y, params):
        s = numeric_scores(fam, y, params)
        return np.column_stack([s[a] * s[b] for a, b in pairs])

    for point in case.points:
        y1 = representative(case, point)
        info = _complete(fam.expected_information(y1, **point.rows(1)), pairs,
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


def _moments(case: Case, point: Point) -> tuple[float, float]:
    """Numeric E[ybar] and trials * Var[ybar] at ``point``."""
    fam = case.family

    def ybar(y, params):
        return mean_scale(fam, y)[0][:, None]

    e = expect(case, point, ybar)
    mean = float(e.values[0] / e.mass)

    def spread(y, params):
        yb, m = mean_scale(fam, y)
        return (m * (yb - mean) ** 2)[:, None]

    e2 = expect(case, point, spread)
    return mean, float(e2.values[0] / e2.mass)


def _family_moments(case: Case, point: Point) -> tuple[float, float]:
    params = point.rows(1)
    mean = float(np.asarray(case.family.mean(**params)).reshape(-1)[0])
    var = float(np.asarray(case.family.variance(**params)).reshape(-1)[0])
    return mean, var


def check_moments(case: Case) -> str | None:
    """mean and variance against the moments of the density (quadrature or summation)."""
    _require(case, "mean", "variance")
    if case.columns > 1 and not case.family.has("glm_response"):
        raise SkipCheck("a multi-column response without glm_response has no mean scale")
    compared = 0
    for point in case.points:
        mean, var = _family_moments(case, point)
        if not (np.isfinite(mean) and np.isfinite(var)):
            continue
        num_mean, num_var = _moments(case, point)
        compared += 1
        if not abs(mean - num_mean) <= 1e-6 * (np.sqrt(var) + abs(mean)):
            raise CheckFailure(f"mean() = {mean:.10g} but the density's mean is "
                               f"{num_mean:.10g} at {point}. Fix: mean must be E[y]")
        if not abs(var - num_var) <= 1e-6 * var + 1e-300:
            what = "trials * Var[ybar]" if case.columns > 1 else "Var[y]"
            raise CheckFailure(f"variance() = {var:.10g} but the density's {what} is "
                               f"{num_var:.10g} at {point}. Fix: variance must be {what}")
    if not compared:
        raise SkipCheck("mean or variance is infinite at every parameter point")
    return f"{compared} points"


def check_cdf(case: Case) -> str | None:
    """cdf against the integrated (or summed) density."""
    _require(case, "cdf")
    fam = case.family
    for point in case.points:
        e = expect(case, point)
        if e.at.size == 0:
            continue
        y = trial_responses(fam, point.trials) if case.columns > 1 else e.at
        got = np.asarray(fam.cdf(y, **point.rows(len(y))), dtype=float)
        ref = e.cumulative[:len(y)] if case.columns > 1 else e.cumulative
        if got.shape != ref.shape:
            raise CheckFailure(f"cdf returned shape {got.shape} for {ref.size} rows")
        err = np.abs(got - ref)
        i = int(np.nanargmax(np.where(np.isnan(err), np.inf, err)))
        if not err[i] <= 1e-7:
            raise CheckFailure(f"cdf = {got[i]:.10g} but the density accumulates "
                               f"{ref[i]:.10g} up to y={e.at[i]:.6g} at {point}. Fix: cdf must "
                               "be P(Y <= y)")
    return None


def check_sample(case: Case) -> str | None:
    """sample(): shape, support, and moments within 5 SE of mean/variance."""
    _require(case, "sample")
    fam = case.family
    npts = len(case.points)
    params = {k: np.repeat([p.params[k] for p in case.points], N_SAMPLE) for k in case.names}
    raw = fam.sample(case.rng("sample"), N_SAMPLE * npts, **params)
    y = prepared(fam, raw)
    if y.shape != case.shape(N_SAMPLE * npts):
        raise CheckFailure(f"sample(rng, size={N_SAMPLE * npts}, ...) gave shape "
                           f"{np.shape(raw)}. Fix: return one response per row")
    if not inside(fam, y).all():
        raise CheckFailure(f"sample() returned values outside the support {fam.support}")
    scale = mean_scale(fam, y)
    if scale is None:
        return "shape and support only (multi-column response without glm_response)"
    ybar, m = scale
    compared = 0
    for i, point in enumerate(case.points):
        sl = slice(i * N_SAMPLE, (i + 1) * N_SAMPLE)
        mean, var = (_family_moments(case, point) if fam.has("mean") and fam.has("variance")
                     else _moments(case, point))
        if not (np.isfinite(mean) and np.isfinite(var) and var > 0):
            continue
        compared += 1
        x, mm = ybar[sl], m[sl]
        z = (x.mean() - mean) / (np.sqrt(np.sum(var / mm)) / N_SAMPLE)
        r = mm * (x - mean) ** 2
        se = r.std(ddof=1) / np.sqrt(N_SAMPLE)
        # a constant r (Bernoulli at mu = 1/2) leaves nothing to chance: compare exactly
        z2 = (r.mean() - var) / se if se > 0 else (0.0 if np.isclose(r.mean(), var) else np.inf)
        if not (abs(z) <= Z_MAX and abs(z2) <= Z_MAX):
            raise CheckFailure(f"sample() at {point}: mean {x.mean():.6g} vs {mean:.6g} "
                               f"(z={z:.2f}), variance {r.mean():.6g} vs {var:.6g} "
                               f"(z={z2:.2f}); |z| must be <= {Z_MAX:g} with {N_SAMPLE} draws. "
                               "Fix: sample must draw from the family's distribution")
    return f"{compared} points, {N_SAMPLE} draws each"


def check_glm(case: Case) -> str | None:
    """unit_deviance = 2 phi (l(y; mu=ybar) - l(y; mu)) / trials and, through the score,
    dl/dmu = trials (ybar - mu) / (phi V(mu))."""
    _require(case, "unit_deviance", "unit_variance")
    fam, y, params = case.family, case.y, dict(case.params)
    scale = mean_scale(fam, y)
    if scale is None:
        raise CheckFailure("a multi-column response needs glm_response for unit_deviance")
    ybar, m = scale
    mu_name = case.names[0]
    keep = fam.parameters[0].domain.contains(ybar) & (np.abs(ybar - params[mu_name]) > 1e-3)
    if keep.sum() < 10:
        raise SkipCheck("too few responses whose mean-scale value lies in mu's domain")
    y, ybar, m = y[keep], ybar[keep], m[keep]
    params = {k: v[keep] for k, v in params.items()}
    phi = np.ones(len(ybar))
    if fam.dispersion is not None:
        phi = params[fam.dispersion.parameter] ** fam.dispersion.power
    l_mu = case.logpdf(y, params)
    l_sat = case.logpdf(y, {**params, mu_name: ybar})
    dev = np.asarray(fam.unit_deviance(ybar, **params), dtype=float)
    model = 2 * phi * (l_sat - l_mu) / m
    bad = disagreement(dev, model, 2 * phi * (np.abs(l_sat) + np.abs(l_mu)) / m, 1.0,
                          rtol=1e-7, atol=1e-12)
    if bad is not None:
        raise CheckFailure(f"unit_deviance = {dev[bad]:.10g} but 2 phi (l(y; ybar) - l(y; mu))"
                           f" / trials = {model[bad]:.10g} at {describe_row(case, bad, y, params)}"
                           ". Fix: the unit deviance of the family (and phi = value**power of "
                           "its Dispersion)")
    score = numeric_scores(fam, y, params)[mu_name]
    V = np.asarray(fam.unit_variance(**params), dtype=float)
    _, s_mu = steps(fam, params)
    lhs, rhs = phi * V * score, m * (ybar - params[mu_name])
    bad = disagreement(lhs, rhs, phi * V * (1 + np.abs(l_mu)) / s_mu[mu_name], 1.0)
    if bad is not None:
        raise CheckFailure(f"phi V(mu) dl/dmu = {lhs[bad]:.8g} but trials (ybar - mu) = "
                           f"{rhs[bad]:.8g} at {describe_row(case, bad, y, params)}. Fix: "
                           "unit_variance must be V(mu) of Var[ybar] = phi V(mu) / trials")
    return None


def check_start(case: Case) -> str | None:
    """start(y, weights): finite values inside each parameter's domain."""
    _require(case, "start")
    fam = case.family
    got = fam.start(case.y, np.ones(N_DRAWS))
    if not isinstance(got, dict):
        raise CheckFailure(f"start returned {type(got).__name__}, not a dict")
    for name, value in got.items():
        if name not in case.names:
            raise CheckFailure(f"start names {name!r}, not a parameter {list(case.names)}")
        value = float(value)
        if not (np.isfinite(value) and fam.parameter(name).domain.contains(value)):
            raise CheckFailure(f"start gives {name}={value!r}, outside the domain "
                               f"{fam.parameter(name).domain}")
    return None


def check_prepare_response(case: Case) -> str | None:
    """prepare_response keeps an already prepared response as it is."""
    _require(case, "prepare_response")
    got = np.asarray(case.family.prepare_response(case.y.copy()), dtype=float)
    if got.shape != case.y.shape or not np.array_equal(got, case.y):
        raise CheckFailure(f"prepare_response changed a response already in logpdf's layout "
                           f"(shape {case.y.shape} -> {got.shape}). Fix: leave such input as it "
                           "is (fit applies prepare_response to the left-hand side columns)")
    return None


def check_reductions(case: Case) -> str | None:
    """logpdf at each declared reduction value: finite, and equal to the reduced family."""
    fam = case.family
    if not fam.reductions:
        raise SkipCheck("no reductions declared (optional)")
    notes = []
    for red in fam.reductions:
        params = {**case.params, red.parameter: np.full(N_DRAWS, float(red.value))}
        values = case.logpdf(case.y, params)
        if not np.isfinite(values).all():
            i = int(np.flatnonzero(~np.isfinite(values))[0])
            raise CheckFailure(f"logpdf is {values[i]} at the reduction {red.parameter}="
                               f"{red.value} ({describe_row(case, i, params=params)}). Fix: "
                               "logpdf must handle the reduction value (the core evaluates it)")
        notes.append(_compare_reduced(case, red, params, values))
    return "; ".join(notes)


def _compare_reduced(case: Case, red, params: dict, values: np.ndarray) -> str:
    try:
        other = case.registry.family(red.family)
    except MlefitError:
        other = None
    rest = {k: v for k, v in params.items() if k != red.parameter}
    if other is None or set(other.parameter_names) != set(rest):
        return f"{red.family}: not compared (not installed, or other parameters)"
    ref = np.asarray(other.logpdf(case.y, **rest), dtype=float)
    if not np.allclose(values, ref, rtol=1e-8, atol=1e-10):
        i = int(np.argmax(np.abs(values - ref)))
        raise CheckFailure(f"at {red.parameter}={red.value} logpdf = {values[i]:.10g} but "
                           f"{red.family!r} gives {ref[i]:.10g} ({describe_row(case, i)}). "
                           "Fix: the Reduction declaration or the logpdf at that value")
    return f"{red.family}: equal"


def check_recovery(case: Case) -> str | None:
    """Simulate at the middle point, fit an intercept-only model, recover within 4 SE."""
    _require(case, "sample")
    import pandas as pd

    from ..api import fit

    fam, point = case.family, case.points[0]
    raw = np.asarray(fam.sample(case.rng("recovery"), N_RECOVERY, **point.rows(N_RECOVERY)),
                     dtype=float)
    if raw.ndim == 1:
        data, formula = pd.DataFrame({"y": raw}), "y ~ 1"
    else:
        cols = [f"y{j}" for j in range(raw.shape[1])]
        data, formula = pd.DataFrame(raw, columns=cols), " + ".join(cols) + " ~ 1"
    # the standard errors of the family's own information when it has one (a family whose
    # observed information is singular, like the Laplace in mu, documents cov_type="expected")
    cov_type = "expected" if fam.has("expected_information") else "observed"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit(formula, data, family=fam, cov_type=cov_type)
    trouble = [str(w.message) for w in caught
               if issubclass(w.category, ConvergenceWarning | HessianWarning)]
    if trouble or not res.converged:
        raise CheckFailure(f"the fit to {N_RECOVERY} draws at {point} did not converge "
                           f"cleanly: {'; '.join(trouble) or res.diagnostics.message}")
    for p in fam.parameters:
        truth = float(case.link(p.default_link).link(point.params[p.name]))
        est, se = float(res.params[(p.name, "Intercept")]), float(res.bse[(p.name, "Intercept")])
        if not abs(est - truth) <= RECOVERY_SE * se:
            raise CheckFailure(f"{p.name}: estimate {est:.6g} (link scale) is "
                               f"{abs(est - truth) / se:.1f} SE from the truth {truth:.6g} "
                               f"with {N_RECOVERY} draws at {point}. Fix: logpdf and sample "
                               "must describe the same distribution")
    return f"{N_RECOVERY} draws at {point}, {cov_type} information"


@dataclass(frozen=True)
class KitDistribution:
    name: str = "mlefit-testing-kit"
    version: str = "0"


@dataclass(frozen=True)
class KitEntryPoint:
    """An entry point whose module registers one family (and the plugin links it uses)."""

    name: str
    module: object
    dist: KitDistribution = KitDistribution()

    def load(self):
        return self.module


def plugin_module(families: Iterable[Family], links: Iterable[Link] = ()) -> types.ModuleType:
    """A module with ``register_families`` (and ``register_links``) hooks, as a plugin's."""
    module = types.ModuleType("mlefit_testing_plugin")
    families, links = list(families), list(links)

    def register_families():
        return families

    def register_links():
        return links

    module.register_families = hookimpl(register_families)
    if links:
        module.register_links = hookimpl(register_links)
    return module


def check_registry(case: Case) -> str | None:
    """The family loads through a fresh registry from an entry point and is found by name."""
    from ..registry import blocked, build_registry

    fam = case.family
    builtin = {link.name for link in BUILTIN_LINKS} | {a for link in BUILTIN_LINKS
                                                       for a in link.aliases}
    extra = {case.link(n).name: case.link(n) for p in fam.parameters for n in p.allowed_links
             if n not in builtin}
    ep = KitEntryPoint(f"kit-{fam.name}", plugin_module([fam], extra.values()))
    if blocked(ep.name, ep.dist.name):
        raise SkipCheck("plugin autoloading is disabled or blocked by the environment")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        reg = build_registry([ep])
    if reg.failed:
        raise CheckFailure(f"loading through an entry point failed: {reg.failed[0].error}")
    for name in (fam.name, *fam.aliases):
        if reg.family(name) is not fam:
            raise CheckFailure(f"looking up {name!r} in a fresh registry did not give the family")
    return None


@dataclass(frozen=True)
class Check:
    """A named check: ``function(case)`` passes, raises SkipCheck or CheckFailure."""

    name: str
    function: Callable[[Case], str | None]

    @property
    def doc(self) -> str:
        return (self.function.__doc__ or "").strip().splitlines()[0]


#: The conformance checks, in the order they run.
CHECKS: tuple[Check, ...] = (
    Check("declaration", check_declaration),
    Check("links", check_links),
    Check("logpdf", check_logpdf),
    Check("outside_support", check_outside_support),
    Check("normalization", check_normalization),
    Check("derivatives", check_derivatives),
    Check("eta_derivatives", check_eta_derivatives),
    Check("expected_information", check_expected_information),
    Check("moments", check_moments),
    Check("cdf", check_cdf),
    Check("sample", check_sample),
    Check("glm", check_glm),
    Check("start", check_start),
    Check("prepare_response", check_prepare_response),
    Check("reductions", check_reductions),
    Check("recovery", check_recovery),
    Check("registry", check_registry),
)
CHECK_NAMES = tuple(c.name for c in CHECKS)


def _select(checks) -> tuple[Check, ...]:
    if checks is None:
        return CHECKS
    names = [checks] if isinstance(checks, str) else list(checks)
    unknown = [n for n in names if n not in CHECK_NAMES]
    if unknown:
        raise ValueError(f"unknown check(s) {unknown}; the checks are {list(CHECK_NAMES)}")
    return tuple(c for c in CHECKS if c.name in names)


def _family(family) -> Family:
    if isinstance(family, FamilyInfo):
        return family.family
    if isinstance(family, str):
        from ..registry import get_registry

        return get_registry().family(family)
    return family


# the public entry points ------------------------------------------------------------------
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
    fam = _family(family)
    case = Case(fam, seed, registry)
    if not isinstance(fam, Family):
        result = CheckResult("declaration", FAILED, f"{fam!r} is not an mlefit.Family instance")
        return CheckReport(f"family {fam!r}", (result,))
    # the declaration gates every other check (a family that breaks it cannot be exercised)
    declared = _run("declaration", lambda: check_declaration(case))
    results = []
    for check in _select(checks):
        if check.name == "declaration":
            results.append(declared)
        elif declared.status == FAILED:
            results.append(CheckResult(check.name, SKIPPED, "the declaration check failed"))
        else:
            results.append(_run(check.name, lambda c=check: c.function(case)))
    return CheckReport(f"family {getattr(fam, 'name', '?')!r} ({type(fam).__name__})",
                       tuple(results))


def check_family(family, checks=None, *, seed: int = 0, registry=None) -> CheckReport:
    """Run the checks; raise one :class:`~mlefit.errors.ConformanceError` listing every
    failed check (name, rule, fix). Returns the report when nothing failed."""
    report = family_checks(family, checks, seed=seed, registry=registry)
    if not report.ok:
        raise ConformanceError(report.failure_text(), report)
    return report


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
        problems = _link_problems(link, theta)
        if problems:
            raise CheckFailure("; ".join(problems))

    results = [_run("declaration", declaration)]
    if results[0].status == PASSED:
        results.append(_run("behaviour", behaviour))
    else:
        results.append(CheckResult("behaviour", SKIPPED, "the declaration check failed"))
    return CheckReport(f"link {getattr(link, 'name', link)!r}", tuple(results))


def check_link(link: Link, theta=None) -> CheckReport:
    """:func:`link_checks`, raising :class:`~mlefit.errors.ConformanceError` on failure."""
    report = link_checks(link, theta)
    if not report.ok:
        raise ConformanceError(report.failure_text(), report)
    return report


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

    fams = [_family(f) for f in families]
    params = [pytest.param(f, FamilyCheck(c.name, seed), id=f"{f.name}-{c.name}")
              for f in fams for c in _select(checks)]
    return pytest.mark.parametrize(("family", "check"), params)
