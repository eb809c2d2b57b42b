"""The censored response side: Surv's forms, censoring=, truncation=, fit_arrays, safe
formulas, missing values, refusals, and the same likelihood however it is written.

Oracles: the likelihood written directly with scipy.stats (each row's density or
probability), and the equivalences between the forms (a Surv form and the same rows in
another form give the same fit).
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlefit
from mlefit import Family, Parameter
from mlefit.domains import Positive, Real
from mlefit.errors import ComparisonError, DataError


def _weibull_data(n=300, seed=1, censor=0.3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    t = np.exp(1.0 + 0.5 * x) * rng.weibull(1.5, n)
    c = rng.exponential(np.quantile(t, 0.5) / censor * 0.5, n)
    return pd.DataFrame({"time": np.minimum(t, c), "event": (t <= c).astype(int), "x": x})


def _weibull_loglik(df, beta, shape, kind):
    mu = np.exp(beta[0] + beta[1] * df["x"].to_numpy())
    d = stats.weibull_min(shape, scale=mu)
    t, e = df["time"].to_numpy(), df["event"].to_numpy() == 1
    censored = d.logsf(t) if kind == "right" else d.logcdf(t)
    return float(np.sum(np.where(e, d.logpdf(t), censored)))


def _coef(res):
    return res.params["mu"].to_numpy(), float(np.exp(res.params["shape"].iloc[0]))


@pytest.mark.parametrize("kind", ["right", "left"])
def test_surv_right_and_left_match_scipy_likelihood(kind):
    df = _weibull_data()
    formula = ("Surv(time, event) ~ x" if kind == "right"
               else "Surv(time, event, type='left') ~ x")
    res = mlefit.fit(formula, df, family="weibull")
    assert res.llf == pytest.approx(_weibull_loglik(df, *_coef(res), kind), rel=1e-12)
    assert res.diagnostics.converged


def test_event_codings_agree():
    df = _weibull_data()
    base = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    df["status"] = df["event"] + 1            # R's 1 = censored, 2 = event
    df["flag"] = df["event"] == 1             # booleans
    for formula in ("Surv(time, status) ~ x", "Surv(time, flag) ~ x",
                    "Surv(time, status == 2) ~ x"):
        res = mlefit.fit(formula, df, family="weibull")
        np.testing.assert_allclose(res.params, base.params, rtol=1e-12)


def test_interval_forms_agree_and_match_scipy():
    df = _weibull_data()
    e = df["event"].to_numpy() == 1
    t = df["time"].to_numpy()
    # interval2: NaN upper = right-censored; equal ends = exact
    df["lo"], df["hi"] = t, np.where(e, t, np.nan)
    right = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    i2 = mlefit.fit("Surv(lo, hi, type='interval2') ~ x", df, family="weibull")
    np.testing.assert_allclose(i2.params, right.params, rtol=1e-12)
    # four-argument interval form with codes: 0 right, 1 exact, 2 left, 3 interval
    rng = np.random.default_rng(0)
    code = np.where(e, 1, 0)
    code[rng.random(t.size) < 0.15] = 3
    code[rng.random(t.size) < 0.1] = 2
    df["code"], df["t2"] = code, t * 1.5
    res = mlefit.fit("Surv(time, t2, code, type='interval') ~ x", df, family="weibull")
    beta, shape = _coef(res)
    d = stats.weibull_min(shape, scale=np.exp(beta[0] + beta[1] * df["x"].to_numpy()))
    own = np.choose(code, [d.logsf(t), d.logpdf(t), d.logcdf(t),
                           np.log(d.cdf(1.5 * t) - d.cdf(t))])
    assert res.llf == pytest.approx(np.sum(own), rel=1e-12)
    # the same rows as interval2: left-censored = NaN lower, interval = both ends
    df["lo2"] = np.where(code == 2, np.nan, t)
    df["hi2"] = np.choose(code, [np.nan * t, t, t, 1.5 * t])
    same = mlefit.fit("Surv(lo2, hi2, type='interval2') ~ x", df, family="weibull")
    np.testing.assert_allclose(same.params, res.params, rtol=1e-10)


def test_counting_form_is_left_truncation():
    df = _weibull_data()
    df["start"] = df["time"] * 0.3
    res = mlefit.fit("Surv(start, time, event) ~ x", df, family="weibull")
    beta, shape = _coef(res)
    d = stats.weibull_min(shape, scale=np.exp(beta[0] + beta[1] * df["x"].to_numpy()))
    t, e = df["time"].to_numpy(), df["event"].to_numpy() == 1
    own = np.where(e, d.logpdf(t), d.logsf(t)) - d.logsf(df["start"].to_numpy())
    assert res.llf == pytest.approx(np.sum(own), rel=1e-12)


def test_truncation_by_column_names_and_per_parameter_formulas():
    rng = np.random.default_rng(7)
    n = 1500
    x = rng.normal(size=n)
    y = 1.0 + x + rng.normal(scale=np.exp(0.2 * x))
    lo = rng.uniform(-1, 0.5, n)
    df = pd.DataFrame({"y": y, "x": x, "lo": lo})[y > lo]
    res = mlefit.fit("y ~ x", df, family="gaussian", sigma="~ x", truncation=("lo", None))
    m = res.params["mu"]["Intercept"] + res.params["mu"]["x"] * df["x"]
    s = np.exp(res.params["sigma"]["Intercept"] + res.params["sigma"]["x"] * df["x"])
    own = stats.norm.logpdf(df["y"], m, s) - stats.norm.logsf(df["lo"], m, s)
    assert res.llf == pytest.approx(float(np.sum(own)), rel=1e-12)
    assert abs(res.params["sigma"]["x"] - 0.2) < 4 * res.bse["sigma"]["x"]


def test_weights_offsets_fixed_and_fit_arrays_agree():
    df = _weibull_data()
    df["w"] = np.arange(len(df)) % 3
    df["off"] = 0.1 * df["x"]
    res = mlefit.fit("Surv(time, event) ~ x", df, family="weibull", weights="w",
                     offset="off", fixed={"shape": 1.4})
    X = np.column_stack([np.ones(len(df)), df["x"]])
    arr = mlefit.fit_arrays(mlefit.Surv(df["time"], df["event"]), X, family="weibull",
                            weights=df["w"].to_numpy(), offset=df["off"].to_numpy(),
                            fixed={"shape": 1.4})
    np.testing.assert_allclose(arr.params.to_numpy(), res.params.to_numpy(), rtol=1e-12)
    mu = np.exp(X @ res.params["mu"].to_numpy() + df["off"].to_numpy())
    d = stats.weibull_min(1.4, scale=mu)
    own = np.where(df["event"] == 1, d.logpdf(df["time"]), d.logsf(df["time"]))
    assert res.llf == pytest.approx(float(np.sum(df["w"] * own)), rel=1e-12)


def test_fit_arrays_censoring_and_truncation():
    rng = np.random.default_rng(4)
    x = rng.normal(size=400)
    y = np.clip(0.5 + x + rng.normal(size=400), 0.0, None)
    X = np.column_stack([np.ones(400), x])
    res = mlefit.fit_arrays(y, X, family="gaussian", censoring=(0.0, None))
    df = pd.DataFrame({"y": y, "x": x})
    np.testing.assert_allclose(res.params.to_numpy(),
                               mlefit.fit("y ~ x", df, censoring=(0, None)).params.to_numpy(),
                               rtol=1e-12)
    pos = y > 0
    tr = mlefit.fit_arrays(y[pos], X[pos], family="gaussian", truncation=(0.0, None))
    assert tr.llf == pytest.approx(mlefit.fit("y ~ x", df[pos], truncation=(0, None)).llf,
                                   rel=1e-13)


def test_missing_values_in_surv_columns_are_dropped():
    df = _weibull_data()
    base = mlefit.fit("Surv(time, event) ~ x", df.iloc[5:], family="weibull")
    df.loc[:1, "time"] = np.nan
    df["event"] = df["event"].astype(float)
    df.loc[2:4, "event"] = np.nan
    res = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    assert res.n_dropped == 5
    assert res.dropped_by == {"Surv(time, event)": 5}
    np.testing.assert_allclose(res.params, base.params, rtol=1e-12)
    with pytest.raises(DataError, match="missing"):
        mlefit.fit("Surv(time, event) ~ x", df, family="weibull", missing="raise")


def test_interval2_both_ends_missing_is_dropped():
    df = pd.DataFrame({"lo": [1.0, np.nan, 2.0, np.nan, 0.5, 3.0, 1.2],
                       "hi": [2.0, 1.0, np.nan, np.nan, 0.5, 4.0, 1.9]})
    res = mlefit.fit("Surv(lo, hi, type='interval2') ~ 1", df, family="weibull")
    assert res.n_dropped == 1


def test_safe_formulas_accept_surv():
    df = _weibull_data()
    res = mlefit.fit("Surv(time, event == 1) ~ x", df, family="weibull", safe_formulas=True)
    assert res.diagnostics.converged
    # code inside Surv(...) is refused: tests/adversarial/test_formula_injection.py


def test_refusals():
    df = _weibull_data()
    with pytest.raises(DataError, match="cov_type='expected'"):
        mlefit.fit("Surv(time, event) ~ x", df, family="weibull", cov_type="expected")
    with pytest.raises(DataError, match="cov_type='HC3'"):
        mlefit.fit("Surv(time, event) ~ x", df, family="weibull", cov_type="HC3")
    g = pd.DataFrame({"y": np.r_[0, 0, 1.5, 2.0, 3.1, 0.2], "x": np.arange(6.0)})
    with pytest.raises(DataError, match="convention='R'"):
        mlefit.fit("y ~ x", g, family="gaussian", censoring=(0, None), convention="R")
    tob = mlefit.fit("y ~ x", g, family="gaussian", censoring=(0, None))
    with pytest.raises(DataError, match="censored or truncated"):
        tob.deviance   # noqa: B018
    with pytest.raises(DataError, match="censored or truncated"):
        tob.resid("pearson")
    with pytest.raises(DataError, match="event indicator"):
        mlefit.fit("Surv(time, x) ~ 1", df, family="weibull")
    with pytest.raises(DataError, match="type="):
        mlefit.fit("Surv(time, event, type='both') ~ x", df, family="weibull")
    with pytest.raises(DataError, match="lower > upper"):
        mlefit.Surv([2.0], [1.0], type="interval2")
    with pytest.raises(DataError, match="start >= stop"):
        mlefit.Surv([2.0], [1.0], [1], type="counting")
    with pytest.raises(DataError, match="outside their truncation range"):
        mlefit.fit("y ~ x", g, family="gaussian", truncation=(0.1, None))
    with pytest.raises(DataError, match="pair"):
        mlefit.fit("y ~ x", g, family="gaussian", censoring=0)
    with pytest.raises(DataError, match="Surv"):
        mlefit.fit("Surv(time, event) ~ x", df, family="weibull", censoring=(None, 3))


class _NoCdf(Family):
    name = "nocdf_normal"
    support = Real()
    parameters = (Parameter("mu", Real()), Parameter("sigma", Positive(), links=("log",)))

    def logpdf(self, y, mu, sigma):
        return stats.norm.logpdf(y, mu, sigma)


class _CdfOnly(_NoCdf):
    """A third-party family with only logpdf and cdf."""

    name = "cdfonly_normal"

    def cdf(self, y, mu, sigma):
        return stats.norm.cdf(y, mu, sigma)


def test_family_without_cdf_is_refused_naming_it():
    g = pd.DataFrame({"y": np.r_[0, 0, 1.5, 2.0, 3.1, 0.2], "x": np.arange(6.0)})
    with pytest.raises(DataError, match=r"'nocdf_normal'.*no cdf"):
        mlefit.fit("y ~ x", g, family=_NoCdf(), censoring=(0, None))


def test_cdf_only_family_fits_censored_data_like_the_builtin():
    rng = np.random.default_rng(8)
    x = rng.normal(size=300)
    df = pd.DataFrame({"y": np.clip(0.3 + x + rng.normal(size=300), 0, 2.0), "x": x})
    ours = mlefit.fit("y ~ x", df, family=_CdfOnly(), censoring=(0, 2.0))
    builtin = mlefit.fit("y ~ x", df, family="gaussian", censoring=(0, 2.0))
    assert ours.diagnostics.derivatives == "numeric"
    assert builtin.diagnostics.derivatives == "analytic"
    # numeric derivatives on the linear-predictor scale: Newton converges to the same
    # maximum (1e-8), the covariance from central differences to ~1e-6
    np.testing.assert_allclose(ours.params.to_numpy(), builtin.params.to_numpy(), rtol=1e-7)
    np.testing.assert_allclose(ours.bse.to_numpy(), builtin.bse.to_numpy(), rtol=1e-5)
    assert ours.llf == pytest.approx(builtin.llf, rel=1e-12)


def test_analytic_and_numeric_derivatives_agree_on_censored_rows():
    df = _weibull_data()
    res = mlefit.fit("Surv(start, time, event) ~ x", df.assign(start=df["time"] / 4),
                     family="weibull", shape="~ x")
    obj = res._context.objective
    beta = res._context.coef_ml + 0.05
    from mlefit.engine import Objective, Want
    numeric = Objective(obj.family, obj.y, obj.blocks, obj.weights, "numeric",
                        limits=obj.limits)
    a = obj.evaluate(beta, Want(gradient=True, information="observed"))
    n = numeric.evaluate(beta, Want(gradient=True, information="observed", accurate=True))
    assert a.llf == pytest.approx(n.llf, rel=1e-14)
    np.testing.assert_allclose(a.gradient, n.gradient, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(a.information, n.information, rtol=1e-5, atol=1e-5)


def test_response_scale_moves_the_limits():
    # times in units 2^40 larger: the same fit with log(mu) shifted by 40 log 2, and the
    # log-likelihood by -events * 40 log 2 (the Jacobian of exact rows only)
    df = _weibull_data()
    big = df.assign(time=df["time"] * 2.0**40)
    a = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    b = mlefit.fit("Surv(time, event) ~ x", big, family="weibull")
    assert b._context.objective.response is not None
    assert b.params["mu"]["Intercept"] == pytest.approx(
        a.params["mu"]["Intercept"] + 40 * np.log(2), rel=1e-12)
    np.testing.assert_allclose(b.params.iloc[1:], a.params.iloc[1:], rtol=1e-9, atol=1e-12)
    assert b.llf == pytest.approx(a.llf - df["event"].sum() * 40 * np.log(2), rel=1e-12)


def test_kernel_sums_add_over_blocks():
    df = _weibull_data(n=500)
    res = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    obj = res._context.objective
    from mlefit.engine import Want
    whole = obj.evaluate(res._context.coef_ml, Want(gradient=True, information="observed"))
    obj.block = 37
    parts = obj.evaluate(res._context.coef_ml, Want(gradient=True, information="observed"))
    assert parts.llf == pytest.approx(whole.llf, rel=1e-13)
    np.testing.assert_allclose(parts.information, whole.information, rtol=1e-12)


def test_lrtest_and_compare_need_the_same_censoring():
    df = _weibull_data()
    small = mlefit.fit("Surv(time, event) ~ 1", df, family="weibull")
    large = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    lr = mlefit.lrtest(small, large)
    assert lr.statistic == pytest.approx(2 * (large.llf - small.llf), rel=1e-12)
    exact = mlefit.fit("time ~ x", df, family="weibull")
    with pytest.raises(ComparisonError, match="censored or truncated"):
        mlefit.lrtest(small, exact)
    with pytest.raises(ComparisonError, match="censored or truncated"):
        mlefit.compare(large, exact)
    assert large.aic == pytest.approx(-2 * large.llf + 2 * 3)


def test_profile_interval_and_sandwich_run():
    df = _weibull_data()
    res = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    prof = res.conf_int(method="profile")
    wald = res.conf_int()
    # the profile interval brackets the estimate and is close to Wald's at n = 300
    assert np.all(prof.iloc[:, 0] < res.params) and np.all(prof.iloc[:, 1] > res.params)
    np.testing.assert_allclose(prof.to_numpy(), wald.to_numpy(), atol=0.05)
    hc = mlefit.fit("Surv(time, event) ~ x", df, family="weibull", cov_type="HC0")
    assert np.all(np.isfinite(hc.bse)) and not np.allclose(hc.bse, res.bse)


def test_dask_frames_fit_as_in_memory():
    """Once refused; now fitted on partitions (tests/censoring/test_censoring_dask.py)."""
    dd = pytest.importorskip("dask.dataframe")
    df = _weibull_data()
    a = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    b = mlefit.fit("Surv(time, event) ~ x", dd.from_pandas(df, npartitions=2),
                   family="weibull")
    scale = np.abs(a.params.to_numpy()) + a.bse.to_numpy()
    assert np.all(np.abs(a.params.to_numpy() - b.params.to_numpy()) <= 1e-10 * scale)
    assert b.llf == pytest.approx(a.llf, rel=1e-10)


def test_contract_wants_the_censoring_derivatives_as_a_set():
    from mlefit.contract import validate_family
    from mlefit.errors import FamilyContractError

    class Partial(_CdfOnly):
        name = "partial_normal"

        def logcdf(self, y, mu, sigma):
            return stats.norm.logcdf(y, mu, sigma)

        def logsf(self, y, mu, sigma):
            return stats.norm.logsf(y, mu, sigma)

        def dlogcdf(self, y, mu, sigma):
            return {}

    with pytest.raises(FamilyContractError, match=r"define both of \['dlogcdf', 'dlogsf'\]"):
        validate_family(Partial(), "test")
    validate_family(_CdfOnly(), "test")

    class FirstOnly(Partial):   # the first derivatives alone: censored rows go numeric
        name = "first_only_normal"

        def dlogsf(self, y, mu, sigma):
            return {}

    validate_family(FirstOnly(), "test")

    class SecondOnly(_CdfOnly):
        name = "second_only_normal"
        logcdf, logsf = Partial.logcdf, Partial.logsf

        def d2logcdf(self, y, mu, sigma):
            return {}

        def d2logsf(self, y, mu, sigma):
            return {}

    with pytest.raises(FamilyContractError, match="define the first derivatives too"):
        validate_family(SecondOnly(), "test")


def test_a_censored_fit_travels_and_prints():
    import pickle

    df = _weibull_data()
    res = mlefit.fit("Surv(time, event) ~ x", df, family="weibull")
    back = pickle.loads(pickle.dumps(res))
    assert back.llf == res.llf
    assert "Censored or truncated response: Surv(type='right')" in res.summary()
    assert "Surv(time, event) ~ x" in str(res.summary())
    small = res.remove_data()
    assert small._context.censoring == res._context.censoring


def test_surv_elsewhere_than_the_response_is_refused():
    df = _weibull_data()
    with pytest.raises(DataError, match="left-hand side"):
        mlefit.fit("time ~ Surv(time, event)", df, family="weibull")
