"""Private numerics shared by the count families (Poisson, negative binomials, ZIP).

The negative binomial log density and its derivatives contain differences such as
``lgamma(y + theta) - lgamma(theta) - y log(theta)`` and ``digamma(y + theta) -
digamma(theta) - log1p(y / theta)`` whose terms are of size ``theta log(theta)`` while the
difference is of size ``y^2 / theta``: evaluated naively they lose every digit for large
``theta`` (1e8 and beyond) and are NaN at ``theta = inf`` (the Poisson limit). The helpers
here evaluate them from Stirling's series for ``theta >= STIRLING_MIN`` and from the
special functions below it, with every quantity written in ``alpha = 1/theta`` so that
``theta = inf`` is an ordinary value.

Series (``B_2k`` Bernoulli numbers, eight terms, ``x >= 15``: the first omitted term is
below 1e-16 of the sum):

* ``lgamma(x) = (x - 1/2) log x - x + log(2 pi)/2 + x^-1 C(x^-2)``,
  ``C(z) = sum_k B_2k / (2k (2k - 1)) z^(k-1)``;
* ``digamma(x) = log x - 1/(2x) - x^-2 R(x^-2)``, ``R(z) = sum_k B_2k / (2k) z^(k-1)``;
* ``d/dx [x^-2 R(x^-2)] = x^-3 Q(x^-2)``, ``Q(z) = -sum_k B_2k z^(k-1)``.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from mlefit import Parameter
from mlefit.domains import Domain, Positive
from mlefit.engine.censored import log1mexp as censored_log1mexp

#: Stirling's series is used for theta at or above this value.
STIRLING_MIN = 15.0

_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_C = tuple(b / (2 * k * (2 * k - 1)) for k, b in enumerate(_BERNOULLI, start=1))
_R = tuple(b / (2 * k) for k, b in enumerate(_BERNOULLI, start=1))
_Q = tuple(-b for b in _BERNOULLI)
#: atanh series 1/3 + z/5 + z^2/7 + ...: six terms give full precision for |u| < 0.1
_ATANH = tuple(1 / (2 * k + 3) for k in range(6))
#: the same series to twenty terms: full precision for |u| < 1/2 (v^2 <= 1/9)
_ATANH_WIDE = tuple(1 / (2 * k + 3) for k in range(20))
#: (2 R(z) + Q(z)) / z = sum_{k>=2} B_2k (1/k - 1) z^(k-2) (the k = 1 terms cancel)
_P = tuple(b * (1 / k - 1) for k, b in enumerate(_BERNOULLI, start=1))[1:]

#: (0, inf]: a negative binomial size whose end inf is the Poisson limit.
POSITIVE_OR_INFINITE = Domain(0.0, np.inf, closed_upper=True)

#: [0, 1): a zero-inflation probability whose end 0 is the Poisson (no inflation).
PROBABILITY_OR_ZERO = Domain(0.0, 1.0, closed_lower=True)


def mean_parameter() -> Parameter:
    """The mean ``mu`` of every count family: log (default), identity or sqrt link."""
    return Parameter("mu", Positive(), links=("log", "identity", "sqrt"), typical=(0.5, 20.0),
                     description="mean of the count (Poisson part)")


def as_float(*arrays) -> list[np.ndarray]:
    """Broadcast to one shape (at least 1-d) as float arrays."""
    out = np.broadcast_arrays(*[np.atleast_1d(np.asarray(a, dtype=float)) for a in arrays])
    return [np.asarray(a) for a in out]


def on_support(y: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` where ``y`` is a non-negative integer, ``-inf`` elsewhere."""
    return np.where((y >= 0) & (np.floor(y) == y), values, -np.inf)


