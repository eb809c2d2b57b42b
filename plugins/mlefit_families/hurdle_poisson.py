"""The hurdle Poisson family: a binary part for ``P(y > 0)`` (``hurdle``) and a
zero-truncated Poisson count with (untruncated) mean ``mu`` for the positive counts.

R's ``pscl::hurdle(y ~ x | z, dist = "poisson")`` with its default
``zero.dist = "binomial"`` is ``fit("y ~ x", df, family="hurdle_poisson", hurdle="~ z")``;
the ``hurdle`` coefficients have pscl's sign (they model ``P(y > 0)``). The likelihood
separates: the ``hurdle`` block is the logistic regression of ``y > 0`` and the ``mu``
block the zero-truncated Poisson regression on the positive rows. (statsmodels'
``HurdleCountModel`` models the zeros with a censored count model, not a logit.)
"""

from __future__ import annotations

import numpy as np

from mlefit import Family, Parameter, hookimpl
from mlefit.domains import NonNegativeIntegers, UnitInterval

from ._counts import as_float, mean_parameter
from ._zero_modified import Hurdle
from .poisson import Poisson


def hurdle_parameter() -> Parameter:
    """``hurdle = P(y > 0)``, the binary part of every hurdle family."""
    return Parameter("hurdle", UnitInterval(), link="logit",
                     links=("logit", "probit", "cloglog", "cauchit"), typical=(0.2, 0.9),
                     description="P(y > 0): probability of crossing the hurdle (binary part)")


class HurdlePoisson(Hurdle, Family):
    r"""Hurdle Poisson with count mean ``mu`` and ``hurdle = P(y > 0)``.

    .. math::

        P(Y = 0) = 1 - h, \qquad
        P(Y = y) = h \frac{\mu^y e^{-\mu} / y!}{1 - e^{-\mu}} \quad (y \ge 1),

    ``E y = h mu / (1 - e^-mu)``. ``mu`` is the mean of the untruncated Poisson (pscl's
    count part, log link by default); ``hurdle`` takes the logit (default), probit,
    cloglog or cauchit link. The truncated log pmf is ``log f(y) - log(1 - e^-mu)``,
    stable as ``mu -> 0`` (``_counts.zero_truncated_logpmf``).
    """

    name = "hurdle_poisson"
    support = NonNegativeIntegers()
    component = Poisson()
    parameters = (mean_parameter(), hurdle_parameter())

    def expected_information(self, y, mu, hurdle):
        """Exact: ``I_hh = 1/(h (1 - h))``, ``I_mu_mu = h (1 + r) (1/mu - r)`` with
        ``r = 1/expm1(mu)`` (``E[y | y > 0] = mu (1 + r)``), no cross term."""
        y, mu, h = as_float(y, mu, hurdle)
        r = 1.0 / np.expm1(mu)
        return {("mu", "mu"): h * (1.0 + r) * (1.0 / mu - r),
                ("mu", "hurdle"): np.zeros(y.shape),
                ("hurdle", "hurdle"): 1.0 / (h * (1.0 - h))}


@hookimpl
def register_families():
    return [HurdlePoisson()]
