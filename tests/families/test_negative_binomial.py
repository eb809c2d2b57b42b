"""The NB2 negative binomial against oracles that are not mlefit.

Oracles:

* ``scipy.stats.nbinom(n=theta, p=theta/(theta + mu))`` for the mass, cdf and moments
  at ordinary theta; a 60-digit ``decimal`` evaluation (the log-gamma ratio as the finite
  sum ``sum_{k<y} log(theta + k)``) for theta up to 1e16, where scipy's gammaln
  differences have lost 7 or more digits; ``scipy.stats.poisson`` at theta = inf;
* central differences (``_count_oracles``) for the derivatives; the information identity
  with scipy's mass for the expected information;
* R ``MASS::glm.nb`` on the RAND health-insurance data (``mdvis``), with Stata's
  ``nbreg`` log-likelihood and ``lnalpha``, as published in statsmodels' test results
  ``statsmodels/discrete/tests/results/results_discrete.py``
  (``RandHIE.negativebinomial_nb2_bfgs``: "R 2.15.1 MASS 7.3-22 glm.nb()");
* R ``glm(..., family = negative.binomial(1))`` on the committee data, published in
  ``statsmodels/genmod/tests/results/results_glm.py`` (class ``Committee``);
* statsmodels ``NegativeBinomial(loglike_method="nb2")`` (joint observed information;
  reports ``alpha = 1/theta``) on randhie and on medpar1
  (``mlefit.datasets.load_medpar1()``; statsmodels' own medpar1 results are for the
  inverse Gaussian GLM only, so there is no published glm.nb number on it), and
  statsmodels ``GLM(family=NegativeBinomial(alpha))`` for a known theta;
* simulation (4 standard errors), including ``theta="~ group"``.
"""

from decimal import Decimal, localcontext

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _count_oracles import (
    assert_boundary_lrtest,
    assert_matches_statsmodels_negbin,
    check_derivatives,
    r_order,
    recover_by_group,
    recover_identity_link,
    score_moments,
    statsmodels_negbin_randhie,
)
from scipy import special, stats
from statsmodels.discrete.tests.results.results_discrete import RandHIE
from statsmodels.genmod.tests.results.results_glm import Committee

import mlefit
from mlefit_families.negative_binomial import NegativeBinomial
from mlefit_families.poisson import Poisson

FAMILY = NegativeBinomial()
RANDHIE = "mdvis ~ lncoins + idp + lpi + fmde + physlm + disea + hlthg + hlthf + hlthp"
MEDPAR = "los ~ admitype + codes"
COMMITTEE = "BILLS104 ~ SIZE + SUBS + LNSTAFF + PRESTIGE + BILLS103 + SUBS:LNSTAFF"


def nbinom_logpmf(y, mu, theta):
    return stats.nbinom.logpmf(y, theta, theta / (theta + mu))


@pytest.fixture(scope="module")
def committee():
    data = sm.datasets.committee.load_pandas().data
    return data.assign(LNSTAFF=np.log(data["STAFF"]))


@pytest.fixture(scope="module")
def randhie_fit(randhie):
    return mlefit.fit(RANDHIE, randhie, family=FAMILY)


# the distribution ----------------------------------------------------------------------
def term_scale(y, mu, theta):
    """Size of the terms the NB2 log density adds up (its rounding level / eps)."""
    return (special.gammaln(y + 1) + special.gammaln(y + np.minimum(theta, 15.0))
            + y * np.abs(np.log(mu)) + mu + y + 1)


