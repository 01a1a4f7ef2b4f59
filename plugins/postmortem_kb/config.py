"""The plugin's options in ``mkdocs.yml``, and reading them for the pmkb command."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c

from postmortem_kb.model import DEFAULT_SEVERITIES
from postmortem_kb.options import (
    SERVICE_FIELDS,
    service_vocabulary,
    settings_from_options,
    tag_vocabulary,
    taxonomy_aliases,
)
from postmortem_kb.settings import DEFAULT_ID_FORMAT, ConfigurationError, Settings

__all__ = [
    "PLUGIN_NAME",
    "SERVICE_FIELDS",
    "PostmortemsConfig",
    "load_settings",
    "service_vocabulary",
    "settings_from_options",
    "tag_vocabulary",
    "taxonomy_aliases",
    "validated_options",
]

PLUGIN_NAME = "postmortems"


class PostmortemsConfig(base.Config):
    """Options of the ``postmortems`` plugin."""

    postmortems_dir = c.Type(str, default="postmortems")
    """The folder of postmortem files, relative to ``mkdocs.yml``."""

    schema = c.Optional(c.Type(str))
    """A JSON Schema file for the front matter, relative to ``mkdocs.yml``; default: the
    schema that ships with the package."""

    severities = c.ListOfItems(c.Type(str), default=list(DEFAULT_SEVERITIES))
    """The severity levels, worst first."""

    recurring_threshold = c.Type(int, default=2)
    """In how many distinct postmortems a root cause category must appear to recur."""

    max_file_bytes = c.Type(int, default=1024 * 1024)
    """Files larger than this are refused before they are parsed."""

    taxonomy = c.Type(dict, default={})
    """Canonical root cause categories, each with its aliases: ``{database: [db-outage]}``.
    When set, a category that is neither canonical nor an alias is a warning (PM208)."""

    services = c.Optional(c.Type((list, dict)))
    """The services vocabulary: a list of names, or names mapped to ``{owner, tier,
    description}``. When set, an unknown service is a warning (PM209)."""

    tags = c.Optional(c.Type(list))
    """The tags vocabulary: a list of names. When set, an unknown tag is a warning (PM210)."""

    nav_section = c.Type(str, default="Browse")
    """The title of the navigation section that lists the generated index pages; an empty
    string leaves the navigation alone."""

    rules = c.Type(dict, default={})
    """A level per rule code: ``{PM301: off, PM401: error}`` (error, warning, notice, off)."""

    templates_dir = c.Optional(c.Type(str))
    """A folder of templates that override the package's own, relative to ``mkdocs.yml``."""

    format_page = c.Type(bool, default=True)
    """Generate ``format.md``, the field reference, from the schema in use."""

    id_format = c.Type(str, default=DEFAULT_ID_FORMAT)
    """How ``pmkb new`` spells the next id: ``{YYYY}`` is the incident's year, ``{NNN}`` the
    next free number with at least as many digits as N's."""

    feed_entries = c.Type(int, default=50)
    """How many of the newest postmortems ``feed.xml`` carries."""

    sanitize_html = c.Type(bool, default=True)
    """Clean the HTML of postmortem pages with an allow-list: raw HTML that could run
    (``<script>``, ``on*=`` attributes, ``javascript:`` links) is removed."""


def load_settings(config_file: Path) -> Settings:
    """Read the ``postmortems`` plugin's options from ``mkdocs.yml`` for the pmkb command.

    Without a ``mkdocs.yml``, the defaults apply to the folder the file would be in.

    Raises:
        ConfigurationError: when the file or the options are invalid.
    """
    return settings_from_options(validated_options(config_file), config_file)


def validated_options(config_file: Path, content: bytes | None = None) -> dict[str, Any]:
    """The plugin's options in ``mkdocs.yml``, validated by MkDocs' rules, by name.

    Args:
        config_file: the ``mkdocs.yml``.
        content: its bytes, when the caller read them already (read from the file else).

    Raises:
        ConfigurationError: when the file or the options are invalid.
    """
    options = PostmortemsConfig()
    if content is not None or config_file.is_file():
        from mkdocs.utils.yaml import yaml_load

        try:
            if content is None:
                with config_file.open("rb") as handle:
                    raw = yaml_load(handle) or {}
            else:
                stream = io.BytesIO(content)
                stream.name = str(config_file)
                raw = yaml_load(stream) or {}
        except Exception as error:  # MkDocs raises several kinds for a broken file
            raise ConfigurationError(f"cannot read {config_file}: {error}") from None
        plugin_options = _plugin_options(raw.get("plugins") if isinstance(raw, dict) else None)
        options.load_dict(plugin_options)
        failed, warnings = options.validate()
        if failed:
            detail = "; ".join(f"{key}: {error}" for key, error in failed)
            raise ConfigurationError(f"{config_file}: plugin {PLUGIN_NAME!r}: {detail}")
        del warnings
    else:
        options.load_dict({})
        options.validate()
    return dict(options)


def _plugin_options(plugins: Any) -> dict[str, Any]:
    if isinstance(plugins, dict):
        found = plugins.get(PLUGIN_NAME)
        return found if isinstance(found, dict) else {}
    if isinstance(plugins, list):
        for entry in plugins:
            if isinstance(entry, dict) and PLUGIN_NAME in entry:
                found = entry[PLUGIN_NAME]
                return found if isinstance(found, dict) else {}
    return {}
