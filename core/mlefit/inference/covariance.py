"""Covariance of the estimates: observed, expected, sandwich and cluster-robust.

The covariance is the inverse of an information matrix at the MLE (observed by default,
what ``optim(hessian=TRUE)`` and bbmle report; expected on request), or a sandwich
(``robust`` HC0/HC1/HC2/HC3, ``cluster`` CR1). How a sandwich counts is the
convention's :class:`~mlefit.conventions.SandwichRule`: by default the observed
information as the bread, frequency weights and every coefficient in ``k``; under
``convention="R"`` R's ``sandwich`` on a glm (expected information, prior weights,
``k`` the mean model's columns). When every row's information block is positive
semi-definite, the inverse comes from the pivoted QR of the stacked weighted design;
otherwise from the scaled eigen-decomposition.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, replace

import numpy as np

from ..conventions import LEVERAGE_COV_TYPES, ML_SANDWICH, ROBUST_COV_TYPES, SandwichRule
from ..engine import Objective, Want, linalg
from ..engine.kernel import LEVERAGE_LIMIT
from ..errors import DataError, HessianWarning

__all__ = ["COV_CONDITION", "LEVERAGE_LIMIT", "Covariance", "OutOfRange", "covariance",
           "held_covariance", "information_rows", "inverse_information", "leverages",
           "sandwich"]

#: scaled condition number below which the covariance comes from a Cholesky factor
COV_CONDITION = 1e5


@dataclass(frozen=True)
class Covariance:
    """A covariance matrix of the coefficients and how it was obtained."""

    matrix: np.ndarray
    kind: str
    condition: float
    gradient_se: float


def information_rows(obj: Objective, rows, kind: str) -> dict:
    """Per-row information blocks of ``kind`` (the QR fallback's input)."""
    if kind == "expected":
        W = obj.expected(rows)
        if W is None:
            raise DataError(_NO_EXPECTED.format(obj.family.name))
        return W
    return obj.observed(rows)


_NO_EXPECTED = ("family {!r} gives no expected information. Fix: use cov_type='observed'.")


def inverse_information(obj: Objective, info: np.ndarray, beta: np.ndarray,
                        kind: str) -> np.ndarray:
    """The inverse of ``info`` (scaled coordinates of the kernel); NaN with a
    :class:`HessianWarning` if not invertible.

    A well-conditioned information (scaled condition below 1e5) is inverted through the
    Cholesky factor of its correlation-scaled form (relative error below ~1e-11, and a
    fraction of the cost at large n). Otherwise the pivoted QR of the stacked weighted
    design is used (NIST Wampler3-5, scaled condition 5e6: SE digits 10 by Cholesky,
    13 by QR): one more pass of the kernel gives the R factor blockwise (TSQR). Rows whose
    information block is not PSD (observed information away from the mode of that row)
    are factored through a PSD stand-in: the expected information when the family has
    it, else ``|W_i|``; see :class:`mlefit.engine.linalg.Factor`. That last fallback
    reads the per-row information of all rows at once.
    """
    p = info.shape[0]
    try:
        return linalg.cholesky_inverse(info, COV_CONDITION)
    except linalg.NotPositiveDefinite:
        pass
    try:
        _, d = linalg.scaled(info)
        got = obj.evaluate(beta, Want(information=kind, qr=(kind, d)))
    except linalg.NotPositiveDefinite:
        got = None
    if got is not None and got.qr_ok and got.qr is not None:   # every row's block is PSD
        try:
            return linalg.Factor(linalg.pivoted(got.qr[:p, :p]), d, None).inverse()
        except linalg.NotPositiveDefinite as exc:
            return _singular(p, exc)
    rows = obj.rows(beta)
    W = information_rows(obj, rows, kind)
    k = len(obj.active)
    P = None
    if linalg.row_factors(W, k, obj.n) is None:
        P = obj.expected(rows) if obj.family.expected_in_optimiser else None
        if P is None or linalg.row_factors(P, k, obj.n) is None:
            P = linalg.psd_part(W, k, obj.n)
    d = obj.scale
    try:
        return linalg.factorize(obj.designs, obj.weights, W, P).inverse() \
            / (d[:, None] * d[None, :])
    except linalg.NotPositiveDefinite as exc:
        return _singular(p, exc)


def _singular(p: int, exc: Exception) -> np.ndarray:
    warnings.warn(f"the information matrix at the estimate is singular or not positive "
                  f"definite ({exc}): standard errors are not available. The model may "
                  "be over-parameterised or the estimate not a maximum; simplify the "
                  "model or check the start values.", HessianWarning, stacklevel=4)
    return np.full((p, p), np.nan)


def covariance(obj: Objective, beta: np.ndarray, cov_type: str = "observed",
               groups: np.ndarray | None = None, mle: np.ndarray | None = None,
               point=None, rule: SandwichRule = ML_SANDWICH) -> Covariance:
    """Covariance at ``beta`` of the requested type.

    ``mle`` (default ``beta``) is where the gradient diagnostic is taken; it differs from
    ``beta`` when a convention reports the dispersion at its Pearson estimate. ``point``
    is the optimiser's last pass (:class:`mlefit.engine.Point`): its observed information
    is reused when it was taken at ``beta`` with analytic derivatives or the accurate
    numeric scheme. Otherwise one pass
    of the kernel gives the score, the information and (for HC0, HC1 and clusters) the
    meat together; HC2 and HC3 take a second pass with the leverages. ``rule`` is the
    convention's sandwich rule (used by the robust types only).
    """
    robust = cov_type in ROBUST_COV_TYPES
    base = "expected" if cov_type == "expected" or (
        robust and rule.bread == "expected" and obj.family.has("expected_information")) \
        else "observed"
    same = mle is None or np.array_equal(mle, beta)
    codes, G = _cluster_codes(groups) if cov_type == "cluster" else (None, 0)
    one_pass_meat = robust and cov_type not in LEVERAGE_COV_TYPES and cov_type != "cluster"
    reuse = (point is not None and not robust and base == "observed" and same
             and (obj.derivatives == "analytic" or point.accurate)
             and np.array_equal(point.beta, beta) and point.sums.information is not None)
    if reuse:
        sums = point.sums
    else:
        sums = obj.evaluate(beta, Want(gradient=same, information=base, accurate=True,
                                       meat=_mass(rule) if one_pass_meat else None,
                                       clusters=G), groups=codes)
    if sums.information is None:
        raise DataError(_NO_EXPECTED.format(obj.family.name))
    g = sums.gradient if same else obj.evaluate(mle, Want(gradient=True)).gradient
    info = sums.information
    cov = inverse_information(obj, info, beta, base)
    kind = f"{base} information"
    if robust:
        cov, kind = sandwich(obj, beta, sums, cov, cov_type, G, rule)
    se = np.sqrt(np.abs(np.diag(cov)))
    with np.errstate(invalid="ignore"):
        grad_se = float(np.max(np.abs(g) * se)) if g.size else 0.0
    return Covariance(_unscaled(cov, obj.scale), kind, linalg.condition(info), grad_se)


class OutOfRange(ArithmeticError):
    """Variances float64 cannot hold (a column scaled by 1e300); ``positions`` are the
    coefficients'."""

    def __init__(self, positions):
        super().__init__(f"variances of coefficients {list(positions)} overflow or underflow")
        self.positions = positions


def _unscaled(cov: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``D C D`` from the kernel's scaled coordinates; :class:`OutOfRange` when a
    variance overflows or underflows float64 (the scaled one did not)."""
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        out = cov * d[:, None] * d[None, :]
    v, vs = np.diag(out), np.diag(cov)
    lost = (~np.isfinite(v) | (v == 0)) & np.isfinite(vs) & (vs != 0)
    if lost.any():
        raise OutOfRange(np.flatnonzero(lost))
    return out


def _mass(rule: SandwichRule) -> str:
    return "prior" if rule.prior_weights else "frequency"


def _cluster_codes(groups):
    if groups is None:
        raise DataError("cov_type='cluster' needs groups=. Fix: pass a column name or an "
                        "array with one cluster label per row.")
    if hasattr(groups, "cluster_count"):    # labels in a Dask fit's partitions: the
        codes, G = groups, groups.cluster_count    # objective sums them by a groupby
    else:
        codes, labels = _codes(groups)
        G = labels.size
    if G < 2:
        raise DataError("cov_type='cluster' needs at least two clusters.")
    return codes, G


def sandwich(obj: Objective, beta, sums, bread: np.ndarray, cov_type: str, G: int,
             rule: SandwichRule = ML_SANDWICH):
    """``factor * bread meat bread`` with per-row (or per-cluster) score outer products.

    The meat is ``sum_i m_i s_i s_i'`` over the unweighted per-row scores ``s_i``, with
    ``m_i = w_i`` for frequency weights and ``w_i^2`` for prior weights (R's estimating
    functions ``w_i s_i``); HC2 and HC3 divide ``m_i`` by ``1 - h_i`` and ``(1 - h_i)^2``,
    ``h_i`` the row's leverage in the mean model (a second pass of the kernel with the
    mean model's information factor, :meth:`Objective.leverage_factor`). ``cluster``
    (CR1) sums ``w_i s_i`` within clusters (the kernel's clusters-by-p accumulator). HC1
    multiplies by ``n / (n - k)`` and CR1 by ``G/(G - 1) (n - 1)/(n - k)``; ``n`` and
    ``k`` are counted as ``rule`` says. Everything is in the kernel's scaled coordinates.
    """
    w = obj.weights
    p = bread.shape[0]
    n = float(obj.n) if rule.prior_weights else float(np.sum(w))
    k = obj.blocks[0].size if rule.mean_k else p
    r_note = ", R's sandwich on a glm" if rule.prior_weights else ""
    if cov_type == "cluster":
        meat = sums.clusters.T @ sums.clusters
        factor = G / (G - 1) * (n - 1) / _residual_df(n, k, cov_type)
        kind = f"cluster-robust (CR1, {G} clusters{r_note})"
    else:
        meat = sums.meat
        if cov_type in LEVERAGE_COV_TYPES:
            meat = _leverage_meat(obj, beta, cov_type, rule)
        factor = n / _residual_df(n, k, cov_type) if cov_type == "HC1" else 1.0
        kind = f"robust ({'HC0' if cov_type == 'robust' else cov_type}{r_note})"
    return _psd_rounding(factor * bread @ meat @ bread), kind


def _leverage_meat(obj, beta, cov_type, rule):
    factor = _leverage_factor(obj, beta)
    got = obj.evaluate(beta, Want(meat=_mass(rule), hc=2 if cov_type == "HC3" else 1,
                                  leverage=(*factor, not rule.prior_weights)))
    if got.high_leverage:
        raise DataError(f"{got.high_leverage} row(s) have leverage 1 in the mean "
                        "model (it fits them exactly), so HC2 and HC3 are undefined there. "
                        "Fix: use cov_type='HC0' or 'HC1', or remove those rows.")
    return got.meat


def _leverage_factor(obj, beta):
    factor = obj.leverage_factor(beta)
    if factor is None:
        raise DataError(f"HC2 and HC3 need the leverages of the mean model: family "
                        f"{obj.family.name!r} gives no expected information for an estimated "
                        f"{obj.blocks[0].name!r}. Fix: use cov_type='HC0' or 'HC1'.")
    return factor


def leverages(obj: Objective, beta, rule: SandwichRule = ML_SANDWICH) -> np.ndarray:
    """Each row's leverage in the mean model (the kernel's leverage pass, R's
    ``hatvalues``); per copy (``h_i / w_i``) for frequency weights. A DataError when the
    family gives no leverages."""
    factor = _leverage_factor(obj, beta)
    return obj.evaluate(beta, Want(leverage=(*factor, not rule.prior_weights),
                                   leverages_out=True)).leverages


def _psd_rounding(cov: np.ndarray) -> np.ndarray:
    """``B M B`` symmetrised, with a variance that rounding made negative (a coefficient
    whose rows all fit exactly has an exact-zero meat: -4e-17 was seen) set to 0 with its
    covariances: the sandwich is positive semi-definite in exact arithmetic."""
    cov = 0.5 * (cov + cov.T)
    negative = np.diag(cov) < 0
    if negative.any():
        cov[negative, :] = 0.0
        cov[:, negative] = 0.0
    return cov


def _residual_df(n: float, k: int, cov_type: str) -> float:
    """``n - k`` of the HC1 and CR1 factors; a DataError when it is not positive."""
    if n - k <= 0:
        raise DataError(f"cov_type={cov_type!r} scales by 1/(n - k), and here n = {n:g} "
                        f"observations leave no residual degrees of freedom for k = {k} "
                        "coefficients. Fix: use cov_type='HC0' (or 'observed'), or more data.")
    return n - k


def _codes(groups):
    labels, codes = np.unique(np.asarray(groups), return_inverse=True)
    return codes.reshape(-1), labels


def held_covariance(obj: Objective, beta, names, cov_type, groups,
                    rule: SandwichRule = ML_SANDWICH) -> Covariance:
    """Covariance of the coefficients of the other parameters with ``names`` held at
    their values (parameters at a boundary); NaN rows and columns for ``names``."""
    keep = [obj.blocks[a].name for a in obj.active if obj.blocks[a].name not in names]
    inner = covariance(obj.freeze(beta, keep=keep), np.concatenate(
        [beta[obj.block_slice(n)] for n in keep]), cov_type, groups, rule=rule)
    idx = np.concatenate([np.arange(obj.p)[obj.block_slice(n)] for n in keep])
    full = np.full((obj.p, obj.p), np.nan)
    full[np.ix_(idx, idx)] = inner.matrix
    return replace(inner, matrix=full, kind=f"{inner.kind}, {', '.join(names)} held at its "
                   "boundary")
