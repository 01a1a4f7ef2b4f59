"""The schema's metaschema check: jsonschema-rs answers for a valid schema, jsonschema for the rest.

``load_schema`` asks jsonschema-rs first, so that a build whose schema and postmortems are
valid never imports the jsonschema package. If jsonschema-rs called valid a schema that
jsonschema rejects, a broken schema would go unreported, so these tests compare the verdicts of
both on hand-picked schemas and on generated ones, check that every case where they disagree
goes to jsonschema, and that the message for a bad schema is still jsonschema's.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from jsonschema_specifications import REGISTRY

from postmortem_kb import validation
from postmortem_kb.settings import ConfigurationError, packaged_schema_path
from postmortem_kb.validation import load_schema

ROOT = Path(__file__).resolve().parents[2]
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
DRAFT_2019_09 = "https://json-schema.org/draft/2019-09/schema"
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
uri_library = pytest.mark.skipif(
    validation._uri_formats_asserted(),
    reason="rfc3987 or rfc3986-validator is installed: jsonschema checks every schema",
)

VALID: dict[str, Any] = {
    "the repository's schema": json.loads(
        (ROOT / "schemas/postmortem.schema.json").read_text(encoding="utf-8")
    ),
    "the packaged schema": json.loads(packaged_schema_path().read_text(encoding="utf-8")),
    "an empty schema": {},
    "true": True,
    "false": False,
    "unknown keywords": {"x-owner": "sre", "unknownKeyword": {"type": 5}},
    "2020-12 declared": {"$schema": DRAFT_2020_12, "type": "object"},
    "2020-12 declared with an empty fragment": {"$schema": DRAFT_2020_12 + "#"},
    "patterns": {"pattern": "^(?:[a-z]+)\\d{2,}$", "patternProperties": {"^x-": {}}},
    "a named group in Python's syntax": {"pattern": "(?P<name>a)"},
    "an empty enum": {"enum": []},
    "a whole float as an integer": {"minLength": 1.0},
    "a huge integer": {"maxLength": 10**30},
    "a property named pattern": {"properties": {"pattern": {"type": "string"}}},
    "additionalItems, not a 2020-12 keyword": {"additionalItems": 5},
    "a $ref that is no URI (not checked without a URI library)": {"$ref": "a b"},
    "nested subschemas": {
        "properties": {"a": {"items": {"allOf": [{"if": {}, "then": {"pattern": "x"}}]}}},
        "$defs": {"b": {"patternProperties": {"^b": {"minLength": 0}}}},
    },
}

INVALID: dict[str, Any] = {
    "type 5": {"type": 5},
    "required as a string": {"required": "x"},
    "a negative minLength": {"minLength": -1},
    "enum as a number": {"enum": 3},
    "properties as a list": {"properties": []},
    "a $ref that is not a string": {"$ref": 5},
    "a bad type under properties": {"properties": {"a": {"type": "nope"}}},
    "a bad minLength under items": {"items": {"minLength": -1}},
    "a bad required under allOf": {"allOf": [{"required": "x"}]},
    "a bad enum under then": {"if": {}, "then": {"enum": 3}},
    "a number": 5,
    "a string": "x",
    "a list": [],
    "null": None,
    "a repeated required name": {"required": ["a", "a"]},
    "multipleOf 0": {"multipleOf": 0},
    "an $id with a fragment": {"$id": "x#frag"},
    "an anchor starting with a digit": {"$anchor": "1abc"},
    "a $schema that is not a string": {"$schema": 5},
    "a boolean minLength": {"minLength": True},
    "items as a list": {"items": [{}]},
    "items as a list with 2020-12 declared": {"$schema": DRAFT_2020_12 + "#", "items": [{}]},
    "an empty allOf": {"allOf": []},
    # jsonschema-rs does not switch drafts for an embedded resource, which jsonschema never does.
    "a draft-07 embedded resource": {
        "properties": {"a": {"$id": "http://x/a", "$schema": DRAFT_07, "items": [{}]}}
    },
}

DISAGREEMENTS: dict[str, Any] = {
    # Found by this test and by generated schemas: jsonschema-rs calls the first eight valid and
    # jsonschema invalid; the NaN and infinity the other way; the last two make it raise.
    # jsonschema-rs asserts no format of the metaschema; jsonschema checks regex with re.
    "a pattern Python cannot compile": {"pattern": "("},
    "a pattern in ECMA-262 syntax only": {"pattern": "\\p{L}"},
    "a named group in ECMA-262 syntax": {"pattern": "(?<name>a)"},
    "a bad pattern deep inside": {"properties": {"a": {"items": {"pattern": "[a-"}}}},
    "a bad patternProperties name": {"patternProperties": {"(": {}}},
    "a bad patternProperties name deep inside": {
        "$defs": {"a": {"patternProperties": {"\\p{L}": {}}}}
    },
    # jsonschema-rs follows $schema to another draft; jsonschema checks against 2020-12.
    "draft-07 declared": {"$schema": DRAFT_07, "items": [{}]},
    "2019-09 declared": {"$schema": DRAFT_2019_09, "items": [{}]},
    # jsonschema-rs takes no NaN or infinity (JSON has none; Python's json reads them).
    "a NaN minimum": {"minimum": math.nan},
    "an infinite maximum": {"maximum": math.inf},
    # jsonschema-rs raises.
    "an unknown $schema": {"$schema": "not-a-metaschema"},
    "a lone surrogate in a key": {"\ud800": 1},
}


def jsonschema_message(path: Path, schema: Any) -> str | None:
    """What the check said before jsonschema-rs was asked first; None for a valid schema."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        return f"the schema {path} is not a valid JSON Schema at {where}: {error.message}"
    return None


