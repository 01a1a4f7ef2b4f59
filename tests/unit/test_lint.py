"""The lint rules, one at a time: each test fails if its rule stops reporting, or over-reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kbtools import FULL_BODY, front_matter, postmortem_text
from postmortem_kb.knowledge_base import build_postmortem
from postmortem_kb.lint import (
    business_days_between,
    lint_knowledge_base,
    lint_postmortem,
    recurrence_notices,
    starts_with_verb,
    vague_phrase,
)
from postmortem_kb.loader import load_text
from postmortem_kb.markdown_body import count_entries, heading_key, parse_body
from postmortem_kb.model import Postmortem, Problem
from postmortem_kb.settings import Settings, packaged_schema_path
from postmortem_kb.validation import SchemaValidator, load_schema

TODAY = dt.date(2024, 3, 20)
SETTINGS = Settings(root=Path("/kb"), postmortems_dir=Path("/kb/postmortems"))
VALIDATOR = SchemaValidator(load_schema(packaged_schema_path(), SETTINGS.severities))

QUICK_BODY = """
## What Happened

The search index served stale stock levels for an hour.

## Why

- The stock feed stalled and nothing alerted.

## Action Items

See the front matter.
"""


def postmortem(
    body: str = FULL_BODY, file: str = "postmortems/x.md", **overrides: Any
) -> Postmortem:
    text = postmortem_text(body=body, **overrides)
    result = load_text(text.encode(), file, Path(file))
    assert result.document is not None, result.problems
    errors = [p for p in VALIDATOR.problems(result.document) if p.level == "error"]
    assert errors == [], errors
    return build_postmortem(result.document, Path(file).stem)


def lint(
    body: str = FULL_BODY, today: dt.date = TODAY, settings: Settings = SETTINGS, **overrides: Any
) -> list[Problem]:
    return lint_postmortem(postmortem(body, **overrides), settings, today)


def codes(problems: list[Problem]) -> list[str]:
    return [problem.code for problem in problems]


def test_the_default_postmortem_is_clean() -> None:
    assert lint() == []


# --- PM301 blame language ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "phrase"),
    [
        ("The outage was caused by human error.", "'human error'"),
        ("It was an operator error during the failover.", "'operator error'"),
        ("On-call should have caught this earlier.", "'should have'"),
        ("I should've noticed the disk filling up.", "'should've'"),
        ("The team failed to renew the certificate.", "'The team failed to'"),
        ("The on-call engineer failed to page the DBA.", "'The on-call engineer failed to'"),
        ("@alice failed to check the plan.", "'@alice failed to'"),
        ("A careless change to the DNS zone removed the records.", "'careless'"),
        ("The rollout was negligent.", "'negligent'"),
        ("Who broke the build?", "'Who broke'"),
        ("@bob forgot to run the migration.", "'@bob forgot'"),
        ("Then @carol accidentally deleted the bucket.", "'@carol accidentally'"),
        ("checkout-oncall ignored the first alert.", "'checkout-oncall ignored'"),
        ("The engineer didn't follow the runbook.", "'The engineer didn't follow'"),
    ],
)
def test_blame_language_in_the_body_is_found_at_its_line(sentence: str, phrase: str) -> None:
    body = FULL_BODY.replace("An N+1 query reached production.", sentence)
    found = lint(body=body)
    assert codes(found) == ["PM301"]
    problem = found[0]
    expected_line = postmortem(body).source.body_line + body.split("\n").index(sentence)
    assert problem.line == expected_line
    assert problem.field is None
    assert problem.message.startswith(f"{phrase} blames people, not the system: ")
    assert problem.level == "warning"


def test_each_blame_finding_suggests_a_systemic_rewrite() -> None:
    body = FULL_BODY.replace("An N+1 query reached production.", "Human error. Who broke it?")
    messages = [problem.message for problem in lint(body=body)]
    assert "e.g. 'the deploy tool accepted a config that no check had validated'" in messages[0]
    assert "ask what happened instead, e.g. 'what changed before the build broke?'" in messages[1]


@pytest.mark.parametrize(
    "sentence",
    [
        "The health check failed to detect the cold cache.",
        "checkout-oncall rolled back the release at 14:32.",
        "The job failed to start because the queue was full.",
        "@db-team raised the connection limit.",
        "Nobody was paged because the alert did not exist.",
        "The review missed nothing; the plan showed no deletes.",
    ],
)
def test_systemic_sentences_are_not_blame(sentence: str) -> None:
    body = FULL_BODY.replace("An N+1 query reached production.", sentence)
    assert lint(body=body) == []


def test_blame_inside_code_comments_and_code_spans_is_ignored() -> None:
    body = FULL_BODY.replace(
        "An N+1 query reached production.",
        "```text\n[14:02] who broke prod? human error\n```\n\n"
        "<!-- avoid 'human error'\nand 'should have' -->\n\nThe log said `human error`.",
    )
    assert lint(body=body) == []


@pytest.mark.parametrize(
    ("field", "path"),
    [
        ("root_causes", "root_causes[0].description"),
        ("contributing_factors", "contributing_factors[0].description"),
    ],
)
def test_blame_in_causes_is_found_at_the_field(field: str, path: str) -> None:
    category = "people" if field == "contributing_factors" else "deploy-process"
    text = "The operator was careless with the flag."
    found = lint(**{field: [{"category": category, "description": text}]})
    assert [(p.code, p.field) for p in found] == [("PM301", path)]
    assert found[0].line == postmortem(
        **{field: [{"category": category, "description": text}]}
    ).source.line_of((field, 0, "description"))


def test_blame_in_the_summary_and_title() -> None:
    found = lint(title="Outage caused by human error", summary="We should have seen it.")
    assert sorted((p.field or "", p.code) for p in found) == [
        ("summary", "PM301"),
        ("title", "PM301"),
    ]


# --- PM302 blame categories -----------------------------------------------------------------


@pytest.mark.parametrize("category", ["human-error", "operator-error", "engineer-mistake"])
def test_blame_categories(category: str) -> None:
    found = lint(root_causes=[{"category": category, "description": "A deploy went out."}])
    assert [(p.code, p.field) for p in found] == [("PM302", "root_causes[0].category")]
    assert f"'{category}' blames people" in found[0].message


def test_a_blame_category_reached_through_the_taxonomy() -> None:
    settings = Settings(
        root=SETTINGS.root,
        postmortems_dir=SETTINGS.postmortems_dir,
        taxonomy={"oops": "human-error"},
    )
    found = lint(settings=settings, root_causes=[{"category": "oops", "description": "A deploy."}])
    assert codes(found) == ["PM302"]


def test_human_factors_words_in_other_categories_are_fine() -> None:
    assert lint(root_causes=[{"category": "human-interface", "description": "A form."}]) == []


# --- PM303, PM304, PM305 action items -------------------------------------------------------


@pytest.mark.parametrize(
    "action",
    [
        "Improve monitoring",
        "Improve testing",
        "Be more careful with config changes",
        "Don't do this again",
        "Team should fix the deploy pipeline",
        "Review alert thresholds",
        "Look into the cache",
        "Make sure this doesn't happen again",
        "Double-check DNS changes before applying them",
    ],
)
def test_vague_action_items(action: str) -> None:
    assert vague_phrase(action) is not None
    items = [dict(front_matter()["action_items"][0], action=action)]
    found = lint(action_items=items)
    assert [(p.code, p.field) for p in found] == [("PM303", "action_items[0].action")]


@pytest.mark.parametrize(
    "action",
    [
        "Add a query-count assertion to the orders integration tests",
        "Alert when orders-db connections stay above 80% for 2 minutes",
        "Increase the orders-db pool to 40 connections",
        "Review every DNS plan that deletes a record in the pipeline with a second approver",
        "Pre-approve a rollback of the payments config",
        "Authorise on-call to switch payment providers",
        "Process refunds for the duplicate charges",
    ],
)
def test_specific_action_items(action: str) -> None:
    assert vague_phrase(action) is None
    assert starts_with_verb(action)


@pytest.mark.parametrize(
    "action",
    [
        "Monitoring for the slot cache",
        "The alert threshold for orders-db",
        "@sre-team to add an alert",
        "Alerts on disk usage",
        "Added an alert on disk usage",
        "Better dashboards for the checkout team and support",
    ],
)
def test_action_items_without_a_verb(action: str) -> None:
    assert not starts_with_verb(action) or vague_phrase(action) is not None
    items = [dict(front_matter()["action_items"][0], action=action)]
    found = lint(action_items=items)
    assert codes(found) in (["PM304"], ["PM303"])


def test_more_than_ten_action_items() -> None:
    item = front_matter()["action_items"][0]
    items = [dict(item, action=f"Add check number {n} to the deploy pipeline") for n in range(11)]
    found = lint(action_items=items)
    assert [(p.code, p.field) for p in found] == [("PM305", "action_items")]
    assert found[0].message.startswith("has 11 action items: keep the 3 to 5")
    assert lint(action_items=items[:10]) == []


# --- PM401 to PM403 -------------------------------------------------------------------------


def test_no_prevent_item_once_in_review() -> None:
    items = [dict(item, type="detect") for item in front_matter()["action_items"]]
    assert codes(lint(action_items=items)) == ["PM401"]
    assert codes(lint(action_items=items, status="in-review")) == ["PM401"]
    assert lint(action_items=items, status="draft") == []


@pytest.mark.parametrize(("status", "level"), [("draft", "notice"), ("in-review", "warning")])
def test_owner_and_due_before_final(status: str, level: str) -> None:
    item = {"action": "Add a canary stage to the deploy pipeline", "type": "prevent"}
    found = lint(action_items=[item], status=status)
    assert [(p.code, p.field, p.level) for p in found] == [
        ("PM402", "action_items[0].owner", level),
        ("PM403", "action_items[0].due", level),
    ]
    assert found[0].line == postmortem(action_items=[item], status=status).source.line_of(
        ("action_items", 0)
    )


def test_owner_and_due_are_errors_when_final_with_a_schema_that_allows_them() -> None:
    schema = load_schema(packaged_schema_path(), SETTINGS.severities)
    schema["allOf"] = []
    text = postmortem_text(action_items=[{"action": "Add a canary stage", "type": "prevent"}])
    document = load_text(text.encode(), "postmortems/x.md", Path("x.md")).document
    assert document is not None
    assert SchemaValidator(schema).problems(document) == []
    found = lint_postmortem(build_postmortem(document, "x"), SETTINGS, TODAY)
    assert [(p.code, p.level) for p in found] == [("PM402", "error"), ("PM403", "error")]


# --- PM404, PM405 sections -------------------------------------------------------------------


def test_full_form_sections_for_sev1_and_sev2() -> None:
    body = FULL_BODY.replace("## Lessons Learned", "## Notes").replace("## Impact", "## Effects")
    found = lint(body=body, severity="SEV2")
    assert codes(found) == ["PM404"]
    assert found[0].message.startswith(
        "the body has no Impact, Lessons Learned section: a SEV2 postmortem uses the full form"
    )
    assert found[0].line == postmortem(body).source.body_line


def test_quick_form_is_enough_below_sev2() -> None:
    assert lint(body=QUICK_BODY, severity="SEV3") == []
    assert codes(lint(body=QUICK_BODY, severity="SEV2")) == ["PM404"]
    found = lint(body=QUICK_BODY.replace("## Why", "## Notes"), severity="SEV4")
    assert codes(found) == ["PM404"]
    assert "no Why section: a SEV4 postmortem uses the quick form" in found[0].message


def test_a_sev3_in_the_full_form_passes() -> None:
    assert lint(severity="SEV3") == []


@pytest.mark.parametrize(
    "variants",
    [
        {"## Root Cause": "## Root Causes", "## Lessons Learned": "## Lessons"},
        {"## Root Cause": "## Root Cause Analysis", "## Summary": "# SUMMARY"},
        {"## Timeline": "## Timeline (UTC)", "## What Went Well": "### 6. What went well {#well}"},
        {"## Action Items": "## Follow-up actions", "## Impact": "## Customer impact:"},
    ],
)
def test_heading_variants_count(variants: dict[str, str]) -> None:
    body = FULL_BODY
    for old, new in variants.items():
        body = body.replace(old, new)
    assert lint(body=body) == []


def test_headings_inside_code_blocks_do_not_count() -> None:
    body = FULL_BODY.replace("## Lessons Learned", "```sh\n## Lessons Learned\n```\n\nNotes")
    assert codes(lint(body=body)) == ["PM404"]


def test_setext_headings_count() -> None:
    body = FULL_BODY.replace("## Lessons Learned", "Lessons Learned\n---------------")
    assert lint(body=body) == []


def test_what_went_well_needs_two_entries_once_in_review() -> None:
    body = FULL_BODY.replace("- The status page was updated within ten minutes.\n", "")
    found = lint(body=body)
    assert codes(found) == ["PM405"]
    assert found[0].message.startswith("'What Went Well' lists 1 thing(s): name at least 2")
    assert lint(body=body, status="draft", reviewers=None) == []


def test_count_entries_counts_outer_list_items_or_paragraphs() -> None:
    body = parse_body("## A\n\n- one\n  - nested\n- two\n\n## B\n\nFirst.\n\nSecond.\n", 1)
    first, second = body.headings
    assert count_entries(body.section(first)) == 2
    assert count_entries(body.section(second)) == 2


def test_heading_keys() -> None:
    assert heading_key("4. Root Cause(s) {#rca}") == "root cause"
    assert heading_key("**What Went Well**:") == "what went well"
    assert heading_key("Follow-ups") == "follow ups"


# --- PM406 to PM408 -------------------------------------------------------------------------


def test_reviewers_are_needed_in_review_and_final() -> None:
    assert [(p.code, p.field) for p in lint(reviewers=None)] == [("PM406", "status")]
    assert [(p.code, p.field) for p in lint(reviewers=[], status="in-review")] == [
        ("PM406", "reviewers")
    ]
    assert lint(reviewers=None, status="draft") == []


def test_a_final_postmortem_needs_a_timeline() -> None:
    found = lint(timeline={"started": "2024-03-15T14:20:00Z"})
    assert codes(found) == ["PM408"]
    assert found[0].message.endswith("add timeline.detected, timeline.mitigated")
    assert codes(lint(timeline=None)) == ["PM408"]
    assert lint(timeline=None, status="in-review") == []


def test_a_final_postmortem_needs_root_causes_with_a_schema_that_allows_none() -> None:
    schema = load_schema(packaged_schema_path(), SETTINGS.severities)
    schema["allOf"] = []
    text = postmortem_text(root_causes=None)
    document = load_text(text.encode(), "postmortems/x.md", Path("x.md")).document
    assert document is not None and SchemaValidator(schema).problems(document) == []
    found = lint_postmortem(build_postmortem(document, "x"), SETTINGS, TODAY)
    assert codes(found) == ["PM407"]


# --- PM409, PM410 deadlines -----------------------------------------------------------------


def test_business_days() -> None:
    friday = dt.date(2024, 3, 15)
    assert business_days_between(friday, dt.date(2024, 3, 17)) == 0
    assert business_days_between(friday, dt.date(2024, 3, 22)) == 5
    assert business_days_between(friday, dt.date(2024, 3, 25)) == 6
    assert business_days_between(friday, dt.date(2024, 4, 15)) == 21
    assert business_days_between(friday, friday) == 0
    assert business_days_between(friday, dt.date(2024, 3, 1)) == 0


def test_a_draft_older_than_five_business_days() -> None:
    draft = {"status": "draft"}
    assert lint(today=dt.date(2024, 3, 22), **draft) == []  # Friday to Friday: 5
    found = lint(today=dt.date(2024, 3, 25), **draft)
    assert [(p.code, p.level, p.field) for p in found] == [("PM409", "warning", "status")]
    assert found[0].message.startswith(
        "is still a draft 6 business days after the incident (2024-03-15; build date 2024-03-25)"
    )


def test_a_review_older_than_seven_days() -> None:
    assert lint(today=dt.date(2024, 3, 22), status="in-review") == []
    found = lint(today=dt.date(2024, 3, 23), status="in-review")
    assert codes(found) == ["PM410"]
    assert "is still in review 8 days after the incident" in found[0].message
    assert lint(today=dt.date(2025, 1, 1)) == []  # final: no deadline


# --- PM411 placeholders ---------------------------------------------------------------------


def test_a_placeholder_left_after_the_draft() -> None:
    summary = "TODO: one paragraph: what happened, when, how bad, and how it ended."
    body = FULL_BODY.replace("The rollback took four minutes.", "TODO list the good parts")
    found = lint(summary=summary, body=body, status="in-review")
    assert [(p.code, p.field) for p in found] == [("PM411", "summary"), ("PM411", None)]
    assert found[0].message == (
        "'TODO' is left in a postmortem that is in-review: replace the placeholder with the "
        "text it stands for"
    )
    assert found[1].line == postmortem(body).source.body_line + body.split("\n").index(
        "- TODO list the good parts"
    )
    assert lint(summary=summary, body=body, status="draft") == []
    in_code = FULL_BODY.replace("Query counts", "`TODO` markers and <!-- TODO --> and Query counts")
    assert lint(body=in_code) == []


# --- PM501 recurrence -----------------------------------------------------------------------


def _kb(*overrides: dict[str, Any]) -> list[Postmortem]:
    return [
        postmortem(file=f"postmortems/{index}.md", **fields)
        for index, fields in enumerate(overrides)
    ]


def test_recurrence_names_the_others_with_open_items_and_suggests_related() -> None:
    cause = [{"category": "deploy-process", "description": "No canary."}]
    older = {
        "id": "PM-1",
        "date": "2024-01-10",
        "root_causes": cause,
        "timeline": None,
        "action_items": [
            {"action": "Add a canary stage", "type": "prevent", "owner": "@a", "due": "2024-02-01"},
            {
                "action": "Document rollbacks",
                "type": "document",
                "owner": "@a",
                "due": "2024-02-01",
                "status": "done",
            },
        ],
    }
    newer = {"id": "PM-2", "root_causes": cause}
    pms = _kb(older, newer)
    notices = recurrence_notices(pms, SETTINGS)
    by_file = {problem.file: problem for problem in notices}
    notice = by_file["postmortems/1.md"]
    assert notice.code == "PM501" and notice.level == "notice"
    assert notice.field == "root_causes[0].category"
    assert notice.message == (
        "'deploy-process' recurs: it is also a root cause of PM-1 of 2024-01-10 "
        "(open: 'Add a canary stage'). Check whether their fixes cover this incident, and add "
        "PM-1 to 'related'"
    )
    linked = _kb(older, dict(newer, related=["PM-1"]))
    messages = {p.file: p.message for p in recurrence_notices(linked, SETTINGS)}
    assert messages["postmortems/1.md"].endswith("Check whether their fixes cover this incident")
    assert messages["postmortems/0.md"].endswith("Check whether their fixes cover this incident")


def test_recurrence_goes_through_the_taxonomy_and_the_threshold() -> None:
    settings = Settings(
        root=SETTINGS.root,
        postmortems_dir=SETTINGS.postmortems_dir,
        taxonomy={"db-outage": "database"},
    )
    pms = _kb(
        {"id": "PM-1", "root_causes": [{"category": "database", "description": "x"}]},
        {"id": "PM-2", "root_causes": [{"category": "db-outage", "description": "y"}]},
    )
    notices = recurrence_notices(pms, settings)
    assert len(notices) == 2
    assert (
        "'db-outage' (as 'database') recurs"
        in {p.file: p for p in notices}["postmortems/1.md"].message
    )
    strict = Settings(
        root=SETTINGS.root, postmortems_dir=SETTINGS.postmortems_dir, recurring_threshold=3
    )
    assert recurrence_notices(pms, strict) == []
    alone = _kb(
        {"id": "PM-1"}, {"id": "PM-2", "root_causes": [{"category": "dns", "description": "z"}]}
    )
    assert recurrence_notices(alone, SETTINGS) == []


def test_recurrence_caps_the_names() -> None:
    cause = [{"category": "deploy-process", "description": "No canary."}]
    pms = _kb(*({"id": f"PM-{n}", "root_causes": cause} for n in range(8)))
    message = recurrence_notices(pms, SETTINGS)[0].message
    assert message.count("PM-") == 5 + 5  # five named, five suggested for related
    assert "; and 2 more." in message


def test_lint_knowledge_base_runs_every_rule() -> None:
    cause = [{"category": "human-error", "description": "Human error."}]
    pms = _kb({"id": "PM-1", "root_causes": cause}, {"id": "PM-2", "root_causes": cause})
    assert sorted(codes(lint_knowledge_base(pms, SETTINGS, TODAY))) == [
        "PM301",
        "PM301",
        "PM302",
        "PM302",
        "PM501",
        "PM501",
    ]
