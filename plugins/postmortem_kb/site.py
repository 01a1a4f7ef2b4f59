"""Everything the plugin adds to a site, as data: each generated page's path and content."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TextIO

from markupsafe import Markup, escape

from postmortem_kb.analysis import DerivedTimes, derived_times, escalation_level, overdue_days
from postmortem_kb.export import write_export_json
from postmortem_kb.indexes import BrowseIndex, service_src_uri, severity_rank, tag_anchor
from postmortem_kb.knowledge_base import KnowledgeBase, value_slug
from postmortem_kb.metrics import rounded_times, severity_medians
from postmortem_kb.model import Postmortem
from postmortem_kb.rendering import Renderer, schema_fields
from postmortem_kb.settings import Settings


@dataclass(frozen=True)
class GeneratedPage:
    """A file the plugin adds to the site.

    Attributes:
        src_uri: its path in the site's sources (``postmortems/x.md``).
        content: its text.
        meta: page metadata to set before other plugins read it (title, tags).
        source_path: the real file it was made from, for the edit link.
        hidden_from_nav: whether to keep it out of the navigation.
        nav_title: the title of its entry in the navigation's "Browse" section, if any.
        nav_order: its place in that section (smaller first).
        html_islands: placeholder to HTML, put back after Markdown (see
            ``rendering.html_island``).
        html_head: HTML that opens the page, put before what Markdown makes of ``content``
            (see ``rendering.page_head``).
        head_title: the title (HTML) of the ``<h1 id="pmkb:title">`` that ``html_head``
            opens with, if any: it heads the page's table of contents, as a title written in
            the Markdown would (Material's "skip to content" link leads to it).
        write: for a large file, a function that writes its text to a stream, in place of
            ``content``: the plugin writes it into the site at once, so the text is never
            held whole in memory.
    """

    src_uri: str
    content: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    source_path: Path | None = None
    hidden_from_nav: bool = False
    nav_title: str | None = None
    nav_order: int = 0
    html_islands: Mapping[str, str] = field(default_factory=dict)
    html_head: str = ""
    head_title: str | None = None
    write: Callable[[TextIO], None] | None = None


TITLE_ANCHOR = "pmkb:title"
"""The id of a postmortem page's title. A heading's id made from its text can hold no colon,
so no heading of the body can take it (footnotes' ids hold one too, ``fn:1``)."""


def postmortem_src_uri(postmortem: Postmortem) -> str:
    """The source path of a postmortem's generated page."""
    return f"postmortems/{postmortem.slug}.md"


def postmortem_page(
    postmortem: Postmortem,
    by_id: Mapping[str, Postmortem],
    settings: Settings,
    renderer: Renderer,
    today: dt.date,
    severity_median: DerivedTimes | None = None,
) -> GeneratedPage:
    """A postmortem's page: the header card from its front matter, then its body.

    ``severity_median`` holds the medians of its severity level, rounded as
    ``rounded_times`` gives them (once per level), shown beside its own times.
    """
    items = []
    for item in postmortem.action_items:
        days = overdue_days(item, today)
        items.append({"item": item, "overdue_days": days, "escalation": escalation_level(days)})
    related = [
        {"id": other.id, "title": other.title, "src_uri": postmortem_src_uri(other)}
        for other in (by_id.get(identifier) for identifier in postmortem.related)
        if other is not None
    ]
    src_uri = postmortem_src_uri(postmortem)
    rendered = renderer.render_page(
        "postmortem.md.j2",
        src_uri,
        pm=postmortem,
        times=derived_times(postmortem),
        severity_median=severity_median if severity_median is not None else rounded_times({}),
        severity_rank=severity_rank(postmortem.severity, settings.severities),
        items=items,
        related=related,
        service_uri=lambda name: service_src_uri(value_slug(name)),
        tag_anchor=tag_anchor,
        # The author's Markdown passes through as Markdown; the plugin sanitizes the HTML it
        # renders to (option sanitize_html), which is where raw HTML in it can be judged.
        body=Markup(postmortem.source.body),
        today=today,
        title_anchor=TITLE_ANCHOR,
    )
    title = str(escape(postmortem.title))
    return GeneratedPage(
        src_uri=src_uri,
        content=rendered.content,
        html_islands=rendered.islands,
        html_head=rendered.head,
        head_title=title if rendered.head.startswith(f'<h1 id="{TITLE_ANCHOR}">') else None,
        # MkDocs and Material print a page's title as HTML; the title must arrive escaped.
        meta={
            "title": title,
            # Material's search and tags plugins print tags as HTML too.
            "tags": [str(escape(tag)) for tag in postmortem.tags],
        },
        source_path=postmortem.source.abs_path,
        hidden_from_nav=True,
    )


def stylesheet() -> str:
    """The plugin's stylesheet for cards, badges and tables."""
    return resources.files("postmortem_kb").joinpath("assets/pmkb.css").read_text("utf-8")


def generate_site(
    knowledge_base: KnowledgeBase,
    settings: Settings,
    schema: Mapping[str, Any],
    renderer: Renderer,
    today: dt.date,
    *,
    format_page: bool = True,
    site_name: str = "",
    site_url: str | None = None,
    browse: BrowseIndex | None = None,
) -> list[GeneratedPage]:
    """Every page and file the plugin adds to the site, in a stable order.

    ``site_name`` and ``site_url`` (MkDocs' settings) title the feed and make its links
    absolute when the URL is known. ``browse`` is the browse index of the knowledge base,
    if the caller has made it already.
    """
    # Imported here: the browse and tracking pages are GeneratedPages, defined in this module.
    from postmortem_kb.browse import browse_pages
    from postmortem_kb.tracking import tracking_pages

    postmortems = knowledge_base.postmortems
    by_id = {pm.id: pm for pm in postmortems}
    medians = {
        level: rounded_times(times)
        for level, times in severity_medians(postmortems, settings.severities).items()
    }
    pages = [
        postmortem_page(pm, by_id, settings, renderer, today, medians[pm.severity])
        for pm in postmortems
    ]
    if format_page:
        pages.append(
            GeneratedPage(
                "format.md",
                renderer.render(
                    "format.md.j2",
                    "format.md",
                    fields=schema_fields(schema),
                    severities=settings.severities,
                ),
            )
        )
    pages.extend(browse_pages(knowledge_base.postmortems, settings, renderer, today, browse))
    pages.extend(
        tracking_pages(
            knowledge_base, settings, renderer, today, site_name=site_name, site_url=site_url
        )
    )
    pages.append(
        GeneratedPage(
            "postmortems.json",
            "",
            write=functools.partial(
                write_export_json,
                postmortems=postmortems,
                today=today,
                taxonomy=settings.taxonomy,
                threshold=settings.recurring_threshold,
                severities=settings.severities,
            ),
        )
    )
    pages.append(GeneratedPage("assets/pmkb.css", stylesheet()))
    return pages
