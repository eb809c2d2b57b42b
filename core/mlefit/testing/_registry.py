"""Topic ``registry``: the family loads through an entry point into a fresh registry
and is found by name and alias.

:func:`plugin_module` and :class:`KitEntryPoint` stand in for an installed plugin's
module and entry point (the plugin tests use them too).
"""

from __future__ import annotations

import types
import warnings
from collections.abc import Iterable
from dataclasses import dataclass

from ..family import Family
from ..hookspecs import hookimpl
from ..links import BUILTIN_LINKS, Link
from ._case import Case
from ._check import Check, CheckFailure, SkipCheck


@dataclass(frozen=True)
class KitDistribution:
    """The distribution a :class:`KitEntryPoint` claims to come from."""

    name: str = "mlefit-testing-kit"
    version: str = "0"


@dataclass(frozen=True)
class KitEntryPoint:
    """An entry point whose module registers one family (and the plugin links it uses)."""

    name: str
    module: object
    dist: KitDistribution = KitDistribution()

    def load(self):
        """The module, as ``importlib.metadata.EntryPoint.load`` gives it."""
        return self.module


def plugin_module(families: Iterable[Family], links: Iterable[Link] = ()) -> types.ModuleType:
    """A module with ``register_families`` (and ``register_links``) hooks, as a plugin's."""
    module = types.ModuleType("mlefit_testing_plugin")
    families, links = list(families), list(links)

    def register_families():
        return families

    def register_links():
        return links

    module.register_families = hookimpl(register_families)
    if links:
        module.register_links = hookimpl(register_links)
    return module


def check_registry(case: Case) -> str | None:
    """The family loads through a fresh registry from an entry point and is found by name."""
    from ..registry import blocked, build_registry

    fam = case.family
    builtin = {link.name for link in BUILTIN_LINKS} | {a for link in BUILTIN_LINKS
                                                       for a in link.aliases}
    extra = {case.link(n).name: case.link(n) for p in fam.parameters for n in p.allowed_links
             if n not in builtin and n != "power"}
    ep = KitEntryPoint(f"kit-{fam.name}", plugin_module([fam], extra.values()))
    if blocked(ep.name, ep.dist.name):
        raise SkipCheck("plugin autoloading is disabled or blocked by the environment")
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        reg = build_registry([ep])
    if reg.failed:
        raise CheckFailure(f"loading through an entry point failed: {reg.failed[0].error}")
    for name in (fam.name, *fam.aliases):
        if reg.family(name) is not fam:
            raise CheckFailure(f"looking up {name!r} in a fresh registry did not give the family")
    return None


#: this topic's checks, in the order they run
TOPIC_CHECKS = (
    Check("registry", check_registry),
)
