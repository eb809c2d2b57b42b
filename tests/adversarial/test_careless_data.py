"""Careless data: text that looks like numbers, text in numeric per-row columns, complex
values, unseen categories in new data, a text response with many levels.

Each case is fitted silently wrong, or reported in someone else's words, unless mlefit
says so. The oracles are pandas' own reading of the same values (counts of what parses
as a number), numpy, and fits on the cleaned data.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit import DataError, DataWarning, datasets


@pytest.fixture(scope="module")
def heart_raw() -> pd.DataFrame:
    """The heart file read as published, without na_values="?"."""
    with datasets.path("heart").open() as fh:
        return pd.read_csv(fh, header=None, names=list(datasets.HEART_COLUMNS))


def test_heart_read_raw_warns_that_ca_is_numbers_written_as_text(heart_raw):
    text = heart_raw["ca"].astype(str)
    numbers = int(pd.to_numeric(text, errors="coerce").notna().sum())  # pandas' reading
    assert (numbers, len(text)) == (299, 303)
    with pytest.warns(DataWarning) as caught:
        res = mlefit.fit("thalach ~ age + ca", heart_raw, "gaussian")
    assert len(caught) == 1                       # ca only: thal is not in the formula
    message = str(caught[0].message)
    assert "'ca'" in message and "'?'" in message and "na_values=['?']" in message
    assert f"{numbers} of its {len(text)} values" in message
    assert f"{text.nunique()} categories" in message
    assert caught[0].filename == __file__         # points at the caller's fit()
    assert ("mu", "ca[T.?]") in res.params.index  # fitted as asked, but no longer silently


def test_heart_read_with_na_values_fits_without_a_warning(heart_raw, heart):
    """What the warning says to do: the fit is then the one on the published data."""
    res = mlefit.fit("thalach ~ age + ca", heart, "gaussian")   # MlefitWarning is an error
    assert ("mu", "ca") in res.params.index
    assert res.nobs == int(heart_raw["ca"].ne("?").sum())


@pytest.mark.parametrize("column, values", [
    ("words", ["low", "high", "mid", "low"] * 10),               # categories by nature
    ("codes", pd.Categorical(["1", "2", "3", "?"] * 10)),        # declared categorical
    ("flags", pd.array([True, False, None, True] * 10, dtype="boolean")),
    ("mostly_text", ["1", "a", "b", "c"] * 10),                  # a quarter numeric
])
def test_text_that_is_not_mostly_numbers_is_not_reported(column, values):
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"y": rng.normal(size=40), column: values})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlefit.fit(f"y ~ {column}", data, "gaussian")


def test_numbers_written_as_text_are_reported_even_without_a_code():
    data = pd.DataFrame({"y": np.arange(12.0) % 5, "x": [str(v % 3) for v in range(12)]})
    with pytest.warns(DataWarning, match=r"every value is a number written as text.*"
                                         r"pd\.to_numeric"):
        mlefit.fit("y ~ x", data, "gaussian")


def test_the_response_is_not_a_predictor():
    """A text response has its own error (below), not a predictor's warning."""
    data = pd.DataFrame({"y": ["1", "2", "?", "3"] * 5, "x": np.arange(20.0)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match="categorical"):
            mlefit.fit("y ~ x", data, "gaussian")


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 60
    t = rng.uniform(1, 5, n)
    x = rng.normal(size=n)
    return pd.DataFrame({"y": rng.poisson(t * np.exp(0.3 * x)), "x": x, "t": t})


@pytest.mark.parametrize("option", ["weights", "exposure", "offset"])
def test_text_in_a_per_row_column_is_refused_not_dropped(counts, option):
    data = counts.assign(t=counts["t"].astype(object))
    data.loc[[3, 7, 8], "t"] = ["n/a", "?", "?"]
    with pytest.raises(DataError) as info:
        mlefit.fit("y ~ x", data, "poisson", **{option: "t"})
    message = str(info.value)
    assert "column 't'" in message and option in message
    assert "3 value(s)" in message and "'n/a'" in message and "'?'" in message


@pytest.mark.parametrize("option", ["weights", "exposure", "offset"])
def test_a_missing_value_in_a_per_row_column_is_still_dropped_and_counted(counts, option):
    data = counts.copy()
    data.loc[[3, 7], "t"] = np.nan
    res = mlefit.fit("y ~ x", data, "poisson", **{option: "t"})
    assert res.n_dropped == 2 and res.nobs == (len(data) - 2 if option != "weights" else
                                               data["t"].sum())


def test_text_in_an_offset_column_of_newdata_is_refused(counts):
    res = mlefit.fit("y ~ x", counts, "poisson", exposure="t")
    new = counts.head(3).assign(t=["1.5", "two", "3"])
    with pytest.raises(DataError, match=r"column 't', given as exposure.*'two'"):
        res.predict(new)


def _no_warning(call):
    with warnings.catch_warnings():
        warnings.simplefilter("error")            # numpy's ComplexWarning included
        return call()


def test_a_complex_predictor_is_refused(counts):
    data = counts.assign(z=counts["x"] + 1j * counts["t"])
    with pytest.raises(DataError, match="column 'z' holds complex numbers"):
        _no_warning(lambda: mlefit.fit("y ~ z", data, "poisson"))


@pytest.mark.parametrize("which", ["y", "X", "weights"])
def test_complex_arrays_are_refused(counts, which):
    args = {"y": counts["y"].to_numpy(float),
            "X": np.column_stack([np.ones(len(counts)), counts["x"]])}
    kwargs = {}
    if which == "weights":
        kwargs["weights"] = counts["t"].to_numpy() + 0j
    else:
        args[which] = args[which] + 1j
    with pytest.raises(DataError, match="complex"):
        _no_warning(lambda: mlefit.fit_arrays(args["y"], args["X"], "poisson", **kwargs))


def test_an_unseen_category_in_predict_is_mlefits_message_only(heart):
    res = mlefit.fit("thalach ~ age + C(cp)", heart, "gaussian")
    new = heart.head(3).assign(cp=[1.0, 2.0, 9.0])
    with pytest.raises(DataError) as info:
        _no_warning(lambda: res.predict(new))
    message = str(info.value)
    assert "{9.0}" in message and "did not see" in message
    assert "cast to nan" not in message and "np.float64" not in message


def test_a_text_response_lists_a_few_levels_only():
    n = 300
    data = pd.DataFrame({"txt": [f"level{i}" for i in range(n)], "x": np.arange(n) % 7.0})
    with pytest.raises(DataError, match="categorical") as info:
        mlefit.fit("txt ~ x", data, "gaussian")
    message = str(info.value)
    assert message.count("txt[") == 4
    assert f"and {n - 4} more" in message
    assert len(message) < 600
