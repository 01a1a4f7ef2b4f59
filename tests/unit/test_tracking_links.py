"""The tracking pages' helpers: links to postmortems computed once, the same as ``link``."""

from __future__ import annotations

import dataclasses

import pytest

from postmortem_kb.knowledge_base import load_knowledge_base
from postmortem_kb.model import Postmortem
from postmortem_kb.rendering import Links, Renderer
from postmortem_kb.settings import Settings
from postmortem_kb.site import postmortem_src_uri
from postmortem_kb.tracking import ACTION_ITEMS_PAGE, METRICS_PAGE, postmortem_hrefs
from trackerkb import write_tracker_kb


@pytest.fixture(scope="module")
def postmortem(tmp_path_factory: pytest.TempPathFactory) -> Postmortem:
    root = write_tracker_kb(tmp_path_factory.mktemp("tracker"))
    kb = load_knowledge_base(Settings(root=root, postmortems_dir=root / "postmortems"))
    return kb.postmortems[0]


@pytest.mark.parametrize("use_directory_urls", [True, False])
@pytest.mark.parametrize("page", [ACTION_ITEMS_PAGE, METRICS_PAGE, "index.md", "a/b/c.md"])
def test_postmortem_links_agree_with_link(
    postmortem: Postmortem, page: str, use_directory_urls: bool
) -> None:
    renderer = Renderer(use_directory_urls=use_directory_urls)
    href = postmortem_hrefs(renderer, page)
    links = Links(page, use_directory_urls)
    for slug in ("2024-01-10-a", "index", "with space", "ünïcode-#?%", "a/../b"):
        one = dataclasses.replace(postmortem, slug=slug)
        expected = links(postmortem_src_uri(one))
        assert href(one) == expected
        assert href(one) == expected  # the second time, from the cache


def test_postmortem_links_are_per_postmortem(postmortem: Postmortem) -> None:
    href = postmortem_hrefs(Renderer(), ACTION_ITEMS_PAGE)
    first = dataclasses.replace(postmortem, slug="first")
    second = dataclasses.replace(postmortem, slug="second")
    assert (href(first), href(second), href(first)) == (
        "../postmortems/first/",
        "../postmortems/second/",
        "../postmortems/first/",
    )
