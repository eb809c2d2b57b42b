r"""Student's t family (location-scale): ``y = mu + sigma * T_nu``.

.. math::

    f(y; \mu, \sigma, \nu) = \frac{\Gamma(\frac{\nu+1}{2})}{\Gamma(\frac{\nu}{2})
    \sqrt{\nu\pi}\,\sigma} \Bigl(1 + \frac{z^2}{\nu}\Bigr)^{-\frac{\nu+1}{2}},
    \qquad z = \frac{y - \mu}{\sigma}.

``mu`` is the location (the mean when nu > 1), ``sigma`` the scale (not the standard
deviation: Var y = sigma^2 nu / (nu - 2) for nu > 2), ``nu`` the degrees of freedom. The
Gaussian is the limit nu -> inf, declared as a boundary reduction; ``logpdf`` and all its
derivatives are evaluated in a form that is exact at ``nu = inf`` and keeps full relative
accuracy for very large nu (asymptotic series of the gamma-function ratio, no
``lgamma(nu/2)`` differences).

Expected information (Lange, Little & Taylor 1989, JASA 84, 881-896), per row:

.. math::

    I_{\mu\mu} = \frac{\nu+1}{(\nu+3)\sigma^2},\quad
    I_{\sigma\sigma} = \frac{2\nu}{(\nu+3)\sigma^2},\quad
    I_{\sigma\nu} = \frac{-2}{(\nu+1)(\nu+3)\sigma},\quad
    I_{\nu\nu} = \tfrac14\bigl[\psi'(\tfrac{\nu}{2}) - \psi'(\tfrac{\nu+1}{2})\bigr]
    - \frac{\nu+5}{2\nu(\nu+1)(\nu+3)},

and zero between ``mu`` and the others.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy import special, stats

from mlefit import Family, Parameter, Reduction, hookimpl
from mlefit.domains import Positive, Real

from ._location_scale import (
    location_scale_d1,
    location_scale_d2,
    location_scale_parameters,
    robust_location_scale,
    scalar_if_constant,
)

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)

#: ``a`` at and above which the gamma-ratio series is used (``nu >= 2 a``)
_SERIES_FROM = 16.0
#: ``S(a) = log Gamma(a + 1/2) - log Gamma(a) - log(a) / 2 = sum_k c_k a^-k`` (k odd),
#: ``c_k = (-1)^(k+1) (2^-k - 2) B_(k+1) / (k (k+1))`` from Stirling's series; through
#: a^-15 the truncation error is below 1e-18 relative for a >= 16.
_S_POWERS = np.arange(1, 17, 2)
_S_COEFS = np.array([-1 / 8, 1 / 192, -1 / 640, 17 / 14336, -31 / 18432, 691 / 180224,
                     -5461 / 425984, 929569 / 15728640])
#: below this ``v = u / (1 + u)`` the series of ``log1p(u) - v`` is used: there the direct
#: difference would lose ``log10(2 / v)`` digits; the series' truncation is v^8 / 10
_F_SERIES_BELOW = 0.012
_F_SERIES = 1.0 / np.arange(9, 1, -1)    # 1/9, ..., 1/2: sum_{k=2..9} v^k / k


def _series(nu, order: int, first: int = 0):
    """``d^order S(nu / 2) / d nu^order`` for ``order`` in 0, 1, 2 (from the table),
    leaving out the ``first`` leading terms."""
    inv_a = 2.0 / nu
    factor = {0: np.ones_like(_S_COEFS), 1: -_S_POWERS / 2.0,
              2: _S_POWERS * (_S_POWERS + 1) / 4.0}[order]
    total = 0.0
    for c, k in zip((_S_COEFS * factor)[first:], (_S_POWERS + order)[first:], strict=True):
        total = total + c * inv_a**k
    return total


def _by_size(nu, large, small):
    """``large(nu)`` where ``nu >= 2 a0`` (series), ``small(nu)`` below (special functions)."""
    nu = np.asarray(nu, dtype=float)
    big = nu >= 2.0 * _SERIES_FROM
    out = np.empty(nu.shape)
    out[big] = large(nu[big])
    out[~big] = small(nu[~big])
    return out


def _gamma_ratio(nu):
    r""":math:`D(\nu) = \log\Gamma(\frac{\nu+1}{2}) - \log\Gamma(\frac{\nu}{2})
    - \frac12\log\frac{\nu}{2}`; 0 at nu = inf."""
    return _by_size(nu, lambda v: _series(v, 0),
                    lambda v: special.gammaln(0.5 * v + 0.5) - special.gammaln(0.5 * v)
                    - 0.5 * np.log(0.5 * v))


def _gamma_ratio_d1(nu):
    """``D'(nu) = (digamma((nu+1)/2) - digamma(nu/2)) / 2 - 1 / (2 nu)``."""
    return _by_size(nu, lambda v: _series(v, 1),
                    lambda v: 0.5 * (special.digamma(0.5 * v + 0.5) - special.digamma(0.5 * v))
                    - 0.5 / v)


