"""Expectations over the response at one parameter point: by summation over a count
support (until the tail mass is below 1e-14) or a trials layout, by adaptive quadrature
(:func:`integrate_pieces`) over a continuous one.

:func:`expect` gives the total mass, ``E[func(y)]`` and the cumulative probability at
some responses; the normalisation, information, moments and cdf checks compare with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..family import Family
from ._case import Case, Point, inside
from ._check import CheckFailure, SkipCheck


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
    cumulative = np.cumsum(pieces[:, 0])[:-1]
    for atom in case.family.atoms:   # probability masses in the continuous support
        mass = g(np.array([float(atom)]))[0]
        total = total + mass
        cumulative = cumulative + np.where(edges[1:-1] >= atom, mass[0], 0.0)
    return Expectation(float(total[0]), total[1:], edges[1:-1], cumulative)
