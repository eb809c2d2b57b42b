"""Robust covariances asked for where they are not defined: a clear DataError, not a crash
or an infinite standard error (issue 19, items 10 and 13).

Each case is checked against its definition: HC1 and CR1 divide by ``n - k``, which is 0
when the rows only just identify the coefficients (found by the property suite:
``ZeroDivisionError``); HC2 and HC3 divide by ``1 - h_i``, which is 0 for a row the mean
model fits exactly (a dummy column that is 1 on that row only: ``h_i = 1`` by
construction); HC2 and HC3 need the leverages of a GLM-type mean model.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit import DataError

#: three rows, three coefficients: an exact interpolation, n - k = 0
SATURATED = pd.DataFrame({"x0": [0.0, 0.0, 1.0], "x1": [0.0, 1.0, 0.0], "y": [1.0, 2.0, 4.0],
                          "g": [1, 2, 2]})


@pytest.mark.parametrize("convention", [None, "R"])
@pytest.mark.parametrize("cov_type", ["HC1", "cluster"])
def test_no_residual_degrees_of_freedom(cov_type, convention):
    kwargs = {"groups": "g"} if cov_type == "cluster" else {}
    with pytest.raises(DataError, match=r"1/\(n - k\).* n = 3 observations .* k = 3 "
                                        r"coefficients\. Fix: use cov_type='HC0'"):
        mlefit.fit("y ~ x0 + x1", SATURATED, family="poisson", cov_type=cov_type,
                   convention=convention, **kwargs)
    # HC0 has no such factor: its standard errors exist
    res = mlefit.fit("y ~ x0 + x1", SATURATED, family="poisson", cov_type="HC0",
                     convention=convention)
    assert np.all(np.isfinite(res.bse))


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_hc2_hc3_refused_without_a_glm_mean_model(heart, cov_type):
    with pytest.raises(DataError, match=f"cov_type='{cov_type}' .* GLM-type family .*"
                                        "'student_t' has no unit_variance.*HC0"):
        mlefit.fit("thalach ~ age", heart, family="student_t", cov_type=cov_type)


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
def test_hc2_hc3_refused_at_leverage_one(cov_type):
    rng = np.random.default_rng(5)
    d = pd.DataFrame({"x": rng.normal(size=30), "y": rng.normal(size=30)})
    d["only"] = (np.arange(30) == 7).astype(float)
    with pytest.raises(DataError, match=r"1 row\(s\) have leverage 1 .* HC2 and HC3 are "
                                        "undefined"):
        mlefit.fit("y ~ x + only", d, cov_type=cov_type)
    assert np.all(np.isfinite(mlefit.fit("y ~ x + only", d, cov_type="HC1").bse))


def test_pearson_dispersion_without_residual_degrees_of_freedom_is_refused():
    """A poisson with as many coefficients as rows has n - p = 0: X2 / (n - p) is not a
    number, so dispersion="pearson" (quasipoisson) is refused, not a ZeroDivisionError
    (found when merging the quasi-dispersion and the sandwich changes)."""
    data = {"x0": [0.0, 0.0, 1.0], "x1": [0.0, 1.0, 0.0], "y": [1.0, 2.0, 4.0]}
    with pytest.raises(mlefit.DataError, match=r"n - p = 0"):
        mlefit.fit("y ~ x0 + x1", data, "poisson", dispersion="pearson")


def test_a_sandwich_variance_that_is_zero_is_not_negative():
    """Found by the property suite (slow run): the intercept and x0 of this fit have exact-zero
    scores in every row, so their sandwich variance is 0; rounding gave -4e-17 and a leaked
    'invalid value in sqrt'. The sandwich is PSD in exact arithmetic: the SE is 0 (its
    tests NaN, as for an exact fit), the others as before."""
    data = pd.DataFrame({"x0": [0.0, 0, 0, 1], "x1": [0, 1e-3, 1e-3, 0], "y": [0.0, 0, 1, 0]})
    res = mlefit.fit("y ~ x0 + x1", data, "gaussian", cov_type="HC0")
    assert (res.bse >= 0).all() and np.isfinite(res.bse).all()
    # x1's variance by hand: rows 2 and 3 share x1 = 1e-3 and have residuals -1/2, +1/2
    assert res.bse[("mu", "x1")] == pytest.approx(np.sqrt(2 * 0.25 * 1e-6) / 2e-6, rel=1e-9)


def test_an_underflowed_poisson_mean_carries_no_information_and_leaks_nothing():
    """Found by the property suite (slow run): after separation a poisson mean underflows
    to 0, its expected information 1/mu is inf and the eta-scale product inf * 0 leaked
    'divide by zero' and NaN. The row carries no information (the limit of mu * 1 for the
    log link); the fit warns about the separation and reports finite standard errors."""
    data = pd.DataFrame({"x0": [0.0, 0, 1, 0], "x1": [-1.0, 0, 0, 1000], "y": [1.0, 0, 0, 0]})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = mlefit.fit("y ~ x0 + x1", data, "poisson", convention="R")
        res.summary()
    assert all(issubclass(w.category, mlefit.MlefitWarning) for w in caught), caught
    assert any("separation" in str(w.message) for w in caught)
    assert np.isfinite(res.bse).all()
