"""``singular="drop"``: a rank-deficient design fitted as R's ``lm``/``glm`` fit it, the
aliased columns dropped and reported (issue 19, item 5).

Oracles, none of them the code under test:

* **which columns**: R's rule (LINPACK ``dqrdc2``, the limited pivoting of ``lm`` and
  ``glm``): in the formula's order, a column is aliased when it lies in the span of the
  earlier columns kept; of ``x1`` and ``x2 = 2 * x1`` R reports ``x2`` as NA. Written out
  below with ``numpy.linalg.lstsq`` (:func:`r_rule`); R's own tolerance there is 1e-7
  relative to the column's length, and every dependence here is exact (residuals of
  order 1e-15), so any tolerance between gives the same answer.
* **the numbers**: statsmodels OLS and GLM on the design without the aliased columns
  (which reproduce R's lm and glm); the Gaussian's ML closed forms (sigma2 = RSS / n,
  SE = the OLS SE times sqrt((n - p) / n), logLik = -n/2 (log(2 pi RSS / n) + 1)) as in
  tests/test_gaussian_heart.py; for a dependent column in ``sigma=``, a direct
  maximisation of the heteroscedastic normal likelihood with scipy (profiled over the
  mean, which is weighted least squares given sigma's coefficients).
* **tests between fits**: R's ``anova`` (``stat.anova``) gives ``Df`` 0 and a p-value of
  NA when the larger model's added terms are all aliased.

Tolerances: fits on the same design through different algorithms agree to about 1e-10
relative (Newton's stopping rule at tol 1e-12 and IRLS at 1e-14); the scipy oracle
(BFGS to a gradient of 1e-10) to 1e-6 in the coefficients and 1e-10 in the
log-likelihood (which is flat at its maximum).
"""

import json
import re
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from scipy import optimize, stats

import mlefit
from mlefit import CollinearityWarning, DataError, DataWarning
from mlefit.cli import main

KEPT = "thalach ~ age + exang + oldpeak"
WIDE = "thalach ~ age + age2 + exang + oldpeak + combo"


def r_rule(X: np.ndarray, tol: float = 1e-7) -> list[int]:
    """The columns R's lm/glm report as NA: in order, those within ``tol`` (relative) of
    the span of the earlier columns kept, and the all-zero ones."""
    kept, out = [], []
    for j in range(X.shape[1]):
        col = X[:, j]
        length = np.linalg.norm(col)
        if kept:
            coef, *_ = np.linalg.lstsq(X[:, kept], col, rcond=None)
            rest = np.linalg.norm(col - X[:, kept] @ coef)
        else:
            rest = length
        if length == 0 or rest <= tol * length:
            out.append(j)
        else:
            kept.append(j)
    return out


def fit_drop(*args, **kwargs):
    """``mlefit.fit(..., singular="drop")``, its CollinearityWarning caught."""
    with pytest.warns(CollinearityWarning, match="rank deficient"):
        return mlefit.fit(*args, singular="drop", **kwargs)


@pytest.fixture(scope="module")
def data(heart) -> pd.DataFrame:
    """The heart data with a column twice age and one that is a linear combination."""
    d = heart.dropna(subset=["thalach", "age", "exang", "oldpeak"]).copy()
    d["age2"] = 2 * d["age"]
    d["combo"] = d["age"] - 0.5 * d["oldpeak"] + 3.0
    return d


@pytest.fixture(scope="module")
def wide(data):
    return fit_drop(WIDE, data)


@pytest.fixture(scope="module")
def small(data):
    return mlefit.fit(KEPT, data)


@pytest.fixture(scope="module")
def ols(data):
    return smf.ols(KEPT, data).fit()


# which columns, and the warning --------------------------------------------------------
def test_the_later_of_two_identical_columns_is_dropped_as_in_r():
    rng = np.random.default_rng(3)
    d = pd.DataFrame({"x1": rng.normal(size=60)})
    d["x2"] = 2 * d["x1"]
    d["y"] = d["x1"] + rng.normal(size=60)
    assert fit_drop("y ~ x1 + x2", d).aliased == (("mu", "x2"),)     # R: x2 NA
    assert fit_drop("y ~ x2 + x1", d).aliased == (("mu", "x1"),)     # R: x1 NA


