"""The plugin system hardened: real entry points, clashes, the environment, the command line
(`mlefit families --json`, `mlefit families check NAME`) and links as plugins.

tests/test_registry.py covers the registry's refusals with fake entry points; this file
adds what goes through real ``importlib.metadata`` entry points, the process-wide registry
(``fit(family="name")`` and the CLI) and the link hook.
"""

import importlib.metadata as metadata
import json
import re
import types

import numpy as np
import pytest
from scipy import special

import mlefit
from mlefit import (
    DuplicateFamilyError,
    FamilyContractError,
    Link,
    Parameter,
    PluginLoadWarning,
    UnknownFamilyError,
    hookimpl,
)
from mlefit import registry as registry_module
from mlefit.cli import main
from mlefit.domains import Positive
from mlefit.errors import ConformanceError
from mlefit.registry import BLOCK_ENV, DISABLE_ENV, build_registry
from mlefit.testing import check_link, family_checks, link_checks
from mlefit.testing._registry import KitDistribution, KitEntryPoint, plugin_module
from mlefit_families.gaussian import Gaussian


def Dist(name, version="1.0"):
    return KitDistribution(name, version)


class FakeEntryPoint(KitEntryPoint):
    """An entry point whose load() raises the exception it was given (a failed import)."""

    def load(self):
        if isinstance(self.module, Exception):
            raise self.module
        return self.module


def ep(name, *families, links=(), dist="thirdparty"):
    return FakeEntryPoint(name, plugin_module(families, links), Dist(dist))


def builtin_gaussian():
    return FakeEntryPoint("gaussian", plugin_module([Gaussian()]), Dist("mlefit", "0.1.0"))


class Renamed(Gaussian):
    def __init__(self, name, aliases=()):
        self.name, self.aliases = name, tuple(aliases)


@pytest.fixture
def installed(monkeypatch):
    """Make a registry the process-wide one (as if its plugins were pip-installed)."""
    def install(reg):
        monkeypatch.setattr(registry_module, "_registry", reg)
        return reg
    return install


# failed imports through real entry points ----------------------------------------------
def test_real_entry_point_that_fails_to_import_is_named_and_others_load():
    broken = metadata.EntryPoint(name="ghost", value="mlefit_no_such_module_xyz",
                                 group="mlefit")
    with pytest.warns(PluginLoadWarning, match="'ghost'.*ModuleNotFoundError.*no_such_module"):
        reg = build_registry([broken, builtin_gaussian()])
    assert reg.names() == ["gaussian"]
    (failed,) = reg.failed
    assert failed.plugin == "ghost" and "ModuleNotFoundError" in failed.error


