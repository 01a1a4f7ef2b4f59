"""parse_body's fast path for prose lines gives what running every pattern on every line gives.

Most body lines start with a letter, and ``parse_body`` skips the fence, heading and underline
patterns for them. The reference below is the parser as it was before, which ran them all;
generated bodies made of the tricky parts (fences, comments, code spans, headings, underlines,
indentation, Unicode blanks) must parse the same.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem_kb import markdown_body
from postmortem_kb.markdown_body import (
    _ATX,
    _BLOCK_START,
    _FENCE,
    _SETEXT,
    Body,
    Heading,
    ProseLine,
    _atx_title,
    _blank_code_spans,
    _blank_comments,
    _heading_key,
    heading_key,
    parse_body,
)


def reference_parse_body(body: str, first_line: int) -> Body:
    """Every pattern on every line: the parser before its fast path."""
    lines: list[ProseLine] = []
    headings: list[Heading] = []
    fence: str | None = None
    in_comment = False
    previous_text = ""
    for index, raw in enumerate(body.split("\n")):
        number = first_line + index
        if fence is not None:
            lines.append(ProseLine(number, "", True))
            stripped = raw.strip()
            if stripped.startswith(fence) and not stripped.lstrip(fence[0]).strip():
                fence = None
            previous_text = ""
            continue
        if not in_comment:
            opening = _FENCE.match(raw)
            if opening and not (opening["fence"][0] == "`" and "`" in opening["info"]):
                fence = opening["fence"]
                lines.append(ProseLine(number, "", True))
                previous_text = ""
                continue
        text, in_comment = _blank_comments(raw, in_comment)
        text = _blank_code_spans(text)
        lines.append(ProseLine(number, text, False))
        atx = _ATX.match(text)
        if atx:
            title = _atx_title(atx["text"])
            headings.append(Heading(number, len(atx["marks"]), title, _heading_key(title), index))
            previous_text = ""
            continue
        setext = _SETEXT.match(text)
        if setext and previous_text and not _BLOCK_START.match(previous_text):
            level = 1 if setext["bar"].startswith("=") else 2
            title = previous_text.strip()
            headings.append(Heading(number - 1, level, title, _heading_key(title), index - 1))
            previous_text = ""
            continue
        previous_text = text if text.strip() else ""
    return Body(tuple(lines), tuple(headings))


PARTS = st.sampled_from(
    [
        "",
        " ",
        "   ",
        "    ",
        "\t",
        "\u3000",
        "\x1c",
        "#",
        "## ",
        "###### ",
        "####### ",
        "=",
        "===",
        "-",
        "---",
        "- ",
        "1. ",
        "> ",
        "|",
        "```",
        "```py",
        "``` `x`",
        "~~~",
        "`",
        "`code`",
        "``a`b``",
        "<!--",
        "-->",
        "<!-- c -->",
        "<!---->",
        "Root Cause",
        "What Went Well",
        "text",
        "a",
        "é",
        "{#id}",
        " #",
    ]
)
LINES = st.lists(PARTS, max_size=5).map("".join)
BODIES = st.lists(LINES, max_size=12).map("\n".join)


@settings(max_examples=400)
@given(BODIES, st.integers(min_value=1, max_value=50))
def test_parse_body_agrees_with_running_every_pattern_on_every_line(
    body: str, first_line: int
) -> None:
    assert parse_body(body, first_line) == reference_parse_body(body, first_line)


def test_parse_body_agrees_on_a_realistic_body() -> None:
    body = (
        "## Summary\n\nThe `orders` queue <!-- note --> backed up.\n\nTimeline\n--------\n\n"
        "```sh\n# not a heading\n```\n\n   ### Root Cause ###\n\n- one\n- two\n"
        "<!-- a comment\n## hidden\n-->\n`a`# Heading after a code span\n"
    )
    assert parse_body(body, 7) == reference_parse_body(body, 7)
    assert [heading.key for heading in parse_body(body, 7).headings] == [
        "summary",
        "timeline",
        "root cause",
        "heading after a code span",
    ]


HEADING_TEXTS = st.text(alphabet="ab(){}[]*_`#.:!? \t1iIvx-\u2019\u00a0", max_size=30)


@settings(max_examples=300)
@given(HEADING_TEXTS)
def test_heading_key_remembered_agrees_with_working_it_out(text: str) -> None:
    first = heading_key(text)
    assert first == _heading_key(text)
    assert heading_key(text) == first  # the second answer comes from the table


def test_heading_key_does_not_remember_long_texts() -> None:
    text = "Root cause " + "x" * markdown_body.HEADING_KEY_CHARS
    assert heading_key(text) == _heading_key(text)
    assert text not in markdown_body._HEADING_KEYS
    assert "Why" not in markdown_body._HEADING_KEYS or heading_key("Why") == "why"
    heading_key("Why")
    assert markdown_body._HEADING_KEYS["Why"] == "why"
