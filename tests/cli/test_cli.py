"""The pmkb command, in-process."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbtools import build, postmortem_text, write_kb
from postmortem_kb.cli import main


def test_check_passes_a_valid_knowledge_base(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    result = CliRunner().invoke(main, ["check", "-f", str(root / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    assert "1 file(s) checked: 0 error(s)" in result.output


def test_check_fails_with_located_problems(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text(severity="SEV9")})
    result = CliRunner().invoke(main, ["check", "-f", str(root / "mkdocs.yml")])
    assert result.exit_code == 1
    assert "postmortems/a.md:5: severity: the text 'SEV9' is not one of" in result.output


def test_export_prints_the_site_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1712448000")
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    result = CliRunner().invoke(main, ["export", "-f", str(root / "mkdocs.yml")])
    assert result.exit_code == 0, result.output
    site = build(root)
    assert json.loads(result.output) == json.loads((site / "postmortems.json").read_text())


def test_init_creates_a_knowledge_base_that_builds(tmp_path: Path) -> None:
    target = tmp_path / "kb"
    result = CliRunner().invoke(main, ["init", str(target)])
    assert result.exit_code == 0, result.output
    site = build(target, strict=True)
    assert (site / "postmortems.json").is_file()
    data = json.loads((site / "postmortems.json").read_text())
    assert len(data["postmortems"]) == 1
    again = CliRunner().invoke(main, ["init", str(target)])
    assert again.exit_code == 2


def test_check_reports_values_outside_the_vocabularies(tmp_path: Path) -> None:
    root = write_kb(
        tmp_path,
        {"a.md": postmortem_text(services=["checkout", "check-out"])},
        options={"services": ["checkout", "orders-db"]},
    )
    result = CliRunner().invoke(main, ["check", "-f", str(root / "mkdocs.yml")])
    assert (
        "postmortems/a.md:10: services[1]: 'check-out' is not in the services vocabulary; "
        "did you mean 'checkout'?"
    ) in result.output
