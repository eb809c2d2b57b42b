"""The Tweedie family for ``1 < power < 2``: compound Poisson-gamma, exact zeros plus
positive amounts (insurance claims, rainfall).

``Y = X_1 + ... + X_N`` with ``N ~ Poisson(lambda)`` and ``X_i ~ Gamma(shape r, scale
s)``, parameterised by the mean ``mu``, the dispersion ``phi`` and the variance power
``p = power``: ``E[Y] = mu``, ``Var[Y] = phi mu^p``, ``lambda = mu^(2-p) / (phi (2-p))``,
``r = (2 - p) / (p - 1)``, ``s = phi (p - 1) mu^(p-1)``. ``P(Y = 0) = exp(-lambda)``; for
``y > 0`` the density ``a(y; phi, p) exp(-d(y, mu) / (2 phi))`` has the unit deviance

.. math::

    d(y, \\mu) = 2 \\left[\\frac{y^{2-p}}{(1-p)(2-p)} - \\frac{y \\mu^{1-p}}{1-p}
                 + \\frac{\\mu^{2-p}}{2-p}\\right]

and ``a`` by Dunn and Smyth's series (:mod:`._tweedie_series`, where the regime and the
accuracy are stated). ``mu`` takes the log (default), identity and power links (statmod's
``link.power``: ``link="power(0.5)"``; ``power(0)`` is log), ``phi`` the log link,
``power`` the identity link on ``(1, 2)``: ``fixed={"power": 1.5}`` fixes it (the usual
GLM), otherwise it is estimated by maximum likelihood with the rest;
:func:`mlefit.profile_fixed` profiles it over a grid as R's ``tweedie.profile``.

Derivatives: the mean's are the GLM's, ``dl/dmu = (y - mu) / (phi mu^p)``; the
dispersion's come from the series' weights (its module docstring); those in ``power`` are
five-point differences of the analytic ones (step ``2e-3``), computed only when ``power``
is estimated. The dispersion is declared (``Dispersion("phi")``), so the mean coefficients
are solved with ``phi`` held (their maximiser does not depend on it), and the series,
which depends on ``y``, ``phi`` and ``p`` only, is evaluated once per block of rows for
the held ``phi`` and reused through the mean's iterations (:class:`_SeriesCache`).

Expected information: ``1 / (phi mu^p)`` for the mean (exact), ``0`` between the mean and
``phi`` (exact: the mean's score has expectation 0 whatever ``phi``). For ``phi`` and
``power`` the per-row observed information stands in (its expectation has no closed
form); the mean's standard errors do not depend on it (the information is block
diagonal in the mean).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import ClassVar

import numpy as np
from scipy import special

from mlefit import Dispersion, Family, Parameter, hookimpl
from mlefit.domains import Domain, NonNegative, Positive

from ._tweedie_series import series

__all__ = ["Tweedie", "unit_deviance"]

#: the power's step for its central differences
POWER_STEP = 2e-3
#: power's domain
POWER_DOMAIN = Domain(1.0, 2.0)


def _expm1_minus(x):
    """``expm1(x) - x`` without cancellation for small ``|x|``."""
    x = np.asarray(x, dtype=float)
    small = np.abs(x) < 0.5
    xs = np.where(small, x, 0.0)
    term, total = xs * xs / 2.0, np.zeros_like(xs)
    for k in range(3, 30):
        total = total + term
        term = term * xs / k
    with np.errstate(over="ignore"):
        return np.where(small, total, np.expm1(x) - x)


def unit_deviance(y, mu, p):
    """The Tweedie unit deviance for ``1 < p < 2`` (``y >= 0``), without cancellation at
    ``y = mu``: with ``t = log(y / mu)`` and ``g_a = (expm1(a t) - a t) / a``,
    ``d / (2 mu^(2-p)) = t expm1(t) + e^t g_(1-p) - g_(2-p)``, a sum of three terms of order
    ``t^2`` that add to ``t^2 / 2 + O(t^3)``."""
    y, mu, p = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (y, mu, p)))
    pos = y > 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        t = np.log(np.where(pos, y, 1.0) / mu)
        inner = (t * np.expm1(t) + np.exp(t) * _expm1_minus((1 - p) * t) / (1 - p)
                 - _expm1_minus((2 - p) * t) / (2 - p))
        m2p = mu ** (2.0 - p)
        return np.where(pos, 2.0 * m2p * inner, 2.0 * m2p / (2.0 - p))


class _SeriesCache:
    """The last series evaluations, by block of rows and ``(phi, p)``.

    The key is the block's memory (address, shape, strides), its sum and sum of squares
    (against a buffer reused for other values) and the constant ``phi`` and ``p``; the
    cached entry holds a reference to the block, so its memory cannot be reused while it
    is cached. At most :attr:`LIMIT` rows are held (one float vector of the rows at most;
    beyond, the series is recomputed, which changes nothing but the time).
    """

    LIMIT = 1 << 21

    def __init__(self):
        self._entries: OrderedDict = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()
        self.evaluations = 0     # series evaluations (tests count them)

    @staticmethod
    def _key(y, phi, p):
        phi, p = np.asarray(phi), np.asarray(p)
        if phi.size > 1 and np.ptp(phi) != 0 or p.size > 1 and np.ptp(p) != 0:
            return None
        iface = y.__array_interface__
        return (iface["data"][0], y.shape, iface["strides"], float(np.sum(y)),
                float(np.dot(y.ravel(), y.ravel())), float(phi.flat[0]), float(p.flat[0]))

    def get(self, y, phi, p):
        """The series at the positive rows of ``y``: ``(mask, SeriesTerms)``."""
        key = self._key(y, phi, p) if y.size else None
        if key is not None:
            with self._lock:
                hit = self._entries.get(key)
                if hit is not None:
                    self._entries.move_to_end(key)
                    return hit[1], hit[2]
        pos = y > 0
        phi_, p_ = (np.broadcast_to(v, y.shape)[pos] for v in (phi, p))
        terms = series(y[pos], phi_, p_)
        with self._lock:
            self.evaluations += 1
            if key is not None and y.size <= self.LIMIT:
                self._entries[key] = (y, pos, terms)
                self._rows += y.size
                while self._rows > self.LIMIT:
                    _, (old, _, _) = self._entries.popitem(last=False)
                    self._rows -= old.size
        return pos, terms


class _Lazy(dict):
    """Derivatives computed when first asked for (the power's: only when it is estimated)."""

    def __init__(self, ready: dict, later: dict):
        super().__init__(ready)
        self._later = later

    def __contains__(self, key):
        return super().__contains__(key) or key in self._later

    def __missing__(self, key):
        value = self._later[key]()
        self[key] = value
        return value

    def _complete(self) -> None:
        for key in list(self._later):
            if not super().__contains__(key):
                self[key]    # noqa: B018 - computes and stores it

    def __iter__(self):
        self._complete()
        return super().__iter__()

    def __len__(self):
        return len(set(super().keys()) | set(self._later))

    def keys(self):
        self._complete()
        return super().keys()

    def items(self):
        self._complete()
        return super().items()

    def values(self):
        self._complete()
        return super().values()

    def get(self, key, default=None):
        return self[key] if key in self else default


class Tweedie(Family):
    """Tweedie compound Poisson-gamma: mean ``mu``, dispersion ``phi``, ``1 < power < 2``."""

    name = "tweedie"
    support = NonNegative()
    parameters = (
        Parameter("mu", Positive(), link="log",
                  links=("log", "identity", "inverse", "sqrt", "inverse_squared"),
                  typical=(0.5, 5.0), description="mean"),
        Parameter("phi", Positive(), links=("log",), typical=(0.3, 3.0),
                  description="dispersion: Var(y) = phi mu^power"),
        Parameter("power", POWER_DOMAIN, link="identity", links=("identity",),
                  typical=(1.2, 1.8), description="variance power, 1 < power < 2"),
    )
    dispersion = Dispersion("phi", power=1.0)
    atoms: ClassVar[tuple[float, ...]] = (0.0,)
    expected_in_optimiser: ClassVar[bool] = False

    def __init__(self):
        self.cache = _SeriesCache()

    # likelihood ----------------------------------------------------------------------
    def _log_a(self, y, phi, power):
        """``log a`` at every row (``0`` where ``y <= 0``) and the series' terms."""
        y = np.asarray(y, dtype=float)
        pos, terms = self.cache.get(y, phi, power)
        out = np.zeros(y.shape)
        out[pos] = terms.log_a
        return out, pos, terms

    def logpdf(self, y, mu, phi, power):
        y = np.asarray(y, dtype=float)
        inside = (y >= 0) & np.isfinite(y)
        yy = np.where(inside, y, 0.0)
        la, _, _ = self._log_a(yy, phi, power)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = la - unit_deviance(yy, mu, power) / (2.0 * phi)
        return np.where(inside, value, -np.inf)

    def _dphi(self, y, mu, phi, power):
        """First and second derivatives in ``phi`` (module docstring of the series)."""
        y = np.asarray(y, dtype=float)
        _, pos, terms = self._log_a(y, phi, power)
        phi_, p_ = np.broadcast_to(phi, y.shape), np.broadcast_to(power, y.shape)
        dev = unit_deviance(y, mu, power)
        d1 = dev / (2.0 * phi_**2)
        d2 = -dev / phi_**3
        q = 1.0 / (p_[pos] - 1.0)      # 1 + r
        f = phi_[pos]
        d1[pos] += q * (terms.j0 - terms.mean_j) / f
        d2[pos] += q * (terms.mean_j - 2.0 * terms.j0 + q * terms.var_j) / f**2
        return d1, d2

    def _mu_derivs(self, y, mu, phi, power):
        with np.errstate(over="ignore", invalid="ignore"):
            v = mu**power
            return ((y - mu) / (phi * v),
                    -(1.0 + power * (y - mu) / mu) / (phi * v),
                    -(y - mu) / (phi**2 * v))

    def _in_power(self, fn, power, order: int = 1):
        """First or second derivative in ``power`` of ``fn(power)`` by a five-point
        (Richardson) stencil inside ``(1, 2)``: truncation ``O(h^4)``, rounding about
        ``eps |fn| / h^order``."""
        h = np.minimum(POWER_STEP, 0.25 * np.minimum(power - 1.0, 2.0 - power))
        f1, f_1, f2, f_2 = (fn(power + k * h) for k in (1.0, -1.0, 2.0, -2.0))
        if order == 1:
            return (8.0 * (f1 - f_1) - (f2 - f_2)) / (12.0 * h)
        return (16.0 * (f1 + f_1) - (f2 + f_2) - 30.0 * fn(power)) / (12.0 * h * h)

    def dlogpdf(self, y, mu, phi, power):
        def dpower():
            return self._in_power(lambda q: self.logpdf(y, mu, phi, q), power)

        return _Lazy({"mu": self._mu_derivs(y, mu, phi, power)[0]},
                     {"phi": lambda: self._dphi(y, mu, phi, power)[0], "power": dpower})

    def d2logpdf(self, y, mu, phi, power):
        def mm():
            return self._mu_derivs(y, mu, phi, power)[1]

        def mp():
            return self._mu_derivs(y, mu, phi, power)[2]

        def pp():
            return self._dphi(y, mu, phi, power)[1]

        def power_power():
            return self._in_power(lambda q: self.logpdf(y, mu, phi, q), power, order=2)

        def mu_power():
            return self._in_power(lambda q: self._mu_derivs(y, mu, phi, q)[0], power)

        def phi_power():
            return self._in_power(lambda q: self._dphi(y, mu, phi, q)[0], power)

        return _Lazy({}, {("mu", "mu"): mm, ("mu", "phi"): mp, ("phi", "phi"): pp,
                          ("power", "power"): power_power, ("mu", "power"): mu_power,
                          ("phi", "power"): phi_power})

    def expected_information(self, y, mu, phi, power):
        """Exact for the mean (``1 / (phi mu^p)``) and the mean-phi pair (0); the observed
        information of ``phi`` and ``power`` stands in for theirs (module docstring)."""
        n = np.shape(y)
        observed = self.d2logpdf(y, mu, phi, power)
        return _Lazy({("mu", "mu"): 1.0 / (phi * mu**power) + np.zeros(n),
                      ("mu", "phi"): np.zeros(n)},
                     {("phi", "phi"): lambda: -observed[("phi", "phi")],
                      ("power", "power"): lambda: -observed[("power", "power")],
                      ("mu", "power"): lambda: -observed[("mu", "power")],
                      ("phi", "power"): lambda: -observed[("phi", "power")]})

    def start(self, y, weights):
        """``mu`` the weighted mean, ``power = 1.5``, ``phi`` the Pearson moment
        ``Var(y) / mu^1.5``."""
        mu = float(np.average(y, weights=weights))
        var = float(np.average((y - mu) ** 2, weights=weights))
        phi = var / mu**1.5 if var > 0 and mu > 0 else 1.0
        return {"mu": mu, "phi": phi, "power": 1.5}

    # moments and GLM pieces ----------------------------------------------------------
    def mean(self, mu, phi, power):
        return mu

    def variance(self, mu, phi, power):
        return phi * mu**power

    def unit_variance(self, mu, phi, power):
        return mu**power

    def unit_deviance(self, y, mu, phi, power):
        return unit_deviance(y, mu, power)

    # distribution ------------------------------------------------------------------
    def cdf(self, y, mu, phi, power):
        """``P(Y <= y) = sum_n Poisson(n; lambda) P(Gamma(n r, s) <= y)``, summed over the
        Poisson's ``lambda +- 12 sqrt(lambda) + 40`` (the rest is below ``1e-30``)."""
        y, mu, phi, p = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                              for v in (y, mu, phi, power)))
        lam = mu ** (2.0 - p) / (phi * (2.0 - p))
        shape = (2.0 - p) / (p - 1.0)
        scale = phi * (p - 1.0) * mu ** (p - 1.0)
        out = np.exp(-lam)
        pos = y > 0
        if not np.any(pos):
            return np.where(y < 0, 0.0, out)
        lo = np.maximum(1.0, np.floor(lam - 12.0 * np.sqrt(lam) - 40.0))
        count = int(np.max(np.ceil(24.0 * np.sqrt(lam) + 80.0)[pos]))
        x = np.where(pos, y, 0.0) / scale
        for k in range(count + 1):
            n = lo + k
            out = out + np.where(pos, np.exp(-lam + n * np.log(lam) - special.gammaln(n + 1))
                                 * special.gammainc(n * shape, x), 0.0)
        return np.where(y < 0, 0.0, np.minimum(out, 1.0))

    def sample(self, rng, size, mu, phi, power):
        lam = mu ** (2.0 - power) / (phi * (2.0 - power))
        n = rng.poisson(lam, size=size)
        shape = (2.0 - power) / (power - 1.0)
        scale = phi * (power - 1.0) * mu ** (power - 1.0)
        return np.where(n > 0, rng.gamma(np.maximum(n, 1) * shape, scale, size=size), 0.0)


@hookimpl
def register_families():
    return [Tweedie()]
