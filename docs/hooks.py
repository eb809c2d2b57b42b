"""MkDocs hooks of the mlefit site (``hooks:`` in mkdocs.yml; not a page of the site).

* ``on_files`` adds :data:`GENERATED_PAGE`, the reference of every installed family,
  written at build time from ``mlefit.families()`` (the registry: built-in and third-party
  plugins alike), so the page never goes stale.
* ``on_page_markdown`` turns links to repository files outside docs/ (such as
  ``../examples/mlefit-skewnormal/``, which read well on GitHub) into the path as code:
  the site has no copy of them. A link to a path that does not exist is left alone, so
  the strict build still reports it.
* ``on_page_content`` drops the Sphinx roles the numpydoc docstrings use
  (``:func:`fit``` renders as ``fit`` in code), which markdown would show literally.
* ``on_pre_build`` draws the figures a page shows when they are missing: the figures are
  made by the page's own examples (the test suite runs them as doctests and writes
  ``docs/images/*.png``, which git ignores), so a build straight from a clean checkout
  runs that page's examples once.
"""

from __future__ import annotations

import doctest
import inspect
import logging
import os
import re
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.mlefit")

#: the page written at build time (its path inside docs/, as the nav names it)
GENERATED_PAGE = "families-reference.md"

#: a markdown link whose target climbs out of docs/
OUTSIDE_LINK = re.compile(r"\[([^\]]+)\]\((\.\./[^)\s#]+)\)")
#: a Sphinx role before inline code, as markdown renders it from a docstring
ROLE = re.compile(r":(?:func|meth|class|mod|data|attr|exc|obj|const):<code>(~?)([^<]*)</code>")
IMAGE = re.compile(r"!\[[^\]]*\]\((images/[^)\s]+)\)")
DOCTEST_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


# the families reference ------------------------------------------------------------------
def _rst_to_md(text: str) -> str:
    """Inline reST literals (````x````) as markdown code (```x```)."""
    return re.sub(r"``([^`]+)``", r"`\1`", text)


def _summary(obj) -> str:
    """First paragraph of a docstring, on one line."""
    doc = inspect.getdoc(obj) or ""
    first = doc.split("\n\n")[0]
    return _rst_to_md(" ".join(first.split()))


def _domain(domain, named: bool = True) -> str:
    """``Positive (0, inf)``: the domain's class name (if any and ``named``) and its
    interval."""
    left = "[" if domain.closed_lower else "("
    right = "]" if domain.closed_upper else ")"
    interval = f"{left}{domain.lower:g}, {domain.upper:g}{right}"
    if domain.integer:
        interval = "integers in " + interval
    name = type(domain).__name__
    return interval if name == "Domain" or not named else f"`{name}` {interval}"


def _derivatives(family) -> str:
    return "analytic" if family.has("dlogpdf") and family.has("d2logpdf") else "numeric"


def _cell(text) -> str:
    return str(text).replace("|", "\\|")


def _family_section(info, docs_dir: Path) -> list[str]:
    fam = info.family
    cls = type(fam)
    lines = [f"## {info.name}", ""]
    page = docs_dir / "families" / f"{info.name}.md"
    facts = [f"**{_cell(_summary(cls))}**"]
    if info.aliases:
        facts.append("Aliases: " + ", ".join(f"`{a}`" for a in info.aliases) + ".")
    if page.exists():
        facts.append(f"[The {info.name} page](families/{info.name}.md).")
    lines += [" ".join(facts), ""]
    lines += ["| parameter | meaning | domain | default link | allowed links | typical |",
              "| --- | --- | --- | --- | --- | --- |"]
    for i, p in enumerate(fam.parameters):
        meaning = _cell(p.description) or "-"
        if i == 0:
            meaning += " (modelled by the main formula)"
        low, high = p.typical_range
        lines.append(f"| `{p.name}` | {meaning} | {_domain(p.domain)} | `{p.default_link}` | "
                     f"{', '.join(f'`{x}`' for x in p.allowed_links)} | {low:g} to {high:g} |")
    lines.append("")
    rest = [f"- Support of the response: {_domain(fam.support)}"
            + (f", {fam.response_columns} columns" if fam.response_columns > 1 else "") + "."]
    if fam.dispersion is not None:
        d = fam.dispersion
        rest.append(f"- Exponential dispersion: `phi = {d.parameter}^{d.power:g}` "
                    "(mean solved first, then the dispersion; `var_weights`, "
                    "`dispersion=\"pearson\"`, `convention=\"R\"`).")
    for r in fam.reductions:
        kind = "on the boundary: chi-bar-squared LRT" if r.boundary else "interior: chi-square"
        rest.append(f"- Reduces to `{r.family}` at `{r.parameter} = {r.value:g}` ({kind}).")
    caps = info.capabilities
    rest.append("- Optional methods: " + (", ".join(f"`{c}`" for c in caps) if caps else
                                          "none (numeric derivatives)") + ".")
    rest.append(f"- Derivatives: {_derivatives(fam)}"
                + (", and on the linear-predictor scale for some links"
                   if fam.has("eta_derivatives") else "") + ".")
    src = info.source
    rest.append(f"- Source: plugin `{src.plugin}` of the distribution `{src.distribution}` "
                f"{src.version}; class `{cls.__module__}.{cls.__qualname__}`.")
    return lines + rest + [""]


