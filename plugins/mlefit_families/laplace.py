r"""The Laplace (double exponential) family: ``y = mu + sigma * Z``, Z standard Laplace.

.. math::

    f(y; \mu, \sigma) = \frac{1}{2\sigma} e^{-|y - \mu|/\sigma}.

``mu`` is the location (mean and median), ``sigma`` the scale (mean absolute deviation;
sd = sigma sqrt(2)). The MLE of ``mu`` is least-absolute-deviation (median) regression,
and ``sigma_hat`` is the mean absolute residual.

The log density is not differentiable at ``y = mu``; elsewhere its second derivative in
``mu`` is 0. ``d2logpdf`` returns these almost-everywhere derivatives, so the observed
information has a zero ``mu`` block: it is singular and carries no information about
``mu``. The information is in the expected information, :math:`I_{\mu\mu} = 1/\sigma^2`,
:math:`I_{\sigma\sigma} = 1/\sigma^2`, :math:`I_{\mu\sigma} = 0` (the variance of the score,
and the expectation of the distributional second derivative
:math:`-2\delta(y - \mu)/\sigma`). Fit with the engine's Fisher-scoring fallback and use
``cov_type="expected"`` for standard errors; the default observed-information covariance
is not available (see docs/families/laplace.md).
scipy: ``stats.laplace(loc=mu, scale=sigma)``.
"""

from __future__ import annotations

import numpy as np

from mlefit import Family, hookimpl
from mlefit.domains import Real

from ._location_scale import (
    location_scale_d1,
    location_scale_d2,
    location_scale_parameters,
    robust_location_scale,
    symmetric_information,
)

_LOG2 = np.log(2.0)


class Laplace(Family):
    """Laplace distribution with location ``mu`` and scale ``sigma``."""

    name = "laplace"
    support = Real()
    parameters = location_scale_parameters("location (mean and median)",
                                           "scale (mean absolute deviation; sd = sigma sqrt 2)")
    reductions = ()

    def logpdf(self, y, mu, sigma):
        return -_LOG2 - np.log(sigma) - np.abs(y - mu) / sigma

    def dlogpdf(self, y, mu, sigma):
        z = (y - mu) / sigma
        return location_scale_d1(z, np.sign(z), sigma)

    def d2logpdf(self, y, mu, sigma):
        """Almost-everywhere second derivatives: the ``(mu, mu)`` entry is 0."""
        z = (y - mu) / sigma
        return location_scale_d2(z, np.sign(z), np.zeros(np.shape(z)), sigma)

    def expected_information(self, y, mu, sigma):
        return symmetric_information(np.broadcast_to(sigma, np.shape(y)), 1.0, 1.0)

    def start(self, y, weights):
        """The closed-form intercept-only MLE: median and mean absolute deviation."""
        med, _ = robust_location_scale(y, weights)
        scale = float(np.average(np.abs(y - med), weights=weights))
        return {"mu": med, "sigma": scale if scale > 0 else 1.0}

    def mean(self, mu, sigma):
        return mu

    def variance(self, mu, sigma):
        return 2.0 * sigma * sigma

    def cdf(self, y, mu, sigma):
        z = (y - mu) / sigma
        half = 0.5 * np.exp(-np.abs(z))
        return np.where(z < 0, half, 1.0 - half)

    def sample(self, rng, size, mu, sigma):
        return rng.laplace(mu, sigma, size)


@hookimpl
def register_families():
    return [Laplace()]
