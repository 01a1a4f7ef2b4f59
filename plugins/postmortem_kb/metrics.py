"""Pure figures over a knowledge base: duration percentiles and action-item follow-through.

Everything here is a function of the postmortems and the build date, with no I/O, so the
pages, the charts and ``postmortems.json`` show the same numbers.

Definitions (also in the documentation, ``docs/tracking.md``):

- Percentiles interpolate linearly between the closest ranks (Hyndman and Fan's type 7, the
  default of NumPy, R and spreadsheet ``PERCENTILE.INC``): the p-th percentile of n sorted
  values is at rank ``p * (n - 1)``, counted from 0. The median is the 50th percentile, so it
  is the middle value, or the mean of the two middle values. A postmortem that lacks the
  timestamps of a figure is left out of that figure and counted as excluded, never as zero.
- The completion rate of a set of action items is ``done / (all - wont-do)``: a decision not
  to do an item is neither a completion nor a failure. With no item left, there is no rate.
- An open item (``todo``, ``in-progress``) is overdue when its due date is before the build
  date; it is due soon when its due date is from the build date to 7 days after it; an item
  without a due date is never overdue and is shown as a smell.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

from postmortem_kb.analysis import (
    ESCALATION_DAYS,
    DerivedTimes,
    derived_times,
    escalation_level,
    overdue_days,
)
from postmortem_kb.model import ActionItem, Postmortem

MEASURES: tuple[str, ...] = (
    "time_to_detect_minutes",
    "time_to_mitigate_minutes",
    "time_to_resolve_minutes",
    "impact_duration_minutes",
)
"""The derived durations, in the order pages show them."""

MEASURE_LABELS: Mapping[str, str] = {
    "time_to_detect_minutes": "Time to detect",
    "time_to_mitigate_minutes": "Time to mitigate",
    "time_to_resolve_minutes": "Time to resolve",
    "impact_duration_minutes": "Impact duration",
}

MEDIAN = Fraction(1, 2)
P90 = Fraction(9, 10)
PERCENTILE_METHOD = "linear interpolation between closest ranks (Hyndman-Fan type 7)"
DUE_SOON_DAYS = 7
"""An open item due from the build date to this many days after it is due soon."""

DueGroup = Literal["overdue", "due-soon", "later", "no-due-date", "done", "wont-do"]
OPEN_GROUPS: tuple[DueGroup, ...] = ("overdue", "due-soon", "later", "no-due-date")

ESCALATION_LABELS: Mapping[int, str] = {
    0: f"under {ESCALATION_DAYS[0]} days",
    1: f"remind the owner ({ESCALATION_DAYS[0]}+ days)",
    2: f"escalate to the manager ({ESCALATION_DAYS[1]}+ days)",
    3: f"leadership review ({ESCALATION_DAYS[2]}+ days)",
}
"""What each escalation level asks for (see ``analysis.ESCALATION_DAYS``)."""


# --- numbers ---------------------------------------------------------------------------


def percentile(values: Iterable[int], fraction: Fraction) -> Fraction | None:
    """The ``fraction`` percentile of ``values`` by linear interpolation (type 7).

    Args:
        values: whole numbers, in any order.
        fraction: between 0 and 1; ``Fraction(1, 2)`` is the median.

    Returns:
        The exact value, or ``None`` for no values. With whole-minute inputs the median is a
        multiple of 1/2 and the 90th percentile a multiple of 1/10, so nothing is rounded.
    """
    if not 0 <= fraction <= 1:
        raise ValueError(f"a percentile is between 0 and 1, got {fraction}")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = fraction * (len(ordered) - 1)
    lower = math.floor(rank)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (rank - lower)


def round_half_up(value: Fraction | None) -> int | None:
    """A value rounded to the nearest whole number, halves up (12.5 gives 13)."""
    if value is None:
        return None
    return math.floor(value + Fraction(1, 2))


def as_number(value: Fraction | None) -> int | float | None:
    """A value for JSON: an int when whole, else the nearest float; ``None`` stays null."""
    if value is None:
        return None
    if value.denominator == 1:
        return int(value)
    return float(value)


def percent(rate: Fraction | None) -> str:
    """A rate as a whole percentage rounded half up (``2/3`` gives ``67%``); a dash if none."""
    rounded = round_half_up(rate * 100) if rate is not None else None
    return "—" if rounded is None else f"{rounded}%"


def quarter_of(date: dt.date) -> str:
    """The calendar quarter of a date: ``2025-Q3``."""
    return f"{date.year}-Q{(date.month - 1) // 3 + 1}"


def month_of(date: dt.date) -> str:
    """The month of a date: ``2025-07``."""
    return f"{date.year}-{date.month:02d}"


def _months_between(first: dt.date, last: dt.date) -> list[str]:
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _quarters_between(first: dt.date, last: dt.date) -> list[str]:
    quarters = []
    year, quarter = first.year, (first.month - 1) // 3 + 1
    end = (last.year, (last.month - 1) // 3 + 1)
    while (year, quarter) <= end:
        quarters.append(f"{year}-Q{quarter}")
        year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    return quarters


def _severity_order(postmortems: Sequence[Postmortem], severities: Sequence[str]) -> list[str]:
    """The configured levels, then any other level found (so that nothing is dropped)."""
    extra = sorted({pm.severity for pm in postmortems} - set(severities))
    return [*severities, *extra]


# --- durations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Distribution:
    """Median and 90th percentile of one duration over a group of postmortems.

    Attributes:
        count: how many postmortems of the group have the figure.
        excluded: how many lack its timestamps and are left out.
        median: the median in minutes, exact.
        p90: the 90th percentile in minutes, exact.
    """

    count: int
    excluded: int
    median: Fraction | None
    p90: Fraction | None

    def as_dict(self) -> dict[str, Any]:
        """The figures as exported."""
        return {
            "n": self.count,
            "excluded": self.excluded,
            "median": as_number(self.median),
            "p90": as_number(self.p90),
        }


def distribution(values: Sequence[int | None]) -> Distribution:
    """The distribution of known values; each ``None`` is counted as excluded."""
    known = [value for value in values if value is not None]
    return Distribution(
        count=len(known),
        excluded=len(values) - len(known),
        median=percentile(known, MEDIAN),
        p90=percentile(known, P90),
    )


@dataclass(frozen=True)
class TimeMetrics:
    """The four durations of a group of postmortems (a severity level or a quarter)."""

    group: str
    postmortems: int
    measures: Mapping[str, Distribution]

    def as_dict(self, key: str) -> dict[str, Any]:
        """The figures as exported, the group under ``key``."""
        record: dict[str, Any] = {key: self.group, "postmortems": self.postmortems}
        for measure in MEASURES:
            record[measure] = self.measures[measure].as_dict()
        return record


def _time_metrics(group: str, postmortems: Sequence[Postmortem]) -> TimeMetrics:
    times = [derived_times(pm).as_dict() for pm in postmortems]
    return TimeMetrics(
        group=group,
        postmortems=len(postmortems),
        measures={
            measure: distribution([figures[measure] for figures in times]) for measure in MEASURES
        },
    )


def _grouped(
    postmortems: Sequence[Postmortem], key: Callable[[Postmortem], str]
) -> dict[str, list[Postmortem]]:
    groups: dict[str, list[Postmortem]] = {}
    for pm in postmortems:
        groups.setdefault(key(pm), []).append(pm)
    return groups


def times_by_severity(
    postmortems: Sequence[Postmortem], severities: Sequence[str]
) -> list[TimeMetrics]:
    """The durations of each severity level, worst first; every configured level is listed."""
    groups = _grouped(postmortems, lambda pm: pm.severity)
    return [
        _time_metrics(level, groups.get(level, []))
        for level in _severity_order(postmortems, severities)
    ]


def times_by_quarter(postmortems: Sequence[Postmortem]) -> list[TimeMetrics]:
    """The durations of each quarter of the incidents' dates, oldest first, without gaps."""
    if not postmortems:
        return []
    groups = _grouped(postmortems, lambda pm: quarter_of(pm.date))
    first = min(pm.date for pm in postmortems)
    last = max(pm.date for pm in postmortems)
    return [
        _time_metrics(quarter, groups.get(quarter, []))
        for quarter in _quarters_between(first, last)
    ]


