"""Take the README's screenshots of the example knowledge base: ``make screenshots``.

Unlike the browser tests, this builds the example exactly as it is in the repository (no
hostile postmortem), and shoots the first screen of a page rather than the whole page.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from browsertools import (
    BUILD_EPOCH,
    REPO,
    Reader,
    SiteServer,
    build_site,
    copy_example,
    launch_chromium,
)

FOLDER = REPO / "docs" / "assets" / "screenshots"

# (file name, site path, colour scheme)
SHOTS = [
    ("postmortem", "postmortems/2026-06-18-site-unreachable-after-dns-records-recreated/", "light"),
    ("metrics", "metrics/", "dark"),
]


def main() -> None:
    """Build the example, serve it, and save each screenshot into docs/assets/screenshots/."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as temporary:
        site_dir = build_site(copy_example(Path(temporary) / "example"), BUILD_EPOCH)
        with SiteServer(site_dir) as server, sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            for name, path, scheme in SHOTS:
                reader = Reader.open(browser, server, scheme)
                reader.goto(path)
                reader.page.wait_for_load_state("networkidle")
                saved = reader.screenshot(name, full_page=False, folder=FOLDER)
                reader.assert_clean()
                reader.close()
                print(f"{saved.relative_to(REPO)}: {saved.stat().st_size // 1024} KiB")
            browser.close()


if __name__ == "__main__":
    main()
