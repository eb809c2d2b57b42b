"""A family with nothing but logpdf gets the full engine: numeric per-row derivatives.

Oracle: the closed-form Gaussian MLE (OLS coefficients, RSS/n) and its observed-information
standard errors, computed here from numpy, and the built-in analytic family.
"""

import numpy as np
import pytest

import mlefit
from mlefit import Family, Parameter
from mlefit.domains import Positive, Real

FORMULA = "thalach ~ age + exang + oldpeak"


class PlainNormal(Family):
    """A Gaussian as a newcomer would write it: logpdf only."""

    name = "plain_normal"
    support = Real()
    parameters = (Parameter("mu", Real()), Parameter("sigma", Positive()))

    def logpdf(self, y, mu, sigma):
        return -0.5 * np.log(2 * np.pi) - np.log(sigma) - 0.5 * ((y - mu) / sigma) ** 2


def closed_form(heart, shift=0.0):
    y = heart["thalach"].to_numpy(float) + shift
    X = np.column_stack([np.ones(len(y)), heart[["age", "exang", "oldpeak"]].to_numpy(float)])
    beta, rss = np.linalg.lstsq(X, y, rcond=None)[:2]
    n = len(y)
    s2 = rss[0] / n
    se = np.sqrt(s2 * np.diag(np.linalg.inv(X.T @ X)))
    return beta, np.sqrt(s2), se, 1 / np.sqrt(2 * n)


@pytest.mark.parametrize("shift", [0.0, 1e6])
def test_logpdf_only_gaussian_matches_closed_form(heart, shift):
    data = heart.assign(thalach=heart["thalach"] + shift)
    res = mlefit.fit(FORMULA, data, family=PlainNormal())
    beta, sigma, se, se_log_sigma = closed_form(heart, shift)
    assert res.diagnostics.derivatives == "numeric"
    assert res.converged
    np.testing.assert_allclose(res.params["mu"].to_numpy(), beta, rtol=1e-6)
    assert np.exp(res.params[("sigma", "Intercept")]) == pytest.approx(sigma, rel=1e-6)
    np.testing.assert_allclose(res.bse["mu"].to_numpy(), se, rtol=1e-5)
    assert res.bse[("sigma", "Intercept")] == pytest.approx(se_log_sigma, rel=1e-5)


def test_logpdf_only_matches_builtin(heart):
    plain = mlefit.fit(FORMULA, heart, family=PlainNormal(), sigma="~ age")
    builtin = mlefit.fit(FORMULA, heart, family="gaussian", sigma="~ age")
    np.testing.assert_allclose(plain.coef, builtin.coef, rtol=1e-6)
    np.testing.assert_allclose(plain.bse.to_numpy(), builtin.bse.to_numpy(), rtol=1e-5)
    assert plain.llf == pytest.approx(builtin.llf, rel=1e-10)
