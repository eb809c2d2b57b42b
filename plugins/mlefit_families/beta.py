"""The beta family in the mean-precision form of beta regression (Ferrari & Cribari-Neto).

``y ~ Beta(mu phi, (1 - mu) phi)`` on (0, 1): ``mu`` is the mean (logit link by default),
``phi`` the precision (log link by default). This is R's ``betareg(y ~ x | z)`` and
statsmodels' ``BetaModel`` (``exog_precision``); in mlefit ``phi="~ z"``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from mlefit import DataError, Family, Parameter, hookimpl
from mlefit.domains import Positive, UnitInterval

#: asymptotic series of the trigamma function: B_2k / z^(2k+1), k = 1..7
_TRIGAMMA_SERIES = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
_TRIGAMMA_SHIFT = 10.0


def trigamma(x):
    """``psi'(x)`` for ``x > 0`` (several times faster than ``polygamma(1, x)``).

    Below 10 the recurrence ``psi'(x) = sum_{k<10} 1/(x + k)^2 + psi'(x + 10)``; from 10 on
    ``psi'(z) = 1/z + 1/(2 z^2) + sum_k B_2k / z^(2k+1)``, whose first omitted term is
    below ``1e-16 psi'(z)``.
    """
    z = np.array(x, dtype=float, copy=True)
    low = z < _TRIGAMMA_SHIFT
    near = None
    if low.any():
        zl = z[low]
        near = np.zeros_like(zl)
        for k in range(int(_TRIGAMMA_SHIFT) - 1, -1, -1):   # smallest terms first
            t = zl + k
            near += 1.0 / (t * t)
        z[low] = zl + _TRIGAMMA_SHIFT
    w = 1.0 / (z * z)
    tail = np.zeros_like(z)
    for coef in reversed(_TRIGAMMA_SERIES):
        tail = (tail + coef) * w
    out = (1.0 + 0.5 / z + tail) / z
    if near is not None:
        out[low] += near
    return out


class Beta(Family):
    """Beta distribution with mean ``mu`` and precision ``phi``.

    .. math::

        f(y) = \\frac{\\Gamma(\\phi)}{\\Gamma(\\mu\\phi)\\,\\Gamma((1-\\mu)\\phi)}
               y^{\\mu\\phi - 1} (1 - y)^{(1-\\mu)\\phi - 1}, \\qquad 0 < y < 1,

    ``E[y] = mu``, ``Var[y] = mu (1 - mu) / (1 + phi)``. With ``a = mu phi``,
    ``b = (1 - mu) phi``, ``y* = log(y / (1 - y))`` and ``mu* = psi(a) - psi(b)``, the
    score is ``dl/dmu = phi (y* - mu*)`` and
    ``dl/dphi = mu (y* - mu*) + log(1 - y) - psi(b) + psi(phi)``.
    """

    name = "beta"
    support = UnitInterval()
    parameters = (
        Parameter("mu", UnitInterval(), link="logit",
                  links=("logit", "probit", "cloglog", "cauchit", "log"),
                  description="mean"),
        Parameter("phi", Positive(), link="log", links=("log", "identity", "sqrt"),
                  typical=(2.0, 50.0), description="precision"),
    )

    def prepare_response(self, y):
        """Refuse 0 and 1 with the usual remedies (the density is 0 or infinite there)."""
        y = np.asarray(y, dtype=float)
        ends = (y == 0) | (y == 1)
        if ends.any():
            raise DataError(f"{int(ends.sum())} response value(s) equal 0 or 1, where the "
                            "beta density is not positive and finite. Fix: compress to the "
                            "open interval, (y (n - 1) + 0.5) / n (Smithson & Verkuilen), "
                            "or model the zeros and ones separately.")
        return y

    def logpdf(self, y, mu, phi):
        a, b = mu * phi, (1.0 - mu) * phi
        inside = (y > 0) & (y < 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            value = (special.xlogy(a - 1.0, y) + special.xlog1py(b - 1.0, -y)
                     - special.betaln(a, b))
        return np.where(inside, value, -np.inf)

    @staticmethod
    def _residual(y, a, b):
        """``y* - mu*`` and ``log(1 - y)``."""
        log1my = np.log1p(-y)
        return np.log(y) - log1my - (special.digamma(a) - special.digamma(b)), log1my

    def dlogpdf(self, y, mu, phi):
        a, b = mu * phi, (1.0 - mu) * phi
        r, log1my = self._residual(y, a, b)
        return {"mu": phi * r,
                "phi": mu * r + log1my - special.digamma(b) + special.digamma(phi)}

    def _trigammas(self, mu, phi):
        return trigamma(mu * phi), trigamma((1.0 - mu) * phi), trigamma(phi)

    def d2logpdf(self, y, mu, phi):
        ta, tb, tphi = self._trigammas(mu, phi)
        r, _ = self._residual(y, mu * phi, (1.0 - mu) * phi)
        q = 1.0 - mu
        return {("mu", "mu"): -phi * phi * (ta + tb),
                ("mu", "phi"): r - phi * (mu * ta - q * tb),
                ("phi", "phi"): tphi - mu * mu * ta - q * q * tb}

    def expected_information(self, y, mu, phi):
        ta, tb, tphi = self._trigammas(mu, phi)
        q = 1.0 - mu
        return {("mu", "mu"): phi * phi * (ta + tb),
                ("mu", "phi"): phi * (mu * ta - q * tb),
                ("phi", "phi"): mu * mu * ta + q * q * tb - tphi}

    def start(self, y, weights):
        """Method of moments: ``mu = mean``, ``phi = mu (1 - mu) / var - 1``."""
        mu = float(np.average(y, weights=weights))
        var = float(np.average((y - mu) ** 2, weights=weights))
        phi = mu * (1.0 - mu) / var - 1.0 if var > 0 else 0.0
        return {"mu": mu, "phi": phi if phi > 0 else 1.0}

    def mean(self, mu, phi):
        return mu

    def variance(self, mu, phi):
        return mu * (1.0 - mu) / (1.0 + phi)

    def cdf(self, y, mu, phi):
        return special.betainc(mu * phi, (1.0 - mu) * phi, y)

    def logcdf(self, y, mu, phi):
        """``log P(Y <= y)`` (censoring; numeric derivatives)."""
        a, b = mu * phi, (1.0 - mu) * phi
        lower, upper = special.betainc(a, b, y), special.betaincc(a, b, y)
        with np.errstate(divide="ignore"):
            return np.where(lower < 0.5, np.log(lower), np.log1p(-upper))

    def logsf(self, y, mu, phi):
        """``log P(Y > y)`` from the complemented incomplete beta function (accurate near
        1)."""
        with np.errstate(divide="ignore"):
            return np.log(special.betaincc(mu * phi, (1.0 - mu) * phi, y))

    def sample(self, rng, size, mu, phi):
        return rng.beta(mu * phi, (1.0 - mu) * phi, size=size)


@hookimpl
def register_families():
    return [Beta()]
