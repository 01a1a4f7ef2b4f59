"""The strict loader: splitting, YAML 1.2 scalars, refused YAML features, lines, encodings."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from postmortem_kb.loader import (
    FrontMatterError,
    StrictYAMLHandler,
    _read_up_to,
    load_file,
    load_text,
    loads,
    parse_front_matter,
    split_front_matter,
)


def load(text: str | bytes):
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return load_text(raw, "postmortems/x.md", Path("postmortems/x.md"))


def only_problem(text: str | bytes) -> str:
    result = load(text)
    assert result.document is None
    assert len(result.problems) == 1
    return str(result.problems[0])


def test_fields_keep_their_lines_including_nested_ones() -> None:
    result = load(
        "---\nid: PM-1\ntitle: T\naction_items:\n  - action: A\n    due: 2024-01-01\n"
        "  - action: B\n    due: 2024-01-02\n---\nBody\n"
    )
    document = result.document
    assert document is not None
    assert document.lines[("id",)] == 2
    assert document.lines[("action_items", 1, "due")] == 8
    assert document.body == "Body\n"
    assert document.body_line == 10


@pytest.mark.parametrize(
    ("source", "value"),
    [
        ("no", "no"),
        ("on", "on"),
        ("yes", "yes"),
        ("10:30", "10:30"),
        ("2024-03-15", "2024-03-15"),
        ("2024-03-15T14:20:00Z", "2024-03-15T14:20:00Z"),
        ("'2024-03-15'", "2024-03-15"),
        ("true", True),
        ("false", False),
        ("12", 12),
        ("0123", 123),
        ("3.10", 3.1),
        ("~", None),
        (".inf", ".inf"),
        ("'no'", "no"),
    ],
)
def test_scalars_follow_yaml_1_2_core_not_1_1(source: str, value: object) -> None:
    parsed = parse_front_matter(f"v: {source}\n")
    assert parsed.data["v"] == value
    assert type(parsed.data["v"]) is type(value)


def test_coerced_plain_scalars_keep_their_source_text() -> None:
    parsed = parse_front_matter("id: 0123\ntitle: 3.10\n")
    assert parsed.plain_scalars[("id",)] == "0123"
    assert parsed.plain_scalars[("title",)] == "3.10"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: 2\na: 3\n", ":4: duplicate key 'a', first set on line 2"),
        ("a: 1\n'a': 2\n", ":3: duplicate key 'a', first set on line 2"),
        ("'a': 1\na: 2\n", ":3: duplicate key 'a', first set on line 2"),
        ("b:\n  a: 1\n  a: 2\n", ":4: duplicate key 'b.a', first set on line 3"),
        ("true: a\n", "the key 'true' is read as a boolean"),
        ("null: a\n", "the key 'null' is read as null"),
        ("a: &x 1\nb: *x\n", ":2: the anchor '&x' is not allowed"),
        ("a: !!binary aGVsbG8=\n", ":2: the explicit tag '!!binary' is not allowed"),
        ("a: !!python/object/apply:os.system [ls]\n", "the explicit tag '!!python/object/apply"),
        ("a: !!set {x}\n", "the explicit tag '!!set' is not allowed"),
        ("1: a\n", "the key '1' is read as a number"),
        ("? [a, b]\n: c\n", "a key must be a plain word"),
        ("title: Outage: db down\n", "a value that contains ': ' must be quoted"),
        ("a:\n\t- b\n", "YAML does not allow tabs for indentation"),
        ("- a\n- b\n", ":2: the front matter is a list, not a mapping"),
        ("just text\n", "the front matter is a single value"),
        ("", ":2: the front matter is empty"),
        ("a: " + "[" * 500 + "]" * 500 + "\n", "nests deeper than 16 levels"),
    ],
)
def test_refused_yaml_names_the_line_and_the_fix(text: str, expected: str) -> None:
    assert expected in only_problem(f"---\n{text}---\nBody\n")


def test_plain_keys_and_other_keys_are_read_alike() -> None:
    # Plain word keys take a fast path; quoted keys, keys that may be numbers or null, and
    # explicit keys take the resolver: both give the same mapping and lines.
    parsed = parse_front_matter("a: 1\n'b': 2\n\"1\": 3\n? c\n: 4\nnope: 5\n")
    assert parsed.data == {"a": 1, "b": 2, "1": 3, "c": 4, "nope": 5}
    assert parsed.lines == {(): 1, ("a",): 1, ("b",): 2, ("1",): 3, ("c",): 5, ("nope",): 6}


def test_an_alias_bomb_is_refused_at_its_first_anchor() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    message = only_problem("---\n" + "\n".join(lines) + "\n---\n")
    assert "anchor '&a0' is not allowed" in message


def test_a_comment_after_an_unquoted_value_is_a_warning() -> None:
    result = load("---\ntitle: Fix #12 rollout\n---\n")
    assert result.document is not None
    assert result.document.front_matter["title"] == "Fix"
    assert [str(p) for p in result.problems] == [
        "postmortems/x.md:2: title: the text after ' #' was read as a YAML comment and "
        "dropped: quote the whole value"
    ]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "is empty"),
        (b"  \n\t\n", "is empty"),
        (b"# Title\n\nSome text\n", "has no front matter: a postmortem starts with a line '---'"),
        (b"title: x\nid: y\n", "it starts with a field ('title: x') but not with a line '---'"),
        (b"---\nid: x\n", "the front matter opened on line 1 is never closed"),
        (b"---\nid: x\ntitle: \xff\xfe\n---\n", ":3: is not valid UTF-8 (byte 0xff)"),
        (b"\xff\xfe-\x00-\x00", "is encoded as UTF-16"),
        (b"---\nid: x\x00\n---\n", ":2: contains NUL bytes"),
        (
            b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 12\n",
            "is a Git LFS pointer",
        ),
    ],
)
def test_files_that_are_not_postmortems_say_why(raw: bytes, expected: str) -> None:
    assert expected in only_problem(raw)


def test_bom_crlf_and_lone_cr_are_fine_and_lines_stay_right() -> None:
    for raw in (
        b"\xef\xbb\xbf---\r\nid: x\r\ntitle: y\r\n---\r\nBody\r\n",
        b"---\rid: x\rtitle: y\r---\rBody\r",
    ):
        result = load(raw)
        assert result.document is not None, result.problems
        assert result.document.front_matter == {"id": "x", "title": "y"}
        assert result.document.lines[("title",)] == 3
        assert result.document.body == "Body\n"


def test_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_bytes(b"---\nid: x\n---\n" + b"a" * 5000)
    result = load_file(path, "postmortems/big.md", max_bytes=1000)
    assert result.document is None
    assert "is 5,014 bytes, over the limit of 1,000 bytes" in str(result.problems[0])


def test_a_file_that_grows_while_it_is_read_is_read_to_its_end_or_the_cap(
    tmp_path: Path,
) -> None:
    # The first read asks for the size seen by fstat: a file that grew since is still read
    # whole, or up to one byte over the cap, so that the size check sees it.
    path = tmp_path / "growing.md"
    path.write_bytes(b"x" * 10_000)
    descriptor = os.open(path, os.O_RDONLY)
    try:
        assert _read_up_to(descriptor, 10, 20_000) == b"x" * 10_000
        os.lseek(descriptor, 0, os.SEEK_SET)
        assert _read_up_to(descriptor, 10, 1_001) == b"x" * 1_001
        os.lseek(descriptor, 0, os.SEEK_SET)
        assert _read_up_to(descriptor, 10_000, 20_000) == b"x" * 10_000
    finally:
        os.close(descriptor)
    result = load_file(path, "postmortems/growing.md", max_bytes=100)
    assert "over the limit of 100 bytes" in str(result.problems[0])


def test_a_folder_or_a_fifo_is_not_a_postmortem(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    for path in (fifo, tmp_path):
        result = load_file(path, "postmortems/x.md")
        assert result.document is None
        assert result.problems[0].code == "PM001"


def test_symlinks_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "secret.txt"
    target.write_text("---\nid: x\n---\n")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    result = load_file(link, "postmortems/link.md")
    assert result.document is None
    assert "is a symbolic link" in str(result.problems[0])


def test_split_needs_the_opening_line_exactly() -> None:
    parts = split_front_matter("---\na: 1\n...\nbody")
    assert parts.front_matter == "a: 1\n"
    assert parts.body == "body"
    with pytest.raises(FrontMatterError):
        split_front_matter(" ---\na: 1\n---\n")


def test_python_frontmatter_handler_is_as_strict_as_the_loader() -> None:
    assert loads("\ufeff---\nid: x\n---\nbody") == {"id": "x"}
    handler = StrictYAMLHandler()
    assert handler.detect("---\nid: x\n---\n")
    with pytest.raises(FrontMatterError, match="never closed"):
        loads("---\nid: x\n")
    with pytest.raises(FrontMatterError, match="is a list"):
        loads("---\n- a\n---\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "id: " + "9" * 5000 + "\n",
            ":2: the number '99999999999999999999999999999…' is too large to be a value "
            "(5,000 characters): quote it if it is text",
        ),
        ("9" * 5000 + ": x\n", ":2: the number '99999999999999999999999999999…' is too large"),
        ("impact:\n  revenue_usd: 1e999\n", ":3: the number '1e999' is too large to be a value"),
        ("tags: [" + "{a: 1}, " * 300 + "]\n", "tags has more than 256 items"),
        ("".join(f"k{i}: 1\n" for i in range(300)), "the front matter has more than 256 fields"),
        ("title: a\u2028id: hidden\n", ":2: contains the Unicode line break U+2028"),
        ("title: a\x85b\n", "contains the Unicode line break U+0085"),
    ],
)
def test_values_that_cost_too_much_or_hide_lines_are_refused(text: str, expected: str) -> None:
    assert expected in only_problem(f"---\n{text}---\nBody\n")


def test_a_lone_carriage_return_is_a_warning_on_its_line() -> None:
    result = load(b"---\nid: x\rtitle: y\n---\nBody\n")
    assert result.document is not None
    assert result.document.lines[("title",)] == 3
    assert [str(p) for p in result.problems] == [
        "postmortems/x.md:2: ends with a lone carriage return (CR): save the file with LF "
        "(or CRLF) line ends, or reviewers see it differently from the site"
    ]
    assert load(b"---\r\nid: x\r\n---\r\n").problems == ()


def test_special_files_never_block_the_read(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    result = load_file(fifo, "postmortems/pipe.md")
    assert [str(p) for p in result.problems] == [
        "postmortems/pipe.md: is not a regular file: postmortems must be plain files"
    ]


def test_messages_escape_control_characters_in_keys_and_values() -> None:
    message = only_problem('---\n"a\\nb\\e[2J": 1\n"a\\nb\\e[2J": 2\n---\n')
    assert "\n" not in message and "\x1b" not in message
    assert "duplicate key 'a\\nb\\u001b[2J'" in message
