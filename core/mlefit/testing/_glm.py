"""Topic ``glm``: ``unit_deviance`` and ``unit_variance`` agree with ``logpdf`` (the
deviance as twice the log-likelihood gap to the saturated mean, the variance function
through the score).
"""

from __future__ import annotations

import numpy as np

from ._case import Case, describe_row, mean_scale_or_none
from ._check import Check, CheckFailure, SkipCheck, require
from ._numeric import disagreement, numeric_scores, steps


def check_glm(case: Case) -> str | None:
    """unit_deviance = 2 phi (l(y; mu=ybar) - l(y; mu)) / trials and, through the score,
    dl/dmu = trials (ybar - mu) / (phi V(mu))."""
    require(case, "unit_deviance", "unit_variance")
    fam, y, params = case.family, case.y, dict(case.params)
    scale = mean_scale_or_none(fam, y)
    if scale is None:
        raise CheckFailure("a multi-column response needs glm_response for unit_deviance")
    ybar, m = scale
    mu_name = case.names[0]
    keep = fam.parameters[0].domain.contains(ybar) & (np.abs(ybar - params[mu_name]) > 1e-3)
    if keep.sum() < 10:
        raise SkipCheck("too few responses whose mean-scale value lies in mu's domain")
    y, ybar, m = y[keep], ybar[keep], m[keep]
    params = {k: v[keep] for k, v in params.items()}
    phi = np.ones(len(ybar))
    if fam.dispersion is not None:
        phi = params[fam.dispersion.parameter] ** fam.dispersion.power
    l_mu = case.logpdf(y, params)
    l_sat = case.logpdf(y, {**params, mu_name: ybar})
    dev = np.asarray(fam.unit_deviance(ybar, **params), dtype=float)
    model = 2 * phi * (l_sat - l_mu) / m
    bad = disagreement(dev, model, 2 * phi * (np.abs(l_sat) + np.abs(l_mu)) / m, 1.0,
                          rtol=1e-7, atol=1e-12)
    if bad is not None:
        raise CheckFailure(f"unit_deviance = {dev[bad]:.10g} but 2 phi (l(y; ybar) - l(y; mu))"
                           f" / trials = {model[bad]:.10g} at {describe_row(case, bad, y, params)}"
                           ". Fix: the unit deviance of the family (and phi = value**power of "
                           "its Dispersion)")
    score = numeric_scores(fam, y, params)[mu_name]
    V = np.asarray(fam.unit_variance(**params), dtype=float)
    _, s_mu = steps(fam, params)
    lhs, rhs = phi * V * score, m * (ybar - params[mu_name])
    bad = disagreement(lhs, rhs, phi * V * (1 + np.abs(l_mu)) / s_mu[mu_name], 1.0)
    if bad is not None:
        raise CheckFailure(f"phi V(mu) dl/dmu = {lhs[bad]:.8g} but trials (ybar - mu) = "
                           f"{rhs[bad]:.8g} at {describe_row(case, bad, y, params)}. Fix: "
                           "unit_variance must be V(mu) of Var[ybar] = phi V(mu) / trials")
    return None


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("glm", check_glm),
)
