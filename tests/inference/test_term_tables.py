"""drop1 and anova against statsmodels' anova_lm (OLS), differences of statsmodels GLM
fits' deviances (binomial, poisson), R's rule n log(RSS0 / RSS1) for the gaussian LRT,
and mlefit.lrtest for a distributional model's terms."""

import numpy as np
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

import mlefit
from mlefit import DataError

GAUSS = "thalach ~ C(cp) + age + exang + oldpeak + age:exang"


@pytest.fixture(scope="module")
def data(heart):
    return heart.assign(disease=(heart["num"] > 0).astype(int))


@pytest.fixture(scope="module")
def gauss(data):
    return mlefit.fit(GAUSS, data, family="gaussian"), smf.ols(GAUSS, data).fit()


@pytest.mark.parametrize("typ", ["I", "II"])
def test_anova_f_matches_anova_lm(gauss, typ):
    """The least-squares F tests: for the gaussian the Pearson dispersion is RSS / df_resid
    and the deviance is the RSS, so the F statistics are anova_lm's (agreement 1e-9: both
    are exact least squares)."""
    res, ols = gauss
    ours = mlefit.anova(res, type=typ, test="F")
    theirs = anova_lm(ols, typ=1 if typ == "I" else 2).drop(index="Residual")
    assert list(ours.index) == ["C(cp)", "age", "exang", "oldpeak", "age:exang"]
    assert list(theirs.index) == list(ours.index)
    np.testing.assert_allclose(ours["df"], theirs["df"])
    np.testing.assert_allclose(ours["deviance"], theirs["sum_sq"], rtol=1e-8)
    np.testing.assert_allclose(ours["statistic"], theirs["F"], rtol=1e-8)
    np.testing.assert_allclose(ours["p_value"], theirs["PR(>F)"], rtol=1e-7)


def test_drop1_respects_marginality_and_matches_least_squares(gauss, data):
    """age and exang sit inside age:exang, so drop1 drops C(cp), oldpeak and age:exang
    only (R's drop1). Its F (R's drop1.glm: the full model's D / df_resid) equals
    anova_lm's type II F of those terms; its LRT is R's n log(RSS0 / RSS1), computed here
    from statsmodels' OLS refits."""
    res, ols = gauss
    F = mlefit.drop1(res, test="F")
    assert list(F.index) == ["<none>", "C(cp)", "oldpeak", "age:exang"]
    type2 = anova_lm(ols, typ=2)
    np.testing.assert_allclose(F["statistic"].iloc[1:], type2.loc[F.index[1:], "F"],
                               rtol=1e-8)
    lrt = mlefit.drop1(res)
    n = len(data)
    for term, formula in [("C(cp)", "thalach ~ age + exang + oldpeak + age:exang"),
                          ("oldpeak", "thalach ~ C(cp) + age + exang + age:exang")]:
        small = smf.ols(formula, data).fit()
        assert lrt.loc[term, "statistic"] == pytest.approx(n * np.log(small.ssr / ols.ssr),
                                                           rel=1e-8)
        assert lrt.loc[term, "deviance"] == pytest.approx(small.ssr, rel=1e-9)
    assert lrt.loc["<none>", "aic"] == pytest.approx(res.aic, rel=1e-12)


def test_binomial_drop1_and_anova_are_deviance_differences(data):
    """phi = 1: LR = the change of deviance, from statsmodels GLM fits of each reduced
    model; AIC as statsmodels' (the same ML log-likelihood). Agreement 1e-7: both fits
    stop at tolerances near 1e-10 in the coefficients."""
    formula = "disease ~ age + sex + C(cp) + oldpeak"
    res = mlefit.fit(formula, data, family="binomial")
    binom = sm.families.Binomial()
    full = smf.glm(formula, data, family=binom).fit(tol=1e-13)
    table = mlefit.drop1(res)
    for term in ["age", "sex", "C(cp)", "oldpeak"]:
        rest = " + ".join(t for t in ["age", "sex", "C(cp)", "oldpeak"] if t != term)
        small = smf.glm(f"disease ~ {rest}", data, family=binom).fit(tol=1e-13)
        assert table.loc[term, "statistic"] == pytest.approx(small.deviance - full.deviance,
                                                             rel=1e-7)
        assert table.loc[term, "deviance"] == pytest.approx(small.deviance, rel=1e-9)
        assert table.loc[term, "aic"] == pytest.approx(small.aic, rel=1e-9)
    seq = mlefit.anova(res)
    devs = [smf.glm(f"disease ~ {rhs}", data, family=binom).fit(tol=1e-13).deviance
            for rhs in ["1", "age", "age + sex", "age + sex + C(cp)",
                        "age + sex + C(cp) + oldpeak"]]
    np.testing.assert_allclose(seq["statistic"], -np.diff(devs), rtol=1e-7)
    np.testing.assert_allclose(seq["df"], [1, 1, 3, 1])


def test_poisson_type_ii_against_statsmodels_fits(data):
    formula = "ca ~ age + sex + age:sex + oldpeak"
    res = mlefit.fit(formula, data, family="poisson")
    pois = sm.families.Poisson()
    table = mlefit.anova(res, type="II")

    def dev(rhs):
        return smf.glm(f"ca ~ {rhs}", data, family=pois).fit(tol=1e-13).deviance

    # age: against the model without age and without age:sex, which contains it
    assert table.loc["age", "statistic"] == pytest.approx(dev("sex + oldpeak")
                                                          - dev("age + sex + oldpeak"),
                                                          rel=1e-7)
    assert table.loc["age:sex", "statistic"] == pytest.approx(
        dev("age + sex + oldpeak") - dev(formula.split("~")[1]), rel=1e-7)


def test_drop1_of_a_distributional_model_equals_lrtest(heart):
    """A sigma term is dropped too, labelled as its coefficient; the LR is that of
    lrtest between the two fits."""
    big = mlefit.fit("thalach ~ age + exang", heart, family="gaussian", sigma="~ age")
    small = mlefit.fit("thalach ~ age + exang", heart, family="gaussian")
    table = mlefit.drop1(big)
    assert list(table.index) == ["<none>", "age", "exang", "sigma:age"]
    assert table.loc["sigma:age", "statistic"] == pytest.approx(
        mlefit.lrtest(small, big).statistic, rel=1e-7)


@pytest.mark.parametrize("call,match", [
    (lambda r: mlefit.drop1(r, test="F"), "needs an estimated dispersion"),
    (lambda r: mlefit.drop1(r, test="Chisq"), "test='Chisq'"),
    (lambda r: mlefit.anova(r, type="III"), "type='III'"),
])
def test_bad_arguments_are_refused(data, call, match):
    res = mlefit.fit("disease ~ age", data, family="binomial")
    with pytest.raises(DataError, match=match):
        call(res)


def test_arrays_fit_has_no_terms():
    rng = np.random.default_rng(0)
    res = mlefit.fit_arrays(rng.normal(size=40), np.column_stack([np.ones(40),
                                                                  rng.normal(size=40)]))
    with pytest.raises(DataError, match="no formula terms"):
        mlefit.drop1(res)


def test_a_robust_fit_warns_that_the_tests_do_not_use_its_covariance(data):
    res = mlefit.fit("disease ~ age + sex", data, family="binomial", cov_type="HC0")
    with pytest.warns(mlefit.InferenceWarning, match="robust covariance"):
        table = mlefit.drop1(res)
    plain = mlefit.drop1(mlefit.fit("disease ~ age + sex", data, family="binomial"))
    np.testing.assert_allclose(table["statistic"].iloc[1:], plain["statistic"].iloc[1:],
                               rtol=1e-9)
