"""Near-collinearity of a design: a warning between full rank and rank deficiency.

Every design is looked at with its columns scaled to unit length (so that the units of
the covariates do not matter), before fitting:

* **rank deficiency** (refused, :class:`~mlefit.DataError`): a pivoted QR of the scaled
  design finds a pivot below :data:`mlefit.engine.linalg.RANK_TOL` (``1e-12``) of the
  largest (``fitting``'s rank check);
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
"""

from __future__ import annotations

import warnings

import numpy as np

from .engine import linalg
from .errors import CollinearityWarning

__all__ = ["NEAR_SINGULAR", "warn_collinear"]

#: scaled-design condition number above which a fit warns (``1/sqrt(eps)``)
NEAR_SINGULAR = 2.0**26
_SHOWN = 6


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
