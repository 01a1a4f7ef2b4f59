"""Stable anchors for the generated pages' headings: ``## Name { #anchor }``.

The index pages give their sections fixed anchors (a tag's, a severity's, a service
section's), which links elsewhere point to. Python-Markdown's ``attr_list`` reads that
syntax, but it is a Markdown extension, so it would run over every element of every page
of the site: profiled over 1,000 postmortem pages, 0.16 s of a build that needs only a few
headings of a few pages. This treeprocessor reads the one form the templates write, and
only in headings at the top of a page's tree, where Markdown puts every ``#`` heading.

A site that enables ``attr_list`` itself keeps it: this runs first and leaves any other
attribute list (``{ .class }``, ``{ #id .class }``) to it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_ID_SUFFIX = re.compile(r"[ ]+\{[ ]*#([^\s{}#]+)[ ]*\}[ ]*$")
"""A heading's ending ``{ #anchor }``, as ``attr_list`` reads it (one id, nothing else)."""


class HeadingIdsExtension(Extension):
    """``## Name { #anchor }`` gives a heading its id (before the table of contents runs)."""

    def extendMarkdown(self, md: Markdown) -> None:
        """Register the treeprocessor just before ``attr_list`` (8) and ``toc`` (5)."""
        md.treeprocessors.register(HeadingIds(md), "pmkb_heading_ids", 9)


class HeadingIds(Treeprocessor):
    """Moves a top-level heading's ending ``{ #anchor }`` into its ``id``."""

    def run(self, root: etree.Element) -> None:
        """Look at each top-level heading's last text only."""
        for element in root:
            if element.tag not in _HEADINGS:
                continue
            # The heading's last text: the tail of its last inline child, else its own text.
            last = element[-1] if len(element) else None
            text = element.text if last is None else last.tail
            if not text or not text.endswith("}"):
                continue
            match = _ID_SUFFIX.search(text)
            if match is None:
                continue
            if last is None:
                element.text = text[: match.start()]
            else:
                last.tail = text[: match.start()]
            element.set("id", match.group(1))


def makeExtension(**kwargs: object) -> HeadingIdsExtension:
    """The entry Python-Markdown calls for ``postmortem_kb.heading_ids``."""
    return HeadingIdsExtension(**kwargs)