def _gamma_ratio_d2(nu):
    """``D''(nu) = (trigamma((nu+1)/2) - trigamma(nu/2)) / 4 + 1 / (2 nu^2)``."""
    return _by_size(nu, lambda v: _series(v, 2),
                    lambda v: 0.25 * (special.polygamma(1, 0.5 * v + 0.5)
                                      - special.polygamma(1, 0.5 * v)) + 0.5 / v**2)


def _info_nu(nu):
    r""":math:`I_{\nu\nu}` without the O(nu^-3) cancellation of its two terms.

    :math:`I_{\nu\nu} = [-D''(\nu) - \frac{1}{2\nu^3}] + \frac{7\nu + 3}{2\nu^3(\nu+1)(\nu+3)}`;
    the bracket is the series without its first term (which is exactly ``1/(2 nu^3)``).
    """
    def large(v):
        inv = 1.0 / v
        rational = inv**4 * (3.5 + 1.5 * inv) / ((1.0 + inv) * (1.0 + 3.0 * inv))
        return rational - _series(v, 2, first=1)

    def small(v):
        return (0.25 * (special.polygamma(1, 0.5 * v) - special.polygamma(1, 0.5 * v + 0.5))
                - (v + 5.0) / (2.0 * v * (v + 1.0) * (v + 3.0)))

    return _by_size(nu, large, small)


def _log1p_minus_ratio(u, v):
    """``f(u) = log1p(u) - v`` with ``v = u / (1 + u)`` (>= 0), relative error <= 2e-14."""
    out = np.log1p(u)
    out -= v
    small = np.flatnonzero(v < _F_SERIES_BELOW)
    vs = v[small]
    out[small] = np.polyval(_F_SERIES, vs) * vs * vs
    return out


