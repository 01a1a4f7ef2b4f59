"""The text check (PM106) answers as its per-character definition does, for every input.

The check asks ``unicodedata.category`` of a character only when it must: a regular
expression finds the control characters, and a text with a visible ASCII character is
visible. These tests hold the fast answers to the definition over every code point, over
generated texts and over generated front matters, with the exact messages.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem_kb.loader import load_text, plain_ascii
from postmortem_kb.model import FieldPath, Problem, SourceDocument, format_field_path
from postmortem_kb.validation import first_control, only_invisible, text_problems

INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cs", "Cn", "Mn", "Me"})


def defined_first_control(text: str) -> str | None:
    """The definition: the first character of category Cc other than tab and line feed."""
    return next((ch for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n"), None)


def defined_only_invisible(text: str) -> bool:
    """The definition: a text whose every character has an invisible category."""
    return bool(text) and all(unicodedata.category(ch) in INVISIBLE for ch in text)


def defined_text_problems(document: SourceDocument) -> list[Problem]:
    """The check as it was first written: every character's category, field by field."""
    problems = []
    for path, text, is_key in walk(document.front_matter, ()):
        control = defined_first_control(text)
        if control is not None:
            message = (
                f"contains the control character U+{ord(control):04X}: remove it "
                "(values are plain text)"
            )
        elif not is_key and defined_only_invisible(text) and text.strip():
            message = "holds only invisible characters: write the value or remove the field"
        else:
            continue
        shown = format_field_path(
            tuple(part if isinstance(part, int) else shorten_part(part) for part in path)
        )
        problems.append(
            Problem(document.file, document.line_of(path), shown or None, message, "PM106")
        )
    return problems


def shorten_part(part: str) -> str:
    from postmortem_kb.loader import shorten

    return shorten(part, 60)[1:-1]


def walk(value: Any, path: FieldPath) -> Any:
    if isinstance(value, str):
        yield path, value, False
    elif isinstance(value, dict):
        for key, child in value.items():
            yield (*path, key), key, True
            yield from walk(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from walk(child, (*path, index))


def document(front_matter: dict[str, Any]) -> SourceDocument:
    lines: dict[FieldPath, int] = {(): 2}
    for number, (path, _text, _is_key) in enumerate(walk(front_matter, ()), start=3):
        lines.setdefault(path, number)
    return SourceDocument(
        "postmortems/x.md", Path("postmortems/x.md"), front_matter, lines, {}, "", 20, "0"
    )


def test_every_code_point_is_classified_as_its_category_says() -> None:
    everything = "".join(chr(code) for code in range(sys.maxunicode + 1))
    categories = [unicodedata.category(ch) for ch in everything]
    controls = [code for code, category in enumerate(categories) if category == "Cc"]
    assert [code for code in controls if chr(code) not in "\t\n"] == [
        code for code, ch in enumerate(everything) if first_control(ch) is not None
    ]
    invisible = [code for code, category in enumerate(categories) if category in INVISIBLE]
    assert invisible == [code for code, ch in enumerate(everything) if only_invisible(ch)]
    # The fast test for a visible character: every character it finds is visible.
    assert not {categories[code] for code in range(ord("!"), ord("~") + 1)} & INVISIBLE


# Characters near every boundary the check cares about, and some of each kind.
TRICKY = st.sampled_from(
    [
        "\t",
        "\n",
        "\r",
        "\x00",
        "\x1b",
        "\x1f",
        " ",
        "!",
        "~",
        "\x7f",
        "\x85",
        "\x9f",
        "\xa0",
        "\xad",
        "\u200b",
        "\u200d",
        "\u2028",
        "\u3000",
        "\ufeff",
        "\u0301",
        "\ue000",
        "\U000e0001",
        "\U0010ffff",
        "a",
        "é",
        "日",
    ]
)
TEXTS = st.lists(st.one_of(TRICKY, st.characters()), max_size=8).map("".join) | st.text()


@settings(max_examples=300)
@given(TEXTS)
def test_the_fast_answers_agree_with_the_definition_on_any_text(text: str) -> None:
    assert first_control(text) == defined_first_control(text)
    assert only_invisible(text) is defined_only_invisible(text)


FRONT_MATTER = st.recursive(
    st.one_of(TEXTS, st.integers(), st.booleans(), st.none()),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(TEXTS.filter(bool), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=150)
@given(st.dictionaries(TEXTS.filter(bool), FRONT_MATTER, max_size=5))
def test_text_problems_agree_with_the_definition_on_any_front_matter(
    front_matter: dict[str, Any],
) -> None:
    doc = document(front_matter)
    assert text_problems(doc) == defined_text_problems(doc)


def test_each_kind_of_problem_keeps_its_message_and_place() -> None:
    doc = document(
        {
            "title": "Checkout \x1b[31mdown",
            "summary": "\u200b\u200d",
            "services": ["orders", "\ufeff"],
            "blank": " \u3000",
            "ke\x07y": "fine",
            "impact": {"description": "ok\x85"},
        }
    )
    assert [(p.field, p.message) for p in text_problems(doc)] == [
        ("title", "contains the control character U+001B: remove it (values are plain text)"),
        ("summary", "holds only invisible characters: write the value or remove the field"),
        ("services[1]", "holds only invisible characters: write the value or remove the field"),
        ("ke\\u0007y", "contains the control character U+0007: remove it (values are plain text)"),
        (
            "impact.description",
            "contains the control character U+0085: remove it (values are plain text)",
        ),
    ]
    assert text_problems(doc) == defined_text_problems(doc)


def test_a_clean_front_matter_has_no_problem() -> None:
    doc = document(
        {
            "title": "Tab\tand line\nfeed are fine",
            "summary": "Ünïcödé, 日本語 and emoji 🎉",
            "tags": ["", "é"],
            "impact": {"users_affected": 3, "description": "\u0301a"},
        }
    )
    assert text_problems(doc) == []


def loaded(front_matter_text: str) -> SourceDocument | None:
    raw = f"---\n{front_matter_text}---\nBody\n".encode("utf-8", "surrogatepass")
    return load_text(raw, "postmortems/x.md", Path("postmortems/x.md")).document


@settings(max_examples=300)
@given(
    st.dictionaries(TEXTS.filter(bool), FRONT_MATTER, max_size=5),
    st.sampled_from([None, '"', "'", "|", ">"]),
    st.booleans(),
)
def test_a_plain_ascii_front_matter_has_no_text_problem(
    front_matter: dict[str, Any], style: str | None, allow_unicode: bool
) -> None:
    # PyYAML writes what it cannot show as a double-quoted escape, or as the character.
    text = yaml.safe_dump(front_matter, default_style=style, allow_unicode=allow_unicode)
    doc = loaded(text)
    if doc is None:
        return
    assert doc.plain_text is plain_ascii(text)
    if doc.plain_text:
        # The walk that plain_text lets text_problems skip finds nothing either.
        assert text_problems(replace(doc, plain_text=False)) == []
        assert defined_text_problems(doc) == []
    else:
        assert text_problems(doc) == defined_text_problems(doc)


def test_only_a_plain_ascii_text_skips_the_walk() -> None:
    assert plain_ascii("title: Tab\tand 'quotes' # and a comment\nsummary: |\n  two\n  lines\n")
    for text in ('title: "\\e[31m"\n', "title: a\x1bb\n", "title: é\n", "title: a\x7f\n"):
        assert not plain_ascii(text)
    doc = loaded('title: "red \\e[31m"\n')
    assert doc is not None and not doc.plain_text
    assert [problem.field for problem in text_problems(doc)] == ["title"]
