"""The figures of the metrics and action items pages, pinned on a hand-checked knowledge base."""

from __future__ import annotations

import datetime as dt
import statistics
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postmortem_kb.export import export_data
from postmortem_kb.knowledge_base import load_knowledge_base
from postmortem_kb.metrics import (
    MEDIAN,
    P90,
    action_items_summary,
    as_number,
    completion_by_owner,
    completion_by_quarter,
    completion_by_service,
    due_group,
    incidents_per_month,
    open_items_by_owner,
    open_items_sorted,
    percent,
    percentile,
    round_half_up,
    severity_medians,
    times_by_quarter,
    times_by_severity,
    tracked_items,
)
from postmortem_kb.model import ActionItem, Postmortem
from postmortem_kb.settings import Settings
from trackerkb import TODAY, write_tracker_kb

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


@pytest.fixture(scope="module")
def postmortems(tmp_path_factory: pytest.TempPathFactory) -> tuple[Postmortem, ...]:
    root = write_tracker_kb(tmp_path_factory.mktemp("tracker"))
    kb = load_knowledge_base(Settings(root=root, postmortems_dir=root / "postmortems"))
    assert kb.errors == ()
    return kb.postmortems


# --- percentiles -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        ([], MEDIAN, None),
        ([7], MEDIAN, Fraction(7)),
        ([7], P90, Fraction(7)),
        ([10, 20], MEDIAN, Fraction(15)),
        ([21, 10], MEDIAN, Fraction(31, 2)),  # order does not matter
        ([10, 21], P90, Fraction(199, 10)),  # rank 0.9: 10 + 11 * 0.9
        ([5, 40, 100], MEDIAN, Fraction(40)),
        ([5, 40, 100], P90, Fraction(88)),  # rank 1.8: 40 + 60 * 0.8
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], MEDIAN, Fraction(11, 2)),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], P90, Fraction(91, 10)),  # rank 8.1
        ([0, 0, 0, 1000], P90, Fraction(700)),  # rank 2.7: 0 + 1000 * 0.7
        ([3, 1, 2], Fraction(0), Fraction(1)),
        ([3, 1, 2], Fraction(1), Fraction(3)),
    ],
)
def test_percentiles_interpolate_between_closest_ranks(
    values: list[int], fraction: Fraction, expected: Fraction | None
) -> None:
    assert percentile(values, fraction) == expected


def test_a_percentile_outside_0_to_1_is_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        percentile([1, 2], Fraction(3, 2))


@given(st.lists(st.integers(min_value=0, max_value=100_000), min_size=2, max_size=60))
def test_percentiles_match_the_standard_library_inclusive_method(values: list[int]) -> None:
    assert percentile(values, MEDIAN) == statistics.median(values)
    expected_p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
    assert float(percentile(values, P90) or 0) == pytest.approx(expected_p90)


@given(st.lists(st.integers(min_value=0, max_value=100_000), min_size=1, max_size=60))
def test_medians_and_p90_of_whole_minutes_have_one_decimal_at_most(values: list[int]) -> None:
    for fraction in (MEDIAN, P90):
        value = percentile(values, fraction)
        assert value is not None and (value * 10).denominator == 1
        assert as_number(value) == float(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), (Fraction(25, 2), 13), (Fraction(49, 2), 25), (Fraction(123, 10), 12)],
)
def test_display_rounds_halves_up(value: Fraction | None, expected: int | None) -> None:
    assert round_half_up(value) == expected


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(None, "—"), (Fraction(2, 7), "29%"), (Fraction(1, 8), "13%"), (Fraction(1), "100%")],
)
def test_rates_show_as_whole_percentages(rate: Fraction | None, expected: str) -> None:
    assert percent(rate) == expected


# --- durations ---------------------------------------------------------------------------


def test_durations_per_severity(postmortems: tuple[Postmortem, ...]) -> None:
    rows = {row.group: row for row in times_by_severity(postmortems, SEVERITIES)}
    assert list(rows) == ["SEV1", "SEV2", "SEV3", "SEV4"]
    sev1 = rows["SEV1"]
    assert sev1.postmortems == 5
    figures = {
        measure: (d.count, d.excluded, d.median, d.p90) for measure, d in sev1.measures.items()
    }
    assert figures == {
        "time_to_detect_minutes": (4, 1, Fraction(61, 2), Fraction(82)),
        "time_to_mitigate_minutes": (4, 1, Fraction(25), Fraction(51)),
        "time_to_resolve_minutes": (4, 1, Fraction(85), Fraction(176)),
        "impact_duration_minutes": (4, 1, Fraction(131, 2), Fraction(1083, 10)),
    }
    sev2 = rows["SEV2"].measures
    assert (sev2["time_to_detect_minutes"].median, sev2["time_to_detect_minutes"].p90) == (5, 5)
    # Missing timestamps exclude the postmortem; they never count as zero.
    mitigate = sev2["time_to_mitigate_minutes"]
    assert (mitigate.count, mitigate.excluded, mitigate.median, mitigate.p90) == (0, 1, None, None)
    assert rows["SEV4"].postmortems == 0
    assert rows["SEV4"].measures["time_to_detect_minutes"].as_dict() == {
        "n": 0,
        "excluded": 0,
        "median": None,
        "p90": None,
    }


