"""Helpers for tests: write postmortems and knowledge bases in a temp folder, build them."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

FULL_BODY = """
## Summary

The orders database saturated after a deploy.

## Impact

About 40% of checkout requests failed.

## Timeline

| Time (UTC) | Event |
| --- | --- |
| 14:20 | Deploy finished |

## Root Cause

An N+1 query reached production.

## Action Items

See the table above.

## What Went Well

- The rollback took four minutes.
- The status page was updated within ten minutes.

## Lessons Learned

Query counts belong in integration tests.
"""


def front_matter(**overrides: Any) -> dict[str, Any]:
    """A valid, final postmortem's front matter; keyword arguments replace fields (None drops)."""
    data: dict[str, Any] = {
        "id": "PM-2024-017",
        "title": "Checkout unavailable after an N+1 query reached production",
        "date": "2024-03-15",
        "severity": "SEV1",
        "status": "final",
        "summary": "For 98 minutes about 40% of checkout requests failed.",
        "services": ["checkout", "orders-db"],
        "tags": ["database", "deploy"],
        "authors": ["checkout-oncall"],
        "reviewers": ["sre-lead"],
        "timeline": {
            "started": "2024-03-15T14:20:00Z",
            "detected": "2024-03-15T14:32:00Z",
            "mitigated": "2024-03-15T15:00:00Z",
            "resolved": "2024-03-15T16:10:00Z",
        },
        "root_causes": [
            {"category": "missing-test-coverage", "description": "No query-count test."}
        ],
        "action_items": [
            {
                "action": "Add a query-count assertion to the orders integration tests",
                "type": "prevent",
                "priority": "P1",
                "owner": "@checkout-team",
                "due": "2024-03-29",
                "status": "done",
                "completed": "2024-03-27",
            },
            {
                "action": "Alert when orders-db CPU stays above 80% for 5 minutes",
                "type": "detect",
                "priority": "P2",
                "owner": "@sre-team",
                "due": "2024-04-05",
                "status": "todo",
            },
        ],
    }
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def postmortem_text(body: str = FULL_BODY, **overrides: Any) -> str:
    """A whole postmortem file as text."""
    fm = yaml.safe_dump(front_matter(**overrides), sort_keys=False, allow_unicode=True)
    return f"---\n{fm}---\n{body}"


MKDOCS_YML = """\
site_name: Test knowledge base
docs_dir: docs
site_dir: site
theme:
  name: material
  features: [content.action.edit]
plugins:
  - search
  - postmortems{options}
"""


def write_kb(
    root: Path,
    postmortems: dict[str, str | bytes],
    options: dict[str, Any] | None = None,
    extra_config: str = "",
) -> Path:
    """Write a knowledge base: mkdocs.yml, docs/index.md and the given postmortem files."""
    root.mkdir(parents=True, exist_ok=True)
    rendered_options = ""
    if options:
        dumped = yaml.safe_dump(options, sort_keys=False)
        rendered_options = ":\n" + textwrap.indent(dumped, "      ")
    (root / "mkdocs.yml").write_text(
        MKDOCS_YML.format(options=rendered_options) + extra_config, encoding="utf-8"
    )
    (root / "docs").mkdir(exist_ok=True)
    (root / "docs" / "index.md").write_text("# Home\n", encoding="utf-8")
    folder = root / "postmortems"
    folder.mkdir(exist_ok=True)
    for name, content in postmortems.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def use_custom_dir(root: Path, files: Mapping[str, str | Path]) -> Path:
    """Give the knowledge base at ``root`` a theme ``custom_dir`` (``overrides/``) with ``files``.

    Each is a template's text, or the path of a file to copy (one of Material's own, say).
    """
    folder = root / "overrides"
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copy(content, path)
        else:
            path.write_text(content, encoding="utf-8")
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "  name: material\n" in text and "custom_dir:" not in text
    config.write_text(
        text.replace("  name: material\n", "  name: material\n  custom_dir: overrides\n", 1),
        encoding="utf-8",
    )
    return folder


def build(root: Path, strict: bool = False) -> Path:
    """Build the site of a knowledge base with MkDocs' own API; returns the site folder."""
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    config = load_config(str(root / "mkdocs.yml"), strict=strict)
    mkdocs_build(config)
    return Path(config.site_dir)


def copy_tracked_files(repository: Path, destination: Path) -> list[str]:
    """Copy the files git would commit (tracked and new, not ignored) into ``destination``."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=repository,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")
    copied = []
    for name in sorted(filter(None, listed.split("\0"))):
        source = repository / name
        if not source.is_file():  # deleted in the work tree, not yet committed
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        copied.append(name)
    return copied
