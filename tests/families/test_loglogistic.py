"""The loglogistic family (mu = the scale and median, shape = k) against oracles that are
not mlefit.

Oracles: scipy.stats.fisk(c=shape, scale=mu) (logpdf, cdf, logcdf, logsf, moments),
central differences of logpdf/logcdf/logsf, quadrature of the expected information, and
lifelines' LogLogisticAFTFitter on its bundled rossi data (right-censored: alpha_ is
mlefit's mu, beta_ its shape, both on log links).
"""

import numpy as np
import pytest
from _continuous_oracles import (
    assert_derivatives_at_typical_draws,
    assert_expected_information,
    assert_matches_scipy,
)
from scipy import stats

import mlefit
from mlefit.testing import parametrize_with_checks
from mlefit_families.loglogistic import LogLogistic

FAMILY = LogLogistic()


@parametrize_with_checks([FAMILY])
def test_conformance(family, check):
    check(family)


def test_declaration():
    assert isinstance(mlefit.get_family("loglogistic")[0], LogLogistic)   # the entry point
    assert FAMILY.parameter_names == ("mu", "shape")
    assert [p.default_link for p in FAMILY.parameters] == ["log", "log"]


@pytest.mark.parametrize(("mu", "shape"), [(0.5, 2.5), (1.0, 3.0), (3.0, 4.5), (20.0, 8.0)])
def test_logpdf_cdf_moments_match_scipy(mu, shape):
    # the variance 2b/sin(2b) - b^2/sin(b)^2 cancels about log10(k^2) digits as k grows
    # (both sides the same formula): 1e-11
    assert_matches_scipy(FAMILY, stats.fisk(shape, scale=mu), {"mu": mu, "shape": shape},
                         rtol=1e-12, moments_rtol=1e-11)


def test_moments_where_they_do_not_exist():
    assert FAMILY.mean(np.array([2.0]), np.array([0.9]))[0] == np.inf
    assert FAMILY.variance(np.array([2.0]), np.array([1.8]))[0] == np.inf


def test_tails_match_scipy_far_out():
    # logcdf/logsf in log space: accurate where cdf or sf underflow (scipy's fisk logsf is
    # log1p(-cdf)-based in the far upper tail, so the reference there is the closed form
    # -log1p((y/mu)^k))
    y = np.array([1e-30, 1e-8, 0.3, 1.0, 7.0, 1e8, 1e40])
    mu, k = np.full(y.size, 2.0), np.full(y.size, 3.0)
    np.testing.assert_allclose(FAMILY.logcdf(y, mu=mu, shape=k),
                               stats.fisk(3.0, scale=2.0).logcdf(y), rtol=1e-13)
    np.testing.assert_allclose(FAMILY.logsf(y, mu=mu, shape=k), -np.log1p((y / 2.0) ** 3),
                               rtol=1e-13)


def test_derivatives_match_central_differences():
    assert_derivatives_at_typical_draws(FAMILY, seed=21)


def test_expected_information_by_quadrature():
    assert_expected_information(FAMILY, {"mu": 2.0, "shape": 3.0}, 0.0, np.inf)


def test_sample_matches_the_cdf():
    rng = np.random.default_rng(4)
    draws = FAMILY.sample(rng, 20000, np.full(20000, 2.0), np.full(20000, 3.0))
    # Kolmogorov-Smirnov at the 0.1% level: a wrong sampler fails by far
    assert stats.kstest(draws, stats.fisk(3.0, scale=2.0).cdf).pvalue > 1e-3


def _rossi_loglik(rossi, terms, beta, shape):
    """The right-censored log-likelihood written with scipy.stats.fisk (events: logpdf,
    censored: logsf)."""
    X = np.column_stack([np.ones(len(rossi))] + [rossi[t].to_numpy(float) for t in terms])
    dist = stats.fisk(shape, scale=np.exp(X @ beta))
    t, event = rossi["week"].to_numpy(float), rossi["arrest"].to_numpy() == 1
    return float(np.sum(np.where(event, dist.logpdf(t), dist.logsf(t))))


def test_right_censored_rossi_matches_lifelines():
    lifelines = pytest.importorskip("lifelines")
    rossi = lifelines.datasets.load_rossi()
    terms = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
    res = mlefit.fit(f"Surv(week, arrest) ~ {' + '.join(terms)}", rossi, family="loglogistic")
    aft = lifelines.LogLogisticAFTFitter().fit(rossi, "week", "arrest")
    assert res.diagnostics.derivatives == "analytic"
    # both log-likelihoods are the same function: scipy's closed form reproduces each
    # program's value at its own estimate
    ours = res.params["mu"][["Intercept", *terms]].to_numpy()
    theirs = aft.params_["alpha_"][["Intercept", *terms]].to_numpy()
    assert _rossi_loglik(rossi, terms, ours, np.exp(res.params["shape"].iloc[0])) == \
        pytest.approx(res.llf, abs=1e-9)
    assert _rossi_loglik(rossi, terms, theirs, np.exp(aft.params_["beta_"]["Intercept"])) == \
        pytest.approx(aft.log_likelihood_, abs=1e-9)
    # lifelines' LogLogisticAFTFitter stops early here (its llf -679.938506 is 1e-4 below
    # the maximum -679.938411 that mlefit reaches with a Newton decrement of 1e-14, even
    # with precision=1e-12): the estimates differ by up to 0.013 standard errors (paro)
    assert res.llf >= aft.log_likelihood_
    assert res.llf == pytest.approx(aft.log_likelihood_, abs=2e-4)
    se = res.bse["mu"][["Intercept", *terms]].to_numpy()
    assert np.all(np.abs(ours - theirs) < 0.02 * se)
    np.testing.assert_allclose(se, aft.standard_errors_["alpha_"][["Intercept", *terms]],
                               rtol=2e-3)
