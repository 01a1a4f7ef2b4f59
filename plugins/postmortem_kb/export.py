"""The machine-readable export of a knowledge base: ``postmortems.json`` and ``pmkb export``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, TextIO

from postmortem_kb.analysis import (
    canonical_category,
    derived_times,
    overdue_days,
    recurring_root_causes,
)
from postmortem_kb.metrics import (
    MEASURES,
    action_items_summary,
    as_number,
    metrics_summary,
    severity_medians,
    tracked_items,
)
from postmortem_kb.model import DEFAULT_SEVERITIES, Postmortem


def postmortem_record(
    postmortem: Postmortem,
    today: dt.date,
    severity_median: Mapping[str, Fraction | None] | None = None,
) -> dict[str, Any]:
    """One postmortem as exported: its front matter, its URL and its derived figures.

    ``severity_median`` adds the medians of the postmortem's severity level, exact, under
    ``severity_median`` with the same keys as ``metrics``.
    """
    # A copy of what this changes (the top level, each action item); the rest is shared with
    # the front matter, which is only read (a JSON round trip cost 10 times as much).
    record: dict[str, Any] = dict(postmortem.source.front_matter)
    if isinstance(record.get("action_items"), list):
        record["action_items"] = [
            dict(item) if isinstance(item, dict) else item for item in record["action_items"]
        ]
    record["url"] = postmortem.url
    record["metrics"] = derived_times(postmortem).as_dict()
    if severity_median is not None:
        record["severity_median"] = {
            measure: as_number(severity_median.get(measure)) for measure in MEASURES
        }
    items = record.get("action_items")
    if isinstance(items, list):
        for item, model in zip(items, postmortem.action_items, strict=True):
            item.setdefault("status", model.status)
            item["overdue_days"] = overdue_days(model, today)
    return record


def export_data(
    postmortems: Sequence[Postmortem],
    today: dt.date,
    taxonomy: Mapping[str, str],
    threshold: int = 2,
    severities: Sequence[str] = DEFAULT_SEVERITIES,
) -> dict[str, Any]:
    """The whole export: the build date, every postmortem newest first, recurring causes.

    ``metrics`` and ``action_items_summary`` carry the figures of the metrics and action
    items pages, computed by the same functions (``postmortem_kb.metrics``).
    """
    data = _export_members(postmortems, today, taxonomy, threshold, severities)
    data["postmortems"] = list(data["postmortems"])
    return data


def _export_members(
    postmortems: Sequence[Postmortem],
    today: dt.date,
    taxonomy: Mapping[str, str],
    threshold: int,
    severities: Sequence[str],
) -> dict[str, Any]:
    """The export's members, with its postmortems as records made one at a time."""
    medians = severity_medians(postmortems, severities)
    return {
        "generated": today.isoformat(),
        "postmortems": (postmortem_record(pm, today, medians[pm.severity]) for pm in postmortems),
        "recurring_root_causes": _recurring(postmortems, taxonomy, threshold),
        "metrics": metrics_summary(postmortems, severities),
        "action_items_summary": action_items_summary(tracked_items(postmortems, today)),
    }


def _recurring(
    postmortems: Sequence[Postmortem], taxonomy: Mapping[str, str], threshold: int
) -> list[dict[str, Any]]:
    return [
        {
            "category": cause.category,
            "postmortems": [pm.id for pm in cause.postmortems],
            "services": list(cause.services),
        }
        for cause in recurring_root_causes(postmortems, taxonomy, threshold)
    ]


def export_json(
    postmortems: Sequence[Postmortem],
    today: dt.date,
    taxonomy: Mapping[str, str],
    threshold: int = 2,
    severities: Sequence[str] = DEFAULT_SEVERITIES,
) -> str:
    """``to_json(export_data(...))``, made one record at a time."""
    out = io.StringIO()
    write_export_json(out, postmortems, today, taxonomy, threshold, severities)
    return out.getvalue()


def write_export_json(
    out: TextIO,
    postmortems: Sequence[Postmortem],
    today: dt.date,
    taxonomy: Mapping[str, str],
    threshold: int = 2,
    severities: Sequence[str] = DEFAULT_SEVERITIES,
) -> None:
    """Write ``to_json(export_data(...))`` to ``out``, one record at a time.

    The same text, without holding every record as Python objects at once (for 5,000
    postmortems that structure alone took 44 MB), nor the whole text (13 MB).
    """
    _write_layout(out, _export_members(postmortems, today, taxonomy, threshold, severities))


def to_json(data: Mapping[str, Any]) -> str:
    """Serialise the export deterministically; ``<``, ``>`` and ``&`` are escaped for HTML.

    One member per line, and one record per line in the lists: readable, friendly to diff,
    and written by json's C encoder (``indent`` would switch to its pure-Python encoder,
    which took 0.4 s and 86 MB for 5,000 postmortems).
    """
    out = io.StringIO()
    _write_layout(out, data)
    return out.getvalue()


