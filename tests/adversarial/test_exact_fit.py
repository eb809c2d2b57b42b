"""An exact fit (every residual zero) is consistent everywhere (issue 19, item 7).

The deviance and Pearson X2 are 0 (the residual sum of squares, by hand), the null
deviance is the total sum of squares about the mean (by hand, numpy), the dispersion is
0; the coefficient tests are NaN (a ratio with a standard error of 0 is undefined), in
the summary and in the CLI's JSON alike; information-criteria comparisons are refused
with a ComparisonError, as likelihood-ratio tests already were, and leak no warning.
"""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit.cli import main
from mlefit.errors import ComparisonError, ConvergenceWarning


@pytest.fixture(scope="module")
def data():
    x = np.linspace(-3.0, 5.0, 25)
    z = np.cos(3 * x)
    # exact in binary floating point: coefficients and x are dyadic-friendly
    return pd.DataFrame({"x": x, "z": z, "y": 0.5 + 2.0 * x, "w": 0.5 + 2.0 * x + z**2})


@pytest.fixture(scope="module")
def exact(data):
    with pytest.warns(ConvergenceWarning, match="exact fit"):
        return mlefit.fit("y ~ x", data, "gaussian")


def test_deviance_and_pearson_are_zero_and_the_null_deviance_is_the_total_ss(exact, data):
    y = data["y"].to_numpy()
    assert exact.deviance == 0.0 and exact.pearson_chi2 == 0.0
    # the total sum of squares about the mean: the intercept-only fit's deviance; rel
    # 1e-12 covers the refit's rounding on 25 values of size 10
    assert exact.null_deviance == pytest.approx(np.sum((y - y.mean()) ** 2), rel=1e-12)
    assert exact.df_null == 24
    disp = exact.dispersion
    assert (disp.parameter, disp.phi_ml, disp.phi_pearson, disp.phi) == ("sigma", 0, 0, 0)


def test_coefficient_tests_are_nan_not_inf_and_zero(exact):
    assert np.isnan(exact.tvalues).all() and np.isnan(exact.pvalues).all()
    assert (exact.bse["mu"] == 0).all()
    lines = [ln for ln in exact.summary().splitlines() if ln.startswith(("Intercept", "x "))]
    # no row's standard error or test is infinite (or a p-value of "<2e-16")
    assert len(lines) == 3 and all("Inf" not in " ".join(ln.split()[2:]) and "<2e-16" not in ln
                                   for ln in lines)
    assert all(ln.split()[3:5] == ["NaN", "NaN"] for ln in lines)
    # sigma's log-link estimate is log(0) = -inf when every residual is exactly 0 (the
    # design in row-major order gives exactly 0.5 + 2 x here), or the log of a
    # rounding-level sigma when the residuals are ~1e-16 (column-major order did)
    log_sigma = exact.params[("sigma", "Intercept")]
    assert log_sigma == -np.inf or log_sigma < np.log(1e-14)
    with warnings.catch_warnings():     # sigma's -inf does not reach a test of mu: no
        warnings.simplefilter("error")  # 0 * inf, no leaked RuntimeWarning
        wald = exact.wald_test("x = 0")
    assert np.isnan(wald.table["statistic"]).all() and np.isnan(wald.pvalue)
    assert wald.table["estimate"].tolist() == [exact.params[("mu", "x")]]


def test_json_statistic_and_p_value_are_both_null(data, tmp_path, capsys):
    path = tmp_path / "exact.csv"
    data.to_csv(path, index=False)
    for conv in ([], ["--convention", "R"]):
        with pytest.warns(ConvergenceWarning, match="exact fit"):
            assert main(["fit", "y ~ x", "--data", str(path), "--json", *conv]) == 0
        rows = json.loads(capsys.readouterr().out)["coefficients"]
        mean = [r for r in rows if r["parameter"] == "mu"]
        assert [(r["statistic"], r["p_value"]) for r in mean] == [(None, None)] * 2


def test_compare_refuses_an_exact_fit_without_leaking_warnings(exact, data):
    with pytest.warns(ConvergenceWarning, match="exact fit"):
        other = mlefit.fit("y ~ x + z", data, "gaussian")
    inexact = mlefit.fit("w ~ x", data.assign(y=data["w"]), "gaussian")
    assert np.isfinite(inexact.llf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # no RuntimeWarning, no NaN weights
        for models in ((exact,), (exact, other)):
            with pytest.raises(ComparisonError, match=r"fit the response exactly.*finite"):
                mlefit.compare(*models)
        with pytest.raises(ComparisonError, match="fit the response exactly"):
            mlefit.lrtest(exact, other)


def test_a_gamma_exact_fit_has_deviance_zero():
    x = np.linspace(0.0, 2.0, 20)
    d = pd.DataFrame({"x": x, "y": np.exp(0.25 + 0.5 * x)})
    with warnings.catch_warnings():     # shape = 1/phi near 1e30 overflows: not leaked
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(ConvergenceWarning, match="exact fit"):
            res = mlefit.fit("y ~ x", d, "gamma")
    assert res.deviance == 0.0 and np.isnan(res.tvalues["mu"]).all()
    assert np.isfinite(res.null_deviance) and res.null_deviance > 0
