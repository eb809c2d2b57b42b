"""predict(which="mean") of truncated fits: E[Y | lower <= Y <= upper].

Oracles: statsmodels' TruncatedLFPoisson / TruncatedLFNegativeBinomialP (their
predict(which="mean") is the truncated mean, "mean-main" the untruncated one), the delta
method from statsmodels' own numdiff, predict and cov_params, scipy.stats.truncnorm's mean,
scipy.integrate.quad of y f(y) (Weibull, gamma, loglogistic, deep tails in log space) and
direct sums of the pmf.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

import mlefit
from mlefit.errors import DataError
from mlefit.postestimation.truncated_mean import conditional_mean
from mlefit.registry import get_registry


def _family(name):
    return get_registry().family(name)


def _counts():
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    mu = np.exp(0.5 + 0.6 * x)
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu))
    return pd.DataFrame({"y": y, "x": x})[y > 0]


@pytest.mark.parametrize("family", ["poisson", "negative_binomial"])
def test_zero_truncated_mean_matches_statsmodels(family):
    from statsmodels.discrete.truncated_model import (
        TruncatedLFNegativeBinomialP,
        TruncatedLFPoisson,
    )
    from statsmodels.tools.numdiff import approx_fprime
    df = _counts()
    X = np.column_stack([np.ones(len(df)), df["x"]])
    model = {"poisson": TruncatedLFPoisson,
             "negative_binomial": TruncatedLFNegativeBinomialP}[family]
    with warnings.catch_warnings():    # statsmodels' convergence chatter
        warnings.simplefilter("ignore")
        first = model(df["y"].to_numpy(), X, truncation=0).fit(disp=0, method="bfgs",
                                                               maxiter=2000, gtol=1e-10)
        sm = model(df["y"].to_numpy(), X, truncation=0).fit(
            disp=0, start_params=first.params, method="newton", tol=1e-12, maxiter=100)
    res = mlefit.fit("y ~ x", df, family=family, truncation=(1, None))
    # both are MLEs (Newton to 1e-12): the predictions agree to 1e-11 (measured 4e-11)
    np.testing.assert_allclose(res.predict().to_numpy(), sm.predict(which="mean"), rtol=1e-9)
    np.testing.assert_allclose(res.predict(which="mean_untruncated").to_numpy(),
                               sm.predict(which="mean-main"), rtol=1e-9)
    new = pd.DataFrame({"x": [-1.0, 0.0, 2.5]})
    np.testing.assert_allclose(res.predict(new).to_numpy(),
                               sm.predict(np.column_stack([np.ones(3), new["x"]]),
                                          which="mean"), rtol=1e-9)
    # the delta method: statsmodels' get_prediction(which="mean") of a truncated model
    # reports the se of the *untruncated* mean (0.15; 44% off here), so the oracle is the
    # delta method built from statsmodels' own pieces: numdiff of its predict, its cov.
    J = approx_fprime(sm.params, lambda b: sm.model.predict(b, which="mean"), centered=True)
    se = np.sqrt(np.einsum("ij,jk,ik->i", J, sm.cov_params(), J))
    ci = res.predict(interval="confidence")
    # both gradients are central differences (errors ~1e-10) and the covariances agree to
    # 1e-5 (NB's alpha vs log theta); measured 2e-8
    np.testing.assert_allclose(ci["se"].to_numpy(), se, rtol=1e-5)
    np.testing.assert_allclose(ci["estimate"], res.predict(), rtol=0)
    np.testing.assert_allclose(ci["upper"] - ci["estimate"], 1.959963984540054 * ci["se"],
                               rtol=1e-12)


def _truncated_gaussian(n=3000):
    """A gaussian sample kept inside [0, 3], and its truncated fit."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, size=n)
    y = 1.0 + 1.5 * x + rng.normal(scale=1.2, size=x.size)
    df = pd.DataFrame({"y": y, "x": x})
    df = df[(df.y >= 0) & (df.y <= 3)]
    return df, mlefit.fit("y ~ x", df, family="gaussian", truncation=(0, 3))


