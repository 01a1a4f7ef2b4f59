"""The navigation cache's key: pages with equal keys get equal links from MkDocs' ``url``."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st
from mkdocs.utils import normalize_url

from postmortem_kb.navigation import navigation_key, target_folders

PAGE_URLS = (
    "",
    "index.html",
    "a.html",
    "a/",
    "a/b/",
    "a/b.html",
    "a/b/c/",
    "a/b/c.html",
    "ab/",
    "b/",
    "b/a/",
    "v1.2/",
    "postmortems/",
    "postmortems/index.html",
    "postmortems/x/",
    "postmortems/y/",
    "postmortems/x/notes/",
    "postmortems/x.html",
    "postmortems/y.html",
)

TARGETS = (
    "",
    ".",
    "./",
    "a/",
    "a/b/",
    "a/b/c/",
    "a/b.html",
    "ab/",
    "b/",
    "index.html",
    "postmortems/",
    "postmortems/x/",
    "postmortems/x/notes/",
    "postmortems/x/../y/",
    "tags/",
    "../up/",
    "../../a/",
    "https://status.example.com/",
    "//cdn.example.com/x",
    "/absolute/",
    "#top",
    "assets/logo.svg",
)


@dataclass
class FakePage:
    url: str


def links(url: str, targets: tuple[str, ...]) -> list[str]:
    """What MkDocs' ``url`` filter gives for ``targets`` on a page at ``url``."""
    return [normalize_url(target, page=FakePage(url)) for target in targets]  # type: ignore[arg-type]


@settings(max_examples=300, derandomize=True)
@given(st.lists(st.sampled_from(TARGETS), min_size=1, max_size=6, unique=True))
def test_pages_with_equal_keys_get_equal_links(targets: list[str]) -> None:
    folders = target_folders(targets)
    by_key: dict[tuple[bool, tuple[str, ...]], list[str]] = {}
    for url in PAGE_URLS:
        expected = by_key.setdefault(navigation_key(url, folders), links(url, tuple(targets)))
        assert links(url, tuple(targets)) == expected, (url, targets)


def test_every_target_at_once() -> None:
    folders = target_folders(TARGETS)
    for first in PAGE_URLS:
        for second in PAGE_URLS:
            if navigation_key(first, folders) == navigation_key(second, folders):
                assert links(first, TARGETS) == links(second, TARGETS), (first, second)


def test_postmortem_pages_share_a_key_unless_a_target_is_in_their_folder() -> None:
    folders = target_folders(["", "postmortems/", "tags/", "postmortems/x/notes/"])
    x, y, z = (navigation_key(f"postmortems/{slug}/", folders) for slug in "xyz")
    assert y == z == (False, ("postmortems",))
    assert x == (True, ("postmortems", "x"))
    # Without directory URLs all postmortem pages sit in one folder, the same for all.
    assert navigation_key("postmortems/x.html", folders) == navigation_key(
        "postmortems/y.html", folders
    )


def test_urls_the_filter_leaves_alone_hold_no_folder() -> None:
    assert target_folders(["https://example.com/a/", "/a/", "#a", "//host/a"]) == frozenset()
    assert target_folders(["../a/b/"]) == {(), ("a",), ("a", "b")}
