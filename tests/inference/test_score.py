"""Score (Rao) tests (mlefit.score_test).

Oracles (none of them mlefit):

* Gaussian, expected information, added mean terms: ``n R^2`` of the auxiliary OLS
  regression of the smaller model's residuals on the larger design (ML variance RSS/n).
* Gaussian, added sigma terms (log link): the Breusch-Pagan (1979) LM statistic,
  statsmodels ``het_breuschpagan(..., robust=False)`` (``ESS/2`` of ``e^2/sigma2_ML`` on Z).
* Gaussian, observed information: the score and observed information of
  ``(beta, log sigma)`` at the smaller model's estimate written out in numpy:
  ``g = (X'e/s2, 0)``, ``I = [[X'X/s2, 2X'e/s2], [2e'X/s2, 2n]]``.
* Poisson: statsmodels ``GLM.score_test(params_constrained, exog_extra=...)``.
* Exponential in gamma (shape = 1): per-row score of log(shape) at shape 1,
  ``s_i = 1 + gamma_E + log(y_i/mu_i) - y_i/mu_i``, observed information
  ``n (pi^2/6 - 1) - sum s_i`` (orthogonal to the mean at the exponential MLE), with
  ``mu_i`` from statsmodels' Gamma(log) GLM (whose mean equations are the exponential's).
"""

import numpy as np
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.stats.diagnostic import het_breuschpagan
from test_compare import PlainExponential, PlainGamma, PlainPoisson, PlainT
from test_logpdf_only import PlainNormal

import mlefit
from mlefit import ComparisonError

SMALL, LARGE = "thalach ~ age", "thalach ~ age + exang + oldpeak"


@pytest.fixture(scope="module")
def small(heart):
    return mlefit.fit(SMALL, heart)


def _design(heart, formula):
    return np.asarray(smf.ols(formula, heart).fit().model.exog)


def test_mean_terms_give_n_r_squared(heart, small):
    test = mlefit.score_test(small, mlefit.fit(LARGE, heart))
    resid = heart["thalach"] - small.fittedvalues
    aux = sm.OLS(resid.to_numpy(), _design(heart, LARGE)).fit()
    assert test.information == "expected" and test.df == 2
    assert test.statistic == pytest.approx(len(heart) * aux.rsquared, rel=1e-10)
    assert "Score (Rao) test" in str(test)


def test_sigma_terms_give_breusch_pagan(heart):
    m0 = mlefit.fit(LARGE, heart)
    m1 = mlefit.fit(LARGE, heart, sigma="~ age + oldpeak")
    test = mlefit.score_test(m0, m1)
    resid = smf.ols(LARGE, heart).fit().resid
    lm, p, _, _ = het_breuschpagan(resid, sm.add_constant(heart[["age", "oldpeak"]]),
                                   robust=False)
    assert test.statistic == pytest.approx(lm, rel=1e-10)
    assert test.pvalue == pytest.approx(p, rel=1e-8)


def _observed_oracle(heart):
    y = heart["thalach"].to_numpy(float)
    X0, X1 = _design(heart, SMALL), _design(heart, LARGE)
    e = y - X0 @ np.linalg.lstsq(X0, y, rcond=None)[0]
    n, s2 = len(y), e @ e / len(y)
    g = np.r_[X1.T @ e / s2, 0.0]
    info = np.block([[X1.T @ X1 / s2, (2 * X1.T @ e / s2)[:, None]],
                     [(2 * e @ X1 / s2)[None, :], np.array([[2.0 * n]])]])
    return g @ np.linalg.solve(info, g)


def test_observed_information(heart, small):
    test = mlefit.score_test(small, mlefit.fit(LARGE, heart), information="observed")
    assert test.statistic == pytest.approx(_observed_oracle(heart), rel=1e-10)


def test_logpdf_only_family_uses_observed_information(heart):
    m0 = mlefit.fit(SMALL, heart, family=PlainNormal())
    m1 = mlefit.fit(LARGE, heart, family=PlainNormal())
    test = mlefit.score_test(m0, m1)
    assert test.information == "observed"
    # numeric per-row derivatives (central differences, ~1e-9 relative) at an estimate
    # converged to ~1e-8 SE
    assert test.statistic == pytest.approx(_observed_oracle(heart), rel=1e-6)
    with pytest.raises(ComparisonError, match="gives no expected information"):
        mlefit.score_test(m0, m1, information="expected")


