"""The pmkb command, in-process: exact messages and exit codes for every format."""

from __future__ import annotations

import csv
import gc
import io
import json
import re
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from kbtools import FULL_BODY, build, postmortem_text, write_kb
from postmortem_kb import reporting
from postmortem_kb.cli import main
from postmortem_kb.export import CSV_COLUMNS
from postmortem_kb.loader import load_text

ROOT = Path(__file__).resolve().parents[2]
BLAME_BODY = FULL_BODY.replace("An N+1 query reached production.", "Human error caused it.")
BLAME_MESSAGE = (
    "'Human error' blames people, not the system: describe the action, then what let it cause "
    "harm, e.g. 'the deploy tool accepted a config that no check had validated'"
)
SEV9_MESSAGE = "severity: the text 'SEV9' is not one of 'SEV1', 'SEV2', 'SEV3', 'SEV4'"


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1711929600")  # 2024-04-01
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.delenv("GITHUB_WORKSPACE", raising=False)


def run(root: Path, *args: str, **kwargs: Any) -> Result:
    result = CliRunner().invoke(main, [*args, "-f", str(root / "mkdocs.yml")], **kwargs)
    # A traceback would leave another exception than SystemExit behind.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def two_problems(tmp_path: Path) -> Path:
    return write_kb(
        tmp_path,
        {
            "a.md": postmortem_text(severity="SEV9"),
            "b.md": postmortem_text(id="PM-2", body=BLAME_BODY),
        },
    )


# --- check: the three formats ---------------------------------------------------------------


def test_check_text_groups_by_file_and_counts(two_problems: Path) -> None:
    result = run(two_problems, "check")
    assert result.exit_code == 1
    assert result.output == (
        "postmortems/a.md\n"
        f"      5  error    PM101  {SEV9_MESSAGE}\n"
        "postmortems/b.md\n"
        f"     58  warning  PM301  {BLAME_MESSAGE}\n"
        "\n"
        "1 error, 1 warning and 0 notices in 2 of 2 files checked\n"
    )


def test_check_json_is_one_document_for_tools(two_problems: Path) -> None:
    result = run(two_problems, "check", "--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.output) == {
        "version": 1,
        "ok": False,
        "strict": False,
        "files_checked": 2,
        "counts": {"error": 1, "warning": 1, "notice": 0},
        "problems": [
            {
                "file": "postmortems/a.md",
                "line": 5,
                "field": "severity",
                "code": "PM101",
                "rule": "schema",
                "level": "error",
                "message": SEV9_MESSAGE.removeprefix("severity: "),
            },
            {
                "file": "postmortems/b.md",
                "line": 58,
                "field": None,
                "code": "PM301",
                "rule": "blame-language",
                "level": "warning",
                "message": BLAME_MESSAGE,
            },
        ],
    }


