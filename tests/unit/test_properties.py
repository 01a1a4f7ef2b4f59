"""Property-based tests: the loader and the rules never raise, whatever they are fed.

The loader takes arbitrary bytes and arbitrary front matter (YAML of random structures) and
returns a document or structured problems, within a time bound (hypothesis' deadline); every
document that loads goes through validation, and every one that validates through the model,
the page template and the export, without an exception. Examples are derandomized so that
the suite gives the same verdict on every run.

Resource bounds: an alias bomb and documents nested 100,000 deep are refused in milliseconds
with bounded memory (tracemalloc sees Python's allocations; libyaml's own are small and
freed with the parser).
"""

from __future__ import annotations

import datetime as dt
import json
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from kbtools import front_matter
from postmortem_kb.export import export_data, to_json
from postmortem_kb.knowledge_base import build_postmortem, name_collisions
from postmortem_kb.loader import (
    MAX_DEPTH,
    FrontMatterError,
    LoadResult,
    NumberTooLargeError,
    load_text,
    parse_front_matter,
    resolve_plain_scalar,
)
from postmortem_kb.markdown_body import heading_key, parse_body
from postmortem_kb.rendering import Renderer
from postmortem_kb.settings import Settings, packaged_schema_path
from postmortem_kb.site import postmortem_page
from postmortem_kb.validation import (
    SchemaValidator,
    cross_file_problems,
    final_action_items_problems,
    load_schema,
    timeline_problems,
)

PROPERTY = settings(
    derandomize=True,
    database=None,
    deadline=dt.timedelta(milliseconds=500),
    suppress_health_check=[HealthCheck.too_slow],
)

VALIDATOR = SchemaValidator(load_schema(packaged_schema_path(), ("SEV1", "SEV2", "SEV3", "SEV4")))
RENDERER = Renderer()
SETTINGS = Settings(root=Path("/kb"), postmortems_dir=Path("/kb/postmortems"))
TODAY = dt.date(2024, 4, 7)

TRICKY_TEXT = [
    "no", "yes", "on", "off", "~", "null", "NULL", ".inf", "-.inf", ".nan", "0123", "0o17",
    "0x1F", "1e5", "1_000", "10:30", "3.10", "2024-02-30", "2024-03-15T14:20:00",
    "2016-12-31T23:59:60Z", "2024-03-15T14:20:00+24:00", "<script>x</script>", "a #b", "a: b",
    "- a", "[a", "{a", "*a", "&a", "!!binary", "%TAG", "---", "...", "'", '"', "\\", "\t",
    "\u202e", "\u200b", "\x1b[2J", "\x00", "\r", "\n", "é", "日本", "💥", "SEV9", "sev1",
    "javascript:alert(1)", "../../etc/passwd", " ", "",
]  # fmt: skip

text = st.one_of(st.sampled_from(TRICKY_TEXT), st.text(max_size=40))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(text, children, max_size=4),
    max_leaves=25,
)


def check_load(raw: bytes) -> LoadResult:
    result = load_text(raw, "postmortems/x.md", Path("/kb/postmortems/x.md"))
    assert isinstance(result, LoadResult)
    assert (result.document is None) == any(p.level == "error" for p in result.problems)
    for problem in result.problems:
        assert problem.file == "postmortems/x.md" and problem.code.startswith("PM")
        assert "\n" not in str(problem) and len(str(problem)) < 1000
    return result


@PROPERTY
@given(st.binary(max_size=2000))
def test_the_loader_turns_any_bytes_into_a_result(raw: bytes) -> None:
    check_load(raw)


@PROPERTY
@given(st.text(max_size=2000), st.text(max_size=200))
def test_the_loader_turns_any_front_matter_text_into_a_result(head: str, body: str) -> None:
    check_load(f"---\n{head}\n---\n{body}".encode("utf-8", "surrogatepass"))


def keeps_strings(value: Any) -> bool:
    """Whether every text in a value stays text when written unquoted (YAML 1.2 core)."""
    if isinstance(value, str):
        try:
            return isinstance(resolve_plain_scalar(value), str)
        except NumberTooLargeError:
            return False
    if isinstance(value, dict):
        return all(keeps_strings(key) and keeps_strings(child) for key, child in value.items())
    if isinstance(value, list):
        return all(keeps_strings(child) for child in value)
    return True


def depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((depth(child) for child in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth(child) for child in value), default=0)
    return 0


@PROPERTY
@given(st.dictionaries(text, json_values, min_size=1, max_size=8), st.booleans())
def test_yaml_written_by_a_yaml_library_reads_back_the_same(
    data: dict[str, Any], flow: bool
) -> None:
    # PyYAML writes YAML 1.1: it leaves unquoted what 1.1 reads as text but 1.2 as a number
    # ('0o17', '1e5'); those are the documented differences, so they are left out here.
    assume(keeps_strings(data) and depth(data) < MAX_DEPTH)
    dumped = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=False, width=60)
    assert parse_front_matter(dumped).data == data
    result = check_load(f"---\n{dumped}---\nBody\n".encode())
    assert result.document is not None and result.document.front_matter == data


