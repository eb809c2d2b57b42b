"""Censored and truncated responses on Dask frames (mlefit.partitioned_response, issues 16
and 17): every Surv form, censoring= and truncation= fitted on partitions, missing
values, the event coding read from all rows, comparisons, predictions, refusals.

Oracle: the in-memory fit of the same data (each coefficient within 1e-10 x (|estimate|
+ SE), the log-likelihood 1e-10 relative, the SEs 1e-8 relative: the partitioned kernel
adds the same per-row terms in another order, so agreement is to rounding, far inside
these bounds). The in-memory censored fits themselves are checked against lifelines,
statsmodels' truncated count models, scipy and published survreg/tobit output in
tests/censoring/.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import special

import mlefit
from mlefit import datasets
from mlefit.errors import ComparisonError, DataError

dd = pytest.importorskip("dask.dataframe")

from test_dask import assert_same as assert_same_fit  # noqa: E402  (tests/ is on the path)

ROSSI = "Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio"


def assert_same(a, b, coef=1e-10, se=1e-8):
    """tests/test_dask.py's bounds, and the same response, censoring and drops."""
    assert_same_fit(a, b, coef, se)
    assert a.dropped_by == b.dropped_by
    assert a.diagnostics.derivatives == b.diagnostics.derivatives
    assert a._context.response == b._context.response
    assert a._context.truncation == b._context.truncation
    assert (a._context.censoring is None) == (b._context.censoring is None)
    if a._context.censoring is not None:
        assert a._context.censoring[0] == b._context.censoring[0]


@pytest.fixture(scope="module")
def rossi():
    return datasets.load_rossi()


def _weibull(n=600, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = np.exp(1.0 + 0.5 * x) * rng.weibull(1.5, n)
    c = rng.exponential(2.5, n)
    df = pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "x": x,
                       "t_true": t})
    # inspection every 0.5: the interval holding the true time; none after 4 (right)
    lo = np.floor(t / 0.5) * 0.5
    df["lo"] = np.where(lo >= 4, 4.0, lo)
    df["hi"] = np.where(lo >= 4, np.nan, lo + 0.5)
    df.loc[df.index % 9 == 0, "lo"] = np.nan          # left-censored at hi
    df.loc[df.index % 13 == 0, ["lo", "hi"]] = df.loc[df.index % 13 == 0, ["t_true"] * 2
                                                      ].to_numpy()   # exact
    df["start"] = df["time"] * rng.uniform(0, 0.6, n)
    return df


@pytest.fixture(scope="module")
def surv():
    return _weibull()


@pytest.fixture(scope="module")
def tobit():
    rng = np.random.default_rng(17)
    n = 800
    x = rng.normal(size=n)
    y = 0.3 + x + rng.normal(size=n) * np.exp(0.2 * x)
    return pd.DataFrame({"y": y, "x": x, "w": rng.integers(1, 4, n).astype(float),
                         "lo": rng.uniform(-2.5, -1.5, n)}).assign(
        y_t=lambda d: np.where(d.y > d.lo, d.y, np.nan))


@pytest.fixture(scope="module")
def counts():
    rng = np.random.default_rng(29)
    n = 1500
    x = rng.normal(size=n)
    y = rng.poisson(np.exp(0.2 + 0.6 * x))
    return pd.DataFrame({"y": y, "x": x})[y > 0].reset_index(drop=True)


# ---------------------------------------------------------------------------------------
# exactness against the in-memory fit


def test_weibull_aft_on_rossi(rossi):
    a = mlefit.fit(ROSSI, rossi, family="weibull")
    b = mlefit.fit(ROSSI, dd.from_pandas(rossi, npartitions=5), family="weibull")
    assert_same(a, b)
    assert b._context.response == ("Surv(week, arrest)",)
    assert a.diagnostics.derivatives == "analytic"
    # rebuilt from the source in every pass; formulas checked against the whitelist
    c = mlefit.fit(ROSSI, dd.from_pandas(rossi, npartitions=3), family="weibull",
                   persist=False, safe_formulas=True)
    assert_same(a, c)


