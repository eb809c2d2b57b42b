"""Likelihood-ratio tests and information criteria (mlefit.lrtest, mlefit.compare).

Oracles (none of them mlefit):

* Gaussian fits: the ML log-likelihood is ``-n/2 (log(2 pi RSS/n) + 1)``, so the LR
  statistic of nested linear models is ``n log(RSS0 / RSS1)`` (RSS from numpy lstsq).
  R's ``lmtest::lrtest(lm0, lm1)`` uses ``logLik.lm``, this same ML log-likelihood, with
  ``df = p + 1``: the closed form IS its value. statsmodels ``OLS.compare_lr_test`` is a
  second, independent implementation.
* A heteroscedastic Gaussian (log sigma linear in age): maximised here by scipy BFGS on
  a hand-written likelihood.
* AIC/BIC/AICc: R's rules (``AIC = -2 logLik + 2k``, sigma counted) from the closed form.
* p-values: scipy.stats.chi2 and the chi-bar-squared mixture written out.

The families below are written with ``logpdf`` only (numeric derivatives in the engine);
test_profile, test_score and test_robust import them from here.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import optimize, special, stats
from test_logpdf_only import PlainNormal

import mlefit
from mlefit import ComparisonError, Family, InferenceWarning, Parameter, Reduction
from mlefit.domains import Domain, NonNegativeIntegers, Positive, Real, UnitInterval

SMALL, LARGE = "thalach ~ age", "thalach ~ age + exang + oldpeak"


# families written for these tests: logpdf only -----------------------------------------
class PlainPoisson(Family):
    """Poisson(mu), log link."""

    name = "plain_poisson"
    support = NonNegativeIntegers()
    parameters = (Parameter("mu", Positive()),)

    def logpdf(self, y, mu):
        return special.xlogy(y, mu) - mu - special.gammaln(y + 1)


class PlainBernoulli(Family):
    """Bernoulli(mu), logit link."""

    name = "plain_bernoulli"
    support = Domain(0.0, 1.0, closed_lower=True, closed_upper=True, integer=True)
    parameters = (Parameter("mu", UnitInterval()),)

    def logpdf(self, y, mu):
        return special.xlogy(y, mu) + special.xlog1py(1 - y, -mu)


class PlainT(Family):
    """Student t (location mu, scale sigma, nu degrees of freedom); the gaussian at
    nu = inf, a boundary of nu's domain."""

    name = "plain_t"
    support = Real()
    parameters = (Parameter("mu", Real()), Parameter("sigma", Positive()),
                  Parameter("nu", Domain(0.0, np.inf, closed_upper=True), link="log",
                            links=("log",)))
    reductions = (Reduction("gaussian", "nu", np.inf, boundary=True),)

    def logpdf(self, y, mu, sigma, nu):
        return stats.t.logpdf(y, df=nu, loc=mu, scale=sigma)


class PlainExponential(Family):
    """Exponential with mean mu."""

    name = "plain_exponential"
    support = Positive()
    parameters = (Parameter("mu", Positive()),)

    def logpdf(self, y, mu):
        return -np.log(mu) - y / mu


class PlainGamma(Family):
    """Gamma with mean mu and shape; the exponential at shape = 1 (interior)."""

    name = "plain_gamma"
    support = Positive()
    parameters = (Parameter("mu", Positive()), Parameter("shape", Positive()))
    reductions = (Reduction("plain_exponential", "shape", 1.0),)

    def logpdf(self, y, mu, shape):
        return stats.gamma.logpdf(y, a=shape, scale=mu / shape)


# oracles ---------------------------------------------------------------------------------
def rss(data, formula):
    y, X = smf.ols(formula, data).fit().model.endog, smf.ols(formula, data).fit().model.exog
    return float(np.sum((y - X @ np.linalg.lstsq(X, y, rcond=None)[0]) ** 2)), X.shape[1]


