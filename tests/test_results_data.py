"""What a result keeps of its data: the private fit context, remove_data() and pickling.

The data policy (see :mod:`mlefit.context`): the context holds references to the arrays
the fit used, never copies; ``remove_data()`` returns a copy without them that still
reports every statistic, and whose methods that need the rows raise a DataError naming
the cause and the fix.
"""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit import DataError
from mlefit.context import FitContext
from mlefit.results import MOVED_TO_CONTEXT

REMOVED = r"remove_data\(\) dropped.*Fix: refit the model.*predict\(newdata="


@pytest.fixture(scope="module")
def full(heart):
    return mlefit.fit("thalach ~ age + exang + oldpeak + C(cp)", heart, family="gaussian",
                      sigma="~ age")


@pytest.fixture(scope="module")
def small(full):
    return full.remove_data()


@pytest.fixture(scope="module")
def newdata():
    return pd.DataFrame({"age": [40, 70], "exang": [0, 1], "oldpeak": [0.0, 2.0],
                         "cp": [1.0, 4.0]})


def test_the_context_is_one_private_field(full):
    assert isinstance(full._context, FitContext)
    assert "_context" not in repr(full)
    public = [m for m in dir(type(full)) if not m.startswith("_")]
    assert not set(MOVED_TO_CONTEXT) & set(public)
    assert "remove_data" in public


def test_moved_attributes_still_work_with_a_deprecation_warning(full):
    for name in MOVED_TO_CONTEXT:
        with pytest.warns(DeprecationWarning, match=rf"FitResult\.{name} .*_context\.{name}"):
            value = getattr(full, name)
        assert value is getattr(full._context, name)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        full.nonsense  # noqa: B018


def test_the_context_holds_references_not_copies():
    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(50), rng.normal(size=50)])
    y = X @ [1.0, 2.0] + rng.normal(size=50)
    res = mlefit.fit_arrays(y, X, "gaussian")
    frame = res._context.frame
    assert frame.y is y
    assert np.shares_memory(frame.designs["mu"].X, X)
    assert np.shares_memory(res._context.objective.y, y)


def test_remove_data_returns_a_new_result_and_leaves_the_original(full, small):
    assert small is not full
    assert full._context.has_data and not small._context.has_data
    assert full.resid().shape == (303,)
    again = small.remove_data()
    assert not again._context.has_data
    assert again.summary() == small.summary()


def test_a_result_without_data_keeps_its_statistics(full, small):
    pd.testing.assert_series_equal(small.params, full.params)
    pd.testing.assert_series_equal(small.bse, full.bse)
    pd.testing.assert_frame_equal(small.cov_params(), full.cov_params())
    pd.testing.assert_series_equal(small.pvalues, full.pvalues)
    pd.testing.assert_frame_equal(small.conf_int(), full.conf_int())
    assert (small.llf, small.aic, small.bic, small.aicc, small.nobs, small.df_resid) == \
        (full.llf, full.aic, full.bic, full.aicc, full.nobs, full.df_resid)
    assert small.deviance == full.deviance
    assert small.null_deviance == full.null_deviance
    assert small.pearson_chi2 == full.pearson_chi2
    assert small.summary() == full.summary()
    assert repr(small) == repr(full)
    test = small.wald_test("age = 0")
    assert test.pvalue == full.wald_test("age = 0").pvalue


def test_predictions_for_new_rows_need_no_data(full, small, newdata):
    pd.testing.assert_frame_equal(small.predict(newdata, interval="confidence"),
                                  full.predict(newdata, interval="confidence"))
    pd.testing.assert_series_equal(small.predict(newdata, which="sigma"),
                                   full.predict(newdata, which="sigma"))


@pytest.mark.parametrize("call", [
    pytest.param(lambda r: r.predict(), id="predict"),
    pytest.param(lambda r: r.fittedvalues, id="fittedvalues"),
    pytest.param(lambda r: r.resid(), id="resid"),
    pytest.param(lambda r: r.resid_pearson, id="resid_pearson"),
    pytest.param(lambda r: r.resid("quantile", seed=1), id="resid-quantile"),
    pytest.param(lambda r: r.profile("age"), id="profile"),
    pytest.param(lambda r: r.conf_int(method="profile", terms="age"), id="profile-interval"),
    pytest.param(lambda r: r.simulate(2, seed=1), id="simulate"),
])
def test_what_needs_the_rows_says_the_data_were_removed(small, call):
    with pytest.raises(DataError, match=REMOVED):
        call(small)


@pytest.mark.parametrize("call", [
    pytest.param(lambda m0, m1: mlefit.lrtest(m0, m1), id="lrtest"),
    pytest.param(lambda m0, m1: mlefit.lrtest(m0, m1, bootstrap=9, seed=1, progress=False),
                 id="lrtest-bootstrap"),
    pytest.param(lambda m0, m1: mlefit.score_test(m0, m1), id="score_test"),
    pytest.param(lambda m0, m1: mlefit.compare(m0, m1), id="compare"),
])
@pytest.mark.parametrize("which", ["smaller", "larger"])
def test_comparisons_say_the_data_were_removed(heart, full, call, which):
    m0 = mlefit.fit("thalach ~ age + exang + oldpeak + C(cp)", heart, family="gaussian")
    m0, m1 = (m0.remove_data(), full) if which == "smaller" else (m0, full.remove_data())
    with pytest.raises(DataError, match=REMOVED):
        call(m0, m1)


def test_plots_say_the_data_were_removed(small):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    with pytest.raises(DataError, match=REMOVED):
        small.plot_diagnostics(nsim=0)


def test_moved_attributes_of_a_result_without_data_raise_the_same_error(small):
    with pytest.warns(DeprecationWarning), pytest.raises(DataError, match=REMOVED):
        small.objective  # noqa: B018
    assert small._context.n_rows == 303
    assert small._context.response == ("thalach",)


def test_a_result_without_data_is_much_smaller_pickled(full, small, newdata):
    whole, stripped = pickle.dumps(full), pickle.dumps(small)
    assert len(stripped) < len(whole) / 4
    back = pickle.loads(stripped)
    assert back.summary() == full.summary()
    pd.testing.assert_series_equal(back.predict(newdata), full.predict(newdata))
    with pytest.raises(DataError, match=REMOVED):
        back.resid()


def test_a_full_result_survives_pickling(full, newdata):
    back = pickle.loads(pickle.dumps(full))
    assert back.summary() == full.summary()
    pd.testing.assert_series_equal(back.resid(), full.resid())
    pd.testing.assert_frame_equal(back.conf_int(method="profile", terms="age"),
                                  full.conf_int(method="profile", terms="age"))
    assert back.links["sigma"] is full.links["sigma"]      # registered links: by name


def test_an_offset_given_as_an_array_is_dropped_with_the_data(heart):
    res = mlefit.fit("thalach ~ age", heart, family="gaussian",
                     offset=np.full(len(heart), 3.0)).remove_data()
    with pytest.raises(DataError, match="took its offset or exposure as an array"):
        res.predict(heart.head(2))


def test_families_without_a_deviance_keep_none(heart):
    res = mlefit.fit("thalach ~ age", heart, family="logistic").remove_data()
    assert res.glm is None
    with pytest.raises(DataError, match="no unit deviance"):
        res.deviance  # noqa: B018