def jsonschema_rs_verdict(schema: Any) -> bool | str:
    try:
        return bool(jsonschema_rs.meta.is_valid(schema))
    except Exception as error:
        return f"raises {type(error).__name__}"


def written(tmp_path: Path, schema: Any) -> Path:
    """The schema as a file (NaN and Infinity as Python's json writes and reads them)."""
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    return path


def load_outcome(path: Path) -> str | None:
    """``load_schema``'s error message, or None when it accepts the schema."""
    try:
        load_schema(path, ("SEV1",))
    except ConfigurationError as error:
        return str(error)
    return None


@pytest.mark.parametrize(
    ("schema", "valid"),
    [pytest.param(schema, True, id=name, marks=uri_library) for name, schema in VALID.items()]
    + [pytest.param(schema, False, id=name) for name, schema in INVALID.items()],
)
def test_jsonschema_rs_and_jsonschema_agree(schema: Any, valid: bool) -> None:
    assert (jsonschema_message(Path("s.json"), schema) is None) is valid
    assert jsonschema_rs_verdict(schema) is valid


@uri_library
@pytest.mark.parametrize("schema", VALID.values(), ids=VALID)
def test_a_valid_schema_is_checked_without_jsonschema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, schema: Any
) -> None:
    assert validation._fast_metaschema_check_passes(schema)
    path = written(tmp_path, schema)
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # importing it now fails
    if isinstance(schema, dict):
        assert load_schema(path, ("SEV1",)).keys() == schema.keys()
    else:
        with pytest.raises(ConfigurationError, match="must be a JSON object"):
            load_schema(path, ("SEV1",))


@pytest.mark.parametrize("schema", INVALID.values(), ids=INVALID)
def test_an_invalid_schema_keeps_jsonschema_s_message(tmp_path: Path, schema: Any) -> None:
    path = written(tmp_path, schema)
    expected = jsonschema_message(path, schema)
    assert expected is not None
    assert load_outcome(path) == expected


