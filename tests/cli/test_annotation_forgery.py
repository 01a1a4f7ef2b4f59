"""No file name or value can forge a GitHub workflow annotation through ``pmkb check``.

GitHub reads every output line that starts with ``::`` as a workflow command. A file name or
a value that carried a line break followed by ``::error ...`` would add an annotation of its
own, or ``::add-mask::``/``::stop-commands::`` would change the run. The github format must
escape ``%``, CR and LF (and ``:`` and ``,`` in properties) so that each problem is exactly
one annotation line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from kbtools import front_matter, postmortem_text, write_kb
from postmortem_kb.cli import main
from postmortem_kb.knowledge_base import load_knowledge_base
from postmortem_kb.settings import Settings

FORGED = "::error file=forged.md,line=1::forged annotation"


def github_format_available() -> bool:
    result = CliRunner().invoke(main, ["check", "--help"])
    return "github" in result.output


@pytest.mark.skipif(
    not github_format_available(),
    reason="pmkb check --format github is not there yet: it comes with issue 5",
)
def test_values_and_file_names_cannot_forge_annotations(tmp_path: Path) -> None:
    items = front_matter()["action_items"]
    items[0]["owner"] = f"@team\r\n{FORGED}"
    files = {
        f"a\n{FORGED}.md": "no front matter\n",
        "100%25 %0A done, really: yes.md": "no front matter either\n",
        "b.md": postmortem_text(
            id="PM-B",
            action_items=items,
            title=f"50% done\r{FORGED}",
            **{f"x-note\n{FORGED}": "v"},
        ),
    }
    root = write_kb(tmp_path, files)
    settings = Settings(root=root, postmortems_dir=root / "postmortems")
    problems = load_knowledge_base(settings).problems
    assert len(problems) >= 4

    result = CliRunner().invoke(
        main, ["check", "--format", "github", "-f", str(root / "mkdocs.yml")], env={}
    )
    assert result.exit_code == 1, result.output
    lines = result.output.split("\n")
    annotations = [line for line in lines if line.startswith("::")]
    assert len(annotations) == len(problems)
    assert all(line.startswith(("::error ", "::warning ", "::notice ")) for line in annotations)
    assert not any(line.startswith(FORGED) for line in lines)
    assert "\r" not in result.output
    for line in annotations:
        properties, _, message = line.partition("::")[2].partition("::")
        assert "\n" not in message and "%" not in message.replace("%25", "").replace(
            "%0D", ""
        ).replace("%0A", "")
        for part in properties.split(" ", 1)[1].split(","):
            key, _, value = part.partition("=")
            assert key in ("file", "line", "endLine", "col", "endColumn", "title"), part
            assert ":" not in value and "," not in value
