"""Near-collinearity of a design: a warning between full rank and rank deficiency.

Every design is looked at with its columns scaled to unit length (so that the units of
the covariates do not matter), before fitting:

* **rank deficiency** (refused, :class:`~mlefit.DataError`): a pivoted QR of the scaled
  design finds a pivot below :data:`mlefit.engine.linalg.RANK_TOL` (``1e-12``) of the
  largest (``fitting``'s rank check); with ``singular="drop"`` the aliased columns are
  dropped instead (:func:`drop_aliased`, R's ``NA`` coefficients) with a
  :class:`~mlefit.CollinearityWarning` naming them;
* **near-collinearity** (:class:`~mlefit.CollinearityWarning`): the 2-norm condition
  number of the scaled design, from the singular values of that R factor, exceeds
  :data:`NEAR_SINGULAR`. The warning names the columns of the nearest linear dependence
  (those with a weight of at least a tenth of the largest in the right singular vector
  of the smallest singular value) and the condition number.

:data:`NEAR_SINGULAR` is ``2**26 = 1/sqrt(eps)``, about ``6.7e7``: above it the
information matrix (whose condition number is the square of the design's) is singular
to float64 rounding, so that the standard errors and half of the coefficients' digits
rest on rounding unless the fit solves on the design itself, as mlefit's QR paths do.
NIST's Filip polynomial (scaled condition number 5.2e9) fits with its certified digits
and this warning; the other NIST StRD designs (Longley 4.3e4, Wampler 2.2e3) fit silently.

Which columns ``singular="drop"`` drops is R's rule (``lm``, ``glm``: LINPACK's
``dqrdc2``, which pivots only the dependent columns to the end): in the formula's order,
a column is aliased when its distance from the span of the earlier columns kept is at
most :data:`~mlefit.engine.linalg.RANK_TOL` of its length (R's ``glm`` uses ``1e-11``
relative to each column's length), and an all-zero column is aliased. Of two identical
columns the later one is dropped (``y ~ x1 + x2`` with ``x2 = 2 * x1``: ``x2`` is NA, as in
R), and of ``x1, x2, x3 = x1 + x2`` the last.
"""

from __future__ import annotations

import warnings

import numpy as np

from .engine import linalg
from .errors import CollinearityWarning, DataError

__all__ = ["NEAR_SINGULAR", "SINGULAR", "drop_aliased", "refuse_rank_deficient", "warn_collinear"]

#: scaled-design condition number above which a fit warns (``1/sqrt(eps)``)
NEAR_SINGULAR = 2.0**26
#: the values of ``fit(singular=)``: refuse a rank-deficient design, or drop its aliased
#: columns (R's default)
SINGULAR = ("error", "drop")
_SHOWN = 6


def refuse_rank_deficient(parameter: str, formula: str, columns, pr: linalg.PivotedR,
                          zero) -> None:
    """Raise the rank-deficiency error naming the aliased and all-zero columns, if any."""
    if pr.rank == len(columns) and not len(zero):
        return
    aliased = sorted({*pr.aliased.tolist(), *np.asarray(zero).tolist()})
    cols = [columns[i] for i in aliased]
    raise DataError(f"the design of {parameter!r} ({formula}) is rank deficient: "
                    f"{cols} {'is' if len(cols) == 1 else 'are'} a linear combination "
                    "of the other columns (or all zero on the rows used). Fix: "
                    "remove or combine those terms.")


def warn_collinear(parameter: str, formula: str, columns, pr: linalg.PivotedR,
                   stacklevel: int = 2) -> float:
    """Warn when the scaled design with R factor ``pr`` (of full rank) is nearly
    collinear; returns its condition number."""
    if pr.R.shape[0] < 2:
        return 1.0
    cond, direction = linalg.near_dependence(pr)
    if cond <= NEAR_SINGULAR:
        return cond
    weight = np.abs(direction)
    involved = np.flatnonzero(weight >= 0.1 * weight.max())
    involved = involved[np.argsort(-weight[involved], kind="stable")]
    names = [str(columns[j]) for j in involved[:_SHOWN]]
    more = f" and {involved.size - _SHOWN} more" if involved.size > _SHOWN else ""
    warnings.warn(
        f"the design of {parameter!r} ({formula}) is nearly collinear: {names}{more} are "
        f"close to a linear combination of one another (condition number of the design "
        f"with unit-length columns {cond:.2g}, above {NEAR_SINGULAR:.2g}). The estimates "
        "may be the right answer to a nearly non-identified model, but their standard "
        "errors are large and many of their digits rest on rounding. Fix: drop or combine "
        "those terms, or center and scale them (orthogonal polynomials: poly(x, degree)).",
        CollinearityWarning, stacklevel=stacklevel + 1)
    return cond


def _later_dependent(A: np.ndarray, tol: float) -> list[int]:
    """R's rule on the columns of ``A`` (any matrix with the design's column geometry):
    in order, those within ``tol`` of their length of the span of the earlier ones kept
    (Gram-Schmidt, orthogonalised twice), and those of length 0."""
    basis = np.empty((A.shape[0], 0))
    out = []
    for j in range(A.shape[1]):
        v = A[:, j].copy()
        length = float(np.linalg.norm(v))
        for _ in range(2):
            v -= basis @ (basis.T @ v)
        rest = float(np.linalg.norm(v))
        if length == 0 or rest <= tol * length:
            out.append(j)
        else:
            basis = np.column_stack([basis, v / rest])
    return out


def _factor_of(A: np.ndarray) -> linalg.PivotedR:
    """The pivoted R factor of the columns ``A`` (square: ``A``'s R first)."""
    R0 = np.linalg.qr(A, mode="r") if A.shape[0] > A.shape[1] else A
    return linalg.pivoted(R0)


def drop_aliased(parameter: str, formula: str, columns, pr: linalg.PivotedR,
                 stacklevel: int = 2) -> tuple[np.ndarray, linalg.PivotedR]:
    """``singular="drop"``: the positions of the columns kept (R's rule, see the module
    docstring) of a rank-deficient design whose scaled R factor is ``pr``, and the R
    factor of the kept columns (of full rank). Warns naming the dropped columns; refuses
    a design with no column left."""
    A = pr.R[:, np.argsort(pr.perm)]          # the scaled design's column geometry
    keep = [j for j in range(A.shape[1]) if j not in set(_later_dependent(A, linalg.RANK_TOL))]
    while keep:      # at the tolerance's edge the pivoted rule may find one more
        kept_pr = _factor_of(A[:, keep])
        if kept_pr.rank == len(keep):
            break
        gone = {keep[j] for j in kept_pr.aliased}
        keep = [j for j in keep if j not in gone]
    if not keep:
        raise DataError(f"the design of {parameter!r} ({formula}) has no column that is not "
                        "all zero on the rows used, so there is nothing to estimate. Fix: "
                        f"give {parameter!r} a formula with a nonzero column (e.g. '~ 1').")
    dropped = [str(columns[j]) for j in range(A.shape[1]) if j not in set(keep)]
    one = len(dropped) == 1
    warnings.warn(
        f"the design of {parameter!r} ({formula}) is rank deficient: {dropped} "
        f"{'is' if one else 'are'} a linear combination of the earlier columns (or all zero "
        f"on the rows used). singular='drop' dropped {'it' if one else 'them'}, as R's glm "
        f"does: {'its estimate is' if one else 'their estimates are'} NaN (NA in the "
        "summary, listed in res.aliased) and the other coefficients are those of the model "
        "without them. Fix: remove or combine those terms.",
        CollinearityWarning, stacklevel=stacklevel + 1)
    return np.asarray(keep, dtype=int), kept_pr
