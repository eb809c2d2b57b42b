"""Term-wise tests of a fit: :func:`mlefit.drop1` and :func:`mlefit.anova`.

A *term* is one term of a parameter's formula (``age``, ``C(cp)`` with its columns,
``age:sex``). Each reduced model is a refit of the fit's own objective with the term's
columns removed (the engine's ``restrict``: their coefficients held at 0), on the same
rows, weights, offsets, other parameters' formulas, options and optimiser, started from
the fit's estimates; the statistics are those of the likelihood.

* ``drop1(res)`` (R's ``drop1``): each term removed in turn from the full model, where
  marginality allows (a term contained in a higher-order term, such as ``age`` beside
  ``age:sex``, is not dropped); every estimated parameter's terms, labelled as the
  coefficients are (``sigma:age``).
* ``anova(res, type="I")``: the terms of the first parameter added in formula order, each
  tested against the model with the terms before it; ``type="II"``: each term tested
  against the model with every term that does not contain it (car's ``Anova`` type II).

``test="LRT"``: ``LR = 2 (l_full - l_reduced)`` (maximum-likelihood log-likelihoods, the
dispersion re-estimated in each model) on the number of columns removed, chi-squared. For
the binomial and the poisson this is the change of deviance, as R's tests; for the
gaussian it is ``n log(RSS_0 / RSS_1)``, R's ``drop1``. ``test="F"`` where the dispersion
is estimated (gaussian, gamma, inverse gaussian; ``dispersion="pearson"``): ``F = (D_0 -
D_1) / df / phi`` with ``phi`` the full model's ``D / df_resid`` in ``drop1`` (R's
``drop1.glm``) and its Pearson ``X2 / df_resid`` in ``anova`` (R's ``anova.glm``), on
``(df, df_resid)`` degrees of freedom; for the gaussian both are the least-squares F
tests (statsmodels' ``anova_lm``). ``deviance`` is each model's residual deviance where
the family has a unit deviance, and ``aic`` its AIC from the ML log-likelihood.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from .. import engine
from ..conventions import ROBUST_COV_TYPES
from ..errors import ConvergenceWarning, DataError, InferenceWarning
from ..family import mean_scale
from . import coefficients
from .f_test import estimated_dispersion

__all__ = ["TESTS", "Term", "anova", "drop1", "terms"]

TESTS = ("LRT", "F")


class Term:
    """One term of a parameter's formula: its label, its factors and the positions of
    its estimated columns in the result's stacked coefficients."""

    def __init__(self, parameter: str, label: str, factors: frozenset, positions: list[int]):
        self.parameter, self.label, self.factors, self.positions = (parameter, label,
                                                                    factors, positions)

    def contains(self, other: Term) -> bool:
        """Whether this term is of higher order than ``other`` and includes its factors."""
        return (self.parameter == other.parameter and other.factors < self.factors)


def terms(res, parameters=None) -> list[Term]:
    """The non-intercept terms of each estimated parameter's formula, in formula order."""
    first = res.family.parameter_names[0]
    out = []
    mask = coefficients.estimated(res)
    for name in parameters or res.formulas:
        design = res._context.designs[name]
        if design.spec is None:
            raise DataError("this fit was made from arrays: it has no formula terms to test. "
                            "Fix: fit with mlefit.fit(formula, data), or compare fits with "
                            "mlefit.lrtest.")
        for part in design.spec.structure:
            cols = [c for c in part.columns if c in design.columns]
            factors = frozenset(str(f) for f in getattr(part.term, "factors", ()))
            if not cols or str(part.term) == "1" or not factors:
                continue
            positions = [res.index.get_loc((name, c)) for c in cols]
            positions = [p for p in positions if mask[p]]
            label = str(part.term) if name == first else f"{name}:{part.term}"
            out.append(Term(name, label, factors, positions))
    return out


def _check(res, test: str) -> None:
    if test not in TESTS:
        raise DataError(f"test={test!r} is not 'LRT' or 'F'.")
    if test == "F" and not estimated_dispersion(res):
        raise DataError(f"the F test needs an estimated dispersion, which the "
                        f"{res.family.name!r} fit does not have (it is fixed at 1 or modelled "
                        "with covariates). Fix: use test='LRT'.")
    if res.convention.cov_type in ROBUST_COV_TYPES:
        warnings.warn(f"this fit uses a robust covariance (cov_type="
                      f"{res.convention.cov_type!r}); the likelihood-ratio and F tests of the "
                      "term table assume the model is correctly specified and do not use it. "
                      "Fix: for tests that match the robust standard errors, use Wald tests "
                      "(res.wald_test('term = 0, ...')).", InferenceWarning, stacklevel=3)
    if test == "F" and not res.family.has("unit_deviance"):
        raise DataError(f"family {res.family.name!r} has no unit deviance, so no F test. Fix: "
                        "use test='LRT'.")


