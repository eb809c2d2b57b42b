"""The NB1 negative binomial against oracles that are not mlefit.

Oracles:

* ``scipy.stats.nbinom(n=mu/alpha, p=1/(1 + alpha))`` for the mass, cdf and moments at
  ordinary alpha; ``scipy.stats.poisson`` at alpha = 0;
* ``mpmath`` at 50 digits for the mass, the cdf and the five derivatives everywhere,
  including alpha down to 1e-12 and mu down to 1e-8, where scipy's size ``mu/alpha`` is
  huge and its ``gammaln`` differences have lost most digits: the log mass as
  ``sum_{k<y} log(mu + k alpha) - mu log1p(alpha)/alpha - y log1p(alpha) - log y!``, its
  derivatives as exact finite sums (checked against ``mpmath.diff`` of the log-gamma
  form in ``test_mpmath_oracle_is_the_log_gamma_form``);
* central differences (``_count_oracles``) for the derivatives; the information identity
  (``E[score score']`` with scipy's or mpmath's mass) for the expected information;
* statsmodels ``NegativeBinomial(loglike_method="nb1")`` on the RAND health-insurance
  data and on medpar1 (``mlefit.datasets.load_medpar1()``): its covariance is the
  inverse of its *analytic* Hessian (``_hessian_nb1`` in ``discrete_model.py``, used by
  ``fit`` for ``method="newton"`` and for the final covariance), so its standard errors
  are those of the same observed information and agree to rounding;
* Stata's ``nbreg, dispersion(constant)`` on the RAND data, and the SEs of the R function
  ``COUNT::ml.nb1`` (``optim(..., hessian = TRUE)``), as published in statsmodels'
  ``statsmodels/discrete/tests/results/results_discrete.py``
  (``RandHIE.negativebinomial_nb1_bfgs``);
* simulation (4 standard errors), including ``alpha="~ group"``.
"""

import itertools

import mpmath
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
    within_se,
)
from scipy import special, stats
from statsmodels.discrete.tests.results.results_discrete import RandHIE

import mlefit
from mlefit.testing import parametrize_with_checks
from mlefit_families import nb1
from mlefit_families.nb1 import NegativeBinomial1
from mlefit_families.poisson import Poisson

FAMILY = NegativeBinomial1()
EPS = np.finfo(float).eps
RANDHIE = "mdvis ~ lncoins + idp + lpi + fmde + physlm + disea + hlthg + hlthf + hlthp"
MEDPAR = "los ~ admitype + codes"


def nbinom_logpmf(y, mu, alpha):
    return stats.nbinom.logpmf(y, mu / alpha, 1.0 / (1.0 + alpha))


@pytest.fixture(scope="module")
def randhie_fit(randhie):
    return mlefit.fit(RANDHIE, randhie, family=FAMILY)


@parametrize_with_checks([FAMILY])
def test_conformance(family, check):
    check(family)


# the distribution ----------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.05, 0.9, 7.0, 60.0])
def test_logpdf_cdf_moments_match_scipy(alpha):
    """Sizes ``mu/alpha`` from 3e-4 to 800. scipy's rounding is a few ulps of its terms
    ``gammaln(y + n)``, ``gammaln(n)``, ``gammaln(y + 1)``, ``n log p``, ``y log1p(-p)``,
    plus ``y eps / (1 - p) = y eps (1 + alpha)/alpha`` from ``p = 1/(1 + alpha)`` rounded
    before ``log1p(-p)``: that is the tolerance (mlefit is more accurate: see the mpmath
    test). scipy's cdf (``betainc(n, k + 1, p)``) has the same rounding of ``1 - p``,
    relative ``eps/alpha`` (at most 5e-15 here), hence rtol 1e-12."""
    y = np.arange(0.0, 400.0)
    for mu in (0.02, 1.5, 40.0):
        m, a = np.full(y.shape, mu), np.full(y.shape, alpha)
        n, p = mu / alpha, 1.0 / (1.0 + alpha)
        scipy_terms = (special.gammaln(y + n) + abs(special.gammaln(n)) + special.gammaln(y + 1)
                       + n * abs(np.log(p)) + y * abs(np.log1p(-p)) + y / (1.0 - p) + 1.0)
        err = np.abs(FAMILY.logpdf(y, m, a) - nbinom_logpmf(y, mu, alpha))
        assert np.all(err <= 8 * EPS * scipy_terms)
        np.testing.assert_allclose(FAMILY.cdf(y, m, a), stats.nbinom.cdf(y, n, p),
                                   rtol=1e-12, atol=0)
        assert FAMILY.mean(mu, alpha) == mu
        assert FAMILY.variance(mu, alpha) == pytest.approx(stats.nbinom.var(n, p), rel=1e-14)


