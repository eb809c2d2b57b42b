"""The negative binomial family NB1 (statsmodels' ``loglike_method="nb1"``).

``E[y] = mu`` and ``Var[y] = mu (1 + alpha)``: the variance is a constant multiple of the
mean (NB2's grows with its square). It is a Poisson whose mean is gamma distributed with
shape ``mu/alpha`` and scale ``alpha``, i.e. ``NB(size = mu/alpha, prob = 1/(1 + alpha))``.
``alpha`` lives in ``[0, inf)``; ``alpha = 0`` is the Poisson, which the family declares
as a boundary reduction, so a fit to equidispersed data ends at the Poisson with a
warning. ``mu`` takes the log (default), identity or sqrt link, ``alpha`` the log link
(its coefficients are ``log(alpha)``).
"""

from __future__ import annotations

import numpy as np
from scipy import special

from mlefit import Family, Parameter, Reduction, hookimpl
from mlefit.domains import NonNegative, NonNegativeIntegers

from ._counts import (
    STIRLING_MIN,
    as_float,
    by_count,
    digamma_remainder,
    lgamma_ratio,
    log1p_ratio,
    log1pmx_cube,
    log1pmx_sq,
    log_factorial,
    mean_parameter,
    nb_cdf_sf,
    nb_log_cdf_sf,
    of_parameter,
    on_support,
    remainder_combination,
    split,
    trigamma,
    trigamma_remainder,
    xlogy,
)

#: start values of alpha are clipped to this range
ALPHA_START = (0.01, 100.0)
#: counts up to this value get their derivatives from exact finite sums over ``k < y``
SUM_LIMIT = 32
#: larger counts use Stirling's series when ``mu/alpha >= 15`` and ``y < FAR mu/alpha``,
#: digamma and trigamma otherwise (each is the more accurate one there)
FAR = 4.0
#: the support is summed from this many standard deviations below the mean (the mass
#: further left is below 1e-31) for the expected information
LEFT_SDS = 12.0
#: the sum stops once the terms left are below this fraction of the sums
TAIL = 1e-18
#: steps between two checks of the stopping rule
CHECK_EVERY = 4
#: the running mass ratios are divided by themselves above this (they start at the first
#: summed y, where the mass may be 1e-400 of the mode's when that y is 0)
RESCALE = 1e100


# functions of alpha alone ----------------------------------------------------------------
def _g1(alpha):
    """``G1 = (log1p(alpha) - alpha/(1 + alpha)) / alpha^2`` (1/2 at 0) = ``-rho'(alpha)``,
    ``rho = log1p(alpha)/alpha``: ``g(alpha) + 1/(1 + alpha)`` below 1 (``g`` =
    log1pmx_sq), directly above (each form cancels at the other end)."""
    return split(alpha < 1.0, lambda a: log1pmx_sq(a) + 1.0 / (1.0 + a),
                 lambda a: (np.log1p(a) - a / (1.0 + a)) / (a * a), alpha)


def _g2(alpha):
    """``G2 = dG1/dalpha`` (-2/3 at 0): ``alpha/(1 + alpha)^2 - 2 h(alpha)`` below 1 (``h``
    = log1pmx_cube), ``(1/(1 + alpha)^2 - 2 G1)/alpha`` above."""
    def small(a):
        return a / (1.0 + a) ** 2 - 2.0 * log1pmx_cube(a)

    def large(a):
        return (1.0 / (1.0 + a) ** 2 - 2.0 * _g1(a)) / a

    return split(alpha < 1.0, small, large, alpha)


def _alpha_terms(alpha, second):
    """``rho, G1`` (and ``G2``) per row, once when alpha is one constant."""
    rho = of_parameter(log1p_ratio, alpha)
    g1 = of_parameter(_g1, alpha)
    return (rho, g1, of_parameter(_g2, alpha)) if second else (rho, g1)


# the sums over k < y -----------------------------------------------------------------------
def _sum_terms(k, mu, alpha, second):
    """Terms of ``T0, T1`` (and ``U0, U1, U2``) at ``k``: ``k^j/(mu + k alpha)^i``."""
    d = 1.0 / (mu + k * alpha)
    kd = k * d
    return (d, kd, d * d, d * kd, kd * kd) if second else (d, kd)