@pytest.mark.parametrize("order", [
    ["x1", "x2", "x3", "z", "zero"], ["x3", "x1", "x2", "z", "zero"],
    ["zero", "x1", "x3", "z", "x2"], ["z", "x2", "x3", "x1", "zero"],
])
def test_the_columns_dropped_follow_r_rule(order):
    rng = np.random.default_rng(4)
    d = pd.DataFrame({"x1": rng.normal(size=80), "x2": rng.normal(size=80),
                      "z": rng.normal(size=80), "zero": np.zeros(80)})
    d["x3"] = d["x1"] - 0.25 * d["x2"]
    d["y"] = d["x1"] + rng.normal(size=80)
    X = np.column_stack([np.ones(80), d[order].to_numpy()])
    expected = [(["Intercept", *order])[j] for j in r_rule(X)]
    res = fit_drop("y ~ " + " + ".join(order), d)
    assert [t for _, t in res.aliased] == expected
    assert len(expected) == 2       # zero, and one of x1, x2, x3


def test_the_warning_names_the_dropped_columns(data):
    with pytest.warns(CollinearityWarning) as caught:
        mlefit.fit(WIDE, data, singular="drop")
    assert issubclass(caught[0].category, DataWarning)
    assert caught[0].filename == __file__
    message = str(caught[0].message)
    assert re.search(r"\['age2', 'combo'\] are a linear combination", message)
    assert "singular='drop' dropped them" in message


def test_singular_error_is_the_default_and_keeps_its_message(data):
    for kwargs in ({}, {"singular": "error"}):
        with pytest.raises(DataError, match=r"the design of 'mu' \(thalach ~ age \+ age2 \+ "
                           r"exang \+ oldpeak \+ combo\) is rank deficient: \['age2', "
                           r"'combo'\] are a linear combination of the other columns \(or "
                           r"all zero on the rows used\). Fix: remove or combine those "
                           r"terms."):
            mlefit.fit(WIDE, data, **kwargs)


@pytest.mark.parametrize("value", ["omit", "DROP", True, None, 1])
def test_other_values_of_singular_are_refused_naming_the_allowed_ones(data, value):
    with pytest.raises(DataError, match=r"singular=.* is not one of 'error', 'drop'"):
        mlefit.fit(KEPT, data, singular=value)
    with pytest.raises(DataError, match=r"is not one of 'error', 'drop'"):
        mlefit.fit_arrays(data["thalach"], np.ones((len(data), 1)), singular=value)


def test_singular_is_a_reserved_name():
    from mlefit.contract import RESERVED_NAMES

    assert "singular" in RESERVED_NAMES


def test_a_design_with_no_column_left_is_refused(data):
    d = data.assign(nil=0.0)
    with pytest.raises(DataError, match=r"design of 'sigma'.*nothing to estimate"):
        mlefit.fit(KEPT, d, sigma="~ 0 + nil", singular="drop")


