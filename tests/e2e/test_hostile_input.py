"""A postmortem whose text carries script payloads shows them as text and runs nothing."""

from __future__ import annotations

import pytest

from browsertools import Reader, Site, heading, search

# Payloads that ran call window.__pmkbPwned (installed before any page script), which records
# where they came from; markup that was injected shows up as event-handler attributes.
INJECTED_JS = """
() => ({
  ran: window.__pwned ?? [],
  handlers: [...document.querySelectorAll("*")].flatMap((el) =>
    [...el.attributes].filter((a) => a.name.startsWith("on")).map((a) => `${el.tagName} ${a.name}`)),
  scriptLinks: [...document.querySelectorAll("a[href^='javascript:' i]")].map((a) => a.href),
})
"""


def assert_nothing_injected(reader: Reader) -> None:
    found = reader.page.evaluate(INJECTED_JS)
    assert found == {"ran": [], "handlers": [], "scriptLinks": []}


def test_the_postmortem_page_shows_the_payloads_as_text(reader: Reader, site: Site) -> None:
    hostile = site.hostile
    page = reader.goto(hostile.url)
    assert heading(page) == hostile.title
    assert page.title().startswith(hostile.title)
    assert page.locator(".pmkb-summary").inner_text().strip() == hostile.summary
    assert hostile.action in page.locator(".pmkb-card").inner_text()
    assert_nothing_injected(reader)
    reader.screenshot("hostile-postmortem-light")
    reader.assert_clean()


@pytest.mark.parametrize(
    "path",
    [
        "",
        "postmortems/",
        "tags/",
        "severity/",
        "services/",
        "services/search/",
        "root-causes/",
        "action-items/",
        "metrics/",
    ],
)
def test_an_index_lists_the_hostile_postmortem_as_text(
    reader: Reader, site: Site, path: str
) -> None:
    page = reader.goto(path)
    assert_nothing_injected(reader)
    text = page.locator(".md-content").inner_text()
    if path != "metrics/":
        assert site.hostile.id in text or "Hostile" in text, "the index lists it"
    if "Hostile" in text:
        assert site.hostile.title in text, "its title, whole and literal"
    reader.assert_clean()


def test_search_shows_the_hostile_title_as_text(reader: Reader, site: Site) -> None:
    reader.goto("")
    results = search(reader, "hostile")
    assert site.hostile.url in results
    titles = reader.page.locator(".md-search-result__item h1").all_inner_texts()
    assert site.hostile.title in titles
    assert_nothing_injected(reader)
    reader.assert_clean()
