"""The postmortem model: frozen dataclasses and closed vocabularies, with no I/O."""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

Level = Literal["error", "warning", "notice"]
Status = Literal["draft", "in-review", "final"]
ActionStatus = Literal["todo", "in-progress", "done", "wont-do"]
ActionType = Literal["prevent", "detect", "mitigate", "document"]

STATUSES: tuple[Status, ...] = ("draft", "in-review", "final")
ACTION_STATUSES: tuple[ActionStatus, ...] = ("todo", "in-progress", "done", "wont-do")
OPEN_ACTION_STATUSES: frozenset[str] = frozenset({"todo", "in-progress"})
ACTION_TYPES: tuple[ActionType, ...] = ("prevent", "detect", "mitigate", "document")
PRIORITIES: tuple[str, ...] = ("P1", "P2", "P3")
DEFAULT_SEVERITIES: tuple[str, ...] = ("SEV1", "SEV2", "SEV3", "SEV4")
FACTOR_CATEGORIES: tuple[str, ...] = (
    "people",
    "process",
    "technology",
    "environment",
    "monitoring",
    "configuration",
    "documentation",
)
TIMELINE_FIELDS: tuple[str, ...] = ("started", "detected", "mitigated", "resolved")

FieldPath = tuple[str | int, ...]
"""A field's place in the front matter: ``("action_items", 1, "due")``."""


def format_field_path(path: FieldPath) -> str:
    """Spell a field path the way messages show it: ``action_items[1].due``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


_UNPRINTABLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """Text safe to print on one line: control, format and unassigned characters escaped.

    A file name, a key or a value may carry a line break, a terminal escape sequence, a
    bidirectional override or an undecodable byte; a message must show it, never obey it, so
    that no value can forge another line of a report or hide part of one.
    """
    if text.isprintable():
        return text
    return "".join(
        _NAMED_ESCAPES.get(ch)
        or (f"\\u{ord(ch):04x}" if unicodedata.category(ch) in _UNPRINTABLE_CATEGORIES else ch)
        for ch in text
    )


@dataclass(frozen=True)
class Problem:
    """One finding about one file: where it is, what is wrong, what to do.

    Problems are data: loading and validation return them and never raise, so that every
    problem of every file is known before anything fails.
    """

    file: str
    line: int | None
    field: str | None
    message: str
    code: str
    level: Level = "error"

    def __str__(self) -> str:
        file = printable(self.file)
        location = file if self.line is None else f"{file}:{self.line}"
        subject = f" {printable(self.field)}:" if self.field else ""
        return f"{location}:{subject} {printable(self.message)}"

    def sort_key(self) -> tuple[str, int, str, str]:
        """Order problems by file, then line, then code."""
        return (self.file, self.line or 0, self.code, self.message)


@dataclass(frozen=True)
class SourceDocument:
    """A postmortem file that was read and whose front matter parsed as a mapping.

    Attributes:
        file: the path shown in messages, relative to the knowledge base (``postmortems/x.md``).
        abs_path: where the file is on disk.
        front_matter: the fields, as JSON-compatible values (dates stay strings).
        lines: the 1-based line of every field, keyed by its path.
        plain_scalars: the source text of unquoted values that YAML read as something other
            than a string (a number, a boolean, null), for messages about coercion.
        body: the Markdown after the front matter.
        body_line: the line on which the body starts.
        digest: a hash of the file's bytes.
        plain_text: whether the front matter's text is plain ASCII (``loader.plain_ascii``),
            so that no key or value can hold a control character or only invisible ones.
    """

    file: str
    abs_path: Path
    front_matter: Mapping[str, Any]
    lines: Mapping[FieldPath, int]
    plain_scalars: Mapping[FieldPath, str]
    body: str
    body_line: int
    digest: str
    plain_text: bool = False

    def line_of(self, path: FieldPath) -> int | None:
        """The line of a field, or of its nearest parent that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


class FileView(Protocol):
    """What the rules across files read of a file: its path, its fields, their lines.

    A ``SourceDocument`` is one; so is the summary that the result cache keeps of a file,
    so that those rules run over ten thousand cached files without parsing any.
    """

    @property
    def file(self) -> str:
        """The path shown in messages."""

    @property
    def front_matter(self) -> Mapping[str, Any]:
        """The fields (a summary has only those the rules across files read)."""

    def line_of(self, path: FieldPath) -> int | None:
        """The line of a field, or of its nearest parent that has one."""


@dataclass(frozen=True)
class ServiceInfo:
    """What the ``services`` vocabulary says about one service; every field optional."""

    name: str
    owner: str | None = None
    tier: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Cause:
    """A root cause or a contributing factor."""

    category: str
    description: str


@dataclass(frozen=True)
class ActionItem:
    """One follow-up of a postmortem."""

    index: int
    action: str
    type: ActionType
    status: ActionStatus
    priority: str | None = None
    owner: str | None = None
    due: dt.date | None = None
    completed: dt.date | None = None
    link: str | None = None

    @property
    def is_open(self) -> bool:
        """Whether the item still needs work (todo or in progress)."""
        return self.status in OPEN_ACTION_STATUSES


@dataclass(frozen=True)
class Timeline:
    """The incident's timestamps, each optional."""

    started: dt.datetime | None = None
    detected: dt.datetime | None = None
    mitigated: dt.datetime | None = None
    resolved: dt.datetime | None = None


@dataclass(frozen=True)
class Impact:
    """What the incident cost, each figure optional."""

    users_affected: int | None = None
    requests_failed: int | None = None
    revenue_usd: float | None = None
    data_loss: bool | None = None
    sla_breach: bool | None = None
    description: str | None = None


@dataclass(frozen=True)
class Postmortem:
    """A validated postmortem."""

    id: str
    title: str
    date: dt.date
    severity: str
    status: Status
    summary: str
    services: tuple[str, ...]
    slug: str
    source: SourceDocument
    tags: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()
    incident: str | None = None
    timeline: Timeline = field(default_factory=Timeline)
    impact: Impact = field(default_factory=Impact)
    root_causes: tuple[Cause, ...] = ()
    contributing_factors: tuple[Cause, ...] = ()
    action_items: tuple[ActionItem, ...] = ()
    related: tuple[str, ...] = ()

    @property
    def file(self) -> str:
        """The file's path as messages show it."""
        return self.source.file

    @property
    def url(self) -> str:
        """The page's URL, relative to the site root."""
        return f"postmortems/{self.slug}/"
