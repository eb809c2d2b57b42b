"""The binomial family: ``s ~ Binomial(m, mu)`` with ``m = s + f`` trials.

The response has two columns, successes and failures (R's ``cbind(s, f)``, written
``s + f ~ x`` in a formula). A 0/1 or boolean response is the Bernoulli case ``m = 1``;
:meth:`Binomial.prepare_response` turns it into two columns. The log-likelihood keeps
``log C(m, s)`` as R's ``logLik`` and statsmodels do. ``weights=`` stay frequency weights:
proportions with known trials go through the two-column form.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

from mlefit import DataError, Family, Parameter, hookimpl
from mlefit.domains import ClosedUnitInterval, NonNegativeIntegers

from . import _binomial_links
from ._counts import log_cdf_sf


def _log_choose(s, f):
    """``log C(s + f, s)``; zero (and not computed) on rows with ``s = 0`` or ``f = 0``."""
    out = np.zeros(s.shape)
    both = (s > 0) & (f > 0)
    if both.any():
        sb, fb = s[both], f[both]
        out[both] = -np.log1p(sb + fb) - special.betaln(sb + 1.0, fb + 1.0)
    return out


def _ylogy(y, mu):
    """``y log(y / mu)`` with ``0 log 0 = 0`` (R's ``y_log_y``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y > 0, y * np.log(y / mu), 0.0)


class Binomial(Family):
    """Binomial distribution of successes out of ``m`` trials, success probability ``mu``.

    .. math::

        P(S = s) = \\binom{m}{s} \\mu^{s} (1 - \\mu)^{m - s}, \\qquad
        s = 0, \\dots, m, \\quad 0 < \\mu < 1.

    ``y`` is ``(n, 2)``: successes ``s`` and failures ``f = m - s``. ``E[s / m] = mu``,
    ``Var[s / m] = mu (1 - mu) / m``; :meth:`mean` and :meth:`variance` are per trial.
    Links of ``mu``: logit (default, as R), probit, cloglog, cauchit, log.

    ``mu`` lives on the closed interval: ``mu = 0`` or ``1`` is a degenerate binomial,
    and it is where a separated fit's probabilities round to (logit at ``eta > 36.7``);
    an open domain would make the engine reject those steps and stall the fit.
    """

    name = "binomial"
    support = NonNegativeIntegers()
    response_columns = 2
    parameters = (
        Parameter("mu", ClosedUnitInterval(), link="logit",
                  links=("logit", "probit", "cloglog", "cauchit", "log"),
                  description="success probability"),
    )

    # the response -----------------------------------------------------------------
    def prepare_response(self, y):
        """0/1 or boolean ``(n,)`` -> ``(n, 2)`` (successes, failures); two columns pass."""
        y = np.asarray(y, dtype=float)
        if y.ndim == 2:
            return y
        bad = (y != 0) & (y != 1)
        if bad.any():
            shown = ", ".join(f"{v:g}" for v in np.unique(y[bad])[:5])
            raise DataError(f"a one-column binomial response must be 0/1 or boolean; "
                            f"{int(bad.sum())} value(s) are not (e.g. {shown}). Fix: give "
                            "counts out of several trials as two columns, "
                            "'successes + failures ~ ...' (R's cbind(s, f)); a proportion "
                            "p out of m trials is successes = p m, failures = (1 - p) m.")
        out = np.empty((y.shape[0], 2), order="F")   # the engine reads column by column
        out[:, 0] = y
        np.subtract(1.0, y, out=out[:, 1])
        return out

    def glm_response(self, y):
        """``(s / m, m)``; rows with ``m = 0`` get ``s / m = 0`` and contribute nothing."""
        s = y[:, 0]
        m = s + y[:, 1]
        ybar = np.divide(s, m, out=np.zeros_like(m), where=m > 0)
        return ybar, m

    # the density ------------------------------------------------------------------
    def logpdf(self, y, mu):
        s, f = y[:, 0], y[:, 1]
        inside = (s >= 0) & (f >= 0) & (s == np.floor(s)) & (f == np.floor(f))
        with np.errstate(divide="ignore", invalid="ignore"):
            if np.all((mu > 0) & (mu < 1)):  # plain logs: xlogy is six times slower
                value = _log_choose(s, f) + s * np.log(mu) + f * np.log1p(-mu)
            else:  # 0 log 0 = 0 where mu has rounded to 0 or 1
                value = _log_choose(s, f) + special.xlogy(s, mu) + special.xlog1py(f, -mu)
        return np.where(inside, value, -np.inf)

    def dlogpdf(self, y, mu):
        s, f = y[:, 0], y[:, 1]
        return {"mu": s / mu - f / (1.0 - mu)}

    def d2logpdf(self, y, mu):
        s, f = y[:, 0], y[:, 1]
        q = 1.0 - mu
        return {("mu", "mu"): -s / (mu * mu) - f / (q * q)}

    def expected_information(self, y, mu):
        """``m / (mu (1 - mu))``; 0 where ``mu`` has rounded to 0 or 1, so that the
        engine's product with ``h'(eta)^2 = 0`` there stays 0 (its limit)."""
        v = mu * (1.0 - mu)
        m = y[:, 0] + y[:, 1]
        return {("mu", "mu"): np.divide(m, v, out=np.zeros_like(v), where=v > 0)}

    def eta_derivatives(self, y, links, mu):
        """Derivatives on the linear-predictor scale for every allowed link (see
        :mod:`mlefit_families._binomial_links`): finite and accurate at ``|eta| = 40``."""
        got = _binomial_links.eta_derivatives(links["mu"], y[:, 0], y[:, 1], mu)
        if got is None:
            return None
        d1, d2 = got
        return {"mu": d1}, {("mu", "mu"): d2}

    def start(self, y, weights):
        """The pooled proportion, shrunk towards 1/2 as R's ``(w y + 0.5) / (w + 1)``."""
        s = float(weights @ y[:, 0])
        m = s + float(weights @ y[:, 1])
        return {"mu": (s + 0.5) / (m + 1.0)}

    # moments and simulation --------------------------------------------------------
    def mean(self, mu):
        """Success probability (the mean of one trial, and of ``s / m``)."""
        return mu

    def variance(self, mu):
        """Variance of one trial, ``mu (1 - mu)`` (of ``s / m``: divide by ``m``)."""
        return mu * (1.0 - mu)

    def cdf(self, y, mu):
        """``P(S <= s)`` for ``y = (s, f)`` with ``m = s + f`` trials."""
        return stats.binom.cdf(y[:, 0], y[:, 0] + y[:, 1], mu)

    def _log_cdf_sf(self, y, mu):
        s, m = np.floor(y[:, 0]), y[:, 0] + y[:, 1]
        s, m, mu = np.broadcast_arrays(s, m, np.asarray(mu, dtype=float))
        F, S = stats.binom.cdf(s, m, mu), stats.binom.sf(s, m, mu)

        def logpmf(j, idx):
            return stats.binom.logpmf(j, m[idx], mu[idx])

        def ratio(j, idx):
            with np.errstate(divide="ignore"):
                return np.maximum(m[idx] - j, 0.0) / (j + 1.0) * mu[idx] / (1.0 - mu[idx])

        return log_cdf_sf(s, F, S, logpmf, ratio)

    def logcdf(self, y, mu):
        """``log P(S <= s)`` for ``y = (s, f)``, accurate in both tails."""
        return self._log_cdf_sf(y, mu)[0]

    def logsf(self, y, mu):
        """``log P(S > s)`` for ``y = (s, f)``, accurate in both tails."""
        return self._log_cdf_sf(y, mu)[1]

    def _dlog(self, y, mu, which):
        """``dF/dmu = -m b(s; m - 1, mu)`` (``b`` the binomial pmf), so ``d log F/dmu =
        -m b / F`` and ``d log S/dmu = m b / S``, each ratio taken in log space."""
        s, m = np.floor(y[:, 0]), y[:, 0] + y[:, 1]
        s, m, mu = np.broadcast_arrays(s, m, np.asarray(mu, dtype=float))
        logF, logS = self._log_cdf_sf(y, mu)
        with np.errstate(divide="ignore", invalid="ignore"):
            logb = np.log(m) + stats.binom.logpmf(s, m - 1.0, mu)
            value = (-np.exp(logb - logF) if which == "cdf" else np.exp(logb - logS))
        return {"mu": np.where((s < 0) | (s >= m), 0.0, value)}

    def dlogcdf(self, y, mu):
        return self._dlog(y, mu, "cdf")

    def dlogsf(self, y, mu):
        return self._dlog(y, mu, "sf")

    def ppf(self, q, mu, trials=1):
        """The smallest number of successes ``s`` of ``trials`` with ``P(S <= s) >= q``."""
        return stats.binom.ppf(q, trials, mu)

    def sample(self, rng, size, mu, trials=1):
        """Draws as ``(successes, failures)``, shape ``size + (2,)``.

        ``trials`` (default 1, the Bernoulli case) broadcasts against ``mu``; to simulate
        a two-column response pass its row totals, ``trials = s + f``.
        """
        trials = np.rint(np.asarray(trials, dtype=float)).astype(np.int64)
        s = rng.binomial(trials, mu, size=size).astype(float)
        return np.stack([s, trials - s], axis=-1)

    # GLM ------------------------------------------------------------------------------
    def unit_deviance(self, y, mu):
        """``2 [y log(y / mu) + (1 - y) log((1 - y) / (1 - mu))]`` on proportions ``y``
        (R's ``binomial()$dev.resids`` per unit of weight)."""
        return 2.0 * (_ylogy(y, mu) + _ylogy(1.0 - y, 1.0 - mu))

    def unit_variance(self, mu):
        return mu * (1.0 - mu)


@hookimpl
def register_families():
    return [Binomial()]
