"""The inverse Gaussian (Wald) family: mean ``mu``, shape ``lambda``.

.. math::

    f(y; \\mu, \\lambda) = \\sqrt{\\frac{\\lambda}{2 \\pi y^3}}
        \\exp\\left(-\\frac{\\lambda (y - \\mu)^2}{2 \\mu^2 y}\\right), \\qquad y > 0,

``E[y] = mu``, ``Var(y) = mu^3 / lambda``. ``mu`` has the links log (mlefit's default: it
keeps every linear predictor valid), ``1/mu^2`` (``"inverse_squared"``, the canonical
link and R's ``inverse.gaussian()`` default: pass ``link="1/mu^2"`` to reproduce R),
inverse and identity. ``shape`` ``lambda`` is the exponential dispersion's precision
(``phi = 1 / lambda``, log link). The unit deviance is R's
``inverse.gaussian()$dev.resids``, ``(y - mu)^2 / (mu^2 y)``. The ML shape is
``n / deviance`` exactly, so without precision weights R's ``logLik`` is the ML value.
"""

from __future__ import annotations

from typing import ClassVar

from scipy import stats

from mlefit import Dispersion, Family, hookimpl
from mlefit.domains import Positive

from ._dispersion_families import PowerVarianceShape, mean_parameter, shape_parameter


class InverseGaussian(PowerVarianceShape, Family):
    """Inverse Gaussian distribution with mean ``mu`` and shape ``lambda``
    (``Var = mu^3 / shape``)."""

    name = "inverse_gaussian"
    aliases = ("wald",)
    support = Positive()
    response_scaling: ClassVar[dict[str, float]] = {"mu": 1, "shape": 1}
    parameters = (
        mean_parameter("log", ("log", "inverse_squared", "inverse", "identity")),
        shape_parameter("shape lambda: Var(y) = mu^3 / shape, dispersion phi = 1 / shape"),
    )
    variance_power = 3.0
    dispersion = Dispersion("shape", power=-1.0)

    def half_deviance(self, y, mu):
        """``(y - mu)^2 / (2 mu^2 y)``."""
        return 0.5 * ((y - mu) / mu) ** 2 / y

    def cdf(self, y, mu, shape):
        # scipy's invgauss(m, scale=s) is IG(mean m s, shape s); its cdf avoids the
        # overflow of exp(2 lambda / mu) in the closed form
        return stats.invgauss.cdf(y, mu / shape, scale=shape)

    def logcdf(self, y, mu, shape):
        """``log P(Y <= y)`` (scipy's invgauss; censoring, numeric derivatives)."""
        return stats.invgauss.logcdf(y, mu / shape, scale=shape)

    def logsf(self, y, mu, shape):
        """``log P(Y > y)`` (scipy's invgauss, accurate in the upper tail)."""
        return stats.invgauss.logsf(y, mu / shape, scale=shape)

    def sample(self, rng, size, mu, shape):
        return rng.wald(mu, shape, size=size)


@hookimpl
def register_families():
    return [InverseGaussian()]
