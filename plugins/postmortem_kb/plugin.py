"""The ``postmortems`` MkDocs plugin: thin events that delegate to the package."""

from __future__ import annotations

import datetime as dt
import gc
import os
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urljoin

from jinja2 import Environment
from markupsafe import Markup, escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.structure.toc import AnchorLink, TableOfContents
from mkdocs.utils import get_relative_url, get_theme_dir
from mkdocs.utils.templates import TemplateContext

from postmortem_kb import translations
from postmortem_kb.browse import TAGS_URI, replace_markers
from postmortem_kb.config import PostmortemsConfig, settings_from_options
from postmortem_kb.feed import FEED_PATH
from postmortem_kb.indexes import MarkerIndex, browse_index, tag_anchor
from postmortem_kb.knowledge_base import KnowledgeBase, collector_paused, load_knowledge_base
from postmortem_kb.lint import RecurrenceNotices
from postmortem_kb.model import Problem
from postmortem_kb.navigation import GLOBAL_NAME, NavigationCache, uses_material_navigation
from postmortem_kb.rendering import (
    Renderer,
    default_template_cache,
    put_back_islands,
    template_cache,
)
from postmortem_kb.reporting import MAX_NOTICES_LISTED, with_deferred_notices
from postmortem_kb.sanitize import sanitize_html
from postmortem_kb.settings import ConfigurationError, Settings, build_date
from postmortem_kb.site import TITLE_ANCHOR, GeneratedPage, generate_site
from postmortem_kb.validation import SchemaValidator, load_schema

if TYPE_CHECKING:  # imported for its type only: it loads the whole development server
    from mkdocs.livereload import LiveReloadServer

log = get_plugin_logger(__name__)

HEADING_IDS = "postmortem_kb.heading_ids"
"""The Markdown extension that gives the index pages' headings their anchors."""

MAX_PROBLEMS_SHOWN = 200


