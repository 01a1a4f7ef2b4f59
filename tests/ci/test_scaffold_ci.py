"""``pmkb init`` gives a knowledge base the same CI as this repository, from one source.

The scaffold's files are the product. This repository keeps copies in ``.github/`` that
differ only where it installs the package from its own source instead of from PyPI; the
differences are listed here, so any other drift fails the suite.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, SCAFFOLD

from postmortem_kb.cli import main

# (in the scaffold, in this repository): a knowledge base installs the released package
# pinned in its requirements.txt; this repository installs itself and validates changes to it.
INSTALL_DIFFERENCES = [
    ("cache-dependency-path: requirements.txt", "cache-dependency-path: pyproject.toml"),
    ("python -m pip install -r requirements.txt", "python -m pip install ."),
]
REPO_DIFFERENCES = {
    "validate.yml": [
        ('      - "requirements.txt"\n', '      - "plugins/**"\n      - "pyproject.toml"\n'),
        *INSTALL_DIFFERENCES,
    ],
    "publish.yml": INSTALL_DIFFERENCES,
}


def test_init_gives_a_knowledge_base_its_workflows_and_review_template(tmp_path: Path) -> None:
    target = tmp_path / "kb"
    assert CliRunner().invoke(main, ["init", str(target)]).exit_code == 0
    github = sorted(path.relative_to(target).as_posix() for path in (target / ".github").rglob("*"))
    assert github == [
        ".github/pull_request_template.md",
        ".github/workflows",
        ".github/workflows/publish.yml",
        ".github/workflows/validate.yml",
    ]
    for name in github[:1] + github[2:]:
        source = SCAFFOLD / name.replace(".github", "dot-github", 1)
        assert (target / name).read_bytes() == source.read_bytes()
    assert (target / "requirements.txt").is_file()


@pytest.mark.parametrize("name", sorted(REPO_DIFFERENCES))
def test_this_repository_runs_the_scaffold_workflows(name: str) -> None:
    expected = (SCAFFOLD / "dot-github/workflows" / name).read_text(encoding="utf-8")
    for in_scaffold, in_repository in REPO_DIFFERENCES[name]:
        assert expected.count(in_scaffold) == 1, f"{name}: {in_scaffold!r} is gone"
        expected = expected.replace(in_scaffold, in_repository)
    actual = (ROOT / ".github/workflows" / name).read_text(encoding="utf-8")
    assert actual == expected, (
        f".github/workflows/{name} drifted from the scaffold's copy: change "
        f"plugins/postmortem_kb/scaffold/dot-github/workflows/{name} and copy it over, "
        "keeping only the differences listed in REPO_DIFFERENCES"
    )


def test_this_repository_uses_the_scaffold_review_template() -> None:
    scaffold = SCAFFOLD / "dot-github/pull_request_template.md"
    assert (ROOT / ".github/pull_request_template.md").read_bytes() == scaffold.read_bytes()


def test_a_new_knowledge_base_installs_this_version() -> None:
    lines = (SCAFFOLD / "requirements.txt").read_text(encoding="utf-8").splitlines()
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert requirements == [f"postmortem-kb=={version('postmortem-kb')}"]