def test_truncated_gaussian_matches_truncnorm():
    df, res = _truncated_gaussian()
    mu = res.predict(which="mu").to_numpy()
    sigma = res.predict(which="sigma").to_numpy()
    ref = stats.truncnorm((0 - mu) / sigma, (3 - mu) / sigma, loc=mu, scale=sigma).mean()
    # the same parameters: only the quadrature differs (measured 1e-15)
    np.testing.assert_allclose(res.predict().to_numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(res.predict(which="mean_untruncated").to_numpy(), mu, rtol=0)
    # a truncated sample's mean: the fitted truncated means average to it (score of the
    # intercept is sum (y - E[y|window]) / ... only approximately, so a loose check)
    assert res.predict().mean() == pytest.approx(df.y.mean(), rel=0.02)


def _quad_mean(dist, a, b):
    """E[Y | a <= Y <= b] by quad in log space (relative to S(a)): deep tails too."""
    la = dist.logsf(a) if np.isfinite(a) else 0.0
    kw = dict(epsabs=0, epsrel=1e-12, limit=500)
    with warnings.catch_warnings():   # quad's roundoff notice at 1e-12 (the tests ask 1e-10)
        warnings.simplefilter("ignore", integrate.IntegrationWarning)
        num = integrate.quad(lambda y: y * np.exp(dist.logpdf(y) - la), a, b, **kw)[0]
        den = integrate.quad(lambda y: np.exp(dist.logpdf(y) - la), a, b, **kw)[0]
    return num / den


@pytest.mark.parametrize("shape", [0.5, 1.0, 3.0])
def test_weibull_windows_match_quad(shape):
    fam = _family("weibull")     # mu the scale, shape the shape (scipy's weibull_min)
    dist = stats.weibull_min(shape, scale=2.0)
    deep = 2.0 * 40 ** (1 / shape)      # S = e^-40: beyond what F can resolve
    lo = np.array([0.5, 0.0, 1.0, 10.0, deep, deep])
    hi = np.array([np.inf, 3.0, 2.0, np.inf, np.inf, deep * 1.01])
    got = conditional_mean(fam, {"mu": np.full(6, 2.0), "shape": np.full(6, shape)}, lo, hi)
    ref = [_quad_mean(dist, a, b) for a, b in zip(lo, hi, strict=True)]
    # the body on the quantile scale, the tail from logsf: measured 5e-15
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_gamma_and_loglogistic_windows_match_quad():
    gam = _family("gamma")
    mean, shape = 3.0, 0.7
    dist = stats.gamma(shape, scale=mean / shape)
    lo, hi = np.array([0.0, 1.0, 2.0, 60.0]), np.array([1.0, np.inf, 5.0, np.inf])
    rows = {"mu": np.full(4, mean), "shape": np.full(4, shape)}    # mean mu, scipy's shape
    got = conditional_mean(gam, rows, lo, hi)
    ref = [_quad_mean(dist, a, b) for a, b in zip(lo, hi, strict=True)]
    # the gamma's density is infinite at 0 (shape < 1): Q(p) ~ p^(1/0.7) is smooth
    # enough there; measured 4e-15
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    ll = _family("loglogistic")      # scale mu, shape (scipy's fisk)
    for c in (1.5, 3.0):
        dist = stats.fisk(c, scale=2.0)
        lo, hi = np.array([0.5, 0.0, 1.0, 1e4]), np.array([np.inf, 3.0, 2.0, np.inf])
        got = conditional_mean(ll, {"mu": np.full(4, 2.0), "shape": np.full(4, c)}, lo, hi)
        ref = [_quad_mean(dist, a, b) for a, b in zip(lo, hi, strict=True)]
        # the open ends' tails by Gauss-Laguerre on the Pareto scale: measured 7e-15
        np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_gaussian_deep_tail_window():
    fam = _family("gaussian")
    lo = np.array([8.0, 20.0, 6.0, -2.0])
    hi = np.array([np.inf, np.inf, 6.1, -1.0])
    got = conditional_mean(fam, {"mu": np.zeros(4), "sigma": np.ones(4)}, lo, hi)
    ref = [_quad_mean(stats.norm, a, b) for a, b in zip(lo, hi, strict=True)]
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    # the inverse Mills ratio for the open ends
    np.testing.assert_allclose(got[:2], np.exp(stats.norm.logpdf(lo[:2]) -
                                               stats.norm.logsf(lo[:2])), rtol=1e-12)


@pytest.mark.parametrize("family", ["poisson", "negative_binomial"])
def test_discrete_windows_match_pmf_sums(family):
    fam = _family(family)
    mu = np.array([0.5, 3.0, 50.0, 1e4, 3.0, 3.0, 2.0, 1e4, 0.01])
    lo = np.array([1, 1, 1, 0, 2, 40, 0, 1e4, 1.0])
    hi = np.array([np.inf, 5, np.inf, np.inf, np.inf, np.inf, 1, 1e4 + 5, np.inf])
    theta = 1.3
    rows = {"mu": mu} if family == "poisson" else {"mu": mu, "theta": np.full(mu.size, theta)}
    got = conditional_mean(fam, rows, lo, hi)

    def pmf(k, m):
        return (stats.poisson.pmf(k, m) if family == "poisson"
                else stats.nbinom.pmf(k, theta, theta / (theta + m)))

    ref = []
    for m, a, b in zip(mu, lo, hi, strict=True):
        k = np.arange(a, min(b, 3e5) + 1)
        p = pmf(k, m)
        ref.append((k * p).sum() / p.sum())
    # both sums in double precision over up to 3e5 terms: measured 1.4e-14
    np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_window_from_newdata_columns():
    df = _counts()
    df = df.assign(cap=np.where(df["y"] > 8, 30, 8))
    df = df[df["y"] <= df["cap"]]
    res = mlefit.fit("y ~ x", df, family="poisson", truncation=(1, "cap"))
    new = pd.DataFrame({"x": [0.0, 0.0, 1.0], "cap": [8, 30, 8]})
    got = res.predict(new).to_numpy()
    mu = res.predict(new, which="mu").to_numpy()
    ref = []
    for m, c in zip(mu, new["cap"], strict=True):
        k = np.arange(1, c + 1)
        ref.append((k * stats.poisson.pmf(k, m)).sum() / stats.poisson.pmf(k, m).sum())
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    assert got[0] < got[1]            # a lower cap, a lower mean
    # the fit's own rows use the limits as fitted
    own = res.predict().to_numpy()
    mu_own = res.predict(which="mu").to_numpy()
    i = int(np.flatnonzero(df["cap"].to_numpy() == 8)[0])
    k = np.arange(1, 9)
    p = stats.poisson.pmf(k, mu_own[i])
    assert own[i] == pytest.approx((k * p).sum() / p.sum(), rel=1e-12)
    with pytest.raises(DataError, match=r"'cap'.*newdata lacks"):
        res.predict(pd.DataFrame({"x": [0.0]}))
    # predict's truncation= overrides the fit's window
    wide = res.predict(new, truncation=(1, None)).to_numpy()
    np.testing.assert_allclose(wide, mu / -np.expm1(-mu), rtol=1e-12)


def test_per_row_limits_refused_on_newdata():
    df = _counts()
    res = mlefit.fit("y ~ x", df, family="poisson", truncation=(np.ones(len(df)), None))
    assert res.predict().to_numpy() == pytest.approx(
        (res.predict(which="mu") / -np.expm1(-res.predict(which="mu"))).to_numpy(), rel=1e-12)
    with pytest.raises(DataError, match="one value per row"):
        res.predict(pd.DataFrame({"x": [0.0]}))
    out = res.predict(pd.DataFrame({"x": [0.0]}), truncation=(1, None))
    assert out.iloc[0] == pytest.approx(np.exp(res.params["mu"]["Intercept"]) /
                                        -np.expm1(-np.exp(res.params["mu"]["Intercept"])))


def test_bad_options_refused():
    res = mlefit.fit("y ~ x", _counts(), family="poisson", truncation=(1, None))
    with pytest.raises(DataError, match="truncation"):
        res.predict(q=0.5)
    with pytest.raises(DataError, match="lower > upper"):
        res.predict(pd.DataFrame({"x": [0.0]}), truncation=(5, 2))
    with pytest.raises(DataError, match="must be a number"):
        res.predict(pd.DataFrame({"x": [0.0]}), truncation=(object(), None))


def test_delayed_entry_predicts_the_untruncated_mean():
    """Surv(start, stop, event): the entry truncates the sample, not a new subject's
    future; which="mean" is E[Y] and truncation=("start", None) gives E[Y | Y > start]."""
    rng = np.random.default_rng(11)
    n = 800
    x = rng.uniform(size=n)
    t = 3.0 * np.exp(0.5 * x) * rng.weibull(1.5, size=n)
    start = rng.uniform(0, 1.0, size=n)
    keep = t > start
    c = start + rng.exponential(6.0, size=n)
    d = pd.DataFrame({"start": start, "stop": np.minimum(t, c), "event": (t <= c) * 1.0,
                      "x": x})[keep]
    res = mlefit.fit("Surv(start, stop, event) ~ x", d, family="weibull")
    np.testing.assert_allclose(res.predict(), res.predict(which="mean_untruncated"), rtol=0)
    new = pd.DataFrame({"x": [0.2, 0.8], "start": [0.5, 2.0]})
    given = res.predict(new, truncation=("start", None)).to_numpy()
    scale = res.predict(new, which="mu").to_numpy()
    k = float(res.predict(new, which="shape").iloc[0])
    ref = [_quad_mean(stats.weibull_min(k, scale=s), a, np.inf)
           for s, a in zip(scale, new["start"], strict=True)]
    np.testing.assert_allclose(given, ref, rtol=1e-12)      # measured 4e-15


def test_simulate_return_censoring():
    rossi = mlefit.datasets.load_rossi()
    res = mlefit.fit("Surv(week, arrest) ~ fin + age", rossi, family="weibull")
    plain = res.simulate(3, seed=1)
    values, kinds = res.simulate(3, seed=1, return_censoring=True)
    np.testing.assert_array_equal(values, plain)      # the default return is unchanged
    assert kinds.shape == values.shape
    assert set(np.unique(kinds)) <= {"exact", "right"}
    # a right-censored value lies at its censoring time, never beyond the follow-up
    assert (kinds == "right").any() and (kinds == "exact").any()
    tob = pd.DataFrame({"y": np.clip(np.random.default_rng(2).normal(size=300), 0, None),
                        "x": np.random.default_rng(3).normal(size=300)})
    fit = mlefit.fit("y ~ x", tob, family="gaussian", censoring=(0, None))
    v, k = fit.simulate(2, seed=4, return_censoring=True)
    np.testing.assert_array_equal(k == "left", v == 0.0)   # Tobit: at the limit iff censored
    exact = mlefit.fit("y ~ x", _counts(), family="poisson")
    v, k = exact.simulate(2, seed=4, return_censoring=True)
    assert (k == "exact").all() and v.shape == (len(_counts()), 2)
    with pytest.raises(DataError, match="return_censoring"):
        exact.simulate(1, return_censoring="yes")


@pytest.mark.parametrize("family, params, dist", [
    ("weibull", {"mu": 2.0, "shape": 0.5}, stats.weibull_min(0.5, scale=2)),
    ("gaussian", {"mu": 0.0, "sigma": 1.0}, stats.norm),
    ("loglogistic", {"mu": 2.0, "shape": 1.5}, stats.fisk(1.5, scale=2)),
    ("gamma", {"mu": 3.0, "shape": 0.7}, stats.gamma(0.7, scale=3 / 0.7))])
def test_windows_from_the_body_to_the_tail(family, params, dist):
    """Lower ends with S(a) from 1e-1 to 1e-6: the body (quantile scale), the split at
    Q(1 - 1e-3) and the tail (logsf); open and finite upper ends."""
    fam = _family(family)
    a = dist.isf(10.0 ** -np.arange(1, 7))
    rows = {k: np.full(a.size, v) for k, v in params.items()}
    for b in (np.full(a.size, np.inf), a + np.abs(a) * 0.5):
        got = conditional_mean(fam, rows, a, b)
        ref = [_quad_mean(dist, x, y) for x, y in zip(a, b, strict=True)]
        # measured 2e-14 at worst (quad's own accuracy is about 1e-13 here)
        np.testing.assert_allclose(got, ref, rtol=1e-12)


def test_pareto_tail_of_the_loglogistic():
    # far out the loglogistic is a Pareto tail with index c: E[Y | Y > a] / a -> c / (c - 1)
    # with relative error O((a / scale)^-c) (quad fails this far out)
    fam = _family("loglogistic")
    a = np.array([1e6, 1e9])
    got = conditional_mean(fam, {"mu": np.full(2, 2.0), "shape": np.full(2, 1.5)}, a,
                           np.full(2, np.inf))
    np.testing.assert_allclose(got / a, 3.0, rtol=1e-8)


def test_quantiles_and_prediction_intervals_are_truncated():
    df = _counts()
    res = mlefit.fit("y ~ x", df, family="poisson", truncation=(1, None))
    new = pd.DataFrame({"x": [-2.0, 0.0, 1.5]})
    mu = res.predict(new, which="mu").to_numpy()
    k = np.arange(0, 200)

    def truncated_quantile(m, q):     # smallest k >= 1 with P(1 <= Y <= k) / P(Y >= 1) >= q
        p = stats.poisson.pmf(k, m) * (k >= 1)
        cdf = np.cumsum(p) / p.sum()
        return k[np.argmax(cdf >= q - 1e-12)]

    got = res.predict(new, which="quantile", q=[0.1, 0.5, 0.9])
    for j, q in enumerate((0.1, 0.5, 0.9)):
        np.testing.assert_array_equal(got.iloc[:, j], [truncated_quantile(m, q) for m in mu])
    assert (got.to_numpy() >= 1).all()       # never a zero
    pi = res.predict(new, interval="prediction")
    np.testing.assert_allclose(pi["estimate"], res.predict(new), rtol=0)
    np.testing.assert_array_equal(pi["lower"], [truncated_quantile(m, 0.025) for m in mu])
    np.testing.assert_array_equal(pi["upper"], [truncated_quantile(m, 0.975) for m in mu])
    with pytest.raises(DataError, match="method='plugin'"):
        res.predict(new, which="quantile", q=0.5, method="simulate")
    # a truncated gaussian's quantiles: scipy's truncnorm.ppf
    _, fit = _truncated_gaussian(2000)
    m = fit.predict(new, which="mu").to_numpy()
    s = fit.predict(new, which="sigma").to_numpy()
    ref = stats.truncnorm.ppf(0.3, -m / s, (3 - m) / s, loc=m, scale=s)
    np.testing.assert_allclose(fit.predict(new, which="quantile", q=0.3), ref, rtol=1e-10)


def test_window_open_towards_minus_infinity():
    # no tail rule at p = 0: Gauss-Legendre meets the normal quantile's singularity there
    # (measured 5e-11 with 48 nodes), so 1e-9
    fam = _family("gaussian")
    mu, sigma = np.array([1.0, -3.0]), np.array([2.0, 0.5])
    hi = np.array([0.0, 1.0])
    got = conditional_mean(fam, {"mu": mu, "sigma": sigma}, np.full(2, -np.inf), hi)
    ref = stats.truncnorm(-np.inf, (hi - mu) / sigma, loc=mu, scale=sigma).mean()
    np.testing.assert_allclose(got, ref, rtol=1e-9)
