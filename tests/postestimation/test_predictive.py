"""The predictive distribution: quantiles, prediction intervals and survival quantities.

Oracles: statsmodels' OLS prediction intervals (R's ``predict.lm(interval =
"prediction")``), ``scipy.stats`` quantile functions per family, lifelines'
``WeibullAFTFitter`` survival, hazard and median predictions, and simulation (coverage of
prediction intervals under the true model).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import special, stats

import mlefit
from mlefit import DataError, Family, Parameter
from mlefit.domains import Domain, Positive, Real
from mlefit.postestimation.predictive import ppf
from mlefit.registry import get_registry

FORMULA = "thalach ~ age + exang + oldpeak"


def family(name):
    return get_registry().family(name)


@pytest.fixture(scope="module")
def new(heart):
    return heart.iloc[[0, 7, 42, 100]]


# R's predict.lm ------------------------------------------------------------------------
def test_gaussian_prediction_interval_is_predict_lm(heart, new):
    """convention="R": mu -+ t(df) sqrt(se_fit^2 + sigma^2), statsmodels' obs_ci (which is
    R's predict.lm(interval="prediction")) to rounding."""
    res = mlefit.fit(FORMULA, heart, "gaussian", convention="R")
    ours = res.predict(new, interval="prediction", alpha=0.1)
    theirs = smf.ols(FORMULA, heart).fit().get_prediction(new).summary_frame(alpha=0.1)
    np.testing.assert_allclose(ours["estimate"], theirs["mean"], rtol=1e-10)
    np.testing.assert_allclose(ours["lower"], theirs["obs_ci_lower"], rtol=1e-9)
    np.testing.assert_allclose(ours["upper"], theirs["obs_ci_upper"], rtol=1e-9)


def test_gaussian_prediction_interval_new_row_weights(heart, new):
    """R: pred.var = res.var / weights for the new rows; here from statsmodels' pieces."""
    res = mlefit.fit(FORMULA, heart, "gaussian", convention="R")
    ols = smf.ols(FORMULA, heart).fit()
    frame = ols.get_prediction(new).summary_frame()
    w = np.array([1.0, 2.0, 0.5, 4.0])
    t = stats.t(ols.df_resid).ppf(0.975)
    half = t * np.sqrt(frame["mean_se"] ** 2 + ols.scale / w)
    ours = res.predict(new, interval="prediction", weights=w)
    np.testing.assert_allclose(ours["upper"], frame["mean"] + half, rtol=1e-9)
    named = res.predict(new.assign(w=w), interval="prediction", weights="w")
    np.testing.assert_allclose(named["lower"], frame["mean"] - half, rtol=1e-9)


def test_plugin_interval_is_the_fitted_normal(heart, new):
    """ML convention: the plug-in interval is N(mu, sigma^2)'s quantiles at the estimates
    (sigma may have its own formula)."""
    res = mlefit.fit(FORMULA, heart, "gaussian", sigma="~ age")
    mu, sigma = res.predict(new, which="mu"), res.predict(new, which="sigma")
    ours = res.predict(new, interval="prediction")
    np.testing.assert_allclose(ours["lower"], stats.norm.ppf(0.025, mu, sigma), rtol=1e-12)
    np.testing.assert_allclose(ours["upper"], stats.norm.ppf(0.975, mu, sigma), rtol=1e-12)
    q = res.predict(new, which="quantile", q=[0.1, 0.5, 0.9])
    assert list(q.columns) == ["q0.1", "q0.5", "q0.9"]
    np.testing.assert_allclose(q["q0.9"], stats.norm.ppf(0.9, mu, sigma), rtol=1e-12)
    median = res.predict(new, which="quantile", q=0.5)
    assert isinstance(median, pd.Series)
    np.testing.assert_allclose(median, mu, rtol=1e-12)


