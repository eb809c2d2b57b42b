"""Private machinery of the zero-modified count families: zero inflation and hurdles
built on a count component (the ``poisson`` or ``negative_binomial`` family object).

Both are written once, in terms of the component's log pmf and its derivatives, so a
new component needs no new algebra. Notation: ``L0 = log P_c(0)`` and ``g0``, ``H0`` the
component's first and second derivatives of ``L0`` in its own parameters; ``g``, ``H``
the same at the row's ``y``. The formulas hold on any scale of the count parameters
(natural or linear predictor), which is how ``eta_derivatives`` reuses the component's.

**Zero inflation** (``pi``: a structural zero). ``p0 = pi + (1 - pi) e^L0`` and
``q = (1 - pi) e^L0 / p0``, the chance that an observed zero came from the count:

* ``y = 0``: ``dl = q g0``, ``d2l = q H0 + q (1 - q) g0 g0'``,
  ``dl/dpi = (1 - e^L0) / p0``, ``d2l/dpi2 = -(dl/dpi)^2``,
  ``d2l/dpi d. = -e^L0 g0 / p0^2``;
* ``y > 0``: the component's ``g``, ``H``; ``dl/dpi = -1/(1 - pi)``,
  ``d2l/dpi2 = -1/(1 - pi)^2``, no cross term.

**Hurdle** (``hurdle = P(y > 0)``: a binary part; the count part zero-truncated). With
``A = -L0`` and ``r = 1/expm1(A)``, the truncation ``-log(1 - e^-A)`` adds ``r g0`` to
the count's first derivatives and ``r H0 + r (1 + r) g0 g0'`` to its second at
``y > 0``; the count parameters do not enter a zero. The binary part:
``dl/dh = -1/(1 - h)`` at 0 and ``1/h`` above, ``d2l/dh2 = -(dl/dh)^2``; no cross terms
(the likelihood separates).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from mlefit.links import registered_link

from ._counts import as_float, log1mexp, on_support, zero_truncated_logpmf

#: start values of a probability (pi, hurdle) are clipped to this range
PROB_START = (0.05, 0.95)


def _pairs(names):
    return [(a, b) for i, a in enumerate(names) for b in names[i:]]


def _get(d2, a, b):
    return d2[(a, b)] if (a, b) in d2 else d2[(b, a)]


def _chain(d1, d2, link_name, eta):
    """First and second derivatives in ``p`` moved to its linear predictor."""
    link = registered_link(link_name)
    h1, h2 = link.inverse_deriv(eta), link.inverse_deriv2(eta)
    return d1 * h1, d2 * h1 * h1 + d1 * h2, h1


def _full(v, shape):
    """A float copy of ``v`` broadcast to ``shape`` (safe to write into)."""
    return np.array(np.broadcast_to(v, shape), dtype=float)


def _rows(values: dict, shape, rows: np.ndarray) -> dict:
    """Each value broadcast to ``shape`` and restricted to ``rows``."""
    return {k: np.broadcast_to(np.asarray(v, dtype=float), shape)[rows] for k, v in values.items()}


class _ZeroModified:
    """What both kinds share: the component, its parameter names, the predictions."""

    #: the count component (a family object); set by the concrete family
    component = None
    #: the name of the zero part's parameter
    zero_parameter = ""

    def _split(self, args, params):
        """``(zero part, {count parameter: value})`` from positional arguments in
        declaration order and keywords (the engine passes keywords, users may not)."""
        params = {**dict(zip(self.parameter_names[:len(args)], args, strict=True)), **params}
        zero = params.pop(self.zero_parameter)
        return zero, params

    @property
    def _count_names(self):
        return self.component.parameter_names

    def count_mean(self, *args, **params):
        """The count component's mean (pscl's ``type = "count"``)."""
        _, rest = self._split(args, params)
        return self.component.mean(**rest)

    def _component_derivatives(self, y, rest, links=None, etas=None):
        """``(g, H)`` of the component at ``y``, on the natural scale or, with ``links``
        and ``etas``, on the linear-predictor scale (None if it has none for them)."""
        if links is None:
            return self.component.dlogpdf(y, **rest), self.component.d2logpdf(y, **rest)
        if not self.component.has("eta_derivatives"):
            return None
        return self.component.eta_derivatives(y, {n: links[n] for n in self._count_names},
                                              **{n: etas[n] for n in self._count_names})

    def dlogpdf(self, y, *args, **params):
        zero, rest = self._split(args, params)
        return self._parts(y, zero, rest)[0]

    def d2logpdf(self, y, *args, **params):
        zero, rest = self._split(args, params)
        return self._parts(y, zero, rest)[1]

    def eta_derivatives(self, y, links, **etas):
        """The component's derivatives on its linear-predictor scale (finite at its
        limits, e.g. the Poisson end of the negative binomial); the zero part's by the
        chain rule through its own link."""
        z = self.zero_parameter
        rest = {n: registered_link(links[n]).inverse(etas[n]) for n in self._count_names}
        zero = registered_link(links[z]).inverse(etas[z])
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            got = self._parts(y, zero, rest, links, etas)
            if got is None:
                return None
            d1, d2 = got
            d1[z], d2[(z, z)], h1 = _chain(d1[z], d2[(z, z)], links[z], etas[z])
            for n in self._count_names:
                d2[(n, z)] = d2[(n, z)] * h1
        return d1, d2


class ZeroInflated(_ZeroModified):
    """Zero inflation of ``component`` with the probability ``pi``."""

    zero_parameter = "pi"

    def logpdf(self, y, *args, **params):
        pi, rest = self._split(args, params)
        lc = self.component.logpdf(y, **rest)
        y, lc, pi = as_float(y, lc, pi)
        with np.errstate(divide="ignore"):
            log_pi, log_rest = np.log(pi), np.log1p(-pi)
        return on_support(y, np.where(y == 0, np.logaddexp(log_pi, log_rest + lc),
                                      log_rest + lc))

    def _parts(self, y, pi, rest, links=None, etas=None):
        """Per-row ``(dl, d2l)`` dicts with ``pi`` on its natural scale; the mixture terms
        are evaluated on the zero rows only."""
        got = self._component_derivatives(y, rest, links, etas)
        if got is None:
            return None
        g, H = got
        y, pi = as_float(y, pi)
        zero = np.flatnonzero(y == 0)
        l0 = self.component.logpdf(np.zeros(zero.size), **_rows(rest, y.shape, zero))
        f0 = np.exp(l0)
        p0 = pi[zero] + (1.0 - pi[zero]) * f0
        q = (1.0 - pi[zero]) * f0 / p0
        names = self._count_names
        d1 = {n: _full(g[n], y.shape) for n in names}
        g0 = {n: d1[n][zero] for n in names}
        d2 = {}
        for a, b in _pairs(names):
            h = _full(_get(H, a, b), y.shape)
            h[zero] = q * h[zero] + q * (1.0 - q) * g0[a] * g0[b]
            d2[(a, b)] = h
        for n in names:
            d1[n][zero] = q * g0[n]
            cross = np.zeros(y.shape)
            cross[zero] = -f0 * g0[n] / (p0 * p0)
            d2[(n, "pi")] = cross
        d_pi = -1.0 / (1.0 - pi)
        d_pi[zero] = -np.expm1(l0) / p0
        d1["pi"], d2[("pi", "pi")] = d_pi, -d_pi * d_pi
        return d1, d2

    def start(self, y, weights):
        """The component's start on the positive counts' moments; ``pi`` from the excess
        of zeros over the component's ``P(0)``, clipped."""
        rest = self.component.start(y, weights)
        zeros = float(np.average(y == 0, weights=weights))
        p0 = float(np.exp(self.component.logpdf(np.zeros(1), **rest))[0])
        pi = float(np.clip((zeros - p0) / max(1.0 - p0, 1e-12), *PROB_START))
        rest["mu"] = rest["mu"] / (1.0 - pi)
        return {**rest, "pi": pi}

    def zero_part(self, *args, **params):
        """pscl's ``type = "zero"`` of ``zeroinfl``: the inflation probability ``pi``."""
        return self._split(args, params)[0]

    def mean(self, *args, **params):
        pi, rest = self._split(args, params)
        return (1.0 - pi) * self.component.mean(**rest)

    def variance(self, *args, **params):
        """``(1 - pi) (v + m^2) - ((1 - pi) m)^2`` with the component's ``m``, ``v``."""
        pi, rest = self._split(args, params)
        m, v = self.component.mean(**rest), self.component.variance(**rest)
        return (1.0 - pi) * (v + pi * m * m)

    def cdf(self, y, *args, **params):
        pi, rest = self._split(args, params)
        y, pi = as_float(y, pi)
        return np.where(y >= 0, pi + (1.0 - pi) * self.component.cdf(y, **rest), 0.0)

    def sample(self, rng, size, *args, **params):
        pi, rest = self._split(args, params)
        counts = self.component.sample(rng, size, **rest)
        return np.where(rng.random(size) < np.broadcast_to(pi, size), 0.0, counts)


