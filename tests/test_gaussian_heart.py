"""The Gaussian on the heart data against oracles that are not mlefit.

Oracles: statsmodels OLS / GLM (which reproduce R's lm / glm to ~1e-14 on this data),
and closed forms of the Gaussian MLE:

* beta_hat = OLS; sigma2_ML = RSS / n; R's glm dispersion = RSS / (n - p);
* logLik = -n/2 * (log(2 pi RSS / n) + 1)   (R's logLik(glm) and logLik(lm));
* observed information at the MLE: X'X / sigma2_ML for beta (the cross term with sigma
  vanishes by the normal equations), 2n for log(sigma): SE(log sigma) = 1/sqrt(2n);
* AIC = -2 logLik + 2 (p + 1) as R (sigma counted); statsmodels' GLM AIC does not count
  the scale, so it is 2 lower.
"""

import numpy as np
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import mlefit

FORMULA = "thalach ~ age + exang + oldpeak"


@pytest.fixture(scope="module")
def ols(heart):
    return smf.ols(FORMULA, heart).fit()


@pytest.fixture(scope="module")
def res(heart):
    return mlefit.fit(FORMULA, heart, family="gaussian")


def test_coefficients_equal_ols(res, ols):
    np.testing.assert_allclose(res.params["mu"].to_numpy(), ols.params.to_numpy(), rtol=1e-12)
    assert list(res.params["mu"].index) == ["Intercept", "age", "exang", "oldpeak"]


def test_loglik_aic_bic_match_r_rules(res, ols, heart):
    n, p = ols.nobs, ols.df_model + 1
    rss = ols.ssr
    llf = -n / 2 * (np.log(2 * np.pi * rss / n) + 1)
    assert res.llf == pytest.approx(llf, rel=1e-13)
    assert res.llf == pytest.approx(ols.llf, rel=1e-13)
    assert res.k == p + 1
    assert res.aic == pytest.approx(-2 * llf + 2 * (p + 1), rel=1e-13)
    assert res.bic == pytest.approx(-2 * llf + np.log(n) * (p + 1), rel=1e-13)
    glm = smf.glm(FORMULA, heart).fit()
    assert res.aic == pytest.approx(glm.aic + 2, rel=1e-12)  # statsmodels omits sigma


def test_observed_information_standard_errors(res, ols):
    n, p = ols.nobs, ols.df_model + 1
    sigma2_ml = ols.ssr / n
    XtX_inv = np.linalg.inv(ols.model.exog.T @ ols.model.exog)
    np.testing.assert_allclose(res.bse["mu"].to_numpy(), np.sqrt(sigma2_ml * np.diag(XtX_inv)),
                               rtol=1e-10)
    np.testing.assert_allclose(res.bse["mu"].to_numpy(),
                               ols.bse.to_numpy() * np.sqrt((n - p) / n), rtol=1e-10)
    assert res.bse[("sigma", "Intercept")] == pytest.approx(1 / np.sqrt(2 * n), rel=1e-10)


def test_sigma_and_dispersions(res, ols):
    n, p = ols.nobs, ols.df_model + 1
    assert np.exp(res.params[("sigma", "Intercept")]) == pytest.approx(np.sqrt(ols.ssr / n),
                                                                      rel=1e-12)
    assert res.dispersion.phi_ml == pytest.approx(ols.ssr / n, rel=1e-12)
    assert res.dispersion.phi_pearson == pytest.approx(ols.ssr / (n - p), rel=1e-12)
    assert res.df_resid == n - p


def test_convention_r_reproduces_glm_summary(heart):
    r = mlefit.fit(FORMULA, heart, family="gaussian", convention="R")
    glm = smf.glm(FORMULA, heart, family=sm.families.Gaussian()).fit()
    np.testing.assert_allclose(r.params["mu"].to_numpy(), glm.params.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(r.bse["mu"].to_numpy(), glm.bse.to_numpy(), rtol=1e-10)
    assert r.t_tests and r.df_resid == glm.df_resid
    ols = smf.ols(FORMULA, heart).fit()
    np.testing.assert_allclose(r.pvalues["mu"].to_numpy(), ols.pvalues.to_numpy(), rtol=1e-8)
    assert r.llf == pytest.approx(glm.llf, rel=1e-13)  # R's logLik stays at the ML sigma
    assert np.exp(r.params[("sigma", "Intercept")]) ** 2 == pytest.approx(glm.scale, rel=1e-12)
    assert "R glm" in r.summary()


def test_summary_shows_blocks_counts_and_convergence(res):
    text = res.summary()
    for piece in ("mu (link: identity)", "sigma (link: log)", "0 dropped", "converged",
                  "Log-likelihood", "AIC", "sigma = ", "Pearson"):
        assert piece in text
    assert res.converged and res.diagnostics.derivatives == "analytic"
    assert res.diagnostics.gradient_se < 1e-8


def test_distributional_sigma_formula_against_generic_optimizer(heart):
    """sigma ~ age: compare with scipy's BFGS on a hand-written likelihood."""
    from scipy import optimize

    res = mlefit.fit(FORMULA, heart, family="gaussian", sigma="~ age")
    y = heart["thalach"].to_numpy(float)
    X = np.column_stack([np.ones(len(heart)), heart[["age", "exang", "oldpeak"]]])
    Z = np.column_stack([np.ones(len(heart)), heart["age"]])

    def nll(b):
        mu, log_s = X @ b[:4], Z @ b[4:]
        return np.sum(log_s + 0.5 * ((y - mu) / np.exp(log_s)) ** 2)

    b0 = np.r_[res.coef[:4] * 0.9, np.log(y.std()), 0.0]
    opt = optimize.minimize(nll, b0, method="BFGS", options={"gtol": 1e-9, "maxiter": 10_000})
    np.testing.assert_allclose(res.coef, opt.x, rtol=2e-5, atol=1e-6)
    assert res.llf >= -opt.fun - 0.5 * len(y) * np.log(2 * np.pi) - 1e-9
    assert list(res.params.index.get_level_values(0)) == ["mu"] * 4 + ["sigma"] * 2


def test_immutable(res):
    with pytest.raises((AttributeError, TypeError)):
        res.llf = 0.0
    with pytest.raises(ValueError):
        res.coef[0] = 1.0
    p = res.params
    p.iloc[0] = 0.0
    assert res.params.iloc[0] != 0.0


def test_glm_statistics_match_statsmodels(heart):
    res = mlefit.fit(FORMULA, heart, family="gaussian", offset=0.1 * heart["chol"])
    glm = smf.glm(FORMULA, heart, offset=0.1 * heart["chol"]).fit()
    assert res.deviance == pytest.approx(glm.deviance, rel=1e-12)
    assert res.pearson_chi2 == pytest.approx(glm.pearson_chi2, rel=1e-12)
    # R and statsmodels refit the null model with the same offset
    assert res.null_deviance == pytest.approx(glm.null_deviance, rel=1e-10)
    np.testing.assert_allclose(res.resid_pearson, glm.resid_pearson, rtol=1e-9)
    np.testing.assert_allclose(res.resid_response, glm.resid_response, rtol=1e-9)
