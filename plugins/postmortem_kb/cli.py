"""The pmkb command: start, check, export and scaffold a postmortem knowledge base.

Exit codes: 0 success; 1 the knowledge base has errors (or warnings under ``check
--strict``); 2 a usage or configuration error. Every failure is a message, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from postmortem_kb.cache import ResultCache, check_settings, open_cache
from postmortem_kb.knowledge_base import (
    KnowledgeBase,
    collector_paused,
    discover,
    load_knowledge_base,
    page_slug,
)
from postmortem_kb.loader import load_file, load_text
from postmortem_kb.model import Problem
from postmortem_kb.reporting import (
    MAX_NOTICES_LISTED,
    REPORTERS,
    CheckResult,
    GithubReporter,
    Reporter,
    TextReporter,
    escape_data,
    with_deferred_notices,
)
from postmortem_kb.settings import ConfigurationError, Settings, build_date
from postmortem_kb.validation import SchemaValidator, load_schema

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_USAGE = 2

F = TypeVar("F", bound=Callable[..., Any])


class Refused(click.ClickException):
    """A configuration problem or a refusal (a file that exists): exit 2, no usage banner."""

    exit_code = EXIT_USAGE


def configuration_errors_are_usage_errors(command: F) -> F:
    """Turn a ``ConfigurationError`` or an ``OSError`` into exit code 2 with its message."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except ConfigurationError as error:
            raise Refused(str(error)) from None
        except OSError as error:
            where = f" {error.filename}" if error.filename else ""
            raise Refused(f"cannot use{where}: {error.strerror or error}") from None

    return wrapper  # type: ignore[return-value]


def _settings(config_file: str, *, reuse_options: bool = False) -> Settings:
    """The settings of ``config_file``; ``reuse_options``: from the check's cache if it can
    vouch for them (see ``check_settings``)."""
    context = click.get_current_context()
    path = Path(config_file)
    source = context.get_parameter_source("config_file")
    if source is not click.core.ParameterSource.DEFAULT and not path.is_file():
        raise click.BadParameter(
            f"{config_file!r} is not a file", param_hint="'-f' / '--config-file'"
        )
    if reuse_options:
        return check_settings(path)
    from postmortem_kb.config import load_settings  # MkDocs' configuration machinery

    return load_settings(path)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="postmortem-kb", prog_name="pmkb")
def main() -> None:
    """Start, check, export and scaffold a knowledge base of blameless postmortems."""


config_option = click.option(
    "-f",
    "--config-file",
    default="mkdocs.yml",
    show_default=True,
    help="The site's mkdocs.yml, whose 'postmortems' plugin options apply.",
)


# The per-file result cache of `pmkb check` (see cache.py), on by default.
no_cache_option = click.option(
    "--no-cache",
    is_flag=True,
    help="Check every file afresh; do not read or write the .pmkb-cache/ folder.",
)


def _check_cache(settings: Settings, no_cache: bool) -> ResultCache | None:
    return None if no_cache else open_cache(settings)


# --- check ----------------------------------------------------------------------------------


def report_scope(paths: Sequence[Path], settings: Settings) -> Callable[[str], bool]:
    """Which files to report on: those under ``paths`` (all of them when none is given).

    A path outside the postmortems folder (``mkdocs.yml``, a schema) changes how every
    postmortem is checked, so it selects them all.

    Raises:
        click.BadParameter: for a path that does not exist.
    """
    if not paths:
        return lambda file: True
    selected: list[str] = []
    folder = settings.postmortems_dir
    for path in paths:
        if not path.exists():
            raise click.BadParameter(f"{str(path)!r} does not exist", param_hint="'PATHS...'")
        resolved = path.resolve()
        if resolved != folder and folder not in resolved.parents:
            return lambda file: True
        selected.append(settings.display_path(resolved))

    def wanted(file: str) -> bool:
        return any(file == shown or file.startswith(shown.rstrip("/") + "/") for shown in selected)

    return wanted


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(list(REPORTERS)),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for workflow annotations.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too, as 'mkdocs build --strict'.")
@click.option(
    "--notices",
    "all_notices",
    is_flag=True,
    help=f"text: list every notice; past {MAX_NOTICES_LISTED} they are only counted by rule.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    envvar="PMKB_JOBS",
    help="How many processes check files that are not in the cache (only when there are "
    "hundreds); default: the number of available cores. Also PMKB_JOBS.",
)
@config_option
@no_cache_option
@configuration_errors_are_usage_errors
def check(
    paths: tuple[Path, ...],
    output_format: str,
    strict: bool,
    all_notices: bool,
    jobs: int | None,
    config_file: str,
    no_cache: bool,
) -> None:
    """Check the whole knowledge base as the site build does; report on PATHS (default: all).

    Cross-file rules need every postmortem, so the whole knowledge base is always checked.
    Exit 0 when there is no error, 1 when there are errors (or warnings with --strict), 2 for
    a usage or configuration error.
    """
    # A check makes hundreds of thousands of objects (a result for each file, cached or not)
    # that live until it ends and hold no cycle: when the collector came back on after
    # loading, its first two collections walked them all, and the exit's collection again.
    # Profiled on a warm check of 10,000 files, that was 0.11 s of 0.6 s of CPU. Frozen
    # objects are still freed by reference counting when dropped; a program that runs checks
    # in-process (the tests do) keeps only what was already unreachable cyclic garbage.
    with collector_paused(freeze=True):
        _check(paths, output_format, strict, all_notices, jobs, config_file, no_cache)


