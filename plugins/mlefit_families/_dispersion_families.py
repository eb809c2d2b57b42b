"""Shared likelihood of the positive continuous GLM families (gamma, inverse Gaussian).

Both are exponential-dispersion models on ``y > 0`` with mean ``mu``, a precision
``shape = 1 / phi`` and a power variance function ``V(mu) = mu**p`` (``p = 2``: gamma,
``p = 3``: inverse Gaussian), so ``Var(y) = mu**p / shape``. Written with the unit
deviance ``d(y, mu)``, both log densities have the saddlepoint form

.. math::

    \\log f(y; \\mu, s) = \\tfrac12 \\log\\frac{s}{2\\pi} - \\tfrac{p}{2} \\log y
                         - \\tfrac{s}{2} d(y, \\mu) - c(s),

which is exact for the inverse Gaussian (``c = 0``) and exact for the gamma with
Stirling's remainder ``c(s) = log Gamma(s) - (s - 1/2) log s + s - log(2 pi) / 2``.
Hence, with ``r = (y - mu) / mu**p``,

* ``dl/dmu = s r``;  ``d2l/dmu2 = -s (1 + p (y - mu) / mu) / mu**p``;
  ``d2l/dmu ds = r``;
* ``dl/ds = 1 / (2 s) - d / 2 - c'(s)``;  ``d2l/ds2 = -1 / (2 s**2) - c''(s)``;
* expected information: ``s / mu**p`` (mean), ``0`` (cross), ``1 / (2 s**2) + c''(s)``.

:class:`PowerVarianceShape` implements this once; a family adds its class attributes,
``variance_power``, ``half_deviance(y, mu)`` (``d / 2``), ``shape_correction`` (the
gamma's ``c``) and its own ``cdf`` and ``sample``.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from mlefit import Parameter
from mlefit.domains import Positive

_LOG_2PI = np.log(2 * np.pi)


def mean_parameter(default: str, links: tuple[str, ...]) -> Parameter:
    """The mean ``mu > 0`` with the family's default and allowed links."""
    return Parameter("mu", Positive(), link=default, links=links, typical=(0.5, 5.0),
                     description="mean")


def shape_parameter(description: str) -> Parameter:
    """The precision ``shape > 0`` (``phi = 1 / shape``); log link by default."""
    return Parameter("shape", Positive(), links=("log", "identity"), typical=(0.5, 20.0),
                     description=description)


class PowerVarianceShape:
    """Likelihood, derivatives and GLM pieces of a positive EDM with ``V(mu) = mu**p``.

    A mix-in for :class:`mlefit.Family` subclasses (``class Gamma(PowerVarianceShape,
    Family)``); see the module docstring for the formulas.
    """

    variance_power: ClassVar[float]

    # family-specific pieces ----------------------------------------------------------
    def half_deviance(self, y, mu):  # pragma: no cover - defined by each family
        """``d(y, mu) / 2``, half the unit deviance."""
        raise NotImplementedError

    def shape_correction(self, shape, order: int):
        """``c(shape)`` (order 0) or its first or second derivative; none by default."""
        return 0.0

    # likelihood ----------------------------------------------------------------------
    def logpdf(self, y, mu, shape):
        p = self.variance_power
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (0.5 * (np.log(shape) - _LOG_2PI) - 0.5 * p * np.log(y)
                     - shape * self.half_deviance(y, mu) - self.shape_correction(shape, 0))
        return np.where((y > 0) & (y < np.inf), value, -np.inf)

    def dlogpdf(self, y, mu, shape):
        with np.errstate(over="ignore", invalid="ignore"):
            r = (y - mu) / mu**self.variance_power
            return {"mu": shape * r,
                    "shape": 0.5 / shape - self.half_deviance(y, mu)
                    - self.shape_correction(shape, 1)}

    def d2logpdf(self, y, mu, shape):
        p = self.variance_power
        with np.errstate(over="ignore", invalid="ignore"):
            v = mu**p
            return {("mu", "mu"): -shape * (1.0 + p * (y - mu) / mu) / v,
                    ("mu", "shape"): (y - mu) / v,
                    ("shape", "shape"): -0.5 / shape**2 - self.shape_correction(shape, 2)
                    + np.zeros(np.shape(y))}

    def expected_information(self, y, mu, shape):
        n = np.shape(y)
        return {("mu", "mu"): shape / mu**self.variance_power + np.zeros(n),
                ("mu", "shape"): np.zeros(n),
                ("shape", "shape"): 0.5 / shape**2 + self.shape_correction(shape, 2)
                + np.zeros(n)}

    def start(self, y, weights):
        """Moments: ``mu`` the weighted mean, ``shape = V(mean) / variance``, as
        ``mean^(power - 2) / CV^2`` (no overflow for responses near 1e300)."""
        mu = float(np.average(y, weights=weights))
        cv2 = float(np.average((y / mu - 1.0) ** 2, weights=weights))
        with np.errstate(over="ignore"):
            shape = float(np.power(mu, self.variance_power - 2.0)) / cv2 if cv2 > 0 else 1.0
        return {"mu": mu, "shape": shape}

    # moments and GLM pieces ----------------------------------------------------------
    def mean(self, mu, shape):
        return mu

    def variance(self, mu, shape):
        return mu**self.variance_power / shape

    def unit_variance(self, mu, shape):
        return mu**self.variance_power

    def unit_deviance(self, y, mu, shape):
        return 2.0 * self.half_deviance(y, mu)

    def loglik_r(self, y, mu, weights, var_weights) -> float:
        """R's ``logLik(glm(...))``: the density at ``shape = 1 / disp`` for every row,
        with ``disp = deviance / sum(wt)`` and ``wt`` R's prior weights (here frequency
        times precision weights), each row's log density multiplied by its ``wt``.

        This is ``Gamma()$aic`` and ``inverse.gaussian()$aic`` of R's ``family.R``
        (``logLik.glm`` adds the dispersion to the count and undoes the ``+ 2``).
        """
        wt = weights if var_weights is None else weights * var_weights
        disp = float(np.sum(wt * 2.0 * self.half_deviance(y, mu)) / np.sum(wt))
        if disp <= 0:
            return np.inf
        return float(np.sum(wt * self.logpdf(y, mu, np.full(np.shape(y), 1.0 / disp))))
