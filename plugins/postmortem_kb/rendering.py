"""One Jinja environment for every generated page: the user's templates first, then ours.

Templates write Markdown that carries raw HTML, so the environment autoescapes every value
for HTML, and the ``md`` filter also neutralises Markdown punctuation for the places where a
value lands in Markdown (headings, table cells, link text). URLs are built here, relative to
the page that links, because MkDocs does not rewrite links inside raw HTML.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import (
    BytecodeCache,
    ChoiceLoader,
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    PackageLoader,
    StrictUndefined,
    pass_context,
)
from jinja2.bccache import Bucket
from jinja2.runtime import Context
from markupsafe import Markup, escape

from postmortem_kb.analysis import format_minutes

_MARKDOWN_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")


def markdown_text(value: object) -> Markup:
    """A value as literal text in Markdown: every ASCII punctuation mark becomes an entity.

    Markdown and HTML read ``&#42;`` as a literal ``*``, so nothing in the value can open
    emphasis, a link, a table cell, an HTML tag or an entity. Line breaks become spaces.
    """
    return _markdown_text(value if type(value) is str else str(value))


@functools.lru_cache(maxsize=4096)
def _markdown_text(text: str) -> Markup:
    # Remembered: the indexes write the same services, tags and levels thousands of times.
    text = " ".join(text.split())
    return Markup(_MARKDOWN_PUNCTUATION.sub(lambda match: f"&#{ord(match.group())};", text))


def safe_href(value: object) -> str | None:
    """An external link only if it is http(s); anything else (``javascript:``...) is dropped."""
    text = str(value).strip()
    scheme = urlsplit(text).scheme.lower() if text else ""
    if scheme not in ("http", "https") or _SPACE_OR_CONTROL.search(text):
        return None
    return text


_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")
"""Whitespace (``str.isspace``, which ``\\s`` matches in ``str`` patterns) or a C0 control."""


def dest_url(src_uri: str, use_directory_urls: bool = True) -> str:
    """The URL of a page from its source path, as MkDocs would give it."""
    if not src_uri.endswith(".md"):
        return src_uri
    stem = src_uri[:-3]
    if stem == "index" or stem.endswith("/index"):
        return stem[:-5] if use_directory_urls else stem + ".html"
    return stem + "/" if use_directory_urls else stem + ".html"


def root_path(page_src_uri: str, use_directory_urls: bool = True) -> str:
    """The way up from a page to the site root: ``""``, ``"../"``, ``"../../"``..."""
    return "../" * dest_url(page_src_uri, use_directory_urls).count("/")


def site_path(src_uri: str, anchor: str = "", use_directory_urls: bool = True) -> str:
    """A page's URL from the site root, quoted, with an optional anchor (``""`` for the root)."""
    fragment = f"#{quote(anchor, safe='-_.:')}" if anchor else ""
    return quote(dest_url(src_uri, use_directory_urls), safe="/.-_~") + fragment


class Links:
    """Relative URLs from one page to the others: its way up to the site root, then theirs.

    Every link goes up to the root and down again (``../../postmortems/b/`` from
    ``postmortems/a/``, never ``../b/``), so that a target's part is the same from every
    page: a renderer shares ``paths`` between the pages it renders, and a link costs one
    concatenation (``posixpath.relpath`` for each of the 6,000 links of 1,000 postmortems'
    pages took a tenth of a second).
    """

    def __init__(
        self,
        page_src_uri: str,
        use_directory_urls: bool = True,
        paths: dict[tuple[str, str], str] | None = None,
    ) -> None:
        """Links from the page whose source path is ``page_src_uri``.

        ``paths`` keeps each target's part from the root, and may be shared between pages.
        """
        self.use_directory_urls = use_directory_urls
        self.root = root_path(page_src_uri, use_directory_urls)
        self._paths: dict[tuple[str, str], str] = {} if paths is None else paths

    def __call__(self, src_uri: str, anchor: str = "") -> str:
        """The URL of ``src_uri`` relative to this page, with an optional anchor."""
        path = self._paths.get((src_uri, anchor))
        if path is None:
            path = self._paths[(src_uri, anchor)] = site_path(
                src_uri, anchor, self.use_directory_urls
            )
        if not self.root and (not path or path.startswith("#")):
            return "./" + path  # the site root, from a page at the root
        return self.root + path


