"""The home page markers: replaced alone on their line, never inside code."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from test_indexes import make

from postmortem_kb.browse import replace_markers
from postmortem_kb.indexes import browse_index
from postmortem_kb.rendering import Renderer
from postmortem_kb.settings import Settings

SETTINGS = Settings(root=Path("/kb"), postmortems_dir=Path("/kb/postmortems"))


def replaced(markdown: str, page: str = "index.md") -> str:
    pms = [make(f"PM-{n}", f"2024-0{n}-01") for n in range(1, 6)]
    index = browse_index(pms, SETTINGS, dt.date(2024, 6, 1))
    return replace_markers(markdown, page, index.markers(), SETTINGS, Renderer())


def test_latest_lists_the_most_recent_postmortems_linked_from_the_page() -> None:
    out = replaced("# Home\n\n<!-- postmortems:latest 2 -->\n\nAfter.\n")
    assert out.count('data-pm-id="') == 2
    assert out.index('data-pm-id="PM-5"') < out.index('data-pm-id="PM-4"')
    assert 'href="postmortems/pm-5/"' in out
    assert out.endswith("\n\nAfter.\n")
    # From guide/x.md, whose URL is guide/x/, the links climb out of both folders.
    assert 'href="../../postmortems/pm-5/"' in replaced("<!-- postmortems:latest -->", "guide/x.md")


def test_latest_defaults_to_ten_and_counts_show_every_level() -> None:
    assert replaced("<!-- postmortems:latest -->").count('data-pm-id="') == 5
    counts = replaced("<!--postmortems:counts-->")
    assert 'class="pmkb-headline"' in counts
    assert "<strong>5</strong> SEV1" in counts and "<strong>0</strong> SEV4" in counts


@pytest.mark.parametrize(
    "markdown",
    [
        "```\n<!-- postmortems:latest -->\n```\n",
        "~~~~markdown\n<!-- postmortems:counts -->\n```\n~~~~\n",
        "    <!-- postmortems:latest -->\n",
        "Text `<!-- postmortems:latest -->` inline.\n",
        "<!-- postmortems:latest --> and more\n",
        "<!-- postmortems:other -->\n",
    ],
)
def test_markers_in_code_or_inside_a_line_are_left_alone(markdown: str) -> None:
    assert replaced(markdown) == markdown


def test_a_marker_after_a_closed_fence_is_replaced() -> None:
    out = replaced("```\ncode\n```\n\n<!-- postmortems:latest 1 -->\n")
    assert out.startswith("```\ncode\n```\n") and out.count('data-pm-id="') == 1
