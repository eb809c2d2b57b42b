"""``res.natural_params()``: intercept-only parameters on their natural scale (issue 19,
item 9), against closed forms and statsmodels.

* gaussian sigma by maximum likelihood: ``sigma = sqrt(RSS / n)`` (statsmodels OLS'
  ``ssr``) and, from the observed information, ``se(log sigma) = 1 / sqrt(2 n)``, so
  ``se(sigma) = sigma / sqrt(2 n)`` and the interval ``sigma exp(-+ z / sqrt(2 n))``;
* the negative binomial's theta = 1/alpha: statsmodels ``NegativeBinomial`` reports
  alpha with its standard error; the delta method by hand gives
  ``se(theta) = se(alpha) / alpha^2``.
"""

import numpy as np
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.discrete.discrete_model import NegativeBinomial

import mlefit


def test_gaussian_sigma_closed_form(heart):
    res = mlefit.fit("chol ~ age + sex", heart, "gaussian")
    ols = smf.ols("chol ~ age + sex", heart).fit()
    n = 303
    sigma = np.sqrt(ols.ssr / n)
    table = res.natural_params()
    assert list(table.index) == ["sigma"]
    assert list(table.columns) == ["estimate", "std_error", "lower", "upper"]
    row = table.loc["sigma"]
    # the fit's rounding (gradient ~1e-12 relative) and the information's: rel 1e-9
    assert row["estimate"] == pytest.approx(sigma, rel=1e-12)
    assert row["std_error"] == pytest.approx(sigma / np.sqrt(2 * n), rel=1e-9)
    z = stats.norm.isf(0.05)      # alpha = 0.1
    lower, upper = res.natural_params(alpha=0.1).loc["sigma", ["lower", "upper"]]
    assert lower == pytest.approx(sigma * np.exp(-z / np.sqrt(2 * n)), rel=1e-9)
    assert upper == pytest.approx(sigma * np.exp(z / np.sqrt(2 * n)), rel=1e-9)
    # the summary prints the same value and standard error
    assert f"sigma = {sigma:.6g} (SE {sigma / np.sqrt(2 * n):.4g}, delta method)" in \
        res.summary()


def test_r_convention_interval_uses_t(heart):
    res = mlefit.fit("chol ~ age", heart, "gaussian", convention="R")
    b, se = float(res.params[("sigma", "Intercept")]), float(res.bse[("sigma", "Intercept")])
    q = stats.t.isf(0.025, 301)
    row = res.natural_params().loc["sigma"]
    assert row["estimate"] == pytest.approx(np.sqrt(res.dispersion.phi_pearson), rel=1e-12)
    assert (row["lower"], row["upper"]) == pytest.approx(
        (np.exp(b - q * se), np.exp(b + q * se)), rel=1e-14)


def test_negative_binomial_theta_is_one_over_statsmodels_alpha(medpar):
    res = mlefit.fit("los ~ admitype + codes", medpar, "negative_binomial")
    # statsmodels' Newton diverges from its default start on medpar1: BFGS first
    model = NegativeBinomial.from_formula("los ~ admitype + codes", medpar,
                                          loglike_method="nb2")
    pilot = model.fit(method="bfgs", maxiter=5000, disp=False)
    sm = model.fit(start_params=pilot.params, method="newton", tol=1e-12, disp=False)
    alpha, se_alpha = sm.params["alpha"], sm.bse["alpha"]
    row = res.natural_params().loc["theta"]
    # both at the maximum to ~1e-10; observed information in either parametrisation
    assert row["estimate"] == pytest.approx(1 / alpha, rel=1e-8)
    assert row["std_error"] == pytest.approx(se_alpha / alpha**2, rel=1e-6)


def test_only_intercept_only_ancillary_parameters(heart):
    assert mlefit.fit("num ~ age", heart, "poisson").natural_params().empty
    res = mlefit.fit("chol ~ age", heart, "student_t", sigma="~ sex")
    assert list(res.natural_params().index) == ["nu"]