@pytest.mark.parametrize("theta", [0.05, 0.9, 7.0, 14.99, 15.0, 60.0, 1e3])
def test_logpdf_cdf_moments_match_scipy(theta):
    """Both sides of the Stirling switch (theta = 15). scipy's rounding is a few ulps of
    its terms ``gammaln(y + theta)``, ``gammaln(theta)``, ``y log(1 - p)``, plus
    ``y eps / (1 - p)`` from ``p = theta/(theta + mu)`` rounded near 1 (it is less
    accurate than mlefit there: see the decimal test); that is the tolerance."""
    y = np.arange(0.0, 400.0)
    eps = np.finfo(float).eps
    for mu in (0.02, 1.5, 40.0):
        m, t = np.full(y.shape, mu), np.full(y.shape, theta)
        p = theta / (theta + mu)
        scipy_terms = (special.gammaln(y + theta) + abs(special.gammaln(theta))
                       + special.gammaln(y + 1) + theta * abs(np.log(p))
                       + y * abs(np.log1p(-p)) + y / (1 - p) + 1)
        err = np.abs(FAMILY.logpdf(y, m, t) - nbinom_logpmf(y, mu, theta))
        assert np.all(err <= 8 * eps * scipy_terms)
        cdf = stats.nbinom.cdf(y, theta, p)
        np.testing.assert_allclose(FAMILY.cdf(y, m, t), cdf, rtol=1e-11, atol=1e-300)
        assert FAMILY.variance(mu, theta) == pytest.approx(stats.nbinom.var(theta, p),
                                                           rel=1e-14)


def exact(y: int, mu: float, theta: float):
    """(log p, dl/dtheta, d2l/dtheta2) in 60-digit decimal arithmetic.

    ``lgamma(y + theta) - lgamma(theta) = sum_{k<y} log(theta + k)`` and its derivatives
    ``sum 1/(theta + k)``, ``-sum 1/(theta + k)^2``: exact finite sums for integer y.
    """
    with localcontext() as ctx:
        ctx.prec = 60
        Y, M, T = Decimal(y), Decimal(mu), Decimal(theta)
        ks = [Decimal(k) for k in range(y)]
        logfact = sum((Decimal(k).ln() for k in range(2, y + 1)), Decimal(0))
        logp = (sum(((T + k).ln() for k in ks), Decimal(0)) - logfact
                + T * (T / (T + M)).ln() + Y * (M / (T + M)).ln())
        d1 = sum((1 / (T + k) for k in ks), Decimal(0)) - (1 + M / T).ln() + (M - Y) / (T + M)
        d2 = (-sum((1 / (T + k) ** 2 for k in ks), Decimal(0)) + M / (T * (T + M))
              - (M - Y) / (T + M) ** 2)
        return float(logp), float(d1), float(d2)


@pytest.mark.parametrize("theta", [0.05, 7.0, 14.99, 15.0, 20.0, 1e4, 1e8, 1e12, 1e16])
def test_against_exact_decimal(theta):
    """At theta = 1e8 the terms of the log density are ~2e9 while the density is O(1):
    naive gammaln differences (scipy) lose ~7 digits there. mlefit keeps a few ulps of
    the terms that do not cancel (``log y!``, ``y log mu``, ``mu``, and below theta = 15
    the log-gamma ratio, see ``term_scale``) at every theta, and, above the switch, the
    theta derivatives to relative 1e-12 although they are O(1/theta^2) and
    O(1/theta^3) differences of O(1/theta) terms."""
    cases = [(y, mu) for y in (0, 1, 2, 7, 40, 399) for mu in (0.3, 6.0, 35.0)]
    y = np.array([c[0] for c in cases], dtype=float)
    mu = np.array([c[1] for c in cases])
    t = np.full(y.shape, theta)
    ref = np.array([exact(int(a), b, theta) for a, b in cases])
    err = np.abs(FAMILY.logpdf(y, mu, t) - ref[:, 0])
    assert np.all(err <= 8 * np.finfo(float).eps * term_scale(y, mu, t))
    if theta >= 15.0:
        d1 = FAMILY.dlogpdf(y, mu, t)["theta"]
        d2 = FAMILY.d2logpdf(y, mu, t)[("theta", "theta")]
        np.testing.assert_allclose(d1, ref[:, 1], rtol=1e-12, atol=0)
        np.testing.assert_allclose(d2, ref[:, 2], rtol=1e-12, atol=0)