def families_page(docs_dir: Path) -> str:
    """The markdown of :data:`GENERATED_PAGE` for the families installed now."""
    import mlefit
    from mlefit.registry import get_registry

    infos = sorted(mlefit.families(), key=lambda i: i.name)
    lines = [
        "# Installed families (generated)",
        "",
        "This page is written when the site is built, from `mlefit.families()`: the",
        "registry of the environment that built it, built-in families and any installed",
        "third-party plugin alike. `mlefit families` prints the same list in a terminal,",
        "`mlefit families --json` as JSON. The [families overview](families.md) compares",
        "them with R, statsmodels and scipy.",
        "",
        f"mlefit {mlefit.__version__}; {len(infos)} families.",
        "",
        "| family | parameters | support | derivatives | source |",
        "| --- | --- | --- | --- | --- |",
    ]
    for i in infos:
        lines.append(f"| [{i.name}](#{i.name}) | "
                     f"{', '.join(f'`{p}`' for p in i.parameters)} | "
                     f"{_domain(i.family.support, named=False)} | {_derivatives(i.family)} | "
                     f"{_cell(i.source)} |")
    lines.append("")
    failed = get_registry().failed
    if failed:
        lines += ["Plugins that failed to load (not listed above):", ""]
        lines += [f"- `{f.plugin}` ({f.distribution} {f.version}): {_cell(f.error)}"
                  for f in failed]
        lines.append("")
    for info in infos:
        lines += _family_section(info, docs_dir)
    return "\n".join(lines)


def on_files(files, config):
    from mkdocs.structure.files import File  # here: the tests import this module without MkDocs

    docs_dir = Path(config["docs_dir"])
    files.append(File.generated(config, GENERATED_PAGE, content=families_page(docs_dir)))
    return files


# links to the repository -----------------------------------------------------------------
def repository_links(markdown: str, page_dir: Path, docs_dir: Path) -> str:
    """Replace ``[text](../path)`` leaving ``docs_dir`` by ``text (repository: `path`)``
    when the path exists in the repository."""
    root = docs_dir.resolve().parent

    def replace(match: re.Match) -> str:
        text, target = match.groups()
        path = (page_dir / target).resolve()
        if not path.exists() or path.is_relative_to(docs_dir.resolve()):
            return match.group(0)
        shown = path.relative_to(root).as_posix() + ("/" if path.is_dir() else "")
        return text if f"`{shown}`" in text else f"{text} (repository: `{shown}`)"

    return OUTSIDE_LINK.sub(replace, markdown)


def on_page_markdown(markdown, page, config, files):
    docs_dir = Path(config["docs_dir"])
    page_dir = (docs_dir / page.file.src_uri).parent
    return repository_links(markdown, page_dir, docs_dir)


# Sphinx roles in docstrings --------------------------------------------------------------
def drop_roles(html: str) -> str:
    """``:func:<code>~a.b</code>`` -> ``<code>b</code>`` (``~`` keeps the last name)."""
    def replace(match: re.Match) -> str:
        tilde, name = match.groups()
        return f"<code>{name.rsplit('.', 1)[-1] if tilde else name}</code>"

    return ROLE.sub(replace, html)


def on_page_content(html, page, config, files):
    return drop_roles(html)


# figures drawn by the examples ---------------------------------------------------------
@contextmanager
def _cwd(path: Path):
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def missing_figures(docs_dir: Path) -> dict[Path, list[str]]:
    """Pages whose ``images/...`` figures do not exist yet: ``{page: [figure, ...]}``."""
    out = {}
    for page in sorted(docs_dir.rglob("*.md")):
        wanted = IMAGE.findall(page.read_text(encoding="utf-8"))
        gone = [w for w in wanted if not (page.parent / w).exists()]
        if gone:
            out[page] = gone
    return out


def run_examples(page: Path, root: Path) -> None:
    """Run a page's ``>>>`` examples (from ``root``, as the test suite does)."""
    text = page.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    with _cwd(root):
        runner.run(test, out=lambda _: None)


def on_pre_build(config):
    docs_dir = Path(config["docs_dir"])
    root = Path(config["config_file_path"]).parent
    for page, figures in missing_figures(docs_dir).items():
        log.info("drawing %s by running the examples of %s", ", ".join(figures), page.name)
        try:
            run_examples(page, root)
        except Exception as exc:  # the test suite reports failing examples precisely
            log.warning("could not run the examples of %s (%s): run `python -m pytest docs` "
                        "first, which draws the figures", page.name, exc)
    for page, figures in missing_figures(docs_dir).items():
        log.warning("%s shows %s, which its examples did not draw. Fix: install the plot "
                    "extra (matplotlib) and run `python -m pytest %s`", page.name,
                    ", ".join(figures), page.relative_to(root))
