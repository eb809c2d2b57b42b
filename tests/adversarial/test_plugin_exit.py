"""A plugin that ends the process at import (``sys.exit()``, ``raise SystemExit``) is
caught like any other broken plugin: a PluginLoadWarning, the plugin listed as failed, and
the other plugins still load. A KeyboardInterrupt (the user pressing Ctrl-C while plugins
load) is not swallowed.

The oracle is the registry's documented behaviour for failed plugins (tests/test_plugins.py
checks the same for an ImportError) and Python's own exception tree: SystemExit and
KeyboardInterrupt are BaseExceptions, not Exceptions.
"""

import importlib.metadata as metadata

import pytest

import mlefit
from mlefit import PluginLoadWarning, hookimpl
from mlefit.cli import main
from mlefit.registry import build_registry
from mlefit.testing._registry import KitDistribution, KitEntryPoint, plugin_module
from mlefit_families.gaussian import Gaussian


class RaisingEntryPoint(KitEntryPoint):
    """An entry point whose load() raises the exception it was given."""

    def load(self):
        raise self.module


def builtin_gaussian():
    return KitEntryPoint("gaussian", plugin_module([Gaussian()]),
                         KitDistribution("mlefit", "0.1.0"))


@pytest.mark.parametrize("exit_with", [SystemExit(0), SystemExit(3), SystemExit("bye")])
def test_plugin_calling_sys_exit_at_import_is_a_failed_plugin(exit_with):
    quitter = RaisingEntryPoint("quitter", exit_with, KitDistribution("quitter-pkg", "2.0"))
    with pytest.warns(PluginLoadWarning, match=r"'quitter' from quitter-pkg 2\.0.*SystemExit"):
        reg = build_registry([quitter, builtin_gaussian()])
    assert reg.names() == ["gaussian"]
    (failed,) = reg.failed
    assert (failed.plugin, failed.distribution) == ("quitter", "quitter-pkg")
    assert failed.error.startswith("SystemExit")


def test_real_module_calling_sys_exit_at_import(tmp_path, monkeypatch):
    (tmp_path / "mlefit_exits_plugin.py").write_text("import sys\nsys.exit(1)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    bad = metadata.EntryPoint(name="exits", value="mlefit_exits_plugin", group="mlefit")
    with pytest.warns(PluginLoadWarning, match="'exits'.*SystemExit: 1"):
        reg = build_registry([bad, builtin_gaussian()])
    assert reg.names() == ["gaussian"] and [f.plugin for f in reg.failed] == ["exits"]


def test_hook_calling_sys_exit_is_a_failed_plugin():
    module = plugin_module([Gaussian()])

    def register_families():
        raise SystemExit(2)

    module.register_families = hookimpl(register_families)
    hook_exits = KitEntryPoint("hookexit", module, KitDistribution("hookexit-pkg", "1.0"))
    with pytest.warns(PluginLoadWarning, match=r"register_families\(\) raised SystemExit"):
        reg = build_registry([hook_exits])
    assert reg.names() == [] and [f.plugin for f in reg.failed] == ["hookexit"]


def test_first_fit_survives_a_plugin_that_exits(monkeypatch):
    """The process-wide registry is built at the first fit(): that fit goes on."""
    from mlefit import registry as registry_module

    quitter = RaisingEntryPoint("quitter", SystemExit(0), KitDistribution("quitter-pkg", "2.0"))
    monkeypatch.setattr(registry_module, "_registry", None)
    monkeypatch.setattr(registry_module, "_entry_points", lambda: [quitter, builtin_gaussian()])
    with pytest.warns(PluginLoadWarning, match="quitter"):
        res = mlefit.fit("y ~ 1", {"y": [1.0, 2.0, 4.0]}, family="gaussian")
    assert res.params[("mu", "Intercept")] == pytest.approx(7 / 3, rel=1e-12)  # the mean
    assert [f.plugin for f in registry_module.get_registry().failed] == ["quitter"]


def test_keyboard_interrupt_while_loading_is_not_swallowed():
    interrupted = RaisingEntryPoint("slow", KeyboardInterrupt(), KitDistribution("slow", "1"))
    with pytest.raises(KeyboardInterrupt):
        build_registry([interrupted, builtin_gaussian()])


def test_the_cli_lists_the_exiting_plugin_as_failed(monkeypatch, capsys):
    from mlefit import registry as registry_module

    quitter = RaisingEntryPoint("quitter", SystemExit(0), KitDistribution("quitter-pkg", "2.0"))
    with pytest.warns(PluginLoadWarning):
        reg = build_registry([quitter, builtin_gaussian()])
    monkeypatch.setattr(registry_module, "_registry", reg)
    assert main(["families"]) == 0
    assert "FAILED quitter (quitter-pkg 2.0): SystemExit" in capsys.readouterr().out
