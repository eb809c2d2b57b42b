"""The negative binomial family NB2 (MASS's ``glm.nb`` parameterisation).

``E[y] = mu`` and ``Var[y] = mu + mu^2 / theta``: a Poisson whose mean is gamma
distributed with shape ``theta``. ``theta`` (R's ``theta``, statsmodels'
``1 / alpha``) lives in ``(0, inf]``; ``theta = inf`` is the Poisson, which the family
declares as a boundary reduction, so a fit to equidispersed data ends at the Poisson
with a warning. ``mu`` takes the log (default), identity or sqrt link, ``theta`` the
log link (its coefficients are ``log(theta)``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from mlefit import Family, Parameter, Reduction, hookimpl
from mlefit.domains import NonNegativeIntegers

from ._counts import (
    POSITIVE_OR_INFINITE,
    STIRLING_MIN,
    as_float,
    by_count,
    digamma_remainder,
    lgamma_ratio,
    log1p_ratio,
    log1pmx_sq,
    log_factorial,
    mean_parameter,
    nb_cdf_sf,
    nb_log_cdf_sf,
    of_parameter,
    on_support,
    split,
    trigamma,
    trigamma_remainder,
    xlogy,
)

#: start values of theta are clipped to this range
THETA_START = (0.01, 1000.0)


def _digamma_at(y, theta):
    return special.digamma(y + theta)


def _trigamma_at(y, theta):
    return trigamma(y + theta)


def _digamma_tail(y, theta):
    """``R(beta^2) (beta/alpha)^2`` with ``beta = alpha / (1 + y alpha)``."""
    ya = 1.0 + y / theta
    return digamma_remainder(1.0 / (theta * ya)) / (ya * ya)


def _trigamma_tail(y, theta):
    ya = 1.0 + y / theta
    return trigamma_remainder(1.0 / (theta * ya)) / ya**3


def _score_theta(y, mu, theta):
    """``H1 = theta^2 dl/dtheta`` per row (finite at ``theta = inf``: ``(y - (y-mu)^2)/2``).

    For ``theta >= STIRLING_MIN``, with ``alpha = 1/theta``, ``u = (y - mu) alpha /
    (1 + mu alpha)`` and ``beta = alpha / (1 + y alpha)``:
    ``H1 = g(u) (theta u)^2 + y / (2 (1 + y alpha)) + R(alpha^2) - R(beta^2) (beta/alpha)^2``
    (``g(u) = (log1p(u) - u)/u^2``), which has no cancellation; below, from digamma.
    """
    def stirling(y, mu, theta):
        alpha = 1.0 / theta
        ya, ma = 1.0 + y * alpha, 1.0 + mu * alpha
        tu = (y - mu) / ma
        return (log1pmx_sq(tu * alpha) * tu * tu + y / (2.0 * ya)
                + of_parameter(digamma_remainder, alpha)
                - by_count(_digamma_tail, y, theta))

    def direct(y, mu, theta):
        d1 = (by_count(_digamma_at, y, theta) - of_parameter(special.digamma, theta)
              - np.log1p(mu / theta)
              + (mu - y) / (theta + mu))
        return theta * theta * d1

    return split(theta >= STIRLING_MIN, stirling, direct, y, mu, theta)


def _curvature_theta(y, mu, theta):
    """``H2 = theta^3 d2l/dtheta2`` per row (``(y - mu)^2 - y`` at ``theta = inf``).

    For ``theta >= STIRLING_MIN``: ``H2 = (theta u)^2 / (1 + y alpha)
    - y (2 + y alpha) / (2 (1 + y alpha)^2) + Q(alpha^2) - Q(beta^2) (beta/alpha)^3``;
    below, from trigamma.
    """
    def stirling(y, mu, theta):
        alpha = 1.0 / theta
        ya, ma = 1.0 + y * alpha, 1.0 + mu * alpha
        tu = (y - mu) / ma
        return (tu * tu / ya - y * (1.0 + ya) / (2.0 * ya * ya)
                + of_parameter(trigamma_remainder, alpha)
                - by_count(_trigamma_tail, y, theta))

    def direct(y, mu, theta):
        tm = theta + mu
        d2 = (by_count(_trigamma_at, y, theta) - of_parameter(trigamma, theta)
              + mu / (theta * tm)
              - (mu - y) / (tm * tm))
        return theta**3 * d2

    return split(theta >= STIRLING_MIN, stirling, direct, y, mu, theta)


class NegativeBinomial(Family):
    r"""Negative binomial (NB2) with mean ``mu`` and size ``theta``.

    .. math::

        \log p(y; \mu, \theta) = \log\Gamma(y + \theta) - \log\Gamma(\theta) - \log y!
            + \theta \log\frac{\theta}{\theta + \mu} + y \log\frac{\mu}{\theta + \mu},

    ``E y = mu``, ``Var y = mu + mu^2/theta`` (R's ``dnbinom(y, size = theta, mu = mu)``;
    statsmodels' ``NegativeBinomial(loglike_method="nb2")`` with ``alpha = 1/theta``;
    ``scipy.stats.nbinom(n=theta, p=theta/(theta + mu))``). It is evaluated as
    ``D(y, theta) - log y! + y log mu - (theta + y) log1p(mu/theta)`` with
    ``D = log Gamma(y + theta) - log Gamma(theta) - y log theta`` from Stirling's series
    for large ``theta``, so it is accurate to rounding for any ``theta`` and equals the
    Poisson at ``theta = inf``.

    Derivatives: ``dl/dmu = (y - mu) / (mu (1 + mu/theta))``,
    ``d2l/dmu dtheta = (y - mu) / (theta + mu)^2``,
    ``dl/dtheta = digamma(y + theta) - digamma(theta) - log(1 + mu/theta) +
    (mu - y)/(theta + mu)`` (evaluated without cancellation, see ``_score_theta``).

    Expected information: ``I_mu_mu = 1 / (mu + mu^2/theta)`` and ``I_mu_theta = 0``
    (``E[y - mu] = 0``), exact. The exact ``I_theta_theta`` is an infinite sum over
    ``y``; **the theta-theta entry given here is the observed one,**
    ``-d2l/dtheta2`` at the data, as ``MASS::theta.ml`` uses for ``SE(theta)``. Hence
    ``convention="R"`` (or ``cov_type="expected"``) gives ``glm.nb``'s standard errors:
    the coefficients of ``mu`` from the expected information with theta held fixed (the
    cross term is zero) and ``log(theta)`` from theta.ml's observed information. (The
    exact sum, ``sum_k P(Y > k)/(theta + k)^2 - mu/(theta (theta + mu))``, costs
    ``mu + 40 sqrt(mu)`` or, for small theta, thousands of passes over the rows, and the
    core asks for this matrix at every fit, whenever a row's observed block is not
    positive semi-definite; the conformance kit's per-row check flags the choice.)

    GLM with known theta (R's ``negative.binomial(theta)``): ``fit(...,
    fixed={"theta": 4.0})``; unit deviance ``2 [y log(y/mu) - (y + theta)
    log((y + theta)/(mu + theta))]``, variance function ``mu + mu^2/theta``.
    """

    name = "negative_binomial"
    aliases = ("nb2",)
    support = NonNegativeIntegers()
    parameters = (
        mean_parameter(),
        Parameter("theta", POSITIVE_OR_INFINITE, link="log", links=("log",),
                  typical=(0.5, 20.0),
                  description="size (shape of the gamma mixing); Var = mu + mu^2/theta"),
    )
    reductions = (Reduction("poisson", "theta", np.inf, boundary=True),)

    def logpdf(self, y, mu, theta):
        y, mu, theta = as_float(y, mu, theta)

        def stirling(y, mu, theta):
            alpha = 1.0 / theta
            return (by_count(lgamma_ratio, y, theta)
                    - (1.0 + y * alpha) * mu * log1p_ratio(mu * alpha))

        def direct(y, mu, theta):
            return by_count(lgamma_ratio, y, theta) - (theta + y) * np.log1p(mu / theta)

        core = split(theta >= STIRLING_MIN, stirling, direct, y, mu, theta)
        return on_support(y, core + xlogy(y, mu) - log_factorial(y))

    def dlogpdf(self, y, mu, theta):
        alpha = 1.0 / theta
        return {"mu": (y - mu) / (mu + mu * mu * alpha),
                "theta": alpha * alpha * _score_theta(*as_float(y, mu, theta))}

    def d2logpdf(self, y, mu, theta):
        tm = theta + mu
        cross = (y - mu) / (tm * tm)
        return {("mu", "mu"): -y / (mu * mu) + 1.0 / tm + cross,
                ("mu", "theta"): cross,
                ("theta", "theta"): _curvature_theta(*as_float(y, mu, theta)) / theta**3}

    def eta_derivatives(self, y, links, mu, theta):
        """Log links on both: derivatives in ``alpha = exp(-eta_theta)``, finite at the
        Poisson limit (``eta_theta = inf``) where the chain rule gives ``0 * inf``."""
        if links["mu"] != "log" or links["theta"] != "log":
            return None
        # a trial step of the line search may overflow; the engine rejects such points
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            y, m, alpha, th = as_float(y, np.exp(mu), np.exp(-theta), np.exp(theta))
            ma = 1.0 + m * alpha
            h1 = _score_theta(y, m, th)
            h2 = _curvature_theta(y, m, th)
            d1 = {"mu": (y - m) / ma, "theta": alpha * h1}
            d2 = {("mu", "mu"): -m * (1.0 + y * alpha) / (ma * ma),
                  ("mu", "theta"): m * (y - m) * alpha / (ma * ma),
                  ("theta", "theta"): alpha * (h1 + h2)}
        return d1, d2

    def expected_information(self, y, mu, theta):
        """Exact for ``(mu, mu)`` and ``(mu, theta)``; observed for ``(theta, theta)``."""
        y, mu, theta = as_float(y, mu, theta)
        return {("mu", "mu"): 1.0 / (mu + mu * mu / theta),
                ("mu", "theta"): np.zeros(y.shape),
                ("theta", "theta"): -_curvature_theta(y, mu, theta) / theta**3}

    def start(self, y, weights):
        """``mu`` at the mean; ``theta = mean^2 / (var - mean)`` (moments), clipped."""
        mean = float(np.average(y, weights=weights))
        var = float(np.average((y - mean) ** 2, weights=weights))
        excess = var - mean
        theta = mean * mean / excess if excess > 0 else THETA_START[1]
        return {"mu": mean if mean > 0 else 0.1,
                "theta": float(np.clip(theta, *THETA_START))}

    def mean(self, mu, theta):
        return mu

    def variance(self, mu, theta):
        return mu + mu * mu / theta

    def cdf(self, y, mu, theta):
        """``P(Y <= y)`` for every ``theta`` up to the Poisson limit (``_counts.nb_cdf_sf``:
        the incomplete beta function, or the Poisson with its ``1/theta`` correction
        where that function loses the tail)."""
        k, mu, theta = as_float(np.floor(y), mu, theta)
        return nb_cdf_sf(k, theta, mu, self._logpmf(mu, theta))[0]

    def _logpmf(self, mu, theta):
        return lambda j, idx: self.logpdf(j, mu[idx], theta[idx])

    def _log_cdf_sf(self, y, mu, theta):
        k, mu, theta = as_float(np.floor(y), mu, theta)
        return nb_log_cdf_sf(k, theta, mu, self._logpmf(mu, theta))

    def logcdf(self, y, mu, theta):
        """``log P(Y <= y)``, accurate in both tails and for every ``theta``."""
        return self._log_cdf_sf(y, mu, theta)[0]

    def logsf(self, y, mu, theta):
        """``log P(Y > y)``, accurate in both tails and for every ``theta``."""
        return self._log_cdf_sf(y, mu, theta)[1]

    def sample(self, rng, size, mu, theta):
        """Gamma-Poisson mixture: ``lambda ~ Gamma(theta, mu/theta)``, ``y ~ Poisson``."""
        mu, theta = np.broadcast_to(mu, size), np.broadcast_to(theta, size)
        finite = np.isfinite(theta)
        shape = np.where(finite, theta, 1.0)
        lam = np.where(finite, rng.gamma(shape, mu / shape), mu)
        return rng.poisson(lam).astype(float)

    def unit_deviance(self, y, mu, theta):
        """``2 [y log(y/mu) - (y - mu)(1 + u) log1p(u)/u]``, ``u = (y - mu)/(theta + mu)``
        (the second term is ``(y + theta) log((y + theta)/(mu + theta))``)."""
        u = (y - mu) / (theta + mu)
        return 2.0 * (special.xlogy(y, y / mu) - (y - mu) * (1.0 + u) * log1p_ratio(u))

    def unit_variance(self, mu, theta):
        return mu + mu * mu / theta


@hookimpl
def register_families():
    return [NegativeBinomial()]