def severity_medians(
    postmortems: Sequence[Postmortem], severities: Sequence[str]
) -> dict[str, dict[str, Fraction | None]]:
    """The median of each duration per severity level, for the postmortem pages."""
    return {
        metrics.group: {measure: metrics.measures[measure].median for measure in MEASURES}
        for metrics in times_by_severity(postmortems, severities)
    }


def rounded_times(medians: Mapping[str, Fraction | None]) -> DerivedTimes:
    """Medians rounded to whole minutes (halves up), shaped like a postmortem's own times."""
    return DerivedTimes(
        time_to_detect_minutes=round_half_up(medians.get("time_to_detect_minutes")),
        time_to_mitigate_minutes=round_half_up(medians.get("time_to_mitigate_minutes")),
        time_to_resolve_minutes=round_half_up(medians.get("time_to_resolve_minutes")),
        impact_duration_minutes=round_half_up(medians.get("impact_duration_minutes")),
    )


@dataclass(frozen=True)
class MonthCount:
    """How many incidents began in a month, per severity level."""

    month: str
    by_severity: Mapping[str, int]

    @property
    def total(self) -> int:
        """All incidents of the month."""
        return sum(self.by_severity.values())


def incidents_per_month(
    postmortems: Sequence[Postmortem], severities: Sequence[str]
) -> list[MonthCount]:
    """Incidents per month of their date and severity, oldest first, months without any kept."""
    if not postmortems:
        return []
    levels = _severity_order(postmortems, severities)
    counts: dict[str, dict[str, int]] = {}
    for pm in postmortems:
        month = counts.setdefault(month_of(pm.date), dict.fromkeys(levels, 0))
        month[pm.severity] += 1
    first = min(pm.date for pm in postmortems)
    last = max(pm.date for pm in postmortems)
    return [
        MonthCount(month, counts.get(month, dict.fromkeys(levels, 0)))
        for month in _months_between(first, last)
    ]


