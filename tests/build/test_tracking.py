"""The action items and metrics pages, the charts and the feed, read from a real build."""

from __future__ import annotations

import html as html_module
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from kbtools import build, front_matter, postmortem_text, write_kb
from trackerkb import EPOCH, write_tracker_kb

ATOM = "{http://www.w3.org/2005/Atom}"


class Tables(HTMLParser):
    """The text of every cell of every table, with the classes of the div that wraps it."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[tuple[str, list[list[str]]]] = []
        self.wrapper = ""
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "div" and "pmkb-table" in classes.split():
            self.wrapper = classes
        elif tag == "table":
            self.tables.append((self.wrapper, []))
            self.wrapper = ""
        elif tag == "tr" and self.tables:
            self.tables[-1][1].append([])
        elif tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self.cell is not None and self.tables:
            self.tables[-1][1][-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def tables(html: str, css_class: str) -> list[list[list[str]]]:
    """The rows (header first) of each table whose wrapper has ``css_class``."""
    parser = Tables()
    parser.feed(html)
    return [rows for classes, rows in parser.tables if css_class in classes.split()]


def table(html: str, css_class: str) -> list[list[str]]:
    found = tables(html, css_class)
    assert len(found) == 1, f"{len(found)} tables with class {css_class}"
    return found[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", EPOCH)
        root = write_tracker_kb(tmp_path_factory.mktemp("tracker"))
        return build(root, strict=True)


def read(site: Path, path: str) -> str:
    return (site / path).read_text(encoding="utf-8")


def test_the_action_items_page_groups_open_items_by_urgency(site: Path) -> None:
    html = read(site, "action-items/index.html")
    assert "<strong>17</strong> action items from 6 postmortems" in html
    assert "<strong>10</strong> open (5 overdue, 2 without a due date)" in html
    assert '<strong class="pmkb-rate">29%</strong>' in html
    overdue = table(html, "pmkb-tracker--overdue")
    assert overdue[0] == [
        "Postmortem", "Action", "Overdue", "Escalation", "Owner", "Priority · type", "Due",
        "Status",
    ]  # fmt: skip
    assert overdue[1:] == [
        ["PM-A", "a3 alert on canary errors", "overdue 30 days", "leadership review (30+ days)",
         "@team-b", "P2 · prevent", "2024-06-01", "todo"],
        ["PM-F", "f3 add a deploy freeze calendar", "overdue 29 days",
         "escalate to the manager (14+ days)", "@team-a", "P2 · prevent", "2024-06-02", "todo"],
        ["PM-B", "b1 add a load test", "overdue 14 days", "escalate to the manager (14+ days)",
         "@team-b", "P2 · prevent", "2024-06-17", "todo"],
        ["PM-B", "b2 raise the connection limit", "overdue 7 days", "remind the owner (7+ days)",
         "@team-a", "P2 · prevent", "2024-06-24", "in-progress"],
        ["PM-B", "b3 document the failover", "overdue 6 days", "under 7 days",
         "@team-c", "P2 · prevent", "2024-06-25", "todo"],
    ]  # fmt: skip
    due_soon = table(html, "pmkb-tracker--due-soon")
    assert [(row[1][:2], row[2]) for row in due_soon[1:]] == [("c1", "today"), ("c2", "7 days")]
    later = table(html, "pmkb-tracker--later")
    assert [(row[1][:2], row[2]) for row in later[1:]] == [("c3", "8 days")]
    no_due = table(html, "pmkb-tracker--no-due-date")
    assert [row[:3] for row in no_due[1:]] == [
        ["PM-D", "d1 find an owner for the cart cache", "no owner"],
        ["PM-D", "d2 measure the cart cache hit rate", "@team-c"],
    ]
    assert "These items have no due date" in html


def test_every_action_item_is_listed_once_by_status(site: Path) -> None:
    html = read(site, "action-items/index.html")
    listed = []
    for group in ("overdue", "due-soon", "later", "no-due-date", "done", "wont-do"):
        listed += [row[1][:2] for row in table(html, f"pmkb-tracker--{group}")[1:]]
    assert sorted(listed) == sorted(
        [
            "a1",
            "a2",
            "a3",
            "b1",
            "b2",
            "b3",
            "b4",
            "c1",
            "c2",
            "c3",
            "c4",
            "d1",
            "d2",
            "f1",
            "f2",
            "f3",
            "f4",
        ]
    )
    done = table(html, "pmkb-tracker--done")
    assert [row[1][:2] for row in done[1:]] == ["f2", "c4", "b4", "a1"]  # newest postmortem first
    assert done[0][-2:] == ["Completed", "Status"]
    assert done[1][-2:] == ["2024-06-30", "done"]


def test_completion_rates_per_quarter_service_and_owner(site: Path) -> None:
    html = read(site, "action-items/index.html")
    header = ["Items", "Done", "Won't do", "Open", "Overdue", "No due date", "Completion rate"]
    overall = table(html, "pmkb-completion--overall")
    assert overall[0] == ["Scope", *header]
    assert overall[1] == ["All action items", "17", "4", "3", "10", "5", "2", "29%"]
    assert table(html, "pmkb-completion--quarter")[1:] == [
        ["2024-Q1", "7", "2", "1", "4", "4", "0", "33%"],
        ["2024-Q2", "10", "2", "2", "6", "1", "2", "25%"],
    ]
    assert table(html, "pmkb-completion--service")[1:] == [
        ["checkout", "13", "3", "3", "7", "5", "2", "30%"],
        ["payments", "8", "2", "0", "6", "3", "0", "25%"],
    ]
    assert table(html, "pmkb-completion--owner")[1:] == [
        ["@team-a", "6", "2", "1", "3", "2", "0", "40%"],
        ["@team-b", "5", "1", "0", "4", "2", "0", "20%"],
        ["@team-c", "4", "1", "1", "2", "1", "1", "33%"],
        ["@team-d", "1", "0", "1", "0", "0", "0", "—"],  # nothing left to count: no rate
        ["no owner", "1", "0", "0", "1", "0", "1", "0%"],
    ]


def test_each_owner_sees_what_is_open(site: Path) -> None:
    html = read(site, "action-items/index.html")
    section = html.split('id="open-items-by-owner"', 1)[1].split('id="closed-items"', 1)[0]
    headings = [html_module.unescape(h) for h in re.findall(r'<h3 id="[^"]+">([^<]*)', section)]
    assert headings == ["@team-a", "@team-b", "@team-c", "No owner"]
    owner_tables = tables(section, "pmkb-tracker--owner")
    assert [[(row[1][:2], row[2]) for row in rows[1:]] for rows in owner_tables] == [
        [("f3", "overdue 29 days"), ("b2", "overdue 7 days"), ("c1", "due today")],
        [("a3", "overdue 30 days"), ("b1", "overdue 14 days"), ("c2", "due in 7 days"),
         ("c3", "due in 8 days")],
        [("b3", "overdue 6 days"), ("d2", "no due date")],
        [("d1", "no due date")],
    ]  # fmt: skip
    assert 'href="../postmortems/2024-06-20-f/" title="Incident PM-F">PM-F</a>' in html


def test_the_metrics_page_has_charts_and_their_numbers(site: Path) -> None:
    html = read(site, "metrics/index.html")
    charts = re.findall(r'<svg [^>]*class="pmkb-chart__svg".*?</svg>', html, flags=re.DOTALL)
    assert len(charts) == 5
    for chart in charts:
        assert chart.count("<text") > 5 and chart.count("<line") > 5
        assert "<rect" in chart or "<polyline" in chart  # the data, not only axes
    assert ">2024-06</text>" in charts[0] and ">SEV1</text>" in charts[0]
    assert html.count("data-search-exclude") == 5
    assert table(html, "pmkb-months")[1:] == [
        ["2024-01", "1", "0", "0", "0", "1"],
        ["2024-02", "1", "0", "0", "0", "1"],
        ["2024-03", "0", "0", "0", "0", "0"],
        ["2024-04", "1", "0", "0", "0", "1"],
        ["2024-05", "1", "0", "0", "0", "1"],
        ["2024-06", "1", "1", "0", "0", "2"],
    ]
    by_severity = table(html, "pmkb-times-table--severity")
    assert by_severity[0] == ["Severity", "Duration", "n", "Excluded", "Median", "90th percentile"]
    assert by_severity[1:5] == [
        ["SEV1", "Time to detect", "4", "1", "31 min", "1 h 22 min"],  # 30.5 and 82
        ["SEV1", "Time to mitigate", "4", "1", "25 min", "51 min"],
        ["SEV1", "Time to resolve", "4", "1", "1 h 25 min", "2 h 56 min"],  # 85 and 176
        ["SEV1", "Impact duration", "4", "1", "1 h 6 min", "1 h 48 min"],  # 65.5 and 108.3
    ]
    assert by_severity[5:7] == [
        ["SEV2", "Time to detect", "1", "0", "5 min", "5 min"],
        ["SEV2", "Time to mitigate", "0", "1", "—", "—"],  # excluded, never zero
    ]
    by_quarter = table(html, "pmkb-times-table--quarter")
    assert by_quarter[1] == ["2024-Q1", "Time to detect", "2", "0", "16 min", "20 min"]
    assert by_quarter[5] == ["2024-Q2", "Time to detect", "3", "1", "40 min", "1 h 28 min"]
    assert table(html, "pmkb-completion--trend")[1:] == [
        ["2024-Q1", "7", "2", "1", "4", "4", "33%"],
        ["2024-Q2", "10", "2", "2", "6", "1", "25%"],
    ]
    assert table(html, "pmkb-causes")[1:] == [
        ["deploy-process", "3", "2024-06-20", "checkout, payments", "PM-F, PM-B, PM-A"],
        ["capacity", "2", "2024-04-05", "checkout, payments", "PM-C, PM-B"],
    ]
    assert '<a href="../postmortems/2024-06-20-f/" title="Incident PM-F">PM-F</a>, ' in html


def test_the_metrics_page_keeps_charts_and_incident_lists_out_of_search(site: Path) -> None:
    index = json.loads(read(site, "search/search_index.json"))
    text = " ".join(doc["text"] for doc in index["docs"] if doc["location"].startswith("metrics/"))
    assert "deploy-process" in text and "2024-06-20" in text  # the tables' figures
    assert "Time to detect" in text and "33%" in text
    assert "PM-F" not in text  # each postmortem is found on its own page
    assert "<svg" not in text and "pmkb-island" not in text


def test_the_export_has_the_figures_the_pages_show(site: Path) -> None:
    data = json.loads(read(site, "postmortems.json"))
    sev1 = data["metrics"]["times_by_severity"][0]
    assert sev1["time_to_detect_minutes"] == {"n": 4, "excluded": 1, "median": 30.5, "p90": 82}
    assert data["action_items_summary"]["overall"]["completion_rate"] == 4 / 14
    f = next(pm for pm in data["postmortems"] if pm["id"] == "PM-F")
    assert f["severity_median"]["impact_duration_minutes"] == 65.5


def test_a_postmortem_shows_its_times_beside_its_severity_median(site: Path) -> None:
    html = read(site, "postmortems/2024-06-20-f/index.html")
    rows = table_rows(html, "pmkb-times")
    assert rows == [
        ["", "Time to detect", "Time to mitigate", "Time to resolve", "Impact duration"],
        ["This incident", "1 h 40 min", "20 min", "50 min", "2 h"],
        ["SEV1 median", "31 min", "25 min", "1 h 25 min", "1 h 6 min"],
    ]
    assert '<a href="../../metrics/" title="Median of every SEV1 postmortem' in html


def table_rows(html: str, table_class: str) -> list[list[str]]:
    parser = Tables()
    parser.feed(
        html.replace(
            f'<table class="{table_class}">', f'<div class="pmkb-table {table_class}"><table>'
        )
    )
    return next(rows for classes, rows in parser.tables if table_class in classes.split())


def test_the_feed_is_valid_atom_and_every_page_announces_it(site: Path) -> None:
    root = ET.fromstring((site / "feed.xml").read_bytes())
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}updated") == "2024-07-01T00:00:00+00:00"
    titles = [entry.findtext(f"{ATOM}title") for entry in root.findall(f"{ATOM}entry")]
    assert titles == [
        "SEV1: Incident PM-F",
        "SEV2: Incident PM-E",
        "SEV1: Incident PM-D",
        "SEV1: Incident PM-C",
        "SEV1: Incident PM-B",
        "SEV1: Incident PM-A",
    ]
    link = (
        '<link rel="alternate" type="application/atom+xml" title="Test knowledge base: postmortems"'
    )
    assert f'{link} href="feed.xml">' in read(site, "index.html")
    assert f'{link} href="../feed.xml">' in read(site, "metrics/index.html")
    assert f'{link} href="../../feed.xml">' in read(site, "postmortems/2024-01-10-a/index.html")


def test_two_builds_give_the_same_pages_charts_and_feed(
    tmp_path: Path, site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    again = build(write_tracker_kb(tmp_path))
    for path in ("feed.xml", "metrics/index.html", "action-items/index.html", "postmortems.json"):
        assert (again / path).read_bytes() == (site / path).read_bytes(), path


def test_feed_links_are_absolute_with_a_site_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    root = write_kb(
        tmp_path,
        {"a.md": postmortem_text()},
        options={"feed_entries": 1},
        extra_config="site_url: https://kb.example.com/\n",
    )
    feed = ET.fromstring((build(root) / "feed.xml").read_bytes())
    entry_link = feed.find(f"{ATOM}entry/{ATOM}link")
    assert (
        entry_link is not None and entry_link.get("href") == "https://kb.example.com/postmortems/a/"
    )


def test_front_matter_is_text_on_the_tracking_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    items = front_matter()["action_items"]
    items[1].update(
        owner="<img src=x onerror=alert(1)>",
        action="<script>alert(1)</script> **bold**",
    )
    root = write_kb(tmp_path, {"a.md": postmortem_text(title="<b>t</b>", action_items=items)})
    site = build(root, strict=True)
    html = read(site, "action-items/index.html")
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold**" in html
    assert "&#60;img src&#61;x onerror&#61;alert&#40;1&#41;&#62;</h3>" in html  # owner heading
    assert 'title="&lt;b&gt;t&lt;/b&gt;"' in html


def test_an_empty_knowledge_base_builds_its_tracking_pages(tmp_path: Path) -> None:
    site = build(write_kb(tmp_path, {}), strict=True)
    assert "No postmortems yet" in read(site, "metrics/index.html")
    assert "<strong>0</strong> action items from 0 postmortems" in read(
        site, "action-items/index.html"
    )
    assert ET.fromstring((site / "feed.xml").read_bytes()).find(f"{ATOM}entry") is None