def test_simulated_interval_adds_parameter_uncertainty(heart, new):
    """method="simulate" with 20,000 draws: y* = x'b* + sigma* e is close to normal with
    variance v = se_mu^2 + sigma^2 (sigma's own uncertainty adds ~1/(4n) relative), so
    its ends lie near mu -+ z sqrt(v). The 0.975 quantile of nsim draws has standard
    error sqrt(p (1 - p) v / nsim) / phi(z) (1.2% of the half-width here): 4 of those."""
    res = mlefit.fit(FORMULA, heart, "gaussian")
    conf = res.predict(new, interval="confidence")
    sigma = res.predict(new, which="sigma")
    nsim, z = 20_000, stats.norm.ppf(0.975)
    sd = np.sqrt(conf["se"] ** 2 + sigma**2)
    se_quantile = np.sqrt(0.975 * 0.025 / nsim) / stats.norm.pdf(z) * sd
    sim = res.predict(new, interval="prediction", method="simulate", nsim=nsim, seed=3)
    assert np.all(np.abs(sim["upper"] - (conf["estimate"] + z * sd)) < 4 * se_quantile)
    assert np.all(np.abs(sim["lower"] - (conf["estimate"] - z * sd)) < 4 * se_quantile)
    # the plug-in interval is narrower by the coefficients' share of the variance
    plug = res.predict(new, interval="prediction")
    assert np.all(plug["upper"] - plug["lower"] < 2 * z * sd)
    again = res.predict(new, interval="prediction", method="simulate", nsim=500, seed=3)
    pd.testing.assert_frame_equal(again, res.predict(new, interval="prediction",
                                                     method="simulate", nsim=500, seed=3))


# quantile functions against scipy --------------------------------------------------------
Q = np.array([1e-6, 0.01, 0.1, 0.37, 0.5, 0.9, 0.999, 1 - 1e-9])

CONTINUOUS = [
    ("gaussian", {"mu": 1.3, "sigma": 2.0}, stats.norm(1.3, 2.0)),
    ("gamma", {"mu": 2.0, "shape": 3.0}, stats.gamma(3.0, scale=2.0 / 3.0)),
    ("exponential", {"mu": 2.5}, stats.expon(scale=2.5)),
    ("weibull", {"mu": 2.0, "shape": 1.7}, stats.weibull_min(1.7, scale=2.0)),
    ("lognormal", {"mu": 0.4, "sigma": 0.8}, stats.lognorm(0.8, scale=np.exp(0.4))),
    ("logistic", {"mu": -1.0, "sigma": 0.5}, stats.logistic(-1.0, 0.5)),
    ("student_t", {"mu": 0.0, "sigma": 1.5, "nu": 4.0}, stats.t(4.0, 0.0, 1.5)),
    ("beta", {"mu": 0.3, "phi": 5.0}, stats.beta(1.5, 3.5)),
    ("inverse_gaussian", {"mu": 2.0, "shape": 3.0}, stats.invgauss(2.0 / 3.0, scale=3.0)),
]


