"""The ``postmortems`` MkDocs plugin: thin events that delegate to the package."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from markupsafe import escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation, Section
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url
from mkdocs.utils.templates import TemplateContext

from postmortem_kb.config import PostmortemsConfig, settings_from_options
from postmortem_kb.feed import FEED_PATH
from postmortem_kb.knowledge_base import KnowledgeBase, load_knowledge_base
from postmortem_kb.model import Problem
from postmortem_kb.rendering import Renderer
from postmortem_kb.sanitize import sanitize_html
from postmortem_kb.settings import ConfigurationError, Settings, build_date
from postmortem_kb.site import GeneratedPage, generate_site
from postmortem_kb.validation import SchemaValidator, load_schema

log = get_plugin_logger(__name__)

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
        self.knowledge_base: KnowledgeBase | None = None
        self.today: dt.date | None = None
        self.pages: dict[str, GeneratedPage] = {}

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
        return config

    def on_files(self, files: Files, config: MkDocsConfig) -> Files:
        """Load and validate every postmortem, then add their pages and the generated ones."""
        assert self.settings is not None and self.validator is not None and self.today
        try:
            knowledge_base = load_knowledge_base(self.settings, self.validator, self.today)
        except ConfigurationError as error:
            raise PluginError(f"postmortems: {error}") from None
        self._report(knowledge_base.problems)
        self.knowledge_base = knowledge_base
        renderer = Renderer(self.settings.templates_dir, config.use_directory_urls)
        for page in generate_site(
            knowledge_base,
            self.settings,
            self.validator.schema,
            renderer,
            self.today,
            format_page=self.config.format_page,
            site_name=config.site_name,
            site_url=config.site_url,
        ):
            existing = files.get_file_from_path(page.src_uri)
            if existing is not None:
                raise PluginError(
                    f"postmortems: docs/{page.src_uri} clashes with the page this plugin "
                    f"generates at that path: rename or remove docs/{page.src_uri}"
                )
            inclusion = (
                InclusionLevel.NOT_IN_NAV if page.hidden_from_nav else InclusionLevel.UNDEFINED
            )
            files.append(
                File.generated(config, page.src_uri, content=page.content, inclusion=inclusion)
            )
            self.pages[page.src_uri] = page
        return files

    def _report(self, problems: tuple[Problem, ...]) -> None:
        errors = [problem for problem in problems if problem.level == "error"]
        for problem in problems:
            if problem.level == "warning":
                log.warning(str(problem))
            elif problem.level == "notice":
                log.info(str(problem))
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
        """Keep postmortem pages out of the navigation: readers reach them through indexes.

        Material renders the whole navigation into every page, so listing thousands of
        postmortems would make the build quadratic in their number.
        """
        hidden = {uri for uri, page in self.pages.items() if page.hidden_from_nav}
        nav.items = _prune(nav.items, hidden)
        return nav

    def on_page_markdown(
        self, markdown: str, page: Page, config: MkDocsConfig, files: Files
    ) -> str:
        """Give generated pages their metadata (title, tags) before other plugins read it."""
        generated = self.pages.get(page.file.src_uri)
        if generated is not None:
            page.meta.update(generated.meta)
        return markdown

    @event_priority(50)
    def on_page_content(
        self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files
    ) -> str | None:
        """Sanitize the HTML of postmortem pages (option ``sanitize_html``).

        Only postmortem pages take Markdown from authors; the site's own pages in ``docs/``
        are left as written. It runs before other plugins' handlers, so that none of them
        (Material's typeset plugin copies headings into the table of contents) sees the
        author's HTML before it is cleaned.
        """
        generated = self.pages.get(page.file.src_uri)
        if not self.config.sanitize_html or generated is None or generated.source_path is None:
            return html
        return sanitize_html(html)

    def on_page_context(
        self, context: TemplateContext, /, *, page: Page, config: MkDocsConfig, nav: Navigation
    ) -> TemplateContext:
        """Point a postmortem's edit link at its real file."""
        generated = self.pages.get(page.file.src_uri)
        if generated is None or generated.source_path is None:
            return context
        page.edit_url = _edit_url(config, generated.source_path)
        return context

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str:
        """Announce the feed in every page's head, where browsers and feed readers look."""
        if self.settings is None or "</head>" not in output:
            return output
        href = get_relative_url(FEED_PATH, page.url)
        title = escape(f"{config.site_name}: postmortems")
        tag = (
            f'<link rel="alternate" type="application/atom+xml" title="{title}" '
            f'href="{escape(href)}">'
        )
        return output.replace("</head>", f"{tag}\n</head>", 1)

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
