"""Families whose parameters depend on the data (mlefit.binding): the response summary,
its merge over partitions, the bound family's parameters, labels and designs.

Oracles: the levels written down by hand, the union of sets, closed-form maximum-
likelihood estimates (log ratios of counts) and pickle round trips.
"""

import pickle

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit import Family, Parameter, binding
from mlefit.domains import NonNegativeIntegers, Real
from mlefit.errors import DataError
from mlefit_families.multinomial import Multinomial
from mlefit_families.ordinal import Ordinal


class BoundCounts(Family):
    """Intercept-only category frequencies (the plugin guide's example, shortened)."""

    name = "test_frequencies"
    support = NonNegativeIntegers()

    def __init__(self, levels):
        self.levels = tuple(levels)
        self.parameters = tuple(Parameter(f"p{j}", Real(), link="identity", label=str(v))
                                for j, v in enumerate(self.levels[1:], start=2))

    def __reduce__(self):
        return (BoundCounts, (self.levels,))

    def encode_response(self, column):
        codes = pd.Categorical(column, categories=self.levels).codes
        return np.where(codes < 0, np.nan, codes).astype(float)

    def logpdf(self, y, **eta):
        E = np.zeros((len(y), len(self.levels)))
        for j, name in enumerate(self.parameter_names, start=1):
            E[:, j] = eta[name]
        k = np.asarray(y, dtype=int)
        return E[np.arange(len(y)), k] - np.logaddexp.reduce(E, axis=1)


class Counts(Family):
    name = "test_frequencies"
    support = NonNegativeIntegers()
    parameters = (Parameter("p2", Real(), link="identity"),)

    def logpdf(self, y, p2):
        raise AssertionError("never called unbound")

    def summarize_response(self, column):
        return frozenset(column.dropna())

    def merge_summaries(self, a, b):
        return a | b

    def bind(self, summary):
        return BoundCounts(sorted(summary))


def test_a_bound_family_fits_its_closed_form_with_labels():
    data = pd.DataFrame({"c": ["r"] * 6 + ["b"] * 3 + ["g"] * 2 + [None]})
    res = mlefit.fit("c ~ 1", data, Counts())
    # levels sorted: b, g, r; log(n_g / n_b), log(n_r / n_b); the missing row dropped.
    # The family has no analytic derivatives: Newton on central differences (step
    # eps^(1/3)) stops within ~1e-10 of the maximum
    np.testing.assert_allclose(res.params.to_numpy(), np.log([2 / 3, 6 / 3]), rtol=1e-8)
    assert list(res.params.index) == [("p2", "g"), ("p3", "r")]
    assert res.nobs == 11
    assert isinstance(res.family, BoundCounts)
    assert pickle.loads(pickle.dumps(res.family)).levels == ("b", "g", "r")


def test_summaries_merge_over_dask_partitions():
    """The levels of a Dask frame are the union of its partitions' (each partition here
    lacks some level)."""
    dd = pytest.importorskip("dask.dataframe")
    frame = pd.DataFrame({"y": ["a", "a", "b", "b", "c", "c"], "x": range(6)})
    ddf = dd.from_pandas(frame, npartitions=3, sort=False)
    assert ddf.npartitions == 3
    assert binding.summarize_partitions(Counts(), ddf, "y") == frozenset({"a", "b", "c"})
    ordinal = Ordinal(levels=["c", "b", "a"])
    summary = binding.summarize_partitions(ordinal, ddf, "y")
    assert ordinal.bind(summary).levels == ("c", "b", "a")


def test_categorical_summaries_must_agree_across_partitions():
    fam = Ordinal()
    a = fam.summarize_response(pd.Series(pd.Categorical(["x"], ["x", "y"], ordered=True)))
    b = fam.summarize_response(pd.Series(pd.Categorical(["y"], ["y", "x"], ordered=True)))
    with pytest.raises(DataError, match="different categories"):
        fam.merge_summaries(a, b)


def test_declared_levels_absent_from_the_data_are_dropped():
    y = pd.Series(pd.Categorical(["lo", "hi", "lo", "hi"], ["lo", "mid", "hi"], ordered=True))
    bound = Ordinal().bind(Ordinal().summarize_response(y))
    assert bound.levels == ("lo", "hi")
    assert bound.parameter_names == ("location", "cut1")
    assert bound.parameter("cut1").label == "lo|hi"


def test_intercept_false_drops_the_column_and_keeps_factor_coding():
    rng = np.random.default_rng(1)
    g = rng.choice(["u", "v", "w"], size=200)
    y = rng.integers(0, 3, size=200)
    res = mlefit.fit("y ~ g", pd.DataFrame({"y": y, "g": g}), "ordinal")
    assert list(res.params["location"].index) == ["g[T.v]", "g[T.w]"]
    # a prediction for new rows rebuilds the design without the intercept too
    new = pd.DataFrame({"g": ["w", "u"]})
    eta = res.predict(new, which="location").to_numpy()
    np.testing.assert_allclose(eta, [res.params[("location", "g[T.w]")], 0.0], atol=1e-15)


def test_shares_formula_and_own_formulas():
    rng = np.random.default_rng(2)
    data = pd.DataFrame({"y": rng.choice(["a", "b", "c"], size=300),
                         "x": rng.normal(size=300)})
    res = mlefit.fit("y ~ x", data, "multinomial")
    assert res.formulas == {"eta2": "y ~ x", "eta3": "~ x"}
    own = mlefit.fit("y ~ x", data, Multinomial(reference="c"), eta2="~ 1")
    assert own.formulas == {"eta1": "y ~ x", "eta2": "~ 1"}


def test_a_formula_for_the_first_parameter_is_refused():
    """The first category's formula is the main one; before, mu="~ 1" (any family) was
    silently ignored."""
    data = pd.DataFrame({"y": ["a", "b", "c"] * 10, "x": np.arange(30.0)})
    with pytest.raises(DataError, match="formula is the main one"):
        mlefit.fit("y ~ x", data, "multinomial", eta2="~ 1")
    with pytest.raises(DataError, match="formula is the main one"):
        mlefit.fit("x ~ 1", data, "gaussian", mu="~ 1")


def test_fixed_and_links_are_checked_against_the_bound_family():
    data = pd.DataFrame({"y": [1, 2, 3] * 10, "x": np.arange(30.0)})
    with pytest.raises(DataError, match="not a parameter"):
        mlefit.fit("y ~ x", data, "ordinal", fixed={"cut9": 1.0})
    res = mlefit.fit("y ~ x", data, "ordinal", fixed={"cut1": -1.0})
    assert "cut1" not in res.params.index.get_level_values("parameter")


def test_unbound_family_refuses_to_evaluate():
    with pytest.raises(DataError, match="bound to its response"):
        Ordinal().logpdf(np.zeros(2), np.zeros(2))
    with pytest.raises(DataError, match="bound to its response"):
        Multinomial().logpdf(np.zeros(2), np.zeros(2))


def test_dask_response_must_be_a_column():
    dd = pytest.importorskip("dask.dataframe")
    ddf = dd.from_pandas(pd.DataFrame({"y": [1, 2, 3] * 4, "x": range(12)}), npartitions=2)
    with pytest.raises(DataError, match="must be a column name"):
        mlefit.fit("I(y + 1) ~ x", ddf, "ordinal")


def test_unbound_family_wants_a_data_frame():
    with pytest.raises(DataError, match="pandas DataFrame"):
        mlefit.fit("y ~ x", {"y": [1, 2], "x": [1, 2]}, "ordinal")