def test_durations_per_quarter(postmortems: tuple[Postmortem, ...]) -> None:
    rows = {row.group: row for row in times_by_quarter(postmortems)}
    assert list(rows) == ["2024-Q1", "2024-Q2"]
    q1 = rows["2024-Q1"].measures["time_to_detect_minutes"]
    assert (q1.count, q1.excluded, q1.median, q1.p90) == (2, 0, Fraction(31, 2), Fraction(199, 10))
    q2 = rows["2024-Q2"].measures["time_to_detect_minutes"]
    assert (q2.count, q2.excluded, q2.median, q2.p90) == (3, 1, 40, 88)
    q2m = rows["2024-Q2"].measures["time_to_mitigate_minutes"]
    assert (q2m.count, q2m.excluded, q2m.median, q2m.p90) == (2, 2, 15, 19)


def test_quarters_without_incidents_are_kept_as_gaps(postmortems: tuple[Postmortem, ...]) -> None:
    sparse = [pm for pm in postmortems if pm.id in ("PM-A", "PM-F")]
    quarters = [(row.group, row.postmortems) for row in times_by_quarter(sparse)]
    assert quarters == [("2024-Q1", 1), ("2024-Q2", 1)]
    assert times_by_quarter([]) == []


def test_severity_medians_for_the_postmortem_pages(postmortems: tuple[Postmortem, ...]) -> None:
    medians = severity_medians(postmortems, SEVERITIES)
    assert medians["SEV1"] == {
        "time_to_detect_minutes": Fraction(61, 2),
        "time_to_mitigate_minutes": 25,
        "time_to_resolve_minutes": 85,
        "impact_duration_minutes": Fraction(131, 2),
    }
    assert medians["SEV3"]["time_to_detect_minutes"] is None


def test_incidents_per_month(postmortems: tuple[Postmortem, ...]) -> None:
    rows = [
        (row.month, dict(row.by_severity)) for row in incidents_per_month(postmortems, SEVERITIES)
    ]
    zero = {"SEV1": 0, "SEV2": 0, "SEV3": 0, "SEV4": 0}
    assert rows == [
        ("2024-01", {**zero, "SEV1": 1}),
        ("2024-02", {**zero, "SEV1": 1}),
        ("2024-03", zero),  # a month without incidents is kept
        ("2024-04", {**zero, "SEV1": 1}),
        ("2024-05", {**zero, "SEV1": 1}),
        ("2024-06", {**zero, "SEV1": 1, "SEV2": 1}),
    ]


# --- action items ------------------------------------------------------------------------


def by_action(postmortems: tuple[Postmortem, ...]) -> dict[str, tuple[str, int | None, int]]:
    return {
        tracked.item.action.split()[0]: (tracked.group, tracked.overdue_days, tracked.escalation)
        for tracked in tracked_items(postmortems, TODAY)
    }


def test_each_item_is_grouped_with_its_overdue_days_and_escalation(
    postmortems: tuple[Postmortem, ...],
) -> None:
    assert by_action(postmortems) == {
        "a1": ("done", None, 0),
        "a2": ("wont-do", None, 0),
        "a3": ("overdue", 30, 3),  # exactly 30 days: leadership review
        "b1": ("overdue", 14, 2),  # exactly 14 days: the manager
        "b2": ("overdue", 7, 1),  # exactly 7 days: remind the owner
        "b3": ("overdue", 6, 0),
        "b4": ("done", None, 0),
        "c1": ("due-soon", None, 0),  # due today is not overdue
        "c2": ("due-soon", None, 0),  # due in exactly 7 days
        "c3": ("later", None, 0),  # due in 8 days
        "c4": ("done", None, 0),
        "d1": ("no-due-date", None, 0),  # never zero days overdue
        "d2": ("no-due-date", None, 0),
        "f1": ("wont-do", None, 0),
        "f2": ("done", None, 0),
        "f3": ("overdue", 29, 2),
        "f4": ("wont-do", None, 0),
    }


