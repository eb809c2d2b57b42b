"""The likelihood-ratio test of proportional odds against nominal effects:
:func:`mlefit.nominal_test` (R's ``ordinal::nominal_test``).

An ordinal (cumulative-link) model assumes each term moves every cumulative probability
by the same ``x'beta``. The *nominal* alternative for a term lets it have its own
coefficients at each cutpoint: ``P(Y <= j) = F(theta_j + x'gamma_j - z'beta)``, with the
term removed from the location ``z'beta``. The nominal model is refitted from the fit's
own model frame (no data are passed again): the location design without the term's
columns, and each cutpoint's design ``[1, term columns]`` (``K - 2`` more coefficients per
column). ``LR = 2 (llf_nominal - llf)`` is referred to chi2 on the difference in the
number of coefficients.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, HessianWarning

__all__ = ["nominal_test"]


def _term_columns(res) -> dict[str, list[str]]:
    """``{term: its columns in the location design}`` from the formula's spec."""
    design = res._context.designs["location"]
    spec = design.spec
    if spec is None:
        raise DataError("nominal_test needs the formula of the location (a fit made by "
                        "mlefit.fit(formula, data)); this one was made from arrays.")
    names = list(spec.column_names)
    out = {}
    for term, idx in spec.term_indices.items():
        cols = [names[i] for i in idx if names[i] in design.columns]
        if cols:
            out[str(term)] = cols
    return out


def _nominal_fit(res, columns: list[str]):
    from ..api import fit_arrays

    frame, fam = res._context.frame, res.family
    loc = frame.designs["location"]
    keep = [j for j, c in enumerate(loc.columns) if c not in columns]
    moved = [loc.columns.index(c) for c in columns]
    Xz = loc.X[:, keep]
    extra = loc.X[:, moved]
    one = np.ones((frame.n, 1))
    designs, names = {}, {"location": [loc.columns[j] for j in keep]}
    for p in fam.parameters[1:]:
        designs[p.name] = np.hstack([one, extra])
        names[p.name] = [p.label, *columns]
    opts = res._context.options
    # only the log-likelihood is used: a nominal model often has a cutpoint that runs off
    # to infinity for some level of the term (no rows above it there), whose information
    # is then singular; its supremum of the likelihood is still the LR's (as clm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", HessianWarning)
        return fit_arrays(frame.y, Xz, fam, designs=designs, names=names,
                          weights=frame.weights, offset=loc.offset, method=opts.method,
                          maxiter=opts.maxiter, tol=opts.tol)


def nominal_test(res, terms=None) -> pd.DataFrame:
    """Likelihood-ratio tests of proportional odds for each of ``terms`` of an ordinal
    fit's location formula (default: every term) against nominal effects.

    Returns a table as R's ``nominal_test``: a row ``<none>`` (the fit) and one per term
    with ``Df`` (extra coefficients), ``logLik``, ``AIC``, ``LRT`` and ``Pr(>Chi)``.
    A small p-value says the term's effect differs between cutpoints.
    """
    if getattr(res.family, "name", None) != "ordinal" or not res.family.has("probabilities"):
        raise DataError(f"nominal_test tests an ordinal fit's proportional odds; this is a "
                        f"{res.family.name!r} fit. Fix: fit family='ordinal'.")
    if res.fixed or any(res.formulas[p.name] != "~ 1" for p in res.family.parameters[1:]):
        raise DataError("nominal_test starts from a proportional-odds fit (every cutpoint "
                        "'~ 1', none fixed). Fix: test the model without nominal effects.")
    available = _term_columns(res)
    chosen = list(available) if terms is None else list(terms)
    unknown = [t for t in chosen if t not in available]
    if unknown:
        raise DataError(f"terms {unknown} are not terms of the location formula "
                        f"{res.formulas['location']!r} ({list(available)}).")
    rows = {"<none>": (np.nan, res.llf, res.aic, np.nan, np.nan)}
    for term in chosen:
        alt = _nominal_fit(res, available[term])
        df = alt.k - res.k
        lr = max(2.0 * (alt.llf - res.llf), 0.0)
        rows[term] = (df, alt.llf, alt.aic, lr, float(stats.chi2.sf(lr, df)))
    return pd.DataFrame.from_dict(rows, orient="index",
                                  columns=["Df", "logLik", "AIC", "LRT", "Pr(>Chi)"])
