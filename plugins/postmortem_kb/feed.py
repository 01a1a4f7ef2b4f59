"""The Atom feed of a knowledge base, ``feed.xml``, newest postmortems first (feedgen).

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

from feedgen.feed import FeedGenerator

from postmortem_kb.model import Postmortem

FEED_PATH = "feed.xml"

# XML 1.0 cannot carry most control characters, even escaped: lxml refuses them.
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
) -> str:
    """The Atom feed of the ``limit`` newest postmortems.

    Args:
        postmortems: every postmortem, newest first.
        site_name: the site's name, the feed's title and default author.
        site_url: the site's address, or ``None`` for relative links.
        today: the build date, the feed's ``updated`` time (midnight UTC).
        limit: how many postmortems the feed carries.
    """
    base = site_url.rstrip("/") + "/" if site_url else ""
    identity = feed_identity(site_name, site_url)
    generator = FeedGenerator()
    generator.id(f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, identity)}")
    generator.title(_text(f"{site_name}: postmortems"))
    generator.author({"name": _text(site_name) or "postmortem-kb"})
    generator.updated(_midnight(today))
    generator.generator("postmortem-kb")
    generator.link(href=base or "./", rel="alternate", type="text/html")
    if base:
        generator.link(href=urljoin(base, FEED_PATH), rel="self", type="application/atom+xml")
    for postmortem in postmortems[:limit]:
        entry = generator.add_entry(order="append")
        entry.id(entry_id(identity, postmortem))
        entry.title(_text(f"{postmortem.severity}: {postmortem.title}"))
        entry.link(href=urljoin(base, postmortem.url) if base else postmortem.url, rel="alternate")
        entry.published(_midnight(postmortem.date))
        entry.updated(_midnight(postmortem.date))
        entry.summary(_text(postmortem.summary.strip()))
        for author in postmortem.authors:
            entry.author({"name": _text(author)})
        terms = [postmortem.severity, postmortem.status, *postmortem.services, *postmortem.tags]
        for term in dict.fromkeys(terms):
            entry.category(term=_text(term))
    xml: bytes = generator.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return xml.decode("utf-8")