def exact(y: int, mu: float, alpha: float):
    """(values, scales) in 50-digit arithmetic: log p and the five derivatives from the
    finite-sum form, and per quantity the sum of the absolute values of its terms (the
    size of what a double-precision evaluation adds up)."""
    with mpmath.workdps(50):
        M, A = mpmath.mpf(mu), mpmath.mpf(alpha)
        ks = [mpmath.mpf(k) for k in range(y)]
        d = [M + k * A for k in ks]
        t0 = mpmath.fsum(1 / v for v in d)
        t1 = mpmath.fsum(k / v for k, v in zip(ks, d, strict=True))
        u0 = mpmath.fsum(1 / v**2 for v in d)
        u1 = mpmath.fsum(k / v**2 for k, v in zip(ks, d, strict=True))
        u2 = mpmath.fsum((k / v) ** 2 for k, v in zip(ks, d, strict=True))
        if A == 0:
            rho, g1, g2 = mpmath.mpf(1), mpmath.mpf(1) / 2, mpmath.mpf(-2) / 3
        else:
            def G1(t):
                return (mpmath.log1p(t) - t / (1 + t)) / t**2
            rho, g1, g2 = mpmath.log1p(A) / A, G1(A), mpmath.diff(G1, A)
        logs = [mpmath.log(v) for v in d]
        lf = mpmath.loggamma(y + 1)
        ya = y / (1 + A)
        values = (mpmath.fsum(logs) - M * rho - y * mpmath.log1p(A) - lf, t0 - rho,
                  t1 + M * g1 - ya, -u0, g1 - u1, M * g2 + ya / (1 + A) - u2)
        scales = (mpmath.fsum(abs(v) for v in logs) + M * rho + y * mpmath.log1p(A) + lf,
                  t0 + rho, t1 + M * g1 + ya, u0, g1 + u1, M * abs(g2) + ya / (1 + A) + u2)
        return [float(v) for v in values], [float(v) for v in scales]


def test_mpmath_oracle_is_the_log_gamma_form():
    """The finite-sum oracle against ``mpmath.diff`` of statsmodels' form
    ``lgamma(y + r) - lgamma(r) - lgamma(y + 1) + r log p + y log(1 - p)``."""
    def loglik(y, mu, alpha):
        r, p = mu / alpha, 1 / (1 + alpha)
        return (mpmath.loggamma(y + r) - mpmath.loggamma(r) - mpmath.loggamma(y + 1)
                + r * mpmath.log(p) + y * mpmath.log(1 - p))

    with mpmath.workdps(50):
        for y, mu, alpha in [(0, 0.7, 2.0), (7, 2.5, 0.8), (45, 30.0, 0.05)]:
            values, _ = exact(y, mu, alpha)
            point = (mpmath.mpf(mu), mpmath.mpf(alpha))
            orders = [(0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2)]
            ref = [float(mpmath.diff(lambda m, a, y=y: loglik(y, m, a), point, o))
                   for o in orders]
            np.testing.assert_allclose(values, ref, rtol=1e-14, atol=0)


def _exact_cases():
    """A grid over every branch (finite sums for y <= 32; digamma for mu/alpha < 15 or
    y >= 4 mu/alpha; Stirling otherwise; alpha = 0), and 150 random points."""
    grid = itertools.product([0, 1, 2, 7, 32, 33, 60, 400], [1e-8, 0.3, 6.0, 35.0, 900.0],
                             [0.0, 1e-12, 1e-6, 0.02, 0.7, 14.0, 1e4])
    rng = np.random.default_rng(5)
    random = [(int(rng.integers(0, 300)), float(np.exp(rng.uniform(-8, 7))),
               float(np.exp(rng.uniform(-12, 8)))) for _ in range(150)]
    return [*grid, *random]


