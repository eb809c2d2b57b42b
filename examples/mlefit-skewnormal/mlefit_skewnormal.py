"""A skew-normal family for mlefit, written with ``logpdf`` only (plus ``cdf``, ``sample``).

Density (Azzalini 1985) with location ``mu``, scale ``sigma > 0`` and shape ``alpha``::

    f(y) = 2 / sigma * phi(z) * Phi(alpha z),    z = (y - mu) / sigma

``phi`` and ``Phi`` are the standard normal density and distribution function. ``alpha = 0``
is the normal distribution N(mu, sigma^2); ``alpha > 0`` skews to the right. This is
scipy's ``stats.skewnorm(alpha, loc=mu, scale=sigma)``. mlefit differentiates ``logpdf``
numerically, so every feature of the engine works without analytic derivatives.
"""

import numpy as np
from scipy import special, stats

from mlefit import Family, Parameter, Reduction, hookimpl
from mlefit.domains import Positive, Real

LOG_2_OVER_SQRT_2PI = np.log(2.0) - 0.5 * np.log(2.0 * np.pi)


class SkewNormal(Family):
    """Skew-normal distribution: location ``mu``, scale ``sigma``, shape ``alpha``."""

    name = "skewnormal"
    aliases = ("skew_normal",)
    support = Real()
    parameters = (
        Parameter("mu", Real(), description="location"),
        Parameter("sigma", Positive(), typical=(0.5, 3.0), description="scale"),
        # alpha = 0 (the normal) is where the information matrix is singular, so the
        # ordinary values tests and start values use lie away from it.
        Parameter("alpha", Real(), typical=(1.0, 5.0), description="shape (skewness)"),
    )
    # alpha = 0 is an interior point: lrtest against a gaussian fit is a plain chi2(1)
    # (the statistic is invariant to reparameterisation, and regular in the centred one).
    reductions = (Reduction("gaussian", "alpha", 0.0),)

    def logpdf(self, y, mu, sigma, alpha):
        z = (y - mu) / sigma
        return LOG_2_OVER_SQRT_2PI - np.log(sigma) - 0.5 * z * z + special.log_ndtr(alpha * z)

    def cdf(self, y, mu, sigma, alpha):
        return stats.skewnorm.cdf(y, alpha, loc=mu, scale=sigma)

    def sample(self, rng, size, mu, sigma, alpha):
        return stats.skewnorm.rvs(alpha, loc=mu, scale=sigma, size=size, random_state=rng)


@hookimpl
def register_families():
    return [SkewNormal()]
