"""A reader's paths through the published example: home, search, postmortems and the indexes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from browsertools import (
    SECTION_LINKS_JS,
    Reader,
    Site,
    broken_links,
    click_link,
    heading,
    links,
    postmortem_paths,
    search,
    site_path,
)

# An example postmortem with tags, several services, overdue items and related postmortems.
DNS = "postmortems/2026-06-18-site-unreachable-after-dns-records-recreated/"


def assert_links_resolve(reader: Reader, site: Site) -> None:
    """Every link of the page's content to the site reaches a built page (and its anchor)."""
    assert broken_links(site.site_dir, site.server, links(reader.page)) == []


def expected_paths(site: Site, keep: Callable[[dict[str, Any]], bool]) -> set[str]:
    return {pm["url"] for pm in site.postmortems() if keep(pm)}


def test_a_postmortem_page_shows_its_card(reader: Reader, site: Site) -> None:
    pm = next(pm for pm in site.postmortems() if pm["url"] == DNS)
    page = reader.goto(DNS)
    assert heading(page) == pm["title"]
    card = page.locator(".pmkb-card")
    assert card.locator(".pmkb-id").inner_text() == pm["id"]
    assert card.locator(".pmkb-badge", has_text=pm["severity"]).is_visible()
    overdue = [item for item in pm["action_items"] if item["overdue_days"]]
    assert overdue, "the example should have overdue items on the build date"
    assert card.locator(".pmkb-badge--overdue").count() == len(overdue)
    assert card.locator(".pmkb-badge--overdue").first.is_visible()
    for service in pm["services"]:
        assert service in card.inner_text()
    related = postmortem_paths(links(page, ".pmkb-related"))
    assert related == [site.by_id(identifier)["url"] for identifier in pm["related"]]
    assert_links_resolve(reader, site)
    reader.assert_clean()


def test_the_home_page_shows_the_latest_postmortems_and_the_counts(
    reader: Reader, site: Site
) -> None:
    page = reader.goto("")
    newest = [pm["url"] for pm in site.postmortems()[:3]]
    linked = postmortem_paths(links(page))
    assert linked[:3] == newest, "the latest postmortems, newest first"
    text = page.locator(".md-content").inner_text()
    assert re.search(rf"\b{len(site.postmortems())}\b", text), "the number of postmortems"
    assert_links_resolve(reader, site)
    reader.assert_clean()


def test_search_finds_a_postmortem_by_a_word_of_its_summary(reader: Reader, site: Site) -> None:
    pm = site.by_id("PM-2025-001")
    assert "newsletter" in pm["summary"]
    reader.goto("")
    results = search(reader, "newsletter")
    assert results[0] == pm["url"]
    reader.assert_clean()


def test_search_finds_a_postmortem_by_its_id(reader: Reader, site: Site) -> None:
    reader.goto("")
    results = search(reader, "PM-2026-006")
    # Index pages that list the id match too; of the postmortems, the one with that id is first.
    assert postmortem_paths(results)[0] == site.by_id("PM-2026-006")["url"]
    reader.assert_clean()


def test_search_finds_the_postmortems_of_a_service(reader: Reader, site: Site) -> None:
    reader.goto("")
    results = search(reader, "orders-db")
    expected = expected_paths(site, lambda pm: "orders-db" in pm["services"])
    assert len(expected) >= 2
    found = postmortem_paths(results)
    assert set(found[: len(expected)]) == expected, "the service's postmortems rank first"
    reader.assert_clean()


def test_a_tag_chip_leads_to_the_postmortems_with_that_tag(reader: Reader, site: Site) -> None:
    tag = "database"
    source = next(pm for pm in site.postmortems() if tag in pm["tags"])
    page = reader.goto(source["url"])
    chip = page.locator(".md-content a[href*='tags/']").filter(
        has_text=re.compile(rf"^\s*{re.escape(tag)}\s*$")
    )
    assert chip.count() >= 1, "the tag is a link to the tags index"
    chip.first.click()
    page.wait_for_load_state("load")
    assert re.search(r"/tags/", page.url), page.url
    fragment = page.url.partition("#")[2]
    if fragment:
        listed = page.evaluate(SECTION_LINKS_JS, unquote(fragment))
        assert listed is not None, f"no element with id {fragment!r} on the tags page"
    else:
        listed = links(page)
    expected = expected_paths(site, lambda pm: tag in pm["tags"])
    assert set(postmortem_paths(listed)) == expected
    assert_links_resolve(reader, site)
    reader.assert_clean()