def test_logpdf_and_derivatives_against_mpmath():
    """Each quantity within ``64 eps`` times the sum of the absolute values of the terms
    it is made of (the rounding level of any double-precision evaluation: each term is
    rounded to a few ulps; the largest ratio seen is 10). This holds at alpha = 1e-12
    (size 1e15, where scipy's mass has lost 12 digits), for ``y = 1`` at ``mu = 1e-8``
    (where digamma differences would lose 8 digits of dl/dalpha), and across the switch
    between the three evaluations of the sums."""
    cases = _exact_cases()
    y, mu, alpha = (np.array([c[i] for c in cases], dtype=float) for i in range(3))
    ref = [exact(*c) for c in cases]
    values = np.array([r[0] for r in ref])
    scales = np.array([r[1] for r in ref])
    got = np.column_stack([FAMILY.logpdf(y, mu, alpha), *nb1.derivatives(y, mu, alpha)])
    bound = 64 * EPS * scales + 1e-300
    names = ["logpdf", "dl/dmu", "dl/dalpha", "d2l/dmu2", "d2l/dmu dalpha", "d2l/dalpha2"]
    for j, name in enumerate(names):
        bad = np.flatnonzero(np.abs(got[:, j] - values[:, j]) > bound[:, j])
        assert not bad.size, (name, [cases[i] for i in bad[:5]])
    # the natural-scale methods are the same numbers
    d1, d2 = FAMILY.dlogpdf(y, mu, alpha), FAMILY.d2logpdf(y, mu, alpha)
    np.testing.assert_array_equal(d1["alpha"], got[:, 2])
    np.testing.assert_array_equal(d2[("alpha", "alpha")], got[:, 5])


@pytest.mark.parametrize("mu, alpha", [(3.0, 1e-9), (3.0, 1e-5), (3.0, 0.5), (40.0, 0.02),
                                       (0.01, 5.0), (200.0, 3.0)])
def test_cdf_against_mpmath(mu, alpha):
    """``1 - I_q(k + 1, mu/alpha)`` with ``q = alpha/(1 + alpha)`` computed directly: a few
    ulps (scipy's ``betainc(n, k + 1, 1/(1 + alpha))`` is off by 2.5e-7 at alpha = 1e-9)."""
    y = np.array([0.0, 1.0, 2.0, 5.0, np.floor(mu), np.floor(1.5 * mu) + 3])
    with mpmath.workdps(40):
        ref = [float(mpmath.fsum(mpmath.exp(mpmath.mpf(exact(k, mu, alpha)[0][0]))
                                 for k in range(int(v) + 1))) for v in y]
    got = FAMILY.cdf(y, np.full(y.shape, mu), np.full(y.shape, alpha))
    np.testing.assert_allclose(got, ref, rtol=1e-13, atol=0)


def test_alpha_zero_is_the_poisson():
    """At alpha = 0: scipy's Poisson mass and cdf; the derivatives are mpmath's at
    alpha = 1e-20 (a 1e-20 perturbation of the limit), in closed form
    ``dl/dalpha = ((y - mu)^2 - y)/(2 mu)``,
    ``d2l/dmu dalpha = 1/2 - y (y - 1)/(2 mu^2)``,
    ``d2l/dalpha2 = y - 2 mu/3 - y (y - 1)(2y - 1)/(6 mu^2)``."""
    y = np.arange(0.0, 60.0)
    mu, zero = np.full(y.shape, 3.7), np.zeros(y.shape)
    np.testing.assert_allclose(FAMILY.logpdf(y, mu, zero), stats.poisson.logpmf(y, 3.7),
                               rtol=1e-15, atol=1e-15)
    np.testing.assert_allclose(FAMILY.cdf(y, mu, zero), stats.poisson.cdf(y, 3.7), rtol=1e-14)
    got = np.column_stack(nb1.derivatives(y, mu, zero))
    with mpmath.workdps(60):
        limit = np.array([exact(int(k), 3.7, 1e-20)[0][1:] for k in y])
    np.testing.assert_allclose(got, limit, rtol=1e-13, atol=1e-13)
    closed = np.column_stack([y / 3.7 - 1, ((y - 3.7) ** 2 - y) / 7.4, -y / 3.7**2,
                              0.5 - y * (y - 1) / (2 * 3.7**2),
                              y - 2 * 3.7 / 3 - y * (y - 1) * (2 * y - 1) / (6 * 3.7**2)])
    np.testing.assert_allclose(got, closed, rtol=1e-12, atol=1e-12)
    assert np.all(FAMILY.variance(mu, zero) == mu)
    draws = FAMILY.sample(np.random.default_rng(0), 1000, mu[:1], zero[:1])
    assert np.all(draws == np.floor(draws)) and abs(draws.mean() - 3.7) < 5 * np.sqrt(3.7e-3)