# --- action items ------------------------------------------------------------------------


@dataclass(frozen=True)
class TrackedItem:
    """An action item with its postmortem and where it stands on the build date.

    Attributes:
        postmortem: the postmortem it belongs to.
        item: the action item.
        group: ``overdue``, ``due-soon``, ``later`` or ``no-due-date`` for an open item;
            ``done`` or ``wont-do`` otherwise.
        overdue_days: days past due (open and overdue only).
        escalation: 0 to 3, how many of the 7/14/30-day thresholds it has passed.
        days_left: days until due (open, not overdue, with a due date only; 0 is today).
    """

    postmortem: Postmortem
    item: ActionItem
    group: DueGroup
    overdue_days: int | None
    escalation: int
    days_left: int | None

    @property
    def quarter(self) -> str:
        """The quarter of the incident the item came from."""
        return quarter_of(self.postmortem.date)


def due_group(item: ActionItem, today: dt.date) -> DueGroup:
    """Where an item stands on ``today``; the boundaries are in the module docstring."""
    if item.status == "done":
        return "done"
    if item.status == "wont-do":
        return "wont-do"
    if item.due is None:
        return "no-due-date"
    if item.due < today:
        return "overdue"
    if (item.due - today).days <= DUE_SOON_DAYS:
        return "due-soon"
    return "later"


def track(postmortem: Postmortem, item: ActionItem, today: dt.date) -> TrackedItem:
    """One action item as tracked on ``today``."""
    group = due_group(item, today)
    days = overdue_days(item, today)
    days_left = (
        (item.due - today).days if item.due is not None and group in ("due-soon", "later") else None
    )
    return TrackedItem(postmortem, item, group, days, escalation_level(days), days_left)


def tracked_items(postmortems: Iterable[Postmortem], today: dt.date) -> list[TrackedItem]:
    """Every action item of every postmortem, in the postmortems' order, then the items'."""
    return [track(pm, item, today) for pm in postmortems for item in pm.action_items]


def open_items_sorted(items: Iterable[TrackedItem]) -> list[TrackedItem]:
    """Open items, most urgent first: most overdue, then soonest due, then without a date."""

    def urgency(tracked: TrackedItem) -> tuple[int, int, str, str, int]:
        rank = OPEN_GROUPS.index(tracked.group)
        if tracked.group == "overdue":
            order = -(tracked.overdue_days or 0)
        else:
            order = tracked.days_left if tracked.days_left is not None else 0
        pm = tracked.postmortem
        return (rank, order, pm.date.isoformat(), pm.id, tracked.item.index)

    return sorted((item for item in items if item.group in OPEN_GROUPS), key=urgency)


@dataclass(frozen=True)
class Completion:
    """How far a set of action items got.

    Attributes:
        total: every item.
        done: items done.
        wont_do: items decided against.
        open: items to do or in progress.
        overdue: open items past due.
        no_due_date: open items without a due date.
    """

    total: int
    done: int
    wont_do: int
    open: int
    overdue: int
    no_due_date: int

    @property
    def rate(self) -> Fraction | None:
        """``done / (total - wont_do)``; ``None`` when no item is left to count."""
        counted = self.total - self.wont_do
        return Fraction(self.done, counted) if counted else None

    def as_dict(self) -> dict[str, Any]:
        """The counts and the rate (a float from 0 to 1, or null) as exported."""
        rate = self.rate
        return {
            "total": self.total,
            "done": self.done,
            "wont_do": self.wont_do,
            "open": self.open,
            "overdue": self.overdue,
            "open_without_due_date": self.no_due_date,
            "completion_rate": None if rate is None else float(rate),
        }


