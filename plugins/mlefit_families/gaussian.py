"""The Gaussian (normal) family: ``y ~ N(mu, sigma^2)``.

``mu`` is the mean (links identity, log, inverse: R's ``gaussian()``), ``sigma`` the
standard deviation (log link). ``sigma`` is an exponential dispersion with
``phi = sigma^2``: the ML estimate divides the residual sum of squares by n, R's glm
dispersion by n - p; both are on the result.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import special, stats

from mlefit import Dispersion, Family, Parameter, hookimpl
from mlefit.domains import Positive, Real

from ._tails import IndexTails, location_scale_index, normal_tail

_LOG_2PI = np.log(2 * np.pi)


class Gaussian(IndexTails, Family):
    """Normal distribution with mean ``mu`` and standard deviation ``sigma``."""

    #: censoring: log P(Y <= y) = log G(w) with the index and tail of :mod:`._tails`
    _index = staticmethod(location_scale_index)
    _tail = staticmethod(normal_tail)

    name = "gaussian"
    aliases = ("normal",)
    support = Real()
    response_scaling: ClassVar[dict[str, float]] = {"mu": 1, "sigma": 1}
    parameters = (
        Parameter("mu", Real(), links=("identity", "log", "inverse"),
                  description="mean"),
        Parameter("sigma", Positive(), links=("log", "identity"), typical=(0.5, 3.0),
                  description="standard deviation"),
    )
    dispersion = Dispersion("sigma", power=2.0)
    reductions = ()

    def logpdf(self, y, mu, sigma):
        z = (y - mu) / sigma
        return -0.5 * _LOG_2PI - np.log(sigma) - 0.5 * z * z

    def dlogpdf(self, y, mu, sigma):
        z = (y - mu) / sigma
        return {"mu": z / sigma, "sigma": (z * z - 1.0) / sigma}

    def d2logpdf(self, y, mu, sigma):
        z = (y - mu) / sigma
        s2 = sigma * sigma
        return {("mu", "mu"): np.broadcast_to(-1.0 / s2, np.shape(z)),
                ("mu", "sigma"): -2.0 * z / s2,
                ("sigma", "sigma"): (1.0 - 3.0 * z * z) / s2}

    def expected_information(self, y, mu, sigma):
        s2 = np.broadcast_to(sigma * sigma, np.shape(y))
        return {("mu", "mu"): 1.0 / s2, ("mu", "sigma"): np.zeros(np.shape(y)),
                ("sigma", "sigma"): 2.0 / s2}

    def start(self, y, weights):
        mu = float(np.average(y, weights=weights))
        sd = float(np.sqrt(np.average((y - mu) ** 2, weights=weights)))
        return {"mu": mu, "sigma": sd if sd > 0 else 1.0}

    def mean(self, mu, sigma):
        return mu

    def variance(self, mu, sigma):
        return np.broadcast_to(sigma * sigma, np.shape(mu))

    def cdf(self, y, mu, sigma):
        return special.ndtr((y - mu) / sigma)

    def sample(self, rng, size, mu, sigma):
        return stats.norm.rvs(loc=mu, scale=sigma, size=size, random_state=rng)

    def unit_deviance(self, y, mu, sigma):
        return (y - mu) ** 2

    def unit_variance(self, mu, sigma):
        return np.ones_like(mu)


@hookimpl
def register_families():
    return [Gaussian()]