def test_check_github_annotations_and_step_summary(
    two_problems: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run(two_problems, "check", "--format", "github")
    assert result.exit_code == 1
    assert result.output == (
        f"::error file=postmortems/a.md,line=5,title=PM101::{SEV9_MESSAGE}\n"
        f"::warning file=postmortems/b.md,line=58,title=PM301::{BLAME_MESSAGE}\n"
        "1 error, 1 warning and 0 notices in 2 of 2 files checked\n"
    )
    text = summary.read_text()
    assert text.startswith("earlier step\n## pmkb check\n\n")
    assert "| Level | Rule | File | Line | Message |\n| --- | --- | --- | ---: | --- |\n" in text
    assert "| warning | PM301 | postmortems/b.md | 58 | 'Human error' blames people" in text


def test_github_annotation_paths_are_relative_to_the_workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = write_kb(tmp_path / "kb", {"a.md": postmortem_text(severity="SEV9")})
    monkeypatch.setenv("GITHUB_WORKSPACE", str(tmp_path))
    result = run(root, "check", "--format", "github")
    assert result.output.startswith("::error file=kb/postmortems/a.md,line=5,title=PM101::")


def test_a_hostile_file_name_cannot_forge_an_annotation(tmp_path: Path) -> None:
    name = "x,line=1,title=PM000::forged%0A\n::error file=evil.md::forged.md"
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    (root / "postmortems" / name).write_text("no front matter here\n")
    result = run(root, "check", "--format", "github")
    assert result.exit_code == 1
    commands = [line for line in result.output.splitlines() if line.startswith("::")]
    assert len(commands) == 1
    assert commands[0].startswith(
        "::error file=postmortems/x%2Cline=1%2Ctitle=PM000%3A%3Aforged%250A%0A%3A%3Aerror "
        "file=evil.md%3A%3Aforged.md,line=1,title=PM002::"
    )


def test_the_step_summary_keeps_hostile_values_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    root = write_kb(tmp_path / "kb", {"a.md": postmortem_text(related=["x|<b>@team`[y](z)"])})
    run(root, "check", "--format", "github")
    row = next(line for line in summary.read_text().splitlines() if "PM101" in line)
    assert row.count("|") == 6  # five cells, no injected cell break
    assert "<b>" not in row and "@team" not in row and "`" not in row and "[y]" not in row
    assert "&#124;&#60;b&#62;&#64;team&#96;&#91;y&#93;(z)" in row


def test_an_unwritable_step_summary_is_reported_not_raised(
    two_problems: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing" / "summary.md"))
    result = run(two_problems, "check", "--format", "github")
    assert result.exit_code == 1
    assert "pmkb: cannot write the step summary to " in result.output


# --- check: exit codes ----------------------------------------------------------------------


def test_check_passes_a_clean_knowledge_base(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    result = run(root, "check", "--strict")
    assert (result.exit_code, result.output) == (0, "1 file checked: no problems\n")


def test_check_gives_the_cycle_collector_back_as_it_found_it(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    assert gc.isenabled()
    try:
        assert run(root, "check").exit_code == 0
        assert gc.isenabled()  # the collector is paused only while the check runs
        gc.disable()
        assert run(root, "check", "--format", "json").exit_code == 0
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_warnings_fail_only_with_strict(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text(body=BLAME_BODY)})
    assert run(root, "check").exit_code == 0
    strict = run(root, "check", "--strict")
    assert strict.exit_code == 1
    assert strict.output.endswith(
        "0 errors, 1 warning and 0 notices in 1 of 1 file checked "
        "(--strict: warnings fail the check)\n"
    )


def test_notices_never_fail(tmp_path: Path) -> None:
    cause = [{"category": "deploy-process", "description": "No canary."}]
    root = write_kb(
        tmp_path,
        {
            "a.md": postmortem_text(root_causes=cause),
            "b.md": postmortem_text(id="PM-2", root_causes=cause, related=["PM-2024-017"]),
        },
    )
    result = run(root, "check", "--strict")
    assert result.exit_code == 0
    assert result.output.endswith("0 errors, 0 warnings and 2 notices in 2 of 2 files checked\n")


def test_many_notices_are_counted_unless_files_are_named_or_notices_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reporting, "MAX_NOTICES_LISTED", 2)
    cause = [{"category": "deploy-process", "description": "No canary."}]
    root = write_kb(
        tmp_path,
        {
            f"{name}.md": postmortem_text(id=f"PM-{name}", root_causes=cause)
            for name in ("a", "b", "c")
        },
    )
    everything = run(root, "check")
    assert everything.exit_code == 0
    assert "PM501" not in everything.output.replace("(PM501 recurrence: 3)", "")
    assert everything.output.endswith(
        "3 notices not listed (PM501 recurrence: 3): name files to list theirs "
        "('pmkb check postmortems/FILE.md'), or add --notices to list them all\n"
        "0 errors, 0 warnings and 3 notices in 3 of 3 files checked\n"
    )
    named = run(root, "check", str(root / "postmortems" / "a.md"))
    assert named.output.count("notice   PM501") == 1
    listed = run(root, "check", "--notices")
    assert listed.output.count("notice   PM501") == 3
    as_json = json.loads(run(root, "check", "--format", "json").output)
    assert as_json["counts"]["notice"] == 3 and len(as_json["problems"]) == 3


def test_paths_select_what_is_reported_but_everything_is_checked(two_problems: Path) -> None:
    only_b = run(two_problems, "check", str(two_problems / "postmortems/b.md"))
    assert only_b.exit_code == 0
    assert "postmortems/a.md" not in only_b.output
    assert only_b.output.endswith("in 1 of 1 file checked\n")
    folder = run(two_problems, "check", str(two_problems / "postmortems"))
    config = run(two_problems, "check", str(two_problems / "mkdocs.yml"))
    assert folder.output == config.output == run(two_problems, "check").output


def test_cross_file_problems_are_found_when_checking_one_file(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text(), "b.md": postmortem_text()})
    result = run(root, "check", str(root / "postmortems/a.md"))
    assert result.exit_code == 1
    assert "id: 'PM-2024-017' is also the id of postmortems/b.md" in result.output
    assert "postmortems/b.md\n" not in result.output


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ("site_name: x\nplugins: [\n", "Error: cannot read "),
        ("site_name: x\nplugins:\n  - postmortems:\n      recurring_threshold: many\n", "Error: "),
        (
            "site_name: x\nplugins:\n  - postmortems:\n      postmortems_dir: nowhere\n",
            "Error: the postmortems folder 'nowhere' does not exist (option postmortems_dir)",
        ),
        (
            "site_name: x\nplugins:\n  - postmortems:\n      schema: docs\n",
            "Error: cannot read the schema ",
        ),
        (
            "site_name: x\nplugins:\n  - postmortems:\n      rules: {PM999: error}\n",
            "Error: rules: 'PM999' is not a rule code (see the lint rules reference); "
            "did you mean PM409?",
        ),
        (
            "site_name: x\nplugins:\n  - postmortems:\n      rules: {PM101: warning}\n",
            "Error: rules: PM101 (schema) is always an error: a file with this problem cannot be "
            "published",
        ),
        (
            "site_name: x\nplugins:\n  - postmortems:\n      id_format: PM-{YYYY}\n",
            "Error: id_format: 'PM-{YYYY}': it needs exactly one number placeholder such as "
            "{NNN}; use e.g. 'PM-{YYYY}-{NNN}' or 'INC-{NNNN}'",
        ),
    ],
)
@pytest.mark.parametrize("output_format", ["text", "json", "github"])
def test_configuration_errors_exit_2_with_a_message(
    tmp_path: Path, config: str, message: str, output_format: str
) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    (root / "mkdocs.yml").write_text(config)
    result = run(root, "check", "--format", output_format)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    if output_format == "github":
        assert result.output.startswith("::error title=pmkb check::")