def template_loader(templates_dir: Path | None) -> ChoiceLoader:
    """Templates from ``templates_dir`` first, so a knowledge base can override ours."""
    loaders: list[FileSystemLoader | PackageLoader] = []
    if templates_dir is not None:
        loaders.append(FileSystemLoader(str(templates_dir)))
    loaders.append(PackageLoader("postmortem_kb", "templates"))
    return ChoiceLoader(loaders)


class TemplateCache(FileSystemBytecodeCache):
    """Jinja's compiled templates, kept between builds; a cache that cannot be written is
    skipped, never an error.

    Compiling the package's templates costs about 0.15 s of every build (and of every
    rebuild of ``mkdocs serve``); loading them compiled, a few milliseconds. Jinja keys each
    entry by the template's name and file and checks it against a hash of the template's
    source and the Python version, so an edited template is compiled again. With
    ``only_under``, only the templates whose files are in those folders are kept: a knowledge
    base's overrides (and every test's temporary ones) would otherwise add entries that
    nothing ever removes.
    """

    def __init__(
        self, directory: str | None = None, only_under: tuple[str, ...] | None = None
    ) -> None:
        """A cache in ``directory`` (Jinja's own folder by default), of the templates whose
        paths start with one of ``only_under`` (folders, each ending with a separator); of
        all templates when None."""
        super().__init__(directory)
        self.only_under = only_under
        self._passed_by: set[str] = set()

    def get_bucket(
        self, environment: Environment, name: str, filename: str | None, source: str
    ) -> Bucket:
        """The template's entry; an empty one, never stored, for a file not under ``only_under``."""
        if self.only_under is None or (filename or "").startswith(self.only_under):
            return super().get_bucket(environment, name, filename, source)
        bucket = Bucket(
            environment, self.get_cache_key(name, filename), self.get_source_checksum(source)
        )
        self._passed_by.add(bucket.key)
        return bucket

    def dump_bytecode(self, bucket: Bucket) -> None:
        """Write an entry, unless it is not to be kept or the folder cannot take it."""
        if bucket.key in self._passed_by:
            return
        with contextlib.suppress(OSError):
            super().dump_bytecode(bucket)


PACKAGE_TEMPLATES = str(resources.files("postmortem_kb").joinpath("templates"))
"""Where the package's own templates are (the only ones the plugin's cache keeps)."""


def default_template_cache(directory: str | None = None) -> BytecodeCache | None:
    """The cache of the package's compiled templates, in Jinja's own folder for this user in
    the temp directory (or in ``directory``).

    Jinja creates that folder readable by its owner only and refuses one that another user
    could write to (compiled templates are code). None when there is no such folder to use.
    Never in the knowledge base's repository, where a pull request could commit one.
    """
    return template_cache([Path(PACKAGE_TEMPLATES)], directory)


def template_cache(folders: Iterable[Path], directory: str | None = None) -> BytecodeCache | None:
    """A cache, as ``default_template_cache``'s, of the compiled templates in ``folders``.

    The plugin also gives one to the theme's Jinja environment, for Material's templates and
    its own partials (files of installed packages): MkDocs makes that environment afresh
    for every build and compiles every template it renders again, about 1.3 billion
    instructions (0.2 s) of each build and of each rebuild of ``mkdocs serve`` for
    Material's, counted with cachegrind at 300 postmortems. A ``custom_dir``'s templates
    are compiled as usual.
    """
    try:
        return TemplateCache(
            directory, only_under=tuple(str(folder).rstrip(os.sep) + os.sep for folder in folders)
        )
    except (OSError, RuntimeError):
        return None


