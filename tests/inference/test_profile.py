"""Profile-likelihood intervals and curves (res.conf_int(method="profile"), res.profile).

Oracles (none of them mlefit):

* Gaussian, ML: the profile of a mean coefficient is ``-n/2 log(RSS(v)/n) + c`` with
  ``RSS(v) = RSS + (v - b)^2 / [(X'X)^-1]_jj``, so the interval is
  ``b -+ sqrt(RSS [(X'X)^-1]_jj (exp(q/n) - 1))``, ``q = chi2_1(0.95)``; the profile of
  ``log sigma`` gives ``n (2u + exp(-2u) - 1) = q`` for ``u = log sigma - log sigma_hat``.
* Gaussian, convention="R": MASS's profile.glm holds the dispersion at its Pearson value,
  ``tau(v) = (v - b) / se_R`` exactly, so MASS::confint gives ``b -+ z se_R``.
* R's own output: ``confint(budworm.lg, parm = "ldose")`` = (0.8228708, 1.3390581), the
  example of Venables & Ripley (2002, p. 190-2) and of R's confint.glm help page
  (budworm.lg <- glm(SF ~ sex + ldose, family = binomial)). MASS interpolates a spline
  through a profile computed on a grid, so its ends carry an interpolation error of order
  1e-5: the agreement asked for is 1e-4 relative.
* For binomial and poisson MASS profiles the ML likelihood itself, so an independent
  implementation of that profile IS the oracle: written below with numpy and scipy only
  (trust-region Newton for the other coefficients, Brent for the crossing).
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import optimize, special, stats
from test_compare import PlainBernoulli, PlainPoisson, PlainT

import mlefit
from mlefit import DataError, InferenceWarning

FORMULA = "thalach ~ age + exang + oldpeak"
Q95 = stats.chi2.ppf(0.95, 1)
Z95 = stats.norm.isf(0.025)


@pytest.fixture(scope="module")
def gaussian(heart):
    return mlefit.fit(FORMULA, heart)


@pytest.fixture(scope="module")
def ols(heart):
    fit = smf.ols(FORMULA, heart).fit()
    X, y = fit.model.exog, fit.model.endog
    return {"b": np.linalg.lstsq(X, y, rcond=None)[0], "rss": fit.ssr, "n": len(y),
            "xtx_inv": np.diag(np.linalg.inv(X.T @ X)), "se_r": fit.bse.to_numpy()}


# Gaussian closed forms -------------------------------------------------------------------
def test_gaussian_ml_profile_interval_is_the_closed_form(gaussian, ols):
    ci = gaussian.conf_int(method="profile")
    half = np.sqrt(ols["rss"] * ols["xtx_inv"] * (np.exp(Q95 / ols["n"]) - 1))
    se = gaussian.bse["mu"].to_numpy()
    # the root is found to 1e-9 SE; each refit reaches the maximum to ~1e-13 in llf
    assert np.abs((ci.loc["mu", "lower"] - (ols["b"] - half)) / se).max() < 1e-8
    assert np.abs((ci.loc["mu", "upper"] - (ols["b"] + half)) / se).max() < 1e-8


def test_gaussian_log_sigma_profile(gaussian, ols):
    n = ols["n"]
    log_s = 0.5 * np.log(ols["rss"] / n)

    def deviance(u):
        return n * (2 * u + np.exp(-2 * u) - 1) - Q95

    lower = log_s + optimize.brentq(deviance, -1, 0, xtol=1e-14)
    upper = log_s + optimize.brentq(deviance, 0, 1, xtol=1e-14)
    ci = gaussian.conf_int(method="profile", terms="sigma:Intercept")
    se = gaussian.bse[("sigma", "Intercept")]
    assert ci.to_numpy().ravel() == pytest.approx([lower, upper], abs=1e-8 * se)


def test_convention_r_holds_the_dispersion_like_mass(heart, ols):
    r = mlefit.fit(FORMULA, heart, convention="R")
    ci = r.conf_int(method="profile", terms=["Intercept", "age", "exang", "oldpeak"])
    np.testing.assert_allclose(ci["lower"], ols["b"] - Z95 * ols["se_r"], rtol=1e-10)
    np.testing.assert_allclose(ci["upper"], ols["b"] + Z95 * ols["se_r"], rtol=1e-10)
    # the dispersion's own coefficient is profiled on the full likelihood, as under ML
    ml = mlefit.fit(FORMULA, heart).conf_int(method="profile", terms="sigma:Intercept")
    np.testing.assert_allclose(r.conf_int(method="profile", terms="sigma:Intercept"), ml,
                               rtol=1e-10)


def test_profile_curve_matches_the_closed_form(gaussian, ols):
    curve = gaussian.profile("age", points=9)
    assert list(curve.columns) == ["value", "llf", "signed_root"]
    assert curve.attrs["term"] == "age" and curve.attrs["estimate"] == pytest.approx(ols["b"][1])
    n, j = ols["n"], 1
    rss_v = ols["rss"] + (curve["value"] - ols["b"][j]) ** 2 / ols["xtx_inv"][j]
    closed = -n / 2 * (np.log(2 * np.pi * rss_v / n) + 1)
    np.testing.assert_allclose(curve["llf"], closed, rtol=1e-12)
    # the default grid spans the 99% interval: signed roots -+2.5758 at its ends
    ends = curve["signed_root"].iloc[[0, -1]].to_numpy()
    assert ends == pytest.approx([-stats.norm.isf(0.005), stats.norm.isf(0.005)], abs=1e-7)
    assert (curve["signed_root"].diff().dropna() > 0).all()
    at = gaussian.profile(("mu", "age"), values=[-1.0, -0.5])
    assert at["signed_root"].iloc[0] < 0 < at["signed_root"].iloc[-1]


# R's MASS::confint -----------------------------------------------------------------------
def budworm() -> pd.DataFrame:
    """Venables & Ripley's budworm data as Bernoulli rows with frequency weights."""
    ldose = np.tile(np.arange(6), 2)
    dead = np.array([1, 4, 9, 13, 18, 20, 0, 2, 6, 10, 12, 16])
    sex = np.repeat(["M", "F"], 6)
    return pd.DataFrame({"ldose": np.repeat(ldose, 2), "sex": np.repeat(sex, 2),
                         "y": np.tile([1.0, 0.0], 12),
                         "w": np.column_stack([dead, 20 - dead]).ravel()})


