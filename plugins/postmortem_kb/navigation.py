"""Material's navigation, rendered once for the pages outside it rather than into each one."""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, Template, TemplateNotFound, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

GLOBAL_NAME = "pmkb_navigation"
"""The template global that the package's ``partials/nav.html`` calls."""

NAVIGATION_TEMPLATE = "partials/nav.html"

# Every template Material's navigation renders for a page outside it (the current page's
# table of contents, partials/toc.html, only for the page it lists). A user's override of
# any of them could read anything from the page.
NAVIGATION_PARTIALS = (
    NAVIGATION_TEMPLATE,
    "partials/nav-item.html",
    "partials/logo.html",
    "partials/source.html",
)


class NavigationCache:
    """Renders Material's ``partials/nav.html``, once for all the pages that would get it alike.

    Material renders the whole navigation into every page. For a page outside the
    navigation, that HTML depends on the page only through the ``url`` filter (links
    relative to the page) and through comparisons with the page (``nav_item == page``,
    ``index == page``, ``page in nav_item.pages``), which are all false, as is every item's
    ``active``: the same control flow for every such page, so the same links in the same
    order, which the first render records.

    MkDocs makes a link relative to the page's folder D. From D, a link to a target that is
    neither D nor inside it climbs out of D first (``../`` then the way from D's parent), so
    it depends only on D's parent. The key of a page is then D's parent, or D itself when a
    recorded target is D or inside it (D the site root included): postmortem pages
    (``postmortems/<slug>/``) share one key unless a navigation entry sits in one's folder,
    and service pages (``services/<slug>/``) another.

    Only pages that ``shares_navigation`` accepts and that are outside the navigation are
    served from the cache, and only while ``enabled`` (Material's own templates render the
    navigation, see ``uses_material_navigation``); any other page is rendered as usual. It
    lives for one build, as the Jinja environment it is made for.
    """

    def __init__(
        self,
        environment: Environment,
        material_dir: Path,
        shares_navigation: Callable[[Any], bool],
        *,
        enabled: bool,
    ) -> None:
        """Load Material's ``partials/nav.html`` from ``material_dir`` into ``environment``.

        Args:
            environment: The theme's Jinja environment of this build.
            material_dir: Material's ``templates`` folder: its ``nav.html`` is loaded from
                there, under its own name, while the package's override takes that name in
                the theme; what it includes resolves through the theme as usual.
            shares_navigation: Whether a page (the template context's ``page``) may share
                the rendered navigation with others.
            enabled: False to render the navigation for every page.
        """
        self._environment = environment
        self._template = material_template(environment, material_dir, NAVIGATION_TEMPLATE)
        self._shares_navigation = shares_navigation
        self._enabled = enabled
        self._nav: Any = None
        self._items: tuple[Any, ...] = ()
        self._listed: frozenset[str] = frozenset()
        self._targets: tuple[str, ...] | None = None
        self._target_folders: frozenset[tuple[str, ...]] = frozenset()
        self._rendered: dict[tuple[bool, tuple[str, ...]], Markup] = {}

    @pass_context
    def render(self, context: Context) -> Markup:
        """The navigation for the page of ``context``, reused from an earlier equal one.

        Args:
            context: The context of the template that includes the navigation: the page's
                context and the including block's variables, as an include passes them.
        """
        page = context.get("page")
        if not self._enabled or page is None or not self._shares_navigation(page):
            return self._render(context)[0]
        if not self._outside(page, context.get("nav")):
            return self._render(context)[0]
        key = None if self._targets is None else navigation_key(page.url, self._target_folders)
        cached = self._rendered.get(key) if key is not None else None
        if cached is not None:
            return cached
        html, targets = self._render(context)
        if self._targets is None:
            self._targets = targets
            self._target_folders = target_folders(targets)
            key = navigation_key(page.url, self._target_folders)
        elif targets != self._targets:
            # This page got other links: the premise above failed (a new Material?), so
            # stop sharing rather than serve a wrong navigation.
            self._enabled = False
            self._rendered.clear()
            return html
        assert key is not None
        self._rendered[key] = html
        return html

    def _outside(self, page: Any, nav: Any) -> bool:
        """Whether nothing in the navigation is ``page``, lists it, or is active.

        Material compares pages with ``==``, which for MkDocs' pages means the same file:
        a page whose file's path no navigation entry has is none of them.
        """
        if nav is not self._nav:  # one navigation a build: looked through once
            self._nav = nav
            self._items = tuple(_flatten(getattr(nav, "items", None) or ()))
            listed = list(self._items)
            for item in self._items:
                listed.extend(getattr(item, "pages", None) or ())  # a blog's views
            self._listed = frozenset(filter(None, map(_src_uri, listed)))
        src_uri = _src_uri(page)
        return (
            src_uri is not None
            and src_uri not in self._listed
            and not any(getattr(item, "active", False) for item in self._items)
        )

    def _render(self, context: Context) -> tuple[Markup, tuple[str, ...]]:
        """Material's navigation for the page of ``context``, and the links given to ``url``.

        The ``url`` filter is swapped for one that records its arguments while the
        navigation renders: compiled templates look filters up when they start rendering,
        and the navigation's templates render entirely inside this call.
        """
        filters = self._environment.filters
        url = filters["url"]
        targets: dict[str, None] = {}

        @pass_context
        def recording_url(context: Context, value: Any) -> Any:
            targets[str(value)] = None
            return url(context, value)

        filters["url"] = recording_url
        try:
            html = self._template.render(context.get_all())
        finally:
            filters["url"] = url
        return Markup(html), tuple(targets)


