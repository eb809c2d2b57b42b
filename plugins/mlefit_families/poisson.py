"""The Poisson family: ``P(Y = y) = mu^y exp(-mu) / y!``, ``y = 0, 1, 2, ...``.

``mu > 0`` is the mean and the variance. Links: log (default, canonical; R's
``poisson()`` default), identity, sqrt. R's ``logLik`` of a Poisson ``glm`` is the
maximum-likelihood value, so ``convention="R"`` changes only the covariance (expected
information, which equals the observed one under the log link).
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from mlefit import Family, hookimpl
from mlefit.domains import NonNegativeIntegers

from ._counts import (
    as_float,
    mean_parameter,
    on_support,
    poisson_cdf_sf,
    poisson_log_cdf_sf,
    poisson_logpmf,
)


class Poisson(Family):
    r"""Poisson distribution with mean ``mu``.

    .. math::

        \log p(y; \mu) = y \log \mu - \mu - \log y!, \qquad
        \frac{\partial \ell}{\partial \mu} = \frac{y}{\mu} - 1, \qquad
        \frac{\partial^2 \ell}{\partial \mu^2} = -\frac{y}{\mu^2}, \qquad
        \mathcal{I}(\mu) = \frac{1}{\mu}.

    Unit deviance ``d(y, mu) = 2 [y log(y/mu) - (y - mu)]`` with ``0 log 0 = 0``; variance
    function ``V(mu) = mu``. Equivalent to R's ``glm(family = poisson(link))``,
    statsmodels' ``GLM(family=Poisson())`` and ``discrete.Poisson``, ``scipy.stats.poisson``.
    """

    name = "poisson"
    support = NonNegativeIntegers()
    parameters = (mean_parameter(),)

    def logpdf(self, y, mu):
        y, mu = as_float(y, mu)
        return on_support(y, poisson_logpmf(y, mu))

    def dlogpdf(self, y, mu):
        return {"mu": y / mu - 1.0}

    def d2logpdf(self, y, mu):
        return {("mu", "mu"): -y / (mu * mu)}

    def eta_derivatives(self, y, links, mu):
        """Log link: ``dl/deta = y - mu``, ``d2l/deta2 = -mu`` (no ``y / mu`` overflow)."""
        if links["mu"] != "log":
            return None
        m = np.exp(mu)
        return {"mu": y - m}, {("mu", "mu"): -m}

    def expected_information(self, y, mu):
        return {("mu", "mu"): np.broadcast_to(1.0 / mu, np.shape(y))}

    def start(self, y, weights):
        mean = float(np.average(y, weights=weights))
        return {"mu": mean if mean > 0 else 0.1}

    def mean(self, mu):
        return mu

    def variance(self, mu):
        return mu

    def cdf(self, y, mu):
        return poisson_cdf_sf(np.floor(y), mu)[0]

    def logcdf(self, y, mu):
        """``log P(Y <= y)``, accurate in both tails (``_counts.log_cdf_sf``)."""
        return poisson_log_cdf_sf(np.floor(y), mu)[0]

    def logsf(self, y, mu):
        """``log P(Y > y)``, accurate in both tails (``_counts.log_cdf_sf``)."""
        return poisson_log_cdf_sf(np.floor(y), mu)[1]

    def dlogcdf(self, y, mu):
        """``dF/dmu = -pmf(k)``, so ``d log F / dmu = -pmf(k) / F(k)`` (0 below 0)."""
        k, mu = as_float(np.floor(y), mu)
        logF = poisson_log_cdf_sf(k, mu)[0]
        with np.errstate(invalid="ignore"):
            return {"mu": np.where(k >= 0, -np.exp(poisson_logpmf(k, mu) - logF), 0.0)}

    def dlogsf(self, y, mu):
        """``d log S / dmu = pmf(k) / S(k)`` (0 below 0, where ``S = 1``)."""
        k, mu = as_float(np.floor(y), mu)
        logS = poisson_log_cdf_sf(k, mu)[1]
        return {"mu": np.where(k >= 0, np.exp(poisson_logpmf(k, mu) - logS), 0.0)}

    def ppf(self, q, mu):
        """The smallest count ``k`` with ``P(Y <= k) >= q`` (scipy's ``poisson.ppf``)."""
        return stats.poisson.ppf(q, mu)

    def sample(self, rng, size, mu):
        return rng.poisson(np.broadcast_to(mu, size)).astype(float)

    def unit_deviance(self, y, mu):
        return 2.0 * (special.xlogy(y, y / mu) - (y - mu))

    def unit_variance(self, mu):
        return mu


@hookimpl
def register_families():
    return [Poisson()]
