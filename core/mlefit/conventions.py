"""Which estimates and standard errors a result reports: pure ML, or R's glm rules.

* ``ML`` (default): every parameter at its maximum-likelihood value; covariance from the
  observed information (or ``cov_type``); z tests.
* ``R``: what ``summary(glm(...))`` prints for the GLM families: expected information,
  the dispersion at its Pearson estimate on ``n - p`` degrees of freedom, t tests on
  ``n - p`` when the family has a dispersion (z otherwise), and R's ``logLik`` rule;
  sandwiches as R's ``sandwich::vcovHC`` / ``vcovCL`` compute them on a glm
  (:data:`R_SANDWICH`).

``dispersion="pearson"`` (either convention) reports an exponential-dispersion family's
dispersion at its Pearson estimate; for a family with a variance function and no
dispersion parameter whose other parameters are all fixed (the negative binomial with
``fixed={"theta": ...}``; poisson, binomial) it multiplies the model-based covariance by
the Pearson dispersion ``X2 / (n - p)`` (:func:`quasi_dispersion`): R's
``summary(glm(..., negative.binomial(theta)))``, ``quasipoisson`` and ``quasibinomial``,
with t tests under ``convention="R"``. A family that fixes its dispersion reports
``phi = 1`` otherwise (R's "dispersion parameter taken to be 1").

Every rule in which the conventions differ lives here: :func:`resolve` (the covariance,
dispersion and tests in force), :meth:`Convention.reported_coef` (the dispersion
coefficient a result reports) and :meth:`Convention.reported_llf` (its log-likelihood).
The estimation itself is the same maximum-likelihood fit under every convention.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import DataError

__all__ = ["COV_TYPES", "LEVERAGE_COV_TYPES", "ML_SANDWICH", "ROBUST_COV_TYPES", "R_SANDWICH",
           "Convention", "SandwichRule", "quasi_dispersion", "resolve"]

#: the covariances a fit may report (``cov_type=``); see mlefit.inference.covariance
COV_TYPES = ("observed", "expected", "robust", "HC0", "HC1", "HC2", "HC3", "cluster")
#: those that do not assume the model is true (a likelihood-ratio test does)
ROBUST_COV_TYPES = ("robust", "HC0", "HC1", "HC2", "HC3", "cluster")
#: those that divide each row's meat by its leverage in the mean model (GLM-type families)
LEVERAGE_COV_TYPES = ("HC2", "HC3")


@dataclass(frozen=True)
class SandwichRule:
    """How a sandwich covariance ``B M B`` is made (:func:`mlefit.inference.covariance.sandwich`).

    ``bread``: the information whose inverse is ``B`` (``"observed"`` or ``"expected"``).
    ``prior_weights``: weights are R glm's prior weights (the estimating functions are
    ``w_i s_i``, ``n`` counts the rows, the leverages are R's ``hatvalues``) rather than
    frequency weights (a row of weight ``w_i`` is ``w_i`` rows: meat ``sum w_i s_i s_i'``,
    ``n = sum w_i``, each copy's leverage ``h_i / w_i``). ``mean_k``: ``k`` of the HC1 and
    CR1 factors counts the mean model's columns only, not every estimated coefficient.
    """

    bread: str
    prior_weights: bool
    mean_k: bool


#: the default (maximum-likelihood) sandwich: the observed information as the bread, every
#: coefficient in ``k``, frequency weights (equal to the fit to the expanded rows)
ML_SANDWICH = SandwichRule("observed", prior_weights=False, mean_k=False)
#: R's ``sandwich`` package on a glm (``bread.glm``, ``estfun.glm``, ``meatHC``, ``meatCL``)
R_SANDWICH = SandwichRule("expected", prior_weights=True, mean_k=True)


@dataclass(frozen=True)
class Convention:
    """The reporting rules in force for a fit (made by :func:`resolve`)."""

    name: str          # "ML" or "R"
    cov_type: str
    dispersion: str    # "ml" or "pearson"
    t_tests: bool

    @property
    def sandwich(self) -> SandwichRule:
        """The rule of a sandwich covariance under this convention."""
        return R_SANDWICH if self.name == "R" else ML_SANDWICH

    def describe(self) -> str:
        parts = [f"{self.cov_type} covariance"]
        if self.dispersion == "pearson":
            parts.append("Pearson dispersion on n - p")
        parts.append("t tests on df_resid" if self.t_tests else "z tests")
        label = "R glm" if self.name == "R" else "maximum likelihood"
        return f"{label} ({'; '.join(parts)})"

    def reported_coef(self, obj, beta: np.ndarray, spec, disp, base) -> np.ndarray:
        """The coefficients a result reports for the ML estimate ``beta``: the same, or
        with the intercept-only dispersion coefficient moved to the Pearson estimate
        ``disp.phi_pearson`` (``dispersion="pearson"``). ``base`` is the dispersion
        block's constant offset; ``disp`` is None when there is no such estimate."""
        if self.dispersion != "pearson" or disp is None:
            return beta
        beta = beta.copy()
        block = obj.blocks[obj.index(spec.name)]
        beta[obj.block_slice(spec.name)] = (block.link.link(
            disp.phi_pearson ** (1 / spec.power)) - base) / block.X[0, 0]
        return beta

    def reported_llf(self, obj, beta_ml: np.ndarray, llf_ml: float, var_weights,
                     dispersion_modelled: bool) -> float:
        """The log-likelihood a result reports: the maximum ``llf_ml``, or under ``R`` the
        family's ``loglik_r`` (R's ``logLik``) at the ML mean, unless the dispersion has
        its own design (which R's glm cannot fit)."""
        family = obj.family
        if self.name != "R" or not family.has("loglik_r") or dispersion_modelled:
            return llf_ml
        mu = obj.thetas(obj.etas(beta_ml))[family.parameters[0].name]
        return float(family.loglik_r(obj.y, mu, obj.weights, var_weights))


def quasi_dispersion(family, fixed) -> bool:
    """Whether ``dispersion="pearson"`` scales a family without a dispersion parameter:
    it has a variance function and every parameter but the mean is fixed (``fixed``), so
    the fit is a GLM with a known variance function, to which R's ``summary.glm`` gives
    the Pearson dispersion ``X2 / (n - p)`` (``negative.binomial(theta)``, and the quasi
    families ``quasipoisson``, ``quasibinomial``)."""
    return family.dispersion is None and family.has("unit_variance") and all(
        p.name in fixed for p in family.parameters[1:])


def _check_pearson(family, fixed) -> bool:
    """``dispersion="pearson"``: allowed, else a DataError; True for a quasi dispersion."""
    if family.dispersion is not None and family.has("unit_variance"):
        return False
    if quasi_dispersion(family, fixed):
        return True
    free = [p.name for p in family.parameters[1:] if p.name not in fixed]
    fix = (f"fix {free} (fixed={{{free[0]!r}: value}}, as R's negative.binomial(theta)) "
           "or drop the option" if family.has("unit_variance") else "drop the option")
    raise DataError(f"dispersion='pearson' needs a family with an exponential-dispersion "
                    f"parameter and unit_variance, or a variance function with every other "
                    f"parameter fixed; {family.name!r} has neither. Fix: {fix}.")


def resolve(family, convention: str | None, cov_type: str, dispersion: str,
            fixed=()) -> Convention:
    """Check the options against the family (and its ``fixed`` parameters) and return
    the convention in force."""
    if cov_type not in COV_TYPES:
        raise DataError(f"cov_type={cov_type!r} is not one of {list(COV_TYPES)}.")
    if dispersion not in ("ml", "pearson"):
        raise DataError(f"dispersion={dispersion!r} is not 'ml' or 'pearson'.")
    glm = family.dispersion is not None and family.has("unit_variance")
    quasi = dispersion == "pearson" and _check_pearson(family, fixed)
    _check_leverage(family, cov_type)
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
    return Convention("R", cov, "pearson" if glm or quasi else "ml",
                      family.dispersion is not None or quasi)


def _check_leverage(family, cov_type: str) -> None:
    """HC2 and HC3 need the leverages of a GLM-type mean model."""
    if cov_type not in LEVERAGE_COV_TYPES:
        return
    missing = [m for m in ("unit_variance", "expected_information") if not family.has(m)]
    if missing:
        raise DataError(f"cov_type={cov_type!r} divides each row's meat by its leverage in the "
                        f"mean model, which needs a GLM-type family (unit_variance and "
                        f"expected_information); {family.name!r} has no {missing[0]}. Fix: "
                        "use cov_type='HC0' or 'HC1'.")
