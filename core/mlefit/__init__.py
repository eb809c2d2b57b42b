"""mlefit: maximum-likelihood regression for any distribution.

>>> import mlefit
>>> res = mlefit.fit("thalach ~ age + exang + oldpeak", heart, family="gaussian")  # doctest: +SKIP
>>> print(res.summary())  # doctest: +SKIP
"""

from __future__ import annotations

from . import domains, errors, links
from .api import families, fit, fit_arrays, get_family
from .errors import (
    ComparisonError,
    ConvergenceError,
    ConvergenceWarning,
    DataError,
    DuplicateFamilyError,
    FamilyContractError,
    HessianWarning,
    MlefitError,
    MlefitWarning,
    PluginLoadWarning,
    UnknownFamilyError,
)
from .family import Dispersion, Family, FamilyInfo, Parameter, Reduction
from .hookspecs import hookimpl
from .links import Link
from .results import FitResult

__all__ = [
    "ComparisonError", "ConvergenceError", "ConvergenceWarning", "DataError", "Dispersion",
    "DuplicateFamilyError", "Family", "FamilyContractError", "FamilyInfo", "FitResult",
    "HessianWarning", "Link", "MlefitError", "MlefitWarning", "Parameter",
    "PluginLoadWarning", "Reduction", "UnknownFamilyError", "domains", "errors", "families",
    "fit", "fit_arrays", "get_family", "hookimpl", "links",
]

__version__ = "0.1.0"
