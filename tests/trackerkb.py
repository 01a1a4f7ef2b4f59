"""A small knowledge base whose every figure was worked out by hand (see the comments).

The build date is 2024-07-01 (``SOURCE_DATE_EPOCH = 1719792000``).

Durations in minutes (detect, mitigate, resolve; impact = detect + mitigate):

    PM-A  2024-01-10 SEV1  10  30  120   impact  40   checkout
    PM-B  2024-02-20 SEV1  21  60  200   impact  81   checkout, payments
    PM-C  2024-04-05 SEV1  40  10   30   impact  50   payments
    PM-D  2024-05-15 SEV1  no timeline at all (draft)  checkout
    PM-E  2024-06-01 SEV2   5  only started and detected (draft)  search
    PM-F  2024-06-20 SEV1 100  20   50   impact 120   checkout

SEV1 (n = 4, PM-D excluded), type 7 percentiles, rank = p * (n - 1):
    detect   10 21 40 100  -> median 30.5  p90 40 + 60 * 0.7 = 82
    mitigate 10 20 30 60   -> median 25    p90 30 + 30 * 0.7 = 51
    resolve  30 50 120 200 -> median 85    p90 120 + 80 * 0.7 = 176
    impact   40 50 81 120  -> median 65.5  p90 81 + 39 * 0.7 = 108.3
SEV2: detect n = 1 -> 5 and 5; the other three n = 0, excluded 1.
2024-Q1 detect 10 21 -> median 15.5, p90 10 + 11 * 0.9 = 19.9
2024-Q2 detect 5 40 100 (PM-D excluded) -> median 40, p90 40 + 60 * 0.8 = 88
2024-Q2 mitigate 10 20 (PM-D, PM-E excluded) -> median 15, p90 19

Action items on 2024-07-01 (17 items: 4 done, 3 won't do, 10 open):
    a1 done    @team-a  2024-01-31          b1 todo   @team-b 2024-06-17  14 overdue, level 2
    a2 wont-do @team-a  2024-02-01          b2 in-progress @team-a 2024-06-24  7 overdue, level 1
    a3 todo    @team-b  2024-06-01  30 overdue, level 3   b3 todo @team-c 2024-06-25  6 overdue, level 0
    b4 done    @team-c  2024-06-01
    c1 todo    @team-a  2024-07-01  due today (due soon)  c2 todo @team-b 2024-07-08  due in 7 (due soon)
    c3 todo    @team-b  2024-07-09  due in 8 (later)      c4 done @team-a 2024-05-01
    d1 todo    no owner, no due date                       d2 todo @team-c, no due date
    f1 wont-do @team-c  2024-07-10                         f2 done @team-b 2024-06-30
    f3 todo    @team-a  2024-06-02  29 overdue, level 2    f4 wont-do @team-d 2024-07-10

Completion = done / (all - won't do):
    overall 4 / 14 = 2/7 (29%); 2024-Q1 (A, B) 2 / 6 (33%); 2024-Q2 (C, D, F) 2 / 8 (25%)
    checkout (A, B, D, F) 3 / 10 (30%); payments (B, C) 2 / 8 (25%)
    @team-a 2 / 5 (40%); @team-b 1 / 5 (20%); @team-c 1 / 3 (33%); @team-d none (0 / 0);
    no owner 0 / 1 (0%)
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from kbtools import postmortem_text, write_kb

EPOCH = "1719792000"
TODAY = dt.date(2024, 7, 1)


def timeline(day: str, detect: int, mitigate: int | None, resolve: int | None) -> dict[str, str]:
    """Timestamps from minute offsets: started at 10:00 UTC on ``day``."""
    start = dt.datetime.fromisoformat(f"{day}T10:00:00+00:00")
    detected = start + dt.timedelta(minutes=detect)
    stamps = {"started": start, "detected": detected}
    if mitigate is not None:
        stamps["mitigated"] = detected + dt.timedelta(minutes=mitigate)
    if resolve is not None:
        stamps["resolved"] = detected + dt.timedelta(minutes=resolve)
    return {key: value.isoformat().replace("+00:00", "Z") for key, value in stamps.items()}


def item(
    action: str, status: str, owner: str | None = None, due: str | None = None
) -> dict[str, Any]:
    data: dict[str, Any] = {"action": action, "type": "prevent", "priority": "P2", "status": status}
    if owner is not None:
        data["owner"] = owner
    if due is not None:
        data["due"] = due
    if status == "done":
        data["completed"] = due
    return data


def cause(category: str) -> dict[str, str]:
    return {"category": category, "description": f"{category} description"}


POSTMORTEMS: dict[str, dict[str, Any]] = {
    "2024-01-10-a.md": {
        "id": "PM-A",
        "date": "2024-01-10",
        "severity": "SEV1",
        "services": ["checkout"],
        "timeline": timeline("2024-01-10", 10, 30, 120),
        "root_causes": [cause("deploy-process")],
        "action_items": [
            item("a1 add a canary stage", "done", "@team-a", "2024-01-31"),
            item("a2 rewrite the deploy tool", "wont-do", "@team-a", "2024-02-01"),
            item("a3 alert on canary errors", "todo", "@team-b", "2024-06-01"),
        ],
    },
    "2024-02-20-b.md": {
        "id": "PM-B",
        "date": "2024-02-20",
        "severity": "SEV1",
        "services": ["checkout", "payments"],
        "timeline": timeline("2024-02-20", 21, 60, 200),
        "root_causes": [cause("deploy-process"), cause("capacity")],
        "action_items": [
            item("b1 add a load test", "todo", "@team-b", "2024-06-17"),
            item("b2 raise the connection limit", "in-progress", "@team-a", "2024-06-24"),
            item("b3 document the failover", "todo", "@team-c", "2024-06-25"),
            item("b4 page the payments team", "done", "@team-c", "2024-06-01"),
        ],
    },
    "2024-04-05-c.md": {
        "id": "PM-C",
        "date": "2024-04-05",
        "severity": "SEV1",
        "services": ["payments"],
        "timeline": timeline("2024-04-05", 40, 10, 30),
        "root_causes": [cause("capacity")],
        "action_items": [
            item("c1 resize the pool", "todo", "@team-a", "2024-07-01"),
            item("c2 add a pool alert", "todo", "@team-b", "2024-07-08"),
            item("c3 write the pool runbook", "todo", "@team-b", "2024-07-09"),
            item("c4 cap retries", "done", "@team-a", "2024-05-01"),
        ],
    },
    "2024-05-15-d.md": {
        "id": "PM-D",
        "date": "2024-05-15",
        "severity": "SEV1",
        "status": "draft",
        "services": ["checkout"],
        "timeline": None,
        "root_causes": None,
        "action_items": [
            item("d1 find an owner for the cart cache", "todo"),
            item("d2 measure the cart cache hit rate", "todo", "@team-c"),
        ],
    },
    "2024-06-01-e.md": {
        "id": "PM-E",
        "date": "2024-06-01",
        "severity": "SEV2",
        "status": "draft",
        "services": ["search"],
        "timeline": timeline("2024-06-01", 5, None, None),
        "root_causes": None,
        "action_items": None,
    },
    "2024-06-20-f.md": {
        "id": "PM-F",
        "date": "2024-06-20",
        "severity": "SEV1",
        "services": ["checkout"],
        "timeline": timeline("2024-06-20", 100, 20, 50),
        "root_causes": [cause("deploy-process")],
        "action_items": [
            item("f1 move to blue-green deploys", "wont-do", "@team-c", "2024-07-10"),
            item("f2 block deploys during sales", "done", "@team-b", "2024-06-30"),
            item("f3 add a deploy freeze calendar", "todo", "@team-a", "2024-06-02"),
            item("f4 replace the CI system", "wont-do", "@team-d", "2024-07-10"),
        ],
    },
}


def write_tracker_kb(root: Path, **options: Any) -> Path:
    """Write the knowledge base into ``root``; keyword arguments are plugin options."""
    files = {
        name: postmortem_text(title=f"Incident {fields['id']}", **fields)
        for name, fields in POSTMORTEMS.items()
    }
    # The drafts are older than the review deadline at the fixed build date; those process
    # warnings (PM409, PM410) are not what the tracker tests are about.
    options = {"rules": {"PM409": "notice", "PM410": "notice"}, **options}
    return write_kb(root, files, options=options)
