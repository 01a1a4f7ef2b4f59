"""Report the result of ``pmkb check``: text for people, JSON for tools, GitHub annotations.

Reporters take a ``CheckResult`` and write it, as check-jsonschema's do; they never decide
what is a problem, only how it is shown.
"""

from __future__ import annotations

import abc
import json
import os
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from postmortem_kb.model import Problem
from postmortem_kb.rules import LEVEL_ORDER, RULES_BY_CODE

if TYPE_CHECKING:
    from postmortem_kb.lint import RecurrenceNotices

JSON_FORMAT_VERSION = 1
"""Bumped when the JSON output changes incompatibly."""
MAX_SUMMARY_ROWS = 1000
"""GitHub caps a step summary at 1 MiB; past this many rows the summary counts the rest."""
MAX_NOTICES_LISTED = 100
"""Past this many notices, the text output counts them by rule instead of listing them."""
MAX_NOTICE_ANNOTATIONS = 10
"""The github output annotates at most this many notices (GitHub shows 10 of a kind per
step); errors and warnings are always all annotated, and the step summary counts the rest."""

Echo = Callable[[str], None]


def with_deferred_notices(
    problems: tuple[Problem, ...],
    deferred: RecurrenceNotices | None,
    wanted: Callable[[str], bool] | None = None,
) -> tuple[tuple[Problem, ...], dict[str, int]]:
    """``problems`` with the deferred recurrence notices, or with their count per file.

    The notices are written in among the problems (in order) when, with the notices already
    there, there are at most ``MAX_NOTICES_LISTED``; past that they stay unwritten and are
    counted, per file. ``wanted`` keeps the notices of some files only; ``problems`` are
    expected to be of those files already. The build and ``pmkb check`` list notices alike.
    """
    if deferred is None:
        return problems, {}
    counts = {
        file: count for file, count in deferred.counts().items() if wanted is None or wanted(file)
    }
    listed = sum(1 for problem in problems if problem.level == "notice")
    if listed + sum(counts.values()) > MAX_NOTICES_LISTED:
        return problems, counts
    written = sorted((*problems, *deferred.problems(wanted)), key=Problem.sort_key)
    return tuple(written), {}


@dataclass(frozen=True)
class CheckResult:
    """What ``pmkb check`` found in the files it reports on.

    Attributes:
        files: the postmortem files reported on (all, or those under the given paths).
        problems: their problems, sorted by file, line and code.
        strict: whether warnings fail the check.
        unlisted_notices: notices counted but not written (a text report that would not list
            them): (file, rule code, how many) each; they count as problems of their files.
    """

    files: tuple[str, ...]
    problems: tuple[Problem, ...]
    strict: bool = False
    unlisted_notices: tuple[tuple[str, str, int], ...] = ()

    def count(self, level: str) -> int:
        """How many problems have a level."""
        found = sum(1 for problem in self.problems if problem.level == level)
        if level == "notice":
            found += sum(count for _file, _code, count in self.unlisted_notices)
        return found

    @property
    def failed(self) -> bool:
        """Whether the check fails: any error, or any warning under ``--strict``."""
        return self.count("error") > 0 or (self.strict and self.count("warning") > 0)

    @property
    def exit_code(self) -> int:
        """0 when the check passes, 1 when it fails."""
        return 1 if self.failed else 0

    @property
    def files_with_problems(self) -> int:
        """How many files have at least one problem."""
        files = {problem.file for problem in self.problems}
        files.update(file for file, _code, _count in self.unlisted_notices)
        return len(files)

    def tally(self) -> str:
        """``2 errors, 1 warning and 0 notices in 2 of 15 files checked``."""
        if not self.problems and not self.unlisted_notices:
            return f"{_plural(len(self.files), 'file')} checked: no problems"
        counts = [
            _plural(self.count("error"), "error"),
            _plural(self.count("warning"), "warning"),
            _plural(self.count("notice"), "notice"),
        ]
        text = (
            f"{counts[0]}, {counts[1]} and {counts[2]} in {self.files_with_problems:,} of "
            f"{_plural(len(self.files), 'file')} checked"
        )
        if self.strict and self.count("warning") and not self.count("error"):
            text += " (--strict: warnings fail the check)"
        return text


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def _located(problem: Problem) -> str:
    return f"{problem.field}: {problem.message}" if problem.field else problem.message


class Reporter(abc.ABC):
    """Writes a check result somewhere."""

    def __init__(self, echo: Echo = click.echo) -> None:
        """Write lines with ``echo`` (standard output by default)."""
        self.echo = echo

    @abc.abstractmethod
    def report(self, result: CheckResult) -> None:
        """Write the result."""


