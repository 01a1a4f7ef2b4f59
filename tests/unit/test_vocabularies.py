"""Vocabularies for root cause categories, services and tags, and the browse options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kbtools import postmortem_text, write_kb
from postmortem_kb.config import (
    PostmortemsConfig,
    service_vocabulary,
    settings_from_options,
    tag_vocabulary,
)
from postmortem_kb.knowledge_base import load_knowledge_base
from postmortem_kb.model import ServiceInfo
from postmortem_kb.settings import ConfigurationError, Settings


def check(tmp_path: Path, text: str, **settings: Any) -> list[str]:
    root = write_kb(tmp_path, {"a.md": text})
    kb = load_knowledge_base(Settings(root=root, postmortems_dir=root / "postmortems", **settings))
    return [f"{p.code} {p.level} {p}" for p in kb.problems]


def test_without_vocabularies_any_value_is_accepted(tmp_path: Path) -> None:
    assert check(tmp_path, postmortem_text(services=["anything"], tags=["whatever"])) == []


def test_an_unknown_service_is_a_located_warning_with_a_guess(tmp_path: Path) -> None:
    text = postmortem_text(services=["checkout", "check-out"])
    services = {"checkout": ServiceInfo("checkout"), "orders-db": ServiceInfo("orders-db")}
    assert check(tmp_path, text, services=services) == [
        "PM209 warning postmortems/a.md:10: services[1]: 'check-out' is not in the services "
        "vocabulary; did you mean 'checkout'? (add it to the services option in mkdocs.yml "
        "if it is new)"
    ]


def test_a_service_in_another_case_suggests_the_vocabulary_spelling(tmp_path: Path) -> None:
    text = postmortem_text(services=["Checkout"])
    problems = check(tmp_path, text, services={"checkout": ServiceInfo("checkout")})
    assert len(problems) == 1
    assert (
        "services[0]: 'Checkout' is not in the services vocabulary; did you mean 'checkout'?"
        in problems[0]
    )


def test_an_unknown_tag_is_a_located_warning(tmp_path: Path) -> None:
    text = postmortem_text(tags=["database", "deploys"])
    problems = check(tmp_path, text, tags=frozenset({"database", "deploy"}))
    assert problems == [
        "PM210 warning postmortems/a.md:13: tags[1]: 'deploys' is not in the tags vocabulary; "
        "did you mean 'deploy'? (add it to the tags option in mkdocs.yml if it is new)"
    ]


def test_an_unknown_category_is_a_warning_only_with_a_taxonomy(tmp_path: Path) -> None:
    text = postmortem_text(
        root_causes=[
            {"category": "db-outage", "description": "x"},
            {"category": "databse", "description": "y"},
            {"category": "database", "description": "z"},
        ]
    )
    assert check(tmp_path / "none", text) == []
    problems = check(
        tmp_path / "taxonomy",
        text,
        taxonomy={"db-outage": "database"},
        root_cause_categories=frozenset({"database", "deploy-process"}),
    )
    assert len(problems) == 1
    assert problems[0].startswith("PM208 warning postmortems/a.md:")
    assert (
        "root_causes[1].category: 'databse' is not a category of the taxonomy; did you mean 'database'?"
        in problems[0]
    )
    line = int(problems[0].split(":")[1])
    assert text.splitlines()[line - 1].strip() == "- category: databse"


def test_the_services_option_takes_names_or_details() -> None:
    assert service_vocabulary(None) is None
    assert service_vocabulary([]) is None
    assert service_vocabulary(["a", "b"]) == {"a": ServiceInfo("a"), "b": ServiceInfo("b")}
    vocabulary = service_vocabulary(
        {"checkout": {"owner": "@team", "tier": 1, "description": "Basket."}, "search": None}
    )
    assert vocabulary == {
        "checkout": ServiceInfo("checkout", owner="@team", tier="1", description="Basket."),
        "search": ServiceInfo("search"),
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"a": {"team": "x"}},
            "services: a: unknown field(s) team; expected owner, tier, description",
        ),
        ({"a": "x"}, "services: a: expected a mapping of owner, tier, description"),
        ({"a": {"owner": ["x"]}}, "services: a.owner: expected text"),
        ([1], "services: 1 is not a service name"),
        (
            ["Checkout", "checkout"],
            "services: 'Checkout' and 'checkout' would share the page of 'checkout'",
        ),
    ],
)
def test_a_bad_services_option_is_a_configuration_error(value: Any, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        service_vocabulary(value)


def test_the_tags_option() -> None:
    assert tag_vocabulary(None) is None
    assert tag_vocabulary(["a", "b"]) == frozenset({"a", "b"})
    with pytest.raises(ConfigurationError, match="tags: 'Deploy' and 'deploy' would share"):
        tag_vocabulary(["Deploy", "deploy"])
    with pytest.raises(ConfigurationError, match="tags: None is not a tag name"):
        tag_vocabulary([None])


def options(**values: Any) -> PostmortemsConfig:
    config = PostmortemsConfig()
    config.load_dict(values)
    failed, _ = config.validate()
    assert not failed, failed
    return config


def test_settings_carry_the_vocabularies_and_the_taxonomy(tmp_path: Path) -> None:
    settings = settings_from_options(
        options(
            taxonomy={"database": ["db-outage"], "deploy-process": None},
            services={"checkout": {"owner": "@c"}},
            tags=["deploy"],
        ),
        tmp_path / "mkdocs.yml",
    )
    assert settings.taxonomy == {"db-outage": "database"}
    assert settings.root_cause_categories == frozenset({"database", "deploy-process"})
    assert settings.services == {"checkout": ServiceInfo("checkout", owner="@c")}
    assert settings.tags == frozenset({"deploy"})


def test_severity_levels_that_share_an_anchor_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="'SEV 1' and 'sev-1' would share one anchor"):
        settings_from_options(options(severities=["SEV 1", "sev-1"]), tmp_path / "mkdocs.yml")
