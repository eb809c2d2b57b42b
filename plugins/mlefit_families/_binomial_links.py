"""Binomial log-likelihood derivatives on the linear-predictor scale, stable in the tails.

With ``p = h(eta)``, ``q = 1 - p`` and ``s`` successes, ``f`` failures, the kernel
``l = s log p + f log q`` has

.. math::

    \\frac{dl}{d\\eta} = s\\,a - f\\,b, \\qquad
    \\frac{d^2 l}{d\\eta^2} = s\\,a' - f\\,b', \\qquad
    a = \\frac{h'(\\eta)}{p},\\quad b = \\frac{h'(\\eta)}{q},

(the expected information is ``m h'^2 / (p q) = m a b``). The natural-scale chain rule
forms ``s / p``, ``f / q`` and ``h'`` separately, which overflow or cancel once ``p`` or
``q`` rounds to 0 or 1 (logit at ``|eta| = 40``, probit beyond 8, cloglog beyond 3.6).
Each link below gives ``(a, b, a', b')`` from ``eta`` directly:

* logit: ``a = q``, ``b = p``, ``a' = -pq``, ``b' = pq``;
* probit: ``a = phi / Phi(eta) = sqrt(2/pi) / erfcx(-eta/sqrt2)``, ``b`` the mirror,
  ``a' = -a (eta + a)``, ``b' = b (b - eta)``;
* cloglog (``t = e^eta``): ``b = b' = t``, ``a = t e^-t / (1 - e^-t)``,
  ``a' = a ((1 - a) - t)`` with a series for ``1 - a`` at small ``t``;
* cauchit: ``p = atan2(1, -eta) / pi``, ``q = atan2(1, eta) / pi``,
  ``a' = -a (a + c)``, ``b' = b (b - c)`` with ``c = 2 eta / (1 + eta^2)``;
* log: ``a = 1``, ``a' = 0``, ``b = 1 / expm1(-eta)``, ``b' = b (1 + b)``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

_SQRT_2_OVER_PI = np.sqrt(2.0 / np.pi)
_SQRT_HALF = np.sqrt(0.5)


def _probit(eta):
    a = _SQRT_2_OVER_PI / special.erfcx(-eta * _SQRT_HALF)
    b = _SQRT_2_OVER_PI / special.erfcx(eta * _SQRT_HALF)
    return a, b, -a * (eta + a), b * (b - eta)


def _cloglog(eta):
    # beyond eta = 700, p = 1 and a = 0 in double precision: clipping keeps f t finite
    t = np.exp(np.minimum(eta, 700.0))
    small = t < 1e-2
    # a = t / expm1(t); 1 - a = t/2 - t^2/12 + t^4/720 - ...: the series where 1 - a
    # cancels (and where t underflows to 0)
    series = t * (0.5 - t / 12.0 + t**3 / 720.0)
    direct = np.exp(eta - t) / -np.expm1(-t)
    a = np.where(small, 1.0 - series, direct)
    one_minus_a = np.where(small, series, 1.0 - direct)
    return a, t, a * (one_minus_a - t), t


def _cauchit(eta):
    r = 1.0 / (1.0 + eta * eta)                     # pi h'(eta)
    c = 2.0 * eta * r                               # -h''/h'
    a = r / np.arctan2(1.0, -eta)                   # h' / p with p = atan2(1, -eta) / pi
    b = r / np.arctan2(1.0, eta)
    return a, b, -a * (a + c), b * (b - c)


def _log(eta):
    # p = 1 (eta = 0) is reached only by rows without failures; the clip keeps f b = 0
    b = 1.0 / np.expm1(-np.minimum(eta, -1e-150))
    return np.ones_like(eta), b, np.zeros_like(eta), b * (1.0 + b)


_RATIOS = {"probit": _probit, "cloglog": _cloglog, "cauchit": _cauchit, "log": _log}


def eta_derivatives(link: str, s: np.ndarray, f: np.ndarray, eta: np.ndarray):
    """``(dl/deta, d2l/deta2)`` of ``s log p + f log(1 - p)``, or None for another link."""
    eta = np.asarray(eta, dtype=float)
    if link == "logit":
        p, q = special.expit(eta), special.expit(-eta)
        return s * q - f * p, -(s + f) * (p * q)
    ratios = _RATIOS.get(link)
    if ratios is None:
        return None
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a, b, da, db = ratios(eta)
        return s * a - f * b, s * da - f * db