@pytest.mark.parametrize(("name", "params", "dist"), CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_continuous_quantiles_match_scipy(name, params, dist):
    """The cdf inverted by bisection to rounding: relative 1e-9 (scipy's own ppf inverts
    some of these numerically too; the cdfs agree to ~1e-15, and the inversion's error is
    a few ulps of y divided by the density's relative slope). At q = 1 - 1e-9 a family
    without logsf is inverted through its cdf, which resolves S = 1e-9 only to eps / 1e-9
    = 2.2e-7 relative, so y there to ~1e-7 (the tail accuracy a cdf-only family gets);
    with logsf to 1e-9 again."""
    fam = family(name)
    rows = {k: np.full(Q.size, v) for k, v in params.items()}
    got = ppf(fam, Q, rows)
    want = dist.ppf(Q)
    np.testing.assert_allclose(got[:-1], want[:-1], rtol=1e-9, atol=1e-12)
    tail = 1e-9 if fam.has("logsf") else 1e-6
    np.testing.assert_allclose(got[-1], want[-1], rtol=tail)


DISCRETE = [
    ("poisson", {"mu": 3.2}, stats.poisson(3.2)),
    ("negative_binomial", {"mu": 3.2, "theta": 1.7}, stats.nbinom(1.7, 1.7 / 4.9)),
    ("nb1", {"mu": 3.2, "alpha": 0.6}, stats.nbinom(3.2 / 0.6, 1 / 1.6)),
]


@pytest.mark.parametrize(("name", "params", "dist"), DISCRETE, ids=[c[0] for c in DISCRETE])
def test_discrete_quantiles_match_scipy(name, params, dist):
    """Integers, equal to scipy's (the smallest k with F(k) >= q)."""
    q = np.linspace(0.001, 0.999, 37)
    rows = {k: np.full(q.size, v) for k, v in params.items()}
    got = ppf(family(name), q, rows)
    np.testing.assert_array_equal(got, dist.ppf(q))


def test_negative_binomial_quantiles_at_the_poisson_limit():
    """theta = 1e30: scipy's nbinom.ppf is off there (its p rounds to 1); the Poisson's."""
    q = np.linspace(0.01, 0.99, 25)
    got = ppf(family("negative_binomial"), q, {"mu": np.full(q.size, 4.0),
                                               "theta": np.full(q.size, 1e30)})
    np.testing.assert_array_equal(got, stats.poisson.ppf(q, 4.0))


def test_zip_and_binomial_quantiles():
    q = np.linspace(0.01, 0.99, 40)
    got = ppf(family("zero_inflated_poisson"), q, {"mu": np.full(q.size, 3.0),
                                                   "pi": np.full(q.size, 0.3)})
    k = np.arange(60)
    F = 0.3 + 0.7 * stats.poisson.cdf(k, 3.0)
    want = np.array([k[np.argmax(F >= p)] for p in q])
    np.testing.assert_array_equal(got, want)
    got = ppf(family("binomial"), q, {"mu": np.full(q.size, 0.3)})
    np.testing.assert_array_equal(got, stats.bernoulli.ppf(q, 0.3))


class CdfOnlyGumbel(Family):
    """A third-party family with only logpdf and cdf (the Gumbel of maxima)."""

    name = "cdf_only_gumbel"
    support = Real()
    parameters = (Parameter("mu", Real()), Parameter("beta", Positive()))

    def logpdf(self, y, mu, beta):
        z = (y - mu) / beta
        return -np.log(beta) - z - np.exp(-z)

    def cdf(self, y, mu, beta):
        return np.exp(-np.exp(-(y - mu) / beta))


class CdfOnlyPositive(Family):
    """A cdf-only family on (0, inf): the log-logistic with scale ``mu``, shape ``k``."""

    name = "cdf_only_loglogistic"
    support = Positive()
    parameters = (Parameter("mu", Positive()), Parameter("k", Positive()))

    def logpdf(self, y, mu, k):
        z = np.log(y / mu)
        return np.log(k) - np.log(y) + k * z - 2 * np.log1p(np.exp(k * z))

    def cdf(self, y, mu, k):
        return special.expit(k * np.log(y / mu))


class CdfOnlyNegative(Family):
    """A support bounded above only: ``Y = -E``, ``E`` exponential with mean ``mu``."""

    name = "cdf_only_negative"
    support = Domain(-np.inf, 0.0)
    parameters = (Parameter("mu", Positive()),)

    def logpdf(self, y, mu):
        return np.where(y < 0, y / mu - np.log(mu), -np.inf)

    def cdf(self, y, mu):
        return np.exp(np.minimum(y, 0.0) / mu)


def test_ppf_fallback_for_cdf_only_families():
    # F(y) = exp(y / mu); at q = 1 - 1e-9 the cdf near 1 resolves y = -2e-9 only to
    # eps / 1e-9 relative (no logsf), so there 1e-6
    got = ppf(CdfOnlyNegative(), Q, {"mu": np.full(Q.size, 2.0)})
    np.testing.assert_allclose(got[:-1], 2.0 * np.log(Q[:-1]), rtol=1e-12)
    np.testing.assert_allclose(got[-1], 2.0 * np.log(Q[-1]), rtol=1e-6)
    q = Q[:-1]      # F near 1 - 1e-9 has ~7 digits from the cdf alone
    got = ppf(CdfOnlyGumbel(), q, {"mu": np.full(q.size, 2.0), "beta": np.full(q.size, 0.7)})
    np.testing.assert_allclose(got, stats.gumbel_r.ppf(q, 2.0, 0.7), rtol=1e-9)
    got = ppf(CdfOnlyPositive(), q, {"mu": np.full(q.size, 3.0), "k": np.full(q.size, 2.5)})
    np.testing.assert_allclose(got, stats.fisk.ppf(q, 2.5, scale=3.0), rtol=1e-9)


def test_cdf_only_family_fit_predicts_quantiles():
    rng = np.random.default_rng(5)
    x = rng.uniform(size=400)
    df = pd.DataFrame({"x": x, "y": stats.gumbel_r.rvs(1 + 2 * x, 0.5, random_state=rng)})
    res = mlefit.fit("y ~ x", df, CdfOnlyGumbel())
    new = pd.DataFrame({"x": [0.2, 0.8]})
    mu, beta = res.predict(new, which="mu"), res.predict(new, which="beta")
    got = res.predict(new, which="quantile", q=[0.05, 0.95])
    np.testing.assert_allclose(got["q0.95"], stats.gumbel_r.ppf(0.95, mu, beta), rtol=1e-9)


# coverage under the true model -----------------------------------------------------------
def _coverage(name, draw, n=2000, seed=0, **kw):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, n)
    y = draw(rng, x)
    res = mlefit.fit("y ~ x", pd.DataFrame({"x": x, "y": y}), name, **kw)
    new = pd.DataFrame({"x": x})
    pi = res.predict(new, interval="prediction", alpha=0.1)
    fresh = draw(rng, x)
    return np.mean((fresh >= pi["lower"]) & (fresh <= pi["upper"])), pi, x


