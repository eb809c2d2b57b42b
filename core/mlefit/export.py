"""A fit as data: the one JSON schema (``res.to_dict()``, ``res.to_json()`` and the
command line's ``mlefit fit --json``) and the tidy coefficient table (``res.tidy()``).

The schema (every number finite or null: JSON has no NaN or Infinity):

``family`` (name), ``formulas`` ({parameter: formula}), ``coefficients`` (one record per
coefficient: ``parameter``, ``term``, ``estimate``, ``std_error``, ``statistic``,
``p_value``; an aliased coefficient has nulls), ``llf``, ``k``, ``aic``, ``bic``,
``nobs``, ``n_dropped``, ``converged``, ``aliased`` ([parameter, term] pairs that
``singular="drop"`` dropped) and ``convention`` (its description).

``tidy()`` is broom's ``tidy()`` with Python names: ``parameter``, ``term``, ``estimate``,
``std_error``, ``statistic``, ``p_value`` and, with ``conf_int=True``, the Wald interval
``conf_low``, ``conf_high`` (normal or t, as the fit's tests).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

__all__ = ["finite", "result_dict", "result_json", "tidy"]


def finite(obj):
    """``obj`` with NaN and infinities as None (JSON has neither), numpy scalars as Python's."""
    if isinstance(obj, dict):
        return {k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [finite(v) for v in obj]
    if isinstance(obj, float | np.floating):
        return float(obj) if np.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def result_dict(res) -> dict:
    """The fit in the schema of the module docstring."""
    table = []
    for (param, term), est in res.params.items():
        table.append({"parameter": param, "term": term, "estimate": est,
                      "std_error": res.bse[(param, term)],
                      "statistic": res.tvalues[(param, term)],
                      "p_value": res.pvalues[(param, term)]})
    out = {"family": res.family.name, "formulas": dict(res.formulas), "coefficients": table,
           "llf": res.llf, "k": res.k, "aic": res.aic, "bic": res.bic, "nobs": res.nobs,
           "n_dropped": res.n_dropped, "converged": res.converged,
           "aliased": [list(pair) for pair in res.aliased],
           "convention": res.convention.describe()}
    return finite(out)


def result_json(res, indent: int | None = 2) -> str:
    """:func:`result_dict` as JSON text (what ``mlefit fit --json`` prints)."""
    return json.dumps(result_dict(res), indent=indent)


def tidy(res, conf_int: bool = False, alpha: float = 0.05) -> pd.DataFrame:
    """One row per coefficient (see the module docstring)."""
    out = pd.DataFrame({
        "parameter": res.index.get_level_values(0),
        "term": res.index.get_level_values(1),
        "estimate": res.coef,
        "std_error": res.bse.to_numpy(),
        "statistic": res.tvalues.to_numpy(),
        "p_value": res.pvalues.to_numpy(),
    })
    if conf_int:
        ci = res.conf_int(alpha)
        out["conf_low"] = ci["lower"].to_numpy()
        out["conf_high"] = ci["upper"].to_numpy()
    return out
