"""Nothing lost: every postmortem appears in every index it belongs to, and nowhere else.

The expectations are computed here from the postmortems with plain loops, independently of
indexes.py, and compared with what the built HTML lists.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from browsetools import (
    CATEGORIES,
    ROOT,
    article,
    generated_postmortems,
    ids_under,
    page,
    row_ids,
    section,
)
from kbtools import write_kb
from postmortem_kb.config import load_settings
from postmortem_kb.knowledge_base import load_knowledge_base, value_slug
from postmortem_kb.model import Postmortem
from postmortem_kb.settings import Settings


def build_site(config_file: Path, site_dir: Path) -> Path:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(config_file), site_dir=str(site_dir), strict=True)
    build(config)
    return site_dir


def assert_nothing_lost(
    site: Path, postmortems: tuple[Postmortem, ...], settings: Settings
) -> None:
    assert postmortems, "a knowledge base without postmortems proves nothing"

    # postmortems/: each exactly once, newest first, under its year and quarter.
    soup = page(site, "postmortems/")
    listed = row_ids(article(soup).find_all("table"))
    newest = sorted(postmortems, key=lambda pm: (pm.date, pm.id), reverse=True)
    assert listed == [pm.id for pm in newest]
    quarters: dict[str, set[str]] = {}
    for pm in postmortems:
        quarters.setdefault(f"{pm.date.year}-q{(pm.date.month - 1) // 3 + 1}", set()).add(pm.id)
    for anchor, ids in quarters.items():
        assert set(ids_under(soup, anchor)) == ids, anchor
        year = anchor.split("-")[0]
        assert ids <= set(row_ids(section(soup, year))), year

    # tags/: each postmortem under each of its tags, with the right count.
    soup = page(site, "tags/")
    by_tag: dict[str, set[str]] = {}
    for pm in postmortems:
        for tag in pm.tags:
            by_tag.setdefault(tag, set()).add(pm.id)
    for tag, ids in by_tag.items():
        slug = value_slug(tag)
        assert set(ids_under(soup, f"tag:{slug}")) == ids, tag
        row = soup.select_one(f'tr[data-tag="{slug}"]')
        assert row is not None and row["data-count"] == str(len(ids)), tag
    assert len(soup.select("tr[data-tag]")) == len(by_tag)

    # severity/: each postmortem under its level.
    soup = page(site, "severity/")
    for level in settings.severities:
        expected = {pm.id for pm in postmortems if pm.severity == level}
        assert set(ids_under(soup, value_slug(level))) == expected, level

    # services/ and services/<slug>/: each postmortem in the history of each of its services.
    index = page(site, "services/")
    by_service: dict[str, set[str]] = {}
    for pm in postmortems:
        for service in pm.services:
            by_service.setdefault(service, set()).add(pm.id)
    for service, ids in by_service.items():
        slug = value_slug(service)
        row = index.select_one(f'tr[data-service="{slug}"]')
        assert row is not None and row["data-count"] == str(len(ids)), service
        history = page(site, f"services/{slug}/")
        assert set(row_ids(section(history, "incidents"))) == ids, service

    # root-causes/: each category once per postmortem; recurring ones list their postmortems.
    soup = page(site, "root-causes/")
    by_category: dict[str, set[str]] = {}
    for pm in postmortems:
        for cause in pm.root_causes:
            category = settings.taxonomy.get(cause.category, cause.category)
            by_category.setdefault(category, set()).add(pm.id)
    table = section(soup, "all-categories")
    rows = [row for element in table for row in element.select("tr[data-category]")]
    assert {str(row["data-category"]): int(str(row["data-count"])) for row in rows} == {
        category: len(ids) for category, ids in by_category.items()
    }
    for category, ids in by_category.items():
        anchor = f"cause:{value_slug(category)}"
        if len(ids) >= settings.recurring_threshold:
            assert set(ids_under(soup, anchor)) == ids, category
        else:
            assert soup.find(id=anchor) is None, category
    without = {pm.id for pm in postmortems if not pm.root_causes}
    if without:
        text = article(soup).get_text(" ")
        assert all(identifier in text for identifier in without)


def test_the_example_knowledge_base_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764374400")  # 2025-11-29
    settings = load_settings(ROOT / "mkdocs.yml")
    kb = load_knowledge_base(settings)
    assert kb.errors == () and len(kb.postmortems) >= 15
    site = build_site(ROOT / "mkdocs.yml", tmp_path / "site")
    assert_nothing_lost(site, kb.postmortems, settings)


def test_a_generated_knowledge_base_of_300_postmortems_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01
    taxonomy = {category: [] for category in CATEGORIES if category != "db-outage"}
    taxonomy["database"] = ["db-outage"]
    root = write_kb(
        tmp_path,
        generated_postmortems(300),
        # The dates are spread over three years before the build date, so the review
        # deadlines (PM409, PM410) would flag every draft and review: not the point here.
        options={
            "taxonomy": taxonomy,
            "recurring_threshold": 3,
            "rules": {"PM409": "notice", "PM410": "notice"},
        },
    )
    settings = load_settings(root / "mkdocs.yml")
    kb = load_knowledge_base(settings)
    assert [p for p in kb.problems if p.level == "error"] == []
    assert len(kb.postmortems) == 300
    assert any(not pm.tags for pm in kb.postmortems)
    assert any(not pm.root_causes for pm in kb.postmortems)
    site = build_site(root / "mkdocs.yml", tmp_path / "site")
    assert_nothing_lost(site, kb.postmortems, settings)
    # The taxonomy merged the alias before counting.
    causes = BeautifulSoup((site / "root-causes/index.html").read_text(), "html.parser")
    assert causes.select_one('tr[data-category="db-outage"]') is None
    assert causes.select_one('tr[data-category="database"]') is not None