def test_a_pattern_key_inside_data_goes_to_jsonschema(tmp_path: Path) -> None:
    # The search for patterns takes a key named pattern anywhere, even where it is data: the
    # schema then costs a jsonschema import, and is still found valid.
    schema = {"const": {"pattern": "("}}
    assert jsonschema_rs_verdict(schema) is True
    assert not validation._fast_metaschema_check_passes(schema)
    assert load_outcome(written(tmp_path, schema)) is None


@pytest.mark.parametrize("schema", DISAGREEMENTS.values(), ids=DISAGREEMENTS)
def test_where_they_disagree_jsonschema_decides(tmp_path: Path, schema: Any) -> None:
    assert not validation._fast_metaschema_check_passes(schema)
    path = written(tmp_path, schema)
    assert load_outcome(path) == jsonschema_message(path, schema)


@pytest.mark.parametrize(
    ("schema", "where", "message"),
    [
        ({"type": 5}, "type", "5 is not valid under any of the given schemas"),
        ({"pattern": "("}, "pattern", "'(' is not a 'regex'"),
        (5, "(root)", "5 is not of type 'object', 'boolean'"),
        (
            {"properties": {"a": {"items": {"minLength": -1}}}},
            "properties/a/items/minLength",
            "-1 is less than the minimum of 0",
        ),
        ({"$schema": DRAFT_07, "items": [{}]}, "items", "[{}] is not of type 'object', 'boolean'"),
    ],
)
def test_the_message_names_the_place_and_the_fault(
    tmp_path: Path, schema: Any, where: str, message: str
) -> None:
    path = written(tmp_path, schema)
    assert (
        load_outcome(path) == f"the schema {path} is not a valid JSON Schema at {where}: {message}"
    )


def test_without_jsonschema_rs_jsonschema_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema_rs", None)
    assert not validation._fast_metaschema_check_passes({})
    assert load_outcome(written(tmp_path, VALID["the repository's schema"])) is None
    path = written(tmp_path, {"type": 5})
    assert load_outcome(path) == jsonschema_message(path, {"type": 5})


def test_the_uri_formats_are_detected_as_jsonschema_finds_them() -> None:
    checkers = Draft202012Validator.FORMAT_CHECKER.checkers
    asserted = validation._uri_formats_asserted()
    assert asserted == ("uri" in checkers) == ("uri-reference" in checkers)


def test_with_a_uri_library_jsonschema_decides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # With rfc3987 or rfc3986-validator installed, jsonschema rejects {"$ref": "a b"}.
    monkeypatch.setattr(validation, "_uri_formats_asserted", lambda: True)
    assert not validation._fast_metaschema_check_passes(VALID["the repository's schema"])
    assert load_outcome(written(tmp_path, VALID["the repository's schema"])) is None


def test_the_metaschema_asserts_only_the_formats_the_fast_check_handles() -> None:
    """A format added to the metaschema would be one more that jsonschema-rs does not assert."""
    formats: set[str] = set()
    for uri in REGISTRY:
        if uri.startswith("https://json-schema.org/draft/2020-12/"):
            pending: list[Any] = [REGISTRY[uri].contents]
            while pending:
                node = pending.pop()
                if isinstance(node, dict):
                    if isinstance(node.get("format"), str):
                        formats.add(node["format"])
                    pending.extend(node.values())
                elif isinstance(node, list):
                    pending.extend(node)
    assert formats == {"regex", "uri", "uri-reference"}


NAMES = st.sampled_from(["a", "b", "pattern", "type", "$ref", ""])
DATA = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.sampled_from([1.5, 2.0]),
    st.text(max_size=3),
    st.just([]),
    st.just({}),
)
PATTERNS = st.sampled_from(["^a$", "\\d+", "a{2}", "(?P<n>a)", "(", "[a-", "\\p{L}", "(?<n>a)"])


SUBSCHEMA_KEYWORDS = (
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "additionalProperties",
    "unevaluatedProperties",
    "contentSchema",
)


