"""The build lists notices as ``pmkb check`` does: each one up to 100, else a count."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kbtools import build, postmortem_text, write_kb

CAUSES = [
    {"category": "missing-test-coverage", "description": "No query-count test."},
    {"category": "capacity-planning", "description": "No headroom for the peak."},
]


def _kb(tmp_path: Path, count: int) -> Path:
    files = {
        f"pm-{number:03d}.md": postmortem_text(
            id=f"PM-2024-{number:03d}", title=f"Incident {number}", root_causes=CAUSES
        )
        for number in range(1, count + 1)
    }
    return write_kb(tmp_path, files)


def test_a_few_recurrence_notices_are_each_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        build(_kb(tmp_path, 3))
    messages = [record.getMessage() for record in caplog.records]
    lines = [m for m in messages if "postmortems/pm-00" in m and "recurs: it is also" in m]
    assert len(lines) == 6  # two shared categories in each of three postmortems
    assert all("PM-2024-00" in line for line in lines)  # each names the others
    assert "notices not listed" not in caplog.text


def test_past_a_hundred_notices_the_build_counts_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        site = build(_kb(tmp_path, 51))  # 102 recurrence notices
    assert "102 notices not listed (PM501: 102): run 'pmkb check --notices'" in caplog.text
    assert not [r for r in caplog.records if "pm-0" in r.getMessage()]
    assert (site / "postmortems/pm-051/index.html").is_file()
