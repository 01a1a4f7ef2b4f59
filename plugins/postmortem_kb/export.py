"""The machine-readable export of a knowledge base: ``postmortems.json`` and ``pmkb export``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from postmortem_kb.analysis import derived_times, overdue_days, recurring_root_causes
from postmortem_kb.model import Postmortem


def postmortem_record(postmortem: Postmortem, today: dt.date) -> dict[str, Any]:
    """One postmortem as exported: its front matter, its URL and its derived figures."""
    record: dict[str, Any] = json.loads(json.dumps(postmortem.source.front_matter))
    record["url"] = postmortem.url
    record["metrics"] = derived_times(postmortem).as_dict()
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
) -> dict[str, Any]:
    """The whole export: the build date, every postmortem newest first, recurring causes."""
    return {
        "generated": today.isoformat(),
        "postmortems": [postmortem_record(pm, today) for pm in postmortems],
        "recurring_root_causes": [
            {
                "category": cause.category,
                "postmortems": [pm.id for pm in cause.postmortems],
                "services": list(cause.services),
            }
            for cause in recurring_root_causes(postmortems, taxonomy, threshold)
        ],
    }


def to_json(data: Mapping[str, Any]) -> str:
    """Serialise the export deterministically; ``<``, ``>`` and ``&`` are escaped for HTML."""
    text = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return text + "\n"
