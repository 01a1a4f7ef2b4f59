"""Read a postmortem file strictly: bytes to a front matter mapping with the line of every field.

The front matter is parsed from libyaml's event stream, not with PyYAML's constructors, so
that the rules are ours: YAML 1.2 core scalars only (``no`` stays a string, ``10:30`` is not a
number, dates stay strings), and duplicate keys, anchors, aliases, explicit tags and deep
nesting are refused before anything is built from them. An alias bomb is refused at its first
anchor, in constant memory; so are numbers too long to convert, lists and mappings too long to
validate in reasonable time, and the Unicode line breaks that YAML obeys but editors hide.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from frontmatter.default_handlers import YAMLHandler

from postmortem_kb.model import FieldPath, Problem, SourceDocument, format_field_path, printable

DEFAULT_MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 16
"""The deepest nesting a front matter may have; the contract needs three levels."""
MAX_EVENTS = 200_000
"""A bound on the work one front matter may ask for, whatever its size cap."""
MAX_ITEMS = 256
"""The most items a list, or fields a mapping, may have; the format's longest list has 50.

Validation compares list items pairwise (``uniqueItems``), so this keeps one file's cost small
whatever it holds."""
MAX_NUMBER_CHARS = 100
"""Unquoted numbers longer than this are refused: converting them costs time (Python refuses
integers of over 4,300 digits) and no field needs them."""
SHOWN_VALUE_CHARS = 60
"""Messages quote at most this much of a value."""

LFS_POINTER_PREFIX = b"version https://git-lfs.github.com/spec/"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

_Loader: type[Any] = getattr(yaml, "CBaseLoader", yaml.BaseLoader)

# YAML 1.2 core schema, minus .inf and .nan, which JSON cannot carry.
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?[0-9]+")
_INT_OCT = re.compile(r"0o[0-7]+")
_INT_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NOT_TEXT = re.compile(
    "|".join(pattern.pattern for pattern in (_NULL, _INT, _INT_OCT, _INT_HEX, _FLOAT))
    + "|"
    + "|".join(_BOOL)
)
_LOOKS_LIKE_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*\s*:(\s|$)")
# libyaml (YAML 1.1) breaks lines at NEL, LS and PS too; editors and diffs mostly do not.
_HIDDEN_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")


def shorten(value: object, limit: int = SHOWN_VALUE_CHARS) -> str:
    """Quote a value for a message, cut to ``limit`` characters so a message stays short."""
    text = printable(repr(value) if not isinstance(value, str) else value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'" if isinstance(value, str) else text


class NumberTooLargeError(ValueError):
    """An unquoted number that is too long to convert, or too large for a float."""


def resolve_plain_scalar(text: str) -> Any:
    """The value of an unquoted scalar under the YAML 1.2 core schema (strings by default).

    Raises:
        NumberTooLargeError: for a number longer than ``MAX_NUMBER_CHARS`` or beyond a float's
            range (``1e999``), which JSON could not carry.
    """
    if _NOT_TEXT.fullmatch(text) is None:  # one test rules out the common case, text
        return text
    if len(text) > MAX_NUMBER_CHARS and (
        _INT.fullmatch(text)
        or _INT_OCT.fullmatch(text)
        or _INT_HEX.fullmatch(text)
        or _FLOAT.fullmatch(text)
    ):
        raise NumberTooLargeError(text)
    if _NULL.fullmatch(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if _INT.fullmatch(text):
        return int(text)
    if _INT_OCT.fullmatch(text):
        return int(text[2:], 8)
    if _INT_HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        number = float(text)
        if not math.isfinite(number):
            raise NumberTooLargeError(text)
        return number
    return text


@dataclass(frozen=True)
class FrontMatter:
    """A parsed front matter: the values, the line of each field, the source of coerced values."""

    data: dict[str, Any]
    lines: dict[FieldPath, int]
    plain_scalars: dict[FieldPath, str]
    comment_warnings: tuple[tuple[FieldPath, int], ...]


class FrontMatterError(Exception):
    """A front matter that cannot be read; carries the line (1-based) and a message."""

    def __init__(self, line: int | None, message: str, code: str = "PM003") -> None:
        super().__init__(message)
        self.line = line
        self.message = message
        self.code = code


@dataclass(slots=True)
class _Container:
    value: Any  # a dict when is_mapping, else a list
    path: FieldPath
    is_mapping: bool
    pending_key: str | None = None
    key_lines: dict[str, int] = field(default_factory=dict)


SharedValues = dict[Any, Any]
"""Field paths and short texts already made, so that the documents loaded together share one
object for each: ten thousand postmortems hold ``("action_items", 0, "due")``, ``"todo"`` or
``"@sre-team"`` once, not ten thousand times."""

SHARED_TEXT_CHARS = 40
"""Texts up to this long are shared between documents (keys, statuses, owners, dates...)."""


def parse_front_matter(
    text: str, first_line: int = 1, shared: SharedValues | None = None
) -> FrontMatter:
    """Parse front matter YAML strictly.

    Args:
        text: the YAML between the ``---`` lines, with ``\\n`` line ends.
        first_line: the file line on which ``text`` starts, so lines read as in the file.
        shared: a table of field paths and short texts shared by the documents of one
            knowledge base (see ``SharedValues``).

    Returns:
        The mapping with the line of every field.

    Raises:
        FrontMatterError: for a syntax error or a YAML feature the format refuses.
    """
    # Each of these breaks is outside ASCII, and asking a str whether it is ASCII costs
    # nothing (CPython keeps the answer): most front matters skip the search.
    hidden_break = None if text.isascii() else _HIDDEN_LINE_BREAKS.search(text)
    if hidden_break is not None:
        raise FrontMatterError(
            text.count("\n", 0, hidden_break.start()) + first_line,
            f"contains the Unicode line break U+{ord(hidden_break.group()):04X}, which YAML "
            "reads as a new line but editors and diffs may not show: remove it",
            "PM004",
        )
    # This loop runs for every YAML event of every postmortem, so it is written for speed
    # (profiled: it was most of a cold check): events are told apart by their class, plain
    # scalars that cannot be anything but text skip the resolver, and the comment check runs
    # only when the text has a '#' at all.
    if shared is None:
        shared = {}
    has_hash = "#" in text
    source_lines = text.split("\n") if has_hash else None
    loader = _Loader(text)
    get_event = loader.get_event
    stack: list[_Container] = []
    lines: dict[FieldPath, int] = {}
    plain_scalars: dict[FieldPath, str] = {}
    comment_warnings: list[tuple[FieldPath, int]] = []
    root: Any = _NOTHING
    events = 0
    top: _Container | None = None
    in_mapping = False  # top.is_mapping, read once for each container and not for each event
    try:
        while True:
            event = get_event()
            kind = event.__class__
            if kind is _SCALAR:
                scalar = True
            elif kind in _SKIPPED:
                if kind is _STREAM_END:
                    break
                continue
            elif kind in _ENDS:
                done = stack.pop()
                if stack:
                    top = stack[-1]
                    in_mapping = top.is_mapping
                else:
                    top = None
                    in_mapping = False
                    root = done.value
                continue
            else:
                scalar = False
            events += 1
            if events > MAX_EVENTS:
                raise FrontMatterError(None, "the front matter is too large to be a postmortem's")
            line = event.start_mark.line + first_line
            if kind is _ALIAS:
                raise FrontMatterError(
                    line,
                    f"the alias '*{shorten(event.anchor, 30)[1:-1]}' is not allowed: "
                    "write the value out in full",
                    "PM004",
                )
            if event.anchor is not None or event.tag is not None:
                _refuse_anchor_and_tag(event, line)
            if in_mapping and top is not None and top.pending_key is None:
                if len(top.value) >= MAX_ITEMS:
                    _check_length(top, line)
                # Keys are nearly always plain words that resolve to themselves: those skip
                # the resolver (``_mapping_key`` still reports a duplicate, word for word).
                if (
                    scalar
                    and not event.style
                    and (name := event.value)[:1] not in _MAYBE_NOT_TEXT
                    and name not in top.key_lines
                ):
                    top.key_lines[name] = line
                else:
                    name = _mapping_key(event, line, top)
                top.pending_key = shared.setdefault(name, name)
                continue
            if not in_mapping and top is not None and len(top.value) >= MAX_ITEMS:
                _check_length(top, line)
            if top is None:
                path: FieldPath = ()
            else:
                part: str | int = (
                    top.pending_key  # type: ignore[assignment]
                    if in_mapping
                    else len(top.value)
                )
                key = (top.path, part)
                found = shared.get(key)
                if found is None:
                    found = shared[key] = (*top.path, part)
                path = found
            if path not in lines:
                lines[path] = line
            if scalar:
                value: Any = event.value
                if not event.style:  # plain: None from PyYAML, '' from libyaml
                    if value[:1] in _MAYBE_NOT_TEXT:
                        value = _resolve(value, line)
                        if value.__class__ is not str:
                            plain_scalars[path] = event.value
                    if has_hash and _comment_follows(source_lines, event.end_mark):
                        comment_warnings.append((path, line))
                if value.__class__ is str and len(value) <= SHARED_TEXT_CHARS:
                    value = shared.setdefault(value, value)
                if top is None:
                    root = value
                elif in_mapping:
                    top.value[top.pending_key] = value
                    top.pending_key = None
                else:
                    top.value.append(value)
                continue
            # A mapping or a sequence starts.
            if len(stack) >= MAX_DEPTH:
                raise FrontMatterError(line, _TOO_DEEP, "PM004")
            is_mapping = kind is _MAPPING_START
            container: dict[str, Any] | list[Any] = {} if is_mapping else []
            if top is not None:
                if in_mapping:
                    top.value[top.pending_key] = container
                    top.pending_key = None
                else:
                    top.value.append(container)
            top = _Container(container, path, is_mapping)
            in_mapping = is_mapping
            stack.append(top)
    except yaml.MarkedYAMLError as error:
        raise _syntax_error(error, first_line, text.split("\n")) from None
    except yaml.YAMLError as error:  # pragma: no cover - libyaml always marks its errors
        raise FrontMatterError(None, f"YAML error: {error}") from None
    if root is _NOTHING:
        raise FrontMatterError(
            first_line, "the front matter is empty: it needs the postmortem's fields", "PM002"
        )
    if not isinstance(root, dict):
        kind_name = "a list" if isinstance(root, list) else "a single value"
        raise FrontMatterError(
            first_line,
            f"the front matter is {kind_name}, not a mapping of fields like 'title: ...'",
            "PM002",
        )
    return FrontMatter(root, lines, plain_scalars, tuple(comment_warnings))


_SCALAR = yaml.ScalarEvent
_ALIAS = yaml.AliasEvent
_MAPPING_START = yaml.MappingStartEvent
_STREAM_END = yaml.StreamEndEvent
_SKIPPED = frozenset({yaml.StreamStartEvent, yaml.DocumentStartEvent, yaml.DocumentEndEvent})
_SKIPPED = _SKIPPED | {_STREAM_END}
_ENDS = frozenset({yaml.MappingEndEvent, yaml.SequenceEndEvent})
_MAYBE_NOT_TEXT = frozenset("0123456789+-.~nNtTfF") | {""}
"""The first characters of a plain scalar that may resolve to null, a boolean or a number."""

_NOTHING: Any = object()
_TOO_DEEP = (
    f"the front matter nests deeper than {MAX_DEPTH} levels; a postmortem needs three at most"
)


_RESOLVED: dict[str, Any] = {}
"""The values of short plain scalars resolved so far: keys, dates and statuses repeat in every
postmortem, and resolving is a pure function of the text."""
MAX_RESOLVED = 65_536
RESOLVED_CHARS = 40


def _resolve(text: str, line: int) -> Any:
    found = _RESOLVED.get(text, _NOTHING)
    if found is not _NOTHING:
        return found
    try:
        value = resolve_plain_scalar(text)
    except NumberTooLargeError:
        raise FrontMatterError(
            line,
            f"the number {shorten(text, 30)} is too large to be a value "
            f"({len(text):,} characters): quote it if it is text",
            "PM004",
        ) from None
    if len(text) <= RESOLVED_CHARS and len(_RESOLVED) < MAX_RESOLVED:
        _RESOLVED[text] = value
    return value


def _check_length(container: _Container, line: int) -> None:
    if len(container.value) < MAX_ITEMS:
        return
    where = format_field_path(container.path) or "the front matter"
    if isinstance(container.value, dict):
        reason = f"has more than {MAX_ITEMS} fields; the format has about 20"
    else:
        reason = f"has more than {MAX_ITEMS} items; the format's lists have 50 at most"
    raise FrontMatterError(line, f"{shorten(where, 60)[1:-1]} {reason}", "PM004")


def _refuse_anchor_and_tag(event: Any, line: int) -> None:
    anchor = getattr(event, "anchor", None)
    if anchor is not None:
        raise FrontMatterError(
            line,
            f"the anchor '&{shorten(anchor, 30)[1:-1]}' is not allowed: anchors and aliases "
            "make a postmortem hard to review; write each value out",
            "PM004",
        )
    tag = getattr(event, "tag", None)
    if tag is not None:
        shown = tag.replace("tag:yaml.org,2002:", "!!")
        raise FrontMatterError(
            line,
            f"the explicit tag '{shorten(shown, 40)[1:-1]}' is not allowed: "
            "remove it (quote the value if it must stay text)",
            "PM004",
        )


def _mapping_key(event: Any, line: int, container: _Container) -> str:
    if not isinstance(event, yaml.ScalarEvent):
        raise FrontMatterError(line, "a key must be a plain word, not a list or a mapping", "PM004")
    key = _resolve(event.value, line) if not event.style else event.value
    if not isinstance(key, str):
        raise FrontMatterError(
            line,
            f"the key {shorten(event.value)} is read as {_kind(key)}; keys must be field names",
            "PM004",
        )
    if key in container.key_lines:
        where = format_field_path((*container.path, key))
        raise FrontMatterError(
            line,
            f"duplicate key '{shorten(where, 60)[1:-1]}', first set on line "
            f"{container.key_lines[key]}: keep one",
            "PM004",
        )
    container.key_lines[key] = line
    return key


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string"


def _comment_follows(source_lines: list[str] | None, end_mark: Any) -> bool:
    """Whether an unquoted value is followed by `` #`` on its line, which YAML drops."""
    if source_lines is None or end_mark.line >= len(source_lines):
        return False
    rest: str = source_lines[end_mark.line][end_mark.column :]
    return rest.startswith((" #", "\t#"))


