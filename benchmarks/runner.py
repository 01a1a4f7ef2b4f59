"""The benchmark suite: site builds, ``pmkb check`` against its floor, and ``mkdocs serve``.

Every measurement runs a real command in a child process, several times, side by side with
its baselines (interleaved, so that a noisy neighbour slows them all), and reports medians and
ratios. Run it with ``make bench`` or ``python -m benchmarks --help``.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import platform
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.generate import (
    GeneratedKnowledgeBase,
    generate_knowledge_base,
    generate_plain_site,
)
from benchmarks.measure import Run, Series, python_command, run_measured

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "benchmarks" / "work"

BUILD_TIMEOUT = 1800.0
CHECK_TIMEOUT = 600.0
SERVE_START_TIMEOUT = 900.0
REBUILD_TIMEOUT = 600.0


@dataclass(frozen=True)
class Options:
    """What to measure.

    Attributes:
        sizes: the numbers of postmortems to build.
        check_files: the number of files for ``pmkb check``.
        serve_size: the number of postmortems for the ``mkdocs serve`` rebuild.
        repeat: repetitions of each measurement.
        parts: which parts to run: ``build``, ``check``, ``serve``.
        seed: the generator's seed.
        quick: whether these are the smoke-test settings.
    """

    sizes: tuple[int, ...] = (100, 1000, 5000)
    check_files: int = 10_000
    serve_size: int = 1000
    repeat: int = 5
    parts: tuple[str, ...] = ("build", "check", "serve")
    seed: int = 1
    quick: bool = False


QUICK = Options(sizes=(20, 100), check_files=500, serve_size=50, repeat=1, quick=True)


@dataclass
class BuildResult:
    """The plugin build and the two plain builds of the same postmortems, at one size.

    Attributes:
        plain_same_files: mkdocs-material without the plugin over the same files as they
            are, front matter included: the issue's baseline, which the targets use.
        plain_stripped: the same without the front matter (no YAML to read): stricter.
        plugin_first_build: the plugin build as on a machine's first build (a fresh CI
            runner): with an empty temporary directory, so no compiled template is kept
            from an earlier build. Reported, not judged.
    """

    size: int
    mean_file_bytes: float
    plugin: Series
    plain_same_files: Series
    plain_stripped: Series
    probe_page_bytes: int
    home_page_bytes: int
    nav_links_to_postmortems: int
    plugin_first_build: Series | None = None


@dataclass
class ServeResult:
    """Rebuild times of ``mkdocs serve`` after one file changed."""

    label: str
    initial_build: float
    reported: list[float] = field(default_factory=list)
    observed: list[float] = field(default_factory=list)


@dataclass
class Results:
    """Everything one run measured."""

    options: Options
    started: dt.datetime
    builds: list[BuildResult] = field(default_factory=list)
    check: dict[str, Series] = field(default_factory=dict)
    serve: list[ServeResult] = field(default_factory=list)
    finished: dt.datetime | None = None
    failures: dict[str, str] = field(default_factory=dict)


def environment(kb: GeneratedKnowledgeBase) -> dict[str, str]:
    """The environment of every measured command: fixed build date, no MkDocs 2 banner."""
    env = dict(os.environ)
    env["SOURCE_DATE_EPOCH"] = kb.source_date_epoch
    env["NO_MKDOCS_2_WARNING"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH", "")]))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def log(message: str) -> None:
    """Progress on stderr, with the time."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


TRASH = WORK / ".trash"
"""Where folders go to be deleted when the run ends (see ``discard``)."""


def discard(path: Path) -> None:
    """Move ``path`` out of the way now, to be deleted when the run ends (``empty_trash``).

    Deleting thousands of files just before a measured build slows the build's own writes
    on some filesystems: ext4 without a journal looks past every inode freed in the last
    minute (five, while its table is being written) before it reuses one. Measured on the
    benchmark machine, four builds that each deleted the site before them took 0.49, 0.67,
    0.83 and 1.11 s of system time; four into new folders, 0.17 to 0.22 s. A rename frees
    no inode.
    """
    if not path.exists():
        return
    TRASH.mkdir(parents=True, exist_ok=True)
    path.rename(TRASH / f"{path.name}-{time.time_ns()}")


def empty_trash() -> None:
    """Delete what ``discard`` set aside."""
    shutil.rmtree(TRASH, ignore_errors=True)


