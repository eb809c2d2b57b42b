"""Loads family and link plugins from the ``mlefit`` entry-point group and looks names up.

The registry is built lazily, on first use. It runs its own loop over the entry points
(pluggy's ``load_setuptools_entrypoints`` stops at the first plugin that fails): a plugin
that fails to import (or calls ``sys.exit()`` while it loads), names a hook that does not
exist, raises in its hook or returns a family that breaks the contract is recorded in
:attr:`Registry.failed` and warned about; the others load.

Environment variables (read when the registry is built):

``MLEFIT_DISABLE_PLUGIN_AUTOLOAD``
    Non-empty: load only the plugins of mlefit's own distribution.
``MLEFIT_BLOCK_PLUGINS``
    Comma-separated entry-point or distribution names not to load.
"""

from __future__ import annotations

import difflib
import importlib.metadata as metadata
import os
import threading
import warnings
from dataclasses import dataclass, field

import pluggy

from . import hookspecs
from .contract import validate_family, validate_link
from .errors import (
    DuplicateFamilyError,
    FamilyContractError,
    PluginLoadWarning,
    UnknownFamilyError,
    UnknownLinkError,
)
from .family import Family, FamilyInfo, Source
from .links import BUILTIN_LINKS, Link, parse_power, power_link

__all__ = ["BLOCK_ENV", "DISABLE_ENV", "GROUP", "OWN_DISTRIBUTION", "FailedPlugin", "Registry",
           "blocked", "build_registry", "get_registry", "reload", "suggest"]

GROUP = "mlefit"
OWN_DISTRIBUTION = "mlefit"
DISABLE_ENV = "MLEFIT_DISABLE_PLUGIN_AUTOLOAD"
BLOCK_ENV = "MLEFIT_BLOCK_PLUGINS"


@dataclass(frozen=True)
class FailedPlugin:
    """A plugin that did not load, and why."""

    plugin: str
    distribution: str
    version: str
    error: str


@dataclass
class Registry:
    """Installed families and links, by lower-case name and alias."""

    families: dict[str, list[FamilyInfo]] = field(default_factory=dict)
    links: dict[str, list[tuple[Link, Source]]] = field(default_factory=dict)
    failed: list[FailedPlugin] = field(default_factory=list)

    # building ------------------------------------------------------------------
    def add_link(self, link: Link, source: Source) -> None:
        for key in {link.name.lower(), *(a.lower() for a in link.aliases)}:
            self.links.setdefault(key, []).append((link, source))

    def add_family(self, family: Family, source: Source) -> None:
        info = FamilyInfo.of(family, source)
        for key in {family.name.lower(), *(a.lower() for a in family.aliases)}:
            self.families.setdefault(key, []).append(info)

    def fail(self, plugin: str, source: Source, error: str) -> None:
        self.failed.append(FailedPlugin(plugin, source.distribution, source.version, error))
        warnings.warn(f"mlefit plugin {plugin!r} from {source.distribution} "
                      f"{source.version} failed to load and is skipped: {error}",
                      PluginLoadWarning, stacklevel=4)

    # lookup --------------------------------------------------------------------
    def family(self, name: str) -> Family:
        """The family called ``name`` (or with that alias), case-insensitive."""
        infos = self.families.get(str(name).lower(), [])
        unique = {id(i.family): i for i in infos}.values()
        if len(unique) > 1:
            who = "; ".join(f"{i.name!r} from {i.source}" for i in unique)
            raise DuplicateFamilyError(
                f"family name {name!r} is registered by more than one plugin: {who}. Fix: "
                f"uninstall one of them, block one with {BLOCK_ENV}=<plugin>, or pass the "
                "family instance itself: fit(..., family=TheFamily()).")
        if not unique:
            raise UnknownFamilyError(
                f"no family named {name!r} is installed{suggest(name, self.families)}. "
                "Installed: "
                f"{', '.join(self.names()) or '(none)'}. Fix: check the spelling or install "
                "the plugin that provides it" + self._failed_hint())
        return next(iter(unique)).family

    def link(self, name: str) -> Link:
        q = parse_power(name)
        if q is not None:    # a power link, "power(q)", made on demand (statmod's link.power)
            made = power_link(q)
            if not isinstance(made, str):
                return made
            name = made
        entries = self.links.get(str(name).lower(), [])
        unique = {id(link): (link, src) for link, src in entries}.values()
        if len(unique) > 1:
            who = "; ".join(f"{link.name!r} from {src}" for link, src in unique)
            raise DuplicateFamilyError(f"link name {name!r} is registered twice: {who}. Fix: "
                                       "uninstall or block one of the plugins.")
        if not unique:
            known = sorted({link.name for e in self.links.values() for link, _ in e})
            raise UnknownLinkError(f"no link named {name!r}{suggest(name, self.links)}. "
                                   f"Known links: {', '.join(known)}.")
        return next(iter(unique))[0]

    def names(self) -> list[str]:
        return sorted({i.name for infos in self.families.values() for i in infos})

    def infos(self) -> list[FamilyInfo]:
        seen = {id(i.family): i for infos in self.families.values() for i in infos}
        return sorted(seen.values(), key=lambda i: (i.name, i.source.distribution))

    def _failed_hint(self) -> str:
        if not self.failed:
            return "."
        return f" (failed plugins: {', '.join(f.plugin for f in self.failed)})."