def completion(items: Iterable[TrackedItem]) -> Completion:
    """The completion of a set of items."""
    groups = [tracked.group for tracked in items]
    return Completion(
        total=len(groups),
        done=groups.count("done"),
        wont_do=groups.count("wont-do"),
        open=sum(1 for group in groups if group in OPEN_GROUPS),
        overdue=groups.count("overdue"),
        no_due_date=groups.count("no-due-date"),
    )


@dataclass(frozen=True)
class GroupCompletion:
    """The completion of the items of one quarter, service or owner (``None``: no owner)."""

    group: str | None
    completion: Completion


def completion_by_quarter(items: Sequence[TrackedItem]) -> list[GroupCompletion]:
    """Completion per quarter of the incidents, oldest first; quarters with items only."""
    groups: dict[str, list[TrackedItem]] = {}
    for tracked in items:
        groups.setdefault(tracked.quarter, []).append(tracked)
    return [GroupCompletion(quarter, completion(groups[quarter])) for quarter in sorted(groups)]


def completion_by_service(items: Sequence[TrackedItem]) -> list[GroupCompletion]:
    """Completion per service; an item counts for every service of its postmortem."""
    groups: dict[str, list[TrackedItem]] = {}
    for tracked in items:
        for service in tracked.postmortem.services:
            groups.setdefault(service, []).append(tracked)
    return [GroupCompletion(service, completion(groups[service])) for service in sorted(groups)]


def _owner_key(owner: str | None) -> tuple[int, str, str]:
    return (1, "", "") if owner is None else (0, owner.casefold(), owner)


def completion_by_owner(items: Sequence[TrackedItem]) -> list[GroupCompletion]:
    """Completion per owner, by name without case; items without an owner come last."""
    groups: dict[str | None, list[TrackedItem]] = {}
    for tracked in items:
        groups.setdefault(tracked.item.owner, []).append(tracked)
    return [
        GroupCompletion(owner, completion(groups[owner]))
        for owner in sorted(groups, key=_owner_key)
    ]


def open_items_by_owner(items: Sequence[TrackedItem]) -> list[tuple[str | None, list[TrackedItem]]]:
    """Each owner with open items, and those items, most urgent first."""
    groups: dict[str | None, list[TrackedItem]] = {}
    for tracked in open_items_sorted(items):
        groups.setdefault(tracked.item.owner, []).append(tracked)
    return [(owner, groups[owner]) for owner in sorted(groups, key=_owner_key)]


# --- the export ---------------------------------------------------------------------------


def _completion_rows(rows: Sequence[GroupCompletion], key: str) -> list[dict[str, Any]]:
    return [{key: row.group, **row.completion.as_dict()} for row in rows]


def action_items_summary(items: Sequence[TrackedItem]) -> dict[str, Any]:
    """The action-item figures of ``postmortems.json``: the same as the pages show."""
    open_counts = dict.fromkeys(OPEN_GROUPS, 0)
    by_escalation = {str(level): 0 for level in range(len(ESCALATION_DAYS) + 1)}
    for tracked in items:
        if tracked.group in open_counts:
            open_counts[tracked.group] += 1
        if tracked.group == "overdue":
            by_escalation[str(tracked.escalation)] += 1
    return {
        "overall": completion(items).as_dict(),
        "open": {
            "overdue": open_counts["overdue"],
            "overdue_by_escalation_level": by_escalation,
            "due_within_7_days": open_counts["due-soon"],
            "later": open_counts["later"],
            "no_due_date": open_counts["no-due-date"],
        },
        "by_quarter": _completion_rows(completion_by_quarter(items), "quarter"),
        "by_service": _completion_rows(completion_by_service(items), "service"),
        "by_owner": _completion_rows(completion_by_owner(items), "owner"),
    }


def metrics_summary(postmortems: Sequence[Postmortem], severities: Sequence[str]) -> dict[str, Any]:
    """The incident figures of ``postmortems.json``: the same as the metrics page shows."""
    return {
        "percentile_method": PERCENTILE_METHOD,
        "incidents_per_month": [
            {"month": row.month, "total": row.total, "by_severity": dict(row.by_severity)}
            for row in incidents_per_month(postmortems, severities)
        ],
        "times_by_severity": [
            row.as_dict("severity") for row in times_by_severity(postmortems, severities)
        ],
        "times_by_quarter": [row.as_dict("quarter") for row in times_by_quarter(postmortems)],
    }
