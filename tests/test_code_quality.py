"""The package stays ruff-clean, formatted and mypy-strict; the core never imports MkDocs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_check_and_format() -> None:
    check = run(str(BIN / "ruff"), "check", "plugins", "tests", "benchmarks")
    assert check.returncode == 0, check.stdout + check.stderr
    fmt = run(str(BIN / "ruff"), "format", "--check", "plugins", "tests", "benchmarks")
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_only_plugin_and_config_import_mkdocs() -> None:
    offenders = [
        path.name
        for path in (ROOT / "plugins/postmortem_kb").glob("*.py")
        if path.name not in ("plugin.py", "config.py")
        and re.search(r"^(from|import) mkdocs", path.read_text(), re.MULTILINE)
    ]
    assert offenders == []
