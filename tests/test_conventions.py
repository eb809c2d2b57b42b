"""The dispersion a result reports (issue 19, item 8), against statsmodels' GLM.

* Families that fix the dispersion (binomial, poisson, the negative binomial) report
  ``phi = 1`` as R's ``summary.glm`` does ("dispersion parameter ... taken to be 1"),
  with the Pearson X2 / (n - p) beside it (statsmodels' ``pearson_chi2 / df_resid``).
* ``dispersion="pearson"`` for such a family with every other parameter fixed scales the
  covariance by X2 / (n - p): R's quasipoisson, statsmodels ``GLM(..., scale="X2")``.
* Exponential-dispersion families keep their estimates; ``phi`` is the one in use.
"""

import numpy as np
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.genmod import families

import mlefit
from mlefit.errors import DataError

LOGIT = "I(num > 0) ~ age + sex + thalach"


@pytest.mark.parametrize("conv", [None, "R"])
def test_fixed_dispersion_families_report_phi_one(heart, conv):
    data = heart.assign(sick=(heart["num"] > 0).astype(float))
    for family, sm_family, formula in (
            ("binomial", families.Binomial(), "sick ~ age + sex + thalach"),
            ("poisson", families.Poisson(), "num ~ age + sex + thalach")):
        res = mlefit.fit(formula, data, family, convention=conv)
        glm = smf.glm(formula, data, family=sm_family).fit(tol=1e-12)
        disp = res.dispersion
        assert (disp.parameter, disp.phi_ml, disp.phi) == (None, 1.0, 1.0)
        assert disp.df_resid == glm.df_resid == 299
        # Pearson X2 at coefficients that agree to ~1e-8 (statsmodels' IRLS tolerance)
        assert disp.phi_pearson == pytest.approx(glm.pearson_chi2 / glm.df_resid, rel=1e-7)
        assert f"taken to be 1 by the {family} family" in res.summary()


def test_quasipoisson_matches_statsmodels_scale_x2(heart):
    formula = "num ~ age + sex + thalach"
    glm = smf.glm(formula, heart, family=families.Poisson()).fit(scale="X2", tol=1e-12)
    res = mlefit.fit(formula, heart, "poisson", dispersion="pearson", convention="R")
    assert res.dispersion.phi == pytest.approx(glm.scale, rel=1e-7)
    np.testing.assert_allclose(res.bse, glm.bse, rtol=1e-7)     # IRLS tolerance
    # R's summary of quasipoisson: t tests on df_resid
    t = glm.params / glm.bse
    assert res.t_tests
    np.testing.assert_allclose(res.pvalues, 2 * stats.t.sf(np.abs(t), 299), rtol=1e-6)
    # a sandwich does not depend on phi: robust standard errors are not scaled
    robust = mlefit.fit(formula, heart, "poisson", dispersion="pearson", cov_type="HC0")
    plain = mlefit.fit(formula, heart, "poisson", cov_type="HC0")
    np.testing.assert_allclose(robust.bse, plain.bse, rtol=1e-12)


def test_dispersion_families_report_the_estimate_in_use(heart):
    ml = mlefit.fit("chol ~ age", heart, "gaussian")
    r = mlefit.fit("chol ~ age", heart, "gaussian", convention="R")
    ols = smf.ols("chol ~ age", heart).fit()
    assert ml.dispersion.phi == ml.dispersion.phi_ml == pytest.approx(ols.ssr / 303,
                                                                      rel=1e-12)
    assert r.dispersion.phi == pytest.approx(ols.scale, rel=1e-12)


def test_pearson_refused_without_a_variance_function_or_with_free_parameters(heart):
    with pytest.raises(DataError, match=r"exponential-dispersion.*drop the option"):
        mlefit.fit("chol ~ age", heart, "lognormal", dispersion="pearson")
    with pytest.raises(DataError, match=r"fix \['theta'\]"):
        mlefit.fit("num ~ age", heart, "negative_binomial", dispersion="pearson")
