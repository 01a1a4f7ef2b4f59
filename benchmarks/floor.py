"""The floor for ``pmkb check``: read every postmortem and parse its front matter with libyaml.

This is the least any checker must do (find the files, read them, split off the front matter,
parse the YAML with PyYAML's C loader) and nothing more: no line numbers, no validation, no
messages. Run as ``python -m benchmarks.floor FOLDER``; it prints how many files it parsed.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import yaml


def parse_all(folder: Path) -> int:
    """Parse the front matter of every ``.md`` file under ``folder``; the number parsed."""
    parsed = 0
    for directory, _dirs, names in os.walk(folder):
        for name in sorted(names):
            if not name.endswith(".md"):
                continue
            text = (Path(directory) / name).read_bytes().decode("utf-8")
            _, front, _body = text.split("---\n", 2)
            data = yaml.load(front, Loader=yaml.CSafeLoader)
            if isinstance(data, dict):
                parsed += 1
    return parsed


def main(argv: list[str]) -> int:
    """Entry point: ``python -m benchmarks.floor FOLDER``."""
    count = parse_all(Path(argv[0]))
    print(f"{count} front matters parsed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