_HTML_UNSAFE = (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"))


def _compact(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    # str.replace, not str.translate: translating to longer strings looks every character
    # up in the table (profiled, a fifth of the export's time); no replacement holds a
    # character that a later one replaces.
    for unsafe, escaped in _HTML_UNSAFE:
        if unsafe in text:
            text = text.replace(unsafe, escaped)
    return text


def _write_layout(out: TextIO, data: Mapping[str, Any | Iterable[Any]]) -> None:
    out.write("{\n")
    for number, (key, value) in enumerate(data.items()):
        name = _compact(key)
        out.write(",\n" if number else "")
        if isinstance(value, (list, tuple)) or (
            not isinstance(value, (str, bytes, dict)) and isinstance(value, Iterable)
        ):
            out.write(f"  {name}: [")
            empty = True
            for item in value:
                out.write("\n    " if empty else ",\n    ")
                out.write(_compact(item))
                empty = False
            out.write("]" if empty else "\n  ]")
        else:
            out.write(f"  {name}: {_compact(value)}")
    out.write("\n}\n")


CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "the postmortem's id"),
    ("title", "its title"),
    ("date", "the day the incident began (YYYY-MM-DD)"),
    ("severity", "its severity"),
    ("status", "draft, in-review or final"),
    ("services", "the services, separated by '; '"),
    ("tags", "the tags, separated by '; '"),
    ("authors", "the authors, separated by '; '"),
    ("reviewers", "the reviewers, separated by '; '"),
    ("incident", "the incident's id in an external tracker"),
    ("started", "timeline.started in UTC (YYYY-MM-DDTHH:MM:SSZ)"),
    ("detected", "timeline.detected in UTC"),
    ("mitigated", "timeline.mitigated in UTC"),
    ("resolved", "timeline.resolved in UTC"),
    ("time_to_detect_minutes", "detected - started, whole minutes"),
    ("time_to_mitigate_minutes", "mitigated - detected"),
    ("time_to_resolve_minutes", "resolved - detected"),
    ("impact_duration_minutes", "mitigated - started"),
    ("users_affected", "impact.users_affected"),
    ("requests_failed", "impact.requests_failed"),
    ("revenue_usd", "impact.revenue_usd"),
    ("data_loss", "impact.data_loss: true or false"),
    ("sla_breach", "impact.sla_breach: true or false"),
    ("root_causes", "the root cause categories after the taxonomy, separated by '; '"),
    ("action_items", "how many action items"),
    ("action_items_open", "how many are todo or in-progress"),
    ("action_items_overdue", "how many open ones are past their due date on the build date"),
    ("related", "the related ids, separated by '; '"),
    ("url", "the page's URL relative to the site root"),
    ("summary", "the summary"),
)
"""The columns of ``pmkb export --format csv``, in order, with what each holds. A missing
value is an empty cell; a figure that cannot be derived is empty, never zero."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet may run a cell that starts with one of these as a formula."""


def csv_text_cell(value: str) -> str:
    """A text cell that no spreadsheet runs as a formula: a leading ``'`` when it could be one."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _utc(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return csv_text_cell(str(value))


def csv_row(postmortem: Postmortem, today: dt.date, taxonomy: Mapping[str, str]) -> list[str]:
    """One postmortem as a CSV row, in the order of ``CSV_COLUMNS``."""
    times = derived_times(postmortem)
    impact = postmortem.impact
    timeline = postmortem.timeline
    categories = dict.fromkeys(
        canonical_category(cause.category, taxonomy) for cause in postmortem.root_causes
    )
    items = postmortem.action_items
    values: list[object] = [
        postmortem.id,
        postmortem.title,
        postmortem.date.isoformat(),
        postmortem.severity,
        postmortem.status,
        "; ".join(postmortem.services),
        "; ".join(postmortem.tags),
        "; ".join(postmortem.authors),
        "; ".join(postmortem.reviewers),
        postmortem.incident,
        _utc(timeline.started),
        _utc(timeline.detected),
        _utc(timeline.mitigated),
        _utc(timeline.resolved),
        times.time_to_detect_minutes,
        times.time_to_mitigate_minutes,
        times.time_to_resolve_minutes,
        times.impact_duration_minutes,
        impact.users_affected,
        impact.requests_failed,
        impact.revenue_usd,
        impact.data_loss,
        impact.sla_breach,
        "; ".join(categories),
        len(items),
        sum(1 for item in items if item.is_open),
        sum(1 for item in items if overdue_days(item, today) is not None),
        "; ".join(postmortem.related),
        postmortem.url,
        postmortem.summary.strip(),
    ]
    return [_cell(value) for value in values]


def to_csv(postmortems: Sequence[Postmortem], today: dt.date, taxonomy: Mapping[str, str]) -> str:
    """Every postmortem as CSV (RFC 4180: CRLF line ends, quotes where needed), newest first."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([name for name, _ in CSV_COLUMNS])
    for postmortem in postmortems:
        writer.writerow(csv_row(postmortem, today, taxonomy))
    return buffer.getvalue()
