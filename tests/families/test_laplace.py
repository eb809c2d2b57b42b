"""The laplace family against oracles that are not mlefit, and the limits of a Newton
engine on its non-smooth likelihood.

Oracles: scipy.stats.laplace (logpdf, cdf, moments), closed forms (the MLE of mu is a
median / least-absolute-deviation fit, sigma_hat the mean absolute residual; the
expected information is diag(1, 1) / sigma^2), the LAD fit as a linear programme solved
by scipy.optimize.linprog (HiGHS; exact at a vertex), quadrature of the score's variance
and central differences away from the kink.

What these tests pin down (see docs/families/laplace.md): the observed information has a
zero mu block, so the default covariance (observed) is not available (HessianWarning, NaN
standard errors) and cov_type="expected" is the right one; the default Newton/Fisher fit
finds the median of an intercept-only model but stalls short of the LAD optimum in a
regression (ConvergenceWarning); method="nelder-mead" reaches it for small models.
"""

import numpy as np
import pandas as pd
import pytest
from _continuous_oracles import (
    assert_derivatives,
    assert_expected_information,
    assert_matches_scipy,
    quadrature_information,
    typical_params,
)
from scipy import optimize, stats

import mlefit
from mlefit.errors import ConvergenceWarning, HessianWarning
from mlefit.testing import CHECK_NAMES, family_checks, parametrize_with_checks
from mlefit_families.laplace import Laplace

FAMILY = Laplace()


@parametrize_with_checks([FAMILY], checks=[c for c in CHECK_NAMES if c != "recovery"])
def test_conformance(family, check):
    check(family)


def test_registered_by_name():
    assert isinstance(mlefit.get_family("laplace")[0], Laplace)   # the entry point


def test_conformance_recovery_fails_for_want_of_convergence():
    """The kit's recovery check (intercept-only fit to 2000 draws) finds no converged fit:
    with an even n the score, a sum of signs, cannot reach 0 at a kink."""
    report = family_checks(FAMILY, ["recovery"])
    assert report.failed == ("recovery",)
    assert "did not converge" in report.failure_text()


@pytest.mark.parametrize(("mu", "sigma"), [(0.0, 1.0), (-3.0, 0.4), (150.0, 20.0)])
def test_logpdf_cdf_moments_match_scipy(mu, sigma):
    # log f = -log(2 sigma) - |z| cancels to ~5e-4 near y = mu when sigma = 0.4: there
    # the ulps are those of the terms (atol 1e-15)
    assert_matches_scipy(FAMILY, stats.laplace(mu, sigma), {"mu": mu, "sigma": sigma},
                         atol=1e-15)


def test_derivatives_away_from_the_kink():
    rng = np.random.default_rng(14)
    p = typical_params(FAMILY, rng, 600)
    y = FAMILY.sample(rng, 600, **p)
    keep = np.abs(y - p["mu"]) > 1e-3              # central differences must not cross y = mu
    assert_derivatives(FAMILY, y[keep], {k: v[keep] for k, v in p.items()})
    assert np.all(FAMILY.d2logpdf(y, **p)[("mu", "mu")] == 0.0)


def test_information_is_in_the_score_not_in_the_hessian():
    params = {"mu": 0.5, "sigma": 1.5}
    # E[s s'] by quadrature = the closed form diag(1, 1) / sigma^2 ...
    assert_expected_information(FAMILY, params, -np.inf, np.inf, points=[0.5])
    # ... while the a.e. second derivative in mu is 0: the delta function at y = mu
    # (-2 delta / sigma) carries all of I_mu = 1 / sigma^2
    quad, _ = quadrature_information(FAMILY, params, -np.inf, np.inf, points=[0.5])
    assert quad[("mu", "mu")] == pytest.approx(1 / 1.5**2, rel=1e-9)


