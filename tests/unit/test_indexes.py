"""The browse indexes as data: hand-checked medians, orderings, thresholds and taxonomy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kbtools import front_matter
from postmortem_kb.indexes import (
    archive,
    browse_index,
    cause_groups,
    median_minutes,
    open_items,
    severity_index,
    tag_index,
)
from postmortem_kb.knowledge_base import build_postmortem, value_slug
from postmortem_kb.model import Postmortem, ServiceInfo, SourceDocument
from postmortem_kb.settings import Settings

TODAY = dt.date(2024, 6, 1)


def make(identifier: str, date: str = "2024-03-15", **overrides: Any) -> Postmortem:
    """A postmortem built from the test front matter, with no file behind it."""
    data = front_matter(id=identifier, date=date, **overrides)
    document = SourceDocument(
        file=f"postmortems/{identifier}.md",
        abs_path=Path(f"/kb/postmortems/{identifier}.md"),
        front_matter=data,
        lines={},
        plain_scalars={},
        body="",
        body_line=1,
        digest="",
    )
    return build_postmortem(document, identifier.lower())


def timeline(started: str, detected: str | None, resolved: str | None) -> dict[str, str]:
    """A timeline on 2024-03-15 from HH:MM times; None leaves a timestamp out."""
    result = {"started": f"2024-03-15T{started}:00Z"}
    if detected:
        result["detected"] = f"2024-03-15T{detected}:00Z"
    if resolved:
        result["resolved"] = f"2024-03-15T{resolved}:00Z"
    return result


def causes(*categories: str) -> list[dict[str, str]]:
    return [{"category": category, "description": "x"} for category in categories]


def settings(**overrides: Any) -> Settings:
    return Settings(root=Path("/kb"), postmortems_dir=Path("/kb/postmortems"), **overrides)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], None),
        ([None, None], None),
        ([7], 7),
        ([30, 5, 12], 12),
        ([10, 15], 13),  # 12.5 rounds half up
        ([10, 13], 12),  # 11.5 rounds half up
        ([None, 4, None, 8, 100], 8),  # missing figures are left out, never zero
        ([0, 0, 60], 0),  # a real zero still counts
    ],
)
def test_median_minutes(values: list[int | None], expected: int | None) -> None:
    assert median_minutes(values) == expected


def test_severity_medians_leave_out_missing_figures() -> None:
    pms = [
        make("A", severity="SEV1", timeline=timeline("10:00", "10:12", "11:00")),  # 12, 48
        make("B", severity="SEV1", timeline=timeline("10:00", "10:30", None)),  # 30, -
        make("C", severity="SEV1", timeline=timeline("10:00", None, None)),  # -, -
        make("D", severity="SEV1", timeline=None),  # -, -
        make("E", severity="SEV1", timeline=timeline("10:00", "10:05", "10:25")),  # 5, 20
        make("F", severity="SEV3", timeline=None),
    ]
    groups = severity_index(pms, ("SEV1", "SEV2", "SEV3", "SEV4"))
    assert [(g.level, g.count) for g in groups] == [
        ("SEV1", 5),
        ("SEV2", 0),
        ("SEV3", 1),
        ("SEV4", 0),
    ]
    sev1 = groups[0].durations
    assert (sev1.time_to_detect, sev1.detect_figures) == (12, 3)  # median of 5, 12, 30
    assert (sev1.time_to_resolve, sev1.resolve_figures) == (34, 2)  # median of 20, 48
    sev3 = groups[2].durations
    assert (sev3.time_to_detect, sev3.detect_figures, sev3.time_to_resolve) == (None, 0, None)
    assert groups[1].durations.time_to_detect is None
    assert [g.rank for g in groups] == [1, 2, 3, 4]
    assert groups[0].anchor == "sev1"


def test_an_unconfigured_severity_is_listed_last_rather_than_lost() -> None:
    groups = severity_index([make("A", severity="SEV9")], ("SEV1", "SEV2"))
    assert [(g.level, g.configured, g.count) for g in groups] == [
        ("SEV1", True, 0),
        ("SEV2", True, 0),
        ("SEV9", False, 1),
    ]


def test_archive_groups_by_year_and_quarter_newest_first() -> None:
    pms = [
        make("A", "2024-01-01"),
        make("B", "2024-03-31"),
        make("C", "2024-04-01"),
        make("D", "2023-12-31"),
        make("E", "2024-03-31"),
    ]
    years = archive(pms)
    assert [(y.year, y.count) for y in years] == [(2024, 4), (2023, 1)]
    assert [(q.label, q.anchor) for q in years[0].quarters] == [
        ("2024 Q2", "2024-q2"),
        ("2024 Q1", "2024-q1"),
    ]
    # Newest first; the id breaks the tie on 2024-03-31.
    assert [pm.id for pm in years[0].quarters[1].postmortems] == ["E", "B", "A"]
    assert [q.quarter for q in years[1].quarters] == [4]
    assert years[0].quarter(3) is None


def test_tags_by_name_with_their_postmortems() -> None:
    pms = [
        make("A", "2024-01-01", tags=["deploy", "Cache"]),
        make("B", "2024-02-01", tags=["deploy"]),
        make("C", "2024-03-01", tags=None),
    ]
    groups = tag_index(pms)
    assert [(g.name, g.count, g.anchor) for g in groups] == [
        ("Cache", 1, "tag:cache"),
        ("deploy", 2, "tag:deploy"),
    ]
    assert [pm.id for pm in groups[1].postmortems] == ["B", "A"]
    assert [pm.id for pm in browse_index(pms, settings(), TODAY).untagged] == ["C"]


def test_a_category_counts_once_per_postmortem_after_the_taxonomy() -> None:
    taxonomy = {"db-outage": "database", "db": "database"}
    pms = [
        make("A", "2024-01-10", root_causes=causes("db-outage", "database", "db")),
        make("B", "2024-02-10", root_causes=causes("deploy-process")),
        make("C", "2024-03-10", root_causes=causes("deploy-process", "db")),
        make("D", "2024-04-10", root_causes=causes("network")),
    ]
    groups = cause_groups(pms, taxonomy, threshold=2, today=TODAY)
    assert [(g.category, g.count, g.recurring) for g in groups] == [
        ("database", 2, True),  # 2, latest 2024-03-10: the tie is broken by name
        ("deploy-process", 2, True),  # 2, latest 2024-03-10
        ("network", 1, False),
    ]
    database = groups[0]
    assert [pm.id for pm in database.postmortems] == ["C", "A"]
    assert database.aliases == ("db", "db-outage")
    assert database.anchor == "cause:database"


def test_recurring_categories_order_by_count_then_most_recent_incident() -> None:
    pms = [
        make("A", "2024-01-01", root_causes=causes("old")),
        make("B", "2024-01-02", root_causes=causes("old")),
        make("C", "2024-05-01", root_causes=causes("new")),
        make("D", "2024-05-02", root_causes=causes("new")),
        make("E", "2024-01-03", root_causes=causes("big")),
        make("F", "2024-01-04", root_causes=causes("big")),
        make("G", "2024-01-05", root_causes=causes("big")),
    ]
    index = browse_index(pms, settings(recurring_threshold=2), TODAY)
    assert [g.category for g in index.recurring] == ["big", "new", "old"]
    index = browse_index(pms, settings(recurring_threshold=3), TODAY)
    assert [g.category for g in index.recurring] == ["big"]
    assert [g.category for g in index.causes] == ["big", "new", "old"]


def test_a_cause_lists_repeats_on_a_service_and_the_open_items_of_its_postmortems() -> None:
    item = {"action": "Fix it", "type": "prevent", "owner": "@a", "due": "2024-05-01"}
    pms = [
        make(
            "A",
            "2024-01-01",
            services=["checkout", "orders-db"],
            root_causes=causes("deploy"),
            action_items=[{**item, "status": "done"}, {**item, "status": "todo"}],
        ),
        make(
            "B", "2024-02-01", services=["checkout"], root_causes=causes("deploy"), action_items=[]
        ),
        make(
            "C",
            "2024-03-01",
            services=["search"],
            root_causes=causes("deploy"),
            action_items=[{**item, "status": "in-progress", "due": "2024-05-30"}],
        ),
    ]
    (group,) = cause_groups(pms, {}, 2, TODAY)
    assert group.services == ("checkout", "orders-db", "search")
    assert [(r.service, [pm.id for pm in r.postmortems]) for r in group.repeats] == [
        ("checkout", ["B", "A"])
    ]
    assert [(row.postmortem.id, row.item.status, row.overdue_days) for row in group.open_items] == [
        ("A", "todo", 31),
        ("C", "in-progress", 2),
    ]
    assert group.open_items[0].escalation == 3


def test_open_items_put_the_longest_overdue_first_and_no_due_date_last() -> None:
    items = [
        {"action": "a", "type": "prevent", "due": "2024-05-20"},
        {"action": "b", "type": "detect"},
        {"action": "c", "type": "detect", "due": "2024-01-01", "status": "wont-do"},
        {"action": "d", "type": "mitigate", "due": "2024-04-01"},
        {"action": "e", "type": "document", "due": "2024-07-01"},
    ]
    pm = make("A", status="draft", action_items=items)
    rows = open_items([pm], TODAY)
    assert [(row.item.action, row.overdue_days) for row in rows] == [
        ("d", 61),
        ("a", 12),
        ("e", None),
        ("b", None),
    ]


def test_services_with_history_medians_open_items_and_recurring_causes() -> None:
    item = {"action": "Fix it", "type": "prevent", "owner": "@a", "due": "2024-07-01"}
    pms = [
        make(
            "A",
            "2024-01-01",
            services=["checkout"],
            root_causes=causes("deploy", "capacity"),
            timeline=timeline("10:00", "10:10", "10:40"),  # resolve 30
            action_items=[item],
        ),
        make(
            "B",
            "2024-02-01",
            services=["checkout", "payments"],
            root_causes=causes("deploy"),
            timeline=timeline("10:00", "10:10", "11:10"),  # resolve 60
            action_items=[],
        ),
        make(
            "C",
            "2024-03-01",
            services=["checkout"],
            root_causes=causes("capacity"),
            timeline=None,
            action_items=[{**item, "status": "done"}],
        ),
    ]
    vocabulary = {
        "checkout": ServiceInfo("checkout", owner="@checkout-team", tier="1"),
        "search": ServiceInfo("search", description="Product search."),
        "payments": ServiceInfo("payments"),
    }
    index = browse_index(pms, settings(services=vocabulary), TODAY)
    assert [(g.name, g.count, g.slug) for g in index.services] == [
        ("checkout", 3, "checkout"),
        ("payments", 1, "payments"),
        ("search", 0, "search"),  # in the vocabulary, no incident yet: listed, not lost
    ]
    checkout = index.services[0]
    assert checkout.src_uri == "services/checkout.md"
    assert checkout.info is not None and checkout.info.owner == "@checkout-team"
    assert checkout.last is not None and checkout.last.id == "C"
    assert [pm.id for pm in checkout.postmortems] == ["C", "B", "A"]
    assert (checkout.durations.time_to_resolve, checkout.durations.resolve_figures) == (45, 2)
    assert [row.postmortem.id for row in checkout.open_items] == ["A"]
    assert [(c.category, c.count) for c in checkout.recurring] == [("capacity", 2), ("deploy", 2)]
    payments = index.service("payments")
    assert payments is not None and payments.recurring == ()
    assert index.service("search") is not None and index.service("search").last is None  # type: ignore[union-attr]


def test_headline_counts() -> None:
    item = {"action": "Fix it", "type": "prevent", "owner": "@a", "due": "2024-05-01"}
    pms = [
        make(
            "A",
            "2024-01-01",
            severity="SEV1",
            tags=["x"],
            root_causes=causes("r"),
            action_items=[item],
        ),
        make(
            "B",
            "2024-02-01",
            severity="SEV3",
            status="draft",
            tags=None,
            root_causes=causes("r"),
            action_items=[{**item, "due": "2024-09-01"}],
        ),
        make(
            "C",
            "2024-03-01",
            severity="SEV1",
            status="in-review",
            tags=["y"],
            root_causes=causes("s"),
        ),
    ]
    headline = browse_index(pms, settings(), TODAY).headline(latest=2)
    assert headline.postmortems == 3
    assert headline.by_severity == (("SEV1", 1, 2), ("SEV2", 2, 0), ("SEV3", 3, 1), ("SEV4", 4, 0))
    assert headline.by_status == (("draft", 1), ("final", 1), ("in-review", 1))
    assert headline.tags == 2
    assert headline.services == 2  # checkout, orders-db
    assert (headline.open_items, headline.overdue_items) == (3, 2)
    assert headline.recurring_causes == 1
    assert [pm.id for pm in headline.latest] == ["C", "B"]


@pytest.mark.parametrize(
    ("value", "slug"),
    [
        ("checkout", "checkout"),
        ("Check Out", "check-out"),
        ("c++", "c"),
        ("orders.db", "orders-db"),
        ("../../etc/passwd", "etc-passwd"),
        ("index", "index_"),
        ("Ünïcödé", "ünïcödé"),
        ("日本 Ops", "日本-ops"),
    ],
)
def test_value_slugs_are_small_and_safe(value: str, slug: str) -> None:
    assert value_slug(value) == slug


def test_a_value_without_letters_or_digits_gets_a_digest_slug() -> None:
    first, second = value_slug("+++"), value_slug("(-)")
    assert first.startswith("x-") and len(first) == 12 and first != second


def test_a_long_value_gets_a_bounded_unique_slug() -> None:
    first, second = value_slug("a" * 200), value_slug("a" * 199 + "b")
    assert len(first) == 80 and first != second
