"""Every bad input gets a clear exception naming the cause and the fix (DESIGN.md)."""

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit import (
    ConvergenceError,
    ConvergenceWarning,
    DataError,
    Family,
    Parameter,
    UnknownFamilyError,
)
from mlefit.domains import Positive


class PositiveOnly(Family):
    """Exponential with mean mu, logpdf only: support (0, inf)."""

    name = "positive_only"
    support = Positive()
    parameters = (Parameter("mu", Positive()),)

    def logpdf(self, y, mu):
        return np.where(y > 0, -np.log(mu) - y / mu, -np.inf)


@pytest.fixture
def small():
    rng = np.random.default_rng(1)
    x = rng.normal(size=50)
    return pd.DataFrame({"y": 1 + 2 * x + rng.normal(size=50), "x": x, "x2": 2 * x,
                         "g": np.repeat(["a", "b"], 25), "w": np.ones(50)})


CASES = [
    # (kwargs for fit, exception, message pattern)
    (dict(formula="y ~ nosuch"), DataError, r"column\(s\) \['nosuch'\] not in the data"),
    (dict(formula="y ~ x +"), DataError, "formula"),
    (dict(formula="~ x"), DataError, "has no response"),
    (dict(formula=3), DataError, "formula must be a string"),
    (dict(formula="y ~ x + x2"), DataError, r"rank deficient: \['x2'\]"),
    (dict(formula="y ~ x", family="gausian"), UnknownFamilyError, "Installed: .*gaussian"),
    (dict(formula="y ~ x", weights=-np.ones(50)), DataError, "negative"),
    (dict(formula="y ~ x", weights="nosuch"), DataError, "not a column"),
    (dict(formula="y ~ x", weights=np.ones(3)), DataError, "3 values but the data has 50"),
    (dict(formula="y ~ x", weights=np.r_[np.inf, np.ones(49)]), DataError, "infinite"),
    (dict(formula="y ~ x", weights=np.zeros(50)), DataError, "every row has weight 0"),
    (dict(formula="y ~ x", link="logit"), DataError, r"link 'logit' is not allowed.*identity"),
    (dict(formula="y ~ x", link="nosuch"), UnknownFamilyError, "no link named 'nosuch'"),
    (dict(formula="y ~ x", links={"tau": "log"}), DataError, "not a parameter"),
    (dict(formula="y ~ x", fixed={"mu": 1.0}), DataError, "cannot be fixed"),
    (dict(formula="y ~ x", fixed={"sigma": -1.0}), DataError, "outside its domain"),
    (dict(formula="y ~ x", fixed={"nu": 1.0}), DataError, "not a parameter"),
    (dict(formula="y ~ x", cov_type="sandwich"), DataError, "cov_type='sandwich'"),
    (dict(formula="y ~ x", cov_type="cluster"), DataError, "needs groups="),
    (dict(formula="y ~ x", dispersion="deviance"), DataError, "dispersion='deviance'"),
    (dict(formula="y ~ x", convention="SAS"), DataError, "convention='SAS'"),
    (dict(formula="y ~ x", method="simplex"), DataError, "method='simplex'"),
    (dict(formula="y ~ x", missing="ignore"), DataError, "missing='ignore'"),
    (dict(formula="y ~ x", start=[1.0, 2.0]), DataError, "start has 2 values"),
    (dict(formula="y ~ x", start={"nu": 1.0}), DataError, "not estimated parameters"),
    (dict(formula="y ~ x", start={"mu": {"z": 1.0}}), DataError, "not a term"),
    (dict(formula="y ~ x", offsets={"sigma": "nosuch"}), DataError, "not a column"),
    (dict(formula="y ~ x", groups="nosuch", cov_type="cluster"), DataError, "not a column"),
    (dict(formula="y ~ x", groups="g"), DataError, "only by cov_type='cluster'"),
    (dict(formula="y ~ x", offsets={"sigm": np.zeros(50)}), DataError,
     "offsets names 'sigm', not a parameter"),
    (dict(formula="y ~ x", fixed={"sigma": 2.0}, offsets={"sigma": np.zeros(50)}), DataError,
     "which is fixed"),
    (dict(formula="y ~ x", offset=np.zeros(50), offsets={"mu": np.zeros(50)}), DataError,
     "both give the offset of 'mu'"),
    (dict(formula="y ~ x", offsets=np.zeros(50)), DataError, "offsets= must be a dict"),
    (dict(formula="y ~ x", links="log"), DataError, "links= must be a dict"),
    (dict(formula="y ~ x", fixed=3), DataError, "fixed= must be a dict"),
    (dict(formula="y ~ x", fixed={"sigma": "a"}), DataError, "is not a number"),
    (dict(formula="y ~ x", start="abc"), DataError, "start is 'abc', not numbers"),
    (dict(formula="y ~ x", start={"mu": {"x": "a"}}), DataError, "not numbers"),
    (dict(formula="y ~ x", weights=["a"] * 50), DataError, "weights is not numeric"),
    (dict(formula="y ~ x", tol=-1.0), DataError, r"tol=-1.0 must be a number in \(0, 1\)"),
    (dict(formula="y ~ x", maxiter=0), DataError, "maxiter=0 must be a positive integer"),
]


