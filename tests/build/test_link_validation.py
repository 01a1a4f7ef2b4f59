"""The site configs make a broken link or anchor a warning, so a strict build (CI) fails.

Checked for both configs a team may start from: this repository's example knowledge base
and the one ``pmkb init`` creates.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from mkdocs.exceptions import Abort

from kbtools import build, copy_tracked_files
from postmortem_kb.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOOD_LINKS = (
    "\n## Checked links\n\n"
    "See [this section](#checked-links), [home](index.md) and [the severities](format.md#severity-levels).\n"
)


@pytest.fixture(params=["example", "scaffold"])
def knowledge_base(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    root = tmp_path / "kb"
    if request.param == "example":
        copy_tracked_files(ROOT, root)
    else:
        assert CliRunner().invoke(main, ["init", str(root)]).exit_code == 0
    return root


def append_to_home(root: Path, text: str) -> None:
    # The example has an explicit nav: a new page would warn for another reason.
    home = root / "docs/index.md"
    home.write_text(home.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_good_links_and_anchors_build_strictly(knowledge_base: Path) -> None:
    append_to_home(knowledge_base, GOOD_LINKS)
    site = build(knowledge_base, strict=True)
    assert 'href="#checked-links"' in (site / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("link", "warning"),
    [
        (
            "[gone](no-such-page.md)",
            "Doc file 'index.md' contains a link 'no-such-page.md', but the target is not "
            "found among documentation files.",
        ),
        (
            "[gone](#no-such-heading)",
            "Doc file 'index.md' contains a link '#no-such-heading', but there is no such "
            "anchor on this page.",
        ),
        (
            "[gone](format.md#no-such-field)",
            "Doc file 'index.md' contains a link 'format.md#no-such-field', but the doc "
            "'format.md' does not contain an anchor '#no-such-field'.",
        ),
    ],
    ids=["page", "anchor-here", "anchor-there"],
)
def test_a_broken_link_or_anchor_fails_the_strict_build(
    knowledge_base: Path, link: str, warning: str, caplog: pytest.LogCaptureFixture
) -> None:
    append_to_home(knowledge_base, GOOD_LINKS + f"\nAnd {link}.\n")
    with (
        pytest.raises(Abort, match="Aborted with 1 warnings in strict mode"),
        caplog.at_level(logging.WARNING),
    ):
        build(knowledge_base, strict=True)
    assert [record.getMessage() for record in caplog.records if record.levelname == "WARNING"] == [
        warning
    ]
