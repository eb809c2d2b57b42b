"""Oracles shared by the count-family tests (Poisson, negative binomials, ZIP).

* :func:`check_derivatives`: the family's ``dlogpdf`` against central differences of its
  ``logpdf``, and ``d2logpdf`` against central differences of ``dlogpdf``, row by row.
  The tolerance is the difference's own error bound, not a guess: the truncation error
  is estimated by Richardson (``|D(h) - D(h/2)|`` bounds it for smooth functions) and the
  rounding error is ``eps S / h``, where ``S`` is the size of the terms the function sums
  (``log y!`` and ``y log mu`` for a count, not the small ``|log p|`` they leave); a row
  fails when it is off by more than 10 times their sum.
* :func:`score_moments`: exact ``E[s_a s_b]`` over the support (truncated where the mass
  left is below 1e-17), with ``p(y)`` from a scipy/statsmodels distribution and the
  score from central differences of that distribution's log mass: the information
  identity, independent of the family under test.
* :func:`within_se`: estimates within ``k`` standard errors of the truth (simulation).
"""

from __future__ import annotations

import numpy as np

EPS = np.finfo(float).eps


def _diff(f, params, name, h):
    up, down = dict(params), dict(params)
    up[name], down[name] = params[name] + h, params[name] - h
    return (f(up) - f(down)) / (2 * h)


def _check(f, analytic, params, name, h, scale, label):
    coarse, fine = _diff(f, params, name, h), _diff(f, params, name, h / 2)
    bound = 10 * (np.abs(coarse - fine) + EPS * scale / h) + 1e-300
    err = np.abs(analytic - fine)
    worst = int(np.argmax(err / bound))
    assert np.all(err <= bound), (label, worst, analytic[worst], fine[worst], bound[worst])


def check_derivatives(family, y, params, logpdf_scale, rel_step=1e-4):
    """Analytic first and second derivatives against central differences (see above).

    ``logpdf_scale``: per row, the size of the terms ``logpdf`` adds up (its rounding
    level divided by eps).
    """
    names = family.parameter_names
    d1 = family.dlogpdf(y, **params)
    d2 = family.d2logpdf(y, **params)
    for a in names:
        h = rel_step * np.maximum(1e-3, np.abs(params[a]))
        _check(lambda p: family.logpdf(y, **p), d1[a], params, a, h, logpdf_scale, a)
        for b in names[names.index(a):]:
            key = (a, b) if (a, b) in d2 else (b, a)
            _check(lambda p, b=b: family.dlogpdf(y, **p)[b], d2[key], params, a, h,
                   np.abs(d1[b]) + 1.0, key)


def score_moments(logpmf, params: dict[str, float], upper: int, steps: dict[str, float]):
    """``E[s_a s_b]`` for one parameter point: ``sum_{y <= upper} p(y) s_a(y) s_b(y)``.

    ``logpmf(y, **params)`` is an independent implementation (scipy, statsmodels); its
    scores are central differences with the given ``steps`` (fourth-order stencil).
    """
    y = np.arange(0.0, upper + 1.0)
    p = np.exp(logpmf(y, **params))
    assert 1.0 - p.sum() < 1e-15, "raise upper: the truncated mass is not negligible"
    scores = {}
    for name, h in steps.items():
        shifted = {k: dict(params) for k in (-2, -1, 1, 2)}
        for k in shifted:
            shifted[k][name] = params[name] + k * h
        f = {k: logpmf(y, **v) for k, v in shifted.items()}
        scores[name] = (f[-2] - 8 * f[-1] + 8 * f[1] - f[2]) / (12 * h)
    names = list(steps)
    return {(a, b): float(np.sum(p * scores[a] * scores[b]))
            for i, a in enumerate(names) for b in names[i:]}


def within_se(res, truth: dict, k: float = 4.0) -> None:
    """Every ``(parameter, term)`` estimate within ``k`` standard errors of ``truth``."""
    for key, value in truth.items():
        z = (res.params[key] - value) / res.bse[key]
        assert abs(z) <= k, (key, res.params[key], value, res.bse[key])