def mkdocs_build(root: Path, env: dict[str, str], first_build: bool = False) -> Run:
    """One ``mkdocs build`` of the project at ``root``, into a new folder of ``root/sites``.

    Nothing is deleted between builds (see ``discard``): the run's sites are set aside
    together when the project is made again, and deleted when the run ends. With
    ``first_build``, the build gets an empty temporary directory of its own (``TMPDIR``),
    where Jinja keeps compiled templates: as a machine's first build, which compiles them.
    """
    sites = root / "sites"
    site = sites / str(len(list(sites.iterdir())) if sites.exists() else 0)
    if first_build:
        temporary = root / "temporary" / site.name
        temporary.mkdir(parents=True)
        env = {**env, "TMPDIR": str(temporary)}
    return run_measured(
        python_command("-m", "mkdocs", "build", "-q", "--site-dir", str(site)),
        root,
        env,
        timeout=BUILD_TIMEOUT,
    )


def latest_site(root: Path) -> Path:
    """The folder of the last ``mkdocs_build`` of the project at ``root``."""
    return max((root / "sites").iterdir(), key=lambda folder: int(folder.name))


def interleaved(repeat: int, *measures: Callable[[], Run]) -> tuple[Series, ...]:
    """Run each measurement ``repeat`` times, one of each in turn; a series per measurement.

    The order rotates by one at every repetition, so that none always goes first.
    """
    runs: list[list[Run]] = [[] for _ in measures]
    for index in range(repeat):
        for turn in range(len(measures)):
            slot = (index + turn) % len(measures)
            runs[slot].append(measures[slot]())
    return tuple(Series(tuple(series)) for series in runs)


def bench_builds(options: Options, results: Results) -> None:
    """Plugin build against the plain mkdocs-material builds, at each size."""
    for size in options.sizes:
        log(f"build: generating {size} postmortems")
        for name in (f"kb-{size}", f"plain-{size}", f"plain-stripped-{size}"):
            discard(WORK / name)
        kb = generate_knowledge_base(WORK / f"kb-{size}", size, options.seed)
        same_files = generate_plain_site(kb, WORK / f"plain-{size}", strip_front_matter=False)
        stripped = generate_plain_site(kb, WORK / f"plain-stripped-{size}", strip_front_matter=True)
        env = environment(kb)
        log(
            f"build: {options.repeat} x (plugin, plain same files, plain stripped, plugin first"
            f" build) at N={size}"
        )
        plugin_series, same_files_series, stripped_series, first_series = interleaved(
            options.repeat,
            functools.partial(mkdocs_build, kb.root, env),
            functools.partial(mkdocs_build, same_files, env),
            functools.partial(mkdocs_build, stripped, env),
            functools.partial(mkdocs_build, kb.root, env, first_build=True),
        )
        site = latest_site(kb.root)
        probe = site / "postmortems" / kb.files[0].stem / "index.html"
        home = (site / "index.html").read_text(encoding="utf-8")
        results.builds.append(
            BuildResult(
                size=size,
                mean_file_bytes=kb.total_bytes / max(len(kb.files), 1),
                plugin=plugin_series,
                plain_same_files=same_files_series,
                plain_stripped=stripped_series,
                plugin_first_build=first_series,
                probe_page_bytes=probe.stat().st_size,
                home_page_bytes=len(home.encode("utf-8")),
                nav_links_to_postmortems=len(
                    re.findall(
                        r'class="md-nav__link[^"]*"[^>]*href="[^"]*postmortems/[^"]+/"', home
                    )
                ),
            )
        )
        log(
            f"build N={size}: plugin {plugin_series.wall:.2f} s, plain (same files)"
            f" {same_files_series.wall:.2f} s, plain (stripped) {stripped_series.wall:.2f} s"
        )