def _deviance(obj, beta, var_weights) -> float:
    fam = obj.family
    if not fam.has("unit_deviance"):
        return np.nan
    ybar, m = mean_scale(fam, obj.y)
    thetas = obj.thetas(obj.etas(beta))
    v = 1.0 if var_weights is None else var_weights
    return float(np.sum(obj.weights * v * m * fam.unit_deviance(ybar, **thetas)))


def _fit_without(res, removed: list[int]) -> tuple[float, float]:
    """ML log-likelihood and deviance of the fit's model without the coefficients at
    ``removed`` (positions of the stacked vector): a refit of its objective."""
    ctx = res._context
    obj = ctx.objective
    beta = coefficients.ml_coef(res)
    places = sorted((coefficients.objective_position(res, p) for p in removed), reverse=True)
    for place in places:
        obj = obj.restrict(place, 0.0)
        beta = np.delete(beta, place)
    vw = ctx.frame.var_weights
    vw = None if vw is None else vw[ctx.rows]
    if not places:
        return obj.loglik(beta), _deviance(obj, beta, vw)
    spec = engine.DispersionSpec.of(obj.family, vw)
    opts = ctx.options
    sol = engine.maximize(obj, beta, method=opts.method, dispersion=spec,
                          maxiter=opts.maxiter, tol=opts.tol)
    if not sol.converged:
        warnings.warn(f"a reduced model did not converge ({sol.message}); its row of the "
                      "term table is unreliable. Fix: check the model (separation, "
                      "starting values) or refit with more iterations.", ConvergenceWarning,
                      stacklevel=4)
    return float(sol.llf), _deviance(obj, sol.beta, vw)


def _test(res, test: str, df: int, l0, d0, l1, d1, phi: float) -> tuple[float, float]:
    """The statistic and p-value of a reduced model (0) against a larger one (1)."""
    if not df:
        return np.nan, np.nan
    if test == "LRT":
        lr = max(0.0, 2 * (l1 - l0))
        return lr, float(stats.chi2.sf(lr, df))
    F = max(0.0, d0 - d1) / df / phi
    return F, float(stats.f.sf(F, df, res.df_resid))


def drop1(res, test: str = "LRT") -> pd.DataFrame:
    """Each term of the fit dropped in turn, as R's ``drop1`` (marginality respected: a
    term inside a higher-order term stays). One row for the full model (``<none>``) and
    one per term: ``df`` (columns removed), ``deviance`` (residual deviance of the
    reduced model; NaN for a family without a unit deviance), ``aic``, ``statistic``
    (LR chi2 for ``test="LRT"``, F for ``test="F"``) and ``p_value``. See
    :mod:`mlefit.inference.term_tables`."""
    _check(res, test)
    found = terms(res)
    llf_full, dev_full = _fit_without(res, [])
    phi = dev_full / res.df_resid if test == "F" else np.nan
    rows = [{"term": "<none>", "df": np.nan, "deviance": dev_full,
             "aic": -2 * llf_full + 2 * res.k, "statistic": np.nan, "p_value": np.nan}]
    for term in found:
        if any(other.contains(term) for other in found):
            continue
        l0, d0 = _fit_without(res, term.positions)
        df = len(term.positions)
        stat, p = _test(res, test, df, l0, d0, llf_full, dev_full, phi)
        rows.append({"term": term.label, "df": df, "deviance": d0,
                     "aic": -2 * l0 + 2 * (res.k - df), "statistic": stat, "p_value": p})
    return pd.DataFrame(rows).set_index("term")


def anova(res, type: str = "I", test: str = "LRT") -> pd.DataFrame:
    """Term-wise tests of the first parameter's terms: sequential (``type="I"``, R's
    ``anova`` of one glm) or each term after the terms that do not contain it
    (``type="II"``, car's ``Anova``). One row per term: ``df``, ``deviance`` (the change
    of deviance the term makes), ``resid_deviance`` (of the model with the term),
    ``statistic`` (LR chi2, or F with the full model's Pearson dispersion) and
    ``p_value``. See :mod:`mlefit.inference.term_tables`."""
    if type not in ("I", "II"):
        raise DataError(f"type={type!r} is not 'I' or 'II'.")
    _check(res, test)
    found = terms(res, [res.family.parameter_names[0]])
    phi = res.dispersion.phi_pearson if test == "F" else np.nan
    rows = []
    for i, term in enumerate(found):
        if type == "I":
            larger = [p for t in found[i + 1:] for p in t.positions]
        else:
            larger = [p for t in found if t.contains(term) for p in t.positions]
        l1, d1 = _fit_without(res, larger)
        l0, d0 = _fit_without(res, larger + term.positions)
        df = len(term.positions)
        stat, p = _test(res, test, df, l0, d0, l1, d1, phi)
        rows.append({"term": term.label, "df": df, "deviance": d0 - d1, "resid_deviance": d1,
                     "statistic": stat, "p_value": p})
    return pd.DataFrame(rows).set_index("term")
