r"""The ordinal family: cumulative-link (proportional-odds) models of an ordered response.

With levels ``1 < 2 < ... < K`` and cutpoints ``theta_1 < ... < theta_{K-1}``,

.. math::

    P(Y \le j \mid x) = F(\theta_j - x'\beta), \qquad j = 1, \dots, K - 1,

R's convention (``MASS::polr``, ``ordinal::clm``, statsmodels ``OrderedModel``): a
positive ``beta`` moves the response up. ``F`` is the link's distribution: logistic
(``"logit"``, proportional odds, the default), normal (``"probit"``), ``1 - exp(-exp(x))``
(``"cloglog"``), ``exp(-exp(-x))`` (``"loglog"``) or Cauchy (``"cauchit"``).

The family is registered unbound (``family="ordinal"``, or ``Ordinal(link=..., levels=...)``
for another link or a declared order) and bound to the response's levels when the fit
starts (:mod:`mlefit.binding`): the bound family has the parameter ``location`` (the main
formula, whose intercept is dropped: the cutpoints are the intercepts) and one parameter
``cut1 .. cut{K-1}`` per cutpoint, each intercept-only with its coefficient named by R's
label (``"Low|Medium"``), so ``params``, ``bse`` and the summary show the cutpoints on
their own scale. The cutpoints' order is a constraint of the likelihood: outside the
ordered cone it is ``-inf``, so Newton's line search never leaves it (start values are
ordered). A cutpoint may get a formula of its own (``cut2="~ x"``): the nominal effects
of :func:`mlefit.nominal_test`.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from mlefit import Family, Parameter, hookimpl
from mlefit.domains import NonNegativeIntegers, Real
from mlefit.errors import DataError

from . import _categorical

__all__ = ["LINKS", "BoundOrdinal", "Ordinal", "register_families"]

_SQRT_2PI = np.sqrt(2.0 * np.pi)


def _ex(x):
    with np.errstate(over="ignore"):
        return np.exp(x)


class _Logistic:
    cdf = staticmethod(special.expit)
    quantile = staticmethod(special.logit)

    @staticmethod
    def sf(x):
        return special.expit(-x)

    @staticmethod
    def pdf(x):
        F = special.expit(x)
        return F * (1.0 - F)

    @staticmethod
    def dpdf(x):
        F = special.expit(x)
        return F * (1.0 - F) * (1.0 - 2.0 * F)


class _Normal:
    cdf = staticmethod(special.ndtr)
    quantile = staticmethod(special.ndtri)

    @staticmethod
    def sf(x):
        return special.ndtr(-x)

    @staticmethod
    def pdf(x):
        return np.exp(-0.5 * x * x) / _SQRT_2PI

    @staticmethod
    def dpdf(x):
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(x), -x * np.exp(-0.5 * x * x) / _SQRT_2PI, 0.0)


class _Cloglog:
    """``F(x) = 1 - exp(-exp(x))`` (the Gumbel minimum)."""

    @staticmethod
    def cdf(x):
        return -np.expm1(-_ex(x))

    @staticmethod
    def sf(x):
        return np.exp(-_ex(x))

    @staticmethod
    def pdf(x):
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(x), np.exp(x - _ex(x)), 0.0)

    @staticmethod
    def dpdf(x):
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(x), np.exp(x - _ex(x)) * (1.0 - _ex(x)), 0.0)

    @staticmethod
    def quantile(p):
        return np.log(-np.log1p(-p))


class _Loglog:
    """``F(x) = exp(-exp(-x))`` (the Gumbel maximum)."""

    @staticmethod
    def cdf(x):
        return np.exp(-_ex(-x))

    @staticmethod
    def sf(x):
        return -np.expm1(-_ex(-x))

    @staticmethod
    def pdf(x):
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(x), np.exp(-x - _ex(-x)), 0.0)

    @staticmethod
    def dpdf(x):
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(x), np.exp(-x - _ex(-x)) * (_ex(-x) - 1.0), 0.0)

    @staticmethod
    def quantile(p):
        return -np.log(-np.log(p))


class _Cauchy:
    @staticmethod
    def cdf(x):
        return 0.5 + np.arctan(x) / np.pi

    @staticmethod
    def sf(x):
        return 0.5 - np.arctan(x) / np.pi

    @staticmethod
    def pdf(x):
        with np.errstate(over="ignore"):
            return 1.0 / (np.pi * (1.0 + x * x))

    @staticmethod
    def dpdf(x):
        with np.errstate(over="ignore", invalid="ignore"):
            return np.where(np.isfinite(x), -2.0 * x / (np.pi * (1.0 + x * x) ** 2), 0.0)

    @staticmethod
    def quantile(p):
        return np.tan(np.pi * (p - 0.5))


#: the cumulative links: name -> the distribution F (cdf, sf, pdf, its derivative, quantile)
LINKS = {"logit": _Logistic, "probit": _Normal, "cloglog": _Cloglog, "loglog": _Loglog,
         "cauchit": _Cauchy}


class Ordinal(_categorical.Unbound, Family):
    """Cumulative-link model of an ordered response, unbound: ``Ordinal(link="logit",
    levels=None)``. ``levels`` declares the order of a response of text or numbers (an
    ordered pandas Categorical declares its own; numbers are otherwise sorted)."""

    name = "ordinal"
    aliases = ("polr", "clm")
    support = NonNegativeIntegers()
    #: a placeholder for the registry: the bound family's parameters are the real ones
    parameters = (Parameter("location", Real(), link="identity", links=("identity",),
                            intercept=False, description="x'beta (bound to the response's "
                            "levels when the fit starts)"),)

    def __init__(self, link: str = "logit", levels=None):
        if link not in LINKS:
            raise DataError(f"link={link!r} is not a cumulative link of the ordinal family; "
                            f"choose one of {list(LINKS)}.")
        self.link = link
        self.levels = None if levels is None else tuple(levels)

    def logpdf(self, y, location):
        self._unbound("cutpoints")

    def bind(self, summary):
        levels = _categorical.ordered_levels(summary, self.levels, family=self.name,
                                             need_order=True)
        return BoundOrdinal(levels, self.link)

    def example_response(self, rng, n):
        """Four ordered levels, for the conformance kit."""
        return rng.integers(1, 5, size=n)


class BoundOrdinal(_categorical.LastRows, _categorical.IdentityScale, Family):
    """The ordinal family bound to ``levels`` (in order) with the cumulative ``link``."""

    name = "ordinal"
    support = NonNegativeIntegers()

    def __init__(self, levels: tuple, link: str = "logit"):
        self.levels = tuple(levels)
        self.link = link
        self.K = len(self.levels)
        self.cuts = tuple(f"cut{j}" for j in range(1, self.K))
        labels = [f"{self.levels[j - 1]}|{self.levels[j]}" for j in range(1, self.K)]
        self.parameters = (
            Parameter("location", Real(), link="identity", links=("identity",),
                      intercept=False, description="x'beta: a larger value moves the "
                      "response up"),
            *(Parameter(c, Real(), link="identity", links=("identity",), label=lab,
                        typical=(j - self.K / 2.0, j - self.K / 2.0 + 0.5),
                        description=f"the cutpoint {lab} on the link's scale")
              for j, (c, lab) in enumerate(zip(self.cuts, labels, strict=True))),
        )

    def __reduce__(self):
        return (BoundOrdinal, (self.levels, self.link))

    def __repr__(self) -> str:
        return f"<family ordinal ({self.link}), levels {list(self.levels)}>"

    @property
    def F(self):
        return LINKS[self.link]

    def encode_response(self, column):
        return _categorical.encode(column, self.levels)

    # the rows' cutpoints -------------------------------------------------------------
    def _cut_matrix(self, n, params):
        """``n x (K + 1)``: ``-inf, theta_1 .. theta_{K-1}, inf`` per row."""
        C = np.empty((n, self.K + 1))
        C[:, 0], C[:, -1] = -np.inf, np.inf
        for j, c in enumerate(self.cuts, start=1):
            C[:, j] = params[c]
        return C

    def _rows(self, y, params):
        """``(a, b, k, P, inside)``: each row's upper and lower cutpoint minus the location,
        its level code, its probability, and whether it is a level whose interval is not
        empty (cutpoints in order: with constant cutpoints every adjacent pair is some
        level's interval, so a fit never leaves the ordered cone)."""
        y = np.asarray(y, dtype=float)
        n = y.shape[0]
        loc = np.broadcast_to(np.asarray(params["location"], dtype=float), (n,))
        C = self._cut_matrix(n, {c: np.broadcast_to(params[c], (n,)) for c in self.cuts})
        k = np.clip(np.nan_to_num(y), 0, self.K - 1).astype(int)
        upper = np.take_along_axis(C, (k + 1)[:, None], axis=1)[:, 0]
        lower = np.take_along_axis(C, k[:, None], axis=1)[:, 0]
        inside = (upper > lower) & (y == k)
        a, b = upper - loc, lower - loc
        return a, b, k, self._prob(a, b), inside

    def _prob(self, a, b):
        F = self.F
        with np.errstate(invalid="ignore"):
            upper = (a + b) > 0
        return np.where(upper, F.sf(b) - F.sf(a), F.cdf(a) - F.cdf(b))

    def logpdf(self, y, location, **cuts):
        _, _, _, P, inside = self._cached("_last_rows", self._rows, y,
                                          {"location": location, **cuts})
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(inside, np.log(P), -np.inf)

    def _pieces(self, y, location, cuts):
        """``(A, B, dA, dB, k)``: ``f(a)/P``, ``f(b)/P``, ``f'(a)/P``, ``f'(b)/P`` and the
        level codes of the rows."""
        return self._cached("_last_pieces", self._compute_pieces, y,
                            {"location": location, **cuts})

    def _compute_pieces(self, y, params):
        a, b, k, P, _ = self._cached("_last_rows", self._rows, y, params)
        F = self.F
        A, B = F.pdf(a) / P, F.pdf(b) / P
        dA, dB = F.dpdf(a) / P, F.dpdf(b) / P
        return A, B, dA, dB, k

    def dlogpdf(self, y, location, **cuts):
        A, B, _, _, k = self._pieces(y, location, cuts)
        out = {"location": B - A}
        for j, c in enumerate(self.cuts, start=1):
            out[c] = (k == j - 1) * A - (k == j) * B
        return out

    def d2logpdf(self, y, location, **cuts):
        A, B, dA, dB, k = self._pieces(y, location, cuts)
        aa, bb, ab = dA - A * A, -dB - B * B, A * B      # d2l/da2, d2l/db2, d2l/da db
        zero = np.zeros_like(A)
        out = {("location", "location"): aa + 2.0 * ab + bb}
        for j, c in enumerate(self.cuts, start=1):
            up, lo = k == j - 1, k == j         # cutpoint j is the row's upper / lower end
            out[("location", c)] = -(up * (aa + ab) + lo * (ab + bb))
            out[(c, c)] = up * aa + lo * bb
            for m, d in enumerate(self.cuts[j:], start=j + 1):
                out[(c, d)] = lo * ab if m == j + 1 else zero
        return out

    def _category_parts(self, location, cuts, n):
        """Per row: the category probabilities ``P`` (n x K) and ``g_j = f(theta_j - x'b)``
        (n x (K + 1), 0 at the infinite ends)."""
        loc = np.broadcast_to(np.asarray(location, dtype=float), (n,))
        C = self._cut_matrix(n, {c: np.broadcast_to(cuts[c], (n,)) for c in self.cuts})
        Z = C - loc[:, None]
        Fz = self.F.cdf(Z)
        g = self.F.pdf(Z)
        return np.diff(Fz, axis=1), g

    def expected_information(self, y, location, **cuts):
        """``I_ab = sum_c (dP_c/da)(dP_c/db) / P_c`` over the K categories."""
        n = np.asarray(y).shape[0]
        P, g = self._category_parts(location, cuts, n)
        dloc = -(g[:, 1:] - g[:, :-1])                 # dP_c / d location, c = 0..K-1
        out = {("location", "location"): np.sum(dloc * dloc / P, axis=1)}
        zero = np.zeros(n)
        for j, c in enumerate(self.cuts, start=1):
            # cutpoint j is category j-1's upper end (+g_j) and category j's lower (-g_j)
            gj = g[:, j]
            out[("location", c)] = dloc[:, j - 1] * gj / P[:, j - 1] - dloc[:, j] * gj / P[:, j]
            out[(c, c)] = gj * gj * (1.0 / P[:, j - 1] + 1.0 / P[:, j])
            for m, d in enumerate(self.cuts[j:], start=j + 1):
                out[(c, d)] = -gj * g[:, m] / P[:, j] if m == j + 1 else zero
        return out

    def probabilities(self, location, **cuts) -> np.ndarray:
        """Per row, the K category probabilities (n x K)."""
        loc = np.atleast_1d(np.asarray(location, dtype=float))
        n = np.broadcast_shapes(loc.shape, *(np.shape(v) for v in cuts.values()))[0]
        return self._category_parts(loc, cuts, n)[0]

    def start(self, y, weights):
        """Cutpoints at the link's quantiles of the cumulative proportions (the fit of the
        model without covariates), location 0."""
        counts = np.bincount(np.asarray(y, dtype=int), weights=weights, minlength=self.K)
        cum = np.cumsum(counts)[:-1] / counts.sum()
        cum = np.clip(cum, 1e-6, 1 - 1e-6)
        theta = np.maximum.accumulate(self.F.quantile(cum) + 1e-6 * np.arange(self.K - 1))
        return {"location": 0.0, **{c: float(t) for c, t in zip(self.cuts, theta, strict=True)}}

    def cdf(self, y, location, **cuts):
        y = np.asarray(y, dtype=float)
        n = y.shape[0]
        loc = np.broadcast_to(np.asarray(location, dtype=float), (n,))
        C = self._cut_matrix(n, {c: np.broadcast_to(cuts[c], (n,)) for c in self.cuts})
        k = np.clip(np.floor(y), -1, self.K - 1).astype(int)
        value = self.F.cdf(C[np.arange(n), np.maximum(k, 0) + 1] - loc)
        return np.where(k < 0, 0.0, value)

    def sample(self, rng, size, location, **cuts):
        shape = (size,) if np.ndim(size) == 0 else tuple(size)
        P = self.probabilities(np.broadcast_to(location, shape).ravel(),
                               **{c: np.broadcast_to(v, shape).ravel() for c, v in cuts.items()})
        return _categorical.draw(rng, P).reshape(shape)


@hookimpl
def register_families():
    return [Ordinal()]