_LEVEL_COLOURS = {"error": "red", "warning": "yellow", "notice": "blue"}


class TextReporter(Reporter):
    """For people: problems grouped by file, then a count.

    ``postmortems/a.md`` on its own line, then one indented line per problem: the line
    number, the level, the rule code, the field and the message. Notices are listed when
    there are at most ``MAX_NOTICES_LISTED`` of them (or with ``all_notices``); past that
    they are counted by rule: in a knowledge base of thousands of postmortems nearly every
    one shares a root cause with others, and thousands of recurrence notices would bury
    the errors. Naming the files to report on lists theirs.
    """

    def __init__(self, echo: Echo = click.echo, *, all_notices: bool = False) -> None:
        """Write lines with ``echo``; ``all_notices`` lists every notice however many."""
        super().__init__(echo)
        self.all_notices = all_notices

    def report(self, result: CheckResult) -> None:
        """Write the problems grouped by file, then the tally."""
        problems = result.problems
        notices = result.count("notice")
        counted = not self.all_notices and notices > MAX_NOTICES_LISTED
        if counted:
            problems = tuple(problem for problem in problems if problem.level != "notice")
        # One write for the whole report: thousands of echo calls cost more than the check.
        lines = []
        for file, in_file in groupby(problems, key=lambda problem: problem.file):
            lines.append(click.style(file, bold=True))
            for problem in in_file:
                line = str(problem.line) if problem.line is not None else "-"
                level = click.style(f"{problem.level:<7}", fg=_LEVEL_COLOURS[problem.level])
                lines.append(f"  {line:>5}  {level}  {problem.code}  {_located(problem)}")
        if problems:
            lines.append("")
        if counted:
            lines.append(_notices_not_listed(result))
        lines.append(result.tally())
        self.echo("\n".join(lines))


def _notices_not_listed(result: CheckResult) -> str:
    """``12,755 notices not listed (PM501 recurrence: 12,755): ...``."""
    by_code = Counter(problem.code for problem in result.problems if problem.level == "notice")
    for _file, code, count in result.unlisted_notices:
        by_code[code] += count
    rules = ", ".join(
        f"{code} {RULES_BY_CODE[code].name if code in RULES_BY_CODE else 'notice'}: {count:,}"
        for code, count in sorted(by_code.items())
    )
    return (
        f"{_plural(sum(by_code.values()), 'notice')} not listed ({rules}): name files to list "
        "theirs ('pmkb check postmortems/FILE.md'), or add --notices to list them all"
    )


class JsonReporter(Reporter):
    """For tools: one JSON object (see the command's documentation for its shape)."""

    def report(self, result: CheckResult) -> None:
        """Write the result as one JSON document."""
        self.echo(json.dumps(json_result(result), indent=2, ensure_ascii=False))


def json_result(result: CheckResult) -> dict[str, Any]:
    """The JSON shape of a check result."""
    return {
        "version": JSON_FORMAT_VERSION,
        "ok": not result.failed,
        "strict": result.strict,
        "files_checked": len(result.files),
        "counts": {level: result.count(level) for level in LEVEL_ORDER},
        "problems": [
            {
                "file": problem.file,
                "line": problem.line,
                "field": problem.field,
                "code": problem.code,
                "rule": RULES_BY_CODE[problem.code].name if problem.code in RULES_BY_CODE else "",
                "level": problem.level,
                "message": problem.message,
            }
            for problem in result.problems
        ],
    }