def uses_material_navigation(environment: Environment, own_dirs: Iterable[Path]) -> bool:
    """Whether every template of the navigation is Material's or one of ``own_dirs``'.

    A ``custom_dir`` that overrides one of them may read anything from the page, so its
    output cannot be shared between pages.

    Args:
        environment: The theme's Jinja environment.
        own_dirs: Material's ``templates`` folder and the package's theme overrides.
    """
    folders = list(own_dirs)
    return all(template_in(environment, name, folders) for name in NAVIGATION_PARTIALS)


def material_template(environment: Environment, material_dir: Path, name: str) -> Template:
    """Material's own template ``name``, loaded from ``material_dir`` into ``environment``.

    The package's override takes that name in the theme; loaded from Material's folder, the
    template keeps its own, and what it includes or imports resolves through the theme as
    usual.
    """
    return FileSystemLoader(str(material_dir)).load(
        environment, name, environment.make_globals(None)
    )


def template_in(environment: Environment, name: str, folders: Iterable[Path]) -> bool:
    """Whether the template ``name`` of ``environment`` is a file in one of ``folders``.

    Args:
        environment: The theme's Jinja environment.
        name: The template's name (``partials/nav.html``).
        folders: Material's ``templates`` folder and the package's theme overrides, say.
    """
    loader = environment.loader
    if loader is None:
        return False
    try:
        _, filename, _ = loader.get_source(environment, name)
    except TemplateNotFound:
        return False
    if filename is None:
        return False
    path = Path(filename).resolve()
    return any(path.is_relative_to(folder.resolve()) for folder in folders)


def navigation_key(url: str, folders: frozenset[tuple[str, ...]]) -> tuple[bool, tuple[str, ...]]:
    """The folder that the links from a page at ``url`` depend on, and whether it is its own.

    Two pages with equal keys get equal links to every target (see ``NavigationCache``).

    Args:
        url: The page's URL (``page.url``).
        folders: The ``target_folders`` of the links.
    """
    folder = _page_folder(url)
    if not folder or folder in folders:
        return True, folder
    return False, folder[:-1]


def target_folders(targets: Iterable[str]) -> frozenset[tuple[str, ...]]:
    """Every folder that holds or is one of ``targets``, each as its parts (``()``: the root).

    Args:
        targets: The values given to the ``url`` filter.
    """
    return frozenset(folder for target in targets for folder in _folders(target))


def _flatten(items: Iterable[Any]) -> Iterator[Any]:
    for item in items:
        yield item
        yield from _flatten(getattr(item, "children", None) or ())


def _src_uri(item: Any) -> str | None:
    return getattr(getattr(item, "file", None), "src_uri", None)


def _page_folder(url: str) -> tuple[str, ...]:
    """The folder MkDocs makes links relative to, for a page at ``url``.

    As ``mkdocs.utils.get_relative_url``: the last part is dropped when it has a dot.
    """
    folder, _, name = url.rpartition("/")
    return _parts(folder if "." in name else url)


def _folders(target: str) -> list[tuple[str, ...]]:
    """The target of a link and every folder above it, up to the site root (``()``).

    Nothing for a URL that the ``url`` filter leaves as it is, the same from every page
    (as ``mkdocs.utils.normalize_url``: with a scheme or host, or starting with ``/`` or
    ``#``). Its leading ``../`` parts, which the filter keeps, do not depend on the page.
    """
    target = target.replace("\\", "/") or "."
    split = urlsplit(target)
    if split.scheme or split.netloc or target.startswith(("/", "#")):
        return []
    parts = _parts(target)
    return [parts[:length] for length in range(len(parts) + 1)]


def _parts(path: str) -> tuple[str, ...]:
    """A site path's parts, normalized as ``mkdocs.utils`` does (``..`` stops at the root)."""
    normalized = posixpath.normpath("/" + path)[1:]
    return tuple(normalized.split("/")) if normalized else ()