def gaussian_llf(data, formula):
    r, _ = rss(data, formula)
    n = len(data)
    return -n / 2 * (np.log(2 * np.pi * r / n) + 1)


@pytest.fixture(scope="module")
def fits(heart):
    return {f: mlefit.fit(f, heart, family="gaussian") for f in
            (SMALL, "thalach ~ age + exang", LARGE)}


# the statistic -------------------------------------------------------------------------
def test_gaussian_lr_is_n_log_rss_ratio(heart, fits):
    test = mlefit.lrtest(fits[SMALL], fits[LARGE])
    n = len(heart)
    closed = n * np.log(rss(heart, SMALL)[0] / rss(heart, LARGE)[0])
    # both llf are converged to ~1e-14 relative (|llf| ~ 1.3e3): the difference ~59 is
    # good to ~1e-12 relative
    assert test.statistic == pytest.approx(closed, rel=1e-10)
    assert test.df == 2 and not test.boundary
    assert test.pvalue == pytest.approx(stats.chi2.sf(closed, 2), rel=1e-8)
    lr, p, df = smf.ols(LARGE, heart).fit().compare_lr_test(smf.ols(SMALL, heart).fit())
    assert (test.statistic, test.pvalue, test.df) == pytest.approx((lr, p, df), rel=1e-8)
    assert list(test.table.columns) == ["model", "k", "llf", "df", "statistic", "pvalue"]
    assert "Likelihood-ratio test" in str(test) and "Pr(>Chisq)" in str(test)


def test_sequence_of_models(heart, fits):
    seq = mlefit.lrtest(*fits.values())
    assert seq.table.shape == (3, 6)
    assert list(seq.table["k"]) == [3, 4, 5]
    llf = [gaussian_llf(heart, f) for f in fits]
    expected = 2 * np.diff(llf)
    np.testing.assert_allclose(seq.statistic, expected, rtol=1e-9)
    np.testing.assert_array_equal(seq.df, [1, 1])
    np.testing.assert_allclose(seq.pvalue, stats.chi2.sf(expected, 1), rtol=1e-7)
    assert not seq.boundary.any()
    assert seq.tests[1].statistic == pytest.approx(expected[1], rel=1e-9)
    assert "each model against the next" in str(seq)


def test_heteroscedastic_gaussian_against_hand_written_likelihood(heart, fits):
    big = mlefit.fit(LARGE, heart, family="gaussian", sigma="~ age")
    y = heart["thalach"].to_numpy(float)
    X = np.column_stack([np.ones(len(y)), heart[["age", "exang", "oldpeak"]].to_numpy(float)])
    Z = np.column_stack([np.ones(len(y)), heart["age"].to_numpy(float) / 50])

    def nll(theta):
        beta, gamma = theta[:4], theta[4:]
        log_s = Z @ gamma
        return -np.sum(stats.norm.logpdf(y, X @ beta, np.exp(log_s)))

    start = np.r_[fits[LARGE].coef[:4], fits[LARGE].coef[4], 0.0]
    sol = optimize.minimize(nll, start, method="Nelder-Mead",
                            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 40000,
                                     "maxfev": 40000})
    sol = optimize.minimize(nll, sol.x, method="BFGS", options={"gtol": 1e-8})
    oracle = 2 * (-sol.fun - gaussian_llf(heart, LARGE))
    test = mlefit.lrtest(fits[LARGE], big)
    # BFGS stops within ~1e-9 of the maximum log-likelihood: 1e-7 absolute on 2.6
    assert test.statistic == pytest.approx(oracle, abs=1e-6)
    assert test.df == 1


def test_logpdf_only_family_gives_the_closed_form(heart):
    small = mlefit.fit(SMALL, heart, family=PlainNormal())
    large = mlefit.fit(LARGE, heart, family=PlainNormal())
    closed = len(heart) * np.log(rss(heart, SMALL)[0] / rss(heart, LARGE)[0])
    # numeric derivatives: the estimates sit within ~1e-8 SE of the maximum, so each llf
    # is within ~1e-12 of it
    assert mlefit.lrtest(small, large).statistic == pytest.approx(closed, rel=1e-8)