def test_outside_support_is_minus_inf():
    y = np.array([-1.0, 0.5, 3.25])
    assert np.all(FAMILY.logpdf(y, np.full(3, 2.0), np.full(3, 1.5)) == -np.inf)


def term_scale(y, mu, alpha):
    """Size of the terms the NB1 log density adds up (its rounding level / eps)."""
    r = np.minimum(mu / alpha, 15.0)
    return (special.gammaln(y + 1) + special.gammaln(y + r) + np.abs(special.gammaln(r))
            + y * (np.abs(np.log(mu)) + np.abs(np.log(r))) + mu + y + 1)


@pytest.mark.parametrize("alpha_range", [(0.01, 0.3), (0.3, 5.0), (5.0, 200.0)])
def test_derivatives_match_central_differences(alpha_range):
    rng = np.random.default_rng(3)
    n = 300
    mu = np.exp(rng.uniform(np.log(0.05), np.log(80.0), n))
    alpha = rng.uniform(*alpha_range, n)
    y = FAMILY.sample(rng, n, mu, alpha)
    assert (y > nb1.SUM_LIMIT).any() and (y <= nb1.SUM_LIMIT).any()
    check_derivatives(FAMILY, y, {"mu": mu, "alpha": alpha},
                      logpdf_scale=term_scale(y, mu, alpha))


