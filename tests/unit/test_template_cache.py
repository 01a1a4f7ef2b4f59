"""Compiled templates are kept between runs, and an edited template is compiled again."""

from __future__ import annotations

from pathlib import Path

from postmortem_kb.rendering import Renderer, TemplateCache, default_template_cache


def _folders(tmp_path: Path, template: str) -> tuple[Path, Path]:
    """An empty cache folder, and a templates folder whose ``t.md.j2`` is ``template``."""
    cache_dir = tmp_path / "cache"
    cache_dir.mkdir()
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "t.md.j2").write_text(template)
    return cache_dir, overrides


def test_a_second_renderer_loads_compiled_templates(tmp_path: Path) -> None:
    cache_dir, overrides = _folders(tmp_path, "one {{ value }}\n")
    first = Renderer(overrides, template_cache=TemplateCache(str(cache_dir)))
    assert first.render("t.md.j2", "x.md", value=1) == "one 1\n"
    entries = sorted(cache_dir.iterdir())
    assert entries, "the compiled template was not kept"
    # An edited override is compiled again, not served from the cache.
    (overrides / "t.md.j2").write_text("two {{ value }}\n")
    second = Renderer(overrides, template_cache=TemplateCache(str(cache_dir)))
    assert second.render("t.md.j2", "x.md", value=2) == "two 2\n"


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    cache = TemplateCache(str(gone))
    gone.rmdir()  # the folder vanished: writing an entry fails
    overrides = tmp_path / "templates"
    overrides.mkdir()
    (overrides / "t.md.j2").write_text("still {{ value }}\n")
    renderer = Renderer(overrides, template_cache=cache)
    assert renderer.render("t.md.j2", "x.md", value=1) == "still 1\n"
    assert not gone.exists()


def test_a_corrupt_entry_is_compiled_again(tmp_path: Path) -> None:
    cache_dir, overrides = _folders(tmp_path, "ok {{ value }}\n")
    Renderer(overrides, template_cache=TemplateCache(str(cache_dir))).render(
        "t.md.j2", "x.md", value=1
    )
    for entry in cache_dir.iterdir():
        entry.write_bytes(b"garbage")
    renderer = Renderer(overrides, template_cache=TemplateCache(str(cache_dir)))
    assert renderer.render("t.md.j2", "x.md", value=3) == "ok 3\n"


def test_the_plugin_keeps_only_the_package_s_own_templates(tmp_path: Path) -> None:
    cache_dir, overrides = _folders(tmp_path, "override {{ value }}\n")
    cache = default_template_cache(str(cache_dir))
    renderer = Renderer(overrides, template_cache=cache)
    assert renderer.render("t.md.j2", "x.md", value=1) == "override 1\n"
    assert not list(cache_dir.iterdir()), "an override's compiled form was kept"
    renderer.env.get_template("browse/_macros.md.j2")  # one of the package's own
    assert len(list(cache_dir.iterdir())) == 1
    # Loaded back from the cache by a new renderer.
    again = Renderer(template_cache=default_template_cache(str(cache_dir)))
    assert again.env.get_template("browse/_macros.md.j2") is not None