# family nesting --------------------------------------------------------------------------
def test_boundary_reduction_uses_the_chi_bar_squared_mixture(heart):
    formula = "trestbps ~ age + sex"
    g = mlefit.fit(formula, heart, family="gaussian")
    t = mlefit.fit(formula, heart, family=PlainT())
    test = mlefit.lrtest(g, t)
    assert test.boundary and test.df == 1
    stat = 2 * (t.llf - g.llf)
    assert test.statistic == pytest.approx(stat, rel=1e-12)
    # d = 0: 1/2 chi2(0) + 1/2 chi2(1); chi2(0) puts no mass above a positive statistic
    assert test.pvalue == pytest.approx(0.5 * stats.chi2.sf(stat, 1), rel=1e-12)
    assert test.distribution == "1/2 chi2(0) + 1/2 chi2(1)"
    assert "chi-bar-squared" in str(test) and "boundary" in str(test)


def test_boundary_reduction_with_other_terms(heart):
    g = mlefit.fit("trestbps ~ age", heart, family="gaussian")
    t = mlefit.fit("trestbps ~ age + sex", heart, family=PlainT())
    test = mlefit.lrtest(g, t)
    stat = 2 * (t.llf - g.llf)
    assert test.df == 2 and test.boundary
    assert test.pvalue == pytest.approx(0.5 * stats.chi2.sf(stat, 1) + 0.5 * stats.chi2.sf(stat, 2),
                                        rel=1e-12)
    assert test.distribution == "1/2 chi2(1) + 1/2 chi2(2)"


def test_boundary_parameter_with_covariates_is_refused(heart):
    g = mlefit.fit("trestbps ~ age + sex", heart, family="gaussian")
    t = mlefit.fit("trestbps ~ age + sex", heart, family=PlainT(), nu="~ age")
    with pytest.raises(ComparisonError, match=r"nu has its own design.*parametric bootstrap"):
        mlefit.lrtest(g, t)


def test_interior_reduction_uses_plain_chi_square(heart):
    e = mlefit.fit("chol ~ age + sex", heart, family=PlainExponential())
    g = mlefit.fit("chol ~ age + sex", heart, family=PlainGamma())
    test = mlefit.lrtest(e, g)
    stat = 2 * (g.llf - e.llf)
    assert not test.boundary and test.df == 1
    assert test.pvalue == pytest.approx(stats.chi2.sf(stat, 1), rel=1e-10, abs=1e-300)
    # shape with covariates: still interior (shape = 1 is eta = 0 in the log-link design)
    gs = mlefit.fit("chol ~ age + sex", heart, family=PlainGamma(), shape="~ age")
    assert mlefit.lrtest(e, gs).df == 2


def test_undeclared_family_nesting_is_refused_unless_asserted(heart):
    g = mlefit.fit("chol ~ age", heart, family="gaussian")
    gam = mlefit.fit("chol ~ age + sex", heart, family=PlainGamma())
    with pytest.raises(ComparisonError, match="plain_gamma declares no reduction to gaussian"):
        mlefit.lrtest(g, gam)
    test = mlefit.lrtest(g, gam, nested=True)
    assert "asserted by nested=True" in str(test)
    assert test.pvalue == pytest.approx(stats.chi2.sf(2 * (gam.llf - g.llf), 1), rel=1e-10)


def test_inconsistent_reduction_declaration_is_reported(heart):
    class Broken(PlainGamma):
        name = "broken_gamma"
        reductions = (Reduction("plain_exponential", "mu", 1.0),)

    e = mlefit.fit("chol ~ age", heart, family=PlainExponential())
    b = mlefit.fit("chol ~ age", heart, family=Broken())
    with pytest.raises(ComparisonError, match="declaration of broken_gamma is inconsistent"):
        mlefit.lrtest(e, b)


