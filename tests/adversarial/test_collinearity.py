"""Near-collinearity: a warning that names the columns and the scaled design's condition
number above 2**26, a refusal only at numerical rank deficiency.

Oracles: ``numpy.linalg.cond`` of the design with unit-length columns, and a closed form:
two unit-length columns at angle ``t`` have singular values ``sqrt(1 +- cos t)``, so the
condition number ``cot(t / 2)``.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit import CollinearityWarning, DataError
from mlefit.collinearity import NEAR_SINGULAR


def _unit_columns(X: np.ndarray) -> np.ndarray:
    return X / np.linalg.norm(X, axis=0)


def _reported_condition(message: str) -> float:
    return float(re.search(r"unit-length columns ([0-9.e+-]+),", message).group(1))


@pytest.fixture(scope="module")
def near() -> pd.DataFrame:
    """The issue's case: x2 = x + 1e-10 * noise, n = 200."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=200)
    return pd.DataFrame({"x": x, "x2": x + 1e-10 * rng.normal(size=200),
                         "z": rng.normal(size=200), "y": x + rng.normal(size=200)})


def test_the_issues_case_warns_naming_the_columns_and_the_scaled_condition(near):
    X = np.column_stack([np.ones(200), near[["x", "x2", "z"]]])
    oracle = np.linalg.cond(_unit_columns(X))
    assert oracle > 1e10                       # about 2e10, as the issue says
    with pytest.warns(CollinearityWarning) as caught:
        res = mlefit.fit("y ~ x + x2 + z", near, "gaussian")
    message = str(caught[0].message)
    assert caught[0].filename == __file__
    names = re.search(r"\[(.*?)\]", message).group(1)
    assert sorted(names.replace("'", "").split(", ")) == ["x", "x2"]   # not z, not Intercept
    # two significant digits are printed: 5% covers the rounding
    assert _reported_condition(message) == pytest.approx(oracle, rel=0.05)
    # the Gram's condition number is the square: the message must not report that
    assert _reported_condition(message) < oracle**1.5
    assert res.converged                        # warned, still fitted


def test_fit_arrays_warns_too(near):
    X = np.column_stack([np.ones(200), near[["x", "x2"]]])
    with pytest.warns(CollinearityWarning, match=r"\['x2', 'x'\]|\['x', 'x2'\]"):
        mlefit.fit_arrays(near["y"], X, "gaussian", names={"mu": ["one", "x", "x2"]})


def _two_columns_at(angle: float, n: int = 50, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(n, 2)))
    return np.column_stack([q[:, 0], np.cos(angle) * q[:, 0] + np.sin(angle) * q[:, 1]])


@pytest.mark.parametrize("condition, warned", [
    (1e3, False), (NEAR_SINGULAR / 2, False), (NEAR_SINGULAR * 2, True), (1e10, True),
])
def test_the_threshold_is_the_scaled_condition_number(condition, warned):
    angle = 2 * np.arctan(1 / condition)        # cot(angle / 2) = condition
    X = _two_columns_at(angle) * np.array([1e-3, 1e4])   # units must not matter
    assert np.linalg.cond(_unit_columns(X)) == pytest.approx(condition, rel=1e-3)
    y = X @ np.array([1.0, 1.0]) + np.random.default_rng(5).normal(size=X.shape[0])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mlefit.fit_arrays(y, X, "gaussian", names={"mu": ["a", "b"]})
    got = [w for w in caught if issubclass(w.category, CollinearityWarning)]
    assert bool(got) is warned
    if warned:
        assert _reported_condition(str(got[0].message)) == pytest.approx(condition, rel=0.05)


def test_exact_dependence_is_refused_not_warned(near):
    data = near.assign(x3=2 * near["x"] - near["z"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DataError, match="rank deficient"):
            mlefit.fit("y ~ x + z + x3", data, "gaussian")


def test_other_parameters_designs_are_checked(near):
    with pytest.warns(CollinearityWarning, match="design of 'sigma'"):
        mlefit.fit("y ~ 1", near, "gaussian", sigma="~ x + x2")


def test_a_well_conditioned_design_is_silent(heart):
    X = np.column_stack([np.ones(len(heart)), heart[["age", "chol", "thalach"]]])
    X = X[~np.isnan(X).any(axis=1)]
    assert np.linalg.cond(_unit_columns(X)) < 1e3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mlefit.fit("oldpeak ~ age + chol + thalach", heart, "gaussian")
