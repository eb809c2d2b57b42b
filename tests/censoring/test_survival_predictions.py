"""Survival predictions of a censored Weibull fit against lifelines' WeibullAFTFitter on
the same censored data (lifelines' bundled rossi; ``mlefit.datasets.load_rossi()`` is the
same bytes).

Both are maximum-likelihood fits, so their predictions differ only by where the
optimisers stop: lifelines' Newton stops with its log-likelihood 1e-8 below mlefit's and
its coefficients 9e-5 (relative) away, which moves S(t), h(t), the median and the mean by
up to 6e-5 (measured): the fitted-to-fitted comparisons use rtol 3e-4. With lifelines'
``params_`` set to mlefit's estimates its prediction functions give mlefit's numbers to
rounding (measured 3e-15): the formulas are the same, which is asserted at 1e-12.
"""

import copy
import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit

lifelines = pytest.importorskip("lifelines")

TERMS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]
TIMES = [1.0, 10.0, 26.0, 52.0, 100.0]


@pytest.fixture(scope="module")
def fits():
    rossi = lifelines.datasets.load_rossi()
    pd.testing.assert_frame_equal(rossi, mlefit.datasets.load_rossi(), check_dtype=False)
    res = mlefit.fit(f"Surv(week, arrest) ~ {' + '.join(TERMS)}", rossi, family="weibull")
    with warnings.catch_warnings():     # lifelines' own pandas deprecation notices
        warnings.simplefilter("ignore")
        aft = lifelines.WeibullAFTFitter().fit(rossi, "week", "arrest")
    return res, aft, rossi.iloc[::9]


def _lifelines(aft, new):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return {"survival": aft.predict_survival_function(new, times=TIMES).T.to_numpy(),
                "hazard": aft.predict_hazard(new, times=TIMES).T.to_numpy(),
                "cumhazard": aft.predict_cumulative_hazard(new, times=TIMES).T.to_numpy(),
                "median": aft.predict_median(new).to_numpy().ravel(),
                # lifelines' percentile p is the survival probability: mlefit's q = 1 - p
                "q0.25": aft.predict_percentile(new, p=0.75).to_numpy().ravel(),
                "mean": aft.predict_expectation(new).to_numpy().ravel()}


def _mlefit(res, new):
    out = {w: res.predict(new, which=w, times=TIMES).to_numpy()
           for w in ("survival", "hazard", "cumhazard")}
    out["median"] = res.predict(new, which="quantile", q=0.5).to_numpy()
    out["q0.25"] = res.predict(new, which="quantile", q=0.25).to_numpy()
    out["mean"] = res.predict(new).to_numpy()
    return out


def test_weibull_survival_predictions_match_lifelines(fits):
    res, aft, new = fits
    theirs, ours = _lifelines(aft, new), _mlefit(res, new)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=3e-4, err_msg=key)
    # the surviving fraction decreases in time; S is 1/2 at each row's median
    assert np.all(np.diff(ours["survival"], axis=1) < 0)
    for i in range(3):
        at = res.predict(new.iloc[[i]], which="survival", times=[ours["median"][i]])
        assert at.iloc[0, 0] == pytest.approx(0.5, rel=1e-12)


def test_same_formulas_at_the_same_parameters(fits):
    res, aft, new = fits
    mapped = {("lambda_", t): res.params["mu"][t] for t in ["Intercept", *TERMS]}
    mapped[("rho_", "Intercept")] = res.params["shape"]["Intercept"]
    at_ours = copy.deepcopy(aft)
    at_ours.params_ = pd.Series([mapped[i] for i in aft.params_.index], index=aft.params_.index)
    theirs, ours = _lifelines(at_ours, new), _mlefit(res, new)
    for key in theirs:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-12, err_msg=key)
