"""Sanitize the HTML rendered from a postmortem's body: keep what Markdown makes, drop what runs.

A knowledge base takes Markdown from every engineer, and Python-Markdown passes raw HTML
through and makes links of any scheme: ``<script>``, ``onerror=``, ``javascript:`` hrefs and
``{: onclick=... }`` attributes would all run in readers' browsers. The rendered body is
cleaned with nh3 (the Python binding of the Rust crate ammonia, an allow-list sanitizer built
on an HTML5 parser) against an allow-list of what Markdown, its usual extensions and the
header card produce. Anything else is dropped, and ``<script>`` and ``<style>`` lose their
content too.
"""

from __future__ import annotations

import re

import nh3

ALLOWED_TAGS = frozenset(
    {
        *(f"h{level}" for level in range(1, 7)),
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "details",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "hr",
        "i",
        "img",
        "input",
        "ins",
        "kbd",
        "label",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
        "var",
        "wbr",
    }
)
"""Block and inline elements of Markdown output, admonitions, details, tabs, task lists,
footnotes, highlighted code and the header card."""

ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"class", "id", "title", "lang", "dir"},
    "a": {"href", "name", "rel"},
    "img": {"src", "alt", "width", "height", "loading"},
    "td": {"colspan", "rowspan", "align", "style"},
    "th": {"colspan", "rowspan", "align", "style", "scope"},
    "ol": {"start", "reversed"},
    "li": {"value"},
    "time": {"datetime"},
    "input": {"checked", "disabled", "name"},
    "label": {"for"},
    "details": {"open"},
    "div": {"data-tabs"},  # content tabs: the number of the set and of its tabs
    "col": {"span"},
    "colgroup": {"span"},
}

ALLOWED_ATTRIBUTE_VALUES: dict[str, dict[str, set[str]]] = {
    # Task lists and content tabs are checkboxes and radio buttons; no other input.
    "input": {"type": {"checkbox", "radio"}},
}

URL_SCHEMES = frozenset({"http", "https", "mailto"})
"""Schemes a link or an image may use; relative URLs and in-page anchors are kept too."""

STYLE_PROPERTIES = frozenset({"text-align"})
"""The one style Markdown tables write, for column alignment."""

# Material's page reads its configuration from the element with id "__config" and its
# drawer, search and table of contents from other "__" ids: an author's id must not clobber
# them. The "__" ids that Markdown extensions give code lines and tabs stay.
_EXTENSION_IDS = re.compile(r"__(codelineno|span|tabbed|code|fnref|fn)[-_:0-9a-z]*")


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    if attribute in ("id", "name", "for") and value.startswith("__"):
        return value if _EXTENSION_IDS.fullmatch(value) else None
    return value


_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    attributes=ALLOWED_ATTRIBUTES,
    attribute_filter=_keep_attribute,
    tag_attribute_values=ALLOWED_ATTRIBUTE_VALUES,
    url_schemes=set(URL_SCHEMES),
    filter_style_properties=set(STYLE_PROPERTIES),
    strip_comments=True,
    link_rel=None,
)
"""Built once: ``nh3.clean`` converts the allow-lists from Python on every call."""


def sanitize_html(html: str) -> str:
    """The HTML with every element, attribute and URL outside the allow-list removed.

    Args:
        html: an HTML fragment, as Python-Markdown renders a page's Markdown.

    Returns:
        The fragment as nh3 serialises it: the same content, minus what could run.
    """
    return _CLEANER.clean(html)