def escape_data(text: str) -> str:
    """Escape a workflow command's message: ``%``, CR and LF (GitHub's ``escapeData``)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: also ``:`` and ``,`` (``escapeProperty``)."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(problem: Problem, file: str) -> str:
    """One GitHub workflow command: ``::error file=..,line=..,title=PM101::message``."""
    properties = [f"file={escape_property(file)}"]
    if problem.line is not None:
        properties.append(f"line={problem.line}")
    properties.append(f"title={escape_property(problem.code)}")
    return f"::{problem.level} {','.join(properties)}::{escape_data(_located(problem))}"


class GithubReporter(Reporter):
    """For GitHub Actions: an annotation per problem, and a Markdown step summary.

    Annotation paths are relative to ``GITHUB_WORKSPACE`` (the checkout) when the knowledge
    base lies inside it, so they point at the right file when ``mkdocs.yml`` is in a
    subfolder. When ``GITHUB_STEP_SUMMARY`` names a file, a table of every problem is
    appended to it: GitHub shows only a few annotations per step.
    """

    def __init__(
        self,
        echo: Echo = click.echo,
        *,
        root: Path | None = None,
        environ: Mapping[str, str] | None = None,
        warn: Echo | None = None,
    ) -> None:
        """``root`` is the knowledge base's folder; ``environ`` defaults to the process's."""
        super().__init__(echo)
        self.root = root
        self.environ = os.environ if environ is None else environ
        self.warn = warn or (lambda text: click.echo(text, err=True))

    def report(self, result: CheckResult) -> None:
        """Write the annotations and the tally, then append the step summary.

        Every error and warning is annotated; notices only up to ``MAX_NOTICE_ANNOTATIONS``
        (GitHub would show no more, and a large knowledge base has thousands of recurrence
        notices): a line after the annotations and the step summary count the others.
        """
        lines = []
        notices = 0
        for problem in result.problems:
            if problem.level == "notice":
                notices += 1
                if notices > MAX_NOTICE_ANNOTATIONS:
                    continue
            lines.append(annotation(problem, self.workspace_path(problem.file)))
        unannotated = max(notices - MAX_NOTICE_ANNOTATIONS, 0)
        if unannotated:
            lines.append(_unannotated_line(unannotated))
        lines.append(result.tally())
        # One write: ten thousand echo calls cost more than the check.
        self.echo("\n".join(lines))
        summary = self.environ.get("GITHUB_STEP_SUMMARY", "")
        if summary:
            try:
                with Path(summary).open("a", encoding="utf-8") as handle:
                    handle.write(step_summary(result, unannotated))
            except OSError as error:
                self.warn(f"pmkb: cannot write the step summary to {summary}: {error.strerror}")

    def workspace_path(self, file: str) -> str:
        """A problem's file relative to the GitHub workspace, when the file lies inside it."""
        workspace = self.environ.get("GITHUB_WORKSPACE", "")
        if not workspace or self.root is None:
            return file
        try:
            return (self.root / file).resolve().relative_to(Path(workspace).resolve()).as_posix()
        except (ValueError, OSError):
            return file


_MARKDOWN_SPECIAL = re.compile(r"[\\`*_\[\]<>|&~$@]")


def markdown_cell(value: object) -> str:
    """Text for a Markdown table cell that stays text: no cell break, markup, HTML or mention.

    The characters that Markdown, HTML or GitHub would act on in a cell (``|``, emphasis, code,
    links, tags, entities, ``$`` math, ``@`` mentions) become numeric character references,
    which render as the characters themselves; line breaks become spaces.
    """
    text = " ".join(str(value).split())
    return _MARKDOWN_SPECIAL.sub(lambda match: f"&#{ord(match.group())};", text)


def _unannotated_line(count: int) -> str:
    return (
        f"{_plural(count, 'more notice')} not annotated (GitHub shows {MAX_NOTICE_ANNOTATIONS} "
        "per step): see the step summary, or run 'pmkb check --notices'"
    )


def _summary_order(result: CheckResult) -> list[Problem]:
    """The problems errors first, then warnings, then notices (each sorted as found), so that
    the table's row limit leaves out notices before anything that can fail a check."""
    return sorted(result.problems, key=lambda problem: LEVEL_ORDER[problem.level])


def _summary_rows(result: CheckResult) -> Iterator[str]:
    for problem in _summary_order(result)[:MAX_SUMMARY_ROWS]:
        cells = (
            problem.level,
            problem.code,
            problem.file,
            "" if problem.line is None else str(problem.line),
            _located(problem),
        )
        yield "| " + " | ".join(markdown_cell(cell) for cell in cells) + " |"


def step_summary(result: CheckResult, unannotated: int = 0) -> str:
    """The Markdown step summary: the tally and a table of every problem.

    Args:
        result: what the check found.
        unannotated: how many notices the annotations left out (said in the summary).
    """
    lines = ["## pmkb check", "", markdown_cell(result.tally()) + ".", ""]
    if unannotated:
        lines.append(
            f"{_plural(unannotated, 'notice')} not shown as annotations (GitHub shows "
            f"{MAX_NOTICE_ANNOTATIONS} per step): see the table below."
        )
        lines.append("")
    if result.problems:
        lines.append("| Level | Rule | File | Line | Message |")
        lines.append("| --- | --- | --- | ---: | --- |")
        lines.extend(_summary_rows(result))
        hidden = len(result.problems) - MAX_SUMMARY_ROWS
        if hidden > 0:
            lines.append("")
            lines.append(f"… and {hidden:,} more: run `pmkb check` locally to see them all.")
        lines.append("")
    return "\n".join(lines) + "\n"


REPORTERS: Mapping[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "github": GithubReporter,
}
"""The output formats of ``pmkb check``."""