class Hurdle(_ZeroModified):
    """A binary part ``hurdle = P(y > 0)`` and a zero-truncated ``component``."""

    zero_parameter = "hurdle"

    def _neg_log_p0(self, y, rest):
        """``-log P_c(0)`` in the broadcast shape of ``y`` and the count parameters."""
        shape = np.broadcast_shapes(np.shape(y), *(np.shape(v) for v in rest.values()))
        return -np.reshape(self.component.logpdf(np.zeros(shape), **rest), shape)

    def logpdf(self, y, *args, **params):
        h, rest = self._split(args, params)
        y = np.atleast_1d(np.asarray(y, dtype=float))
        lc = self.component.logpdf(y, **rest)
        y, lc, h, a = as_float(y, lc, h, self._neg_log_p0(y, rest))
        with np.errstate(divide="ignore"):
            positive = np.log(h) + zero_truncated_logpmf(lc, a)
            return on_support(y, np.where(y == 0, np.log1p(-h), positive))

    def _parts(self, y, h, rest, links=None, etas=None):
        """Per-row ``(dl, d2l)`` dicts with ``hurdle`` on its natural scale; the count
        part is evaluated on the positive rows only (it does not enter a zero)."""
        y, h = as_float(y, h)
        pos = np.flatnonzero(y != 0)
        sub = _rows(rest, y.shape, pos)
        sub_etas = None if etas is None else _rows(etas, y.shape, pos)
        at_y = self._component_derivatives(y[pos], sub, links, sub_etas)
        if at_y is None:
            return None
        g, H = at_y
        g0, H0 = self._component_derivatives(np.zeros(pos.size), sub, links, sub_etas)
        r = 1.0 / np.expm1(self._neg_log_p0(y[pos], sub))
        names = self._count_names
        d1, d2 = {}, {}
        for n in names:
            d1[n] = np.zeros(y.shape)
            d1[n][pos] = g[n] + r * g0[n]
            d2[(n, "hurdle")] = np.zeros(y.shape)
        for a, b in _pairs(names):
            d2[(a, b)] = np.zeros(y.shape)
            d2[(a, b)][pos] = _get(H, a, b) + r * _get(H0, a, b) + r * (1.0 + r) * g0[a] * g0[b]
        d1["hurdle"] = np.where(y == 0, -1.0 / (1.0 - h), 1.0 / h)
        d2[("hurdle", "hurdle")] = -d1["hurdle"] ** 2
        return d1, d2

    def start(self, y, weights):
        """``hurdle`` at the share of positive counts; the component's start from the
        positive counts (its mean then lowered to the untruncated one, roughly)."""
        positive = y > 0
        share = float(np.average(positive, weights=weights))
        if not positive.any():
            return {**self.component.start(y, weights), "hurdle": PROB_START[0]}
        w = None if weights is None else np.asarray(weights)[positive]
        rest = self.component.start(y[positive] - 1.0, w)
        rest["mu"] = max(rest["mu"], 0.1)
        return {**rest, "hurdle": float(np.clip(share, *PROB_START))}

    def zero_part(self, *args, **params):
        """pscl's ``type = "zero"`` of ``hurdle``: ``P(y > 0)`` under the binary part over
        ``P(y > 0)`` under the untruncated count component (1 when they agree)."""
        h, rest = self._split(args, params)
        return self._positive(h, rest)

    def _positive(self, h, rest):
        """``h / (1 - P_c(0))``, the factor from the count's moments to the hurdle's."""
        return np.exp(np.log(h) - log1mexp(self._neg_log_p0(h, rest)))

    def mean(self, *args, **params):
        h, rest = self._split(args, params)
        return self._positive(h, rest) * self.component.mean(**rest)

    def variance(self, *args, **params):
        """``E y^2 - (E y)^2``, ``E y^2 = h (v + m^2) / (1 - P_c(0))``."""
        h, rest = self._split(args, params)
        m, v = self.component.mean(**rest), self.component.variance(**rest)
        k = self._positive(h, rest)
        return k * (v + m * m) - (k * m) ** 2

    def cdf(self, y, *args, **params):
        h, rest = self._split(args, params)
        y, h, a = as_float(y, h, self._neg_log_p0(np.asarray(y, dtype=float), rest))
        p0 = np.exp(-a)
        trunc = (self.component.cdf(y, **rest) - p0) / -np.expm1(-a)
        return np.where(y >= 0, 1.0 - h + h * np.clip(trunc, 0.0, 1.0), 0.0)

    def sample(self, rng, size, *args, **params):
        """The count part by inversion of the component's distribution above its zero."""
        h, rest = self._split(args, params)
        rest = {k: np.broadcast_to(v, size) for k, v in rest.items()}
        a = self._neg_log_p0(np.zeros(size), rest)
        p0 = np.exp(-a)
        u = p0 + rng.random(size) * -np.expm1(-a)
        counts = np.maximum(self._ppf(u, rest), 1.0)
        return np.where(rng.random(size) < np.broadcast_to(h, size), counts, 0.0)

    def _ppf(self, u, rest):
        mu = rest["mu"]
        theta = rest.get("theta")
        if theta is None:
            return stats.poisson.ppf(u, mu)
        finite = np.isfinite(theta)
        th = np.where(finite, theta, 1.0)
        nb = stats.nbinom.ppf(u, th, th / (th + mu))
        return np.where(finite, nb, stats.poisson.ppf(u, mu))
