"""The gamma family: ``y ~ Gamma(shape, rate = shape / mu)``, mean ``mu``.

.. math::

    f(y; \\mu, \\nu) = \\frac{1}{\\Gamma(\\nu)} \\left(\\frac{\\nu}{\\mu}\\right)^{\\nu}
                      y^{\\nu - 1} e^{-\\nu y / \\mu}, \\qquad y > 0,

``E[y] = mu``, ``Var(y) = mu^2 / nu``. ``mu`` has the links log (default), inverse (R's
``Gamma()`` default: pass ``link="inverse"`` to reproduce R) and identity; ``shape``
``nu`` is the exponential dispersion's precision (``phi = 1 / nu``, log link). The unit
deviance is R's ``Gamma()$dev.resids``, ``2 ((y - mu) / mu - log(y / mu))``. The log
density is evaluated as ``log(nu / 2 pi) / 2 - log y - nu d / 2 - c(nu)`` with Stirling's
remainder ``c`` (see :mod:`._dispersion_families`): for large shapes (nearly deterministic
data) its error is about ``eps sqrt(nu)``, where the textbook ``nu log nu - log Gamma(nu)
...`` cancels to an error of about ``eps nu log nu``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import special

from mlefit import Dispersion, Family, Reduction, hookimpl
from mlefit.domains import Positive

from ._dispersion_families import PowerVarianceShape, mean_parameter, shape_parameter

_HALF_LOG_2PI = 0.5 * np.log(2 * np.pi)

#: c(x) = sum_k C_k x^-(2k+1), C_k = B_2k / (2k (2k - 1)) (Bernoulli numbers), used for
#: x >= 20, where the first omitted term is below 2e-17 of c (below 2e-15 of c' and c'')
_STIRLING = np.array([1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360])
_SERIES_FROM = 20.0


def _stirling_series(x, order: int):
    """``c``, ``c'`` or ``c''`` from the asymptotic series (``x >= 20``)."""
    k = np.arange(_STIRLING.size)
    powers = 2 * k + 1
    if order == 0:
        coef, first = _STIRLING, 1
    elif order == 1:
        coef, first = -powers * _STIRLING, 2
    else:
        coef, first = powers * (powers + 1) * _STIRLING, 3
    z = 1.0 / (x * x)
    total = np.zeros_like(x)
    for c in coef[::-1]:
        total = total * z + c
    return total / x**first


def _stirling_direct(x, order: int):
    """``c``, ``c'`` or ``c''`` from log-gamma and polygamma (``x < 20``)."""
    if order == 0:
        return special.gammaln(x) - (x - 0.5) * np.log(x) + x - _HALF_LOG_2PI
    if order == 1:
        return special.digamma(x) - np.log(x) + 0.5 / x
    return special.polygamma(1, x) - 1.0 / x - 0.5 / (x * x)


def _stirling_values(x, order: int):
    big = x >= _SERIES_FROM
    if big.all():
        return _stirling_series(x, order)
    out = np.empty_like(x)
    out[big] = _stirling_series(x[big], order)
    out[~big] = _stirling_direct(x[~big], order)
    return out


def stirling_remainder(x, order: int = 0):
    """Stirling's remainder ``c(x) = log Gamma(x) - (x - 1/2) log x + x - log(2 pi) / 2``
    (``order=0``) or its first or second derivative, to full precision for all ``x > 0``.

    A constant ``x`` (an intercept-only shape: the usual case) is evaluated once.
    """
    x = np.asarray(x, dtype=float)
    flat = x.reshape(-1)
    if flat.size > 1 and (flat == flat[0]).all():
        return np.full(x.shape, _stirling_values(flat[:1], order)[0])
    return _stirling_values(flat, order).reshape(x.shape)


class Gamma(PowerVarianceShape, Family):
    """Gamma distribution with mean ``mu`` and shape ``nu`` (``Var = mu^2 / shape``)."""

    name = "gamma"
    support = Positive()
    response_scaling: ClassVar[dict[str, float]] = {"mu": 1}
    parameters = (
        mean_parameter("log", ("log", "inverse", "identity")),
        shape_parameter("shape nu: Var(y) = mu^2 / shape, dispersion phi = 1 / shape"),
    )
    variance_power = 2.0
    dispersion = Dispersion("shape", power=-1.0)
    reductions = (Reduction("exponential", "shape", 1.0, boundary=False),)

    def half_deviance(self, y, mu):
        """``t - log(1 + t)`` with ``t = (y - mu) / mu``: ``log1p(t)`` near ``y = mu`` (where
        ``t`` is exact but ``y / mu - 1`` is not), ``log(y / mu)`` where ``1 + t`` is small."""
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (y - mu) / mu
            return t - np.where(t < -0.5, np.log(y / mu), np.log1p(t))

    def shape_correction(self, shape, order: int):
        return stirling_remainder(shape, order)

    def cdf(self, y, mu, shape):
        return special.gammainc(shape, np.maximum(y, 0.0) * shape / mu)

    def logcdf(self, y, mu, shape):
        """``log P(Y <= y)`` (censoring; numeric derivatives)."""
        x = np.maximum(y, 0.0) * shape / mu
        lower, upper = special.gammainc(shape, x), special.gammaincc(shape, x)
        with np.errstate(divide="ignore"):
            return np.where(lower < 0.5, np.log(lower), np.log1p(-upper))

    def logsf(self, y, mu, shape):
        """``log P(Y > y)`` from the regularised upper incomplete gamma function
        (accurate in the upper tail until it underflows)."""
        with np.errstate(divide="ignore"):
            return np.log(special.gammaincc(shape, np.maximum(y, 0.0) * shape / mu))

    def sample(self, rng, size, mu, shape):
        return rng.gamma(shape, mu / shape, size=size)


@hookimpl
def register_families():
    return [Gamma()]