def _syntax_error(error: yaml.MarkedYAMLError, first_line: int, source_lines: list[str]) -> Any:
    mark = error.problem_mark or error.context_mark
    line = None if mark is None else mark.line + first_line
    problem = (error.problem or "invalid YAML").strip()
    if "maximum nesting depth" in problem:  # libyaml's own bound, met before ours in flow style
        return FrontMatterError(line, _TOO_DEEP, "PM004")
    hint = ""
    text = source_lines[mark.line] if mark is not None and mark.line < len(source_lines) else ""
    if "\t" in problem or "'\\t'" in problem or "\t" in text[: len(text) - len(text.lstrip())]:
        hint = "; YAML does not allow tabs for indentation: use spaces"
    elif "mapping values are not allowed" in problem:
        hint = "; a value that contains ': ' must be quoted, e.g. title: \"Outage: orders down\""
    elif "could not find expected ':'" in problem or "expected <block end>" in problem:
        hint = "; check the indentation and quote values that contain ':' or '#'"
    elif "special characters are not allowed" in problem:
        hint = "; remove the control character"
    context = f" ({error.context.strip()})" if error.context else ""
    return FrontMatterError(line, f"YAML syntax error: {problem}{context}{hint}")


class StrictYAMLHandler(YAMLHandler):
    """A python-frontmatter handler with this project's strict rules.

    Where python-frontmatter is lenient (it returns an empty mapping for a file with a BOM or
    an unclosed block, and accepts a list), this handler raises ``FrontMatterError``, so
    ``frontmatter.loads(text, handler=StrictYAMLHandler())`` is as strict as the build.
    """

    def detect(self, text: str) -> bool:
        """Whether the text opens with a ``---`` line."""
        return bool(text.lstrip("\ufeff").split("\n", 1)[0].rstrip() == "---")

    def split(self, text: str) -> tuple[str, str]:
        """Split text into front matter and body, strictly."""
        parts = split_front_matter(normalize_newlines(text.lstrip("\ufeff")))
        return parts.front_matter, parts.body

    def load(self, fm: str, **kwargs: object) -> dict[str, Any]:
        """Parse front matter with the strict parser."""
        return parse_front_matter(normalize_newlines(fm)).data