def test_budworm_matches_r_mass_confint():
    res = mlefit.fit("y ~ sex + ldose", budworm(), family=PlainBernoulli(), weights="w")
    ci = res.conf_int(method="profile", terms="ldose")
    assert ci.to_numpy().ravel() == pytest.approx([0.8228708, 1.3390581], rel=1e-4)
    # the exact crossings, as docs/comparison.md quotes them
    doc = (Path(__file__).resolve().parents[2] / "docs" / "comparison.md").read_text()
    assert "mlefit gives {:.7f}, {:.7f}".format(*ci.to_numpy().ravel()) in doc


# an independent profile of the GLM likelihood --------------------------------------------
def _rows(kind, y, eta):
    """Per-row log-likelihood and its first two eta-derivatives (canonical links)."""
    if kind == "poisson":
        mu = np.exp(eta)
        return y * eta - mu - special.gammaln(y + 1), y - mu, mu
    p = special.expit(eta)
    return y * eta - np.logaddexp(0, eta), y - p, p * (1 - p)


def hand_profile_interval(kind, X, y, j, level=0.95):
    """Profile interval of coefficient j, from scratch: trust-region Newton (scipy) for
    the other coefficients at each value, Brent's method for the crossing."""
    def fit(offset, cols, start):
        Xc = X[:, cols]

        def nll(b):
            return -np.sum(_rows(kind, y, offset + Xc @ b)[0])

        def grad(b):
            return -Xc.T @ _rows(kind, y, offset + Xc @ b)[1]

        def hess(b):
            return Xc.T @ (_rows(kind, y, offset + Xc @ b)[2][:, None] * Xc)

        sol = optimize.minimize(nll, start, jac=grad, hess=hess, method="trust-exact",
                                options={"gtol": 1e-11})
        return sol.fun, sol.x

    p = X.shape[1]
    nll_hat, b = fit(np.zeros(len(y)), list(range(p)), np.zeros(p))
    se = np.sqrt(np.linalg.inv(X.T @ (_rows(kind, y, X @ b)[2][:, None] * X))[j, j])
    others = [c for c in range(p) if c != j]

    def excess(v):
        value, _ = fit(v * X[:, j], others, b[others])
        return np.sqrt(max(2 * (value - nll_hat), 0.0)) - np.sqrt(stats.chi2.ppf(level, 1))

    lower = optimize.brentq(excess, b[j] - 10 * se, b[j], xtol=1e-12)
    upper = optimize.brentq(excess, b[j], b[j] + 10 * se, xtol=1e-12)
    return lower, upper


