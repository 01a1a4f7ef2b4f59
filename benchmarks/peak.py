"""Run a Python module or script in this process and record its own peak memory at exit.

``os.wait4`` cannot give a child's peak memory on Linux: a child is created as a copy of its
parent, and the high-water mark of that copy survives ``exec``, so every child of a runner
holding 400 MiB reported at least 400 MiB, even ``/bin/true``. ``VmHWM`` in
``/proc/self/status`` belongs to the memory of the running program alone, so the measured
command reads it itself, as it exits::

    python benchmarks/peak.py REPORT -m mkdocs build -q
    python benchmarks/peak.py REPORT path/to/venv/bin/pmkb check

REPORT receives the peak in KiB. Nothing else of the command changes: ``sys.argv`` is the
command's, and its exit status is passed on.
"""

from __future__ import annotations

import atexit
import runpy
import sys
from pathlib import Path


def peak_kib() -> int:
    """This process's peak resident memory (``VmHWM``), in KiB."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(argv: list[str]) -> None:
    """Entry point: ``python benchmarks/peak.py REPORT (-m MODULE | SCRIPT) [ARGS...]``."""
    # Run as a script, this folder heads sys.path; the command must not import from it.
    del sys.path[0]
    report = Path(argv[0])
    atexit.register(lambda: report.write_text(f"{peak_kib()}\n", encoding="ascii"))
    if argv[1] == "-m":
        sys.argv = [argv[2], *argv[3:]]
        runpy.run_module(argv[2], run_name="__main__", alter_sys=True)
    else:
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_path(argv[1], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
