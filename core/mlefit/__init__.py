"""mlefit: maximum-likelihood regression for any distribution.

>>> import mlefit
>>> res = mlefit.fit("thalach ~ age + exang + oldpeak", heart, family="gaussian")  # doctest: +SKIP
>>> print(res.summary())  # doctest: +SKIP
"""

from __future__ import annotations

from . import _moved, datasets, domains, errors, links
from .api import families, fit, fit_arrays
from .censoring import Surv
from .errors import (
    CollinearityWarning,
    ComparisonError,
    ConvergenceError,
    ConvergenceWarning,
    DataError,
    DataWarning,
    DuplicateFamilyError,
    FamilyContractError,
    FormulaError,
    HessianWarning,
    InferenceWarning,
    MlefitError,
    MlefitWarning,
    PassesWarning,
    PluginLoadWarning,
    UnknownFamilyError,
    UnknownLinkError,
)
from .family import Dispersion, Family, FamilyInfo, Parameter, Reduction
from .grid_profile import FixedProfile, profile_fixed
from .hookspecs import hookimpl
from .inference import (
    Bootstrap,
    LRTest,
    LRTestSequence,
    ScoreTest,
    WaldTest,
    compare,
    lrtest,
    score_test,
)
from .inference.nominal import nominal_test
from .inference.term_tables import anova, drop1
from .links import Link
from .postestimation.emmeans import emmeans
from .request import get_family
from .results import FitResult

__all__ = [
    "Bootstrap", "CollinearityWarning", "ComparisonError", "ConvergenceError",
    "ConvergenceWarning", "DataError", "DataWarning", "Dispersion", "DuplicateFamilyError",
    "Family", "FamilyContractError", "FamilyInfo", "FitResult", "FormulaError",
    "HessianWarning", "InferenceWarning", "LRTest", "LRTestSequence", "Link", "MlefitError",
    "MlefitWarning", "Parameter", "PassesWarning", "PluginLoadWarning", "Reduction",
    "ScoreTest", "Surv",
    "UnknownFamilyError", "UnknownLinkError", "WaldTest", "anova", "compare", "datasets",
    "domains", "drop1", "emmeans", "errors", "families", "fit", "fit_arrays", "get_family",
    "hookimpl", "links", "lrtest", "nominal_test",
    "score_test",
]
__all__ += ["FixedProfile", "profile_fixed"]

__version__ = "0.1.0"

_moved.install()


def __getattr__(name: str):
    """``mlefit.score`` and the other moved modules as attributes (with a warning)."""
    if f"{__name__}.{name}" in _moved.MOVED:
        import importlib

        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
