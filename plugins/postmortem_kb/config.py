"""The plugin's options in ``mkdocs.yml``, and reading them for the pmkb command."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c

from postmortem_kb.authoring import check_id_format
from postmortem_kb.knowledge_base import value_slug
from postmortem_kb.model import DEFAULT_SEVERITIES, ServiceInfo
from postmortem_kb.rules import check_rule_levels
from postmortem_kb.settings import (
    DEFAULT_ID_FORMAT,
    ConfigurationError,
    Settings,
    packaged_schema_path,
)

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


def taxonomy_aliases(taxonomy: dict[str, Any]) -> dict[str, str]:
    """Alias to canonical category, from ``{canonical: [aliases]}``.

    Raises:
        ConfigurationError: when an entry is not a list of names or an alias maps twice.
    """
    aliases: dict[str, str] = {}
    for canonical, names in taxonomy.items():
        if names is None:
            names = []
        if (
            not isinstance(canonical, str)
            or not isinstance(names, list)
            or not all(isinstance(name, str) for name in names)
        ):
            raise ConfigurationError(f"taxonomy: {canonical!r} must map to a list of alias names")
        for name in names:
            if name in aliases and aliases[name] != canonical:
                raise ConfigurationError(
                    f"taxonomy: the alias {name!r} is listed under both "
                    f"{aliases[name]!r} and {canonical!r}"
                )
            aliases[name] = canonical
    return aliases


SERVICE_FIELDS = ("owner", "tier", "description")


def service_vocabulary(value: Any) -> dict[str, ServiceInfo] | None:
    """The ``services`` option as data; ``None`` when it is absent or empty.

    Raises:
        ConfigurationError: when an entry is not a name or a mapping of known fields.
    """
    if not value:
        return None
    entries: list[tuple[Any, Any]] = (
        [(name, None) for name in value] if isinstance(value, list) else list(value.items())
    )
    vocabulary: dict[str, ServiceInfo] = {}
    for name, details in entries:
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"services: {name!r} is not a service name")
        if details is None:
            details = {}
        if not isinstance(details, dict):
            raise ConfigurationError(
                f"services: {name}: expected a mapping of {', '.join(SERVICE_FIELDS)}, "
                f"got {details!r}"
            )
        unknown = sorted(str(key) for key in details if key not in SERVICE_FIELDS)
        if unknown:
            raise ConfigurationError(
                f"services: {name}: unknown field(s) {', '.join(unknown)}; "
                f"expected {', '.join(SERVICE_FIELDS)}"
            )
        fields: dict[str, str | None] = {}
        for key in SERVICE_FIELDS:
            item = details.get(key)
            if item is not None and not isinstance(item, (str, int)):
                raise ConfigurationError(f"services: {name}.{key}: expected text, got {item!r}")
            fields[key] = None if item is None else str(item)
        vocabulary[name] = ServiceInfo(name, **fields)
    _refuse_slug_clashes("services", vocabulary)
    return vocabulary


def tag_vocabulary(value: Any) -> frozenset[str] | None:
    """The ``tags`` option as data; ``None`` when it is absent or empty.

    Raises:
        ConfigurationError: when an entry is not a name.
    """
    if not value:
        return None
    for name in value:
        if not isinstance(name, str) or not name.strip():
            raise ConfigurationError(f"tags: {name!r} is not a tag name")
    _refuse_slug_clashes("tags", value)
    return frozenset(value)


def _refuse_slug_clashes(option: str, names: Iterable[str]) -> None:
    """Two names of a vocabulary that would share one page or anchor cannot both be right."""
    seen: dict[str, str] = {}
    for name in names:
        slug = value_slug(name)
        if slug in seen and seen[slug] != name:
            raise ConfigurationError(
                f"{option}: {seen[slug]!r} and {name!r} would share the page of {slug!r}: "
                "keep one spelling"
            )
        seen[slug] = name


def settings_from_options(options: PostmortemsConfig, config_file: Path) -> Settings:
    """Settings from the plugin's validated options and the path of ``mkdocs.yml``.

    Raises:
        ConfigurationError: when an option cannot work.
    """
    root = config_file.parent.resolve()
    if options.recurring_threshold < 1:
        raise ConfigurationError("recurring_threshold must be 1 or more")
    if options.max_file_bytes < 1:
        raise ConfigurationError("max_file_bytes must be 1 or more")
    if options.feed_entries < 1:
        raise ConfigurationError("feed_entries must be 1 or more")
    if not options.severities:
        raise ConfigurationError("severities must list at least one level")
    severity_slugs: dict[str, str] = {}
    for level in options.severities:
        slug = value_slug(level)
        if slug in severity_slugs:
            raise ConfigurationError(
                f"severities: {severity_slugs[slug]!r} and {level!r} would share one anchor"
            )
        severity_slugs[slug] = level
    rules = check_rule_levels(options.rules)
    check_id_format(options.id_format)
    return Settings(
        root=root,
        postmortems_dir=(root / options.postmortems_dir).resolve(),
        schema_path=(root / options.schema).resolve() if options.schema else packaged_schema_path(),
        severities=tuple(options.severities),
        recurring_threshold=options.recurring_threshold,
        max_file_bytes=options.max_file_bytes,
        taxonomy=taxonomy_aliases(options.taxonomy),
        root_cause_categories=frozenset(str(name) for name in options.taxonomy),
        services=service_vocabulary(options.services),
        tags=tag_vocabulary(options.tags),
        rule_levels=rules,
        templates_dir=(root / options.templates_dir).resolve() if options.templates_dir else None,
        id_format=options.id_format,
        feed_entries=options.feed_entries,
    )


def load_settings(config_file: Path) -> Settings:
    """Read the ``postmortems`` plugin's options from ``mkdocs.yml`` for the pmkb command.

    Without a ``mkdocs.yml``, the defaults apply to the folder the file would be in.

    Raises:
        ConfigurationError: when the file or the options are invalid.
    """
    options = PostmortemsConfig()
    if config_file.is_file():
        from mkdocs.utils.yaml import yaml_load

        try:
            with config_file.open("rb") as handle:
                raw = yaml_load(handle) or {}
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
    return settings_from_options(options, config_file)


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