class PostmortemsPlugin(BasePlugin[PostmortemsConfig]):
    """Loads, validates and publishes the postmortems of a knowledge base."""

    supports_multiple_instances = False

    def __init__(self) -> None:
        """Start with no state; ``on_config`` sets it for each build."""
        self._reset()

    def _reset(self) -> None:
        self.settings: Settings | None = None
        self.validator: SchemaValidator | None = None
        # The loaded knowledge base, while on_files makes the pages (then released).
        self.knowledge_base: KnowledgeBase | None = None
        self.today: dt.date | None = None
        self.pages: dict[str, GeneratedPage] = {}
        # The HTML islands still to put back, each dropped once back in its page.
        self.islands: dict[str, Mapping[str, str]] = {}
        # The heads of generated pages (see rendering.page_head), each dropped once placed.
        self.heads: dict[str, tuple[str, str | None]] = {}
        self.page_tags: dict[str, tuple[str, ...]] = {}
        self.renderer: Renderer | None = None
        self.browse: MarkerIndex | None = None
        self.tags_url: str | None = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        """Read the options, check the schema, and register the stylesheet."""
        self._reset()
        try:
            self.settings = settings_from_options(self.config, Path(config.config_file_path))
            self.validator = SchemaValidator(
                load_schema(self.settings.schema_path, self.settings.severities)
            )
            self.today = build_date()
        except ConfigurationError as error:
            raise PluginError(f"postmortems: {error}") from None
        docs_dir = Path(config.docs_dir).resolve()
        if (
            self.settings.postmortems_dir == docs_dir
            or docs_dir in self.settings.postmortems_dir.parents
        ):
            raise PluginError(
                "postmortems: postmortems_dir must be outside docs_dir, or MkDocs would publish "
                "the files a second time, unvalidated"
            )
        if "assets/pmkb.css" not in config.extra_css:
            config.extra_css.append("assets/pmkb.css")
        _add_theme_overrides(config)
        # The index pages give their sections anchors ({ #2025-q1 }), read by a narrow
        # extension rather than attr_list, which would walk every element of every page.
        if HEADING_IDS not in config.markdown_extensions:
            config.markdown_extensions.append(HEADING_IDS)
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Load and validate every postmortem, then add their pages and the generated ones.

        The cycle collector is paused meanwhile, then run once, and what survives is frozen
        until the build ends: loading and rendering make millions of objects, almost none in
        a cycle, and every collection during the rest of the build would walk them all again.
        Profiled at 1,000 postmortems, that took the build's collections from about 0.5 s to
        0.3 s of CPU.
        """
        # The collection frees the knowledge base: some of it is only reachable through cycles.
        with collector_paused(collect=True, freeze=True):
            return self._add_files(files, config)

    def on_post_build(self, config: MkDocsConfig) -> None:
        """Let the collector see everything again (``mkdocs serve`` builds many times)."""
        gc.unfreeze()

    def on_build_error(self, error: Exception) -> None:
        """As ``on_post_build``: a failed build must not leave objects frozen."""
        gc.unfreeze()

    def _add_files(self, files: Files, config: MkDocsConfig) -> Files:
        assert self.settings is not None and self.validator is not None and self.today
        try:
            knowledge_base = load_knowledge_base(
                self.settings, self.validator, self.today, defer_notices=True
            )
        except ConfigurationError as error:
            raise PluginError(f"postmortems: {error}") from None
        self._report(knowledge_base.problems, knowledge_base.deferred_notices)
        self.knowledge_base = knowledge_base
        renderer = Renderer(
            self.settings.templates_dir,
            config.use_directory_urls,
            collect_islands=True,
            template_cache=default_template_cache(),
        )
        self.renderer = renderer
        index = browse_index(knowledge_base.postmortems, self.settings, self.today)
        # The home page markers need only counts and rows: the postmortems can go.
        self.browse = index.markers()
        self.page_tags = {
            f"postmortems/{pm.slug}.md": pm.tags for pm in knowledge_base.postmortems if pm.tags
        }
        for page in generate_site(
            knowledge_base,
            self.settings,
            self.validator.schema,
            renderer,
            self.today,
            format_page=self.config.format_page,
            site_name=config.site_name,
            site_url=config.site_url,
            browse=index,
        ):
            existing = files.get_file_from_path(page.src_uri)
            if existing is not None:
                raise PluginError(
                    f"postmortems: docs/{page.src_uri} clashes with the page this plugin "
                    f"generates at that path: rename or remove docs/{page.src_uri}"
                )
            # Pages of the Browse section stay out of MkDocs' own navigation too: on_nav
            # places them, and an explicit nav that leaves them out raises no warning.
            inclusion = (
                InclusionLevel.NOT_IN_NAV
                if page.hidden_from_nav or page.nav_title
                else InclusionLevel.UNDEFINED
            )
            if page.write is not None:
                file = _written_into_site(config, page.src_uri, page.write)
                page = replace(page, write=None)  # what it wrote from can be freed
            else:
                file = File.generated(
                    config, page.src_uri, content=page.content, inclusion=inclusion
                )
            files.append(file)
            if page.html_islands:
                self.islands[page.src_uri] = page.html_islands
                page = replace(page, html_islands={})
            if page.html_head:
                self.heads[page.src_uri] = (page.html_head, page.head_title)
                page = replace(page, html_head="")
            self.pages[page.src_uri] = replace(page, content="")
            if page.src_uri == TAGS_URI:
                self.tags_url = file.url
        # Every page is made: the knowledge base itself is not needed for the rest of the
        # build (the browse index keeps what the home page markers show).
        self.knowledge_base = None
        return files

    def _report(
        self, problems: tuple[Problem, ...], deferred: RecurrenceNotices | None = None
    ) -> None:
        """Log warnings and notices, and fail on errors.

        Notices are listed as ``pmkb check`` lists them: all of them up to
        ``MAX_NOTICES_LISTED``, else counted in one line (a large knowledge base has thousands
        of recurrence notices, whose messages are then not even written).
        """
        errors = [problem for problem in problems if problem.level == "error"]
        for problem in problems:
            if problem.level == "warning":
                log.warning(str(problem))
        problems, counts = with_deferred_notices(problems, deferred)
        notices = [problem for problem in problems if problem.level == "notice"]
        if not counts and len(notices) <= MAX_NOTICES_LISTED:
            for problem in notices:
                log.info(str(problem))
        else:
            by_code = Counter(problem.code for problem in notices)
            by_code["PM501"] += sum(counts.values())
            tally = ", ".join(f"{code}: {count:,}" for code, count in sorted(by_code.items()))
            log.info(
                f"{by_code.total():,} notices not listed ({tally}): run 'pmkb check "
                "--notices' to list them, or 'pmkb check postmortems/FILE.md' for one file's"
            )
        if errors:
            shown = "\n".join(f"  {problem}" for problem in errors[:MAX_PROBLEMS_SHOWN])
            more = len(errors) - MAX_PROBLEMS_SHOWN
            tail = f"\n  ... and {more} more (run 'pmkb check' for all)" if more > 0 else ""
            files = len({problem.file for problem in errors})
            raise PluginError(
                f"postmortems: {len(errors)} error(s) in {files} file(s); nothing was "
                f"published:\n{shown}{tail}"
            )

    def on_nav(self, nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
        """Keep postmortem pages out of the navigation and add the "Browse" section.

        Readers reach postmortems through the indexes: Material renders the whole navigation
        into every page, so listing thousands of postmortems would make the build quadratic
        in their number. The index pages go into the section named by ``nav_section``,
        unless the user's own ``nav`` already lists them.
        """
        hidden = {uri for uri, page in self.pages.items() if page.hidden_from_nav}
        nav.items = _prune(nav.items, hidden)
        title = self.config.nav_section
        if title:
            listed = {page.file.src_uri for page in _pages_of(nav.items)}
            entries = sorted(
                (page for page in self.pages.values() if page.nav_title),
                key=lambda page: (page.nav_order, page.src_uri),
            )
            browse: list[Page] = []
            for entry in entries:
                file = files.get_file_from_path(entry.src_uri)
                if entry.src_uri in listed or file is None or not isinstance(file.page, Page):
                    continue
                file.page.title = escape(entry.nav_title)
                browse.append(file.page)
            if browse:
                _add_section(nav, str(escape(title)), browse)
        _relink(nav, files)
        return nav

    def on_env(self, env: Environment, /, *, config: MkDocsConfig, files: Files) -> Environment:
        """Share Material's navigation and translations between pages, where it can.

        Every postmortem and service page is outside the navigation, so Material's navigation
        renders alike for all of them: rendered once (see ``NavigationCache``), it took 0.04 s
        of CPU instead of 0.45 s at 1,000 postmortems, about 5% of the build. Not when a
        ``custom_dir`` overrides one of its templates, which may then read anything from
        the page. Material's texts (``lang.t``) are looked up once each (``translations.py``),
        and its compiled templates are kept between builds (``template_cache``).
        """
        if config.theme.name != "material":
            return env
        material = Path(get_theme_dir("material"))
        # Material's templates and the package's theme partials: files of installed packages.
        own = [material, Path(str(resources.files("postmortem_kb").joinpath("theme")))]
        if env.bytecode_cache is None:
            env.bytecode_cache = template_cache([*own, translations.build_templates()])
        env.globals[GLOBAL_NAME] = NavigationCache(
            env, material, self._shares_navigation, enabled=uses_material_navigation(env, own)
        ).render
        translations.install(env, material, own)
        return env

    def _shares_navigation(self, page: Page) -> bool:
        """Whether ``page`` is a postmortem's or a service's page (kept out of the navigation)."""
        generated = self.pages.get(page.file.src_uri)
        return generated is not None and generated.hidden_from_nav

    def on_page_markdown(
        self, markdown: str, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        """Give generated pages their metadata (title, tags) before other plugins read it."""
        generated = self.pages.get(page.file.src_uri)
        if generated is not None:
            page.meta.update(generated.meta)
            # MkDocs keeps its own copy of the Markdown (page.markdown): the file's text,
            # which nothing reads again, need not stay in memory to the end of the build.
            page.file.content_string = ""
        elif self.browse is not None and self.renderer is not None and self.settings:
            markdown = replace_markers(
                markdown, page.file.src_uri, self.browse, self.settings, self.renderer
            )
        return markdown

    @event_priority(50)
    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        """Sanitize the HTML of postmortem pages (option ``sanitize_html``); put their head first.

        Only postmortem pages take Markdown from authors; the site's own pages in ``docs/`` are
        left as written. It runs before other plugins' handlers, so that none of them
        (Material's typeset plugin copies headings into the table of contents) sees the
        author's HTML before it is cleaned. The head (the title, the header card and the
        search terms: see ``page_head``) is the plugin's own escaped HTML: it is not
        sanitized, and search indexes it with the rest.
        """
        generated = self.pages.get(page.file.src_uri)
        if generated is None:
            return html
        head, title = self.heads.pop(page.file.src_uri, ("", None))
        if title is not None:
            page.toc = _titled_toc(page.toc, title, TITLE_ANCHOR)
        if not self.config.sanitize_html or generated.source_path is None:
            return head + html
        # The sanitizer drops comments, and an island's placeholder is one: it crosses as text.
        # The islands are ours, escaped, and go in after this (on_post_page).
        islands = self.islands.get(page.file.src_uri, {})
        for placeholder in islands:
            html = html.replace(placeholder, _as_text(placeholder))
        html = sanitize_html(html)
        for placeholder in islands:
            html = html.replace(_as_text(placeholder), placeholder)
        return head + html

    # After Material's tags plugin (priority 0), which fills "tags" with chips that link
    # nowhere unless a tags listing exists: the chips of a postmortem lead to tags/ instead.
    @event_priority(-10)
    def on_page_context(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """Link a postmortem's tag chips to the tags page and its edit link to its real file."""
        tags = self.page_tags.get(page.file.src_uri)
        if tags:
            base = self.tags_url
            context["tags"] = [  # type: ignore[typeddict-unknown-key]
                TagChip(escape(tag), f"{base}#{tag_anchor(tag)}" if base else None) for tag in tags
            ]
        generated = self.pages.get(page.file.src_uri)
        if generated is None or generated.source_path is None:
            return context
        page.edit_url = _edit_url(config, generated.source_path)
        return context

    @event_priority(100)  # before plugins that rewrite the page, such as minifiers
    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        """Put back the HTML islands, and announce the feed in the page's head."""
        output = self._restore_islands(output, page)
        if self.settings is None or "</head>" not in output:
            return output
        href = get_relative_url(FEED_PATH, page.url)
        title = escape(f"{config.site_name}: postmortems")
        tag = (
            f'<link rel="alternate" type="application/atom+xml" title="{title}" '
            f'href="{escape(href)}">'
        )
        return output.replace("</head>", f"{tag}\n</head>", 1)

    def _restore_islands(self, output: str, page: Page) -> str:
        """Put back the HTML islands that skipped Markdown (see ``rendering.html_island``).

        They go into the finished page, after the search plugin has indexed its content:
        profiled, indexing each postmortem's header card cost more than the rest of the
        plugin together (Material's search parser handles every tag in Python). The
        template gives search the card's key terms instead, in one hidden line.
        """
        islands = self.islands.pop(page.file.src_uri, None) or {}
        if self.renderer is not None:  # the index pages' tables, the home page's markers
            islands = {**islands, **self.renderer.islands.pop(page.file.src_uri, {})}
        if not islands:
            return output
        output, missing = put_back_islands(output, islands)
        if missing:
            log.warning(
                f"the header card or a table of {page.file.src_uri} has no place in the "
                "page: a theme override or another plugin removed the page content's comments"
            )
        return output

    def on_serve(
        self, server: LiveReloadServer, config: MkDocsConfig, builder: Any
    ) -> LiveReloadServer:
        """Rebuild when a postmortem, the schema or a template override changes."""
        if self.settings is not None:
            server.watch(str(self.settings.postmortems_dir))
            server.watch(str(self.settings.schema_path))
            if self.settings.templates_dir is not None and self.settings.templates_dir.is_dir():
                server.watch(str(self.settings.templates_dir))
        return server


