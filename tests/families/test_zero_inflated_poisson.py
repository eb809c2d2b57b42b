"""The zero-inflated Poisson against oracles that are not mlefit.

Oracles:

* statsmodels' ``zipoisson`` distribution (``statsmodels.distributions.discrete``) for
  the mass, cdf, mean and variance, and through the information identity for the
  expected information;
* central differences (``_count_oracles``) for the derivatives;
* statsmodels ``ZeroInflatedPoisson(inflation="logit")`` on the RAND data (``mdvis``),
  with the inflation intercept-only and with a covariate (``pi="~ lncoins"`` here,
  ``exog_infl`` there). Its point estimates and log-likelihood are the oracle; its
  *standard errors are not*: the analytic logit Hessian in statsmodels'
  ``count_model.py`` (``_hessian_logit``) takes the cross derivative of a zero row,
  ``d2l/deta_pi deta_mu``, as ``mu pi (1 - pi) / p0`` where it is
  ``mu pi (1 - pi) exp(-mu) / p0^2`` (``p0 = P(Y = 0)``), which moves its SEs by up to
  0.4% on these data. The SE oracles are statsmodels' own numerical Hessian of its
  log-likelihood (``approx_hess``) and Stata's ``zip`` SEs published in
  ``statsmodels/discrete/tests/results/results_discrete.py``
  (``RandHIE.zero_inflated_poisson_logit``);
* simulation (4 standard errors).
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from _count_oracles import check_derivatives, score_moments, within_se
from scipy import special
from statsmodels.discrete.tests.results.results_discrete import RandHIE
from statsmodels.distributions.discrete import zipoisson
from statsmodels.tools.numdiff import approx_hess

import mlefit
from mlefit_families.poisson import Poisson
from mlefit_families.zero_inflated_poisson import ZeroInflatedPoisson

FAMILY = ZeroInflatedPoisson()
MAIN = "mdvis ~ idp + lpi + fmde"


def sm_order(res):
    """mlefit's (mu..., pi...) blocks -> statsmodels' (inflate_..., main...) order, with
    each block's intercept last as statsmodels' ``add_constant(prepend=False)``."""
    def block(values):
        return np.r_[values[1:], values[0]]
    return lambda s: np.r_[block(np.asarray(s["pi"])), block(np.asarray(s["mu"]))]


@pytest.fixture(scope="module")
def fits(randhie):
    """(mlefit, statsmodels, statsmodels' numerical-Hessian SEs) per inflation design."""
    exog = sm.add_constant(randhie[["idp", "lpi", "fmde"]], prepend=False)
    out = {}
    for label, infl in (("constant", None), ("lncoins", ["lncoins"])):
        exog_infl = None if infl is None else sm.add_constant(randhie[infl], prepend=False)
        model = sm.ZeroInflatedPoisson(randhie["mdvis"], exog, exog_infl=exog_infl,
                                       inflation="logit")
        sm_res = model.fit(method="newton", maxiter=500, tol=1e-12, disp=False)
        hess = approx_hess(sm_res.params.to_numpy(), model.loglike)
        se = np.sqrt(np.diag(np.linalg.inv(-hess)))
        kw = {} if infl is None else {"pi": "~ lncoins"}
        out[label] = (mlefit.fit(MAIN, randhie, family=FAMILY, **kw), sm_res, se)
    return out


# the distribution ------------------------------------------------------------------------
@pytest.mark.parametrize("mu, pi", [(0.3, 0.05), (2.0, 0.3), (25.0, 0.7), (4.0, 0.0)])
def test_mass_cdf_moments_match_statsmodels(mu, pi):
    y = np.arange(0.0, 120.0)
    m, w = np.full(y.shape, mu), np.full(y.shape, pi)
    np.testing.assert_allclose(FAMILY.logpdf(y, m, w), zipoisson.logpmf(y, mu, pi),
                               rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(FAMILY.cdf(y, m, w), zipoisson.cdf(y, mu, pi), rtol=1e-13)
    assert FAMILY.mean(mu, pi) == pytest.approx(zipoisson.mean(mu, pi), rel=1e-15)
    assert FAMILY.variance(mu, pi) == pytest.approx(zipoisson.var(mu, pi), rel=1e-14)


def test_pi_zero_is_the_poisson_and_outside_support_is_minus_inf():
    y = np.arange(0.0, 20.0)
    mu = np.full(y.shape, 3.0)
    np.testing.assert_allclose(FAMILY.logpdf(y, mu, np.zeros(y.shape)),
                               Poisson().logpdf(y, mu), rtol=1e-15, atol=1e-15)
    bad = np.array([-1.0, 0.5])
    assert np.all(FAMILY.logpdf(bad, np.full(2, 2.0), np.full(2, 0.2)) == -np.inf)
    # large mu: P(0) = pi + (1 - pi) exp(-mu) without underflow of the Poisson part
    assert FAMILY.logpdf(np.zeros(1), np.full(1, 800.0), np.zeros(1))[0] == -800.0


def test_derivatives_match_central_differences():
    rng = np.random.default_rng(2)
    n = 400
    mu = rng.uniform(0.1, 15.0, n)
    pi = rng.uniform(0.02, 0.9, n)
    y = FAMILY.sample(rng, n, mu, pi)
    assert (y == 0).sum() > 50 and (y > 0).sum() > 50
    scale = special.gammaln(y + 1) + y * np.abs(np.log(mu)) + mu + 1
    check_derivatives(FAMILY, y, {"mu": mu, "pi": pi}, logpdf_scale=scale)


@pytest.mark.parametrize("mu, pi", [(0.4, 0.1), (3.0, 0.35), (12.0, 0.8)])
def test_expected_information_is_variance_of_score(mu, pi):
    """Fourth-order differences with steps 1e-4 of statsmodels' log mass: ~1e-13, relative
    to the diagonal: the off-diagonal entry is compared on the scale ``sqrt(I_aa I_bb)``
    (it is tiny when the Poisson rarely gives zeros)."""
    moments = score_moments(zipoisson.logpmf, {"mu": mu, "w": pi}, upper=150,
                            steps={"mu": 1e-4 * mu, "w": 1e-4 * pi})
    one = np.ones(1)
    info = FAMILY.expected_information(one, mu * one, pi * one)
    assert info[("mu", "mu")][0] == pytest.approx(moments[("mu", "mu")], rel=1e-9)
    scale = np.sqrt(moments[("mu", "mu")] * moments[("w", "w")])
    assert abs(info[("mu", "pi")][0] - moments[("mu", "w")]) <= 1e-9 * scale
    assert info[("pi", "pi")][0] == pytest.approx(moments[("w", "w")], rel=1e-9)


def test_sample_moments():
    rng = np.random.default_rng(6)
    n = 300_000
    mu, pi = 2.5, 0.3
    draws = FAMILY.sample(rng, n, np.full(n, mu), np.full(n, pi))
    zero = zipoisson.pmf(0, mu, pi)
    assert abs(np.mean(draws == 0) - zero) < 5 * np.sqrt(zero * (1 - zero) / n)
    assert abs(draws.mean() - zipoisson.mean(mu, pi)) < 5 * np.sqrt(zipoisson.var(mu, pi) / n)


# against statsmodels and Stata -------------------------------------------------------------
@pytest.mark.parametrize("label", ["constant", "lncoins"])
def test_randhie_matches_statsmodels(fits, label):
    """Estimates and log-likelihood against statsmodels' Newton (tol 1e-12); SEs against
    the inverse of its numerical Hessian, whose error (numdiff's default steps, ~1e-7
    relative) sets rtol 1e-6."""
    res, sm_res, se_numeric = fits[label]
    order = sm_order(res)
    np.testing.assert_allclose(order(res.params), sm_res.params, rtol=1e-8)
    assert res.llf == pytest.approx(sm_res.llf, rel=1e-14)
    np.testing.assert_allclose(order(res.bse), se_numeric, rtol=1e-6)
    # statsmodels' analytic SEs are off (see the module docstring), visibly:
    assert np.max(np.abs(sm_res.bse.to_numpy() / se_numeric - 1)) > 1e-3


def test_randhie_reproduces_stata_zip(fits):
    """Stata's estimates and SEs are printed to 7 decimals (some to 6): half a unit of the
    last digit. Stata stops earlier (its log-likelihood is 1.5e-6 below the maximum),
    which moves its SEs by a few 1e-9: 5e-9 more for the SEs (0.0107144500 is printed
    .0107145)."""
    res, _, _ = fits["lncoins"]
    stata = RandHIE.zero_inflated_poisson_logit
    order = sm_order(res)
    np.testing.assert_allclose(order(res.params), stata.params, rtol=0, atol=5e-7)
    np.testing.assert_allclose(order(res.bse), stata.bse, rtol=0, atol=5.5e-8)
    assert 0 <= res.llf - stata.llf < 1e-5
    assert res.aic == pytest.approx(stata.aic, abs=5e-4)


# the Poisson boundary ----------------------------------------------------------------------
def test_poisson_data_end_at_pi_zero_with_a_warning():
    """No excess zeros: the ZIP likelihood is maximal at pi = 0 (the logit runs to -inf).
    The core reports it twice, both ConvergenceWarnings mentioning the boundary: the
    reduction to the Poisson, and (when the logit passes -30) the fitted pi on the edge."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(500)
    data = pd.DataFrame({"x": x, "y": rng.poisson(np.exp(0.5 + 0.3 * x))})
    pois = mlefit.fit("y ~ x", data, family=Poisson())
    with pytest.warns(mlefit.ConvergenceWarning, match="boundary") as record:
        res = mlefit.fit("y ~ x", data, family=FAMILY)
    assert any("pi is at its boundary value 0" in str(w.message)
               and "'poisson'" in str(w.message) for w in record)
    assert res.llf == pytest.approx(pois.llf, rel=1e-13)
    np.testing.assert_allclose(res.params["mu"], pois.params["mu"], rtol=1e-9)


# simulation ---------------------------------------------------------------------------------
def test_simulate_and_recover_with_an_inflation_covariate():
    rng = np.random.default_rng(12)
    n = 5000
    x, z = rng.standard_normal(n), rng.standard_normal(n)
    mu = np.exp(1.0 + 0.4 * x)
    pi = special.expit(-0.5 + 0.8 * z)
    data = pd.DataFrame({"y": FAMILY.sample(rng, n, mu, pi), "x": x, "z": z})
    res = mlefit.fit("y ~ x", data, family=FAMILY, pi="~ z")
    within_se(res, {("mu", "Intercept"): 1.0, ("mu", "x"): 0.4,
                    ("pi", "Intercept"): -0.5, ("pi", "z"): 0.8})
    expected = mlefit.fit("y ~ x", data, family=FAMILY, pi="~ z", cov_type="expected")
    # observed and expected information agree to O(n^-1/2) at the MLE
    np.testing.assert_allclose(expected.bse, res.bse, rtol=0.1)


def test_predict_by_component_as_pscl(fits):
    """pscl's predict(type =): "zero" is pi, "count" the Poisson mean, "prob" the mass
    (statsmodels' ``zipoisson``)."""
    res = fits["lncoins"][0]
    mu, pi = res.predict(which="mu").to_numpy(), res.predict(which="pi").to_numpy()
    np.testing.assert_array_equal(res.predict(which="zero"), pi)
    np.testing.assert_array_equal(res.predict(which="count"), mu)
    prob = res.predict(which="prob", k=[0, 1, 5])
    expected = zipoisson.pmf(np.array([0, 1, 5])[None, :], mu[:, None], pi[:, None])
    np.testing.assert_allclose(prob.to_numpy(), expected, rtol=1e-12)
