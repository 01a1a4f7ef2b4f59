"""Helpers for the browser tests: build the example knowledge base, serve it, drive Chromium."""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

from kbtools import build, postmortem_text

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Playwright
    from playwright.sync_api import Request as BrowserRequest

REPO = Path(__file__).resolve().parents[1]

# The example's build date in the browser tests and the README's screenshots, 2026-12-01:
# some action items are overdue on it, some are due within a week.
BUILD_EPOCH = 1796083200

# Debian's chromium package; Playwright's own browser download is not needed (nor reachable).
CHROMIUM = Path(os.environ.get("PMKB_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI containers run as root
    "--disable-gpu",
    "--disable-dev-shm-usage",  # Docker gives /dev/shm 64 MB; Chromium then crashes on big pages
    "--disable-quic",
    "--no-first-run",
    # Without these, Chromium itself calls Google's update, sync and field-trial servers.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"  # git-ignored
INSTALL_HINT = (
    "install the browser with `apt-get install chromium` (or point PMKB_CHROMIUM at a "
    "Chromium binary) and Playwright with `pip install -e '.[test]'`; "
    "never `playwright install`, its download is not needed"
)


def copy_example(destination: Path) -> Path:
    """Copy the repository's example knowledge base (mkdocs.yml, docs/, postmortems/)."""
    destination.mkdir(parents=True, exist_ok=True)
    shutil.copy2(REPO / "mkdocs.yml", destination / "mkdocs.yml")
    for folder in ("docs", "postmortems"):
        shutil.copytree(REPO / folder, destination / folder)
    return destination


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def build_site(root: Path, source_date_epoch: int) -> Path:
    """Build a knowledge base strictly, with a fixed build date; returns the site folder."""
    with environment(SOURCE_DATE_EPOCH=str(source_date_epoch), NO_MKDOCS_2_WARNING="1"):
        return build(root, strict=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the test output free of one line per request."""

    def list_directory(self, path: Any) -> None:
        """A folder without index.html is a missing page, as on a real web server."""
        self.send_error(404, "No index.html here")


class SiteServer:
    """A built site served on 127.0.0.1 on a free port, from a background thread."""

    def __init__(self, site_dir: Path) -> None:
        """Bind the server; ``start`` (or ``with``) begins serving."""
        handler = functools.partial(_QuietHandler, directory=str(site_dir))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.block_on_close = False
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """The absolute URL of a site path such as ``postmortems/``."""
        return urljoin(self.base_url, path.lstrip("/"))

    def __enter__(self) -> SiteServer:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


def launch_chromium(playwright: Playwright) -> Browser:
    """Start the system's Chromium headless, with no network of its own."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class Reader:
    """One browser tab of a reader, recording every request and every console error.

    Requests to any host but the test server are refused (and recorded), so a test never
    waits on the network and a page that reaches out fails its checks.
    """

    context: BrowserContext
    page: Page
    server: SiteServer
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Browser, server: SiteServer, scheme: str = "light") -> Reader:
        """A fresh context (no stored palette or search state) and page in a colour scheme."""
        context = browser.new_context(viewport=VIEWPORT, color_scheme=scheme)  # type: ignore[arg-type]
        # Pages load from 127.0.0.1 in well under a second; fail fast rather than at 30 s.
        context.set_default_timeout(10_000)
        reader = cls(context, context.new_page(), server)
        context.route("**/*", reader._route)
        reader.page.on("request", reader._on_request)
        reader.page.on("console", reader._on_console)
        reader.page.on("pageerror", lambda error: reader.errors.append(f"pageerror: {error}"))
        return reader

    def _route(self, route: Any) -> None:
        if self.is_local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def _on_request(self, request: BrowserRequest) -> None:
        self.requests.append(request.url)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def is_local(self, url: str) -> bool:
        """Whether a URL stays on the test server (data: and blob: URLs never leave the page)."""
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        return parts.hostname == "127.0.0.1" and parts.port == self.server.port

    def foreign_requests(self) -> list[str]:
        """Every request so far to another host than the test server."""
        return sorted({url for url in self.requests if not self.is_local(url)})

    def goto(self, path: str) -> Page:
        """Open a site path, check it answered 200 and that Material's script ran."""
        response = self.page.goto(self.server.url(path), wait_until="load")
        assert response is not None, path
        assert response.status == 200, f"{path}: HTTP {response.status}"
        # Material's bundle sets this attribute when it starts; pages without it are broken.
        self.page.wait_for_selector("body[data-md-color-scheme]", state="attached")
        return self.page

    def assert_clean(self) -> None:
        """No request left the test server and the console shows no error."""
        assert self.foreign_requests() == [], "requests to other hosts"
        assert self.errors == [], "console errors"

    def screenshot(self, name: str, *, full_page: bool = True, folder: Path = SCREENSHOTS) -> Path:
        """Save a PNG of the page (the whole page by default); returns its path."""
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        return path

    def close(self) -> None:
        """Close the tab and its context."""
        self.context.close()


@dataclass(frozen=True)
class Hostile:
    """The hostile postmortem added to the test copy of the example (never to the repository)."""

    slug: str = "2026-11-28-hostile-input"
    id: str = "PM-2026-666"
    service: str = "search"
    title: str = (
        "Hostile <script>window.__pmkbPwned('title')</script>"
        '</title><img src=x onerror="window.__pmkbPwned(\'title-img\')"> & "quotes" | pipe'
    )
    summary: str = (
        "Hostile summary <script>window.__pmkbPwned('summary')</script> "
        "<img src=x onerror=\"window.__pmkbPwned('summary-img')\"> "
        "[a link](javascript:window.__pmkbPwned('summary-link')) | a | table | breaker"
    )
    action: str = "Quarantine <script>window.__pmkbPwned('action')</script> the sandbox"

    @property
    def url(self) -> str:
        """Its page's path."""
        return f"postmortems/{self.slug}/"

    def text(self) -> str:
        """The file: valid, with script payloads in every free-text field that is published."""
        return postmortem_text(
            id=self.id,
            title=self.title,
            date="2026-11-28",
            severity="SEV2",
            status="in-review",
            summary=self.summary,
            services=[self.service],
            tags=["security"],
            authors=["<img src=x onerror=\"window.__pmkbPwned('author')\">"],
            reviewers=["<script>window.__pmkbPwned('reviewer')</script>"],
            timeline={
                "started": "2026-11-28T10:00:00Z",
                "detected": "2026-11-28T10:05:00Z",
                "mitigated": "2026-11-28T10:30:00Z",
                "resolved": "2026-11-28T12:00:00Z",
            },
            impact={"description": "<script>window.__pmkbPwned('impact')</script>"},
            root_causes=[
                {
                    "category": "config-change",
                    "description": "<img src=x onerror=\"window.__pmkbPwned('cause')\">",
                }
            ],
            action_items=[
                {
                    "action": self.action,
                    "type": "prevent",
                    "priority": "P1",
                    "owner": "@<b onmouseover=\"window.__pmkbPwned('owner')\">team</b>",
                    "due": "2026-11-29",  # overdue on the build date
                    "status": "todo",
                }
            ],
        )


@dataclass(frozen=True)
class Site:
    """The built example knowledge base, served.

    Attributes:
        server: the running server.
        site_dir: the built site's folder.
        data: its ``postmortems.json``, the oracle for what pages must list.
        hostile: the hostile postmortem it includes.
    """

    server: SiteServer
    site_dir: Path
    data: dict[str, Any]
    hostile: Hostile

    def postmortems(self) -> list[dict[str, Any]]:
        """Every postmortem of the export, newest first."""
        return list(self.data["postmortems"])

    def by_id(self, identifier: str) -> dict[str, Any]:
        """One postmortem of the export."""
        return next(pm for pm in self.data["postmortems"] if pm["id"] == identifier)

    def pages(self) -> list[str]:
        """The path of every HTML page of the site, e.g. ``postmortems/x/``."""
        paths = []
        for index in sorted(self.site_dir.rglob("index.html")):
            relative = index.parent.relative_to(self.site_dir).as_posix()
            paths.append("" if relative == "." else relative + "/")
        return paths


# Colours: WCAG 2 contrast, computed from the browser's computed styles.

_RGB = re.compile(r"rgba?\(\s*([\d.]+)[,\s]+([\d.]+)[,\s]+([\d.]+)(?:\s*[,/]\s*([\d.]+%?))?\s*\)")
Colour = tuple[float, float, float, float]


def parse_colour(text: str) -> Colour:
    """A computed CSS colour (``rgb(...)`` or ``rgba(...)``) as red, green, blue, alpha."""
    match = _RGB.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an rgb() colour: {text!r}")
    red, green, blue, alpha = match.groups()
    opacity = 1.0
    if alpha is not None:
        opacity = float(alpha[:-1]) / 100 if alpha.endswith("%") else float(alpha)
    return float(red), float(green), float(blue), opacity


def composite(layers: list[str]) -> Colour:
    """The colour seen through stacked backgrounds, innermost first, over a white canvas."""
    red, green, blue = 255.0, 255.0, 255.0
    for layer in reversed(layers):
        r, g, b, a = parse_colour(layer)
        red, green, blue = (r * a + red * (1 - a), g * a + green * (1 - a), b * a + blue * (1 - a))
    return red, green, blue, 1.0


def luminance(colour: Colour) -> float:
    """WCAG relative luminance."""

    def channel(value: float) -> float:
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue, _ = colour
    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(foreground: Colour, background: Colour) -> float:
    """WCAG contrast ratio, 1 to 21; a translucent foreground is blended over the background."""
    r, g, b, a = foreground
    blended = (
        r * a + background[0] * (1 - a),
        g * a + background[1] * (1 - a),
        b * a + background[2] * (1 - a),
        1.0,
    )
    lighter, darker = sorted((luminance(blended), luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


# In the page: an element's text colour and the background layers behind it, innermost first.
COLOURS_JS = """
(elements) => elements.filter((el) => el.getClientRects().length > 0).map((el) => {
  const layers = [];
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const background = getComputedStyle(node).backgroundColor;
    if (background && background !== "rgba(0, 0, 0, 0)" && background !== "transparent") {
      layers.push(background);
    }
  }
  return {text: el.textContent.trim(), color: getComputedStyle(el).color, layers: layers};
})
"""


# Reading pages.

POSTMORTEM_PATH = re.compile(r"^postmortems/[^/]+/$")


def site_path(url: str) -> str:
    """The site path of an absolute URL: ``http://host/postmortems/x/?h=y#z`` -> ``postmortems/x/``."""
    return urlsplit(url).path.lstrip("/")


def links(page: Page, selector: str = ".md-content") -> list[str]:
    """The absolute URL of every link inside the first element matching ``selector``."""
    return list(
        page.locator(selector)
        .first.locator("a[href]")
        .evaluate_all("(anchors) => anchors.map((a) => a.href)")
    )


def postmortem_paths(urls: list[str]) -> list[str]:
    """The postmortem pages among URLs, as site paths, in order, each once."""
    paths = [site_path(url) for url in urls]
    return list(dict.fromkeys(path for path in paths if POSTMORTEM_PATH.match(path)))


# The links of the part of a page an anchor points at: the element itself, or when it is a
# heading, everything up to the next heading of the same or a higher level.
SECTION_LINKS_JS = """
(id) => {
  const target = document.getElementById(id);
  if (!target) return null;
  if (!/^H[1-6]$/.test(target.tagName)) {
    return [...target.querySelectorAll("a[href]")].map((a) => a.href);
  }
  const found = [];
  for (let node = target.nextElementSibling; node; node = node.nextElementSibling) {
    if (/^H[1-6]$/.test(node.tagName) && node.tagName <= target.tagName) break;
    if (node.matches("a[href]")) found.push(node.href);
    found.push(...[...node.querySelectorAll("a[href]")].map((a) => a.href));
  }
  return found;
}
"""


def click_link(page: Page, predicate: Any, selector: str = ".md-content") -> str:
    """Click the first link in ``selector`` whose absolute URL satisfies ``predicate``.

    Returns the URL clicked; fails listing the links seen when none matches.
    """
    anchors = page.locator(selector).first.locator("a[href]")
    urls = anchors.evaluate_all("(anchors) => anchors.map((a) => a.href)")
    for index, url in enumerate(urls):
        if predicate(url):
            anchors.nth(index).click()
            page.wait_for_load_state("load")
            return str(url)
    raise AssertionError(f"no matching link on {page.url} among {sorted(set(urls))}")


def search(reader: Reader, query: str) -> list[str]:
    """Type a query into Material's search box; the paths of the result pages, best first."""
    page = reader.page
    box = page.locator("input.md-search__input")
    box.fill(query)
    # Material reads the box on keyboard events; a fill alone is not a query.
    box.press("End")
    page.wait_for_selector(".md-search-result__item", timeout=10_000)
    hrefs = page.locator(".md-search-result__item > a").evaluate_all(
        "(anchors) => anchors.map((a) => a.href)"
    )
    return list(dict.fromkeys(site_path(href) for href in hrefs))


def broken_links(site_dir: Path, server: SiteServer, urls: list[str]) -> list[str]:
    """Links to the test server whose page is not in the built site or lacks the anchor."""
    broken = []
    for url in sorted(set(urls)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.port != server.port:
            continue
        target = site_dir / parts.path.lstrip("/")
        if parts.path.endswith("/"):
            target = target / "index.html"
        if not target.is_file():
            broken.append(url)
            continue
        fragment = unquote(parts.fragment)
        if fragment and target.suffix == ".html":
            html = target.read_text("utf-8")
            if f'id="{fragment}"' not in html and f"id={fragment} " not in html:
                broken.append(url)
    return broken


def heading(page: Page) -> str:
    """The text of the page's first ``h1``, without the permalink sign after it."""
    return str(
        page.locator(".md-content h1").first.evaluate(
            """(h1) => {
              const copy = h1.cloneNode(true);
              copy.querySelectorAll(".headerlink").forEach((link) => link.remove());
              return copy.textContent.trim();
            }"""
        )
    )
