"""The benchmark's generated knowledge bases are valid, build, and stay the same for a seed."""

from __future__ import annotations

import html
import json
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from benchmarks.generate import draw_postmortems, generate_knowledge_base, generate_plain_site
from benchmarks.measure import python_command, run_measured
from kbtools import build
from postmortem_kb.cli import main


def test_a_generated_knowledge_base_passes_check_and_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = generate_knowledge_base(tmp_path / "kb", 20, seed=3)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", kb.source_date_epoch)
    result = CliRunner().invoke(main, ["check", "-f", str(kb.root / "mkdocs.yml"), "--no-cache"])
    assert result.exit_code == 0, result.output
    # Recurring root causes are realistic: their notices are expected, nothing else is.
    assert result.output.rstrip().endswith("files checked"), result.output
    assert "\n0 errors, 0 warnings and " in result.output, result.output
    site = build(kb.root, strict=True)
    data = json.loads((site / "postmortems.json").read_text())
    assert len(data["postmortems"]) == 20
    severities = {pm["severity"] for pm in data["postmortems"]}
    assert len(severities) >= 3
    statuses = {pm["status"] for pm in data["postmortems"]}
    assert statuses == {"final", "in-review", "draft"}
    overdue = [
        item
        for pm in data["postmortems"]
        for item in pm["action_items"]
        if item["overdue_days"] is not None
    ]
    assert overdue, "some action items are overdue at the build date"
    assert all(
        any(item["type"] == "prevent" for item in pm["action_items"]) for pm in data["postmortems"]
    )


def test_the_plain_site_of_the_same_files_keeps_their_front_matter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kb = generate_knowledge_base(tmp_path / "kb", 5)
    plain = generate_plain_site(kb, tmp_path / "plain", strip_front_matter=False)
    pages = sorted((plain / "docs/postmortems").iterdir())
    assert [page.name for page in pages] == sorted(path.name for path in kb.files)
    for source in kb.files:
        assert (plain / "docs/postmortems" / source.name).read_bytes() == source.read_bytes()
    config = (plain / "mkdocs.yml").read_text()
    assert "not_in_nav" in config
    assert "- postmortems" not in config
    # MkDocs reads the front matter itself: the page's title comes from `title:`.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", kb.source_date_epoch)
    site = build(plain, strict=True)
    front_matter = kb.files[0].read_text().split("---\n", 2)[1]
    title = yaml.safe_load(front_matter)["title"]
    page = (site / "postmortems" / kb.files[0].stem / "index.html").read_text()
    assert f"<title>{html.escape(title, quote=False)} - " in page
    assert "id: PM-" not in page
    assert kb.files[0].stem not in (site / "index.html").read_text()


def test_the_stripped_plain_site_has_the_same_pages_without_front_matter(tmp_path: Path) -> None:
    kb = generate_knowledge_base(tmp_path / "kb", 5)
    plain = generate_plain_site(kb, tmp_path / "plain", strip_front_matter=True)
    pages = sorted((plain / "docs/postmortems").iterdir())
    assert [page.name for page in pages] == sorted(path.name for path in kb.files)
    text = pages[0].read_text()
    assert text.startswith("# ")
    assert "\nid: " not in text
    assert "not_in_nav" in (plain / "mkdocs.yml").read_text()
    assert "- postmortems" not in (plain / "mkdocs.yml").read_text()


def test_the_first_postmortems_do_not_depend_on_the_size() -> None:
    small = draw_postmortems(120, seed=5)
    large = draw_postmortems(200, seed=5)
    # all but the newest, whose action items are still open at the smaller size
    assert small[:30] == large[:30]
    assert draw_postmortems(120, seed=6) != small


def test_a_measured_run_reports_time_and_peak_memory(tmp_path: Path) -> None:
    script = tmp_path / "allocate.py"
    script.write_text("x = b'x' * (50 * 1024 * 1024)\nprint('done')\n")
    run = run_measured(python_command(str(script)), tmp_path)
    assert run.output.strip() == "done"
    assert 50 * 1024 < run.max_rss_kib < 120 * 1024
    assert run.wall >= run.cpu * 0.5 >= 0


def test_peak_memory_is_the_commands_own_not_the_runners(tmp_path: Path) -> None:
    # wait4's ru_maxrss would credit the child with what the runner held when it started it.
    script = tmp_path / "small.py"
    script.write_text("import sys\nsys.exit(3)\n")
    held = b"x" * (300 * 1024 * 1024)
    run = run_measured(python_command(str(script)), tmp_path, check=False)
    assert len(held) and run.max_rss_kib < 100 * 1024
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    module = run_measured(python_command("-m", "benchmarks.floor", str(tmp_path)), tmp_path, env)
    assert module.output.strip() == "0 front matters parsed"
    assert 0 < module.max_rss_kib < 100 * 1024