def test_stateful_transform_with_missing_surv_values_is_refused(surv):
    """center(x)'s mean would include the rows a missing Surv value drops (the in-memory
    mean leaves them out): refused, with the fix."""
    df = surv.copy()
    df.loc[[3, 70], "time"] = np.nan
    with pytest.raises(DataError, match="drop those rows from the frame first"):
        mlefit.fit("Surv(time, event) ~ center(x)", dd.from_pandas(df, npartitions=3),
                   family="weibull")
    a = mlefit.fit("Surv(time, event) ~ center(x)", surv, family="weibull")
    b = mlefit.fit("Surv(time, event) ~ center(x)", dd.from_pandas(surv, npartitions=3),
                   family="weibull")
    assert_same(a, b)


@pytest.mark.parametrize("formula", [
    "Surv(lo, hi, type='interval2') ~ x",
    "Surv(time, event, type='left') ~ x",
    "Surv(start, time, event) ~ x",          # counting form: delayed entry
])
def test_surv_forms(surv, formula):
    a = mlefit.fit(formula, surv, family="weibull", shape="~ x")
    b = mlefit.fit(formula, dd.from_pandas(surv, npartitions=4), family="weibull",
                   shape="~ x")
    assert_same(a, b)


def test_three_argument_interval_form(surv):
    df = surv.assign(code=np.select([surv.lo.isna(), surv.hi.isna(), surv.lo == surv.hi],
                                    [2, 0, 1], 3),
                     t1=surv.lo.fillna(surv.hi), t2=surv.hi)
    formula = "Surv(t1, t2, code, type='interval') ~ x"
    a = mlefit.fit(formula, df, family="lognormal")
    b = mlefit.fit(formula, dd.from_pandas(df, npartitions=3), family="lognormal")
    assert_same(a, b)


def test_tobit_with_weights_and_a_sigma_formula(tobit):
    for limits in ((0, None), (-0.5, 1.5)):
        a = mlefit.fit("y ~ x", tobit, family="gaussian", sigma="~ x", weights="w",
                       censoring=limits)
        b = mlefit.fit("y ~ x", dd.from_pandas(tobit, npartitions=4), family="gaussian",
                       sigma="~ x", weights="w", censoring=limits)
        assert_same(a, b)


def test_tobit_skips_the_dispersion_shortcuts(tobit):
    """An intercept-only sigma beside the mean: in memory the censored fit is joint
    Newton (no profiled dispersion, no least-squares step) and reports no GLM
    dispersion; the Dask fit the same."""
    a = mlefit.fit("y ~ x", tobit, family="gaussian", censoring=(0, None))
    b = mlefit.fit("y ~ x", dd.from_pandas(tobit, npartitions=4), family="gaussian",
                   censoring=(0, None))
    assert_same(a, b)
    assert b._context.source.objective.limits.count == int((tobit.y <= 0).sum())
    assert a.dispersion == b.dispersion
    assert b.glm is None
    with pytest.raises(DataError, match="censored or truncated"):
        b.deviance   # noqa: B018


def test_truncation_by_number_and_column(tobit, counts):
    a = mlefit.fit("y ~ x", counts, family="poisson", truncation=(1, None))
    b = mlefit.fit("y ~ x", dd.from_pandas(counts, npartitions=4), family="poisson",
                   truncation=(1, None))
    assert_same(a, b)
    nb_a = mlefit.fit("y ~ x", counts, family="negative_binomial", truncation=(1, None))
    nb_b = mlefit.fit("y ~ x", dd.from_pandas(counts, npartitions=3),
                      family="negative_binomial", truncation=(1, None))
    # the truncated negative binomial has numeric derivatives (no d2logcdf): its
    # information is a finite difference whose steps come from a pilot pass, whose sums
    # add in another order over partitions; the difference quotient amplifies that last-
    # bit difference to 2.3e-8 in the SE of log(theta) (theta = 20, weakly identified).
    # The estimates and llf still agree to 1e-10.
    assert nb_b.diagnostics.derivatives == "numeric"
    assert_same(nb_a, nb_b, se=1e-7)
    kept = tobit.dropna(subset=["y_t"])
    a = mlefit.fit("y_t ~ x", kept, family="gaussian", truncation=("lo", None))
    b = mlefit.fit("y_t ~ x", dd.from_pandas(kept, npartitions=4), family="gaussian",
                   truncation=("lo", None))
    assert_same(a, b)


