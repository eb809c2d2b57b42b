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


def assert_boundary_lrtest(family, extra: np.ndarray, seed: int, max_lr: float) -> None:
    """Poisson in ``family`` at a boundary of its second parameter: the LR statistic's
    null distribution is 1/2 chi2(0) + 1/2 chi2(1) (Self and Liang 1987), so ``p =
    chi2(1).sf(LR) / 2``. Data drawn with the second parameter at ``extra`` (mildly
    overdispersed) give a moderate statistic, between 1 and ``max_lr``."""
    import pandas as pd
    from scipy import stats

    import mlefit
    from mlefit_families.poisson import Poisson

    rng = np.random.default_rng(seed)
    x = rng.standard_normal(extra.size)
    y = family.sample(rng, extra.size, np.exp(1 + 0.3 * x), extra)
    data = pd.DataFrame({"x": x, "y": y})
    pois = mlefit.fit("y ~ x", data, family=Poisson())
    fitted = mlefit.fit("y ~ x", data, family=family)
    test = mlefit.lrtest(pois, fitted)
    lr = 2 * (fitted.llf - pois.llf)
    assert test.boundary and test.df == 1 and 1 < lr < max_lr
    assert np.isclose(test.statistic, lr, rtol=1e-12, atol=0)
    assert np.isclose(test.pvalue, stats.chi2(1).sf(lr) / 2, rtol=1e-12, atol=0)


def recover_by_group(family, name: str, values: tuple[float, float], seed: int = 7):
    """Fit ``y ~ x`` with ``name="~ group"`` to counts whose second parameter is
    ``values[0]`` in group a and ``values[1]`` in group b; every coefficient within 4 SE
    of the truth (log link on ``name``). Returns the fit."""
    import pandas as pd

    import mlefit

    rng = np.random.default_rng(seed)
    n = 4000
    x = rng.standard_normal(n)
    group = rng.integers(0, 2, n)
    y = family.sample(rng, n, np.exp(1.0 + 0.5 * x), np.where(group == 1, *values[::-1]))
    data = pd.DataFrame({"y": y, "x": x, "group": np.where(group == 1, "b", "a")})
    res = mlefit.fit("y ~ x", data, family=family, **{name: "~ group"})
    assert list(res.params[name].index) == ["Intercept", "group[T.b]"]
    within_se(res, {("mu", "Intercept"): 1.0, ("mu", "x"): 0.5,
                    (name, "Intercept"): np.log(values[0]),
                    (name, "group[T.b]"): np.log(values[1] / values[0])})
    return res


def recover_identity_link(family, name: str, value: float, seed: int = 9) -> None:
    """``mu = 2 + 4 x`` with the identity link, the second parameter at ``value``."""
    import pandas as pd

    import mlefit

    rng = np.random.default_rng(seed)
    n = 3000
    x = rng.uniform(0, 1, n)
    y = family.sample(rng, n, 2.0 + 4.0 * x, np.full(n, value))
    res = mlefit.fit("y ~ x", pd.DataFrame({"y": y, "x": x}), family=family, link="identity")
    within_se(res, {("mu", "Intercept"): 2.0, ("mu", "x"): 4.0,
                    (name, "Intercept"): np.log(value)})


def r_order(values):
    """mlefit puts the intercept first; the R and Stata results list it last."""
    values = np.asarray(values)
    return np.r_[values[1:], values[0]]


def statsmodels_negbin_randhie(randhie, loglike_method: str):
    """statsmodels' ``NegativeBinomial`` on the RAND data (all regressors), its Newton to
    1e-12."""
    import statsmodels.api as sm

    exog = sm.add_constant(randhie.iloc[:, 1:], prepend=True)
    sm_res = sm.NegativeBinomial(randhie["mdvis"], exog, loglike_method=loglike_method).fit(
        method="newton", tol=1e-12, maxiter=100, disp=False)
    assert sm_res.mle_retvals["converged"]
    return sm_res


def assert_matches_statsmodels_negbin(res, sm_res, parameter: str, sign: float,
                                      rtol: float) -> None:
    """Coefficients, statsmodels' ``alpha`` (``log alpha = sign * log(parameter)``), the
    joint observed-information SEs and the log-likelihood. statsmodels reports alpha and
    its SE on the natural scale: SE(log alpha) = SE(alpha)/alpha (the delta method is
    exact for the inverse Hessian at a stationary point)."""
    alpha = sm_res.params.iloc[-1]
    np.testing.assert_allclose(res.params["mu"], sm_res.params.iloc[:-1], rtol=rtol)
    key = (parameter, "Intercept")
    assert np.isclose(np.exp(sign * res.params[key]), alpha, rtol=rtol, atol=0)
    np.testing.assert_allclose(res.bse["mu"], sm_res.bse.iloc[:-1], rtol=rtol)
    assert np.isclose(res.bse[key], sm_res.bse.iloc[-1] / alpha, rtol=rtol, atol=0)
    assert np.isclose(res.llf, sm_res.llf, rtol=1e-14, atol=0)


