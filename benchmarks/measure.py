"""Run a command as a child process and measure it: wall time, CPU time and peak memory.

CPU time (user + system) comes from ``os.wait4``, which reports the resource usage of exactly
the child that ended; it is reported next to wall time because the machine is shared: other
work slows the wall clock of a run much more than its CPU time. Peak memory comes from the
command itself: Python commands run under ``benchmarks.peak`` (see ``python_command``), which
records the process's own ``VmHWM`` at exit. ``wait4``'s ``ru_maxrss`` is no use for that on
Linux: it includes the runner's memory at the moment the child was started.
"""

from __future__ import annotations

import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


class MeasurementError(Exception):
    """A measured command failed or ran past its timeout."""


@dataclass(frozen=True)
class Run:
    """One measured run of a command.

    Attributes:
        wall: elapsed seconds.
        cpu: user + system CPU seconds of the child.
        max_rss_kib: the child's peak resident memory, in KiB (0 when the command is not
            run through ``python_command``, which is how the peak is known).
        output: what it printed (stdout and stderr together).
    """

    wall: float
    cpu: float
    max_rss_kib: int
    output: str


PEAK_REPORT = "{peak_report}"
"""Stands in ``python_command``'s command line for the file that receives the peak memory."""


def python_command(*arguments: str) -> list[str]:
    """A Python command (``-m MODULE ...`` or ``SCRIPT ...``) whose peak memory is measured."""
    return [sys.executable, str(Path(__file__).with_name("peak.py")), PEAK_REPORT, *arguments]


def run_measured(
    command: Sequence[str],
    cwd: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 1800.0,
    check: bool = True,
) -> Run:
    """Run ``command`` in ``cwd`` and measure it.

    Raises:
        MeasurementError: when it exits non-zero (with ``check``) or runs past ``timeout``.
    """
    log_path = cwd / ".bench-output.log"
    report = Path(tempfile.mkstemp(prefix="pmkb-bench-peak-")[1])
    command = [report.as_posix() if part == PEAK_REPORT else part for part in command]
    with log_path.open("wb") as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        reaped: list[tuple[float, int, resource.struct_rusage]] = []

        def reap() -> None:
            _pid, status, usage = os.wait4(process.pid, 0)
            reaped.append((time.perf_counter(), status, usage))

        waiter = threading.Thread(target=reap, daemon=True)
        waiter.start()
        waiter.join(timeout)
        if waiter.is_alive():
            os.killpg(process.pid, signal.SIGKILL)
            waiter.join()
            raise MeasurementError(f"{' '.join(command)} ran past {timeout:.0f} s")
    end, status, usage = reaped[0]
    # The child was reaped by os.wait4; tell Popen so that it never waits for it again.
    process.returncode = os.waitstatus_to_exitcode(status)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    log_path.unlink()
    peak = report.read_text(encoding="ascii").strip()
    report.unlink()
    if check and process.returncode != 0:
        raise MeasurementError(
            f"{' '.join(command)} exited with {process.returncode}:\n{output[-3000:]}"
        )
    return Run(
        wall=end - start,
        cpu=usage.ru_utime + usage.ru_stime,
        max_rss_kib=int(peak or 0),
        output=output,
    )


@dataclass(frozen=True)
class Series:
    """Several runs of one measurement, summarised by medians."""

    runs: tuple[Run, ...]

    @property
    def wall(self) -> float:
        """The median wall time in seconds."""
        return statistics.median(run.wall for run in self.runs)

    @property
    def cpu(self) -> float:
        """The median CPU time in seconds."""
        return statistics.median(run.cpu for run in self.runs)

    @property
    def max_rss_mib(self) -> float:
        """The median peak memory in MiB."""
        return statistics.median(run.max_rss_kib for run in self.runs) / 1024

    def spread(self) -> str:
        """The range of wall times, to show how noisy the machine was."""
        walls = [run.wall for run in self.runs]
        return f"{min(walls):.2f}-{max(walls):.2f}"
