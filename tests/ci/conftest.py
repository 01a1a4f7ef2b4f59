"""Fixtures for the CI tests: clean copies of this repository and of a new knowledge base."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from workflowtools import commit_all

from kbtools import copy_tracked_files
from postmortem_kb.cli import main

ROOT = Path(__file__).resolve().parents[2]
SCAFFOLD = ROOT / "plugins/postmortem_kb/scaffold"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _git(*arguments: str) -> str:
    return subprocess.run(
        ["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="session")
def head_commit_date() -> dt.datetime:
    """The committer date of this repository's HEAD: the copies are committed at that date."""
    try:
        stamp = _git("log", "-1", "--format=%ct")
    except (OSError, subprocess.CalledProcessError) as error:
        message = f"these tests copy the repository with git, which failed: {error}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return dt.datetime.fromtimestamp(int(stamp), dt.timezone.utc)


@dataclasses.dataclass(frozen=True)
class Checkout:
    """A committed copy that a workflow runs in, as actions/checkout would leave it."""

    root: Path
    workflows: Path
    install_line: str
    postmortem: Path
    commit_date: dt.datetime

    def commit(self, message: str) -> None:
        """Commit the current state at the same date as the first commit."""
        commit_all(self.root, message, self.commit_date.isoformat())


@pytest.fixture
def repo_checkout(tmp_path: Path, head_commit_date: dt.datetime) -> Checkout:
    """This repository's files (tracked or new, not ignored), committed in a new repository."""
    root = tmp_path / "repo"
    copy_tracked_files(ROOT, root)
    checkout = Checkout(
        root=root,
        workflows=root / ".github/workflows",
        install_line="python -m pip install .",
        postmortem=sorted((root / "postmortems").glob("*.md"))[0],
        commit_date=head_commit_date,
    )
    checkout.commit("Copy the repository")
    return checkout


@pytest.fixture
def kb_checkout(tmp_path: Path, head_commit_date: dt.datetime) -> Checkout:
    """A knowledge base made by ``pmkb init``, committed in a new repository."""
    root = tmp_path / "kb"
    result = CliRunner().invoke(main, ["init", str(root)])
    assert result.exit_code == 0, result.output
    checkout = Checkout(
        root=root,
        workflows=root / ".github/workflows",
        install_line="python -m pip install -r requirements.txt",
        postmortem=sorted((root / "postmortems").glob("*.md"))[0],
        commit_date=head_commit_date,
    )
    checkout.commit("Start the knowledge base")
    return checkout


@pytest.fixture(params=["repo", "kb"])
def checkout(request: pytest.FixtureRequest) -> Checkout:
    """Each kind of checkout in turn: this repository, then a new knowledge base."""
    fixture = "repo_checkout" if request.param == "repo" else "kb_checkout"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]
