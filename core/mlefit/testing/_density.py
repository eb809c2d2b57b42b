"""Topic: the density itself. ``logpdf`` on typical draws (vectorised, finite, row by row,
inputs untouched), ``-inf`` outside the support, and normalisation to 1.
"""

from __future__ import annotations

import numpy as np

from ._case import N_DRAWS, Case, describe_row
from ._check import Check, CheckFailure, SkipCheck
from ._expectation import expect

#: how far from 1 the total probability may be
NORM_TOL = 1e-6


def check_logpdf_on_draws(case: Case) -> str | None:
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


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("logpdf", check_logpdf_on_draws),
    Check("outside_support", check_outside_support),
    Check("normalization", check_normalization),
)