def test_missing_values_in_surv_and_truncation_columns(surv, tobit):
    df = surv.copy()
    df.loc[[3, 70, 300], "time"] = np.nan
    df.loc[[5, 301], "event"] = np.nan
    df.loc[[8, 9], "x"] = np.nan
    a = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    b = mlefit.fit("Surv(time, event) ~ x", dd.from_pandas(df, npartitions=4),
                   family="weibull")
    assert_same(a, b)
    assert b.dropped_by == {"Surv(time, event)": 5, "x": 2}
    kept = tobit.dropna(subset=["y_t"]).reset_index(drop=True)
    kept.loc[[4, 200], "lo"] = np.nan
    a = mlefit.fit("y_t ~ x", kept, family="gaussian", truncation=("lo", None))
    b = mlefit.fit("y_t ~ x", dd.from_pandas(kept, npartitions=3), family="gaussian",
                   truncation=("lo", None))
    assert_same(a, b)
    assert b.dropped_by == {"truncation lower": 2}
    with pytest.raises(DataError, match="missing='drop'"):
        mlefit.fit("Surv(time, event) ~ x", dd.from_pandas(df, npartitions=4),
                   family="weibull", missing="raise")


def test_r_event_coding_is_read_from_all_rows(surv):
    """R's 1/2 coding (1 censored, 2 observed) with the censored rows first: the first
    partitions hold only 1s, which read alone would be 0/1 coding (all observed)."""
    df = surv.assign(status=surv.event + 1).sort_values("status").reset_index(drop=True)
    base = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    a = mlefit.fit("Surv(time, status) ~ x", df, family="weibull")
    ddf = dd.from_pandas(df, npartitions=3)
    b = mlefit.fit("Surv(time, status) ~ x", ddf, family="weibull")
    assert ddf.get_partition(0).status.max().compute() == 1
    assert_same(a, b)
    assert b.llf == pytest.approx(base.llf, rel=1e-12)


def test_response_scale_moves_the_limits(surv):
    big = surv.assign(time=surv.time * 2.0**40)
    a = mlefit.fit("Surv(time, event) ~ x", big, family="weibull")
    b = mlefit.fit("Surv(time, event) ~ x", dd.from_pandas(big, npartitions=4),
                   family="weibull")
    assert a._context.objective.response is not None
    assert b._context.source.objective.response.exponent == \
        a._context.objective.response.exponent
    assert_same(a, b)


def test_numeric_derivatives_for_a_cdf_only_family(tobit):
    from test_censoring_response import _CdfOnly  # this directory is on the path

    a = mlefit.fit("y ~ x", tobit, family=_CdfOnly(), censoring=(0, 2.0))
    b = mlefit.fit("y ~ x", dd.from_pandas(tobit, npartitions=3), family=_CdfOnly(),
                   censoring=(0, 2.0))
    assert b.diagnostics.derivatives == "numeric"
    # numeric derivatives: the same maximum (1e-10); the information is a finite
    # difference whose steps a pilot pass sets at the first point evaluated, and the
    # Dask fit starts elsewhere (from its first partition): steps 1.45 and 1.94 against
    # 0.81 and 0.95 in memory, so the SEs agree to 1.8e-8, not 1e-8 (the numeric SEs
    # themselves are within 1e-5 of the analytic ones: test_censoring_response.py)
    assert_same(a, b, se=1e-7)


# ---------------------------------------------------------------------------------------
# worker processes: the plans, limits and families pickle


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as c:
        yield c


def test_local_cluster_with_worker_processes(client, rossi, counts, tobit, surv):
    assert_same(mlefit.fit(ROSSI, rossi, family="weibull"),
                mlefit.fit(ROSSI, dd.from_pandas(rossi, npartitions=4), family="weibull"))
    assert_same(mlefit.fit("y ~ x", counts, "poisson", truncation=(1, None)),
                mlefit.fit("y ~ x", dd.from_pandas(counts, npartitions=4), "poisson",
                           truncation=(1, None)))
    assert_same(mlefit.fit("y ~ x", tobit, "gaussian", censoring=(0, None)),
                mlefit.fit("y ~ x", dd.from_pandas(tobit, npartitions=4), "gaussian",
                           censoring=(0, None)))
    formula = "Surv(start, time, event) ~ x"
    a = mlefit.fit(formula, surv, "weibull")
    b = mlefit.fit(formula, dd.from_pandas(surv, npartitions=4), "weibull")
    assert_same(a, b)
    np.testing.assert_allclose(b.resid("cox-snell").compute().to_numpy(),
                               a.resid("cox-snell").to_numpy(), rtol=1e-9)


