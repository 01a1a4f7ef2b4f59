"""Each workflow's steps run in order on a clean checkout, so what would fail on GitHub fails here.

The validate and publish workflows run twice: as this repository has them (on a copy of
its files) and as ``pmkb init`` gives them to a new knowledge base (on a fresh one).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from conftest import Checkout
from workflowtools import (
    ARTIFACT_URL,
    PAGES_BASE_URL,
    UnsupportedWorkflow,
    WorkflowRun,
    run_workflow,
)


def run(checkout: Checkout, workflow: str, scratch: Path, event: str) -> WorkflowRun:
    return run_workflow(
        checkout.workflows / workflow,
        checkout.root,
        scratch,
        installs=frozenset({checkout.install_line}),
        event=event,
    )


def break_severity(checkout: Checkout) -> int:
    """Give the checkout's first postmortem an unknown severity; returns the line number."""
    lines = checkout.postmortem.read_text(encoding="utf-8").splitlines(keepends=True)
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("severity:"))
    lines[number - 1] = "severity: SEV9\n"
    checkout.postmortem.write_text("".join(lines), encoding="utf-8")
    checkout.commit("Break a postmortem")
    return number


def test_validate_passes_and_uploads_the_site(checkout: Checkout, tmp_path: Path) -> None:
    result = run(checkout, "validate.yml", tmp_path / "runner", "pull_request")

    assert not result.failed, result.describe()
    assert [step.skipped for step in result.steps if step.skipped] == [
        "install line (the test's virtual environment stands in)"
    ]
    assert result.installs == [checkout.install_line]
    assert "::error" not in result.output
    epoch = result.job_env["validate"]["SOURCE_DATE_EPOCH"]
    assert int(epoch) == int(checkout.commit_date.timestamp())
    site = checkout.root / "site"
    assert [(u.action, u.name, u.path) for u in result.uploads] == [
        ("actions/upload-artifact", "site", site)
    ]
    export = json.loads((site / "postmortems.json").read_text(encoding="utf-8"))
    assert export["generated"] == checkout.commit_date.date().isoformat()
    assert (site / "postmortems" / checkout.postmortem.stem / "index.html").is_file()
    assert f"Download the [built site]({ARTIFACT_URL})" in result.summary


def test_validate_fails_on_a_broken_postmortem_with_annotations(
    checkout: Checkout, tmp_path: Path
) -> None:
    line = break_severity(checkout)

    result = run(checkout, "validate.yml", tmp_path / "runner", "pull_request")

    assert result.failed
    check = result.step("Check the postmortems")
    assert check.returncode == 1, result.describe()
    path = checkout.postmortem.relative_to(checkout.root).as_posix()
    annotation = re.compile(
        rf"^::error file={re.escape(path)},line={line},title=PM101::.*severity.*SEV9",
        re.MULTILINE,
    )
    assert annotation.search(check.output), check.output
    assert path in check.summary and "PM101" in check.summary, check.summary
    after = result.steps[result.steps.index(check) + 1 :]
    assert [step.skipped for step in after] == ["condition false"] * len(after)
    assert result.uploads == []


def test_publish_builds_for_the_pages_address_and_deploys(
    checkout: Checkout, tmp_path: Path
) -> None:
    before = dt.datetime.now(dt.timezone.utc).date().isoformat()
    result = run(checkout, "publish.yml", tmp_path / "runner", "push")
    after = dt.datetime.now(dt.timezone.utc).date().isoformat()

    assert not result.failed, result.describe()
    assert result.installs == [checkout.install_line]
    assert "SOURCE_DATE_EPOCH" not in result.job_env["build"]
    site = checkout.root / "site"
    assert [(u.action, u.path) for u in result.uploads] == [("actions/upload-pages-artifact", site)]
    assert result.deployments == ["github-pages"]
    export = json.loads((site / "postmortems.json").read_text(encoding="utf-8"))
    assert export["generated"] in (before, after)  # today, for current overdue badges
    # configure-pages' address reaches site_url: the sitemap is absolute and the 404 page,
    # served for any missing path, loads its stylesheets from the site's own folder.
    assert f"<loc>{PAGES_BASE_URL}/</loc>" in (site / "sitemap.xml").read_text()
    assert re.search(
        r'href="/postmortems/assets/stylesheets/main\.[^"]+\.css"', (site / "404.html").read_text()
    )


