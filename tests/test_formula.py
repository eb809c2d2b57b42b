"""Formulas, missing values, categoricals, offsets and prediction on new data.

Oracles: statsmodels (patsy) fits on the complete-case rows, and plain numpy.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import mlefit
from mlefit import DataError


@pytest.fixture
def messy(heart):
    """Heart with NAs in different columns of different formulas (ca, thal have '?')."""
    data = heart.copy()
    data.loc[[3, 10], "chol"] = np.nan
    data["cp_cat"] = pd.Categorical(data["cp"].map({1: "typical", 2: "atypical",
                                                     3: "nonanginal", 4: "asympt"}))
    return data


def test_joint_missing_mask_across_formulas(messy):
    res = mlefit.fit("thalach ~ age + chol", messy, "gaussian", sigma="~ ca")
    complete = messy.dropna(subset=["thalach", "age", "chol", "ca"])
    assert res.nobs == len(complete) == 297
    assert res.n_dropped == len(messy) - len(complete)
    assert res.dropped_by["ca"] == 4 and res.dropped_by["chol"] == 2
    assert list(res._context.frame.index) == list(complete.index)
    ref = mlefit.fit("thalach ~ age + chol", complete, "gaussian", sigma="~ ca")
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-12)
    assert "6 dropped" in res.summary()


def test_transform_nan_and_inf_are_dropped(heart):
    data = heart.assign(z=heart["oldpeak"])  # oldpeak has zeros: log(0) = -inf
    res = mlefit.fit("thalach ~ np.log(z)", data, "gaussian")
    keep = data["oldpeak"] > 0
    ols = smf.ols("thalach ~ np.log(oldpeak)", heart[keep]).fit()
    assert res.nobs == keep.sum()
    assert res.dropped_by == {"np.log(z) (non-finite)": int((~keep).sum())}
    np.testing.assert_allclose(res.params["mu"].to_numpy(), ols.params.to_numpy(), rtol=1e-10)


def test_missing_raise_names_columns(messy):
    with pytest.raises(DataError, match=r"row\(s\) have missing.*ca: 4.*chol: 2"):
        mlefit.fit("thalach ~ age + chol + ca", messy, "gaussian", missing="raise")


def test_categorical_terms_match_statsmodels(messy):
    res = mlefit.fit("thalach ~ age + cp_cat", messy, "gaussian")
    ols = smf.ols("thalach ~ age + cp_cat", messy).fit()
    # patsy orders categorical terms first, formulaic keeps the formula's order
    assert sorted(res.params["mu"].index) == sorted(ols.params.index)
    np.testing.assert_allclose(res.params["mu"][ols.params.index], ols.params, rtol=1e-10)


def test_unused_levels_after_dropping_are_not_aliased(messy):
    data = messy.copy()
    only = data["cp_cat"] == "typical"
    data.loc[only, "age"] = np.nan  # every 'typical' row is dropped
    res = mlefit.fit("thalach ~ age + cp_cat", data, "gaussian")
    assert "cp_cat[T.typical]" not in res.params["mu"].index
    assert "cp_cat[T.atypical]" in res.params["mu"].index
    assert res.nobs == (~only).sum()


def test_offset_in_formula_equals_offset_argument(heart):
    a = mlefit.fit("thalach ~ age + offset(0.5 * oldpeak)", heart, "gaussian")
    b = mlefit.fit("thalach ~ age", heart.assign(o=0.5 * heart["oldpeak"]), "gaussian",
                   offset="o")
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12)
    assert "offset(0.5 * oldpeak)" not in a.params["mu"].index
    glm = smf.glm("thalach ~ age", heart, offset=0.5 * heart["oldpeak"]).fit()
    np.testing.assert_allclose(a.params["mu"].to_numpy(), glm.params.to_numpy(), rtol=1e-10)


def test_predict_newdata_rebuilds_categoricals_and_offsets(messy):
    data = messy.dropna(subset=["ca"]).assign(o=lambda d: 0.1 * d["chol"].fillna(200))
    res = mlefit.fit("thalach ~ age + cp_cat + offset(o)", data, "gaussian")
    new = data.iloc[[5, 0, 17]]
    pred = res.predict(new)
    X = np.column_stack([np.ones(3), new["age"],
                         *(new["cp_cat"] == lvl for lvl in ["asympt", "atypical",
                                                             "nonanginal", "typical"]
                           if f"cp_cat[T.{lvl}]" in res.params["mu"].index)])
    expected = X @ res.params["mu"].to_numpy() + new["o"].to_numpy()
    np.testing.assert_allclose(pred.to_numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(pred.to_numpy(), res.fittedvalues.loc[new.index], rtol=1e-12)
    assert list(pred.index) == list(new.index)
    sigma = res.predict(new, which="sigma")
    np.testing.assert_allclose(sigma, np.exp(res.params[("sigma", "Intercept")]))


def test_predict_unknown_level_is_a_clear_error(messy):
    res = mlefit.fit("thalach ~ cp_cat", messy, "gaussian")
    new = messy.iloc[:2].assign(cp_cat=["typical", "martian"])
    with pytest.raises(DataError, match="newdata"):
        res.predict(new)


def test_sigma_formula_prediction(heart):
    res = mlefit.fit("thalach ~ age", heart, "gaussian", sigma="~ age")
    new = pd.DataFrame({"age": [30.0, 70.0]})
    b = res.params["sigma"]
    np.testing.assert_allclose(res.predict(new, which="sigma"),
                               np.exp(b["Intercept"] + b["age"] * new["age"]), rtol=1e-12)


def test_frequency_weights_equal_replicated_rows(heart):
    w = (np.arange(len(heart)) % 3).astype(float)  # weights 0, 1, 2
    res = mlefit.fit("thalach ~ age + exang", heart, "gaussian", weights=w)
    rep = heart.loc[heart.index.repeat(w.astype(int))]
    ref = mlefit.fit("thalach ~ age + exang", rep, "gaussian")
    assert res.nobs == w.sum() == ref.nobs
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-10)
    np.testing.assert_allclose(res.bse, ref.bse, rtol=1e-10)
    assert res.llf == pytest.approx(ref.llf, rel=1e-12)
    glm = smf.glm("thalach ~ age + exang", heart, freq_weights=w).fit()
    np.testing.assert_allclose(res.params["mu"], glm.params, rtol=1e-10)


def test_var_weights_match_statsmodels_and_r(heart):
    v = 1.0 + (heart["age"].to_numpy() % 5)
    res = mlefit.fit("thalach ~ age + exang", heart, "gaussian", var_weights=v,
                     convention="R")
    glm = smf.glm("thalach ~ age + exang", heart, var_weights=v).fit()
    np.testing.assert_allclose(res.params["mu"], glm.params, rtol=1e-10)
    np.testing.assert_allclose(res.bse["mu"], glm.bse, rtol=1e-10)
    # R's logLik for a weighted gaussian glm: sigma2 = sum(v r^2)/n, +1/2 sum(log v)
    r = heart["thalach"] - glm.fittedvalues
    n = len(r)
    s2 = np.sum(v * r**2) / n
    llf = -0.5 * n * (np.log(2 * np.pi * s2) + 1) + 0.5 * np.sum(np.log(v))
    assert res.llf == pytest.approx(llf, rel=1e-12)


def test_exposure_needs_log_link_and_matches_offset(heart):
    with pytest.raises(DataError, match="exposure"):
        mlefit.fit("thalach ~ age", heart, "gaussian", exposure="trestbps")
    a = mlefit.fit("thalach ~ age", heart, "gaussian", link="log", exposure="trestbps")
    b = mlefit.fit("thalach ~ age + offset(np.log(trestbps))", heart, "gaussian", link="log")
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-10)
    # statsmodels is given plain arrays: before 0.15 its pandas wrapping of a fit with an
    # exposure Series reports NaN for the slope (the array fit is right in every version)
    exog = sm.add_constant(heart["age"]).to_numpy()
    glm = sm.GLM(heart["thalach"].to_numpy(), exog,
                 family=sm.families.Gaussian(sm.families.links.Log()),
                 exposure=heart["trestbps"].to_numpy()).fit()
    np.testing.assert_allclose(a.params["mu"].to_numpy(), glm.params, rtol=1e-7)
    np.testing.assert_allclose(a.predict(heart.iloc[:3]),
                               glm.predict(exog[:3], exposure=heart["trestbps"].iloc[:3]
                                           .to_numpy()), rtol=1e-7)


def test_two_column_response_reaches_the_family(heart):
    data = heart.assign(s=heart["num"], f=4 - heart["num"])
    with pytest.raises(DataError, match="1 column"):
        mlefit.fit("s + f ~ age", data, "gaussian")
