"""NavigationCache on a stand-in for Material's nav.html: when it shares, when it renders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from jinja2 import DictLoader, Environment
from mkdocs.utils.templates import url_filter

from postmortem_kb.navigation import NavigationCache, uses_material_navigation

# Reads the page as Material's does: through ``url`` and comparisons with nav items.
NAV_HTML = (
    "{% for item in nav.items %}"
    '<a href="{{ item.url | url }}"{% if item == page or item.active %} class="on"{% endif %}>'
    "{{ item.title }}</a>"
    "{% endfor %}{{ extra }}"
)


@dataclass(eq=False)
class Item:
    """A page of MkDocs' as the cache sees it: equal to another when of the same file."""

    title: str
    url: str
    active: bool = False
    children: list[Item] = field(default_factory=list)

    @property
    def file(self) -> SimpleNamespace:
        return SimpleNamespace(src_uri=self.url + "index.md")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Item) and other.file == self.file


@dataclass
class Nav:
    items: list[Any]


class Counting(NavigationCache):
    renders = 0

    def _render(self, context: Any) -> Any:
        Counting.renders += 1
        return super()._render(context)


@pytest.fixture
def material(tmp_path: Path) -> Path:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials/nav.html").write_text(NAV_HTML)
    return tmp_path


def render_all(
    material: Path, nav: Nav, pages: list[Item], extra: str = ""
) -> tuple[list[str], int]:
    """Each page's navigation through the cache, and how many renders it took."""
    env = Environment(loader=DictLoader({}))
    env.filters["url"] = url_filter
    cache = Counting(env, material, lambda page: True, enabled=True)
    env.globals["nav_cache"] = cache.render
    template = env.from_string("{{ nav_cache() }}")
    Counting.renders = 0
    html = [
        template.render(page=page, nav=nav, base_url="", extra=extra if index else "")
        for index, page in enumerate(pages)
    ]
    return html, Counting.renders


def uncached(nav: Nav, page: Item) -> str:
    env = Environment(loader=DictLoader({"nav.html": NAV_HTML}))
    env.filters["url"] = url_filter
    return env.get_template("nav.html").render(page=page, nav=nav, base_url="")


def postmortems(*slugs: str) -> list[Item]:
    return [Item(slug, f"postmortems/{slug}/") for slug in slugs]


def test_pages_outside_the_navigation_share_one_render(material: Path) -> None:
    nav = Nav([Item("Home", ""), Item("Tags", "tags/")])
    pages = postmortems("a", "b", "c")
    html, renders = render_all(material, nav, pages)
    assert renders == 1
    assert html == [uncached(nav, page) for page in pages]
    assert html[0] == '<a href="../..">Home</a><a href="../../tags/">Tags</a>'


def test_a_page_in_the_navigation_or_an_active_item_is_rendered_for_itself(
    material: Path,
) -> None:
    pages = postmortems("a", "b", "c")
    nav = Nav([Item("Home", ""), pages[1]])
    html, renders = render_all(material, nav, pages)
    assert renders == 2  # b, in the navigation, is never taken from nor put in the cache
    assert html == [uncached(nav, page) for page in pages]
    assert 'class="on"' in html[1]
    # Another object for b's file: equal to b, as Material's templates compare them.
    nav = Nav([Item("Home", ""), Item("B again", "postmortems/b/")])
    html, renders = render_all(material, nav, pages)
    assert renders == 2
    assert 'class="on"' in html[1]
    nav = Nav([Item("Home", "", active=True)])
    assert render_all(material, nav, pages)[1] == 3


def test_a_page_whose_folder_holds_a_target_gets_its_own_render(material: Path) -> None:
    nav = Nav([Item("Home", ""), Item("Notes", "postmortems/b/notes/")])
    pages = postmortems("a", "b", "c")
    html, renders = render_all(material, nav, pages)
    assert renders == 2
    assert html == [uncached(nav, page) for page in pages]
    assert 'href="notes/"' in html[1] and 'href="../b/notes/"' in html[2]


def test_other_links_on_a_later_page_stop_the_sharing(material: Path) -> None:
    # The stand-in links ``extra`` on every page but the first, against the premise. b,
    # whose folder holds a target, renders for itself and shows it: no page shares after.
    (material / "partials/nav.html").write_text(NAV_HTML + "{{ extra | url if extra }}")
    nav = Nav([Item("Notes", "postmortems/b/notes/")])
    html, renders = render_all(material, nav, postmortems("a", "b", "c", "d"), extra="x/")
    assert renders == 4
    assert html[3] == '<a href="../b/notes/">Notes</a>x/../../x/'


def test_an_override_outside_material_and_the_package_turns_sharing_off(tmp_path: Path) -> None:
    from jinja2 import FileSystemLoader

    ours, theirs, user = tmp_path / "ours", tmp_path / "material", tmp_path / "user"
    for folder, names in {
        ours: ["nav.html", "source.html"],
        theirs: ["nav.html", "nav-item.html", "logo.html", "source.html"],
        user: ["logo.html"],
    }.items():
        (folder / "partials").mkdir(parents=True)
        for name in names:
            (folder / "partials" / name).write_text("")
    env = Environment(loader=FileSystemLoader([str(ours), str(theirs)]))
    assert uses_material_navigation(env, (theirs, ours))
    env = Environment(loader=FileSystemLoader([str(user), str(ours), str(theirs)]))
    assert not uses_material_navigation(env, (theirs, ours))
