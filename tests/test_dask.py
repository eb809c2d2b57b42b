"""Fitting on a Dask DataFrame (mlefit.partitioned, issue 16): the same answer as the
in-memory fit on the same rows, the categorical levels and missing values of partitions,
cluster-robust and HC2/HC3 covariances, stateful transforms, lazy predictions and
residuals, profiles, progress, Ctrl-C, and the options refused.

Oracle: the in-memory fit of the same data (each coefficient within 1e-10 x (|estimate|
+ SE), the log-likelihood 1e-10 relative, the SEs 1e-8 relative); the in-memory
covariances themselves are checked against statsmodels and R's sandwich in
tests/inference, and its transforms are formulaic's.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest

import mlefit
from mlefit.errors import ComparisonError, DataError

dd = pytest.importorskip("dask.dataframe")

from dask_families import LogisticLogpdf  # noqa: E402  (tests/ is on the path)

N = 20000


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(16)
    x = rng.normal(size=N)
    g = rng.choice(["a", "b", "c"], size=N)
    eta = 0.3 + 0.5 * x + 0.2 * (g == "b") - 0.1 * (g == "c")
    df = pd.DataFrame({"x": x, "g": g, "t": rng.uniform(0.5, 2.0, size=N),
                       "w": rng.integers(1, 4, size=N).astype(float)})
    df["count"] = rng.poisson(np.exp(eta) * df.t)
    df["ok"] = (rng.uniform(size=N) < 1 / (1 + np.exp(-eta))).astype(float)
    df["z"] = 1 + 0.5 * x + rng.normal(size=N) * np.exp(0.2 * x)
    df["nb"] = rng.negative_binomial(2, 2 / (2 + np.exp(eta)))
    df["lg"] = 1 + 0.5 * x + rng.logistic(size=N)
    return df


CASES = {
    "gaussian": ("z ~ x + g", "gaussian", {}),
    "poisson": ("count ~ x + g", "poisson", {"exposure": "t", "weights": "w"}),
    "binomial": ("ok ~ x + C(g)", "binomial", {}),
    "negative_binomial": ("nb ~ x + g", "negative_binomial", {}),
    "distributional": ("z ~ x", "gaussian", {"sigma": "~ x"}),
    "logpdf_only": ("lg ~ x", LogisticLogpdf(), {}),
}


def assert_same(a, b, coef=1e-10, se=1e-8):
    scale = np.abs(a.params.to_numpy()) + a.bse.to_numpy()
    assert np.all(np.abs(a.params.to_numpy() - b.params.to_numpy()) <= coef * scale)
    assert abs(a.llf - b.llf) <= 1e-10 * abs(a.llf)
    np.testing.assert_allclose(b.bse.to_numpy(), a.bse.to_numpy(), rtol=se, atol=0)
    assert list(a.params.index) == list(b.params.index)
    assert a.nobs == b.nobs and a.n_dropped == b.n_dropped


@pytest.mark.parametrize("case", list(CASES))
def test_dask_fit_equals_in_memory_fit(data, case):
    formula, family, kw = CASES[case]
    a = mlefit.fit(formula, data, family, **kw)
    b = mlefit.fit(formula, dd.from_pandas(data, npartitions=6), family, **kw)
    assert_same(a, b)
    assert abs(a.aic - b.aic) <= 1e-10 * abs(a.aic) and abs(a.bic - b.bic) <= 1e-10 * abs(a.bic)
    assert "Estimate" in b.summary().__str__()


@pytest.mark.parametrize("persist", [True, False])
def test_persist_and_covariances(data, persist):
    ddf = dd.from_pandas(data, npartitions=4)
    for cov_type in ("expected", "HC0", "HC1"):
        a = mlefit.fit("count ~ x + g", data, "poisson", cov_type=cov_type)
        b = mlefit.fit("count ~ x + g", ddf, "poisson", cov_type=cov_type, persist=persist)
        assert_same(a, b)


def test_fixed_and_offset_and_convention(data):
    data = data.assign(lt=np.log(data.t))
    ddf = dd.from_pandas(data, npartitions=5)
    a = mlefit.fit("z ~ x", data, "gaussian", fixed={"sigma": 1.2})
    assert_same(a, mlefit.fit("z ~ x", ddf, "gaussian", fixed={"sigma": 1.2}))
    a = mlefit.fit("count ~ x", data, "poisson", offset="lt", convention="R")
    assert_same(a, mlefit.fit("count ~ x", ddf, "poisson", offset="lt", convention="R"))


def test_levels_missing_from_some_partitions(data):
    df = data.sort_values("g", kind="stable").reset_index(drop=True)
    ddf = dd.from_pandas(df, npartitions=6, sort=False)
    assert set(ddf.get_partition(0).compute().g) == {"a"}
    a = mlefit.fit("count ~ x + g", df, "poisson")
    assert_same(a, mlefit.fit("count ~ x + g", ddf, "poisson"))
    cat = df.assign(g=pd.Categorical(df.g, categories=["c", "a", "b"]))
    a = mlefit.fit("count ~ x + g", cat, "poisson")
    assert_same(a, mlefit.fit("count ~ x + g", dd.from_pandas(cat, npartitions=6,
                                                              sort=False), "poisson"))


def test_missing_categories_raise_no_formulaic_warning(data):
    # a missing level is filled before formulaic reads the partition (the row is dropped
    # anyway): formulaic's "categories outside the nominated levels ... will likely skew
    # the results" must not reach the user, from any thread (a warnings filter set around
    # the call does not hold when the threaded scheduler runs tasks side by side)
    from formulaic.errors import DataMismatchWarning

    df = data.copy()
    df.loc[::89, "g"] = None
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataMismatchWarning)
        b = mlefit.fit("count ~ x + g", dd.from_pandas(df, npartitions=6), "poisson")
        b.predict().compute()
    assert_same(mlefit.fit("count ~ x + g", df, "poisson"), b)


def test_missing_values_dropped_and_counted(data):
    df = data.copy()
    df.loc[::97, "x"] = np.nan
    df.loc[::89, "g"] = None
    df.loc[::83, "w"] = np.nan
    a = mlefit.fit("count ~ x + g", df, "poisson", weights="w")
    b = mlefit.fit("count ~ x + g", dd.from_pandas(df, npartitions=6), "poisson", weights="w")
    assert b.n_dropped == a.n_dropped > 0
    assert_same(a, b)


def test_lrtest_compare_and_predict(data):
    ddf = dd.from_pandas(data, npartitions=4)
    small, big = (mlefit.fit(f, ddf, "poisson") for f in ("count ~ x", "count ~ x + g"))
    small_m, big_m = (mlefit.fit(f, data, "poisson") for f in ("count ~ x", "count ~ x + g"))
    lr, lr_m = mlefit.lrtest(small, big), mlefit.lrtest(small_m, big_m)
    assert abs(lr.statistic - lr_m.statistic) <= 1e-6 * lr_m.statistic
    assert len(mlefit.compare(small, big)) == 2
    new = data.head(10)
    np.testing.assert_allclose(big.predict(newdata=new), big_m.predict(newdata=new),
                               rtol=1e-10)
    with pytest.raises(DataError, match="not available for Dask fits"):
        mlefit.lrtest(small, big, bootstrap=2)


@pytest.mark.parametrize("small, big, family, kw", [
    ("count ~ x", "count ~ x + g", "poisson", {"exposure": "t"}),
    ("nb ~ x", "nb ~ x + g", "negative_binomial", {}),
    ("z ~ x", ("z ~ x", {"sigma": "~ x"}), "gaussian", {}),     # Breusch-Pagan's case
])
@pytest.mark.parametrize("information", ["expected", "observed"])
def test_score_test_on_dask_equals_in_memory(data, small, big, family, kw, information):
    # oracle: the in-memory score test (itself checked against statsmodels and closed forms
    # in tests/inference); a least squares over partitions and one pass give the same
    # statistic to rounding (measured 1e-14)
    big_formula, big_kw = big if isinstance(big, tuple) else (big, {})
    ddf = dd.from_pandas(data, npartitions=5)
    got = mlefit.score_test(mlefit.fit(small, ddf, family, **kw),
                            mlefit.fit(big_formula, ddf, family, **kw, **big_kw),
                            information=information)
    want = mlefit.score_test(mlefit.fit(small, data, family, **kw),
                             mlefit.fit(big_formula, data, family, **kw, **big_kw),
                             information=information)
    assert abs(got.statistic - want.statistic) <= 1e-10 * want.statistic
    assert got.df == want.df and got.information == want.information
    np.testing.assert_allclose(got.restricted, want.restricted, rtol=1e-10, atol=1e-12)


def test_score_test_on_dask_refuses_models_that_are_not_nested(data):
    ddf = dd.from_pandas(data, npartitions=3)
    small = mlefit.fit("count ~ x", ddf, "poisson")
    other = mlefit.fit("count ~ g", ddf, "poisson")
    with pytest.raises(ComparisonError, match="not nested"):
        mlefit.score_test(small, other, nested=True)


@pytest.mark.parametrize("formula, family, kw", [
    ("count ~ x + g", "poisson", {"exposure": "t"}),
    ("z ~ x", "gaussian", {"sigma": "~ x"}),
    ("ok ~ x + C(g)", "binomial", {}),
    ("nb ~ x", "negative_binomial", {"weights": "zw"}),
])
def test_simulate_is_lazy_and_draws_the_in_memory_fits_values(data, formula, family, kw):
    # oracle: the in-memory simulate() on the same rows with the generator a one-partition
    # Dask fit gives its partition, default_rng([seed, 0]): the same draws (the parameters
    # agree to rounding: 1e-12)
    data = data.assign(zw=(np.arange(N) % 5 != 0).astype(float))   # weight-0 rows: not drawn
    a = mlefit.fit(formula, data, family, **kw)
    b = mlefit.fit(formula, dd.from_pandas(data, npartitions=1), family, **kw)
    lazy = b.simulate(3, seed=7)
    assert hasattr(lazy, "dask")
    got = lazy.compute()
    ref = a.simulate(3, seed=np.random.default_rng([7, 0]))
    ref = np.moveaxis(ref, -1, 1).reshape(ref.shape[0], -1)   # draw, then column
    assert got.shape == ref.shape and got.shape[0] == a.nobs
    np.testing.assert_allclose(got.to_numpy(), ref, rtol=1e-12, atol=0)
    width = ref.shape[1] // 3
    assert list(got.columns) == ([f"sim_{i}" for i in (1, 2, 3)] if width == 1 else
                                 [f"sim_{i}_{k}" for i in (1, 2, 3) for k in (1, 2)])


def test_simulate_over_partitions(data):
    ddf = dd.from_pandas(data, npartitions=4)
    b = mlefit.fit("count ~ x + g", ddf, "poisson")
    one, two = b.simulate(2, seed=3).compute(), b.simulate(2, seed=3).compute()
    pd.testing.assert_frame_equal(one, two)                 # reproducible for a seed
    assert one.index.equals(data.index)
    # partition k draws from default_rng([seed, k]) at its rows' fitted means
    mu = b.fittedvalues.compute()
    for k in range(4):
        rows = ddf.get_partition(k).index.compute()
        want = b.family.sample(np.random.default_rng([3, k]), (2, len(rows)),
                               mu=mu.loc[rows].to_numpy())
        np.testing.assert_array_equal(one.loc[rows].to_numpy(), want.T)
    # the draws follow the fit: a mean near the fitted mean (5 SE of the simulated mean)
    assert abs(one["sim_1"].mean() - mu.mean()) < 5 * np.sqrt(mu.sum()) / N
    with pytest.raises(DataError, match="seed= must be an integer"):
        b.simulate(1, seed=np.random.default_rng(1))
    with pytest.raises(DataError, match="nsim"):
        b.simulate(0)


@pytest.mark.parametrize("kw, what", [
    ({"cov_type": "cluster", "groups": np.arange(N) % 7}, "groups= as values"),
    ({"singular": "drop"}, "singular"), ({"method": "bfgs"}, "bfgs"),
    ({"weights": np.ones(N)}, "weights"),
])
def test_refusals(data, kw, what):
    with pytest.raises(DataError, match=f"(?s){what}.*not yet supported on Dask frames"):
        mlefit.fit("count ~ x", dd.from_pandas(data, npartitions=2), "poisson", **kw)


# ---------------------------------------------------------------------------------------
# stateful transforms: their state from passes over all partitions (oracle: the in-memory
# fit, whose state formulaic computes from the kept rows at once)

STATEFUL_FORMULAS = [
    "count ~ center(x) + g",
    "count ~ scale(x) + standardize(np.log(t))",
    "count ~ scale(x, center=False, ddof=0)",
    "count ~ poly(x, 3) + g",
    "count ~ poly(x, 4) + scale(t):g",
    "count ~ poly(x, 2, raw=True)",
    "count ~ bs(x, knots=[-1, 0, 1])",
    "count ~ bs(x, df=3, degree=3)",       # df = degree: no inner knots, no quantiles
    # knots at quantiles, exact (mlefit.partition_quantiles)
    "count ~ bs(x, df=6)",
    "count ~ 0 + bs(x, df=5, degree=2, include_intercept=True)",
    "count ~ bs(x, df=5, lower_bound=-5, upper_bound=5)",
    "count ~ 0 + cr(x, df=4)",
    "count ~ cr(x, df=5, constraints='center') + g",
    "count ~ 0 + cc(x, df=5)",
    "count ~ cc(x, df=4, constraints='center')",
    "count ~ cr(x, knots=[-1, 0, 1], constraints='center')",
    "count ~ cr(x, df=4, lower_bound=-1, upper_bound=1, extrapolation='clip', "
    "constraints='center')",
]


@pytest.mark.parametrize("formula", STATEFUL_FORMULAS)
def test_stateful_transforms_equal_in_memory(data, formula):
    df = data.copy()
    df.loc[::71, "w"] = np.nan        # rows dropped for the weights: not in the state
    ddf = dd.from_pandas(df, npartitions=6)
    a = mlefit.fit(formula, df, "poisson", weights="w")
    b = mlefit.fit(formula, ddf, "poisson", weights="w")
    assert a.n_dropped == b.n_dropped > 0
    assert_same(a, b)
    sa, sb = (r._context.designs["mu"].spec.transform_state for r in (a, b))
    assert sa.keys() == sb.keys()
    for key, state in sa.items():     # the same state as formulaic's, to rounding
        for name, value in state.items():
            got = sb[key][name]
            if isinstance(value, dict):
                value, got = list(value.values()), [got[k] for k in value]
            if name == "knots":               # selected exactly, not approximated
                assert got == value
            if value is not None:
                np.testing.assert_allclose(got, value, rtol=1e-13, atol=1e-15)
    new = df.dropna().head(20)
    np.testing.assert_allclose(b.predict(newdata=new), a.predict(newdata=new), rtol=1e-10)


def test_stateful_argument_missing_is_dropped(data):
    """A missing x leaves its row out of center(x)'s mean, on a Dask frame and in memory
    (the in-memory model frame drops the incomplete rows before formulaic computes the
    state, R's model.frame), so the two fits on the same frame agree; the in-memory one
    is the fit on the complete rows (tests/test_stateful_terms.py)."""
    df = data.copy()
    df.loc[::13, "x"] = np.nan
    formula = "count ~ center(x) + scale(t) + g"
    b = mlefit.fit(formula, dd.from_pandas(df, npartitions=4), "poisson")
    a = mlefit.fit(formula, df, "poisson")
    assert b.n_dropped == a.n_dropped == int(df.x.isna().sum())
    assert b.dropped_by == a.dropped_by == {"x": int(df.x.isna().sum())}
    assert_same(a, b)
    sa, sb = (r._context.designs["mu"].spec.transform_state for r in (a, b))
    for key, state in sa.items():
        for name in ("center", "scale"):
            if state[name] is not None:
                np.testing.assert_allclose(sb[key][name], state[name], rtol=1e-13)
    new = df.dropna().head(20)
    np.testing.assert_allclose(b.predict(newdata=new), a.predict(newdata=new), rtol=1e-10)


def test_stateful_argument_non_finite_is_dropped(data):
    """center(np.log(u)) with u = 0 on some rows: both paths leave those rows out of the
    mean (in memory they were all dropped before: the mean was -inf)."""
    df = data.assign(u=np.where(np.arange(N) % 1001 == 500, 0.0, data.t))
    formula = "count ~ center(np.log(u)) + g"
    a = mlefit.fit(formula, df, "poisson")
    b = mlefit.fit(formula, dd.from_pandas(df, npartitions=3), "poisson")
    assert a.dropped_by == b.dropped_by == {"center(np.log(u)) (non-finite)":
                                            int((df.u == 0).sum())}
    assert_same(a, b)


@pytest.mark.parametrize("term, match", [
    ("hashed(x, levels=10)", "hashed into columns"),
    ("cr(x, df=4, extrapolation='na', constraints='center')", "extrapolation='na'"),
    ("lag(x)", "order of the rows"),
    ("center(poly(x, 2))", "nests one stateful"),
])
def test_transforms_refused_name_the_term(data, term, match):
    with pytest.raises(DataError, match=rf"(?s){re.escape(term)}.*{match}"):
        mlefit.fit(f"count ~ {term}", dd.from_pandas(data, npartitions=2), "poisson")


def test_other_non_finite_term_with_stateful_transform_refused(data):
    df = data.assign(u=np.where(np.arange(N) % 1001 == 500, 0.0, data.t))
    with pytest.raises(DataError, match=r"(?s)dropped for non-finite values.*drop those rows"):
        mlefit.fit("count ~ center(x) + np.log(u)", dd.from_pandas(df, npartitions=3),
                   "poisson")


def test_local_cluster_with_worker_processes(data):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster):
        ddf = dd.from_pandas(data, npartitions=4)
        for case in ("poisson", "distributional", "logpdf_only"):
            formula, family, kw = CASES[case]
            assert_same(mlefit.fit(formula, data, family, **kw),
                        mlefit.fit(formula, ddf, family, **kw))
            if case == "distributional":    # the result pickles to worker processes
                a = mlefit.fit(formula, data, family, **kw)
                b = mlefit.fit(formula, ddf, family, **kw)
                pd.testing.assert_series_equal(b.resid("pearson").compute(),
                                               a.resid("pearson"), rtol=1e-10)
        df = data.assign(cl=np.arange(N) % 501)     # every cluster in every partition
        for kw in ({"cov_type": "cluster", "groups": "cl"}, {"cov_type": "HC3"}):
            assert_same(mlefit.fit("count ~ x + g", df, "poisson", **kw),
                        mlefit.fit("count ~ x + g", dd.from_pandas(df, npartitions=4),
                                   "poisson", **kw))


# ---------------------------------------------------------------------------------------
# cluster-robust and leverage-based sandwiches (oracle: the in-memory fit, whose CR1 and
# HC2/HC3 are checked against statsmodels and R's sandwich in tests/inference)


@pytest.mark.parametrize("case", ["poisson", "distributional", "binomial"])
def test_cluster_covariance_with_clusters_across_partitions(data, case):
    """2000 clusters, labels shuffled over 7 partitions so nearly every cluster spans
    several of them; the per-partition cluster sums meet in a groupby."""
    formula, family, kw = CASES[case]
    rng = np.random.default_rng(3)
    df = data.assign(cl=rng.integers(0, 2000, size=N).astype(str))
    ddf = dd.from_pandas(df, npartitions=7)
    a = mlefit.fit(formula, df, family, cov_type="cluster", groups="cl", **kw)
    b = mlefit.fit(formula, ddf, family, cov_type="cluster", groups="cl", **kw)
    assert_same(a, b)
    assert b.covariance_kind == a.covariance_kind == "cluster-robust (CR1, 2000 clusters)"


def test_cluster_covariance_missing_labels_and_R_convention(data):
    df = data.assign(cl=(np.arange(N) % 311).astype(float))
    df.loc[::53, "cl"] = np.nan
    ddf = dd.from_pandas(df, npartitions=5)
    kw = {"cov_type": "cluster", "groups": "cl", "convention": "R", "weights": "w"}
    a = mlefit.fit("count ~ x + g", df, "poisson", **kw)
    b = mlefit.fit("count ~ x + g", ddf, "poisson", **kw)
    assert b.dropped_by["groups"] == a.dropped_by["groups"] > 0
    assert_same(a, b)


def test_cluster_covariance_one_cluster_refused(data):
    ddf = dd.from_pandas(data.assign(cl=1), npartitions=3)
    with pytest.raises(DataError, match="at least two clusters"):
        mlefit.fit("count ~ x", ddf, "poisson", cov_type="cluster", groups="cl")
    with pytest.raises(DataError, match="groups='nope' is not a column"):
        mlefit.fit("count ~ x", ddf, "poisson", cov_type="cluster", groups="nope")


@pytest.mark.parametrize("cov_type", ["HC2", "HC3"])
@pytest.mark.parametrize("case", ["gaussian", "poisson", "binomial"])
def test_leverage_sandwiches(data, case, cov_type):
    """HC2/HC3: a second pass with the leverages of the mean model from the fixed
    triangular factor of its expected information, as in memory."""
    formula, family, kw = CASES[case]
    ddf = dd.from_pandas(data, npartitions=6)
    for convention in (None, "R"):
        a = mlefit.fit(formula, data, family, cov_type=cov_type, convention=convention, **kw)
        b = mlefit.fit(formula, ddf, family, cov_type=cov_type, convention=convention, **kw)
        assert_same(a, b)


# ---------------------------------------------------------------------------------------
# predictions and residuals: lazy Dask collections (oracle: the in-memory fit's)


@pytest.mark.parametrize("case", ["poisson", "distributional", "binomial"])
def test_lazy_predictions_and_residuals(data, case):
    formula, family, kw = CASES[case]
    df = data.copy()
    df.loc[::17, "x"] = np.nan            # dropped rows: the index has gaps, as in memory
    ddf = dd.from_pandas(df, npartitions=5)
    a, b = mlefit.fit(formula, df, family, **kw), mlefit.fit(formula, ddf, family, **kw)
    kinds = ["response", "pearson", "deviance"] + (["quantile"] if case == "distributional"
                                                     else [])
    for kind in kinds:      # quantile residuals of a continuous family are not random
        lazy = b.resid(kind)
        assert isinstance(lazy, dd.Series)
        pd.testing.assert_series_equal(lazy.compute(), a.resid(kind), rtol=1e-10, atol=1e-12)
    lazy = b.predict(interval="confidence")
    assert isinstance(lazy, dd.DataFrame)
    pd.testing.assert_frame_equal(lazy.compute(), a.predict(interval="confidence"),
                                  rtol=1e-10, atol=0)
    pd.testing.assert_series_equal(b.fittedvalues.compute(), a.fittedvalues, rtol=1e-10)
    new = df.dropna()
    for res in (a, b):      # newdata as a Dask frame, for a fit on either kind of data
        got = res.predict(newdata=dd.from_pandas(new, npartitions=3), which="link")
        assert isinstance(got, dd.Series)
        pd.testing.assert_series_equal(got.compute(), a.predict(newdata=new, which="link"),
                                       rtol=1e-10, atol=1e-13)


def test_lazy_residuals_refuse_bad_kind_and_seed(data):
    b = mlefit.fit("count ~ x", dd.from_pandas(data, npartitions=2), "poisson")
    with pytest.raises(DataError, match="kind='raw'"):
        b.resid("raw")
    r1, r2 = (b.resid("quantile", seed=5).compute() for _ in range(2))
    pd.testing.assert_series_equal(r1, r2)      # reproducible per (seed, partition)
    with pytest.raises(DataError, match="seed= must be an integer"):
        b.resid("quantile", seed=np.random.default_rng(1)).compute()


# ---------------------------------------------------------------------------------------
# profiles, progress and interruption


@pytest.mark.parametrize("case", ["poisson", "distributional"])
def test_profile_intervals_warn_and_equal_in_memory(data, case):
    """Each end is a root of the profile found to 1e-9 SE (ROOT_XTOL) on both paths: they
    agree to 1e-8 SE (measured 1e-12)."""
    formula, family, kw = CASES[case]
    kw = {k: v for k, v in kw.items() if k != "weights"}
    a = mlefit.fit(formula, data, family, **kw)
    b = mlefit.fit(formula, dd.from_pandas(data, npartitions=4), family, **kw)
    terms = list(a.index[:2])
    with pytest.warns(mlefit.PassesWarning, match=r"about 120 passes over all partitions"):
        got = b.conf_int(method="profile", terms=terms)
    want = a.conf_int(method="profile", terms=terms)
    se = a.bse[terms].to_numpy()[:, None]
    assert np.all(np.abs(got.to_numpy() - want.to_numpy()) <= 1e-8 * se)
    values = a.params[terms[1]] + np.array([-1.0, 0.5, 2.0]) * a.bse[terms[1]]
    with pytest.warns(mlefit.PassesWarning, match=r"about 15 passes"):
        pb = b.profile(terms[1], values=values)
    pa = a.profile(terms[1], values=values)
    np.testing.assert_allclose(pb.llf, pa.llf, rtol=1e-12)


def test_progress_per_iteration(data, capsys):
    pytest.importorskip("tqdm")
    ddf = dd.from_pandas(data, npartitions=3)
    res = mlefit.fit("count ~ x + g", ddf, "poisson", progress=True)
    err = capsys.readouterr().err
    assert "mlefit fit (Dask)" in err and "llf=" in err and "step=" in err
    assert f"{res.diagnostics.iterations}" in err
    mlefit.fit("count ~ x + g", ddf, "poisson", progress=False)
    mlefit.fit("count ~ x + g", ddf, "poisson")      # stderr is not a terminal here
    assert capsys.readouterr().err == ""


def test_keyboard_interrupt_cancels_the_pass_and_leaves_the_client_usable(data, monkeypatch):
    distributed = pytest.importorskip("distributed")
    from mlefit import partitioned

    seen, real = [], partitioned._gather

    def interrupted(client, futures):
        seen.append(futures)
        if len(seen) == 3:          # the third pass: inside the Newton iterations
            raise KeyboardInterrupt
        return real(client, futures)

    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        ddf = dd.from_pandas(data, npartitions=4)
        monkeypatch.setattr(partitioned, "_gather", interrupted)
        with pytest.raises(KeyboardInterrupt):
            mlefit.fit("count ~ x + g", ddf, "poisson")
        assert all(f.cancelled() for f in seen[-1])
        monkeypatch.setattr(partitioned, "_gather", real)
        assert client.submit(sum, [1, 2]).result() == 3
        assert_same(mlefit.fit("count ~ x + g", data, "poisson"),
                    mlefit.fit("count ~ x + g", ddf, "poisson"))


def test_pickled_dask_result_keeps_no_frame(data):
    import pickle

    b = mlefit.fit("count ~ x", dd.from_pandas(data, npartitions=2), "poisson")
    back = pickle.loads(pickle.dumps(b))
    pd.testing.assert_series_equal(back.params, b.params)
    with pytest.raises(DataError, match="not available for Dask fits"):
        back.resid()


# ---------------------------------------------------------------------------------------
# start values from rows spread over the partitions (oracle: the in-memory fit; the number
# of Newton passes of the unsorted frame)


def test_start_partitions_are_spread_and_distinct():
    from mlefit.partitioned import start_partitions
    assert start_partitions(1) == [0] and start_partitions(8) == list(range(8))
    got = start_partitions(100)
    assert got[0] == 0 and got[-1] == 99 and len(got) == 8 == len(set(got))
    assert np.ptp(np.diff(got)) <= 1          # evenly spaced, to rounding


@pytest.mark.parametrize("by", ["x", "count"])
def test_sorted_frame_needs_no_more_passes(data, by):
    """Sorted by a covariate or by the response, the first partition alone is far from
    the whole (its x or counts are all the smallest); the sample over the partitions is
    not, so the fit takes about the passes of the unsorted frame."""
    df = data.sort_values(by, kind="stable").reset_index(drop=True)
    a = mlefit.fit("count ~ x + g", df, "poisson")
    plain = mlefit.fit("count ~ x + g", dd.from_pandas(data, npartitions=10), "poisson")
    b = mlefit.fit("count ~ x + g", dd.from_pandas(df, npartitions=10), "poisson")
    assert_same(a, b)
    passes = [r._context.source.objective.passes for r in (plain, b)]
    assert passes[1] <= passes[0] + 1, passes


def test_start_sample_reads_the_planned_rows(data, monkeypatch):
    """With 20 partitions and a budget of 80 rows: 10 evenly spaced rows from each of the
    8 planned partitions, the first and last row of each included."""
    from mlefit import partitioned
    seen = []
    real = partitioned._thin

    def recording(a, cap):
        out = real(a, cap)
        seen.append(out["designs"]["mu"][:, 1].copy())
        return out
    monkeypatch.setattr(partitioned, "_thin", recording)
    monkeypatch.setattr(partitioned, "START_ROWS", 80)
    ddf = dd.from_pandas(data, npartitions=20)
    b = mlefit.fit("count ~ x", ddf, "poisson")
    assert_same(mlefit.fit("count ~ x", data, "poisson"), b)
    parts = [ddf.get_partition(i).compute().x.to_numpy() for i in range(20)]
    planned = partitioned.start_partitions(20)
    assert len(seen) == len(planned)            # one task per planned partition, once
    for xs in seen:
        i = next(k for k, p in enumerate(parts) if np.isin(xs, p).all())
        assert i in planned
        pos = np.flatnonzero(np.isin(parts[i], xs))
        assert len(pos) == 10 and pos[0] == 0 and pos[-1] == len(parts[i]) - 1
        assert np.ptp(np.diff(pos)) <= 1
    assert sorted(next(k for k, p in enumerate(parts) if np.isin(xs, p).all())
                  for xs in seen) == planned


def test_start_sample_with_empty_partitions(data):
    data = data.assign(row=np.arange(N))
    ddf = dd.from_pandas(data, npartitions=20)
    d, r = ddf.divisions, ddf.row

    def between(rows, lo, hi):
        return (rows >= d[lo]) & (rows < d[hi])
    # only partitions 1 and 3 keep rows: 3 is sampled, 1 is not
    some = ddf[between(r, 1, 2) | between(r, 3, 4)]
    assert some.npartitions == 20 and start_partitions_of(20)[:2] == [0, 3]
    rows = data[between(data.row, 1, 2) | between(data.row, 3, 4)]
    assert_same(mlefit.fit("count ~ x", rows, "poisson"),
                mlefit.fit("count ~ x", some, "poisson"))
    only1 = ddf[between(r, 1, 2)]           # no sampled partition has a row
    with pytest.raises(DataError, match=r"(?s)8 partition\(s\) sampled for start values.*"
                                        r"no usable rows.*repartition"):
        mlefit.fit("count ~ x", only1, "poisson")


def start_partitions_of(n):
    from mlefit.partitioned import start_partitions
    return start_partitions(n)


# ---------------------------------------------------------------------------------------
# spline knots at exact quantiles (oracle: formulaic's state on the in-memory kept rows,
# and the in-memory fit)

SPLINES = ["count ~ bs(x, df=7) + g", "count ~ cr(x, df=6, constraints='center')",
           "count ~ cc(x, df=5, constraints='center') + g", "count ~ 0 + cr(x, df=5)"]


@pytest.mark.parametrize("formula", SPLINES)
def test_spline_knots_with_ties_missing_values_and_sorted_partitions(data, formula):
    """x rounded to 0.1 (about 80 distinct values, heavy ties), sorted, so each partition
    holds one stretch of x; missing x and missing weights in several partitions. In
    memory formulaic's state of a row with a missing x is not defined (its centring
    mean is NaN), so the oracle is the fit on the rows with an x (as in
    test_stateful_argument_missing_is_dropped)."""
    df = data.assign(x=np.round(data.x, 1)).sort_values("x", kind="stable")
    df = df.reset_index(drop=True)
    df.loc[::37, "x"] = np.nan
    df.loc[::53, "w"] = np.nan
    a = mlefit.fit(formula, df.dropna(subset=["x"]), "poisson", weights="w")
    b = mlefit.fit(formula, dd.from_pandas(df, npartitions=7, sort=False), "poisson",
                   weights="w")
    assert b.n_dropped == int(df.x.isna().sum() + (df.w.isna() & df.x.notna()).sum())
    assert abs(a.llf - b.llf) <= 1e-10 * abs(a.llf)
    assert np.all(np.abs(a.params - b.params) <= 1e-10 * (np.abs(a.params) + a.bse))
    np.testing.assert_allclose(b.bse, a.bse, rtol=1e-8)
    sa, sb = (r._context.designs["mu"].spec.transform_state for r in (a, b))
    for key, state in sa.items():
        assert sb[key]["knots"] == state["knots"]
        if isinstance(state.get("constraints"), np.ndarray):
            _assert_centring(sb[key], state, df.dropna(subset=["x", "w"]).x.to_numpy())


def _assert_centring(got: dict, formulaic_state: dict, x: np.ndarray) -> None:
    """The centring constraint (column means of the unconstrained basis) against exact
    means (math.fsum over the in-memory basis, formulaic's own function), to 1e-14
    relative; formulaic's own state adds the columns row by row (numpy's mean over
    axis 0 of a row-major matrix), with an error up to about n eps (2e-12 here), so it
    is held to that bound, not to 1e-13."""
    import math

    from formulaic.transforms.cubic_spline import _get_free_cubic_spline_matrix
    m = _get_free_cubic_spline_matrix(x.copy(), np.array(got["knots"]),
                                      cyclic=got["cyclic"])
    exact = np.array([[math.fsum(c) / len(x) for c in m.T]])
    np.testing.assert_allclose(got["constraints"], exact, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(formulaic_state["constraints"], exact,
                               rtol=len(x) * np.finfo(float).eps, atol=1e-16)


class _CountingDask:
    """dask, with its ``compute`` calls (passes over the partitions) counted."""

    def __init__(self):
        import dask
        self.dask, self.computes = dask, 0

    def compute(self, *args, **kw):
        self.computes += 1
        return self.dask.compute(*args, **kw)

    def persist(self, *args, **kw):
        self.computes += 1
        return self.dask.persist(*args, **kw)

    def __getattr__(self, name):
        return getattr(self.dask, name)


@pytest.mark.parametrize("term, passes", [
    ("bs(x, df=6)", 3),         # count/min/max; histogram; the bins' values
    ("bs(x, knots=[0])", 1),    # min/max only
    ("cr(x, df=5)", 5),         # min/max; drop_duplicates; count; histogram; values
    ("cr(x, df=5, constraints='center')", 6),   # and the basis' column sums
    ("poly(x, 3)", 4),          # count/sum; one per degree
])
def test_state_passes_and_formulaic_state(term, passes):
    """whole_data_state on 9 partitions (one empty) against formulaic's state on the
    concatenated column, with the number of passes each transform costs."""
    from formulaic import model_matrix

    from mlefit.transform_passes import stateful_calls, whole_data_state
    rng = np.random.default_rng(9)
    x = np.sort(rng.gamma(2.0, size=5000)) - 2
    pieces = [*np.array_split(x, 8), np.empty(0)]
    counting = _CountingDask()
    values = [counting.delayed(p.reshape(-1, 1)) for p in pieces]
    want = model_matrix(term, pd.DataFrame({"x": x})).model_spec.transform_state
    got = whole_data_state(stateful_calls(want, "mu"), values, counting)
    assert counting.computes == passes
    for name, value in want[term].items():
        if name == "knots":
            assert got[term][name] == value
        elif value is not None and not isinstance(value, bool):
            v = list(value.values()) if isinstance(value, dict) else value
            g = [got[term][name][k] for k in value] if isinstance(value, dict) else \
                got[term][name]
            np.testing.assert_allclose(g, v, rtol=1e-13, atol=1e-15)
        else:
            assert got[term][name] == value