def test_theta_infinity_is_the_poisson():
    y = np.arange(0.0, 30.0)
    mu = np.full(y.shape, 3.7)
    inf = np.full(y.shape, np.inf)
    pois = Poisson()
    np.testing.assert_allclose(FAMILY.logpdf(y, mu, inf), stats.poisson.logpmf(y, 3.7),
                               rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(FAMILY.cdf(y, mu, inf), stats.poisson.cdf(y, 3.7), rtol=1e-14)
    np.testing.assert_allclose(FAMILY.unit_deviance(y, mu, inf), pois.unit_deviance(y, mu),
                               rtol=1e-14, atol=1e-14)
    d1, d2 = FAMILY.dlogpdf(y, mu, inf), FAMILY.d2logpdf(y, mu, inf)
    np.testing.assert_allclose(d1["mu"], y / 3.7 - 1, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(d2[("mu", "mu")], -y / 3.7**2, rtol=1e-14)
    assert not np.any(d1["theta"]) and not np.any(d2[("theta", "theta")])
    assert not np.any(d2[("mu", "theta")])
    assert np.all(FAMILY.variance(mu, inf) == mu)


def test_outside_support_is_minus_inf():
    y = np.array([-1.0, 0.5, 3.25])
    assert np.all(FAMILY.logpdf(y, np.full(3, 2.0), np.full(3, 1.5)) == -np.inf)


@pytest.mark.parametrize("theta_range", [(0.05, 3.0), (3.0, 14.9), (15.1, 200.0)])
def test_derivatives_match_central_differences(theta_range):
    rng = np.random.default_rng(3)
    n = 300
    mu = rng.uniform(0.1, 40.0, n)
    theta = rng.uniform(*theta_range, n)
    y = FAMILY.sample(rng, n, mu, theta)
    check_derivatives(FAMILY, y, {"mu": mu, "theta": theta},
                      logpdf_scale=term_scale(y, mu, theta))


@pytest.mark.parametrize("theta", [0.4, 9.0, 80.0, 1e9, np.inf])
def test_log_links_eta_derivatives_equal_chain_rule(theta):
    """``eta_derivatives`` (log, log) against the natural-scale derivatives through the
    chain rule ``h' = theta``, ``h'' = theta`` (exact for the log link), and finite at
    ``eta_theta = inf`` where the chain rule is ``0 * inf``."""
    rng = np.random.default_rng(4)
    mu = rng.uniform(0.2, 30.0, 50)
    y = FAMILY.sample(rng, 50, mu, np.full(50, min(theta, 1e6)))
    t = np.full(50, theta)
    d1, d2 = FAMILY.eta_derivatives(y, {"mu": "log", "theta": "log"}, mu=np.log(mu),
                                    theta=np.log(t))
    mu, t = np.exp(np.log(mu)), np.exp(np.log(t))  # the values the links give back
    assert all(np.all(np.isfinite(v)) for v in [*d1.values(), *d2.values()])
    if np.isinf(theta):
        np.testing.assert_allclose(d1["mu"], y - mu, rtol=1e-14)
        np.testing.assert_allclose(d2[("mu", "mu")], -mu, rtol=1e-14)
        assert not np.any(d1["theta"]) and not np.any(d2[("theta", "theta")])
        return
    g1, g2 = FAMILY.dlogpdf(y, mu, t), FAMILY.d2logpdf(y, mu, t)
    np.testing.assert_allclose(d1["mu"], g1["mu"] * mu, rtol=1e-12)
    np.testing.assert_allclose(d1["theta"], g1["theta"] * t, rtol=1e-12)
    np.testing.assert_allclose(d2[("mu", "mu")], g2[("mu", "mu")] * mu**2 + g1["mu"] * mu,
                               rtol=1e-11)
    np.testing.assert_allclose(d2[("mu", "theta")], g2[("mu", "theta")] * mu * t, rtol=1e-12)
    np.testing.assert_allclose(d2[("theta", "theta")],
                               g2[("theta", "theta")] * t**2 + g1["theta"] * t, rtol=1e-11)
    assert FAMILY.eta_derivatives(y, {"mu": "sqrt", "theta": "log"}, mu=mu, theta=t) is None


@pytest.mark.parametrize("mu, theta", [(0.8, 0.5), (6.0, 3.0), (20.0, 40.0)])
def test_expected_information(mu, theta):
    """E[s_mu^2] and E[s_mu s_theta] = 0 exactly; the theta entry is the observed
    ``-d2l/dtheta2``, whose expectation is the Fisher information E[s_theta^2]."""
    moments = score_moments(nbinom_logpmf, {"mu": mu, "theta": theta}, upper=3000,
                            steps={"mu": 1e-3 * mu, "theta": 1e-3 * theta})
    y = np.arange(0.0, 3001.0)
    p = np.exp(nbinom_logpmf(y, mu, theta))
    info = FAMILY.expected_information(y, np.full(y.shape, mu), np.full(y.shape, theta))
    # fourth-order differences with step 1e-3: relative error ~1e-12
    assert info[("mu", "mu")][0] == pytest.approx(moments[("mu", "mu")], rel=1e-9)
    assert not np.any(info[("mu", "theta")])
    assert abs(moments[("mu", "theta")]) < 1e-9 * np.sqrt(moments[("mu", "mu")]
                                                          * moments[("theta", "theta")])
    observed = -FAMILY.d2logpdf(y, np.full(y.shape, mu), np.full(y.shape, theta))[
        ("theta", "theta")]
    np.testing.assert_array_equal(info[("theta", "theta")], observed)
    assert np.sum(p * observed) == pytest.approx(moments[("theta", "theta")], rel=1e-9)


def test_sample_moments():
    rng = np.random.default_rng(8)
    n = 400_000
    mu, theta = 3.0, 0.7
    draws = FAMILY.sample(rng, n, np.full(n, mu), np.full(n, theta))
    var = mu + mu**2 / theta
    assert abs(draws.mean() - mu) < 5 * np.sqrt(var / n)
    # the variance of the sample variance needs the fourth central moment
    m4 = stats.nbinom.stats(theta, theta / (theta + mu), moments="k") * var**2 + 3 * var**2
    assert abs(draws.var() - var) < 5 * np.sqrt((m4 - var**2) / n)
    inf = FAMILY.sample(rng, 1000, np.full(1000, mu), np.full(1000, np.inf))
    assert np.all(inf == np.floor(inf))


def test_unit_deviance_is_twice_the_loglik_gap_to_the_saturated_model():
    y = np.array([0.0, 1.0, 4.0, 17.0, 230.0])
    mu = np.array([0.3, 2.0, 4.0, 11.0, 190.0])
    for theta in (0.5, 4.0, 1e3):
        gap = 2 * (nbinom_logpmf(y, y, theta) - nbinom_logpmf(y, mu, theta))
        np.testing.assert_allclose(FAMILY.unit_deviance(y, mu, np.full(5, theta)), gap,
                                   rtol=1e-10, atol=1e-12)


# R glm.nb, Stata nbreg, statsmodels ------------------------------------------------------
def test_randhie_reproduces_r_glm_nb_and_stata(randhie, randhie_fit):
    """R's glm.nb alternates theta.ml and IRLS and stops when the log-likelihood changes
    by less than 1e-8 (glm.control's epsilon), which leaves its coefficients within
    ~2e-7 (relative) of the maximum: rtol 1e-6. Stata's log-likelihood (-43383.66207653563)
    is at the maximum and agrees to rounding. glm.nb's standard errors are the expected
    information with theta fixed (the cross term vanishes in expectation): mlefit's
    convention='R'; they differ from R's by the ~1e-7 effect of R's coefficient error.
    lnalpha and its SE are Stata's (joint observed information), printed to 6 digits."""
    r = RandHIE.negativebinomial_nb2_bfgs
    res = randhie_fit
    np.testing.assert_allclose(r_order(res.params["mu"]), r.params[:-1], rtol=1e-6)
    assert res.llf == pytest.approx(r.llf, rel=1e-14)
    assert res.aic == pytest.approx(r.aic, rel=1e-14)
    assert res.bic == pytest.approx(r.bic, rel=1e-14)
    assert res.k == 11 and res.nobs == r.nobs
    assert -res.params[("theta", "Intercept")] == pytest.approx(r.lnalpha, abs=1e-8)
    assert res.bse[("theta", "Intercept")] == pytest.approx(r.lnalpha_std_err, abs=5e-8)
    glm_nb = mlefit.fit(RANDHIE, randhie, family=FAMILY, convention="R")
    np.testing.assert_allclose(r_order(glm_nb.bse["mu"]), r.bse[:-1], rtol=1e-7)
    np.testing.assert_allclose(glm_nb.params, res.params, rtol=0, atol=0)


def assert_same_as_statsmodels_nb2(res, sm_res):
    """statsmodels' alpha is 1/theta: log alpha = -log theta."""
    assert_matches_statsmodels_negbin(res, sm_res, "theta", -1.0, rtol=1e-9)


def test_randhie_matches_statsmodels_nb2(randhie, randhie_fit):
    assert_same_as_statsmodels_nb2(randhie_fit, statsmodels_negbin_randhie(randhie, "nb2"))


def test_medpar_matches_statsmodels_nb2(medpar):
    """statsmodels' Newton diverges from its default start on medpar1 (NaN); BFGS first,
    then its Newton to tol 1e-12."""
    model = sm.NegativeBinomial.from_formula(MEDPAR, medpar, loglike_method="nb2")
    pilot = model.fit(method="bfgs", maxiter=5000, disp=False)
    sm_res = model.fit(start_params=pilot.params, method="newton", tol=1e-12, disp=False)
    assert_same_as_statsmodels_nb2(mlefit.fit(MEDPAR, medpar, family=FAMILY), sm_res)


def test_committee_known_theta_reproduces_r_negative_binomial_glm(committee):
    """R: ``glm(..., family = negative.binomial(1))`` (results_glm.Committee).

    R's IRLS stopped early: its deviance is 4.3e-8 above the minimum (our log-likelihood
    is higher than R's, by 2.1e-8), and along the flat directions of this 20-row design
    that leaves its coefficients off by up to 2.3e-4 (relative): rtol 5e-4. statsmodels'
    GLM iterated to a 1e-14 change in the parameters is the tight oracle (rtol 1e-9).
    R's summary estimates a dispersion (Pearson X2 / df) for this family and scales the
    standard errors by its square root; mlefit's convention='R' keeps the likelihood's
    dispersion 1, so R's SEs are ``bse * sqrt(X2 / df)``.
    """
    r = Committee()
    res = mlefit.fit(COMMITTEE, committee, family=FAMILY, fixed={"theta": 1.0},
                     convention="R")
    assert res.k == 7 and list(res.params.index.get_level_values(0).unique()) == ["mu"]
    assert 0 < res.llf - r.llf < 1e-7 and 0 < r.deviance - res.deviance < 1e-7
    assert res.aic == pytest.approx(r.aic_R, rel=1e-9)
    np.testing.assert_allclose(r_order(res.params["mu"]), r.params, rtol=5e-4)
    scale = res.pearson_chi2 / res.df_resid
    assert scale == pytest.approx(r.scale, rel=5e-4)
    np.testing.assert_allclose(r_order(res.bse["mu"]) * np.sqrt(scale), r.bse, rtol=5e-4)
    assert res.null_deviance == pytest.approx(r.null_deviance, rel=1e-12)

    exog = np.column_stack([committee[c] for c in ("SIZE", "SUBS", "LNSTAFF", "PRESTIGE",
                                                   "BILLS103")]
                           + [committee["SUBS"] * committee["LNSTAFF"]])
    glm = sm.GLM(committee["BILLS104"], sm.add_constant(exog),
                 family=sm.families.NegativeBinomial(alpha=1.0)).fit(
        tol=1e-14, tol_criterion="params", maxiter=1000)
    np.testing.assert_allclose(res.params["mu"], glm.params, rtol=1e-9)
    np.testing.assert_allclose(res.bse["mu"], glm.bse, rtol=1e-9)
    assert res.llf == pytest.approx(glm.llf, rel=1e-13)
    assert res.deviance == pytest.approx(glm.deviance, rel=1e-12)
    assert res.pearson_chi2 == pytest.approx(glm.pearson_chi2, rel=1e-9)


def test_known_theta_identity_link_matches_statsmodels_glm(medpar):
    """The natural-scale derivatives (no eta shortcut) under the identity link."""
    with pytest.warns(sm.tools.sm_exceptions.DomainWarning):
        model = sm.GLM.from_formula(MEDPAR, medpar, family=sm.families.NegativeBinomial(
            alpha=0.25, link=sm.families.links.Identity()))
    glm = model.fit(tol=1e-14, tol_criterion="params", maxiter=1000)
    res = mlefit.fit(MEDPAR, medpar, family=FAMILY, fixed={"theta": 4.0}, link="identity",
                     convention="R")
    np.testing.assert_allclose(res.params["mu"], glm.params, rtol=1e-10)
    np.testing.assert_allclose(res.bse["mu"], glm.bse, rtol=1e-10)
    assert res.llf == pytest.approx(glm.llf, rel=1e-13)
    assert res.deviance == pytest.approx(glm.deviance, rel=1e-12)
    assert res.null_deviance == pytest.approx(glm.null_deviance, rel=1e-12)
    assert res.pearson_chi2 == pytest.approx(glm.pearson_chi2, rel=1e-10)


# the Poisson boundary ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def poisson_data():
    """Poisson counts whose conditional variance is below the mean: the NB2 likelihood is
    maximal at theta = inf."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(500)
    return pd.DataFrame({"x": x, "y": rng.poisson(np.exp(0.5 + 0.3 * x))})


def test_equidispersed_data_end_at_the_poisson_with_a_warning(poisson_data):
    pois = mlefit.fit("y ~ x", poisson_data, family=Poisson())
    with pytest.warns(mlefit.ConvergenceWarning,
                      match=r"theta is at its boundary value inf: .*'poisson'"):
        res = mlefit.fit("y ~ x", poisson_data, family=FAMILY)
    assert res.converged
    assert res.llf == pytest.approx(pois.llf, rel=1e-13)
    np.testing.assert_allclose(res.params["mu"], pois.params["mu"], rtol=1e-9)
    np.testing.assert_allclose(res.bse["mu"], pois.bse["mu"], rtol=1e-6)
    assert res.params[("theta", "Intercept")] > 20  # theta > 5e8: Poisson to rounding


def test_fixed_theta_infinity_is_the_poisson_fit(medpar):
    pois = mlefit.fit(MEDPAR, medpar, family=Poisson())
    res = mlefit.fit(MEDPAR, medpar, family=FAMILY, fixed={"theta": np.inf})
    np.testing.assert_allclose(res.params, pois.params, rtol=1e-13)
    np.testing.assert_allclose(res.bse, pois.bse, rtol=1e-13)
    assert res.llf == pytest.approx(pois.llf, rel=1e-14)
    assert res.deviance == pytest.approx(pois.deviance, rel=1e-13)
    assert res.k == pois.k


# simulation ---------------------------------------------------------------------------------
def test_theta_with_its_own_formula_is_recovered():
    res = recover_by_group(FAMILY, "theta", (0.8, 5.0))
    pred = res.predict(pd.DataFrame({"x": [0.0, 0.0], "group": ["a", "b"]}), which="theta")
    assert pred.iloc[1] > pred.iloc[0]


def test_identity_link_recovered():
    recover_identity_link(FAMILY, "theta", 2.5)


def test_theta_link_is_log_only(medpar):
    with pytest.raises(mlefit.DataError, match="not allowed"):
        mlefit.fit(MEDPAR, medpar, family=FAMILY, links={"theta": "identity"})


def test_lrtest_against_the_poisson_uses_the_boundary_mixture():
    """Poisson in NB2 at theta = inf, a boundary: the LR statistic's null distribution is
    1/2 chi2(0) + 1/2 chi2(1) (Self and Liang 1987), so p = chi2(1).sf(LR) / 2. Mildly
    overdispersed data (theta = 15) give a moderate statistic."""
    assert_boundary_lrtest(FAMILY, np.full(400, 15.0), seed=1, max_lr=20)


def test_committee_known_theta_pearson_dispersion_is_r_summary(committee):
    """``dispersion="pearson"`` with theta fixed: R's ``summary(glm(..., family =
    negative.binomial(1)))`` (results_glm.Committee): the standard errors scaled by the
    Pearson dispersion X2 / df, t tests on df = 13. R's IRLS stopped early (see the test
    above): rtol 5e-4 against R; statsmodels ``GLM(NegativeBinomial(alpha=1))`` with
    ``scale="X2"`` (R's numbers, iterated to 1e-14) is the tight oracle: rtol 1e-9; the
    t tests are scipy's t(13) on statsmodels' numbers."""
    r = Committee()
    exog = np.column_stack([committee[c] for c in ("SIZE", "SUBS", "LNSTAFF", "PRESTIGE",
                                                   "BILLS103")]
                           + [committee["SUBS"] * committee["LNSTAFF"]])
    glm = sm.GLM(committee["BILLS104"], sm.add_constant(exog),
                 family=sm.families.NegativeBinomial(alpha=1.0)).fit(
        scale="X2", tol=1e-14, tol_criterion="params", maxiter=1000)
    res = mlefit.fit(COMMITTEE, committee, family=FAMILY, fixed={"theta": 1.0},
                     dispersion="pearson", convention="R")
    assert res.dispersion.parameter is None and res.dispersion.phi_ml == 1.0
    assert res.dispersion.phi == res.dispersion.phi_pearson
    assert res.dispersion.phi_pearson == pytest.approx(r.scale, rel=5e-4)
    assert res.dispersion.phi_pearson == pytest.approx(glm.scale, rel=1e-9)
    np.testing.assert_allclose(r_order(res.bse["mu"]), r.bse, rtol=5e-4)
    np.testing.assert_allclose(res.bse["mu"], glm.bse, rtol=1e-9)
    t = glm.params / glm.bse
    assert res.t_tests and res.df_resid == r.df_resid == 13
    np.testing.assert_allclose(res.tvalues, t, rtol=1e-9)
    np.testing.assert_allclose(res.pvalues, 2 * stats.t.sf(np.abs(t), 13), rtol=1e-8)
    assert "Dispersion phi: 0.3852" in res.summary()
    # the ML convention: its own (observed-information) SEs times sqrt(phi), z tests
    ml = mlefit.fit(COMMITTEE, committee, family=FAMILY, fixed={"theta": 1.0},
                    dispersion="pearson")
    plain = mlefit.fit(COMMITTEE, committee, family=FAMILY, fixed={"theta": 1.0})
    assert not ml.t_tests and plain.dispersion.phi == 1.0
    np.testing.assert_allclose(ml.bse, plain.bse * np.sqrt(glm.scale), rtol=1e-9)


def test_pearson_dispersion_needs_theta_fixed(medpar):
    with pytest.raises(mlefit.errors.DataError, match=r"fix \['theta'\]"):
        mlefit.fit(MEDPAR, medpar, family=FAMILY, dispersion="pearson")


def test_pearson_dispersion_profile_interval_scales_the_deviance(medpar):
    """R's ``MASS`` profile of a glm with an estimated dispersion:
    ``r(v)^2 = (D(v) - D(b)) / phi``. Oracle: statsmodels GLM deviances with the
    coefficient held at v through the offset, the end solved by scipy's brentq to 1e-10;
    rtol 1e-7 (both solvers' tolerances)."""
    from scipy import optimize

    res = mlefit.fit(MEDPAR, medpar, family=FAMILY, fixed={"theta": 2.0},
                     dispersion="pearson")
    phi = res.dispersion.phi_pearson
    family = sm.families.NegativeBinomial(alpha=0.5)
    model = sm.GLM.from_formula(MEDPAR, medpar, family=family)
    X, y = model.exog, model.endog
    j = model.exog_names.index("admitype[T.type3]")
    d0 = model.fit(tol=1e-14, tol_criterion="params").deviance
    term = ("mu", "admitype[T.type3]")
    b, se = float(res.params[term]), float(res.bse[term])

    def excess(v):
        fit = sm.GLM(y, np.delete(X, j, axis=1), family=family, offset=v * X[:, j]).fit(
            tol=1e-14, tol_criterion="params")
        return (fit.deviance - d0) / phi - 1.959963984540054 ** 2

    upper = optimize.brentq(excess, b, b + 5 * se, xtol=1e-12)
    lower = optimize.brentq(excess, b - 5 * se, b, xtol=1e-12)
    ci = res.conf_int(method="profile", terms=term)
    np.testing.assert_allclose(ci.iloc[0].to_numpy(), [lower, upper], rtol=1e-7)
