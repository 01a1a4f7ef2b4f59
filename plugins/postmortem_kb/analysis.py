"""Pure functions over postmortems: derived times, overdue items, recurring root causes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from postmortem_kb.model import ActionItem, Postmortem

ESCALATION_DAYS: tuple[int, ...] = (7, 14, 30)
"""Days past due at which an open action item escalates: remind, manager, leadership."""


def _minutes(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() // 60)


@dataclass(frozen=True)
class DerivedTimes:
    """A postmortem's durations in whole minutes; ``None`` where a timestamp is missing."""

    time_to_detect_minutes: int | None
    time_to_mitigate_minutes: int | None
    time_to_resolve_minutes: int | None
    impact_duration_minutes: int | None

    def as_dict(self) -> dict[str, int | None]:
        """The figures keyed by their export names."""
        return {
            "time_to_detect_minutes": self.time_to_detect_minutes,
            "time_to_mitigate_minutes": self.time_to_mitigate_minutes,
            "time_to_resolve_minutes": self.time_to_resolve_minutes,
            "impact_duration_minutes": self.impact_duration_minutes,
        }


def derived_times(postmortem: Postmortem) -> DerivedTimes:
    """Time to detect, mitigate and resolve, and the impact duration, per the contract.

    detect = detected - started; mitigate = mitigated - detected; resolve = resolved -
    detected; impact = mitigated - started.
    """
    timeline = postmortem.timeline
    return DerivedTimes(
        time_to_detect_minutes=_minutes(timeline.started, timeline.detected),
        time_to_mitigate_minutes=_minutes(timeline.detected, timeline.mitigated),
        time_to_resolve_minutes=_minutes(timeline.detected, timeline.resolved),
        impact_duration_minutes=_minutes(timeline.started, timeline.mitigated),
    )


def overdue_days(item: ActionItem, today: dt.date) -> int | None:
    """Days past due for an open item whose due date is before ``today``, else ``None``."""
    if not item.is_open or item.due is None or item.due >= today:
        return None
    return (today - item.due).days


def escalation_level(days_overdue: int | None) -> int:
    """0 (none) to 3: how many of the 7, 14 and 30 day thresholds an item has passed."""
    if days_overdue is None:
        return 0
    return sum(1 for threshold in ESCALATION_DAYS if days_overdue >= threshold)


def format_minutes(minutes: int | None) -> str:
    """A duration for people: ``1 h 38 min``, ``3 d 2 h``; an em dash when unknown."""
    if minutes is None:
        return "—"
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {rest} min" if rest else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def canonical_category(category: str, taxonomy: Mapping[str, str]) -> str:
    """The canonical root cause category of a category or one of its aliases."""
    return taxonomy.get(category, category)


@dataclass(frozen=True)
class RecurringCause:
    """A root cause category found in several distinct postmortems, newest first."""

    category: str
    postmortems: tuple[Postmortem, ...]

    @property
    def count(self) -> int:
        """In how many distinct postmortems the category appears."""
        return len(self.postmortems)

    @property
    def services(self) -> tuple[str, ...]:
        """The services of those postmortems, sorted."""
        return tuple(sorted({service for pm in self.postmortems for service in pm.services}))

    @property
    def latest(self) -> dt.date:
        """The date of the most recent incident with this cause."""
        return max(pm.date for pm in self.postmortems)


def root_cause_counts(
    postmortems: Iterable[Postmortem], taxonomy: Mapping[str, str]
) -> list[RecurringCause]:
    """Every canonical category with its postmortems; one count per postmortem.

    Ordered by count, then by the most recent incident, then by name.
    """
    by_category: dict[str, list[Postmortem]] = {}
    for pm in postmortems:
        categories = {canonical_category(cause.category, taxonomy) for cause in pm.root_causes}
        for category in categories:
            by_category.setdefault(category, []).append(pm)
    causes = [
        RecurringCause(category, tuple(sorted(pms, key=lambda pm: (pm.date, pm.id), reverse=True)))
        for category, pms in by_category.items()
    ]
    causes.sort(key=lambda cause: cause.category)
    causes.sort(key=lambda cause: (cause.count, cause.latest), reverse=True)
    return causes


def recurring_root_causes(
    postmortems: Sequence[Postmortem], taxonomy: Mapping[str, str], threshold: int = 2
) -> list[RecurringCause]:
    """The categories that appear in at least ``threshold`` distinct postmortems."""
    return [cause for cause in root_cause_counts(postmortems, taxonomy) if cause.count >= threshold]