# the numbers: the model without the aliased columns ------------------------------------
def test_gaussian_equals_ols_without_the_columns(wide, ols):
    n, p = ols.nobs, ols.df_model + 1
    assert wide.aliased == (("mu", "age2"), ("mu", "combo"))
    assert list(wide.params["mu"].index) == ["Intercept", "age", "age2", "exang", "oldpeak",
                                             "combo"]                 # the formula's order
    est = wide.params["mu"].drop(["age2", "combo"])
    np.testing.assert_allclose(est.to_numpy(), ols.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(wide.bse["mu"].drop(["age2", "combo"]).to_numpy(),
                               ols.bse.to_numpy() * np.sqrt((n - p) / n), rtol=1e-10)
    assert np.isnan(wide.params[("mu", "age2")]) and np.isnan(wide.bse[("mu", "combo")])
    llf = -n / 2 * (np.log(2 * np.pi * ols.ssr / n) + 1)
    assert wide.llf == pytest.approx(llf, rel=1e-12)
    assert wide.k == p + 1                                    # sigma counted, aliased not
    assert wide.aic == pytest.approx(-2 * llf + 2 * (p + 1), rel=1e-12)
    assert wide.bic == pytest.approx(-2 * llf + np.log(n) * (p + 1), rel=1e-12)
    assert wide.df_resid == ols.df_resid                       # R's df.residual
    assert wide.dispersion.phi_pearson == pytest.approx(ols.ssr / (n - p), rel=1e-10)


def test_gaussian_convention_r_equals_glm_without_the_columns(data):
    res = fit_drop(WIDE, data, convention="R")
    glm = smf.glm(KEPT, data).fit()
    est = ~res.params.index.isin([("mu", "age2"), ("mu", "combo")])
    mu = est & (res.params.index.get_level_values(0) == "mu")
    np.testing.assert_allclose(res.params[mu].to_numpy(), glm.params.to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(res.bse[mu].to_numpy(), glm.bse.to_numpy(), rtol=1e-10)
    # t tests on df_resid = n - 4 (R's summary.glm), not n - 6
    np.testing.assert_allclose(res.pvalues[mu].to_numpy(),
                               smf.ols(KEPT, data).fit().pvalues.to_numpy(), rtol=1e-8)
    assert res.llf == pytest.approx(glm.llf, rel=1e-12)


def test_poisson_equals_statsmodels_glm_without_the_column():
    rng = np.random.default_rng(7)
    n = 300
    d = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
    d["w"] = 3 * d["x"] - d["z"] + 1                  # intercept, x and z span it
    d["y"] = rng.poisson(np.exp(0.5 + 0.4 * d["x"] - 0.3 * d["z"]))
    res = fit_drop("y ~ x + w + z", d, family="poisson")
    assert res.aliased == (("mu", "z"),)              # w is kept: it comes before z
    X = sm.add_constant(d[["x", "w"]])
    glm = sm.GLM(d["y"], X, family=sm.families.Poisson()).fit(tol=1e-14,
                                                             tol_criterion="params")
    np.testing.assert_allclose(res.params.dropna().to_numpy(), glm.params.to_numpy(),
                               rtol=1e-9)
    np.testing.assert_allclose(res.bse.dropna().to_numpy(), glm.bse.to_numpy(), rtol=1e-9)
    assert res.llf == pytest.approx(glm.llf, rel=1e-12)
    assert res.aic == pytest.approx(glm.aic, rel=1e-12)
    assert res.df_resid == glm.df_resid
    assert res.deviance == pytest.approx(glm.deviance, rel=1e-10)
    assert res.pearson_chi2 == pytest.approx(glm.pearson_chi2, rel=1e-8)


def test_a_dependent_column_in_the_sigma_formula(data):
    res = fit_drop("thalach ~ age + exang", data, sigma="~ oldpeak + I(2 * oldpeak)")
    assert res.aliased == (("sigma", "I(2 * oldpeak)"),)
    y = data["thalach"].to_numpy()
    X = np.column_stack([np.ones(len(y)), data[["age", "exang"]]])
    Z = np.column_stack([np.ones(len(y)), data["oldpeak"]])

    def mean_given(gamma):       # for given sigma coefficients the mean's MLE is WLS
        w = np.exp(-2 * Z @ gamma)
        return np.linalg.solve(X.T @ (w[:, None] * X), X.T @ (w * y))

    def nll(gamma):              # the likelihood profiled over the mean: two dimensions
        return -np.sum(stats.norm.logpdf(y, X @ mean_given(gamma), np.exp(Z @ gamma)))

    direct = optimize.minimize(nll, [np.log(y.std()), 0.0], method="BFGS",
                               options={"gtol": 1e-10})
    oracle = np.r_[mean_given(direct.x), direct.x]
    np.testing.assert_allclose(res.params.dropna().to_numpy(), oracle, rtol=1e-6, atol=1e-8)
    assert res.llf == pytest.approx(-direct.fun, rel=1e-10)
    assert res.k == 5 and res.aic == pytest.approx(2 * direct.fun + 10, rel=1e-10)
    smaller = mlefit.fit("thalach ~ age + exang", data, sigma="~ oldpeak")
    np.testing.assert_allclose(res.bse.dropna().to_numpy(), smaller.bse.to_numpy(), rtol=1e-10)
    assert np.isnan(res.cov_params().loc[("sigma", "I(2 * oldpeak)")]).all()


def test_fit_arrays_drops_a_duplicate_and_a_zero_column(data):
    X = np.column_stack([np.ones(len(data)), data["age"], data["age"], np.zeros(len(data)),
                         data["exang"], data["oldpeak"]])
    with pytest.warns(CollinearityWarning, match=r"\['dup', 'nil'\]"):
        res = mlefit.fit_arrays(data["thalach"], X, singular="drop", names={
            "mu": ["Intercept", "age", "dup", "nil", "exang", "oldpeak"]})
    assert res.aliased == (("mu", "dup"), ("mu", "nil"))
    ols = smf.ols(KEPT, data).fit()
    np.testing.assert_allclose(res.params["mu"].dropna().to_numpy(), ols.params.to_numpy(),
                               rtol=1e-10)


# what the result reports --------------------------------------------------------------
def test_cov_tests_and_intervals_are_nan_for_the_aliased(wide, small):
    aliased = [("mu", "age2"), ("mu", "combo")]
    cov = wide.cov_params()
    assert cov.loc[aliased].isna().all().all() and cov[aliased].isna().all().all()
    np.testing.assert_allclose(cov.drop(index=aliased, columns=aliased).to_numpy(),
                               small.cov, rtol=1e-9, atol=1e-14)
    assert wide.tvalues[aliased].isna().all() and wide.pvalues[aliased].isna().all()
    ci = wide.conf_int()
    assert ci.loc[aliased].isna().all().all()
    np.testing.assert_allclose(ci.drop(aliased).to_numpy(), small.conf_int().to_numpy(),
                               rtol=1e-10)


def test_wald_tests_nan_when_they_involve_an_aliased_coefficient(wide, small):
    assert np.isnan(wide.wald_test("age2 = 0").statistic)
    both = wide.wald_test("age = 0, age2 = 0")
    assert np.isnan(both.statistic) and np.isnan(both.pvalue)
    assert both.table["statistic"].iloc[0] == pytest.approx(
        small.wald_test("age = 0").statistic ** 0.5 * np.sign(small.params[("mu", "age")]),
        rel=1e-9)
    assert np.isnan(both.table["statistic"].iloc[1])
    mine, theirs = wide.wald_test("age = 0, exang = oldpeak"), \
        small.wald_test("age = 0, exang = oldpeak")
    assert mine.statistic == pytest.approx(theirs.statistic, rel=1e-9)
    assert mine.pvalue == pytest.approx(theirs.pvalue, rel=1e-7)
    R = np.zeros((1, 7))
    R[0, 1] = 1.0                                   # one column per entry of params
    assert wide.wald_test(R).statistic == pytest.approx(
        small.wald_test("age = 0").statistic, rel=1e-9)


def test_summary_prints_na_and_the_note(wide):
    text = wide.summary()
    assert "Coefficients: (2 not defined because of singularities)" in text
    for term in ("age2", "combo"):
        assert re.search(rf"^{term}\s+NA\s+NA\s+NA\s+NA\s*$", text, re.M)
    assert re.search(r"^age\s+-?\d", text, re.M)
    assert f"(k = {wide.k})" in text


# predictions --------------------------------------------------------------------------
def test_predict_on_newdata_equals_the_smaller_model_and_warns(wide, small, data):
    new = data.iloc[:7]
    with pytest.warns(DataWarning, match="prediction from a rank-deficient fit may be "
                                         "misleading") as caught:
        got = wide.predict(new)
    assert caught[0].filename == __file__ and "mu: age2" in str(caught[0].message)
    np.testing.assert_allclose(got.to_numpy(), small.predict(new).to_numpy(), rtol=1e-10)
    with pytest.warns(DataWarning, match="rank-deficient"):
        band = wide.predict(new, interval="confidence")
    np.testing.assert_allclose(band.to_numpy(), small.predict(new, interval="confidence"
                                                              ).to_numpy(), rtol=1e-9)
    with pytest.warns(DataWarning, match="rank-deficient"):
        kept = wide.remove_data().predict(new, which="sigma")
    np.testing.assert_allclose(kept.to_numpy(), small.predict(new, which="sigma").to_numpy(),
                               rtol=1e-10)


def test_predictions_on_the_fit_rows_do_not_warn(wide, small):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(wide.fittedvalues.to_numpy(),
                                   small.fittedvalues.to_numpy(), rtol=1e-10)
        np.testing.assert_allclose(wide.resid_deviance.to_numpy(),
                                   small.resid_deviance.to_numpy(), rtol=1e-8, atol=1e-9)


def test_newdata_off_the_dependence_counts_the_aliased_as_zero(wide, small, data):
    """R's predict.lm: only the estimated columns enter (x %*% beta[piv])."""
    new = data.iloc[:3].assign(age2=0.0, combo=1e6)
    with pytest.warns(DataWarning):
        got = wide.predict(new)
    np.testing.assert_allclose(got.to_numpy(), small.predict(new).to_numpy(), rtol=1e-10)


# refits through the result ------------------------------------------------------------
def test_profile_intervals(wide, small):
    ci = wide.conf_int(method="profile")
    aliased = [("mu", "age2"), ("mu", "combo")]
    assert ci.loc[aliased].isna().all().all()
    np.testing.assert_allclose(ci.drop(aliased).to_numpy(),
                               small.conf_int(method="profile").to_numpy(), rtol=1e-7)
    with pytest.raises(DataError, match="'age2' is aliased"):
        wide.profile("age2")
    prof = wide.profile("oldpeak", values=[-10.0, -5.0])
    np.testing.assert_allclose(prof["llf"], small.profile("oldpeak", values=[-10.0, -5.0])[
        "llf"], rtol=1e-10)


def test_lrtest_against_the_smaller_model_has_df_0_as_r_anova(wide, small):
    test = mlefit.lrtest(small, wide)
    assert test.df == 0 and test.statistic == 0.0 and np.isnan(test.pvalue)
    assert "df = 0 and no p-value" in test.notes[0]
    assert re.search(r"^\s+2\s+5\s+\S+\s+0\s+0\s+NA$", str(test), re.M)
    with pytest.raises(mlefit.ComparisonError, match="larger model second"):
        mlefit.lrtest(wide, small)          # the order still matters


def test_lrtest_from_a_smaller_model_equals_the_one_without_the_columns(wide, small, data):
    base = mlefit.fit("thalach ~ age", data)
    mine, theirs = mlefit.lrtest(base, wide), mlefit.lrtest(base, small)
    assert (mine.df, mine.statistic) == (theirs.df, pytest.approx(theirs.statistic, rel=1e-9))
    larger = mlefit.fit(KEPT + " + chol", data.dropna(subset=["chol"]))
    assert mlefit.lrtest(wide, larger).df == 1
    score, oracle = mlefit.score_test(base, wide), mlefit.score_test(base, small)
    assert score.df == oracle.df and score.statistic == pytest.approx(oracle.statistic,
                                                                       rel=1e-9)


def test_f_test_has_df_0_and_na(data):
    wide_r = fit_drop(WIDE, data, convention="R")
    small_r = mlefit.fit(KEPT, data, convention="R")
    test = mlefit.lrtest(small_r, wide_r, test="F")
    assert test.df == 0 and np.isnan(test.statistic) and np.isnan(test.pvalue)
    base = mlefit.fit("thalach ~ age", data, convention="R")
    mine, theirs = mlefit.lrtest(base, wide_r, test="F"), mlefit.lrtest(base, small_r, test="F")
    assert mine.statistic == pytest.approx(theirs.statistic, rel=1e-9)


def test_simulation_and_the_bootstrap(wide, small, data):
    np.testing.assert_allclose(wide.simulate(3, seed=5), small.simulate(3, seed=5), rtol=1e-10)
    base = mlefit.fit("thalach ~ age", data)
    mine = mlefit.lrtest(base, wide, bootstrap=5, seed=2).bootstrap
    theirs = mlefit.lrtest(base, small, bootstrap=5, seed=2).bootstrap
    np.testing.assert_allclose(mine.replicates, theirs.replicates, rtol=1e-7)


def test_glm_statistics_and_a_pickled_result(wide, small):
    import pickle

    assert wide.deviance == pytest.approx(small.deviance, rel=1e-12)
    again = pickle.loads(pickle.dumps(wide))
    assert again.aliased == wide.aliased
    np.testing.assert_array_equal(again.params.to_numpy(), wide.params.to_numpy())


# the command line ---------------------------------------------------------------------
def test_cli_singular_drop(tmp_path, data, capsys):
    path = tmp_path / "d.csv"
    data[["thalach", "age", "age2", "exang"]].to_csv(path, index=False)
    with pytest.warns(CollinearityWarning):
        assert main(["fit", "thalach ~ age + age2 + exang", "--data", str(path),
                     "--singular", "drop", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    row = next(r for r in out["coefficients"] if r["term"] == "age2")
    assert row["estimate"] is None and row["std_error"] is None
    assert out["aliased"] == [["mu", "age2"]] and out["k"] == 4
    assert main(["fit", "thalach ~ age + age2 + exang", "--data", str(path)]) == 2
    assert "rank deficient" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_:       # argparse's choices, as --convention's
        main(["fit", "thalach ~ age", "--data", str(path), "--singular", "omit"])
    assert exit_.value.code == 2 and "--singular: invalid choice" in capsys.readouterr().err


def test_leverages_are_those_of_the_model_without_the_columns(wide, small, ols):
    """The hat values of the estimated columns: statsmodels' OLS influence."""
    from mlefit.postestimation.plots import leverage

    hat = ols.get_influence().hat_matrix_diag
    np.testing.assert_allclose(leverage(wide), hat, rtol=1e-9)
    np.testing.assert_allclose(leverage(wide), leverage(small), rtol=1e-12)


def test_start_values_may_name_the_aliased_columns_as_r_glm_takes_them(data, small):
    """R's glm takes start= for every column (ncol(x)); the aliased entries are unused."""
    full = [200.0, -1.0, np.nan, -15.0, -5.0, np.nan, 3.0]
    for start in (full, {"mu": {"age2": 7.0, "age": -1.0}}, {"mu": full[:6]}):
        res = fit_drop(WIDE, data, start=start)
        np.testing.assert_allclose(res.params.dropna().to_numpy(), small.params.to_numpy(),
                                   rtol=1e-10)
    with pytest.raises(DataError, match="start has 6 values but the model has 5"):
        fit_drop(WIDE, data, start=full[:6])
