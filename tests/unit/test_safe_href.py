"""``safe_href``: only http(s) links with no whitespace or control character pass."""

from __future__ import annotations

import sys

import pytest

from postmortem_kb.rendering import _SPACE_OR_CONTROL, safe_href


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://tracker.example/T-1", "https://tracker.example/T-1"),
        ("  HTTP://tracker.example/T-1 ", "HTTP://tracker.example/T-1"),
        ("javascript:alert(1)", None),
        ("mailto:ops@example.com", None),
        ("/relative/path", None),
        ("", None),
        ("https://tracker.example/a b", None),
        ("https://tracker.example/\x00", None),
        ("https://tracker.example/\u00a0x", None),
        ("https://tracker.example/\u2028x", None),
        ("https://tracker.example/\u00e9", "https://tracker.example/\u00e9"),
    ],
)
def test_safe_href(value: str, expected: str | None) -> None:
    assert safe_href(value) == expected


def test_every_code_point_is_judged_as_isspace_and_c0_controls_would_judge_it() -> None:
    # The regular expression stands in for a per-character check; they must agree everywhere.
    every = "".join(chr(code) for code in range(sys.maxunicode + 1) if not 0xD800 <= code <= 0xDFFF)
    refused = {ch for ch in every if ch.isspace() or ord(ch) < 32}
    assert set(_SPACE_OR_CONTROL.findall(every)) == refused
    for ch in sorted(refused)[::7]:
        assert safe_href(f"https://x.example/a{ch}b") is None
