"""One fixture per bad input, each with the exact diagnostics it must produce.

Every file in ``tests/fixtures/bad/`` is a case; ``expected.yaml`` beside them says, per case,
how to install it in a small knowledge base (next to a valid ``good.md``) and the exact
problems the knowledge base must then report, as ``pmkb check`` prints them. Each case is
loaded with ``load_knowledge_base`` and built with MkDocs: a case with errors must fail the
build naming its file; a case with only warnings must fail the strict build naming it; a case
without problems must be published, as text.

Git stores symbolic links awkwardly across platforms, so the symlink case is created by the
test: ``symlink: true`` installs the fixture outside the postmortems folder and links to it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml
from mkdocs.exceptions import Abort, PluginError

from htmlcheck import live_payloads
from kbtools import build, postmortem_text, write_kb
from postmortem_kb.knowledge_base import load_knowledge_base
from postmortem_kb.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bad"
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load(
    (FIXTURES / "expected.yaml").read_text(encoding="utf-8")
)
GOOD = postmortem_text(id="PM-GOOD-1", tags=["database"])
BUILD_DATE = dt.date(2024, 3, 18)
"""Three days after the fixtures' incidents: no draft or review is overdue yet."""
EPOCH = str(int(dt.datetime(2024, 3, 18, tzinfo=dt.timezone.utc).timestamp()))


def install(case: str, root: Path) -> tuple[Path, str]:
    """Write the case's knowledge base; returns its root and the case file's shown path."""
    spec = EXPECTED[case]
    content = (FIXTURES / f"{case}.md").read_bytes()
    name = spec.get("install_as", f"{case}.md")
    write_kb(root, {"good.md": GOOD}, spec.get("options"))
    target = root / "postmortems" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if spec.get("symlink"):
        outside = root / "elsewhere" / "secret.md"
        outside.parent.mkdir()
        outside.write_bytes(content)
        target.symlink_to(outside)
    else:
        target.write_bytes(content)
    return root, f"postmortems/{name}"


def report(root: Path, options: dict[str, Any] | None) -> list[str]:
    settings = Settings(
        root=root,
        postmortems_dir=root / "postmortems",
        max_file_bytes=(options or {}).get("max_file_bytes", 1024 * 1024),
    )
    problems = load_knowledge_base(settings, today=BUILD_DATE).problems
    return [f"{problem} [{problem.code} {problem.level}]" for problem in problems]


def test_every_fixture_has_expectations_and_every_expectation_a_fixture() -> None:
    fixtures = {path.stem for path in FIXTURES.glob("*.md")}
    assert fixtures == set(EXPECTED)


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_a_bad_input_gives_its_exact_diagnostics_and_never_publishes_silently(
    case: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    spec = EXPECTED[case]
    root, shown = install(case, tmp_path / "kb")
    expected = spec.get("problems", [])
    assert report(root, spec.get("options")) == expected

    errors = [line for line in expected if line.endswith(" error]")]
    if errors:
        with pytest.raises((Abort, PluginError)), caplog.at_level(logging.WARNING):
            build(root)
        assert f"  {shown}" in caplog.text  # the failure names the file
        assert "Traceback" not in caplog.text
        return
    outside = sorted(path for path in root.rglob("*") if "site" not in path.parts)
    site = build(root)
    # Values end up in URLs (services, tags): no page may land outside the site folder.
    assert sorted(path for path in root.rglob("*") if "site" not in path.parts) == outside
    if expected:  # warnings only: published, but a strict build fails naming the file
        caplog.clear()
        with pytest.raises(Abort), caplog.at_level(logging.WARNING):
            build(root, strict=True)
        assert shown in caplog.text
    data = json.loads((site / "postmortems.json").read_text(encoding="utf-8"))
    published = {record["url"]: record for record in data["postmortems"]}
    url = f"postmortems/{Path(shown).stem}/"
    if spec.get("published") is False:  # a warning names the file that stays out
        assert expected and url not in published
        return
    record = published[url]
    for field, value in (spec.get("published") or {}).items():
        assert record[field] == value, field
    page = (site / record["url"] / "index.html").read_text(encoding="utf-8")
    assert live_payloads(page) == []