def bench_check(options: Options, results: Results) -> None:
    """``pmkb check`` cold and warm against the floor (libyaml over the same files)."""
    size = options.check_files
    log(f"check: generating {size} postmortems")
    discard(WORK / f"check-{size}")
    kb = generate_knowledge_base(WORK / f"check-{size}", size, options.seed)
    env = environment(kb)
    cache = kb.root / ".pmkb-cache"
    check = python_command(str(Path(sys.executable).parent / "pmkb"), "check")
    floor = python_command("-m", "benchmarks.floor", str(kb.root / "postmortems"))
    changing = kb.files[len(kb.files) // 2]
    original = changing.read_bytes()

    def measure_check(*extra: str) -> Run:
        run = run_measured([*check, *extra], kb.root, env, timeout=CHECK_TIMEOUT)
        # Notices (recurring root causes) are expected in a realistic knowledge base.
        summary = run.output.strip().rsplit("\n", 1)[-1]
        if (
            not (
                summary.startswith("0 errors, 0 warnings")
                and summary.endswith(f"{size:,} files checked")
            )
            and summary != f"{size:,} files checked: no problems"
        ):
            raise RuntimeError(f"pmkb check found problems:\n{run.output[-2000:]}")
        return run

    def cold() -> Run:
        shutil.rmtree(cache, ignore_errors=True)
        return measure_check()

    def floor_run() -> Run:
        return run_measured(floor, REPO, env, timeout=CHECK_TIMEOUT)

    # The files must be older than the cache's racy-write margin, as files in a repository are.
    time.sleep(2.5)
    log(f"check: {options.repeat} x (cold check, floor) over {size} files")
    results.check["cold"], results.check["floor"] = interleaved(options.repeat, cold, floor_run)
    results.check["no-cache"] = Series(tuple(measure_check("--no-cache") for _ in range(1)))

    warm_runs = []
    unchanged_runs = []
    for index in range(options.repeat):
        measure_check()  # the cache is up to date
        unchanged_runs.append(measure_check())
        changing.write_bytes(original + f"\nEdited for warm run {index}.\n".encode())
        warm_runs.append(measure_check())
    changing.write_bytes(original)
    results.check["warm"] = Series(tuple(warm_runs))
    results.check["unchanged"] = Series(tuple(unchanged_runs))
    log(
        f"check: cold {results.check['cold'].wall:.2f} s, warm {results.check['warm'].wall:.2f} s,"
        f" floor {results.check['floor'].wall:.2f} s"
    )


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


BUILT = re.compile(r"Documentation built in ([0-9.]+) seconds")


def bench_serve(options: Options, results: Results) -> None:
    """A ``mkdocs serve`` rebuild after one postmortem changed, plugin and plain (same files)."""
    size = options.serve_size
    discard(WORK / f"serve-{size}")
    discard(WORK / f"serve-plain-{size}")
    kb = generate_knowledge_base(WORK / f"serve-{size}", size, options.seed)
    plain = generate_plain_site(kb, WORK / f"serve-plain-{size}", strip_front_matter=False)
    env = environment(kb)
    target = kb.files[len(kb.files) // 2]
    for label, root, changed in (
        ("plugin", kb.root, target),
        ("plain (same files)", plain, plain / "docs" / "postmortems" / target.name),
    ):
        log(f"serve: {label} at N={size}")
        results.serve.append(serve_rebuilds(label, root, changed, env, options.repeat))


def serve_rebuilds(
    label: str, root: Path, changed: Path, env: dict[str, str], repeat: int
) -> ServeResult:
    """Time ``repeat`` rebuilds of ``mkdocs serve`` after ``changed`` was edited.

    Each rebuild gets a server of its own (started, edited once, stopped): a server that
    had already rebuilt sometimes missed the next edit. The rebuild time is read from
    MkDocs' log line ("Documentation built in X seconds"); the observed time runs from the
    edit to that line, so it includes the file watcher's delay. Every wait is bounded; the
    server is stopped whatever happens.
    """
    result: ServeResult | None = None
    original = changed.read_bytes()
    try:
        for index in range(repeat):
            initial, reported, observed = _one_rebuild(root, changed, env, original, index)
            if result is None:
                result = ServeResult(label, initial)
            result.reported.append(reported)
            result.observed.append(observed)
    finally:
        changed.write_bytes(original)
    assert result is not None
    return result


def _one_rebuild(
    root: Path, changed: Path, env: dict[str, str], original: bytes, index: int
) -> tuple[float, float, float]:
    port = free_port()
    command = [sys.executable, "-m", "mkdocs", "serve", "--dev-addr", f"127.0.0.1:{port}"]
    process = subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    lines: queue.Queue[tuple[float, str]] = queue.Queue()

    def pump() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put((time.perf_counter(), line))

    threading.Thread(target=pump, daemon=True).start()
    try:
        start = time.perf_counter()
        _, initial = _wait_for(lines, BUILT, start + SERVE_START_TIMEOUT)
        _wait_for(lines, re.compile(r"Serving on"), time.perf_counter() + 60)
        time.sleep(2.0)  # let the watcher settle
        changed.write_bytes(original + f"\nEdited for rebuild {index}.\n".encode())
        written = time.perf_counter()
        seen, match = _wait_for(lines, BUILT, written + REBUILD_TIMEOUT)
        return float(initial.group(1)), float(match.group(1)), seen - written
    finally:
        _stop(process)


def _wait_for(
    lines: queue.Queue[tuple[float, str]], pattern: re.Pattern[str], deadline: float
) -> tuple[float, re.Match[str]]:
    while True:
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise TimeoutError(f"mkdocs serve did not log {pattern.pattern!r} in time")
        try:
            seen, line = lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if "ERROR" in line or "Aborted" in line:
            raise RuntimeError(f"mkdocs serve failed: {line.strip()}")
        match = pattern.search(line)
        if match:
            return seen, match


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)


def run(options: Options, after_each: Callable[[Results], None] | None = None) -> Results:
    """Run the parts of the suite that ``options`` asks for.

    A part that fails is recorded in ``failures`` and the others still run; ``after_each``
    is called after every part (to write what is measured so far).
    """
    WORK.mkdir(parents=True, exist_ok=True)
    empty_trash()  # what an interrupted run left
    results = Results(options, dt.datetime.now(dt.timezone.utc))
    parts: dict[str, Callable[[Options, Results], None]] = {
        "build": bench_builds,
        "check": bench_check,
        "serve": bench_serve,
    }
    for name, part in parts.items():
        if name not in options.parts:
            continue
        try:
            part(options, results)
        except Exception as error:  # the report says what failed; the other parts still run
            log(f"{name}: failed: {error}")
            results.failures[name] = f"{type(error).__name__}: {error}"
        results.finished = dt.datetime.now(dt.timezone.utc)
        if after_each is not None:
            after_each(results)
    empty_trash()
    return results


# The report.


def machine() -> dict[str, str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    try:
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        load = "unknown"
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "memory": memory or "unknown",
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "load average at the end (1, 5, 15 min)": load,
    }


def versions() -> dict[str, str]:
    """The versions of what was measured."""
    names = ("postmortem-kb", "mkdocs", "mkdocs-material", "Markdown", "PyYAML")
    found = {}
    for name in (*names, "jsonschema", "jsonschema-rs", "Jinja2"):
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    import yaml

    found["libyaml"] = "yes" if getattr(yaml, "__with_libyaml__", False) else "no"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    found["commit"] = commit.stdout.strip() or "unknown"
    return found


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


@dataclass(frozen=True)
class Target:
    """One target as measured.

    Attributes:
        name: what is measured against what.
        value: the measured ratio.
        limit: the largest ratio that meets the target.
        note: more figures for the same line (the ratio against a stricter baseline).
    """

    name: str
    value: float
    limit: float
    note: str = ""

    @property
    def met(self) -> bool:
        """Whether the value is within the limit."""
        return self.value <= self.limit

    def line(self) -> str:
        """The target as a line of the report."""
        verdict = f"{self.value:.2f}x (target <= {self.limit}x): {'met' if self.met else 'NOT met'}"
        return f"{self.name}: {verdict}" + (f"; {self.note}" if self.note else "")


def targets(results: Results) -> list[Target]:
    """Each target with the measured value and the limit.

    Times are judged on CPU time (user + system, the measured process and any worker it
    started): it is what a run costs, however busy the machine, and a command that spreads
    its work over several cores must not pass on its wall clock alone. The wall-time ratio
    is given beside it. The build targets are judged against the plain build of the same
    files, as the issue words them; the ratio against the stripped build is on the same line.
    """
    found: list[Target] = []

    def timed(
        name: str,
        measured: Series,
        baseline: Series,
        limit: float,
        stricter: Series | None = None,
        first: Series | None = None,
    ) -> None:
        wall = _ratio(measured.wall, baseline.wall)
        notes = []
        if stricter is not None:
            notes.append(
                f"against the stripped build: {_ratio(measured.cpu, stricter.cpu):.2f}x"
                f" (wall {_ratio(measured.wall, stricter.wall):.2f}x)"
            )
        if first is not None:
            notes.append(
                f"a machine's first build: {_ratio(first.cpu, baseline.cpu):.2f}x (not judged)"
            )
        note = "; ".join(notes)
        found.append(
            Target(
                f"{name} (CPU time; wall {wall:.2f}x)",
                _ratio(measured.cpu, baseline.cpu),
                limit,
                note,
            )
        )

    by_size = {build.size: build for build in results.builds}
    if 1000 in by_size:
        build = by_size[1000]
        timed(
            "build with the plugin / plain build of the same files, N=1,000",
            build.plugin,
            build.plain_same_files,
            1.25,
            build.plain_stripped,
            build.plugin_first_build,
        )
    if 1000 in by_size and 5000 in by_size:
        timed("plugin build N=5,000 / N=1,000", by_size[5000].plugin, by_size[1000].plugin, 5.5)
    for build in results.builds:
        if build.size >= 1000:
            peak = build.plugin.max_rss_mib
            stripped = _ratio(peak, build.plain_stripped.max_rss_mib)
            found.append(
                Target(
                    f"peak memory, plugin / plain build of the same files, N={build.size:,}",
                    _ratio(peak, build.plain_same_files.max_rss_mib),
                    1.5,
                    f"against the stripped build: {stripped:.2f}x",
                )
            )
    if results.check:
        floor = results.check["floor"]
        timed("pmkb check cold / floor", results.check["cold"], floor, 2.0)
        timed("pmkb check warm (one file changed) / floor", results.check["warm"], floor, 0.15)
    return found


def _series_row(label: str, series: Series, baseline: Series | None = None) -> str:
    ratio = f"{_ratio(series.wall, baseline.wall):.2f}x" if baseline is not None else ""
    cpu_ratio = f"{_ratio(series.cpu, baseline.cpu):.2f}x" if baseline is not None else ""
    return (
        f"| {label} | {series.wall:.2f} | {series.spread()} | {ratio} | {series.cpu:.2f} | "
        f"{cpu_ratio} | {series.max_rss_mib:.0f} |"
    )


def _build_rows(build: BuildResult) -> list[str]:
    """The plugin build, then each plain build with the plugin's ratios against it."""
    plugin = build.plugin
    rows = [
        f"| plugin, N={build.size:,} | {plugin.wall:.2f} | {plugin.spread()} | {plugin.cpu:.2f} | "
        f"{plugin.max_rss_mib:.0f} | | | |"
    ]
    first = build.plugin_first_build
    if first is not None:
        rows.append(
            f"| plugin, a machine's first build, N={build.size:,} | {first.wall:.2f} | "
            f"{first.spread()} | {first.cpu:.2f} | {first.max_rss_mib:.0f} | | | |"
        )
    for label, plain in (
        ("plain (same files)", build.plain_same_files),
        ("plain (front matter stripped)", build.plain_stripped),
    ):
        rows.append(
            f"| {label}, N={build.size:,} | {plain.wall:.2f} | {plain.spread()} | "
            f"{plain.cpu:.2f} | {plain.max_rss_mib:.0f} | "
            f"{_ratio(plugin.wall, plain.wall):.2f}x | {_ratio(plugin.cpu, plain.cpu):.2f}x | "
            f"{_ratio(plugin.max_rss_mib, plain.max_rss_mib):.2f}x |"
        )
    return rows


def report(results: Results, findings: str = "") -> str:
    """``results.md``: the machine, the versions, the figures and the targets."""
    options = results.options
    lines = [
        "# Benchmark results",
        "",
        "Measured by `make bench` (`python -m benchmarks`), which writes this file. Every figure",
        "is the median of the repetitions; *spread* is the range of wall times. The machine is",
        "shared, so CPU time (user + system of the measured process) is given next to wall time:",
        "other work slows the wall clock of a run far more than its CPU time.",
        "",
        f"- Date: {results.started:%Y-%m-%d %H:%M} UTC"
        + (f" to {results.finished:%H:%M} UTC" if results.finished else ""),
        f"- Repetitions: {options.repeat}; seed {options.seed}"
        + ("; **quick settings (a smoke test, not the real benchmark)**" if options.quick else ""),
    ]
    lines += [f"- {name}: {value}" for name, value in machine().items()]
    lines.append("- Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items()))
    lines += ["", "## Targets", ""]
    if results.builds and all(build.size != 1000 for build in results.builds):
        lines.append("- build targets: not judged (they are set at N=1,000, not built in this run)")
    lines += [f"- {target.line()}" for target in targets(results)]
    if results.builds:
        lines += [
            "",
            "## Site build: the plugin against plain mkdocs-material",
            "",
            "Three builds of the same postmortems, each into a new, empty site folder (nothing",
            "is deleted while the builds run: see `discard` in `runner.py`), with the search",
            "plugin: the knowledge base with the plugin (`postmortems/`, the `postmortems` plugin,",
            "its generated pages), and two plain mkdocs-material projects that keep the same files",
            "in `docs/postmortems/`, out of the navigation with `not_in_nav` as the plugin keeps",
            "its pages out. *Plain (same files)* has the files as they are, front matter included,",
            "which MkDocs reads itself as page metadata (PyYAML's `CSafeLoader`; the title comes",
            "from `title:`): it is the issue's \"plain mkdocs-material build of the same Markdown",
            'files", so the targets are judged against it. *Plain (front matter stripped)* has',
            "each front matter replaced by its title as a heading and reads no YAML at all, so",
            "all the plugin does counts as overhead, reading the front matter included: the",
            "stricter comparison, shown so that the plugin's whole cost stays in view. The last",
            "three columns divide the plugin build's figures by the row's.",
            "",
            "The plugin builds, like the plain ones, find Jinja's compiled templates from the",
            "builds before them (the plugin keeps its own and Material's in the temporary",
            "directory; MkDocs alone keeps none). *A machine's first build*, interleaved with the",
            "others, has an empty temporary directory of its own each time, as on a fresh CI",
            "runner: it compiles every template. It is reported, not judged.",
            "",
            "| build | wall s | spread | CPU s | peak MiB | plugin / this: wall | CPU | peak |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for build in results.builds:
            lines += _build_rows(build)
        lines += [
            "",
            "The navigation never lists postmortems, so a page does not grow with N: the page",
            "of the first postmortem (identical at every N) and the home page, in bytes:",
            "",
            "| N | mean postmortem file | first postmortem's page | home page "
            "| nav links to postmortems |",
            "|---|---|---|---|---|",
        ]
        for build in results.builds:
            lines.append(
                f"| {build.size:,} | {build.mean_file_bytes:,.0f} | {build.probe_page_bytes:,} | "
                f"{build.home_page_bytes:,} | {build.nav_links_to_postmortems} |"
            )
        sizes = [build.size for build in results.builds]
        if len(sizes) > 1:
            lines += ["", "Growth of the plugin build with N (wall time):", ""]
            for previous, current in zip(results.builds, results.builds[1:], strict=False):
                same_files = _ratio(current.plain_same_files.wall, previous.plain_same_files.wall)
                stripped = _ratio(current.plain_stripped.wall, previous.plain_stripped.wall)
                lines.append(
                    f"- N={current.size:,} / N={previous.size:,}: "
                    f"{_ratio(current.plugin.wall, previous.plugin.wall):.2f}x for "
                    f"{current.size / previous.size:.0f}x the postmortems "
                    f"(plain, same files: {same_files:.2f}x; front matter stripped: "
                    f"{stripped:.2f}x)"
                )
    if results.check:
        check = results.check
        lines += [
            "",
            f"## `pmkb check` over {options.check_files:,} files",
            "",
            "The floor reads the same files and parses their front matter with PyYAML's",
            "libyaml loader (`yaml.load(..., Loader=yaml.CSafeLoader)`) in one process",
            "(`python -m benchmarks.floor`). *Cold* starts without `.pmkb-cache/` (and writes",
            "it); *warm* runs after one file changed since the last check; *unchanged* after",
            "none. Each is a new process, as in a pre-commit hook.",
            "",
            "| run | wall s | spread | wall ratio to floor | CPU s | CPU ratio | peak MiB |",
            "|---|---|---|---|---|---|---|",
            _series_row("floor (libyaml)", check["floor"]),
            _series_row("pmkb check, cold", check["cold"], check["floor"]),
            _series_row("pmkb check --no-cache", check["no-cache"], check["floor"]),
            _series_row("pmkb check, warm (one file changed)", check["warm"], check["floor"]),
            _series_row("pmkb check, warm (nothing changed)", check["unchanged"], check["floor"]),
        ]
    if results.serve:
        lines += [
            "",
            f"## `mkdocs serve`: rebuild after one postmortem changed, N={options.serve_size:,}",
            "",
            "The plain site is mkdocs-material without the plugin over the same files as they",
            "are, front matter included, as in the build's *plain (same files)*.",
            '*Reported* is MkDocs\' own "Documentation built in X seconds"; *observed* runs from',
            "writing the file to that log line, so it includes the file watcher's delay.",
            "",
            "| site | initial build s | rebuild reported s (median) | observed s (median) | runs |",
            "|---|---|---|---|---|",
        ]
        for serve in results.serve:
            lines.append(
                f"| {serve.label} | {serve.initial_build:.2f} | "
                f"{statistics.median(serve.reported):.2f} | "
                f"{statistics.median(serve.observed):.2f} | {len(serve.reported)} |"
            )
    if results.failures:
        lines += ["", "## Parts that failed", ""]
        lines += [f"- {name}: {message}" for name, message in results.failures.items()]
    if findings:
        lines += ["", findings.strip()]
    return "\n".join(lines) + "\n"


def raw(results: Results) -> dict[str, Any]:
    """The measurements as JSON-ready data, every run included."""

    def series(value: Series) -> list[dict[str, float]]:
        return [
            {"wall": run.wall, "cpu": run.cpu, "max_rss_kib": run.max_rss_kib} for run in value.runs
        ]

    return {
        "options": {
            "sizes": list(results.options.sizes),
            "check_files": results.options.check_files,
            "serve_size": results.options.serve_size,
            "repeat": results.options.repeat,
            "quick": results.options.quick,
        },
        "started": results.started.isoformat(),
        "machine": machine(),
        "versions": versions(),
        "builds": [
            {
                "size": build.size,
                "plugin": series(build.plugin),
                "plain_same_files": series(build.plain_same_files),
                "plain_stripped": series(build.plain_stripped),
                "plugin_first_build": (
                    series(build.plugin_first_build) if build.plugin_first_build else None
                ),
                "probe_page_bytes": build.probe_page_bytes,
                "home_page_bytes": build.home_page_bytes,
            }
            for build in results.builds
        ],
        "check": {name: series(value) for name, value in results.check.items()},
        "failures": results.failures,
        "serve": [
            {
                "label": serve.label,
                "initial_build": serve.initial_build,
                "reported": serve.reported,
                "observed": serve.observed,
            }
            for serve in results.serve
        ],
    }


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"100,1000"`` as ``(100, 1000)``."""
    return tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())


def write(results: Results, output: Path, findings_file: Path | None) -> None:
    """Write the report and the raw figures beside it."""
    findings = ""
    if findings_file is not None and findings_file.is_file():
        findings = findings_file.read_text(encoding="utf-8")
    output.write_text(report(results, findings), encoding="utf-8")
    output.with_suffix(".json").write_text(
        json.dumps(raw(results), indent=2) + "\n", encoding="utf-8"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repetition")
    parser.add_argument("--sizes", type=parse_sizes, help="build sizes, e.g. 100,1000,5000")
    parser.add_argument("--check-files", type=int, help="files for pmkb check (10000)")
    parser.add_argument("--serve-size", type=int, help="postmortems for mkdocs serve (1000)")
    parser.add_argument("--repeat", type=int, help="repetitions of each measurement (5)")
    parser.add_argument(
        "--only",
        type=lambda text: tuple(part.strip() for part in text.split(",")),
        help="a comma-separated subset of build,check,serve",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--output",
        type=Path,
        default=REPO / "benchmarks" / "results.md",
        help="the report to write (the raw figures go beside it as .json)",
    )
    parser.add_argument(
        "--findings",
        type=Path,
        default=REPO / "benchmarks" / "findings.md",
        help="a Markdown file of notes appended to the report (default: benchmarks/findings.md)",
    )
    args = parser.parse_args(argv)
    options = QUICK if args.quick else Options()
    changes: dict[str, Any] = {"seed": args.seed}
    for name in ("sizes", "check_files", "serve_size", "repeat"):
        if getattr(args, name) is not None:
            changes[name] = getattr(args, name)
    if args.only:
        unknown = set(args.only) - {"build", "check", "serve"}
        if unknown:
            parser.error(f"--only: unknown part(s) {', '.join(sorted(unknown))}")
        changes["parts"] = args.only
    options = Options(**{**options.__dict__, **changes})
    results = run(options, lambda partial: write(partial, args.output, args.findings))
    write(results, args.output, args.findings)
    print(report(results), end="")
    return 1 if results.failures else 0
