"""Old import paths of modules that moved, kept working with a DeprecationWarning.

``import mlefit.score`` (and ``from mlefit.wald import WaldTest``) still work: a finder at
the end of ``sys.meta_path`` answers only for the old names in :data:`MOVED`, warns, and
hands out the module at its new home (the very same module object). No file stands at
an old path, and nothing in mlefit imports one.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings

__all__ = ["MOVED", "install"]

#: old module path -> new module path. Not here, and so an ImportError: mlefit.compare
#: (the name of the function; its contents are in mlefit.inference), mlefit.simulation
#: (split: mlefit.inference.resampling and mlefit.postestimation.simulation); the
#: former module mlefit.inference is now the package (docs/api.md lists the moves)
MOVED = {
    "mlefit.bootstrap": "mlefit.inference.bootstrap",
    "mlefit.coefficients": "mlefit.inference.coefficients",
    "mlefit.glm": "mlefit.postestimation.goodness_of_fit",
    "mlefit.plots": "mlefit.postestimation.plots",
    "mlefit.prediction": "mlefit.postestimation.prediction",
    "mlefit.profile": "mlefit.inference.profile_likelihood",
    "mlefit.residuals": "mlefit.postestimation.residuals",
    "mlefit.score": "mlefit.inference.score",
    "mlefit.wald": "mlefit.inference.wald",
}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def exec_module(self, module) -> None:
        new = MOVED[module.__name__]
        warnings.warn(f"{module.__name__} moved to {new}; import from there (the public "
                      "names are also in mlefit and mlefit.inference).", DeprecationWarning,
                      stacklevel=2)
        # the import system returns what sys.modules holds under the old name after this
        sys.modules[module.__name__] = importlib.import_module(new)


def install() -> None:
    """Put the finder at the end of ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _Alias) for f in sys.meta_path):
        sys.meta_path.append(_Alias())