class Renderer:
    """Renders the generated pages from templates."""

    def __init__(
        self,
        templates_dir: Path | None = None,
        use_directory_urls: bool = True,
        *,
        collect_islands: bool = False,
        template_cache: BytecodeCache | None = None,
    ) -> None:
        """Create the environment; templates in ``templates_dir`` override the package's.

        With ``collect_islands``, ``render`` sets every HTML island apart in ``islands``,
        keyed by the page it was rendered for (see ``html_island``); else islands stay inline.
        ``template_cache`` keeps compiled templates between runs (the plugin passes
        ``default_template_cache()``).
        """
        self.islands: dict[str, dict[str, str]] = {}
        self._paths: dict[tuple[str, str], str] = {}  # each target's URL from the root
        self.collect_islands = collect_islands
        self.use_directory_urls = use_directory_urls
        self.env = Environment(
            loader=template_loader(templates_dir),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            bytecode_cache=template_cache,
            # A renderer lives for one build: no template changes under it, and checking
            # each one's file on every render (1,000 postmortem pages) costs a stat each.
            auto_reload=False,
        )
        self.env.filters["md"] = markdown_text
        self.env.filters["minutes"] = format_minutes
        self.env.filters["safe_href"] = safe_href
        self.env.filters["css_token"] = css_token

        self.env.filters["html_island"] = html_island
        self.env.filters["page_head"] = page_head

    def links(self, page_src_uri: str) -> Links:
        """``link()`` for the page at ``page_src_uri``, sharing this renderer's paths."""
        return Links(page_src_uri, self.use_directory_urls, self._paths)

    def render(self, template: str, page_src_uri: str, **context: Any) -> str:
        """Render ``template`` for the page at ``page_src_uri``.

        Its HTML islands stay inline, or are set apart in ``islands[page_src_uri]`` when the
        renderer collects them.
        """
        links = self.links(page_src_uri)
        if self.collect_islands:
            context["_pmkb_islands"] = self.islands.setdefault(page_src_uri, {})
        return self.env.get_template(template).render(link=links, **context)

    def render_page(self, template: str, page_src_uri: str, **context: Any) -> RenderedPage:
        """Render ``template`` with its head and HTML islands set apart.

        See ``page_head`` and ``html_island``.
        """
        links = self.links(page_src_uri)
        islands: dict[str, str] = {}
        head: list[str] = []
        content = self.env.get_template(template).render(
            link=links, _pmkb_islands=islands, _pmkb_head=head, **context
        )
        return RenderedPage(content, islands, "".join(head))


@dataclass(frozen=True)
class RenderedPage:
    """A page's Markdown with its head and HTML islands set apart.

    Attributes:
        content: the Markdown, with a placeholder comment where each island goes.
        islands: placeholder to HTML, to put back into the page's HTML after Markdown.
        head: HTML that opens the page, before what Markdown makes of ``content``.
    """

    content: str
    islands: Mapping[str, str]
    head: str = ""


@pass_context
def html_island(context: Context, html: str) -> Markup:
    """Set a block of finished HTML apart from the Markdown around it.

    Python-Markdown runs every raw HTML block through its HTML parser just to pass it on
    unchanged: profiled, a postmortem's header card cost 0.7 ms of Markdown per page, and a
    generated index of thousands of rows far more. In a page rendered with ``render_page``
    the block becomes a placeholder comment, which Markdown passes through, and the plugin
    puts the HTML back in ``on_page_content``. The block must be complete HTML with no
    Markdown or headings in it (it gets no table-of-contents entry). Rendered with
    ``render``, the filter leaves the HTML where it is.
    """
    islands = context.get("_pmkb_islands")
    if islands is None:
        return Markup(html)
    token = hashlib.sha256(str(html).encode("utf-8")).hexdigest()[:16]
    placeholder = f"<!-- pmkb-island {len(islands)} {token} -->"
    islands[placeholder] = str(html)
    return Markup(placeholder)


@pass_context
def page_head(context: Context, html: str) -> Markup:
    """Set apart the finished HTML that opens a page, ahead of its Markdown.

    A postmortem page opens with its title, its header card and the line of search terms,
    all made from front matter and HTML already: Markdown would only parse them to pass
    them on (its HTML parser for each raw block, its inline patterns for the title's
    escaped punctuation), about 0.2 ms a page. In a page rendered with ``render_page`` the
    block leaves the Markdown, and the plugin puts it before the page's HTML in
    ``on_page_content``, where search still indexes it (``html_island``s inside it wait for
    ``on_post_page`` as usual). Markdown makes no table-of-contents entry for its headings;
    the plugin heads the table with a postmortem's title (``GeneratedPage.head_title``).
    Rendered with ``render``, the filter leaves the HTML where it is.
    """
    head = context.get("_pmkb_head")
    if head is None:
        return Markup(html)
    head.append(str(html))
    return Markup("")


_PLACEHOLDER = re.compile(r"<!-- pmkb-island \d+ [0-9a-f]{16} -->")


