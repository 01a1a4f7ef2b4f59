"""The browse indexes as data: archive, tags, severities, services and recurring root causes.

Pure functions over validated postmortems, with no MkDocs and no I/O: the plugin renders
what they return through templates, and tests check the figures directly. Every group keeps
its postmortems newest first, and every ordering has a final tie-breaker, so that two builds
of the same input list the same things in the same order.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from postmortem_kb.analysis import (
    RecurringCause,
    canonical_category,
    derived_times,
    escalation_level,
    overdue_days,
    root_cause_counts,
)
from postmortem_kb.knowledge_base import value_slug
from postmortem_kb.model import ActionItem, Postmortem, ServiceInfo
from postmortem_kb.settings import Settings

TAG_ANCHOR = "tag:{slug}"
"""The anchor of a tag on the tags page: Material's default ``tags_slugify_format``."""

CAUSE_ANCHOR = "cause:{slug}"
"""The anchor of a root cause category on the root causes page."""


def newest_first(postmortems: Iterable[Postmortem]) -> tuple[Postmortem, ...]:
    """Postmortems by date, newest first; the id breaks ties."""
    return tuple(sorted(postmortems, key=lambda pm: (pm.date, pm.id), reverse=True))


def median_minutes(values: Iterable[int | None]) -> int | None:
    """The median of the known figures in whole minutes (half a minute rounds up).

    A missing figure is left out, never counted as zero; with no figure at all the median
    is ``None``.
    """
    known = [value for value in values if value is not None]
    if not known:
        return None
    return math.floor(statistics.median(known) + 0.5)


@dataclass(frozen=True)
class Durations:
    """Median time to detect and to resolve over some postmortems, and how many had each.

    Attributes:
        time_to_detect: the median time to detect in minutes, or ``None``.
        detect_figures: how many of the postmortems have a time to detect.
        time_to_resolve: the median time to resolve in minutes, or ``None``.
        resolve_figures: how many of the postmortems have a time to resolve.
    """

    time_to_detect: int | None
    detect_figures: int
    time_to_resolve: int | None
    resolve_figures: int


def durations(postmortems: Iterable[Postmortem]) -> Durations:
    """The median durations of ``postmortems``, from ``analysis.derived_times``."""
    times = [derived_times(pm) for pm in postmortems]
    detect = [t.time_to_detect_minutes for t in times if t.time_to_detect_minutes is not None]
    resolve = [t.time_to_resolve_minutes for t in times if t.time_to_resolve_minutes is not None]
    return Durations(median_minutes(detect), len(detect), median_minutes(resolve), len(resolve))


@dataclass(frozen=True)
class OpenItem:
    """An action item that is still open (todo or in progress), with its postmortem."""

    postmortem: Postmortem
    item: ActionItem
    overdue_days: int | None
    escalation: int


def open_items(postmortems: Iterable[Postmortem], today: dt.date) -> tuple[OpenItem, ...]:
    """The open action items of ``postmortems``: the longest overdue first, no due date last."""
    found = []
    for pm in postmortems:
        for item in pm.action_items:
            if item.is_open:
                days = overdue_days(item, today)
                found.append(OpenItem(pm, item, days, escalation_level(days)))
    found.sort(
        key=lambda row: (
            row.item.due is None,
            row.item.due or dt.date.max,
            row.postmortem.id,
            row.item.index,
        )
    )
    return tuple(found)


@dataclass(frozen=True)
class Quarter:
    """The postmortems of one quarter, newest first."""

    year: int
    quarter: int
    postmortems: tuple[Postmortem, ...]

    @property
    def anchor(self) -> str:
        """The quarter's anchor on the postmortems page: ``2025-q1``."""
        return f"{self.year}-q{self.quarter}"

    @property
    def label(self) -> str:
        """The quarter for people: ``2025 Q1``."""
        return f"{self.year} Q{self.quarter}"


@dataclass(frozen=True)
class Year:
    """The quarters of one year that have postmortems, newest first."""

    year: int
    quarters: tuple[Quarter, ...]

    @property
    def anchor(self) -> str:
        """The year's anchor on the postmortems page: ``2025``."""
        return str(self.year)

    @property
    def count(self) -> int:
        """How many postmortems the year has."""
        return sum(len(quarter.postmortems) for quarter in self.quarters)

    def quarter(self, number: int) -> Quarter | None:
        """The quarter ``number`` (1 to 4) if it has postmortems."""
        return next((q for q in self.quarters if q.quarter == number), None)


