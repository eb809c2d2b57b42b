"""Simulate-and-recover and Wald coverage for every built-in family.

The oracle is the data-generating process: the first parameter follows a regression on x
(intercept at the link of its typical midpoint, slope 0.3 on the link scale), the others
are constants at their typical midpoints; responses come from the family's own sample().
"""

import numpy as np
import pandas as pd
import pytest

import mlefit


def _bound(family):
    """A family whose parameters depend on the data, bound to its example response."""
    if not family.has("bind"):
        return family
    example = family.example_response(np.random.default_rng(0), 500)
    return family.bind(family.summarize_response(example))


FAMILIES = [_bound(i.family) for i in mlefit.families() if i.source.distribution == "mlefit"]


def truth(family):
    values = {}
    for p in family.parameters:
        low, high = p.typical_range
        values[p.name] = float(np.sqrt(low * high) if low > 0 else 0.5 * (low + high))
    return values


def simulate(family, n, rng):
    values = truth(family)
    first = family.parameters[0]
    link = mlefit.registry.get_registry().link(first.default_link)
    x = rng.uniform(-1, 1, size=n)
    b0 = float(link.link(values[first.name]))
    thetas = {k: np.full(n, v) for k, v in values.items()}
    thetas[first.name] = link.inverse(b0 + 0.3 * x)
    y = np.asarray(family.sample(rng, n, **thetas), dtype=float)
    data = pd.DataFrame({"x": x})
    if y.ndim == 2:
        data["s"], data["f"] = y[:, 0], y[:, 1]
        formula = "s + f ~ x"
    else:
        data["y"] = y
        formula = "y ~ x"
    links = mlefit.registry.get_registry().link
    # a first parameter without an intercept of its own (the ordinal location) has only
    # the slope; a parameter sharing the main formula (a multinomial category) has its
    # constant and a zero slope
    first_coef = [b0, 0.3] if first.intercept else [0.3]
    if not first.intercept:
        thetas[first.name] = link.inverse(0.3 * x)
        y = np.asarray(family.sample(rng, n, **thetas), dtype=float)
        data["y"] = y
    coef = np.r_[first_coef, [c for p in family.parameters[1:] for c in
                              ((links(p.default_link).link(values[p.name]), 0.0)
                               if p.shares_formula else
                               (links(p.default_link).link(values[p.name]),))]]
    return data, formula, coef


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_recovery_within_four_standard_errors(family):
    data, formula, coef = simulate(family, 3000, np.random.default_rng(17))
    res = mlefit.fit(formula, data, family)
    z = (res.coef - coef) / res.bse.to_numpy()
    assert np.all(np.abs(z) < 4), dict(zip(res.index, z, strict=True))


#: a share of the fits end on a boundary, where a Wald interval does not exist
BOUNDARY_PRONE = {"student_t": "nu = 7.7 at n = 400 runs to its boundary nu = inf in a "
                  "share of fits (no Wald interval there); tests/families/test_student_t.py "
                  "studies the coverage where nu is interior"}


@pytest.mark.slow
@pytest.mark.parametrize("family", [
    pytest.param(f, marks=pytest.mark.skip(reason=BOUNDARY_PRONE[f.name]))
    if f.name in BOUNDARY_PRONE else f for f in FAMILIES], ids=lambda f: f.name)
def test_wald_coverage(family):
    """95% Wald intervals cover the truth in 95% of 200 fits of n = 400 (binomial SE 1.5%;
    the band is 3.5 SE wide on each side, and an asymptotic method at n = 400 may sit a
    little low for a shape parameter)."""
    rng = np.random.default_rng(2026)
    reps, hits = 200, None
    for _ in range(reps):
        data, formula, coef = simulate(family, 400, rng)
        ci = mlefit.fit(formula, data, family).conf_int()
        inside = (ci["lower"].to_numpy() <= coef) & (coef <= ci["upper"].to_numpy())
        hits = inside.astype(float) if hits is None else hits + inside
    coverage = hits / reps
    half = 3.5 * np.sqrt(0.95 * 0.05 / reps)
    assert np.all(np.abs(coverage - 0.95) < half), coverage
