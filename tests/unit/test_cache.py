"""The per-file result cache of pmkb check: hits, misses, invalidation, corruption, deletion."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from benchmarks.generate import generate_knowledge_base
from kbtools import postmortem_text, write_kb
from postmortem_kb import cache as cache_module
from postmortem_kb.cache import CACHE_DIR_NAME, CACHE_FILE_NAME, ResultCache, open_cache
from postmortem_kb.cli import main
from postmortem_kb.config import load_settings
from postmortem_kb.knowledge_base import KnowledgeBase, load_knowledge_base
from postmortem_kb.settings import Settings

OLD = 1_600_000_000  # 2020: a file written long before it is read


def make_kb(tmp_path: Path, files: dict[str, str]) -> Settings:
    root = write_kb(tmp_path, files)
    for path in (root / "postmortems").iterdir():
        os.utime(path, (OLD, OLD))
    return Settings(root=root, postmortems_dir=root / "postmortems")


def check(settings: Settings) -> tuple[KnowledgeBase, ResultCache]:
    """One pmkb check run: a fresh cache object, as a new process would open it."""
    cache = open_cache(settings)
    assert cache is not None
    return load_knowledge_base(settings, cache=cache), cache


def messages(knowledge_base: KnowledgeBase) -> list[str]:
    return [str(problem) for problem in knowledge_base.problems]


def fail_if_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a file was parsed again")

    monkeypatch.setattr("postmortem_kb.knowledge_base.check_file", refuse)


def test_a_second_run_answers_from_the_cache_with_the_same_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_kb(
        tmp_path,
        {"a.md": postmortem_text(id="PM-1", severity="SEV9"), "b.md": postmortem_text(id="PM-2")},
    )
    first, cold = check(settings)
    assert cold.misses == 2
    assert (tmp_path / CACHE_DIR_NAME / CACHE_FILE_NAME).is_file()
    fail_if_parsed(monkeypatch)
    second, warm = check(settings)
    assert warm.hits == 2
    assert warm.misses == 0
    assert messages(second) == messages(first)
    assert any("severity: the text 'SEV9'" in message for message in messages(second))
    assert second.files == first.files


def test_a_changed_file_is_checked_again_and_only_it(tmp_path: Path) -> None:
    settings = make_kb(
        tmp_path, {"a.md": postmortem_text(id="PM-1"), "b.md": postmortem_text(id="PM-2")}
    )
    check(settings)
    (tmp_path / "postmortems/b.md").write_text(postmortem_text(id="PM-2", status="Final"))
    knowledge_base, cache = check(settings)
    assert cache.misses == 1
    assert cache.hits == 1
    assert any("status: the text 'Final'" in message for message in messages(knowledge_base))


def test_a_file_touched_without_a_change_is_found_by_its_hash(tmp_path: Path) -> None:
    settings = make_kb(tmp_path, {"a.md": postmortem_text()})
    check(settings)
    os.utime(tmp_path / "postmortems/a.md", (OLD + 10, OLD + 10))
    _, cache = check(settings)
    assert (cache.hits, cache.misses) == (1, 0)


def test_same_size_same_mtime_edit_of_a_fresh_file_is_not_missed(tmp_path: Path) -> None:
    """A file written just before it was read gets no stat signature (as git's racy check)."""
    settings = make_kb(tmp_path, {"a.md": postmortem_text(severity="SEV1")})
    path = tmp_path / "postmortems/a.md"
    os.utime(path, None)  # written now
    check(settings)
    before = path.stat()
    path.write_text(postmortem_text(severity="SEV9"))  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    knowledge_base, cache = check(settings)
    assert cache.misses == 1
    assert any("SEV9" in message for message in messages(knowledge_base))


def test_rules_across_files_run_again_over_cached_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_kb(
        tmp_path,
        {"a.md": postmortem_text(id="PM-1"), "b.md": postmortem_text(id="PM-2", related=["PM-1"])},
    )
    check(settings)
    (tmp_path / "postmortems/a.md").write_text(postmortem_text(id="PM-2"))
    knowledge_base, cache = check(settings)
    assert cache.hits == 1
    found = messages(knowledge_base)
    # b.md came from the cache, yet both the duplicate id and its dangling link are reported.
    assert any(m.startswith("postmortems/b.md:2: id: 'PM-2' is also the id of") for m in found)
    assert any(m.startswith("postmortems/a.md:2: id: 'PM-2' is also the id of") for m in found)
    assert any("postmortems/b.md" in m and "related[0]: 'PM-1' is not the id" in m for m in found)
    fail_if_parsed(monkeypatch)
    again, _ = check(settings)
    assert messages(again) == found


def test_cached_postmortems_are_built_on_demand(tmp_path: Path) -> None:
    settings = make_kb(tmp_path, {"a.md": postmortem_text(id="PM-1")})
    check(settings)
    knowledge_base, _ = check(settings)
    assert [pm.id for pm in knowledge_base.postmortems] == ["PM-1"]
    assert "What Went Well" in knowledge_base.postmortems[0].source.body


@pytest.mark.parametrize("change", ["source", "library", "schema", "settings"])
def test_a_new_tool_version_schema_or_setting_invalidates_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    settings = make_kb(tmp_path, {"a.md": postmortem_text()})
    check(settings)
    if change == "source":
        monkeypatch.setattr(cache_module, "_source_fingerprint", lambda: "another version")
    elif change == "library":
        real = cache_module._installation
        monkeypatch.setattr(
            cache_module,
            "_installation",
            lambda name: "upgraded" if name == "jsonschema" else real(name),
        )
    elif change == "schema":
        schema = json.loads(settings.schema_path.read_text())
        schema["properties"]["title"]["maxLength"] = 20
        custom = tmp_path / "schema.json"
        custom.write_text(json.dumps(schema))
        settings = Settings(
            root=settings.root, postmortems_dir=settings.postmortems_dir, schema_path=custom
        )
    else:
        settings = Settings(
            root=settings.root,
            postmortems_dir=settings.postmortems_dir,
            severities=("SEV1", "SEV2", "SEV3"),
        )
    knowledge_base, cache = check(settings)
    assert cache.misses == 1
    if change == "schema":
        assert any("title: is 58 characters long" in m for m in messages(knowledge_base))


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"not json at all\n",
        b'{"format": 2, "key": "x"}\n',
        b"\x00\xff garbage",
        "cut short",
        "wrong types",
    ],
)
def test_a_corrupt_or_partial_cache_file_is_ignored(tmp_path: Path, damage: bytes | str) -> None:
    settings = make_kb(tmp_path, {"a.md": postmortem_text(severity="SEV9")})
    first, _ = check(settings)
    stored = tmp_path / CACHE_DIR_NAME / CACHE_FILE_NAME
    if damage == "cut short":
        stored.write_bytes(stored.read_bytes()[:-40])
    elif damage == "wrong types":
        header, line = stored.read_bytes().splitlines()
        item = json.loads(line)
        item[4] = [["not a line", None, "x", "PM101", "error"]]
        stored.write_bytes(header + b"\n" + json.dumps(item).encode() + b"\n")
    else:
        assert isinstance(damage, bytes)
        stored.write_bytes(damage)
    knowledge_base, cache = check(settings)
    assert cache.misses == 1
    assert messages(knowledge_base) == messages(first)
    # and the next run has a good cache again
    _, again = check(settings)
    assert again.hits == 1


