"""Turn the plugin's validated options into ``Settings``, without importing MkDocs.

``config.py`` validates the options with MkDocs' rules (``PostmortemsConfig``, the one
definition of the options) for the plugin and for ``pmkb check`` on a cache miss; a warm
``pmkb check`` reuses the validated values from its cache (``cache.py``) and comes here
directly, sparing MkDocs' import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from postmortem_kb.knowledge_base import value_slug
from postmortem_kb.model import ServiceInfo
from postmortem_kb.rules import check_rule_levels
from postmortem_kb.settings import (
    DEFAULT_ID_FORMAT,
    ConfigurationError,
    Settings,
    packaged_schema_path,
)


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


def settings_from_options(options: Mapping[str, Any], config_file: Path) -> Settings:
    """Settings from the plugin's validated options (by name) and the path of ``mkdocs.yml``.

    Raises:
        ConfigurationError: when an option cannot work.
    """
    root = config_file.parent.resolve()
    if options["recurring_threshold"] < 1:
        raise ConfigurationError("recurring_threshold must be 1 or more")
    if options["max_file_bytes"] < 1:
        raise ConfigurationError("max_file_bytes must be 1 or more")
    if options["feed_entries"] < 1:
        raise ConfigurationError("feed_entries must be 1 or more")
    if not options["severities"]:
        raise ConfigurationError("severities must list at least one level")
    severity_slugs: dict[str, str] = {}
    for level in options["severities"]:
        slug = value_slug(level)
        if slug in severity_slugs:
            raise ConfigurationError(
                f"severities: {severity_slugs[slug]!r} and {level!r} would share one anchor"
            )
        severity_slugs[slug] = level
    rules = check_rule_levels(options["rules"])
    if options["id_format"] != DEFAULT_ID_FORMAT:
        # The default is valid; checking another imports pmkb new's template machinery.
        from postmortem_kb.authoring import check_id_format

        check_id_format(options["id_format"])
    return Settings(
        root=root,
        postmortems_dir=(root / options["postmortems_dir"]).resolve(),
        schema_path=(root / options["schema"]).resolve()
        if options["schema"]
        else packaged_schema_path(),
        severities=tuple(options["severities"]),
        recurring_threshold=options["recurring_threshold"],
        max_file_bytes=options["max_file_bytes"],
        taxonomy=taxonomy_aliases(options["taxonomy"]),
        root_cause_categories=frozenset(str(name) for name in options["taxonomy"]),
        services=service_vocabulary(options["services"]),
        tags=tag_vocabulary(options["tags"]),
        rule_levels=rules,
        templates_dir=(root / options["templates_dir"]).resolve()
        if options["templates_dir"]
        else None,
        id_format=options["id_format"],
        feed_entries=options["feed_entries"],
    )
