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
which depends on ``y``, ``phi`` and ``p`` only, is evaluated once per row for the held
``phi`` (by the contract check at the start values) and reused through the mean's
iterations (:class:`_SeriesCache`); ``phi`` then takes Newton steps in ``log phi`` from
the Pearson estimate, one series pass each, whose weights give the value and both
derivatives (:mod:`._tweedie_series`), and the last of them (the refining pass) is also
the standard errors' and the final log-likelihood's: usually five passes at a fixed power.

A fixed power outside ``(1, 2)`` (no likelihood) is R's quasi-likelihood
``tweedie(var.power = p)`` GLM under ``convention="R"`` (:meth:`Tweedie.quasi_variant`,
:mod:`._tweedie_quasi`) and a DataError otherwise.

Expected information: ``1 / (phi mu^p)`` for the mean and ``0`` between the mean and the
other two (exact: the mean's score has expectation 0 whatever ``phi`` and ``power``).
The ``(phi, power)`` block has no closed form: ``Y / mu`` is Tweedie with mean 1 and
dispersion ``phi mu^(p-2)``, so it is ``E[s s']`` of that one-parameter family
(:func:`_fisher_unit`: quadrature in ``log y`` plus the atom), tabulated on a lattice in
``log phi'`` and interpolated (:func:`_fisher_block`). It is computed only when asked for
(``cov_type="expected"``, ``convention="R"``); the optimiser does not use it.
"""

from __future__ import annotations

import threading
import warnings
import weakref
from collections import OrderedDict
from itertools import pairwise
from typing import ClassVar

import numpy as np
from scipy import special

from mlefit import Dispersion, Family, Parameter, hookimpl
from mlefit.domains import Domain, NonNegative, Positive
from mlefit.errors import InferenceWarning

from ._tweedie_series import SeriesTerms, series

__all__ = ["Tweedie", "unit_deviance"]

#: the power's step for its central differences
POWER_STEP = 2e-3
#: power's domain
POWER_DOMAIN = Domain(1.0, 2.0)


#: ``1 / k!`` for the series of ``expm1(x) - x = sum_{k >= 2} x^k / k!`` (``|x| < 1/4``:
#: the first omitted term is below 1e-22 of the sum)
_INVERSE_FACTORIALS = 1.0 / np.cumprod(np.arange(1.0, 18.0))[1:]


def _expm1_minus(x):
    """``expm1(x) - x`` without cancellation for small ``|x|`` (series by Horner's rule
    below 1/4, where the direct form would lose up to a factor 8 to cancellation)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(over="ignore"):
        out = np.expm1(x) - x
    small = np.abs(x) < 0.25
    if np.any(small):
        xs = x[small]
        total = np.zeros_like(xs)
        for c in _INVERSE_FACTORIALS[::-1]:
            total = total * xs + c
        out[small] = total * xs * xs
    return out


def unit_deviance(y, mu, p):
    """The Tweedie unit deviance for ``1 < p < 2`` (``y >= 0``), without cancellation at
    ``y = mu``.

    Where ``|y - mu| < 3 mu / 4`` it is written, with ``t = log(y / mu)`` and ``g_a =
    (expm1(a t) - a t) / a``, as ``d / (2 mu^(2-p)) = t expm1(t) + e^t g_(1-p) - g_(2-p)``:
    three terms of order ``t^2`` that add to ``t^2 / 2 + O(t^3)`` (the textbook form loses
    ``1 / t^2`` of its relative precision there); elsewhere the textbook form, whose terms
    then cancel by a factor of at most about 10.
    """
    y, mu, p = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (y, mu, p)))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        m2p = mu ** (2.0 - p)
        y2p = y ** (2.0 - p)
        out = np.array(2.0 * (y2p / ((1.0 - p) * (2.0 - p)) - y * (m2p / mu) / (1.0 - p)
                              + m2p / (2.0 - p)), ndmin=1)
        rel = (y - mu) / mu         # y - mu is exact near mu (Sterbenz)
        near = (np.abs(rel) < 0.75) & (y > 0)
        if np.any(near):
            r, q, m = rel[near], p[near], m2p[near]
            t = np.log1p(r)
            inner = (t * r + (1.0 + r) * _expm1_minus((1.0 - q) * t) / (1.0 - q)
                     - _expm1_minus((2.0 - q) * t) / (2.0 - q))
            out[near.reshape(out.shape)] = 2.0 * m * inner
    return out.reshape(y.shape)


