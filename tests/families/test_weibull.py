"""The weibull family (mu = the SCALE lambda, shape = k) against oracles that are not mlefit.

Oracles: scipy.stats.weibull_min(c=shape, scale=mu) (logpdf, cdf, moments, fit), a
hand-written likelihood in R survreg's parameterisation (log y = x'beta + sigma W, W the
standard minimum extreme value; survreg's coefficients are mlefit's mu coefficients on
the log link and survreg's Scale is 1/shape), another in mlefit's own, both maximised by
scipy.optimize, quadrature and simulation. Data: the cancer drug trial, studytime as
uncensored survival times (48 rows).
"""

import numpy as np
import pandas as pd
import pytest
from _continuous_oracles import (
    assert_derivatives_at_typical_draws,
    assert_expected_information,
    assert_matches_oracle,
    assert_matches_scipy,
    assert_near_scipy_fit,
    assert_recovered,
    cancer_design,
    coverage_band,
    ml_oracle,
    regression_data,
    tight_fmin,
    typical_params,
    wald_coverage,
)
from scipy import special, stats

import mlefit
from mlefit.errors import DataError
from mlefit.testing import parametrize_with_checks
from mlefit_families.exponential import Exponential
from mlefit_families.weibull import Weibull

FAMILY = Weibull()
FORMULA = "studytime ~ age + drug"



@parametrize_with_checks([FAMILY])
def test_conformance(family, check):
    check(family)


def test_declaration():
    assert isinstance(mlefit.get_family("weibull")[0], Weibull)   # the entry point
    assert FAMILY.parameter_names == ("mu", "shape")
    assert [p.default_link for p in FAMILY.parameters] == ["log", "log"]
    (red,) = FAMILY.reductions
    assert (red.family, red.parameter, red.value, red.boundary) == ("exponential", "shape",
                                                                    1.0, False)


@pytest.mark.parametrize(("mu", "shape"), [(0.5, 0.6), (1.0, 1.0), (3.0, 2.5), (20.0, 8.0)])
def test_logpdf_cdf_moments_match_scipy(mu, shape):
    # weibull_min(c=shape, scale=mu); Gamma(1 + 2/k) - Gamma(1 + 1/k)^2 cancels
    # ~log10(k^2) digits at large k, in both: moments to 1e-12
    assert_matches_scipy(FAMILY, stats.weibull_min(shape, scale=mu),
                         {"mu": mu, "shape": shape}, moments_rtol=1e-12)