def quarter_of(date: dt.date) -> int:
    """The quarter (1 to 4) of a date."""
    return (date.month - 1) // 3 + 1


def archive(postmortems: Iterable[Postmortem]) -> tuple[Year, ...]:
    """Postmortems by year and quarter of their date, newest first."""
    by_quarter: dict[tuple[int, int], list[Postmortem]] = {}
    for pm in postmortems:
        by_quarter.setdefault((pm.date.year, quarter_of(pm.date)), []).append(pm)
    years: dict[int, list[Quarter]] = {}
    for (year, number), pms in sorted(by_quarter.items(), reverse=True):
        years.setdefault(year, []).append(Quarter(year, number, newest_first(pms)))
    return tuple(Year(year, tuple(quarters)) for year, quarters in years.items())


@dataclass(frozen=True)
class TagGroup:
    """The postmortems of one tag, newest first."""

    name: str
    slug: str
    postmortems: tuple[Postmortem, ...]

    @property
    def count(self) -> int:
        """How many postmortems carry the tag."""
        return len(self.postmortems)

    @property
    def anchor(self) -> str:
        """The tag's anchor on the tags page, where its chips lead."""
        return TAG_ANCHOR.format(slug=self.slug)


def tag_index(postmortems: Iterable[Postmortem]) -> tuple[TagGroup, ...]:
    """Every tag with its postmortems, by name (case-insensitive)."""
    by_tag: dict[str, list[Postmortem]] = {}
    for pm in postmortems:
        for tag in dict.fromkeys(pm.tags):
            by_tag.setdefault(tag, []).append(pm)
    groups = [TagGroup(tag, value_slug(tag), newest_first(pms)) for tag, pms in by_tag.items()]
    return tuple(sorted(groups, key=lambda group: (group.name.casefold(), group.name)))


def tag_anchor(tag: str) -> str:
    """The anchor of ``tag`` on the tags page."""
    return TAG_ANCHOR.format(slug=value_slug(tag))


@dataclass(frozen=True)
class SeverityGroup:
    """The postmortems of one severity level, newest first, with their median durations.

    Attributes:
        level: the level's name (``SEV1``).
        rank: 1 for the worst level; levels past the fourth share 4 (for colours).
        configured: whether the level is one of the configured ones.
        postmortems: its postmortems, newest first.
        durations: the median times to detect and to resolve of those postmortems.
    """

    level: str
    rank: int
    configured: bool
    postmortems: tuple[Postmortem, ...]
    durations: Durations

    @property
    def count(self) -> int:
        """How many postmortems have this level."""
        return len(self.postmortems)

    @property
    def anchor(self) -> str:
        """The level's anchor on the severity page: ``sev1``."""
        return value_slug(self.level)


def severity_rank(severity: str, severities: Sequence[str]) -> int:
    """1 for the worst level, up to 4; levels past the fourth share the fourth's colour."""
    try:
        return min(list(severities).index(severity) + 1, 4)
    except ValueError:
        return 4


def severity_index(
    postmortems: Iterable[Postmortem], severities: Sequence[str]
) -> tuple[SeverityGroup, ...]:
    """Each configured level, worst first, even with no postmortems.

    A level that is not configured (the schema would have refused it, unless a custom one
    allows it) follows, so that no postmortem is left out.
    """
    by_level: dict[str, list[Postmortem]] = {level: [] for level in severities}
    for pm in postmortems:
        by_level.setdefault(pm.severity, []).append(pm)
    extra = sorted(level for level in by_level if level not in severities)
    return tuple(
        SeverityGroup(
            level,
            severity_rank(level, severities),
            level in severities,
            newest_first(by_level[level]),
            durations(by_level[level]),
        )
        for level in [*severities, *extra]
    )


@dataclass(frozen=True)
class ServiceRepeat:
    """One service hit more than once by the same root cause."""

    service: str
    postmortems: tuple[Postmortem, ...]


@dataclass(frozen=True)
class CauseGroup:
    """A canonical root cause category with what the root causes page shows about it.

    Attributes:
        category: the canonical category.
        postmortems: the postmortems that name it (once each), newest first.
        aliases: the other spellings that the taxonomy mapped onto it, as written.
        recurring: whether it appears in at least ``recurring_threshold`` postmortems.
        repeats: the services that it hit more than once.
        open_items: the still-open action items of its postmortems.
    """

    category: str
    postmortems: tuple[Postmortem, ...]
    aliases: tuple[str, ...]
    recurring: bool
    repeats: tuple[ServiceRepeat, ...]
    open_items: tuple[OpenItem, ...]

    @property
    def count(self) -> int:
        """In how many distinct postmortems the category appears."""
        return len(self.postmortems)

    @property
    def latest(self) -> dt.date:
        """The date of the most recent incident with this cause."""
        return self.postmortems[0].date

    @property
    def services(self) -> tuple[str, ...]:
        """The services affected, sorted."""
        return tuple(sorted({service for pm in self.postmortems for service in pm.services}))

    @property
    def anchor(self) -> str:
        """The category's anchor on the root causes page."""
        return CAUSE_ANCHOR.format(slug=value_slug(self.category))