@dataclass(frozen=True)
class SplitText:
    """A file's text split into front matter and body, with the line each starts on."""

    front_matter: str
    front_matter_line: int
    body: str
    body_line: int


def normalize_newlines(text: str) -> str:
    """Turn CRLF and lone CR line ends into LF."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_front_matter(text: str) -> SplitText:
    """Split a postmortem into its front matter and its body.

    The file must open with a line ``---``; the front matter ends at the next line that is
    ``---`` or ``...``.

    Raises:
        FrontMatterError: when the front matter is missing or never closed.
    """
    head, newline, rest = text.partition("\n")
    if head.rstrip() != "---":
        first = next((line for line in text.split("\n") if line.strip()), "")
        if _LOOKS_LIKE_FIELD.match(first):
            raise FrontMatterError(
                1,
                "the file has no front matter: it starts with a field "
                f"({shorten(first.strip(), 40)}) but not with a line '---'; "
                "put '---' above the first field and below the last one",
                "PM002",
            )
        raise FrontMatterError(
            1,
            "the file has no front matter: a postmortem starts with a line '---', "
            "its fields (id, title, date, ...), and a closing '---'",
            "PM002",
        )
    if not newline:
        raise FrontMatterError(
            1, "the front matter opened on line 1 is never closed: add a line '---'", "PM002"
        )
    lines = rest.split("\n")
    for index, line in enumerate(lines):
        if line.rstrip() in ("---", "..."):
            return SplitText(
                front_matter="\n".join(lines[:index]) + "\n",
                front_matter_line=2,
                body="\n".join(lines[index + 1 :]),
                body_line=index + 3,
            )
    raise FrontMatterError(
        1,
        "the front matter opened on line 1 is never closed: add a line '---' after the last field",
        "PM002",
    )


@dataclass(frozen=True)
class LoadResult:
    """What reading one file gave: a document, or none and the reasons."""

    document: SourceDocument | None
    problems: tuple[Problem, ...]


def decode(raw: bytes, file: str) -> str | Problem:
    """Decode a file's bytes as UTF-8 text with LF line ends, or say why it is not text."""
    text = _decode(raw, file)
    return text if isinstance(text, Problem) else normalize_newlines(text)


