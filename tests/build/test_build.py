"""Build real sites in a temp folder and read their HTML and export."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from mkdocs.exceptions import Abort, PluginError

from kbtools import FULL_BODY, build, front_matter, postmortem_text, use_custom_dir, write_kb


def test_a_postmortem_page_has_its_header_card(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"2024-03-15-checkout.md": postmortem_text()})
    site = build(root, strict=True)
    html = (site / "postmortems/2024-03-15-checkout/index.html").read_text()
    assert '<span class="pmkb-id">PM-2024-017</span>' in html
    assert 'pmkb-badge--sev-1" title="Severity">SEV1</span>' in html
    assert "<td>12 min</td>" in html  # time to detect
    assert "<td>1 h 38 min</td>" in html  # time to resolve
    assert "Add a query-count assertion to the orders integration tests" in html
    assert "What Went Well" in html  # the body follows the card
    assert (site / "assets/pmkb.css").is_file()


def test_the_export_has_every_postmortem_and_its_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1712275200")  # 2024-04-05
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1712448000")  # 2024-04-07
    no_timeline = postmortem_text(
        id="PM-2",
        date="2024-03-20",
        timeline=None,
        status="draft",
        root_causes=[{"category": "missing-test-coverage", "description": "x"}],
    )
    root = write_kb(tmp_path, {"a.md": postmortem_text(), "b.md": no_timeline})
    site = build(root)
    data = json.loads((site / "postmortems.json").read_text())
    assert data["generated"] == "2024-04-07"
    assert [pm["id"] for pm in data["postmortems"]] == ["PM-2", "PM-2024-017"]
    first = data["postmortems"][1]
    assert first["url"] == "postmortems/a/"
    assert first["date"] == "2024-03-15"
    assert first["metrics"] == {
        "time_to_detect_minutes": 12,
        "time_to_mitigate_minutes": 28,
        "time_to_resolve_minutes": 98,
        "impact_duration_minutes": 40,
    }
    assert [item["overdue_days"] for item in first["action_items"]] == [None, 2]
    assert data["postmortems"][0]["metrics"]["time_to_detect_minutes"] is None
    assert data["recurring_root_causes"] == [
        {
            "category": "missing-test-coverage",
            "postmortems": ["PM-2", "PM-2024-017"],
            "services": ["checkout", "orders-db"],
        }
    ]


def test_an_invalid_postmortem_fails_the_build_with_every_problem(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    bad = postmortem_text(severity="SEV9", date="2024-02-30")
    root = write_kb(
        tmp_path,
        {"good.md": postmortem_text(id="PM-1"), "bad.md": bad, "worse.md": "no front matter\n"},
    )
    with pytest.raises((Abort, PluginError)), caplog.at_level(logging.ERROR):
        build(root)
    text = caplog.text
    assert "3 error(s) in 2 file(s); nothing was published" in text
    assert "postmortems/bad.md:4: date: '2024-02-30' is not a day that exists" in text
    assert "postmortems/bad.md:5: severity: the text 'SEV9' is not one of" in text
    assert "postmortems/worse.md:1: the file has no front matter" in text
    assert "Traceback" not in text


def test_warnings_fail_a_strict_build(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text(servics=["x"])})
    build(root)
    with pytest.raises(Abort):
        build(root, strict=True)


def test_nothing_is_written_into_docs(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    before = sorted(p.name for p in (root / "docs").rglob("*"))
    build(root)
    assert sorted(p.name for p in (root / "docs").rglob("*")) == before


def test_edit_link_opens_the_real_file(tmp_path: Path) -> None:
    config = "repo_url: https://example.com/org/kb\nedit_uri: edit/main/docs/\n"
    root = write_kb(tmp_path, {"a.md": postmortem_text()}, extra_config=config)
    site = build(root)
    html = (site / "postmortems/a/index.html").read_text()
    assert 'href="https://example.com/org/kb/edit/main/postmortems/a.md"' in html


def test_the_repository_link_makes_the_browser_call_no_git_host_api(tmp_path: Path) -> None:
    config = "repo_url: https://github.com/org/kb\nedit_uri: edit/main/docs/\n"
    root = write_kb(tmp_path, {"a.md": postmortem_text()}, extra_config=config)
    site = build(root, strict=True)
    for page in ("index.html", "postmortems/a/index.html"):
        html = (site / page).read_text()
        assert 'href="https://github.com/org/kb" title="Go to repository" class="md-source"' in html
        # Material's script fetches stars and forks from api.github.com for this component.
        assert 'data-md-component="source"' not in html


def test_a_custom_dir_still_overrides_the_packaged_partials(tmp_path: Path) -> None:
    config = "repo_url: https://github.com/org/kb\n"
    root = write_kb(tmp_path, {"a.md": postmortem_text()}, extra_config=config)
    use_custom_dir(root, {"partials/source.html": "<a class=mine>repo</a>"})
    site = build(root, strict=True)
    assert "<a class=mine>repo</a>" in (site / "index.html").read_text()


def test_postmortems_stay_out_of_the_navigation(tmp_path: Path) -> None:
    files = {f"pm-{i}.md": postmortem_text(id=f"PM-{i}") for i in range(5)}
    root = write_kb(tmp_path, files)
    site = build(root, strict=True)
    home = (site / "index.html").read_text()
    assert "postmortems/pm-3/" not in home
    assert (site / "postmortems/pm-3/index.html").is_file()
    index = json.loads((site / "search/search_index.json").read_text())
    assert any(doc["location"].startswith("postmortems/pm-3/") for doc in index["docs"])


def test_the_field_reference_is_generated_from_the_schema(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()})
    site = build(root)
    html = (site / "format/index.html").read_text()
    assert "<code>action_items[].owner</code>" in html
    assert "when final" in html


def test_front_matter_values_are_text_on_the_page(tmp_path: Path) -> None:
    items = front_matter()["action_items"]
    items[0]["owner"] = "<img src=x onerror=alert(1)>"
    text = postmortem_text(
        title="<script>alert(1)</script> | *bold*",
        summary="<b>bold</b> & more",
        action_items=items,
    )
    root = write_kb(tmp_path, {"a.md": text})
    site = build(root)
    html = (site / "postmortems/a/index.html").read_text()
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; more" in html


BODY_WITH_MARKUP = """
## Summary

