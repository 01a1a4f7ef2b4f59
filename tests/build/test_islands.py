"""The header card skips Markdown and search, and still ends up in the page, once, intact."""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path

import pytest

from kbtools import build, postmortem_text, use_custom_dir, write_kb
from postmortem_kb.export import export_data, export_json, to_json
from postmortem_kb.knowledge_base import load_knowledge_base
from postmortem_kb.rendering import Renderer, restore_islands
from postmortem_kb.settings import Settings
from postmortem_kb.site import postmortem_page

TODAY = dt.date(2024, 4, 7)


def test_the_card_is_in_the_page_and_its_terms_in_the_search_index(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text(incident="INC-77", tags=["database"])})
    site = build(root, strict=True)
    html = (site / "postmortems/a/index.html").read_text()
    assert html.count('<div class="pmkb-card pmkb-sev-1">') == 1
    assert "pmkb-island" not in html
    card = html.index('<div class="pmkb-card')
    assert html.index("<h1") < card < html.index('id="summary"')
    assert "<td>12 min</td>" in html  # time to detect, from the card
    index = json.loads((site / "search/search_index.json").read_text())
    page = next(doc for doc in index["docs"] if doc["location"] == "postmortems/a/")
    assert "PM-2024-017 INC-77 SEV1 final checkout orders-db database" in page["text"]
    assert "12 min" not in page["text"]  # the card itself is not indexed


def test_the_head_skips_markdown_and_still_heads_the_page_and_its_contents(
    tmp_path: Path,
) -> None:
    title = "Checkout <b> & `down` *again*"
    root = write_kb(tmp_path, {"a.md": postmortem_text(title=title)})
    settings = Settings(root=root, postmortems_dir=root / "postmortems")
    (postmortem,) = load_knowledge_base(settings).postmortems
    renderer = Renderer(root / "none")
    page = postmortem_page(postmortem, {postmortem.id: postmortem}, settings, renderer, TODAY)
    # Markdown gets the author's body and nothing else: title, card and terms are HTML.
    assert page.content.strip() == postmortem.source.body.strip()
    assert page.html_head.startswith(
        '<h1 id="pmkb:title">Checkout &lt;b&gt; &amp; `down` *again*</h1>\n<!-- pmkb-island 0 '
    )
    assert page.head_title == "Checkout &lt;b&gt; &amp; `down` *again*"

    html = (build(root, strict=True) / "postmortems/a/index.html").read_text()
    assert html.count("<h1") == 1 and '<a href="#pmkb:title" class="md-skip">' in html
    heading = html.index('<h1 id="pmkb:title">Checkout &lt;b&gt; &amp; `down` *again*</h1>')
    terms = html.index('<p class="pmkb-search-terms" hidden>PM-2024-017 SEV1 final checkout')
    assert heading < html.index('<div class="pmkb-card') < terms < html.index('id="summary"')
    # The table of contents lists the body's sections, as with a title written in Markdown.
    sidebar = html[html.index('<nav class="md-nav md-nav--secondary"') :]
    assert 'href="#summary"' in sidebar and "pmkb:title" not in sidebar[: sidebar.index("</nav>")]


def test_a_removed_placeholder_is_reported(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    use_custom_dir(
        root,
        {
            "main.html": '{% extends "base.html" %}{% block content %}<p>no content here</p>'
            "{% endblock %}"
        },
    )
    with caplog.at_level(logging.WARNING):
        build(root)
    assert "the header card or a table of postmortems/a.md has no place in the page" in caplog.text


def test_render_inlines_islands_and_render_page_sets_them_apart(tmp_path: Path) -> None:
    (tmp_path / "t.md.j2").write_text(
        "{% filter page_head %}<h1>{{ value }}</h1>\n{% endfilter %}"
        "# T\n\n{% filter html_island %}<div>{{ value }}</div>{% endfilter %}\n\nbody\n"
    )
    renderer = Renderer(tmp_path)
    inline = renderer.render("t.md.j2", "x.md", value="<b>")
    assert inline == "<h1>&lt;b&gt;</h1>\n# T\n\n<div>&lt;b&gt;</div>\nbody\n"  # trim_blocks
    page = renderer.render_page("t.md.j2", "x.md", value="<b>")
    assert page.head == "<h1>&lt;b&gt;</h1>\n"
    ((placeholder, island),) = page.islands.items()
    assert placeholder.startswith("<!-- pmkb-island 0 ") and placeholder in page.content
    assert island == "<div>&lt;b&gt;</div>"
    assert page.head + restore_islands(page.content, page.islands) == inline


def test_the_streamed_export_is_the_export(tmp_path: Path) -> None:
    files = {
        "a.md": postmortem_text(id="PM-1", title="A <b> & c"),
        "b.md": postmortem_text(id="PM-2", related=["PM-1"]),
    }
    root = write_kb(tmp_path, files)
    settings = Settings(root=root, postmortems_dir=root / "postmortems")
    postmortems = load_knowledge_base(settings).postmortems
    today = TODAY
    text = export_json(postmortems, today, {}, 2)
    assert text == to_json(export_data(postmortems, today, {}, 2))
    assert json.loads(text) == export_data(postmortems, today, {}, 2)
    assert "<" not in text and "\\u003cb\\u003e \\u0026 c" in text
    assert text.count("\n") == 12  # one member a line, one record a line


def test_the_export_leaves_the_front_matter_as_it_was(tmp_path: Path) -> None:
    files = {"a.md": postmortem_text(id="PM-1")}
    root = write_kb(tmp_path, files)
    settings = Settings(root=root, postmortems_dir=root / "postmortems")
    (postmortem,) = load_knowledge_base(settings).postmortems
    before = json.dumps(postmortem.source.front_matter, sort_keys=True)
    data = export_data([postmortem], dt.date(2030, 1, 1), {}, 2)
    (record,) = data["postmortems"]
    assert record["action_items"] and "overdue_days" in record["action_items"][0]
    assert json.dumps(postmortem.source.front_matter, sort_keys=True) == before
