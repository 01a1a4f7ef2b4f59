"""Helpers for tests of the browse pages: read built HTML, find sections, generate a big KB."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, Tag

from kbtools import postmortem_text

ROOT = Path(__file__).resolve().parents[1]


def page(site: Path, url: str) -> BeautifulSoup:
    """The parsed HTML of the page at ``url`` (``tags/``) in a built site."""
    path = site / url / "index.html" if url.endswith("/") or not url else site / url
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def article(soup: BeautifulSoup) -> Tag:
    """The page's content, without Material's header, navigation and footer."""
    found = soup.select_one("article.md-content__inner")
    assert found is not None
    return found


def section(soup: BeautifulSoup, anchor: str) -> list[Tag]:
    """The elements under the heading whose id is ``anchor``, up to the next heading of the
    same or a higher level."""
    heading = soup.find(id=anchor)
    assert isinstance(heading, Tag), f"no element with id {anchor!r}"
    assert heading.name in ("h1", "h2", "h3", "h4"), heading
    level = int(heading.name[1])
    elements: list[Tag] = []
    for sibling in heading.find_next_siblings():
        if sibling.name in {f"h{n}" for n in range(1, level + 1)}:
            break
        elements.append(sibling)
    return elements


def row_ids(elements: Iterable[Tag], table_class: str = "pmkb-postmortems") -> list[str]:
    """The postmortem ids of the rows of the tables of class ``table_class`` in ``elements``."""
    ids: list[str] = []
    for element in elements:
        tables = [element] if element.name == "table" else element.find_all("table")
        for table in tables:
            if table_class in (table.get("class") or []):
                ids.extend(str(row["data-pm-id"]) for row in table.select("tr[data-pm-id]"))
    return ids


def ids_under(soup: BeautifulSoup, anchor: str) -> list[str]:
    """The postmortem ids listed in the postmortem tables of the section ``anchor``."""
    return row_ids(section(soup, anchor))


SERVICES = (
    "checkout",
    "orders-db",
    "payments",
    "search",
    "identity",
    "edge-cdn",
    "notifications",
    "catalog",
    "pricing",
    "delivery-slots",
    "warehouse",
    "mobile-api",
)
TAGS = ("database", "deploy", "config", "cache", "dns", "security", "capacity", "dependency")
CATEGORIES = (
    "deploy-process",
    "capacity-planning",
    "config-change",
    "third-party-dependency",
    "missing-test-coverage",
    "certificate-expiry",
    "cache-invalidation",
    "access-control",
    "monitoring-gap",
    "data-migration",
    "db-outage",
)


def generated_postmortems(count: int, seed: int = 7) -> dict[str, str]:
    """``count`` valid postmortems spread over three years, with every kind of gap: no tags,
    no root causes (drafts), missing timestamps, open, overdue and undated action items."""
    rng = random.Random(seed)
    files: dict[str, str] = {}
    start = dt.date(2023, 1, 1)
    for number in range(count):
        date = start + dt.timedelta(days=rng.randrange(3 * 365))
        status = rng.choice(("final", "final", "final", "in-review", "draft"))
        day = date.isoformat()
        overrides: dict[str, Any] = {
            "id": f"PM-{number:04d}",
            "title": f"Incident {number} on {day}",
            "date": day,
            "severity": rng.choice(("SEV1", "SEV2", "SEV3", "SEV3", "SEV4")),
            "status": status,
            "services": rng.sample(SERVICES, rng.randint(1, 3)),
            "tags": rng.sample(TAGS, rng.randint(0, 3)) or None,
        }
        # A final postmortem must say when it started, was detected and was mitigated (a
        # lint rule); the others may lack any timestamp, and any may lack `resolved`.
        final = status == "final"
        if not final and rng.random() < 0.3:
            overrides["timeline"] = None
        else:
            minutes = [rng.randint(1, 90), rng.randint(5, 300), rng.randint(10, 3000)]
            started = dt.datetime(date.year, date.month, date.day, 8, 0, tzinfo=dt.timezone.utc)
            detected = started + dt.timedelta(minutes=minutes[0])
            mitigated = detected + dt.timedelta(minutes=minutes[1])
            resolved = mitigated + dt.timedelta(minutes=minutes[2])
            timeline = {"started": started.isoformat().replace("+00:00", "Z")}
            if final or rng.random() < 0.7:
                timeline["detected"] = detected.isoformat().replace("+00:00", "Z")
                timeline["mitigated"] = mitigated.isoformat().replace("+00:00", "Z")
                if rng.random() < 0.8:
                    timeline["resolved"] = resolved.isoformat().replace("+00:00", "Z")
            overrides["timeline"] = timeline
        if status == "draft" and rng.random() < 0.5:
            overrides["root_causes"] = None
            overrides["action_items"] = None
        else:
            overrides["root_causes"] = [
                {"category": category, "description": "A systemic cause."}
                for category in rng.sample(CATEGORIES, rng.randint(1, 2))
            ]
            items = []
            for index in range(rng.randint(1, 3)):
                due = date + dt.timedelta(days=rng.randint(7, 120))
                items.append(
                    {
                        "action": f"Add safeguard {index} against a repeat of incident {number}",
                        "type": "prevent"
                        if index == 0
                        else rng.choice(("prevent", "detect", "mitigate", "document")),
                        "owner": "@team",
                        "due": due.isoformat(),
                        "status": rng.choice(("todo", "in-progress", "done", "done", "wont-do")),
                    }
                )
            overrides["action_items"] = items
        files[f"{day}-incident-{number:04d}.md"] = postmortem_text(**overrides)
    return files