# refusals --------------------------------------------------------------------------------
def test_larger_model_must_come_second_with_more_coefficients(fits):
    with pytest.raises(ComparisonError, match="pass the models from the smallest"):
        mlefit.lrtest(fits[LARGE], fits[SMALL])
    with pytest.raises(ComparisonError, match="k = 5 coefficients and model 1 has 5"):
        mlefit.lrtest(fits[LARGE], fits[LARGE])


@pytest.mark.parametrize(("small", "large", "match"), [
    ("thalach ~ C(cp)", "thalach ~ cp + age + exang + oldpeak", r"\['C\(cp\)\[T.2.0\]'"),
    ("thalach ~ age", "thalach ~ np.log(age) + exang", r"mu's term\(s\) \['age'\]"),
])
def test_designs_not_nested(heart, small, large, match):
    m0, m1 = mlefit.fit(small, heart), mlefit.fit(large, heart)
    with pytest.raises(ComparisonError, match=match):
        mlefit.lrtest(m0, m1)
    assert mlefit.lrtest(m0, m1, nested=True).df == m1.k - m0.k


def test_nesting_is_checked_numerically(heart):
    # numeric cp (one column) lies in the span of the C(cp) dummies and the intercept
    m0 = mlefit.fit("thalach ~ cp", heart)
    m1 = mlefit.fit("thalach ~ C(cp) + age", heart)
    assert mlefit.lrtest(m0, m1).df == 3
    # a rescaled and shifted column is the same column space
    m2 = mlefit.fit("thalach ~ I(1000 * age + 5) + exang", heart)
    assert mlefit.lrtest(mlefit.fit(SMALL, heart), m2).df == 1
    # a constant parameter is constant under any link: sigma (log) in sigma (identity)
    identity = mlefit.fit("thalach ~ age + exang", heart, links={"sigma": "identity"})
    assert mlefit.lrtest(mlefit.fit(SMALL, heart, fixed={"sigma": 20.0}), identity).df == 2
    assert mlefit.lrtest(mlefit.fit(SMALL, heart), identity).df == 1
    # a constant offset lies in the intercept's span
    shifted = mlefit.fit("thalach ~ age + exang", heart, offset=np.full(303, 7.0))
    assert mlefit.lrtest(mlefit.fit(SMALL, heart), shifted).df == 1


def test_other_refusals(heart, fits):
    small = fits[SMALL]
    cases = [
        (mlefit.fit("thalach ~ age + ca", heart), "uses 303 rows and model 2 uses 299"),
        (mlefit.fit("np.log(thalach) ~ age + exang", heart), "responses differ"),
        (mlefit.fit("thalach ~ age + exang", heart, weights=np.arange(303) % 3 + 1),
         "different weights"),
        (mlefit.fit("thalach ~ age + exang", heart, var_weights=np.arange(303) % 3 + 1),
         "different var_weights"),
        (mlefit.fit("thalach ~ age + exang", heart, convention="R"), "convention='R'"),
        (mlefit.fit("thalach ~ age + exang", heart, link="log"), "link identity in model 1 "
         "and log in model 2"),
        (mlefit.fit("thalach ~ age + exang", heart, offset=heart["oldpeak"].to_numpy()),
         "the offset"),
    ]
    for large, match in cases:
        with pytest.raises(ComparisonError, match=match):
            mlefit.lrtest(small, large)
    with pytest.raises(ComparisonError, match="nested=False"):
        mlefit.lrtest(small, fits[LARGE], nested=False)
    with pytest.raises(ComparisonError, match="not a fit"):
        mlefit.lrtest(small, "thalach ~ age + exang")


