"""A seeded generator of knowledge bases for invariant tests: hundreds of varied postmortems.

``generate(seed, count)`` gives file names and contents of valid postmortems, varied in
severity, status, services, tags, root causes, action items, timelines, bodies and folders.
``with_bad_files`` adds known-bad files and returns their names, so that a test can check that
the build fails naming exactly those.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import yaml

SERVICES = ["checkout", "orders-db", "payments", "search", "auth", "cdn", "email", "eta-push"]
TAGS = ["database", "deploy", "capacity", "certificate", "dns", "config", "cache", "network"]
CAUSES = ["deploy-process", "capacity-planning", "missing-test-coverage", "config-change"]
FACTORS = ["people", "process", "technology", "monitoring", "configuration", "documentation"]
WORDS = ["the", "orders", "database", "saturated", "after", "deploy", "checkout", "requests"]
VERBS = ["Add", "Alert on", "Remove", "Automate", "Document", "Limit", "Test", "Rotate"]
OBJECTS = [
    "the orders-db connection pool",
    "checkout deploys",
    "the certificate expiry",
    "cache TTLs",
]

BAD_FILES: dict[str, str | bytes] = {
    "bad-yaml.md": "---\ntitle: Outage: checkout down\n---\nBody\n",
    "bad-no-front-matter.md": "# Just a heading\n\nNo front matter.\n",
    "bad-binary.md": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "bad-extension.markdown": "---\nid: X\n---\n",
    "notes.txt": "call notes\n",
    "bad-severity.md": "",  # filled in by with_bad_files from a valid postmortem
    "bad-date.md": "",
    "bad-alias.md": "---\nid: &a X\nother: *a\n---\n",
    "2023/bad-nested-empty.md": "",
    "bad-related.md": "",
}


def _sentence(rng: random.Random, words: int = 8) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _timeline(rng: random.Random, day: dt.date) -> dict[str, str]:
    start = dt.datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60))
    timeline = {}
    moment = start
    for name in ("started", "detected", "mitigated", "resolved"):
        if name == "resolved" and rng.random() < 0.3:
            continue  # some incidents have no permanent fix yet
        timeline[name] = moment.strftime("%Y-%m-%dT%H:%M:00Z")
        moment += dt.timedelta(minutes=rng.randrange(1, 240))
    return timeline


def postmortem(rng: random.Random, index: int, ids: list[str]) -> tuple[str, str]:
    """One valid postmortem: its file name (maybe in a year folder) and its text."""
    day = dt.date(2021, 1, 1) + dt.timedelta(days=rng.randrange(4 * 365))
    identifier = f"PM-{day.year}-{index:04d}"
    # Final only: drafts and reviews of past incidents are overdue (PM409, PM410).
    status = "final"
    data: dict[str, Any] = {
        "id": identifier,
        "title": f"{_sentence(rng, 5)[:-1]} ({index})",
        "date": day.isoformat(),
        "severity": rng.choice(["SEV1", "SEV2", "SEV3", "SEV4"]),
        "status": status,
        "summary": _sentence(rng, 20),
        "services": rng.sample(SERVICES, rng.randint(1, 3)),
    }
    if rng.random() < 0.8:
        data["tags"] = rng.sample(TAGS, rng.randint(1, 3))
    if rng.random() < 0.8:
        data["authors"] = [f"author-{rng.randrange(20)}"]
    if status == "final" or rng.random() < 0.5:
        data["reviewers"] = [f"reviewer-{rng.randrange(10)}"]
    if rng.random() < 0.5:
        data["incident"] = f"INC-{rng.randrange(10_000)}"
    data["timeline"] = _timeline(rng, day)
    data["impact"] = {"users_affected": rng.randrange(100_000), "data_loss": rng.random() < 0.1}
    if status == "final" or rng.random() < 0.5:
        data["root_causes"] = [
            {"category": category, "description": _sentence(rng)}
            for category in rng.sample(CAUSES, rng.randint(1, 2))
        ]
    if rng.random() < 0.5:
        data["contributing_factors"] = [
            {"category": rng.choice(FACTORS), "description": _sentence(rng)}
        ]
    data["action_items"] = [
        {
            "action": f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} in step {number}",
            "type": "prevent" if number == 0 else rng.choice(["detect", "mitigate", "document"]),
            "priority": rng.choice(["P1", "P2", "P3"]),
            "owner": f"@team-{rng.randrange(8)}",
            "due": (day + dt.timedelta(days=rng.randrange(7, 90))).isoformat(),
            "status": rng.choice(["todo", "in-progress", "done", "wont-do"]),
        }
        for number in range(rng.randint(1, 4))
    ]
    if ids and rng.random() < 0.2:
        data["related"] = [rng.choice(ids)]
    sections = {
        "Summary": _sentence(rng, 30),
        "Impact": _sentence(rng, 12),
        "Timeline": "| Time | Event |\n| --- | --- |\n| 14:20 | Deploy finished |",
        "Root Cause": _sentence(rng, 15),
        "Action Items": "See the table above.",
        "What Went Well": f"- {_sentence(rng)}\n- {_sentence(rng)}",
        "Lessons Learned": f"- {_sentence(rng)}",
    }
    body = "".join(f"\n## {title}\n\n{text}\n" for title, text in sections.items())
    text = "---\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True) + "---\n" + body
    folder = f"{day.year}/" if rng.random() < 0.3 else ""
    return f"{folder}{day.isoformat()}-{index:04d}.md", text


def generate(seed: int, count: int) -> dict[str, str | bytes]:
    """``count`` valid postmortems, the same for the same seed."""
    rng = random.Random(seed)
    files: dict[str, str | bytes] = {}
    ids: list[str] = []
    for index in range(count):
        name, text = postmortem(rng, index, ids)
        files[name] = text
        ids.append(yaml.safe_load(text.split("---\n")[1])["id"])
    return files


def _variant(rng: random.Random, index: int, **changes: Any) -> str:
    """A fresh valid postmortem with some fields changed (``None`` drops one)."""
    _, text = postmortem(rng, index, [])
    _, head, body = text.split("---\n", 2)
    data = yaml.safe_load(head)
    for field, value in changes.items():
        if value is None:
            data.pop(field, None)
        else:
            data[field] = value
    return "---\n" + yaml.safe_dump(data, sort_keys=False) + "---\n" + body


def with_bad_files(files: dict[str, str | bytes], seed: int) -> set[str]:
    """Add known-bad files to ``files``; returns their names (relative to postmortems/).

    Each bad file fails on its own: none shares an id, a page URL or a tag spelling with a
    valid file, so the valid files stay valid.
    """
    rng = random.Random(seed)
    bad = dict(BAD_FILES)
    bad["bad-severity.md"] = _variant(rng, 9001, severity="SEV9")
    bad["bad-date.md"] = _variant(rng, 9002, date="2023-02-29")
    bad["2023/bad-nested-empty.md"] = "   \n"
    bad["bad-related.md"] = _variant(rng, 9003, related=["PM-NONE"])
    files.update(bad)
    return set(bad)
