"""Invariants over generated knowledge bases of hundreds of files.

- Every file in the postmortems folder is published and listed in every index it belongs to,
  or the build fails naming it.
- Nothing is written outside the site folder (and nothing into docs/).
- Two builds of the same input with the same SOURCE_DATE_EPOCH are byte-identical.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from click.testing import CliRunner
from mkdocs.exceptions import Abort, PluginError

from kbgen import generate, with_bad_files
from kbtools import build, write_kb
from postmortem_kb.cli import main
from postmortem_kb.knowledge_base import load_knowledge_base
from postmortem_kb.settings import Settings

SEED = 20240315
COUNT = 300
EPOCH = "1712448000"  # 2024-04-07


def links_of(site: Path, page: Path) -> set[str]:
    """The site paths (``postmortems/x/``) that a page links to."""
    base = "https://site.invalid/" + page.parent.relative_to(site).as_posix() + "/"
    targets = set()
    for href in re.findall(r'href="([^"]*)"', page.read_text(encoding="utf-8")):
        url = urlsplit(urljoin(base, href))
        if url.netloc == "site.invalid":
            path = unquote(url.path).lstrip("/")
            targets.add(path[: -len("index.html")] if path.endswith("index.html") else path)
    return targets


# Index pages and which postmortems each must list; a page that does not exist (yet) is
# skipped, so the test grows with the site.
INDEXES: dict[str, Any] = {
    "postmortems/index.html": lambda pm: True,
    "severity/index.html": lambda pm: True,
    "tags/index.html": lambda pm: bool(pm.get("tags")),
    "action-items/index.html": lambda pm: bool(pm.get("action_items")),
}


@pytest.fixture(scope="module")
def generated_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_kb(tmp_path_factory.mktemp("kb"), generate(SEED, COUNT))


def test_every_file_is_published_and_listed_in_its_indexes(
    generated_kb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    site = build(generated_kb, strict=True)
    files = sorted(p for p in (generated_kb / "postmortems").rglob("*") if p.is_file())
    assert len(files) == COUNT
    data = json.loads((site / "postmortems.json").read_text(encoding="utf-8"))
    by_url = {pm["url"]: pm for pm in data["postmortems"]}
    search = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    searchable = {doc["location"] for doc in search["docs"]}
    expected_urls = {f"postmortems/{path.stem}/" for path in files}
    assert set(by_url) == expected_urls
    for url in expected_urls:
        assert (site / url / "index.html").is_file(), url
        assert url in searchable, url
    for index, belongs in INDEXES.items():
        page = site / index
        if not page.is_file():
            continue
        targets = links_of(site, page)
        missing = [url for url, pm in by_url.items() if belongs(pm) and url not in targets]
        assert missing == [], f"{index} does not list {missing[:5]}"
    services = site / "services"
    service_pages = list(services.rglob("index.html")) if services.is_dir() else []
    if service_pages:
        linked = set().union(*(links_of(site, page) for page in service_pages))
        assert expected_urls <= linked, sorted(expected_urls - linked)[:5]


def test_bad_files_fail_the_build_naming_exactly_them(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = generate(SEED + 1, COUNT)
    bad = with_bad_files(files, SEED + 1)
    root = write_kb(tmp_path, files)
    settings = Settings(root=root, postmortems_dir=root / "postmortems")
    knowledge_base = load_knowledge_base(settings)
    failed = {problem.file for problem in knowledge_base.errors}
    assert failed == {f"postmortems/{name}" for name in bad}
    built = {postmortem.file for postmortem in knowledge_base.postmortems}
    assert {f"postmortems/{name}" for name in files if name not in bad} <= built
    with pytest.raises((Abort, PluginError)), caplog.at_level(logging.ERROR):
        build(root)
    for name in bad:
        assert f"  postmortems/{name}" in caplog.text, name
    assert f"in {len(bad)} file(s); nothing was published" in caplog.text
    assert not (root / "site" / "postmortems.json").exists()


def snapshot(root: Path, skip: Path) -> dict[str, tuple[int, int, str]]:
    """Every file and folder under root, except ``skip``: size, mtime and content hash."""
    state = {}
    for directory, dirnames, filenames in os.walk(root):
        here = Path(directory)
        if here == skip or skip in here.parents:
            dirnames.clear()
            continue
        for name in dirnames + filenames:
            path = here / name
            if path == skip:
                continue
            info = path.lstat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""
            state[path.relative_to(root).as_posix()] = (info.st_size, info.st_mtime_ns, digest)
    return state


def test_nothing_is_written_outside_the_site_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    root = write_kb(tmp_path / "kb", generate(SEED + 2, 40))
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (root / "site").mkdir()  # MkDocs empties the site folder; it is the one place it may write
    before = snapshot(tmp_path, tmp_path / "kb" / "site")
    site = build(root, strict=True)
    config = str(root / "mkdocs.yml")
    assert CliRunner().invoke(main, ["check", "-f", config, "--no-cache"]).exit_code == 0
    assert CliRunner().invoke(main, ["export", "-f", config]).exit_code == 0
    assert snapshot(tmp_path, tmp_path / "kb" / "site") == before
    # With its cache (the default), pmkb check writes its own git-ignored folder, and only it.
    assert CliRunner().invoke(main, ["check", "-f", config]).exit_code == 0
    after = snapshot(tmp_path, tmp_path / "kb" / "site")
    cache = set(after) - set(before)
    assert cache and all(name.startswith("kb/.pmkb-cache") for name in cache), cache
    # (the folder that holds it gets a new modification time, nothing else changes)
    assert {name: after[name] for name in before if name != "kb"} == {
        name: state for name, state in before.items() if name != "kb"
    }
    assert (site / "postmortems.json").is_file()


def _build_in_subprocess(root: Path, hash_seed: str) -> Path:
    environment = dict(os.environ, SOURCE_DATE_EPOCH=EPOCH, PYTHONHASHSEED=hash_seed)
    environment["NO_MKDOCS_2_WARNING"] = "1"
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml")],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return root / "site"


def test_two_builds_of_the_same_input_are_byte_identical(tmp_path: Path) -> None:
    first = write_kb(
        tmp_path / "a", generate(SEED + 3, 60), extra_config="site_url: https://kb.example.com/\n"
    )
    second = tmp_path / "elsewhere" / "b"
    shutil.copytree(first, second)
    # Different folders and hash seeds: neither paths nor set order may leak into the output.
    sites = [_build_in_subprocess(first, "1"), _build_in_subprocess(second, "2")]
    contents = [
        {
            path.relative_to(site).as_posix(): path.read_bytes()
            for path in sorted(site.rglob("*"))
            if path.is_file()
        }
        for site in sites
    ]
    assert "sitemap.xml.gz" in contents[0]
    assert "search/search_index.json" in contents[0]
    assert sorted(contents[0]) == sorted(contents[1])
    differing = [name for name in contents[0] if contents[0][name] != contents[1][name]]
    assert differing == []
    assert "postmortems.json" in contents[0]
