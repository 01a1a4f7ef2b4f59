"""The runner interleaves its measurements and judges each target against the right baseline."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from benchmarks import runner
from benchmarks.measure import Run, Series
from benchmarks.runner import BuildResult, Options, Results, interleaved, raw, report, targets


def series(wall: float, cpu: float, peak_mib: int) -> Series:
    return Series((Run(wall=wall, cpu=cpu, max_rss_kib=peak_mib * 1024, output=""),))


def build_result(size: int, plugin: Series, same_files: Series, stripped: Series) -> BuildResult:
    return BuildResult(
        size=size,
        mean_file_bytes=4800.0,
        plugin=plugin,
        plain_same_files=same_files,
        plain_stripped=stripped,
        probe_page_bytes=19_000,
        home_page_bytes=13_000,
        nav_links_to_postmortems=0,
    )


def measured() -> Results:
    results = Results(
        Options(sizes=(1000, 5000), parts=("build",)),
        dt.datetime(2026, 1, 5, 12, tzinfo=dt.timezone.utc),
    )
    results.builds = [
        build_result(
            1000,
            plugin=series(12.8, 12.0, 150),
            same_files=series(10.4, 10.0, 120),
            stripped=series(8.0, 8.0, 100),
        ),
        build_result(
            5000,
            plugin=series(64.0, 60.0, 700),
            same_files=series(46.8, 45.0, 400),
            stripped=series(44.0, 40.0, 300),
        ),
    ]
    return results


def test_interleaved_rotates_the_order_and_keeps_each_series_apart() -> None:
    calls: list[str] = []

    def measure(name: str, cpu: float) -> Run:
        calls.append(name)
        return Run(wall=cpu, cpu=cpu, max_rss_kib=0, output=name)

    first, second, third = interleaved(
        3, lambda: measure("a", 1.0), lambda: measure("b", 2.0), lambda: measure("c", 3.0)
    )
    assert calls == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert [run.output for run in first.runs] == ["a", "a", "a"]
    assert (first.cpu, second.cpu, third.cpu) == (1.0, 2.0, 3.0)


def test_build_targets_are_judged_against_the_same_files_with_the_stripped_ratio_beside() -> None:
    found = {target.name.split(" (CPU")[0]: target for target in targets(measured())}
    build = found["build with the plugin / plain build of the same files, N=1,000"]
    assert build.value == 12.0 / 10.0
    assert build.met
    assert build.note == "against the stripped build: 1.50x (wall 1.60x)"
    assert "wall 1.23x" in build.name
    memory = found["peak memory, plugin / plain build of the same files, N=1,000"]
    assert memory.value == 150 / 120
    assert memory.note == "against the stripped build: 1.50x"
    large = found["peak memory, plugin / plain build of the same files, N=5,000"]
    assert not large.met
    assert large.note == "against the stripped build: 2.33x"
    growth = found["plugin build N=5,000 / N=1,000"]
    assert growth.value == 60.0 / 12.0
    assert growth.note == ""


def test_the_report_shows_both_baselines_on_the_target_lines_and_in_the_table() -> None:
    text = report(measured())
    lines = text.splitlines()
    assert (
        "- build with the plugin / plain build of the same files, N=1,000 (CPU time; wall 1.23x):"
        " 1.20x (target <= 1.25x): met; against the stripped build: 1.50x (wall 1.60x)"
    ) in lines
    assert (
        "- peak memory, plugin / plain build of the same files, N=5,000: 1.75x (target <= 1.5x):"
        " NOT met; against the stripped build: 2.33x"
    ) in lines
    assert "| plugin, N=1,000 | 12.80 | 12.80-12.80 | 12.00 | 150 | | | |" in lines
    assert (
        "| plain (same files), N=1,000 | 10.40 | 10.40-10.40 | 10.00 | 120 | 1.23x | 1.20x | 1.25x |"
    ) in lines
    assert (
        "| plain (front matter stripped), N=1,000 | 8.00 | 8.00-8.00 | 8.00 | 100 "
        "| 1.60x | 1.50x | 1.50x |"
    ) in lines
    assert (
        "- N=5,000 / N=1,000: 5.00x for 5x the postmortems "
        "(plain, same files: 4.50x; front matter stripped: 5.50x)"
    ) in lines
    assert "*Plain (same files)*" in text
    assert "*Plain (front matter stripped)*" in text


def test_the_raw_figures_keep_both_plain_builds() -> None:
    first = raw(measured())["builds"][0]
    assert first["plain_same_files"][0]["cpu"] == 10.0
    assert first["plain_stripped"][0]["cpu"] == 8.0
    assert "plain" not in first


def test_a_run_without_n_1000_says_that_the_build_targets_were_not_judged() -> None:
    results = measured()
    assert "build targets: not judged" not in report(results)
    results.builds = [
        build_result(100, series(2.0, 2.0, 60), series(1.0, 1.0, 40), series(0.9, 0.9, 38))
    ]
    text = report(results)
    assert "- build targets: not judged (they are set at N=1,000, not built in this run)" in text
    assert "plain build of the same files, N=" not in text


def test_builds_go_into_new_folders_and_nothing_is_deleted_until_the_run_ends(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "TRASH", tmp_path / ".trash")
    commands: list[list[str]] = []

    temporaries: list[str | None] = []

    def measured_run(
        command: list[str], cwd: Path, env: dict[str, str], *args: object, **kwargs: object
    ) -> Run:
        commands.append(command)
        temporaries.append(env.get("TMPDIR"))
        site = Path(command[command.index("--site-dir") + 1])
        assert not site.exists()  # a new folder for every build
        site.mkdir(parents=True)
        return Run(wall=1.0, cpu=1.0, max_rss_kib=0, output="")

    monkeypatch.setattr(runner, "run_measured", measured_run)
    project = tmp_path / "kb"
    (project / "docs").mkdir(parents=True)
    for _ in range(2):
        runner.mkdocs_build(project, {})
    runner.mkdocs_build(project, {"PATH": "/bin"}, first_build=True)
    assert runner.latest_site(project) == project / "sites" / "2"
    # A first build gets an empty temporary directory of its own; the others, the machine's.
    assert temporaries[:2] == [None, None]
    assert temporaries[2] == str(project / "temporary" / "2")
    assert not any((project / "temporary" / "2").iterdir())
    assert sorted(path.name for path in (project / "sites").iterdir()) == ["0", "1", "2"]
    runner.discard(project)
    assert not project.exists()
    (set_aside,) = (tmp_path / ".trash").iterdir()
    assert sorted(path.name for path in (set_aside / "sites").iterdir()) == ["0", "1", "2"]
    runner.discard(project)  # nothing there: nothing to do
    runner.empty_trash()
    assert not (tmp_path / ".trash").exists()
    assert len(commands) == 3


def test_a_machines_first_build_is_reported_beside_the_judged_one() -> None:
    results = measured()
    results.builds[0] = dataclasses.replace(
        results.builds[0], plugin_first_build=series(13.5, 13.0, 152)
    )
    found = {target.name.split(" (CPU")[0]: target for target in targets(results)}
    build = found["build with the plugin / plain build of the same files, N=1,000"]
    assert build.value == 12.0 / 10.0  # judged on the builds that find compiled templates
    assert build.note == (
        "against the stripped build: 1.50x (wall 1.60x); "
        "a machine's first build: 1.30x (not judged)"
    )
    lines = report(results).splitlines()
    assert (
        "| plugin, a machine's first build, N=1,000 | 13.50 | 13.50-13.50 | 13.00 | 152 | | | |"
        in (lines)
    )
    assert raw(results)["builds"][0]["plugin_first_build"][0]["cpu"] == 13.0
    assert raw(results)["builds"][1]["plugin_first_build"] is None