def test_deleting_the_cache_folder_is_safe(tmp_path: Path) -> None:
    settings = make_kb(tmp_path, {"a.md": postmortem_text(severity="SEV9")})
    first, _ = check(settings)
    shutil.rmtree(tmp_path / CACHE_DIR_NAME)
    second, cache = check(settings)
    assert cache.misses == 1
    assert messages(second) == messages(first)


def test_the_cache_folder_ignores_itself_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    settings = make_kb(tmp_path, {"a.md": postmortem_text()})
    check(settings)
    folder = tmp_path / CACHE_DIR_NAME
    assert sorted(p.name for p in folder.iterdir()) == [
        ".gitignore",
        "CACHEDIR.TAG",
        CACHE_FILE_NAME,
    ]
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"


def test_a_removed_file_leaves_the_cache(tmp_path: Path) -> None:
    settings = make_kb(
        tmp_path, {"a.md": postmortem_text(id="PM-1"), "b.md": postmortem_text(id="PM-2")}
    )
    check(settings)
    (tmp_path / "postmortems/b.md").unlink()
    check(settings)
    stored = (tmp_path / CACHE_DIR_NAME / CACHE_FILE_NAME).read_text()
    assert "postmortems/a.md" in stored
    assert "postmortems/b.md" not in stored