def _check(
    paths: tuple[Path, ...],
    output_format: str,
    strict: bool,
    all_notices: bool,
    jobs: int | None,
    config_file: str,
    no_cache: bool,
) -> None:
    try:
        settings = _settings(config_file, reuse_options=not no_cache)
        # A text report lists notices only when they are few: until that is known, the
        # recurrence notices are counted, not written.
        knowledge_base = load_knowledge_base(
            settings,
            cache=_check_cache(settings, no_cache),
            defer_notices=output_format == "text" and not all_notices,
            jobs=jobs or available_cores(),
        )
        wanted = report_scope(paths, settings)
    except ConfigurationError as error:
        _fail_configuration(str(error), output_format)
    problems = tuple(problem for problem in knowledge_base.problems if wanted(problem.file))
    problems, counts = with_deferred_notices(problems, knowledge_base.deferred_notices, wanted)
    unlisted = tuple((file, "PM501", count) for file, count in sorted(counts.items()))
    # Files that are not postmortems (an image, a .markdown file) count once they are reported.
    files = {file for file in knowledge_base.files if wanted(file)}
    files.update(problem.file for problem in problems)
    files.update(file for file, _code, _count in unlisted)
    result = CheckResult(
        files=tuple(sorted(files)), problems=problems, strict=strict, unlisted_notices=unlisted
    )
    reporter: Reporter
    if output_format == "github":
        reporter = GithubReporter(root=settings.root)
    elif output_format == "text":
        reporter = TextReporter(all_notices=all_notices)
    else:
        reporter = REPORTERS[output_format]()
    reporter.report(result)
    sys.exit(result.exit_code)


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on every system
        return os.cpu_count() or 1


def _fail_configuration(message: str, output_format: str) -> NoReturn:
    if output_format == "github":
        click.echo(f"::error title=pmkb check::{escape_data(message)}")
    raise Refused(message)


# --- export ---------------------------------------------------------------------------------


@main.command()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json", "csv"]),
    default="json",
    show_default=True,
    help="json: the site's postmortems.json; csv: one row per postmortem.",
)
@config_option
@configuration_errors_are_usage_errors
def export(output_format: str, config_file: str) -> None:
    """Print the knowledge base to standard output, as JSON or CSV.

    JSON is the same data as the site's postmortems.json. Exit 1 (printing the errors) when
    the knowledge base has errors.
    """
    # Imported here: a check, the command that runs most often, never needs it.
    from postmortem_kb.export import export_data, to_csv, to_json

    settings = _settings(config_file)
    today = build_date()
    knowledge_base = load_knowledge_base(settings, today=today)
    _refuse_errors(knowledge_base)
    if output_format == "csv":
        click.echo(to_csv(knowledge_base.postmortems, today, settings.taxonomy), nl=False)
        return
    data = export_data(
        knowledge_base.postmortems,
        today,
        settings.taxonomy,
        settings.recurring_threshold,
        severities=settings.severities,
    )
    click.echo(to_json(data), nl=False)


def _refuse_errors(knowledge_base: KnowledgeBase) -> None:
    if knowledge_base.errors:
        for problem in knowledge_base.errors:
            click.echo(f"{problem} [{problem.code}]", err=True)
        click.echo("pmkb: fix these errors first ('pmkb check' lists every problem)", err=True)
        sys.exit(EXIT_PROBLEMS)


# --- new ------------------------------------------------------------------------------------

_OPTION_OF_FIELD = {"title": "TITLE", "services": "--service", "tags": "--tag", "date": "--date"}


def _severity(value: str, severities: Sequence[str]) -> str:
    if value in severities:
        return value
    by_fold = {severity.casefold(): severity for severity in severities}
    if value.casefold() in by_fold:
        return by_fold[value.casefold()]
    squeezed = {re.sub(r"[\W_]+", "", severity).casefold(): severity for severity in severities}
    guess = squeezed.get(re.sub(r"[\W_]+", "", value).casefold())
    if guess is None:
        guess = _closest(value, severities)
    hint = f"; did you mean {guess!r}?" if guess else ""
    raise click.BadParameter(
        f"{value!r} is not one of {', '.join(severities)}{hint}", param_hint="'--severity'"
    )


def _closest(value: str, choices: Sequence[str]) -> str | None:
    """The one choice closest to a value, or ``None`` when none is close or several tie."""
    import difflib  # only for a mistyped option: not worth every start's import time

    scores = sorted(
        (
            (difflib.SequenceMatcher(None, value.casefold(), c.casefold()).ratio(), c)
            for c in choices
        ),
        reverse=True,
    )
    if not scores or scores[0][0] < 0.6 or (len(scores) > 1 and scores[1][0] == scores[0][0]):
        return None
    return scores[0][1]


