"""Recurrence notices (PM501) made once per category say what making each on its own says.

``recurrence_notices`` describes what a category's notices name once for the category; the
reference below is the notice made for each postmortem on its own, as it was first written.
Generated knowledge bases (shared and distinct categories, aliases, ties in date, related
links, open items) must give the same notices in the same order.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem_kb.analysis import canonical_category
from postmortem_kb.lint import (
    OPEN_ITEMS_SHOWN,
    RECURRENCE_SHOWN,
    RecurrenceFacts,
    RecurrenceNotices,
    recurrence_notices,
)
from postmortem_kb.loader import shorten
from postmortem_kb.model import Problem
from postmortem_kb.settings import Settings


def reference_notices(facts: list[RecurrenceFacts], settings: Settings) -> list[Problem]:
    by_category: dict[str, list[RecurrenceFacts]] = {}
    for pm in facts:
        for category in dict.fromkeys(
            canonical_category(written, settings.taxonomy) for written in pm.categories
        ):
            by_category.setdefault(category, []).append(pm)
    for members in by_category.values():
        members.sort(key=lambda pm: (pm.date, pm.id), reverse=True)
    notices = []
    for pm in facts:
        seen: set[str] = set()
        for index, written in enumerate(pm.categories):
            category = canonical_category(written, settings.taxonomy)
            members = by_category[category]
            if category in seen or len(members) < max(settings.recurring_threshold, 2):
                continue
            seen.add(category)
            others = [other for other in members if other is not pm][:RECURRENCE_SHOWN]
            total = len(members) - 1
            named = "; ".join(describe(other) for other in others)
            if total > len(others):
                named += f"; and {total - len(others)} more"
            missing = [
                other.id
                for other in others
                if other.id not in pm.related and pm.id not in other.related
            ]
            advice = "Check whether their fixes cover this incident"
            if missing:
                advice += f", and add {', '.join(missing)} to 'related'"
            shown = "" if category == written else f" (as {shorten(category)})"
            notices.append(
                Problem(
                    pm.file,
                    pm.category_lines[index],
                    f"root_causes[{index}].category",
                    f"{shorten(written)}{shown} recurs: it is also a root cause of {named}. "
                    f"{advice}",
                    "PM501",
                    "notice",
                )
            )
    return notices


def describe(other: RecurrenceFacts) -> str:
    open_items = other.open_actions
    if not open_items:
        return f"{other.id} of {other.date.isoformat()} (no open action items)"
    listed = ", ".join(shorten(action, 50) for action in open_items[:OPEN_ITEMS_SHOWN])
    if len(open_items) > OPEN_ITEMS_SHOWN:
        listed += f" and {len(open_items) - OPEN_ITEMS_SHOWN} more"
    return f"{other.id} of {other.date.isoformat()} (open: {listed})"


CATEGORIES = st.sampled_from(["deploy", "config", "capacity", "db", "database", "dns"])
IDS = st.sampled_from([f"PM-{number}" for number in range(12)])


@st.composite
def knowledge_bases(draw: st.DrawFn) -> list[RecurrenceFacts]:
    count = draw(st.integers(min_value=0, max_value=16))
    facts = []
    for number in range(count):
        categories = tuple(draw(st.lists(CATEGORIES, max_size=3)))
        facts.append(
            RecurrenceFacts(
                file=f"postmortems/{number}.md",
                id=draw(IDS),
                date=dt.date(2024, 1, 1) + dt.timedelta(days=draw(st.integers(0, 5))),
                related=tuple(draw(st.lists(IDS, max_size=3))),
                categories=categories,
                category_lines=tuple(10 + line for line in range(len(categories))),
                open_actions=tuple(draw(st.lists(st.sampled_from(["Fix", "Alert"]), max_size=5))),
            )
        )
    return facts


def _settings(threshold: int, aliases: bool) -> Settings:
    """A knowledge base's settings with this threshold, and two aliases or none."""
    return Settings(
        root=Path("/kb"),
        postmortems_dir=Path("/kb/postmortems"),
        recurring_threshold=threshold,
        taxonomy={"db": "database", "config": "deploy"} if aliases else {},
    )


# No deadline: these compare results, and a loaded machine can stall one example past 200 ms.
@settings(max_examples=300, deadline=None)
@given(knowledge_bases(), st.integers(min_value=0, max_value=4), st.booleans())
def test_notices_made_per_category_are_the_notices_made_one_by_one(
    facts: list[RecurrenceFacts], threshold: int, aliases: bool
) -> None:
    configured = _settings(threshold, aliases)
    assert recurrence_notices(facts, configured) == reference_notices(facts, configured)


# No deadline: these compare results, and a loaded machine can stall one example past 200 ms.
@settings(max_examples=300, deadline=None)
@given(knowledge_bases(), st.integers(min_value=0, max_value=4), st.booleans())
def test_notices_counted_before_they_are_written_are_the_notices_written(
    facts: list[RecurrenceFacts], threshold: int, aliases: bool
) -> None:
    # counts() has a fast path that finds no notice: it must count what problems() writes.
    configured = _settings(threshold, aliases)
    written = Counter(problem.file for problem in reference_notices(facts, configured))
    notices = RecurrenceNotices(facts, configured)
    assert notices.counts() == dict(written)
    notices.problems()
    assert notices.counts() == dict(written)  # and once they are written, from them
