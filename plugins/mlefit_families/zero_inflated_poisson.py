"""The zero-inflated Poisson family: a structural zero with probability ``pi``, else a
Poisson count with mean ``mu``.

``mu`` takes the log (default), identity or sqrt link; ``pi`` the logit (default),
probit, cloglog or cauchit link. ``pi`` lives in ``[0, 1)``: at ``pi = 0`` the family is
the Poisson, declared as a boundary reduction, so a fit to data without excess zeros
ends there with a warning. Give ``pi`` its own formula with ``fit(..., pi="~ x")``
(statsmodels' ``exog_infl``; the ``|`` part of R's ``pscl::zeroinfl``).
"""

from __future__ import annotations

import numpy as np

from mlefit import Family, Parameter, Reduction, hookimpl
from mlefit.domains import NonNegativeIntegers

from ._counts import (
    PROBABILITY_OR_ZERO,
    as_float,
    mean_parameter,
    on_support,
    poisson_cdf_sf,
    poisson_log_cdf_sf,
    poisson_logpmf,
)

#: start values of pi are clipped to this range
PI_START = (0.05, 0.9)


def _zero_parts(mu, pi):
    """``(e, p0)``: ``exp(-mu)`` and ``P(Y = 0) = pi + (1 - pi) exp(-mu)``."""
    e = np.exp(-mu)
    return e, pi + (1.0 - pi) * e


