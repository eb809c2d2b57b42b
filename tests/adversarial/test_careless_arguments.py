"""Careless arguments: misspelt families and links, a two-sided parameter formula,
``fit_arrays`` with a DataFrame, a start value outside its domain, and two fits whose
responses share a name but not their values.

Oracles: statsmodels (OLS on the same DataFrame names and estimates its columns), the
``fixed=`` refusal the start value must match, and counts of differing rows made by hand.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import mlefit
from mlefit import ComparisonError, DataError, UnknownFamilyError, UnknownLinkError


def test_an_unknown_link_has_its_own_error_and_a_suggestion(heart):
    with pytest.raises(UnknownLinkError, match=r"no link named 'lgo' \(did you mean 'log'\?\)"):
        mlefit.fit("thalach ~ age", heart, "gaussian", link="lgo")
    assert issubclass(UnknownLinkError, UnknownFamilyError)     # old except clauses work
    with pytest.raises(UnknownFamilyError):
        mlefit.fit("thalach ~ age", heart, "gaussian", links={"sigma": "lgo"})


def test_an_unknown_family_gets_a_suggestion_and_a_far_name_none(heart):
    with pytest.raises(UnknownFamilyError, match=r"did you mean 'gaussian'") as info:
        mlefit.fit("thalach ~ age", heart, "gausian")
    assert not isinstance(info.value, UnknownLinkError)
    with pytest.raises(UnknownFamilyError) as info:
        mlefit.fit("thalach ~ age", heart, "zzzzqqq")
    assert "did you mean" not in str(info.value)
    with pytest.raises(UnknownFamilyError, match="'poisson'"):
        mlefit.fit("thalach ~ age", heart, "Poison")


def test_a_two_sided_parameter_formula_is_refused_and_quoted_as_given(heart):
    with pytest.raises(DataError) as info:
        mlefit.fit("thalach ~ age", heart, "gaussian", sigma="chol ~ age")
    message = str(info.value)
    assert "'chol ~ age'" in message and "'~ chol ~ age'" not in message
    assert "left-hand side" in message and "sigma='~ age'" in message


def test_fit_arrays_keeps_a_dataframes_column_names(heart):
    data = heart.dropna(subset=["age", "chol"])
    X = sm.add_constant(data[["age", "chol"]])
    ols = sm.OLS(data["thalach"], X).fit()
    res = mlefit.fit_arrays(data["thalach"], X, "gaussian")
    assert list(res.params["mu"].index) == list(X.columns) == list(ols.params.index)
    # ML and least squares share the coefficients; tolerance: the optimiser's 1e-12 rule
    np.testing.assert_allclose(res.params["mu"], ols.params, rtol=1e-8)
    named = mlefit.fit_arrays(data["thalach"], X, "gaussian", names={"mu": ["a", "b", "c"]})
    assert list(named.params["mu"].index) == ["a", "b", "c"]       # names= still wins
    plain = mlefit.fit_arrays(data["thalach"], X.to_numpy(), "gaussian")
    assert list(plain.params["mu"].index) == ["x0", "x1", "x2"]
    sigma = mlefit.fit_arrays(data["thalach"], X, "gaussian",
                              designs={"sigma": sm.add_constant(data[["age"]])})
    assert list(sigma.params["sigma"].index) == ["const", "age"]


@pytest.mark.parametrize("value", [-1.0, 0.0, np.inf])
def test_a_start_value_outside_the_domain_is_the_same_error_as_fixed(heart, value):
    with pytest.raises(DataError, match="outside its domain") as fixed:
        mlefit.fit("thalach ~ age", heart, "gaussian", fixed={"sigma": value})
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # no RuntimeWarning from log(-1)
        with pytest.raises(DataError, match="outside its domain") as start:
            mlefit.fit("thalach ~ age", heart, "gaussian", start={"sigma": value})
    assert type(start.value) is type(fixed.value)
    assert f"sigma={value!r}" in str(start.value) and "Positive" in str(start.value)


@pytest.mark.parametrize("family, parameter, value", [
    ("zero_inflated_poisson", "pi", 0.0),     # in [0, 1), where logit(0) = -inf
    ("nb1", "alpha", 0.0),                    # in [0, inf), where log(0) = -inf
])
def test_a_start_value_on_a_closed_boundary_where_the_link_is_infinite(medpar, family,
                                                                        parameter, value):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match=f"start {parameter}=0.0 is where the .* link "
                                            "is infinite"):
            mlefit.fit("los ~ 1", medpar, family, start={parameter: value})


def test_lrtest_on_same_named_responses_with_other_values_says_so(heart):
    data = heart.dropna(subset=["chol"])
    shifted = data.assign(thalach=data["thalach"].where(data.index % 10 != 3,
                                                        data["thalach"] + 1))
    differ = int((shifted["thalach"] != data["thalach"]).sum())     # by hand
    first = shifted.index[(shifted["thalach"] != data["thalach"]).to_numpy()][0]
    a = mlefit.fit("thalach ~ age", data, "gaussian")
    b = mlefit.fit("thalach ~ age + chol", shifted, "gaussian")
    with pytest.raises(ComparisonError) as info:
        mlefit.lrtest(a, b)
    message = str(info.value)
    assert "both call their response 'thalach'" in message
    assert f"differ in {differ} of {len(data)} rows" in message
    assert f"row {first}: {float(data.loc[first, 'thalach'])}" in message
    assert "model 1: thalach; model 2: thalach" not in message


def test_lrtest_on_differently_named_responses_keeps_its_message(heart):
    data = heart.assign(log_thalach=np.log(heart["thalach"]))
    a = mlefit.fit("thalach ~ age", data, "gaussian")
    b = mlefit.fit("log_thalach ~ age", data, "gaussian")
    with pytest.raises(ComparisonError, match="model 1: thalach; model 2: log_thalach"):
        mlefit.lrtest(a, b)


def test_pandas_frame_as_design_with_index_labels_matches_position():
    """fit_arrays matches by position (documented): names come from the frame only."""
    X = pd.DataFrame({"one": 1.0, "x": np.arange(10.0)}, index=list("abcdefghij"))
    y = 2 + 0.5 * X["x"] + np.sin(np.arange(10.0))
    res = mlefit.fit_arrays(y, X, "gaussian")
    ols = sm.OLS(y.to_numpy(), X.to_numpy()).fit()
    np.testing.assert_allclose(res.params["mu"].to_numpy(), ols.params, rtol=1e-8)
    assert list(res.params["mu"].index) == ["one", "x"]