def test_an_invalid_schema_exits_2(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()}, options={"schema": "bad.json"})
    (root / "bad.json").write_text('{"type": 12}')
    result = run(root, "check")
    assert result.exit_code == 2
    assert "is not a valid JSON Schema at type" in result.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    bad_format = run(root, "check", "--format", "xml")
    assert bad_format.exit_code == 2
    assert "Invalid value for '--format': 'xml' is not one of 'text', 'json', 'github'" in (
        bad_format.output
    )
    missing = run(root, "check", str(root / "postmortems/nope.md"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.output
    no_config = CliRunner().invoke(main, ["check", "-f", str(tmp_path / "none.yml")])
    assert no_config.exit_code == 2
    assert "is not a file" in no_config.output


def test_a_bad_source_date_epoch_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    result = run(root, "check")
    assert result.exit_code == 2
    assert "SOURCE_DATE_EPOCH must be a whole number of seconds" in result.output


# --- levels from mkdocs.yml -----------------------------------------------------------------


def test_rule_levels_from_mkdocs_yml(tmp_path: Path) -> None:
    body = {"a.md": postmortem_text(body=BLAME_BODY)}
    as_error = run(write_kb(tmp_path / "e", body, options={"rules": {"PM301": "error"}}), "check")
    assert as_error.exit_code == 1
    assert "  error    PM301  " in as_error.output
    off = run(write_kb(tmp_path / "o", body, options={"rules": {"PM301": "off"}}), "check")
    assert (off.exit_code, off.output) == (0, "1 file checked: no problems\n")
    # An unquoted off is YAML 1.1's false: it still means off.
    root = write_kb(tmp_path / "b", body)
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "- postmortems", "- postmortems:\n      rules:\n        PM301: off"
        )
    )
    assert run(root, "check").output == "1 file checked: no problems\n"


