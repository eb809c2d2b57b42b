"""Links: the transforms between a parameter and its linear predictor.

``theta = inverse(eta)`` and ``eta = link(theta)``. The engine needs the first two
derivatives of the inverse, ``h'(eta)`` and ``h''(eta)``, for its chain rule. Plugins add
links through the ``register_links`` hook; the ones below ship with the core.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np
from scipy import special

from .errors import MlefitError

__all__ = ["BUILTIN_LINKS", "Array", "Link", "parse_power", "power_link", "registered_link"]

Array = np.ndarray


@dataclass(frozen=True)
class Link:
    """A link function and the derivatives of its inverse.

    Parameters
    ----------
    name : str
        Lookup name, e.g. ``"log"``.
    link : callable
        ``eta = g(theta)``.
    inverse : callable
        ``theta = h(eta) = g^{-1}(eta)``.
    inverse_deriv, inverse_deriv2 : callable
        ``h'(eta)`` and ``h''(eta)``.
    saturates : callable, optional
        Boolean mask of linear predictors at which ``h`` is numerically flat (``theta``
        indistinguishable from a boundary); used to detect separation.
    aliases : tuple of str
        Other names, e.g. ``("1/mu^2",)``.
    """

    name: str
    link: Callable[[Array], Array]
    inverse: Callable[[Array], Array]
    inverse_deriv: Callable[[Array], Array]
    inverse_deriv2: Callable[[Array], Array]
    saturates: Callable[[Array], Array] | None = None
    aliases: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.name

    def __reduce__(self):
        """Pickled by name when it is the registered link of that name (most links are
        lambdas, which pickle cannot store), else by value."""
        from .registry import get_registry

        try:
            registered = get_registry().link(self.name) is self
        except MlefitError:
            registered = False
        if registered:
            return registered_link, (self.name,)
        return Link, tuple(getattr(self, f.name) for f in fields(self))


def registered_link(name: str) -> Link:
    """The installed link called ``name`` (how a pickled link is found again)."""
    from .registry import get_registry

    return get_registry().link(name)


#: statmod's ``link.power`` values that are links of their own
_NAMED_POWERS = {0.0: "log", 1.0: "identity", -1.0: "inverse", 0.5: "sqrt",
                 -2.0: "inverse_squared"}
_POWER_LINKS: dict[float, Link] = {}


def power_link(q: float) -> Link | str:
    """The power link ``eta = mu^q`` (statmod's ``link.power = q``; ``q = 0`` is the log):
    the name of the built-in link for ``q`` in 0, 1, -1, 1/2, -2, else a :class:`Link`
    named ``"power(q)"`` (one object per ``q``, so it pickles by name). ``fit`` takes it
    as ``link="power(0.3)"``.

    ``mu = eta^(1/q)``, ``h' = eta^(1/q - 1) / q``, ``h'' = (1/q)(1/q - 1) eta^(1/q - 2)``.
    """
    q = float(q)
    if q in _NAMED_POWERS:
        return _NAMED_POWERS[q]
    if q not in _POWER_LINKS:
        a = 1.0 / q
        _POWER_LINKS[q] = Link(
            f"power({q:g})", lambda t: np.asarray(t, dtype=float) ** q,
            lambda e: np.asarray(e, dtype=float) ** a,
            lambda e: a * np.asarray(e, dtype=float) ** (a - 1.0),
            lambda e: a * (a - 1.0) * np.asarray(e, dtype=float) ** (a - 2.0))
    return _POWER_LINKS[q]


def parse_power(name: str) -> float | None:
    """``q`` of a link name ``"power(q)"`` (None for any other name)."""
    text = str(name).strip().lower()
    if not (text.startswith("power(") and text.endswith(")")):
        return None
    try:
        q = float(text[6:-1])
    except ValueError:
        return None
    return q if np.isfinite(q) else None


def _logit_d1(eta):
    mu = special.expit(eta)
    return mu * (1.0 - mu)


def _logit_d2(eta):
    mu = special.expit(eta)
    return mu * (1.0 - mu) * (1.0 - 2.0 * mu)


def _cloglog_inverse(eta):
    return -np.expm1(-np.exp(eta))


def _cloglog_d1(eta):
    return np.exp(eta - np.exp(eta))


def _cloglog_d2(eta):
    return np.exp(eta - np.exp(eta)) * (1.0 - np.exp(eta))


def _probit_d1(eta):
    return np.exp(-0.5 * eta**2) / np.sqrt(2.0 * np.pi)


def _probit_d2(eta):
    return -eta * _probit_d1(eta)


def _cauchit_d1(eta):
    return 1.0 / (np.pi * (1.0 + eta**2))


def _cauchit_d2(eta):
    return -2.0 * eta / (np.pi * (1.0 + eta**2) ** 2)


def _ones(eta):
    return np.ones_like(np.asarray(eta, dtype=float))


def _zeros(eta):
    return np.zeros_like(np.asarray(eta, dtype=float))


BUILTIN_LINKS: tuple[Link, ...] = (
    Link("identity", lambda t: np.asarray(t, dtype=float), lambda e: np.asarray(e, dtype=float),
         _ones, _zeros),
    Link("log", np.log, np.exp, np.exp, np.exp, saturates=lambda e: np.asarray(e) < -30.0),
    Link("logit", special.logit, special.expit, _logit_d1, _logit_d2,
         saturates=lambda e: np.abs(e) > 30.0),
    Link("probit", special.ndtri, special.ndtr, _probit_d1, _probit_d2,
         saturates=lambda e: np.abs(e) > 8.0),
    Link("cloglog", lambda t: np.log(-np.log1p(-np.asarray(t, dtype=float))), _cloglog_inverse,
         _cloglog_d1, _cloglog_d2,
         saturates=lambda e: (np.asarray(e) > 3.6) | (np.asarray(e) < -30.0)),
    Link("cauchit", lambda t: np.tan(np.pi * (np.asarray(t, dtype=float) - 0.5)),
         lambda e: 0.5 + np.arctan(e) / np.pi, _cauchit_d1, _cauchit_d2),
    Link("inverse", lambda t: 1.0 / np.asarray(t, dtype=float),
         lambda e: 1.0 / np.asarray(e, dtype=float),
         lambda e: -1.0 / np.asarray(e, dtype=float) ** 2,
         lambda e: 2.0 / np.asarray(e, dtype=float) ** 3, aliases=("1/mu",)),
    Link("inverse_squared", lambda t: np.asarray(t, dtype=float) ** -2.0,
         lambda e: np.asarray(e, dtype=float) ** -0.5,
         lambda e: -0.5 * np.asarray(e, dtype=float) ** -1.5,
         lambda e: 0.75 * np.asarray(e, dtype=float) ** -2.5, aliases=("1/mu^2",)),
    Link("sqrt", np.sqrt, lambda e: np.asarray(e, dtype=float) ** 2,
         lambda e: 2.0 * np.asarray(e, dtype=float), lambda e: np.full_like(e, 2.0, dtype=float)),
)