def run_every_rule(raw: bytes) -> None:
    result = check_load(raw)
    document = result.document
    if document is None:
        return
    problems = VALIDATOR.problems(document)
    schema_ok = not any(problem.level == "error" for problem in problems)
    # The later rules run on every loaded document here, valid or not: none may raise.
    problems += timeline_problems(document) + final_action_items_problems(document)
    problems += cross_file_problems([document]) + name_collisions([document])
    for problem in problems:
        assert "\n" not in str(problem) and len(str(problem)) < 1000
    if not schema_ok:
        return
    postmortem = build_postmortem(document, "x")
    page = postmortem_page(postmortem, {postmortem.id: postmortem}, SETTINGS, RENDERER, TODAY)
    assert page.head_title is not None and postmortem.source.body in page.content
    exported = to_json(export_data([postmortem], TODAY, {}))
    assert "<" not in exported
    assert json.loads(exported)["postmortems"][0]["id"] == postmortem.id


FIELDS = sorted(front_matter())


@PROPERTY
@given(
    st.dictionaries(st.sampled_from([*FIELDS, "impact", "related", "x-extra"]), json_values),
    st.sampled_from(["final", "draft"]),
)
def test_every_rule_and_the_page_take_any_document_that_loads(
    replacements: dict[str, Any], status: str
) -> None:
    data = front_matter(status=status)
    data.update(replacements)
    dumped = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    run_every_rule(f"---\n{dumped}---\n\n## Action Items\n\nNone.\n".encode())


@PROPERTY
@given(st.sampled_from([*FIELDS, "incident", "related"]), st.sampled_from(TRICKY_TEXT))
def test_every_rule_takes_a_tricky_unquoted_value_in_any_field(field: str, value: str) -> None:
    data = front_matter()
    data.pop(field, None)
    dumped = yaml.safe_dump(data, sort_keys=False)
    raw = f"---\n{field}: {value}\n{dumped}---\nBody\n"
    run_every_rule(raw.encode("utf-8", "surrogatepass"))


def measure(work: Callable[[], Any]) -> tuple[float, int, Any]:
    """The best time of three calls, and the peak traced bytes of a fourth.

    Tracing slows every allocation, so time and memory are measured in separate calls.
    """
    elapsed = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        value = work()
        elapsed = min(elapsed, time.perf_counter() - started)
    tracemalloc.start()
    try:
        work()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return elapsed, peak, value


ALIAS_BOMB = "\n".join(
    ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 12)]
)
HUGE_DOCUMENTS = {
    "alias bomb": ALIAS_BOMB,
    "100k nested lists": "a: " + "[" * 100_000 + "]" * 100_000,
    "100k nested mappings": "a: " + "{a: " * 100_000 + "b" + "}" * 100_000,
    "100k nested block lists": "a:\n" + "- " * 100_000 + "x",
}


@pytest.mark.parametrize("name", sorted(HUGE_DOCUMENTS))
def test_bombs_and_deep_nesting_are_refused_fast_in_bounded_memory(name: str) -> None:
    raw = f"---\n{HUGE_DOCUMENTS[name]}\n---\nBody\n".encode()
    elapsed, peak, result = measure(
        lambda: load_text(raw, "postmortems/x.md", Path("/kb/postmortems/x.md"))
    )
    assert result.document is None
    assert [problem.code for problem in result.problems] == ["PM004"]
    # Correctness bounds, not benchmarks: the work must not grow with the document.
    assert elapsed < 0.05, f"{name}: {elapsed * 1000:.1f} ms"
    assert peak < 10 * 1024 * 1024, f"{name}: {peak / 1024 / 1024:.1f} MiB"


def test_the_largest_allowed_front_matter_loads_in_bounded_time() -> None:
    # 255 lists of 255 items: within every limit, about 65,000 values in 190 KiB.
    rows = "\n".join(f"x{i}: [{', '.join(['v'] * 255)}]" for i in range(255))
    raw = f"---\n{rows}\n---\n".encode()
    elapsed, peak, result = measure(
        lambda: load_text(raw, "postmortems/x.md", Path("/kb/postmortems/x.md"))
    )
    assert result.document is not None
    assert elapsed < 2.0, f"{elapsed:.2f} s"
    assert peak < 64 * 1024 * 1024, f"{peak / 1024 / 1024:.1f} MiB"


def test_front_matter_errors_carry_a_line() -> None:
    with pytest.raises(FrontMatterError) as raised:
        parse_front_matter("a: 1\nb: [\n", first_line=2)
    assert raised.value.line is not None


@pytest.mark.parametrize(
    "line",
    [
        "# a" + " " * 100_000 + "b",
        "## Root cause" + " " * 100_000 + "x",
        "a" + " " * 100_000 + "b",
        "# " + " (" * 50_000,
        "`a" * 50_000,
    ],
    ids=["heading-spaces", "heading-trailing", "setext-candidate", "parens", "ticks"],
)
def test_body_rules_take_a_pathological_line_in_linear_time(line: str) -> None:
    body = f"\n{line}\n{'=' * 3}\n\n## Action Items\n\nNone.\n"
    started = time.perf_counter()
    parsed = parse_body(body, 1)
    for heading in parsed.headings:
        heading_key(heading.text)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize(
    ("line", "title"),
    [
        ("# Root Cause", "Root Cause"),
        ("## Root Cause ##", "Root Cause"),
        ("## Root Cause ##   ", "Root Cause"),
        ("## Root Cause#", "Root Cause#"),
        ("# ###", ""),
        ("#", ""),
        ("   ### What Went Well   ", "What Went Well"),
    ],
)
def test_atx_headings_lose_only_their_closing_hashes(line: str, title: str) -> None:
    assert [heading.text for heading in parse_body(line, 1).headings] == [title]
    assert parse_body("#5 not a heading", 1).headings == ()