def _titled_toc(toc: TableOfContents, title: str, anchor: str) -> TableOfContents:
    """``toc`` under an entry for the page's title, as Markdown makes it for a ``# Title``."""
    entry = AnchorLink(title, anchor, 1)
    entry.children = list(toc)
    return TableOfContents([entry])


def _add_theme_overrides(config: MkDocsConfig) -> None:
    """Put the package's theme partials after the user's ``custom_dir``, before the theme's.

    The user's own overrides still win; the package's replace the theme's (the repository link,
    which would otherwise make every reader's browser call the Git host's API).
    """
    theme = config.theme
    overrides = str(resources.files("postmortem_kb").joinpath("theme"))
    if theme.name != "material" or overrides in theme.dirs:
        return
    position = 1 if theme.custom_dir else 0
    theme.dirs.insert(position, overrides)


def _written_into_site(config: MkDocsConfig, src_uri: str, write: Callable[[TextIO], None]) -> File:
    """A file written straight into the site folder (cleaned before ``on_files``).

    Its source is its destination, which MkDocs leaves in place when it copies the site's
    files: a large export is streamed to disk instead of being held as one string.
    """
    site_dir = Path(config.site_dir)
    path = site_dir.joinpath(*src_uri.split("/"))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as stream:
        write(stream)
    return File(src_uri, str(site_dir), str(site_dir), config.use_directory_urls)


