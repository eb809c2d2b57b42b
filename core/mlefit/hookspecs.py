"""The hooks a plugin implements (pluggy project name ``mlefit``).

A plugin module, built-in or third-party, defines one or both functions below decorated
with :data:`hookimpl` and is named by a line in its distribution's entry-point group
``mlefit``, for example:

    [project.entry-points.mlefit]
    skewnormal = "mlefit_skewnormal"
"""

from __future__ import annotations

import pluggy

__all__ = ["PROJECT", "hookimpl", "hookspec", "register_families", "register_links"]

PROJECT = "mlefit"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
"""Decorator marking a plugin's hook implementation: ``@hookimpl def register_families():``."""


@hookspec
def register_families() -> list:
    """Return the :class:`~mlefit.Family` instances this plugin provides."""


@hookspec
def register_links() -> list:
    """Return the :class:`~mlefit.links.Link` instances this plugin provides."""
