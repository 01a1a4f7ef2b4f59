"""The compiled fast path of validation agrees with the full jsonschema path, document by document.

The fast path (jsonschema-rs) answers for valid documents; the full path (jsonschema) makes the
messages. If the fast path ever called valid a document that the full path rejects, an invalid
postmortem would be published, so these tests compare the two verdicts on every fixture, on the
example knowledge base, on a generated one, on format edge cases and on generated variants.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.generate import draw_postmortems
from kbtools import front_matter
from postmortem_kb.loader import load_text
from postmortem_kb.model import SourceDocument
from postmortem_kb.settings import packaged_schema_path
from postmortem_kb.validation import SchemaValidator, compile_fast_validator, load_schema

ROOT = Path(__file__).resolve().parents[2]
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return load_schema(packaged_schema_path(), SEVERITIES)


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> SchemaValidator:
    compiled = SchemaValidator(schema)
    assert compiled.fast is not None, "the packaged schema must have a fast path"
    return compiled


@pytest.fixture(scope="module")
def full_only(schema: dict[str, Any]) -> SchemaValidator:
    return SchemaValidator(schema, fast_path=False)


def document_of(text: str, name: str = "postmortems/x.md") -> SourceDocument:
    result = load_text(text.encode("utf-8"), name, Path(name))
    assert result.document is not None, result.problems
    return result.document


def agree(validator: SchemaValidator, data: Any) -> bool:
    assert validator.fast is not None
    fast = validator.fast.is_valid(data)
    full = validator.full_is_valid(data)
    assert fast == full, f"fast {fast}, full {full}: {json.dumps(data, default=str)[:500]}"
    return full


def fixture_texts() -> list[tuple[str, str]]:
    texts = [
        (path.name, path.read_text(encoding="utf-8"))
        for folder in (
            "postmortems",
            "plugins/postmortem_kb/scaffold/postmortems",
            "tests/fixtures",
        )
        if (ROOT / folder).is_dir()
        for path in sorted((ROOT / folder).glob("*.md"))
    ]
    contract = ROOT.parent / "shared/postmortem-format.md"
    if contract.is_file():
        example = contract.read_text().split("```markdown\n", 1)[1].split("```", 1)[0]
        texts.append(("contract example", example))
    texts.extend(draw_postmortems(60, seed=7))
    return texts


def test_every_fixture_gets_the_same_verdict_and_the_same_report(
    validator: SchemaValidator, full_only: SchemaValidator
) -> None:
    texts = fixture_texts()
    assert len(texts) > 70
    for name, text in texts:
        result = load_text(text.encode("utf-8"), f"postmortems/{name}", Path(name))
        if result.document is None:
            continue
        agree(validator, dict(result.document.front_matter))
        assert validator.problems(result.document) == full_only.problems(result.document), name


DATES = [
    "2024-02-29",
    "2023-02-29",
    "2024-02-30",
    "2024-13-01",
    "2024-00-10",
    "2024-1-01",
    "20240101",
    "0000-01-01",
    "9999-12-31",
    "2024-01-01T00:00:00Z",
    " 2024-01-01",
    "2024-01-01 ",
    "2024-01-01\n",
    "２０２４-01-01",
    "",
]
DATE_TIMES = [
    "2024-03-15T14:20:00Z",
    "2024-03-15T14:20:00",
    "2024-03-15t14:20:00z",
    "2024-03-15T14:20:00z",
    "2024-03-15 14:20:00Z",
    "2024-03-15T23:59:60Z",
    "2016-12-31T23:59:60Z",
    "2016-12-31T23:59:60+01:00",
    "2024-03-15T14:20:60Z",
    "2024-03-15T24:00:00Z",
    "2024-03-15T14:20:00+02:00",
    "2024-03-15T14:20:00-02:00",
    "2024-03-15T14:20:00-00:00",
    "2024-03-15T14:20:00+23:59",
    "2024-03-15T14:20:00+24:00",
    "2024-03-15T14:20:00-0200",
    "2024-03-15T14:20:00.123456789Z",
    "2024-03-15T14:20:00.Z",
    "2024-03-15T14:20:00,5Z",
    "2024-03-15T14:20Z",
    "2024-02-30T00:00:00Z",
    "2024-03-15T14:20:00Z\n",
]


@pytest.mark.parametrize("value", DATES)
def test_date_formats_agree(validator: SchemaValidator, value: str) -> None:
    agree(validator, front_matter(date=value))
    items = front_matter()["action_items"]
    items[0]["due"] = value
    agree(validator, front_matter(action_items=items))


@pytest.mark.parametrize("value", DATE_TIMES)
def test_date_time_formats_agree(validator: SchemaValidator, value: str) -> None:
    timeline = dict(front_matter()["timeline"], detected=value)
    agree(validator, front_matter(timeline=timeline))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    st.one_of(
        st.sampled_from(DATES + DATE_TIMES),
        st.text(alphabet="0123456789-:+.TtZz \n", max_size=30),
        st.dates().map(str),
        st.datetimes(timezones=st.timezones()).map(lambda moment: moment.isoformat()),
        st.text(max_size=25),
    )
)
def test_generated_dates_and_date_times_agree(validator: SchemaValidator, value: str) -> None:
    """The fast path checks formats with the full path's own parse functions."""
    agree(validator, front_matter(date=value))
    timeline = dict(front_matter()["timeline"], resolved=value)
    agree(validator, front_matter(timeline=timeline))


def test_the_format_checks_are_asserted_on_both_paths(validator: SchemaValidator) -> None:
    assert not agree(validator, front_matter(date="2024-02-30"))
    timeline = dict(front_matter()["timeline"], started="2024-03-15T14:20:00")
    assert not agree(validator, front_matter(timeline=timeline))
    assert agree(validator, front_matter(date="2024-02-29"))