# ---------------------------------------------------------------------------------------
# comparisons


def test_lrtest_and_compare_of_censored_dask_fits(rossi):
    ddf = dd.from_pandas(rossi, npartitions=4)
    small_f = "Surv(week, arrest) ~ fin + age + prio"
    mem = mlefit.lrtest(mlefit.fit(small_f, rossi, "weibull"),
                        mlefit.fit(ROSSI, rossi, "weibull"))
    small, big = mlefit.fit(small_f, ddf, "weibull"), mlefit.fit(ROSSI, ddf, "weibull")
    lazy = mlefit.lrtest(small, big)
    assert lazy.statistic == pytest.approx(mem.statistic, rel=1e-9)
    assert lazy.df == mem.df
    table = mlefit.compare(small, big)
    assert len(table) == 2
    # the same rows and response, censored another way: the signatures differ
    left = mlefit.fit("Surv(week, arrest, type='left') ~ fin + age + prio", ddf, "weibull")
    with pytest.raises(ComparisonError, match="differ in how the response is censored"):
        mlefit.lrtest(left, big)
    exact = mlefit.fit("week ~ fin + age + prio", ddf, "weibull")
    with pytest.raises(ComparisonError, match="model 1: exact"):
        mlefit.lrtest(exact, big)


def test_signature_is_a_digest_of_the_rows(rossi):
    a = mlefit.fit(ROSSI, dd.from_pandas(rossi, npartitions=3), "weibull")
    b = mlefit.fit(ROSSI, dd.from_pandas(rossi, npartitions=3), "weibull")
    assert a._context.censoring == b._context.censoring
    flipped = rossi.arrest.where(rossi.index >= 10, 1 - rossi.arrest)
    c = mlefit.fit(ROSSI, dd.from_pandas(rossi.assign(arrest=flipped), npartitions=3),
                   "weibull")
    assert c._context.censoring != a._context.censoring


# ---------------------------------------------------------------------------------------
# predictions and residuals


def test_predictions_are_lazy_and_equal(rossi, counts):
    a = mlefit.fit(ROSSI, rossi, family="weibull")
    b = mlefit.fit(ROSSI, dd.from_pandas(rossi, npartitions=4), family="weibull")
    for which in ("mean", "link", "shape"):
        got = b.predict(which=which)
        assert isinstance(got, dd.Series)
        np.testing.assert_allclose(got.compute().to_numpy(), a.predict(which=which).to_numpy(),
                                   rtol=1e-10)
    ci = b.predict(interval="confidence").compute()
    np.testing.assert_allclose(ci.to_numpy(), a.predict(interval="confidence").to_numpy(),
                               rtol=1e-9)
    # the predictive distribution: refused lazily, in memory on a pandas newdata
    with pytest.raises(DataError, match="not available lazily"):
        b.predict(which="median")
    with pytest.raises(DataError, match="not available lazily"):
        b.predict(which="survival", times=[10, 20])
    new = rossi.head(7)
    pd.testing.assert_frame_equal(b.predict(new, which="survival", times=[10, 20]),
                                  a.predict(new, which="survival", times=[10, 20]),
                                  rtol=1e-9)
    # a truncated fit's mean is the conditional one, as in memory
    za = mlefit.fit("y ~ x", counts, family="poisson", truncation=(1, None))
    zb = mlefit.fit("y ~ x", dd.from_pandas(counts, npartitions=4), family="poisson",
                    truncation=(1, None))
    np.testing.assert_allclose(zb.predict().compute().to_numpy(), za.predict().to_numpy(),
                               rtol=1e-9)
    np.testing.assert_allclose(zb.predict(which="mean_untruncated").compute().to_numpy(),
                               za.predict(which="mean_untruncated").to_numpy(), rtol=1e-9)


def test_residuals(rossi):
    a = mlefit.fit(ROSSI, rossi, family="weibull")
    b = mlefit.fit(ROSSI, dd.from_pandas(rossi, npartitions=4), family="weibull")
    cs = b.resid("cox-snell").compute()
    np.testing.assert_allclose(cs.to_numpy(), a.resid("cox-snell").to_numpy(), rtol=1e-9)
    # quantile residuals: an event row's is Phi^-1(F(t)), as in memory; a censored row's
    # a draw (per partition) above that value, the censored rows' F(t)
    q = b.resid("quantile", seed=5).compute().to_numpy()
    at_t = special.ndtri(-np.expm1(-cs.to_numpy()))
    event = rossi.arrest.to_numpy() == 1
    np.testing.assert_allclose(q[event], a.resid("quantile", seed=5).to_numpy()[event],
                               rtol=1e-9)
    assert np.all(q[~event] >= at_t[~event] - 1e-12)
    with pytest.raises(DataError, match="censored"):
        b.resid("response").compute()


