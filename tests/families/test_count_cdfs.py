"""Count families' cdf, logcdf and logsf at their limits and in their far tails.

Oracles: direct sums of the pmf in mpmath at 60 digits (the pmf by its ratio recurrence,
``pmf(0) = (1 + mu/size)^-size``, so nothing cancels), and the Poisson limit. Tolerances:
the special functions (regularized incomplete gamma / beta) are accurate to a few ulps in
relative terms; ``1e-12`` relative on probabilities and ``1e-12`` relative on their logs
leaves a margin of ~1e3 over rounding while the defect fixed here was off by 36% (``F =
1.0`` for ``0.7358``) and the incomplete beta's far tail at ``size = 1e22`` by 1.6e-8.
"""

from __future__ import annotations

import warnings

import mpmath as mp
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import mlefit
from mlefit.registry import get_registry

NB = get_registry().family("negative_binomial")
NB1 = get_registry().family("nb1")
POISSON = get_registry().family("poisson")
ZIP = get_registry().family("zero_inflated_poisson")
BINOMIAL = get_registry().family("binomial")

THETAS = (1e3, 1e4, 1e5, 1e6, 1e8, 1e9, 1e12, 1e15, 1e18, 1e22, 1e50, 1e100, 1e300)
POINTS = ((0, 1.0), (1, 1.0), (5, 2.0), (30, 3.0), (12, 15.0), (200, 150.0), (0, 50.0))


def nb_sums(k: int, size: float, mu: float) -> tuple[float, float]:
    """``(F(k), S(k))`` of NB(size, mean mu) summed from the pmf in mpmath; ``size=inf``
    is the Poisson."""
    with mp.workdps(60):
        mu_ = mp.mpf(mu)
        if np.isinf(size):
            term, ratio = mp.exp(-mu_), (lambda j: mu_ / (j + 1))
        else:
            s = mp.mpf(size)
            q = mu_ / (s + mu_)
            term = mp.exp(-s * mp.log1p(mu_ / s))
            ratio = (lambda j: (j + s) / (j + 1) * q)  # noqa: E731
        F = mp.mpf(0)
        for j in range(k + 1):
            F += term
            term *= ratio(j)
        S, j = mp.mpf(0), k + 1
        while True:
            S += term
            term *= ratio(j)
            j += 1
            if term < S * mp.mpf(10) ** -40 and j > mu + 10:
                break
        return F, S


def rel(a, b) -> float:
    return float(abs(mp.mpf(float(a)) - b) / abs(b))


def test_issue20_defect_nb_cdf_at_theta_1e22():
    """The reported value: cdf(1, mu=1, theta=1e22) was 1.0; the Poisson limit is
    2 exp(-1) = 0.7357588823."""
    assert NB.cdf(1, mu=1.0, theta=1e22)[0] == pytest.approx(2 * np.exp(-1), rel=1e-14)


@pytest.mark.parametrize("theta", THETAS)
def test_nb_cdf_sf_against_pmf_sums(theta):
    for k, mu in POINTS:
        F, S = nb_sums(k, theta, mu)
        FP, _ = nb_sums(k, np.inf, mu)
        got_F = NB.cdf(k, mu=mu, theta=theta)[0]
        assert rel(got_F, F) < 1e-12, (k, mu)
        assert rel(np.exp(NB.logcdf(k, mu=mu, theta=theta)[0]), F) < 1e-12
        assert rel(np.exp(NB.logsf(k, mu=mu, theta=theta)[0]), S) < 1e-12, (k, mu)
        # NB1 with alpha = mu / size is the same distribution
        alpha = mu / theta
        assert rel(np.exp(NB1.logsf(k, mu=mu, alpha=alpha)[0]), S) < 1e-12
        if theta >= 1e22:   # the Poisson limit within rounding (differences ~ k^2 / theta)
            assert rel(got_F, FP) < 1e-14


def test_poisson_and_nb_far_upper_tail():
    """log P(Y > k | mu = 1) for k = 50 (S = 1.9e-67), 500 and 5000 (S underflows: summed
    in log space)."""
    for k in (50, 500, 5000):
        _, S = nb_sums(k, np.inf, 1.0)
        want = float(mp.log(S))
        for got in (POISSON.logsf(k, mu=1.0)[0], NB.logsf(k, mu=1.0, theta=1e300)[0],
                    NB.logsf(k, mu=1.0, theta=np.inf)[0], NB1.logsf(k, mu=1.0, alpha=0.0)[0]):
            assert got == pytest.approx(want, rel=1e-13), k
    _, S = nb_sums(500, 1e4, 1.0)
    assert NB.logsf(500, mu=1.0, theta=1e4)[0] == pytest.approx(float(mp.log(S)), rel=1e-12)


