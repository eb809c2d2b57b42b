"""The zero-inflated negative binomial family (ZINB): a structural zero with probability
``pi``, else a negative binomial (NB2) count with mean ``mu`` and size ``theta``.

Each parameter takes its own formula: ``fit("y ~ x", df, family="zinb", pi="~ z")`` is
R's ``pscl::zeroinfl(y ~ x | z, dist = "negbin")`` and statsmodels'
``ZeroInflatedNegativeBinomialP(y, X, exog_infl=Z, p=2)``. ``pi = 0`` is the negative
binomial and ``theta = inf`` the zero-inflated Poisson, both declared as boundary
reductions (likelihood-ratio tests use the chi-bar-squared mixture when the reduced
parameter is intercept-only, and are refused, pointing to the parametric bootstrap, when
it has covariates).
"""

from __future__ import annotations

import numpy as np

from mlefit import Family, Reduction, hookimpl
from mlefit.domains import NonNegativeIntegers

from ._zero_modified import ZeroInflated
from .negative_binomial import NegativeBinomial
from .zero_inflated_poisson import ZeroInflatedPoisson


class ZeroInflatedNegativeBinomial(ZeroInflated, Family):
    r"""Zero-inflated NB2 with mean ``mu``, size ``theta`` and inflation ``pi``.

    .. math::

        P(Y = 0) = \pi + (1 - \pi) f(0), \qquad P(Y = y) = (1 - \pi) f(y) \quad (y \ge 1),

    ``f`` the negative binomial pmf (``negative_binomial``: ``Var = mu + mu^2/theta``).
    ``E y = (1 - pi) mu``, ``Var y = (1 - pi) mu (1 + mu (pi + 1/theta))``. ``mu`` log
    (default), identity or sqrt link; ``theta`` log link (pscl's ``Log(theta)``; the
    coefficient is statsmodels' ``-log(alpha)``); ``pi`` logit (default), probit,
    cloglog or cauchit. Analytic first and second derivatives (the mixture rule of
    ``mlefit_families._zero_modified`` over the negative binomial's, on the
    linear-predictor scale so that ``theta = inf`` is finite). No expected information
    (its ``theta`` entry is an infinite sum): ``cov_type="expected"`` is not offered.
    """

    name = "zero_inflated_negative_binomial"
    aliases = ("zinb",)
    support = NonNegativeIntegers()
    component = NegativeBinomial()
    parameters = (*NegativeBinomial.parameters, ZeroInflatedPoisson.parameters[1])
    reductions = (Reduction("negative_binomial", "pi", 0.0, boundary=True),
                  Reduction("zero_inflated_poisson", "theta", np.inf, boundary=True))


@hookimpl
def register_families():
    return [ZeroInflatedNegativeBinomial()]