def test_an_unwritable_cache_folder_does_not_fail_the_check(tmp_path: Path) -> None:
    settings = make_kb(tmp_path, {"a.md": postmortem_text()})
    (tmp_path / CACHE_DIR_NAME).write_text("a file where the folder should be")
    knowledge_base, _ = check(settings)
    assert knowledge_base.errors == ()


def test_pmkb_check_uses_the_cache_unless_told_not_to(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text(severity="SEV9")})
    config = str(root / "mkdocs.yml")
    plain = CliRunner().invoke(main, ["check", "-f", config, "--no-cache"])
    assert not (root / CACHE_DIR_NAME).exists()
    cold = CliRunner().invoke(main, ["check", "-f", config])
    warm = CliRunner().invoke(main, ["check", "-f", config])
    assert (root / CACHE_DIR_NAME / CACHE_FILE_NAME).is_file()
    assert plain.exit_code == cold.exit_code == warm.exit_code == 1
    assert plain.output == cold.output == warm.output
    assert "severity: the text 'SEV9'" in warm.output


def test_cached_lint_findings_and_recurrence_notices_are_reported_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    causes = [{"category": "deploy-process", "description": "No canary stage."}]
    body = "## Summary\n\nHuman error caused the outage.\n"
    settings = make_kb(
        tmp_path,
        {
            "a.md": postmortem_text(body, id="PM-1", root_causes=causes),
            "b.md": postmortem_text(id="PM-2", date="2024-03-16", root_causes=causes),
        },
    )
    first, _ = check(settings)
    codes = {(problem.file, problem.code) for problem in first.problems}
    assert ("postmortems/a.md", "PM301") in codes  # blame language, a lint rule of one file
    assert ("postmortems/b.md", "PM501") in codes  # recurrence, a rule across files
    fail_if_parsed(monkeypatch)
    second, cache = check(settings)
    assert cache.hits == 2
    assert messages(second) == messages(first)


def test_a_drafts_deadline_is_counted_again_on_another_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_kb(tmp_path, {"a.md": postmortem_text(status="draft", date="2024-03-15")})
    cache = open_cache(settings)
    assert cache is not None
    early = load_knowledge_base(settings, today=dt.date(2024, 3, 18), cache=cache)
    assert not any(problem.code == "PM409" for problem in early.problems)
    cache = open_cache(settings)
    assert cache is not None
    late = load_knowledge_base(settings, today=dt.date(2024, 4, 30), cache=cache)
    assert cache.misses == 1
    assert any(problem.code == "PM409" for problem in late.problems)


@pytest.mark.parametrize("source", ["example", "generated"])
def test_the_cache_never_changes_the_answer(tmp_path: Path, source: str) -> None:
    if source == "example":
        root = Path(__file__).resolve().parents[2]
        folder = tmp_path / "kb"
        shutil.copytree(root / "postmortems", folder / "postmortems")
        shutil.copy(root / "mkdocs.yml", folder / "mkdocs.yml")
        settings = load_settings(folder / "mkdocs.yml")
    else:
        kb = generate_knowledge_base(tmp_path / "kb", 60, seed=9)
        # a duplicate id, a dangling related id and a schema error, among valid files
        first, second, third = kb.files[:3]
        second.write_text(second.read_text().replace(_id_of(second), _id_of(first)))
        third.write_text(third.read_text().replace("severity: SEV", "severity: sev", 1))
        settings = load_settings(kb.root / "mkdocs.yml")
    today = dt.date(2026, 12, 1)
    plain = load_knowledge_base(settings, today=today)
    for _ in range(2):  # cold, then warm
        cache = open_cache(settings)
        cached = load_knowledge_base(settings, today=today, cache=cache)
        assert messages(cached) == messages(plain)
        assert cached.files == plain.files
        assert [pm.id for pm in cached.postmortems] == [pm.id for pm in plain.postmortems]
    assert plain.problems


