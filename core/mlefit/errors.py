"""One flat tree of mlefit's exceptions and warnings.

Every message names the cause and the fix. Catch :class:`MlefitError` for all of
mlefit's refusals, :class:`MlefitWarning` for all of its warnings.
"""

__all__ = ["ComparisonError", "ConformanceError", "ConvergenceError", "ConvergenceWarning",
           "DataError", "DuplicateFamilyError", "FamilyContractError", "FormulaError",
           "HessianWarning", "InferenceWarning", "MlefitError", "MlefitWarning",
           "PluginLoadWarning", "UnknownFamilyError"]


class MlefitError(Exception):
    """Base of every error mlefit raises on purpose."""


class UnknownFamilyError(MlefitError, LookupError):
    """No installed family (or link) answers to the name that was asked for."""


class DuplicateFamilyError(MlefitError, LookupError):
    """Two installed plugins register a family (or link) under the same name."""


class FamilyContractError(MlefitError, TypeError):
    """A family breaks the plugin contract; the message names the plugin and the rule."""


class ConformanceError(FamilyContractError):
    """A family or link fails checks of the conformance kit (:mod:`mlefit.testing`); the
    message lists every failed check with its rule and fix, ``report`` holds them all."""

    def __init__(self, message: str, report=None):
        super().__init__(message)
        self.report = report


class DataError(MlefitError, ValueError):
    """The data cannot be fitted as given: NA, support, non-finite, empty, rank deficiency."""


class FormulaError(DataError):
    """A formula term is code, not data: with ``safe_formulas=True`` it uses something
    outside the whitelist of :mod:`mlefit.formula_safety`; the message names the term and
    what was refused."""


class ConvergenceError(MlefitError, RuntimeError):
    """The optimiser could not even start (no finite log-likelihood near the start values)."""


class ComparisonError(MlefitError, ValueError):
    """Two fits cannot be compared the way that was asked for."""


class MlefitWarning(UserWarning):
    """Base of every warning mlefit issues."""


class PluginLoadWarning(MlefitWarning):
    """A plugin failed to load; the other plugins still work."""


class ConvergenceWarning(MlefitWarning):
    """The fit stopped without meeting the convergence rule, or ran to a boundary."""


class HessianWarning(MlefitWarning):
    """The information matrix at the estimate is singular or not positive definite."""


class InferenceWarning(MlefitWarning):
    """A test or interval holds only under an assumption the fit may not meet (a
    likelihood-ratio test beside a robust covariance, a profile that never crosses)."""