# ---------------------------------------------------------------------------------------
# refusals


def test_refusals(surv, tobit):
    ddf = dd.from_pandas(surv, npartitions=2)
    with pytest.raises(DataError, match=r"(?s)truncation lower limit as values.*column"):
        mlefit.fit("x ~ 1", ddf, family="gaussian",
                   truncation=(np.full(len(surv), -5.0), None))
    with pytest.raises(DataError, match="not a column"):
        mlefit.fit("x ~ 1", ddf, family="gaussian", truncation=("nope", None))
    with pytest.raises(DataError, match="cov_type='expected'"):
        mlefit.fit("Surv(time, event) ~ x", ddf, "weibull", cov_type="expected")
    with pytest.raises(DataError, match="HC3"):
        mlefit.fit("Surv(time, event) ~ x", ddf, "weibull", cov_type="HC3")
    with pytest.raises(DataError, match="convention='R'"):
        mlefit.fit("y ~ x", dd.from_pandas(tobit, npartitions=2), "gaussian",
                   censoring=(0, None), convention="R")
    with pytest.raises(DataError, match="must be a pair"):
        mlefit.fit("y ~ x", dd.from_pandas(tobit, npartitions=2), "gaussian", censoring=0)
    with pytest.raises(DataError, match="not one of"):
        mlefit.fit("Surv(time, event, type='both') ~ x", ddf, "weibull")
    with pytest.raises(DataError, match="event indicator"):
        mlefit.fit("Surv(time, x) ~ 1", ddf, "weibull")
    with pytest.raises(DataError, match="code the limits into the Surv"):
        mlefit.fit("Surv(time, event) ~ x", ddf, "weibull", censoring=(None, 3))
    from test_censoring_response import _NoCdf

    with pytest.raises(DataError, match=r"'nocdf_normal'.*no cdf"):
        mlefit.fit("y ~ x", dd.from_pandas(tobit, npartitions=2), family=_NoCdf(),
                   censoring=(0, None))
    # cluster-robust covariance works on censored Dask fits
    df = surv.assign(cl=np.arange(len(surv)) % 40)
    a = mlefit.fit("Surv(time, event) ~ x", df, "weibull", cov_type="cluster", groups="cl")
    b = mlefit.fit("Surv(time, event) ~ x", dd.from_pandas(df, npartitions=3), "weibull",
                   cov_type="cluster", groups="cl")
    assert_same(a, b)


def test_summary(rossi):
    f = "Surv(week, arrest) ~ fin + prio"
    a = mlefit.fit(f, rossi, family="weibull")
    b = mlefit.fit(f, dd.from_pandas(rossi, npartitions=3), family="weibull")
    line = "Censored or truncated response: Surv(type='right') (114 exact, 318 right-censored)"
    assert line in a.summary().splitlines() and line in b.summary().splitlines()


@pytest.mark.slow
def test_profile_intervals(rossi):
    from mlefit.errors import PassesWarning

    f = "Surv(week, arrest) ~ fin + prio"
    a = mlefit.fit(f, rossi, family="weibull")
    b = mlefit.fit(f, dd.from_pandas(rossi, npartitions=3), family="weibull")
    with pytest.warns(PassesWarning):
        prof = b.conf_int(method="profile")
    # each profile point is a refit over the partitions with the column held in the
    # offset: the in-memory profile to rounding
    np.testing.assert_allclose(prof.to_numpy(), a.conf_int(method="profile").to_numpy(),
                               rtol=1e-9)


def test_simulating_a_censored_dask_fit_is_refused(rossi):
    # the partitions' rows do not carry the censoring times a censored draw needs
    b = mlefit.fit(ROSSI, dd.from_pandas(rossi, npartitions=3), family="weibull")
    with pytest.raises(DataError, match="censored or truncated fit is not available lazily"):
        b.simulate(1, seed=1)