def restore_islands(html: str, islands: Mapping[str, str]) -> str:
    """Put each island back where Markdown left its placeholder."""
    return put_back_islands(html, islands)[0]


def put_back_islands(html: str, islands: Mapping[str, str]) -> tuple[str, set[str]]:
    """Put each island back where Markdown left its placeholder, in one pass over the page.

    Returns:
        The page, and the placeholders that had no place in it.
    """
    missing = set(islands)

    def island(match: re.Match[str]) -> str:
        placeholder = match.group(0)
        missing.discard(placeholder)
        return islands.get(placeholder, placeholder)

    return _PLACEHOLDER.sub(island, html), missing


def css_token(value: object) -> str:
    """A value reduced to a CSS class token (letters, digits, hyphens)."""
    return _css_token(value if type(value) is str else str(value))


@functools.lru_cache(maxsize=1024)
def _css_token(text: str) -> str:
    # Remembered: a few statuses and levels, on every row of every table.
    return _NOT_TOKEN.sub("-", text.lower()).strip("-") or "x"


_NOT_TOKEN = re.compile(r"[^a-z0-9-]+")


def escape_html(value: object) -> Markup:
    """HTML-escape a value (re-exported for modules that build small fragments)."""
    return escape(value)


def schema_fields(schema: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The fields of a postmortem schema as rows for the field reference."""
    rows: list[dict[str, Any]] = []
    final_required, final_item_required = _final_requirements(schema)

    def walk(node: Mapping[str, Any], prefix: str, required: set[str], final: set[str]) -> None:
        for name, sub in (node.get("properties") or {}).items():
            path = f"{prefix}{name}"
            kind = sub.get("type", "")
            if kind == "array" and isinstance(sub.get("items"), dict):
                item_type = sub["items"].get("type", "")
                kind = f"list of {item_type}s" if item_type else "list"
            if name in required:
                need = "yes"
            elif name in final:
                need = "when final"
            else:
                need = "no"
            rows.append(
                {
                    "path": path,
                    "type": kind,
                    "required": need,
                    "rules": _rules(sub),
                    "description": sub.get("description", ""),
                }
            )
            if sub.get("type") == "object":
                walk(sub, f"{path}.", set(sub.get("required", ())), set())
            items = sub.get("items")
            if isinstance(items, dict) and items.get("type") == "object":
                item_final = final_item_required if name == "action_items" else set()
                walk(items, f"{path}[].", set(items.get("required", ())), item_final)

    walk(schema, "", set(schema.get("required", ())), final_required)
    return rows


def _final_requirements(schema: Mapping[str, Any]) -> tuple[set[str], set[str]]:
    required: set[str] = set()
    item_required: set[str] = set()
    for clause in schema.get("allOf", ()):
        then = clause.get("then", {}) if isinstance(clause, dict) else {}
        required.update(then.get("required", ()))
        items = then.get("properties", {}).get("action_items", {}).get("items", {})
        item_required.update(items.get("required", ()))
    return required, item_required


def _rules(node: Mapping[str, Any]) -> str:
    parts: list[str] = []
    target = node.get("items") if node.get("type") == "array" else node
    if not isinstance(target, dict):
        target = {}
    if "enum" in target:
        parts.append("one of " + ", ".join(f"{value}" for value in target["enum"]))
    if "format" in target:
        parts.append(
            {
                "date": "a date YYYY-MM-DD",
                "date-time": "an RFC 3339 date-time with a time zone",
            }.get(target["format"], target["format"])
        )
    if "pattern" in target:
        parts.append(f"matches {target['pattern']}")
    if "minLength" in target and "maxLength" in target:
        parts.append(f"{target['minLength']} to {target['maxLength']} characters")
    elif "maxLength" in target:
        parts.append(f"at most {target['maxLength']} characters")
    if "minimum" in target:
        parts.append(f">= {target['minimum']}")
    if "maximum" in target:
        parts.append(f"<= {target['maximum']:,}")
    if "default" in target:
        parts.append(f"default {target['default']}")
    if node.get("type") == "array":
        if node.get("minItems"):
            parts.append(f"at least {node['minItems']} item(s)")
        if "maxItems" in node:
            parts.append(f"at most {node['maxItems']} items")
        if node.get("uniqueItems"):
            parts.append("no repeats")
    return "; ".join(parts)