def test_the_example_knowledge_base_has_no_errors_or_warnings() -> None:
    result = CliRunner().invoke(main, ["check", "--format", "json", "-f", str(ROOT / "mkdocs.yml")])
    data = json.loads(result.output)
    assert result.exit_code == 0
    assert data["counts"]["error"] == 0
    assert [p for p in data["problems"] if p["level"] == "warning"] == []


# --- new ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "form_heading"),
    [
        (["--severity", "SEV2"], "## Lessons Learned"),
        (["--severity", "SEV3"], "## What Happened"),
        (["--severity", "SEV1", "--quick"], "## What Happened"),
    ],
)
def test_new_writes_a_draft_that_passes_check_strict(
    tmp_path: Path, args: list[str], form_heading: str
) -> None:
    root = write_kb(tmp_path, {"2024-03-15-a.md": postmortem_text()})
    result = run(
        root, "new", "Checkout down after deploy", *args, "--service", "checkout", "--tag", "deploy"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "postmortems/2024-04-01-checkout-down-after-deploy.md\n"
    written = root / "postmortems/2024-04-01-checkout-down-after-deploy.md"
    text = written.read_text()
    assert form_heading in text
    assert ("## Lessons Learned" in text) is (form_heading == "## Lessons Learned")
    loaded = load_text(text.encode(), "x.md", written).document
    assert loaded is not None
    assert {key: loaded.front_matter[key] for key in ("id", "date", "status", "services")} == {
        "id": "PM-2024-018",
        "date": "2024-04-01",
        "status": "draft",
        "services": ["checkout"],
    }
    check = run(root, "check", "--strict", str(written))
    if "--quick" in args:  # the quick form for a SEV1 is allowed, with a warning
        assert check.exit_code == 1
        assert "  warning  PM404  the body has no Summary, Impact, Timeline" in check.output
        assert run(root, "check", str(written)).exit_code == 0
    else:
        assert (check.exit_code, check.output) == (0, "1 file checked: no problems\n")


def test_new_quotes_hostile_titles_so_they_read_back_the_same(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {})
    titles = [
        "Checkout: down # after \"deploy\" \\ of 'v2'",
        "no",
        "1:30",
        "@here [link](javascript:x) <script>",
        "Störung im Zahlungsdienst – 50% Fehler",
    ]
    for number, title in enumerate(titles, start=1):
        result = run(root, "new", title, "--severity", "SEV4", "--service", "checkout")
        assert result.exit_code == 0, result.output
        path = root / result.output.strip()
        document = load_text(path.read_bytes(), "x.md", path).document
        assert document is not None
        assert document.front_matter["title"] == title
        assert document.front_matter["id"] == f"PM-2024-{number:03d}"
    assert run(root, "check", "--strict").exit_code == 0


def test_new_never_overwrites(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {})
    first = run(root, "new", "Slow search", "--severity", "SEV3", "--service", "search")
    path = root / first.output.strip()
    path.write_text(path.read_text() + "\nMy notes.\n")
    before = path.read_text()
    again = run(root, "new", "Slow search!", "--severity", "SEV3", "--service", "search")
    assert again.exit_code == 2
    assert again.output == (
        "Error: postmortems/2024-04-01-slow-search.md already exists: edit it, or give another "
        "title\n"
    )
    assert path.read_text() == before


@pytest.mark.parametrize(
    ("severity", "message"),
    [
        (
            "SEV-2",
            "Invalid value for '--severity': 'SEV-2' is not one of SEV1, SEV2, SEV3, SEV4; "
            "did you mean 'SEV2'?",
        ),
        (
            "critical",
            "Invalid value for '--severity': 'critical' is not one of SEV1, SEV2, SEV3, SEV4\n",
        ),
    ],
)
def test_new_refuses_an_unknown_severity(tmp_path: Path, severity: str, message: str) -> None:
    root = write_kb(tmp_path, {})
    result = run(root, "new", "Slow search", "--severity", severity, "--service", "search")
    assert result.exit_code == 2
    assert message in result.output
    assert list((root / "postmortems").iterdir()) == []


def test_new_accepts_a_severity_in_any_case(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {})
    result = run(root, "new", "Slow search", "--severity", "sev3", "--service", "search")
    assert result.exit_code == 0
    assert "severity: SEV3\n" in (root / result.output.strip()).read_text()


def test_new_refuses_values_the_schema_refuses(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {})
    result = run(root, "new", "Slow", "--severity", "SEV3", "--service", "<b>x", "--tag", "ok")
    assert result.exit_code == 2
    assert (
        "Error: Invalid value for --service: '<b>x' must be at most 64 characters, not start "
        "with a space, and contain no quotes, angle brackets, backslashes or control characters"
    ) in result.output
    assert run(root, "new", " ", "--severity", "SEV3", "--service", "x").exit_code == 2
    assert list((root / "postmortems").iterdir()) == []


def test_new_uses_the_configured_id_format_and_templates(tmp_path: Path) -> None:
    root = write_kb(
        tmp_path,
        {"old.md": postmortem_text(id="INC-0041")},
        options={"id_format": "INC-{NNNN}", "templates_dir": "overrides"},
    )
    (root / "overrides/new").mkdir(parents=True)
    (root / "overrides/new/quick.md.j2").write_text(
        '{% include "new/front_matter.md.j2" %}\n\n## What Happened\n\n## Why\n\n'
        "## Action Items\n\nOur own template.\n"
    )
    result = run(
        root, "new", "DNS 障害", "--severity", "SEV4", "--service", "dns", "--date", "2024-03-30"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "postmortems/2024-03-30-dns.md\n"
    text = (root / "postmortems/2024-03-30-dns.md").read_text()
    assert "id: INC-0042\n" in text and "date: 2024-03-30\n" in text
    assert text.endswith("Our own template.\n")
    fallback = run(root, "new", "障害", "--severity", "SEV4", "--service", "dns")
    assert fallback.output == "postmortems/2024-04-01-inc-0043.md\n"


def test_new_refuses_a_bad_date(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {})
    result = run(root, "new", "x", "--severity", "SEV3", "--service", "x", "--date", "2024-02-30")
    assert result.exit_code == 2
    assert "Invalid value for '--date': '2024-02-30' is not a date" in result.output


# --- export ---------------------------------------------------------------------------------


def test_export_json_is_the_site_export(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    result = run(root, "export")
    assert result.exit_code == 0, result.output
    site = build(root)
    assert json.loads(result.output) == json.loads((site / "postmortems.json").read_text())


def test_export_csv_has_the_documented_columns_and_quotes(tmp_path: Path) -> None:
    root = write_kb(
        tmp_path,
        {
            "a.md": postmortem_text(
                title='=HYPERLINK("http://x", "click"), then "quotes"',
                authors=["@evil", "+1"],
                summary="Line one,\nline two.",
                incident="-2+3",
            ),
            "b.md": postmortem_text(id="PM-2", date="2024-03-20", timeline=None, status="draft"),
        },
    )
    result = run(root, "export", "--format", "csv")
    assert result.exit_code == 0, result.output
    text = result.stdout_bytes.decode()
    assert text.startswith(",".join(name for name, _ in CSV_COLUMNS) + "\r\n")
    assert text.endswith('"Line one,\nline two."\r\n')
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert [row["id"] for row in rows] == ["PM-2", "PM-2024-017"]
    first = rows[1]
    assert first["title"] == '\'=HYPERLINK("http://x", "click"), then "quotes"'
    assert first["authors"] == "'@evil; +1"
    assert first["incident"] == "'-2+3"
    assert first["summary"] == "Line one,\nline two."
    assert (first["time_to_detect_minutes"], first["impact_duration_minutes"]) == ("12", "40")
    assert (first["started"], first["data_loss"]) == ("2024-03-15T14:20:00Z", "")
    assert (first["action_items"], first["action_items_open"], first["action_items_overdue"]) == (
        "2",
        "1",
        "0",
    )
    assert rows[0]["time_to_detect_minutes"] == ""


def test_export_refuses_a_knowledge_base_with_errors(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text(severity="SEV9")})
    result = run(root, "export", "--format", "csv")
    assert result.exit_code == 1
    assert f"postmortems/a.md:5: {SEV9_MESSAGE} [PM101]" in result.output


# --- init -----------------------------------------------------------------------------------


def test_init_creates_a_knowledge_base_that_builds_and_checks(tmp_path: Path) -> None:
    target = tmp_path / "kb"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    site = build(target, strict=True)
    data = json.loads((site / "postmortems.json").read_text())
    assert len(data["postmortems"]) == 1
    assert run(target, "check", "--strict").exit_code == 0
    again = CliRunner().invoke(main, ["init", str(target)])
    assert again.exit_code == 2


# --- documentation --------------------------------------------------------------------------


def test_the_command_page_documents_every_command_option_and_csv_column() -> None:
    text = (ROOT / "docs/cli.md").read_text()
    for name, command in main.commands.items():
        assert f"## pmkb {name}" in text
        for param in command.params:
            for flag in param.opts:
                if flag.startswith("-") and flag not in ("-h", "--help"):
                    assert f"`{flag}" in text, (name, flag)
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+) \|$", text.split("The columns:")[1], re.M)
    assert rows == list(CSV_COLUMNS)


def test_a_file_that_is_not_a_postmortem_is_reported_and_counted(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text(), "graph.png": b"\x89PNG"})
    result = run(root, "check", str(root / "postmortems/graph.png"))
    assert result.exit_code == 1
    assert result.output == (
        "postmortems/graph.png\n"
        "      -  error    PM001  is not a postmortem: only .md files belong in the postmortems "
        "folder (put images and attachments under docs/)\n"
        "\n"
        "1 error, 0 warnings and 0 notices in 1 of 1 file checked\n"
    )