def poisson_logpmf(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``y log(mu) - mu - log(y!)`` (``0 log 0 = 0``), without the support check; ``log(y!)``
    tabulated for small counts (:func:`by_count`)."""
    return special.xlogy(y, mu) - mu - by_count(_log_factorial, y)


def _log_factorial(k):
    return special.gammaln(k + 1.0)


def of_parameter(f, x: np.ndarray) -> np.ndarray:
    """``f(x)`` for a parameter array, evaluated once when every row has the same value
    (an intercept-only parameter), which saves a special-function pass over the rows."""
    if x.size > 1 and x.min() == x.max():
        return np.broadcast_to(f(x[:1]), x.shape)
    return f(x)


#: largest count whose special functions :func:`by_count` tabulates
TABLE_LIMIT = 1 << 16


def by_count(f, y: np.ndarray, theta: np.ndarray | None = None) -> np.ndarray:
    """``f(y)`` or ``f(y, theta)`` per row, looked up in a table over ``0..max(y)`` when
    the counts are small non-negative integers (fewer than the rows) and ``theta`` has one
    value for every row (an intercept-only parameter): a gather instead of a
    special-function pass over the rows. Otherwise ``f`` is evaluated per row."""
    constant = theta is None or (theta.size > 1 and theta.min() == theta.max())
    if constant and y.size > 1:
        top, low = float(y.max()), float(y.min())
        if low >= 0 and top <= min(TABLE_LIMIT, y.size):
            idx = y.astype(np.intp)
            if np.array_equal(idx, y):
                k = np.arange(int(top) + 1, dtype=float)
                table = f(k) if theta is None else f(k, np.full(k.shape, theta.flat[0]))
                return table[idx]
    return f(y) if theta is None else f(y, theta)


def log_factorial(y: np.ndarray) -> np.ndarray:
    """``log(y!)`` per row (tabulated for small counts)."""
    return by_count(lambda k: special.gammaln(k + 1.0), y)


def xlogy(y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """``y log(mu)`` with ``0 log 0 = 0``; plain logs when ``mu > 0`` (xlogy is slower)."""
    if np.all(mu > 0):
        return y * np.log(mu)
    return special.xlogy(y, mu)


def _horner(z: np.ndarray, coefs: tuple[float, ...]) -> np.ndarray:
    """``sum_k coefs[k] z^k``, dropping the terms that cannot reach the sum's last digit."""
    zmax = float(np.max(z)) if z.size else 0.0
    terms = len(coefs)
    while terms > 1 and abs(coefs[terms - 1]) * zmax ** (terms - 1) < 1e-18 * abs(coefs[0]):
        terms -= 1
    out = np.full(z.shape, coefs[terms - 1])
    for c in coefs[terms - 2::-1]:
        out = out * z + c
    return out


def split(mask: np.ndarray, where_true, where_false, *arrays):
    """Evaluate ``where_true`` on the rows in ``mask`` and ``where_false`` on the others.

    Both return an array or a tuple of arrays for the rows they get; the pieces are put
    back in row order. Only the branch a row needs is computed.
    """
    if mask.all():
        return where_true(*arrays)
    if not mask.any():
        return where_false(*arrays)
    top = where_true(*[a[mask] for a in arrays])
    bottom = where_false(*[a[~mask] for a in arrays])
    single = not isinstance(top, tuple)
    top, bottom = ((top,), (bottom,)) if single else (top, bottom)
    out = []
    for t, b in zip(top, bottom, strict=True):
        full = np.empty(mask.shape)
        full[mask], full[~mask] = t, b
        out.append(full)
    return out[0] if single else tuple(out)


def _log1pmx_sq_series(u):
    # log1p(u) = 2 atanh(v), v = u / (2 + u): (log1p(u) - u) / u^2 = 2u S(v^2)/(2+u)^3 - 1/(2+u)
    s = 2.0 + u
    v = u / s
    return 2.0 * u * _horner(v * v, _ATANH) / s**3 - 1.0 / s


def log1pmx_sq(u):
    """``(log1p(u) - u) / u^2`` for ``u > -1``; ``-1/2`` at ``u = 0``, accurate near it."""
    u = np.asarray(u, dtype=float)

    def direct(x):
        return (np.log1p(x) - x) / (x * x)

    return split(np.abs(u) < 0.1, _log1pmx_sq_series, direct, u)


def log1pmx_cube(u):
    """``(log1p(u) - u + u^2/2) / u^3`` for ``u > -1``; ``1/3`` at ``u = 0``.

    For ``|u| < 1/2`` from ``log1p(u) = 2 atanh(v)``, ``v = u/s``, ``s = 2 + u``:
    ``2 S(v^2)/s^3 + 1/(2s)`` with ``S(z) = 1/3 + z/5 + ...`` (two positive terms);
    beyond, directly (the cancellation there costs at most a factor 20 of rounding).
    """
    u = np.asarray(u, dtype=float)

    def series(x):
        s = 2.0 + x
        v = x / s
        return 2.0 * _horner(v * v, _ATANH_WIDE) / s**3 + 0.5 / s

    def direct(x):
        return (np.log1p(x) - x + 0.5 * x * x) / x**3

    return split(np.abs(u) < 0.5, series, direct, u)


def log1p_ratio(a):
    """``log1p(a) / a`` for ``a > -1``; 1 at ``a = 0``."""
    a = np.asarray(a, dtype=float)
    return split(np.abs(a) < 0.1, lambda x: 1.0 + x * _log1pmx_sq_series(x),
                 lambda x: np.log1p(x) / x, a)


def lgamma_ratio(y, theta):
    """``D = lgamma(y + theta) - lgamma(theta) - y log(theta)``, accurate for every theta.

    ``D -> 0`` as ``theta -> inf`` (``D ~ y (y - 1) / (2 theta)``); its absolute error is
    a few ulps of ``y log(1 + y/theta)`` instead of ``theta log(theta)``. For
    ``theta >= STIRLING_MIN``, with ``alpha = 1/theta``, ``b = y alpha`` and
    ``beta = 1/(theta + y)``:
    ``D = y b g(b) + (y - 1/2) log1p(b) + beta C(beta^2) - alpha C(alpha^2)``,
    ``g(b) = (log1p(b) - b)/b^2``.
    """
    y, theta = as_float(y, theta)

    def stirling(y, theta):
        alpha = 1.0 / theta
        b = y * alpha
        beta = alpha / (1.0 + b)
        return (y * b * log1pmx_sq(b) + (y - 0.5) * np.log1p(b)
                + beta * _horner(beta * beta, _C)
                - of_parameter(lambda a: a * _horner(a * a, _C), alpha))

    def direct(y, theta):
        return (special.gammaln(y + theta) - of_parameter(special.gammaln, theta)
                - y * of_parameter(np.log, theta))

    return split(theta >= STIRLING_MIN, stirling, direct, y, theta)


def digamma_remainder(alpha):
    """``R(alpha^2)``: ``theta^2 (log theta - 1/(2 theta) - digamma(theta))`` at
    ``theta = 1/alpha >= STIRLING_MIN``."""
    return _horner(alpha * alpha, _R)


def trigamma(x):
    """``psi'(x)`` for ``x > 0``: ``sum_{j<15} 1/(x + j)^2`` plus Stirling's series at
    ``x + 15`` (a few ulps; ~20 times faster than ``scipy.special.zeta(2, x)``)."""
    x = np.asarray(x, dtype=float)
    out, term = np.zeros(x.shape), np.empty(x.shape)
    for j in range(int(STIRLING_MIN)):
        np.add(x, j, out=term)
        np.multiply(term, term, out=term)
        np.divide(1.0, term, out=term)
        out += term
    inv = 1.0 / (x + STIRLING_MIN)
    return out + inv + 0.5 * inv * inv - inv**3 * _horner(inv * inv, _Q)


def trigamma_remainder(alpha):
    """``Q(alpha^2)``: ``theta^3 d/dtheta [theta^-2 R(theta^-2)]`` at ``theta = 1/alpha``."""
    return _horner(alpha * alpha, _Q)


def remainder_combination(alpha):
    """``P(alpha^2) = (2 R(alpha^2) + Q(alpha^2)) / alpha^2``, without the cancellation of
    the leading terms of ``2 R`` and ``Q`` (``1/6`` and ``-1/6``); ``P(0) = 1/60``."""
    return _horner(alpha * alpha, _P)


# cumulative probabilities ---------------------------------------------------------------
#: below this a probability from a special function may have lost digits to underflow; the
#: log cdf / log sf are then summed from the pmf in log space (:func:`log_tail`)
TINY = 1e-280
#: most terms :func:`log_tail` sums (a term ratio of 1 - 1/200 still converges to 1e-17)
TAIL_TERMS = 10_000


def log_tail(start, logpmf_start, ratio, step: int) -> np.ndarray:
    """``log sum_{m >= 0} pmf(start + step m)`` for rows far in a tail.

    ``logpmf_start`` is ``log pmf(start)``; ``ratio(j)`` is ``pmf(j + step) / pmf(j)``
    per row (below 1 in the tail, where the sum converges geometrically). The sum is
    ``pmf(start) (1 + r_0 + r_0 r_1 + ...)``, accumulated until a term is below 1e-17 of
    it, so nothing underflows however small ``pmf(start)`` is.
    """
    j = np.array(start, dtype=float)
    term, total = np.ones(j.shape), np.ones(j.shape)
    live = np.ones(j.shape, dtype=bool)
    for _ in range(TAIL_TERMS):
        r = np.where(live & (j + step >= 0), ratio(j), 0.0)
        term = term * r
        total += term
        j = j + step
        live &= term > 1e-17 * total
        if not live.any():
            break
    return logpmf_start + np.log(total)


def log_cdf_sf(k, F, S, logpmf, ratio):
    """``(log F(k), log S(k))`` of a count from ``F = P(Y <= k)`` and ``S = P(Y > k)``,
    each accurate in relative terms (regularized incomplete gamma / beta functions).

    The larger of the two goes through ``log1p`` of the other (so ``log F`` is right
    when ``F`` is within rounding of 1); one too small to trust (below :data:`TINY`) is
    summed from the pmf in log space (:func:`log_tail`: ``logpmf(j)`` and ``ratio(j) =
    pmf(j + 1) / pmf(j)`` per row). ``k < 0``: ``F = 0``, ``S = 1``.
    """
    k, F, S = as_float(k, F, S)
    with np.errstate(divide="ignore"):
        logF = np.where(F > 0.5, np.log1p(-S), np.log(F))
        logS = np.where(S > 0.5, np.log1p(-F), np.log(S))
    low = (F < TINY) & (k >= 0)
    if low.any():
        idx = np.flatnonzero(low)
        kk = k[idx]
        logF[idx] = log_tail(kk, logpmf(kk, idx), lambda j: _down(ratio, j, idx), -1)
    high = (S < TINY) & (k >= 0)
    if high.any():
        idx = np.flatnonzero(high)
        kk = k[idx] + 1.0
        logS[idx] = log_tail(kk, logpmf(kk, idx), lambda j: ratio(j, idx), 1)
    logF = np.where(k < 0, -np.inf, logF)
    logS = np.where(k < 0, 0.0, logS)
    return logF, logS


def _down(ratio, j, idx):
    """``pmf(j - 1) / pmf(j)`` from the upward ratio."""
    with np.errstate(divide="ignore"):
        return 1.0 / ratio(j - 1.0, idx)


def poisson_cdf_sf(k, mu):
    """``(F, S)`` of a Poisson count at ``k = floor(y)``: ``Q(k + 1, mu)`` and
    ``P(k + 1, mu)`` (regularized incomplete gamma functions, each accurate in relative
    terms); ``(0, 1)`` for ``k < 0``."""
    k, mu = as_float(k, mu)
    kk = np.maximum(k, 0.0)
    F = np.where(k < 0, 0.0, special.pdtr(kk, mu))
    S = np.where(k < 0, 1.0, special.pdtrc(kk, mu))
    return F, S


def poisson_log_cdf_sf(k, mu):
    """``(log F(k), log S(k))`` of a Poisson count, accurate in both far tails."""
    k, mu = as_float(k, mu)
    F, S = poisson_cdf_sf(k, mu)

    def logpmf(j, idx):
        return poisson_logpmf(j, mu[idx])

    def ratio(j, idx):
        return mu[idx] / (j + 1.0)

    return log_cdf_sf(k, F, S, logpmf, ratio)


#: the negative binomial is summed as a Poisson plus its first-order correction in
#: ``1/size`` once ``size >= NB_POISSON * (k + mu + 10)^2``: the next term is then below
#: ``(1/NB_POISSON)^2`` of the result
NB_POISSON = 1e10
#: below this size the incomplete beta function is accurate (measured against mpmath sums:
#: relative error below 1e-13); between it and the Poisson regime it is not (at k = 12,
#: mu = 15, size = 1e9 its upper tail is off by 8e-9), and the smaller tail is summed
NB_BETA = 1e4
#: the tail is summed only where the standard deviation is below this (the sum takes
#: about 9 standard deviations of terms); wider, the incomplete beta function is used
NB_SUM_SD = 500.0


def _nb_ratio(size, mu):
    """``ratio(j, rows) = pmf(j + 1) / pmf(j) = (j + size) q / (j + 1)``, finite at
    ``size = inf``."""
    def ratio(j, idx):
        s, m = size[idx], mu[idx]
        return (1.0 + j / s) * m / ((1.0 + m / s) * (j + 1.0))
    return ratio


def nb_cdf_sf(k, size, mu, logpmf):
    """``(F, S)`` of a negative binomial count with mean ``mu`` and size ``size`` (NB2's
    ``theta``; NB1's ``mu / alpha``), accurate in relative terms for every size;
    ``logpmf(j, rows)`` is the family's log pmf on those rows.

    * ``size < NB_BETA``: the regularized incomplete beta function,
      ``S = I_q(k + 1, size)``, ``F = I_p(size, k + 1)``, ``q = mu / (size + mu)``,
      ``p = size / (size + mu)``.
    * ``size >= NB_POISSON (k + mu + 10)^2``, where ``q`` is within rounding of 0 and the
      beta function loses the tail (at ``size = 1e22`` it returned ``F(1 | mu = 1) = 1.0``,
      the Poisson limit being 0.7358): the expansion ``pmf_NB(j) = pmf_P(j) (1 + ((j -
      mu)^2 - j) / (2 size) + O(size^-2))``, whose tail sums close, ``S_NB(k) = S_P(k) +
      mu pmf_P(k) (k - mu) / (2 size)`` (``F`` with the sign changed); exact Poisson at
      ``size = inf``.
    * between: the smaller tail (below ``k`` when ``k < mu``, else above it) summed from
      the pmf in log space (:func:`log_tail`), the other as its complement.
    """
    k, size, mu = as_float(k, size, mu)
    kk = np.maximum(k, 0.0)
    F, S = np.empty(k.shape), np.empty(k.shape)
    limit = size >= NB_POISSON * (kk + mu + 10.0) ** 2
    with np.errstate(all="ignore"):     # a tail wider than NB_SUM_SD takes too many terms
        wide = np.sqrt(mu + mu * mu / size) > NB_SUM_SD
    beta = ((size < NB_BETA) | wide) & ~limit
    middle = ~(limit | beta)
    if beta.any():
        with np.errstate(all="ignore"):
            # I_p(size, k + 1) equals betaincc(k + 1, size, q) and is ~50 times faster
            s_, m_ = size[beta], mu[beta]
            F[beta] = special.betainc(s_, kk[beta] + 1.0, s_ / (s_ + m_))
            S[beta] = special.betainc(kk[beta] + 1.0, s_, m_ / (s_ + m_))
    if limit.any():
        FP, SP = poisson_cdf_sf(kk[limit], mu[limit])
        m, s, kl = mu[limit], size[limit], kk[limit]
        corr = m * np.exp(poisson_logpmf(kl, m)) * (kl - m) / (2.0 * s)
        F[limit], S[limit] = FP - corr, SP + corr
    if middle.any():
        ratio = _nb_ratio(size, mu)
        lower = middle & (kk < mu)
        upper = middle & ~lower
        for rows, step, start in ((lower, -1, kk), (upper, 1, kk + 1.0)):
            idx = np.flatnonzero(rows)
            if idx.size == 0:
                continue
            j = start[idx]
            if step == 1:
                tail = np.exp(log_tail(j, logpmf(j, idx), lambda i, r=idx: ratio(i, r), 1))
                S[idx], F[idx] = tail, 1.0 - tail
            else:
                tail = np.exp(log_tail(j, logpmf(j, idx), lambda i, r=idx: _down(ratio, i, r),
                                       -1))
                F[idx], S[idx] = tail, 1.0 - tail
    return np.where(k < 0, 0.0, F), np.where(k < 0, 1.0, S)


def nb_log_cdf_sf(k, size, mu, logpmf):
    """``(log F(k), log S(k))`` of a negative binomial count (see :func:`nb_cdf_sf`)."""
    k, size, mu = as_float(k, size, mu)
    F, S = nb_cdf_sf(k, size, mu, logpmf)
    return log_cdf_sf(k, F, S, logpmf, _nb_ratio(size, mu))


def log1mexp(a):
    """``log(1 - exp(-a))`` for ``a > 0`` (Maechler's rule, the engine's
    :func:`mlefit.engine.censored.log1mexp` of ``-a``); ``-inf`` at 0."""
    return censored_log1mexp(-np.asarray(a, dtype=float))


def zero_truncated_logpmf(logpmf, neg_log_p0):
    """Log pmf of a count given ``y > 0``: ``logpmf - log(1 - P(0))`` with
    ``neg_log_p0 = -log P(0)`` (the Poisson's ``mu``), stable as ``P(0) -> 1``
    (``mu -> 0``: ``log(1 - P(0)) ~ log(mu)`` without the cancellation of ``1 - P(0)``)."""
    return logpmf - log1mexp(neg_log_p0)
