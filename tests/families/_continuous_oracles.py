"""Oracles shared by the continuous-family tests; none of them uses mlefit's engine.

* Numeric derivatives: central differences of the family's ``logpdf`` (first derivatives)
  and of its (already checked) ``dlogpdf`` (second derivatives), with a Richardson error
  estimate, so that the tolerance is the numeric derivative's own error, not a guess.
* Expected information by quadrature: ``E[s_a s_b]``, the variance of the score, from
  ``scipy.integrate.quad`` against the density (the information identity; for Laplace
  the only valid form, since its second derivative in ``mu`` is a delta function).
* A hand-written maximum-likelihood fit: the test writes the negative log-likelihood;
  ``scipy.optimize.minimize`` (BFGS) runs from several starts; the best point is polished
  by Newton steps on a central-difference gradient and Hessian, and the covariance is the
  inverse of that (Richardson-extrapolated) Hessian, steps 1/1000 of a standard error.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import integrate, optimize

EPS = np.finfo(float).eps


def assert_matches_scipy(family, ref, params: dict[str, float], rtol: float = 1e-13,
                         atol: float = 0.0, moments_rtol: float = 1e-14):
    """logpdf and cdf on the quantiles 0.001 ... 0.999 of a frozen ``scipy.stats``
    distribution, and its mean and variance, against the family's at ``params``.

    Both sides are double-precision expressions of the same formulas, so they agree to a
    few ulps: the default ``rtol`` 1e-13 leaves a factor of ~100 (callers widen it where
    a formula cancels, and say so).
    """
    y = ref.ppf(np.linspace(0.001, 0.999, 101))
    p = {k: np.full(y.size, float(v)) for k, v in params.items()}
    np.testing.assert_allclose(family.logpdf(y, **p), ref.logpdf(y), rtol=rtol, atol=atol)
    np.testing.assert_allclose(family.cdf(y, **p), ref.cdf(y), rtol=rtol)
    mean, var = ref.stats("mv")
    np.testing.assert_allclose(family.mean(**p), mean, rtol=moments_rtol)
    np.testing.assert_allclose(family.variance(**p), var, rtol=moments_rtol)


def cancer_design(cancer: pd.DataFrame) -> np.ndarray:
    """``[1, age, drug]`` of the cancer data (drug as a number, as in the test formulas)."""
    return np.column_stack([np.ones(len(cancer)), cancer[["age", "drug"]].to_numpy(float)])


def typical_params(family, rng, n: int) -> dict[str, np.ndarray]:
    """Each parameter drawn uniformly in its declared typical range (one value per row)."""
    return {p.name: rng.uniform(*p.typical_range, n) for p in family.parameters}


def _central(f, params, name, h):
    up, down = dict(params), dict(params)
    up[name] = params[name] + h
    down[name] = params[name] - h
    return f(**up), f(**down)


def assert_derivatives(family, y, params, rel_step: float = 1e-5):
    """Analytic ``dlogpdf``/``d2logpdf`` against central differences, per row.

    The step is ``rel_step * max(1, |theta|)``. The allowed error per row is ten times
    the numeric derivative's own error: the Richardson estimate ``|D(h) - D(2h)|`` (three
    times the O(h^2) truncation of ``D(h)``) plus the rounding bound ``4 eps (|f| + 1)/h``.
    """
    d1 = family.dlogpdf(y, **params)
    d2 = family.d2logpdf(y, **params)
    names = family.parameter_names
    for a in names:
        h = rel_step * np.maximum(1.0, np.abs(params[a]))
        f = lambda **p: family.logpdf(y, **p)  # noqa: E731
        num = [np.subtract(*_central(f, params, a, s)) / (2 * s) for s in (h, 2 * h)]
        scale = np.abs(family.logpdf(y, **params)) + 1.0
        bound = 10 * (np.abs(num[0] - num[1]) + 4 * EPS * scale / h)
        err = np.abs(d1[a] - num[0])
        assert np.all(err <= bound), (a, float(np.max(err - bound)))
        g = lambda **p: family.dlogpdf(y, **p)  # noqa: E731
        pairs = [_central(g, params, a, s) for s in (h, 2 * h)]
        for b in names:
            key = (a, b) if (a, b) in d2 else (b, a)
            num2 = [(u[b] - d[b]) / (2 * s) for (u, d), s in zip(pairs, (h, 2 * h), strict=True)]
            scale2 = np.abs(d1[b]) + 1.0
            bound2 = 10 * (np.abs(num2[0] - num2[1]) + 4 * EPS * scale2 / h)
            err2 = np.abs(d2[key] - num2[0])
            assert np.all(err2 <= bound2), (key, float(np.max(err2 - bound2)))


def assert_derivatives_at_typical_draws(family, seed: int, n: int = 400):
    """:func:`assert_derivatives` at ``n`` parameter draws from the typical ranges, with
    responses sampled from the family at those parameters."""
    rng = np.random.default_rng(seed)
    p = typical_params(family, rng, n)
    assert_derivatives(family, family.sample(rng, n, **p), p)


def quadrature_information(family, params: dict[str, float], lower: float, upper: float,
                           points=None) -> tuple[dict, dict]:
    """``(E[s_a s_b], quad error)`` for one parameter point (scalars), by adaptive quadrature
    (``scipy.integrate.quad_vec``, all pairs at once, relative tolerance 1e-11).

    ``points`` are break points (the location, a kink of the density); the range is
    split there.
    """
    arr = {k: np.array([float(v)]) for k, v in params.items()}
    names = family.parameter_names
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i:]]

    def integrand(y):
        yy = np.array([y])
        s = family.dlogpdf(yy, **arr)
        density = np.exp(family.logpdf(yy, **arr)[0])
        return np.array([s[a][0] * s[b][0] * density for a, b in pairs])

    edges = [lower, *(points or []), upper]
    total, err = np.zeros(len(pairs)), 0.0
    for lo, hi in itertools.pairwise(edges):
        v, e = integrate.quad_vec(integrand, lo, hi, epsabs=0.0, epsrel=1e-11, limit=2000)
        total, err = total + v, err + e
    return dict(zip(pairs, total, strict=True)), dict.fromkeys(pairs, err)


def assert_expected_information(family, params: dict[str, float], lower: float, upper: float,
                                points=None, rtol: float = 1e-8):
    """The family's closed-form expected information against :func:`quadrature_information`.

    ``rtol`` is relative to ``sqrt(I_aa I_bb)`` (so zeros off the diagonal are checked on
    the scale of the diagonal); quad is asked for 1e-11 and its error estimate is added.
    """
    quad, err = quadrature_information(family, params, lower, upper, points)
    arr = {k: np.array([float(v)]) for k, v in params.items()}
    closed = family.expected_information(arr[family.parameter_names[0]], **arr)
    for (a, b), value in quad.items():
        c = float(np.asarray(closed[(a, b)] if (a, b) in closed else closed[(b, a)])[0])
        scale = np.sqrt(quad[(a, a)] * quad[(b, b)])
        assert abs(c - value) <= rtol * scale + 10 * err[(a, b)], ((a, b), c, value)


def central_hessian(f, x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Hessian of ``f`` at ``x`` by central differences (4 evaluations per entry)."""
    p = x.size
    H = np.empty((p, p))
    for i in range(p):
        for j in range(i, p):
            ei = np.zeros(p)
            ej = np.zeros(p)
            ei[i], ej[j] = steps[i], steps[j]
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej)
                                 + f(x - ei - ej)) / (4 * steps[i] * steps[j])
    return H


