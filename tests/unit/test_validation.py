"""Schema validation and the rules the schema cannot say, with located messages."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from kbtools import FULL_BODY, front_matter, postmortem_text, write_kb
from postmortem_kb.knowledge_base import discover_files, load_knowledge_base
from postmortem_kb.loader import load_text
from postmortem_kb.settings import ConfigurationError, Settings, packaged_schema_path
from postmortem_kb.validation import SchemaValidator, load_schema, parse_timestamp

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def validator() -> SchemaValidator:
    return SchemaValidator(load_schema(packaged_schema_path(), ("SEV1", "SEV2", "SEV3", "SEV4")))


def problems_of(validator: SchemaValidator, text: str) -> list[str]:
    result = load_text(text.encode(), "postmortems/x.md", Path("x.md"))
    assert result.document is not None, result.problems
    return [str(p) for p in validator.problems(result.document)]


def test_the_packaged_schema_is_the_repository_schema() -> None:
    assert (
        ROOT / "schemas/postmortem.schema.json"
    ).read_bytes() == packaged_schema_path().read_bytes()


def test_a_valid_postmortem_has_no_problems(validator: SchemaValidator) -> None:
    assert problems_of(validator, postmortem_text()) == []


CONTRACT_EXAMPLE = ROOT / "tests/fixtures/contract-example.md"


def test_the_contract_example_is_valid(validator: SchemaValidator) -> None:
    assert problems_of(validator, CONTRACT_EXAMPLE.read_text()) == []


def test_the_contract_example_fixture_matches_the_contract() -> None:
    contract = ROOT.parent / "shared/postmortem-format.md"
    if not contract.is_file():
        pytest.skip("the shared contract is not beside this checkout")
    example = contract.read_text().split("```markdown\n", 1)[1].split("```", 1)[0]
    assert CONTRACT_EXAMPLE.read_text() == example


def text_with(**overrides: Any) -> str:
    return postmortem_text(**overrides)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"severity": "SEV9"},
            ":5: severity: the text 'SEV9' is not one of 'SEV1', 'SEV2', 'SEV3', 'SEV4'",
        ),
        ({"severity": "sev1"}, "did you mean 'SEV1'?"),
        ({"status": "Final"}, "did you mean 'final'?"),
        ({"date": "2024-02-30"}, "date: '2024-02-30' is not a day that exists"),
        ({"title": None}, "title: required, but missing"),
        ({"services": []}, "services: needs at least 1 item"),
        ({"services": "checkout"}, "services: expected a list, got the text 'checkout'"),
        ({"id": "PM 1"}, "id: 'PM 1' must start with a letter or digit"),
        ({"id": "PM-\u202e1"}, "contains the invisible or control character U+202E"),
        (
            {"tags": ["ok", "a\u200bb"]},
            "tags[1]: contains the invisible or control character U+200B",
        ),
        ({"title": "two\nlines"}, "title: 'two\\nlines' must be a single line of text"),
        ({"title": "x" * 5000}, "is 5,000 characters long; the limit is 200"),
        ({"timeline": {"started": "2024-03-15T14:20:00"}}, "has no time zone: add 'Z' for UTC"),
        ({"root_causes": None}, "root_causes: required when status is 'final', but missing"),
        (
            {"root_causes": [{"category": "Human Error", "description": "x"}]},
            "must be a kebab-case word",
        ),
        ({"impact": {"users_affected": -1}}, "impact.users_affected: must be at least 0"),
        (
            {"impact": {"data_loss": "yes"}},
            "expected true or false, got the text 'yes': write true or false",
        ),
        ({"servics": ["x"]}, "servics: unknown field: did you mean 'services'?"),
    ],
)
def test_schema_messages_name_line_field_and_expectation(
    validator: SchemaValidator, overrides: dict[str, Any], expected: str
) -> None:
    found = problems_of(validator, text_with(**overrides))
    assert any(expected in message for message in found), found


def test_owner_and_due_are_required_when_final(validator: SchemaValidator) -> None:
    items = [{"action": "Add a test", "type": "prevent"}]
    found = problems_of(validator, text_with(action_items=items))
    assert (
        "postmortems/x.md:27: action_items[0].owner: required when status is 'final', but missing"
        in found
    )
    assert any("action_items[0].due: required when status is 'final'" in m for m in found)
    assert problems_of(validator, text_with(action_items=items, status="draft")) == []


def test_unquoted_number_where_text_is_expected_says_to_quote(validator: SchemaValidator) -> None:
    text = postmortem_text().replace("id: PM-2024-017", "id: 0123")
    found = problems_of(validator, text)
    assert found == [
        "postmortems/x.md:2: id: expected text, got the number 123: YAML reads the unquoted "
        "'0123' as a number; quote it: \"0123\""
    ]


def test_javascript_links_are_refused(validator: SchemaValidator) -> None:
    items = front_matter()["action_items"]
    items[1]["link"] = "javascript:alert(1)"
    found = problems_of(validator, text_with(action_items=items))
    assert any("must be an http:// or https:// URL" in m for m in found)


def test_a_huge_value_never_lands_whole_in_a_message(validator: SchemaValidator) -> None:
    found = problems_of(validator, text_with(severity="S" * 100_000))
    assert found and all(len(m) < 400 for m in found)


def test_configured_severities_replace_the_default_ones(tmp_path: Path) -> None:
    schema = load_schema(packaged_schema_path(), ("P0", "P1"))
    assert schema["properties"]["severity"]["enum"] == ["P0", "P1"]


def test_a_broken_schema_is_a_configuration_error(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"type": "nonsense"}))
    with pytest.raises(ConfigurationError, match="not a valid JSON Schema"):
        load_schema(path, ("SEV1",))
    path.write_text("{not json")
    with pytest.raises(ConfigurationError, match="not valid JSON"):
        load_schema(path, ("SEV1",))


def kb_problems(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    root = write_kb(tmp_path, files)
    settings = Settings(root=root, postmortems_dir=root / "postmortems")
    return [str(p) for p in load_knowledge_base(settings).problems]


def test_duplicate_ids_name_both_files(tmp_path: Path) -> None:
    found = kb_problems(tmp_path, {"a.md": postmortem_text(), "b.md": postmortem_text()})
    assert (
        "postmortems/a.md:2: id: 'PM-2024-017' is also the id of postmortems/b.md: ids must be unique"
        in found
    )
    assert (
        "postmortems/b.md:2: id: 'PM-2024-017' is also the id of postmortems/a.md: ids must be unique"
        in found
    )


def test_related_must_exist_and_not_be_self(tmp_path: Path) -> None:
    found = kb_problems(
        tmp_path,
        {
            "a.md": postmortem_text(related=["PM-2024-018", "PM-2024-017"]),
            "b.md": postmortem_text(id="PM-2024-019"),
        },
    )
    assert any(
        "related[0]: 'PM-2024-018' is not the id of any postmortem; did you mean" in m
        for m in found
    )
    assert any("related[1]: refers to this postmortem itself" in m for m in found)


def test_timeline_out_of_order(tmp_path: Path) -> None:
    timeline = dict(front_matter()["timeline"], mitigated="2024-03-15T14:00:00Z")
    found = kb_problems(tmp_path, {"a.md": postmortem_text(timeline=timeline)})
    assert any(
        "timeline.mitigated: 2024-03-15T14:00:00Z is before timeline.detected (2024-03-15T14:32:00Z)"
        in m
        for m in found
    )


def test_date_may_differ_by_a_day_from_started_in_utc(tmp_path: Path) -> None:
    timeline = {
        "started": "2024-03-15T23:30:00-05:00",
        "detected": "2024-03-16T04:40:00Z",
        "mitigated": "2024-03-16T05:00:00Z",
    }
    assert kb_problems(tmp_path, {"a.md": postmortem_text(timeline=timeline)}) == []


def test_final_with_no_action_items_needs_a_reason(tmp_path: Path) -> None:
    found = kb_problems(
        tmp_path, {"a.md": postmortem_text(body="\nNo section.\n", action_items=[])}
    )
    assert any(
        "action_items: is empty: a final postmortem lists its action items" in m for m in found
    )
    reason = FULL_BODY.replace(
        "See the table above.", "None: the vendor fixed the fault and we depend on nothing new."
    )
    assert (
        kb_problems(tmp_path / "b", {"a.md": postmortem_text(body=reason, action_items=[])}) == []
    )


def test_every_file_is_a_postmortem_or_a_problem(tmp_path: Path) -> None:
    found = kb_problems(
        tmp_path,
        {
            "a.md": postmortem_text(),
            "b.markdown": postmortem_text(id="B"),
            "c.MD": postmortem_text(id="C"),
            "notes.txt": "hello",
            ".gitkeep": "",
            "index.md": postmortem_text(id="D"),
        },
    )
    assert any("b.markdown: has the extension '.markdown': rename it to b.md" in m for m in found)
    assert any("c.MD: has the extension '.MD'" in m for m in found)
    assert any("notes.txt: is not a postmortem" in m for m in found)
    assert any("index.md: the name 'index' is reserved" in m for m in found)
    assert not any(".gitkeep" in m for m in found)


def test_discovery_joins_paths_as_pathlib_would(tmp_path: Path) -> None:
    # Discovery joins paths as text (fast); they must be the paths Path would give.
    root = write_kb(
        tmp_path,
        {"2024/b.md": postmortem_text(id="B"), "a.md": postmortem_text(), "x.": "", "c.MD": ""},
    )
    settings = Settings(root=root, postmortems_dir=root / "postmortems")
    files, problems = discover_files(settings)
    folder = root / "postmortems"
    expected = [folder / "a.md", folder / "2024" / "b.md"]
    assert files == [(path, settings.display_path(path)) for path in expected]
    assert [problem.file for problem in problems] == ["postmortems/c.MD", "postmortems/x."]
    assert "rename it to c.md " in problems[0].message


def test_pages_of_files_in_folders_collide_with_the_same_name_elsewhere(tmp_path: Path) -> None:
    found = kb_problems(
        tmp_path, {"2024/outage.md": postmortem_text(), "outage.md": postmortem_text(id="PM-2")}
    )
    assert (
        "postmortems/outage.md: its page postmortems/outage/ would collide with "
        "postmortems/2024/outage.md's (page URLs leave out folders): rename one"
    ) in found


def test_page_names_that_collide_once_case_is_folded(tmp_path: Path) -> None:
    found = kb_problems(
        tmp_path, {"Outage.md": postmortem_text(), "outage.md": postmortem_text(id="PM-2")}
    )
    assert any("would collide with postmortems/" in m for m in found)


def test_tags_that_would_share_a_page_name_both_files(tmp_path: Path) -> None:
    found = kb_problems(
        tmp_path,
        {
            "a.md": postmortem_text(tags=["Database"]),
            "b.md": postmortem_text(id="PM-2", tags=["database"]),
        },
    )
    assert any(
        m.startswith("postmortems/a.md")
        and "'Database' in postmortems/a.md; 'database' in postmortems/b.md" in m
        for m in found
    )
    assert any(m.startswith("postmortems/b.md") for m in found)


def test_each_spelling_is_named_with_the_first_file_that_has_it(tmp_path: Path) -> None:
    found = kb_problems(
        tmp_path,
        {
            "a.md": postmortem_text(services=["api"], tags=["db", "Database"]),
            "b.md": postmortem_text(id="PM-2", services=["api"], tags=["database", "db"]),
            "c.md": postmortem_text(id="PM-3", services=["api"], tags=["Database"]),
        },
    )
    spellings = [m for m in found if "would share the page" in m]
    listed = "'Database' in postmortems/a.md; 'database' in postmortems/b.md"
    assert [(m.split(":")[0], m.split(": ", 1)[1]) for m in spellings] == [
        (
            "postmortems/a.md",
            f"tags[1]: 'Database' and other spellings would share the page of 'database' "
            f"({listed}): use one spelling",
        ),
        (
            "postmortems/b.md",
            f"tags[0]: 'database' and other spellings would share the page of 'database' "
            f"({listed}): use one spelling",
        ),
    ]
    assert not any("'api'" in m or "'db'" in m for m in found)


def test_yaml_dates_unquoted_or_quoted_both_validate(validator: SchemaValidator) -> None:
    text = postmortem_text()
    quoted = text.replace("date: '2024-03-15'", 'date: "2024-03-15"')
    unquoted = yaml.safe_dump(front_matter())  # PyYAML quotes dates; make sure both forms parse
    assert problems_of(validator, quoted) == []
    assert "date: '2024-03-15'" in unquoted


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-15T14:20:00Z", "2024-03-15T14:20:00+00:00"),
        ("2024-03-15t14:20:00z", "2024-03-15T14:20:00+00:00"),
        ("2024-03-15T14:20:00.123456789+02:00", "2024-03-15T12:20:00.123456+00:00"),
        ("2024-03-15T14:20:00+23:59", "2024-03-14T14:21:00+00:00"),
        ("2024-03-15T14:20:00-23:59", "2024-03-16T14:19:00+00:00"),
        ("2016-12-31T23:59:60Z", "2016-12-31T23:59:59+00:00"),
        ("2024-03-15T14:20:00-00:00", "2024-03-15T14:20:00+00:00"),
    ],
)
def test_timestamps_parse_to_the_right_instant(value: str, expected: str) -> None:
    parsed = parse_timestamp(value).astimezone(dt.timezone.utc)
    assert parsed.isoformat() == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-15T14:20:00", "has no time zone"),
        ("2024-03-15 14:20:00Z", "separates the date and the time with a space: write a 'T'"),
        ("2024-03-15T14:20Z", "has no seconds"),
        ("2024-02-30T10:00:00Z", "is not a moment that exists"),
        ("2024-03-15T24:00:00Z", "is not a moment that exists"),
        ("2024-03-15T14:20:60Z", "is not a moment that exists"),
        ("2024-03-15T14:20:00+24:00", "is not a moment that exists"),
        ("２０２４-03-15T14:20:00Z", "is not an RFC 3339 date-time"),
        ("15/03/2024 14:20", "is not an RFC 3339 date-time"),
    ],
)
def test_the_schema_accepts_exactly_the_timestamps_the_build_parses(
    validator: SchemaValidator, value: str, expected: str
) -> None:
    found = problems_of(validator, text_with(timeline={"started": value}))
    assert len(found) == 1 and expected in found[0], found
    with pytest.raises(ValueError):
        parse_timestamp(value)


def test_rules_never_raise_on_values_the_schema_refused(tmp_path: Path) -> None:
    timeline = {"started": "2024-02-30T10:00:00Z", "detected": "2024-03-15T25:00:00Z"}
    found = kb_problems(tmp_path, {"a.md": postmortem_text(date="2023-02-29", timeline=timeline)})
    assert len(found) == 3, found


def test_a_long_heading_line_does_not_stall_the_action_items_rule(tmp_path: Path) -> None:
    body = "\n# a" + " " * 200_000 + "b\n\n## Action Items\n\nNone needed: the vendor fixed it.\n"
    started = time.perf_counter()
    found = kb_problems(tmp_path, {"a.md": postmortem_text(body=body, action_items=[])})
    assert not any("action_items: is empty" in message for message in found), found
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"title": "red \x1b[31m alert"}, ":3: title: contains the control character U+001B"),
        ({"summary": "a\x00b"}, "summary: contains the control character U+0000"),
        ({"authors": ["a\x07"]}, "authors[0]: contains the control character U+0007"),
        ({"x-note": {"k\x1b": "v"}}, "x-note.k\\u001b: contains the control character U+001B"),
        ({"title": "\u200b\u200d"}, "title: holds only invisible characters"),
    ],
)
def test_control_and_invisible_only_text_is_refused_everywhere(
    validator: SchemaValidator, overrides: dict[str, Any], expected: str
) -> None:
    found = problems_of(validator, text_with(**overrides))
    assert any(expected in message for message in found), found


def test_an_id_with_a_control_character_is_reported_once(validator: SchemaValidator) -> None:
    found = problems_of(validator, text_with(id="PM-\x1b1"))
    assert found == [
        "postmortems/x.md:2: id: contains the invisible or control character U+001B: retype the value"
    ]


def test_an_empty_value_is_called_empty(validator: SchemaValidator) -> None:
    text = postmortem_text().replace("title: Checkout", "title: #Checkout", 1)
    result = load_text(text.encode(), "postmortems/x.md", Path("x.md"))
    assert result.document is not None
    assert [str(p) for p in validator.problems(result.document)] == [
        "postmortems/x.md:3: title: expected text, got nothing (null): the value is empty; "
        "fill it in or remove the field"
    ]
    assert [p.code for p in result.problems] == ["PM103"]


def test_the_name_pattern_in_code_is_the_schemas() -> None:
    from postmortem_kb.validation import NAME_PATTERN

    schema = json.loads((ROOT / "schemas/postmortem.schema.json").read_text())
    assert schema["properties"]["services"]["items"]["pattern"] == NAME_PATTERN
    assert schema["properties"]["tags"]["items"]["pattern"] == NAME_PATTERN


@pytest.mark.parametrize(
    "name", ["checkout", "Amazon S3", "Slack (desktop)", "api/v1", "R&D", "日本"]
)
def test_real_world_service_and_tag_names_are_accepted(
    validator: SchemaValidator, name: str
) -> None:
    assert problems_of(validator, text_with(services=[name], tags=[name])) == []


@pytest.mark.parametrize("name", ["<script>", " lead", "a\u202eb", "x" * 65, 'quo"te'])
def test_unsafe_service_names_are_refused(validator: SchemaValidator, name: str) -> None:
    assert any("services[0]" in m for m in problems_of(validator, text_with(services=[name])))


def test_slugs_stay_in_their_folder_and_are_never_empty() -> None:
    from postmortem_kb.knowledge_base import slugify

    assert slugify("../../etc/passwd") == "etc-passwd"
    assert slugify("Orders DB") == "orders-db"
    assert slugify("日本") == "日本"
    assert slugify("+++").startswith("x-") and slugify("+++") != slugify("---")


def _views(count: int, related_of: Any) -> list[Any]:
    from postmortem_kb.cache import Summary

    return [
        Summary(
            f"postmortems/{n:05}.md",
            {"id": f"PM-{n:05}", "related": related_of(n)},
            {"": 1, "related": 9},
        )
        for n in range(count)
    ]


def test_related_suggestions_stay_bounded_with_many_unknown_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every one of 3,000 postmortems names an id that no postmortem has: comparing each
    # with every known id would be 9,000,000 comparisons (minutes of difflib).
    from postmortem_kb import validation

    compared: list[int] = []
    real = validation._close_matches

    def counting(word: str, possibilities: Any, n: int, cutoff: float) -> list[str]:
        compared.append(len(possibilities))
        return real(word, possibilities, n, cutoff)

    monkeypatch.setattr(validation, "_close_matches", counting)
    views = _views(3000, lambda n: [f"PM-{n + 3000:05}", f"PM-{n:05}x"])
    problems = validation.cross_file_problems(views)
    assert len(problems) == 6000
    assert sum(compared) < 6000 * 20  # a few candidates each, not 3,000
    messages = {problem.message for problem in problems}
    # A typo one edit away from a real id is still suggested...
    assert "'PM-00007x' is not the id of any postmortem; did you mean 'PM-00007'?" in messages
    # ...and an id far from all of them gets no guess rather than a poor one.
    first = next(p for p in problems if p.file == "postmortems/00000.md")
    assert first.field == "related[0]" and first.line == 9
    assert first.message.startswith("'PM-03000' is not the id of any postmortem")


def test_few_unknown_related_ids_are_compared_with_every_id() -> None:
    from postmortem_kb.validation import SUGGESTION_BUDGET, IdSuggester

    known = [f"PM-2024-{n:03}" for n in range(100)]
    suggester = IdSuggester(known, 3)
    assert 3 * len(known) <= SUGGESTION_BUDGET
    # Two edits away: only a full comparison finds a match.
    assert suggester.hint("xPM-2024-007y").startswith("; did you mean 'PM-2024-")
    assert suggester.compared == 100
    bounded = IdSuggester(known, SUGGESTION_BUDGET)
    assert bounded.hint("PM-2024-07").startswith("; did you mean 'PM-2024-")
    assert bounded.compared < 20