def service_repeats(postmortems: Iterable[Postmortem]) -> tuple[ServiceRepeat, ...]:
    """The services that appear in two or more of ``postmortems``, most repeated first."""
    by_service: dict[str, list[Postmortem]] = {}
    for pm in postmortems:
        for service in dict.fromkeys(pm.services):
            by_service.setdefault(service, []).append(pm)
    repeats = [
        ServiceRepeat(service, newest_first(pms))
        for service, pms in by_service.items()
        if len(pms) > 1
    ]
    return tuple(sorted(repeats, key=lambda r: (-len(r.postmortems), r.service.casefold())))


def cause_groups(
    postmortems: Sequence[Postmortem],
    taxonomy: Mapping[str, str],
    threshold: int,
    today: dt.date,
) -> tuple[CauseGroup, ...]:
    """Every canonical category, by count, then most recent incident, then name.

    A category counts once per postmortem however often that postmortem names it, after the
    taxonomy mapped aliases onto canonical names.
    """
    spellings: dict[str, set[str]] = {}
    for pm in postmortems:
        for cause in pm.root_causes:
            canonical = canonical_category(cause.category, taxonomy)
            spellings.setdefault(canonical, set())
            if cause.category != canonical:
                spellings[canonical].add(cause.category)
    return tuple(
        CauseGroup(
            category=counted.category,
            postmortems=newest_first(counted.postmortems),
            aliases=tuple(sorted(spellings.get(counted.category, ()))),
            recurring=counted.count >= threshold,
            repeats=service_repeats(counted.postmortems),
            open_items=open_items(counted.postmortems, today),
        )
        for counted in root_cause_counts(postmortems, taxonomy)
    )


@dataclass(frozen=True)
class ServiceGroup:
    """One service: its incidents, their open action items and the causes that recur.

    Attributes:
        name: the service as written in the postmortems (or in the vocabulary).
        slug: its page's URL segment: ``services/<slug>/``.
        info: what the services vocabulary says about it, if configured.
        postmortems: its incident history, newest first.
        durations: the median times to detect and resolve of those incidents.
        open_items: the open action items of those postmortems.
        causes: the root cause categories of those postmortems, most frequent first.
        recurring: the categories found in at least ``recurring_threshold`` of them.
    """

    name: str
    slug: str
    info: ServiceInfo | None
    postmortems: tuple[Postmortem, ...]
    durations: Durations
    open_items: tuple[OpenItem, ...]
    causes: tuple[RecurringCause, ...]
    recurring: tuple[RecurringCause, ...]

    @property
    def count(self) -> int:
        """How many incidents the service had."""
        return len(self.postmortems)

    @property
    def last(self) -> Postmortem | None:
        """Its most recent incident."""
        return self.postmortems[0] if self.postmortems else None

    @property
    def src_uri(self) -> str:
        """The source path of its page."""
        return service_src_uri(self.slug)


def service_src_uri(slug: str) -> str:
    """The source path of a service's page."""
    return f"services/{slug}.md"


def service_index(
    postmortems: Sequence[Postmortem],
    settings: Settings,
    today: dt.date,
) -> tuple[ServiceGroup, ...]:
    """Every service of the postmortems, and of the vocabulary if one is configured.

    A service in the vocabulary without incidents is listed too (with none), so that its
    page exists before its first postmortem.
    """
    by_service: dict[str, list[Postmortem]] = {}
    for name in settings.services or {}:
        by_service[name] = []
    for pm in postmortems:
        for service in dict.fromkeys(pm.services):
            by_service.setdefault(service, []).append(pm)
    vocabulary = settings.services or {}
    groups = []
    for name, pms in by_service.items():
        causes = tuple(root_cause_counts(pms, settings.taxonomy))
        groups.append(
            ServiceGroup(
                name=name,
                slug=value_slug(name),
                info=vocabulary.get(name),
                postmortems=newest_first(pms),
                durations=durations(pms),
                open_items=open_items(pms, today),
                causes=causes,
                recurring=tuple(c for c in causes if c.count >= settings.recurring_threshold),
            )
        )
    return tuple(sorted(groups, key=lambda group: (group.name.casefold(), group.name)))


