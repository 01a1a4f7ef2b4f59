"""The plugin's narrow heading-id extension reads ``{ #anchor }`` as attr_list would."""

from __future__ import annotations

import markdown
import pytest

CASES = [
    "## Payments { #payments }",
    "## Orders &#45; API { #orders-api }",
    "### With `code` inside { #code-tail }",
    "## Deep *emphasis* { #em }",
    "# Title {  #spaced  }  ",
    "## No id here",
    "## Braces but no id { .cls }",
    "## Text {#tight}",
]


@pytest.mark.parametrize("source", CASES)
def test_a_heading_gets_the_id_attr_list_would_give(source: str) -> None:
    ours = markdown.markdown(source, extensions=["postmortem_kb.heading_ids", "toc"])
    theirs = markdown.markdown(source, extensions=["attr_list", "toc"])
    if "{ .cls }" in source:  # another attribute list: left for attr_list
        assert "{ .cls }" in ours
    else:
        assert ours == theirs


def test_it_leaves_headings_below_the_top_level_and_other_elements_alone() -> None:
    source = "> ## Quoted { #q }\n\nA paragraph { #p }\n"
    html = markdown.markdown(source, extensions=["postmortem_kb.heading_ids"])
    assert 'id="q"' not in html and "{ #q }" in html
    assert "{ #p }" in html


def test_with_attr_list_enabled_both_forms_still_work() -> None:
    source = "## One { #one }\n\n## Two { #two .big }\n"
    html = markdown.markdown(source, extensions=["postmortem_kb.heading_ids", "attr_list"])
    assert '<h2 id="one">One</h2>' in html
    assert 'class="big"' in html and 'id="two"' in html
