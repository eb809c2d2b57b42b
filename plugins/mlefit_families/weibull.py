r"""The Weibull family: ``mu`` is the SCALE ``lambda`` (not the mean), ``shape`` is ``k``.

.. math::

    f(y; \lambda, k) = \frac{k}{\lambda}\Bigl(\frac{y}{\lambda}\Bigr)^{k-1}
    e^{-(y/\lambda)^k}, \qquad y > 0,

    E\,y = \lambda\,\Gamma(1 + 1/k), \qquad
    \operatorname{Var} y = \lambda^2\bigl[\Gamma(1 + 2/k) - \Gamma(1 + 1/k)^2\bigr].

Equivalents: ``scipy.stats.weibull_min(c=shape, scale=mu)``; R's
``survreg(dist = "weibull")`` writes ``log y = x'beta + sigma W`` (W standard minimum
extreme value), so survreg's coefficients equal mlefit's ``mu`` coefficients on the (default)
log link, and survreg's ``Scale`` is ``1 / shape``. ``shape = 1`` is the exponential with
mean ``mu`` (an interior point: likelihood-ratio tests use the plain chi-square).

With ``s = (y/lambda)^k`` and ``L = log(y/lambda)``, the expected information per row is

.. math::

    I_{\lambda\lambda} = k^2/\lambda^2, \quad
    I_{\lambda k} = -(1 - \gamma)/\lambda, \quad
    I_{kk} = \bigl(\pi^2/6 + (1 - \gamma)^2\bigr)/k^2

(``gamma``: Euler's constant), from ``E s = 1``, ``E[s log s] = 1 - gamma`` and
``E[s log^2 s] = pi^2/6 - 1 + (1 - gamma)^2`` for ``s ~ Exp(1)``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import special

from mlefit import Family, Parameter, Reduction, hookimpl
from mlefit.domains import Positive

from ._tails import IndexTails, min_extreme_tail, scale_shape_index

_ONE_MINUS_GAMMA = 1.0 - np.euler_gamma
_INFO_SHAPE = np.pi**2 / 6.0 + _ONE_MINUS_GAMMA**2


def _terms(y, mu, shape):
    """``L = log(y / mu)`` and ``s = (y / mu)^shape`` (inf, its limit, when it overflows)."""
    L = np.log(y) - np.log(mu)
    with np.errstate(over="ignore"):
        return L, np.exp(shape * L)


class Weibull(IndexTails, Family):
    """Weibull distribution with scale ``mu`` (lambda) and shape ``shape`` (k)."""

    #: censoring: log P(Y <= y) = log G(w) with the index and tail of :mod:`._tails`
    _index = staticmethod(scale_shape_index)
    _tail = staticmethod(min_extreme_tail)

    name = "weibull"
    support = Positive()
    response_scaling: ClassVar[dict[str, float]] = {"mu": 1}
    parameters = (
        Parameter("mu", Positive(), links=("log", "identity"), typical=(0.5, 5.0),
                  description="scale lambda (mean = mu * Gamma(1 + 1/shape))"),
        Parameter("shape", Positive(), links=("log", "identity"), typical=(0.7, 4.0),
                  description="shape k (survreg's Scale = 1/shape)"),
    )
    reductions = (Reduction("exponential", "shape", 1.0, boundary=False),)

    def logpdf(self, y, mu, shape):
        with np.errstate(divide="ignore", invalid="ignore"):
            L, s = _terms(y, mu, shape)
            out = np.log(shape) - np.log(mu) + (shape - 1.0) * L - s
        return np.where(y > 0, out, -np.inf)

    def dlogpdf(self, y, mu, shape):
        L, s = _terms(y, mu, shape)
        return {"mu": shape * (s - 1.0) / mu, "shape": 1.0 / shape + L * (1.0 - s)}

    def d2logpdf(self, y, mu, shape):
        L, s = _terms(y, mu, shape)
        return {("mu", "mu"): shape * (1.0 - (shape + 1.0) * s) / (mu * mu),
                ("mu", "shape"): (s - 1.0 + shape * s * L) / mu,
                ("shape", "shape"): -1.0 / (shape * shape) - L * L * s}

    def eta_derivatives(self, y, links, mu, shape):
        """On the (default) log links, ``a = log mu``, ``b = log shape``:

        ``dl/da = k (s - 1)``, ``dl/db = 1 + k L (1 - s)``, ``d2l/da2 = -k^2 s``,
        ``d2l/da db = k (s - 1 + k s L)``, ``d2l/db2 = k L (1 - s) - k^2 L^2 s``.

        No chain rule, so no ``inf - inf`` when ``s`` overflows at a trial point far from
        the optimum (there the values are +-inf, which the line search rejects).
        """
        if links.get("mu") != "log" or links.get("shape") != "log":
            return None
        k = np.exp(shape)
        with np.errstate(over="ignore", invalid="ignore"):
            L = np.log(y) - mu
            s = np.exp(k * L)
            kL = k * L
            ks = k * s
            d1 = {"mu": k * (s - 1.0), "shape": 1.0 + kL * (1.0 - s)}
            d2 = {("mu", "mu"): -k * ks,
                  ("mu", "shape"): k * (s - 1.0) + ks * kL,
                  ("shape", "shape"): kL * (1.0 - s) - kL * kL * s}
        return d1, d2

    def expected_information(self, y, mu, shape):
        shape = np.broadcast_to(shape, np.shape(y))
        return {("mu", "mu"): (shape / mu) ** 2,
                ("mu", "shape"): -_ONE_MINUS_GAMMA / mu,
                ("shape", "shape"): _INFO_SHAPE / (shape * shape)}

    def start(self, y, weights):
        """From the moments of ``log y = log mu + G / shape`` (G: minimum Gumbel, mean
        -gamma, sd pi/sqrt(6))."""
        logy = np.log(y)
        m = float(np.average(logy, weights=weights))
        sd = float(np.sqrt(np.average((logy - m) ** 2, weights=weights)))
        shape = np.pi / (np.sqrt(6.0) * sd) if sd > 0 else 1.0
        return {"mu": float(np.exp(m + np.euler_gamma / shape)), "shape": float(shape)}

    def mean(self, mu, shape):
        """``mu * Gamma(1 + 1/shape)``."""
        return mu * special.gamma(1.0 + 1.0 / shape)

    def variance(self, mu, shape):
        g1 = special.gamma(1.0 + 1.0 / shape)
        return mu * mu * (special.gamma(1.0 + 2.0 / shape) - g1 * g1)

    def cdf(self, y, mu, shape):
        return -np.expm1(-((np.maximum(y, 0.0) / mu) ** shape))

    def sample(self, rng, size, mu, shape):
        return mu * rng.weibull(np.broadcast_to(shape, size), size)


@hookimpl
def register_families():
    return [Weibull()]
