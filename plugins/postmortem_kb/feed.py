"""The Atom feed of a knowledge base, ``feed.xml``, newest postmortems first.

It is drawn by the template ``feed.xml.j2``, like the pages (and overridable like them):
Atom is a handful of elements, and the feedgen library it was first made with brought
lxml, 6 MiB of memory, into every build.

The feed depends only on the postmortems and the build date, so two builds give the same
bytes. Links are absolute when ``site_url`` is configured; otherwise they are relative to
the feed, which sits at the site root (RFC 4287 resolves them against the feed's address).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Sequence
from urllib.parse import urljoin

from postmortem_kb.model import Postmortem
from postmortem_kb.rendering import Renderer

FEED_PATH = "feed.xml"

# XML 1.0 cannot carry most control characters, even escaped: a reader refuses them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _midnight(date: dt.date) -> dt.datetime:
    return dt.datetime(date.year, date.month, date.day, tzinfo=dt.timezone.utc)


def feed_identity(site_name: str, site_url: str | None) -> str:
    """What makes this knowledge base's feed and entry ids unique: its URL, else its name."""
    return site_url if site_url else f"postmortem-kb:{site_name}"


def entry_id(identity: str, postmortem: Postmortem) -> str:
    """A postmortem's entry id: a name-based UUID of the site and the postmortem's id.

    It survives renaming the file (which changes the page URL) and differs between sites.
    """
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{identity}#{postmortem.id}')}"


def atom_feed(
    postmortems: Sequence[Postmortem],
    *,
    site_name: str,
    site_url: str | None,
    today: dt.date,
    limit: int,
    renderer: Renderer | None = None,
) -> str:
    """The Atom feed of the ``limit`` newest postmortems.

    Args:
        postmortems: every postmortem, newest first.
        site_name: the site's name, the feed's title and default author.
        site_url: the site's address, or ``None`` for relative links.
        today: the build date, the feed's ``updated`` time (midnight UTC).
        limit: how many postmortems the feed carries.
        renderer: the site's renderer, whose templates may override ``feed.xml.j2``.
    """
    base = site_url.rstrip("/") + "/" if site_url else ""
    identity = feed_identity(site_name, site_url)
    entries = [
        {
            "id": entry_id(identity, postmortem),
            "title": _text(f"{postmortem.severity}: {postmortem.title}"),
            "link": urljoin(base, postmortem.url) if base else postmortem.url,
            "date": _midnight(postmortem.date).isoformat(),
            "summary": _text(postmortem.summary.strip()),
            "authors": [_text(author) for author in postmortem.authors],
            "terms": [
                _text(term)
                for term in dict.fromkeys(
                    [postmortem.severity, postmortem.status, *postmortem.services, *postmortem.tags]
                )
            ],
        }
        for postmortem in postmortems[:limit]
    ]
    feed = {
        "id": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, identity)}",
        "title": _text(f"{site_name}: postmortems"),
        "author": _text(site_name) or "postmortem-kb",
        "updated": _midnight(today).isoformat(),
        "alternate": base or "./",
        "self": urljoin(base, FEED_PATH) if base else None,
    }
    return (renderer or Renderer()).render("feed.xml.j2", FEED_PATH, feed=feed, entries=entries)
