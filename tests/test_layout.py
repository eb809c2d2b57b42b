"""The package's layout: every public module states its idea and its public names, no
module is named like a different public attribute of its package, and the module paths
that moved still import (with a DeprecationWarning) as the modules at their new homes."""

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import mlefit
from mlefit import _moved


def _modules() -> list[str]:
    found = ["mlefit"]
    for info in pkgutil.walk_packages(mlefit.__path__, "mlefit."):
        found.append(info.name)
    return found


def _public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split("."))


PUBLIC = [m for m in _modules() if _public(m)]
PACKAGES = [m for m in _modules() if hasattr(importlib.import_module(m), "__path__")]


def test_the_walk_finds_the_subpackages():
    assert {"mlefit.inference", "mlefit.postestimation", "mlefit.engine"} <= set(PACKAGES)
    assert {"mlefit.inference.likelihood_ratio", "mlefit.postestimation.prediction"} <= set(
        PUBLIC)


@pytest.mark.parametrize("name", PUBLIC)
def test_public_module_states_its_idea_and_its_names(name):
    module = importlib.import_module(name)
    assert (module.__doc__ or "").strip(), f"{name} has no module docstring"
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    missing = [n for n in module.__all__ if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names {missing}, which it does not define"
    assert len(set(module.__all__)) == len(module.__all__)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_named_like_another_public_attribute(package):
    """``mlefit.compare`` is the function: no ``mlefit/compare.py`` may shadow it (for
    mkdocstrings, and for ``import mlefit.compare``)."""
    pkg = importlib.import_module(package)
    clashes = []
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name in getattr(pkg, "__all__", ()):
            obj = getattr(pkg, info.name)
            if not inspect.ismodule(obj) or obj.__name__ != f"{package}.{info.name}":
                clashes.append(info.name)
    assert not clashes, f"modules of {package} named like its public attributes: {clashes}"


#: the public names each old module defined (read off the code before the move, 29ac2e2)
#: that still resolve through its old path; prediction's check_alpha now lives in
#: mlefit.inference.confidence and is the one that does not
FORMER_NAMES = {
    "mlefit.bootstrap": ["Bootstrap", "bootstrap_lrt"],
    "mlefit.coefficients": ["SEPARATOR", "aliases", "ml_coef", "names", "position",
                            "positions"],
    "mlefit.glm": ["GLMStatistics", "mean_scale", "statistics", "unit_weights"],
    "mlefit.plots": ["leverage", "plot_diagnostics", "plot_profile", "qq_envelope"],
    "mlefit.prediction": ["designs", "linear_predictors", "predict", "quantile"],
    "mlefit.profile": ["Profile", "conf_int", "interval", "profile", "setup"],
    "mlefit.residuals": ["residuals", "quantile_residuals"],
    "mlefit.score": ["ScoreTest", "score_test"],
    "mlefit.wald": ["WaldTest", "wald_test"],
}


def test_every_alias_is_pinned():
    assert set(FORMER_NAMES) == set(_moved.MOVED)


@pytest.mark.parametrize("old", sorted(_moved.MOVED))
def test_a_moved_module_imports_from_its_old_path_with_a_warning(old, monkeypatch):
    new = importlib.import_module(_moved.MOVED[old])
    monkeypatch.delitem(sys.modules, old, raising=False)
    with pytest.warns(DeprecationWarning, match=_moved.MOVED[old].replace(".", r"\.")):
        module = importlib.import_module(old)
    assert module is new
    missing = [n for n in FORMER_NAMES[old] if not hasattr(module, n)]
    assert not missing, f"{old} lost {missing}"


def test_moved_modules_are_attributes_of_mlefit_too(monkeypatch):
    monkeypatch.delitem(sys.modules, "mlefit.score", raising=False)
    monkeypatch.delattr(mlefit, "score", raising=False)
    with pytest.warns(DeprecationWarning, match="mlefit.inference.score"):
        assert mlefit.score.ScoreTest is mlefit.ScoreTest
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        mlefit.nothing  # noqa: B018


def test_the_package_imports_no_old_path():
    """Importing mlefit and every module under it touches none of the moved paths."""
    code = ("import importlib, pkgutil, sys, mlefit\n"
            "for info in pkgutil.walk_packages(mlefit.__path__, 'mlefit.'):\n"
            "    importlib.import_module(info.name)\n"
            "print(sorted(m for m in mlefit._moved.MOVED if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_the_result_types_are_exported_from_mlefit_and_mlefit_inference():
    for name in ("LRTest", "LRTestSequence", "ScoreTest", "WaldTest", "Bootstrap", "lrtest",
                 "compare", "score_test"):
        assert getattr(mlefit, name) is getattr(mlefit.inference, name)
        assert name in mlefit.__all__ and name in mlefit.inference.__all__


#: docs/architecture.md's layers, top of the page first: a module imports (at module
#: level) only from its own layer or the layers before it
LAYERS = [
    ["errors", "domains", "links", "family"],
    ["engine"],
    ["contract", "registry", "conventions", "columns", "formula", "formula_safety",
     "stateful_terms", "cbind", "request",
     "binding", "censoring", "context", "start", "diagnose", "collinearity", "datasets",
     "hookspecs", "summary", "export", "_moved", "frames"],
    ["inference"],
    ["postestimation"],
    ["results"],
    ["fitting", "partitioned", "partitioned_response", "transform_passes",
     "partition_quantiles", "lazy_rows"],
    ["api", "cli", "testing", "__init__", "grid_profile"],
]


def _layer(module: str) -> int:
    top = module.split(".")[1] if module.count(".") else "__init__"
    for i, names in enumerate(LAYERS):
        if top in names:
            return i
    raise AssertionError(f"{module} is in no layer of LAYERS (docs/architecture.md)")


def _module_level_imports(name: str) -> set[str]:
    module = importlib.import_module(name)
    tree = ast.parse(inspect.getsource(module))
    package = name if hasattr(module, "__path__") else name.rsplit(".", 1)[0]
    found = set()
    for node in tree.body:    # module level only: imports inside functions are lazy
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            found |= ({target} if node.module else {f"{base}.{a.name}" for a in node.names})
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mlefit"):
            found.add(node.module)
    return {m for m in found if m.startswith("mlefit.")}


@pytest.mark.parametrize("name", [m for m in _modules() if m != "mlefit"])
def test_imports_go_down_the_layers(name):
    upward = [m for m in _module_level_imports(name) if _layer(m) > _layer(name)]
    assert not upward, f"{name} imports {upward} from a later layer (docs/architecture.md)"
