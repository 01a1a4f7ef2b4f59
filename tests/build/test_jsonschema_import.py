"""A build or check in which everything is valid never imports the jsonschema package.

Importing it costs a fresh process about 0.05 s of CPU; jsonschema-rs checks the schema against
its metaschema and validates the valid postmortems, so jsonschema is needed only to explain a
file (or a schema) that fails. Each case runs in a fresh interpreter, since this test process
has imported jsonschema long before.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kbtools import postmortem_text, write_kb
from postmortem_kb import validation

ROOT = Path(__file__).resolve().parents[2]
MARKER = "jsonschema imported: "
pytestmark = pytest.mark.skipif(
    validation._uri_formats_asserted(),
    reason="rfc3987 or rfc3986-validator is installed: jsonschema checks every schema",
)

BUILD = f"""
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config

try:
    build(load_config(sys.argv[1], strict=True, site_dir=sys.argv[2]))
finally:
    print({MARKER!r} + str("jsonschema" in sys.modules))
"""

CHECK = f"""
import sys
from postmortem_kb.cli import main

try:
    main(["check", *sys.argv[1:]])
finally:
    print({MARKER!r} + str("jsonschema" in sys.modules))
"""


def imports_jsonschema(script: str, *args: str, cwd: Path, succeeds: bool = True) -> bool:
    """Run the script in a fresh interpreter; whether jsonschema was imported by its end."""
    environment = dict(os.environ, SOURCE_DATE_EPOCH="1712448000", NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode == 0) is succeeds, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARKER)]
    assert len(lines) == 1, result.stdout + result.stderr
    return lines[0] == MARKER + "True"


def test_building_the_example_does_not_import_jsonschema(tmp_path: Path) -> None:
    assert not imports_jsonschema(BUILD, str(ROOT / "mkdocs.yml"), str(tmp_path / "site"), cwd=ROOT)
    assert (tmp_path / "site" / "index.html").is_file()


def test_a_cold_check_of_the_example_does_not_import_jsonschema() -> None:
    assert not imports_jsonschema(CHECK, "--no-cache", "-f", str(ROOT / "mkdocs.yml"), cwd=ROOT)


def test_a_check_imports_jsonschema_only_to_explain_a_failure(tmp_path: Path) -> None:
    valid = {"a.md": postmortem_text(), "b.md": postmortem_text(id="PM-2024-018")}
    root = write_kb(tmp_path / "valid", valid)
    config = str(root / "mkdocs.yml")
    assert not imports_jsonschema(CHECK, "-f", config, cwd=root)  # cold: an empty cache
    assert not imports_jsonschema(CHECK, "-f", config, cwd=root)  # warm
    invalid = {**valid, "c.md": postmortem_text(id="PM-2024-019", severity="SEV9")}
    root = write_kb(tmp_path / "invalid", invalid)
    assert imports_jsonschema(CHECK, "-f", str(root / "mkdocs.yml"), cwd=root, succeeds=False)