def test_outside_the_support():
    p = {"mu": np.ones(2), "shape": np.full(2, 1.5)}
    assert np.all(FAMILY.logpdf(np.array([0.0, -2.0]), **p) == -np.inf)
    data = pd.DataFrame({"y": [0.0, 1.0, 2.0], "x": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match="outside the support Positive"):
        mlefit.fit("y ~ x", data, family=FAMILY)


def test_derivatives_match_central_differences():
    assert_derivatives_at_typical_draws(FAMILY, seed=8)


def test_eta_derivatives_are_the_chain_rule_without_its_overflow():
    rng = np.random.default_rng(10)
    p = typical_params(FAMILY, rng, 300)
    y = FAMILY.sample(rng, 300, **p)
    links = {"mu": "log", "shape": "log"}
    d1, d2 = FAMILY.eta_derivatives(y, links, mu=np.log(p["mu"]), shape=np.log(p["shape"]))
    g1, g2 = FAMILY.dlogpdf(y, **p), FAMILY.d2logpdf(y, **p)
    # chain rule for log links: h' = h'' = theta
    for a in ("mu", "shape"):
        np.testing.assert_allclose(d1[a], g1[a] * p[a], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(d2[(a, a)], g2[(a, a)] * p[a] ** 2 + g1[a] * p[a],
                                   rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(d2[("mu", "shape")], g2[("mu", "shape")] * p["mu"] * p["shape"],
                               rtol=1e-11, atol=1e-11)
    # a trial point where (y / mu)^shape overflows: +-inf, never the chain rule's inf - inf
    d1, d2 = FAMILY.eta_derivatives(np.array([1e5]), links, mu=np.zeros(1),
                                    shape=np.log(np.full(1, 80.0)))
    assert not any(np.isnan(v).any() for v in (*d1.values(), *d2.values()))
    assert FAMILY.eta_derivatives(y, {"mu": "identity", "shape": "log"}, mu=p["mu"],
                                  shape=np.log(p["shape"])) is None


@pytest.mark.parametrize("shape", [0.7, 1.0, 3.5])
def test_expected_information_matches_quadrature(shape):
    assert_expected_information(FAMILY, {"mu": 2.0, "shape": shape}, 0.0, np.inf, points=[2.0])


def test_intercept_only_matches_scipy_fit(cancer):
    y = cancer["studytime"].to_numpy(float)
    c, _, scale = stats.weibull_min.fit(y, floc=0, optimizer=tight_fmin)
    res = mlefit.fit("studytime ~ 1", cancer, family=FAMILY)
    assert_near_scipy_fit(res, stats.weibull_min.logpdf(y, c, 0, scale).sum(),
                          {"mu": scale, "shape": c})


def _survreg_nll(y, X):
    """survreg's Weibull: log y = X beta + sigma W, parameters (beta, log sigma); the
    density of y includes the Jacobian 1/y, as survreg's logLik does."""
    logy = np.log(y)

    def nll(b):
        log_sigma = b[-1]
        w = (logy - X @ b[:-1]) / np.exp(log_sigma)
        return -np.sum(w - np.exp(w) - log_sigma - logy)
    return nll


def test_regression_matches_survreg_parameterisation(cancer):
    res = mlefit.fit(FORMULA, cancer, family=FAMILY)
    X, y = cancer_design(cancer), cancer["studytime"].to_numpy(float)
    start = np.r_[np.linalg.lstsq(X, np.log(y), rcond=None)[0], 0.0]
    x, f, cov = ml_oracle(_survreg_nll(y, X), [start, np.r_[np.log(y.mean()), 0, 0, 1.0]])
    # survreg's (beta, log Scale) = mlefit's (mu coefficients, -log shape): the same
    # likelihood, a sign flip in the last coordinate (same standard error)
    x[-1], cov[-1, :-1], cov[:-1, -1] = -x[-1], -cov[-1, :-1], -cov[:-1, -1]
    assert_matches_oracle(res, x, f, cov)


def _weibull_nll(y, X, Z):
    """mlefit's parameterisation written out: log scale = X b, log shape = Z g."""
    logy = np.log(y)

    def nll(b):
        log_mu, log_k = X @ b[:X.shape[1]], Z @ b[X.shape[1]:]
        k = np.exp(log_k)
        L = logy - log_mu
        return -np.sum(log_k - log_mu + (k - 1) * L - np.exp(k * L))
    return nll


def test_modelled_shape_matches_hand_written_likelihood(cancer):
    res = mlefit.fit(FORMULA, cancer, family=FAMILY, shape="~ drug")
    X, y = cancer_design(cancer), cancer["studytime"].to_numpy(float)
    starts = [np.r_[np.log(y.mean()), 0, 0, 0, 0], np.r_[3.0, 0, 0.5, 0.5, 0]]
    x, f, cov = ml_oracle(_weibull_nll(y, X, X[:, [0, 2]]), starts)
    assert_matches_oracle(res, x, f, cov)


def test_shape_one_is_the_exponential(cancer):
    fixed = mlefit.fit(FORMULA, cancer, family=FAMILY, fixed={"shape": 1.0})
    expo = mlefit.fit(FORMULA, cancer, family=Exponential())
    np.testing.assert_allclose(fixed.coef, expo.coef, rtol=1e-12)
    np.testing.assert_allclose(fixed.bse.to_numpy(), expo.bse.to_numpy(), rtol=1e-10)
    assert fixed.llf == pytest.approx(expo.llf, rel=1e-14)


def test_lrtest_against_exponential_is_plain_chi_square(cancer):
    expo = mlefit.fit(FORMULA, cancer, family=Exponential())
    weib = mlefit.fit(FORMULA, cancer, family=FAMILY)
    lr = mlefit.lrtest(expo, weib)
    assert lr.df == 1 and not lr.boundary          # shape = 1 is interior
    assert lr.statistic == pytest.approx(2 * (weib.llf - expo.llf), rel=1e-14)
    assert lr.pvalue == pytest.approx(stats.chi2.sf(lr.statistic, 1), rel=1e-12)


def test_mean_and_scale_are_not_the_same_thing(cancer):
    res = mlefit.fit(FORMULA, cancer, family=FAMILY)
    scale, shape = res.predict(which="mu"), res.predict(which="shape")
    np.testing.assert_allclose(res.predict(which="mean"),
                               scale * special.gamma(1 + 1 / shape), rtol=1e-14)


def _simulate(rng, n):
    data = regression_data(rng, n)
    scale = np.exp(1.0 + 0.4 * data["x1"] - 0.3 * data["x2"])
    shape = np.exp(np.log(1.5) + 0.3 * data["x2"])
    data["y"] = scale * rng.weibull(shape)
    return data


def test_simulate_and_recover_with_modelled_shape():
    res = mlefit.fit("y ~ x1 + x2", _simulate(np.random.default_rng(9), 2000), family=FAMILY,
                     shape="~ x2")
    assert_recovered(res, {("mu", "Intercept"): 1.0, ("mu", "x1"): 0.4, ("mu", "x2"): -0.3,
                           ("shape", "Intercept"): np.log(1.5), ("shape", "x2"): 0.3})


@pytest.mark.slow
def test_wald_coverage():
    """95% Wald intervals over 200 simulated fits (n = 200) cover within +-3.5 binomial SE."""
    rng = np.random.default_rng(2025)
    truth = np.array([1.0, 0.4, -0.3, np.log(1.5), 0.3])
    est, ses = [], []
    for _ in range(200):
        res = mlefit.fit("y ~ x1 + x2", _simulate(rng, 200), family=FAMILY, shape="~ x2")
        est.append(res.coef)
        ses.append(res.bse.to_numpy())
    cover = wald_coverage(np.array(est), np.array(ses), truth)
    low, high = coverage_band(200)
    assert np.all((cover >= low) & (cover <= high)), cover