@dataclass(frozen=True, slots=True)
class PostmortemRow:
    """What a row of a postmortem table shows, without the rest of the postmortem.

    The home page markers are replaced while MkDocs converts the pages, long after the
    generated pages are made: these rows let the parsed postmortems go before then.
    """

    id: str
    title: str
    date: dt.date
    severity: str
    status: str
    services: tuple[str, ...]
    slug: str

    @classmethod
    def of(cls, postmortem: Postmortem) -> PostmortemRow:
        """The row of ``postmortem``."""
        return cls(
            postmortem.id,
            postmortem.title,
            postmortem.date,
            postmortem.severity,
            postmortem.status,
            postmortem.services,
            postmortem.slug,
        )


@dataclass(frozen=True)
class Headline:
    """The counts that the home page shows."""

    postmortems: int
    by_severity: tuple[tuple[str, int, int], ...]
    """``(level, rank, count)`` for every configured level, worst first."""
    by_status: tuple[tuple[str, int], ...]
    services: int
    tags: int
    open_items: int
    overdue_items: int
    recurring_causes: int
    latest: tuple[PostmortemRow, ...]


@dataclass(frozen=True)
class MarkerIndex:
    """What the home page markers show: the counts, and a row per postmortem, newest first.

    Small enough to keep for the whole build (a row is a few short strings), so that any
    ``postmortems:latest N`` is answered without the postmortems themselves.
    """

    counts: Headline
    rows: tuple[PostmortemRow, ...]

    def headline(self, latest: int = 10) -> Headline:
        """The counts and the ``latest`` most recent postmortems."""
        return replace(self.counts, latest=self.rows[: max(latest, 0)])


@dataclass(frozen=True)
class BrowseIndex:
    """Everything the browse pages and the home page markers show."""

    postmortems: tuple[Postmortem, ...]
    archive: tuple[Year, ...]
    tags: tuple[TagGroup, ...]
    untagged: tuple[Postmortem, ...]
    severities: tuple[SeverityGroup, ...]
    services: tuple[ServiceGroup, ...]
    causes: tuple[CauseGroup, ...]
    without_causes: tuple[Postmortem, ...]
    open_items: tuple[OpenItem, ...]
    threshold: int

    @property
    def recurring(self) -> tuple[CauseGroup, ...]:
        """The recurring root cause categories, in the order of ``causes``."""
        return tuple(group for group in self.causes if group.recurring)

    def service(self, name: str) -> ServiceGroup | None:
        """The group of the service ``name``."""
        return next((group for group in self.services if group.name == name), None)

    def markers(self) -> MarkerIndex:
        """What the home page markers need, which holds no postmortem."""
        statuses: dict[str, int] = {}
        for pm in self.postmortems:
            statuses[pm.status] = statuses.get(pm.status, 0) + 1
        counts = Headline(
            postmortems=len(self.postmortems),
            by_severity=tuple((g.level, g.rank, g.count) for g in self.severities),
            by_status=tuple(sorted(statuses.items())),
            services=sum(1 for group in self.services if group.count),
            tags=len(self.tags),
            open_items=len(self.open_items),
            overdue_items=sum(1 for row in self.open_items if row.overdue_days is not None),
            recurring_causes=len(self.recurring),
            latest=(),
        )
        return MarkerIndex(counts, tuple(PostmortemRow.of(pm) for pm in self.postmortems))

    def headline(self, latest: int = 10) -> Headline:
        """The home page's counts and its ``latest`` most recent postmortems."""
        return self.markers().headline(latest)


def browse_index(
    postmortems: Iterable[Postmortem], settings: Settings, today: dt.date
) -> BrowseIndex:
    """Build every browse index of a knowledge base at the build date ``today``."""
    ordered = newest_first(postmortems)
    return BrowseIndex(
        postmortems=ordered,
        archive=archive(ordered),
        tags=tag_index(ordered),
        untagged=tuple(pm for pm in ordered if not pm.tags),
        severities=severity_index(ordered, settings.severities),
        services=service_index(ordered, settings, today),
        causes=cause_groups(ordered, settings.taxonomy, settings.recurring_threshold, today),
        without_causes=tuple(pm for pm in ordered if not pm.root_causes),
        open_items=open_items(ordered, today),
        threshold=settings.recurring_threshold,
    )