@pytest.mark.parametrize("alpha", [0.3, 4.0, 1e-9, 0.0])
def test_log_links_eta_derivatives_equal_chain_rule(alpha):
    """``eta_derivatives`` (log, log) against the natural-scale derivatives through the
    chain rule ``h' = h'' = exp(eta)``; at ``eta_alpha = -inf`` (alpha = 0) every entry
    is finite and the alpha ones vanish."""
    rng = np.random.default_rng(4)
    mu = rng.uniform(0.2, 60.0, 80)
    a = np.full(80, alpha)
    y = FAMILY.sample(rng, 80, mu, a)
    with np.errstate(divide="ignore"):
        d1, d2 = FAMILY.eta_derivatives(y, {"mu": "log", "alpha": "log"}, mu=np.log(mu),
                                        alpha=np.log(a))
    with np.errstate(divide="ignore"):  # the values the links give back (a few ulps off)
        mu, a = np.exp(np.log(mu)), np.exp(np.log(a))
    assert all(np.all(np.isfinite(v)) for v in [*d1.values(), *d2.values()])
    g1, g2 = FAMILY.dlogpdf(y, mu, a), FAMILY.d2logpdf(y, mu, a)
    np.testing.assert_allclose(d1["mu"], g1["mu"] * mu, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(d1["alpha"], g1["alpha"] * a, rtol=1e-14, atol=0)
    np.testing.assert_allclose(d2[("mu", "mu")], g2[("mu", "mu")] * mu**2 + g1["mu"] * mu,
                               rtol=1e-14, atol=1e-13)
    np.testing.assert_allclose(d2[("mu", "alpha")], g2[("mu", "alpha")] * mu * a, rtol=1e-14)
    # a sum of two terms that can cancel: to a few ulps of the terms, not of the sum
    terms = (g2[("alpha", "alpha")] * a**2, g1["alpha"] * a)
    assert np.all(np.abs(d2[("alpha", "alpha")] - sum(terms))
                  <= 4 * EPS * (np.abs(terms[0]) + np.abs(terms[1])))
    if alpha == 0:
        assert not np.any(d1["alpha"]) and not np.any(d2[("alpha", "alpha")])
        np.testing.assert_allclose(d1["mu"], y - mu, rtol=1e-14, atol=1e-13)
    links = {"mu": "sqrt", "alpha": "log"}
    assert FAMILY.eta_derivatives(y, links, mu=mu, alpha=a) is None


# the expected information -------------------------------------------------------------
@pytest.mark.parametrize("mu, alpha, upper", [(0.8, 0.5, 200), (6.0, 3.0, 800)])
def test_expected_information_is_the_score_variance(mu, alpha, upper):
    """``E[score score']`` with scipy's mass and central differences of it (fourth-order,
    step 1e-3 of the parameter): rel 1e-9 of ``sqrt(I_aa I_bb)``. This oracle only holds
    at small sizes ``mu/alpha``: scipy's log mass is rounded to ``eps gammaln(y + n)``,
    which the difference divides by the step; at size 400 (mu = 20, alpha = 0.05) that is
    an error of 4e-9 in ``I_alpha_alpha`` (the family is within 5e-16 of the 50-digit
    sums there), so larger sizes are checked against mpmath below."""
    moments = score_moments(nbinom_logpmf, {"mu": mu, "alpha": alpha}, upper=upper,
                            steps={"mu": 1e-3 * mu, "alpha": 1e-3 * alpha})
    info = FAMILY.expected_information(np.zeros(1), np.full(1, mu), np.full(1, alpha))
    for a, b in moments:
        scale = np.sqrt(moments[(a, a)] * moments[(b, b)])
        assert abs(info[(a, b)][0] - moments[(a, b)]) <= 1e-9 * scale, (a, b)


def exact_support(mu: float, alpha: float, top: int):
    """(mass, dl/dmu, dl/dalpha) at y = 0..top in 50-digit arithmetic, by the running
    sums of ``exact`` (one pass instead of one sum per y)."""
    with mpmath.workdps(50):
        M, A = mpmath.mpf(mu), mpmath.mpf(alpha)
        rho = mpmath.log1p(A) / A
        g1 = (mpmath.log1p(A) - A / (1 + A)) / A**2
        log_sum, t0, t1, rows = mpmath.mpf(0), mpmath.mpf(0), mpmath.mpf(0), []
        for y in range(top + 1):
            logp = log_sum - M * rho - y * mpmath.log1p(A) - mpmath.loggamma(y + 1)
            rows.append((float(mpmath.exp(logp)), float(t0 - rho),
                         float(t1 + M * g1 - y / (1 + A))))
            d = M + y * A
            log_sum, t0, t1 = log_sum + mpmath.log(d), t0 + 1 / d, t1 + y / d
    return np.array(rows).T


@pytest.mark.parametrize("mu, alpha", [(3.0, 1e-6), (0.02, 1e-4), (1e-5, 2.0), (20.0, 0.05),
                                       (200.0, 0.3)])
def test_expected_information_against_mpmath(mu, alpha):
    """Where scipy is not accurate (sizes 400 to 3e6) or the scores are extreme (mu =
    1e-5): the exact scores and mass (50 digits) summed over the support; rel 1e-12 of
    ``sqrt(I_aa I_bb)`` (the family's sum is exact to rounding). At mu = 200 the family
    starts its sum 12 standard deviations below the mean (y = 7), the oracle at 0."""
    top = int(mu + 40 * np.sqrt(mu * (1 + alpha)) + 60 * (1 + alpha))
    p, s_mu, s_alpha = exact_support(mu, alpha, top)
    assert 1 - p.sum() < 1e-15
    np.testing.assert_allclose([np.log(p[3]), s_mu[3], s_alpha[3]],
                               exact(3, mu, alpha)[0][:3], rtol=1e-14)
    ref = {("mu", "mu"): p @ s_mu**2, ("mu", "alpha"): p @ (s_mu * s_alpha),
           ("alpha", "alpha"): p @ s_alpha**2}
    info = FAMILY.expected_information(np.zeros(1), np.full(1, mu), np.full(1, alpha))
    for a, b in ref:
        scale = np.sqrt(ref[(a, a)] * ref[(b, b)])
        assert abs(info[(a, b)][0] - ref[(a, b)]) <= 1e-12 * scale, (a, b)


def test_expected_information_at_the_poisson():
    """alpha = 0: the Poisson's ``1/mu``, no cross information, and ``I_alpha = 1/2``
    (``E[((y - mu)^2 - y)^2]/(4 mu^2)`` with the Poisson's central moments mu, mu,
    ``mu + 3 mu^2``)."""
    mu = np.array([0.3, 4.0, 250.0])
    info = FAMILY.expected_information(np.zeros(3), mu, np.zeros(3))
    np.testing.assert_allclose(info[("mu", "mu")], 1 / mu, rtol=1e-14)
    np.testing.assert_allclose(info[("mu", "alpha")], 0.0, atol=0)
    np.testing.assert_allclose(info[("alpha", "alpha")], 0.5, rtol=1e-13)


def test_score_variance_left_cut_is_exact(monkeypatch):
    """Starting the sum 12 SD below the mean (at H1 from the derivatives) gives the sum
    from y = 0 (the mass left out is below 1e-31), to the rounding of the ~mu extra
    steps; and rows are independent of the others. From y = 0 the mass ratios grow to
    e^900 at mu = 900 (they are rescaled on the way; without that they overflowed)."""
    mu = np.array([150.0, 900.0, 3000.0, 5.0])
    alpha = np.array([0.2, 1e-7, 4.0, 0.5])
    cut = nb1.score_variance(mu, alpha)
    monkeypatch.setattr(nb1, "LEFT_SDS", np.inf)
    full = nb1.score_variance(mu, alpha)
    np.testing.assert_allclose(cut, full, rtol=1e-12)
    for i in range(4):
        assert nb1.score_variance(mu[i:i + 1], alpha[i:i + 1])[0] == pytest.approx(full[i],
                                                                                  rel=1e-12)


def test_sample_moments():
    rng = np.random.default_rng(8)
    n = 400_000
    mu, alpha = 3.0, 0.7
    draws = FAMILY.sample(rng, n, np.full(n, mu), np.full(n, alpha))
    var = mu * (1 + alpha)
    assert abs(draws.mean() - mu) < 5 * np.sqrt(var / n)
    # the variance of the sample variance needs the fourth central moment
    n_, p = mu / alpha, 1 / (1 + alpha)
    m4 = stats.nbinom.stats(n_, p, moments="k") * var**2 + 3 * var**2
    assert abs(draws.var() - var) < 5 * np.sqrt((m4 - var**2) / n)


# statsmodels and Stata ---------------------------------------------------------------------
def assert_same_as_statsmodels_nb1(res, sm_res):
    """Both fits end at a Newton step below 1e-12 (mlefit polishes with one more step after
    its decrement criterion), so they agree to rounding: rtol 1e-10."""
    assert_matches_statsmodels_negbin(res, sm_res, "alpha", 1.0, rtol=1e-10)


def test_randhie_matches_statsmodels_nb1(randhie, randhie_fit):
    assert_same_as_statsmodels_nb1(randhie_fit, statsmodels_negbin_randhie(randhie, "nb1"))


def test_medpar_matches_statsmodels_nb1(medpar):
    """statsmodels' Newton steps in alpha itself and leaves the domain from its default
    start on medpar1 (log of a negative alpha); BFGS first, then its Newton to 1e-12."""
    model = sm.NegativeBinomial.from_formula(MEDPAR, medpar, loglike_method="nb1")
    pilot = model.fit(method="bfgs", maxiter=5000, disp=False)
    sm_res = model.fit(start_params=pilot.params, method="newton", tol=1e-12, disp=False)
    assert sm_res.mle_retvals["converged"]
    assert_same_as_statsmodels_nb1(mlefit.fit(MEDPAR, medpar, family=FAMILY), sm_res)


def test_randhie_reproduces_stata_nbreg_dispersion_constant(randhie_fit):
    """Stata (``RandHIE.negativebinomial_nb1_bfgs``): its coefficients are within 1e-7
    standard errors of mlefit's (Stata's ml stops by its own criteria, not at rounding):
    1e-6 SE; lnalpha within 1.5e-10; SE(lnalpha), printed to 10 decimals, to 5e-11; the
    log-likelihood (-43278.75612911823, at the maximum), AIC and BIC to rounding.
    The SEs in that file are from R's ``COUNT::ml.nb1``, which takes them from
    ``optim(..., hessian = TRUE)``: a finite-difference Hessian of a finite-difference
    gradient (steps 1e-3), which gives 3 to 4 digits (they differ from the analytic ones
    by 4e-5 to 3.5e-4): rtol 5e-4."""
    r = RandHIE.negativebinomial_nb1_bfgs
    res = randhie_fit
    params, bse = r_order(res.params["mu"]), r_order(res.bse["mu"])
    assert np.all(np.abs(params - r.params[:-1]) <= 1e-6 * bse)
    lnalpha, se_lnalpha = res.params[("alpha", "Intercept")], res.bse[("alpha", "Intercept")]
    assert lnalpha == pytest.approx(r.lnalpha, abs=1e-9)
    assert np.exp(lnalpha) == pytest.approx(r.params[-1], rel=1e-9)
    assert se_lnalpha == pytest.approx(r.lnalpha_std_err, abs=5e-11)
    assert res.llf == pytest.approx(r.llf, rel=1e-14)
    assert res.aic == pytest.approx(r.aic, rel=1e-14)
    assert res.bic == pytest.approx(r.bic, rel=1e-14)
    assert res.k == 11 and res.nobs == r.nobs
    np.testing.assert_allclose(bse, r.bse[:-1], rtol=5e-4)
    assert np.exp(lnalpha) * se_lnalpha == pytest.approx(r.bse[-1], rel=5e-4)


def test_fit_by_name(medpar):
    by_name = mlefit.fit(MEDPAR, medpar, family="nb1")
    np.testing.assert_array_equal(by_name.params, mlefit.fit(MEDPAR, medpar,
                                                             family=FAMILY).params)


# the Poisson boundary ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def poisson_data():
    """Poisson counts: the NB1 likelihood is maximal at alpha = 0."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(500)
    return pd.DataFrame({"x": x, "y": rng.poisson(np.exp(0.5 + 0.3 * x))})


def test_equidispersed_data_end_at_the_poisson_with_a_warning(poisson_data):
    """log(alpha) runs to -inf. The core warns twice, both ConvergenceWarnings naming the
    boundary: the reduction to the Poisson, and (once log(alpha) passes -30, where the
    log link saturates) the fitted alphas on the edge of [0, inf)."""
    pois = mlefit.fit("y ~ x", poisson_data, family=Poisson())
    with pytest.warns(mlefit.ConvergenceWarning, match="boundary") as record:
        res = mlefit.fit("y ~ x", poisson_data, family=FAMILY)
    assert any("alpha is at its boundary value 0" in str(w.message)
               and "'poisson'" in str(w.message) for w in record)
    assert res.converged
    assert res.llf == pytest.approx(pois.llf, rel=1e-13)
    np.testing.assert_allclose(res.params["mu"], pois.params["mu"], rtol=1e-9)
    np.testing.assert_allclose(res.bse["mu"], pois.bse["mu"], rtol=1e-9)
    assert res.params[("alpha", "Intercept")] < -25  # alpha < 1e-11: Poisson to rounding
    assert np.isnan(res.bse[("alpha", "Intercept")])


def test_fixed_alpha_zero_is_the_poisson_fit(medpar):
    pois = mlefit.fit(MEDPAR, medpar, family=Poisson())
    res = mlefit.fit(MEDPAR, medpar, family=FAMILY, fixed={"alpha": 0.0})
    np.testing.assert_allclose(res.params, pois.params, rtol=1e-13)
    np.testing.assert_allclose(res.bse, pois.bse, rtol=1e-13)
    assert res.llf == pytest.approx(pois.llf, rel=1e-14)
    assert res.k == pois.k


def test_lrtest_against_the_poisson_uses_the_boundary_mixture():
    """Poisson in NB1 at alpha = 0, a boundary: the LR statistic's null distribution is
    1/2 chi2(0) + 1/2 chi2(1) (Self and Liang 1987), so p = chi2(1).sf(LR) / 2. Mildly
    overdispersed data (alpha = 0.15) give a moderate statistic."""
    assert_boundary_lrtest(FAMILY, np.full(400, 0.15), seed=2, max_lr=30)


# simulation ---------------------------------------------------------------------------------
def test_alpha_with_its_own_formula_is_recovered():
    recover_by_group(FAMILY, "alpha", (0.4, 3.0))


def test_identity_link_recovered():
    recover_identity_link(FAMILY, "alpha", 1.5)


def test_alpha_link_is_log_only(medpar):
    with pytest.raises(mlefit.DataError, match="not allowed"):
        mlefit.fit(MEDPAR, medpar, family=FAMILY, links={"alpha": "identity"})


def test_large_means_fit_without_the_expected_information():
    """mu ~ 1e5, alpha = 1e3: the expected information would be summed over ~2e5 counts
    per row; Newton's fallback from a non-PD observed information is BHHH for this
    family (``expected_in_optimiser = False``), so the fit takes milliseconds (it took
    minutes through Fisher scoring). Estimates within 4 SE of the truth."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=200)
    y = FAMILY.sample(rng, 200, 1e5 * np.exp(0.2 * x), np.full(200, 1e3))
    res = mlefit.fit("y ~ x", pd.DataFrame({"y": y, "x": x}), family=FAMILY)
    assert "fisher" not in res.diagnostics.fallbacks
    within_se(res, {("mu", "Intercept"): np.log(1e5), ("mu", "x"): 0.2,
                    ("alpha", "Intercept"): np.log(1e3)})
