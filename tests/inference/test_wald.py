"""Wald tests of linear hypotheses (res.wald_test).

Oracles (none of them mlefit):

* statsmodels ``wald_test`` / ``t_test`` / ``f_test`` on the same model with the same
  covariance: GLM Gaussian with the scale fixed at the ML value RSS/n (our default ML
  covariance ``sigma2_ML (X'X)^-1``), OLS (R's lm: our convention="R"), OLS with
  ``cov_type="HC0"`` (our ``cov_type="HC0"``; the mean block of the joint sandwich is the
  OLS sandwich, because the observed information is block diagonal at the MLE).
* A hand-written observed information of the heteroscedastic Gaussian
  (``log sigma = Z gamma``) for hypotheses on ``sigma`` terms.
"""

import numpy as np
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from test_logpdf_only import PlainNormal

import mlefit
from mlefit import DataError

FORMULA = "thalach ~ age + exang + oldpeak"
HYPOTHESIS = "age = 0, exang = oldpeak"


@pytest.fixture(scope="module")
def res(heart):
    return mlefit.fit(FORMULA, heart)


def test_chi_square_matches_statsmodels_at_the_ml_scale(heart, res):
    n = len(heart)
    ols = smf.ols(FORMULA, heart).fit()
    glm = smf.glm(FORMULA, heart).fit(scale=ols.ssr / n)
    ours = res.wald_test(HYPOTHESIS)
    theirs = glm.wald_test(HYPOTHESIS, use_f=False, scalar=True)
    assert ours.distribution == "chi2" and ours.df == 2 and ours.df_denom is None
    # both invert the same 2x2 matrix built from covariances equal to ~1e-13
    assert ours.statistic == pytest.approx(theirs.statistic, rel=1e-10)
    assert ours.pvalue == pytest.approx(theirs.pvalue, rel=1e-8)
    rows = glm.t_test(HYPOTHESIS)
    np.testing.assert_allclose(ours.table["estimate"], rows.effect, rtol=1e-12)
    np.testing.assert_allclose(ours.table["std_error"], rows.sd, rtol=1e-10)
    np.testing.assert_allclose(ours.table["statistic"], rows.tvalue, rtol=1e-10)
    np.testing.assert_allclose(ours.table["pvalue"], rows.pvalue, rtol=1e-8)
    assert list(ours.table.index) == ["age = 0", "exang - oldpeak = 0"]
    assert "Joint: chi2(2)" in str(ours)


def test_convention_r_gives_the_f_test_of_lm(heart):
    r = mlefit.fit(FORMULA, heart, convention="R")
    ols = smf.ols(FORMULA, heart).fit()
    ours, theirs = r.wald_test(HYPOTHESIS), ols.f_test(HYPOTHESIS)
    assert ours.distribution == "F" and ours.df_denom == theirs.df_denom == 299
    assert ours.statistic == pytest.approx(float(theirs.fvalue), rel=1e-10)
    assert ours.pvalue == pytest.approx(float(theirs.pvalue), rel=1e-8)
    rows = ols.t_test(HYPOTHESIS)
    np.testing.assert_allclose(ours.table["statistic"], rows.tvalue.ravel(), rtol=1e-10)
    np.testing.assert_allclose(ours.table["pvalue"], rows.pvalue.ravel(), rtol=1e-8)
    assert "F(2, 299)" in str(ours)
    chi2 = r.wald_test(HYPOTHESIS, use_f=False)
    assert chi2.statistic == pytest.approx(2 * ours.statistic, rel=1e-12)


def test_robust_covariance_is_used(heart):
    robust = mlefit.fit(FORMULA, heart, cov_type="HC0")
    ols = smf.ols(FORMULA, heart).fit(cov_type="HC0")
    theirs = ols.wald_test(HYPOTHESIS, use_f=False, scalar=True)
    ours = robust.wald_test(HYPOTHESIS)
    assert ours.statistic == pytest.approx(theirs.statistic, rel=1e-9)
    assert "robust (HC0)" in str(ours)


def test_matrix_form_and_right_hand_sides(res):
    R = np.array([[0, 1, 0, 0, 0], [0, 0, 1, -1, 0]], dtype=float)
    by_matrix = res.wald_test(R)
    assert by_matrix.statistic == pytest.approx(res.wald_test(HYPOTHESIS).statistic, rel=1e-14)
    shifted = res.wald_test("age = -1, 2 * exang - oldpeak = 3")
    q = np.array([-1.0, 3.0])
    R2 = np.array([[0, 1, 0, 0, 0], [0, 0, 2, -1, 0]], dtype=float)
    d = R2 @ res.coef - q
    W = d @ np.linalg.solve(R2 @ res.cov @ R2.T, d)
    assert shifted.statistic == pytest.approx(W, rel=1e-12)
    assert res.wald_test(R2, q).statistic == pytest.approx(W, rel=1e-14)
    assert list(shifted.table.index) == ["age = -1", "2*exang - oldpeak = 3"]
    single = res.wald_test({"age": -0.5})
    assert single.statistic == pytest.approx(((res.coef[1] + 0.5) / res.bse.iloc[1]) ** 2,
                                             rel=1e-12)


