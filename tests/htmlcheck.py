"""Helpers for tests: read HTML as elements and attributes, and find what could run in it."""

from __future__ import annotations

import re
from html.parser import HTMLParser

MARKER = "pmkbXSS"
"""The payload marker: hostile values call ``pmkbXSS()``; it must never be live anywhere."""

_URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "srcdoc"})


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, tuple[tuple[str, str], ...]]] = []
        self.text: list[str] = []
        self.script_text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, tuple((name, value or "") for name, value in attrs)))
        self._in_script = tag in ("script", "style")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, tuple((name, value or "") for name, value in attrs)))

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.script_text if self._in_script else self.text).append(data)


def parse(html: str) -> _Collector:
    """The elements (tag, attributes) and the text of an HTML document or fragment."""
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def live_payloads(html: str, marker: str = MARKER) -> list[str]:
    """Every place where the marker could run: an element, attribute or URL, never text.

    An escaped payload (``&lt;script&gt;pmkbXSS()``) is text and passes; a ``<script>`` whose
    code names the marker, an ``on*`` attribute, a ``javascript:`` URL, an attribute or element
    named after the marker, or a ``style`` attribute holding it does not.
    """
    found: list[str] = []
    parsed = parse(html)
    lowered = marker.lower()
    for tag, attributes in parsed.elements:
        if lowered in tag.lower():
            found.append(f"element <{tag}>")
        for name, value in attributes:
            name = name.lower()
            compact = re.sub(r"[\s\x00-\x1f]+", "", value).lower()
            handler = name.startswith("on") or name == "style"
            script_url = name in _URL_ATTRIBUTES and compact.startswith(
                ("javascript:", "vbscript:")
            )
            if lowered in name or (handler and lowered in value.lower()) or script_url:
                found.append(f"<{tag} {name}={value[:80]!r}>")
    found.extend(
        f"script code {chunk.strip()[:80]!r}"
        for chunk in parsed.script_text
        if lowered in chunk.lower()
    )
    return found