def _finite_sums(y, mu, alpha, second):
    """``T_j = sum_{k<y} k^j/(mu + k alpha)`` (j = 0, 1) and ``U_j = sum_{k<y} k^j/(mu +
    k alpha)^2`` (j = 0, 1, 2): exact sums of positive terms, one pass per ``k`` over the
    rows with ``y > k`` (sorted by ``y``), or a table when ``mu`` and ``alpha`` are
    constant."""
    idx = y.astype(np.intp)
    if y.size > 1 and mu.min() == mu.max() and alpha.min() == alpha.max() \
            and np.array_equal(idx, y) and idx.min() >= 0:
        k = np.arange(float(idx.max()))
        terms = _sum_terms(k, mu.flat[0], alpha.flat[0], second)
        return tuple(np.concatenate([[0.0], np.cumsum(t)])[idx] for t in terms)
    key = np.clip(idx, -1, SUM_LIMIT).astype(np.int16)   # small integers: a radix sort
    order = np.argsort(key, kind="stable")
    ms, al = mu[order], alpha[order]
    top = int(key[order[-1]]) if key.size else 0
    starts = np.searchsorted(key[order], np.arange(top), side="right")
    sums = np.zeros((5 if second else 2, y.size))
    for k in range(top):
        s = starts[k]
        for acc, t in zip(sums, _sum_terms(float(k), ms[s:], al[s:], second), strict=True):
            acc[s:] += t
    out = np.empty_like(sums)
    out[:, order] = sums
    return tuple(out)


def _from_sums(y, mu, alpha, sums, second):
    """Derivatives from the sums: ``l = sum_{k<y} log(mu + k alpha) - mu rho(alpha)
    - y log1p(alpha) - log y!``."""
    ma = 1.0 + alpha
    terms = _alpha_terms(alpha, second)
    rho, g1 = terms[0], terms[1]
    d1 = (sums[0] - rho, sums[1] + mu * g1 - y / ma)
    if not second:
        return d1
    return (*d1, -sums[2], g1 - sums[3], mu * terms[2] + y / (ma * ma) - sums[4])


def _small_counts(y, mu, alpha, second):
    return _from_sums(y, mu, alpha, _finite_sums(y, mu, alpha, second), second)


def _digamma_sums(y, mu, alpha, second):
    """The sums from digamma and trigamma, for ``y > 32`` and size ``r = mu/alpha < 15``
    or ``y >= 4r``: then ``y > 2r`` and none of the differences below cancels much (for
    ``y << r`` they would: ``psi(y + r) - psi(r) ~ y/r``). The ``k = 0`` terms are taken
    out (``1/r`` in ``psi(y + r) - psi(r)`` and ``-1/r^2`` in the trigamma difference
    would cancel in ``U1`` when ``r`` is small): with ``dpsi = psi(y + r) - psi(1 + r)``,
    ``dpsi1 = psi'(y + r) - psi'(1 + r)``: ``T0 = 1/mu + dpsi/alpha``, ``T1 = A1/alpha``,
    ``A1 = y - 1 - r dpsi``; ``U0 = 1/mu^2 - dpsi1/alpha^2``, ``U1 = B1/alpha^2``,
    ``B1 = dpsi + r dpsi1``; ``U2 = (A1 - r B1)/alpha^2``."""
    r = mu / alpha
    dpsi = special.digamma(y + r) - special.digamma(1.0 + r)
    t0 = 1.0 / mu + dpsi / alpha
    a1 = y - 1.0 - r * dpsi
    if not second:
        return _from_sums(y, mu, alpha, (t0, a1 / alpha), False)
    dpsi1 = trigamma(y + r) - trigamma(1.0 + r)
    b1 = dpsi + r * dpsi1
    a2 = alpha * alpha
    sums = (t0, a1 / alpha, 1.0 / (mu * mu) - dpsi1 / a2, b1 / a2, (a1 - r * b1) / a2)
    return _from_sums(y, mu, alpha, sums, True)


