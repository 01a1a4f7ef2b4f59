"""Load a whole knowledge base: find every file, read, validate, and build the postmortems.

This is the one pass that the plugin and the pmkb command share, so that the site and CI
never disagree. Every file in the postmortems folder ends up either as a postmortem or as a
problem naming it: nothing is skipped silently.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import hashlib
import os
import re
import stat
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, cast

from postmortem_kb.cache import (
    FileResult,
    ResultCache,
    Summary,
    settled_signature,
    signature,
)
from postmortem_kb.lint import RecurrenceFacts, RecurrenceNotices, lint_postmortem
from postmortem_kb.loader import SharedValues, load_text, read_bytes, shorten
from postmortem_kb.model import (
    ActionItem,
    Cause,
    FileView,
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


class KnowledgeBase:
    """The result of loading: the valid postmortems and every problem found.

    The postmortems may be built on first use: ``pmkb check`` reads only the problems, so
    a check answered from the cache never parses the files it did not need to.
    """

    __slots__ = ("_build", "_postmortems", "deferred_notices", "files", "problems")

    def __init__(
        self,
        postmortems: Iterable[Postmortem] | Callable[[], Iterable[Postmortem]] = (),
        problems: Iterable[Problem] = (),
        files: Iterable[str] = (),
    ) -> None:
        """A knowledge base of ``postmortems`` (or a function that builds them, once)."""
        self._postmortems: tuple[Postmortem, ...] | None = None
        self._build: Callable[[], Iterable[Postmortem]] | None = None
        if callable(postmortems):
            self._build = postmortems
        else:
            self._postmortems = tuple(postmortems)
        self.problems: tuple[Problem, ...] = tuple(problems)
        self.files: tuple[str, ...] = tuple(files)
        self.deferred_notices: RecurrenceNotices | None = None
        """The recurrence notices, when loading was asked to defer them (they are then not
        in ``problems``)."""

    @property
    def postmortems(self) -> tuple[Postmortem, ...]:
        """The valid postmortems, newest first."""
        if self._postmortems is None:
            assert self._build is not None
            with collector_paused():
                self._postmortems = tuple(self._build())
            self._build = None
        return self._postmortems

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


@contextlib.contextmanager
def collector_paused(*, collect: bool = False, freeze: bool = False) -> Iterator[None]:
    """Pause the cycle collector while thousands of acyclic objects are made.

    Loading makes millions of small dicts, lists and strings, none in a reference cycle, and
    each of CPython's collections would walk all that survived so far. Profiled on 10,000
    postmortems, pausing it cut loading from 5.9 s to 4.0 s (mypy tunes its collector for
    the same reason).

    Args:
        collect: run one collection at the end, for what is only reachable through cycles.
        freeze: at the end, move what survives out of the collector's sight (``gc.freeze``)
            until ``gc.unfreeze``: objects that live to the end of a command need not be
            walked by every later collection.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collect:
            gc.collect()
        if freeze:
            gc.freeze()
        if enabled:
            gc.enable()


def slugify(text: str) -> str:
    """The URL segment of a tag or service: letters and digits (any script) and single hyphens.

    The slug can never climb out of its folder ('/', '.' and '\\' become hyphens) and is
    never empty: a value with no letter or digit gets a short hash of itself.
    """
    return _letters_and_digits(text) or "x-" + hashlib.sha256(text.encode()).hexdigest()[:10]


MAX_VALUE_SLUG = 80