class ZeroInflatedPoisson(Family):
    r"""Zero-inflated Poisson with Poisson mean ``mu`` and inflation probability ``pi``.

    .. math::

        P(Y = 0) = \pi + (1 - \pi) e^{-\mu}, \qquad
        P(Y = y) = (1 - \pi) \frac{\mu^y e^{-\mu}}{y!} \quad (y \ge 1),

    ``E y = (1 - pi) mu``, ``Var y = (1 - pi) mu (1 + pi mu)``. statsmodels:
    ``ZeroInflatedPoisson(endog, exog, exog_infl, inflation="logit")`` (the ``pi`` block is
    its ``inflate_`` coefficients); R: ``pscl::zeroinfl(y ~ x | z, dist = "poisson")``.

    Derivatives (``p0 = P(Y = 0)``, ``e = exp(-mu)``): at ``y = 0``,
    ``dl/dpi = (1 - e)/p0``, ``dl/dmu = -(1 - pi) e / p0``,
    ``d2l/dpi2 = -((1 - e)/p0)^2``, ``d2l/dmu2 = q (1 - q)`` with ``q = (1 - pi) e / p0``,
    ``d2l/dpi dmu = e / p0^2``; at ``y > 0``, ``dl/dpi = -1/(1 - pi)``,
    ``dl/dmu = y/mu - 1``, ``d2l/dpi2 = -1/(1 - pi)^2``, ``d2l/dmu2 = -y/mu^2``, no cross
    term. Expected information (exact): ``I_pi_pi = (1 - e)^2/p0 + (1 - e)/(1 - pi)``,
    ``I_mu_mu = (1 - pi)/mu - pi (1 - pi) e / p0``, ``I_mu_pi = -e / p0``.
    """

    name = "zero_inflated_poisson"
    aliases = ("zip",)
    support = NonNegativeIntegers()
    parameters = (
        mean_parameter(),
        Parameter("pi", PROBABILITY_OR_ZERO, link="logit",
                  links=("logit", "probit", "cloglog", "cauchit"), typical=(0.05, 0.6),
                  description="probability of a structural (inflated) zero"),
    )
    reductions = (Reduction("poisson", "pi", 0.0, boundary=True),)

    def logpdf(self, y, mu, pi):
        y, mu, pi = as_float(y, mu, pi)
        with np.errstate(divide="ignore"):
            log_pi, log_rest = np.log(pi), np.log1p(-pi)
        zero = np.logaddexp(log_pi, log_rest - mu)
        return on_support(y, np.where(y == 0, zero, log_rest + poisson_logpmf(y, mu)))

    def dlogpdf(self, y, mu, pi):
        e, p0 = _zero_parts(mu, pi)
        zero = y == 0
        return {"mu": np.where(zero, -(1.0 - pi) * e / p0, y / mu - 1.0),
                "pi": np.where(zero, -np.expm1(-mu) / p0, -1.0 / (1.0 - pi))}

    def d2logpdf(self, y, mu, pi):
        e, p0 = _zero_parts(mu, pi)
        zero = y == 0
        q = (1.0 - pi) * e / p0
        d_pi = np.where(zero, -np.expm1(-mu) / p0, -1.0 / (1.0 - pi))
        return {("mu", "mu"): np.where(zero, q * (1.0 - q), -y / (mu * mu)),
                ("mu", "pi"): np.where(zero, e / (p0 * p0), 0.0),
                ("pi", "pi"): -d_pi * d_pi}

    def expected_information(self, y, mu, pi):
        e, p0 = _zero_parts(*as_float(mu, pi))
        mu, pi = as_float(mu, pi)
        one_minus_e = -np.expm1(-mu)
        return {("mu", "mu"): (1.0 - pi) / mu - pi * (1.0 - pi) * e / p0,
                ("mu", "pi"): -e / p0,
                ("pi", "pi"): one_minus_e**2 / p0 + one_minus_e / (1.0 - pi)}

    def start(self, y, weights):
        """Moments: ``(1 - pi) mu = mean``, ``pi mu = var/mean - 1``; ``pi`` clipped."""
        mean = float(np.average(y, weights=weights))
        if mean <= 0:
            return {"mu": 0.1, "pi": PI_START[0]}
        var = float(np.average((y - mean) ** 2, weights=weights))
        mu = mean + var / mean - 1.0
        pi = float(np.clip(1.0 - mean / mu, *PI_START)) if mu > 0 else PI_START[0]
        return {"mu": mean / (1.0 - pi), "pi": pi}

    def mean(self, mu, pi):
        return (1.0 - pi) * mu

    def variance(self, mu, pi):
        return (1.0 - pi) * mu * (1.0 + pi * mu)

    def zero_part(self, mu, pi):
        """pscl's ``predict(type = "zero")``: the inflation probability."""
        return pi

    def count_mean(self, mu, pi):
        """pscl's ``predict(type = "count")``: the Poisson component's mean."""
        return mu

    def cdf(self, y, mu, pi):
        y, mu, pi = as_float(y, mu, pi)
        F = poisson_cdf_sf(np.floor(y), mu)[0]
        return np.where(y >= 0, pi + (1.0 - pi) * F, 0.0)

    def logcdf(self, y, mu, pi):
        """``log(pi + (1 - pi) F_P(y))`` in log space (``F_P`` the Poisson cdf)."""
        y, mu, pi = as_float(y, mu, pi)
        logF = poisson_log_cdf_sf(np.floor(y), mu)[0]
        with np.errstate(divide="ignore"):
            value = np.logaddexp(np.log(pi), np.log1p(-pi) + logF)
        return np.where(y >= 0, value, -np.inf)

    def logsf(self, y, mu, pi):
        """``log(1 - pi) + log S_P(y)`` (a structural zero is never above ``y >= 0``)."""
        y, mu, pi = as_float(y, mu, pi)
        logS = poisson_log_cdf_sf(np.floor(y), mu)[1]
        return np.where(y >= 0, np.log1p(-pi) + logS, 0.0)

    def dlogcdf(self, y, mu, pi):
        """``F = pi + (1 - pi) F_P``: ``dF/dmu = -(1 - pi) pmf_P(k)``, ``dF/dpi = S_P(k)``."""
        k, mu, pi = as_float(np.floor(y), mu, pi)
        logF = self.logcdf(k, mu, pi)
        logSP = poisson_log_cdf_sf(k, mu)[1]
        with np.errstate(divide="ignore", invalid="ignore"):
            d_mu = -np.exp(np.log1p(-pi) + poisson_logpmf(k, mu) - logF)
            d_pi = np.exp(logSP - logF)
        below = k < 0
        return {"mu": np.where(below, 0.0, d_mu), "pi": np.where(below, 0.0, d_pi)}

    def dlogsf(self, y, mu, pi):
        """``log S = log(1 - pi) + log S_P``: ``pmf_P(k) / S_P(k)`` and ``-1/(1 - pi)``."""
        k, mu, pi = as_float(np.floor(y), mu, pi)
        logSP = poisson_log_cdf_sf(k, mu)[1]
        below = k < 0
        return {"mu": np.where(below, 0.0, np.exp(poisson_logpmf(k, mu) - logSP)),
                "pi": np.where(below, 0.0, -1.0 / (1.0 - pi))}

    def sample(self, rng, size, mu, pi):
        mu, pi = np.broadcast_to(mu, size), np.broadcast_to(pi, size)
        counts = rng.poisson(mu).astype(float)
        return np.where(rng.random(size) < pi, 0.0, counts)


@hookimpl
def register_families():
    return [ZeroInflatedPoisson()]
