"""The hurdle negative binomial family: a binary part for ``P(y > 0)`` (``hurdle``) and
a zero-truncated NB2 count with (untruncated) mean ``mu`` and size ``theta``.

R's ``pscl::hurdle(y ~ x | z, dist = "negbin")`` (``zero.dist = "binomial"``) is
``fit("y ~ x", df, family="hurdle_negative_binomial", hurdle="~ z")``. ``theta = inf``
is ``hurdle_poisson``, declared as a boundary reduction (likelihood-ratio tests use the
chi-bar-squared mixture). The likelihood separates: the ``hurdle`` block is a logistic
regression of ``y > 0``, the ``mu`` and ``theta`` blocks a zero-truncated negative
binomial regression on the positive rows (statsmodels' ``TruncatedLFNegativeBinomialP``).
"""

from __future__ import annotations

import numpy as np

from mlefit import Family, Reduction, hookimpl
from mlefit.domains import NonNegativeIntegers

from ._zero_modified import Hurdle
from .hurdle_poisson import hurdle_parameter
from .negative_binomial import NegativeBinomial


class HurdleNegativeBinomial(Hurdle, Family):
    r"""Hurdle NB2 with count mean ``mu``, size ``theta`` and ``hurdle = P(y > 0)``.

    .. math::

        P(Y = 0) = 1 - h, \qquad P(Y = y) = h \frac{f(y)}{1 - f(0)} \quad (y \ge 1),
        \qquad f(0) = (1 + \mu/\theta)^{-\theta},

    ``f`` the negative binomial pmf (``negative_binomial``); ``E y = h mu / (1 - f(0))``.
    ``theta`` has the log link (pscl's ``Log(theta)``). Derivatives are the truncation
    rule of ``mlefit_families._zero_modified`` over the negative binomial's, on the
    linear-predictor scale so that ``theta = inf`` is finite.
    """

    name = "hurdle_negative_binomial"
    aliases = ("hurdle_nb",)
    support = NonNegativeIntegers()
    component = NegativeBinomial()
    parameters = (*NegativeBinomial.parameters, hurdle_parameter())
    reductions = (Reduction("hurdle_poisson", "theta", np.inf, boundary=True),)


@hookimpl
def register_families():
    return [HurdleNegativeBinomial()]
