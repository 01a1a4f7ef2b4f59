"""The browse pages and the home page blocks, rendered from the templates in ``browse/``.

``indexes.py`` computes what they show; this module only chooses the template, the path and
the navigation entry of each page. Paths are part of the product: links from elsewhere
point at them, so they never change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from postmortem_kb.indexes import (
    CAUSE_ANCHOR,
    BrowseIndex,
    MarkerIndex,
    OpenItem,
    browse_index,
    service_src_uri,
    severity_rank,
    tag_anchor,
)
from postmortem_kb.knowledge_base import value_slug
from postmortem_kb.model import Postmortem
from postmortem_kb.rendering import Renderer, root_path, site_path
from postmortem_kb.settings import Settings
from postmortem_kb.site import GeneratedPage, postmortem_src_uri
from postmortem_kb.tracking import ACTION_ITEMS_PAGE

POSTMORTEMS_URI = "postmortems/index.md"
TAGS_URI = "tags/index.md"
SEVERITY_URI = "severity/index.md"
SERVICES_URI = "services/index.md"
ROOT_CAUSES_URI = "root-causes/index.md"


@dataclass(frozen=True)
class BrowsePage:
    """One index page: where it is, its template and its entry in the navigation."""

    src_uri: str
    template: str
    nav_title: str
    nav_order: int


BROWSE_PAGES: tuple[BrowsePage, ...] = (
    BrowsePage(POSTMORTEMS_URI, "browse/postmortems.md.j2", "All postmortems", 10),
    BrowsePage(TAGS_URI, "browse/tags.md.j2", "Tags", 20),
    BrowsePage(SEVERITY_URI, "browse/severity.md.j2", "Severity", 30),
    BrowsePage(SERVICES_URI, "browse/services.md.j2", "Services", 40),
    BrowsePage(ROOT_CAUSES_URI, "browse/root-causes.md.j2", "Recurring root causes", 50),
)


def template_helpers(settings: Settings) -> dict[str, Any]:
    """Functions the browse templates call to link and label postmortems, services and tags."""
    return {
        "pm_uri": postmortem_src_uri,
        "service_uri": lambda name: service_src_uri(value_slug(name)),
        "tag_anchor": tag_anchor,
        "cause_anchor": lambda category: CAUSE_ANCHOR.format(slug=value_slug(category)),
        "severity_anchor": value_slug,
        "rank": lambda severity: severity_rank(severity, settings.severities),
        "pages": {
            "postmortems": POSTMORTEMS_URI,
            "tags": TAGS_URI,
            "severity": SEVERITY_URI,
            "services": SERVICES_URI,
            "root_causes": ROOT_CAUSES_URI,
            "action_items": ACTION_ITEMS_PAGE,
        },
    }


SITE_ROOT = "<pmkb-site-root>"
"""Where the way up to the site root goes in a row made for any page (see ``TableRows``).