class _SeriesCache:
    """The last series evaluations, by runs of an array's rows and ``(phi, p)``.

    A block of rows is cut at the multiples of :attr:`GRAIN` rows of the array that owns
    it (the engine's blocks are views of the response, :attr:`GRAIN` rows or a power of
    two times that, from row 0: the contract check's blocks and the kernel's, whose sizes
    differ with the number of coefficients, cut into the same pieces), and each piece is
    an entry: a copy of its ``y`` (a row changed in place misses) and the series at its
    positive rows. A block whose pieces are all held (or lie inside held pieces) is
    assembled from them; the missing pieces are evaluated together. The key is the
    owner's identity and memory, the piece's rows and the constant ``phi`` and ``p``. An
    entry holds only a weak reference to the owner and is dropped when that array is
    freed (so the cache neither keeps the data alive nor mistakes new data at a reused
    address for the old). At most
    :attr:`LIMIT` rows are held (beyond, the series is recomputed, which changes nothing
    but the time): up to five float vectors of that many rows.
    """

    LIMIT = 1 << 21
    GRAIN = 2048
    _FIELDS = ("log_a", "j0", "mean_j", "var_j")

    def __init__(self):
        self._entries: OrderedDict = OrderedDict()
        self._rows = 0
        self._lock = threading.RLock()   # a weakref callback may run while it is held
        self.evaluations = 0     # series evaluations (tests count them)
        self.rows = 0            # rows they summed (the benchmark reports passes)

    @staticmethod
    def _place(y, phi, p):
        """``(key, owner, first row)`` of a 1-D block at a constant ``(phi, p)`` (a block
        that is not a run of a contiguous float array's rows is its own run); None
        otherwise (then nothing is cached)."""
        phi, p = np.asarray(phi), np.asarray(p)
        if (phi.size > 1 and np.ptp(phi) != 0) or (p.size > 1 and np.ptp(p) != 0):
            return None
        owner = y
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        if y.ndim != 1:
            return None
        address, size = owner.__array_interface__["data"][0], owner.size
        start, rest = divmod(y.__array_interface__["data"][0] - address, 8)
        if y.dtype != np.float64 or owner.dtype != np.float64 or rest or start < 0 or \
                not owner.flags.c_contiguous or (y.size > 1 and y.strides[0] != 8) or \
                start + y.size > size:   # rows of no contiguous run: the block alone
            address, size, start = y.__array_interface__["data"][0], y.size, 0
        return (id(owner), address, size, y.strides, float(phi.flat[0]),
                float(p.flat[0])), owner, start

    def __getstate__(self):
        """A copy (pickle, deepcopy) starts empty: the cache is only a speed-up."""
        return {}

    def __setstate__(self, state):
        self.__init__()

    def _forget(self, key) -> None:
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._rows -= entry[1].size

    def _evaluate(self, y, phi, p):
        with self._lock:
            self.evaluations += 1
            self.rows += y.size
        return series(y, phi, p)

    def get(self, y, phi, p):
        """The series at the positive rows of ``y``: ``(mask, SeriesTerms)``."""
        pos = y > 0
        place = self._place(y, phi, p) if y.size else None
        if place is None:
            phi_, p_ = (np.broadcast_to(v, y.shape)[pos] for v in (phi, p))
            return pos, self._evaluate(y[pos], phi_, p_)
        base, owner, start = place
        stop = start + y.size
        edges = sorted({start, stop}
                       | set(range(-(-start // self.GRAIN) * self.GRAIN, stop, self.GRAIN)))
        pieces = [(a - start, b - start, (*base, a, b)) for a, b in pairwise(edges)]
        with self._lock:
            held = [self._held(key, owner, y[a:b]) for a, b, key in pieces]
        missing = [i for i, h in enumerate(held) if h is None]
        if missing:
            rows = np.concatenate([np.arange(pieces[i][0], pieces[i][1]) for i in missing])
            rows = rows[pos[rows]]
            new = self._evaluate(y[rows], np.full(rows.size, base[-2]),
                                 np.full(rows.size, base[-1]))
            cuts = np.cumsum([np.count_nonzero(pos[pieces[i][0]:pieces[i][1]])
                              for i in missing])[:-1]
            parts = [np.split(getattr(new, f), cuts) for f in self._FIELDS]
            for k, i in enumerate(missing):
                a, b, key = pieces[i]
                held[i] = (None, y[a:b].copy(), tuple(part[k] for part in parts))
                self._store(key, owner, held[i])
        if len(held) == 1:
            return pos, SeriesTerms(*held[0][2])
        return pos, SeriesTerms(*(np.concatenate([h[2][f] for h in held])
                                  for f in range(len(self._FIELDS))))

    def _held(self, key, owner, y):
        """The entry of the piece ``key`` (rows ``key[-2]:key[-1]``, values ``y``), or its
        part of the held piece of the whole cell of :attr:`GRAIN` rows around it; None."""
        a, b = key[-2:]
        cell = a - a % self.GRAIN
        for k in (key, (*key[:-2], cell, min(cell + self.GRAIN, key[2]))):
            hit = self._entries.get(k)
            if hit is None or hit[0]() is not owner:
                continue
            lo, hi = a - k[-2], b - k[-2]
            if not np.array_equal(hit[1][lo:hi], y):
                return None
            self._entries.move_to_end(k)
            if (lo, hi) == (0, hit[1].size):
                return hit
            first = np.count_nonzero(hit[1][:lo] > 0)
            last = first + np.count_nonzero(y > 0)
            return None, None, tuple(v[first:last] for v in hit[2])
        return None

    def _store(self, key, owner, entry) -> None:
        try:
            ref = weakref.ref(owner, lambda _, key=key: self._forget(key))
        except TypeError:
            return
        with self._lock:
            if key in self._entries:
                self._rows -= self._entries.pop(key)[1].size
            self._entries[key] = (ref, *entry[1:])
            self._rows += entry[1].size
            while self._rows > self.LIMIT:
                _, old = self._entries.popitem(last=False)
                self._rows -= old[1].size


class _LastCall:
    """The result of the last call of one function in this thread, reused while the
    arguments are equal in value (compared, not trusted by identity): the kernel asks
    for the log density, the dispersion's score and its second derivative of one block in
    turn, which need the same deviance and the same pass over the series' terms."""

    def __init__(self):
        self._local = threading.local()

    def __getstate__(self):
        """A copy (pickle, deepcopy) starts empty: the memo is only a speed-up."""
        return {}

    def __setstate__(self, state):
        self.__init__()

    def __call__(self, fn, *args):
        """``fn(*args)`` (always the same ``fn`` for one memo; arrays or tuples of them)."""
        args = tuple(np.asarray(v, dtype=float) for v in args)
        last = getattr(self._local, "last", None)
        if last is not None and all(a.shape == b.shape and np.array_equal(a, b)
                                    for a, b in zip(args, last[0], strict=True)):
            out = last[1]
        else:
            out = fn(*args)
            self._local.last = (tuple(a.copy() for a in args), out)
        return tuple(v.copy() for v in out) if isinstance(out, tuple) else out.copy()


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
                self.__getitem__(key)    # computes and stores it

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
                  links=("log", "identity", "inverse", "sqrt", "inverse_squared", "power"),
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
        self._last_deviance = _LastCall()
        self._last_dphi = _LastCall()

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
        yy = y if inside.all() else np.where(inside, y, 0.0)   # y itself: the cache's key
        la, _, _ = self._log_a(yy, phi, power)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value = la - self._deviance(yy, mu, power) / (2.0 * phi)
        return np.where(inside, value, -np.inf)

    def _deviance(self, y, mu, power):
        return self._last_deviance(unit_deviance, y, mu, power)

    def _dphi(self, y, mu, phi, power):
        return self._last_dphi(self._phi_derivatives, y, mu, phi, power)

    def _phi_derivatives(self, y, mu, phi, power):
        """First and second derivatives in ``phi`` (module docstring of the series)."""
        y = np.asarray(y, dtype=float)
        _, pos, terms = self._log_a(y, phi, power)
        phi_, p_ = np.broadcast_to(phi, y.shape), np.broadcast_to(power, y.shape)
        dev = self._deviance(y, mu, power)
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
        """Exact zeros between the mean and the rest (the mean's score has expectation 0
        for any ``phi`` and ``power``), ``1 / (phi mu^p)`` for the mean, and the
        ``(phi, power)`` block from :func:`_fisher_unit` (module docstring)."""
        n = np.shape(y)
        mu, phi, power = (np.broadcast_to(np.asarray(v, dtype=float), n)
                          for v in (mu, phi, power))
        zero = np.zeros(n)
        out = {("mu", "mu"): 1.0 / (phi * mu**power), ("mu", "phi"): zero,
               ("mu", "power"): zero}

        def block():
            return _fisher_block(mu, phi, power)

        cache = {}

        def entry(k):
            def get():
                if not cache:
                    cache["v"] = block()
                return cache["v"][k]
            return get

        return _Lazy(out, {("phi", "phi"): entry(0), ("phi", "power"): entry(1),
                           ("power", "power"): entry(2)})

    def start(self, y, weights):
        """``mu`` the weighted mean, ``power = 1.5``, ``phi`` the Pearson moment
        ``Var(y) / mu^1.5``."""
        mu = float(np.average(y, weights=weights))
        var = float(np.average((y - mu) ** 2, weights=weights))
        phi = var / mu**1.5 if var > 0 and mu > 0 else 1.0
        return {"mu": mu, "phi": phi, "power": 1.5}

    def quasi_variant(self, fixed: dict, convention):
        """The family to fit when ``fixed`` holds ``power`` outside ``(1, 2)``: R's
        quasi-likelihood ``tweedie(var.power = p)`` GLM under ``convention="R"``
        (:class:`._tweedie_quasi.TweedieQuasi`); a DataError under the ML convention;
        None inside ``(1, 2)``."""
        from mlefit.errors import DataError

        from ._tweedie_quasi import TweedieQuasi

        if "power" not in fixed:
            return None
        try:
            p = float(fixed["power"])
        except (TypeError, ValueError):
            return None     # the request's own check reports it
        if 1.0 < p < 2.0 or not np.isfinite(p):
            return None
        if p < 1.0:
            raise DataError(f"fixed power={p:g}: a Tweedie variance power is 1 or more "
                            "(0 < p < 1 has no distribution). Fix: use a power >= 1.")
        if convention in ("R", "r"):
            return TweedieQuasi(p, self.parameters[0])
        raise DataError(
            f"fixed power={p:g}: the Tweedie likelihood exists for 1 < power < 2 only; "
            "outside it R's glm(family = statmod::tweedie(var.power = p)) is a "
            "quasi-likelihood fit, which convention='R' reproduces (coefficients, Pearson "
            "dispersion, SEs; no log-likelihood, AIC or LR test). For a likelihood: "
            "p = 1 with counts is family='poisson' (dispersion='pearson' for R's "
            "quasipoisson), p = 2 family='gamma', p = 3 family='inverse_gaussian'. Fix: "
            "add convention='R', use one of these families, or a power in (1, 2).")

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


#: spacing of the lattice in ``log phi'`` on which the unit Fisher block is tabulated
LATTICE = 0.1
#: points each side of the six-point Lagrange interpolation
_HALF = 3
_FISHER: dict = {}
_FISHER_LOCK = threading.Lock()


def _scores_unit(y, phi1, p):
    """Scores in ``phi`` and ``power`` at ``mu = 1`` (``y > 0``), and ``log f``."""
    fam = _UNIT
    one = np.ones_like(y)
    d = fam.dlogpdf(y, one, phi1, p)
    return fam.logpdf(y, one, phi1, p), d["phi"], d["power"]


def _fisher_unit(phi1, p: float) -> np.ndarray:
    """``(phi^2 I_phiphi, phi I_phipower, I_powerpower)`` at ``mu = 1`` and dispersions
    ``phi1`` (an array; one row each): ``E[s s']`` as the atom at 0 plus the trapezoidal
    rule in ``z = log y`` (on a smooth integrand that vanishes at both ends: spectrally
    accurate) on ``[z0, log(1 + 12 sd + 60 s)]``, with ``z0 = log s - 42 / min(r, 1)``
    (``s`` the claim scale, ``r`` its shape: below ``z0`` the mass is under 1e-18),
    doubling the points until the values settle to 1e-10 of ``sqrt(I_11 I_22)`` and the
    total mass is 1 within 1e-10.

    Where ``z0 < -700`` (``power > 1.94`` with small ``phi``: ``y`` below 1e-304 still
    carries mass) the grid starts at ``-700`` and the rest, where one claim dominates,
    is added in closed form (there ``y f(y) = C e^(r z)`` and the scores are affine in
    ``z``); an :class:`~mlefit.errors.InferenceWarning` says when the mass is then not 1
    within 1e-8.
    """
    phi1 = np.atleast_1d(np.asarray(phi1, dtype=float))
    r, s = (2.0 - p) / (p - 1.0), phi1 * (p - 1.0)
    lam = 1.0 / (phi1 * (2.0 - p))
    p0 = np.exp(-lam)
    s0 = np.array([lam / phi1, -1.0 / (phi1 * (2.0 - p) ** 2)])
    atom = p0 * np.array([s0[0] ** 2, s0[0] * s0[1], s0[1] ** 2])
    z0 = np.log(s) - 42.0 / min(r, 1.0)
    lo = np.maximum(z0, -700.0)
    hi = np.log(1.0 + 12.0 * np.sqrt(phi1) + 60.0 * s)
    previous, mass = None, np.nan
    for points in (2 ** k for k in range(8, 18)):
        u = np.linspace(0.0, 1.0, points)
        z = lo[:, None] + (hi - lo)[:, None] * u
        lf, a, b = (v.reshape(z.shape) for v in _scores_unit(
            np.exp(z).ravel(), np.repeat(phi1, points), np.full(z.size, p)))
        w = np.exp(lf + z) * (z[:, 1:2] - z[:, :1])
        w[:, [0, -1]] *= 0.5
        value = atom + np.array([np.sum(w * a * a, 1), np.sum(w * a * b, 1),
                                 np.sum(w * b * b, 1)])
        mass = p0 + w.sum(1)
        cut = lo > z0
        if np.any(cut):     # the one-claim tail below the grid, in closed form
            tail_mass, tail = _left_tail(z[cut, :2], lf[cut, :2] + z[cut, :2], a[cut, :2],
                                         b[cut, :2], r)
            value[:, cut] += tail
            mass[cut] += tail_mass
        if previous is not None:
            scale = np.sqrt(np.abs(value[0] * value[2]))
            if np.all(np.abs(value - previous) <= 1e-10 * scale) and \
                    np.all(np.abs(mass - 1) < 1e-10):
                break
        previous = value
    if np.any(np.abs(mass - 1.0) > 1e-8):
        warnings.warn(f"the Tweedie's expected information of phi and power at power={p:g} "
                      f"is approximate (a quadrature's total mass is "
                      f"{mass[np.argmax(np.abs(mass - 1))]:.10g}); the mean's is exact. "
                      "Fix: use cov_type='observed'.", InferenceWarning, stacklevel=2)
    return (value * np.array([phi1**2, phi1, np.ones_like(phi1)])).T


def _left_tail(z, log_w, a, b, r):
    """Mass and ``E[s s']`` below ``z[:, 0]`` (one row per dispersion) where ``y f =
    exp(log_w)`` grows as ``e^(r z)`` and each score is affine in ``z`` (from its values
    at the first two points): ``int_-inf^z0 e^(r t) (u + v (t - z0))^2 dt = e^(r z0) (u^2
    - 2 u v / r + 2 v^2 / r^2) / r`` and its bilinear form."""
    c = np.exp(log_w[:, 0]) / r
    dz = z[:, 1] - z[:, 0]
    ua, va = a[:, 0], (a[:, 1] - a[:, 0]) / dz
    ub, vb = b[:, 0], (b[:, 1] - b[:, 0]) / dz

    def form(u1, v1, u2, v2):
        return c * (u1 * u2 - (u1 * v2 + u2 * v1) / r + 2.0 * v1 * v2 / r**2)

    return c, np.array([form(ua, va, ua, va), form(ua, va, ub, vb), form(ub, vb, ub, vb)])


def _units(ks, p: float) -> dict:
    """The unit Fisher blocks at lattice points ``ks`` (computed together, then kept)."""
    p = float(p)
    with _FISHER_LOCK:
        missing = [k for k in ks if (k, p) not in _FISHER]
    if missing:
        values = _fisher_unit(np.exp(np.array(missing) * LATTICE), p)
        with _FISHER_LOCK:
            for k, v in zip(missing, values, strict=True):
                _FISHER[(k, p)] = v
    with _FISHER_LOCK:
        return {k: _FISHER[(k, p)] for k in ks}


def _fisher_block(mu, phi, power):
    """The ``(phi, power)`` Fisher information per row from the unit table.

    ``Y / mu`` is Tweedie with mean 1, dispersion ``phi' = phi mu^(p-2)`` and the same
    power, so with ``B`` the information in ``(phi', power)`` at mean 1 and ``g = phi' log
    mu``: ``I_phiphi = mu^(2(p-2)) B_11``, ``I_phipower = mu^(p-2) (B_11 g + B_12)``,
    ``I_powerpower = B_22 + 2 g B_12 + g^2 B_11``. ``B`` is tabulated on a lattice of
    step 0.1 in ``log phi'`` and interpolated by six-point Lagrange polynomials (error
    about ``h^6`` times the sixth derivative: below 1e-8 relative here).
    """
    out = [np.empty(mu.shape) for _ in range(3)]
    for p in np.unique(power):
        rows = power == p
        phi1 = phi[rows] * mu[rows] ** (p - 2.0)
        x = np.log(phi1) / LATTICE
        base = np.floor(x).astype(int)
        t = x - base
        table = _units(range(int(base.min()) - _HALF + 1, int(base.max()) + _HALF + 1), p)
        unit = np.zeros((rows.sum(), 3))
        offsets = np.arange(-_HALF + 1, _HALF + 1)
        for i in offsets:
            weight = np.ones_like(t)
            for m in offsets:
                if m != i:
                    weight *= (t - m) / (i - m)
            unit += weight[:, None] * np.array([table[k] for k in base + i])
        b11, b12, b22 = unit[:, 0] / phi1**2, unit[:, 1] / phi1, unit[:, 2]
        lm = np.log(mu[rows])
        g = phi1 * lm
        scale = mu[rows] ** (p - 2.0)
        out[0][rows] = scale**2 * b11
        out[1][rows] = scale * (b11 * g + b12)
        out[2][rows] = b22 + 2.0 * g * b12 + g * g * b11
    return out


_UNIT = Tweedie()


@hookimpl
def register_families():
    return [Tweedie()]
