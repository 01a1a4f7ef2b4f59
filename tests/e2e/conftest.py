"""Fixtures of the browser tests: the example knowledge base built and served once, Chromium."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, NoReturn

import pytest

from browsertools import (
    BUILD_EPOCH,
    CHROMIUM,
    INSTALL_HINT,
    Hostile,
    Reader,
    Site,
    SiteServer,
    build_site,
    copy_example,
    launch_chromium,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Runs before any script of a page: every payload below calls it, so a payload that runs,
# anywhere, leaves a trace the tests read back.
SENTINEL_JS = "window.__pmkbPwned = (where) => { (window.__pwned ||= []).push(where); };"


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The example knowledge base plus one hostile postmortem, built once and served."""
    root = copy_example(tmp_path_factory.mktemp("knowledge-base"))
    hostile = Hostile()
    (root / "postmortems" / f"{hostile.slug}.md").write_text(hostile.text(), "utf-8")
    site_dir = build_site(root, BUILD_EPOCH)
    data = json.loads((site_dir / "postmortems.json").read_text("utf-8"))
    with SiteServer(site_dir) as server:
        yield Site(server, site_dir, data, hostile)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _unavailable(reason: str) -> NoReturn:
    """In CI a missing browser fails the run; elsewhere the browser tests skip."""
    message = f"browser tests: {reason}; {INSTALL_HINT}"
    if _in_ci():
        pytest.fail(f"{message} (CI=true: the browser tests must run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed")
    if not CHROMIUM.is_file():
        _unavailable(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        try:
            chromium = launch_chromium(playwright)
        except PlaywrightError as error:
            _unavailable(f"Chromium at {CHROMIUM} did not start: {error.message}")
        yield chromium
        chromium.close()


@pytest.fixture
def open_reader(browser: Browser, site: Site) -> Iterator[Callable[[str], Reader]]:
    """Open readers (a fresh context and tab each) in a colour scheme; all closed at the end."""
    readers: list[Reader] = []

    def open_one(scheme: str = "light") -> Reader:
        reader = Reader.open(browser, site.server, scheme)
        reader.context.add_init_script(SENTINEL_JS)
        readers.append(reader)
        return reader

    yield open_one
    for reader in readers:
        reader.close()


@pytest.fixture
def reader(open_reader: Callable[[str], Reader]) -> Reader:
    """A reader in the light scheme."""
    return open_reader("light")