def test_fixed_parameters_nest_by_their_values(heart):
    free = mlefit.fit(LARGE, heart)
    fixed20 = mlefit.fit(SMALL, heart, fixed={"sigma": 20.0})
    test = mlefit.lrtest(fixed20, free)      # sigma fixed at 20 is a point of the free model
    n, r1 = len(heart), rss(heart, LARGE)[0]
    r0 = rss(heart, SMALL)[0]
    llf0 = -n * np.log(20.0) - n / 2 * np.log(2 * np.pi) - r0 / (2 * 20.0**2)
    assert test.df == 3
    assert test.statistic == pytest.approx(2 * (gaussian_llf(heart, LARGE) - llf0), rel=1e-10)
    assert r1 < r0
    with pytest.raises(ComparisonError, match=r"fixed value 20.*sigma fixed at 19"):
        mlefit.lrtest(fixed20, mlefit.fit(LARGE, heart, fixed={"sigma": 19.0}))
    with pytest.raises(ComparisonError, match="sigma fixed at 19"):
        mlefit.lrtest(mlefit.fit(SMALL, heart), mlefit.fit(LARGE, heart, fixed={"sigma": 19.0}))


def test_a_larger_fit_short_of_its_maximum_is_refused(heart, fits):
    with pytest.warns(mlefit.ConvergenceWarning, match="did not converge"):
        stuck = mlefit.fit(LARGE, heart, maxiter=1, start={"mu": 150.0, "sigma": 60.0})
    assert stuck.llf < fits[SMALL].llf
    with pytest.raises(ComparisonError, match="did not reach its maximum"), \
            pytest.warns(mlefit.ConvergenceWarning, match="model 2 .* did not converge"):
        mlefit.lrtest(fits[SMALL], stuck)


def test_robust_covariance_warns(heart, fits):
    robust = mlefit.fit(LARGE, heart, cov_type="HC0")
    with pytest.warns(InferenceWarning, match=r"robust covariance.*wald_test"):
        test = mlefit.lrtest(fits[SMALL], robust)
    assert test.statistic == pytest.approx(mlefit.lrtest(fits[SMALL], fits[LARGE]).statistic,
                                           rel=1e-12)


# information criteria --------------------------------------------------------------------
def test_compare_table_follows_r_rules(heart, fits):
    table = mlefit.compare(*fits.values())
    assert list(table.columns) == ["k", "llf", "AIC", "dAIC", "weight", "AICc", "BIC"]
    assert list(table.index) == [f"gaussian: {f}" for f in (LARGE, "thalach ~ age + exang",
                                                             SMALL)]
    n = len(heart)
    for formula in fits:
        row = table.loc[f"gaussian: {formula}"]
        k = rss(heart, formula)[1] + 1                      # R counts sigma
        llf = gaussian_llf(heart, formula)
        assert row["k"] == k
        assert row["AIC"] == pytest.approx(-2 * llf + 2 * k, rel=1e-12)
        assert row["BIC"] == pytest.approx(-2 * llf + k * np.log(n), rel=1e-12)
        assert row["AICc"] == pytest.approx(-2 * llf + 2 * k + 2 * k * (k + 1) / (n - k - 1),
                                            rel=1e-12)
    assert table["AIC"].is_monotonic_increasing
    assert table["dAIC"].iloc[0] == 0
    w = np.exp(-table["dAIC"] / 2)
    np.testing.assert_allclose(table["weight"], w / w.sum(), rtol=1e-12)


def test_compare_non_nested_families_and_names(heart):
    g = mlefit.fit("chol ~ age", heart, family="gaussian")
    gam = mlefit.fit("chol ~ age", heart, family=PlainGamma())
    table = mlefit.compare(g, gam, names=["normal", "gamma"])
    assert set(table.index) == {"normal", "gamma"}
    assert table.index[0] == ("gamma" if gam.aic < g.aic else "normal")
    with pytest.raises(ComparisonError, match="names= has 1 entries for 2 models"):
        mlefit.compare(g, gam, names=["x"])


