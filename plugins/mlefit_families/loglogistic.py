r"""The log-logistic family: ``log y = log mu + Z / shape``, Z standard logistic.

.. math::

    f(y; \mu, k) = \frac{(k/\mu)(y/\mu)^{k-1}}{\bigl(1 + (y/\mu)^k\bigr)^2}, \qquad
    S(y) = \frac{1}{1 + (y/\mu)^k}, \qquad y > 0,

``mu`` is the scale and the median, ``k = shape``. The mean is
``mu (pi/k) / sin(pi/k)`` for ``k > 1`` (infinite otherwise) and the variance
``mu^2 [2b / sin(2b) - b^2 / sin^2(b)]`` with ``b = pi/k`` for ``k > 2``.

Equivalents: ``scipy.stats.fisk(c=shape, scale=mu)``; R's ``survreg(dist =
"loglogistic")`` writes ``log y = x'beta + sigma W`` with W standard logistic, so its
coefficients are mlefit's ``mu`` coefficients on the (default) log link and its ``Scale``
is ``1 / shape`` (``Log(scale) = -log(shape)``); lifelines' ``LogLogisticAFTFitter`` has
``alpha_ = mu`` and ``beta_ = shape`` (both on log links).

With ``w = k log(y/mu)`` and ``p = expit(w)``, ``log f = log k - log y + w - 2 log(1 + e^w)``:
``dl/dw = 1 - 2p``, ``d2l/dw2 = -2 p (1 - p)``; the derivatives in ``(mu, k)`` follow from
``dw/dmu = -k/mu``, ``dw/dk = log(y/mu)``. The expected information per row is
``I_mumu = k^2 / (3 mu^2)``, ``I_muk = 0`` and ``I_kk = (3 + pi^2) / (9 k^2)`` (those of the
logistic for ``log y``, location ``log mu`` and scale ``1/k``).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import special

from mlefit import Family, Parameter, hookimpl
from mlefit.domains import Positive

from ._tails import IndexTails, logistic_tail, scale_shape_index

_INFO_SHAPE = (3.0 + np.pi**2) / 9.0


def _terms(y, mu, shape):
    """``L = log(y / mu)``, ``w = k L``, ``1 - 2p`` and ``-2 p (1 - p)``."""
    L = np.log(y) - np.log(mu)
    w = shape * L
    p, q = special.expit(w), special.expit(-w)
    return L, w, q - p, -2.0 * p * q


class LogLogistic(IndexTails, Family):
    """Log-logistic distribution with scale (median) ``mu`` and shape ``shape``."""

    #: censoring: log P(Y <= y) = log G(w), G the logistic cdf, w = shape log(y / mu)
    _index = staticmethod(scale_shape_index)
    _tail = staticmethod(logistic_tail)

    name = "loglogistic"
    aliases = ("fisk",)
    support = Positive()
    response_scaling: ClassVar[dict[str, float]] = {"mu": 1}
    parameters = (
        Parameter("mu", Positive(), links=("log", "identity"), typical=(0.5, 5.0),
                  description="scale (the median)"),
        Parameter("shape", Positive(), links=("log", "identity"), typical=(1.5, 6.0),
                  description="shape k (survreg's Scale = 1/shape)"),
    )
    reductions = ()

    def logpdf(self, y, mu, shape):
        with np.errstate(divide="ignore", invalid="ignore"):
            L = np.log(y) - np.log(mu)
            w = shape * L
            out = np.log(shape) - np.log(y) + w - 2.0 * np.logaddexp(0.0, w)
        return np.where(y > 0, out, -np.inf)

    def dlogpdf(self, y, mu, shape):
        L, _, g, _ = _terms(y, mu, shape)
        return {"mu": -g * shape / mu, "shape": 1.0 / shape + g * L}

    def d2logpdf(self, y, mu, shape):
        L, _, g, dg = _terms(y, mu, shape)
        a = shape / mu
        return {("mu", "mu"): dg * a * a + g * shape / (mu * mu),
                ("mu", "shape"): -dg * a * L - g / mu,
                ("shape", "shape"): -1.0 / (shape * shape) + dg * L * L}

    def expected_information(self, y, mu, shape):
        shape = np.broadcast_to(shape, np.shape(y))
        return {("mu", "mu"): (shape / mu) ** 2 / 3.0,
                ("mu", "shape"): np.zeros(np.shape(y)),
                ("shape", "shape"): _INFO_SHAPE / (shape * shape)}

    def start(self, y, weights):
        """From the moments of ``log y``: mean ``log mu``, sd ``pi / (sqrt(3) k)``."""
        logy = np.log(y)
        m = float(np.average(logy, weights=weights))
        sd = float(np.sqrt(np.average((logy - m) ** 2, weights=weights)))
        return {"mu": float(np.exp(m)), "shape": np.pi / (np.sqrt(3.0) * sd) if sd > 0 else 1.0}

    def mean(self, mu, shape):
        """``mu b / sin(b)``, ``b = pi / shape`` (inf where ``shape <= 1``)."""
        b = np.pi / np.asarray(shape, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b < np.pi, mu * b / np.sin(b), np.inf)

    def variance(self, mu, shape):
        """``mu^2 [2b / sin(2b) - b^2 / sin(b)^2]`` (inf where ``shape <= 2``)."""
        b = np.pi / np.asarray(shape, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            v = mu * mu * (2.0 * b / np.sin(2.0 * b) - (b / np.sin(b)) ** 2)
            return np.where(b < np.pi / 2.0, v, np.inf)

    def cdf(self, y, mu, shape):
        with np.errstate(divide="ignore"):
            w = shape * (np.log(np.maximum(y, 0.0)) - np.log(mu))
        return special.expit(w)

    def sample(self, rng, size, mu, shape):
        u = rng.random(size)
        return mu * np.exp(special.logit(u) / shape)


@hookimpl
def register_families():
    return [LogLogistic()]
