"""The censored pass's row plan (:class:`mlefit.engine.censored.Plan`): each block's
exact / censored / truncated rows are sorted once per objective and reused by every pass.

Two kinds of check:

* the cached plans give the same sums as plans built afresh in each kernel call (the same
  code on the same rows: equal to the last bit), for the objective of a fit, a restricted
  one (a coefficient held: profile intervals) and a frozen one (a staged fit), and they
  are built once per block however many passes run;
* an oracle that is not the engine: the weighted log-likelihood written row by row with
  ``scipy.stats.norm`` (exact rows' density, censored rows' probability of their interval,
  less the truncation probability), its score by central differences, and a profile
  interval end checked by maximising that likelihood with scipy over the other
  coefficients.

The data mix every kind in one block: exact, right-, left- and interval-censored rows,
per-row left truncation on some rows (others open), and a weight-0 row; the objective is
cut into blocks of 23 rows so that the kinds' rows are both contiguous (slices) and
scattered (positions).
"""

from dataclasses import replace

import numpy as np
import pytest
from scipy import optimize, stats

import mlefit
from mlefit.engine import kernel
from mlefit.engine.kernel import Want

OBSERVED = Want(gradient=True, information="observed")


def _data(n=240, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    X = np.column_stack([np.ones(n), x])
    y = 1.0 + 0.8 * x + 1.3 * rng.normal(size=n)
    code = rng.choice([0, 1, 2, 3], p=[0.2, 0.5, 0.15, 0.15], size=n)   # R's interval codes
    width = rng.uniform(0.2, 1.5, n)
    time = np.where(code == 3, y - width, y)        # interval rows: (y - width, y]
    time2 = np.where(code == 3, y, np.nan)
    time = np.where(code == 0, y - 0.5 * width, time)   # right-censored below y
    time = np.where(code == 2, y + 0.5 * width, time)   # left-censored above y
    # left truncation on half the rows, below every limit of the row; the others open
    tlo = np.where(rng.uniform(size=n) < 0.5, np.minimum(time, y) - rng.uniform(0.1, 2, n),
                   -np.inf)
    w = rng.integers(1, 4, n).astype(float)
    return X, time, time2, code, tlo, w


def _fit(**kw):
    X, time, time2, code, tlo, w = _data()
    surv = mlefit.Surv(time, time2, code, type="interval")
    return mlefit.fit_arrays(surv, X, family="gaussian", weights=w,
                             truncation=(tlo, None), **kw)


def _scipy_loglik(beta, log_sigma, w=None):
    """The oracle: sum_i w_i log L_i with scipy.stats.norm, row by row."""
    X, time, time2, code, tlo, weights = _data()
    w = weights if w is None else w
    d = stats.norm(X @ beta, np.exp(log_sigma))
    with np.errstate(invalid="ignore", divide="ignore"):   # np.select evaluates all
        # a left-censored row truncated below lies in (tlo, c]: P = F(c) - F(tlo)
        rows = np.select(
            [code == 1, code == 0, code == 2],
            [d.logpdf(time), d.logsf(time), np.log(d.cdf(time) - d.cdf(tlo))],
            np.log(d.cdf(np.nan_to_num(time2)) - d.cdf(time)))
    return float(np.sum(w * (rows - np.where(np.isfinite(tlo), d.logsf(tlo), 0.0))))


def _small_blocks(obj, rows=23):
    obj.block = rows
    obj._plans.clear()
    return obj


def _fresh(obj, beta, want=OBSERVED):
    """The sums with every block's plan built afresh inside the kernel call."""
    total = kernel.Sums()
    for start in range(0, obj.n, obj.block):
        chunk = obj._chunk(slice(start, min(start + obj.block, obj.n)))
        total = total + kernel.accumulate(obj.model, replace(chunk, plan=None), beta, want)
    return total


def _same(a, b):
    assert a.llf == b.llf
    np.testing.assert_array_equal(a.gradient, b.gradient)
    np.testing.assert_array_equal(a.information, b.information)


def test_cached_plans_equal_a_fresh_build_and_are_built_once(monkeypatch):
    res = _fit()
    obj = _small_blocks(res._context.objective)
    built = []
    real = kernel.plan
    monkeypatch.setattr(kernel, "plan", lambda *a: built.append(1) or real(*a))
    beta = res._context.coef_ml + 0.05
    first = obj.evaluate(beta, OBSERVED)
    blocks = -(-obj.n // obj.block)
    assert len(built) == blocks
    again = obj.evaluate(beta - 0.02, OBSERVED)
    assert len(built) == blocks          # the second pass reuses every block's plan
    _same(first, _fresh(obj, beta))
    _same(again, _fresh(obj, beta - 0.02))
    # the plans mix contiguous and scattered rows of each kind
    spans = [s for p in obj._plans.values() for s in (p.exact, *p.censored, *p.truncated)]
    assert any(isinstance(s.rows, slice) for s in spans)
    assert any(isinstance(s.rows, np.ndarray) for s in spans)


def test_cached_sums_match_the_scipy_likelihood_and_its_score():
    res = _fit()
    obj = _small_blocks(res._context.objective)
    # a weight-0 row inside the objective (a fit drops such rows before the engine): an
    # interval-censored, truncated row, in a block with other kinds
    _, _, _, code, tlo, w = _data()
    zero = int(np.flatnonzero((code == 3) & np.isfinite(tlo))[3])
    w = w.copy()
    w[zero] = 0.0
    obj.weights = w
    beta = res._context.coef_ml + np.array([0.1, -0.05, 0.02])
    got = obj.evaluate(beta, OBSERVED)
    _same(got, _fresh(obj, beta))
    # summing rows in another order than scipy's: relative rounding ~1e-15 per row
    assert got.llf == pytest.approx(_scipy_loglik(beta[:2], beta[2], w), rel=1e-12)

    def f(b):
        return _scipy_loglik(b[:2], b[2], w)
    h = 1e-5   # central differences: error ~ h^2 f''' plus rounding 1e-16 |f| / h, < 1e-7
    num = np.array([(f(beta + h * e) - f(beta - h * e)) / (2 * h) for e in np.eye(3)])
    np.testing.assert_allclose(got.gradient / obj.scale, num, rtol=1e-7, atol=1e-6)
    # observed information against second differences (h = 1e-4: error ~ h^2 f^(4) plus
    # rounding 1e-16 |f| / h^2 ~ 1e-5 at |f| ~ 600; the entries are ~ 100)
    h, E = 1e-4, np.eye(3)
    hess = np.array([[(f(beta + h * (E[i] + E[j])) - f(beta + h * (E[i] - E[j]))
                       - f(beta - h * (E[i] - E[j])) + f(beta - h * (E[i] + E[j]))) / (4 * h * h)
                      for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(got.information / np.outer(obj.scale, obj.scale), -hess,
                               rtol=1e-5, atol=1e-4)
    # the oracle without the weight-0 row's weight differs: the row is there
    assert _scipy_loglik(beta[:2], beta[2]) != pytest.approx(got.llf, rel=1e-6)


def _split(res):
    coef = res._context.coef_ml
    return coef[:2], coef[2]


def test_restricted_and_frozen_objectives_share_the_plans():
    res = _fit()
    obj = _small_blocks(res._context.objective)
    coef = res._context.coef_ml
    obj.evaluate(coef, OBSERVED)
    held = obj.restrict(1, coef[1] + 0.1)          # the slope held: profile likelihood
    assert held._plans is obj._plans
    held.block = obj.block
    b = np.delete(coef, 1)
    _same(held.evaluate(b, OBSERVED), _fresh(held, b))
    assert held.loglik(b) == pytest.approx(
        _scipy_loglik(np.array([coef[0], coef[1] + 0.1]), coef[2]), rel=1e-12)
    frozen = obj.freeze(coef, keep=["mu"])         # sigma held at its estimate
    assert frozen._plans is obj._plans
    frozen.block = obj.block
    b = coef[:2] + 0.03
    _same(frozen.evaluate(b, OBSERVED), _fresh(frozen, b))
    assert frozen.loglik(b) == pytest.approx(_scipy_loglik(b, coef[2]), rel=1e-12)


def test_profile_interval_end_maximises_the_scipy_likelihood():
    res = _fit()
    lower, upper = res.conf_int(method="profile").loc[("mu", "x1")]
    top = _scipy_loglik(*_split(res))
    crit = stats.chi2.ppf(0.95, 1) / 2
    for end in (lower, upper):
        # profile over the intercept and log sigma with scipy (Nelder-Mead from the fit)
        prof = optimize.minimize(lambda b, e=end: -_scipy_loglik(np.array([b[0], e]), b[1]),
                                 [_split(res)[0][0], _split(res)[1]],
                                 method="Nelder-Mead",
                                 options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000})
        # the interval's end is where the profile drops by chi2(0.95)/2; the profile's
        # slope there is ~ 1/SE, so 1e-6 in the drop is ~ 1e-6 SE in the end
        assert top + prof.fun == pytest.approx(crit, abs=1e-6)
