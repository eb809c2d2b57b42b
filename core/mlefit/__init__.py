"""mlefit: maximum-likelihood regression for any distribution.

>>> import mlefit
>>> res = mlefit.fit("thalach ~ age + exang + oldpeak", heart, family="gaussian")  # doctest: +SKIP
>>> print(res.summary())  # doctest: +SKIP
"""

from __future__ import annotations

from . import datasets, domains, errors, links
from .api import families, fit, fit_arrays, get_family
from .compare import compare, lrtest
from .errors import (
    ComparisonError,
    ConvergenceError,
    ConvergenceWarning,
    DataError,
    DuplicateFamilyError,
    FamilyContractError,
    HessianWarning,
    InferenceWarning,
    MlefitError,
    MlefitWarning,
    PluginLoadWarning,
    UnknownFamilyError,
)
from .family import Dispersion, Family, FamilyInfo, Parameter, Reduction
from .hookspecs import hookimpl
from .links import Link
from .results import FitResult
from .score import score_test

__all__ = [
    "ComparisonError", "ConvergenceError", "ConvergenceWarning", "DataError", "Dispersion",
    "DuplicateFamilyError", "Family", "FamilyContractError", "FamilyInfo", "FitResult",
    "HessianWarning", "InferenceWarning", "Link", "MlefitError", "MlefitWarning", "Parameter",
    "PluginLoadWarning", "Reduction", "UnknownFamilyError", "compare", "datasets", "domains",
    "errors", "families", "fit", "fit_arrays", "get_family", "hookimpl", "links", "lrtest",
    "score_test",
]

__version__ = "0.1.0"