def _decode(raw: bytes, file: str) -> str | Problem:
    if raw.startswith(LFS_POINTER_PREFIX):
        return Problem(
            file,
            1,
            None,
            "is a Git LFS pointer, not the postmortem: run 'git lfs pull', "
            "or keep postmortems out of LFS",
            "PM001",
        )
    if raw.startswith(UTF16_BOMS):
        return Problem(file, 1, None, "is encoded as UTF-16: save it as UTF-8", "PM001")
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        return Problem(
            file, line, None, "contains NUL bytes: it is a binary file, not Markdown", "PM001"
        )
    if raw.startswith(UTF8_BOM):
        raw = raw[len(UTF8_BOM) :]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        return Problem(
            file,
            line,
            None,
            f"is not valid UTF-8 (byte 0x{raw[error.start]:02x}): save it as UTF-8",
            "PM001",
        )
    return text


def lone_carriage_return(text: str, file: str) -> Problem | None:
    """A warning for the first line that ends with a lone CR (classic Mac or mixed line ends).

    The build reads a lone CR as a line end, but git diffs and GitHub's file view show such
    a file as fewer, longer lines, so a reviewer would not see what is published.
    """
    start = 0
    while True:
        index = text.find("\r", start)
        if index < 0:
            return None
        if not text.startswith("\n", index + 1):
            line = normalize_newlines(text[:index]).count("\n") + 1
            return Problem(
                file,
                line,
                None,
                "ends with a lone carriage return (CR): save the file with LF (or CRLF) line "
                "ends, or reviewers see it differently from the site",
                "PM104",
                "warning",
            )
        start = index + 2


