"""Censored and truncated fits against oracles that are not mlefit.

Oracles: lifelines' WeibullAFTFitter and LogNormalAFTFitter (right censoring on its
bundled rossi and lung data, interval censoring with ``fit_interval_censoring`` on its
diabetes data), statsmodels' TruncatedLFPoisson and TruncatedLFNegativeBinomialP
(zero-truncated counts), scipy.stats.truncnorm and a hand-written Tobit likelihood
maximised by scipy.optimize, closed forms (exponential with right censoring: the rate is
events / total time) and direct sums of the Poisson pmf (discrete truncation and
censoring).

lifelines stops its Newton iterations at its default tolerance, so its estimates agree
with mlefit's (Newton decrement 1e-12) to about 1e-5 relative, its log-likelihood to
1e-8; the tolerances below are a few times those.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

import mlefit

lifelines = pytest.importorskip("lifelines")

TERMS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


def _quiet(fit, *args, **kwargs):
    with warnings.catch_warnings():    # lifelines' own pandas deprecation warnings
        warnings.simplefilter("ignore")
        return fit(*args, **kwargs)


@pytest.fixture(scope="module")
def rossi():
    return lifelines.datasets.load_rossi()


def _compare(res, aft, ours, theirs, terms, rtol=1e-4, atol=1e-5):
    names = ["Intercept", *terms]
    np.testing.assert_allclose(res.params[ours][names], aft.params_[theirs][names],
                               rtol=rtol, atol=atol)
    np.testing.assert_allclose(res.bse[ours][names], aft.standard_errors_[theirs][names],
                               rtol=rtol)


@pytest.mark.parametrize("family", ["weibull", "lognormal"])
def test_right_censored_rossi_matches_lifelines(rossi, family):
    res = mlefit.fit(f"Surv(week, arrest) ~ {' + '.join(TERMS)}", rossi, family=family)
    fitter = {"weibull": lifelines.WeibullAFTFitter,
              "lognormal": lifelines.LogNormalAFTFitter}[family]
    aft = _quiet(fitter().fit, rossi, "week", "arrest")
    # weibull: lambda_ = mu, rho_ = shape; lognormal: mu_ = mu, sigma_ = sigma (log links)
    second = {"weibull": ("shape", "rho_"), "lognormal": ("sigma", "sigma_")}[family]
    # lifelines' LogNormalAFTFitter stops 1.6e-7 below the maximum mlefit reaches (Newton
    # decrement 1e-12; its fit_options do not tighten it): its coefficients are off by up
    # to 1.3e-4 (1e-3 standard errors) there
    atol = {"weibull": 1e-5, "lognormal": 3e-4}[family]
    _compare(res, aft, "mu", {"weibull": "lambda_", "lognormal": "mu_"}[family], TERMS,
             atol=atol)
    _compare(res, aft, second[0], second[1], [], atol=atol)
    assert res.llf >= aft.log_likelihood_ - 1e-9
    assert res.llf == pytest.approx(aft.log_likelihood_, abs=3e-7)
    assert res.diagnostics.derivatives == "analytic"
    assert res.nobs == len(rossi)


def test_lung_weibull_matches_lifelines_and_survreg_mapping():
    lung = lifelines.datasets.load_lung().dropna(subset=["ph.ecog"])
    res = mlefit.fit("Surv(time, status) ~ age + sex + ph.ecog", lung, family="weibull")
    aft = _quiet(lifelines.WeibullAFTFitter().fit,
                 lung[["time", "status", "age", "sex", "ph.ecog"]], "time", "status")
    _compare(res, aft, "mu", "lambda_", ["age", "sex", "ph.ecog"])
    assert res.llf == pytest.approx(aft.log_likelihood_, abs=1e-7)
    # survreg's Log(scale) is -log(shape): the same number with the other sign
    assert -res.params["shape"]["Intercept"] == pytest.approx(
        -aft.params_["rho_"]["Intercept"], rel=1e-4)


def test_interval_censored_diabetes_matches_lifelines():
    d = lifelines.datasets.load_diabetes()
    d["male"] = (d["gender"] == "male").astype(float)
    res = mlefit.fit("Surv(left, right, type='interval2') ~ male", d, family="weibull")
    aft = _quiet(lifelines.WeibullAFTFitter().fit_interval_censoring,
                 d[["left", "right", "male"]], "left", "right")
    _compare(res, aft, "mu", "lambda_", ["male"])
    _compare(res, aft, "shape", "rho_", [])
    assert res.llf == pytest.approx(aft.log_likelihood_, abs=1e-7)


def test_exponential_right_censored_closed_form(rossi):
    # the MLE of the mean is total time / events, its variance mean^2 / events
    res = mlefit.fit("Surv(week, arrest) ~ 1", rossi, family="exponential")
    events, total = rossi["arrest"].sum(), rossi["week"].sum()
    mean = total / events
    assert np.exp(res.params["mu"]["Intercept"]) == pytest.approx(mean, rel=1e-12)
    assert res.bse["mu"]["Intercept"] == pytest.approx(1 / np.sqrt(events), rel=1e-10)
    assert res.llf == pytest.approx(-events * np.log(mean) - total / mean, rel=1e-13)


def test_zero_truncated_poisson_matches_statsmodels():
    from statsmodels.discrete.truncated_model import TruncatedLFPoisson
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    y = rng.poisson(np.exp(0.5 + 0.6 * x))
    df = pd.DataFrame({"y": y, "x": x})[y > 0]
    X = np.column_stack([np.ones(len(df)), df["x"]])
    sm = TruncatedLFPoisson(df["y"].to_numpy(), X, truncation=0).fit(
        disp=0, method="newton", tol=1e-12, maxiter=100)
    res = mlefit.fit("y ~ x", df, family="poisson", truncation=(1, None))
    np.testing.assert_allclose(res.params.to_numpy(), sm.params, rtol=1e-8)
    np.testing.assert_allclose(res.bse.to_numpy(), sm.bse, rtol=1e-6)
    assert res.llf == pytest.approx(sm.llf, rel=1e-12)


def test_zero_truncated_negative_binomial_matches_statsmodels():
    from statsmodels.discrete.truncated_model import TruncatedLFNegativeBinomialP
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    mu = np.exp(0.5 + 0.6 * x)
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu))
    df = pd.DataFrame({"y": y, "x": x})[y > 0]
    X = np.column_stack([np.ones(len(df)), df["x"]])
    with warnings.catch_warnings():   # its bfgs reports non-convergence at gtol 1e-10
        warnings.simplefilter("ignore")
        sm = TruncatedLFNegativeBinomialP(df["y"].to_numpy(), X, truncation=0, p=2).fit(
            disp=0, method="bfgs", maxiter=2000, gtol=1e-10)
    res = mlefit.fit("y ~ x", df, family="negative_binomial", truncation=(1, None))
    np.testing.assert_allclose(res.params["mu"].to_numpy(), sm.params[:2], rtol=1e-6)
    # statsmodels' alpha = 1 / theta; its se by the delta method: alpha * se(log theta)
    alpha = np.exp(-res.params["theta"]["Intercept"])
    assert alpha == pytest.approx(sm.params[2], rel=1e-5)
    np.testing.assert_allclose(res.bse["mu"].to_numpy(), sm.bse[:2], rtol=1e-5)
    assert alpha * res.bse["theta"]["Intercept"] == pytest.approx(sm.bse[2], rel=1e-4)
    assert res.llf == pytest.approx(sm.llf, rel=1e-11)


def _tobit_data():
    rng = np.random.default_rng(11)
    x = rng.normal(size=300)
    ystar = 0.4 + 1.1 * x + rng.normal(scale=1.3, size=300)
    return pd.DataFrame({"y": np.clip(ystar, 0.0, 2.5), "x": x})


def _tobit_nll(theta, df, lo, hi):
    b0, b1, log_s = theta
    m, s = b0 + b1 * df["x"].to_numpy(), np.exp(log_s)
    y = df["y"].to_numpy()
    return -np.sum(np.where(y <= lo, stats.norm.logcdf((lo - m) / s),
                            np.where(y >= hi, stats.norm.logsf((hi - m) / s),
                                     stats.norm.logpdf(y, m, s))))


@pytest.mark.parametrize("derivatives", ["analytic", "numeric"])
def test_tobit_matches_a_scipy_maximised_likelihood(derivatives):
    df = _tobit_data()
    res = mlefit.fit("y ~ x", df, family="gaussian", censoring=(0.0, 2.5))
    ref = optimize.minimize(_tobit_nll, [0.0, 1.0, 0.0], args=(df, 0.0, 2.5), method="BFGS",
                            options={"gtol": 1e-9})
    np.testing.assert_allclose(res.params.to_numpy(), ref.x, rtol=1e-5, atol=1e-6)
    assert res.llf == pytest.approx(-ref.fun, abs=1e-8)
    # observed information: the inverse Hessian of the same likelihood by central
    # differences (step 1e-4: error ~1e-8 relative)
    h = 1e-4
    H = np.zeros((3, 3))
    for i in range(3):
        for j in range(3):
            e_i, e_j = np.eye(3)[i] * h, np.eye(3)[j] * h
            H[i, j] = (_tobit_nll(res.params.to_numpy() + e_i + e_j, df, 0, 2.5)
                       - _tobit_nll(res.params.to_numpy() + e_i - e_j, df, 0, 2.5)
                       - _tobit_nll(res.params.to_numpy() - e_i + e_j, df, 0, 2.5)
                       + _tobit_nll(res.params.to_numpy() - e_i - e_j, df, 0, 2.5)) / (4 * h * h)
    np.testing.assert_allclose(res.bse.to_numpy(), np.sqrt(np.diag(np.linalg.inv(H))),
                               rtol=1e-5)
    assert res.diagnostics.derivatives == "analytic"


def test_truncated_gaussian_matches_truncnorm():
    rng = np.random.default_rng(5)
    x = rng.normal(size=2000)
    y = 1.0 + 0.8 * x + rng.normal(size=2000)
    keep = (y > 0.5) & (y <= 3.0)
    df = pd.DataFrame({"y": y[keep], "x": x[keep]})
    res = mlefit.fit("y ~ x", df, family="gaussian", truncation=(0.5, 3.0))
    b, log_s = res.params["mu"].to_numpy(), res.params["sigma"]["Intercept"]
    m, s = b[0] + b[1] * df["x"].to_numpy(), np.exp(log_s)

    def nll(theta):
        mm, ss = theta[0] + theta[1] * df["x"].to_numpy(), np.exp(theta[2])
        return -np.sum(stats.truncnorm.logpdf(df["y"], (0.5 - mm) / ss, (3.0 - mm) / ss,
                                              loc=mm, scale=ss))
    assert res.llf == pytest.approx(-nll(np.r_[b, log_s]), rel=1e-12)
    assert np.sum(stats.truncnorm.logpdf(df["y"], (0.5 - m) / s, (3.0 - m) / s, m, s)) == \
        pytest.approx(res.llf, rel=1e-12)
    ref = optimize.minimize(nll, np.r_[b, log_s] + 0.05, method="BFGS", options={"gtol": 1e-9})
    assert res.llf >= -ref.fun - 1e-9
    np.testing.assert_allclose(res.params.to_numpy(), ref.x, atol=1e-5)


def test_discrete_truncation_and_censoring_match_pmf_sums():
    # a count right-censored at c contributes P(Y >= c); truncation to [1, 8] divides by
    # P(1 <= Y <= 8): both written as sums of the pmf
    rng = np.random.default_rng(2)
    x = rng.normal(size=300)
    y = rng.poisson(np.exp(1.0 + 0.3 * x))
    keep = (y >= 1) & (y <= 8)
    df = pd.DataFrame({"y": y[keep], "x": x[keep]})
    res = mlefit.fit("y ~ x", df, family="poisson", censoring=(None, 5),
                     truncation=(1, 8))
    mu = np.exp(res.params["mu"]["Intercept"] + res.params["mu"]["x"] * df["x"].to_numpy())
    k = np.arange(0, 9)
    pmf = stats.poisson.pmf(k[None, :], mu[:, None])
    inside = pmf[:, 1:9].sum(axis=1)
    at_least_5 = pmf[:, 5:9].sum(axis=1) + stats.poisson.sf(8, mu)  # P(Y >= 5), untruncated
    # under truncation to [1, 8], a count censored at 5 is known to lie in [5, 8]
    yv = df["y"].to_numpy()
    own = np.where(yv >= 5, pmf[:, 5:9].sum(axis=1), pmf[np.arange(yv.size), np.minimum(yv, 8)])
    assert res.llf == pytest.approx(np.sum(np.log(own) - np.log(inside)), rel=1e-12)
    assert np.all(at_least_5 > pmf[:, 5:9].sum(axis=1))   # the truncation matters here
    # without truncation, P(Y >= 5) itself
    res2 = mlefit.fit("y ~ x", df, family="poisson", censoring=(None, 5))
    mu2 = np.exp(res2.params["mu"]["Intercept"] + res2.params["mu"]["x"] * df["x"].to_numpy())
    pmf2 = stats.poisson.pmf(k[None, :5], mu2[:, None])
    own2 = np.where(yv >= 5, 1.0 - pmf2.sum(axis=1), stats.poisson.pmf(yv, mu2))
    assert res2.llf == pytest.approx(np.sum(np.log(own2)), rel=1e-12)