def _id_of(path: Path) -> str:
    return next(line for line in path.read_text().splitlines() if line.startswith("id: "))[4:]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda item: item[2].__setitem__(0, True),  # a boolean is not a size
        lambda item: item[2].__setitem__(1, 1.5),
        lambda item: item[2].pop(),
        lambda item: item.__setitem__(1, 7),
        lambda item: item.__setitem__(3, 1),  # valid must be a boolean
        lambda item: item[5][1].__setitem__("tags", "12"),
        lambda item: item[5][0].__setitem__("tags", ["db", 3]),
        lambda item: item[5][0].__setitem__("id", ["x"]),
        lambda item: item[5][2][2].append(None),  # related
        lambda item: item[5][2][3].append(False),  # categories
        lambda item: item[5][2][4].__setitem__(0, False),  # category lines
        lambda item: item[5][2][4].__setitem__(0, "9"),
        lambda item: item[5].__setitem__(2, None),  # a valid file keeps its facts
        lambda item: item.__setitem__(7, 3),
    ],
)
def test_an_entry_of_the_wrong_shape_is_refused(tmp_path: Path, mutate: Any) -> None:
    cause = [{"category": "deploy", "description": "No canary."}]
    settings = make_kb(tmp_path, {"a.md": postmortem_text(root_causes=cause, tags=["db"])})
    check(settings)
    line = (tmp_path / CACHE_DIR_NAME / CACHE_FILE_NAME).read_bytes().splitlines()[1]
    item = json.loads(line)
    item[2] = [4096, OLD * 10**9, OLD * 10**9, 7, 8]  # as if read long after it was written
    cache_module._decode(item)  # as stored, it is well formed
    mutate(item)
    with pytest.raises((ValueError, TypeError)):
        cache_module._decode(item)


def test_entries_decoded_together_are_refused_for_one_bad_item(tmp_path: Path) -> None:
    # The types of list items are checked once for all entries: a bad one among good ones
    # must still refuse the lot (the cache is then ignored as a whole).
    cause = [{"category": "deploy", "description": "No canary."}]
    settings = make_kb(
        tmp_path,
        {
            "a.md": postmortem_text(root_causes=cause, tags=["db"]),
            "b.md": postmortem_text(id="PM-2", related=["PM-2024-017"]),
        },
    )
    check(settings)
    lines = (tmp_path / CACHE_DIR_NAME / CACHE_FILE_NAME).read_bytes().splitlines()[1:]
    items = [json.loads(line) for line in lines]
    together = cache_module._decode_entries(items)
    # Decoded together or one by one, the entries encode back to the lines stored.
    assert [cache_module._encode(*entry) for entry in together] == lines
    assert [cache_module._encode(*cache_module._decode(item)) for item in items] == lines
    assert [file for file, _result, _signature in together] == [
        "postmortems/a.md",
        "postmortems/b.md",
    ]
    items[0][5][0]["tags"].append(3)
    with pytest.raises(ValueError):
        cache_module._decode_entries(items)
    items = [json.loads(line) for line in lines]
    items[1][5][2][2].append(None)  # related of the second
    with pytest.raises(ValueError):
        cache_module._decode_entries(items)


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bad"


def varied_kb(tmp_path: Path) -> Path:
    """A knowledge base of valid, invalid, unreadable and lint-worthy files."""
    kb = generate_knowledge_base(tmp_path / "kb", 24, seed=3)
    folder = kb.root / "postmortems"
    for fixture in sorted(FIXTURES.iterdir()):
        if fixture.name != "expected.yaml" and fixture.is_file():
            shutil.copyfile(fixture, folder / fixture.name)
    for path in folder.iterdir():
        os.utime(path, (OLD, OLD))
    return kb.root