def _as_text(placeholder: str) -> str:
    """An island's placeholder comment as plain text, which a sanitizer keeps."""
    return placeholder.removeprefix("<!-- ").removesuffix(" -->")


class TagChip:
    """A tag as Material's ``partials/tags.html`` renders it: a chip, linked when ``url``."""

    def __init__(self, name: Markup, url: str | None) -> None:
        """A chip named ``name`` (already HTML-escaped) that links to ``url``."""
        self.name = name
        self.url = url
        self.hidden = False
        self.type = None  # Material 9.5 reads it for the tag's icon.


def _pages_of(items: list[Any]) -> list[Page]:
    pages: list[Page] = []
    for item in items:
        if isinstance(item, Page):
            pages.append(item)
        elif isinstance(item, Section):
            pages.extend(_pages_of(item.children))
    return pages


def _add_section(nav: Navigation, title: str, pages: list[Page]) -> None:
    """Add ``pages`` to the top-level section ``title``, made after the home page if absent."""
    for item in nav.items:
        if isinstance(item, Section) and item.title == title:
            item.children.extend(pages)
            return
    section = Section(title, list(pages))
    first = nav.items[0] if nav.items else None
    if isinstance(first, Page) and first.is_homepage:
        nav.items.insert(1, section)
    else:
        nav.items.append(section)


