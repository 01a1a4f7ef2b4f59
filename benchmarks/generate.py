"""A seeded generator of realistic knowledge bases of N postmortems that pass ``pmkb check``.

Postmortem ``i`` depends only on the seed and on ``i`` (plus the ones before it, for
``related``), so a knowledge base of 100 is the first 100 postmortems of one of 5,000: the same
page can be compared across sizes. Dates advance with ``i``; the build date to use is the day
after the newest incident plus a few days, so the last postmortems can be drafts in review
without tripping the process deadlines.

The text is written to pass the lint rules: blameless wording (systems, not people, are the
subjects of what went wrong), specific action items that start with a verb, a ``prevent`` item
in every postmortem, the full form's sections for SEV1 and SEV2, the quick form for SEV3/SEV4.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
SEVERITY_WEIGHTS = (8, 22, 45, 25)
FIRST_DAY = dt.date(2015, 1, 5)
DAYS_PER_POSTMORTEM = 0.37
"""10,000 postmortems span about ten years, a few a week: a large company's pace."""
RECENT = 90
"""The newest postmortems (about a month) whose action items are all still open."""

SERVICES = (
    "checkout",
    "orders-api",
    "orders-db",
    "payments-api",
    "payments-gateway",
    "identity",
    "search",
    "catalog",
    "pricing",
    "inventory",
    "notifications",
    "email-relay",
    "push-gateway",
    "delivery-slots",
    "routing",
    "driver-app",
    "customer-app",
    "web-frontend",
    "edge-proxy",
    "dns",
    "cdn",
    "kafka",
    "redis-cache",
    "warehouse-sync",
    "substitutions",
    "promotions",
    "loyalty",
    "invoicing",
    "support-desk",
    "analytics-pipeline",
    "feature-flags",
    "ci-runners",
    "k8s-platform",
    "object-storage",
    "secrets-manager",
    "rate-limiter",
    "recommendations",
    "maps-api",
    "fraud-scoring",
    "partner-api",
)
TAGS = (
    "database",
    "deploy",
    "capacity",
    "dependency",
    "config",
    "certificate",
    "dns",
    "network",
    "cache",
    "queue",
    "security",
    "data-integrity",
    "latency",
    "availability",
    "migration",
    "feature-flag",
    "autoscaling",
    "third-party",
    "mobile",
    "batch-job",
    "peak-traffic",
    "observability",
    "storage",
    "rate-limit",
    "rollback",
    "payments",
    "notifications",
    "search",
    "kubernetes",
    "cost",
)
ROOT_CAUSES = (
    (
        "deploy-process",
        "The deploy pipeline promoted the release to every region without a canary stage.",
    ),
    (
        "config-change",
        "A configuration change took effect everywhere at once, with no validation of its values.",
    ),
    (
        "capacity-planning",
        "Capacity planning tracked CPU and memory but not the limit that was reached.",
    ),
    ("missing-test-coverage", "No test exercised the code path that the change affected."),
    ("third-party-dependency", "The integration had no fallback when the provider degraded."),
    (
        "certificate-management",
        "Nothing tracked the certificate's expiry date or renewed it automatically.",
    ),
    (
        "schema-migration",
        "The migration tooling allowed a destructive step without a dry run on production data.",
    ),
    (
        "cache-invalidation",
        "The cache kept entries after the source changed, because no event invalidated them.",
    ),
    (
        "retry-storm",
        "Clients retried without backoff or jitter, multiplying the load on a degraded service.",
    ),
    (
        "alerting-gap",
        "No alert covered the failure mode, so detection depended on customer reports.",
    ),
    ("resource-exhaustion", "A shared pool had a fixed size that the new traffic pattern outgrew."),
    (
        "feature-flag-process",
        "The flag service allowed a full rollout without a staged percentage.",
    ),
    (
        "dns-change-process",
        "The DNS pipeline applied a delete and recreate of production records without a confirmation step.",
    ),
    ("runbook-gap", "The runbook did not cover this failure, so diagnosis started from scratch."),
    ("data-validation", "Input from an upstream system was accepted without validating its shape."),
    (
        "timeout-defaults",
        "The client library's default timeout was longer than the caller's own deadline.",
    ),
    (
        "access-control",
        "The endpoint was reachable from outside the network because its policy defaulted to open.",
    ),
    (
        "batch-scheduling",
        "Batch jobs were scheduled into the peak traffic window with no load guard.",
    ),
    (
        "queue-backpressure",
        "The consumer had no backpressure, so the queue grew until memory ran out.",
    ),
    ("clock-skew", "Hosts drifted apart in time because the time sync daemon was not monitored."),
)
ROOT_CAUSE_WEIGHTS = (14, 13, 11, 10, 9, 4, 5, 7, 5, 8, 7, 5, 2, 6, 4, 5, 2, 3, 3, 1)
FACTORS = (
    (
        "people",
        "Responders worked across three chat channels, which slowed the hand-off between teams.",
    ),
    ("people", "The on-call rotation had changed that morning and context was still being shared."),
    ("process", "The change review checklist had no item for the limit involved."),
    ("process", "Ownership of the shared component was unclear between two teams."),
    (
        "technology",
        "The client library's default retry policy doubled the request rate under errors.",
    ),
    ("technology", "The service kept one connection pool per process with no global cap."),
    (
        "environment",
        "The incident began during the weekly peak, when traffic is four times the median.",
    ),
    ("environment", "An unrelated provider outage was in progress and took responders' attention."),
    ("monitoring", "The error-rate alert used a 15-minute window, so it fired late."),
    ("monitoring", "Dashboards showed averages, which hid the tail latency that customers saw."),
    ("configuration", "The limit had been set years earlier for a much smaller workload."),
    (
        "configuration",
        "Staging used different limits from production, so tests could not reveal the issue.",
    ),
    ("documentation", "The architecture page still described the previous topology."),
    ("documentation", "The escalation path for the provider was only in an old wiki page."),
)
TEAMS = (
    "@checkout-team",
    "@payments-team",
    "@db-team",
    "@sre-team",
    "@platform-team",
    "@identity-team",
    "@search-team",
    "@notifications-team",
    "@delivery-team",
    "@mobile-team",
    "@data-team",
    "@security-team",
    "@network-team",
    "@growth-team",
)
ONCALL = (
    "checkout-oncall",
    "payments-oncall",
    "db-oncall",
    "sre-oncall",
    "platform-oncall",
    "identity-oncall",
    "search-oncall",
    "notifications-oncall",
    "delivery-oncall",
    "mobile-oncall",
)
REVIEWERS = ("sre-lead", "eng-director", "db-lead", "security-lead", "platform-lead", "qa-lead")
SYMPTOMS = (
    ("errors", "returned 5xx errors"),
    ("slow responses", "answered slowly, with p99 latency above 4 seconds"),
    ("timeouts", "timed out for a share of requests"),
    ("stale data", "served stale data"),
    ("duplicate messages", "sent some messages twice"),
    ("partial outage", "was unavailable in one region"),
    ("failed logins", "rejected valid sessions"),
    ("missing orders", "dropped some writes before they were retried"),
)
TRIGGERS = (
    "a release",
    "a configuration push",
    "a traffic peak",
    "a provider incident",
    "a database failover",
    "a certificate rotation",
    "a schema migration",
    "a cache purge",
    "a feature flag rollout",
    "a DNS change",
    "a node pool upgrade",
    "a batch job overran",
)
ACTIONS = {
    "prevent": (
        "Add a canary stage to the {service} deploy pipeline that halts on a 1% error increase",
        "Validate {service} configuration values against minimum and maximum bounds in CI",
        "Put a connection pooler in front of {service} with a per-client budget",
        "Add an integration test that asserts the {service} query count per request",
        "Make the {service} consumer idempotent by recording processed message ids",
        "Automate certificate renewal for {service} 30 days before expiry",
        "Require a dry run on a production snapshot for {service} migrations",
        "Cap {service} client retries at 3 with exponential backoff and jitter",
    ),
    "detect": (
        "Alert when {service} 5xx errors stay above 1% for 5 minutes",
        "Page when {service} p99 latency stays above 2 seconds for 10 minutes",
        "Alert when the oldest message in the {service} queue is older than 10 minutes",
        "Add a synthetic check of the {service} login flow every minute from two regions",
        "Alert when {service} connections stay above 80% of the limit for 2 minutes",
    ),
    "mitigate": (
        "Add a kill switch that turns off {service} recommendations within one minute",
        "Lower the {service} DNS TTL to 300 seconds ahead of planned changes",
        "Shed low-priority {service} traffic automatically when the error budget burns fast",
        "Keep a warm standby of {service} in the second region with weekly failover drills",
    ),
    "document": (
        "Write the {service} runbook section for this failure with the commands to check first",
        "Add the provider escalation path to the {service} on-call handbook",
        "Document the {service} connection budget per client in the service catalogue",
    ),
}
WENT_WELL = (
    "The paging alert fired within {n} minutes of the first errors.",
    "The rollback finished in {n} minutes using the documented pipeline step.",
    "The status page was updated within {n} minutes, with a prepared message.",
    "Responders from two teams joined the call within {n} minutes.",
    "The dashboard for {service} showed the saturated resource at a glance.",
    "Feature flags let us turn off the affected path without a deploy.",
    "Support had a macro for affected customers within {n} minutes.",
)
WENT_POORLY = (
    "Finding the failing component took {n} minutes; the telling log line was at debug level.",
    "The first mitigation restarted pods, which added a reconnect storm.",
    "Two responders investigated the same hypothesis in parallel for a while.",
    "The incident channel was opened only after {n} minutes.",
    "The runbook pointed at a dashboard that no longer exists.",
)
LUCKY = (
    "The incident began outside the weekly peak.",
    "Responders who knew the component well happened to be online.",
    "The failure stayed in one region; the others kept serving traffic.",
    "No data was lost because writes were rejected before they reached storage.",
)
LESSONS = (
    "A limit that nobody forecasts is capacity in its own right; put it in the capacity plan.",
    "A test that pins the environment tests the code, not the system.",
    "Runbooks should say what to check before acting.",
    "Alerts on symptoms customers feel find incidents faster than alerts on causes.",
    "Changes that take effect everywhere at once deserve the same care as a deploy.",
    "Retries are load: budget them like traffic.",
)
FILLER = (
    "The first sign was a rise in {symptom} on {service}, visible on the service dashboard a few minutes before any alert.",
    "{oncall} acknowledged the page and opened the incident channel, then pulled in the owning team when the cause pointed at {other}.",
    "Traffic at the time was close to the weekly median, so load alone does not explain the failure.",
    "Error rates rose in steps as more instances picked up the change, which pointed the investigation at the rollout.",
    "Requests that reached {other} while it was degraded queued behind the slow calls and held their connections.",
    "Once the change was reverted, error rates fell back under 0.5% within a few minutes and stayed there.",
    "The follow-up review found the same pattern in two earlier incidents, which is why the action items focus on the process rather than this instance.",
    "Customer support received {n} contacts during the incident, most of them asking whether their order went through.",
    "The change had passed review and the staging checks, because staging runs with a tenth of the production data.",
    "Logs from {other} showed connection resets from the start, but they were sampled at 1% and easy to miss.",
    "A second responder took over communication so that the first could keep working on the diagnosis.",
    "The status page was updated twice during the incident, and once more when the fix was confirmed.",
    "Metrics for {service} were aggregated per minute, so the first spikes looked like ordinary noise.",
    "The mitigation was chosen because it could be undone in one step if it made things worse.",
    "Retries from the mobile clients kept the load high for several minutes after the mitigation.",
    "The incident review took place two days later with the owning teams and support in the room.",
    "The dependency between {service} and {other} was not drawn on the architecture diagram, which made the first hypothesis wrong.",
    "No deploy was in progress for {other}, so the responders looked at recent configuration changes next.",
    "Capacity headroom for {service} had been shrinking for months as traffic grew, without crossing any alert threshold.",
    "The same code path serves web and mobile traffic, so both saw the failure at the same time.",
)


