"""Every page works offline, logs no error, and stays legible in the light and the dark scheme."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pytest

from browsertools import (
    COLOURS_JS,
    Reader,
    Site,
    broken_links,
    composite,
    contrast,
    links,
    parse_colour,
)

if TYPE_CHECKING:
    from playwright.sync_api import Page

# One page of each kind the plugin makes; each is screenshotted in both schemes. The hand-written
# pages of docs/ and the other generated pages are checked by the test of every other page.
PAGES = {
    "home": "",
    "postmortem": "postmortems/2026-06-18-site-unreachable-after-dns-records-recreated/",
    "postmortems": "postmortems/",
    "tags": "tags/",
    "severity": "severity/",
    "services": "services/",
    "service": "services/checkout/",
    "root-causes": "root-causes/",
    "action-items": "action-items/",
    "metrics": "metrics/",
}

# Elements that load something: none may point at another host (a preconnect to a font CDN
# makes no request event, so the DOM is checked as well as the traffic).
RESOURCES_JS = """
() => [...document.querySelectorAll(
  "link[href], script[src], img[src], iframe[src], source[src], video[src], audio[src], "
  + "object[data], embed[src], image[href]"
)].map((el) => el.href?.baseVal ?? el.href ?? el.src ?? el.data).filter(Boolean)
"""

BADGES = ".md-content .pmkb-badge, .md-content .pmkb-status, .md-content .pmkb-chip"

# The text of an SVG chart and what lies behind it.
CHART_TEXT_JS = """
(svg) => {
  const box = svg.getBoundingClientRect();
  const layers = [];
  for (let node = svg.parentElement; node; node = node.parentElement) {
    const background = getComputedStyle(node).backgroundColor;
    if (background && background !== "rgba(0, 0, 0, 0)") layers.push(background);
  }
  // A shape filling (nearly) the whole chart is the chart's own background.
  for (const shape of svg.querySelectorAll("rect, path")) {
    const b = shape.getBoundingClientRect();
    const style = getComputedStyle(shape);
    if (b.width * b.height >= 0.9 * box.width * box.height && style.fill !== "none") {
      const fill = style.fill;
      const opacity = parseFloat(style.fillOpacity) * parseFloat(style.opacity);
      if (fill.startsWith("rgb(") && opacity > 0) {
        layers.unshift(fill.replace("rgb(", "rgba(").replace(")", `, ${opacity})`));
      }
      break;
    }
  }
  const texts = [...svg.querySelectorAll("text, g[id^='text_'] use, g[id^='text_'] path")]
    .filter((el) => el.getClientRects().length > 0)
    .map((el) => getComputedStyle(el).fill);
  return {texts: texts, layers: layers};
}
"""


def badges_legibility(page: Page) -> tuple[int, list[str]]:
    """How many badges, statuses and chips the page shows, and those below 4.5:1."""
    seen = page.locator(BADGES).evaluate_all(COLOURS_JS)
    faint = []
    for badge in seen:
        background = composite(badge["layers"])
        ratio = contrast(parse_colour(badge["color"]), background)
        if ratio < 4.5:
            faint.append(f"{badge['text']!r}: {badge['color']} on {background}: {ratio:.2f}")
    return len(seen), faint


def chart_legibility(page: Page) -> tuple[int, list[str]]:
    """How many charts the page shows, and the text colours in them below 4.5:1."""
    charts = [
        chart
        for chart in page.locator(".md-content svg").all()
        if (chart.bounding_box() or {"width": 0})["width"] >= 150
    ]
    faint = []
    for index, chart in enumerate(charts):
        found = chart.evaluate(CHART_TEXT_JS)
        background = composite(found["layers"])
        if not found["texts"]:
            faint.append(f"chart {index} has no text (axes, labels)")
        for fill in sorted(set(found["texts"])):
            ratio = contrast(parse_colour(fill), background)
            if ratio < 4.5:
                faint.append(f"chart {index}: text {fill} on {background}: {ratio:.2f}")
    return len(charts), faint


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_a_page_works_offline_and_stays_legible(
    open_reader: Callable[[str], Reader], site: Site, name: str, scheme: str
) -> None:
    reader = open_reader(scheme)
    page = reader.goto(PAGES[name])
    expected = "slate" if scheme == "dark" else "default"
    assert page.locator("body").get_attribute("data-md-color-scheme") == expected
    page.wait_for_load_state("networkidle")
    reader.screenshot(f"{name}-{scheme}")
    assert [url for url in page.evaluate(RESOURCES_JS) if not reader.is_local(url)] == []
    assert "fonts.googleapis.com" not in page.content()
    assert broken_links(site.site_dir, site.server, links(page)) == []
    badges, faint_badges = badges_legibility(page)
    assert faint_badges == []
    charts, faint_charts = chart_legibility(page)
    assert faint_charts == []
    if name in ("postmortem", "action-items", "services"):
        assert badges >= 5, "the check saw the page's badges"
    if name == "metrics":
        assert charts >= 2, "the check saw the page's charts"
    reader.assert_clean()


def test_every_other_page_of_the_site_loads_offline_with_working_links(
    reader: Reader, site: Site
) -> None:
    # The pages of PAGES get the same checks, in both schemes, above.
    pages = [path for path in site.pages() if path not in PAGES.values()]
    assert len(pages) > len(site.postmortems())
    broken: dict[str, list[str]] = {}
    for path in pages:
        page = reader.goto(path)
        found = broken_links(site.site_dir, site.server, links(page))
        if found:
            broken[path] = found
    assert broken == {}
    reader.assert_clean()


def test_the_palette_toggle_switches_the_badges_to_the_dark_scheme(reader: Reader) -> None:
    page = reader.goto(PAGES["postmortem"])
    badge = page.locator(".pmkb-card .pmkb-badge").first
    light = badge.evaluate("(el) => getComputedStyle(el).backgroundColor")
    page.locator("label.md-header__button[for^='__palette']:visible").first.click()
    page.wait_for_selector("body[data-md-color-scheme='slate']")
    dark = badge.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert dark != light
    assert badges_legibility(page)[1] == []
    reader.goto(PAGES["postmortem"])
    assert page.locator("body").get_attribute("data-md-color-scheme") == "slate", "kept"
    reader.assert_clean()