def test_check_reports_values_outside_the_vocabularies(tmp_path: Path) -> None:
    root = write_kb(
        tmp_path,
        {"a.md": postmortem_text(services=["checkout", "check-out"])},
        options={"services": ["checkout", "orders-db"]},
    )
    result = CliRunner().invoke(main, ["check", "-f", str(root / "mkdocs.yml")])
    assert (
        "     10  warning  PM209  services[1]: 'check-out' is not in the services vocabulary; "
        "did you mean 'checkout'?"
    ) in result.output


def _reference_text(root: Path, wanted: Any = None, **reporter: bool) -> str:
    """The text report with every notice written first (no deferral), for comparison."""
    from postmortem_kb.config import load_settings
    from postmortem_kb.knowledge_base import load_knowledge_base
    from postmortem_kb.reporting import CheckResult, TextReporter

    knowledge_base = load_knowledge_base(load_settings(root / "mkdocs.yml"))
    assert knowledge_base.deferred_notices is None
    problems = tuple(p for p in knowledge_base.problems if wanted is None or wanted(p.file))
    files = {f for f in knowledge_base.files if wanted is None or wanted(f)}
    files.update(p.file for p in problems)
    out: list[str] = []
    TextReporter(out.append, **reporter).report(CheckResult(tuple(sorted(files)), problems))
    return click.unstyle("\n".join(out)) + "\n"


@pytest.mark.parametrize("count", [3, 70])
def test_deferred_recurrence_notices_give_the_same_text_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    # 3 postmortems: 6 notices, listed; 70: 140 notices, past the limit, counted by rule.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1710000000")
    causes = [
        {"category": "deploy-process", "description": "No canary stage."},
        {"category": "capacity", "description": "The pool was too small."},
    ]
    root = write_kb(
        tmp_path,
        {f"p{n:03}.md": postmortem_text(id=f"PM-{n:03}", root_causes=causes) for n in range(count)},
    )
    for options in ([], ["--notices"], ["--no-cache"]):
        result = run(root, "check", *options)
        assert "PM501" in result.output
        assert result.output == _reference_text(
            root, all_notices=bool(options[:1] == ["--notices"])
        )
    one = "postmortems/p001.md"
    result = CliRunner().invoke(main, ["check", str(root / one), "-f", str(root / "mkdocs.yml")])
    assert result.output == _reference_text(root, lambda file: file == one)
    assert result.output.count("PM501") == 2