def test_names_of_other_parameters_and_awkward_terms(heart):
    """``sigma:age`` names a sigma term; ``C(cp)[T.2.0]`` and ``age:sex`` need no quotes."""
    fit = mlefit.fit("thalach ~ age * sex + C(cp)", heart, sigma="~ age")
    test = fit.wald_test("sigma:age = 0, age:sex = 0, C(cp)[T.2.0] = C(cp)[T.3.0]")
    names = ["Intercept", "age", "sex", "C(cp)[T.2.0]", "C(cp)[T.3.0]", "C(cp)[T.4.0]",
             "age:sex", "sigma:Intercept", "sigma:age"]
    R = np.zeros((3, len(names)))
    R[0, names.index("sigma:age")] = 1
    R[1, names.index("age:sex")] = 1
    R[2, names.index("C(cp)[T.2.0]")], R[2, names.index("C(cp)[T.3.0]")] = 1, -1
    np.testing.assert_array_equal(test.R, R)
    # backticks are accepted too, and the first parameter may be qualified
    assert fit.wald_test("`sigma:age` = 0, mu:age = 0").R[1, 1] == 1


def test_sigma_terms_against_a_hand_written_information(heart):
    fit = mlefit.fit(FORMULA, heart, sigma="~ age")
    y = heart["thalach"].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), heart[["age", "exang", "oldpeak"]].to_numpy(float)])
    Z = np.column_stack([np.ones(len(y)), heart["age"].to_numpy(float)])
    beta, gamma = fit.coef[:4], fit.coef[4:]
    s2 = np.exp(2 * Z @ gamma)
    e = y - X @ beta
    # -d2 loglik for y ~ N(X beta, exp(2 Z gamma))
    info = np.block([[X.T @ (X / s2[:, None]), X.T @ (Z * (2 * e / s2)[:, None])],
                     [Z.T @ (X * (2 * e / s2)[:, None]), Z.T @ (Z * (2 * e**2 / s2)[:, None])]])
    cov = np.linalg.inv(info)
    test = fit.wald_test("sigma:age = 0")
    assert test.statistic == pytest.approx(gamma[1] ** 2 / cov[5, 5], rel=1e-8)
    assert test.pvalue == pytest.approx(stats.chi2.sf(gamma[1] ** 2 / cov[5, 5], 1), rel=1e-7)


def test_logpdf_only_family(heart, res):
    plain = mlefit.fit(FORMULA, heart, family=PlainNormal())
    # numeric derivatives: covariance to ~1e-6 relative (see test_logpdf_only)
    assert plain.wald_test(HYPOTHESIS).statistic == pytest.approx(
        res.wald_test(HYPOTHESIS).statistic, rel=1e-5)


def test_refusals(res):
    with pytest.raises(DataError, match="'agee' is not a coefficient"):
        res.wald_test("agee = 0")
    with pytest.raises(DataError, match="linearly dependent"):
        res.wald_test("age = 0, 2 * age = 0")
    with pytest.raises(DataError, match="one column per coefficient"):
        res.wald_test(np.eye(3))
    with pytest.raises(DataError, match="q must have one value per row"):
        res.wald_test(np.eye(5)[:2], [1.0])
    with pytest.raises(DataError, match="q= goes with a matrix R"):
        res.wald_test("age = 0", q=[1.0])
    with pytest.raises(DataError, match="cannot read the hypothesis"):
        res.wald_test("age = = 0")


def test_non_linear_non_finite_and_mixed_hypotheses_are_refused(res):
    with pytest.raises(DataError, match="not linear in the coefficients"):
        res.wald_test("age*exang = 0")
    with pytest.raises(DataError, match="not linear in the coefficients"):
        res.wald_test("age / exang = 0")
    with pytest.raises(DataError, match="R holds NaN or infinite values"):
        res.wald_test([[np.nan, 1, 0, 0, 0]])
    with pytest.raises(DataError, match="q holds NaN or infinite values"):
        res.wald_test([[0, 1, 0, 0, 0]], q=[np.inf])
    with pytest.raises(DataError, match=r"strings only, not item 2 \(3\)"):
        res.wald_test(["age = 0", 3])
