"""The machine-readable export of a knowledge base: ``postmortems.json`` and ``pmkb export``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from postmortem_kb.analysis import derived_times, overdue_days, recurring_root_causes
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
    record: dict[str, Any] = json.loads(json.dumps(postmortem.source.front_matter))
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
    medians = severity_medians(postmortems, severities)
    return {
        "generated": today.isoformat(),
        "postmortems": [postmortem_record(pm, today, medians[pm.severity]) for pm in postmortems],
        "recurring_root_causes": [
            {
                "category": cause.category,
                "postmortems": [pm.id for pm in cause.postmortems],
                "services": list(cause.services),
            }
            for cause in recurring_root_causes(postmortems, taxonomy, threshold)
        ],
        "metrics": metrics_summary(postmortems, severities),
        "action_items_summary": action_items_summary(tracked_items(postmortems, today)),
    }


def to_json(data: Mapping[str, Any]) -> str:
    """Serialise the export deterministically; ``<``, ``>`` and ``&`` are escaped for HTML."""
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text + "\n"
