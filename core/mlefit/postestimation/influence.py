"""Influence measures: hat values, Cook's distance, standardized and studentized
residuals and dfbetas, each as R defines it for a glm; the generalized leverage of a
distributional model.

**GLM families** (a family with a unit deviance, a variance function and an expected
information, whose parameters after the mean are held or intercept-only): with ``h_i`` the
hat values, ``phi`` R's ``summary(glm)$dispersion`` (Pearson's ``X2 / (n - p)`` for a
family with a dispersion parameter, 1 for a family that fixes it (binomial, poisson, the
negative binomial at its theta), the Pearson dispersion under ``dispersion="pearson"``),
``p`` the mean model's rank, ``n`` the rows used, and
R's residuals with ``w_i`` R's prior weights (here the frequency weights ``weights``
times the precision weights ``var_weights``, and the trials of a binomial),
``rD_i = sign(y - mu) sqrt(w_i d_i)`` (deviance) and
``rP_i = (y - mu) sqrt(w_i) / sqrt(V(mu))`` (Pearson):

* ``hat``: ``h_i = w_i W_i x_i' (X' W X)^-1 x_i`` with ``W_i`` the working weights (R's
  ``hatvalues``; the kernel's leverage pass with prior weights, as
  :func:`mlefit.inference.covariance.leverages` for HC2/HC3);
* ``cooks_distance``: ``(rP_i / (1 - h_i))^2 h_i / (phi p)`` (R's ``cooks.distance.glm``);
* ``rstandard_deviance`` and ``rstandard_pearson``: ``r_i / sqrt(phi (1 - h_i))`` (R's
  ``rstandard.glm``, both types);
* ``rstudent``: R's ``rstudent.glm`` approximation (Williams 1987),
  ``sign(rD_i) sqrt(rD_i^2 + h_i rP_i^2 / (1 - h_i))``, divided by ``s_(i)`` except for
  binomial and poisson (for the gaussian it is the exact deletion residual of a linear
  model, R's ``rstudent.lm``);
* ``dfbetas:<term>``: R's ``dfbetas`` of a glm, the one-step change
  ``(X' W X)^-1 x_i sqrt(w_i W_i) rD_i / (1 - h_i)`` divided by
  ``s_(i) sqrt([(X' W X)^-1]_jj)``,

where ``s_(i) = sqrt((sum rD^2 - rD_i^2 / (1 - h_i)) / (n - p - 1))`` is R's
``lm.influence(glm)$sigma`` (computed from the deviance residuals). A row with ``h_i = 1``
gets NaN where R's formula divides by ``1 - h_i``.

**Other models** (a parameter after the mean with a design, or a family without GLM
statistics): ``hat`` is the generalized leverage of the full parameter vector, the
diagonal of the hat matrix of the stacked weighted regression that Newton's step solves,
``h_i = w_i tr(W_i X_i I^-1 X_i')`` with ``X_i`` the row's block-diagonal design (one
block per estimated parameter), ``W_i`` its per-row information on the linear-predictor
scales (expected when the family gives it, else observed) and ``I = sum_i w_i X_i' W_i
X_i``. The values sum to the number of coefficients, and for a single-parameter GLM they
are R's hat values; it is the leverage of the row on its own fitted linear predictors, not
Wei, Hu and Fung's (1998) ``d yhat / d y'``, which needs the response's derivatives.
Only ``hat`` is defined for these models.

Cost: the mean model's information (one kernel pass) and the kernel's leverage pass for
the hat values; the per-row working weights (one pass) and one product per block of rows
for dfbetas, whose n-by-p block of the output table is the only n-by-p array allocated;
n-vectors otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import linalg as sla

from ..conventions import R_SANDWICH
from ..engine import Want
from ..errors import DataError
from ..inference.coefficients import estimated, estimated_coef
from .residuals import residuals

__all__ = ["GLM_COLUMNS", "generalized_leverage", "influence", "is_glm_like"]

#: the columns of a GLM's influence table before its dfbetas
GLM_COLUMNS = ("hat", "cooks_distance", "rstandard_deviance", "rstandard_pearson",
               "rstudent")
#: R's rstudent.glm skips the leave-one-out sigma for these families
_NO_SIGMA = ("binomial", "poisson")


def is_glm_like(res) -> bool:
    """Whether ``res`` is a GLM in R's sense: GLM statistics, an expected information,
    and every parameter after the mean held or intercept-only."""
    fam = res.family
    if not all(fam.has(m) for m in ("unit_deviance", "unit_variance", "expected_information")):
        return False
    obj = res._context.objective
    for b in obj.blocks[1:]:
        if b.size > 1 or (b.size == 1 and not np.all(b.X == b.X[0])):
            return False
    return obj.blocks[0].size > 0 and obj.active[0] == 0


def influence(res) -> pd.DataFrame:
    """See :meth:`mlefit.FitResult.influence`."""
    ctx = res._context
    if not ctx.has_data:
        raise DataError("influence measures need the fit's rows, which this result no "
                        "longer has (remove_data() or a Dask fit). Fix: refit in memory.")
    index = ctx.frame.index
    if not is_glm_like(res):
        return pd.DataFrame({"hat": _spread(generalized_leverage(res), ctx)}, index=index)
    obj = ctx.objective
    beta = estimated_coef(res)
    factor = obj.leverage_factor(beta)
    h = obj.evaluate(beta, Want(leverage=(*factor, not R_SANDWICH.prior_weights),
                                leverages_out=True)).leverages
    w = obj.weights
    rows = ctx.rows
    rP = residuals(res, "pearson").to_numpy()[rows] * np.sqrt(w)
    rD = residuals(res, "deviance").to_numpy()[rows] * np.sqrt(w)
    used = w > 0
    n, p = int(np.count_nonzero(used)), obj.blocks[0].size
    phi = _dispersion(res, rP, n, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        one = np.where(h < 1.0, 1.0 - h, np.nan)
        cooks = (rP / one) ** 2 * h / (phi * p)
        std_dev = rD / np.sqrt(phi * one)
        std_pear = rP / np.sqrt(phi * one)
        sigma = np.sqrt((np.sum(rD ** 2) - rD ** 2 / one) / (n - p - 1))
        stud = np.sign(rD) * np.sqrt(rD ** 2 + h * rP ** 2 / one)
        if res.family.name not in _NO_SIGMA:
            stud = stud / sigma
        scale = rD / (one * sigma)
    first = res.family.parameters[0].name
    terms = [t for (name, t), e in zip(res.index, estimated(res), strict=True)
             if name == first and e]
    columns = [*GLM_COLUMNS, *(f"dfbetas:{t}" for t in terms)]
    # one table, filled in place: its dfbetas block is the one n-by-p array allocated
    table = np.full((ctx.frame.n, len(columns)), np.nan)
    every = bool(np.all(rows)) if rows.dtype == bool else len(rows) == ctx.frame.n
    for k, values in enumerate((h, cooks, std_dev, std_pear, stud)):
        table[rows, k] = values
    if every:
        _dfbetas(obj, beta, factor, scale, table[:, len(GLM_COLUMNS):])
    else:
        block = np.empty((obj.n, len(terms)))
        _dfbetas(obj, beta, factor, scale, block)
        table[rows, len(GLM_COLUMNS):] = block
    return pd.DataFrame(table, index=index, columns=columns, copy=False)


def _spread(values: np.ndarray, ctx) -> np.ndarray:
    """Per-row values of the rows used, on every row of the model frame (NaN elsewhere)."""
    out = np.full(ctx.frame.n, np.nan)
    out[ctx.rows] = values
    return out


def _dispersion(res, rP: np.ndarray, n: int, p: int) -> float:
    """R's ``summary(glm)$dispersion``: Pearson's ``sum rP^2 / (n - p)`` for a family with a
    dispersion parameter or under ``dispersion="pearson"``, else 1."""
    disp = res.dispersion
    if disp is None:
        return 1.0
    if disp.parameter is None and disp.phi == 1.0:
        return 1.0
    return float(np.sum(rP ** 2) / (n - p)) if n > p else np.nan


def _dfbetas(obj, beta: np.ndarray, factor, scale: np.ndarray, out: np.ndarray) -> None:
    """``u_i * scale_i / sqrt(diag(I^-1))`` with ``u_i = I^-1 sqrt(w_i E_i) x_i``, ``I``
    the mean model's expected information (the working weights' dispersion cancels),
    one product per block of rows, written into ``out`` (rows used by p)."""
    R, d = factor
    E = obj.expected(obj.rows(beta, second=False))[(0, 0)]
    sw = np.sqrt(obj.weights * E)
    X = obj.blocks[0].X
    Rinv = sla.solve_triangular(R, np.eye(R.shape[0]), check_finite=False)
    cov = d[:, None] * (Rinv @ Rinv.T) * d[None, :]        # I^-1 = D R^-1 R^-T D
    M = cov / np.sqrt(np.diag(cov))
    step = obj.block
    for start in range(0, obj.n, step):
        cut = slice(start, min(start + step, obj.n))
        out[cut] = X[cut] @ M
        out[cut] *= (sw[cut] * scale[cut])[:, None]


def generalized_leverage(res) -> np.ndarray:
    """``h_i = w_i tr(W_i X_i I^-1 X_i')`` over every estimated parameter (module
    docstring), on the rows used."""
    obj = res._context.objective
    beta = estimated_coef(res)
    rows = obj.rows(beta)
    W = obj.expected(rows) or obj.observed(rows)
    info = obj.information(W)
    try:
        C = np.linalg.inv(info)
    except np.linalg.LinAlgError as exc:
        raise DataError("the information matrix is singular, so leverages are not "
                        "defined. Fix: simplify the model.") from exc
    designs, edges = obj.designs, obj.edges
    k = len(designs)
    h = np.zeros(obj.n)
    step = obj.block
    for start in range(0, obj.n, step):
        cut = slice(start, min(start + step, obj.n))
        for a in range(k):
            Xa = designs[a][cut]
            for b in range(k):
                key = (a, b) if (a, b) in W else (b, a)
                Cab = C[edges[a]:edges[a + 1], edges[b]:edges[b + 1]]
                Wab = np.broadcast_to(W[key], (obj.n,))[cut]
                h[cut] += Wab * np.einsum("ij,jk,ik->i", Xa, Cab, designs[b][cut])
    return obj.weights * h