_SYMLINK_MESSAGE = (
    "is a symbolic link: postmortems must be regular files (its target is never published)"
)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_READ_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0)


def read_bytes(path: Path, file: str, max_bytes: int) -> bytes | Problem:
    """Read a file's bytes, refusing symbolic links, special files and files over ``max_bytes``.

    The file is opened without following a final symbolic link and checked on the open handle,
    so a file swapped for a link after the check is refused too; a FIFO never blocks the build.
    """
    try:
        # Where the system can refuse to open a link, opening is the check (one system call
        # less for each of thousands of files); elsewhere, look first.
        if not _NOFOLLOW and path.is_symlink():
            return Problem(file, None, None, _SYMLINK_MESSAGE, "PM001")
        descriptor = os.open(path, _READ_FLAGS)
    except OSError as error:
        if path.is_symlink():
            return Problem(file, None, None, _SYMLINK_MESSAGE, "PM001")
        return Problem(file, None, None, f"cannot be read: {error.strerror}", "PM001")
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            return Problem(
                file, None, None, "is not a regular file: postmortems must be plain files", "PM001"
            )
        if info.st_size > max_bytes:
            return Problem(
                file,
                None,
                None,
                f"is {info.st_size:,} bytes, over the limit of {max_bytes:,} bytes "
                "(option max_file_bytes): split it or move attachments out",
                "PM001",
            )
        try:
            raw = _read_up_to(descriptor, info.st_size, max_bytes + 1)
        except OSError as error:
            return Problem(file, None, None, f"cannot be read: {error.strerror}", "PM001")
    finally:
        os.close(descriptor)
    if len(raw) > max_bytes:
        return Problem(file, None, None, f"is over the limit of {max_bytes:,} bytes", "PM001")
    return raw


