"""Which estimates and standard errors a result reports: pure ML, or R's glm rules.

* ``ML`` (default): every parameter at its maximum-likelihood value; covariance from the
  observed information (or ``cov_type``); z tests.
* ``R``: what ``summary(glm(...))`` prints for the GLM families: expected information,
  the dispersion at its Pearson estimate on ``n - p`` degrees of freedom, t tests on
  ``n - p`` when the family has a dispersion (z otherwise), and R's ``logLik`` rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DataError
from .inference.covariance import COV_TYPES

__all__ = ["Convention", "resolve"]


@dataclass(frozen=True)
class Convention:
    name: str          # "ML" or "R"
    cov_type: str
    dispersion: str    # "ml" or "pearson"
    t_tests: bool

    def describe(self) -> str:
        parts = [f"{self.cov_type} covariance"]
        if self.dispersion == "pearson":
            parts.append("Pearson dispersion on n - p")
        parts.append("t tests on df_resid" if self.t_tests else "z tests")
        label = "R glm" if self.name == "R" else "maximum likelihood"
        return f"{label} ({'; '.join(parts)})"


def resolve(family, convention: str | None, cov_type: str, dispersion: str) -> Convention:
    """Check the options against the family and return the convention in force."""
    if cov_type not in COV_TYPES:
        raise DataError(f"cov_type={cov_type!r} is not one of {list(COV_TYPES)}.")
    if dispersion not in ("ml", "pearson"):
        raise DataError(f"dispersion={dispersion!r} is not 'ml' or 'pearson'.")
    glm = family.dispersion is not None and family.has("unit_variance")
    if dispersion == "pearson" and not glm:
        raise DataError(f"dispersion='pearson' needs a family with an exponential-dispersion "
                        f"parameter and unit_variance; {family.name!r} has none. Fix: drop "
                        "the option.")
    if cov_type == "expected" and not family.has("expected_information"):
        raise DataError(f"cov_type='expected' needs the family's expected_information; "
                        f"{family.name!r} gives none. Fix: use cov_type='observed'.")
    if convention in (None, "ML", "ml"):
        return Convention("ML", cov_type, dispersion, False)
    if convention not in ("R", "r"):
        raise DataError(f"convention={convention!r} is not None, 'ML' or 'R'.")
    if not family.has("unit_variance"):
        raise DataError(f"convention='R' reproduces R's glm for the GLM families; "
                        f"{family.name!r} has no unit_variance. Fix: drop convention='R'.")
    cov = cov_type if cov_type != "observed" else (
        "expected" if family.has("expected_information") else "observed")
    return Convention("R", cov, "pearson" if glm else "ml", family.dispersion is not None)