Escaping turns every ``<`` of a value into an entity, so no value can spell it."""


class SiteLinks:
    """Links that start at ``SITE_ROOT``, for rows that serve pages at any depth.

    Each page then puts its own way up (``rendering.root_path``) in place of ``SITE_ROOT``:
    nothing from ``../`` on a top-level page, ``../../`` on a service page, which is what
    ``rendering.Links`` writes on each page.
    """

    def __init__(self, use_directory_urls: bool = True) -> None:
        """Links to pages as MkDocs places them, with or without directory URLs."""
        self.use_directory_urls = use_directory_urls
        self._made: dict[tuple[str, str], Markup] = {}

    def __call__(self, src_uri: str, anchor: str = "") -> Markup:
        """The URL of ``src_uri``, with an optional anchor, from ``SITE_ROOT``."""
        url = self._made.get((src_uri, anchor))
        if url is None:
            path = site_path(src_uri, anchor, self.use_directory_urls)
            if not path or path.startswith("#"):
                path = "./" + path
            # Markup, as SITE_ROOT must not be escaped; quote() left no character to escape.
            url = self._made[(src_uri, anchor)] = Markup(SITE_ROOT + path)
        return url


MACROS = "browse/_macros.md.j2"


class TableRows:
    """The rows of the index tables, each rendered once and shared by every page that lists it.

    A postmortem is a row in the list of all postmortems, under each of its tags, its
    severity, its root causes and on the page of each of its services: about 7,000 rows at
    1,000 postmortems, with a link or two in each. Profiled, rendering them cost more than
    the rest of the browse pages and MkDocs' work on them together. Each cell, action item
    row and id link is rendered once, by the macros ``postmortem_cell``, ``action_item_row``
    and ``pm_id`` of ``_macros.md.j2`` (a ``templates_dir`` override included), with
    ``SiteLinks``; a page then gets them with its own way up to the root in place. Keep it
    no longer than the objects it is given: it holds them, as its keys are their ``id()``.
    """

    def __init__(self, renderer: Renderer, helpers: Mapping[str, Any]) -> None:
        """Rows rendered with ``renderer``'s macros and the template ``helpers``."""
        self._renderer = renderer
        self._helpers = helpers
        self._module: Any = None
        self._cells: dict[tuple[int, str], Markup] = {}
        self._items: dict[tuple[int, int, int | None, int], Markup] = {}
        self._ids: dict[int, Markup] = {}
        self._objects: dict[int, object] = {}

    def _macros(self) -> Any:
        if self._module is None:
            template = self._renderer.env.get_template(MACROS)
            self._module = template.make_module(
                {
                    **self._helpers,
                    "link": SiteLinks(self._renderer.use_directory_urls),
                    # Macros that use these get rows from the root too.
                    "cells": self.cells,
                    "item_row": self.item_row,
                    "id_link": self.id_link,
                }
            )
        return self._module

    def cells(self, pm: Any, columns: Sequence[str]) -> Markup:
        """The ``<td>`` cells of a postmortem's row, in that order, from ``SITE_ROOT``."""
        self._objects[id(pm)] = pm
        made = self._cells
        row = []
        for column in columns:
            html = made.get((id(pm), column))
            if html is None:
                html = made[(id(pm), column)] = self._macros().postmortem_cell(pm, column)
            row.append(html)
        return Markup("".join(row))

    def item_row(self, row: OpenItem) -> Markup:
        """The ``<tr>`` of an open action item, from ``SITE_ROOT``."""
        self._objects[id(row.postmortem)] = row.postmortem
        # Each group makes its own OpenItem of an item: the key is what the row shows.
        key = (id(row.postmortem), row.item.index, row.overdue_days, row.escalation)
        html = self._items.get(key)
        if html is None:
            html = self._items[key] = self._macros().action_item_row(row)
        return html

    def id_link(self, pm: Any) -> Markup:
        """The link to a postmortem that shows its id, from ``SITE_ROOT``."""
        self._objects[id(pm)] = pm
        html = self._ids.get(id(pm))
        if html is None:
            html = self._ids[id(pm)] = self._macros().pm_id(pm)
        return html

    def helpers(self, page_src_uri: str) -> dict[str, Callable[..., Markup]]:
        """The functions a page's templates call for its rows: ``cells``, ``item_row``, ``id_link``.

        - ``cells(pm, columns)``: the ``<td>`` cells of a postmortem's row, in that order
          (macro ``postmortem_cell``);
        - ``item_row(row)``: the ``<tr>`` of an open action item, an ``indexes.OpenItem``
          (macro ``action_item_row``);
        - ``id_link(pm)``: the link to a postmortem that shows its id (macro ``pm_id``).
        """
        root = root_path(page_src_uri, self._renderer.use_directory_urls)

        def cells(pm: Any, columns: Sequence[str]) -> Markup:
            return Markup(str.replace(self.cells(pm, columns), SITE_ROOT, root))

        def item_row(row: OpenItem) -> Markup:
            return Markup(str.replace(self.item_row(row), SITE_ROOT, root))

        def id_link(pm: Any) -> Markup:
            return Markup(str.replace(self.id_link(pm), SITE_ROOT, root))

        return {"cells": cells, "item_row": item_row, "id_link": id_link}


def browse_pages(
    postmortems: Iterable[Postmortem],
    settings: Settings,
    renderer: Renderer,
    today: dt.date,
    index: BrowseIndex | None = None,
) -> list[GeneratedPage]:
    """The index pages and one page per service, in a stable order."""
    if index is None:
        index = browse_index(postmortems, settings, today)
    helpers = template_helpers(settings)
    rows = TableRows(renderer, helpers)
    pages = [
        GeneratedPage(
            page.src_uri,
            renderer.render(
                page.template,
                page.src_uri,
                index=index,
                today=today,
                **helpers,
                **rows.helpers(page.src_uri),
            ),
            nav_title=page.nav_title,
            nav_order=page.nav_order,
        )
        for page in BROWSE_PAGES
    ]
    for group in index.services:
        pages.append(
            GeneratedPage(
                group.src_uri,
                renderer.render(
                    "browse/service.md.j2",
                    group.src_uri,
                    index=index,
                    service=group,
                    today=today,
                    **helpers,
                    **rows.helpers(group.src_uri),
                ),
                # MkDocs and Material print a page's title as HTML; it must arrive escaped.
                meta={"title": str(escape(group.name))},
                hidden_from_nav=True,
            )
        )
    return pages


MARKER = re.compile(r"^[ ]{0,3}<!--\s*postmortems:(latest|counts)(?:\s+(\d{1,4}))?\s*-->[ \t]*$")
"""A home page marker, alone on its line: ``<!-- postmortems:latest 5 -->``."""

_FENCE = re.compile(r"^[ ]{0,3}(`{3,}|~{3,})")

DEFAULT_LATEST = 10


def replace_markers(
    markdown: str,
    page_src_uri: str,
    index: MarkerIndex,
    settings: Settings,
    renderer: Renderer,
) -> str:
    """Replace the ``postmortems:latest`` and ``postmortems:counts`` markers of a page.

    A marker counts only alone on its line and outside fenced code, so that a page can show
    the markers themselves in a code block. ``postmortems:latest N`` lists the N most recent
    postmortems (default 10).
    """
    if "postmortems:" not in markdown:
        return markdown
    helpers = template_helpers(settings)
    rows = TableRows(renderer, helpers).helpers(page_src_uri)
    lines = markdown.split("\n")
    fence: str | None = None
    for number, line in enumerate(lines):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        match = MARKER.match(line)
        if match is None:
            continue
        kind, count = match.group(1), match.group(2)
        latest = int(count) if count else DEFAULT_LATEST
        block = renderer.render(
            f"browse/{kind}.md.j2",
            page_src_uri,
            headline=index.headline(latest),
            **helpers,
            **rows,
        )
        lines[number] = "\n" + block.strip("\n") + "\n"
    return "\n".join(lines)
