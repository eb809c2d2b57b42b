"""R's ``glm(family = statmod::tweedie(var.power = p))`` for ``p`` outside ``(1, 2)``: a
quasi-likelihood fit, made by :meth:`Tweedie.quasi_variant` under ``convention="R"``.

There the mean has the estimating equations ``sum x_i (y_i - mu_i) / (phi V(mu_i)) g'(mu_i)
= 0`` with ``V(mu) = mu^p`` and no compound Poisson-gamma likelihood (``p = 2`` is the
gamma and ``p = 3`` the inverse Gaussian, which have one: mlefit's ``gamma`` and
``inverse_gaussian`` families). statmod's fit is the GLM of that variance function with
the Pearson dispersion. The engine solves it as the maximum of the quasi-likelihood
``-d(y, mu) / (2 phi) - log(phi) / 2`` (the extended quasi-likelihood of Nelder and
Pregibon without its ``y``-only term): its mean score is the GLM's, so the coefficients
are statmod's, and ``convention="R"`` reports the Pearson dispersion and the standard
errors from ``phi X'WX``. It is not a log-likelihood: the result's ``llf`` is ``nan`` and
AIC, BIC, ``lrtest`` and ``compare`` refuse it (``Family.no_likelihood``).

The unit deviance (statmod's ``dev.resids``): ``2 [y log(y / mu) - (y - mu)]`` at ``p =
1``, ``2 [(y - mu) / mu - log(y / mu)]`` at ``p = 2``, otherwise
``2 [y^(2-p) / ((1-p)(2-p)) - y mu^(1-p) / (1-p) + mu^(2-p) / (2-p)]``. Responses must
be ``>= 0`` for ``p < 2`` and ``> 0`` for ``p >= 2`` (as statmod requires).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import special

from mlefit import Dispersion, Family, Parameter
from mlefit.domains import Domain, NonNegative, Positive

__all__ = ["TweedieQuasi", "quasi_deviance"]


def quasi_deviance(y, mu, p: float):
    """statmod's Tweedie unit deviance for any ``p >= 1`` (module docstring)."""
    y, mu = np.broadcast_arrays(np.asarray(y, dtype=float), np.asarray(mu, dtype=float))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if p == 1.0:
            return 2.0 * (special.xlogy(y, y / mu) - (y - mu))
        if p == 2.0:
            return 2.0 * ((y - mu) / mu - np.log(y / mu))
        first = np.where(y > 0, y ** (2.0 - p), 0.0 if p < 2 else np.inf)
        return 2.0 * (first / ((1.0 - p) * (2.0 - p)) - y * mu ** (1.0 - p) / (1.0 - p)
                      + mu ** (2.0 - p) / (2.0 - p))


class TweedieQuasi(Family):
    """The quasi-likelihood Tweedie GLM at a fixed power ``p`` outside ``(1, 2)``."""

    name = "tweedie"
    dispersion = Dispersion("phi", power=1.0)
    no_likelihood: ClassVar[str] = ""

    def __init__(self, power: float, mean: Parameter):
        self.power_value = float(power)
        self.support = NonNegative() if self.power_value < 2 else Positive()
        self.parameters = (
            mean,
            Parameter("phi", Positive(), links=("log",), typical=(0.3, 3.0),
                      description="dispersion: Var(y) = phi mu^power"),
            Parameter("power", Domain(1.0, np.inf, closed_lower=True), link="identity",
                      links=("identity",), description="variance power (fixed)"),
        )
        self.no_likelihood = (
            f"the Tweedie fit at power {self.power_value:g} is R's quasi-likelihood "
            "glm(family = statmod::tweedie(var.power = p)): there is no compound "
            "Poisson-gamma likelihood outside 1 < power < 2, so no log-likelihood, AIC, "
            "BIC or likelihood-ratio test (p = 2 and p = 3 are the gamma and "
            "inverse_gaussian families, which have them; p = 1 with phi = 1 is poisson)")

    def _dev(self, y, mu):
        return quasi_deviance(y, mu, self.power_value)

    def logpdf(self, y, mu, phi, power):
        y = np.asarray(y, dtype=float)
        value = -self._dev(y, mu) / (2.0 * phi) - 0.5 * np.log(phi)
        return np.where(self.support.contains(y), value, -np.inf)

    def dlogpdf(self, y, mu, phi, power):
        v = mu**self.power_value
        return {"mu": (y - mu) / (phi * v),
                "phi": self._dev(y, mu) / (2.0 * phi**2) - 0.5 / phi,
                "power": np.zeros(np.shape(y))}

    def d2logpdf(self, y, mu, phi, power):
        p, v, n = self.power_value, mu**self.power_value, np.shape(y)
        zero = np.zeros(n)
        return {("mu", "mu"): -(1.0 + p * (y - mu) / mu) / (phi * v),
                ("mu", "phi"): -(y - mu) / (phi**2 * v),
                ("phi", "phi"): -self._dev(y, mu) / phi**3 + 0.5 / phi**2,
                ("mu", "power"): zero, ("phi", "power"): zero, ("power", "power"): zero}

    def expected_information(self, y, mu, phi, power):
        n = np.shape(y)
        zero = np.zeros(n)
        return {("mu", "mu"): 1.0 / (phi * mu**self.power_value) + zero,
                ("mu", "phi"): zero, ("phi", "phi"): 0.5 / phi**2 + zero,
                ("mu", "power"): zero, ("phi", "power"): zero, ("power", "power"): zero}

    def start(self, y, weights):
        mu = float(np.average(y, weights=weights))
        var = float(np.average((y - mu) ** 2, weights=weights))
        phi = var / mu**self.power_value if var > 0 and mu > 0 else 1.0
        return {"mu": mu, "phi": phi, "power": self.power_value}

    def mean(self, mu, phi, power):
        return mu

    def variance(self, mu, phi, power):
        return phi * mu**self.power_value

    def unit_variance(self, mu, phi, power):
        return mu**self.power_value

    def unit_deviance(self, y, mu, phi, power):
        return self._dev(y, mu)

    def loglik_r(self, y, mu, weights, var_weights) -> float:
        """None exists (module docstring): ``nan``."""
        return float("nan")