def _incident_date(value: str | None) -> dt.date:
    if value is None:
        return build_date()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date: write YYYY-MM-DD, e.g. 2024-03-15", param_hint="'--date'"
        ) from None


def known_ids(settings: Settings) -> set[str]:
    """The ids of every postmortem file that can be read, valid or not."""
    paths, _ = discover(settings)
    ids: set[str] = set()
    for path in paths:
        document = load_file(path, settings.display_path(path), settings.max_file_bytes).document
        identifier = document.front_matter.get("id") if document is not None else None
        if isinstance(identifier, str):
            ids.add(identifier)
    return ids


def _check_new_file(text: str, shown: str, path: Path, settings: Settings) -> None:
    """Refuse to write a file that would not pass the schema, naming the option to change."""
    result = load_text(text.encode("utf-8"), shown, path)
    problems: list[Problem] = list(result.problems)
    if result.document is not None:
        validator = SchemaValidator(load_schema(settings.schema_path, settings.severities))
        problems.extend(validator.problems(result.document))
    errors = [problem for problem in problems if problem.level == "error"]
    if not errors:
        return
    lines = []
    for problem in errors:
        field = (problem.field or "").split("[")[0].split(".")[0]
        option = _OPTION_OF_FIELD.get(field)
        if option is not None:
            lines.append(f"Invalid value for {option}: {problem.message}")
        else:
            lines.append(f"the template made an invalid postmortem: {problem}")
    raise click.UsageError("\n".join(lines))


@main.command()
@click.argument("title")
@click.option(
    "--severity", required=True, help="One of the configured levels, e.g. SEV2 (worst: SEV1)."
)
@click.option(
    "--service",
    "services",
    multiple=True,
    required=True,
    help="A service affected; repeat for each.",
)
@click.option("--tag", "tags", multiple=True, help="A tag; repeat for each.")
@click.option("--quick", is_flag=True, help="Use the quick form whatever the severity.")
@click.option(
    "--date",
    "incident_date",
    metavar="YYYY-MM-DD",
    help="The day the incident began. Default: the build date (today, or SOURCE_DATE_EPOCH).",
)
@config_option
@configuration_errors_are_usage_errors
def new(
    title: str,
    severity: str,
    services: tuple[str, ...],
    tags: tuple[str, ...],
    quick: bool,
    incident_date: str | None,
    config_file: str,
) -> None:
    """Write a new draft postmortem named after TITLE and print its path.

    It gets the next free id, status draft, and the full form (the two worst severities) or
    the quick form (the others, or --quick). It never overwrites a file.
    """
    # Imported here: the templates' machinery (Jinja) is not worth a check's start-up time.
    from postmortem_kb.authoring import (
        NewPostmortem,
        file_slug,
        next_id,
        render_new,
        uses_quick_form,
    )

    settings = _settings(config_file)
    level = _severity(severity, settings.severities)
    day = _incident_date(incident_date)
    identifier = next_id(settings.id_format, day.year, known_ids(settings))
    draft = NewPostmortem(
        id=identifier,
        title=title,
        date=day,
        severity=level,
        services=tuple(dict.fromkeys(services)),
        tags=tuple(dict.fromkeys(tags)),
        quick=uses_quick_form(level, settings.severities, quick),
    )
    text = render_new(draft, settings.templates_dir)
    slug = file_slug(title, identifier)
    path = settings.postmortems_dir / f"{day.isoformat()}-{slug}.md"
    shown = settings.display_path(path)
    _check_new_file(text, shown, path, settings)
    taken = {page_slug(existing.stem).casefold(): existing for existing in discover(settings)[0]}
    clash = taken.get(page_slug(path.stem).casefold())
    if clash is not None:
        raise Refused(
            f"{settings.display_path(clash)} already exists: edit it, or give another title"
        )
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise Refused(f"{shown} already exists: edit it, or give another title") from None
    click.echo(shown)
    if draft.quick and not uses_quick_form(level, settings.severities, False):
        click.echo(
            f"note: a {level} postmortem uses the full form; 'pmkb check' warns (PM404) until "
            "its sections are added",
            err=True,
        )


# --- init -----------------------------------------------------------------------------------


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def init(directory: Path) -> None:
    """Create a new knowledge base in DIRECTORY that builds at once with 'mkdocs build'."""
    if directory.exists() and any(directory.iterdir()):
        raise click.UsageError(f"{directory} exists and is not empty; choose a new folder")
    scaffold = resources.files("postmortem_kb").joinpath("scaffold")
    _copy_tree(scaffold, directory)
    click.echo(f"Created a knowledge base in {directory}")
    click.echo(f"Next: cd {directory} && mkdocs serve")


def _copy_tree(source: resources.abc.Traversable, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(source.iterdir(), key=lambda item: item.name):
        name = entry.name
        if name == "__pycache__":
            continue
        destination = target / ("." + name[4:] if name.startswith("dot-") else name)
        if entry.is_dir():
            _copy_tree(entry, destination)
        else:
            with entry.open("rb") as reader, destination.open("wb") as writer:
                shutil.copyfileobj(reader, writer)
