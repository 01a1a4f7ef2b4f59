"""Rule codes, their levels, and the one function that applies configured levels."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kbtools import FULL_BODY, postmortem_text, write_kb
from postmortem_kb.knowledge_base import load_knowledge_base
from postmortem_kb.model import Problem
from postmortem_kb.rules import RULES, apply_rule_levels, check_rule_levels
from postmortem_kb.settings import ConfigurationError, Settings

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "plugins/postmortem_kb"


def test_apply_rule_levels_changes_and_drops() -> None:
    problems = [
        Problem("a.md", 1, None, "m", "PM301", "warning"),
        Problem("a.md", 2, None, "m", "PM303", "warning"),
        Problem("a.md", 3, None, "m", "PM101", "error"),
    ]
    applied = apply_rule_levels(problems, {"PM301": "error", "PM303": "off"})
    assert [(p.code, p.level) for p in applied] == [("PM301", "error"), ("PM101", "error")]


def test_check_rule_levels() -> None:
    assert check_rule_levels({"pm301": "Notice", "PM409": False}) == {
        "PM301": "notice",
        "PM409": "off",
    }
    with pytest.raises(ConfigurationError, match=r"'PM3O1' is not a rule code.*did you mean PM301"):
        check_rule_levels({"PM3O1": "off"})
    with pytest.raises(ConfigurationError, match="'loud' is not one of error, warning"):
        check_rule_levels({"PM301": "loud"})
    with pytest.raises(ConfigurationError, match=r"PM201 .duplicate-id. is always an error"):
        check_rule_levels({"PM201": "off"})


def test_levels_are_applied_by_load_knowledge_base(tmp_path: Path) -> None:
    blame = FULL_BODY.replace("An N+1 query reached production.", "Human error.")
    root = write_kb(tmp_path, {"a.md": postmortem_text(body=blame)})
    settings = Settings(root=root, postmortems_dir=root / "postmortems")
    assert [p.level for p in load_knowledge_base(settings).problems] == ["warning"]
    raised = Settings(
        root=root, postmortems_dir=root / "postmortems", rule_levels={"PM301": "error"}
    )
    assert [p.level for p in load_knowledge_base(raised).problems] == ["error"]


def test_a_lowered_cross_file_rule_still_publishes_the_file(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text(related=["PM-404"])})
    settings = Settings(
        root=root, postmortems_dir=root / "postmortems", rule_levels={"PM202": "warning"}
    )
    knowledge_base = load_knowledge_base(settings)
    assert [p.code for p in knowledge_base.warnings] == ["PM202"]
    assert [pm.id for pm in knowledge_base.postmortems] == ["PM-2024-017"]


def test_every_code_in_the_package_is_registered() -> None:
    used = {
        code
        for path in PACKAGE.glob("*.py")
        for code in re.findall(r'"(PM\d{3})"', path.read_text())
    }
    assert used <= {rule.code for rule in RULES}
    assert len({rule.code for rule in RULES}) == len(RULES)


def test_the_rules_reference_documents_every_rule_as_registered() -> None:
    text = (ROOT / "docs/rules.md").read_text()
    rows = [line for line in text.splitlines() if re.match(r"^\| `PM\d{3}` \|", line)]
    assert rows == [
        f"| `{rule.code}` | `{rule.name}` | {rule.level} | {rule.checks} | {rule.fix} |"
        for rule in RULES
    ]