def test_poisson_prediction_interval_coverage():
    """Fresh draws at the same rows fall inside the 90% plug-in interval as often as the
    true distribution says they should (integer ends make it at least 90%): the empirical
    rate within 4 binomial standard errors (sqrt(p(1-p)/n) = 0.0067) of the true one."""
    mu_true = (lambda x: np.exp(1.0 + 0.5 * x))  # noqa: E731
    rate, pi, x = _coverage("poisson", lambda rng, x: rng.poisson(mu_true(x)))
    m = mu_true(x)
    true = np.mean(stats.poisson.cdf(pi["upper"], m) - stats.poisson.cdf(pi["lower"] - 1, m))
    assert true >= 0.9 - 0.01          # the estimates are close to the truth
    assert abs(rate - true) < 4 * np.sqrt(true * (1 - true) / len(x))
    assert np.array_equal(pi["lower"], np.round(pi["lower"]))


def test_gamma_prediction_interval_coverage():
    """Continuous: 90% up to the estimation error (O(1/n)) and 4 binomial SEs."""
    mu_true = (lambda x: np.exp(0.5 - 0.4 * x))  # noqa: E731
    rate, _, _ = _coverage("gamma", lambda rng, x: rng.gamma(2.0, mu_true(x) / 2.0))
    assert abs(rate - 0.9) < 4 * np.sqrt(0.09 / 2000) + 0.005


