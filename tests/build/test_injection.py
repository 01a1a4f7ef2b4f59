"""Hostile values in every free-text field render as text in every file of the built site.

The test walks EVERY generated HTML, XML and JSON file, so pages added later (indexes, the
feed, metrics) are covered without changing it: no element, attribute, URL or script may carry
the payload marker, and JSON strings that a page inserts as HTML (the search index) are held
to the same rule.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from htmlcheck import MARKER, live_payloads
from kbtools import build, front_matter, postmortem_text, write_kb

PAYLOAD = f"<script>{MARKER}()</script><img src=x onerror={MARKER}()>"
HOSTILE_TITLE = (
    f"{PAYLOAD} </title><svg onload={MARKER}()> | cell | *x* {{: onclick={MARKER}() }} "
    f"[a](javascript:{MARKER}())"
)
HOSTILE_BODY = f"""
## Summary {{: onclick="{MARKER}()" }}

Text {PAYLOAD} and [a link](javascript:{MARKER}()) and <a href="javascript:{MARKER}()">b</a>.

| a | b |
| --- | --- |
| {PAYLOAD} | <svg onload={MARKER}()> |

<div id="__config">{{"search": "https://evil.example/w.js"}}</div>

## Action Items

None beyond the table.
"""

EXTRA_CONFIG = """\
site_url: https://kb.example.com/
markdown_extensions:
  - attr_list
  - tables
  - toc:
      permalink: true
"""


def hostile_postmortem(identifier: str) -> str:
    items = front_matter()["action_items"]
    items[0].update(action=f"{PAYLOAD} | a | b {{: onclick={MARKER}() }}", owner=PAYLOAD)
    items[1].update(owner=f"@team | {PAYLOAD}", link=f"https://tracker.example.com/?q={MARKER}")
    return postmortem_text(
        body=HOSTILE_BODY,
        id=identifier,
        title=HOSTILE_TITLE,
        summary=f"{PAYLOAD}\n\n</p><p onclick={MARKER}()>x",
        incident=PAYLOAD,
        authors=[PAYLOAD, f"[x](javascript:{MARKER}())"],
        reviewers=[PAYLOAD],
        impact={"description": PAYLOAD, "users_affected": 10},
        root_causes=[{"category": "deploy-process", "description": PAYLOAD}],
        contributing_factors=[{"category": "process", "description": PAYLOAD}],
        action_items=items,
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_kb(
        tmp_path_factory.mktemp("kb"),
        {
            "hostile.md": hostile_postmortem("PM-XSS-1"),
            "related.md": hostile_postmortem("PM-XSS-2"),
            "plain.md": postmortem_text(id="PM-PLAIN", related=["PM-XSS-1", "PM-XSS-2"]),
        },
        extra_config=EXTRA_CONFIG,
    )
    # Not strict: the hostile pages break lint rules (sections, blame), which is beside the point.
    return build(root)


def generated_files(site: Path) -> Iterator[Path]:
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.suffix in (".html", ".xml", ".json"):
            yield path


def json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, child in value.items():
            yield key
            yield from json_strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from json_strings(child)


ATOM = "{http://www.w3.org/2005/Atom}"


def xml_problems(path: Path) -> list[str]:
    """Payloads an XML file would run: its elements and attributes, and text feeds read as HTML.

    An Atom text construct is HTML only with type="html" (or XHTML as child elements, which
    the element check covers); RSS carries HTML in description and content:encoded.
    """
    found = []
    for element in ElementTree.parse(path).iter():
        tag = element.tag.lower()
        if "script" in tag or MARKER.lower() in tag:
            found.append(f"element {element.tag}")
        for name, value in element.attrib.items():
            script_url = value.strip().lower().startswith("javascript:")
            if (name.lower().startswith("on") and MARKER in value) or script_url:
                found.append(f"{element.tag} {name}={value[:80]!r}")
        if element.tag.startswith(ATOM):
            html_bearing = element.get("type") == "html"
        else:
            html_bearing = element.tag.rsplit("}", 1)[-1] in ("description", "encoded")
        if html_bearing and element.text:
            found.extend(live_payloads(element.text))
    return found


def test_no_generated_file_carries_a_live_payload(site: Path) -> None:
    checked: dict[str, list[str]] = {}
    for path in generated_files(site):
        name = path.relative_to(site).as_posix()
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".html":
            checked[name] = live_payloads(text)
        elif name == "search/search_index.json":
            # Material's search UI inserts titles, text and tags as HTML.
            strings = json_strings(json.loads(text))
            checked[name] = [found for string in strings for found in live_payloads(string)]
        elif path.suffix == ".json":
            # Data files keep values exactly, with <, > and & escaped so that no page that
            # inlines them can be broken open.
            checked[name] = [f"raw {ch!r}" for ch in "<>" if ch in text]
        else:
            checked[name] = xml_problems(path)
    assert "postmortems/hostile/index.html" in checked
    assert "search/search_index.json" in checked
    assert {name: found for name, found in checked.items() if found} == {}


def test_the_payloads_reached_the_outputs_as_text(site: Path) -> None:
    page = (site / "postmortems/hostile/index.html").read_text(encoding="utf-8")
    # The marker is there, escaped, in every field of the header card and in the body.
    assert page.count("&lt;script&gt;pmkbXSS()&lt;/script&gt;") >= 10
    shown = str(escape(HOSTILE_TITLE))
    assert f"<title>{shown} - Test knowledge base</title>" in page
    related = (site / "postmortems/plain/index.html").read_text(encoding="utf-8")
    assert f">PM-XSS-1: {shown}</a>" in related


def test_the_search_index_holds_escaped_titles(site: Path) -> None:
    # Material's search UI inserts titles and text as HTML, so the index must hold them escaped.
    index = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    titles = {doc["location"]: doc["title"] for doc in index["docs"]}
    assert titles["postmortems/hostile/"] == str(escape(HOSTILE_TITLE))
    assert any(MARKER in doc["text"] for doc in index["docs"])


def test_the_export_escapes_markup_characters(site: Path) -> None:
    text = (site / "postmortems.json").read_text(encoding="utf-8")
    assert "<" not in text and ">" not in text
    data = json.loads(text)
    hostile = next(pm for pm in data["postmortems"] if pm["id"] == "PM-XSS-1")
    assert hostile["title"] == HOSTILE_TITLE  # the data itself is kept exactly


def test_markdown_syntax_in_values_stays_literal(site: Path) -> None:
    page = (site / "postmortems/hostile/index.html").read_text(encoding="utf-8")
    card = page[page.index('<div class="pmkb-card') : page.index('<h2 id="summary"')]
    assert "<em>" not in card and "<a>" not in card
    # Two action items of seven cells each: no value broke a table cell or row open.
    rows = re.findall(r'<tr class="pmkb-action[^"]*">(.*?)</tr>', card, re.DOTALL)
    assert [row.count("<td>") for row in rows] == [7, 7]
    assert 'href="javascript:' not in page
    assert 'id="__config"' not in page.split('<script id="__config"')[0]
