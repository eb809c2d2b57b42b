"""The documentation covers the public API and the site's navigation covers the pages.

The examples in the pages are doctests run by the main test run (``--doctest-glob`` over
``docs/``); ``mkdocs build --strict`` runs in CI (``.ci/run``), not here: it is slow and
needs the ``docs`` extra. These tests need neither MkDocs nor a YAML parser.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

import mlefit
from mlefit import hookspecs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
MKDOCS_YML = ROOT / "mkdocs.yml"
#: pages deliberately left out of the navigation (none so far)
NOT_IN_NAV: set[str] = set()


def _hooks():
    spec = importlib.util.spec_from_file_location("mlefit_docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def resolve(identifier: str):
    """The object a ``::: identifier`` block documents: the longest importable module
    prefix, then attributes (as mkdocstrings' Python handler resolves it)."""
    parts = identifier.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(identifier)


def api_identifiers() -> list[str]:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    return re.findall(r"^:::\s*(\S+)", text, flags=re.MULTILINE)


def nav_pages() -> list[str]:
    """The ``*.md`` paths of the ``nav:`` block of mkdocs.yml (the last top-level key)."""
    text = MKDOCS_YML.read_text(encoding="utf-8")
    block = text.split("\nnav:\n", 1)[1]
    block = re.split(r"\n(?=\S)", block, maxsplit=1)[0]   # up to the next top-level key
    return re.findall(r"^\s*-\s*(?:.*:\s*)?([\w./-]+\.md)\s*$", block, flags=re.MULTILINE)


def _kind(name: str) -> str:
    obj = getattr(mlefit, name)
    return ("class" if inspect.isclass(obj) else "module" if inspect.ismodule(obj)
            else "function" if inspect.isfunction(obj) else "instance")


def test_public_names_are_functions_classes_modules_or_the_hookimpl_marker():
    others = [n for n in mlefit.__all__ if _kind(n) == "instance"]
    assert others == ["hookimpl"]      # pluggy's marker: documented in api.md, not here


@pytest.mark.parametrize("name", [n for n in mlefit.__all__ if _kind(n) != "instance"])
def test_public_name_has_a_docstring(name):
    obj = getattr(mlefit, name)
    doc = obj.__dict__.get("__doc__") if inspect.isclass(obj) else obj.__doc__  # own, not inherited
    assert doc and doc.strip(), f"mlefit.{name} has no docstring"


@pytest.mark.parametrize("name", [n for n in mlefit.__all__
                                  if inspect.isclass(getattr(mlefit, n))
                                  and not issubclass(getattr(mlefit, n), BaseException)])
def test_public_class_members_have_docstrings(name):
    cls = getattr(mlefit, name)
    missing = []
    for member, value in vars(cls).items():
        if member.startswith("_"):
            continue
        target = getattr(value, "func", value)           # cached_property
        if isinstance(value, property) or inspect.isfunction(target):
            if not (target.__doc__ or "").strip():
                missing.append(member)
    assert not missing, f"mlefit.{name}: no docstring for {missing}"


@pytest.mark.parametrize("name", mlefit.__all__)
def test_public_name_is_in_the_api_reference(name):
    documented = [resolve(i) for i in api_identifiers()]
    obj = getattr(mlefit, name)
    assert any(d is obj for d in documented), (
        f"mlefit.{name} has no '::: ...' entry in docs/api.md")


def test_api_reference_entries_resolve():
    for identifier in api_identifiers():
        resolve(identifier)


def test_compare_is_the_function_for_mkdocstrings_too():
    """No module ``mlefit.compare`` shadows the function (tests/test_layout.py checks every
    name), so ``::: mlefit.compare`` documents the function."""
    assert resolve("mlefit.compare") is mlefit.compare
    assert resolve("mlefit.inference.compare") is mlefit.compare


@pytest.mark.parametrize("hook", sorted(n for n, f in vars(hookspecs).items()
                                        if hasattr(f, "mlefit_spec")))
def test_every_hook_has_its_own_heading_in_the_plugin_guide(hook):
    text = (DOCS / "plugins.md").read_text(encoding="utf-8")
    headings = re.findall(r"^#{2,6}\s+(.*)$", text, flags=re.MULTILINE)
    assert any(re.search(rf"\b{hook}\b", h) for h in headings), (
        f"hook {hook} has no heading in docs/plugins.md")


def test_the_hooks_found_are_the_documented_ones():
    found = {n for n, f in vars(hookspecs).items() if hasattr(f, "mlefit_spec")}
    assert found == {"register_families", "register_links"}


def test_every_page_is_in_the_nav():
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    missing = sorted(pages - set(nav_pages()) - NOT_IN_NAV)
    assert not missing, f"pages not in the mkdocs.yml nav: {missing}"


def test_every_nav_entry_exists():
    generated = {_hooks().GENERATED_PAGE}
    absent = [p for p in nav_pages() if not (DOCS / p).exists() and p not in generated]
    assert not absent, f"nav entries with no page in docs/: {absent}"


def test_nav_has_no_duplicates_and_reads_every_section():
    pages = nav_pages()
    assert len(pages) == len(set(pages))
    for page in ("index.md", "guide.md", "plugins.md", "theory.md", "api.md",
                 "benchmarks.md", "families/poisson.md"):
        assert page in pages


def test_generated_families_page_lists_every_installed_family():
    page = _hooks().families_page(DOCS)
    for info in mlefit.families():
        assert f"\n## {info.name}\n" in page
        for parameter in info.parameters:
            assert f"| `{parameter}` |" in page
        assert str(info.source.plugin) in page


def test_repository_links_become_paths_and_broken_ones_stay():
    hooks = _hooks()
    text = "[`examples/mlefit-skewnormal/`](../examples/mlefit-skewnormal/) and [x](../nope.md)"
    out = hooks.repository_links(text, DOCS, DOCS)
    assert out.startswith("`examples/mlefit-skewnormal/` and")
    assert "[x](../nope.md)" in out


def test_sphinx_roles_are_dropped_from_rendered_docstrings():
    hooks = _hooks()
    html = "see :func:<code>mlefit.fit</code> and :class:<code>~mlefit.errors.DataError</code>"
    assert hooks.drop_roles(html) == "see <code>mlefit.fit</code> and <code>DataError</code>"
