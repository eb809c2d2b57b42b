"""Natural-scale values of intercept-only parameters, with delta-method standard errors.

A parameter other than the mean whose formula is ``~ 1`` (sigma, theta, shape, pi, nu,
...) is one coefficient ``b`` on its link scale, and one value ``theta = g^-1(b)`` on its
natural scale. Its standard error is the delta method's
``se(theta) = |d g^-1 / d eta (b)| se(b)``; its ``1 - alpha`` interval is the link-scale
Wald interval ``b -+ q se(b)`` transformed back (``q`` normal, or t as the fit's tests),
so that it stays inside the parameter's domain and is the image of ``conf_int()``'s
interval (it is not ``theta -+ q se(theta)``). A value is that of a row with no offset and
unit precision weight. Parameters with covariates vary by row: ``predict(which=name)``
gives them. The summary prints the same numbers under each such block.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .confidence import quantile

__all__ = ["intercept_only", "natural_params", "natural_value"]


def natural_value(link, coef: float, se: float) -> tuple[float, float]:
    """``(g^-1(coef), |d g^-1 / d eta (coef)| se)``: the value and its delta-method SE."""
    value = float(link.inverse(np.array(coef)))
    deriv = abs(float(link.inverse_deriv(np.array(coef))))
    return value, deriv * se


def intercept_only(res) -> list[str]:
    """The estimated parameters after the first whose formula is ``~ 1``."""
    return [p.name for p in res.family.parameters[1:]
            if p.name in res.formulas and res.formulas[p.name].replace(" ", "") == "~1"
            and len(res.params[p.name]) == 1]


def natural_params(res, alpha: float = 0.05) -> pd.DataFrame:
    """One row per intercept-only parameter (:func:`intercept_only`), indexed by its
    name: ``estimate``, ``std_error`` (delta method) and the ``1 - alpha`` interval
    ``lower``, ``upper`` (see the module docstring)."""
    q = quantile(res, alpha)
    rows = {}
    for name in intercept_only(res):
        coef, se = float(res.params[name].iloc[0]), float(res.bse[name].iloc[0])
        link = res.links[name]
        value, se_value = natural_value(link, coef, se)
        with np.errstate(all="ignore"):
            ends = link.inverse(np.array([coef - q * se, coef + q * se]))
        rows[name] = (value, se_value, float(np.min(ends)), float(np.max(ends)))
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["estimate", "std_error", "lower", "upper"]
                                  ).rename_axis("parameter")