def test_intercept_only_odd_n_is_the_median():
    rng = np.random.default_rng(15)
    data = pd.DataFrame({"y": rng.laplace(1.0, 2.0, 301)})
    y = data["y"].to_numpy()
    with pytest.warns(HessianWarning, match="singular or not positive definite"):
        default = mlefit.fit("y ~ 1", data, family=FAMILY)
    # odd n, no ties: the score (a sum of signs) is exactly 0 at the median
    assert default.converged
    med = np.median(y)
    assert default.params[("mu", "Intercept")] == med
    assert np.exp(default.params[("sigma", "Intercept")]) == pytest.approx(
        np.mean(np.abs(y - med)), rel=1e-13)
    # the default (observed) covariance is not available: the mu block is 0
    assert np.all(np.isnan(default.bse.to_numpy()))
    expected = mlefit.fit("y ~ 1", data, family=FAMILY, cov_type="expected")
    sigma = np.mean(np.abs(y - med))
    np.testing.assert_allclose(expected.bse.to_numpy(), [sigma / np.sqrt(301),
                                                          1 / np.sqrt(301)], rtol=1e-12)


def test_intercept_only_even_n_is_a_median():
    # even n: every point between the middle order statistics is a maximum
    rng = np.random.default_rng(16)
    data = pd.DataFrame({"y": rng.laplace(0.0, 1.0, 300)})
    y = np.sort(data["y"].to_numpy())
    res = mlefit.fit("y ~ 1", data, family=FAMILY, cov_type="expected")
    assert y[149] <= res.params[("mu", "Intercept")] <= y[150]
    assert np.exp(res.params[("sigma", "Intercept")]) == pytest.approx(
        np.mean(np.abs(y - np.median(y))), rel=1e-13)


def _lad(y, X):
    """Least absolute deviations as a linear programme: min 1'(u + v), X b + u - v = y."""
    n, p = X.shape
    lp = optimize.linprog(np.r_[np.zeros(p), np.ones(2 * n)],
                          A_eq=np.hstack([X, np.eye(n), -np.eye(n)]), b_eq=y,
                          bounds=[(None, None)] * p + [(0, None)] * (2 * n), method="highs")
    assert lp.status == 0
    return lp.x[:p], lp.fun


@pytest.fixture(scope="module")
def lad(heart):
    y = heart["thalach"].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), heart["age"].to_numpy(float)])
    beta, total = _lad(y, X)
    n = len(y)
    # the Laplace llf at the LAD fit, sigma_hat = mean |r|: -n log(2 sigma_hat) - n
    return beta, total, -n * np.log(2 * total / n) - n


def test_nelder_mead_reaches_the_lad_fit(heart, lad):
    _, total, llf = lad
    res = mlefit.fit("thalach ~ age", heart, family=FAMILY, method="nelder-mead",
                     cov_type="expected")
    assert res.llf >= llf - 1e-9
    y = heart["thalach"].to_numpy(float)
    resid = y - res.predict(which="mu").to_numpy()
    # the LAD objective at the estimate equals the LP optimum to rounding (1e-12 relative)
    assert np.sum(np.abs(resid)) == pytest.approx(total, rel=1e-12)
    # log sigma is a smooth direction with curvature n: llf within 1e-9 of the maximum
    # puts it within sqrt(2e-9 / n) = 2.6e-6 of sigma_hat = LP optimum / n
    assert np.exp(res.params[("sigma", "Intercept")]) == pytest.approx(total / len(y),
                                                                      rel=3e-6)
    # expected information: sigma^2 (X'X)^-1 for mu, 1/n for log sigma
    X = np.column_stack([np.ones(len(y)), heart["age"].to_numpy(float)])
    sigma = np.exp(res.params[("sigma", "Intercept")])
    np.testing.assert_allclose(res.bse["mu"].to_numpy(),
                               sigma * np.sqrt(np.diag(np.linalg.inv(X.T @ X))), rtol=1e-10)
    assert res.bse[("sigma", "Intercept")] == pytest.approx(1 / np.sqrt(len(y)), rel=1e-10)


def test_default_newton_stalls_in_a_regression(heart, lad):
    """A known limitation: Fisher scoring on the kinked likelihood stops short of the LAD
    optimum, and says so (not converged, ConvergenceWarning)."""
    _, _, llf = lad
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = mlefit.fit("thalach ~ age", heart, family=FAMILY, cov_type="expected")
    assert not res.converged
    assert res.llf < llf
