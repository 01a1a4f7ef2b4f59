"""Material's texts are looked up once a build for each key, and the site changes by no byte.

The reference build gives the site a ``custom_dir`` holding a copy of Material's own
``partials/language.html``: it takes the place of the package's, so every call of
``lang.t`` runs Material's own macro, as without the plugin's cache.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment
from mkdocs.utils import get_theme_dir

from kbtools import build, postmortem_text, use_custom_dir, write_kb
from postmortem_kb import translations
from postmortem_kb.translations import TranslationCache

FEATURES = "[content.code.copy, content.action.edit, navigation.top, search.share]"


def write_site(root: Path, language: str, *, reference: bool) -> Path:
    postmortems = {
        f"{slug}.md": postmortem_text(id=f"PM-2024-{number:03}", title=f"Outage {slug}")
        for number, slug in enumerate("abc", start=1)
    }
    write_kb(root, postmortems, extra_config="repo_url: https://github.com/org/kb\n")
    theme = f"  name: material\n  language: {language}\n  features: {FEATURES}\n"
    text = (root / "mkdocs.yml").read_text()
    text = text.replace("  name: material\n  features: [content.action.edit]\n", theme)
    (root / "mkdocs.yml").write_text(text)
    if reference:
        language_template = Path(get_theme_dir("material")) / "partials" / "language.html"
        use_custom_dir(root, {"partials/language.html": language_template})
    return root


def site_files(site: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(site)): path.read_bytes()
        for path in site.rglob("*")
        if path.is_file() and path.suffix in (".html", ".json", ".xml")
    }


class LookupCounter:
    """Counts what the cache asks Material's macro, by language and key."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: Counter[tuple[str, str]] = Counter()
        self.modules = 0
        made = TranslationCache.__init__
        counter = self

        def counting_init(
            cache: TranslationCache, environment: Environment, material: Path
        ) -> None:
            made(cache, environment, material)
            make_module = cache._template.make_module

            def counting_module(variables: dict[str, Any]) -> Any:
                counter.modules += 1
                module = make_module(variables)
                language = variables["config"].theme["language"]
                t = module.t

                class Counted:
                    def t(self, key: str) -> Any:
                        counter.asked[(language, key)] += 1
                        return t(key)

                return Counted()

            cache._template.make_module = counting_module  # type: ignore[method-assign]

        monkeypatch.setattr(TranslationCache, "__init__", counting_init)


@pytest.mark.parametrize("language", ["en", "de", "ar", "ja"])
def test_every_page_is_byte_identical_to_materials_own_translations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, language: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714521600")
    counter = LookupCounter(monkeypatch)
    cached = build(write_site(tmp_path / "cached", language, reference=False), strict=True)
    assert counter.modules == 1
    assert counter.asked and set(counter.asked.values()) == {1}  # each key asked once
    assert {lang for lang, _ in counter.asked} == {language}
    asked = counter.asked.copy()
    reference = build(write_site(tmp_path / "reference", language, reference=True), strict=True)
    assert counter.asked == asked  # the reference never used the cache
    ours, theirs = site_files(cached), site_files(reference)
    assert sorted(ours) == sorted(theirs)
    assert [name for name in ours if ours[name] != theirs[name]] == []
    page = (cached / "postmortems/b/index.html").read_text(encoding="utf-8")
    assert f'<html lang="{language}"' in page
    assert '"clipboard.copy":' in page  # the texts Material's scripts read, in the page


def test_a_custom_dirs_translations_are_used_on_every_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = LookupCounter(monkeypatch)
    root = write_site(tmp_path, "en", reference=False)
    use_custom_dir(
        root,
        {
            "partials/language.html": "{% macro t(key) %}[{{ key }} on "
            "{{ page.file.src_uri if page else 'none' }}]{% endmacro %}"
        },
    )
    site = build(root)
    for slug in "abc":
        html = (site / f"postmortems/{slug}/index.html").read_text(encoding="utf-8")
        assert f"[action.skip on postmortems/{slug}.md]" in html
    assert counter.modules == 0


def test_only_the_builds_own_environment_gets_the_cache(tmp_path: Path) -> None:
    material = Path(get_theme_dir("material"))
    from mkdocs.config import load_config

    config = load_config(str(write_site(tmp_path, "de", reference=False) / "mkdocs.yml"))
    ours, other = config.theme.get_env(), config.theme.get_env()
    assert translations.install(ours, material, [material])
    assert translations.GLOBAL_NAME in ours.globals
    assert translations.GLOBAL_NAME not in other.globals
    source = '{% import "partials/language.html" as lang with context %}{{ lang.t("action.skip") }}'
    assert ours.from_string(source).render(config=config) == "Zum Inhalt"
    assert other.from_string(source).render(config=config) == "Zum Inhalt"
    # A plugin that switches the language within a build gets the texts of the new one.
    config.theme["language"] = "fr"
    assert ours.from_string(source).render(config=config) == "Aller au contenu"


def test_a_theme_without_materials_language_template_is_left_alone(tmp_path: Path) -> None:
    environment = Environment()
    assert not translations.install(environment, tmp_path, [tmp_path])
    assert translations.GLOBAL_NAME not in environment.globals