def test_simulated_interval_covers_poisson():
    rng = np.random.default_rng(8)
    x = rng.uniform(-1, 1, 300)
    df = pd.DataFrame({"x": x, "y": rng.poisson(np.exp(1 + 0.5 * x))})
    res = mlefit.fit("y ~ x", df, "poisson")
    sim = res.predict(df.head(50), interval="prediction", method="simulate", nsim=4000, seed=1)
    plug = res.predict(df.head(50), interval="prediction")
    # adding the coefficients' uncertainty moves integer ends by at most one count here
    assert np.all(np.abs(sim["upper"] - plug["upper"]) <= 1)
    assert np.all(np.abs(sim["lower"] - plug["lower"]) <= 1)
    assert np.array_equal(sim["upper"], np.round(sim["upper"]))


# survival quantities ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def weibull_pair():
    """The same Weibull AFT model fitted by mlefit and lifelines (no censoring: mlefit's
    censored responses are another part of issue 17)."""
    lifelines = pytest.importorskip("lifelines")
    rng = np.random.default_rng(11)
    n = 400
    x = rng.normal(size=n)
    t = np.exp(1.0 + 0.4 * x) * rng.weibull(1.6, n)
    df = pd.DataFrame({"x": x, "t": t, "e": 1})
    res = mlefit.fit("t ~ x", df, "weibull")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aft = lifelines.WeibullAFTFitter().fit(df, "t", "e", formula="x")
    return res, aft


def test_weibull_coefficients_agree_with_lifelines(weibull_pair):
    res, aft = weibull_pair
    lam = aft.params_.loc["lambda_"]
    rho = aft.params_.loc["rho_"]
    np.testing.assert_allclose(res.params["mu"].to_numpy(),
                               [lam["Intercept"], lam["x"]], rtol=1e-5, atol=1e-6)
    assert res.params["shape"].iloc[0] == pytest.approx(rho["Intercept"], abs=1e-5)


def test_survival_hazard_median_match_lifelines(weibull_pair):
    """Both fits are maximum likelihood on the same data; they agree to the optimisers'
    tolerances (coefficients to ~1e-6), so S, h, H and the median agree to 1e-5 relative."""
    res, aft = weibull_pair
    new = pd.DataFrame({"x": [-1.0, 0.0, 1.5]})
    times = [0.5, 2.0, 5.0]
    S = res.predict(new, which="survival", times=times)
    theirs = aft.predict_survival_function(new, times=times)   # times by rows
    np.testing.assert_allclose(S.to_numpy(), theirs.to_numpy().T, rtol=1e-5)
    H = res.predict(new, which="cumhazard", times=times)
    np.testing.assert_allclose(H.to_numpy(),
                               aft.predict_cumulative_hazard(new, times=times).to_numpy().T,
                               rtol=1e-5)
    h = res.predict(new, which="hazard", times=times)
    np.testing.assert_allclose(h.to_numpy(), aft.predict_hazard(new, times=times).to_numpy().T,
                               rtol=1e-5)
    median = res.predict(new, which="quantile", q=0.5)
    np.testing.assert_allclose(median, aft.predict_median(new).to_numpy().ravel(), rtol=1e-5)
    assert list(S.columns) == times


def test_survival_quantities_against_scipy():
    rng = np.random.default_rng(2)
    x = rng.uniform(size=300)
    df = pd.DataFrame({"x": x, "y": rng.gamma(3.0, np.exp(0.2 + x) / 3.0)})
    res = mlefit.fit("y ~ x", df, "gamma")
    new = pd.DataFrame({"x": [0.1, 0.9]})
    mu, shape = res.predict(new, which="mu").to_numpy(), res.predict(new, which="shape").to_numpy()
    times = np.array([0.5, 3.0, 8.0])     # S >= 1e-4: without logsf, S = 1 - cdf has ~12
    # digits here (the gamma's S(40) = 1.6e-37 would be 0 from the cdf alone)
    dist = stats.gamma(shape[:, None], scale=(mu / shape)[:, None])
    np.testing.assert_allclose(res.predict(new, which="survival", times=times),
                               dist.sf(times), rtol=1e-9)
    np.testing.assert_allclose(res.predict(new, which="hazard", times=times),
                               dist.pdf(times) / dist.sf(times), rtol=1e-8)
    # discrete: h(t) = P(Y = t) / P(Y >= t)
    d = pd.DataFrame({"x": x, "y": rng.poisson(np.exp(1 + x))})
    po = mlefit.fit("y ~ x", d, "poisson")
    m = po.predict(new, which="mu").to_numpy()[:, None]
    t = np.array([0.0, 2.0, 7.0])
    np.testing.assert_allclose(po.predict(new, which="hazard", times=t),
                               stats.poisson.pmf(t, m) / stats.poisson.sf(t - 1, m), rtol=1e-12)
    np.testing.assert_allclose(po.predict(new, which="survival", times=t),
                               stats.poisson.sf(t, m), rtol=1e-12)