@pytest.mark.parametrize("kwargs, exc, pattern", CASES,
                         ids=[f"{c[0].get('formula')}-{sorted(c[0])[-1]}-{i}"
                              for i, c in enumerate(CASES)])
def test_bad_input(small, kwargs, exc, pattern):
    kwargs = dict(kwargs)
    formula = kwargs.pop("formula")
    family = kwargs.pop("family", "gaussian")
    with pytest.raises(exc, match=pattern):
        mlefit.fit(formula, small, family, **kwargs)


def test_unknown_keyword_lists_parameters(small):
    with pytest.raises(TypeError, match=r"unexpected keyword\(s\) \['sigmaa'\].*'mu', 'sigma'"):
        mlefit.fit("y ~ x", small, "gaussian", sigmaa="~ x")


def test_not_a_data_frame_and_empty():
    with pytest.raises(DataError, match="not a pandas DataFrame"):
        mlefit.fit("y ~ x", [[1, 2]], "gaussian")
    with pytest.raises(DataError, match="no rows"):
        mlefit.fit("y ~ x", pd.DataFrame({"y": [], "x": []}), "gaussian")


def test_every_row_missing(small):
    with pytest.raises(DataError, match="every row has a missing"):
        mlefit.fit("y ~ x", small.assign(x=np.nan), "gaussian")


def test_response_outside_support(small):
    with pytest.raises(DataError, match=r"lie outside the support Positive.*positive_only"):
        mlefit.fit("y ~ x", small, PositiveOnly())


def test_fewer_rows_than_coefficients(small):
    with pytest.raises(DataError, match="2 rows with positive weight for 3 coefficients"):
        mlefit.fit("y ~ x", small.iloc[:2], "gaussian")


def test_options_a_family_cannot_honour(small):
    pos = small.assign(y=np.exp(small["y"] / 5))
    fam = PositiveOnly()
    with pytest.raises(DataError, match="expected_information"):
        mlefit.fit("y ~ x", pos, fam, cov_type="expected")
    with pytest.raises(DataError, match="no unit_variance"):
        mlefit.fit("y ~ x", pos, fam, convention="R")
    with pytest.raises(DataError, match="exponential-dispersion"):
        mlefit.fit("y ~ x", pos, fam, dispersion="pearson")
    with pytest.raises(DataError, match="var_weights are precision weights"):
        mlefit.fit("y ~ x", pos, fam, var_weights=np.ones(50))
    with pytest.raises(DataError, match="need the log link"):
        mlefit.fit("y ~ x", small, "gaussian", var_weights=np.ones(50),
                   links={"sigma": "identity"})


def test_start_outside_support_is_a_convergence_error(small):
    pos = small.assign(y=np.exp(small["y"] / 5))
    with pytest.raises(ConvergenceError, match="start values"):
        mlefit.fit("y ~ x", pos, PositiveOnly(), link="identity", start={"mu": [-5.0, 0.0]})


def test_non_convergence_warns_and_shows(small):
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        res = mlefit.fit("y ~ x", small, "gaussian", sigma="~ x", maxiter=1)
    assert not res.converged
    assert "DID NOT CONVERGE" in res.summary()


def test_predict_needs_a_mean_or_a_parameter(small):
    res = mlefit.fit("y ~ x", small.assign(y=np.exp(small["y"] / 5)), PositiveOnly())
    with pytest.raises(DataError, match="defines no mean"):
        res.predict()
    with pytest.raises(DataError, match="which='median'"):
        res.predict(which="median")
    assert res.predict(which="mu").shape == (50,)


def test_array_offset_cannot_be_rebuilt_for_newdata(small):
    res = mlefit.fit("y ~ x", small, "gaussian", offset=np.ones(50))
    with pytest.raises(DataError, match="array"):
        res.predict(small.iloc[:3])


def test_arrays_entry_point_refuses_missing():
    with pytest.raises(DataError, match="non-finite"):
        mlefit.fit_arrays(np.array([1.0, np.nan, 2.0]), np.ones((3, 1)), "gaussian")
    with pytest.raises(DataError, match="rows; y has"):
        mlefit.fit_arrays(np.ones(3), np.ones((4, 1)), "gaussian")


