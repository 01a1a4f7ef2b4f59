"""Lint rules beyond the schema: blameless wording, useful action items, process, recurrence.

Pure functions over validated postmortems and the settings; they run in the same pass as
validation (``load_knowledge_base``), and every finding is a ``Problem`` with a rule code from
``rules.py``: PM3xx style, PM4xx process, PM5xx recurrence. Levels here are the defaults;
the configured ones are applied afterwards, in one place.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from postmortem_kb.analysis import canonical_category
from postmortem_kb.loader import shorten
from postmortem_kb.markdown_body import Body, count_entries, parse_body
from postmortem_kb.model import FieldPath, Level, Postmortem, Problem, format_field_path
from postmortem_kb.rules import default_level
from postmortem_kb.settings import Settings

MAX_ACTION_ITEMS = 10
"""More action items than this and the ones that matter get lost."""
MIN_WENT_WELL = 2
DRAFT_BUSINESS_DAYS = 5
"""A draft should be reviewed within this many business days of the incident."""
REVIEW_DAYS = 7
"""A postmortem should be published within this many days of the incident."""
RECURRENCE_SHOWN = 5
"""How many other postmortems a recurrence notice names; the rest are counted."""
OPEN_ITEMS_SHOWN = 3

# --- Blame language ------------------------------------------------------------------------

_PERSON = (
    r"(?:I|we|he|she|you|someone|somebody|nobody|everyone|everybody"
    r"|(?:the|our|an?)\s+(?:[\w-]+\s+)?(?:engineers?|developers?|devs?|operators?|admins?"
    r"|administrators?|on-?call(?:\s+engineers?)?|sres?|dbas?|teams?|persons?|people"
    r"|responders?|reviewers?|authors?|interns?|contractors?)"
    r"|on-?call|@[\w.-]*\w|[\w-]+-on-?call)"
)
_FILLER = r"(?:\s+(?:had|has|have|also|then|again|just|simply|clearly|\w+ly))*"
_MISTAKE = (
    r"(?:forgot|neglected|overlooked|ignored|broke|missed|messed\s+up|screwed\s+up|botched"
    r"|did(?:\s+not|n't)\s+(?:follow|check|test|notice|read|verify|wait|see)"
    r"|made\s+(?:a|an)\s+(?:mistake|error)|mistakenly|accidentally|wrongly|carelessly)"
)

_MISTAKE_KEYWORDS = (
    "forgot",
    "neglected",
    "overlooked",
    "ignored",
    "broke",
    "missed",
    "messed",
    "screwed",
    "botched",
    "did",
    "made",
    "mistaken",
    "accidental",
    "wrongly",
    "careless",
)


@dataclass(frozen=True)
class BlamePattern:
    """A blaming phrase and the systemic rewrite to suggest instead.

    Attributes:
        pattern: what to find.
        keywords: lowercase words one of which every match contains; a line without any is
            skipped without running the pattern, which keeps the rule cheap on long bodies.
        rewrite: the suggestion.
        anchor: a pattern that every match ends with, when it is much quicker to look for
            than the whole (a person before a mistake is tried at every word; the mistake
            is rare): a line without it is skipped too.
    """

    pattern: re.Pattern[str]
    keywords: tuple[str, ...]
    rewrite: str
    anchor: re.Pattern[str] | None = None
    ascii_words: tuple[str, ...] = ()
    """Lowercase words one of which every match contains as well: an ASCII text whose
    lowercase has none is skipped (exact for ASCII, where ignoring case is lowercasing; a
    text with other characters always runs the pattern)."""


BLAME_PATTERNS: tuple[BlamePattern, ...] = (
    BlamePattern(
        re.compile(r"\b(?:human|operator|engineer|developer|pilot)[ -]errors?\b", re.IGNORECASE),
        ("error",),
        "describe the action, then what let it cause harm, e.g. "
        "'the deploy tool accepted a config that no check had validated'",
        ascii_words=("human", "operator", "engineer", "developer", "pilot"),
    ),
    BlamePattern(
        re.compile(r"\bshould(?:'ve|\s+have|\s+not\s+have|n't\s+have)\b", re.IGNORECASE),
        ("should",),
        "say what was missing instead, e.g. 'no alert fires for this condition' or "
        "'the runbook did not cover this case'",
    ),
    BlamePattern(
        re.compile(rf"(?<![\w@-]){_PERSON}{_FILLER}\s+failed\s+to\b", re.IGNORECASE),
        ("failed",),
        "say what the system lacked, e.g. 'nothing tracked the certificate's expiry date'",
        re.compile(r"\sfailed\s+to\b", re.IGNORECASE),
    ),
    BlamePattern(
        re.compile(r"\b(?:careless(?:ly|ness)?|negligen(?:t|tly|ce))\b", re.IGNORECASE),
        ("careless", "negligen"),
        "describe the change and the safeguard that was missing, e.g. "
        "'a change to the DNS zone that the pipeline applied without review'",
    ),
    BlamePattern(
        re.compile(r"\bwho\s+(?:broke|caused|messed\s+up|screwed\s+up)\b", re.IGNORECASE),
        ("who",),
        "ask what happened instead, e.g. 'what changed before the build broke?'",
    ),
    BlamePattern(
        re.compile(rf"(?<![\w@-]){_PERSON}{_FILLER}\s+{_MISTAKE}\b", re.IGNORECASE),
        _MISTAKE_KEYWORDS,
        "make the system the subject: say what allowed it, e.g. 'the deploy went out with no "
        "test gate', not who did it",
        re.compile(rf"\s{_MISTAKE}\b", re.IGNORECASE),
    ),
)

_KEYWORDS = tuple(sorted({keyword for blame in BLAME_PATTERNS for keyword in blame.keywords}))
_BLAME_KEYWORDS = re.compile("|".join(_KEYWORDS))

BLAME_CATEGORY = re.compile(
    r"^(?:(?:human|operator|engineer|developer|people|person|staff|user|pilot|admin)"
    r"-(?:error|errors|mistake|mistakes|fault|negligence)|carelessness|negligence|mistake|"
    r"human)$"
)

# --- Action items ---------------------------------------------------------------------------

_VAGUE_PHRASES = re.compile(
    r"\b(?:be\s+(?:more\s+|extra\s+)?careful"
    r"|pay\s+(?:more\s+|closer\s+)?attention"
    r"|(?:do\s+not|don't|never)\s+(?:do|let)\s+(?:this|that|it)\s+(?:happen\s+)?again"
    r"|never\s+again"
    r"|(?:won't|will\s+not|doesn't|does\s+not)\s+happen\s+again"
    r"|make\s+sure\s+(?:this|that|it)\s+(?:doesn't|does\s+not|won't|will\s+not|never)\b"
    r"|(?:the\s+)?(?:team|someone|somebody|everyone|everybody|we|they)\s+(?:should|must|"
    r"needs?\s+to)\s+(?:fix|look|address|handle|improve|be|check)"
    r"|double[- ]check|try\s+harder|remember\s+to)\b",
    re.IGNORECASE,
)
_VAGUE_VERBS = frozenset(
    {"improve", "better", "enhance", "increase", "strengthen", "review", "revisit", "investigate"}
)
_VAGUE_VERB_PHRASES = ("look into", "add more", "more")
_CONCRETE = re.compile(r"[0-9_/.`%]")
"""A number, a path, a setting name or a percentage makes an item measurable."""
MAX_VAGUE_WORDS = 6


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NOT_VERBS = _words(
    """the a an this that these those our their its my your we i you they he she it team teams
    someone somebody everyone everybody nobody more better new no not maybe possibly perhaps
    should must need needs tbd todo n/a some all each every any other"""
)
_VERBS_LIKE_NOUNS = _words(
    """bring ping ring sing string swing spring wring sting cling fling implement document
    augment comment experiment supplement segment complement cement fence silence reference
    evidence sequence commence influence experience balance advance enhance finance distance
    mention partition position provision condition function question caution section ration
    station sanction version envision embed shed shred proceed exceed succeed feed seed speed
    need heed focus bias alias canvas"""
)
_NOUN_ENDINGS = ("ing", "tion", "sion", "ment", "ness", "ity", "ance", "ence", "ies")


def blame_findings(text: str) -> Iterator[tuple[str, str]]:
    """The blaming phrases in a text, each with its suggested rewrite."""
    lowered = text.lower()
    # A search for each keyword is quicker than one pattern of them all, and finds a keyword
    # wherever one is (a match's keyword always starts a word, so nothing it finds is new).
    hits = {keyword for keyword in _KEYWORDS if keyword in lowered}
    if hits:
        yield from _findings(text, hits, lowered)


def _findings(text: str, hits: set[str], lowered: str | None) -> Iterator[tuple[str, str]]:
    """``blame_findings`` once the keywords in the text (``hits``) are known.

    ``lowered`` is the text in lower case, or ``None`` to lower it only if a pattern asks.
    """
    is_ascii = text.isascii()
    for blame in BLAME_PATTERNS:
        if hits.isdisjoint(blame.keywords):
            continue
        if is_ascii and blame.ascii_words:
            if lowered is None:
                lowered = text.lower()
            if not any(word in lowered for word in blame.ascii_words):
                continue
        if blame.anchor is not None and blame.anchor.search(text) is None:
            continue
        for match in blame.pattern.finditer(text):
            yield " ".join(match.group().split()), blame.rewrite


def vague_phrase(action: str) -> str | None:
    """Why an action item is vague, or ``None`` when it names a concrete change."""
    text = " ".join(action.replace("\u2019", "'").split()).strip(" .!")
    found = _VAGUE_PHRASES.search(text)
    if found:
        return found.group()
    words = text.casefold().split()
    if not words or len(words) > MAX_VAGUE_WORDS or _CONCRETE.search(text):
        return None
    lowered = " ".join(words)
    if words[0] in _VAGUE_VERBS or any(
        lowered.startswith(phrase + " ") for phrase in _VAGUE_VERB_PHRASES
    ):
        return text
    return None


def starts_with_verb(action: str) -> bool:
    """Whether an action item seems to start with a verb (a heuristic that spares real verbs)."""
    first = action.strip().split(maxsplit=1)[0] if action.strip() else ""
    if first.startswith("@"):
        return False
    word = first.strip("\"'()[]*_:,.;!").casefold()
    if not word or word in _NOT_VERBS:
        return False
    if word in _VERBS_LIKE_NOUNS or not word.isalpha():
        return True
    if word.endswith(_NOUN_ENDINGS):
        return False
    if word.endswith("ed") and not word.endswith("eed") and len(word) > 4:
        return False
    return not (word.endswith("s") and not word.endswith("ss"))


# --- Sections -------------------------------------------------------------------------------

SECTION_TITLES: Mapping[str, str] = {
    "summary": "Summary",
    "impact": "Impact",
    "timeline": "Timeline",
    "root_cause": "Root Cause",
    "action_items": "Action Items",
    "lessons": "Lessons Learned",
    "went_well": "What Went Well",
    "what_happened": "What Happened",
    "why": "Why",
}
_ROOT_CAUSE_NAMES = (
    "root cause",
    "root causes",
    "root cause analysis",
    "rca",
    "cause",
    "causes",
    "5 whys",
    "five whys",
    "causal analysis",
    "trigger and root cause",
)
SECTION_NAMES: Mapping[str, tuple[str, ...]] = {
    "summary": ("summary", "executive summary", "incident summary", "overview", "tl;dr", "tldr"),
    "impact": ("impact", "customer impact", "user impact", "business impact"),
    "timeline": ("timeline", "incident timeline", "chronology", "sequence of events"),
    "root_cause": _ROOT_CAUSE_NAMES,
    "action_items": (
        "action items",
        "action item",
        "actions",
        "follow up",
        "follow ups",
        "follow up actions",
        "follow up items",
        "next steps",
        "remediation",
        "remediations",
        "remediation items",
        "corrective actions",
    ),
    "lessons": (
        "lessons learned",
        "lessons learnt",
        "lessons",
        "learnings",
        "key learnings",
        "takeaways",
        "key takeaways",
        "what we learned",
    ),
    "went_well": ("what went well", "went well", "what went right", "what worked well"),
    "what_happened": (
        "what happened",
        "summary",
        "incident summary",
        "description",
        "overview",
    ),
    "why": ("why", "why it happened", "contributing factors", *_ROOT_CAUSE_NAMES),
}
FULL_FORM: tuple[str, ...] = (
    "summary",
    "impact",
    "timeline",
    "root_cause",
    "action_items",
    "lessons",
    "went_well",
)
QUICK_FORM: tuple[str, ...] = ("what_happened", "why", "action_items")
FULL_FORM_LEVELS = 2
"""The full form is required for the this many worst severities (SEV1 and SEV2 by default)."""


@functools.lru_cache(maxsize=4096)
def section_of(key: str) -> frozenset[str]:
    """The sections a normalised heading names (``summary`` is also the quick form's first)."""
    return frozenset(
        section
        for section, names in SECTION_NAMES.items()
        if any(key == name or key.startswith(name + " ") for name in names)
    )


# --- The rules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class LintContext:
    """What the rules of one postmortem need besides the postmortem."""

    settings: Settings
    today: dt.date
    body: Body


def _problem(
    pm: Postmortem,
    path: FieldPath,
    message: str,
    code: str,
    level: Level | None = None,
    line: int | None = None,
) -> Problem:
    return Problem(
        pm.file,
        line if line is not None else pm.source.line_of(path),
        format_field_path(path) or None,
        message,
        code,
        level or default_level(code),
    )


def blame_language(pm: Postmortem, context: LintContext) -> Iterator[Problem]:
    """PM301: blaming phrases in the title, summary, impact, causes and body."""
    fields: list[tuple[FieldPath, str]] = [(("title",), pm.title), (("summary",), pm.summary)]
    if pm.impact.description:
        fields.append((("impact", "description"), pm.impact.description))
    fields.extend(
        (("root_causes", index, "description"), cause.description)
        for index, cause in enumerate(pm.root_causes)
    )
    fields.extend(
        (("contributing_factors", index, "description"), cause.description)
        for index, cause in enumerate(pm.contributing_factors)
    )
    for path, text in fields:
        for phrase, rewrite in blame_findings(text):
            yield _problem(pm, path, _blame_message(phrase, rewrite), "PM301")
    lines = context.body.lines
    # The keywords each line has are known from the search of the whole body: the line's
    # findings need not look for them again.
    for index, hits in keyword_hits([line.text for line in lines]):
        line = lines[index]
        for phrase, rewrite in _findings(line.text, hits, None):
            yield _problem(pm, (), _blame_message(phrase, rewrite), "PM301", line=line.number)


def keyword_lines(texts: list[str]) -> list[int]:
    """The indexes of the texts that have a blame keyword: the others can have no finding."""
    return [index for index, _hits in keyword_hits(texts)]


def keyword_hits(texts: list[str]) -> list[tuple[int, set[str]]]:
    """The indexes of the texts that have a blame keyword, in order, each with its keywords.

    Looking for each keyword in the whole body at once is several times quicker than
    asking each line (most have none). A text's keywords are those its own lower case has:
    the keywords are ASCII and hold no line break, and lowering the joined texts lowers
    each the same (only a Greek sigma looks at its neighbours, and it stays Greek).
    """
    lowered = "\n".join(texts).lower()
    # Where each line ends in the lowered text (lowering can change a text's length, never
    # its line breaks), so that a keyword's line is a binary search away.
    ends = [match.start() for match in _NEWLINE.finditer(lowered)]
    found: dict[int, set[str]] = {}
    for keyword in _KEYWORDS:
        position = lowered.find(keyword)
        while position >= 0:
            index = bisect.bisect_left(ends, position)
            hits = found.get(index)
            if hits is None:
                found[index] = {keyword}
            else:
                hits.add(keyword)
            position = lowered.find(keyword, position + 1)
    return sorted(found.items())


_NEWLINE = re.compile("\n")


def _blame_message(phrase: str, rewrite: str) -> str:
    return f"{shorten(phrase)} blames people, not the system: {rewrite}"


def blame_categories(pm: Postmortem, context: LintContext) -> Iterator[Problem]:
    """PM302: root cause categories that name people as the cause."""
    for index, cause in enumerate(pm.root_causes):
        canonical = canonical_category(cause.category, context.settings.taxonomy)
        if BLAME_CATEGORY.match(cause.category) or BLAME_CATEGORY.match(canonical):
            yield _problem(
                pm,
                ("root_causes", index, "category"),
                f"{shorten(cause.category)} blames people: human error is where the analysis "
                "starts; ask why the action was possible and harmful, and use the category of "
                "that answer (e.g. 'deploy-process', 'missing-validation')",
                "PM302",
            )


def action_item_wording(pm: Postmortem, context: LintContext) -> Iterator[Problem]:
    """PM303 vague action items, PM304 items that do not start with a verb."""
    for item in pm.action_items:
        path: FieldPath = ("action_items", item.index, "action")
        vague = vague_phrase(item.action)
        if vague is not None:
            yield _problem(
                pm,
                path,
                f"{shorten(item.action)} is vague ({shorten(vague, 40)}): name the system "
                "and the change so anyone can tell when it is done, e.g. 'Alert when "
                "orders-db connections stay above 80% for 2 minutes'",
                "PM303",
            )
        elif not starts_with_verb(item.action):
            yield _problem(
                pm,
                path,
                f"{shorten(item.action)} does not start with a verb: start with what will be "
                "done ('Add ...', 'Alert when ...', 'Remove ...'); the owner goes in 'owner'",
                "PM304",
            )


def action_item_count(pm: Postmortem, context: LintContext) -> Iterator[Problem]:
    """PM305: more action items than a team can follow through."""
    count = len(pm.action_items)
    if count > MAX_ACTION_ITEMS:
        yield _problem(
            pm,
            ("action_items",),
            f"has {count} action items: keep the 3 to 5 that would have prevented, detected "
            f"or limited this incident (at most {MAX_ACTION_ITEMS}) and track the rest elsewhere",
            "PM305",
        )


def prevent_item(pm: Postmortem, context: LintContext) -> Iterator[Problem]:
    """PM401: a reviewed postmortem with action items but none that prevents a recurrence."""
    if pm.status == "draft" or not pm.action_items:
        return
    if not any(item.type == "prevent" for item in pm.action_items):
        yield _problem(
            pm,
            ("action_items",),
            "has no action item of type 'prevent': add the change that stops this class of "
            "incident, not only ways to detect or mitigate it",
            "PM401",
        )


_OWNER_DUE_LEVEL: Mapping[str, Level] = {"draft": "notice", "in-review": "warning"}


def owner_and_due(pm: Postmortem, context: LintContext) -> Iterator[Problem]:
    """PM402, PM403: action items without an owner or a due date.

    A notice in a draft (gaps are expected there), a warning in review, an error when final;
    the packaged schema already reports final ones (PM101), and a postmortem that fails the
    schema never reaches the lint rules, so nothing is reported twice.
    """
    level = _OWNER_DUE_LEVEL.get(pm.status, "error")
    for item in pm.action_items:
        if not item.owner:
            yield _problem(
                pm,
                ("action_items", item.index, "owner"),
                "has no owner: name one team or role handle (never 'everyone'); it is "
                "required when the postmortem is final",
                "PM402",
                level,
                line=pm.source.line_of(("action_items", item.index)),
            )
        if item.due is None:
            yield _problem(
                pm,
                ("action_items", item.index, "due"),
                "has no due date: set 'due' (YYYY-MM-DD), normally within 30 days of the "
                "incident; it is required when the postmortem is final",
                "PM403",
                level,
                line=pm.source.line_of(("action_items", item.index)),
            )


def sections(pm: Postmortem, context: LintContext) -> Iterator[Problem]:
    """PM404 missing sections for the severity, PM405 too little under What Went Well."""
    found: set[str] = set()
    went_well = None
    for heading in context.body.headings:
        named = section_of(heading.key)
        found |= named
        if "went_well" in named and went_well is None:
            went_well = heading
    full = pm.severity in context.settings.severities[:FULL_FORM_LEVELS]
    missing_full = [section for section in FULL_FORM if section not in found]
    missing_quick = [section for section in QUICK_FORM if section not in found]
    if full and missing_full:
        yield _section_problem(pm, context, missing_full, FULL_FORM, "the full form")
    elif not full and missing_full and missing_quick:
        yield _section_problem(
            pm, context, missing_quick, QUICK_FORM, "the quick form (or the full form)"
        )
    if full and went_well is not None and pm.status != "draft":
        entries = count_entries(context.body.section(went_well))
        if entries < MIN_WENT_WELL:
            yield _problem(
                pm,
                (),
                f"'{went_well.text}' lists {entries} thing(s): name at least {MIN_WENT_WELL} "
                "specific things worth keeping, one list item each",
                "PM405",
                line=went_well.number,
            )


def _section_problem(
    pm: Postmortem,
    context: LintContext,
    missing: list[str],
    form: tuple[str, ...],
    form_name: str,
) -> Problem:
    names = ", ".join(SECTION_TITLES[section] for section in missing)
    needed = ", ".join(SECTION_TITLES[section] for section in form)
    return _problem(
        pm,
        (),
        f"the body has no {names} section: a {pm.severity} postmortem uses {form_name}: "
        f"{needed}; add a heading for each, e.g. '## {SECTION_TITLES[missing[0]]}'",
        "PM404",
        line=pm.source.body_line,
    )


def status_gates(pm: Postmortem, context: LintContext) -> Iterator[Problem]:
    """PM406 reviewers in review, PM407 root causes and PM408 a timeline when final."""
    if pm.status == "draft":
        return
    if not pm.reviewers:
        yield _problem(
            pm,
            ("reviewers",) if "reviewers" in pm.source.front_matter else ("status",),
            f"a postmortem that is {pm.status} names its reviewers: add 'reviewers: [...]'",
            "PM406",
        )
    if pm.status != "final":
        return
    if not pm.root_causes:
        yield _problem(
            pm,
            ("root_causes",) if "root_causes" in pm.source.front_matter else ("status",),
            "a final postmortem states its root causes: add 'root_causes' with a category and "
            "a description each",
            "PM407",
        )
    timeline = pm.timeline
    missing = [
        name
        for name, value in (
            ("started", timeline.started),
            ("detected", timeline.detected),
            ("mitigated", timeline.mitigated),
        )
        if value is None
    ]
    if missing:
        listed = ", ".join(f"timeline.{name}" for name in missing)
        yield _problem(
            pm,
            ("timeline",) if "timeline" in pm.source.front_matter else ("status",),
            f"a final postmortem says when the incident started, was detected and was "
            f"mitigated: add {listed}",
            "PM408",
        )


def business_days_between(start: dt.date, end: dt.date) -> int:
    """The number of weekdays after ``start`` up to and including ``end`` (0 if not after)."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (start + dt.timedelta(days=offset)).weekday() < 5:
            count += 1
    return count


def deadlines(pm: Postmortem, context: LintContext) -> Iterator[Problem]:
    """PM409 a draft past 5 business days, PM410 a review past 7 days, from the incident date."""
    if pm.status == "draft":
        elapsed = business_days_between(pm.date, context.today)
        if elapsed > DRAFT_BUSINESS_DAYS:
            yield _problem(
                pm,
                ("status",),
                f"is still a draft {elapsed} business days after the incident "
                f"({pm.date.isoformat()}; build date {context.today.isoformat()}): the review "
                f"is due within {DRAFT_BUSINESS_DAYS}; finish the draft, hold the review and "
                "set 'status: in-review'",
                "PM409",
            )
    elif pm.status == "in-review":
        elapsed = (context.today - pm.date).days
        if elapsed > REVIEW_DAYS:
            yield _problem(
                pm,
                ("status",),
                f"is still in review {elapsed} days after the incident "
                f"({pm.date.isoformat()}; build date {context.today.isoformat()}): publish "
                f"within {REVIEW_DAYS} days; close the review and set 'status: final'",
                "PM410",
            )


_PLACEHOLDER = re.compile(r"\bTODO\b")


def placeholders(pm: Postmortem, context: LintContext) -> Iterator[Problem]:
    """PM411: a template placeholder left in a postmortem that is no longer a draft."""
    if pm.status == "draft":
        return
    message = (
        f"'TODO' is left in a postmortem that is {pm.status}: replace the placeholder with the "
        "text it stands for"
    )
    if _PLACEHOLDER.search(pm.summary):
        yield _problem(pm, ("summary",), message, "PM411")
    if "TODO" not in pm.source.body:
        return  # prose lines are the body's with parts blanked out: none can have it
    for line in context.body.lines:
        if not line.in_code and _PLACEHOLDER.search(line.text):
            yield _problem(pm, (), message, "PM411", line=line.number)


POSTMORTEM_RULES = (
    blame_language,
    blame_categories,
    action_item_wording,
    action_item_count,
    prevent_item,
    owner_and_due,
    sections,
    status_gates,
    deadlines,
    placeholders,
)


def lint_postmortem(pm: Postmortem, settings: Settings, today: dt.date) -> list[Problem]:
    """Every style and process finding of one postmortem."""
    context = LintContext(settings, today, parse_body(pm.source.body, pm.source.body_line))
    return [problem for rule in POSTMORTEM_RULES for problem in rule(pm, context)]


@dataclass(frozen=True)
class RecurrenceFacts:
    """What the recurrence notices read of a postmortem.

    The result cache keeps these for each file, so that the notices, which look across
    files, run again on every check without parsing the files that did not change.
    """

    file: str
    id: str
    date: dt.date
    related: tuple[str, ...]
    categories: tuple[str, ...]
    """The root cause categories as written, one per root cause."""
    category_lines: tuple[int | None, ...]
    open_actions: tuple[str, ...]
    """The actions of the items still open (todo or in progress), in order."""

    @classmethod
    def of(cls, pm: Postmortem) -> RecurrenceFacts:
        """The facts of a postmortem."""
        return cls(
            file=pm.file,
            id=pm.id,
            date=pm.date,
            related=pm.related,
            categories=tuple(cause.category for cause in pm.root_causes),
            category_lines=tuple(
                pm.source.line_of(("root_causes", index, "category"))
                for index in range(len(pm.root_causes))
            ),
            open_actions=tuple(item.action for item in pm.action_items if item.is_open),
        )


def recurrence_notices(
    postmortems: Sequence[Postmortem] | Sequence[RecurrenceFacts], settings: Settings
) -> list[Problem]:
    """PM501: root cause categories that other postmortems already have.

    Each notice names the others (newest first, at most ``RECURRENCE_SHOWN``) with their
    still-open action items, and suggests the ids missing from ``related``. The work is linear
    in the number of postmortems: a category's members all name its few newest postmortems
    (or the next one, for those among them), so what they name is made once per category.
    """
    return RecurrenceNotices(postmortems, settings).problems()


class RecurrenceNotices:
    """The recurrence notices (PM501) of a knowledge base: counted at once, written on demand.

    ``pmkb check`` counts the notices of ten thousand postmortems but, past a hundred, lists
    none of them: writing each one's message was a tenth of a check after one file changed.
    """

    def __init__(
        self, postmortems: Sequence[Postmortem] | Sequence[RecurrenceFacts], settings: Settings
    ) -> None:
        """The notices of ``postmortems`` (newest first) under ``settings``."""
        self.facts = [
            pm if isinstance(pm, RecurrenceFacts) else RecurrenceFacts.of(pm) for pm in postmortems
        ]
        self.settings = settings
        self._sites: list[tuple[RecurrenceFacts, int, str, _Recurrence]] | None = None
        self._openings: dict[str, str] = {}

    def counts(self) -> dict[str, int]:
        """How many notices each file has (files with none are left out).

        Until the notices are written, they are counted without finding each one's place and
        group (sorting each category's members was most of a count, and a check of ten
        thousand files writes none): a postmortem has one notice per canonical category of
        its root causes that at least ``recurring_threshold`` (and two) postmortems share.
        """
        found: dict[str, int] = {}
        if self._sites is not None:
            for pm, _index, _written, _recurrence in self._sites:
                found[pm.file] = found.get(pm.file, 0) + 1
            return found
        taxonomy = self.settings.taxonomy
        canonical: dict[str, str] = {}
        for pm in self.facts:
            for written in pm.categories:
                if written not in canonical:
                    canonical[written] = canonical_category(written, taxonomy)
        categories_of = [{canonical[written] for written in pm.categories} for pm in self.facts]
        members: dict[str, int] = {}
        for categories in categories_of:
            for category in categories:
                members[category] = members.get(category, 0) + 1
        minimum = max(self.settings.recurring_threshold, 2)
        recurring = {category for category, count in members.items() if count >= minimum}
        for pm, categories in zip(self.facts, categories_of, strict=True):
            count = len(categories & recurring)
            if count:
                found[pm.file] = found.get(pm.file, 0) + count
        return found

    def problems(self, wanted: Callable[[str], bool] | None = None) -> list[Problem]:
        """The notices, of the files ``wanted`` accepts (all by default), in order."""
        level = default_level("PM501")
        notices: list[Problem] = []
        for pm, index, written, recurrence in self._notice_sites():
            if wanted is not None and not wanted(pm.file):
                continue
            others, named = recurrence.named_for(pm)
            missing = [
                other.id
                for other in others
                if other.id not in pm.related and pm.id not in other.related
            ]
            advice = (
                f"Check whether their fixes cover this incident, and add {', '.join(missing)} "
                "to 'related'"
                if missing
                else "Check whether their fixes cover this incident"
            )
            field = (
                _CATEGORY_FIELDS[index]
                if index < len(_CATEGORY_FIELDS)
                else f"root_causes[{index}].category"
            )
            notices.append(
                Problem(
                    pm.file,
                    pm.category_lines[index],
                    field,
                    f"{self._openings[written]}{named}. {advice}",
                    "PM501",
                    level,
                )
            )
        return notices

    def _notice_sites(self) -> list[tuple[RecurrenceFacts, int, str, _Recurrence]]:
        """Each notice as (postmortem, index of its root cause, category as written, group)."""
        if self._sites is None:
            self._sites = self._find_sites()
        return self._sites

    def _find_sites(self) -> list[tuple[RecurrenceFacts, int, str, _Recurrence]]:
        facts = self.facts
        settings = self.settings
        taxonomy = settings.taxonomy
        canonical: dict[str, str] = {}
        for pm in facts:
            for written in pm.categories:
                if written not in canonical:
                    canonical[written] = canonical_category(written, taxonomy)
        by_category: dict[str, list[RecurrenceFacts]] = {}
        for pm in facts:
            for category in dict.fromkeys(canonical[written] for written in pm.categories):
                by_category.setdefault(category, []).append(pm)
        minimum = max(settings.recurring_threshold, 2)
        recurring: dict[str, _Recurrence] = {
            category: _Recurrence(category, members)
            for category, members in by_category.items()
            if len(members) >= minimum
        }
        sites: list[tuple[RecurrenceFacts, int, str, _Recurrence]] = []
        if not recurring:
            return sites
        # How each written category starts its message ("'db' (as 'database') recurs: ...").
        self._openings = {
            written: f"{shorten(written)}"
            f"{'' if category == written else f' (as {shorten(category)})'} recurs: it is also "
            "a root cause of "
            for written, category in canonical.items()
            if category in recurring
        }
        for pm in facts:
            seen: set[str] = set()
            for index, written in enumerate(pm.categories):
                category = canonical[written]
                recurrence = recurring.get(category)
                if recurrence is None or category in seen:
                    continue
                seen.add(category)
                sites.append((pm, index, written, recurrence))
        return sites


_CATEGORY_FIELDS = tuple(f"root_causes[{index}].category" for index in range(16))
"""The field of a notice, made once (a postmortem has a few root causes)."""


class _Recurrence:
    """The postmortems that share a root cause category, and what their notices name."""

    def __init__(self, category: str, members: list[RecurrenceFacts]) -> None:
        members.sort(key=lambda pm: (pm.date, pm.id), reverse=True)
        self.category = category
        self.members = members
        # Only the newest RECURRENCE_SHOWN + 1 are ever named; every other member names the
        # newest RECURRENCE_SHOWN, and each of those names the others and the next one.
        self.newest = members[: RECURRENCE_SHOWN + 1]
        self._named: dict[int, tuple[list[RecurrenceFacts], str]] = {}

    def named_for(self, pm: RecurrenceFacts) -> tuple[list[RecurrenceFacts], str]:
        """The others that the notice of ``pm`` names, and how it names them."""
        slot = next(
            (position for position, other in enumerate(self.newest) if other is pm),
            len(self.newest),
        )
        found = self._named.get(slot)
        if found is None:
            others = [other for other in self.newest if other is not pm][:RECURRENCE_SHOWN]
            named = "; ".join(_describe_other(other) for other in others)
            total = len(self.members) - 1
            if total > len(others):
                named += f"; and {total - len(others)} more"
            found = self._named[slot] = (others, named)
        return found


def _describe_other(other: RecurrenceFacts) -> str:
    open_items = other.open_actions
    if not open_items:
        return f"{other.id} of {other.date.isoformat()} (no open action items)"
    listed = ", ".join(shorten(action, 50) for action in open_items[:OPEN_ITEMS_SHOWN])
    if len(open_items) > OPEN_ITEMS_SHOWN:
        listed += f" and {len(open_items) - OPEN_ITEMS_SHOWN} more"
    return f"{other.id} of {other.date.isoformat()} (open: {listed})"


def lint_knowledge_base(
    postmortems: Sequence[Postmortem], settings: Settings, today: dt.date
) -> list[Problem]:
    """Every lint finding of a knowledge base, at the rules' default levels."""
    problems = [problem for pm in postmortems for problem in lint_postmortem(pm, settings, today)]
    problems.extend(recurrence_notices(postmortems, settings))
    return problems
