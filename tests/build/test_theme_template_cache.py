"""The theme's compiled templates are kept between builds: Material's and the package's
partials, never a ``custom_dir``'s, and the site is the same whether they were kept or not."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pytest
from mkdocs.utils import get_theme_dir

from kbtools import build, postmortem_text, use_custom_dir, write_kb
from postmortem_kb.rendering import template_cache


def entry(cache: Path, name: str, filename: Path) -> Path:
    """Where Jinja's ``FileSystemBytecodeCache`` keeps a template's compiled form."""
    key = hashlib.sha1(f"{name}|{filename}".encode()).hexdigest()
    return cache / f"__jinja2_{key}.cache"


def site_files(site: Path) -> dict[str, bytes]:
    return {str(path.relative_to(site)): path.read_bytes() for path in site.rglob("*.html")}


def test_materials_templates_are_compiled_once_and_a_custom_dirs_every_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714521600")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    root = write_kb(tmp_path / "kb", {"a.md": postmortem_text()})
    use_custom_dir(
        root, {"main.html": '{% extends "base.html" %}{% block announce %}Mine{% endblock %}'}
    )
    first = site_files(build(root, strict=True))
    caches = list((tmp_path / "tmp").glob("_jinja2-cache-*"))
    assert len(caches) == 1
    material = Path(get_theme_dir("material"))
    kept = entry(caches[0], "base.html", material / "base.html")
    assert kept.is_file()
    assert entry(caches[0], "partials/header.html", material / "partials" / "header.html").is_file()
    assert not entry(caches[0], "main.html", root / "overrides" / "main.html").exists()
    assert all(not path.read_bytes().count(str(root).encode()) for path in caches[0].iterdir()), (
        "a custom_dir's template was kept"
    )
    modified = kept.stat().st_mtime_ns
    second = site_files(build(root, strict=True))
    assert kept.stat().st_mtime_ns == modified  # loaded, not compiled and written again
    assert second == first
    assert "Mine" in (root / "site" / "postmortems" / "a" / "index.html").read_text()


def test_only_templates_under_the_given_folders_are_kept(tmp_path: Path) -> None:
    from jinja2 import Environment, FileSystemLoader

    kept_dir, other_dir, cache_dir = tmp_path / "kept", tmp_path / "other", tmp_path / "cache"
    for folder in (kept_dir, other_dir, cache_dir):
        folder.mkdir()
    (kept_dir / "a.html").write_text("a {{ 1 + 1 }}")
    (other_dir / "b.html").write_text("b {{ 2 + 2 }}")
    cache = template_cache([kept_dir], directory=str(cache_dir))
    environment = Environment(
        loader=FileSystemLoader([str(kept_dir), str(other_dir)]), bytecode_cache=cache
    )
    assert environment.get_template("a.html").render() == "a 2"
    assert environment.get_template("b.html").render() == "b 4"
    assert [path.name for path in cache_dir.iterdir()] == [
        entry(cache_dir, "a.html", kept_dir / "a.html").name
    ]