def test_series_are_matched_by_index(small):
    """A pandas Series of weights, offsets or groups follows the data's index labels: the
    same rows in another order give the same fit; a Series of other labels is refused."""
    w = pd.Series(np.where(small["g"] == "a", 2.0, 1.0), index=small.index)
    off = pd.Series(small["x"] * 0.1, index=small.index)
    ref = mlefit.fit("y ~ x", small, "gaussian", weights=w, offset=off)
    shuffled = small.sample(frac=1.0, random_state=3)
    res = mlefit.fit("y ~ x", shuffled, "gaussian", weights=w, offset=off)
    np.testing.assert_allclose(res.coef, ref.coef, rtol=1e-12)
    grouped = mlefit.fit("y ~ x", shuffled, "gaussian", cov_type="cluster",
                         groups=small["g"])
    np.testing.assert_allclose(grouped.bse, mlefit.fit("y ~ x", small, "gaussian",
                                                       cov_type="cluster", groups="g").bse,
                               rtol=1e-12)
    with pytest.raises(DataError, match="index does not match"):
        mlefit.fit("y ~ x", small, "gaussian", weights=w.set_axis(w.index + 100))


def test_pandas_nullable_and_string_columns(small):
    """Nullable booleans and strings behave as their plain counterparts (NA drops the row);
    a string response is refused as categorical, whatever its storage."""
    d = small.assign(b=(small["x"] > 0).astype("boolean"), s=small["g"].astype("string"))
    d.loc[0, "b"] = pd.NA
    res = mlefit.fit("y ~ b + s", d, "gaussian")
    plain = mlefit.fit("y ~ b + s", small.assign(b=small["x"] > 0, s=small["g"]).iloc[1:],
                       "gaussian")
    np.testing.assert_allclose(res.coef, plain.coef, rtol=1e-12)
    assert res.n_dropped == 1
    with pytest.raises(DataError, match="categorical"):
        mlefit.fit("ys ~ x", d.assign(ys=d["y"].round(1).astype(str).astype("string")),
                   "gaussian")


def test_duplicate_columns_and_dates(small):
    dup = pd.concat([small, small[["x"]]], axis=1)
    with pytest.raises(DataError, match=r"duplicate column names \['x'\]"):
        mlefit.fit("y ~ x", dup, "gaussian")
    dated = small.assign(when=pd.date_range("2020-01-01", periods=50))
    with pytest.raises(DataError, match=r"\['when'\] hold dates"):
        mlefit.fit("y ~ when", dated, "gaussian")


def test_unused_categorical_levels_are_dropped(small):
    """As R's model.frame(drop.unused.levels = TRUE): a level no row has gets no column."""
    d = small.assign(c=pd.Categorical(small["g"], categories=["a", "b", "e"]))
    res = mlefit.fit("y ~ c", d, "gaussian")
    assert list(res.params["mu"].index) == ["Intercept", "c[T.b]"]


def test_fit_arrays_checks_its_arguments(small):
    y, X = small["y"].to_numpy(), np.column_stack([np.ones(50), small["x"]])
    with pytest.raises(DataError, match="var_weights has negative values"):
        mlefit.fit_arrays(y, X, var_weights=np.r_[-1.0, np.ones(49)])
    with pytest.raises(DataError, match="offsets names 'scale'"):
        mlefit.fit_arrays(y, X, offsets={"scale": np.zeros(50)})
    with pytest.raises(DataError, match="names names 'muu'"):
        mlefit.fit_arrays(y, X, names={"muu": ["a", "b"]})
    with pytest.raises(DataError, match="which is fixed"):
        mlefit.fit_arrays(y, X, designs={"sigma": X}, fixed={"sigma": 1.0})
    with pytest.raises(DataError, match="groups has 3 labels for 50 rows"):
        mlefit.fit_arrays(y, X, cov_type="cluster", groups=[1, 2, 3])
    with pytest.raises(DataError, match="3 dimensions"):
        mlefit.fit_arrays(y, X[:, :, None])
    with pytest.raises(DataError, match="y is not numeric"):
        mlefit.fit_arrays(np.array(["a"] * 50), X)


def test_an_overflowing_offset_is_blamed_on_the_offset():
    d = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "x": [1.0, 2.0, 3.0, 5.0]})
    with pytest.raises(DataError, match=r"\['mu'\] of row 0 is not finite.*offset"):
        mlefit.fit("y ~ x", d, "poisson", offset=np.full(4, 800.0))
