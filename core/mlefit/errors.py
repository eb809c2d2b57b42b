"""One flat tree of mlefit's exceptions and warnings.

Every message names the cause and the fix. Catch :class:`MlefitError` for all of
mlefit's refusals, :class:`MlefitWarning` for all of its warnings.
"""

__all__ = ["CollinearityWarning", "ComparisonError", "ConformanceError", "ConvergenceError",
           "ConvergenceWarning", "DataError", "DataWarning", "DuplicateFamilyError",
           "FamilyContractError", "FormulaError", "HessianWarning", "InferenceWarning",
           "MlefitError", "MlefitWarning", "PluginLoadWarning", "UnknownFamilyError",
           "UnknownLinkError"]


class MlefitError(Exception):
    """Base of every error mlefit raises on purpose."""


class UnknownFamilyError(MlefitError, LookupError):
    """No installed family (or link) answers to the name that was asked for."""


class UnknownLinkError(UnknownFamilyError):
    """No installed link answers to the name that was asked for (a subclass of
    :class:`UnknownFamilyError`, which an unknown link raised before it had its own class,
    so that ``except UnknownFamilyError`` still catches it)."""


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


class PassesWarning(MlefitWarning):
    """A computation about to start takes many passes over data that are not in one
    process's memory (a fit on a Dask frame): the message gives the expected number,
    so that it can be stopped (Ctrl-C) or not started."""


class DataWarning(MlefitWarning):
    """The data fit, but probably not as meant: a text column of numbers with a few
    non-numeric entries (a missing-value code such as ``"?"`` read as text) used as a
    predictor. The message names the column, the values and how to read them."""


class CollinearityWarning(DataWarning):
    """Columns of a design are nearly linearly dependent: the condition number of the
    design with its columns scaled to unit length exceeds
    :data:`mlefit.collinearity.NEAR_SINGULAR` (``2**26``, about ``6.7e7``). The estimates
    may be the right answer to a nearly non-identified model, but their standard errors are
    large and half of float64's digits or more are at risk. The message names the columns.

    Also issued when ``fit(..., singular="drop")`` drops columns that are exactly
    dependent on the others (R's ``NA`` coefficients, which R drops silently): the message
    names the dropped columns."""