@pytest.mark.parametrize(("kind", "family", "formula"), [
    ("poisson", PlainPoisson(), "ca ~ age + sex + thalach"),
    ("bernoulli", PlainBernoulli(), "disease ~ age + sex + thalach + oldpeak"),
])
def test_logpdf_only_families_match_an_independent_profile(heart, kind, family, formula):
    data = heart.dropna().assign(disease=lambda d: (d["num"] > 0).astype(float))
    res = mlefit.fit(formula, data, family=family)
    ours = res.conf_int(method="profile")
    X = np.asarray(smf.ols(formula, data).fit().model.exog)
    y = data[formula.split(" ~")[0]].to_numpy(float)
    oracle = np.array([hand_profile_interval(kind, X, y, j) for j in range(X.shape[1])])
    # both find the crossing to ~1e-10 SE and each refit reaches its maximum to ~1e-12 in
    # llf (numeric derivatives on our side): the ends agree to ~1e-10 SE
    in_se = (ours.to_numpy() - oracle) / res.bse.to_numpy()[:, None]
    assert np.abs(in_se).max() < 1e-8


# flat profiles, names, progress ----------------------------------------------------------
def test_a_profile_that_never_crosses_gives_an_infinite_end(heart):
    # t(15) data: the likelihood of log(nu) levels off towards the gaussian (nu = inf)
    # less than chi2_1(0.95)/2 below its maximum, so the upper end is +inf
    rng = np.random.default_rng(0)
    data = pd.DataFrame({"y": stats.t.rvs(15, size=150, random_state=rng)})
    res = mlefit.fit("y ~ 1", data, family=PlainT())
    lr = mlefit.lrtest(mlefit.fit("y ~ 1", data), res).statistic
    assert 0 < lr < Q95
    with pytest.warns(InferenceWarning, match=r"nu:Intercept does not cross.*upper side"):
        ci = res.conf_int(method="profile", terms="nu:Intercept")
    lower, upper = ci.to_numpy().ravel()
    assert upper == np.inf and np.isfinite(lower) and lower < res.params[("nu", "Intercept")]


def test_term_selection_and_errors(gaussian):
    wald = gaussian.conf_int(terms=["age", "sigma:Intercept"])
    assert list(wald.index) == [("mu", "age"), ("sigma", "Intercept")]
    full = gaussian.conf_int()
    pd.testing.assert_frame_equal(wald, full.iloc[[1, 4]])
    assert gaussian.conf_int(terms=("mu", "exang")).index[0] == ("mu", "exang")
    assert gaussian.conf_int(terms="mu:exang").index[0] == ("mu", "exang")
    assert gaussian.conf_int(terms=2).index[0] == ("mu", "exang")
    with pytest.raises(DataError, match=r"'agee' is not a coefficient.*'sigma:Intercept'"):
        gaussian.conf_int(terms="agee")
    with pytest.raises(DataError, match="method='bootstrap' is not 'wald' or 'profile'"):
        gaussian.conf_int(method="bootstrap")
    with pytest.raises(DataError, match="alpha"):
        gaussian.conf_int(alpha=1.5, method="profile")


def test_progress_bar(gaussian, capsys):
    pytest.importorskip("tqdm")
    gaussian.conf_int(method="profile", terms=["age"], progress=True)
    assert "profile intervals" in capsys.readouterr().err


def test_progress_bar_without_tqdm_names_the_extra(gaussian, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "tqdm.auto", None)
    with pytest.raises(ImportError, match=r"pip install 'mlefit\[progress\]'"):
        gaussian.conf_int(method="profile", terms=["age"], progress=True)
    assert len(gaussian.conf_int(method="profile", terms=["age"])) == 1   # quietly without


def test_profile_finds_a_fit_short_of_its_maximum(heart):
    with pytest.warns(mlefit.ConvergenceWarning, match="did not converge"):
        stuck = mlefit.fit(FORMULA, heart, maxiter=1, start={"mu": 150.0, "sigma": 60.0})
    with pytest.warns(mlefit.ConvergenceWarning, match="had not reached its maximum"):
        stuck.profile("age", values=[-0.8])


