"""The engine on its own: per-row derivatives, the fallback chain, step control, methods.

Oracles: the Gaussian's analytic derivatives (for the numeric ones), closed-form MLEs, and
scipy.optimize on hand-written likelihoods.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import mlefit
from mlefit import Family, Parameter
from mlefit.domains import Positive, Real
from mlefit.engine import Block, Objective
from mlefit.engine.newton import STEP
from mlefit.registry import get_registry


def gaussian_objective(derivatives, n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    y = X @ [1.0, -2.0, 0.5] + rng.normal(scale=1.5, size=n)
    reg = get_registry()
    blocks = (Block("mu", reg.link("identity"), X, np.zeros(n), Real()),
              Block("sigma", reg.link("log"), X[:, :2], np.zeros(n), Positive()))
    return Objective(reg.family("gaussian"), y, blocks, np.ones(n), derivatives)


def test_numeric_row_derivatives_match_analytic():
    beta = np.array([0.5, -1.0, 0.2, 0.3, 0.1])  # away from the optimum
    analytic = gaussian_objective("analytic").rows(beta)
    num_obj = gaussian_objective("numeric")
    numeric = num_obj.rows(beta)
    # Central differences with steps eps^(1/3) s and eps^(1/4) s (s: the row's curvature
    # scale) err by about eps^(2/3) and sqrt(eps) |logpdf| relative to the derivative's
    # scale; rows far in the tails have |logpdf| ~ 50 here.
    for a, b in zip(analytic.d1, numeric.d1, strict=True):
        assert np.all(np.abs(b - a) <= 1e-7 * (np.abs(a) + np.abs(a).mean()))
    for key, a in analytic.d2.items():
        assert np.all(np.abs(numeric.d2[key] - a) <= 1e-5 * (np.abs(a) + np.abs(a).mean())), key


class CountingNormal(Family):
    """A logpdf-only normal that counts its calls and the rows they evaluate."""

    name = "counting_normal"
    support = Real()
    parameters = (Parameter("mu", Real()), Parameter("sigma", Positive()))

    def __init__(self):
        self.calls, self.rows = 0, 0

    def logpdf(self, y, mu, sigma):
        self.calls += 1
        self.rows += len(y)
        return stats.norm.logpdf(y, loc=mu, scale=sigma)


@pytest.mark.parametrize("block", [37, 4096])
def test_newton_pass_evaluates_the_fewest_perturbations(block):
    """A Newton pass with a logpdf-only family: the centre and one batched call over the
    (k+1)(k+2)/2 - 1 perturbations a full Hessian needs (k = 2: 5), in every row block."""
    ref = gaussian_objective("analytic")
    fam = CountingNormal()
    obj = Objective(fam, ref.y, ref.blocks, ref.weights)
    obj.block = block
    beta = np.array([0.5, -1.0, 0.2, 0.3, 0.1])
    obj.evaluate(beta, STEP)                    # the pilot pass for the step scales, once
    fam.calls, fam.rows = 0, 0
    got = obj.evaluate(beta, STEP)
    blocks = -(-obj.n // block)
    assert fam.calls == 2 * blocks
    assert fam.rows == obj.n * (1 + 5)
    want = ref.evaluate(beta, STEP)
    # Newton's shared step h = eps^(1/3) S: central first differences to ~eps^(2/3);
    # second differences to ~eps^(1/3) relative; the forward cross differences err by
    # O(h) times third derivatives: 1.7e-6 of the matrix's norm at this point far from the
    # optimum (residuals up to 5 sigma, large third derivatives in log sigma; relative to a
    # small entry more). This sets the Newton direction only; covariances use the
    # accurate scheme (test_numeric_row_derivatives_match_analytic).
    np.testing.assert_allclose(got.gradient, want.gradient, rtol=1e-7)
    err = np.abs(got.information - want.information).max()
    assert err <= 1e-5 * np.abs(want.information).max()


def test_partitions_give_the_same_sums():
    """Any partition of the rows gives the same sums (to rounding): numeric steps come
    from global scales, never from a block's statistics."""
    for derivatives in ("analytic", "numeric"):
        obj = gaussian_objective(derivatives)
        beta = np.array([0.5, -1.0, 0.2, 0.3, 0.1])
        sums = []
        for block in (obj.n, 64, 7):
            obj.block = block
            sums.append(obj.evaluate(beta, STEP))
        for s in sums[1:]:
            np.testing.assert_allclose(s.llf, sums[0].llf, rtol=1e-14)
            np.testing.assert_allclose(s.gradient, sums[0].gradient, rtol=1e-12, atol=1e-12)
            np.testing.assert_allclose(s.information, sums[0].information, rtol=1e-12)


class Cauchy(Family):
    """Cauchy location-scale, logpdf only: observed information indefinite in the tails."""

    name = "cauchy_test"
    support = Real()
    parameters = (Parameter("mu", Real()), Parameter("sigma", Positive()))

    def logpdf(self, y, mu, sigma):
        return stats.cauchy.logpdf(y, loc=mu, scale=sigma)


class CauchyWithInformation(Cauchy):
    name = "cauchy_info"

    def expected_information(self, y, mu, sigma):
        s2 = np.broadcast_to(2 * sigma**2, np.shape(y))
        return {("mu", "mu"): 1 / s2, ("mu", "sigma"): np.zeros(np.shape(y)),
                ("sigma", "sigma"): 1 / s2}


