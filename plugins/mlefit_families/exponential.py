r"""The exponential family, parameterised by its MEAN: ``y ~ Exp(rate = 1 / mu)``.

.. math::

    f(y; \mu) = \frac{1}{\mu} e^{-y/\mu}, \qquad y \ge 0,\ \mu > 0.

``mu`` is the mean (``E y = mu``, ``Var y = mu^2``); the rate is ``1 / mu``. Links: log
(default; coefficients are log-mean effects, the same numbers as R's
``survreg(dist = "exponential")`` on uncensored data), inverse (a linear model for the
rate) and identity.

``y = 0`` is in the support (the density is ``1 / mu`` there, as scipy's ``expon``).
The exponential is the gamma GLM with dispersion fixed at 1: ``unit_deviance`` and
``unit_variance`` are the gamma ones, so ``convention="R"`` reproduces
``summary(glm(y ~ x, family = Gamma(link = "log")), dispersion = 1)``. A row with
``y = 0`` makes the (gamma) deviance infinite, though the likelihood is finite.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mlefit import Family, Parameter, hookimpl
from mlefit.domains import NonNegative, Positive

from ._tails import IndexTails, min_extreme_tail, scale_index


class Exponential(IndexTails, Family):
    """Exponential distribution with mean ``mu`` (rate ``1 / mu``)."""

    #: censoring: log P(Y <= y) = log G(w) with the index and tail of :mod:`._tails`
    _index = staticmethod(scale_index)
    _tail = staticmethod(min_extreme_tail)

    name = "exponential"
    support = NonNegative()
    response_scaling: ClassVar[dict[str, float]] = {"mu": 1}
    parameters = (
        Parameter("mu", Positive(), links=("log", "inverse", "identity"), typical=(0.2, 5.0),
                  description="mean (rate = 1/mu)"),
    )
    reductions = ()

    def logpdf(self, y, mu):
        out = -np.log(mu) - y / mu
        return np.where(y >= 0, out, -np.inf)

    def dlogpdf(self, y, mu):
        return {"mu": (y - mu) / (mu * mu)}

    def d2logpdf(self, y, mu):
        return {("mu", "mu"): (mu - 2.0 * y) / (mu * mu * mu)}

    def expected_information(self, y, mu):
        return {("mu", "mu"): np.broadcast_to(1.0 / (mu * mu), np.shape(y))}

    def start(self, y, weights):
        """The intercept-only MLE, the weighted mean (1 if every y is 0)."""
        mean = float(np.average(y, weights=weights))
        return {"mu": mean if mean > 0 else 1.0}

    def mean(self, mu):
        return mu

    def variance(self, mu):
        return mu * mu

    def cdf(self, y, mu):
        return -np.expm1(-np.maximum(y, 0.0) / mu)

    def sample(self, rng, size, mu):
        return mu * rng.standard_exponential(size)

    def unit_deviance(self, y, mu):
        """Gamma unit deviance ``2 [(y - mu) / mu - log(y / mu)]`` (inf at y = 0)."""
        with np.errstate(divide="ignore"):
            return 2.0 * ((y - mu) / mu - np.log(y / mu))

    def unit_variance(self, mu):
        return mu * mu


@hookimpl
def register_families():
    return [Exponential()]
