"""The knowledge base's settings as plain data, shared by the plugin and the pmkb command.

``config.py`` fills them from the plugin's options in ``mkdocs.yml``; everything else reads
them from here and never imports MkDocs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from postmortem_kb.model import DEFAULT_SEVERITIES, ServiceInfo

PACKAGED_SCHEMA = "schemas/postmortem.schema.json"
DEFAULT_ID_FORMAT = "PM-{YYYY}-{NNN}"


def packaged_schema_path() -> Path:
    """The schema that ships inside the package."""
    return Path(str(resources.files("postmortem_kb").joinpath(PACKAGED_SCHEMA)))


class ConfigurationError(Exception):
    """A setting that cannot work: a missing folder, an unreadable schema, a bad option."""


@dataclass(frozen=True)
class Settings:
    """Everything loading, validation and analysis need to know about a knowledge base.

    Attributes:
        root: the folder of ``mkdocs.yml``; file paths in messages are relative to it.
        postmortems_dir: the folder of postmortem files.
        schema_path: the JSON Schema of the front matter.
        severities: the severity levels, worst first.
        recurring_threshold: in how many distinct postmortems a root cause category must
            appear to count as recurring.
        max_file_bytes: files larger than this are refused before they are parsed.
        taxonomy: alias to canonical root cause category.
        root_cause_categories: the canonical categories of the taxonomy; empty when no
            taxonomy is configured, so that any category is accepted.
        services: the services vocabulary, by name; ``None`` accepts any service.
        tags: the tags vocabulary; ``None`` accepts any tag.
        rule_levels: a level (``error``, ``warning``, ``notice``, ``off``) per rule code.
        templates_dir: a folder of templates that override the package's own.
        id_format: how ``pmkb new`` spells a new id: ``{YYYY}`` the incident's year, ``{NNN}``
            the next free number (as many digits as N's, at least).
        feed_entries: how many of the newest postmortems ``feed.xml`` carries.
    """

    root: Path
    postmortems_dir: Path
    schema_path: Path = field(default_factory=packaged_schema_path)
    severities: tuple[str, ...] = DEFAULT_SEVERITIES
    recurring_threshold: int = 2
    max_file_bytes: int = 1024 * 1024
    taxonomy: Mapping[str, str] = field(default_factory=dict)
    root_cause_categories: frozenset[str] = frozenset()
    services: Mapping[str, ServiceInfo] | None = None
    tags: frozenset[str] | None = None
    rule_levels: Mapping[str, str] = field(default_factory=dict)
    templates_dir: Path | None = None
    id_format: str = DEFAULT_ID_FORMAT
    feed_entries: int = 50

    def display_path(self, path: Path) -> str:
        """A file's path as messages show it: relative to the root, with forward slashes."""
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def build_date(environ: Mapping[str, str] | None = None) -> dt.date:
    """The build's reference date: ``SOURCE_DATE_EPOCH`` when set, else today in UTC.

    Raises:
        ConfigurationError: when ``SOURCE_DATE_EPOCH`` is not a whole number of seconds.
    """
    environ = os.environ if environ is None else environ
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            seconds = int(epoch)
        except ValueError:
            raise ConfigurationError(
                f"SOURCE_DATE_EPOCH must be a whole number of seconds, got {epoch[:40]!r}"
            ) from None
        return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc).date()
    return dt.datetime.now(tz=dt.timezone.utc).date()
