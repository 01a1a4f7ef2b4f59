"""Shared table rows: the same links and HTML as rendering each page on its own would give."""

from __future__ import annotations

import dataclasses
import datetime as dt
import gc
import re
import weakref
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
from markupsafe import Markup
from test_indexes import causes, make

from postmortem_kb.browse import (
    MACROS,
    SITE_ROOT,
    SiteLinks,
    TableRows,
    browse_pages,
    replace_markers,
    root_path,
    template_helpers,
)
from postmortem_kb.indexes import OpenItem, PostmortemRow, browse_index, open_items
from postmortem_kb.model import Postmortem
from postmortem_kb.rendering import Links, Renderer, dest_url
from postmortem_kb.settings import Settings

SETTINGS = Settings(root=Path("/kb"), postmortems_dir=Path("/kb/postmortems"))
TODAY = dt.date(2024, 6, 1)
SITE = "https://example.com/kb/"
HREF = re.compile(r'href="([^"]*)"')


def postmortems() -> list[Postmortem]:
    """Five postmortems sharing services, tags and a cause, with open and overdue items."""
    item = {"action": "Fix <it> | now", "type": "prevent", "owner": "@team", "status": "todo"}
    return [
        make(
            f"PM-{n}",
            f"2024-0{n}-01",
            title=f"Outage {n} <b>*bold*</b>",
            services=["checkout", "orders-db"] if n % 2 else ["search & find"],
            tags=["database", "Deploy Train"] if n < 4 else [],
            root_causes=causes("deploy-process"),
            action_items=[{**item, "due": f"2024-0{n}-15"}],
        )
        for n in range(1, 6)
    ]


@pytest.mark.parametrize("directory_urls", [True, False])
@pytest.mark.parametrize(
    "page", ["index.md", "tags/index.md", "postmortems/index.md", "services/x.md", "a/b/c.md"]
)
@pytest.mark.parametrize(
    ("target", "anchor"),
    [
        ("postmortems/pm-1.md", ""),
        ("services/search-find.md", ""),
        ("root-causes/index.md", "cause:deploy-process"),
        ("tags/index.md", "tag:deploy-train"),
        ("index.md", ""),
    ],
)
def test_links_from_the_root_lead_where_relative_links_lead(
    directory_urls: bool, page: str, target: str, anchor: str
) -> None:
    page_url = urljoin(SITE, dest_url(page, directory_urls))
    shared = SiteLinks(directory_urls)(target, anchor).replace(
        SITE_ROOT, root_path(page, directory_urls)
    )
    relative = Links(page, directory_urls)(target, anchor)
    assert urljoin(page_url, shared) == urljoin(page_url, relative)
    assert not shared.startswith("/")


def page_links(renderer: Renderer, directory_urls: bool) -> dict[str, list[str]]:
    """Every link of every browse page, tables included, resolved to an absolute URL."""
    pages = browse_pages(postmortems(), SETTINGS, renderer, TODAY)
    resolved = {}
    for page in pages:
        html = page.content + "".join(renderer.islands.get(page.src_uri, {}).values())
        assert SITE_ROOT not in html
        base = urljoin(SITE, dest_url(page.src_uri, directory_urls))
        resolved[page.src_uri] = [urljoin(base, href) for href in HREF.findall(html)]
    return resolved


class PagePerPage(TableRows):
    """The slow path: each page renders its own rows, with the page's own relative links."""

    def helpers(self, page_src_uri: str) -> dict[str, Any]:  # type: ignore[override]
        template = self._renderer.env.get_template(MACROS)
        helpers: dict[str, Any] = {
            "cells": lambda pm, columns: Markup(
                "".join(module.postmortem_cell(pm, c) for c in columns)
            ),
            "item_row": lambda row: module.action_item_row(row),
            "id_link": lambda pm: module.pm_id(pm),
        }
        links = Links(page_src_uri, self._renderer.use_directory_urls)
        module = template.make_module({**self._helpers, **helpers, "link": links})
        return helpers