def test_compare_refuses_different_data(heart, fits):
    with pytest.raises(ComparisonError, match="rows"):
        mlefit.compare(fits[SMALL], mlefit.fit("thalach ~ age + ca", heart))
    with pytest.raises(ComparisonError, match="responses differ"):
        mlefit.compare(fits[SMALL], mlefit.fit("trestbps ~ age", heart))


def test_lrtest_labels_fixed_and_modelled_parameters(heart):
    m0 = mlefit.fit(SMALL, heart, fixed={"sigma": 20.0})
    m1 = mlefit.fit(SMALL, heart, sigma="~ age")
    table = mlefit.lrtest(m0, m1).table
    assert list(table["model"]) == ["gaussian: thalach ~ age; sigma = 20",
                                    "gaussian: thalach ~ age; sigma ~ age"]


# simulation --------------------------------------------------------------------------------
def _rate(pvalues, level=0.05):
    p = np.asarray(pvalues)
    return float(np.mean(p < level)), float(np.sqrt(level * (1 - level) / p.size))


@pytest.mark.slow
def test_lrt_size_nested_designs():
    """2000 null replicates of an added Gaussian mean term (n = 60).

    Here LR = n log(1 + F/(n - 3)) with F ~ F(1, n - 3) exactly, so the chi2(1) test's
    true size is P(F > (n - 3)(exp(q/n) - 1)) = 5.7% (the LR test is slightly liberal at
    n = 60): the rejection rate must lie within 3 binomial SE of it.
    """
    n = 60
    rng = np.random.default_rng(20240604)
    pvalues = []
    for _ in range(2000):
        d = pd.DataFrame({"x": rng.normal(size=n), "z": rng.normal(size=n)})
        d["y"] = 1 + 0.5 * d["x"] + rng.normal(size=n)
        pvalues.append(mlefit.lrtest(mlefit.fit("y ~ x", d), mlefit.fit("y ~ x + z", d)).pvalue)
    rate, se = _rate(pvalues)
    size = stats.f.sf((n - 3) * np.expm1(stats.chi2.ppf(0.95, 1) / n), 1, n - 3)
    assert abs(rate - size) < 3 * se


def _student_t():
    """The built-in student_t when it is installed, else the logpdf-only one above."""
    try:
        from mlefit_families.student_t import StudentT
    except ImportError:
        return PlainT()
    return StudentT()


def _boundary_pvalues(small_family, large_family, seed, reps=1000, n=200):
    """LR p-values (and how many statistics are 0) for data from the smaller model."""
    import warnings

    rng = np.random.default_rng(seed)
    pvalues, zeros, unconverged = [], 0, 0
    for _ in range(reps):
        d = pd.DataFrame({"x": rng.normal(size=n)})
        d["y"] = 1 + 0.5 * d["x"] + rng.normal(size=n)
        small = mlefit.fit("y ~ x", d, family=small_family)
        with warnings.catch_warnings():
            # the boundary parameter runs to its limit in about half the replicates
            warnings.simplefilter("ignore", mlefit.ConvergenceWarning)
            warnings.simplefilter("ignore", mlefit.HessianWarning)
            warnings.simplefilter("ignore", RuntimeWarning)
            large = mlefit.fit("y ~ x", d, family=large_family)
            # lrtest warns about those that stop short of the limit: 4 of the 1000
            # inflated_normal fits (log tau at -19 or -inf, statistic ~0 either way)
            test = mlefit.lrtest(small, large)
        unconverged += not large.converged
        assert test.boundary
        pvalues.append(test.pvalue)
        zeros += test.statistic == 0
    assert unconverged <= 0.01 * reps
    return np.asarray(pvalues), zeros / reps


class UnitNormal(Family):
    """N(mu, 1)."""

    name = "unit_normal"
    support = Real()
    parameters = (Parameter("mu", Real()),)

    def logpdf(self, y, mu):
        return stats.norm.logpdf(y, mu)