def _log1p_over(u):
    """``log1p(u) / u``, 1 at ``u = 0``."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(u > 0, np.log1p(u) / u, 1.0)


class _Rows:
    """The quantities the derivatives share, computed once per call; written with
    ``1/nu`` so that nu = inf is exact, and in ratios that do not overflow."""

    def __init__(self, y, mu, sigma, nu):
        self.z = (y - mu) / sigma
        self.z2 = self.z * self.z
        self.inv = 1.0 / nu                     # 0 at nu = inf
        self.u = self.z2 * self.inv             # z^2 / nu
        self.opu = 1.0 + self.u
        self.v = self.u / self.opu              # z^2 / (nu + z^2), in [0, 1)
        self.scale = (1.0 + self.inv) / self.opu     # (nu + 1) / (nu + z^2)
        self.psi = self.z * self.scale


class StudentT(Family):
    """Student's t with location ``mu``, scale ``sigma`` and degrees of freedom ``nu``."""

    name = "student_t"
    aliases = ("t",)
    support = Real()
    response_scaling: ClassVar[dict[str, float]] = {"mu": 1, "sigma": 1}
    parameters = (
        *location_scale_parameters("location (the mean when nu > 1)",
                                   "scale (sd = sigma sqrt(nu / (nu - 2)) for nu > 2)"),
        Parameter("nu", Positive(), links=("log", "inverse", "identity"), typical=(2.0, 30.0),
                  description="degrees of freedom (gaussian as nu -> inf)"),
    )
    reductions = (Reduction("gaussian", "nu", np.inf, boundary=True),)

    def logpdf(self, y, mu, sigma, nu):
        z = (y - mu) / sigma
        z2 = z * z
        inv = 1.0 / nu
        kernel = 0.5 * z2 * (1.0 + inv) * _log1p_over(z2 * inv)   # (nu+1)/2 log1p(z^2/nu)
        return scalar_if_constant(_gamma_ratio, nu) - _HALF_LOG_2PI - np.log(sigma) - kernel

    def dlogpdf(self, y, mu, sigma, nu):
        r = _Rows(y, mu, sigma, nu)
        d1 = location_scale_d1(r.z, r.psi, sigma)
        d1["nu"] = (scalar_if_constant(_gamma_ratio_d1, nu) - 0.5 * _log1p_minus_ratio(r.u, r.v)
                    + 0.5 * r.inv * r.v)
        return d1

    def d2logpdf(self, y, mu, sigma, nu):
        r = _Rows(y, mu, sigma, nu)
        dpsi = r.scale * (1.0 - r.u) / r.opu
        d2 = location_scale_d2(r.z, r.psi, dpsi, sigma)
        w = r.inv / r.opu                       # 1 / (nu + z^2)
        common = (r.z2 - 1.0) * w * w           # (z^2 - 1) / (nu + z^2)^2
        d2[("mu", "nu")] = r.z * common / sigma
        d2[("sigma", "nu")] = r.z2 * common / sigma
        d2[("nu", "nu")] = (scalar_if_constant(_gamma_ratio_d2, nu)
                            + 0.5 * r.inv * (r.v * r.v - w * r.v * (2.0 + r.u)))
        return d2

    def expected_information(self, y, mu, sigma, nu):
        inv = np.broadcast_to(1.0 / nu, np.shape(y))
        s2 = sigma * sigma
        den = 1.0 + 3.0 * inv                   # (nu + 3) / nu
        return {("mu", "mu"): (1.0 + inv) / den / s2,
                ("mu", "sigma"): np.zeros(np.shape(y)),
                ("mu", "nu"): np.zeros(np.shape(y)),
                ("sigma", "sigma"): 2.0 / den / s2,
                ("sigma", "nu"): -2.0 * inv * inv / ((1.0 + inv) * den * sigma),
                ("nu", "nu"): scalar_if_constant(_info_nu, nu)}

    def start(self, y, weights):
        """Median; ``nu`` from the excess kurtosis ``k`` (``nu = 4 + 6/k``, in [4, 30]);
        ``sigma`` = MAD / (the t_nu quartile)."""
        med, mad = robust_location_scale(y, weights)
        mean = np.average(y, weights=weights)
        m2 = np.average((y - mean) ** 2, weights=weights)
        m4 = np.average((y - mean) ** 4, weights=weights)
        excess = m4 / m2**2 - 3.0 if m2 > 0 else 0.0
        nu = float(np.clip(4.0 + 6.0 / excess, 4.0, 30.0)) if excess > 0 else 30.0
        scale = mad / stats.t.ppf(0.75, nu) if mad > 0 else np.sqrt(m2)
        return {"mu": med, "sigma": float(scale) if scale > 0 else 1.0, "nu": nu}

    def mean(self, mu, sigma, nu):
        """``mu`` when nu > 1; NaN otherwise (no mean)."""
        return np.where(nu > 1.0, mu, np.nan)

    def variance(self, mu, sigma, nu):
        """``sigma^2 nu / (nu - 2)`` for nu > 2; inf for 1 < nu <= 2; NaN for nu <= 1."""
        inv = 1.0 / np.asarray(nu, dtype=float)
        with np.errstate(divide="ignore"):
            finite = sigma * sigma / (1.0 - 2.0 * inv)
        return np.where(nu > 2.0, finite, np.where(nu > 1.0, np.inf, np.nan))

    def cdf(self, y, mu, sigma, nu):
        z = (y - mu) / sigma
        return np.where(np.isinf(nu), special.ndtr(z), special.stdtr(np.minimum(nu, 1e300), z))

    def logcdf(self, y, mu, sigma, nu):
        """``log P(Y <= y)`` (censoring; numeric derivatives)."""
        z = (y - mu) / sigma
        df = np.minimum(nu, 1e300)
        with np.errstate(divide="ignore"):
            t = np.where(z < 0, np.log(special.stdtr(df, z)), np.log1p(-special.stdtr(df, -z)))
            return np.where(np.isinf(nu), special.log_ndtr(z), t)

    def logsf(self, y, mu, sigma, nu):
        """``log P(Y > y) = log F(-z)`` by symmetry (accurate in the upper tail)."""
        return self.logcdf(2.0 * mu - y, mu, sigma, nu)

    def sample(self, rng, size, mu, sigma, nu):
        nu = np.broadcast_to(nu, size)
        t = np.where(np.isinf(nu), rng.standard_normal(size),
                     rng.standard_t(np.where(np.isinf(nu), 1.0, nu), size))
        return mu + sigma * t


@hookimpl
def register_families():
    return [StudentT()]
