"""Read the structure of a postmortem's Markdown body: prose lines and headings, with lines.

Lint rules look at what a reader sees: text inside fenced code blocks, HTML comments and
inline code spans is left out, so that a log excerpt or a template's guidance comment is
never mistaken for the author's words, and a ``# comment`` in a shell block is never a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

_FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# The closing run of '#'s is removed by _atx_title: a lazy group followed by optional blanks
# and hashes backtracks quadratically on a long line of spaces (a 20,000-space line took 3 s).
_ATX = re.compile(r" {0,3}(?P<marks>#{1,6})(?:[ \t]+(?P<text>.*))?$")
_SETEXT = re.compile(r"^ {0,3}(?P<bar>=+|-+)[ \t]*$")
_CODE_SPAN = re.compile(r"(?P<ticks>`+)(?!`)(?P<code>.+?)(?<!`)(?P=ticks)(?!`)")
_LIST_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d{1,9}[.)])[ \t]+\S")
_BLOCK_START = re.compile(r"^ {0,3}(?:[-*+>]|\d{1,9}[.)]|\||#)")


class ProseLine(NamedTuple):
    """A line of the body as a reader sees it, code and comments blanked out.

    A named tuple: a body has a line for each line of the file, and a frozen dataclass took
    several times as long to make.

    Attributes:
        number: the line's number in the file.
        text: the line with inline code spans and HTML comments replaced by spaces (so
            that columns keep their place); empty for lines inside a fenced code block.
        in_code: whether the line belongs to a fenced code block (fences included).
    """

    number: int
    text: str
    in_code: bool


@dataclass(frozen=True)
class Heading:
    """A heading of the body.

    Attributes:
        number: its line in the file (the text line, for a setext heading).
        level: 1 to 6.
        text: the heading's text as written.
        key: the text normalised for matching section names (see ``heading_key``).
        index: the position of its line among the body's lines.
    """

    number: int
    level: int
    text: str
    key: str
    index: int


@dataclass(frozen=True)
class Body:
    """A parsed body: its prose lines and its headings, in order."""

    lines: tuple[ProseLine, ...]
    headings: tuple[Heading, ...]

    def section(self, heading: Heading) -> tuple[ProseLine, ...]:
        """The lines under a heading, up to the next heading of the same or a higher level."""
        end = len(self.lines)
        for other in self.headings:
            if other.index > heading.index and other.level <= heading.level:
                end = other.index
                break
        start = heading.index + 1
        if start < len(self.lines) and _SETEXT.match(self.lines[start].text):
            start += 1
        return self.lines[start:end]


_ATTRIBUTES = re.compile(r"\{[^{}]*\}\s*$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"[*_`]")
_NUMBERING = re.compile(r"^\s*(?:\d{1,3}[.)]|[ivx]{1,5}\.)\s+", re.IGNORECASE)
# Each pattern starts only where its run starts: tried at every blank of a long run of
# blanks, it would rescan the run each time (quadratic).
_PARENTHESES = re.compile(r"(?<!\s)\s*\([^()]*\)\s*$")
_END_PUNCTUATION = re.compile(r"(?<![:.!?\s])[:.!?\s]+$")

_HEADING_KEYS: dict[str, str] = {}
"""The keys of the heading texts met so far: the same few headings (a template's sections)
open nearly every postmortem, and the key is a pure function of the text."""
MAX_HEADING_KEYS = 4096
HEADING_KEY_CHARS = 200


def heading_key(text: str) -> str:
    """A heading's text reduced for matching: ``## 4. Root Cause(s) {#rca}`` -> ``root cause``."""
    key = _HEADING_KEYS.get(text)
    if key is None:
        key = _heading_key(text)
        if len(text) <= HEADING_KEY_CHARS and len(_HEADING_KEYS) < MAX_HEADING_KEYS:
            _HEADING_KEYS[text] = key
    return key


def _heading_key(text: str) -> str:
    key = _ATTRIBUTES.sub("", text)
    key = _LINK.sub(r"\1", key)
    key = _EMPHASIS.sub("", key)
    key = key.replace("\u2019", "'")
    key = _NUMBERING.sub("", key)
    key = _PARENTHESES.sub("", key)
    key = _END_PUNCTUATION.sub("", key)
    return " ".join(key.casefold().replace("-", " ").split())


def _atx_title(text: str | None) -> str:
    """A heading's text without the optional closing run of '#'s (CommonMark's rule)."""
    title = (text or "").strip()
    without = title.rstrip("#")
    if without != title and (not without or without[-1] in " \t"):
        return without.strip()
    return title


def _blank_comments(line: str, in_comment: bool) -> tuple[str, bool]:
    """Blank out the parts of a line inside HTML comments; say whether one is still open."""
    if not in_comment and "<!--" not in line:
        return line, False
    out: list[str] = []
    position = 0
    while position < len(line):
        if in_comment:
            end = line.find("-->", position)
            if end < 0:
                out.append(" " * (len(line) - position))
                return "".join(out), True
            out.append(" " * (end + 3 - position))
            position = end + 3
            in_comment = False
        else:
            start = line.find("<!--", position)
            if start < 0:
                out.append(line[position:])
                break
            out.append(line[position:start])
            position = start
            in_comment = True
    return "".join(out), in_comment


def _blank_code_spans(line: str) -> str:
    if "`" not in line:
        return line
    return _CODE_SPAN.sub(_spaces, line)


def _spaces(match: re.Match[str]) -> str:
    return " " * len(match.group())


def parse_body(body: str, first_line: int) -> Body:
    """Split a body into prose lines and headings; ``first_line`` is its first line's number."""
    lines: list[ProseLine] = []
    headings: list[Heading] = []
    fence: str | None = None
    in_comment = False
    previous_text = ""
    # A body has a line for each line of the file: making each tuple directly spares the
    # named tuple's own constructor (a Python function) for each.
    new_line = tuple.__new__
    for index, raw in enumerate(body.split("\n")):
        number = first_line + index
        if fence is not None:
            lines.append(new_line(ProseLine, (number, "", True)))
            stripped = raw.strip()
            if stripped.startswith(fence) and not stripped.lstrip(fence[0]).strip():
                fence = None
            previous_text = ""
            continue
        # Most lines are prose that starts with a letter: a fence starts with blanks, '`' or
        # '~', and a heading or an underline (after comments and code spans are blanked)
        # with blanks, '#', '=' or '-', so the patterns run only on lines that start so.
        head = raw[:1]
        if not in_comment and head and (head in "`~" or head.isspace()):
            opening = _FENCE.match(raw)
            if opening and not (opening["fence"][0] == "`" and "`" in opening["info"]):
                fence = opening["fence"]
                lines.append(new_line(ProseLine, (number, "", True)))
                previous_text = ""
                continue
        # The two checks on the line itself spare most lines two calls.
        if in_comment or "<!--" in raw:
            text, in_comment = _blank_comments(raw, in_comment)
        else:
            text = raw
        if "`" in text:
            text = _CODE_SPAN.sub(_spaces, text)
        lines.append(new_line(ProseLine, (number, text, False)))
        head = text[:1]
        if not head:
            previous_text = ""
            continue
        if head not in "#=-" and not head.isspace():
            previous_text = text
            continue
        atx = _ATX.match(text)
        if atx:
            title = _atx_title(atx["text"])
            headings.append(Heading(number, len(atx["marks"]), title, heading_key(title), index))
            previous_text = ""
            continue
        setext = _SETEXT.match(text)
        if setext and previous_text and not _BLOCK_START.match(previous_text):
            level = 1 if setext["bar"].startswith("=") else 2
            title = previous_text.strip()
            headings.append(Heading(number - 1, level, title, heading_key(title), index - 1))
            previous_text = ""
            continue
        previous_text = text if text.strip() else ""
    return Body(tuple(lines), tuple(headings))


def count_entries(lines: tuple[ProseLine, ...]) -> int:
    """How many entries a section lists: its outermost list items, else its paragraphs."""
    items = [match for line in lines if (match := _LIST_ITEM.match(line.text))]
    if items:
        outer = min(len(match["indent"].expandtabs(4)) for match in items)
        return sum(1 for match in items if len(match["indent"].expandtabs(4)) == outer)
    paragraphs = 0
    inside = False
    for line in lines:
        filled = bool(line.text.strip()) or line.in_code
        if filled and not inside:
            paragraphs += 1
        inside = filled
    return paragraphs