@pytest.mark.parametrize(
    "title",
    ["\x1c", "\x1f", " \x1e ", "ok\n", "ok\r\n", "\u2028", "\u00a0", "\u3000", "a\u0085", "\t"],
)
def test_whitespace_that_python_and_rust_regexes_read_differently(
    validator: SchemaValidator, title: str
) -> None:
    """Python's \\s includes U+001C-U+001F, Rust's does not; '$' matches before a final \\n in
    Python only. The fast path uses Python's own regexes, so it agrees."""
    agree(validator, front_matter(title=title, summary=title))


def test_values_json_cannot_carry_make_the_fast_path_decline(
    validator: SchemaValidator,
) -> None:
    assert validator.fast is not None
    impact = {"revenue_usd": float("inf")}
    data = front_matter(impact=impact)
    assert validator.fast.is_valid(data) is False
    assert validator.is_valid(data) == validator.full_is_valid(data)
    lone = front_matter(title="a\ud800b")
    assert validator.fast.is_valid(lone) is False
    assert validator.is_valid(lone) == validator.full_is_valid(lone)


def test_a_schema_with_a_keyword_outside_the_whitelist_has_no_fast_path(
    schema: dict[str, Any],
) -> None:
    custom = copy.deepcopy(schema)
    custom["patternProperties"] = {"^x-": {"type": "string"}}
    assert compile_fast_validator(custom) is None
    remote = copy.deepcopy(schema)
    remote["properties"]["extra"] = {"$ref": "https://example.com/schema.json"}
    assert compile_fast_validator(remote) is None
    assert SchemaValidator(custom).fast is None


def test_a_custom_schema_with_formats_and_patterns_agrees() -> None:
    custom = {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date", "pattern": "^20"},
            "name": {"pattern": "^\\S+$", "minLength": 2},
            "tags": {"type": "array", "items": {"pattern": "^[a-z]+$"}, "uniqueItems": True},
            "kind": {"anyOf": [{"const": "a"}, {"enum": ["b", "c"]}]},
        },
        "required": ["when"],
        "$defs": {"positive": {"type": "integer", "exclusiveMinimum": 0}},
        "additionalProperties": {"$ref": "#/$defs/positive"},
    }
    compiled = SchemaValidator(custom)
    assert compiled.fast is not None
    for data in [
        {"when": "2024-02-29"},
        {"when": "1999-01-01"},
        {"when": "2024-02-30"},
        {"when": "2024-01-01", "name": "a b"},
        {"when": "2024-01-01", "name": "ab\n"},
        {"when": "2024-01-01", "tags": ["ab", "ab"]},
        {"when": "2024-01-01", "tags": ["Ab"]},
        {"when": "2024-01-01", "kind": "c", "count": 3},
        {"when": "2024-01-01", "count": 0},
        {"when": "2024-01-01", "count": 1.0},
        {"when": 20240101},
    ]:
        agree(compiled, data)


# Generated variants: a valid front matter with fields replaced by awkward values.

texts = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\x1c",
            "x\n",
            "SEV1",
            "sev1",
            "final",
            "Final",
            "prevent",
            "P1",
            "todo",
            "deploy-process",
            "Deploy_Process",
            "https://tracker.example.com/OPS-1",
            "javascript:alert(1)",
            "http://a b",
            "PM-2024-017",
            "-bad-id",
            "a" * 65,
            "t" * 201,
            *DATES,
            *DATE_TIMES,
        ]
    ),
    st.text(max_size=12),
)
scalars = st.one_of(
    texts,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(texts, children, max_size=3)
    ),
    max_leaves=6,
)
PATHS = [
    ("id",),
    ("title",),
    ("date",),
    ("severity",),
    ("status",),
    ("summary",),
    ("services",),
    ("services", 0),
    ("tags", 1),
    ("authors", 0),
    ("incident",),
    ("timeline",),
    ("timeline", "started"),
    ("timeline", "resolved"),
    ("impact", "users_affected"),
    ("impact", "revenue_usd"),
    ("impact", "data_loss"),
    ("root_causes",),
    ("root_causes", 0, "category"),
    ("root_causes", 0, "description"),
    ("contributing_factors",),
    ("action_items",),
    ("action_items", 0),
    ("action_items", 0, "type"),
    ("action_items", 1, "owner"),
    ("action_items", 1, "due"),
    ("action_items", 0, "status"),
    ("action_items", 0, "link"),
    ("related",),
    ("related", 0),
    ("unknown_field",),
]


def replaced(data: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    target: Any = data
    for part in path[:-1]:
        if isinstance(target, dict):
            target = target.setdefault(part, {} if isinstance(part, str) else [])
        elif isinstance(target, list) and isinstance(part, int) and part < len(target):
            target = target[part]
        else:
            return data
    last = path[-1]
    if isinstance(target, dict) or (
        isinstance(target, list) and isinstance(last, int) and last < len(target)
    ):
        target[last] = value
    return data


BASE = {
    **front_matter(),
    "related": ["PM-2023-044"],
    "impact": {"users_affected": 10, "revenue_usd": 1.5, "data_loss": False},
    "contributing_factors": [{"category": "process", "description": "x"}],
}


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    changes=st.lists(st.tuples(st.sampled_from(PATHS), values), min_size=1, max_size=3),
    status=st.sampled_from(["final", "draft", "in-review"]),
)
def test_generated_variants_get_the_same_verdict(
    validator: SchemaValidator, changes: list[tuple[tuple[Any, ...], Any]], status: str
) -> None:
    data = dict(BASE, status=status)
    for path, value in changes:
        data = replaced(data, path, value)
    agree(validator, data)
