"""The follow-through pages: the action-item tracker, the metrics with charts, the feed.

``site.generate_site`` adds what ``tracking_pages`` returns. The figures come from
``postmortem_kb.metrics`` (the same functions that fill ``postmortems.json``), the charts
from ``postmortem_kb.charts``, the pages from ``templates/tracking/*.md.j2``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from postmortem_kb.analysis import RecurringCause, recurring_root_causes
from postmortem_kb.charts import (
    Chart,
    Series,
    bar_chart,
    duration_panels,
    render_chart,
    severity_color,
)
from postmortem_kb.feed import FEED_PATH, atom_feed
from postmortem_kb.indexes import severity_rank
from postmortem_kb.knowledge_base import KnowledgeBase
from postmortem_kb.metrics import (
    DUE_SOON_DAYS,
    ESCALATION_LABELS,
    MEASURE_LABELS,
    MEASURES,
    OPEN_GROUPS,
    PERCENTILE_METHOD,
    GroupCompletion,
    MonthCount,
    TimeMetrics,
    TrackedItem,
    completion,
    completion_by_owner,
    completion_by_quarter,
    completion_by_service,
    incidents_per_month,
    open_items_by_owner,
    open_items_sorted,
    percent,
    round_half_up,
    times_by_quarter,
    times_by_severity,
    tracked_items,
)
from postmortem_kb.model import Postmortem
from postmortem_kb.rendering import Renderer
from postmortem_kb.settings import Settings
from postmortem_kb.site import GeneratedPage, postmortem_src_uri

ACTION_ITEMS_PAGE = "action-items/index.md"
METRICS_PAGE = "metrics/index.md"
ACTION_ITEMS_NAV_ORDER = 100
METRICS_NAV_ORDER = 110
"""After the browse pages, whose orders are below 100."""

TOP_ROOT_CAUSES = 10
"""How many recurring root causes the metrics page charts."""

GROUP_TITLES = {
    "overdue": "Overdue",
    "due-soon": f"Due within {DUE_SOON_DAYS} days",
    "later": "Due later",
    "no-due-date": "No due date",
}


def tracking_pages(
    knowledge_base: KnowledgeBase,
    settings: Settings,
    renderer: Renderer,
    today: dt.date,
    *,
    site_name: str,
    site_url: str | None,
) -> list[GeneratedPage]:
    """The action items page, the metrics page and ``feed.xml``."""
    postmortems = knowledge_base.postmortems
    items = tracked_items(postmortems, today)
    return [
        action_items_page(items, len(postmortems), renderer, today),
        metrics_page(postmortems, items, settings, renderer, today),
        GeneratedPage(
            FEED_PATH,
            atom_feed(
                postmortems,
                site_name=site_name,
                site_url=site_url,
                today=today,
                limit=settings.feed_entries,
                renderer=renderer,
            ),
        ),
    ]


def postmortem_hrefs(renderer: Renderer, page_src_uri: str) -> Callable[[Postmortem], str]:
    """``link(pm_uri(postmortem))`` for the page at ``page_src_uri``.

    The tracking pages link each postmortem from every row of its action items or causes.
    """
    links = renderer.links(page_src_uri)
    return lambda postmortem: links(postmortem_src_uri(postmortem))


def action_items_page(
    items: Sequence[TrackedItem], postmortem_count: int, renderer: Renderer, today: dt.date
) -> GeneratedPage:
    """Every action item: open ones by urgency and by owner, completion rates, closed ones."""
    ordered = open_items_sorted(items)
    content = renderer.render(
        "tracking/action-items.md.j2",
        ACTION_ITEMS_PAGE,
        today=today,
        postmortem_count=postmortem_count,
        overall=completion(items),
        groups=[
            {
                "key": group,
                "title": GROUP_TITLES[group],
                "rows": [row for row in ordered if row.group == group],
            }
            for group in OPEN_GROUPS
        ],
        done=[row for row in items if row.group == "done"],
        wont_do=[row for row in items if row.group == "wont-do"],
        by_quarter=completion_by_quarter(items),
        by_service=completion_by_service(items),
        by_owner=completion_by_owner(items),
        owners=open_items_by_owner(items),
        escalation_labels=ESCALATION_LABELS,
        due_soon_days=DUE_SOON_DAYS,
        pm_uri=postmortem_src_uri,
        pm_href=postmortem_hrefs(renderer, ACTION_ITEMS_PAGE),
        percent=percent,
    )
    return GeneratedPage(
        ACTION_ITEMS_PAGE,
        content,
        meta={"title": str(escape("Action items"))},
        nav_title="Action items",
        nav_order=ACTION_ITEMS_NAV_ORDER,
    )


def metrics_page(
    postmortems: Sequence[Postmortem],
    items: Sequence[TrackedItem],
    settings: Settings,
    renderer: Renderer,
    today: dt.date,
) -> GeneratedPage:
    """Incidents per month, durations per severity and quarter, completion, root causes."""
    months = incidents_per_month(postmortems, settings.severities)
    levels = list(months[0].by_severity) if months else list(settings.severities)
    by_severity = times_by_severity(postmortems, settings.severities)
    by_quarter = times_by_quarter(postmortems)
    trend = completion_by_quarter(items)
    recurring = recurring_root_causes(postmortems, settings.taxonomy, settings.recurring_threshold)
    causes = recurring[:TOP_ROOT_CAUSES]
    laid_out: dict[str, Chart] = {}
    if postmortems:
        laid_out["months"] = month_chart(months, levels, settings.severities)
        laid_out["severity"] = times_chart("times-by-severity", by_severity, lines=False)
        laid_out["quarter"] = times_chart("times-by-quarter", by_quarter, lines=True)
    if trend:
        laid_out["completion"] = completion_chart(trend)
    if causes:
        laid_out["causes"] = causes_chart(causes)
    charts: dict[str, Markup] = {
        name: render_chart(renderer, chart, METRICS_PAGE) for name, chart in laid_out.items()
    }
    content = renderer.render(
        "tracking/metrics.md.j2",
        METRICS_PAGE,
        today=today,
        postmortem_count=len(postmortems),
        first=min((pm.date for pm in postmortems), default=None),
        last=max((pm.date for pm in postmortems), default=None),
        months=months,
        levels=levels,
        by_severity=by_severity,
        by_quarter=by_quarter,
        trend=trend,
        causes=causes,
        recurring_count=len(recurring),
        threshold=settings.recurring_threshold,
        charts=charts,
        measures=MEASURES,
        measure_labels=MEASURE_LABELS,
        percentile_method=PERCENTILE_METHOD,
        whole=round_half_up,
        percent=percent,
        pm_uri=postmortem_src_uri,
        pm_href=postmortem_hrefs(renderer, METRICS_PAGE),
    )
    return GeneratedPage(
        METRICS_PAGE,
        content,
        meta={"title": str(escape("Metrics"))},
        nav_title="Metrics",
        nav_order=METRICS_NAV_ORDER,
    )


def month_chart(
    months: Sequence[MonthCount], levels: Sequence[str], severities: tuple[str, ...]
) -> Chart:
    """Incidents per month, stacked by severity."""
    return bar_chart(
        "incidents-per-month",
        "Incidents per month by severity",
        [row.month for row in months],
        [
            Series(
                level,
                [row.by_severity[level] for row in months],
                severity_color(severity_rank(level, severities)),
            )
            for level in levels
        ],
        stacked=True,
        integer=True,
        value_label="incidents",
    )


def times_chart(chart_id: str, rows: Sequence[TimeMetrics], *, lines: bool) -> Chart:
    """Median and 90th percentile of each duration per group, one panel per duration."""
    panels = []
    for measure in MEASURES:
        medians = [row.measures[measure].median for row in rows]
        p90s = [row.measures[measure].p90 for row in rows]
        panels.append(
            (
                MEASURE_LABELS[measure],
                Series("median", [None if v is None else float(v) for v in medians], "chart-1"),
                Series(
                    "90th percentile", [None if v is None else float(v) for v in p90s], "chart-2"
                ),
            )
        )
    group = "quarter" if lines else "severity"
    return duration_panels(
        chart_id,
        f"Median and 90th percentile of each duration by {group}",
        [row.group for row in rows],
        panels,
        lines=lines,
    )


def completion_chart(trend: Sequence[GroupCompletion]) -> Chart:
    """The completion rate of the action items of each quarter's incidents."""
    rates = [row.completion.rate for row in trend]
    return bar_chart(
        "completion-trend",
        "Action-item completion rate by quarter of the incident",
        [str(row.group) for row in trend],
        [
            Series(
                "completion rate", [None if r is None else float(r * 100) for r in rates], "chart-1"
            )
        ],
        value_label="% done",
        value_max=100,
    )


def causes_chart(causes: Sequence[RecurringCause]) -> Chart:
    """The recurring root causes by number of postmortems."""
    return bar_chart(
        "recurring-root-causes",
        "Recurring root causes by number of postmortems",
        [cause.category for cause in causes],
        [Series("postmortems", [cause.count for cause in causes], "chart-1")],
        integer=True,
        horizontal=True,
        value_label="postmortems",
    )