def _relink(nav: Navigation, files: Files) -> None:
    """Recompute parents and previous/next links after the navigation changed.

    MkDocs sets them before ``on_nav``; pages that left or joined the navigation would keep
    stale ones otherwise.
    """
    for file in files.documentation_pages():
        if isinstance(file.page, Page):
            file.page.parent = None
            file.page.previous_page = None
            file.page.next_page = None

    def set_parents(items: list[Any], parent: Section | None) -> None:
        for item in items:
            item.parent = parent
            if isinstance(item, Section):
                set_parents(item.children, item)

    set_parents(nav.items, None)
    pages = _pages_of(nav.items)
    for number, page in enumerate(pages):
        page.previous_page = pages[number - 1] if number > 0 else None
        page.next_page = pages[number + 1] if number + 1 < len(pages) else None
    nav.pages = pages
    nav.homepage = next((page for page in pages if page.is_homepage), None)


def _prune(items: list[Any], hidden: set[str]) -> list[Any]:
    kept = []
    for item in items:
        if isinstance(item, Page) and item.file.src_uri in hidden:
            continue
        if isinstance(item, Section):
            item.children = _prune(item.children, hidden)
            if not item.children:
                continue
        kept.append(item)
    return kept


def _edit_url(config: MkDocsConfig, source: Path) -> str | None:
    """The edit URL of a file outside docs_dir, relative to where ``edit_uri`` points."""
    repo_url = config.repo_url
    edit_uri = config.edit_uri
    if not repo_url or not edit_uri:
        return None
    relative = Path(os.path.relpath(source.resolve(), Path(config.docs_dir).resolve()))
    base = urljoin(
        repo_url.rstrip("/") + "/", edit_uri if edit_uri.endswith("/") else edit_uri + "/"
    )
    return urljoin(base, relative.as_posix())
