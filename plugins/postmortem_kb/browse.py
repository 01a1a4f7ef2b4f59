"""The browse pages and the home page blocks, rendered from the templates in ``browse/``.

``indexes.py`` computes what they show; this module only chooses the template, the path and
the navigation entry of each page. Paths are part of the product: links from elsewhere
point at them, so they never change.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from postmortem_kb.indexes import (
    CAUSE_ANCHOR,
    BrowseIndex,
    browse_index,
    service_src_uri,
    severity_rank,
    tag_anchor,
)
from postmortem_kb.knowledge_base import value_slug
from postmortem_kb.model import Postmortem
from postmortem_kb.rendering import Renderer
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
    pages = [
        GeneratedPage(
            page.src_uri,
            renderer.render(page.template, page.src_uri, index=index, today=today, **helpers),
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
    index: BrowseIndex,
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
            index=index,
            headline=index.headline(latest),
            **helpers,
        )
        lines[number] = "\n" + block.strip("\n") + "\n"
    return "\n".join(lines)
