"""The formula path builds each design once, row-major float64, and nothing between the
data and the engine copies it (issue 15, item 7).

The engine reads a design in blocks of rows, so it wants each parameter's ``X`` as one
C-contiguous float64 matrix and the weights and offsets as contiguous float64 vectors.
:func:`mlefit.fit` writes the design in that layout once (from formulaic's columns, with no
n-by-p intermediate); :func:`mlefit.fit_arrays` uses such an ``X`` as given. These tests
check the layout, the shared memory and the equality with the column-major result.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit import columns
from mlefit import formula as formulas_
from mlefit.errors import DataWarning


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(15)
    n = 3000
    d = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(1, 5)})
    d["g"] = rng.choice(["a", "b", "c", "d"], size=n)
    d["t"] = rng.uniform(0.5, 2.0, size=n)
    d["w"] = rng.integers(1, 4, size=n).astype(float)
    d["y"] = 1.0 + d["x1"] - 0.5 * d["x2"] + rng.normal(size=n)
    d["count"] = rng.poisson(np.exp(0.2 + 0.3 * d["x1"]) * d["t"])
    return d


def _engine_design(res, parameter="mu"):
    obj = res._context.objective
    return obj.blocks[obj.index(parameter)].X


def _row_major_float(a):
    return a.dtype == np.float64 and a.flags.c_contiguous


@pytest.mark.parametrize("family", ["gaussian", "poisson"])
def test_the_engine_gets_the_formula_design_row_major_and_uncopied(data, family):
    formula = ("count" if family == "poisson" else "y") + " ~ x1 + x2 + x3 + C(g)"
    res = mlefit.fit(formula, data, family)
    X = res._context.frame.designs["mu"].X
    assert _row_major_float(X) and X.shape == (len(data), 7)
    assert np.shares_memory(X, _engine_design(res))
    # the same numbers as formulaic's own (column-major) matrix
    import formulaic

    expected = formulaic.model_matrix(formula, data).rhs.to_numpy(dtype=float)
    np.testing.assert_array_equal(X, expected)
    frame = res._context.frame
    for vector in (frame.y, frame.weights, frame.designs["mu"].offset):
        assert _row_major_float(vector)


def test_every_parameter_design_is_row_major_also_after_dropping_rows(data):
    d = data.copy()
    d.loc[[3, 10, 11], "x2"] = np.nan
    d.loc[20, "g"] = np.nan
    res = mlefit.fit("y ~ x1 + x2 + np.log(t) + offset(x3) + C(g)", d, "gaussian",
                     sigma="~ x4 + C(g)", weights="w")
    assert res.n_dropped == 4
    frame = res._context.frame
    for name, design in frame.designs.items():
        assert _row_major_float(design.X), name
        assert np.shares_memory(design.X, _engine_design(res, name))
        assert _row_major_float(design.offset)
    kept = d.dropna(subset=["x2", "g"])
    np.testing.assert_array_equal(frame.designs["mu"].offset, kept["x3"].to_numpy())
    np.testing.assert_array_equal(frame.designs["mu"].X[:, 3], np.log(kept["t"].to_numpy()))
    np.testing.assert_array_equal(frame.weights, kept["w"].to_numpy())


def test_fit_arrays_uses_a_row_major_float_design_as_given(data):
    X = np.ascontiguousarray(np.column_stack([np.ones(len(data)), data[["x1", "x2"]]]))
    y = data["y"].to_numpy()
    res = mlefit.fit_arrays(y, X, "gaussian")
    assert np.shares_memory(res._context.frame.designs["mu"].X, X)
    assert np.shares_memory(_engine_design(res), X)


def test_fit_arrays_still_refuses_a_non_finite_design_and_response(data):
    X = np.column_stack([np.ones(len(data)), data["x1"]])
    y = data["y"].to_numpy()
    for bad in (np.nan, np.inf, -np.inf):
        Xb = X.copy()
        Xb[7, 1] = bad
        with pytest.raises(mlefit.DataError, match="missing or non-finite"):
            mlefit.fit_arrays(y, Xb, "gaussian")
        yb = y.copy()
        yb[7] = bad
        with pytest.raises(mlefit.DataError, match="missing or non-finite"):
            mlefit.fit_arrays(yb, X, "gaussian")
    # values whose sum overflows are finite all the same
    big = np.column_stack([np.ones(4), np.full(4, 1e308), [1.0, 2.0, 3.0, 5.0]])
    mlefit.fit_arrays(np.array([1.0, 2.0, 4.0, 3.0]), big[:, [0, 2]], "poisson")
    assert formulas_._nonfinite(big[:, 1], np.zeros(4, dtype=bool)) is None


def test_transform_infinities_found_in_a_column_whose_sum_overflows():
    d = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                      "x": [1e308, 1e308, 0.0, 1.0, 2.0, 3.0],
                      "z": [0.5, 0.0, 1.0, 2.0, 1.5, 3.0]})
    frame = formulas_.build({"mu": "y ~ np.log(z) + x", "sigma": "~ 1"}, d)
    assert frame.n_dropped == 1 and frame.dropped_by == {"np.log(z) (non-finite)": 1}
    np.testing.assert_array_equal(frame.designs["mu"].X[:, 2], d["x"].to_numpy()[[0, 2, 3, 4, 5]])


@pytest.mark.parametrize("n", [1, 5, 300, 8191, 8192, 8193, 70001])
@pytest.mark.parametrize("p", [0, 1, 2, 13, 200])
def test_row_major_fill_equals_stacking_the_columns(n, p):
    rng = np.random.default_rng(n * 1000 + p)
    cols = [rng.normal(size=n) if j % 3 else rng.integers(0, 2, size=n) for j in range(p)]
    if p > 2:
        cols[2] = cols[2] > 0     # booleans are cast on the way too
    X = formulas_._row_major(cols, n)
    assert _row_major_float(X) and X.shape == (n, p)
    expected = np.column_stack(cols).astype(float) if p else np.empty((n, 0))
    np.testing.assert_array_equal(X, expected)


def test_the_data_frame_is_not_copied_for_nullable_columns(data):
    d = data.assign(flag=(data["x1"] > 0).astype("boolean"))
    frame = formulas_._as_frame(d)
    assert frame is not d and frame["flag"].dtype == object
    assert d["flag"].dtype == "boolean"                    # the caller's frame is untouched
    assert np.shares_memory(frame["x1"].to_numpy(), d["x1"].to_numpy())


def test_text_formulaic_reads_is_passed_through():
    try:
        text = pd.Series(["a", None, "b"], dtype=pd.StringDtype("python", na_value=np.nan))
    except TypeError:   # pandas < 2.3: no NaN-valued string dtype
        pytest.skip("this pandas has no string dtype with NaN for missing")
    d = pd.DataFrame({"s": text, "y": [1.0, 2.0, 3.0]})
    assert formulas_._as_frame(d) is d
    nullable = d.assign(s=d["s"].astype("string"))        # pd.NA for missing: converted
    assert formulas_._as_frame(nullable)["s"].dtype == object


def test_numbers_as_text_parses_each_distinct_value_once(monkeypatch):
    seen = []
    parse = columns._numbers
    monkeypatch.setattr(columns, "_numbers", lambda texts: seen.append(len(texts)) or
                        parse(texts))
    values = pd.Series(["1", " 2", "?", "3.5", None, "1"] * 5000, dtype=object)
    with pytest.warns(DataWarning, match=r"20000 of its 25000 values are numbers and the "
                                         r"others are '\?' \(5000 row\(s\)\)"):
        columns.warn_numeric_text("ca", values)
    assert seen and max(seen) == 4
    seen.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        columns.warn_numeric_text("g", pd.Series(list("abcd") * 10000))
    assert seen == [4]


def test_weights_and_offsets_are_the_users_when_no_row_is_dropped(data):
    w = data["w"].to_numpy().copy()
    off = np.linspace(-0.1, 0.1, len(data))
    res = mlefit.fit("count ~ x1 + C(g)", data, "poisson", weights=w, offset=off)
    frame = res._context.frame
    assert np.shares_memory(frame.weights, w) and np.shares_memory(frame.designs["mu"].offset, off)
    by_name = mlefit.fit("count ~ x1 + C(g)", data, "poisson", weights="w").params
    np.testing.assert_array_equal(by_name.to_numpy(), mlefit.fit(
        "count ~ x1 + C(g)", data, "poisson", weights=w, offset=np.zeros(len(data))).params)