def _keywords(sub: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Schemas of 2020-12 keywords, each with a value that is often right and sometimes not."""
    optional: dict[str, st.SearchStrategy[Any]] = {
        "type": st.one_of(
            st.sampled_from(["string", "object", "array", "integer", "null", "nope"]),
            st.lists(st.sampled_from(["string", "null", "integer", "x"]), max_size=3),
        ),
        "required": st.lists(NAMES, max_size=3),
        "dependentRequired": st.dictionaries(NAMES, st.lists(NAMES, max_size=2), max_size=2),
        "minLength": st.integers(-1, 3),
        "maxItems": st.sampled_from([-1, 0, 2, 2.0, 2.5]),
        "minimum": st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
        "multipleOf": st.sampled_from([-1, 0, 3, 0.5]),
        "exclusiveMinimum": st.one_of(st.integers(), st.booleans()),
        "enum": st.lists(DATA, max_size=3),
        "const": DATA,
        "uniqueItems": DATA,
        "pattern": PATTERNS,
        "format": st.sampled_from(["date", "uri", "nope", ""]),
        "$ref": st.sampled_from(["#", "#/$defs/a", "http://x/y", "a b", ""]),
        "$id": st.sampled_from(["http://x/y", "x#", "x#y", "urn:a", ""]),
        "$anchor": st.sampled_from(["a", "1a", "a-b", ""]),
        "$dynamicAnchor": st.sampled_from(["a", "1a"]),
        "$dynamicRef": st.sampled_from(["#a", "#meta", "x"]),
        "$vocabulary": st.dictionaries(
            st.sampled_from(["https://x", "not a uri"]), DATA, max_size=2
        ),
        "$comment": DATA,
        "title": DATA,
        "default": DATA,
        "examples": DATA,
        "deprecated": DATA,
        "contentEncoding": DATA,
        "x-extension": DATA,
        "additionalItems": DATA,
        "properties": st.dictionaries(NAMES, sub, max_size=3),
        "$defs": st.dictionaries(NAMES, sub, max_size=2),
        "definitions": st.dictionaries(NAMES, sub, max_size=2),
        "patternProperties": st.dictionaries(PATTERNS, sub, max_size=2),
        "dependentSchemas": st.dictionaries(NAMES, sub, max_size=2),
        "dependencies": st.dictionaries(
            NAMES, st.one_of(sub, st.lists(NAMES, max_size=2)), max_size=2
        ),
        **dict.fromkeys(SUBSCHEMA_KEYWORDS, sub),
        **{name: st.lists(sub, max_size=2) for name in ("allOf", "anyOf", "prefixItems")},
    }
    names = st.lists(st.sampled_from(sorted(optional)), max_size=4, unique=True)

    @st.composite
    def schema(draw: st.DrawFn) -> dict[str, Any]:
        return {name: draw(optional[name]) for name in draw(names)}

    return st.one_of(st.booleans(), schema(), DATA)


_SCHEMAS = st.recursive(st.booleans() | st.just({}), _keywords, max_leaves=8)


@st.composite
def schemas(draw: st.DrawFn) -> Any:
    """Generated schemas (a named strategy, so that hypothesis shows no huge repr of it)."""
    return draw(_SCHEMAS)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas())
def test_generated_schemas_get_jsonschema_s_verdict(schema: Any) -> None:
    valid = jsonschema_message(Path("s.json"), schema) is None
    python_regexes = all(
        validation._compiles(pattern) for pattern in validation._regular_expressions(schema)
    )
    fast = validation._fast_metaschema_check_passes(schema)
    assert not (fast and not valid), "the fast check let an invalid schema through"
    # Regular expressions aside (the one difference in these schemas), both agree, so that a
    # valid schema needs no jsonschema import.
    if python_regexes and not validation._uri_formats_asserted():
        assert jsonschema_rs_verdict(schema) is valid
        assert fast is valid