def suggest(name, known) -> str:
    """``" (did you mean 'gaussian'?)"`` for the names in ``known`` closest to ``name``
    (:func:`difflib.get_close_matches`), or ``""`` when none is close."""
    close = difflib.get_close_matches(str(name).lower(), sorted(known), n=3, cutoff=0.6)
    if not close:
        return ""
    return f" (did you mean {' or '.join(repr(c) for c in close)}?)"


#: what a plugin may raise while it loads or registers and still only fail itself: any
#: Exception, and SystemExit (a plugin calling sys.exit() must not end the user's process);
#: KeyboardInterrupt and GeneratorExit are not caught
_PLUGIN_FAILURES = (Exception, SystemExit)


def _entry_points():
    return metadata.entry_points(group=GROUP)


def _source(ep) -> Source:
    dist = getattr(ep, "dist", None)
    return Source(ep.name, dist.name if dist else "unknown", dist.version if dist else "?")


def blocked(plugin: str, distribution: str) -> bool:
    """Whether the environment keeps plugin ``plugin`` of ``distribution`` from loading."""
    names = {b.strip().lower() for b in os.environ.get(BLOCK_ENV, "").split(",") if b.strip()}
    if plugin.lower() in names or distribution.lower() in names:
        return True
    return bool(os.environ.get(DISABLE_ENV)) and distribution != OWN_DISTRIBUTION


def build_registry(entry_points=None) -> Registry:
    """Load every plugin of the entry-point group into a fresh :class:`Registry`."""
    registry = Registry()
    core = Source("mlefit.links", OWN_DISTRIBUTION, "core")
    for link in BUILTIN_LINKS:
        registry.add_link(link, core)
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    sources: dict[str, Source] = {}
    for ep in _entry_points() if entry_points is None else entry_points:
        source = _source(ep)
        if blocked(ep.name, source.distribution):
            continue
        if ep.name in sources:
            if sources[ep.name].distribution != source.distribution:
                registry.fail(ep.name, source, f"its entry-point name is already used by "
                              f"{sources[ep.name]}. Fix: rename the entry point in one of "
                              "the two distributions")
            continue  # the same distribution seen twice on sys.path
        try:
            module = ep.load()
            pm.register(module, name=ep.name)
        except _PLUGIN_FAILURES as exc:  # a broken plugin must not break the others
            registry.fail(ep.name, source, f"{type(exc).__name__}: {exc}")
            continue
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            pm.unregister(name=ep.name)
            registry.fail(ep.name, source, f"defines a hook mlefit does not know ({exc}); "
                          "check the spelling of register_families / register_links")
            continue
        sources[ep.name] = source
    for impl in pm.hook.register_links.get_hookimpls():
        source = sources[impl.plugin_name]
        for link in _call(registry, impl, source):
            try:
                validate_link(link, f"{impl.plugin_name!r} from {source.distribution}")
            except FamilyContractError as exc:
                registry.fail(impl.plugin_name, source, str(exc))
                continue
            registry.add_link(link, source)
    known_links = set(registry.links)
    for impl in pm.hook.register_families.get_hookimpls():
        source = sources[impl.plugin_name]
        for family in _call(registry, impl, source):
            try:
                validate_family(family, f"{impl.plugin_name!r} from {source.distribution}",
                                known_links)
            except FamilyContractError as exc:
                registry.fail(impl.plugin_name, source, str(exc))
                continue
            registry.add_family(family, source)
    return registry


def _call(registry: Registry, impl, source: Source) -> list:
    try:
        result = impl.function()
    except _PLUGIN_FAILURES as exc:
        registry.fail(impl.plugin_name, source, f"{impl.function.__name__}() raised "
                      f"{type(exc).__name__}: {exc}")
        return []
    if result is None:
        return []
    if not isinstance(result, list | tuple):
        registry.fail(impl.plugin_name, source,
                      f"{impl.function.__name__}() returned {type(result).__name__}, not a list")
        return []
    return list(result)


_lock = threading.Lock()
_registry: Registry | None = None


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _registry
    with _lock:
        if _registry is None:
            _registry = build_registry()
        return _registry


def reload() -> Registry:
    """Forget the registry so that the next use reloads every plugin (after pip install)."""
    global _registry
    with _lock:
        _registry = None
    return get_registry()
