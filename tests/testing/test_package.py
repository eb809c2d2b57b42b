"""The package mlefit.testing: its few public names, the registration of check topics,
and the names of the former single module, which still resolve.
"""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import mlefit.testing as kit
from mlefit.testing import _catalogue

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"

#: the checks in the order they ran when the kit was one module (the CLI's table, the
#: JSON report and docs/plugins.md list them in this order)
ORDER = ("declaration", "links", "logpdf", "outside_support", "normalization", "derivatives",
         "eta_derivatives", "expected_information", "moments", "cdf", "log_cdf",
         "log_cdf_derivatives", "tail_accuracy", "sample", "glm",
         "start", "prepare_response", "reductions", "recovery", "registry")

#: every public name of the former module ``mlefit/testing.py``
FORMER_NAMES = (
    "PASSED", "FAILED", "SKIPPED", "EPS", "H1", "RTOL", "ATOL", "NORM_TOL", "INFO_TOL",
    "Z_MAX", "RECOVERY_SE", "N_DRAWS", "N_SAMPLE", "N_RECOVERY", "FRACTIONS", "TRIALS",
    "SkipCheck", "CheckFailure", "CheckResult", "CheckReport", "Point", "Case", "prepared",
    "inside", "support_draws", "mean_scale", "steps", "central", "numeric_scores",
    "disagreement", "describe_row", "Expectation", "trial_responses", "discrete_grid",
    "expect", "centres", "NODES", "WEIGHTS", "MAX_LEVELS", "integrate_pieces",
    "check_declaration", "check_links", "check_logpdf", "outside_values",
    "check_outside_support", "check_normalization", "check_derivatives",
    "check_eta_derivatives", "representative", "check_expected_information",
    "check_moments", "check_cdf", "check_sample", "check_glm", "check_start",
    "check_prepare_response", "check_reductions", "check_recovery", "KitDistribution",
    "KitEntryPoint", "plugin_module", "check_registry", "Check", "CHECKS", "CHECK_NAMES",
    "family_checks", "check_family", "DEFAULT_LINK_THETA", "link_checks", "check_link",
    "FamilyCheck", "parametrize_with_checks",
)


def submodules():
    return [importlib.import_module(f"{kit.__name__}.{m.name}")
            for m in pkgutil.iter_modules(kit.__path__)]


def test_every_submodule_is_private_and_states_its_idea():
    for module in submodules():
        assert module.__name__.rsplit(".", 1)[1].startswith("_"), module.__name__
        assert (module.__doc__ or "").strip(), f"{module.__name__} has no docstring"


def test_every_topic_module_is_registered_once():
    topics = [m for m in submodules() if hasattr(m, "TOPIC_CHECKS")]
    assert set(topics) == set(_catalogue.TOPICS)
    assert len(set(_catalogue.TOPICS)) == len(_catalogue.TOPICS)


def test_checks_are_the_topics_checks_in_topic_order():
    assert kit.CHECKS == tuple(c for t in _catalogue.TOPICS for c in t.TOPIC_CHECKS)
    assert kit.CHECK_NAMES == tuple(c.name for c in kit.CHECKS)


def test_check_names_and_their_order_are_unchanged():
    assert kit.CHECK_NAMES == ORDER


def test_every_check_says_what_it_verifies():
    for check in kit.CHECKS:
        assert check.doc, check.name


def test_public_names_are_documented_in_the_api_reference():
    block = API_MD.read_text(encoding="utf-8").split("::: mlefit.testing\n", 1)[1]
    members = re.search(r"members:\s*\[([^\]]*)\]", block).group(1)
    assert {m.strip() for m in members.split(",")} == set(kit.__all__)
    for name in kit.__all__:
        obj = getattr(kit, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            assert (obj.__doc__ or "").strip(), name


def test_every_former_name_is_public_or_internal():
    assert set(FORMER_NAMES) == set(kit.__all__) | set(kit._INTERNAL)
    assert not set(kit.__all__) & set(kit._INTERNAL)


@pytest.mark.parametrize("name", sorted(kit._INTERNAL))
def test_a_former_internal_name_resolves_with_a_deprecation_warning(name):
    module, new = kit._INTERNAL[name]
    with pytest.warns(DeprecationWarning, match=rf"mlefit\.testing\.{module}\.{new}\b"):
        got = getattr(kit, name)
    assert got is getattr(importlib.import_module(f"mlefit.testing.{module}"), new)


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        kit.no_such_name  # noqa: B018

