"""Hostile values show as text on every page, and two builds of one input are identical."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from browsetools import article, generated_postmortems, page
from kbtools import postmortem_text, write_kb

TITLE = "<script>alert(1)</script> | *bold* [x](javascript:alert(2)) &amp; `code`"
SUMMARY = "First <img src=x onerror=alert(3)>\n\n[y](javascript:alert(4)) | *z* <b>b</b>"
ACTION = "<b>bold</b> | [z](javascript:alert(5)) *e*"
OWNER = "<script>alert(6)</script>"
DESCRIPTION = "<script>alert(8)</script> [q](javascript:alert(9)) <b>b</b>"


def hostile_kb(root: Path, options: dict[str, object] | None = None) -> Path:
    item = {
        "action": ACTION,
        "type": "prevent",
        "owner": OWNER,
        "due": "2024-03-20",
        "link": "https://tracker.example.com/OPS-1?a=1&b=2",
    }
    files = {
        "evil.md": postmortem_text(
            id="PM-EVIL",
            title=TITLE,
            summary=SUMMARY,
            services=["c++ api", "checkout", "Zahlungen (EU)/Karten", "日本"],
            tags=["a.b_c+d", "database", "Ünïcödé tag"],
            root_causes=[{"category": "deploy-process", "description": "<script>x</script>"}],
            action_items=[item],
        ),
        "twin.md": postmortem_text(
            id="PM-TWIN",
            title=TITLE + " again",
            services=["c++ api"],
            root_causes=[{"category": "deploy-process", "description": "y"}],
            action_items=[item],
        ),
    }
    options = options or {
        "services": {
            "c++ api": {"owner": OWNER, "tier": "<i>1</i>", "description": DESCRIPTION},
            "checkout": None,
            "orders-db": None,
            "Zahlungen (EU)/Karten": None,
            "日本": None,
        }
    }
    root = write_kb(root, files, options=options)
    (root / "docs/index.md").write_text(
        "# Home\n\n<!-- postmortems:counts -->\n\n<!-- postmortems:latest -->\n"
    )
    return root


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def test_hostile_values_are_text_on_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kbtools import build

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714521600")
    site = build(hostile_kb(tmp_path), strict=True)
    pages = html_pages(site)
    assert len(pages) > 10
    for path in pages:
        html = path.read_text("utf-8")
        soup = BeautifulSoup(html, "html.parser")
        where = path.relative_to(site).as_posix()
        assert "alert(" not in "".join(s.get_text() for s in soup.find_all("script")), where
        for element in soup.find_all(True):
            for name, value in element.attrs.items():
                text = " ".join(value) if isinstance(value, list) else str(value)
                assert not name.startswith("on"), (where, element)
                assert not text.strip().lower().startswith("javascript:"), (where, element)
        assert not soup.find_all("img", src="x"), where
        for bold in soup.find_all(["b", "i"]):
            assert bold.get_text() not in ("bold", "b", "1"), (where, bold)
        assert not any(em.get_text() in ("bold", "z", "e") for em in soup.find_all("em")), where

    # The values show literally where they land.
    listing = page(site, "postmortems/")
    row = listing.select_one('tr[data-pm-id="PM-EVIL"]')
    assert row is not None
    assert row.find_all("td")[2].get_text() == TITLE
    home = page(site, "")
    assert TITLE in article(home).get_text()
    causes = page(site, "root-causes/")
    assert ACTION in causes.select_one("table.pmkb-open-items td").get_text()  # type: ignore[union-attr]
    assert OWNER in causes.select_one("table.pmkb-open-items").get_text()  # type: ignore[union-attr]
    service = page(site, "services/c-api/")
    card = service.select_one(".pmkb-service")
    assert card is not None and DESCRIPTION in card.get_text() and OWNER in card.get_text()
    assert service.select_one("title").get_text().startswith("c++ api")  # type: ignore[union-attr]
    postmortem = page(site, "postmortems/evil/")
    summary = postmortem.select_one(".pmkb-summary")
    assert summary is not None and " ".join(SUMMARY.split()) == " ".join(summary.get_text().split())
    assert postmortem.select_one("title").get_text().startswith(TITLE)  # type: ignore[union-attr]

    # Every link to a service page or a tag anchor resolves, whatever the name's script.
    from urllib.parse import unquote, urljoin

    for path in (site / "postmortems/evil/index.html", site / "services/index.html"):
        soup = BeautifulSoup(path.read_text("utf-8"), "html.parser")
        base = "/" + path.parent.relative_to(site).as_posix() + "/"
        links = soup.select("a.pmkb-chip--service, nav.md-tags a.md-tag, tr[data-service] a")
        assert len(links) >= 4
        for link in links:
            target, _, fragment = urljoin(base, str(link["href"])).partition("#")
            html_file = site / unquote(target).lstrip("/") / "index.html"
            assert html_file.is_file(), link
            if fragment:
                anchors = BeautifulSoup(html_file.read_text("utf-8"), "html.parser")
                assert anchors.find(id=unquote(fragment)) is not None, link
    assert (site / "services/zahlungen-eu-karten/index.html").is_file()

    # The search index holds text, never markup.
    search = json.loads((site / "search/search_index.json").read_text())
    for doc in search["docs"]:
        assert "<script" not in doc["title"] and "<script" not in doc["text"], doc["location"]
        assert "<img" not in doc["text"] and "<b>" not in doc["title"], doc["location"]


def test_two_builds_of_the_same_input_are_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714521600")
    root = hostile_kb(tmp_path / "kb")
    for name, text in generated_postmortems(60).items():
        (root / "postmortems" / name).write_text(text)
    config_file = root / "mkdocs.yml"
    config_file.write_text(
        config_file.read_text().replace("  - search\n", "  - search\n  - tags\n")
        + "site_url: https://kb.example.com/\n"
    )
    sites = []
    for name in ("one", "two"):
        config = load_config(str(config_file), site_dir=str(tmp_path / name))
        build(config)
        sites.append(tmp_path / name)
    files = [sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file()) for site in sites]
    assert files[0] == files[1]
    assert Path("tags/index.html") in files[0] and Path("services/c-api/index.html") in files[0]
    different = [
        path
        for path in files[0]
        if (sites[0] / path).read_bytes() != (sites[1] / path).read_bytes()
    ]
    assert different == []