def test_module_that_raises_at_import_is_reported(tmp_path, monkeypatch):
    (tmp_path / "mlefit_raises_plugin.py").write_text("raise RuntimeError('half installed')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    bad = metadata.EntryPoint(name="raises", value="mlefit_raises_plugin", group="mlefit")
    with pytest.warns(PluginLoadWarning, match="RuntimeError: half installed"):
        reg = build_registry([bad, builtin_gaussian()])
    assert reg.names() == ["gaussian"] and reg.failed[0].plugin == "raises"


def test_unknown_family_hints_at_failed_plugins(installed):
    with pytest.warns(PluginLoadWarning):
        installed(build_registry([FakeEntryPoint("ghost", ImportError("no"), Dist("g")),
                                  builtin_gaussian()]))
    with pytest.raises(UnknownFamilyError, match=r"failed plugins: ghost"):
        mlefit.get_family("ghostly")


# clashes -----------------------------------------------------------------------------------
def test_third_party_family_shadowing_a_builtin_names_both_distributions(installed):
    installed(build_registry([builtin_gaussian(),
                              ep("impostor", Renamed("gaussian"), dist="shadow-pkg")]))
    with pytest.raises(DuplicateFamilyError, match=r"mlefit 0\.1\.0.*shadow-pkg 1\.0.*Fix:"):
        mlefit.fit("y ~ 1", {"y": [1.0, 2.0, 3.0]}, family="gaussian")
    assert mlefit.get_family(Renamed("gaussian"))[0].name == "gaussian"  # instances work


def test_alias_clashing_with_another_family_name():
    reg = build_registry([ep("a", Renamed("alpha")), ep("b", Renamed("beta", ["alpha"]),
                                                        dist="other")])
    with pytest.raises(DuplicateFamilyError, match=r"'alpha' from thirdparty.*'beta' from other"):
        reg.family("alpha")
    assert reg.family("beta").name == "beta"


def test_entry_point_name_used_by_two_distributions_is_reported():
    with pytest.warns(PluginLoadWarning, match="entry-point name is already used by one 1.0"):
        reg = build_registry([ep("same", Renamed("first"), dist="one"),
                              ep("same", Renamed("second"), dist="two")])
    assert reg.names() == ["first"] and reg.failed[0].distribution == "two"


def test_same_distribution_seen_twice_on_sys_path_loads_once():
    reg = build_registry([ep("twice", Renamed("solo")), ep("twice", Renamed("solo"))])
    assert reg.names() == ["solo"] and not reg.failed


# the runtime contract at fit entry, named after the plugin ---------------------------------
class Broken(Gaussian):
    def __init__(self, kind):
        self.name, self.kind = f"broken_{kind}", kind

    def logpdf(self, y, mu, sigma):
        if self.kind == "shape":
            return np.zeros((len(y), 1))
        if self.kind == "nan":
            return np.where(y > 2, np.nan, Gaussian.logpdf(self, y, mu, sigma))
        raise ValueError("cannot handle arrays")


@pytest.mark.parametrize("kind, rule", [
    ("shape", r"logpdf returned shape \(4, 1\) for 4 rows"),
    ("nan", r"NaN inside the support \(first at row 2\)"),
    ("raise", "logpdf raised ValueError: cannot handle arrays"),
])
def test_broken_logpdf_is_refused_at_fit_entry_naming_the_plugin(installed, kind, rule):
    installed(build_registry([ep("brokenplug", Broken(kind), dist="broken-dist")]))
    with pytest.raises(FamilyContractError,
                       match=rf"family plugin broken-dist 1\.0 \(brokenplug\).*{rule}.*Fix:"):
        mlefit.fit("y ~ 1", {"y": [1.0, 2.0, 3.0, 4.0]}, family=f"broken_{kind}")


# api_version ---------------------------------------------------------------------------------
@pytest.mark.parametrize("version", [2, "1", None])
def test_unsupported_api_version_fails_the_plugin_only(version):
    fam = Renamed("future")
    fam.api_version = version
    with pytest.warns(PluginLoadWarning, match=rf"api_version={version!r}.*supports \[1\]"):
        reg = build_registry([ep("future", fam), ep("fine", Renamed("present"))])
    assert reg.names() == ["present"]


# the environment -----------------------------------------------------------------------------
def test_disable_autoload_keeps_mlefits_own_entry_points(monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, "1")
    reg = build_registry()                          # the real entry points of this install
    assert "gaussian" in reg.names()
    assert {i.source.distribution for i in reg.infos()} == {"mlefit"}


def test_block_a_builtin_by_entry_point_name(monkeypatch):
    monkeypatch.setenv(BLOCK_ENV, "gaussian")
    reg = build_registry()
    assert "gaussian" not in reg.names()
    with pytest.raises(UnknownFamilyError, match="no family named 'gaussian'"):
        reg.family("gaussian")


# the command line ----------------------------------------------------------------------------
def test_families_json_lists_sources_versions_and_failures(installed, capsys):
    fam = Renamed("old_api")
    fam.api_version = 7
    with pytest.warns(PluginLoadWarning):
        reg = build_registry([builtin_gaussian(), ep("extra", Renamed("extra_family")),
                              ep("oldapi", fam, dist="old-dist"),
                              FakeEntryPoint("ghost", ImportError("gone"), Dist("ghost-dist",
                                                                                "2.5"))])
    installed(reg)
    assert main(["families", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    by_name = {f["name"]: f for f in out["families"]}
    assert by_name["gaussian"]["distribution"] == "mlefit"
    assert by_name["extra_family"]["distribution"] == "thirdparty"
    assert by_name["extra_family"]["version"] == "1.0"
    failed = {f["plugin"]: f for f in out["failed"]}
    assert failed["ghost"] == {"plugin": "ghost", "distribution": "ghost-dist",
                               "version": "2.5", "error": "ImportError: gone"}
    assert "api_version=7" in failed["oldapi"]["error"]


def test_families_check_prints_a_readable_report(capsys):
    assert main(["families", "check", "normal", "--check", "logpdf",
                 "--check", "normalization"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("mlefit conformance kit: family 'gaussian'")
    assert "passed   normalization" in out and out.rstrip().endswith("2 passed, 0 failed, "
                                                                     "0 skipped")


class NoConstant(Gaussian):
    name = "no_constant"

    def logpdf(self, y, mu, sigma):
        return -np.log(sigma) - 0.5 * ((y - mu) / sigma) ** 2


def test_families_check_exits_1_and_names_the_failed_check(installed, capsys):
    installed(build_registry([ep("noconst", NoConstant())]))
    assert main(["families", "check", "no_constant"]) == 1
    out = capsys.readouterr().out
    assert "FAILED   normalization" in out and "integrates to 2.5066" in out
    assert main(["families", "check", "no_constant", "--check", "logpdf", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["checks"][0]["status"] == "passed"


@pytest.mark.parametrize("argv, message", [
    (["families", "check", "nosuch"], "no family named 'nosuch'"),
    (["families", "check", "gaussian", "--check", "nope"], r"unknown check\(s\) \['nope'\]"),
])
def test_families_check_user_errors_exit_2(argv, message, capsys):
    assert main(argv) == 2
    assert re.search(message, capsys.readouterr().err)


# links as plugins ----------------------------------------------------------------------------
def softplus(name="softplus", d1=special.expit):
    """theta = log(1 + e^eta) on (0, inf): h' = expit(eta), h'' = expit (1 - expit)."""
    return Link(name, lambda t: np.log(np.expm1(np.asarray(t, dtype=float))),
                lambda e: np.logaddexp(0.0, e), d1,
                lambda e: special.expit(e) * (1.0 - special.expit(e)))


class SoftNormal(Gaussian):
    name = "soft_normal"
    aliases = ()
    parameters = (Gaussian.parameters[0],
                  Parameter("sigma", Positive(), links=("log", "softplus"), typical=(0.5, 3.0)))


def test_a_family_may_allow_a_plugin_link(installed, heart):
    reg = installed(build_registry([ep("softlink", links=[softplus()]),
                                    ep("soft", SoftNormal())]))
    assert reg.link("softplus").name == "softplus" and not reg.failed
    res = mlefit.fit("thalach ~ age", heart, family="soft_normal", links={"sigma": "softplus"})
    ref = mlefit.fit("thalach ~ age", heart, family=Gaussian())
    # same model, sigma on another scale: the ML fit is the same (Newton converges to 1e-8)
    np.testing.assert_allclose(res.params["mu"], ref.params["mu"], rtol=1e-8)
    sigma = float(np.logaddexp(0.0, res.params[("sigma", "Intercept")]))
    assert sigma == pytest.approx(float(np.exp(ref.params[("sigma", "Intercept")])), rel=1e-8)
    report = family_checks(SoftNormal(), ["links", "registry"], registry=reg)
    assert report.ok, report


def test_family_allowing_a_link_nobody_installed_fails_the_plugin():
    with pytest.warns(PluginLoadWarning, match=r"allows unknown link\(s\) \['softplus'\]"):
        reg = build_registry([ep("soft", SoftNormal())])
    assert reg.names() == []


def test_check_link_accepts_a_correct_link_and_lists_broken_parts():
    assert check_link(softplus(), theta=np.linspace(0.1, 20, 30)).ok
    for link in mlefit.links.BUILTIN_LINKS:
        assert check_link(link).ok, link.name
    wrong = softplus(d1=lambda e: special.expit(-e))
    with pytest.raises(ConformanceError, match=r"inverse_deriv disagrees .* at eta="):
        check_link(wrong)
    report = link_checks(Link("half", np.log, np.exp, np.exp, lambda e: 2 * np.exp(e)))
    assert report.failed == ("behaviour",) and "inverse_deriv2" in report["behaviour"].message


def test_broken_plugin_link_fails_the_families_links_check():
    reg = build_registry([ep("softlink", links=[softplus(d1=lambda e: 0.5 * special.expit(e))]),
                          ep("soft", SoftNormal())])
    result = family_checks(SoftNormal(), ["links"], registry=reg)["links"]
    assert result.status == "failed" and "sigma/softplus: inverse_deriv" in result.message


def test_duplicate_link_names_error_on_lookup_naming_both():
    reg = build_registry([ep("l1", links=[softplus()], dist="dist_one"),
                          ep("l2", links=[softplus()], dist="dist_two")])
    with pytest.raises(DuplicateFamilyError, match=r"'softplus'.*dist_one.*dist_two"):
        reg.link("softplus")
    assert reg.link("logit").name == "logit"


def test_plugin_link_shadowing_a_builtin_is_a_lookup_error():
    reg = build_registry([ep("shadow", links=[softplus("log")])])
    with pytest.raises(DuplicateFamilyError, match=r"link name 'log' is registered twice"):
        reg.link("log")


@pytest.mark.parametrize("bad, rule", [
    ("not a link", "not an mlefit.links.Link"),
    (Link("broken", np.log, "exp", np.exp, np.exp), "inverse is not callable"),
    (Link("", np.log, np.exp, np.exp, np.exp), "not a non-empty string"),
    (Link("aliased", np.log, np.exp, np.exp, np.exp, aliases=("ok", 3)), "aliases must be"),
])
def test_malformed_links_fail_the_plugin(bad, rule):
    module = types.ModuleType("badlinks")
    module.register_links = hookimpl(lambda: [bad, softplus("fine")])
    with pytest.warns(PluginLoadWarning, match=rule):
        reg = build_registry([FakeEntryPoint("badlinks", module, Dist("d"))])
    assert reg.link("fine").name == "fine"
    with pytest.raises(UnknownFamilyError):
        reg.link("broken")

