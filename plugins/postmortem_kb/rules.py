"""Every rule code, its default level, and the one function that applies configured levels.

The plugin and the pmkb command both get their problems from ``load_knowledge_base``, which
calls ``apply_rule_levels`` once at the end, so the site and CI always agree on what is an
error, a warning or a notice.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

from postmortem_kb.model import Level, Problem
from postmortem_kb.settings import ConfigurationError

ConfiguredLevel = Literal["error", "warning", "notice", "off"]
CONFIGURED_LEVELS: tuple[ConfiguredLevel, ...] = ("error", "warning", "notice", "off")
LEVEL_ORDER: Mapping[str, int] = {"error": 0, "warning": 1, "notice": 2}


@dataclass(frozen=True)
class Rule:
    """One rule: its code, a short name, its default level, what it checks, how to fix it.

    Attributes:
        code: ``PM`` and three digits; the hundreds say the family (0 reading, 1 schema,
            2 across files, 3 style, 4 process, 5 recurrence).
        name: a short kebab-case name.
        level: the default level.
        checks: what the rule checks, in a sentence.
        fix: how to fix what it reports.
        fixed: the file cannot be published with this problem, so its level cannot be
            lowered below ``error``.
    """

    code: str
    name: str
    level: Level
    checks: str
    fix: str
    fixed: bool = False


RULES: tuple[Rule, ...] = (
    Rule(
        "PM001",
        "unreadable-file",
        "error",
        "Every file in the postmortems folder is a readable UTF-8 `.md` file within the size "
        "limit, not a symbolic link or a Git LFS pointer.",
        "Rename the file to `.md`, save it as UTF-8, or move attachments under `docs/`.",
        fixed=True,
    ),
    Rule(
        "PM002",
        "front-matter",
        "error",
        "The file opens with a `---` line, a mapping of fields, and a closing `---` line.",
        "Put the fields between two `---` lines at the top of the file.",
        fixed=True,
    ),
    Rule(
        "PM003",
        "yaml-syntax",
        "error",
        "The front matter is valid YAML.",
        "Fix the syntax at the line shown; quote values that contain `: ` or ` #`.",
        fixed=True,
    ),
    Rule(
        "PM004",
        "yaml-feature",
        "error",
        "The front matter uses no anchors, aliases, explicit tags or duplicate keys, and "
        "nests no deeper than the format needs.",
        "Write each value out in full and set each field once.",
        fixed=True,
    ),
    Rule(
        "PM101",
        "schema",
        "error",
        "The front matter matches the JSON Schema: required fields, types, formats, "
        "allowed values, and what `final` requires.",
        "Follow the message: it names the field and what it expects.",
        fixed=True,
    ),
    Rule(
        "PM102",
        "unknown-field",
        "warning",
        "Every field is part of the format (a typo such as `severty` is not silently ignored).",
        "Fix the spelling (the message suggests the closest field) or extend the schema.",
    ),
    Rule(
        "PM103",
        "yaml-comment-in-value",
        "warning",
        "No unquoted value is cut short by ` #`, which YAML reads as the start of a comment.",
        "Quote the whole value.",
    ),
    Rule(
        "PM104",
        "lone-carriage-return",
        "warning",
        "No line ends with a lone CR (classic Mac or mixed line ends), which git and GitHub "
        "show differently from the site.",
        "Save the file with LF (or CRLF) line ends.",
    ),
    Rule(
        "PM105",
        "hidden-markdown-file",
        "warning",
        "No Markdown file in the postmortems folder is hidden (a name starting with `.`), "
        "since a hidden file is never published.",
        "Rename the file without the leading dot, or move it out of the folder.",
    ),
    Rule(
        "PM106",
        "control-character",
        "error",
        "No key or value holds a control character (ESC, NUL...: YAML's escapes can write "
        "them), and no value is made only of invisible characters.",
        "Remove the character, or write the value.",
        fixed=True,
    ),
    Rule(
        "PM201",
        "duplicate-id",
        "error",
        "Every `id` is unique in the knowledge base.",
        "Give one of the postmortems the next free id (`pmkb new` picks one).",
        fixed=True,
    ),
    Rule(
        "PM202",
        "related-id",
        "error",
        "Every id in `related` is the id of another postmortem.",
        "Fix the id (the message suggests the closest one) or remove it.",
    ),
    Rule(
        "PM203",
        "timeline-order",
        "error",
        "Timeline timestamps are in order: started <= detected <= mitigated <= resolved.",
        "Correct the timestamps; check their time zones.",
    ),
    Rule(
        "PM204",
        "date-vs-started",
        "warning",
        "`date` is within a day of `timeline.started`.",
        "Set `date` to the day the incident began.",
    ),
    Rule(
        "PM205",
        "final-without-action-items",
        "error",
        "A final postmortem with no action items explains why under an Action Items heading.",
        "Add the action items, or a sentence under `## Action Items` saying why there are none.",
    ),
    Rule(
        "PM206",
        "page-url-collision",
        "error",
        "Every postmortem gets its own page URL (file names differ in more than case, and "
        "none is reserved).",
        "Rename one of the files.",
        fixed=True,
    ),
    Rule(
        "PM207",
        "name-spelling",
        "error",
        "A service or tag is spelled one way across the knowledge base (`Database` and "
        "`database` would share one page).",
        "Use one spelling everywhere.",
    ),
    Rule(
        "PM208",
        "unknown-category",
        "warning",
        "With a `taxonomy` configured, every root cause category is one of its canonical "
        "categories or aliases.",
        "Use the category the message suggests, or add the new one to `taxonomy` in `mkdocs.yml`.",
    ),
    Rule(
        "PM209",
        "unknown-service",
        "warning",
        "With a `services` vocabulary configured, every service is one of its names.",
        "Use the spelling the message suggests, or add the new service to `services` in "
        "`mkdocs.yml`.",
    ),
    Rule(
        "PM210",
        "unknown-tag",
        "warning",
        "With a `tags` vocabulary configured, every tag is one of its names.",
        "Use the spelling the message suggests, or add the new tag to `tags` in `mkdocs.yml`.",
    ),
    Rule(
        "PM301",
        "blame-language",
        "warning",
        'The title, summary, body, root causes and contributing factors are free of blame: "human '
        'error", "operator error", "should have", "failed to" said of a person, "careless", '
        '"negligent", "who broke", or a person\'s handle as the subject of a mistake.',
        "Rewrite the sentence about the system: the message suggests a systemic wording.",
    ),
    Rule(
        "PM302",
        "blame-category",
        "warning",
        "No root cause category blames people (`human-error`, `operator-error`, ...).",
        "Keep asking why until the cause is something the organisation can change, and use "
        "that category (`deploy-process`, `missing-validation`, ...).",
    ),
    Rule(
        "PM303",
        "vague-action-item",
        "warning",
        'No action item is vague ("improve monitoring", "be more careful", "improve testing", '
        '"don\'t do this again", "team should fix").',
        "Name the system and the change, so everyone can tell when it is done.",
    ),
    Rule(
        "PM304",
        "action-item-verb",
        "warning",
        "Every action item starts with a verb.",
        'Start with what will be done: "Add ...", "Alert when ...", "Remove ...".',
    ),
    Rule(
        "PM305",
        "too-many-action-items",
        "warning",
        "A postmortem has at most 10 action items.",
        "Keep the 3 to 5 that would have prevented, detected or limited this incident; track "
        "the rest elsewhere.",
    ),
    Rule(
        "PM401",
        "no-prevent-item",
        "warning",
        "An in-review or final postmortem has at least one action item of type `prevent`.",
        "Add the change that stops this class of incident, with `type: prevent`.",
    ),
    Rule(
        "PM402",
        "action-item-owner",
        "warning",
        "Every action item has an owner: a notice in a draft, a warning in review, an error "
        "when final (the schema reports it for a final postmortem).",
        "Set `owner` to one team or role handle.",
    ),
    Rule(
        "PM403",
        "action-item-due",
        "warning",
        "Every action item has a due date: a notice in a draft, a warning in review, an error "
        "when final (the schema reports it for a final postmortem).",
        "Set `due`, normally within 30 days of the incident.",
    ),
    Rule(
        "PM404",
        "sections",
        "warning",
        "The body has the sections of its form: Summary, Impact, Timeline, Root Cause, Action "
        "Items, Lessons Learned and What Went Well for the two worst severities; What "
        "Happened, Why and Action Items (or the full form) for the others.",
        "Add the missing headings (`## Impact`); `pmkb new` writes them all.",
    ),
    Rule(
        "PM405",
        "what-went-well",
        "warning",
        'An in-review or final full-form postmortem lists at least two things under "What Went '
        'Well".',
        "Add specific things worth keeping, one list item each.",
    ),
    Rule(
        "PM406",
        "reviewers",
        "warning",
        "An in-review or final postmortem names its reviewers.",
        "Add `reviewers: [...]`.",
    ),
    Rule(
        "PM407",
        "final-root-causes",
        "warning",
        "A final postmortem has root causes (the packaged schema also requires them).",
        "Add `root_causes` with a category and a description each.",
    ),
    Rule(
        "PM408",
        "final-timeline",
        "warning",
        "A final postmortem's timeline says when the incident started, was detected and was "
        "mitigated.",
        "Add the missing `timeline` timestamps.",
    ),
    Rule(
        "PM409",
        "draft-overdue",
        "warning",
        "A draft is no older than 5 business days after the incident date (relative to the "
        "build date).",
        "Finish the draft, hold the review, and set `status: in-review`.",
    ),
    Rule(
        "PM410",
        "review-overdue",
        "warning",
        "A postmortem stays in review no longer than 7 days after the incident date "
        "(relative to the build date).",
        "Close the review and set `status: final`.",
    ),
    Rule(
        "PM411",
        "placeholder",
        "warning",
        "An in-review or final postmortem has no `TODO` left in its summary or body (outside "
        "code and HTML comments), such as the placeholder `pmkb new` writes.",
        "Replace the placeholder with the text it stands for.",
    ),
    Rule(
        "PM501",
        "recurrence",
        "notice",
        "A root cause category (after the taxonomy) that already appears in other "
        "postmortems: they are named with their open action items.",
        "Read them; check whether their open items would have prevented this one; add their "
        "ids to `related`.",
    ),
)

RULES_BY_CODE: Mapping[str, Rule] = {rule.code: rule for rule in RULES}


def default_level(code: str) -> Level:
    """The default level of a rule code."""
    return RULES_BY_CODE[code].level


def check_rule_levels(options: Mapping[object, object]) -> dict[str, ConfiguredLevel]:
    """The ``rules`` option, checked: known codes, known levels, fixed rules not lowered.

    Raises:
        ConfigurationError: naming the first bad entry and what would be accepted.
    """
    levels: dict[str, ConfiguredLevel] = {}
    for key, value in options.items():
        code = str(key).strip().upper()
        rule = RULES_BY_CODE.get(code)
        if rule is None:
            close = difflib.get_close_matches(code, list(RULES_BY_CODE), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise ConfigurationError(
                f"rules: {str(key)!r} is not a rule code (see the lint rules reference){hint}"
            )
        # mkdocs.yml is read as YAML 1.1, where an unquoted off is the boolean false.
        level = "off" if value is False else value
        level = level.strip().lower() if isinstance(level, str) else level
        if level not in CONFIGURED_LEVELS:
            raise ConfigurationError(
                f"rules: {code}: {value!r} is not one of error, warning, notice, off"
            )
        if rule.fixed and level != "error":
            raise ConfigurationError(
                f"rules: {code} ({rule.name}) is always an error: a file with this problem "
                "cannot be published"
            )
        levels[code] = level
    return levels


def apply_rule_levels(problems: Iterable[Problem], rule_levels: Mapping[str, str]) -> list[Problem]:
    """The problems with the configured level of their rule; rules set to ``off`` are dropped.

    This is the only place where configured levels are applied.
    """
    applied: list[Problem] = []
    for problem in problems:
        level = rule_levels.get(problem.code)
        if level is None or level == problem.level:
            applied.append(problem)
        elif level != "off":
            applied.append(replace(problem, level=level))  # type: ignore[arg-type]
    return applied