# coverage ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_profile_interval_coverage_poisson():
    """1000 Poisson regressions (n = 40, logpdf-only family): the 95% profile interval of
    the slope covers the truth in 95% +- 3 binomial SE of the replicates."""
    rng = np.random.default_rng(11)
    hits = []
    for _ in range(1000):
        d = pd.DataFrame({"x": rng.uniform(-1, 1, size=40)})
        d["y"] = rng.poisson(np.exp(0.5 + 0.8 * d["x"]))
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ci = mlefit.fit("y ~ x", d, family=PlainPoisson()).conf_int(
                method="profile", terms="x")
        hits.append(ci["lower"].iloc[0] <= 0.8 <= ci["upper"].iloc[0])
    se = np.sqrt(0.95 * 0.05 / len(hits))
    assert abs(np.mean(hits) - 0.95) < 3 * se


def test_no_profile_interval_at_an_exact_fit():
    data = pd.DataFrame({"x": np.arange(10.0), "y": np.ones(10)})
    with pytest.warns(mlefit.ConvergenceWarning, match="exact fit"):
        exact = mlefit.fit("y ~ x", data, "gaussian")
    with pytest.raises(DataError, match=r"exact fit.*log-likelihood is infinite"):
        exact.conf_int(method="profile")
    with pytest.raises(DataError, match="exact fit"):
        exact.profile("x")


def test_a_profile_running_to_an_overflow_is_infinite_not_the_overflow_point():
    """Gaussian data fitted with student_t: the profile of log(nu) stays below the cutoff
    all the way to nu = inf (the LR against the Gaussian is 2.06 < 3.84). Past log(nu) =
    709.78 exp overflows and the log-likelihood is not finite; that point is not a
    crossing: the end is +inf, with the does-not-cross warning."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=200)
    df = pd.DataFrame({"x": x, "y": 1 + x + np.random.default_rng(1).standard_normal(200)})
    res = mlefit.fit("y ~ x", df, family="student_t")
    gauss = mlefit.fit("y ~ x", df, family="gaussian")
    assert 2 * (res.llf - gauss.llf) < stats.chi2(1).ppf(0.95)
    with pytest.warns(mlefit.InferenceWarning, match="does not cross the 95% cutoff on the "
                                                     "upper side"):
        ci = res.conf_int(method="profile", terms=["nu:Intercept"])
    assert np.isposinf(ci.iloc[0]["upper"]) and np.isfinite(ci.iloc[0]["lower"])


def test_separated_binomial_ends_are_infinite_at_once_and_the_finite_end_is_the_profile():
    """Complete separation (y = [x > 0], n = 200): the slope of x runs to +inf, so its upper
    end is infinite; the intercept and z are free while it does, so their profiles stay at
    the supremum (both ends infinite). Before, the profile refits hit a singular Newton
    step (a raw LinAlgError; the issue measured 37 s and 16 failed refits elsewhere).
    Oracle for the finite lower end of x: the profile written out with scipy (intercept and
    z maximised by BFGS at fixed slope v on the hand-written Bernoulli log-likelihood),
    whose deviance crosses chi2_1(0.95) there."""
    from scipy import optimize, stats

    rng = np.random.default_rng(1)
    x, z = rng.normal(size=200), rng.normal(size=200)
    y = (x > 0).astype(float)
    with pytest.warns(mlefit.ConvergenceWarning, match="separation"):
        res = mlefit.fit("y ~ x + z", {"y": y, "x": x, "z": z}, "binomial")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ci = res.conf_int(method="profile")
    messages = [str(w.message) for w in caught]
    assert any("separated and x runs to +inf" in m for m in messages)
    assert not any("did not converge" in m for m in messages)     # no failed refits
    assert np.isinf(ci.loc[("mu", "x"), "upper"]) and ci.loc[("mu", "x"), "upper"] > 0
    for term in ("Intercept", "z"):
        assert ci.loc[("mu", term)].tolist() == [-np.inf, np.inf]

    def profile_llf(v):
        def nll(cz):
            eta = cz[0] + v * x + cz[1] * z
            return -np.sum(y * -np.logaddexp(0, -eta) + (1 - y) * -np.logaddexp(0, eta))
        return -optimize.minimize(nll, [0.0, 0.0], method="BFGS", options={"gtol": 1e-10}).fun

    cutoff = stats.chi2.ppf(0.95, 1) / 2           # the fit's llf is 0 to 1e-12
    lower = optimize.brentq(lambda v: -profile_llf(v) - cutoff, 1.0, 6000.0, xtol=1e-8)
    assert ci.loc[("mu", "x"), "lower"] == pytest.approx(lower, rel=1e-5)
