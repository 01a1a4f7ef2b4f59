"""The published pre-commit hook and this repository's own pre-commit configuration."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pre_commit.clientlib import load_config, load_manifest

from postmortem_kb.cli import main

ROOT = Path(__file__).resolve().parents[1]


def test_the_hooks_file_is_a_valid_manifest_with_the_check_hook() -> None:
    raw = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert [hook["id"] for hook in raw] == ["pmkb-check"]
    for key in ("id", "name", "entry", "language", "files"):
        assert raw[0][key]
    hook = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))[0]
    assert hook["entry"] == "pmkb check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is True


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("postmortems/2025-02-08-checkout.md", True),
        ("postmortems/sub/notes.txt", True),
        ("schemas/postmortem.schema.json", True),
        ("mkdocs.yml", True),
        ("docs/index.md", False),
        ("plugins/postmortem_kb/cli.py", False),
        ("old/postmortems/x.md", False),
    ],
)
def test_the_hook_runs_for_postmortems_schemas_and_the_site_config(path: str, runs: bool) -> None:
    hook = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))[0]
    assert bool(re.search(hook["files"], path)) is runs


def test_this_repository_uses_the_hook_ruff_and_a_metaschema_check() -> None:
    config = load_config(str(ROOT / ".pre-commit-config.yaml"))
    hooks = {hook["id"]: (repo["repo"], hook) for repo in config["repos"] for hook in repo["hooks"]}
    assert set(hooks) >= {"pmkb-check", "ruff-check", "ruff-format", "check-metaschema"}
    published = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))[0]
    assert hooks["pmkb-check"][1]["files"] == published["files"]
    assert hooks["check-metaschema"][0].endswith("/check-jsonschema")
    assert re.search(hooks["check-metaschema"][1]["files"], "schemas/postmortem.schema.json")


def test_the_hook_command_passes_on_this_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    changed = ["postmortems/2025-02-08-checkout-down-orders-db-connection-limit.md", "mkdocs.yml"]
    result = CliRunner().invoke(main, ["check", *changed])
    assert result.exit_code == 0, result.output
    assert re.search(
        r"^0 errors, 0 warnings and \d+ notices in \d+ of \d+ files checked$", result.output, re.M
    )