def richardson_hessian(f, x, h: float = 2e-3):
    """Hessian of ``f`` at ``x`` from statsmodels' central differences (``approx_hess3``)
    at the absolute steps ``h`` and ``h/2``, Richardson-extrapolated: truncation error
    O(h^4), rounding ``eps |f| / h^2``. numdiff's default steps leave truncation errors of
    1e-5 .. 1e-4 in SEs of models with some steep directions (zero-inflation blocks)."""
    from statsmodels.tools.numdiff import approx_hess3

    coarse, fine = approx_hess3(x, f, epsilon=h), approx_hess3(x, f, epsilon=h / 2)
    return (4 * fine - coarse) / 3


#: pscl's ``art ~ .``: the regressors of bioChemists, in mlefit's formula and column order
BIOCHEMISTS_FORMULA = "art ~ fem + mar + kid5 + phd + ment"
BIOCHEMISTS_TERMS = "~ fem + mar + kid5 + phd + ment"


def biochemists_design(bio):
    """The design of :data:`BIOCHEMISTS_TERMS` as statsmodels takes it (intercept first,
    R's reference levels ``Men`` and ``Single``)."""
    return np.column_stack([np.ones(len(bio)), bio["fem"] == "Women", bio["mar"] == "Married",
                            bio["kid5"], bio["phd"], bio["ment"]]).astype(float)


def hurdle_oracle(bio, truncated_model):
    """The separated hurdle likelihood on bioChemists: statsmodels ``Logit`` of ``y > 0``
    and ``truncated_model(y, X)`` (a zero-truncated count model) on the positive rows,
    both by Newton to tol 1e-12. Returns (logit result, truncated model, its result)."""
    import statsmodels.api as sm

    X, y = biochemists_design(bio), bio["art"].to_numpy(float)
    positive = y > 0
    logit = sm.Logit(positive.astype(float), X).fit(disp=False, tol=1e-12, maxiter=100)
    model = truncated_model(y[positive], X[positive])
    fitted = model.fit(method="newton", disp=False, maxiter=200, tol=1e-12)
    assert logit.mle_retvals["converged"] and fitted.mle_retvals["converged"]
    return logit, model, fitted


def check_mass_cdf_moments(family, params: dict, pmf: np.ndarray, rtol: float = 1e-12):
    """``exp(logpdf)``, ``cdf``, ``mean`` and ``variance`` of ``family`` at one parameter
    point against an independent mass ``pmf`` over ``y = 0..len(pmf) - 1`` (whose tail
    beyond must be negligible): the cdf as its cumulative sum, the moments as its sums
    (the variance 100 times looser: a difference of two sums)."""
    y = np.arange(float(len(pmf)))
    args = {k: np.full(y.shape, v) for k, v in params.items()}
    np.testing.assert_allclose(np.exp(family.logpdf(y, **args)), pmf, rtol=rtol, atol=1e-300)
    np.testing.assert_allclose(family.cdf(y, **args), np.cumsum(pmf), rtol=10 * rtol)
    mean = np.sum(y * pmf)
    assert abs(family.mean(**params) - mean) <= 10 * rtol * mean
    var = np.sum(y * y * pmf) - mean**2
    assert abs(family.variance(**params) - var) <= 100 * rtol * var


def check_zero_modified_derivatives(family, ranges: dict, seed: int, n: int = 400) -> None:
    """:func:`check_derivatives` at ``n`` rows whose parameters are drawn uniformly from
    ``ranges`` (``{name: (low, high)}``) and whose responses are drawn from the family,
    which must give both zeros and positive counts; the rounding scale is the size of the
    count's log-mass terms (``log y!``, ``y log mu``, ``mu``, and for a negative binomial
    ``log Gamma(y + theta)`` and ``(theta + y) log1p(mu / theta)``)."""
    from scipy import special

    rng = np.random.default_rng(seed)
    params = {name: rng.uniform(low, high, n) for name, (low, high) in ranges.items()}
    y = family.sample(rng, n, **params)
    assert (y == 0).sum() > 50 and (y > 0).sum() > 50
    mu = params["mu"]
    scale = special.gammaln(y + 1) + y * np.abs(np.log(mu)) + mu + 1
    if "theta" in params:
        theta = params["theta"]
        scale = scale + special.gammaln(y + theta) + (theta + y) * np.log1p(mu / theta)
    check_derivatives(family, y, params, logpdf_scale=scale)


def assert_mixture_lrtest(small, large, min_lr: float = 0.0):
    """``lrtest(small, large)`` at a boundary: statistic ``2 (llf1 - llf0)`` above
    ``min_lr``, p-value ``chi2(1).sf(LR) / 2`` (the 1/2 chi2(0) + 1/2 chi2(1) mixture)."""
    from scipy import stats

    import mlefit

    test = mlefit.lrtest(small, large)
    lr = 2 * (large.llf - small.llf)
    assert test.boundary and test.df == 1 and lr > min_lr
    assert np.isclose(test.statistic, lr, rtol=1e-12, atol=0)
    assert np.isclose(test.pvalue, stats.chi2(1).sf(lr) / 2, rtol=1e-12, atol=0)
    return test
