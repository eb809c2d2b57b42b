"""Private helpers of the location-scale families (student_t, lognormal, logistic).

A location-scale density is ``f(y; mu, sigma) = g(z) / sigma`` with ``z = (y - mu) / sigma``.
Writing ``psi(z) = -d log g / dz`` and ``psi'(z)`` for its derivative, every derivative of
``l = log g(z) - log sigma`` with respect to ``(mu, sigma)`` follows from ``z``, ``psi`` and
``psi'`` alone (:func:`location_scale_d1`, :func:`location_scale_d2`); for a symmetric
``g`` the expected information is diagonal with two constants
(:func:`symmetric_information`). Each family then only writes its own ``log g``, ``psi``
and ``psi'``.
"""

from __future__ import annotations

import numpy as np

from mlefit import Parameter
from mlefit.domains import Positive, Real


def location_scale_parameters(location: str, scale: str,
                              typical_scale: tuple[float, float] = (0.5, 3.0)):
    """``(mu, sigma)``: location on the real line (identity), scale > 0 (log, identity)."""
    return (Parameter("mu", Real(), description=location),
            Parameter("sigma", Positive(), links=("log", "identity"), typical=typical_scale,
                      description=scale))


def location_scale_d1(z, psi, sigma):
    r"""First derivatives of ``log g(z) - log sigma``: :math:`\partial_\mu l = \psi/\sigma`,
    :math:`\partial_\sigma l = (z\psi - 1)/\sigma`, with :math:`z = (y - \mu)/\sigma` and
    :math:`\psi = -(\log g)'(z)`."""
    return {"mu": psi / sigma, "sigma": (z * psi - 1.0) / sigma}


def location_scale_d2(z, psi, dpsi, sigma):
    r"""Second derivatives of ``log g(z) - log sigma`` (:math:`\psi' = d\psi/dz`):

    .. math::

        \partial^2_{\mu\mu} l = -\psi'/\sigma^2, \quad
        \partial^2_{\mu\sigma} l = -(\psi + z\psi')/\sigma^2, \quad
        \partial^2_{\sigma\sigma} l = (1 - 2 z\psi - z^2\psi')/\sigma^2.
    """
    zdpsi = z * dpsi
    s2 = sigma * sigma
    return {("mu", "mu"): -dpsi / s2,
            ("mu", "sigma"): -(psi + zdpsi) / s2,
            ("sigma", "sigma"): (1.0 - 2.0 * z * psi - z * zdpsi) / s2}


def symmetric_information(sigma, i_mu, i_sigma):
    r"""Per-row expected information of a symmetric location-scale family.

    :math:`I_{\mu\mu} = E[\psi^2]/\sigma^2`, :math:`I_{\sigma\sigma} = (E[z^2\psi^2] - 1)
    /\sigma^2` and :math:`I_{\mu\sigma} = 0` (``g`` even); ``i_mu`` and ``i_sigma`` are the
    two expectations' constants.
    """
    inv_s2 = 1.0 / (sigma * sigma)
    return {("mu", "mu"): i_mu * inv_s2, ("mu", "sigma"): np.zeros(np.shape(sigma)),
            ("sigma", "sigma"): i_sigma * inv_s2}


def weighted_quantile(y, weights, q: float) -> float:
    """The ``q``-quantile of ``y`` under frequency ``weights`` (lower, not interpolated)."""
    order = np.argsort(y, kind="stable")
    cum = np.cumsum(np.asarray(weights, dtype=float)[order])
    i = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(y[order][min(i, y.size - 1)])


def robust_location_scale(y, weights) -> tuple[float, float]:
    """``(median, MAD)`` of ``y`` under frequency ``weights`` (MAD unscaled)."""
    med = weighted_quantile(y, weights, 0.5)
    return med, weighted_quantile(np.abs(y - med), weights, 0.5)


def weighted_moments(y, weights) -> tuple[float, float]:
    """Weighted mean and standard deviation (divisor: the total weight)."""
    mean = float(np.average(y, weights=weights))
    return mean, float(np.sqrt(np.average((y - mean) ** 2, weights=weights)))


def scalar_if_constant(func, x):
    """``func(x)`` elementwise, computed once when every element of ``x`` is the same.

    Parameters arrive as one value per row; a constant one (intercept-only) then costs
    one special-function call instead of ``n``.
    """
    x = np.asarray(x, dtype=float)
    if x.size > 1 and (x == x.flat[0]).all():
        return np.full(x.shape, func(x.flat[0]))
    return func(x)