def _stirling(y, mu, alpha, second):
    """Derivatives for ``y > 32`` and ``15 <= r = mu/alpha < y/4`` (``alpha = 0`` too).

    NB1 is NB2 with size ``r``; with ``a = 1/r = alpha/mu``, ``tu = (y - mu)/(1 + alpha)``,
    ``u = a tu``, ``ya = 1 + y a``, ``beta = a/ya``, the NB2 quantities
    ``H1 = r^2 dl/dr`` and ``H2 = r^3 d2l/dr2`` (see negative_binomial.py):
    ``H1 = g(u) tu^2 + y/(2 ya) + R(a^2) - R(beta^2)/ya^2``,
    ``H2 = tu^2/ya - y (1 + ya)/(2 ya^2) + Q(a^2) - Q(beta^2)/ya^3``,
    and ``K = r (2 H1 + H2)`` (``2 H1 + H2`` is O(1/r): its O(1) terms cancel exactly):
    ``K = tu^2 (2 tu h(u) - y/ya) + y^2/(2 ya^2) + a P(a^2) - (a P(beta^2)/ya^2
    + 2 y R(beta^2))/ya^3`` (``h`` = log1pmx_cube, ``P = (2R + Q)/z``). The chain rule
    through ``r = mu/alpha`` gives ``dl/dalpha = -H1/mu``, ``dl/dmu = (tu + a H1)/mu``,
    ``d2l/dalpha2 = K/mu^2``, ``d2l/dmu dalpha = -(H1 + H2)/mu^2 - tu/(mu (1 + alpha))``;
    ``d2l/dmu2 = -U0`` from Stirling's series of trigamma:
    ``mu^2 U0 = y (1 + (a + beta)/2)/ya - a (Q(a^2) - Q(beta^2)/ya^3)``.
    """
    a = alpha / mu
    ma = 1.0 + alpha
    ya = 1.0 + y * a
    tu = (y - mu) / ma
    u = a * tu
    beta = a / ya
    r_beta = digamma_remainder(beta)
    h1 = (log1pmx_sq(u) * tu * tu + y / (2.0 * ya) + of_parameter(digamma_remainder, a)
          - r_beta / (ya * ya))
    d1 = ((tu + a * h1) / mu, -h1 / mu)
    if not second:
        return d1
    ya3 = ya**3
    q_a, q_beta = of_parameter(trigamma_remainder, a), trigamma_remainder(beta)
    h2 = tu * tu / ya - y * (1.0 + ya) / (2.0 * ya * ya) + q_a - q_beta / ya3
    k = (tu * tu * (2.0 * tu * log1pmx_cube(u) - y / ya) + y * y / (2.0 * ya * ya)
         + a * of_parameter(remainder_combination, a)
         - (a * remainder_combination(beta) / (ya * ya) + 2.0 * y * r_beta) / ya3)
    mu2 = mu * mu
    u0 = y * (1.0 + 0.5 * (a + beta)) / ya - a * (q_a - q_beta / ya3)
    return (*d1, -u0 / mu2, -(h1 + h2) / mu2 - tu / (mu * ma), k / mu2)


def _large_counts(y, mu, alpha, second):
    stirling = (mu >= STIRLING_MIN * alpha) & (y * alpha < FAR * mu)
    return split(stirling, lambda *a: _stirling(*a, second),
                 lambda *a: _digamma_sums(*a, second), y, mu, alpha)


