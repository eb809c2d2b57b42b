r"""The logistic family (location-scale): ``y = mu + sigma * Z``, Z standard logistic.

.. math::

    f(y; \mu, \sigma) = \frac{e^{-z}}{\sigma\,(1 + e^{-z})^2}, \qquad
    z = \frac{y - \mu}{\sigma}, \qquad F(y) = \frac{1}{1 + e^{-z}}.

``mu`` is the location (mean and median), ``sigma`` the scale (sd = sigma pi / sqrt(3)).
With :math:`\psi(z) = \tanh(z/2)` and :math:`\psi' = (1 - \psi^2)/2` the expected
information per row is :math:`I_{\mu\mu} = 1/(3\sigma^2)`,
:math:`I_{\sigma\sigma} = (3 + \pi^2)/(9\sigma^2)`, :math:`I_{\mu\sigma} = 0`.
scipy: ``stats.logistic(loc=mu, scale=sigma)``; R: ``dlogis(y, mu, sigma)``,
``survreg(dist = "logistic")``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import special

from mlefit import Family, hookimpl
from mlefit.domains import Real

from ._location_scale import (
    location_scale_d1,
    location_scale_d2,
    location_scale_parameters,
    robust_location_scale,
    symmetric_information,
)
from ._tails import IndexTails, location_scale_index, logistic_tail

_INFO_SIGMA = (3.0 + np.pi**2) / 9.0


class Logistic(IndexTails, Family):
    """Logistic distribution with location ``mu`` and scale ``sigma``."""

    #: censoring: log P(Y <= y) = log G(w) with the index and tail of :mod:`._tails`
    _index = staticmethod(location_scale_index)
    _tail = staticmethod(logistic_tail)

    name = "logistic"
    support = Real()
    response_scaling: ClassVar[dict[str, float]] = {"mu": 1, "sigma": 1}
    parameters = location_scale_parameters("location (mean and median)",
                                           "scale (sd = sigma * pi / sqrt(3))")
    reductions = ()

    def logpdf(self, y, mu, sigma):
        a = np.abs(y - mu) / sigma                     # the density is even in z
        return -a - 2.0 * np.log1p(np.exp(-a)) - np.log(sigma)

    def dlogpdf(self, y, mu, sigma):
        z = (y - mu) / sigma
        return location_scale_d1(z, np.tanh(0.5 * z), sigma)

    def d2logpdf(self, y, mu, sigma):
        z = (y - mu) / sigma
        psi = np.tanh(0.5 * z)
        return location_scale_d2(z, psi, 0.5 * (1.0 - psi * psi), sigma)

    def expected_information(self, y, mu, sigma):
        return symmetric_information(np.broadcast_to(sigma, np.shape(y)), 1.0 / 3.0,
                                     _INFO_SIGMA)

    def start(self, y, weights):
        """Median, and MAD / log(3) (the standard logistic's quartile is log 3)."""
        med, mad = robust_location_scale(y, weights)
        return {"mu": med, "sigma": mad / np.log(3.0) if mad > 0 else 1.0}

    def mean(self, mu, sigma):
        return mu

    def variance(self, mu, sigma):
        return (np.pi * sigma) ** 2 / 3.0

    def cdf(self, y, mu, sigma):
        return special.expit((y - mu) / sigma)

    def sample(self, rng, size, mu, sigma):
        return rng.logistic(mu, sigma, size)


@hookimpl
def register_families():
    return [Logistic()]
