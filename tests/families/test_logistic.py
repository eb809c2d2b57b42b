"""The logistic family against oracles that are not mlefit.

Oracles: scipy.stats.logistic (logpdf, cdf, moments, fit), a hand-written likelihood
maximised by scipy.optimize (see _continuous_oracles), quadrature of the score's
variance, central differences and simulation. Real data: serum cholesterol (heart).
"""

import numpy as np
import pytest
from _continuous_oracles import (
    assert_derivatives_at_typical_draws,
    assert_expected_information,
    assert_matches_oracle,
    assert_matches_scipy,
    assert_near_scipy_fit,
    assert_recovered,
    ml_oracle,
    regression_data,
    tight_fmin,
)
from scipy import special, stats

import mlefit
from mlefit.testing import parametrize_with_checks
from mlefit_families.logistic import Logistic

FAMILY = Logistic()


@parametrize_with_checks([FAMILY])
def test_conformance(family, check):
    check(family)


def test_declaration():
    assert isinstance(mlefit.get_family("logistic")[0], Logistic)   # the entry point
    assert FAMILY.parameter_names == ("mu", "sigma")
    assert [p.default_link for p in FAMILY.parameters] == ["identity", "log"]


@pytest.mark.parametrize(("mu", "sigma"), [(0.0, 1.0), (-3.0, 0.5), (250.0, 30.0)])
def test_logpdf_cdf_moments_match_scipy(mu, sigma):
    assert_matches_scipy(FAMILY, stats.logistic(mu, sigma), {"mu": mu, "sigma": sigma})


def test_far_tails_are_exact():
    # log f = -|z| - 2 log1p(exp(-|z|)) - log sigma: at |z| = 800 the log1p term is
    # exp(-800) (below the smallest double), so log f = -|z| - log sigma exactly.
    y = np.array([-1600.0, 1600.0])
    p = {"mu": np.zeros(2), "sigma": np.full(2, 2.0)}
    np.testing.assert_array_equal(FAMILY.logpdf(y, **p), -800.0 - np.log(2.0))
    assert np.all(np.isfinite(FAMILY.d2logpdf(y, **p)[("sigma", "sigma")]))


def test_derivatives_match_central_differences():
    assert_derivatives_at_typical_draws(FAMILY, seed=12)


def test_expected_information_matches_quadrature():
    # I_mu = 1 / (3 sigma^2), I_sigma = (3 + pi^2) / (9 sigma^2)
    assert_expected_information(FAMILY, {"mu": 1.0, "sigma": 1.7}, -np.inf, np.inf,
                                points=[1.0])


def test_intercept_only_matches_scipy_fit(heart):
    y = heart["chol"].to_numpy(float)
    loc, scale = stats.logistic.fit(y, optimizer=tight_fmin)
    res = mlefit.fit("chol ~ 1", heart, family=FAMILY)
    assert_near_scipy_fit(res, stats.logistic.logpdf(y, loc, scale).sum(),
                          {"mu": loc, "sigma": scale})


def test_regression_matches_hand_written_likelihood(heart):
    res = mlefit.fit("chol ~ age + sex", heart, family=FAMILY, sigma="~ sex")
    y = heart["chol"].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), heart[["age", "sex"]].to_numpy(float)])
    Z = X[:, [0, 2]]

    def nll(b):
        log_s = Z @ b[3:]
        z = (y - X @ b[:3]) / np.exp(log_s)
        return -np.sum(-z - 2 * np.logaddexp(0, -z) - log_s)

    ols = np.linalg.lstsq(X, y, rcond=None)[0]
    x, f, cov = ml_oracle(nll, [np.r_[ols, np.log(y.std()), 0.0],
                                np.r_[np.median(y), 0, 0, 3.0, 0]])
    assert_matches_oracle(res, x, f, cov)


def test_simulate_and_recover():
    rng = np.random.default_rng(13)
    data = regression_data(rng, 2000)
    data["y"] = (2.0 - 1.0 * data["x1"] + 0.5 * data["x2"]
                 + np.exp(0.3 - 0.5 * data["x2"]) * rng.logistic(size=2000))
    res = mlefit.fit("y ~ x1 + x2", data, family=FAMILY, sigma="~ x2")
    assert_recovered(res, {("mu", "Intercept"): 2.0, ("mu", "x1"): -1.0, ("mu", "x2"): 0.5,
                           ("sigma", "Intercept"): 0.3, ("sigma", "x2"): -0.5})


def test_predicted_mean_and_cdf(heart):
    res = mlefit.fit("chol ~ age", heart, family=FAMILY)
    mu, sigma = res.predict(which="mu"), res.predict(which="sigma")
    np.testing.assert_array_equal(res.predict(which="mean"), mu)
    np.testing.assert_allclose(FAMILY.cdf(heart["chol"].to_numpy(float), mu.to_numpy(),
                                          sigma.to_numpy()),
                               special.expit((heart["chol"] - mu) / sigma), rtol=1e-15)
