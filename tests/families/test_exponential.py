"""The exponential family (mu = the MEAN) against oracles that are not mlefit.

Oracles: scipy.stats.expon (logpdf, cdf, moments, the closed-form fit), closed forms of
the exponential MLE on the log link (score X'(y/mu - 1) = 0; observed information
X' diag(y/mu) X; expected information X'X), statsmodels GLM Gamma(log) with the scale
fixed at 1 (the exponential is the gamma GLM with dispersion 1: R's
summary(glm(..., family = Gamma("log")), dispersion = 1)), a hand-written likelihood
maximised by scipy.optimize for the other links, quadrature and simulation. Data: the
cancer drug trial, studytime as uncensored survival times (48 rows).
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from _continuous_oracles import (
    assert_derivatives_at_typical_draws,
    assert_expected_information,
    assert_matches_oracle,
    assert_matches_scipy,
    assert_recovered,
    cancer_design,
    ml_oracle,
    regression_data,
)
from scipy import stats

import mlefit
from mlefit.errors import DataError
from mlefit.testing import parametrize_with_checks
from mlefit_families.exponential import Exponential

FAMILY = Exponential()
FORMULA = "studytime ~ age + drug"



@parametrize_with_checks([FAMILY])
def test_conformance(family, check):
    check(family)


def test_declaration():
    assert isinstance(mlefit.get_family("exponential")[0], Exponential)   # the entry point
    (p,) = FAMILY.parameters
    assert p.name == "mu" and p.default_link == "log"
    assert p.allowed_links == ("log", "inverse", "identity")
    assert str(FAMILY.support) == "NonNegative"     # y = 0 is in the support


@pytest.mark.parametrize("mu", [0.2, 1.0, 3.7, 50.0])
def test_logpdf_cdf_moments_match_scipy(mu):
    # expon(scale=mu): the rate is 1/mu. The same expressions, 1 ulp apart: 1e-14
    assert_matches_scipy(FAMILY, stats.expon(scale=mu), {"mu": mu}, rtol=1e-14)


def test_zero_is_in_the_support_and_negative_is_not():
    assert FAMILY.logpdf(np.array([0.0, -1e-300]), mu=np.full(2, 2.0)).tolist() == [
        -np.log(2.0), -np.inf]
    data = pd.DataFrame({"y": [0.0, 1.0, 2.0, 0.5, 4.0, 0.0], "x": [0, 1, 2, 3, 4, 5]})
    res = mlefit.fit("y ~ 1", data, family=FAMILY)
    assert np.exp(res.params[("mu", "Intercept")]) == pytest.approx(data["y"].mean(),
                                                                     rel=1e-12)
    assert res.deviance == np.inf       # the gamma deviance has log(y / mu)
    with pytest.raises(DataError, match="outside the support NonNegative"):
        mlefit.fit("y ~ x", data.assign(y=data["y"] - 0.25), family=FAMILY)


def test_derivatives_match_central_differences():
    assert_derivatives_at_typical_draws(FAMILY, seed=4)


def test_expected_information_matches_quadrature():
    assert_expected_information(FAMILY, {"mu": 2.5}, 0.0, np.inf, points=[2.5])


def test_intercept_only_is_the_mean(cancer):
    y = cancer["studytime"].to_numpy(float)
    res = mlefit.fit("studytime ~ 1", cancer, family=FAMILY)
    _, scale = stats.expon.fit(y, floc=0)          # scipy: the closed form, the mean
    assert np.exp(res.params[("mu", "Intercept")]) == pytest.approx(scale, rel=1e-12)
    assert scale == pytest.approx(y.mean(), rel=1e-15)
    assert res.llf == pytest.approx(stats.expon.logpdf(y, scale=scale).sum(), rel=1e-13)
    # observed = expected information at the MLE: n, so se(log mu) = 1/sqrt(n)
    assert res.bse[("mu", "Intercept")] == pytest.approx(1 / np.sqrt(y.size), rel=1e-10)


def test_log_link_closed_forms(cancer):
    res = mlefit.fit(FORMULA, cancer, family=FAMILY)
    X, y = cancer_design(cancer), cancer["studytime"].to_numpy(float)
    mu = np.exp(X @ res.coef)
    # the score equations X'(y/mu - 1) = 0, relative to the size of their terms
    score = X.T @ (y / mu - 1.0)
    assert np.all(np.abs(score) <= 1e-12 * (np.abs(X).T @ (y / mu + 1.0)))
    observed = np.sqrt(np.diag(np.linalg.inv(X.T @ (X * (y / mu)[:, None]))))
    np.testing.assert_allclose(res.bse.to_numpy(), observed, rtol=1e-10)
    expected = mlefit.fit(FORMULA, cancer, family=FAMILY, cov_type="expected")
    np.testing.assert_allclose(expected.bse.to_numpy(),
                               np.sqrt(np.diag(np.linalg.inv(X.T @ X))), rtol=1e-10)


def test_convention_r_is_gamma_glm_with_dispersion_one(cancer):
    r = mlefit.fit(FORMULA, cancer, family=FAMILY, convention="R")
    glm = smf.glm(FORMULA, cancer, family=sm.families.Gamma(sm.families.links.Log())).fit(
        scale=1.0, tol=1e-14, maxiter=200)
    se = r.bse.to_numpy()
    # statsmodels' IRLS (Fisher scoring, linear convergence on this non-canonical link)
    # stops with a last step of ~1e-8 (6e-9 SE): agreement within 1e-6 SE
    assert np.all(np.abs(r.coef - glm.params.to_numpy()) <= 1e-6 * se)
    np.testing.assert_allclose(se, glm.bse.to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(r.pvalues.to_numpy(), glm.pvalues.to_numpy(), rtol=1e-6)
    assert not r.t_tests                       # dispersion fixed: z tests, as R with it given
    # deviance is flat at the optimum; Pearson moves with the 1e-8 parameter offset
    assert r.deviance == pytest.approx(glm.deviance, rel=1e-12)
    assert r.null_deviance == pytest.approx(glm.null_deviance, rel=1e-12)
    assert r.pearson_chi2 == pytest.approx(glm.pearson_chi2, rel=1e-7)
    # the log-likelihood is the exponential's (statsmodels' Gamma llf at scale 1 is too)
    assert r.llf == pytest.approx(glm.llf, rel=1e-12)


def _nll(y, X, inverse_link):
    def nll(b):
        mu = inverse_link(X @ b)
        if np.any(mu <= 0):
            return np.inf
        return np.sum(np.log(mu) + y / mu)
    return nll


@pytest.mark.parametrize(("link", "inverse"), [("inverse", lambda e: 1 / e),
                                               ("identity", lambda e: e)])
def test_other_links_match_hand_written_likelihood(cancer, link, inverse):
    res = mlefit.fit(FORMULA, cancer, family=FAMILY, link=link)
    X, y = cancer_design(cancer), cancer["studytime"].to_numpy(float)
    # both inverse links are involutions: the link of y is inverse(y)
    starts = [np.linalg.lstsq(X, inverse(y), rcond=None)[0], np.r_[inverse(y.mean()), 0, 0]]
    with np.errstate(invalid="ignore"):         # BFGS probes steps where mu <= 0 (inf)
        x, f, cov = ml_oracle(_nll(y, X, inverse), starts)
    assert_matches_oracle(res, x, f, cov)


def test_simulate_and_recover():
    rng = np.random.default_rng(6)
    data = regression_data(rng, 2000)
    data["y"] = np.exp(0.5 + 0.3 * data["x1"] - 0.7 * data["x2"]) * rng.standard_exponential(
        2000)
    res = mlefit.fit("y ~ x1 + x2", data, family=FAMILY)
    assert_recovered(res, {("mu", "Intercept"): 0.5, ("mu", "x1"): 0.3, ("mu", "x2"): -0.7})