def test_poisson_far_lower_tail():
    """log P(Y <= k | mu = 1e4) for k = 3 (F = 1e-4340 underflows) and 9000."""
    for k in (3, 9000):
        F, _ = nb_sums(k, np.inf, 1e4)
        assert POISSON.logcdf(k, mu=1e4)[0] == pytest.approx(float(mp.log(F)), rel=1e-12)


def test_log_near_one():
    """log F when F is within rounding of 1 comes from log1p(-S): -S, not 0."""
    _, S = nb_sums(30, np.inf, 1.0)
    assert POISSON.logcdf(30, mu=1.0)[0] == pytest.approx(-float(S), rel=1e-12)
    assert NB.logcdf(30, mu=1.0, theta=1e6)[0] == pytest.approx(-float(nb_sums(30, 1e6, 1)[1]),
                                                                rel=1e-10)


def test_below_support_and_non_integers():
    assert POISSON.cdf(-1, mu=2.0)[0] == 0.0
    assert POISSON.logcdf(-0.5, mu=2.0)[0] == -np.inf
    assert POISSON.logsf(-3, mu=2.0)[0] == 0.0
    assert NB.logsf(-1, mu=2.0, theta=3.0)[0] == 0.0
    assert POISSON.cdf(2.7, mu=2.0)[0] == pytest.approx(stats.poisson.cdf(2, 2.0), rel=1e-14)


def test_zip_and_binomial_against_scipy():
    y = np.arange(0, 12.0)
    F = 0.3 + 0.7 * stats.poisson.cdf(y, 2.0)
    np.testing.assert_allclose(ZIP.cdf(y, 2.0, 0.3), F, rtol=1e-14)
    np.testing.assert_allclose(np.exp(ZIP.logcdf(y, 2.0, 0.3)), F, rtol=1e-14)
    np.testing.assert_allclose(np.exp(ZIP.logsf(y, 2.0, 0.3)), 0.7 * stats.poisson.sf(y, 2.0),
                               rtol=1e-13)
    s = np.arange(0, 21.0)
    yb = np.column_stack([s, 20 - s])
    # mpmath sums of the pmf (scipy's binom.logcdf is log(cdf), which loses the digits
    # of log F near 0: at s = 19 it is off by 1.2e-6 relative)
    with mp.workdps(40):
        pmf = [mp.binomial(20, j) * mp.mpf("0.3") ** j * mp.mpf("0.7") ** (20 - j)
               for j in range(21)]
        logF = [float(mp.log(mp.fsum(pmf[:j + 1]))) for j in range(20)]
        logS = [float(mp.log(mp.fsum(pmf[j + 1:]))) for j in range(20)]
    np.testing.assert_allclose(BINOMIAL.logcdf(yb[:-1], 0.3), logF, rtol=1e-12)
    assert BINOMIAL.logcdf(yb[-1:], 0.3)[0] == 0.0
    np.testing.assert_allclose(BINOMIAL.logsf(yb[:-1], 0.3), logS, rtol=1e-12)
    # far tail: P(S > 999 | m = 1000) = 0.3^1000 underflows as a probability
    assert BINOMIAL.logsf(np.array([[999.0, 1.0]]), 0.3)[0] == pytest.approx(1000 * np.log(0.3),
                                                                          rel=1e-13)


def test_poisson_dlog_against_differences():
    mu, h = 2.5, 1e-6
    for k in (0.0, 3.0, 40.0):
        for f, d in ((POISSON.logcdf, POISSON.dlogcdf), (POISSON.logsf, POISSON.dlogsf)):
            num = (f(k, mu + h)[0] - f(k, mu - h)[0]) / (2 * h)
            assert d(k, mu)["mu"][0] == pytest.approx(num, rel=1e-6)


def test_issue20_defect_quantile_residuals_at_the_poisson_limit():
    """issue 20 defect 8(a): NB fitted to Poisson data whose theta runs to its limit
    (here log theta = 93). Before, 162 of 200 quantile residuals were 8.126 (the cdf was
    1.0 at both ends); now they are the Poisson fit's."""
    rng = np.random.default_rng(21)
    x = rng.normal(size=200)
    df = pd.DataFrame({"x": x, "y": rng.poisson(np.exp(0.5 + 0.3 * x))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mlefit.errors.MlefitWarning)
        nb = mlefit.fit("y ~ x", df, family="negative_binomial")
        po = mlefit.fit("y ~ x", df, family="poisson")
    assert nb.params["theta"].iloc[0] > 50        # the limit was reached
    q_nb, q_po = nb.resid("quantile", seed=1), po.resid("quantile", seed=1)
    assert np.abs(q_nb).max() < 4
    np.testing.assert_allclose(q_nb, q_po, atol=1e-8)