def test_services_lead_to_a_service_page_and_on_to_a_postmortem(reader: Reader, site: Site) -> None:
    service = "checkout"
    page = reader.goto("services/")
    all_services = {service for pm in site.postmortems() for service in pm["services"]}
    service_links = {
        site_path(url) for url in links(page) if re.fullmatch(r"services/[^/]+/", site_path(url))
    }
    assert len(service_links) == len(all_services), "every service has its page"
    assert_links_resolve(reader, site)

    click_link(page, lambda url: site_path(url) == f"services/{service}/")
    assert site_path(page.url) == f"services/{service}/"
    history = set(postmortem_paths(links(page)))
    assert history == expected_paths(site, lambda pm: service in pm["services"])
    assert_links_resolve(reader, site)

    target = click_link(page, lambda url: site_path(url) in history)
    pm = next(pm for pm in site.postmortems() if pm["url"] == site_path(target))
    assert heading(page) == pm["title"]
    reader.assert_clean()


def test_the_severity_page_lists_every_postmortem_by_level(reader: Reader, site: Site) -> None:
    page = reader.goto("severity/")
    text = page.locator(".md-content").inner_text()
    levels = ["SEV1", "SEV2", "SEV3", "SEV4"]
    positions = [text.find(level) for level in levels]
    assert -1 not in positions, "every configured level is shown"
    assert positions == sorted(positions), "worst first"
    assert set(postmortem_paths(links(page))) == {pm["url"] for pm in site.postmortems()}
    assert_links_resolve(reader, site)
    reader.assert_clean()


def test_the_root_causes_page_lists_the_recurring_causes(reader: Reader, site: Site) -> None:
    page = reader.goto("root-causes/")
    text = page.locator(".md-content").inner_text()
    recurring = site.data["recurring_root_causes"]
    assert recurring, "the example has recurring root causes"
    positions = [text.find(cause["category"]) for cause in recurring]
    assert -1 not in positions
    assert positions == sorted(positions), "ordered by count, then by the latest incident"
    linked = set(postmortem_paths(links(page)))
    for cause in recurring:
        assert {site.by_id(identifier)["url"] for identifier in cause["postmortems"]} <= linked
    assert_links_resolve(reader, site)
    reader.assert_clean()


def test_the_action_items_page_shows_overdue_items(reader: Reader, site: Site) -> None:
    page = reader.goto("action-items/")
    assert page.locator(".pmkb-badge--overdue").first.is_visible()
    text = page.locator(".md-content").inner_text()
    for pm in site.postmortems():
        for item in pm["action_items"]:
            assert item["action"] in text, f"{pm['id']}: {item['action']}"
    with_items = {pm["url"] for pm in site.postmortems() if pm["action_items"]}
    assert set(postmortem_paths(links(page))) == with_items
    assert_links_resolve(reader, site)
    reader.assert_clean()


# A chart: an inline SVG or an SVG image, visible, not empty.
CHARTS_JS = """
(content) => {
  const charts = [];
  for (const svg of content.querySelectorAll("svg")) {
    const box = svg.getBoundingClientRect();
    if (box.width < 150 || box.height < 80) continue;  // icons, not charts
    const marks = [...svg.querySelectorAll("path, rect, line, polyline, polygon, circle")]
      .filter((mark) => {
        const b = mark.getBoundingClientRect();
        return b.width > 0 || b.height > 0;
      });
    charts.push({kind: "svg", width: box.width, height: box.height, marks: marks.length,
                 visible: svg.checkVisibility()});
  }
  for (const img of content.querySelectorAll("img[src$='.svg']")) {
    const box = img.getBoundingClientRect();
    charts.push({kind: "img", width: box.width, height: box.height,
                 marks: img.naturalWidth > 0 ? 1 : 0, visible: img.checkVisibility()});
  }
  return charts;
}
"""


def test_the_metrics_page_shows_charts(reader: Reader, site: Site) -> None:
    page = reader.goto("metrics/")
    charts = page.locator(".md-content").first.evaluate(CHARTS_JS)
    assert len(charts) >= 2, charts
    for chart in charts:
        assert chart["visible"], chart
        assert chart["width"] > 0 and chart["height"] > 0, chart
        assert chart["marks"] >= (1 if chart["kind"] == "img" else 10), chart
    assert_links_resolve(reader, site)
    reader.assert_clean()
