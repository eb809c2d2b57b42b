"""Plugin loading through entry points, lookup, and every refusal of a broken plugin."""

import types
from dataclasses import dataclass

import numpy as np
import pytest

import mlefit
from mlefit import (
    DuplicateFamilyError,
    Family,
    FamilyContractError,
    Parameter,
    PluginLoadWarning,
    UnknownFamilyError,
    hookimpl,
)
from mlefit.domains import Positive, Real
from mlefit.registry import BLOCK_ENV, DISABLE_ENV, build_registry, get_registry


class Toy(Family):
    """A Gaussian-shaped family with a configurable name (logpdf only)."""

    name = "toy"
    support = Real()
    parameters = (Parameter("mu", Real()), Parameter("sigma", Positive()))

    def __init__(self, name="toy"):
        self.name = name

    def logpdf(self, y, mu, sigma):
        return -np.log(sigma) - 0.5 * ((y - mu) / sigma) ** 2 - 0.5 * np.log(2 * np.pi)


@dataclass
class Dist:
    name: str
    version: str = "1.0"


@dataclass
class FakeEntryPoint:
    """What importlib.metadata.EntryPoint offers the registry: name, dist, load()."""

    name: str
    target: object
    dist: Dist

    def load(self):
        if isinstance(self.target, Exception):
            raise self.target
        return self.target


def plugin(*families, hook="register_families"):
    module = types.ModuleType("fake_plugin")

    def register():
        return list(families)

    register.__name__ = hook
    setattr(module, hook, hookimpl(register) if hook.startswith("register_") else register)
    return module


def ep(name, target, dist="thirdparty"):
    return FakeEntryPoint(name, target, Dist(dist))


def test_builtin_gaussian_comes_through_its_entry_point():
    infos = {i.name: i for i in mlefit.families()}
    g = infos["gaussian"]
    assert g.source.distribution == "mlefit" and g.source.plugin == "gaussian"
    assert g.parameters == ("mu", "sigma") and g.aliases == ("normal",)
    assert g.links["sigma"] == ("log", "identity")
    assert {"dlogpdf", "d2logpdf", "expected_information", "start"} <= set(g.capabilities)
    assert get_registry().family("NORMAL") is g.family


def test_unknown_family_lists_installed():
    with pytest.raises(UnknownFamilyError, match=r"no family named 'gausian'.*gaussian"):
        mlefit.get_family("gausian")


def test_failing_plugin_is_reported_and_others_load():
    with pytest.warns(PluginLoadWarning, match="broken.*ImportError: no numpy here"):
        reg = build_registry([ep("broken", ImportError("no numpy here")),
                              ep("good", plugin(Toy("good_toy")))])
    assert reg.names() == ["good_toy"]
    assert reg.failed[0].plugin == "broken" and "no numpy here" in reg.failed[0].error


def test_hook_name_typo_is_caught():
    with pytest.warns(PluginLoadWarning, match="hook mlefit does not know"):
        reg = build_registry([ep("typo", plugin(Toy(), hook="register_familes"))])
    assert reg.names() == [] and reg.failed[0].plugin == "typo"


def test_raising_hook_and_wrong_return_are_reported():
    module = types.ModuleType("raises")

    @hookimpl
    def register_families():
        raise RuntimeError("boom")

    module.register_families = register_families
    with pytest.warns(PluginLoadWarning, match="raised RuntimeError: boom"):
        build_registry([ep("raises", module)])
    with pytest.warns(PluginLoadWarning, match="not an mlefit.Family"):
        build_registry([ep("wrong", plugin("not a family"))])


def test_duplicate_names_error_names_both_distributions():
    reg = build_registry([ep("a", plugin(Toy("dup")), "dist_a"),
                          ep("b", plugin(Toy("dup"), Toy("unique")), "dist_b")])
    with pytest.raises(DuplicateFamilyError, match=r"dist_a.*dist_b"):
        reg.family("dup")
    assert reg.family("unique").name == "unique"


@pytest.mark.parametrize("mutate, rule", [
    (lambda f: setattr(f, "api_version", 99), "api_version=99"),
    (lambda f: setattr(f, "parameters", (Parameter("weights", Real()),)), "reserved"),
    (lambda f: setattr(f, "parameters", (Parameter("mu", Real()), Parameter("mu", Real()))),
     "declared twice"),
    (lambda f: setattr(f, "parameters", (Parameter("mu", Real(), links=("nosuch",)),)),
     "unknown link"),
    (lambda f: setattr(f, "name", "Bad Name"), "lower-case identifier"),
    (lambda f: setattr(f, "support", "real"), "support"),
    (lambda f: setattr(f, "parameters", (Parameter("mu", Positive(), typical=(-1, 1)),)),
     "typical range"),
])
def test_contract_violations_fail_the_plugin(mutate, rule):
    fam = Toy("bad")
    mutate(fam)
    with pytest.warns(PluginLoadWarning, match=rule):
        reg = build_registry([ep("bad", plugin(fam))])
    assert "bad" not in reg.names()
    with pytest.raises(FamilyContractError, match=rule):
        mlefit.fit("y ~ 1", {"y": [1.0, 2.0, 3.0]}, family=fam)


def test_logpdf_signature_must_take_parameters():
    class NoSigma(Toy):
        def logpdf(self, y, mu):
            return -0.5 * (y - mu) ** 2

    with pytest.raises(FamilyContractError,
                       match=r"does not accept the parameter\(s\) \['sigma'\]"):
        mlefit.get_family(NoSigma())


def test_disable_autoload_keeps_own_distribution(monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, "1")
    reg = build_registry([ep("third", plugin(Toy("third_toy"))),
                          ep("own", plugin(Toy("own_toy")), "mlefit")])
    assert reg.names() == ["own_toy"]


def test_block_plugins_by_name_or_distribution(monkeypatch):
    monkeypatch.setenv(BLOCK_ENV, "first, dist_c")
    reg = build_registry([ep("first", plugin(Toy("one"))), ep("second", plugin(Toy("two"))),
                          ep("third", plugin(Toy("three")), "dist_c")])
    assert reg.names() == ["two"]


class Broken(Toy):
    def __init__(self, kind):
        super().__init__("broken_" + kind)
        self.kind = kind

    def logpdf(self, y, mu, sigma):
        if self.kind == "shape":
            return np.zeros(3)
        if self.kind == "nan":
            return np.full(y.shape, np.nan)
        raise ZeroDivisionError("oops")


@pytest.mark.parametrize("kind, rule", [("shape", r"returned shape \(3,\) for 5 rows"),
                                        ("nan", "NaN inside the support"),
                                        ("raise", "logpdf raised ZeroDivisionError: oops")])
def test_runtime_contract_checked_at_fit_entry(kind, rule):
    data = {"y": [1.0, 2.0, 3.0, 4.0, 5.0], "x": [0.0, 1.0, 0.0, 1.0, 2.0]}
    with pytest.raises(FamilyContractError, match=rule):
        mlefit.fit("y ~ x", data, family=Broken(kind))


def test_family_class_instead_of_instance():
    with pytest.raises(mlefit.DataError, match=r"family=Toy\(\)"):
        mlefit.fit("y ~ 1", {"y": [1.0, 2.0]}, family=Toy)
