"""Stateful transforms (center, scale, standardize, poly, bs, cr) on data with missing
values: the rows with a missing value in any variable of any formula, in the weights,
offsets or groups are dropped before a transform learns its state (R's model.frame:
na.omit, then the terms).

Oracles: the same fit on ``df.dropna(subset=...)`` (the rows R keeps), formulaic's state
on that frame, the state's closed forms (numpy's mean and standard deviation of the kept
rows), and statsmodels' GLM with patsy's own ``center``/``standardize`` on the kept rows
(patsy, like formulaic before this change, takes the state over every row: on the frame
with NaN it fails, so the complete rows are its input).
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf

import mlefit
from mlefit import DataError
from mlefit.stateful_terms import STATEFUL_NAMES, call_variables, stateful_calls

N = 240


@pytest.fixture(scope="module")
def df():
    rng = np.random.default_rng(20261206)
    data = pd.DataFrame({"x": rng.normal(1.0, 2.0, N), "z": rng.exponential(1.0, N),
                         "t": rng.uniform(0.5, 2.0, N), "w": rng.integers(1, 4, N) * 1.0,
                         "g": rng.choice(["a", "b", "c"], N)})
    data["y"] = rng.poisson(np.exp(0.2 + 0.3 * data.x - 0.4 * data.z) * data.t)
    data["v"] = data.x + rng.normal(0, 1 + 0.3 * np.abs(data.z), N)
    data.loc[::7, "x"] = np.nan           # read only inside center / poly / bs
    data.loc[3::11, "z"] = np.nan         # read only inside a second formula's transform
    data.loc[5::13, "w"] = np.nan         # a missing weight
    data.loc[6::17, "t"] = np.nan         # a missing offset
    data.loc[8::19, "g"] = None           # a missing cluster label
    return data


def _same_state(a, b):
    """Two formulaic transform states equal: numbers bit for bit (the same rows, the same
    code), dicts and lists element by element."""
    assert a.keys() == b.keys()
    for key in a:
        for name, value in a[key].items():
            got = b[key][name]
            if isinstance(value, dict):
                assert value.keys() == got.keys()
                value, got = list(value.values()), list(got.values())
            if value is None or got is None:
                assert value is got
            else:
                np.testing.assert_array_equal(np.asarray(got, dtype=float),
                                              np.asarray(value, dtype=float))


CASES = [
    ("y ~ center(x)", "poisson", {}, ["y", "x"]),
    ("y ~ scale(x) + poly(z, 2)", "poisson", {}, ["y", "x", "z"]),
    ("y ~ standardize(x) + g", "poisson", {"weights": "w"}, ["y", "x", "g", "w"]),
    ("y ~ poly(x, 3)", "poisson", {"offset": "t"}, ["y", "x", "t"]),
    ("y ~ bs(x, df=5)", "poisson", {}, ["y", "x"]),
    ("y ~ cr(x, df=4) - 1", "poisson", {}, ["y", "x"]),
    ("y ~ center(x)", "poisson", {"cov_type": "cluster", "groups": "g"}, ["y", "x", "g"]),
    ("v ~ center(x)", "gaussian", {"sigma": "~ scale(z)"}, ["v", "x", "z"]),
]


@pytest.mark.parametrize("formula, family, kw, subset", CASES)
def test_fit_equals_the_fit_on_the_complete_rows(df, formula, family, kw, subset):
    """Before: 'every row has a missing or non-finite value' (the mean over all rows was
    NaN, so every row of center(x) was NaN). After: the fit on df equals the fit on
    df.dropna(subset) to 1e-12 (the same rows through the same code: in fact exactly)."""
    kw = dict(kw)
    if kw.get("cov_type") == "cluster":
        kw["groups"] = df[kw["groups"]]
    res = mlefit.fit(formula, df, family, **kw)
    complete = df.dropna(subset=subset)
    ref_kw = dict(kw, groups=complete["g"]) if "groups" in kw else kw
    ref = mlefit.fit(formula, complete, family, **ref_kw)
    assert res.nobs == ref.nobs and res._context.frame.n == len(complete)
    assert res.n_dropped == len(df) - len(complete)
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(res.bse, ref.bse, rtol=1e-12)
    assert list(res._context.frame.index) == list(complete.index)
    for p, d in res._context.designs.items():
        _same_state(d.spec.transform_state, ref._context.designs[p].spec.transform_state)
        # formulaic's own state on the complete rows
        fresh = d.spec.formula.get_model_matrix(complete, na_action="ignore").model_spec
        _same_state(d.spec.transform_state, fresh.transform_state)
    new = df.dropna(subset=subset).head(15).assign(x=np.linspace(-1, 3, 15))
    np.testing.assert_allclose(res.predict(newdata=new), ref.predict(newdata=new),
                               rtol=1e-12)


def test_dropped_rows_are_counted_by_cause(df):
    res = mlefit.fit("y ~ center(x)", df, "poisson", weights="w", offset="t")
    assert res.dropped_by == {"x": int(df.x.isna().sum()), "weights": int(df.w.isna().sum()),
                              "offset of mu": int(df.t.isna().sum())}
    assert res.n_dropped == int(df[["x", "w", "t", "y"]].isna().any(axis=1).sum())


def test_state_is_the_closed_form_of_the_kept_rows(df):
    """center's mean and scale's sd (ddof=1) are numpy's over the kept rows; predict on
    new rows uses them: exp(b0 + b1 (x - mean) / sd)."""
    res = mlefit.fit("y ~ scale(x)", df, "poisson", weights="w")
    kept = df.dropna(subset=["y", "x", "w"])
    state = res._context.designs["mu"].spec.transform_state["scale(x)"]
    np.testing.assert_allclose(state["center"], kept.x.mean(), rtol=1e-14)
    np.testing.assert_allclose(state["scale"], kept.x.std(ddof=1), rtol=1e-14)
    new = pd.DataFrame({"x": [-2.0, 0.5, 4.0]})
    b0, b1 = res.params["mu"]
    expected = np.exp(b0 + b1 * (new.x - kept.x.mean()) / kept.x.std(ddof=1))
    np.testing.assert_allclose(res.predict(newdata=new), expected, rtol=1e-12)


def test_agrees_with_statsmodels_patsy_on_the_complete_rows(df):
    """patsy's center and standardize are independent implementations of the state;
    statsmodels' IRLS and mlefit's Newton both stop at a gradient near 0 (tol 1e-12),
    so the coefficients agree to 1e-8 relative and the log-likelihoods to 1e-10."""
    res = mlefit.fit("y ~ center(x) + standardize(z)", df, "poisson")
    complete = df.dropna(subset=["y", "x", "z"])
    sm_fit = smf.glm("y ~ center(x) + standardize(z)", complete,
                     family=sm.families.Poisson()).fit(tol=1e-13)
    np.testing.assert_allclose(res.params["mu"].to_numpy(), sm_fit.params.to_numpy(),
                               rtol=1e-8)
    np.testing.assert_allclose(res.llf, sm_fit.llf, rtol=1e-10)


def test_non_finite_argument_is_left_out_of_the_state(df):
    """center(np.log(u)) with u = 0 on some rows: those rows are dropped before the mean
    is taken (as on a Dask frame). Before, the mean was -inf and every row was dropped."""
    data = df.assign(u=np.where(np.arange(N) % 9 == 4, 0.0, df.t.fillna(1.0)))
    res = mlefit.fit("y ~ center(np.log(u))", data, "poisson")
    keep = data.u > 0
    ref = mlefit.fit("y ~ center(np.log(u))", data[keep], "poisson")
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-12)
    assert res.dropped_by == {"center(np.log(u)) (non-finite)": int((~keep).sum())}
    state = res._context.designs["mu"].spec.transform_state["center(np.log(u))"]
    np.testing.assert_allclose(state["center"], np.log(data.u[keep]).mean(), rtol=1e-14)


def test_safe_formulas(df):
    """safe_formulas=True checks the terms first; the missing rows are dropped the same."""
    res = mlefit.fit("y ~ center(x) + poly(z, 2)", df, "poisson", safe_formulas=True)
    ref = mlefit.fit("y ~ center(x) + poly(z, 2)", df.dropna(subset=["y", "x", "z"]),
                     "poisson", safe_formulas=True)
    np.testing.assert_allclose(res.params, ref.params, rtol=1e-12)
    assert res.dropped_by == {"x": int(df.x.isna().sum()), "z": int(df.z.isna().sum())}


def test_missing_raise_still_raises(df):
    with pytest.raises(DataError, match=r"row\(s\) have missing.*x: 35.*missing='drop'"):
        mlefit.fit("y ~ center(x)", df, "poisson", missing="raise")


def test_every_row_missing_is_refused(df):
    data = df.assign(x=np.nan)
    with pytest.raises(DataError, match=r"every row has a missing.*x: 240"):
        mlefit.fit("y ~ center(x)", data, "poisson")


def test_the_calls_and_their_variables_are_found():
    from formulaic import Formula

    parsed = {"mu": Formula("y ~ center(a) + poly(np.log(b), 2) + c + bs(Q('d e'), df=4)"),
              "sigma": Formula("~ scale(f + 1):g")}
    calls = stateful_calls(parsed)
    assert set(calls) == {"center(a)", "poly(np.log(b), 2)", "bs(Q('d e'), df=4)",
                          "scale(f + 1)"}
    # c and g are formulaic's required_variables; the others only the calls read
    assert call_variables(calls, ["a", "b", "c", "d e", "f", "g"]) == {"a", "b", "d e", "f"}
    assert {"center", "scale", "standardize", "poly", "bs", "cr"} <= STATEFUL_NAMES
    assert "Q" not in STATEFUL_NAMES