@pytest.mark.parametrize("directory_urls", [True, False])
def test_shared_rows_link_as_rows_made_for_each_page(
    directory_urls: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = page_links(Renderer(use_directory_urls=directory_urls), directory_urls)
    monkeypatch.setattr("postmortem_kb.browse.TableRows", PagePerPage)
    alone = page_links(Renderer(use_directory_urls=directory_urls), directory_urls)
    assert shared == alone
    assert sum(len(links) for links in shared.values()) > 100


def without_links(html: str) -> str:
    """The HTML with every link blanked, and the placeholders' digests (of those links)."""
    return re.sub(r"(pmkb-island \d+) [0-9a-f]+", r"\1", HREF.sub('href=""', html))


def test_shared_rows_are_the_html_each_page_would_make_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def render() -> list[str]:
        renderer = Renderer(collect_islands=True)
        pages = browse_pages(postmortems(), SETTINGS, renderer, TODAY)
        return [
            without_links(page.content + "".join(renderer.islands.get(page.src_uri, {}).values()))
            for page in pages
        ]

    shared = render()
    monkeypatch.setattr("postmortem_kb.browse.TableRows", PagePerPage)
    assert shared == render()
    # Escaped for HTML and Markdown in the shared cells too.
    assert "Outage 1 &#60;b&#62;&#42;bold&#42;&#60;&#47;b&#62;" in shared[0]
    assert "<b>" not in "".join(shared)


def test_each_row_is_rendered_once_however_many_pages_list_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[str, str]] = []
    renderer = Renderer()
    rows = TableRows(renderer, template_helpers(SETTINGS))
    module = rows._macros()
    cell = module.postmortem_cell

    def counted(pm: Postmortem, column: str) -> object:
        calls.append((pm.id, column))
        return cell(pm, column)

    monkeypatch.setattr(module, "postmortem_cell", counted)
    pms = postmortems()
    top, deep = rows.helpers("tags/index.md"), rows.helpers("services/checkout.md")
    first = top["cells"](pms[0], ("date", "id", "title"))
    again = top["cells"](pms[0], ("title", "id"))
    below = deep["cells"](pms[0], ("id", "title"))
    assert sorted(calls) == [("PM-1", "date"), ("PM-1", "id"), ("PM-1", "title")]
    assert 'href="../postmortems/pm-1/"' in first and 'href="../postmortems/pm-1/"' in again
    assert 'href="../../postmortems/pm-1/"' in below


def test_an_item_row_differs_when_what_it_shows_differs() -> None:
    pm = postmortems()[0]
    (late,) = open_items([pm], TODAY)
    (due,) = open_items([pm], dt.date(2024, 1, 1))
    rows = TableRows(Renderer(), template_helpers(SETTINGS)).helpers("root-causes/index.md")
    assert "overdue 138 d" in rows["item_row"](late)
    assert "overdue" not in rows["item_row"](due)
    copy = OpenItem(pm, late.item, late.overdue_days, late.escalation)
    assert rows["item_row"](copy) == rows["item_row"](late)


def test_an_overridden_cell_macro_shows_in_every_table(tmp_path: Path) -> None:
    package = Renderer().env.loader
    assert package is not None
    source, _, _ = package.get_source(Renderer().env, MACROS)
    custom = source.replace(
        '{%- if column == "date" %}<td>{{ date(pm.date) }}</td>',
        '{%- if column == "date" %}<td class="ours">{{ pm.date.year }}</td>',
    )
    assert custom != source
    (tmp_path / "browse").mkdir()
    (tmp_path / MACROS).write_text(custom, encoding="utf-8")
    renderer = Renderer(tmp_path, collect_islands=True)
    pages = browse_pages(postmortems(), SETTINGS, renderer, TODAY)
    rows = 0
    for page in pages:
        tables = "".join(renderer.islands.get(page.src_uri, {}).values())
        firsts = re.findall(r'<tr data-pm-id="[^"]+">(<td[^>]*>[^<]*)', tables)
        assert set(firsts) <= {'<td class="ours">2024'}, page.src_uri
        rows += len(firsts)
    assert rows > 20


def test_the_marker_index_keeps_no_postmortem() -> None:
    pms = postmortems()
    alive = weakref.ref(pms[0])
    index = browse_index(pms, SETTINGS, TODAY)
    markers = index.markers()
    expected = replace_markers(
        "<!-- postmortems:latest 3 -->", "index.md", markers, SETTINGS, Renderer()
    )
    del pms, index
    gc.collect()
    assert alive() is None
    assert all(type(row) is PostmortemRow for row in markers.rows)
    assert markers.headline(2).latest == markers.rows[:2]
    out = replace_markers(
        "<!-- postmortems:latest 3 -->", "index.md", markers, SETTINGS, Renderer()
    )
    assert out == expected and out.count("data-pm-id=") == 3


def test_a_row_record_renders_as_its_postmortem() -> None:
    pms = postmortems()
    rows = TableRows(Renderer(), template_helpers(SETTINGS)).helpers("guide/page.md")
    columns = ("date", "id", "title", "severity", "status", "services")
    for pm in pms:
        record = PostmortemRow.of(pm)
        assert rows["cells"](record, columns) == rows["cells"](pm, columns)
        assert dataclasses.astuple(record)[0] == pm.id