@pytest.mark.parametrize(
    ("status", "due", "expected"),
    [
        ("todo", dt.date(2024, 6, 30), "overdue"),
        ("in-progress", dt.date(2024, 7, 1), "due-soon"),
        ("todo", dt.date(2024, 7, 8), "due-soon"),
        ("todo", dt.date(2024, 7, 9), "later"),
        ("todo", None, "no-due-date"),
        ("done", dt.date(2024, 1, 1), "done"),
        ("wont-do", None, "wont-do"),
    ],
)
def test_due_group_boundaries(status: str, due: dt.date | None, expected: str) -> None:
    item = ActionItem(index=0, action="x", type="prevent", status=status, due=due)  # type: ignore[arg-type]
    assert due_group(item, TODAY) == expected


def test_open_items_are_sorted_by_urgency(postmortems: tuple[Postmortem, ...]) -> None:
    ordered = open_items_sorted(tracked_items(postmortems, TODAY))
    assert [row.item.action.split()[0] for row in ordered] == [
        "a3", "f3", "b1", "b2", "b3", "c1", "c2", "c3", "d1", "d2",
    ]  # fmt: skip


def test_completion_rates(postmortems: tuple[Postmortem, ...]) -> None:
    items = tracked_items(postmortems, TODAY)
    summary = action_items_summary(items)
    assert summary["overall"] == {
        "total": 17,
        "done": 4,
        "wont_do": 3,
        "open": 10,
        "overdue": 5,
        "open_without_due_date": 2,
        "completion_rate": 2 / 7,
    }
    assert summary["open"] == {
        "overdue": 5,
        "overdue_by_escalation_level": {"0": 1, "1": 1, "2": 2, "3": 1},
        "due_within_7_days": 2,
        "later": 1,
        "no_due_date": 2,
    }
    quarters = {row.group: row.completion.rate for row in completion_by_quarter(items)}
    assert quarters == {"2024-Q1": Fraction(1, 3), "2024-Q2": Fraction(1, 4)}
    services = {row.group: row.completion.rate for row in completion_by_service(items)}
    assert services == {"checkout": Fraction(3, 10), "payments": Fraction(1, 4)}
    owners = [
        (row.group, row.completion.total, row.completion.rate) for row in completion_by_owner(items)
    ]
    assert owners == [
        ("@team-a", 6, Fraction(2, 5)),
        ("@team-b", 5, Fraction(1, 5)),
        ("@team-c", 4, Fraction(1, 3)),
        ("@team-d", 1, None),  # only won't do: no rate, not 0%
        (None, 1, Fraction(0)),
    ]


def test_open_items_per_owner(postmortems: tuple[Postmortem, ...]) -> None:
    owners = open_items_by_owner(tracked_items(postmortems, TODAY))
    assert [(owner, [row.item.action.split()[0] for row in rows]) for owner, rows in owners] == [
        ("@team-a", ["f3", "b2", "c1"]),
        ("@team-b", ["a3", "b1", "c2", "c3"]),
        ("@team-c", ["b3", "d2"]),
        (None, ["d1"]),
    ]


def test_the_export_carries_the_same_figures(postmortems: tuple[Postmortem, ...]) -> None:
    data = export_data(postmortems, TODAY, {}, 2, severities=SEVERITIES)
    assert {"generated", "postmortems", "recurring_root_causes"} <= set(data)
    f = next(pm for pm in data["postmortems"] if pm["id"] == "PM-F")
    assert f["metrics"]["time_to_detect_minutes"] == 100
    assert f["severity_median"] == {
        "time_to_detect_minutes": 30.5,
        "time_to_mitigate_minutes": 25,
        "time_to_resolve_minutes": 85,
        "impact_duration_minutes": 65.5,
    }
    assert [item["overdue_days"] for item in f["action_items"]] == [None, None, 29, None]
    sev1 = data["metrics"]["times_by_severity"][0]
    assert sev1["severity"] == "SEV1"
    assert sev1["impact_duration_minutes"] == {"n": 4, "excluded": 1, "median": 65.5, "p90": 108.3}
    assert data["metrics"]["incidents_per_month"][5] == {
        "month": "2024-06",
        "total": 2,
        "by_severity": {"SEV1": 1, "SEV2": 1, "SEV3": 0, "SEV4": 0},
    }
    assert data["action_items_summary"] == action_items_summary(tracked_items(postmortems, TODAY))
    assert data["action_items_summary"]["by_owner"][3] == {
        "owner": "@team-d",
        "total": 1,
        "done": 0,
        "wont_do": 1,
        "open": 0,
        "overdue": 0,
        "open_without_due_date": 0,
        "completion_rate": None,
    }


def test_an_empty_knowledge_base_has_no_figures() -> None:
    data = export_data([], TODAY, {}, 2)
    assert data["metrics"]["incidents_per_month"] == []
    assert data["metrics"]["times_by_quarter"] == []
    assert data["action_items_summary"]["overall"]["completion_rate"] is None