@dataclass(frozen=True)
class GeneratedKnowledgeBase:
    """What the generator wrote.

    Attributes:
        root: the knowledge base's folder (``mkdocs.yml``, ``docs/``, ``postmortems/``).
        files: the postmortem files, oldest first.
        build_date: the date to build with (``SOURCE_DATE_EPOCH``), a few days after the newest.
        total_bytes: the size of all postmortem files together.
    """

    root: Path
    files: tuple[Path, ...]
    build_date: dt.date
    total_bytes: int

    @property
    def source_date_epoch(self) -> str:
        """``build_date`` as ``SOURCE_DATE_EPOCH`` seconds."""
        moment = dt.datetime.combine(self.build_date, dt.time(12), tzinfo=dt.timezone.utc)
        return str(int(moment.timestamp()))


@dataclass
class _Story:
    """One postmortem as drawn: the facts that its front matter and its body both tell."""

    index: int
    id: str
    title: str
    date: dt.date
    severity: str
    status: str
    services: list[str]
    tags: list[str]
    other: str
    symptom: str
    symptom_verb: str
    trigger: str
    oncall: str
    root_causes: list[tuple[str, str]]
    factors: list[tuple[str, str]]
    times: tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime]
    with_timeline: bool
    items: list[dict[str, str]]
    related: list[str]
    users: int
    requests: int
    summary: str
    sentences: list[str]
    file_name: str = ""
    text: str = ""

    @property
    def service(self) -> str:
        """The service that failed first."""
        return self.services[0]

    @property
    def impact_minutes(self) -> int:
        """From started to mitigated."""
        return int((self.times[2] - self.times[0]).total_seconds() // 60)

    def filler(self, rng: random.Random, count: int) -> str:
        """``count`` sentences of narrative, never the same one twice in a postmortem."""
        return " ".join(
            self.sentences.pop().format(
                symptom=self.symptom,
                service=self.service,
                other=self.other,
                oncall=self.oncall,
                n=rng.randrange(3, 400),
            )
            for _ in range(count)
        )


MKDOCS_YML = """\
site_name: Benchmark knowledge base
docs_dir: docs
site_dir: site
theme:
  name: material
  features: [navigation.sections]
  font: false
plugins:
  - search
{plugin}
{extra}"""

PLUGIN_ENTRY = """\
  - postmortems:
      postmortems_dir: postmortems
"""

NOT_IN_NAV = """\
not_in_nav: |
  postmortems/*
"""


def _pick(rng: random.Random, values: Sequence[str], count: int) -> list[str]:
    return rng.sample(list(values), count)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _ts(moment: dt.datetime) -> str:
    if moment.utcoffset() == dt.timedelta(0):
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.isoformat()


def _quote(text: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _flow(values: Sequence[str]) -> str:
    return "[" + ", ".join(_quote(v) if v.startswith("@") else v for v in values) + "]"


def _folded(text: str, indent: str = "  ") -> str:
    """A YAML folded block (``>``) of ``text`` wrapped at about 76 characters."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > 76:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return ">\n" + "\n".join(indent + line for line in lines)


def _draw(
    index: int, seed: int, earlier: list[_Story], count: int, per_year: dict[int, int]
) -> _Story:
    """Draw postmortem ``index``: its facts depend on the seed, the index and earlier ones."""
    rng = random.Random(f"{seed}:{index}")
    date = FIRST_DAY + dt.timedelta(days=int(index * DAYS_PER_POSTMORTEM))
    severity = rng.choices(SEVERITIES, SEVERITY_WEIGHTS)[0]
    services = _pick(rng, SERVICES, rng.choice((1, 1, 2, 2, 3)))
    symptom, symptom_verb = rng.choice(SYMPTOMS)
    trigger = rng.choice(TRIGGERS)
    title = f"{symptom.capitalize()} on {services[0]} after {trigger}"
    if rng.random() < 0.05:
        title += " (p99 > 4 s)"  # markup in titles must stay text everywhere
    causes_drawn = rng.choices(
        range(len(ROOT_CAUSES)), ROOT_CAUSE_WEIGHTS, k=1 if rng.random() < 0.7 else 2
    )
    root_causes = [ROOT_CAUSES[i] for i in dict.fromkeys(causes_drawn)]

    # The last few postmortems of a knowledge base are still being written.
    status = {0: "draft", 1: "in-review", 2: "in-review"}.get(count - 1 - index, "final")

    zone = dt.timezone.utc if rng.random() < 0.85 else dt.timezone(dt.timedelta(hours=2))
    started = dt.datetime.combine(date, dt.time(rng.randrange(0, 22), rng.randrange(60)), zone)
    detected = started + dt.timedelta(minutes=rng.choice((1, 3, 4, 6, 9, 14, 25, 47, 95)))
    mitigated = detected + dt.timedelta(minutes=rng.randrange(5, 240))
    resolved = mitigated + dt.timedelta(minutes=rng.randrange(10, 4000))

    per_year[date.year] = year_seq = per_year.get(date.year, 0) + 1
    same_cause = [pm for pm in earlier[-400:] if pm.root_causes[0][0] == root_causes[0][0]]
    related = []
    if same_cause and rng.random() < 0.3:
        chosen = rng.sample(same_cause, min(len(same_cause), rng.choice((1, 2))))
        related = [pm.id for pm in chosen]
    users = rng.choice((40, 120, 800, 2400, 6200, 18400, 52000))
    ending = rng.choice(
        (
            "Reverting the change",
            "Failing over to the standby",
            "Scaling out the pool",
            "Disabling the feature flag",
        )
    )
    story = _Story(
        index=index,
        id=f"PM-{date.year}-{year_seq:03d}",
        title=title,
        date=date,
        severity=severity,
        status=status,
        services=services,
        tags=_pick(rng, TAGS, rng.choice((0, 1, 2, 2, 3, 4))),
        other=rng.choice([s for s in SERVICES if s != services[0]]),
        symptom=symptom,
        symptom_verb=symptom_verb,
        trigger=trigger,
        oncall=rng.choice(ONCALL),
        root_causes=root_causes,
        factors=rng.sample(FACTORS, rng.choice((1, 2, 2, 3, 4))),
        times=(started, detected, mitigated, resolved),
        with_timeline=status == "final" or rng.random() < 0.5,
        items=_action_items(rng, index, date, services, recent=count - index <= RECENT),
        related=related,
        users=users,
        requests=users * rng.randrange(2, 9),
        summary="",
        sentences=rng.sample(FILLER, len(FILLER)),
    )
    story.summary = (
        f"For {story.impact_minutes} minutes {story.service} {symptom_verb} after {trigger}. "
        f"About {users:,} customers were affected. {ending} ended the impact; the action "
        "items below address the causes."
    )
    body = _full_body(story, rng) if severity in ("SEV1", "SEV2") else _quick_body(story, rng)
    story.text = _front_matter(story, rng) + "\n" + "\n".join(body)
    return story


def _action_items(
    rng: random.Random, index: int, date: dt.date, services: list[str], *, recent: bool
) -> list[dict[str, str]]:
    """Two to four specific items, the first one a ``prevent``; old open ones are overdue.

    The items of the ``RECENT`` newest postmortems are all still open; elsewhere the status
    depends on the draw alone, so a postmortem reads the same whatever the size.
    """
    kinds = [
        "prevent",
        *rng.sample(["detect", "mitigate", "document", "prevent"], rng.randrange(1, 4)),
    ]
    items = []
    for number, kind in enumerate(kinds):
        due = date + dt.timedelta(days=rng.choice((7, 14, 21, 30)))
        roll = rng.random()
        if recent or roll < 0.08:
            status = "todo" if roll < 0.6 else "in-progress"
        elif roll < 0.12:
            status = "wont-do"
        else:
            status = "done"
        item = {
            "action": rng.choice(ACTIONS[kind]).format(service=rng.choice(services)),
            "type": kind,
            "priority": f"P{min(number + 1, 3)}",
            "owner": rng.choice(TEAMS),
            "due": due.isoformat(),
            "status": status,
        }
        if status == "done":
            item["completed"] = (due - dt.timedelta(days=rng.randrange(0, 6))).isoformat()
        if rng.random() < 0.4:
            item["link"] = f"https://tracker.example.com/OPS-{1000 + index * 7 + number}"
        items.append(item)
    return items


def _front_matter(story: _Story, rng: random.Random) -> str:
    """The YAML front matter, written the way people write it (flow lists, folded text)."""
    started, detected, mitigated, resolved = story.times
    lines = [
        "---",
        f"id: {story.id}",
        f"title: {_quote(story.title)}",
        f"date: {story.date.isoformat()}",
        f"severity: {story.severity}",
        f"status: {story.status}",
        f"summary: {_folded(story.summary)}",
        f"services: {_flow(story.services)}",
    ]
    if story.tags:
        lines.append(f"tags: {_flow(story.tags)}")
    lines.append(f"authors: {_flow([story.oncall])}")
    if story.status != "draft":
        lines.append(f"reviewers: {_flow(rng.sample(REVIEWERS, rng.choice((1, 2))))}")
    if rng.random() < 0.8:
        lines.append(f"incident: INC-{2000 + story.index}")
    if story.with_timeline:
        lines += [
            "timeline:",
            f"  started: {_ts(started)}",
            f"  detected: {_ts(detected)}",
            f"  mitigated: {_ts(mitigated)}",
            f"  resolved: {_ts(resolved)}",
        ]
    description = f"{story.service} {story.symptom_verb} for part of its traffic."
    lines += [
        "impact:",
        f"  users_affected: {story.users}",
        f"  requests_failed: {story.requests}",
        f"  revenue_usd: {rng.choice((0, 350, 1200, 8400, 84000))}",
        f"  data_loss: {'true' if rng.random() < 0.03 else 'false'}",
        f"  sla_breach: {'true' if story.severity in ('SEV1', 'SEV2') else 'false'}",
        f"  description: {_quote(description)}",
        "root_causes:",
    ]
    for category, text in story.root_causes:
        lines += [f"  - category: {category}", f"    description: {_folded(text, '      ')}"]
    lines.append("contributing_factors:")
    for category, text in story.factors:
        lines += [f"  - category: {category}", f"    description: {_quote(text)}"]
    lines.append("action_items:")
    for item in story.items:
        lines.append(f"  - action: {item['action']}")
        for key in ("type", "priority", "owner", "due", "status", "completed", "link"):
            if key in item:
                value = item[key]
                lines.append(f"    {key}: {_quote(value) if key == 'owner' else value}")
    if story.related:
        lines.append(f"related: {_flow(story.related)}")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _action_table(story: _Story) -> list[str]:
    return [
        "| Action | Type | Priority | Owner | Due | Status |",
        "|---|---|---|---|---|---|",
        *(
            f"| {i['action']} | {i['type']} | {i['priority']} | {i['owner']} | {i['due']} "
            f"| {i['status']} |"
            for i in story.items
        ),
    ]


def _full_body(story: _Story, rng: random.Random) -> list[str]:
    """The full form (SEV1, SEV2): every section the writing guide asks for."""
    utc = [moment.astimezone(dt.timezone.utc).strftime("%H:%M") for moment in story.times]
    service, oncall, trigger = story.service, story.oncall, story.trigger
    return [
        "## Summary",
        "",
        story.summary + " " + story.filler(rng, 3),
        "",
        "## Impact",
        "",
        f"- {story.impact_minutes} minutes of degraded service on {service}.",
        f"- About {story.users:,} customers affected; {story.requests:,} requests failed.",
        f"- {story.filler(rng, 1)}",
        "- No data was lost.",
        "",
        "## Timeline",
        "",
        "| Time (UTC) | Event |",
        "|---|---|",
        f"| {utc[0]} | {trigger.capitalize()} reaches {service}; first errors |",
        f"| {utc[1]} | Alert fires; {oncall} paged |",
        f"| {utc[1]} | {oncall} acknowledges and opens the incident channel |",
        f"| {utc[2]} | Mitigation applied; error rate back to normal |",
        f"| {utc[3]} | Permanent fix deployed; incident closed |",
        "",
        "## Root Cause",
        "",
        story.filler(rng, 3),
        "",
        f"1. Why did {service} fail? It {story.symptom_verb} once {trigger} reached it.",
        f"2. Why did {trigger} affect customers? {story.filler(rng, 1)}",
        f"3. Why was the problem not caught earlier? {story.filler(rng, 1)}",
        f"4. Why did the safeguards not stop it? {story.root_causes[0][1]}",
        f"5. Why is there no such safeguard? {story.filler(rng, 1)}",
        "",
        "## Contributing Factors",
        "",
        "| Factor | Description | Type |",
        "|---|---|---|",
        *(f"| {text.split(',')[0][:40]} | {text} | {kind} |" for kind, text in story.factors),
        "",
        "## What Went Well",
        "",
        *(
            "- " + line.format(n=rng.randrange(2, 15), service=service)
            for line in rng.sample(WENT_WELL, 3)
        ),
        "",
        "## What Went Poorly",
        "",
        *("- " + line.format(n=rng.randrange(10, 60)) for line in rng.sample(WENT_POORLY, 2)),
        "",
        "## Where We Got Lucky",
        "",
        "- " + rng.choice(LUCKY),
        "",
        "## Action Items",
        "",
        *_action_table(story),
        "",
        "## Lessons Learned",
        "",
        *("- " + line for line in rng.sample(LESSONS, 2)),
        "",
    ]


def _quick_body(story: _Story, rng: random.Random) -> list[str]:
    """The quick form (SEV3, SEV4): what happened, why, action items."""
    return [
        "## What Happened",
        "",
        story.summary + " " + story.filler(rng, 8),
        "",
        "## Why",
        "",
        *(f"- {text}" for _, text in story.factors),
        f"- {story.root_causes[0][1]}",
        "",
        "## Action Items",
        "",
        *_action_table(story),
        "",
        story.filler(rng, 5),
        "",
    ]


def _file_name(story: _Story, used: set[str]) -> str:
    base = f"{story.date.isoformat()}-{_slug(story.title)}"
    name = f"{base}.md"
    suffix = 2
    while name in used:
        name = f"{base}-{suffix}.md"
        suffix += 1
    used.add(name)
    return name


def draw_postmortems(count: int, seed: int = 1) -> list[tuple[str, str]]:
    """The file names and texts of ``count`` postmortems, oldest first."""
    drawn: list[_Story] = []
    used: set[str] = set()
    per_year: dict[int, int] = {}
    for index in range(count):
        story = _draw(index, seed, drawn, count, per_year)
        story.file_name = _file_name(story, used)
        drawn.append(story)
    return [(story.file_name, story.text) for story in drawn]


def build_date(count: int) -> dt.date:
    """The build date that goes with a knowledge base of ``count`` postmortems."""
    return FIRST_DAY + dt.timedelta(days=int((max(count, 1) - 1) * DAYS_PER_POSTMORTEM) + 3)


def generate_knowledge_base(root: Path, count: int, seed: int = 1) -> GeneratedKnowledgeBase:
    """Write a knowledge base of ``count`` postmortems with the plugin enabled into ``root``.

    ``root`` is emptied first.
    """
    if root.exists():
        shutil.rmtree(root)
    (root / "docs").mkdir(parents=True)
    (root / "postmortems").mkdir()
    (root / "mkdocs.yml").write_text(
        MKDOCS_YML.format(count=count, plugin=PLUGIN_ENTRY, extra=""), encoding="utf-8"
    )
    (root / "docs/index.md").write_text(
        "# Benchmark knowledge base\n\nGenerated postmortems for the benchmark.\n",
        encoding="utf-8",
    )
    files = []
    total = 0
    for name, text in draw_postmortems(count, seed):
        path = root / "postmortems" / name
        data = text.encode("utf-8")
        path.write_bytes(data)
        total += len(data)
        files.append(path)
    return GeneratedKnowledgeBase(root, tuple(files), build_date(count), total)


def plain_markdown(text: str) -> str:
    """A postmortem as plain Markdown: the front matter replaced by the title as a heading.

    MkDocs would take the title from the front matter or the first heading; the heading keeps
    the page's title and outline the same as the plugin's page, minus the header card.
    """
    _, front, body = text.split("---\n", 2)
    title = next(line for line in front.splitlines() if line.startswith("title: "))
    heading = title[len("title: ") :].strip().strip('"').replace('\\"', '"')
    return f"# {heading}\n{body}"


def generate_plain_site(
    source: GeneratedKnowledgeBase, root: Path, *, strip_front_matter: bool
) -> Path:
    """A plain mkdocs-material project with the same postmortems as Markdown pages in docs/.

    Without ``strip_front_matter`` the files are copied as they are: MkDocs reads their
    front matter itself, as page metadata (the page title comes from ``title:``), which is
    the issue's "same Markdown files without the plugin". With it, each file's front matter
    is replaced by its title as a heading (``plain_markdown``), so the build parses no YAML.
    The pages are kept out of the navigation with ``not_in_nav``, as the plugin keeps its
    postmortem pages out, so every build renders the same navigation.
    """
    if root.exists():
        shutil.rmtree(root)
    docs = root / "docs"
    (docs / "postmortems").mkdir(parents=True)
    (root / "mkdocs.yml").write_text(
        MKDOCS_YML.format(count=len(source.files), plugin="", extra=NOT_IN_NAV), encoding="utf-8"
    )
    shutil.copy(source.root / "docs/index.md", docs / "index.md")
    for path in source.files:
        page = docs / "postmortems" / path.name
        if strip_front_matter:
            page.write_text(plain_markdown(path.read_text(encoding="utf-8")), encoding="utf-8")
        else:
            shutil.copyfile(path, page)
    return root