class InflatedNormal(Family):
    """N(mu, 1 + tau), tau >= 0: the unit normal at tau = 0, the end of tau's domain."""

    name = "inflated_normal"
    support = Real()
    parameters = (Parameter("mu", Real()),
                  Parameter("tau", Domain(0.0, np.inf, closed_lower=True), link="log",
                            links=("log",)))
    reductions = (Reduction("unit_normal", "tau", 0.0, boundary=True),)

    def logpdf(self, y, mu, tau):
        return stats.norm.logpdf(y, mu, np.sqrt(1 + tau))


@pytest.mark.slow
def test_lrt_size_on_a_boundary_variance():
    """1000 null replicates (n = 200) of a variance on its boundary (tau = 0 in
    N(mu, 1 + tau)), where the chi-bar-squared approximation is already accurate: the
    mixture's rejection rate lies within 3 binomial SE of 5%."""
    pvalues, _ = _boundary_pvalues(UnitNormal(), InflatedNormal(), seed=3)
    rate, se = _rate(pvalues)
    assert abs(rate - 0.05) < 3 * se


@pytest.mark.slow
def test_lrt_size_on_the_boundary_gaussian_in_student_t():
    """Gaussian data, gaussian vs student t (1000 replicates, n = 200).

    The estimate of nu is infinite (statistic 0) in at least half of the replicates, as
    the chi-bar-squared null says. The mixture p-value is valid, but at this n it is
    conservative: the per-row score of 1/nu at 0 is the fourth Hermite polynomial
    (z^4 - 6z^2 + 3)/4, so the positive part of the statistic approaches chi2(1) slowly
    (simulated sizes: 3.6% at n = 200 over 3000 replicates, 3.7% at n = 1000). So the
    rejection rate must lie between the naive chi2(1) level 2.5% (which the mixture must
    beat) and 5% + 3 binomial SE.
    """
    pvalues, zeros = _boundary_pvalues("gaussian", _student_t(), seed=7)
    rate, se = _rate(pvalues)
    assert 0.025 < rate < 0.05 + 3 * se
    assert 0.5 - 3 * np.sqrt(0.25 / 1000) < zeros < 0.7


# refusals and warnings on bad input -----------------------------------------------------
def test_lrtest_and_compare_name_a_model_that_did_not_converge(heart, fits):
    with pytest.warns(mlefit.ConvergenceWarning, match="did not converge"):
        stuck = mlefit.fit("thalach ~ age + exang", heart, maxiter=1)
    with pytest.warns(mlefit.ConvergenceWarning,
                      match=r"model 2 \(gaussian: thalach ~ age \+ exang\) did not converge"):
        mlefit.lrtest(fits[SMALL], stuck)
    with pytest.warns(mlefit.ConvergenceWarning, match=r"model 1 \(stuck\) did not converge"):
        mlefit.compare(stuck, fits[SMALL], names=["stuck", "small"])


def test_lrtest_and_score_test_refuse_exact_fits():
    data = pd.DataFrame({"x": np.arange(10.0), "y": np.ones(10)})
    with pytest.warns(mlefit.ConvergenceWarning, match="exact fit"):
        small = mlefit.fit("y ~ 1", data)
        large = mlefit.fit("y ~ x", data)
    with pytest.raises(ComparisonError, match=r"fit the response exactly.*likelihood-ratio"):
        mlefit.lrtest(small, large)
    with pytest.raises(ComparisonError, match=r"fit the response exactly.*score test"):
        mlefit.score_test(small, large)


def test_compare_warns_that_a_mass_function_and_a_density_are_not_comparable(heart):
    counts = heart.dropna(subset=["num"])
    pois = mlefit.fit("num ~ age", counts, "poisson")
    with pytest.warns(InferenceWarning, match=r"mass functions.*densities.*not compare"):
        table = mlefit.compare(pois, mlefit.fit("num ~ age", counts, "gaussian"))
    assert len(table) == 2
