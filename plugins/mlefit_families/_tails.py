r"""Private helpers: ``logcdf``/``logsf`` and their analytic derivatives for the families
whose cdf is a standard cdf ``G`` of one *index* ``w(y; theta)``.

Location-scale families have ``w = (y - mu) / sigma`` (gaussian, logistic); log-location-scale
ones ``w = (log y - mu) / sigma`` (lognormal) or ``w = k (log y - log mu)`` (weibull,
loglogistic; exponential with ``k = 1``). With ``h = d log G / dw`` and ``h'`` its
derivative,

.. math::

    \partial_a \log G = h\, \partial_a w, \qquad
    \partial_{ab} \log G = h'\, \partial_a w\, \partial_b w + h\, \partial_{ab} w,

and the same for the survival function ``1 - G`` with its own ``h``. Each standard
distribution gives ``(log G, h, h')`` for both tails stably (:func:`normal_tail`,
:func:`logistic_tail`, :func:`min_extreme_tail`); each family names its index
(:func:`location_scale_index`, ...). :class:`IndexTails` assembles the six methods.
Where ``w`` is infinite (``y <= 0`` for a positive family) the probabilities are 0 or 1 and
their derivatives 0.
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["IndexTails", "location_scale_index", "log_location_scale_index",
           "logistic_tail", "min_extreme_tail", "normal_tail", "scale_index",
           "scale_shape_index"]

_HALF_LOG_2PI = 0.5 * np.log(2.0 * np.pi)


def normal_tail(w, which: str):
    """``(log G, h, h')`` of the standard normal's cdf (``which="cdf"``) or survival."""
    logphi = -0.5 * w * w - _HALF_LOG_2PI
    if which == "cdf":
        logG = special.log_ndtr(w)
        h = np.exp(logphi - logG)
        return logG, h, -h * (w + h)
    logS = special.log_ndtr(-w)
    r = np.exp(logphi - logS)
    return logS, -r, r * (w - r)


def logistic_tail(w, which: str):
    """``(log G, h, h')`` of the standard logistic."""
    p, q = special.expit(w), special.expit(-w)
    if which == "cdf":
        return -np.logaddexp(0.0, -w), q, -p * q
    return -np.logaddexp(0.0, w), -p, -p * q


def min_extreme_tail(w, which: str):
    """``(log G, h, h')`` of the standard minimum extreme value, ``G = 1 - exp(-e^w)``
    (log of a Weibull variable)."""
    s = np.exp(w)
    if which == "sf":
        return -s, -s, -s
    big = s > 700.0
    with np.errstate(over="ignore", invalid="ignore"):
        logG = np.log(-np.expm1(-s))
        h = np.where(big, 0.0, s / np.expm1(s))
        # 1 - s / (1 - e^-s), by its series where it cancels
        c = np.where(s < 1e-2, -(s / 2.0 + s * s / 12.0 - s**4 / 720.0),
                     1.0 - s / -np.expm1(-s))
    return logG, h, np.where(big, 0.0, h * c)


def _zeros(w):
    return np.zeros(np.shape(w))


def location_scale_index(y, mu, sigma):
    """``w = (y - mu) / sigma`` with its first and second derivatives."""
    w = (y - mu) / sigma
    inv = 1.0 / sigma
    return w, {"mu": -inv + _zeros(w), "sigma": -w * inv}, {
        ("mu", "mu"): _zeros(w), ("mu", "sigma"): inv * inv + _zeros(w),
        ("sigma", "sigma"): 2.0 * w * inv * inv}


def log_location_scale_index(y, mu, sigma):
    """``w = (log y - mu) / sigma`` (``-inf`` at ``y <= 0``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        logy = np.where(y > 0, np.log(np.maximum(y, 0.0)), -np.inf)
    return location_scale_index(logy, mu, sigma)


def scale_shape_index(y, mu, shape):
    """``w = k (log y - log mu)`` for scale ``mu`` and shape ``k``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        L = np.where(y > 0, np.log(np.maximum(y, 0.0)), -np.inf) - np.log(mu)
    w = shape * L
    return w, {"mu": -shape / mu, "shape": L}, {
        ("mu", "mu"): shape / (mu * mu) + _zeros(w), ("mu", "shape"): -1.0 / mu + _zeros(w),
        ("shape", "shape"): _zeros(w)}


def scale_index(y, mu):
    """``w = log y - log mu`` for a scale ``mu`` (the exponential)."""
    w, d1, d2 = scale_shape_index(y, mu, 1.0)
    return w, {"mu": d1["mu"] + _zeros(w)}, {("mu", "mu"): d2[("mu", "mu")]}


def _finite_or_all(w):
    """Where ``w`` is finite, or None when it is everywhere (no mask to apply)."""
    ok = np.isfinite(w)
    return None if ok.all() else ok


def _where(ok, value):
    """``value`` where ``ok``, 0 elsewhere (``ok`` None: everywhere ``value``)."""
    return np.where(ok, value, 0.0) if ok is not None else value


class IndexTails:
    """Mixin: ``logcdf``, ``logsf`` and their derivatives from ``_index(y, **params) ->
    (w, dw, d2w)`` and ``_tail(w, which) -> (log G, h, h')`` (see the module docstring).
    Put it before :class:`mlefit.Family` in the bases."""

    def _tail_terms(self, y, params, which):
        w, dw, d2w = self._index(np.asarray(y, dtype=float), **params)
        with np.errstate(all="ignore"):
            logG, h, dh = self._tail(w, which)
        return w, dw, d2w, logG, h, dh

    def _tail_value(self, y, params, which):
        w, _, _, logG, _, _ = self._tail_terms(y, params, which)
        if np.isfinite(w).all():     # the common case: no row at an end of the support
            return logG
        low, high = (-np.inf, 0.0) if which == "cdf" else (0.0, -np.inf)
        return np.where(np.isneginf(w), low, np.where(np.isposinf(w), high, logG))

    def _tail_d1(self, y, params, which):
        w, dw, _, _, h, _ = self._tail_terms(y, params, which)
        ok = _finite_or_all(w)
        with np.errstate(invalid="ignore"):
            return {a: _where(ok, h * v) for a, v in dw.items()}

    def _tail_d2(self, y, params, which):
        w, dw, d2w, _, h, dh = self._tail_terms(y, params, which)
        ok = _finite_or_all(w)
        with np.errstate(invalid="ignore"):
            return {(a, b): _where(ok, dh * dw[a] * dw[b] + h * v)
                    for (a, b), v in d2w.items()}

    def logcdf(self, y, **params):
        """``log P(Y <= y)``."""
        return self._tail_value(y, params, "cdf")

    def logsf(self, y, **params):
        """``log P(Y > y)``."""
        return self._tail_value(y, params, "sf")

    def dlogcdf(self, y, **params):
        return self._tail_d1(y, params, "cdf")

    def dlogsf(self, y, **params):
        return self._tail_d1(y, params, "sf")

    def d2logcdf(self, y, **params):
        return self._tail_d2(y, params, "cdf")

    def d2logsf(self, y, **params):
        return self._tail_d2(y, params, "sf")