def test_checking_on_several_processes_gives_the_same_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postmortem_kb import knowledge_base as knowledge_base_module

    root = varied_kb(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1740312000")
    monkeypatch.setattr(knowledge_base_module, "PARALLEL_MIN_FILES", 4)
    config = str(root / "mkdocs.yml")

    def report(*options: str) -> tuple[int, str]:
        result = CliRunner().invoke(main, ["check", "-f", config, "--format", "json", *options])
        assert result.exception is None or isinstance(result.exception, SystemExit)
        return result.exit_code, result.output

    one = report("--no-cache", "-j", "1")
    assert json.loads(one[1])["counts"]["error"] > 10
    assert report("--no-cache", "-j", "2") == one
    monkeypatch.setenv("PMKB_JOBS", "3")
    assert report() == one  # cold cache, three processes
    assert report() == one  # from the cache they wrote
    text = CliRunner().invoke(main, ["check", "-f", config, "--no-cache", "-j", "1"]).output
    assert CliRunner().invoke(main, ["check", "-f", config, "--no-cache"]).output == text


def test_check_files_shares_files_out_between_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from postmortem_kb import knowledge_base as knowledge_base_module
    from postmortem_kb.knowledge_base import check_files
    from postmortem_kb.validation import SchemaValidator, load_schema

    root = varied_kb(tmp_path)
    settings = load_settings(root / "mkdocs.yml")
    validator = SchemaValidator(load_schema(settings.schema_path, settings.severities))
    files = [
        (path.read_bytes(), f"postmortems/{path.name}", path, "0" * 64)
        for path in sorted((root / "postmortems").iterdir())
        if path.is_file() and not path.is_symlink()
    ]
    today = dt.date(2025, 2, 23)
    alone = check_files(files, validator, settings, today, jobs=4)
    assert len(files) < knowledge_base_module.PARALLEL_MIN_FILES
    assert any(result.document is not None for result in alone)  # checked here
    monkeypatch.setattr(knowledge_base_module, "PARALLEL_MIN_FILES", 4)
    shared_out = check_files(files, validator, settings, today, jobs=4)
    # Results that came back from workers keep no document: they were made elsewhere.
    assert all(result.document is None and result.postmortem is None for result in shared_out)
    assert [result._replace(document=None, postmortem=None, summary=None) for result in alone] == [
        result._replace(summary=None) for result in shared_out
    ]
    assert [None if r.summary is None else r.summary.encoded() for r in alone] == [
        None if r.summary is None else r.summary.encoded() for r in shared_out
    ]


def test_a_summary_keeps_the_lines_that_differ_from_their_parents_line() -> None:
    from postmortem_kb.cache import Summary
    from postmortem_kb.model import SourceDocument

    # ("tags",) has no line of its own here: the parent's line is then found by climbing.
    lines = {
        (): 2,
        ("id",): 2,
        ("tags", 0): 2,
        ("tags", 1): 5,
        ("services",): 6,
        ("services", 0): 6,
        ("services", 1): 7,
        ("title",): 9,
    }
    document = SourceDocument(
        file="postmortems/x.md",
        abs_path=Path("x.md"),
        front_matter={"id": "a", "tags": ["x", "y"], "services": ["s", "t"], "title": "T"},
        lines=lines,
        plain_scalars={},
        body="",
        body_line=10,
        digest="0" * 64,
    )
    summary = Summary.of(document)
    for path in [("tags", 1), ("services", 1), ("id",), ()]:
        assert summary.line_of(path) == lines[path]
    assert summary.line_of(("tags", 0)) == 2
    assert summary.line_of(("services", 0)) == 6
    kept = {
        path
        for path, line in lines.items()
        if not path or (path[0] != "title" and line != document.line_of(path[:-1]))
    }
    assert set(summary.encoded()[1]) == {cache_module._encode_path(path) for path in kept}