def test_publish_deploys_nothing_when_a_postmortem_is_broken(
    checkout: Checkout, tmp_path: Path
) -> None:
    break_severity(checkout)

    result = run(checkout, "publish.yml", tmp_path / "runner", "push")

    assert result.step("Build the site").failed, result.describe()
    assert "SEV9" in result.step("Build the site").output
    assert result.uploads == [] and result.deployments == []
    assert result.steps[-1].skipped == "needs failed"


def test_tests_workflow_runs_the_ci_script_on_every_python(
    repo_checkout: Checkout, tmp_path: Path
) -> None:
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    calls = tmp_path / "make-calls"
    # .ci/run installs chromium only when it is missing, then runs `make test`: stand-ins
    # for both keep this test from running the suite inside itself.
    (stubs / "chromium").write_text("#!/bin/sh\nexit 0\n")
    (stubs / "make").write_text(
        "#!/bin/sh\n"
        f'echo "$* | $(pwd) | CI=$CI | $(git config --global safe.directory)" >> "{calls}"\n'
        "mkdir -p test-artifacts && touch test-artifacts/home.png\n"
    )
    for stub in stubs.iterdir():
        stub.chmod(0o755)

    result = run_workflow(
        repo_checkout.workflows / "tests.yml",
        repo_checkout.root,
        tmp_path / "runner",
        event="pull_request",
        extra_path=(stubs,),
    )

    assert not result.failed, result.describe()
    workflow = yaml.safe_load((repo_checkout.workflows / "tests.yml").read_text())
    versions = workflow["jobs"]["test"]["strategy"]["matrix"]["python"]
    call = f"test | {repo_checkout.root} | CI=true | {repo_checkout.root}"
    assert calls.read_text().splitlines() == [call] * len(versions)
    assert sorted(upload.name for upload in result.uploads) == sorted(
        f"test-artifacts-python-{version}" for version in versions
    )


def test_the_runner_refuses_what_it_cannot_reproduce(
    repo_checkout: Checkout, tmp_path: Path
) -> None:
    workflow = tmp_path / "odd.yml"
    for attempt, (steps, complaint) in enumerate(
        [
            ([{"uses": "someone/deploy@v1"}], "no local stand-in for someone/deploy@v1"),
            ([{"run": "echo ${{ github.token }}"}], "pass values to run scripts through env"),
            ([{"run": "pip install requests"}], "undeclared install line"),
            ([{"if": "github.ref == 'x'", "run": "true"}], "cannot evaluate the condition"),
        ]
    ):
        job = {"runs-on": "ubuntu-latest", "steps": steps}
        workflow.write_text(yaml.safe_dump({"on": "push", "jobs": {"job": job}}))
        with pytest.raises(UnsupportedWorkflow, match=re.escape(complaint)):
            run_workflow(workflow, repo_checkout.root, tmp_path / f"runner-{attempt}")


def test_the_runner_carries_env_outputs_and_failure_between_steps(
    repo_checkout: Checkout, tmp_path: Path
) -> None:
    steps = [
        {"run": 'printf "A=1\\nB<<END\\ntwo\\nlines\\nEND\\n" >> "$GITHUB_ENV"'},
        {"id": "out", "run": 'echo "answer=$A-$(echo "$B" | wc -l)" >> "$GITHUB_OUTPUT"'},
        {"env": {"GOT": "${{ steps.out.outputs.answer }}"}, "run": 'test "$GOT" = 1-2'},
        {"name": "pipe", "run": "false | true"},  # fails: shell: bash means -o pipefail
        {"name": "skipped", "run": "true"},
        {"name": "cleanup", "if": "always()", "run": 'echo "done" >> "$GITHUB_STEP_SUMMARY"'},
    ]
    workflow = tmp_path / "flow.yml"
    job = {"runs-on": "ubuntu-latest", "steps": steps}
    workflow.write_text(yaml.safe_dump({"on": "push", "jobs": {"job": job}}))

    result = run_workflow(workflow, repo_checkout.root, tmp_path / "runner")

    codes = [(step.returncode, step.skipped) for step in result.steps]
    assert codes == [
        (0, None),
        (0, None),
        (0, None),
        (1, None),
        (None, "condition false"),
        (0, None),
    ], result.describe()
    assert result.summary == "done\n"