@functools.lru_cache(maxsize=4096)
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

    See ``discover_files``, which also gives each file's path as messages show it.

    Raises:
        ConfigurationError: when the folder does not exist.
    """
    files, problems = discover_files(settings)
    return [path for path, _shown in files], problems


def discover_files(settings: Settings) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """Every file under the postmortems folder, and problems for those that cannot be postmortems.

    See ``_discover``, which gives each file's path as text.

    Raises:
        ConfigurationError: when the folder does not exist.
    """
    files, problems = _discover(settings)
    return [(Path(path), shown) for path, shown in files], problems


def _discover(settings: Settings) -> tuple[list[tuple[str, str]], list[Problem]]:
    """Every file under the postmortems folder (its path, and its path as messages show it),
    and problems for those that cannot be postmortems.

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
    files: list[tuple[str, str]] = []
    problems: list[Problem] = []
    # Paths are joined as strings: Path.relative_to for each of 10,000 files was a third of
    # a warm check, making a Path for each a tenth of what was left (profiled).
    top = str(folder)
    shown_top = settings.display_path(folder)
    shown_top = "" if shown_top == "." else shown_top
    for directory, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(directory)
        inner = directory[len(top) :].replace(os.sep, "/").strip("/")
        shown_base = "/".join(part for part in (shown_top, inner) if part)
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
            path = os.path.join(directory, name)  # noqa: PTH118 - a Path each cost 10%
            shown = f"{shown_base}/{name}" if shown_base else name
            suffix = _suffix(name)
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
                files.append((path, shown))
            elif suffix.lower() in MARKDOWN_SUFFIXES:
                problems.append(
                    Problem(
                        shown,
                        None,
                        None,
                        f"has the extension {suffix!r}: rename it to {name[: -len(suffix)]}.md "
                        "so that it is published",
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


def _suffix(name: str) -> str:
    """``Path(name).suffix``, without making a path (a tenth of discovering 10,000 files)."""
    dot = name.rfind(".")
    return name[dot:] if 0 < dot < len(name) - 1 else ""


def load_knowledge_base(
    settings: Settings,
    validator: SchemaValidator | None = None,
    today: dt.date | None = None,
    cache: ResultCache | None = None,
    defer_notices: bool = False,
    jobs: int = 1,
) -> KnowledgeBase:
    """Load, validate, build and lint every postmortem of a knowledge base.

    The lint rules run on every postmortem that could be built, in the same pass, and the
    configured rule levels are applied once, at the end, for the plugin and the command alike.

    Args:
        settings: the knowledge base's settings.
        validator: a compiled validator to reuse; by default one is made from the schema
            (with a cache, only when a file needs it).
        today: the build date that process deadlines count to; by default ``build_date()``.
        cache: per-file results from earlier runs (see ``cache.py``): a file whose bytes have
            not changed is not parsed, validated or linted again. The rules across files
            always run again, over what the cache kept of each file.
        defer_notices: leave the recurrence notices (PM501) out of ``problems`` and put them
            in ``deferred_notices``, to count or write on demand; only while PM501 keeps its
            level, notice (a notice never fails a check).
        jobs: how many processes may check files (see ``check_files``); documents are not
            kept when more than one does, so the plugin, which needs them, uses one.

    Raises:
        ConfigurationError: when the folder, the schema or ``SOURCE_DATE_EPOCH`` cannot be used.
    """
    if today is None:
        today = build_date()
    with collector_paused():
        if validator is None and (cache is None or not cache.loaded_from_disk):
            validator = SchemaValidator(load_schema(settings.schema_path, settings.severities))
        return _load(settings, validator, today, cache, defer_notices, jobs)


def _load(
    settings: Settings,
    validator: SchemaValidator | None,
    today: dt.date,
    cache: ResultCache | None,
    defer_notices: bool = False,
    jobs: int = 1,
) -> KnowledgeBase:
    paths, problems = _discover(settings)
    if cache is not None:
        cache.start_pass()
    shared: SharedValues = {}
    keep_documents = cache is None or cache.folder is None
    # What the rules across files read of each file, and how to get each valid one's
    # postmortem (at hand, or parsed again on demand for a result from the disk cache).
    views: list[FileView] = []
    valid: list[FileView] = []
    results: dict[str, tuple[str, FileResult]] = {}
    day = today.isoformat()
    # First each file's result from the cache, or its bytes to check; then the files to
    # check (on several cores when there are many); then, in the files' order, their results.
    entries: list[tuple[str, str, FileResult | Problem | None]] = []
    pending: list[tuple[int, bytes, str, Path, str]] = []
    for path, shown in paths:
        result = None
        if cache is not None:
            info = _lstat(path)
            if info is not None and stat.S_ISREG(info.st_mode):
                result = cache.unchanged(shown, signature(info), day)
        if result is None:
            read_at = time.time_ns()
            raw = read_bytes(Path(path), shown, settings.max_file_bytes)
            if isinstance(raw, Problem):
                entries.append((path, shown, raw))
                continue
            digest = hashlib.sha256(raw).hexdigest()
            result = cache.get(shown, digest, day) if cache is not None else None
            if result is None:
                pending.append((len(entries), raw, shown, Path(path), digest))
            if cache is not None:
                info = _lstat(path)
                cache.record_signature(
                    shown, None if info is None else settled_signature(info, read_at)
                )
        entries.append((path, shown, result))
    if pending:
        if validator is None:
            # The cache came from disk under a key that holds the schema's hash, and is
            # written only after the schema passed its metaschema check.
            validator = SchemaValidator(
                load_schema(settings.schema_path, settings.severities, check=False)
            )
        checked = check_files(
            [(raw, shown, path, digest) for _index, raw, shown, path, digest in pending],
            validator,
            settings,
            today,
            shared,
            jobs=1 if keep_documents else jobs,
            keep_documents=keep_documents,
        )
        for (index, _raw, shown, _abs, _digest), result in zip(pending, checked, strict=True):
            entries[index] = (entries[index][0], shown, result)
            if cache is not None:
                cache.put(shown, result)
    for path, shown, found in entries:
        if isinstance(found, Problem):
            problems.append(found)
            continue
        assert found is not None
        result = found
        problems.extend(result.problems)
        view: FileView | None = None
        if keep_documents and result.document is not None:
            view = result.document
        elif result.summary is not None:
            # The fields the rules across files read stand in for the whole document.
            view = result.summary
        if view is not None:
            views.append(view)
            if result.valid:
                valid.append(view)
                results[shown] = (path, result)
    problems.extend(cross_file_problems(views))
    slugs, slug_problems = _assign_slugs(paths, settings)
    problems.extend(slug_problems)
    problems.extend(name_collisions(valid))
    unpublishable = {problem.file for problem in problems if _is_unpublishable(problem)}
    publishable = [
        (view.file, *results[view.file]) for view in valid if view.file not in unpublishable
    ]
    # The lint rules: each file's own findings came with its result; the recurrence notices
    # look across files, over the facts each result kept.
    facts = []
    for _file, _path, result in publishable:
        problems.extend(result.lint)
        assert result.summary is not None and result.summary.recurrence is not None
        facts.append(result.summary.recurrence)
    facts.sort(key=lambda fact: (fact.date, fact.id), reverse=True)
    notices = RecurrenceNotices(facts, settings)
    defer_notices = defer_notices and settings.rule_levels.get("PM501", "notice") == "notice"
    if not defer_notices:
        problems.extend(notices.problems())
    if cache is not None:
        cache.save()
    leveled = apply_rule_levels(problems, settings.rule_levels)

    def build() -> list[Postmortem]:
        postmortems = []
        for file, path, result in publishable:
            postmortem = result.postmortem
            if postmortem is None or postmortem.slug != slugs[file]:
                document = result.document or _reload(Path(path), file, result.digest, settings)
                postmortem = build_postmortem(document, slugs[file])
            postmortems.append(postmortem)
        postmortems.sort(key=lambda pm: (pm.date, pm.id), reverse=True)
        return postmortems

    knowledge_base = KnowledgeBase(
        postmortems=build if not keep_documents else build(),
        # Duplicates are dropped keeping the first, which keeps the order in which problems
        # were found, mostly sorted already: sorting a set's order took longer than the
        # rules across files. It also orders problems that differ only in field or level
        # the same way on every run.
        problems=sorted(dict.fromkeys(leveled), key=Problem.sort_key),
        files=[shown for _path, shown in paths],
    )
    if defer_notices:
        knowledge_base.deferred_notices = notices
    return knowledge_base


DATED_STATUSES = frozenset({"draft", "in-review"})
"""The statuses whose lint findings depend on the build date (the process deadlines, PM409
and PM410): a cached result of such a file holds only for the day it was linted."""


def check_file(
    raw: bytes,
    file: str,
    abs_path: Path,
    validator: SchemaValidator,
    settings: Settings,
    today: dt.date,
    shared: SharedValues | None = None,
    digest: str | None = None,
) -> FileResult:
    """Read, validate and lint one file on its own: everything the cache keeps about it."""
    loaded = load_text(raw, file, abs_path, shared, digest)
    document = loaded.document
    found = list(loaded.problems)
    if document is None:
        digest = digest or hashlib.sha256(raw).hexdigest()
        return FileResult(digest, tuple(found), False, None)
    schema_problems = validator.problems(document)
    if not any(problem.level == "error" for problem in schema_problems):
        schema_problems.extend(timeline_problems(document))
        schema_problems.extend(final_action_items_problems(document))
        schema_problems.extend(
            vocabulary_problems(
                document,
                categories=settings.root_cause_categories,
                aliases=settings.taxonomy,
                services=settings.services,
                tags=settings.tags,
            )
        )
    found.extend(schema_problems)
    valid = not any(problem.code == "PM101" for problem in schema_problems)
    if not valid:
        return FileResult(document.digest, tuple(found), False, Summary.of(document), document)
    postmortem = build_postmortem(document, page_slug(abs_path.stem))
    lint = tuple(lint_postmortem(postmortem, settings, today))
    return FileResult(
        document.digest,
        tuple(found),
        True,
        Summary.of(document, RecurrenceFacts.of(postmortem)),
        document,
        lint,
        today.isoformat() if postmortem.status in DATED_STATUSES else None,
        postmortem,
    )


PARALLEL_MIN_FILES = 400
"""Fewer files to check than this are checked in this process: starting workers costs more."""


def check_files(
    files: Sequence[tuple[bytes, str, Path, str]],
    validator: SchemaValidator,
    settings: Settings,
    today: dt.date,
    shared: SharedValues | None = None,
    jobs: int = 1,
    keep_documents: bool = True,
) -> list[FileResult]:
    """``check_file`` for each of ``files`` (bytes, shown path, path, digest), in order.

    With ``jobs`` above one and at least ``PARALLEL_MIN_FILES`` files, on a system that can
    fork, the files are shared out between that many worker processes (each inherits the
    compiled validator); their results keep no document or postmortem (the cache does not
    store them; a postmortem is built again on demand). The results are the same either way.
    Without ``keep_documents``, no result keeps them (a check needs none: ten thousand parsed
    documents held over 100 MB).
    """
    workers = min(jobs, len(files) // (PARALLEL_MIN_FILES // 2) or 1)
    if workers <= 1 or len(files) < PARALLEL_MIN_FILES or not _can_fork():
        results = []
        for raw, shown, path, digest in files:
            result = check_file(raw, shown, path, validator, settings, today, shared, digest)
            if not keep_documents:
                result = result._replace(document=None, postmortem=None)
            results.append(result)
        return results
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    global _WORKER_STATE
    _WORKER_STATE = (validator, settings, today)
    try:
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            chunk = max(1, min(64, len(files) // (workers * 8)))
            return list(pool.map(_check_in_worker, files, chunksize=chunk))
    finally:
        _WORKER_STATE = None


_WORKER_STATE: tuple[SchemaValidator, Settings, dt.date] | None = None
"""What a forked worker of ``check_files`` checks with (set just before the fork)."""


def _can_fork() -> bool:
    import multiprocessing

    return "fork" in multiprocessing.get_all_start_methods()


def _check_in_worker(item: tuple[bytes, str, Path, str]) -> FileResult:
    assert _WORKER_STATE is not None
    validator, settings, today = _WORKER_STATE
    raw, shown, path, digest = item
    result = check_file(raw, shown, path, validator, settings, today, _WORKER_SHARED, digest)
    return result._replace(document=None, postmortem=None)


_WORKER_SHARED: SharedValues = {}


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _reload(path: Path, file: str, digest: str, settings: Settings) -> SourceDocument:
    """Read a file again, for a postmortem whose check came from the cache."""
    raw = read_bytes(path, file, settings.max_file_bytes)
    document = None if isinstance(raw, Problem) else load_text(raw, file, path).document
    if document is None or document.digest != digest:
        raise ConfigurationError(
            f"{file} changed while the knowledge base was being loaded: run again"
        )
    return document


def _is_unpublishable(problem: Problem) -> bool:
    """A problem that keeps its file from being built: its rule's level cannot be lowered."""
    rule = RULES_BY_CODE.get(problem.code)
    return problem.level == "error" and (rule is None or rule.fixed)


def _assign_slugs(
    paths: Sequence[tuple[str, str]], settings: Settings
) -> tuple[dict[str, str], list[Problem]]:
    """The page slug of each file (keyed by its path as shown), and the problems of slugs."""
    slugs: dict[str, str] = {}
    owners: dict[str, str] = {}
    problems: list[Problem] = []
    for path, shown in paths:
        name = shown.rpartition("/")[2]
        suffix = _suffix(name)
        stem = name[: -len(suffix)] if suffix else name
        slug = page_slug(stem)
        slugs[shown] = slug
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
                    f"the name {stem!r} is reserved for the list of postmortems: rename the file",
                    "PM206",
                )
            )
            continue
        other = owners.get(slug.casefold())
        if other is not None:
            other_path = Path(other)
            if stem == other_path.stem:
                reason = "page URLs leave out folders"
            elif stem.casefold() == other_path.stem.casefold():
                reason = "URLs ignore case"
            else:
                reason = "both names reduce to that URL"
            for this, that in ((Path(path), other_path), (other_path, Path(path))):
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


def name_collisions(documents: Iterable[FileView]) -> list[Problem]:
    """Tags or services spelled so that they would share one page (``Database``, ``database``)."""
    problems: list[Problem] = []
    documents = documents if isinstance(documents, list) else list(documents)
    slugs: dict[str, str] = {}
    for field_name in ("services", "tags"):
        # The first file of each spelling, then the spellings by slug: the same few values
        # recur in thousands of files, and each is slugged and grouped once.
        first: dict[str, FileView] = {}
        for document in documents:
            values = document.front_matter.get(field_name)
            if not isinstance(values, list):
                continue  # the schema reports it
            for value in values:
                if isinstance(value, str) and value not in first:
                    first[value] = document
        spellings: dict[str, dict[str, FileView]] = {}
        for value, document in first.items():
            slug = slugs.get(value)
            if slug is None:
                slug = slugs[value] = value_slug(value)
            spellings.setdefault(slug, {})[value] = document
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