def central_gradient(f, x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    eye = np.diag(steps)
    return np.array([(f(x + e) - f(x - e)) / (2 * s) for e, s in zip(eye, steps, strict=True)])


def _richardson(derivative, f, x, steps):
    """``(4 D(h) - D(2h)) / 3``: a central difference with O(h^4) truncation."""
    return (4 * derivative(f, x, steps) - derivative(f, x, 2 * steps)) / 3


def ml_oracle(nll, starts, polish: int = 4):
    """Minimise a hand-written negative log-likelihood; return ``(x, nll(x), cov)``.

    BFGS (central-difference gradient, gtol 1e-9) from every start; the best optimum is
    polished by ``polish`` Newton steps on Richardson-extrapolated central differences
    (gradient and Hessian, truncation O(h^4)) with steps ``h`` of 1/1000 of a standard
    error (from a pilot Hessian with steps 1e-4 max(1, |x|)); the covariance is the
    inverse of the final Hessian. Extrapolation matters where the likelihood is far from
    quadratic on the scale of a standard error (an inverse link with small linear
    predictors: the plain central gradient there is off by 1e-4 SE at h = 1e-3 SE).
    """
    best = None
    for x0 in starts:
        r = optimize.minimize(nll, np.asarray(x0, dtype=float), method="BFGS", jac="3-point",
                              options={"gtol": 1e-9, "maxiter": 20_000})
        if best is None or r.fun < best.fun:
            best = r
    x = best.x
    H = central_hessian(nll, x, 1e-4 * np.maximum(1.0, np.abs(x)))
    for _ in range(polish):
        steps = 1e-3 * np.sqrt(np.diag(np.linalg.inv(H)))
        H = _richardson(central_hessian, nll, x, steps)
        cand = x - np.linalg.solve(H, _richardson(central_gradient, nll, x, steps))
        if nll(cand) <= nll(x):
            x = cand
    H = _richardson(central_hessian, nll, x, steps)
    return x, float(nll(x)), np.linalg.inv(H)


def regression_data(rng, n: int) -> pd.DataFrame:
    """Two covariates for simulation: a standard normal and a 0/1 indicator."""
    return pd.DataFrame({"x1": rng.standard_normal(n), "x2": rng.integers(0, 2, n)})


def assert_recovered(res, truth: dict[tuple[str, str], float], k: float = 4.0):
    """Every estimate within ``k`` standard errors of its true value."""
    est, se = res.params, res.bse
    for key, value in truth.items():
        assert abs(est[key] - value) <= k * se[key], (key, est[key], value, se[key])


def wald_coverage(estimates: np.ndarray, ses: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Share of the 95% Wald intervals that cover the truth, per coefficient."""
    return np.mean(np.abs(estimates - truth) <= 1.959963984540054 * ses, axis=0)


def coverage_band(reps: int, level: float = 0.95) -> tuple[float, float]:
    """``level +- 3.5`` binomial standard errors for ``reps`` independent fits (a
    per-coefficient false alarm rate of ~5e-4)."""
    half = 3.5 * np.sqrt(level * (1 - level) / reps)
    return level - half, level + half


def assert_matches_oracle(res, x: np.ndarray, nll_value: float, cov: np.ndarray):
    """mlefit's fit against :func:`ml_oracle` on the same coefficients (link scales).

    * ``llf >= -nll - 1e-9``: the oracle's optimum cannot beat the maximum.
    * coefficients within 1e-6 SE: the oracle's Newton polish uses a Richardson central
      gradient with steps h = 1e-3 SE; truncation O(h^4) and rounding
      ``eps |llf| / h`` (4e-10 SE at |llf| = 1600) put its optimum within ~1e-8 SE.
    * standard errors within 1e-5 relative: the oracle's Hessian has negligible O(h^4)
      truncation and a rounding error ``~(5/3) eps |llf| / h^2`` relative, 6e-7 at
      |llf| = 1600 (measured: <= 2e-7).
    """
    se = res.bse.to_numpy()
    assert res.llf >= -nll_value - 1e-9
    assert np.all(np.abs(res.coef - x) <= 1e-6 * se), (res.coef - x) / se
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), se, rtol=1e-5)


def tight_fmin(func, x0, args=(), disp=0):
    """An optimizer for ``scipy.stats.<dist>.fit``: Nelder-Mead run to rounding level
    (the default stops at xtol = 1e-4)."""
    return optimize.fmin(func, x0, args=args, xtol=1e-12, ftol=1e-14, maxiter=40_000,
                         maxfun=80_000, disp=disp)


def assert_near_scipy_fit(res, llf_scipy: float, natural: dict[str, float]):
    """An intercept-only fit against ``scipy.stats.<dist>.fit(optimizer=tight_fmin)``.

    ``natural`` maps each parameter to scipy's estimate on the natural scale. scipy's
    optimum cannot beat the maximum (``llf >= llf_scipy - 1e-9``). A point whose
    log-likelihood is ``delta`` below the maximum lies about ``sqrt(2 delta)`` standard
    errors from it; Nelder-Mead run to rounding level gets within ~1e-12 (~1.4e-6 SE), so
    the estimates must agree within 2e-5 SE on each parameter's link scale (a shortfall
    of 2e-10 in llf).
    """
    assert res.llf >= llf_scipy - 1e-9
    for name, value in natural.items():
        link = res.links[name]
        diff = float(link.link(np.array(value))) - res.params[(name, "Intercept")]
        assert abs(diff) <= 2e-5 * res.bse[(name, "Intercept")], (name, diff)