def _read_up_to(descriptor: int, expected: int, limit: int) -> bytes:
    """Read a file to its end or to ``limit`` bytes, whichever comes first.

    The first read asks for the size the file had (and one byte more, to see whether it has
    grown since): asking for ``limit`` bytes at once made every read allocate that much.
    """
    chunks = []
    size = 0
    wanted = min(expected + 1, limit)
    while size < limit:
        chunk = os.read(descriptor, wanted)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        wanted = limit - size
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def load_text(
    raw: bytes,
    file: str,
    abs_path: Path,
    shared: SharedValues | None = None,
    digest: str | None = None,
) -> LoadResult:
    """Turn a postmortem's bytes into a source document, or into problems.

    Args:
        raw: the file's bytes.
        file: its path as messages show it.
        abs_path: where it is on disk.
        shared: field paths and short texts shared between the documents of a knowledge
            base (see ``SharedValues``).
        digest: the SHA-256 of ``raw`` in hex, when the caller has it already.
    """
    undecoded = _decode(raw, file)
    if isinstance(undecoded, Problem):
        return LoadResult(None, (undecoded,))
    line_end_warning = lone_carriage_return(undecoded, file)
    decoded = normalize_newlines(undecoded)
    if not decoded.strip():
        return LoadResult(
            None,
            (
                Problem(
                    file, 1, None, "is empty: a postmortem needs front matter and a body", "PM002"
                ),
            ),
        )
    try:
        parts = split_front_matter(decoded)
        parsed = parse_front_matter(parts.front_matter, parts.front_matter_line, shared)
    except FrontMatterError as error:
        found = Problem(file, error.line, None, error.message, error.code)
        return LoadResult(None, (found,) if line_end_warning is None else (line_end_warning, found))
    warnings = (() if line_end_warning is None else (line_end_warning,)) + tuple(
        Problem(
            file,
            line,
            format_field_path(path),
            "the text after ' #' was read as a YAML comment and dropped: quote the whole value",
            "PM103",
            "warning",
        )
        for path, line in parsed.comment_warnings
    )
    document = SourceDocument(
        file=file,
        abs_path=abs_path,
        front_matter=parsed.data,
        lines=parsed.lines,
        plain_scalars=parsed.plain_scalars,
        body=parts.body,
        body_line=parts.body_line,
        digest=digest or hashlib.sha256(raw).hexdigest(),
        plain_text=plain_ascii(parts.front_matter),
    )
    return LoadResult(document, warnings)


def plain_ascii(text: str) -> bool:
    """Whether a text is ASCII with no backslash and no control character but tab and line feed.

    YAML makes a front matter's keys and values out of its text: only a double-quoted
    escape, which starts with a backslash, writes a character that the text does not hold.
    So no field of a plain ASCII front matter holds a control character, or only invisible
    characters but blank space, and the check of every field for them (``PM106``) can be
    skipped: a walk of the whole front matter, about 20 µs a file.
    """
    return text.isascii() and "\\" not in text and CONTROL.search(text) is None


CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""The control characters (category Cc, a set Unicode keeps stable) but tab and line feed."""


def load_file(path: Path, file: str, max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> LoadResult:
    """Read and parse one postmortem file; every failure comes back as a problem."""
    raw = read_bytes(path, file, max_bytes)
    if isinstance(raw, Problem):
        return LoadResult(None, (raw,))
    return load_text(raw, file, path)


def loads(text: str) -> dict[str, Any]:
    """Parse a postmortem's front matter from text with python-frontmatter and strict rules."""
    post = frontmatter.loads(text, handler=StrictYAMLHandler())
    return dict(post.metadata)
