"""Output formats of pmkb check: escaping for GitHub commands and Markdown cells."""

from __future__ import annotations

from pathlib import Path

import click

from postmortem_kb.model import Problem
from postmortem_kb.reporting import (
    MAX_NOTICE_ANNOTATIONS,
    MAX_NOTICES_LISTED,
    MAX_SUMMARY_ROWS,
    CheckResult,
    GithubReporter,
    TextReporter,
    annotation,
    escape_data,
    escape_property,
    markdown_cell,
    step_summary,
)


def test_escape_data_follows_the_workflow_command_rules() -> None:
    assert escape_data("100% done\r\n::error::forged") == "100%25 done%0D%0A::error::forged"
    assert escape_data("%0A") == "%250A"


def test_escape_property_also_escapes_colon_and_comma() -> None:
    assert escape_property("a,line=1::b%\n") == "a%2Cline=1%3A%3Ab%25%0A"


def test_an_annotation_is_one_line_whatever_the_values() -> None:
    problem = Problem("p/x,y.md", 3, "title", "bad\n::error file=z::forged", "PM101", "warning")
    line = annotation(problem, problem.file)
    assert (
        line == "::warning file=p/x%2Cy.md,line=3,title=PM101::title: bad%0A::error file=z::forged"
    )
    assert "\n" not in line
    no_line = annotation(Problem("a.md", None, None, "m", "PM001"), "a.md")
    assert no_line == "::error file=a.md,title=PM001::m"


def test_markdown_cells_stay_text() -> None:
    assert markdown_cell("a | b") == "a &#124; b"
    assert markdown_cell("<img src=x> *x* `c` [l](u) @team $x$ &amp;") == (
        "&#60;img src=x&#62; &#42;x&#42; &#96;c&#96; &#91;l&#93;(u) &#64;team &#36;x&#36; &#38;amp;"
    )
    assert markdown_cell("two\nlines") == "two lines"


def test_the_step_summary_counts_what_it_leaves_out() -> None:
    problems = tuple(
        Problem("a.md", n, None, "m", "PM301", "warning") for n in range(MAX_SUMMARY_ROWS + 5)
    )
    text = step_summary(CheckResult(("a.md",), problems))
    assert text.count("| warning | PM301 |") == MAX_SUMMARY_ROWS
    assert "… and 5 more: run `pmkb check` locally to see them all." in text


def test_github_annotates_every_error_and_warning_but_only_a_few_notices(
    tmp_path: Path,
) -> None:
    notices = tuple(Problem(f"n{n:03}.md", 4, None, "recurs", "PM501", "notice") for n in range(25))
    error = Problem("z.md", 1, None, "bad", "PM101", "error")
    warnings = tuple(Problem(f"w{n:02}.md", 2, None, "w", "PM301", "warning") for n in range(15))
    problems = tuple(sorted((*notices, error, *warnings), key=Problem.sort_key))
    summary = tmp_path / "summary.md"
    out: list[str] = []
    GithubReporter(out.append, environ={"GITHUB_STEP_SUMMARY": str(summary)}).report(
        CheckResult(tuple(sorted({p.file for p in problems})), problems)
    )
    lines = "\n".join(out).splitlines()
    assert sum(line.startswith("::error ") for line in lines) == 1
    assert sum(line.startswith("::warning ") for line in lines) == 15
    annotated = [line for line in lines if line.startswith("::notice ")]
    assert (
        annotated
        == [annotation(notice, notice.file) for notice in notices][:MAX_NOTICE_ANNOTATIONS]
    )
    hidden = 25 - MAX_NOTICE_ANNOTATIONS
    assert lines[-2] == (
        f"{hidden} more notices not annotated (GitHub shows {MAX_NOTICE_ANNOTATIONS} per step): "
        "see the step summary, or run 'pmkb check --notices'"
    )
    assert lines[-1] == "1 error, 15 warnings and 25 notices in 41 of 41 files checked"
    text = summary.read_text()
    assert f"{hidden} notices not shown as annotations" in text
    # The table lists what can fail a check first, so its row limit drops notices first.
    rows = [row for row in text.splitlines() if row.startswith("| ") and "PM" in row]
    assert [row.split(" | ")[0] for row in rows] == ["| error"] + ["| warning"] * 15 + [
        "| notice"
    ] * 25


def test_github_notices_within_the_limit_are_all_annotated() -> None:
    notices = tuple(
        Problem(f"n{n}.md", 4, None, "recurs", "PM501", "notice")
        for n in range(MAX_NOTICE_ANNOTATIONS)
    )
    out: list[str] = []
    GithubReporter(out.append, environ={}).report(CheckResult(("x.md",), notices))
    lines = "\n".join(out).splitlines()
    assert sum(line.startswith("::notice ") for line in lines) == MAX_NOTICE_ANNOTATIONS
    assert not any("not annotated" in line for line in lines)


def test_the_github_reporter_uses_the_workspace_only_for_files_inside_it(tmp_path: Path) -> None:
    reporter = GithubReporter(
        lambda _: None, root=tmp_path / "kb", environ={"GITHUB_WORKSPACE": str(tmp_path)}
    )
    assert reporter.workspace_path("postmortems/a.md") == "kb/postmortems/a.md"
    outside = GithubReporter(
        lambda _: None, root=tmp_path, environ={"GITHUB_WORKSPACE": str(tmp_path / "other")}
    )
    assert outside.workspace_path("postmortems/a.md") == "postmortems/a.md"


def test_strict_fails_on_warnings_but_never_on_notices() -> None:
    warning = Problem("a.md", 1, None, "m", "PM301", "warning")
    notice = Problem("a.md", 1, None, "m", "PM501", "notice")
    assert CheckResult(("a.md",), (warning,)).exit_code == 0
    assert CheckResult(("a.md",), (warning,), strict=True).exit_code == 1
    assert CheckResult(("a.md",), (notice,), strict=True).exit_code == 0


def text_report(result: CheckResult, **options: bool) -> str:
    written: list[str] = []
    TextReporter(written.append, **options).report(result)
    return click.unstyle("\n".join(written))


def test_past_the_limit_the_text_output_counts_notices_instead_of_listing_them() -> None:
    notices = tuple(
        Problem(f"p/{n:04}.md", 9, "root_causes[0].category", "recurs", "PM501", "notice")
        for n in range(MAX_NOTICES_LISTED + 1)
    )
    warning = Problem("p/0003.md", 6, "status", "is still a draft", "PM409", "warning")
    problems = tuple(sorted((*notices, warning), key=Problem.sort_key))
    files = tuple(f"p/{n:04}.md" for n in range(20_000))
    text = text_report(CheckResult(files, problems))
    assert text.splitlines() == [
        "p/0003.md",
        "      6  warning  PM409  status: is still a draft",
        "",
        "101 notices not listed (PM501 recurrence: 101): name files to list theirs "
        "('pmkb check postmortems/FILE.md'), or add --notices to list them all",
        "0 errors, 1 warning and 101 notices in 101 of 20,000 files checked",
    ]
    listed = text_report(CheckResult(files, problems), all_notices=True)
    assert listed.count("notice   PM501  root_causes[0].category: recurs") == 101
    assert "not listed" not in listed


def test_up_to_the_limit_notices_are_listed() -> None:
    notices = tuple(
        Problem(f"p/{n:04}.md", 9, None, "recurs", "PM501", "notice")
        for n in range(MAX_NOTICES_LISTED)
    )
    text = text_report(CheckResult(("p/x.md",), notices))
    assert text.count("PM501  recurs") == MAX_NOTICES_LISTED
    assert "not listed" not in text