def cauchy_data(n=300, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    return pd.DataFrame({"x": x, "y": 2 + 1.5 * x + stats.cauchy.rvs(size=n, random_state=rng)})


def hand_cauchy(data):
    y, x = data["y"].to_numpy(), data["x"].to_numpy()

    def nll(t):
        return -np.sum(stats.cauchy.logpdf(y, loc=t[0] + t[1] * x, scale=np.exp(t[2])))

    best = min((optimize.minimize(nll, s, method="Nelder-Mead",
                                  options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000})
                for s in ([0, 0, 0], [2, 1.5, 0], [np.median(y), 0, 1])), key=lambda r: r.fun)
    return best.x, -best.fun


@pytest.mark.parametrize("family, fallback", [(Cauchy(), "bhhh"),
                                              (CauchyWithInformation(), "fisher")])
def test_fallback_chain_from_a_poor_start(family, fallback):
    data = cauchy_data()
    res = mlefit.fit("y ~ x", data, family, start={"mu": [30.0, -5.0], "sigma": 0.05})
    assert res.converged
    assert fallback in res.diagnostics.fallbacks
    coef, llf = hand_cauchy(data)
    assert res.llf == pytest.approx(llf, abs=1e-7)
    np.testing.assert_allclose(res.coef, coef, rtol=1e-4, atol=1e-5)


class Exponential(Family):
    """Exponential with mean mu, logpdf only; an identity link can leave the domain."""

    name = "exp_test"
    support = Positive()
    parameters = (Parameter("mu", Positive(), links=("log", "identity")),)

    def logpdf(self, y, mu):
        return -np.log(mu) - y / mu


def test_step_halving_keeps_the_parameter_in_its_domain():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, size=500)
    data = pd.DataFrame({"x": x, "y": rng.exponential(scale=0.05 + 2 * x)})
    res = mlefit.fit("y ~ x", data, Exponential(), link="identity", start={"mu": [3.0, 0.0]})
    assert res.converged
    mu = res.predict(which="mu")
    assert (mu > 0).all()

    def nll(b):
        m = b[0] + b[1] * x
        return np.inf if (m <= 0).any() else np.sum(np.log(m) + data["y"] / m)

    ref = optimize.minimize(nll, res.coef * 1.1, method="Nelder-Mead",
                            options={"xatol": 1e-12, "fatol": 1e-13})
    assert -res.llf == pytest.approx(ref.fun, abs=1e-8)


@pytest.mark.parametrize("method", ["bfgs", "l-bfgs-b", "trust-exact", "nelder-mead"])
def test_scipy_methods_reach_the_same_maximum(heart, method):
    newton = mlefit.fit("thalach ~ age + exang", heart, "gaussian", sigma="~ age")
    other = mlefit.fit("thalach ~ age + exang", heart, "gaussian", sigma="~ age", method=method)
    assert other.diagnostics.method == method
    assert other.llf == pytest.approx(newton.llf, abs=1e-6)
    # the covariance is computed at the estimate from the exact information, whatever the
    # optimiser: SEs agree as far as the estimates do
    np.testing.assert_allclose(other.bse, newton.bse, rtol=1e-3)


def test_diagnostics_report_the_state_at_convergence(heart):
    res = mlefit.fit("thalach ~ age + exang", heart, "gaussian", sigma="~ exang")
    d = res.diagnostics
    assert d.converged and d.decrement < 1e-12 and d.gradient_se < 1e-8
    assert 1 <= d.condition < 1e4 and d.derivatives == "analytic" and d.fallbacks == ()
    assert "converged in" in res.summary()


def test_restrict_moves_a_coefficient_into_the_offset():
    obj = gaussian_objective("analytic")
    beta = np.array([0.5, -1.0, 0.2, 0.3, 0.1])
    held = obj.restrict(1, -1.0)
    assert held.p == obj.p - 1
    assert held.loglik(np.delete(beta, 1)) == pytest.approx(obj.loglik(beta), rel=1e-14)


def test_a_response_far_from_zero_converges_at_the_rounding_floor(heart):
    """thalach + 1e12: the response is stored to ulp(1e12) = 1.2e-4, so the gradient is
    rounding noise and the Newton decrement cannot reach 1e-12; the fit stops at the
    rounding floor (converged, sigma estimated) with the unshifted fit's estimates to
    that rounding: slope and sigma within 1.2e-4 / (sd(age) sqrt(n)) ~ 1e-6 relative."""
    import warnings

    ref = mlefit.fit("thalach ~ age", heart, "gaussian")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = mlefit.fit("y ~ age", heart.assign(y=heart["thalach"] + 1e12), "gaussian")
    assert res.converged
    np.testing.assert_allclose(res.coef[1:], ref.coef[1:], rtol=0, atol=2e-6)
    assert res.coef[0] - 1e12 == pytest.approx(ref.coef[0], abs=1e-3)


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_threads_share_the_blocks_with_the_same_answer_bit_for_bit(monkeypatch, family):
    """The blocks of a pass go to worker threads; their sums are added in block order, so
    one thread and several give identical numbers (engine/threads.py)."""
    rng = np.random.default_rng(8)
    n = 50_000                                     # four blocks of 16384 rows at p = 4
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 3))])
    eta = X @ [0.3, 0.2, -0.1, 0.05]
    y = eta + rng.normal(size=n) if family == "gaussian" else \
        rng.poisson(np.exp(eta)).astype(float)
    fits = []
    for threads in ("1", "2", "3"):
        monkeypatch.setenv("MLEFIT_THREADS", threads)
        fits.append(mlefit.fit_arrays(y, X, family))
    for other in fits[1:]:
        assert np.array_equal(other.params, fits[0].params)
        assert np.array_equal(other.bse, fits[0].bse)
        assert other.llf == fits[0].llf