def test_cumhazard_far_tail_uses_logsf():
    """H(t) = -log S(t) where S is 1e-80: the Poisson's logsf keeps it (log1p(-cdf) would
    give inf)."""
    d = pd.DataFrame({"x": np.zeros(50), "y": np.random.default_rng(0).poisson(1.0, 50)})
    po = mlefit.fit("y ~ 1", d, "poisson")
    H = po.predict(pd.DataFrame({"x": [0.0]}), which="cumhazard", times=[60.0])
    m = float(po.predict(pd.DataFrame({"x": [0.0]}), which="mu").iloc[0])
    assert H.iloc[0, 0] == pytest.approx(-stats.poisson.logsf(60, m), rel=1e-12)


# refusals ----------------------------------------------------------------------------------
class LogpdfOnly(Family):
    name = "logpdf_only_normal"
    support = Real()
    parameters = (Parameter("mu", Real()), Parameter("sigma", Positive()))

    def logpdf(self, y, mu, sigma):
        return stats.norm.logpdf(y, mu, sigma)


def test_refusals(heart, new):
    res = mlefit.fit(FORMULA, heart, "gaussian")
    cases = [
        (dict(which="quantile", q=1.2), "in \\(0, 1\\)"),
        (dict(which="quantile", q=[]), "in \\(0, 1\\)"),
        (dict(which="quantile", q="a"), "in \\(0, 1\\)"),
        (dict(which="quantile", q=0.5, interval="prediction"), "takes no interval"),
        (dict(which="survival"), "needs times="),
        (dict(which="survival", times=[np.nan]), "finite numbers"),
        (dict(which="hazard", times=[1.0], interval="confidence"), "takes no interval"),
        (dict(interval="prediction", method="bayes"), "method='bayes'"),
        (dict(interval="prediction", method="simulate", nsim=0), "positive integer"),
        (dict(interval="prediction", qq=3), "unknown keyword"),
        (dict(interval="prediction", which="sigma"), "is for which='mean'"),
        (dict(q=0.3), "unexpected keyword"),
        (dict(interval="prediction", weights=[1.0]), "variance weights"),
        (dict(interval="prediction", alpha=2), "alpha=2"),
    ]
    for kwargs, message in cases:
        with pytest.raises(DataError, match=message):
            res.predict(new, **kwargs)
    r_res = mlefit.fit(FORMULA, heart, "gaussian", convention="R")
    with pytest.raises(DataError, match="finite positive"):
        r_res.predict(new, interval="prediction", weights=[1.0, -1.0, 1.0, 1.0])
    with pytest.raises(DataError, match="not a column"):
        r_res.predict(new, interval="prediction", weights="nope")
    bare = mlefit.fit(FORMULA, heart, LogpdfOnly())
    with pytest.raises(DataError, match="neither ppf nor cdf"):
        bare.predict(new, which="quantile", q=0.5)
    with pytest.raises(DataError, match="defines no cdf"):
        bare.predict(new, which="survival", times=[100.0])
    with pytest.raises(DataError, match="defines no sample"):
        bare.predict(new, interval="prediction", method="simulate")