def derivatives(y, mu, alpha, second=True):
    """``(dl/dmu, dl/dalpha)`` and, if ``second``, ``(d2l/dmu2, d2l/dmu dalpha,
    d2l/dalpha2)`` per row, on the natural scale."""
    y, mu, alpha = as_float(y, mu, alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        return split(y <= SUM_LIMIT, lambda *a: _small_counts(*a, second),
                     lambda *a: _large_counts(*a, second), y, mu, alpha)


# the expected information --------------------------------------------------------------------
def _score_variance_rows(mu, alpha):
    """``V = E[H1(Y)^2]`` for distinct rows, by summation over the support.

    ``w = p(y)/p(first y)`` and the sums are rescaled together when ``w`` passes
    ``RESCALE`` (only ratios of them are used). A row stops once past the mode its terms
    decrease and what is left (less than ``2 (1 + alpha)`` times the last term: the ratio
    of consecutive probabilities tends to ``alpha/(1 + alpha)``) is below ``TAIL`` of both
    sums; the test runs every
    ``CHECK_EVERY`` steps, and finished rows leave the arrays in batches.
    """
    sd = np.sqrt(mu * (1.0 + alpha))
    y = np.floor(np.maximum(mu - LEFT_SDS * sd, 0.0))
    h = -mu * derivatives(y, mu, alpha, second=False)[1]           # H1 at the first y
    ma = 1.0 + alpha
    w = np.ones(mu.shape)                                          # p(y) / p(first y)
    s0, s2 = np.zeros(mu.shape), np.zeros(mu.shape)
    out = np.empty(mu.shape)
    rows = np.arange(mu.size)
    prev = np.full(mu.shape, np.inf)
    finished = np.zeros(mu.shape, dtype=bool)
    step = 0
    while rows.size:
        s0 += w
        s2 += w * h * h
        ahead = mu + y * alpha
        grow = ahead / ((y + 1.0) * ma)                             # p(y + 1) / p(y)
        h = h + mu * (mu - y) / (ahead * ma)                        # H1(y + 1)
        w, y, step = w * grow, y + 1.0, step + 1
        if step % CHECK_EVERY:
            continue
        big = w > RESCALE                       # far below the mode at the start: rescale
        if big.any():
            w, s0, s2, prev = (np.where(big, v / w, v) for v in (w, s0, s2, prev))
        size = w * (1.0 + h * h)
        room = TAIL / (2.0 + 2.0 * alpha)
        finished |= (grow < 1.0) & (size < prev) & (size < room * s2) & (w < room * s0)
        prev = size
        if not np.isfinite(s2).all():
            raise FloatingPointError("nb1: the expected information overflowed; use "
                                     "cov_type='observed'")
        if finished.sum() * 8 >= finished.size:
            out[rows[finished]] = s2[finished] / s0[finished]
            keep = ~finished
            rows, mu, alpha, ma, y, h, w, s0, s2, prev, finished = (
                v[keep] for v in (rows, mu, alpha, ma, y, h, w, s0, s2, prev, finished))
    return out


def score_variance(mu, alpha):
    """``V(mu, alpha) = E[H1(Y)^2]`` per row, ``H1 = -mu dl/dalpha``: the NB2 information
    of the size ``r = mu/alpha`` times ``r^4`` (``mu^2/2`` at ``alpha = 0``).

    ``H1(y) = G(y) - mu^2 G1(alpha)`` with ``G(y) = sum_{k<y} mu (mu - k)/((mu + k alpha)
    (1 + alpha))``, so ``H1`` and ``p(y)`` follow by one recursion each from the first
    summed ``y`` (``LEFT_SDS`` standard deviations below the mean, or 0), and ``V`` is a
    sum of non-negative terms (the expectation of ``-d2l/dalpha2`` would cancel: its
    terms are O(mu) while ``V/mu^2`` is O(1)). Cost: one pass over the distinct rows per
    ``y`` up to the far tail, about ``mu + 12 sd`` plus ``40 (1 + alpha)`` steps.
    """
    mu, alpha = as_float(mu, alpha)
    pairs, inverse = np.unique(mu + 1j * alpha, return_inverse=True)
    return _score_variance_rows(pairs.real.copy(), pairs.imag.copy())[inverse.reshape(mu.shape)]


class NegativeBinomial1(Family):
    r"""Negative binomial NB1 with mean ``mu`` and dispersion ``alpha``.

    .. math::

        \log p(y; \mu, \alpha) = \log\Gamma(y + \mu/\alpha) - \log\Gamma(\mu/\alpha)
            - \log y! + y \log\alpha - (y + \mu/\alpha) \log(1 + \alpha)
            = \sum_{k<y} \log(\mu + k\alpha) - \mu \frac{\log(1 + \alpha)}{\alpha}
            - y \log(1 + \alpha) - \log y!,

    ``E y = mu``, ``Var y = mu (1 + alpha)``: ``y ~ NB(size = mu/alpha, prob = 1/(1 +
    alpha))``, ``scipy.stats.nbinom(n=mu/alpha, p=1/(1 + alpha))``. This is statsmodels'
    ``NegativeBinomial(loglike_method="nb1")`` (its ``_ll_nbin`` with ``Q = 1``: ``size =
    mu/alpha``, ``prob = size/(size + mu) = 1/(1 + alpha)``), Stata's ``nbreg,
    dispersion(constant)`` (which calls alpha ``delta``) and gamlss' ``NBII`` (``sigma =
    alpha``). The first form is evaluated as ``D(y, mu/alpha) + y log mu - log y! - (mu +
    y alpha) log1p(alpha)/alpha`` with NB2's ``D = log Gamma(y + r) - log Gamma(r) - y
    log r`` (Stirling's series for large ``r``), so it is exact at ``alpha = 0``, where it
    is the Poisson.

    Derivatives, from the second form: with ``T_j = sum_{k<y} k^j/(mu + k alpha)``,
    ``U_j = sum_{k<y} k^j/(mu + k alpha)^2``, ``rho = log1p(alpha)/alpha``, ``G1 =
    -rho'``, ``G2 = G1'``:

    * ``dl/dmu = T0 - rho``; ``dl/dalpha = T1 + mu G1 - y/(1 + alpha)``;
    * ``d2l/dmu2 = -U0``; ``d2l/dmu dalpha = G1 - U1``;
      ``d2l/dalpha2 = mu G2 + y/(1 + alpha)^2 - U2``.

    The size ``mu/alpha`` depends on ``mu``, so ``T0 = (psi(y + r) - psi(r))/alpha`` and
    ``U0 = -(psi'(y + r) - psi'(r))/alpha^2`` are digamma and trigamma differences. The
    sums are exact finite sums for ``y <= 32`` (cheaper than the special functions, and
    free of their cancellation when ``y`` is small: for ``y = 1`` and ``mu << 1`` the
    digamma form of ``dl/dalpha`` loses ``log10(1/mu)`` digits); for larger ``y`` they
    come from digamma and trigamma when ``r = mu/alpha < 15`` and from NB2's Stirling
    quantities otherwise (see ``_stirling``). Every derivative is finite at ``alpha = 0``:
    ``dl/dalpha = ((y - mu)^2 - y)/(2 mu)`` there.

    Expected information: with ``V = E[H1(Y)^2]`` (``score_variance``),
    ``I_mu_mu = 1/(mu (1 + alpha)) + alpha^2 V/mu^4``, ``I_mu_alpha = -alpha V/mu^3``,
    ``I_alpha_alpha = V/mu^2`` (NB2's block-diagonal information in ``(mu, r)``
    transformed to ``(mu, alpha)``; ``1/mu``, 0, 1/2 at the Poisson). ``V`` has no closed
    form; it is summed over the support per distinct row, exactly (to rounding), at a
    cost of about ``mu + 12 sd + 40 (1 + alpha)`` vectorised passes.
    """

    name = "nb1"
    support = NonNegativeIntegers()
    parameters = (
        mean_parameter(),
        Parameter("alpha", NonNegative(), link="log", links=("log",), typical=(0.05, 5.0),
                  description="dispersion; Var = mu (1 + alpha), 0 is the Poisson"),
    )
    reductions = (Reduction("poisson", "alpha", 0.0, boundary=True),)
    #: the expected information is summed over the support (mu + 12 sd + 40 (1 + alpha)
    #: passes): too slow for Newton's fallback at large means
    expected_in_optimiser = False

    def logpdf(self, y, mu, alpha):
        y, mu, alpha = as_float(y, mu, alpha)
        with np.errstate(divide="ignore"):
            r = mu / alpha
        core = (by_count(lgamma_ratio, y, r) + xlogy(y, mu) - log_factorial(y)
                - (mu + y * alpha) * of_parameter(log1p_ratio, alpha))
        return on_support(y, core)

    def dlogpdf(self, y, mu, alpha):
        d_mu, d_alpha = derivatives(y, mu, alpha, second=False)
        return {"mu": d_mu, "alpha": d_alpha}

    def d2logpdf(self, y, mu, alpha):
        _, _, mm, ma, aa = derivatives(y, mu, alpha)
        return {("mu", "mu"): mm, ("mu", "alpha"): ma, ("alpha", "alpha"): aa}

    def eta_derivatives(self, y, links, mu, alpha):
        """Log links on both: every derivative from one pass (``dlogpdf`` and ``d2logpdf``
        would compute the sums twice); finite at ``eta_alpha = -inf`` (the Poisson)."""
        if links["mu"] != "log" or links["alpha"] != "log":
            return None
        with np.errstate(over="ignore", invalid="ignore"):
            m, a = np.exp(mu), np.exp(alpha)
            s_mu, s_alpha, mm, ma, aa = derivatives(y, m, a)
            d1 = {"mu": s_mu * m, "alpha": s_alpha * a}
            d2 = {("mu", "mu"): mm * m * m + d1["mu"], ("mu", "alpha"): ma * m * a,
                  ("alpha", "alpha"): aa * a * a + d1["alpha"]}
        return d1, d2

    def expected_information(self, y, mu, alpha):
        """Exact (to rounding), through ``score_variance``; see the class docstring."""
        y, mu, alpha = as_float(y, mu, alpha)
        v = score_variance(mu, alpha)
        mu2 = mu * mu
        return {("mu", "mu"): 1.0 / (mu * (1.0 + alpha)) + alpha * alpha * v / (mu2 * mu2),
                ("mu", "alpha"): -alpha * v / (mu2 * mu),
                ("alpha", "alpha"): v / mu2}

    def start(self, y, weights):
        """``mu`` at the mean; ``alpha = var/mean - 1`` (moments), clipped."""
        mean = float(np.average(y, weights=weights))
        var = float(np.average((y - mean) ** 2, weights=weights))
        alpha = var / mean - 1.0 if mean > 0 else ALPHA_START[0]
        return {"mu": mean if mean > 0 else 0.1,
                "alpha": float(np.clip(alpha, *ALPHA_START))}

    def mean(self, mu, alpha):
        return mu

    def variance(self, mu, alpha):
        return mu * (1.0 + alpha)

    def cdf(self, y, mu, alpha):
        """``P(Y <= y)``: the negative binomial of size ``mu/alpha`` (``_counts.nb_cdf_sf``,
        accurate as ``alpha`` goes to 0); the Poisson at ``alpha = 0``."""
        k, mu, alpha = as_float(np.floor(y), mu, alpha)
        return nb_cdf_sf(k, *self._size(mu, alpha), self._logpmf(mu, alpha))[0]

    def _logpmf(self, mu, alpha):
        return lambda j, idx: self.logpdf(j, mu[idx], alpha[idx])

    @staticmethod
    def _size(mu, alpha):
        mu, alpha = as_float(mu, alpha)
        with np.errstate(divide="ignore"):
            return mu / alpha, mu

    def _log_cdf_sf(self, y, mu, alpha):
        k, mu, alpha = as_float(np.floor(y), mu, alpha)
        size, mu = self._size(mu, alpha)
        return nb_log_cdf_sf(k, size, mu, self._logpmf(mu, alpha))

    def logcdf(self, y, mu, alpha):
        """``log P(Y <= y)``, accurate in both tails and as ``alpha`` goes to 0."""
        return self._log_cdf_sf(y, mu, alpha)[0]

    def logsf(self, y, mu, alpha):
        """``log P(Y > y)``, accurate in both tails and as ``alpha`` goes to 0."""
        return self._log_cdf_sf(y, mu, alpha)[1]

    def sample(self, rng, size, mu, alpha):
        """Gamma-Poisson mixture: ``lambda ~ Gamma(mu/alpha, alpha)``, ``y ~ Poisson``."""
        mu, alpha = np.broadcast_to(mu, size), np.broadcast_to(alpha, size)
        positive = alpha > 0
        scale = np.where(positive, alpha, 1.0)
        lam = np.where(positive, rng.gamma(mu / scale, scale), mu)
        return rng.poisson(lam).astype(float)


@hookimpl
def register_families():
    return [NegativeBinomial1()]
