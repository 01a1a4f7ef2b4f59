"""Material's navigation is rendered once for the postmortem pages, and changes no byte.

The reference build gives the site a ``custom_dir`` holding a copy of Material's own
``partials/nav.html``: it takes the place of the package's, so every page renders
Material's navigation itself, as without the plugin's cache.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from jinja2.runtime import Context
from markupsafe import Markup
from mkdocs.utils import get_theme_dir

from kbtools import build, postmortem_text, use_custom_dir, write_kb
from postmortem_kb.navigation import NavigationCache

NAV = """
nav:
  - Home: index.md
  - Guide:
      - guide/index.md
      - Writing: guide/writing.md
      - Status page: https://status.example.com/
  - Notes on A: postmortems/a/notes.md
  - Extra of B: postmortems/b/extra/
"""


def write_site(
    root: Path, slugs: list[str], *, features: list[str], directory_urls: bool, reference: bool
) -> Path:
    """A knowledge base with a nav of pages, a section, links, a logo and a repository."""
    postmortems = {
        f"{slug}.md": postmortem_text(id=f"PM-2024-{number:03}", title=f"Outage {slug}")
        for number, slug in enumerate(slugs, start=1)
    }
    config = (
        f"use_directory_urls: {str(directory_urls).lower()}\n"
        "repo_url: https://github.com/org/kb\n"
        "extra:\n  homepage: guide/\n"
        # A relative link in the nav that is no page of the site: a plain Link, not a warning.
        "validation:\n  nav:\n    not_found: info\n" + NAV
    )
    write_kb(root, postmortems, extra_config=config)
    theme = f"  name: material\n  logo: assets/logo.svg\n  features: {features}\n"
    text = (root / "mkdocs.yml").read_text()
    text = text.replace("  name: material\n  features: [content.action.edit]\n", theme)
    (root / "mkdocs.yml").write_text(text)
    if reference:
        nav = Path(get_theme_dir("material")) / "partials" / "nav.html"
        use_custom_dir(root, {"partials/nav.html": nav})
    docs = root / "docs"
    for name, content in {
        "guide/index.md": "# Guide\n\n## First\n\nText.\n",
        "guide/writing.md": "# Writing\n\n## Steps\n\nText.\n",
        "postmortems/a/notes.md": "# Notes on A\n",
        "assets/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>\n',
    }.items():
        (docs / name).parent.mkdir(parents=True, exist_ok=True)
        (docs / name).write_text(content)
    return root


def html_files(site: Path) -> dict[str, bytes]:
    return {str(path.relative_to(site)): path.read_bytes() for path in site.rglob("*.html")}


class RenderCounter:
    """Counts the renders of Material's navigation, by the source of the page rendered."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pages: Counter[str] = Counter()
        render = NavigationCache._render

        def counting(cache: NavigationCache, context: Context) -> tuple[Markup, tuple[str, ...]]:
            page = context.get("page")
            self.pages[page.file.src_uri if page is not None else ""] += 1
            return render(cache, context)

        monkeypatch.setattr(NavigationCache, "_render", counting)

    def postmortem_pages(self, slugs: list[str]) -> int:
        return sum(self.pages[f"postmortems/{slug}.md"] for slug in slugs)

    def service_pages(self) -> int:
        return sum(
            count
            for uri, count in self.pages.items()
            if uri.startswith("services/") and uri != "services/index.md"
        )


SLUGS = ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize(
    ("directory_urls", "features"),
    [
        (True, []),
        (
            False,
            ["navigation.tabs", "navigation.sections", "navigation.indexes", "toc.integrate"],
        ),
        (
            True,
            [
                "navigation.sections",
                "navigation.indexes",
                "navigation.prune",
                "navigation.expand",
                "toc.integrate",
            ],
        ),
        (False, ["navigation.tabs", "navigation.prune"]),
    ],
)
def test_every_page_is_byte_identical_to_materials_own_navigation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, directory_urls: bool, features: list[str]
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714521600")
    counter = RenderCounter(monkeypatch)
    cached = build(
        write_site(
            tmp_path / "cached",
            SLUGS,
            features=features,
            directory_urls=directory_urls,
            reference=False,
        )
    )
    renders = counter.postmortem_pages(SLUGS)
    reference = build(
        write_site(
            tmp_path / "reference",
            SLUGS,
            features=features,
            directory_urls=directory_urls,
            reference=True,
        )
    )
    assert counter.postmortem_pages(SLUGS) == renders  # the reference never called the cache
    ours, theirs = html_files(cached), html_files(reference)
    assert sorted(ours) == sorted(theirs)
    different = [name for name in ours if ours[name] != theirs[name]]
    assert different == []
    suffix = "/index.html" if directory_urls else ".html"
    page = (cached / f"postmortems/c{suffix}").read_text()
    assert 'class="md-nav md-nav--primary' in page
    assert "Notes on A" in page and "Browse" in page
    if directory_urls:
        # a's and b's folders hold a nav entry: their links differ from the other pages'.
        assert renders == 3
        assert 'href="notes/"' in (cached / "postmortems/a/index.html").read_text()
        assert 'href="../a/notes/"' in page
        assert 'href="extra/"' in (cached / "postmortems/b/index.html").read_text()
    else:
        assert renders == 1  # every postmortem page is in postmortems/


def test_the_navigation_renders_once_whatever_the_number_of_postmortems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = []
    for number in (2, 7):
        counter = RenderCounter(monkeypatch)
        slugs = [f"pm-{index}" for index in range(number)]
        files = {
            f"{slug}.md": postmortem_text(
                id=f"PM-2024-{index:03}", services=[f"service-{index}", "checkout"]
            )
            for index, slug in enumerate(slugs)
        }
        site = build(write_kb(tmp_path / str(number), files), strict=True)
        for slug in slugs:
            assert "md-nav--primary" in (site / f"postmortems/{slug}/index.html").read_text()
        services = sorted((site / "services").glob("*/index.html"))
        assert len(services) == number + 1
        for page in services:
            assert "md-nav--primary" in page.read_text()
        counts.append(
            (counter.postmortem_pages(slugs), counter.service_pages(), counter.pages["index.md"])
        )
    assert counts == [(1, 1, 1), (1, 1, 1)]


@pytest.mark.parametrize(
    ("name", "override"),
    [
        ("nav.html", '<nav class="mine">{{ page.file.src_uri if page }}</nav>'),
        (
            "nav-item.html",
            "{% macro render(nav_item, path, level, parent) %}"
            '<li class="mine">{{ page.file.src_uri if page }}</li>{% endmacro %}',
        ),
    ],
)
def test_a_custom_dirs_navigation_is_rendered_for_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, override: str
) -> None:
    counter = RenderCounter(monkeypatch)
    files = {f"{slug}.md": postmortem_text(id=f"PM-2024-00{slug}") for slug in "123"}
    root = write_kb(tmp_path, files)
    use_custom_dir(root, {f"partials/{name}": override})
    site = build(root, strict=True)
    for slug in "123":
        html = (site / f"postmortems/{slug}/index.html").read_text()
        assert f'class="mine">postmortems/{slug}.md<' in html
    if name == "nav-item.html":  # through the package's nav.html, never from the cache
        assert counter.postmortem_pages(list("123")) == 3


def test_other_themes_are_left_alone(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    text = (root / "mkdocs.yml").read_text()
    text = text.replace("  name: material\n  features: [content.action.edit]\n", "  name: mkdocs\n")
    (root / "mkdocs.yml").write_text(text)
    site = build(root, strict=True)
    assert "Recurring root causes" in (site / "postmortems/a/index.html").read_text()
