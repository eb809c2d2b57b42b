"""polars DataFrames and pyarrow Tables where a pandas DataFrame goes (mlefit.frames,
issue 16): converted once through narwhals, the fit and its predictions are the pandas
fit's, to the last bit (the same numbers reach the same code). Skipped without them."""

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit.datasets import load_heart
from mlefit.errors import DataError

pytest.importorskip("narwhals")


@pytest.fixture(scope="module")
def frame():
    df = load_heart()
    df.loc[::11, "oldpeak"] = np.nan          # nulls: dropped and counted, as in pandas
    return df.assign(sex_txt=np.where(df.sex == 1, "male", "female"))


def _polars(df):
    pl = pytest.importorskip("polars")
    return pl.from_pandas(df)


def _arrow(df):
    pa = pytest.importorskip("pyarrow")
    return pa.Table.from_pandas(df, preserve_index=False)


FORMULA = "thalach ~ age + exang + oldpeak + sex_txt"


@pytest.mark.parametrize("convert", [_polars, _arrow])
def test_fit_and_predict_equal_pandas(frame, convert):
    a = mlefit.fit(FORMULA, frame, "gaussian", sigma="~ exang")
    b = mlefit.fit(FORMULA, convert(frame), "gaussian", sigma="~ exang")
    pd.testing.assert_series_equal(b.params, a.params, rtol=0, atol=0)
    pd.testing.assert_series_equal(b.bse, a.bse, rtol=0, atol=0)
    assert b.llf == a.llf and b.n_dropped == a.n_dropped > 0
    new = frame.dropna().head(7).reset_index(drop=True)
    pd.testing.assert_frame_equal(b.predict(newdata=convert(new), interval="confidence"),
                                  a.predict(newdata=new, interval="confidence"))


def test_categorical_and_weights_columns(frame):
    """A polars String column is pandas text (levels sorted); a polars Categorical keeps
    its categories in polars' order (first appearance), as a pandas Categorical with
    those categories does."""
    pl = pytest.importorskip("polars")
    df = frame.assign(cp="type " + frame.cp.astype(str), w=(frame.index % 3 + 1).astype(float))
    a = mlefit.fit("exang ~ age + cp", df, "binomial", weights="w")
    b = mlefit.fit("exang ~ age + cp", pl.from_pandas(df), "binomial", weights="w")
    pd.testing.assert_series_equal(b.params, a.params, rtol=0, atol=0)
    cat = pl.from_pandas(df).with_columns(pl.col("cp").cast(pl.Categorical))
    order = list(dict.fromkeys(df.cp))        # polars: categories in order of appearance
    a = mlefit.fit("exang ~ age + cp", df.assign(cp=pd.Categorical(df.cp, categories=order)),
                   "binomial", weights="w")
    b = mlefit.fit("exang ~ age + cp", cat, "binomial", weights="w")
    pd.testing.assert_series_equal(b.params, a.params, rtol=0, atol=0)


def test_lazy_polars_frame_refused(frame):
    pl = pytest.importorskip("polars")
    with pytest.raises(DataError, match=r"LazyFrame.*\.collect\(\)"):
        mlefit.fit(FORMULA, pl.from_pandas(frame).lazy(), "gaussian")


def test_unknown_data_still_refused():
    with pytest.raises(DataError, match="not a pandas DataFrame"):
        mlefit.fit("y ~ x", [[1, 2]], "gaussian")


def test_fit_arrays_design_as_polars(frame):
    pl = pytest.importorskip("polars")
    df = frame.dropna()
    X = df[["age", "exang"]].assign(Intercept=1.0)
    a = mlefit.fit_arrays(df.thalach.to_numpy(), X, "gaussian")
    b = mlefit.fit_arrays(df.thalach.to_numpy(), pl.from_pandas(X), "gaussian")
    pd.testing.assert_series_equal(b.params, a.params, rtol=0, atol=0)
