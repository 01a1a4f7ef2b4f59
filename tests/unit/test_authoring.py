"""Starting a postmortem: ids, file names and YAML values that read back as written."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postmortem_kb.authoring import (
    check_id_format,
    file_slug,
    format_id,
    next_id,
    yaml_scalar,
)
from postmortem_kb.loader import parse_front_matter
from postmortem_kb.settings import ConfigurationError


def read_back(value: object) -> object:
    return parse_front_matter(f"key: {yaml_scalar(value)}\n").data["key"]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("checkout", "checkout"),
        ("Checkout down after deploy", "Checkout down after deploy"),
        ("no", '"no"'),
        ("True", '"True"'),
        ("1:30", '"1:30"'),
        ("2024-03-15", '"2024-03-15"'),
        ("a: b # c", '"a: b # c"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("bidi\u202eevil", '"bidi\\u202eevil"'),
        ("line\u2028break", '"line\\u2028break"'),
        (["checkout", "orders db", "a,b"], '[checkout, orders db, "a,b"]'),
        (dt.date(2024, 3, 15), "2024-03-15"),
        (None, "null"),
    ],
)
def test_yaml_scalars(value: object, written: str) -> None:
    assert yaml_scalar(value) == written
    expected = value.isoformat() if isinstance(value, dt.date) else value
    assert read_back(value) == expected


@given(st.text(st.characters(exclude_categories=("Cs",)), max_size=80))
def test_any_text_reads_back_as_written(text: str) -> None:
    assert read_back(text) == text


@given(st.lists(st.text(max_size=20), max_size=5))
def test_any_list_of_text_reads_back_as_written(values: list[str]) -> None:
    assert read_back(values) == values


def test_ids() -> None:
    assert format_id("PM-{YYYY}-{NNN}", 2024, 7) == "PM-2024-007"
    assert format_id("PM-{YYYY}-{NNN}", 2024, 1234) == "PM-2024-1234"
    assert format_id("INC{YY}.{NN}", 2024, 3) == "INC24.03"
    existing = ["PM-2024-001", "PM-2024-017", "PM-2023-099", "PM-2024-x", "OTHER-2024-500"]
    assert next_id("PM-{YYYY}-{NNN}", 2024, existing) == "PM-2024-018"
    assert next_id("PM-{YYYY}-{NNN}", 2025, existing) == "PM-2025-001"
    assert next_id("INC-{NNNN}", 2024, ["INC-0009", "INC-12345"]) == "INC-12346"


@pytest.mark.parametrize(
    ("id_format", "problem"),
    [
        ("PM-{YYYY}", "it needs exactly one number placeholder"),
        ("PM-{NNN}-{NN}", "it needs exactly one number placeholder"),
        ("PM-{DD}-{NNN}", "unknown placeholder {DD}"),
        ("PM {NNN}", "the ids it makes would not be valid ids"),
        ("PM-{NNN}}", "a brace does not belong to a placeholder"),
    ],
)
def test_bad_id_formats(id_format: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        check_id_format(id_format)


def test_file_slugs() -> None:
    assert file_slug('Checkout: down # after "deploy"', "PM-1") == "checkout-down-after-deploy"
    assert file_slug("Störung – 50% Fehler", "PM-1") == "storung-50-fehler"
    assert file_slug("障害", "PM-2024-003") == "pm-2024-003"
    long = file_slug("word " * 40, "x")
    assert len(long) <= 60 and not long.endswith("-") and long.startswith("word-word")
    assert file_slug("../../etc/passwd", "x") == "etc-passwd"