> A quote & a remark.

```
if a < b && c > d: pass
```

<details><summary>More</summary>Hidden</details>

Text <script>pmkbXSS()</script> and [a link](javascript:pmkbXSS()).
"""


def test_the_body_is_markdown_and_its_html_is_sanitized(tmp_path: Path) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text(body=BODY_WITH_MARKUP)})
    site = build(root)
    html = (site / "postmortems/a/index.html").read_text()
    assert "<blockquote>\n<p>A quote &amp; a remark.</p>\n</blockquote>" in html
    assert "if a &lt; b &amp;&amp; c &gt; d: pass" in html
    assert "<details><summary>More</summary>Hidden</details>" in html
    assert "<script>pmkbXSS()</script>" not in html
    assert "javascript:" not in html
    assert "<a>a link</a>" in html


def test_sanitizing_can_be_turned_off(tmp_path: Path) -> None:
    root = write_kb(
        tmp_path, {"a.md": postmortem_text(body=BODY_WITH_MARKUP)}, {"sanitize_html": False}
    )
    html = (build(root) / "postmortems/a/index.html").read_text()
    assert "<script>pmkbXSS()</script>" in html
    assert 'href="javascript:pmkbXSS()"' in html


BLAME_BODY = FULL_BODY.replace("An N+1 query reached production.", "Human error caused it.")


def test_lint_levels_are_the_same_in_the_build_as_in_pmkb_check(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    files = {"a.md": postmortem_text(body=BLAME_BODY)}
    root = write_kb(tmp_path / "default", files)
    with caplog.at_level(logging.WARNING):
        build(root)
    assert "postmortems/a.md:58: 'Human error' blames people, not the system" in caplog.text
    with pytest.raises(Abort):
        build(root, strict=True)
    caplog.clear()
    as_error = write_kb(tmp_path / "error", files, options={"rules": {"PM301": "error"}})
    with pytest.raises((Abort, PluginError)), caplog.at_level(logging.ERROR):
        build(as_error)
    assert "1 error(s) in 1 file(s); nothing was published" in caplog.text
    assert "postmortems/a.md:58: 'Human error' blames people" in caplog.text
    off = write_kb(tmp_path / "off", files, options={"rules": {"PM301": "off"}})
    build(off, strict=True)


def test_notices_are_logged_and_never_fail_a_strict_build(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cause = [{"category": "deploy-process", "description": "No canary stage."}]
    root = write_kb(
        tmp_path,
        {
            "a.md": postmortem_text(root_causes=cause),
            "b.md": postmortem_text(id="PM-2", root_causes=cause),
        },
    )
    with caplog.at_level(logging.INFO):
        build(root, strict=True)
    notices = [r for r in caplog.records if "recurs: it is also a root cause of" in r.message]
    assert [r.levelno for r in notices] == [logging.INFO, logging.INFO]
    assert "and add PM-2 to 'related'" in notices[0].message


def test_an_unknown_rule_code_fails_the_build(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = write_kb(tmp_path, {"a.md": postmortem_text()}, options={"rules": {"PM3O1": "off"}})
    with pytest.raises((Abort, PluginError)), caplog.at_level(logging.ERROR):
        build(root)
    assert "rules: 'PM3O1' is not a rule code" in caplog.text
