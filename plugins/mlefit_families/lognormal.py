r"""The log-normal family: ``log y ~ N(mu, sigma^2)``.

.. math::

    f(y; \mu, \sigma) = \frac{1}{y\,\sigma\sqrt{2\pi}}
    \exp\Bigl(-\frac{(\log y - \mu)^2}{2\sigma^2}\Bigr), \qquad y > 0.

``mu`` is the mean of ``log y`` (meanlog, identity link: coefficients are those of a
linear model for ``log y``), ``sigma`` the standard deviation of ``log y`` (sdlog, log
link). The mean of ``y`` is ``exp(mu + sigma^2 / 2)``, not ``exp(mu)`` (the median).

It is a Gaussian on ``log y``: the estimates equal the Gaussian fit of ``log y`` and the
log-likelihood is that fit's minus ``sum(log y)`` (the Jacobian of ``y -> log y``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from mlefit import Family, hookimpl
from mlefit.domains import Positive

from ._location_scale import (
    location_scale_d1,
    location_scale_d2,
    location_scale_parameters,
    symmetric_information,
    weighted_moments,
)
from ._tails import IndexTails, log_location_scale_index, normal_tail

_HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)


class LogNormal(IndexTails, Family):
    """Log-normal distribution: ``log y`` normal with mean ``mu`` and sd ``sigma``."""

    #: censoring: log P(Y <= y) = log G(w) with the index and tail of :mod:`._tails`
    _index = staticmethod(log_location_scale_index)
    _tail = staticmethod(normal_tail)

    name = "lognormal"
    support = Positive()
    parameters = location_scale_parameters("mean of log(y) (meanlog)",
                                           "standard deviation of log(y) (sdlog)",
                                           typical_scale=(0.2, 2.0))
    reductions = ()

    def logpdf(self, y, mu, sigma):
        with np.errstate(divide="ignore", invalid="ignore"):   # y <= 0: masked below
            logy = np.log(y)
            z = (logy - mu) / sigma
            out = -_HALF_LOG_2PI - np.log(sigma) - logy - 0.5 * z * z
        return np.where(y > 0, out, -np.inf)

    def dlogpdf(self, y, mu, sigma):
        z = (np.log(y) - mu) / sigma
        return location_scale_d1(z, z, sigma)

    def d2logpdf(self, y, mu, sigma):
        z = (np.log(y) - mu) / sigma
        return location_scale_d2(z, z, 1.0, sigma)

    def expected_information(self, y, mu, sigma):
        return symmetric_information(np.broadcast_to(sigma, np.shape(y)), 1.0, 2.0)

    def start(self, y, weights):
        """The closed-form intercept-only MLE: weighted mean and sd of ``log y``."""
        mu, sd = weighted_moments(np.log(y), weights)
        return {"mu": mu, "sigma": sd if sd > 0 else 1.0}

    def mean(self, mu, sigma):
        """``exp(mu + sigma^2 / 2)``."""
        return np.exp(mu + 0.5 * sigma * sigma)

    def variance(self, mu, sigma):
        """``(exp(sigma^2) - 1) exp(2 mu + sigma^2)``."""
        s2 = sigma * sigma
        return np.expm1(s2) * np.exp(2.0 * mu + s2)

    def cdf(self, y, mu, sigma):
        with np.errstate(divide="ignore"):
            return special.ndtr((np.log(y) - mu) / sigma)

    def sample(self, rng, size, mu, sigma):
        return np.exp(mu + sigma * rng.standard_normal(size))


@hookimpl
def register_families():
    return [LogNormal()]
