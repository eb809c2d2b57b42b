"""``lrtest(m0, m1, test="F")``: R's ``anova(m0, m1, test = "F")`` for GLM fits with an
estimated dispersion (issue 19, item 9).

Oracles: statsmodels ``anova_lm`` for nested OLS fits (gaussian; the largest model's
residual variance in the denominator, as R), and for the gamma family the formula
``F = (D0 - D1) / (df0 - df1) / (X2_1 / df_1)`` by hand with statsmodels GLM deviances
and Pearson chi-square, referred to scipy's F distribution.
"""

import numpy as np
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.genmod import families
from statsmodels.stats.anova import anova_lm

import mlefit
from mlefit.errors import ComparisonError, DataError

FORMULAS = ("chol ~ age", "chol ~ age + sex + trestbps", "chol ~ age + sex + trestbps + thalach")


@pytest.mark.parametrize("conv", ["R", None])
def test_gaussian_matches_anova_lm(heart, conv):
    fits = [mlefit.fit(f, heart, "gaussian", convention=conv) for f in FORMULAS]
    ols = [smf.ols(f, heart).fit() for f in FORMULAS]
    ref = anova_lm(ols[0], ols[1])
    test = mlefit.lrtest(fits[0], fits[1], test="F")
    # least squares to ~1e-13 relative; the F statistic is a ratio of differences of
    # sums of squares 30x smaller than the sums: rel 1e-9
    assert test.statistic == pytest.approx(ref["F"][1], rel=1e-9)
    assert test.pvalue == pytest.approx(ref["Pr(>F)"][1], rel=1e-8)
    assert (test.df, test.df_denom, test.test) == (2, 299.0, "F")
    assert test.distribution == "F(2, 299)"
    np.testing.assert_allclose(test.table["deviance"], ref["ssr"], rtol=1e-12)
    np.testing.assert_allclose(test.table["df_resid"], ref["df_resid"])
    assert "Pr(>F)" in test.summary() and "F test" in test.summary()
    # three models: each step against the largest model's dispersion (anova_lm's F, as
    # R); R refers every step to F(df, df of the largest model) (anova.lmlist,
    # anova.glmlist), where anova_lm uses each row's own df_resid: scipy by hand
    seq = mlefit.lrtest(*fits, test="F")
    ref3 = anova_lm(*ols)
    np.testing.assert_allclose(seq.statistic, ref3["F"][1:], rtol=1e-9)
    np.testing.assert_allclose(seq.pvalue, stats.f.sf(ref3["F"][1:], [2, 1], 298),
                               rtol=1e-8)
    assert list(seq.df) == [2, 1] and len(seq.table) == 3


def test_gamma_by_hand_with_statsmodels_glm(cancer):
    small, large = "studytime ~ age", "studytime ~ age + C(drug)"
    fam = families.Gamma(families.links.Log())
    g0 = smf.glm(small, cancer, family=fam).fit(tol=1e-14, tol_criterion="params")
    g1 = smf.glm(large, cancer, family=fam).fit(tol=1e-14, tol_criterion="params")
    phi = g1.pearson_chi2 / g1.df_resid
    df = g0.df_resid - g1.df_resid
    F = (g0.deviance - g1.deviance) / df / phi
    m0 = mlefit.fit(small, cancer, "gamma", link="log", convention="R")
    m1 = mlefit.fit(large, cancer, "gamma", link="log", convention="R")
    test = mlefit.lrtest(m0, m1, test="F")
    assert test.df == df == 2 and test.df_denom == g1.df_resid
    # the GLM fits agree to ~1e-10: rel 1e-8 on a ratio of deviance differences
    assert test.statistic == pytest.approx(F, rel=1e-8)
    assert test.pvalue == pytest.approx(stats.f.sf(F, df, g1.df_resid), rel=1e-7)


def test_refused_without_an_estimated_dispersion(heart):
    b0 = mlefit.fit("I(num > 0) ~ age", heart, "binomial", convention="R")
    b1 = mlefit.fit("I(num > 0) ~ age + sex", heart, "binomial", convention="R")
    with pytest.raises(ComparisonError, match=r"fixes its dispersion at 1.*test='Chisq'"):
        mlefit.lrtest(b0, b1, test="F")
    s0 = mlefit.fit("chol ~ age", heart, "gaussian", sigma="~ sex")
    s1 = mlefit.fit("chol ~ age + trestbps", heart, "gaussian", sigma="~ sex")
    with pytest.raises(ComparisonError, match="dispersion has covariates"):
        mlefit.lrtest(s0, s1, test="F")
    with pytest.raises(DataError, match="test='chisq' is not"):
        mlefit.lrtest(b0, b1, test="chisq")
    with pytest.raises(DataError, match="not of F"):
        mlefit.lrtest(b0, b1, test="F", bootstrap=10)


def test_quasi_poisson_f_test_by_hand(heart):
    """A count family with dispersion='pearson' (R's quasipoisson) has its F test."""
    f0, f1 = "num ~ age", "num ~ age + sex + thalach"
    m0 = mlefit.fit(f0, heart, "poisson", dispersion="pearson", convention="R")
    m1 = mlefit.fit(f1, heart, "poisson", dispersion="pearson", convention="R")
    g0 = smf.glm(f0, heart, family=families.Poisson()).fit(tol=1e-14, tol_criterion="params")
    g1 = smf.glm(f1, heart, family=families.Poisson()).fit(tol=1e-14, tol_criterion="params")
    F = (g0.deviance - g1.deviance) / 2 / (g1.pearson_chi2 / g1.df_resid)
    assert mlefit.lrtest(m0, m1, test="F").statistic == pytest.approx(F, rel=1e-8)
