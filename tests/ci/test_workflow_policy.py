"""What the workflows promise, beyond what a linter can know: triggers, permissions, pins."""

from __future__ import annotations

import re
from importlib.metadata import metadata
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SCAFFOLD
from workflowtools import action_name, load_workflow, run_steps

REPO = ROOT / ".github/workflows"
KB = SCAFFOLD / "dot-github/workflows"
BOTH = pytest.mark.parametrize("folder", [REPO, KB], ids=["repo", "kb"])
EVERY_WORKFLOW = sorted(REPO.glob("*.yml")) + sorted(KB.glob("*.yml"))


def path_filter_matches(pattern: str, path: str) -> bool:
    """GitHub's filter glob: ``*`` stays within a folder, ``**`` crosses folders."""
    regex = "".join(
        ".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
        for part in re.split(r"(\*\*|\*)", pattern)
    )
    return re.fullmatch(regex, path) is not None


def triggers_on(workflow: dict[str, Any], changed: str) -> bool:
    paths = workflow["on"]["pull_request"]["paths"]
    return any(path_filter_matches(pattern, changed) for pattern in paths)


def steps_of(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


@pytest.mark.parametrize(
    "path", EVERY_WORKFLOW, ids=lambda path: f"{path.parent.parent.name}/{path.name}"
)
def test_only_official_actions_pinned_to_a_major_version(path: Path) -> None:
    uses = [step["uses"] for step in steps_of(load_workflow(path)) if "uses" in step]
    assert uses
    unpinned = [name for name in uses if not re.fullmatch(r"actions/[\w.-]+@v\d+", name)]
    assert unpinned == []


@pytest.mark.parametrize(
    "path", EVERY_WORKFLOW, ids=lambda path: f"{path.parent.parent.name}/{path.name}"
)
def test_no_expression_is_pasted_into_a_script(path: Path) -> None:
    # GitHub substitutes ${{ }} into the script text before the shell runs, so a value
    # like a branch name could run as code; env: passes it as data.
    pasted = [step["run"] for _, step in run_steps(load_workflow(path)) if "${{" in step["run"]]
    assert pasted == []


@BOTH
def test_validate_runs_on_pull_requests_that_change_the_knowledge_base(folder: Path) -> None:
    workflow = load_workflow(folder / "validate.yml")
    assert set(workflow["on"]) == {"pull_request", "workflow_dispatch"}
    assert workflow["permissions"] == {"contents": "read"}
    relevant = [
        "postmortems/2024-03-15-checkout.md",
        "schemas/postmortem.schema.json",
        "docs/writing.md",
        "docs/guides/review.md",
        "mkdocs.yml",
        ".github/workflows/validate.yml",
    ]
    if folder == REPO:
        relevant += ["plugins/postmortem_kb/cli.py", "pyproject.toml"]
    else:
        relevant += ["requirements.txt", "templates/postmortem.md.j2"]
    assert [path for path in relevant if not triggers_on(workflow, path)] == []
    assert not triggers_on(workflow, "README.md")
    assert not triggers_on(workflow, "tests/unit/test_loader.py")


@BOTH
def test_validate_checks_then_builds_strictly_dated_by_the_last_commit(folder: Path) -> None:
    scripts = [step["run"] for _, step in run_steps(load_workflow(folder / "validate.yml"))]
    # The gate never trusts a .pmkb-cache/ that a pull request could have committed.
    check = scripts.index("pmkb check --format github --no-cache")
    dating = scripts.index('echo "SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)" >> "$GITHUB_ENV"')
    build = scripts.index("mkdocs build --strict --site-dir site")
    assert check < dating < build


@BOTH
def test_publish_deploys_pages_with_least_privilege_one_run_at_a_time(folder: Path) -> None:
    workflow = load_workflow(folder / "publish.yml")
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert set(workflow["on"]) == {"push", "schedule", "workflow_dispatch"}
    [daily] = workflow["on"]["schedule"]
    assert re.fullmatch(r"\d+ \d+ \* \* \*", daily["cron"])
    assert workflow["permissions"] == {
        "contents": "read",
        "pages": "write",
        "id-token": "write",
    }
    assert all("permissions" not in job for job in workflow["jobs"].values())
    assert workflow["concurrency"] == {"group": "pages", "cancel-in-progress": False}
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert [action_name(step["uses"]) for step in build["steps"] if "uses" in step] == [
        "actions/checkout",
        "actions/setup-python",
        "actions/configure-pages",
        "actions/upload-pages-artifact",
    ]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    assert [action_name(step["uses"]) for step in deploy["steps"]] == ["actions/deploy-pages"]
    scripts = [step["run"] for step in build["steps"] if "run" in step]
    # Dated today, not by the last commit, so the daily run moves overdue badges on.
    assert scripts[-1] == "mkdocs build --site-dir site"
    assert not any("SOURCE_DATE_EPOCH" in script for script in scripts)


def test_checkouts_keep_no_credentials() -> None:
    for path in EVERY_WORKFLOW:
        for step in steps_of(load_workflow(path)):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, path


def test_tests_run_make_test_on_every_supported_python_in_debian() -> None:
    workflow = load_workflow(REPO / "tests.yml")
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["test"]
    classifiers = metadata("postmortem-kb").get_all("Classifier") or []
    supported = [
        line.rsplit(" :: ", 1)[1]
        for line in classifiers
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", line)
    ]
    assert supported[0] == metadata("postmortem-kb")["Requires-Python"].removeprefix(">=")
    assert job["strategy"]["matrix"]["python"] == supported
    # .ci/run installs Debian's chromium with apt-get, which needs root and Debian's package
    # (on Ubuntu runners `chromium` is a snap wrapper), so each job runs in a Debian image.
    assert job["container"]["image"] == "python:${{ matrix.python }}-bookworm"
    assert job["env"]["CI"] == "true"
    assert [step["run"] for _, step in run_steps(workflow)] == [
        'git config --global --add safe.directory "$GITHUB_WORKSPACE"',
        "bash .ci/run",
    ]