def test_poisson_matches_statsmodels(heart):
    data = heart.dropna()
    m0 = mlefit.fit("ca ~ age + sex", data, family=PlainPoisson())
    m1 = mlefit.fit("ca ~ age + sex + thalach + oldpeak", data, family=PlainPoisson())
    glm = smf.glm("ca ~ age + sex", data, family=sm.families.Poisson()).fit(tol=1e-14)
    stat, p, df = glm.model.score_test(glm.params,
                                       exog_extra=data[["thalach", "oldpeak"]].to_numpy())
    test = mlefit.score_test(m0, m1)
    assert test.df == df == 2
    assert test.statistic == pytest.approx(float(stat[0]), rel=1e-6)
    assert test.pvalue == pytest.approx(float(p[0]), rel=1e-5)


def test_exponential_in_gamma(heart):
    e = mlefit.fit("chol ~ age + sex", heart, family=PlainExponential())
    g = mlefit.fit("chol ~ age + sex", heart, family=PlainGamma())
    test = mlefit.score_test(e, g)
    mu = smf.glm("chol ~ age + sex", heart,
                 family=sm.families.Gamma(sm.families.links.Log())).fit(tol=1e-14).mu
    y = heart["chol"].to_numpy(float)
    s = 1 + np.euler_gamma + np.log(y / mu) - y / mu
    oracle = s.sum() ** 2 / (len(y) * (np.pi**2 / 6 - 1) - s.sum())
    assert test.df == 1
    assert test.statistic == pytest.approx(oracle, rel=1e-6)
    # the restricted estimate in gamma's coefficients: log(shape) = 0
    assert test.restricted[-1] == pytest.approx(0.0, abs=1e-12)


def test_refusals(heart, small):
    large = mlefit.fit(LARGE, heart)
    with pytest.raises(ComparisonError, match="pass the models from the smallest"):
        mlefit.score_test(large, small)
    with pytest.raises(ComparisonError, match="not nested"):
        mlefit.score_test(mlefit.fit("thalach ~ C(cp)", heart),
                          mlefit.fit("thalach ~ cp + age + exang + oldpeak", heart))
    with pytest.raises(ComparisonError, match="responses differ"):
        mlefit.score_test(small, mlefit.fit("trestbps ~ age + exang", heart))
    g = mlefit.fit("trestbps ~ age + sex", heart)
    t = mlefit.fit("trestbps ~ age + sex", heart, family=PlainT())
    with pytest.raises(ComparisonError, match=r"boundary.*mlefit.lrtest"):
        mlefit.score_test(g, t)
    with pytest.raises(ComparisonError, match="not 'expected' or 'observed'"):
        mlefit.score_test(small, large, information="opg")


def test_r_convention_with_a_dispersion_offset_scores_at_the_ml_estimate(heart):
    """Under convention="R" a result reports the shape at its Pearson value; the score test
    needs the ML estimate back. A constant offset on the shape's intercept-only predictor
    is absorbed by the intercept, so it must change neither the ML shape nor the test:
    the oracles are the same fits without the offset (before this fix the offset was
    subtracted on the way out and not added back: 216.6 instead of 47.6)."""
    from mlefit.inference.coefficients import ml_coef

    data = heart.assign(o=0.7)
    stats_ = []
    for offsets in ({"shape": "o"}, None):
        m0 = mlefit.fit("chol ~ 1", data, "gamma", convention="R", offsets=offsets)
        m1 = mlefit.fit("chol ~ age", data, "gamma", convention="R", offsets=offsets)
        ml = mlefit.fit("chol ~ 1", data, "gamma", offsets=offsets)   # ML convention
        np.testing.assert_allclose(ml_coef(m0), ml.coef, rtol=1e-9)
        stats_.append(mlefit.score_test(m0, m1).statistic)
    assert stats_[0] == pytest.approx(stats_[1], rel=1e-9)
