"""Build real sites and read the browse pages, the navigation, the chips and the home page."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from mkdocs.exceptions import Abort, PluginError

from browsetools import article, ids_under, page, row_ids, section
from kbtools import build, postmortem_text, write_kb

ITEM = {"action": "Fix it", "type": "prevent", "owner": "@team", "due": "2024-03-01"}


def on(date: str) -> dict[str, str]:
    """The test timeline (detect 12 min, resolve 1 h 38 min) on ``date``."""
    return {
        "started": f"{date}T14:20:00Z",
        "detected": f"{date}T14:32:00Z",
        "mitigated": f"{date}T15:00:00Z",
        "resolved": f"{date}T16:10:00Z",
    }


def small_kb() -> dict[str, str]:
    """Four postmortems over two quarters, with a recurring cause and an open item."""
    return {
        "a.md": postmortem_text(
            id="PM-1",
            title="Checkout down",
            date="2024-01-10",
            timeline=on("2024-01-10"),
            severity="SEV1",
            services=["checkout", "orders-db"],
            tags=["database", "Deploy Train"],
            root_causes=[{"category": "deploy-process", "description": "x"}],
            action_items=[{**ITEM, "status": "todo"}],
        ),
        "b.md": postmortem_text(
            id="PM-2",
            title="Slow search",
            date="2024-02-20",
            severity="SEV3",
            services=["search"],
            tags=["database"],
            timeline=None,
            root_causes=[{"category": "capacity-planning", "description": "x"}],
            action_items=[{**ITEM, "status": "done"}],
        ),
        "c.md": postmortem_text(
            id="PM-3",
            title="Checkout errors again",
            date="2024-04-02",
            timeline=on("2024-04-02"),
            severity="SEV2",
            services=["checkout"],
            tags=None,
            root_causes=[{"category": "deploy-process", "description": "x"}],
            action_items=[{**ITEM, "status": "in-progress", "due": "2024-05-01"}],
        ),
        "d.md": postmortem_text(
            id="PM-4",
            title="Draft without causes",
            date="2024-04-20",
            timeline=on("2024-04-20"),
            severity="SEV3",
            status="draft",
            services=["checkout"],
            tags=None,
            root_causes=None,
            action_items=None,
        ),
    }


# The process rules (timeline of a final postmortem, review deadlines) are not what these
# tests are about; the small knowledge base keeps a final postmortem without a timeline.
QUIET = {"rules": {"PM408": "notice", "PM409": "notice", "PM410": "notice"}}


def write_small_kb(
    root: Path, options: dict[str, object] | None = None, extra_config: str = ""
) -> Path:
    return write_kb(
        root, small_kb(), options={**QUIET, **(options or {})}, extra_config=extra_config
    )


@pytest.fixture
def fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714521600")  # 2024-05-01


@pytest.fixture
def site(tmp_path: Path, fixed_date: None) -> Path:
    return build(write_small_kb(tmp_path), strict=True)


def nav_titles(soup: BeautifulSoup) -> list[str]:
    """The primary navigation as 'Section/Title' strings, in order."""
    titles = []
    for link in soup.select(
        "nav.md-nav--primary a.md-nav__link, nav.md-nav--primary label.md-nav__link"
    ):
        titles.append(" ".join(link.get_text().split()))
    return [title for title in titles if title]


def test_the_postmortems_page_lists_every_postmortem_newest_first_by_quarter(site: Path) -> None:
    soup = page(site, "postmortems/")
    assert row_ids(article(soup).find_all("table")) == ["PM-4", "PM-3", "PM-2", "PM-1"]
    assert ids_under(soup, "2024-q2") == ["PM-4", "PM-3"]
    assert ids_under(soup, "2024-q1") == ["PM-2", "PM-1"]
    archive = soup.select_one("table.pmkb-archive")
    assert archive is not None
    cells = [
        " ".join(td.get_text().split())
        for td in archive.select("tbody tr")[0].find_all(["th", "td"])
    ]
    assert cells == ["2024", "2", "2", "—", "—", "4"]
    assert archive.select_one('a[href="#2024-q2"]') is not None
    row = soup.select_one('tr[data-pm-id="PM-1"]')
    assert row is not None
    assert [td.get_text(" ", strip=True) for td in row.find_all("td")] == [
        "2024-01-10",
        "PM-1",
        "Checkout down",
        "SEV1",
        "final",
        "checkout orders-db",
    ]
    # Table rows link through the site root, so that one row serves every page as deep.
    assert row.select_one("a")["href"] == "../postmortems/a/"  # type: ignore[index]
    assert (site / "postmortems/a/index.html").is_file()
    assert row.select_one(".pmkb-badge--sev-1") is not None
    assert [a["href"] for a in row.select("a.pmkb-chip--service")] == [
        "../services/checkout/",
        "../services/orders-db/",
    ]


def test_the_tags_page_counts_and_lists_each_tag(site: Path) -> None:
    soup = page(site, "tags/")
    counts = {str(row["data-tag"]): str(row["data-count"]) for row in soup.select("tr[data-tag]")}
    assert counts == {"database": "2", "deploy-train": "1"}
    assert ids_under(soup, "tag:database") == ["PM-2", "PM-1"]
    assert ids_under(soup, "tag:deploy-train") == ["PM-1"]
    assert "2 postmortems have no tag" in article(soup).get_text(" ")
    headers = [th.get_text() for th in section(soup, "tag:database")[0].select("th")]
    assert headers == ["Date", "ID", "Title", "Severity"]


def test_the_severity_page_has_levels_worst_first_with_medians(site: Path) -> None:
    soup = page(site, "severity/")
    rows = soup.select("table.pmkb-severity tbody tr")
    summary = [[" ".join(c.get_text().split()) for c in row.find_all(["th", "td"])] for row in rows]
    # The default timeline: detect 12 min, resolve 1 h 38 min; PM-2 has no timeline.
    assert summary == [
        ["SEV1", "1", "12 min (1 of 1)", "1 h 38 min (1 of 1)"],
        ["SEV2", "1", "12 min (1 of 1)", "1 h 38 min (1 of 1)"],
        ["SEV3", "2", "12 min (1 of 2)", "1 h 38 min (1 of 2)"],
        ["SEV4", "0", "—", "—"],
    ]
    assert ids_under(soup, "sev3") == ["PM-4", "PM-2"]
    assert "No postmortems." in " ".join(e.get_text() for e in section(soup, "sev4"))


def test_the_services_pages(site: Path) -> None:
    index = page(site, "services/")
    rows = {str(row["data-service"]): row for row in index.select("tr[data-service]")}
    assert list(rows) == ["checkout", "orders-db", "search"]
    checkout = [" ".join(c.get_text().split()) for c in rows["checkout"].find_all(["th", "td"])]
    assert checkout == ["checkout", "3", "2024-04-20 PM-4", "1 h 38 min (3 of 3)", "2 1 overdue"]
    assert rows["checkout"].select_one("a")["href"] == "../services/checkout/"  # type: ignore[index]

    service = page(site, "services/checkout/")
    assert soup_title(service) == "checkout"
    assert row_ids(section(service, "incidents")) == ["PM-4", "PM-3", "PM-1"]
    items = row_ids(section(service, "open-action-items"), "pmkb-open-items")
    assert items == ["PM-1", "PM-3"]  # the longest overdue first
    overdue = service.select("table.pmkb-open-items .pmkb-badge--overdue")
    assert [badge.get_text() for badge in overdue] == ["overdue 61 d"]
    recurring = " ".join(e.get_text(" ") for e in section(service, "recurring-root-causes"))
    assert "deploy-process : 2 postmortems" in " ".join(recurring.split())
    link = service.select_one(".pmkb-recurring a")
    assert link is not None and link["href"] == "../../root-causes/#cause:deploy-process"


def soup_title(soup: BeautifulSoup) -> str:
    h1 = article(soup).find("h1")
    assert h1 is not None
    return h1.get_text().replace("¶", "").strip()


def test_the_root_causes_page(site: Path) -> None:
    soup = page(site, "root-causes/")
    assert [
        str(r["data-category"])
        for r in soup.select("table.pmkb-recurring-causes tr[data-category]")
    ] == ["deploy-process"]
    assert ids_under(soup, "cause:deploy-process") == ["PM-3", "PM-1"]
    body = section(soup, "cause:deploy-process")
    repeats = " ".join(" ".join(e.get_text(" ") for e in body).split())
    assert "Repeated on the same service checkout : 2 incidents ( PM-3 , PM-1 )" in repeats
    assert row_ids(body, "pmkb-open-items") == ["PM-1", "PM-3"]
    assert "2 action items of these postmortems still open" in repeats
    all_rows = {
        str(r["data-category"]): str(r["data-count"])
        for e in section(soup, "all-categories")
        for r in e.select("tr[data-category]")
    }
    assert all_rows == {"deploy-process": "2", "capacity-planning": "1"}
    assert soup.find(id="cause:capacity-planning") is None
    assert "1 postmortem names no root cause yet: PM-4" in " ".join(
        article(soup).get_text(" ").split()
    ).replace(" .", ".")


def test_search_finds_the_headings_and_prose_of_index_pages_not_their_tables(site: Path) -> None:
    search = json.loads((site / "search/search_index.json").read_text())
    docs = {doc["location"]: doc for doc in search["docs"]}
    cause = docs["root-causes/#cause:deploy-process"]
    assert cause["title"] == "deploy-process"
    assert cause["text"] == ""  # the section's body is an island: a row is its postmortem
    assert "recurs when it appears in at least 2" in docs["root-causes/"]["text"]
    assert docs["tags/#tag:deploy-train"]["title"] == "Deploy Train"
    assert docs["services/checkout/"]["title"] == "checkout"
    assert "Median time to resolve" in docs["services/checkout/"]["text"]  # the card
    browse = ("postmortems/", "tags/", "severity/", "services/", "root-causes/")
    for location, doc in docs.items():
        page_url = location.split("#")[0]
        if page_url in browse or page_url.startswith("services/"):
            assert "PM-1" not in doc["text"], location


def test_a_postmortem_links_its_services_and_its_tag_chips(site: Path) -> None:
    soup = page(site, "postmortems/a/")
    services = soup.select(".pmkb-card a.pmkb-chip--service")
    assert [(a.get_text(), a["href"]) for a in services] == [
        ("checkout", "../../services/checkout/"),
        ("orders-db", "../../services/orders-db/"),
    ]
    chips = soup.select("nav.md-tags a.md-tag")
    assert [(a.get_text(), a["href"]) for a in chips] == [
        ("database", "../../tags/#tag:database"),
        ("Deploy Train", "../../tags/#tag:deploy-train"),
    ]
    tags = page(site, "tags/")
    for chip in chips:
        assert tags.find(id=str(chip["href"]).split("#")[1]) is not None


def test_the_browse_section_follows_home_and_relinks_previous_and_next(
    tmp_path: Path, fixed_date: None
) -> None:
    root = write_small_kb(tmp_path)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text().replace("[content.action.edit]", "[navigation.footer]"))
    site = build(root, strict=True)
    home = page(site, "")
    titles = nav_titles(home)
    assert titles[:7] == [
        "Home",
        "Browse",
        "All postmortems",
        "Tags",
        "Severity",
        "Services",
        "Recurring root causes",
    ]
    assert not any("Checkout down" in title for title in titles)  # postmortems stay out
    assert not any(title == "checkout" for title in titles)  # so do service pages
    tags = page(site, "tags/")
    assert tags.select_one("a.md-footer__link--prev")["href"] == "../postmortems/"  # type: ignore[index]
    assert tags.select_one("a.md-footer__link--next")["href"] == "../severity/"  # type: ignore[index]
    assert home.select_one("a.md-footer__link--next")["href"] == "postmortems/"  # type: ignore[index]
    postmortem = page(site, "postmortems/a/")
    assert postmortem.select_one("a.md-footer__link") is None


def test_an_explicit_nav_keeps_its_entries_and_gets_the_rest(
    tmp_path: Path, fixed_date: None
) -> None:
    extra = (
        "validation:\n  omitted_files: warn\n"
        "nav:\n  - Home: index.md\n  - Guide:\n      - By tag: tags/index.md\n"
    )
    root = write_small_kb(tmp_path, options={"format_page": False}, extra_config=extra)
    titles = nav_titles(page(build(root, strict=True), ""))
    assert titles == [
        "Home",
        "Browse",
        "All postmortems",
        "Severity",
        "Services",
        "Recurring root causes",
        "Action items",
        "Metrics",
        "Guide",
        "By tag",
    ]


def test_an_existing_browse_section_receives_the_missing_pages(
    tmp_path: Path, fixed_date: None
) -> None:
    extra = "nav:\n  - Home: index.md\n  - Browse:\n      - Services first: services/index.md\n"
    site = build(write_small_kb(tmp_path, extra_config=extra), strict=True)
    assert nav_titles(page(site, "")) == [
        "Home",
        "Browse",
        "Services first",
        "All postmortems",
        "Tags",
        "Severity",
        "Recurring root causes",
        "Action items",
        "Metrics",
    ]


def test_an_empty_nav_section_leaves_the_navigation_alone(tmp_path: Path, fixed_date: None) -> None:
    site = build(write_small_kb(tmp_path, options={"nav_section": ""}), strict=True)
    assert "Browse" not in nav_titles(page(site, ""))
    assert (site / "tags/index.html").is_file()


@pytest.mark.parametrize("tags_plugin", [True, False])
def test_chips_link_to_the_tags_page_with_or_without_materials_tags_plugin(
    tmp_path: Path, fixed_date: None, tags_plugin: bool
) -> None:
    root = write_small_kb(tmp_path)
    if tags_plugin:
        config = root / "mkdocs.yml"
        config.write_text(config.read_text().replace("  - search\n", "  - search\n  - tags\n"))
    site = build(root, strict=True)
    chips = page(site, "postmortems/a/").select("nav.md-tags a.md-tag")
    assert [a["href"] for a in chips] == [
        "../../tags/#tag:database",
        "../../tags/#tag:deploy-train",
    ]
    tags_html = (site / "tags/index.html").read_text()
    assert tags_html.count('id="tag:database"') == 1  # one tags page, written once
    assert (site / "tags.json").is_file() == tags_plugin
    search = json.loads((site / "search/search_index.json").read_text())
    entry = next(doc for doc in search["docs"] if doc["location"] == "postmortems/a/")
    assert entry["tags"] == ["database", "Deploy Train"]


def test_a_service_vocabulary_shows_on_the_service_pages(tmp_path: Path, fixed_date: None) -> None:
    options = {
        "services": {
            "checkout": {
                "owner": "@checkout-team",
                "tier": 1,
                "description": "Basket and payment.",
            },
            "orders-db": None,
            "search": None,
            "warehouse": {"owner": "@ops"},
        }
    }
    site = build(write_small_kb(tmp_path, options=options), strict=True)
    service = page(site, "services/checkout/")
    card = service.select_one(".pmkb-service")
    assert card is not None
    text = " ".join(card.get_text(" ").split())
    assert "Basket and payment." in text
    assert "Owner @checkout-team" in text and "Tier 1" in text
    index = page(site, "services/")
    warehouse = index.select_one('tr[data-service="warehouse"]')
    assert warehouse is not None and warehouse["data-count"] == "0"
    assert [th.get_text() for th in index.select("table.pmkb-services thead th")][:3] == [
        "Service",
        "Owner",
        "Tier",
    ]
    assert "No postmortem names this service yet." in page(site, "services/warehouse/").get_text()
    search = json.loads((site / "search/search_index.json").read_text())
    entry = next(doc for doc in search["docs"] if doc["location"] == "services/checkout/")
    assert "Basket and payment." in entry["text"] and "@checkout-team" in entry["text"]


def test_an_unknown_service_fails_a_strict_build(
    tmp_path: Path, fixed_date: None, caplog: pytest.LogCaptureFixture
) -> None:
    root = write_small_kb(tmp_path, options={"services": ["checkout", "search"]})
    with pytest.raises(Abort), caplog.at_level(logging.WARNING):
        build(root, strict=True)
    assert (
        "postmortems/a.md:10: services[1]: 'orders-db' is not in the services vocabulary"
        in caplog.text
    )


def test_a_service_named_index_does_not_replace_the_services_index(
    tmp_path: Path, fixed_date: None
) -> None:
    site = build(
        write_kb(tmp_path, {"a.md": postmortem_text(services=["index", "Index2"])}), strict=True
    )
    assert "Services" in soup_title(page(site, "services/"))
    assert soup_title(page(site, "services/index_/")) == "index"
    assert page(site, "services/").select_one('a[href="../services/index_/"]') is not None


def test_home_page_markers(tmp_path: Path, fixed_date: None) -> None:
    root = write_small_kb(tmp_path)
    (root / "docs/index.md").write_text(
        "# Home\n\n<!-- postmortems:counts -->\n\n## Latest\n\n<!-- postmortems:latest 2 -->\n\n"
        "```markdown\n<!-- postmortems:latest -->\n```\n\nInline `<!-- postmortems:counts -->` stays.\n"
    )
    site = build(root, strict=True)
    soup = page(site, "")
    assert row_ids(article(soup).find_all("table")) == ["PM-4", "PM-3"]
    counts = soup.select_one(".pmkb-headline")
    assert counts is not None
    text = " ".join(counts.get_text(" ").split())
    assert text == (
        "4 postmortems 1 SEV1 1 SEV2 2 SEV3 0 SEV4 3 services 1 recurring root causes "
        "2 open action items 1 overdue"
    )
    assert counts.select_one('a[href="severity/#sev3"]') is not None
    code = soup.select("pre code")
    assert any("<!-- postmortems:latest -->" in c.get_text() for c in code)
    assert "<!-- postmortems:counts -->" in soup.select_one("p code").get_text()  # type: ignore[union-attr]
    assert page(site, "").select_one('a[href="postmortems/"]') is not None


def test_templates_can_be_overridden_from_templates_dir(tmp_path: Path, fixed_date: None) -> None:
    root = write_small_kb(tmp_path, options={"templates_dir": "overrides"})
    (root / "overrides/browse").mkdir(parents=True)
    (root / "overrides/browse/tags.md.j2").write_text(
        "# Our tags\n\n{% for group in index.tags %}- {{ group.name|md }}: {{ group.count }}\n{% endfor %}"
    )
    site = build(root, strict=True)
    soup = page(site, "tags/")
    assert soup_title(soup) == "Our tags"
    assert [li.get_text() for li in article(soup).select("li")] == [
        "database: 2",
        "Deploy Train: 1",
    ]
    # The other pages still come from the package's templates.
    assert ids_under(page(site, "severity/"), "sev1") == ["PM-1"]


def test_an_empty_knowledge_base_still_has_its_browse_pages(
    tmp_path: Path, fixed_date: None
) -> None:
    site = build(write_kb(tmp_path, {}), strict=True)
    assert "No postmortems yet." in page(site, "postmortems/").get_text()
    assert "No postmortem has a tag yet." in page(site, "tags/").get_text()
    assert "No services yet." in page(site, "services/").get_text()
    assert "No category appears" in page(site, "root-causes/").get_text()


def test_a_docs_page_at_a_browse_path_is_refused(
    tmp_path: Path, fixed_date: None, caplog: pytest.LogCaptureFixture
) -> None:
    root = write_small_kb(tmp_path)
    (root / "docs/tags").mkdir()
    (root / "docs/tags/index.md").write_text("# Mine\n")
    with pytest.raises((Abort, PluginError)), caplog.at_level(logging.ERROR):
        build(root)
    assert "docs/tags/index.md clashes with the page this plugin generates" in caplog.text
