"""The Atom feed: valid, newest first, deterministic, escaped, absolute links only with a URL."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from kbtools import postmortem_text, write_kb
from postmortem_kb.feed import atom_feed
from postmortem_kb.knowledge_base import load_knowledge_base
from postmortem_kb.model import Postmortem
from postmortem_kb.settings import Settings

ATOM = "{http://www.w3.org/2005/Atom}"
TODAY = dt.date(2024, 7, 1)
HOSTILE = "<script>alert(1)</script> & </title> ]]>"


@pytest.fixture(scope="module")
def postmortems(tmp_path_factory: pytest.TempPathFactory) -> tuple[Postmortem, ...]:
    root = write_kb(
        tmp_path_factory.mktemp("feed"),
        {
            "old.md": postmortem_text(id="PM-1", date="2024-01-10", title="Old", timeline=None),
            "new.md": postmortem_text(
                id="PM-2",
                date="2024-05-02",
                title=HOSTILE,
                timeline=None,
            ),
            "mid.md": postmortem_text(id="PM-3", date="2024-03-03", title="Mid", timeline=None),
        },
    )
    kb = load_knowledge_base(Settings(root=root, postmortems_dir=root / "postmortems"))
    assert kb.errors == ()
    # The loader refuses control characters (PM106); the feed still guards against them.
    return tuple(
        replace(pm, summary="Bell \a here") if pm.id == "PM-2" else pm for pm in kb.postmortems
    )


def feed(postmortems: tuple[Postmortem, ...], site_url: str | None = None, limit: int = 50) -> str:
    return atom_feed(postmortems, site_name="Ops KB", site_url=site_url, today=TODAY, limit=limit)


def test_the_feed_is_atom_newest_first(postmortems: tuple[Postmortem, ...]) -> None:
    root = ET.fromstring(feed(postmortems).encode())
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}title") == "Ops KB: postmortems"
    assert root.findtext(f"{ATOM}updated") == "2024-07-01T00:00:00+00:00"  # the build date
    assert root.findtext(f"{ATOM}id", "").startswith("urn:uuid:")
    assert root.findtext(f"{ATOM}author/{ATOM}name") == "Ops KB"
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}updated") for e in entries] == [
        "2024-05-02T00:00:00+00:00",
        "2024-03-03T00:00:00+00:00",
        "2024-01-10T00:00:00+00:00",
    ]
    for entry in entries:  # what RFC 4287 requires of every entry
        assert entry.findtext(f"{ATOM}id", "").startswith("urn:uuid:")
        assert entry.findtext(f"{ATOM}title")
        assert entry.find(f"{ATOM}link").get("href", "").startswith("postmortems/")  # type: ignore[union-attr]
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == 3


def test_front_matter_stays_text_in_the_feed(postmortems: tuple[Postmortem, ...]) -> None:
    xml = feed(postmortems)
    assert "<script>" not in xml and "&lt;script&gt;" in xml
    entry = ET.fromstring(xml.encode()).findall(f"{ATOM}entry")[0]
    assert entry.findtext(f"{ATOM}title") == f"SEV1: {HOSTILE}"
    # A control character that XML cannot carry becomes U+FFFD instead of breaking the feed.
    assert entry.findtext(f"{ATOM}summary") == "Bell \ufffd here"
    terms = [category.get("term") for category in entry.findall(f"{ATOM}category")]
    assert terms == ["SEV1", "final", "checkout", "orders-db", "database", "deploy"]


def test_the_feed_is_the_same_bytes_every_time(postmortems: tuple[Postmortem, ...]) -> None:
    assert feed(postmortems) == feed(postmortems)


def test_links_are_absolute_only_with_a_site_url(postmortems: tuple[Postmortem, ...]) -> None:
    root = ET.fromstring(feed(postmortems, "https://kb.example.com/ops").encode())
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {
        "alternate": "https://kb.example.com/ops/",
        "self": "https://kb.example.com/ops/feed.xml",
    }
    entry_link = root.find(f"{ATOM}entry/{ATOM}link")
    assert entry_link is not None
    assert entry_link.get("href") == "https://kb.example.com/ops/postmortems/new/"
    relative = ET.fromstring(feed(postmortems).encode())
    assert [link.get("rel") for link in relative.findall(f"{ATOM}link")] == ["alternate"]


def test_entry_ids_follow_the_postmortem_id_not_the_file(
    postmortems: tuple[Postmortem, ...], tmp_path: Path
) -> None:
    first = ET.fromstring(feed(postmortems).encode()).findall(f"{ATOM}entry")[2]
    root = write_kb(tmp_path, {"renamed.md": postmortem_text(id="PM-1", date="2024-01-10")})
    kb = load_knowledge_base(Settings(root=root, postmortems_dir=root / "postmortems"))
    again = ET.fromstring(feed(kb.postmortems).encode()).find(f"{ATOM}entry")
    assert again is not None
    assert again.findtext(f"{ATOM}id") == first.findtext(f"{ATOM}id")
    other_site = ET.fromstring(feed(kb.postmortems, "https://other.example").encode())
    assert other_site.findtext(f"{ATOM}entry/{ATOM}id") != first.findtext(f"{ATOM}id")


def test_the_feed_carries_the_newest_entries_only(postmortems: tuple[Postmortem, ...]) -> None:
    root = ET.fromstring(feed(postmortems, limit=1).encode())
    assert [e.findtext(f"{ATOM}updated") for e in root.findall(f"{ATOM}entry")] == [
        "2024-05-02T00:00:00+00:00"
    ]


def test_a_templates_dir_can_override_the_feed(
    postmortems: tuple[Postmortem, ...], tmp_path: Path
) -> None:
    from postmortem_kb.rendering import Renderer

    (tmp_path / "feed.xml.j2").write_text(
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>{{ feed.title }}</title>'
        "{% for entry in entries %}<entry><title>{{ entry.title }}</title></entry>{% endfor %}"
        "</feed>\n"
    )
    xml = atom_feed(
        postmortems,
        site_name="Ops KB",
        site_url=None,
        today=TODAY,
        limit=2,
        renderer=Renderer(tmp_path),
    )
    root = ET.fromstring(xml.encode())
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert len(titles) == 2 and titles[0] == f"SEV1: {HOSTILE}"
    assert titles[1] is not None and titles[1].endswith(": Mid")
    assert root.find(f"{ATOM}updated") is None  # the override's own shape
