"""The shortcuts of the lint rules find what asking every line and every pattern finds.

Blame language (PM301) looks for its keywords in the whole body at once and tries a
pattern only where its anchor (the mistake, or "failed to") is found; the placeholder rule
(PM411) looks for ``TODO`` in the body first. These tests hold each shortcut to the plain
definition over generated texts made of the phrases that matter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from postmortem_kb.lint import (
    _KEYWORDS,
    BLAME_PATTERNS,
    _findings,
    blame_findings,
    keyword_hits,
    keyword_lines,
)
from postmortem_kb.markdown_body import parse_body

KEYWORDS = re.compile(
    "|".join(sorted({keyword for blame in BLAME_PATTERNS for keyword in blame.keywords}))
)


def defined_blame_findings(text: str) -> Iterator[tuple[str, str]]:
    """Every pattern whose keyword the text has, with no anchor."""
    hits = set(KEYWORDS.findall(text.lower()))
    for blame in BLAME_PATTERNS:
        if hits.isdisjoint(blame.keywords):
            continue
        for match in blame.pattern.finditer(text):
            yield " ".join(match.group().split()), blame.rewrite


WORDS = st.sampled_from(
    [
        "The",
        "the",
        "on-call",
        "On-Call",
        "engineer",
        "team",
        "@bob",
        "checkout-oncall",
        "I",
        "we",
        "had",
        "also",
        "quickly",
        "forgot",
        "FORGOT",
        "did",
        "didn't",
        "did not",
        "follow",
        "made",
        "a",
        "an",
        "mistake",
        "mistakenly",
        "accidentally",
        "failed",
        "to",
        "should",
        "have",
        "should've",
        "human",
        "error",
        "operator-error",
        "Pilot",
        "DEVELOPER",
        "ENGİNEER",  # not ASCII: the pattern must still run
        "pılot",  # DOTLESS I: 'i' when matching case-insensitively
        "errors",
        "who",
        "broke",
        "careless",
        "negligence",
        "ſhould",  # LATIN SMALL LETTER LONG S: 's' when matching case-insensitively
        "\u212a",  # KELVIN SIGN, 'k' likewise
        "İ",  # lowercases to two characters
        "Σ",
        "`code`",
        "<!--",
        "-->",
        "```",
        "#",
        "\t",
        "\u00a0",
        ".",
        ",",
        "",
    ]
)
LINES = st.lists(WORDS, max_size=9).map(" ".join)


@settings(max_examples=400)
@given(LINES)
def test_anchored_patterns_find_what_the_patterns_alone_find(text: str) -> None:
    assert list(blame_findings(text)) == list(defined_blame_findings(text))


@settings(max_examples=300)
@given(st.lists(LINES, max_size=8))
def test_the_lines_with_a_keyword_are_all_the_lines_that_can_have_a_finding(
    texts: list[str],
) -> None:
    candidates = set(keyword_lines(texts))
    for index, text in enumerate(texts):
        if KEYWORDS.search(text.lower()):
            assert index in candidates, (index, text)


@settings(max_examples=200)
@given(st.lists(LINES, max_size=8).map("\n".join))
def test_blame_in_a_body_is_found_on_the_lines_a_reader_sees(body: str) -> None:
    lines = parse_body(body, 1).lines
    expected = [
        (line.number, finding)
        for line in lines
        if not line.in_code and line.text.strip()
        for finding in defined_blame_findings(line.text)
    ]
    found = [
        (lines[index].number, finding)
        for index in keyword_lines([line.text for line in lines])
        for finding in blame_findings(lines[index].text)
    ]
    assert found == expected
    # As blame_language reads them: each line with the keywords found in the whole body.
    found_with_hits = [
        (lines[index].number, finding)
        for index, hits in keyword_hits([line.text for line in lines])
        for finding in _findings(lines[index].text, hits, None)
    ]
    assert found_with_hits == expected


KEYWORD_ALPHABET = st.sampled_from(
    ["did", "made", "error", "who", "Σ", "ς", "İ", "\u212a", "ǅ", "ß", " ", "\n", "x", "BROKE", "ﬀ"]
)


@settings(max_examples=400)
@given(st.lists(st.lists(KEYWORD_ALPHABET, max_size=8).map("".join), max_size=6))
def test_each_lines_keywords_are_those_its_own_lower_case_has(texts: list[str]) -> None:
    texts = [text.replace("\n", " ") for text in texts]
    expected = [
        (index, hits)
        for index, text in enumerate(texts)
        if (hits := {keyword for keyword in _KEYWORDS if keyword in text.lower()})
    ]
    assert keyword_hits(texts) == expected
    assert keyword_lines(texts) == [index for index, _hits in expected]


def test_the_anchors_are_what_every_match_ends_with() -> None:
    for blame in BLAME_PATTERNS:
        if blame.anchor is None:
            continue
        for text in ("@bob forgot it", "The team failed to act", "we did not follow it"):
            for match in blame.pattern.finditer(text):
                assert blame.anchor.search(match.group()) is not None
