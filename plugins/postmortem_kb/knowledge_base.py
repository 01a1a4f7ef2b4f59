"""Load a whole knowledge base: find every file, read, validate, and build the postmortems.

This is the one pass that the plugin and the pmkb command share, so that the site and CI
never disagree. Every file in the postmortems folder ends up either as a postmortem or as a
problem naming it: nothing is skipped silently.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from postmortem_kb.lint import lint_knowledge_base
from postmortem_kb.loader import load_file, shorten
from postmortem_kb.model import (
    ActionItem,
    Cause,
    Impact,
    Postmortem,
    Problem,
    SourceDocument,
    Timeline,
)
from postmortem_kb.rules import RULES_BY_CODE, apply_rule_levels
from postmortem_kb.settings import ConfigurationError, Settings, build_date
from postmortem_kb.validation import (
    SchemaValidator,
    cross_file_problems,
    final_action_items_problems,
    load_schema,
    parse_date,
    parse_timestamp,
    timeline_problems,
    vocabulary_problems,
)

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mkdn", ".mdwn"})
RESERVED_SLUGS = frozenset({"index"})
_SAFE_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


@dataclass(frozen=True)
class KnowledgeBase:
    """The result of loading: the valid postmortems and every problem found."""

    postmortems: tuple[Postmortem, ...]
    problems: tuple[Problem, ...]
    files: tuple[str, ...]

    @property
    def errors(self) -> tuple[Problem, ...]:
        """The problems at error level."""
        return tuple(problem for problem in self.problems if problem.level == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """The problems at warning level."""
        return tuple(problem for problem in self.problems if problem.level == "warning")


def _letters_and_digits(text: str) -> str:
    normalized = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "-", normalized).strip("-")


def slugify(text: str) -> str:
    """The URL segment of a tag or service: letters and digits (any script) and single hyphens.

    The slug can never climb out of its folder ('/', '.' and '\\' become hyphens) and is
    never empty: a value with no letter or digit gets a short hash of itself.
    """
    return _letters_and_digits(text) or "x-" + hashlib.sha256(text.encode()).hexdigest()[:10]


MAX_VALUE_SLUG = 80


def value_slug(value: str) -> str:
    """The URL segment or anchor of a tag, service, category or severity level.

    It is ``slugify(value)``, so two values that differ only in case or punctuation share it
    (and are reported as a collision), except that it is never a reserved name (``index``
    would be the folder's own index page) and never long. Those cases get an underscore,
    which ``slugify`` never produces, so they cannot collide with an ordinary slug.
    """
    slug = slugify(value)
    if slug in RESERVED_SLUGS:
        return f"{slug}_"
    if len(slug) > MAX_VALUE_SLUG:
        digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:10]
        return f"{slug[: MAX_VALUE_SLUG - 11]}_{digest}"
    return slug


def page_slug(stem: str) -> str:
    """The URL segment of a postmortem's page: its file stem when safe, else a slug of it.

    Empty when the stem has no letter or digit, which is reported as a problem.
    """
    if _SAFE_SLUG.fullmatch(stem) and not stem.startswith("."):
        return stem
    return _letters_and_digits(stem)


def discover(settings: Settings) -> tuple[list[Path], list[Problem]]:
    """Every file under the postmortems folder, and problems for those that cannot be postmortems.

    Hidden files and folders (a name starting with '.') are left out, so a ``.gitkeep`` can
    keep an empty folder in git; a hidden file with a Markdown extension is a warning, since it
    looks like a postmortem that would never be published. Everything else is either a ``.md``
    file to load or a problem.

    Raises:
        ConfigurationError: when the folder does not exist.
    """
    folder = settings.postmortems_dir
    if not folder.is_dir():
        raise ConfigurationError(
            f"the postmortems folder {settings.display_path(folder)!r} does not exist "
            "(option postmortems_dir)"
        )
    files: list[Path] = []
    problems: list[Problem] = []
    for directory, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(directory)
        for name in list(dirnames):
            if name.startswith("."):
                dirnames.remove(name)
            elif (base / name).is_symlink():
                dirnames.remove(name)
                problems.append(
                    Problem(
                        settings.display_path(base / name),
                        None,
                        None,
                        "is a symbolic link to a folder: postmortems must be regular files "
                        "inside the postmortems folder",
                        "PM001",
                    )
                )
        dirnames.sort()
        for name in sorted(filenames):
            path = base / name
            shown = settings.display_path(path)
            suffix = path.suffix
            if name.startswith("."):
                if name.lower().endswith(tuple(MARKDOWN_SUFFIXES)):
                    problems.append(
                        Problem(
                            shown,
                            None,
                            None,
                            "is hidden (its name starts with '.') and is not published: "
                            "rename it without the dot if it is a postmortem",
                            "PM105",
                            "warning",
                        )
                    )
                continue
            if suffix == ".md":
                files.append(path)
            elif suffix.lower() in MARKDOWN_SUFFIXES:
                problems.append(
                    Problem(
                        shown,
                        None,
                        None,
                        f"has the extension {suffix!r}: rename it to {path.stem}.md so that it "
                        "is published",
                        "PM001",
                    )
                )
            else:
                problems.append(
                    Problem(
                        shown,
                        None,
                        None,
                        "is not a postmortem: only .md files belong in the postmortems folder "
                        "(put images and attachments under docs/)",
                        "PM001",
                    )
                )
    return files, problems


def load_knowledge_base(
    settings: Settings,
    validator: SchemaValidator | None = None,
    today: dt.date | None = None,
) -> KnowledgeBase:
    """Load, validate, build and lint every postmortem of a knowledge base.

    The lint rules run on every postmortem that could be built, in the same pass, and the
    configured rule levels are applied once, at the end, for the plugin and the command alike.

    Args:
        settings: the knowledge base's settings.
        validator: a compiled validator to reuse; by default one is made from the schema.
        today: the build date that process deadlines count to; by default ``build_date()``.

    Raises:
        ConfigurationError: when the folder, the schema or ``SOURCE_DATE_EPOCH`` cannot be used.
    """
    if validator is None:
        validator = SchemaValidator(load_schema(settings.schema_path, settings.severities))
    if today is None:
        today = build_date()
    paths, problems = discover(settings)
    documents: list[SourceDocument] = []
    for path in paths:
        result = load_file(path, settings.display_path(path), settings.max_file_bytes)
        problems.extend(result.problems)
        if result.document is not None:
            documents.append(result.document)
    valid: list[SourceDocument] = []
    for document in documents:
        found = validator.problems(document)
        if not any(problem.level == "error" for problem in found):
            found.extend(timeline_problems(document))
            found.extend(final_action_items_problems(document))
            found.extend(
                vocabulary_problems(
                    document,
                    categories=settings.root_cause_categories,
                    aliases=settings.taxonomy,
                    services=settings.services,
                    tags=settings.tags,
                )
            )
        problems.extend(found)
        if not any(problem.code == "PM101" for problem in found):
            valid.append(document)
    problems.extend(cross_file_problems(documents))
    slugs, slug_problems = _assign_slugs(paths, settings)
    problems.extend(slug_problems)
    problems.extend(name_collisions(valid))
    unpublishable = {problem.file for problem in problems if _is_unpublishable(problem)}
    postmortems = [
        build_postmortem(document, slugs[document.abs_path])
        for document in valid
        if document.file not in unpublishable
    ]
    postmortems.sort(key=lambda pm: (pm.date, pm.id), reverse=True)
    problems.extend(lint_knowledge_base(postmortems, settings, today))
    leveled = apply_rule_levels(problems, settings.rule_levels)
    return KnowledgeBase(
        postmortems=tuple(postmortems),
        problems=tuple(sorted(set(leveled), key=Problem.sort_key)),
        files=tuple(settings.display_path(path) for path in paths),
    )


def _is_unpublishable(problem: Problem) -> bool:
    """A problem that keeps its file from being built: its rule's level cannot be lowered."""
    rule = RULES_BY_CODE.get(problem.code)
    return problem.level == "error" and (rule is None or rule.fixed)


def _assign_slugs(
    paths: Sequence[Path], settings: Settings
) -> tuple[dict[Path, str], list[Problem]]:
    slugs: dict[Path, str] = {}
    owners: dict[str, Path] = {}
    problems: list[Problem] = []
    for path in paths:
        shown = settings.display_path(path)
        slug = page_slug(path.stem)
        slugs[path] = slug
        if not slug:
            problems.append(
                Problem(
                    shown,
                    None,
                    None,
                    "the file name gives an empty page URL: name it like "
                    "2024-03-15-checkout-outage.md",
                    "PM206",
                )
            )
            continue
        if slug.casefold() in RESERVED_SLUGS:
            problems.append(
                Problem(
                    shown,
                    None,
                    None,
                    f"the name {path.stem!r} is reserved for the list of postmortems: "
                    "rename the file",
                    "PM206",
                )
            )
            continue
        other = owners.get(slug.casefold())
        if other is not None:
            if path.stem == other.stem:
                reason = "page URLs leave out folders"
            elif path.stem.casefold() == other.stem.casefold():
                reason = "URLs ignore case"
            else:
                reason = "both names reduce to that URL"
            for this, that in ((path, other), (other, path)):
                problems.append(
                    Problem(
                        settings.display_path(this),
                        None,
                        None,
                        f"its page postmortems/{slug.lower()}/ would collide with "
                        f"{settings.display_path(that)}'s ({reason}): rename one",
                        "PM206",
                    )
                )
        else:
            owners[slug.casefold()] = path
    return slugs, problems


def name_collisions(documents: Iterable[SourceDocument]) -> list[Problem]:
    """Tags or services spelled so that they would share one page (``Database``, ``database``)."""
    problems: list[Problem] = []
    for field_name in ("services", "tags"):
        spellings: dict[str, dict[str, SourceDocument]] = {}
        for document in documents if isinstance(documents, list) else list(documents):
            values = document.front_matter.get(field_name)
            if not isinstance(values, list):
                continue  # the schema reports it
            for value in values:
                if isinstance(value, str):
                    spellings.setdefault(value_slug(value), {}).setdefault(value, document)
        for slug, variants in sorted(spellings.items()):
            if len(variants) < 2:
                continue
            listed = "; ".join(
                f"{shorten(value)} in {document.file}"
                for value, document in sorted(variants.items())
            )
            for value, document in variants.items():
                index = list(document.front_matter[field_name]).index(value)
                problems.append(
                    Problem(
                        document.file,
                        document.line_of((field_name, index)),
                        f"{field_name}[{index}]",
                        f"{shorten(value)} and other spellings would share the page of "
                        f"'{slug}' ({listed}): use one spelling",
                        "PM207",
                    )
                )
    return problems


def _date(value: Any) -> dt.date | None:
    return None if value is None else parse_date(value)


def _timestamp(value: Any) -> dt.datetime | None:
    return None if value is None else parse_timestamp(value)


def _causes(values: Any) -> tuple[Cause, ...]:
    return tuple(Cause(item["category"], item["description"]) for item in values or ())


def build_postmortem(document: SourceDocument, slug: str) -> Postmortem:
    """Build the model of a document that passed validation."""
    data = document.front_matter
    timeline = data.get("timeline") or {}
    impact = data.get("impact") or {}
    items = tuple(
        ActionItem(
            index=index,
            action=item["action"],
            type=item["type"],
            status=item.get("status", "todo"),
            priority=item.get("priority"),
            owner=item.get("owner"),
            due=_date(item.get("due")),
            completed=_date(item.get("completed")),
            link=item.get("link"),
        )
        for index, item in enumerate(data.get("action_items") or ())
    )
    return Postmortem(
        id=data["id"],
        title=data["title"],
        date=parse_date(data["date"]),
        severity=data["severity"],
        status=cast(Any, data["status"]),
        summary=data["summary"],
        services=tuple(data["services"]),
        slug=slug,
        source=document,
        tags=tuple(data.get("tags") or ()),
        authors=tuple(data.get("authors") or ()),
        reviewers=tuple(data.get("reviewers") or ()),
        incident=data.get("incident"),
        timeline=Timeline(
            started=_timestamp(timeline.get("started")),
            detected=_timestamp(timeline.get("detected")),
            mitigated=_timestamp(timeline.get("mitigated")),
            resolved=_timestamp(timeline.get("resolved")),
        ),
        impact=Impact(
            users_affected=impact.get("users_affected"),
            requests_failed=impact.get("requests_failed"),
            revenue_usd=impact.get("revenue_usd"),
            data_loss=impact.get("data_loss"),
            sla_breach=impact.get("sla_breach"),
            description=impact.get("description"),
        ),
        root_causes=_causes(data.get("root_causes")),
        contributing_factors=_causes(data.get("contributing_factors")),
        action_items=items,
        related=tuple(data.get("related") or ()),
    )
