"""Predictions with delta-method confidence intervals, for the mean or any parameter.

For a parameter ``j``: ``eta_j = X_j b_j + offset_j`` with ``Var(eta_j) = x' C_jj x``; the
interval ``eta_j -+ q se`` is taken on the link scale and transformed back (as
statsmodels' ``get_prediction`` and R's ``predict(..., se.fit = TRUE)`` on the link
scale). For the mean of a family whose mean is its first parameter (every GLM family) the
same holds; for any other mean (``lognormal``: ``exp(mu + sigma^2 / 2)``) the gradient of
the mean with respect to every linear predictor is taken numerically per row and the
interval is the delta method's ``estimate -+ q se`` on the response scale.

A fit with ``singular="drop"`` predicts from its estimated coefficients: the aliased
columns are dropped from the designs (rebuilt ones for ``newdata`` too), which treats
their coefficients as 0, as R's ``predict.lm`` does. On ``newdata`` that is right only
where the new rows keep the dependence the fit's rows had, so it warns (R: "prediction
from a rank-deficient fit may be misleading").
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import DataError, DataWarning
from ..inference.coefficients import estimated, estimated_cov
from ..inference.confidence import quantile

__all__ = ["INTERVALS", "category_probabilities", "designs", "linear_predictors", "predict"]

INTERVALS = (None, "confidence")


def _check_exposure(design, newdata: pd.DataFrame) -> None:
    """Refuse exposure <= 0 in ``newdata`` as fit() does (NaN rows stay NaN)."""
    for source in design.sources:
        if source.log and source.column is not None and source.column in newdata:
            raw = pd.to_numeric(newdata[source.column], errors="coerce").to_numpy(dtype=float)
            bad = newdata.index[raw <= 0]
            if bad.size:
                raise DataError(f"exposure column {source.column!r} of newdata is <= 0 in "
                                f"{bad.size} row(s) (labels {list(bad[:5])}); exposure must be "
                                "positive (its log is the offset). Fix: drop or correct those "
                                "rows.")


def designs(res, newdata=None):
    """``{parameter: (X, offset)}`` of the estimated parameters, and the row index."""
    if newdata is not None and not isinstance(newdata, pd.DataFrame):
        raise DataError("newdata must be a pandas DataFrame. Fix: wrap it with "
                        "pd.DataFrame(...).")
    out = {}
    source = res._context.frame if newdata is None else res._context  # the fit's rows need data
    for name in res.formulas:
        design = source.designs[name]
        if newdata is None:
            out[name] = design.X, design.offset
        else:
            _check_exposure(design, newdata)
            out[name] = design.rebuild(newdata)
        if name in res._context.aliased:       # singular="drop": the estimated columns
            X, offset = out[name]
            out[name] = X[:, res._context.estimated_columns(name)], offset
    if newdata is not None and res.aliased:
        _warn_rank_deficient(res)
    index = res._context.frame.index if newdata is None else newdata.index
    return out, index


def _warn_rank_deficient(res) -> None:
    shown = [f"{p}: {t}" for p, t in res.aliased]
    warnings.warn(f"prediction from a rank-deficient fit may be misleading: the aliased "
                  f"coefficients {shown} (singular='drop') were not estimated and count as "
                  "0, which is right only where the new rows keep the linear dependence of "
                  "the fit's rows. Fix: remove the aliased terms and refit, so that the "
                  "model says what it predicts from.", DataWarning, stacklevel=5)


def linear_predictors(res, mats, n: int) -> dict[str, np.ndarray]:
    coef = res.params[estimated(res)]
    etas = {}
    for p in res.family.parameters:
        if p.name in res.fixed:
            etas[p.name] = np.full(n, float(res.links[p.name].link(res.fixed[p.name])))
        else:
            X, off = mats[p.name]
            etas[p.name] = off + X @ coef[p.name].to_numpy()
    return etas


def _eta_se(res, mats, name: str) -> np.ndarray:
    sl = np.intersect1d(res.index.get_locs([name]), np.flatnonzero(estimated(res)))
    C = res.cov[np.ix_(sl, sl)]
    X = mats[name][0]
    return np.sqrt(np.einsum("ij,jk,ik->i", X, C, X))


def _mean_is_first(res, thetas) -> bool:
    fam = res.family
    if fam.has("unit_variance"):
        return True
    first = thetas[fam.parameters[0].name]
    with np.errstate(all="ignore"):
        return bool(np.allclose(fam.mean(**thetas), first, rtol=0, atol=0, equal_nan=True))


def predict(res, newdata=None, which: str = "mean", interval: str | None = None,
            alpha: float = 0.05, k=None, **options):
    """See :meth:`mlefit.FitResult.predict`."""
    from . import predictive  # the predictive distribution (quantiles, intervals, survival)

    if which == "prob" and res.family.has("probabilities"):   # ordinal, multinomial
        if k is not None or options:
            raise DataError("predict(which='prob') of a categorical family gives every "
                            "level's probability; it takes no k= or other options.")
        return category_probabilities(res, newdata, interval)
    if which in ("prob", "zero", "count"):   # pscl's type= (postestimation.zero_modified)
        from .zero_modified import predict_zero_modified
        if options:
            raise DataError(f"predict(which={which!r}) takes k=, not {sorted(options)}.")
        return predict_zero_modified(res, newdata, which, interval, k)
    if k is not None:
        raise DataError("k= goes with which='prob' (the counts whose probabilities to give).")

    if which in ("mean", "mean_untruncated") and interval != "prediction":
        from . import truncated_mean  # a truncated fit's mean is the conditional one

        bounds = None if which == "mean_untruncated" else truncated_mean.window(
            res, newdata, _rows(res, newdata), options.pop("truncation", None))
        which = "mean"
        if bounds is not None:
            if options:
                raise DataError(f"predict(which='mean') got unexpected keyword(s) "
                                f"{sorted(options)}; a truncated mean takes truncation=.")
            return truncated_mean.predict(res, newdata, bounds, interval, alpha)
    if which in predictive.WHICH or interval == "prediction":
        return predictive.predict(res, newdata, which, interval, alpha, options)
    if options:
        raise DataError(f"predict() got unexpected keyword(s) {sorted(options)}; they go with "
                        f"which in {list(predictive.WHICH)} or interval='prediction'.")
    if interval not in INTERVALS:
        raise DataError(f"interval={interval!r} is not None, 'confidence' or 'prediction'.")
    fam = res.family
    first = fam.parameters[0].name
    if which not in ("mean", "link", *fam.parameter_names):
        raise DataError(f"which={which!r} is not 'mean', 'link', one of "
                        f"{list(fam.parameter_names)} or {list(predictive.WHICH)}.")
    if which == "mean" and not fam.has("mean"):
        raise DataError(f"family {fam.name!r} defines no mean(). Fix: predict a parameter "
                        f"instead, e.g. which={first!r}"
                        + (", or the category probabilities, which='prob'." if
                           fam.has("probabilities") else "."))
    mats, index = designs(res, newdata)
    n = len(index)
    etas = linear_predictors(res, mats, n)
    with np.errstate(all="ignore"):
        thetas = {p: res.links[p].inverse(e) for p, e in etas.items()}
    target = first if which in ("link", "mean") and (which == "link" or
                                                     _mean_is_first(res, thetas)) else which
    if which == "mean" and target == "mean":
        value = np.asarray(fam.mean(**thetas), dtype=float)
    elif which == "link":
        value = etas[first]
    else:
        value = thetas[target]
    if interval is None:
        return pd.Series(value, index=index, name=which)
    q = quantile(res, alpha)
    if target == "mean":
        se = _mean_se(res, mats, etas)
        lower, upper = value - q * se, value + q * se
    elif target in res.fixed:
        se = np.zeros(n)
        lower = upper = value
    else:
        se_eta = _eta_se(res, mats, target)
        link = res.links[target]
        if which == "link":
            se, lower, upper = se_eta, value - q * se_eta, value + q * se_eta
        else:
            ends = link.inverse(etas[target] - q * se_eta), link.inverse(etas[target] + q * se_eta)
            lower, upper = np.minimum(*ends), np.maximum(*ends)
            se = np.abs(link.inverse_deriv(etas[target])) * se_eta
    return pd.DataFrame({"estimate": value, "se": se, "lower": lower, "upper": upper},
                        index=index)


def category_probabilities(res, newdata=None, interval=None) -> pd.DataFrame:
    """``predict(which="prob")`` of a categorical family (ordinal, multinomial): one column
    per level of the response, the family's ``probabilities`` of each row."""
    if interval is not None:
        raise DataError("predict(which='prob') gives the category probabilities without "
                        "intervals. Fix: drop interval=, or bootstrap (res.simulate) them.")
    mats, index = designs(res, newdata)
    etas = linear_predictors(res, mats, len(index))
    with np.errstate(all="ignore"):
        thetas = {p: res.links[p].inverse(e) for p, e in etas.items()}
    P = np.asarray(res.family.probabilities(**thetas), dtype=float)
    return pd.DataFrame(P, index=index, columns=[str(v) for v in res.family.levels])


def _rows(res, newdata) -> int:
    return len(res._context.frame.index) if newdata is None else len(newdata)


def _mean_se(res, mats, etas, mean=None) -> np.ndarray:
    """Delta method for a mean that depends on several parameters (numeric per-row
    gradient with respect to each linear predictor); ``mean(thetas)`` another mean
    (default the family's)."""
    fam = res.family
    mean = mean or (lambda th: fam.mean(**th))
    blocks = []
    for name in res.formulas:
        h = np.cbrt(np.finfo(float).eps) * (1.0 + np.abs(etas[name]))
        grads = []
        for sign in (1.0, -1.0):
            moved = dict(etas)
            moved[name] = etas[name] + sign * h
            th = {p: res.links[p].inverse(e) for p, e in moved.items()}
            grads.append(np.asarray(mean(th), dtype=float))
        blocks.append(((grads[0] - grads[1]) / (2 * h))[:, None] * mats[name][0])
    J = np.hstack(blocks)
    return np.sqrt(np.einsum("ij,jk,ik->i", J, estimated_cov(res), J))
