"""Output formats of pmkb check: escaping for GitHub commands and Markdown cells."""

from __future__ import annotations

from pathlib import Path

from postmortem_kb.model import Problem
from postmortem_kb.reporting import (
    MAX_SUMMARY_ROWS,
    CheckResult,
    GithubReporter,
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
