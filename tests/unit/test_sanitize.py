"""The body sanitizer keeps what Markdown and its usual extensions make, and drops what runs."""

from __future__ import annotations

import re

import markdown
import pytest

from htmlcheck import live_payloads, parse
from postmortem_kb.sanitize import sanitize_html

EXTENSIONS = [
    "abbr",
    "admonition",
    "attr_list",
    "def_list",
    "footnotes",
    "tables",
    "toc",
    "pymdownx.details",
    "pymdownx.highlight",
    "pymdownx.superfences",
    "pymdownx.tabbed",
    "pymdownx.tasklist",
    "pymdownx.mark",
    "pymdownx.tilde",
    "pymdownx.keys",
]
CONFIG = {"toc": {"permalink": True}, "pymdownx.tabbed": {"alternate_style": True}}

BENIGN = """
# Checkout outage {#top .big}

Text with *emphasis*, **strong**, `code`, ==mark==, ~~gone~~, ++ctrl+alt+del++, an
[absolute link](https://example.com/a?b=1&c=2 "a title"), a [relative one](../other/),
an [anchor](#top), a [mail](mailto:sre@example.com) and ![a chart](../img/chart.png){ width="300" }.
The HTML spec is maintained by the W3C.[^1]

*[HTML]: Hyper Text Markup Language

> A quote & a <b>bold</b> word.

| Left | Centre | Right |
| :--- | :----: | ----: |
| a    | b      | c     |

1. one
2. two

- [x] done
- [ ] todo

Term
:   Definition

!!! warning "Watch out"
    An admonition.

??? note "More"
    Hidden until opened.

=== "Python"

    ```python
    print("a & b < c")
    ```

=== "Shell"

    ```sh
    echo hi
    ```

<details><summary>Raw details</summary>Body</details>

---

[^1]: A footnote.
"""

HOSTILE = """
## Heading {: onclick="pmkbXSS()" }

Text <script>pmkbXSS()</script> <img src=x onerror=pmkbXSS()> <svg onload=pmkbXSS()></svg>
<a href="javascript:pmkbXSS()">a</a> [b](javascript:pmkbXSS()) [c](JaVaScRiPt:pmkbXSS())
[d]( javascript:pmkbXSS()) <a href="&#106;avascript:pmkbXSS()">e</a>
<iframe src="https://evil.example/"></iframe> <form action="x"><button>f</button></form>
<object data="javascript:pmkbXSS()"></object> <embed src="x.swf">
<div style="background:url(javascript:pmkbXSS())">g</div> <style>body{display:none}</style>
<div id="__config">{"search": "https://evil.example/w.js"}</div>
<input type="text" name="password"> <meta http-equiv="refresh" content="0;url=https://evil.example/">
<img src="data:image/svg+xml,&lt;svg onload=pmkbXSS()&gt;">
<math><mi xlink:href="javascript:pmkbXSS()">h</mi></math>
<a href="https://ok.example/" target="_blank" rel="opener">i</a>
"""


def render(text: str) -> str:
    return markdown.markdown(text, extensions=EXTENSIONS, extension_configs=CONFIG)


def normalized(html: str) -> tuple[list[tuple[str, tuple[tuple[str, str], ...]]], str]:
    """Elements with sorted attributes, styles without spaces, and the text."""
    parsed = parse(html)
    elements = [
        (
            tag,
            tuple(
                sorted(
                    (name, re.sub(r"\s|;$", "", value) if name == "style" else value)
                    for name, value in attributes
                )
            ),
        )
        for tag, attributes in parsed.elements
    ]
    return elements, "".join(parsed.text)


def test_normal_markdown_output_survives_unchanged() -> None:
    html = render(BENIGN)
    for feature in ('class="admonition warning"', "tabbed-set", 'type="checkbox"', "footnote"):
        assert feature in html  # the sample exercises what it claims to
    assert normalized(sanitize_html(html)) == normalized(html)


def test_the_header_card_survives_unchanged() -> None:
    card = (
        '<div class="pmkb-card pmkb-sev-1"><div class="pmkb-card__meta">'
        '<span class="pmkb-id">PM-1</span>'
        '<span class="pmkb-badge pmkb-badge--sev-1" title="Severity">SEV1</span>'
        '<time class="pmkb-date" datetime="2024-03-15">2024-03-15</time></div>'
        '<dl class="pmkb-facts"><dt>Services</dt><dd><span class="pmkb-chip">a</span></dd></dl>'
        '<table class="pmkb-actions"><tbody><tr class="pmkb-action pmkb-action--todo"><td>'
        '<a href="https://tracker.example.com/OPS-1" rel="noopener nofollow">tracker</a>'
        "</td></tr></tbody></table></div>"
    )
    assert normalized(sanitize_html(card)) == normalized(card)


def test_hostile_html_is_dropped_and_its_text_kept() -> None:
    html = render(HOSTILE)
    assert live_payloads(html)  # unsanitized, the payloads are live
    cleaned = sanitize_html(html)
    assert live_payloads(cleaned) == []
    elements = {tag for tag, _ in parse(cleaned).elements}
    assert not elements & {"script", "style", "iframe", "form", "object", "embed", "meta", "svg"}
    assert 'id="__config"' not in cleaned
    assert "target=" not in cleaned
    assert "data:image" not in cleaned
    assert 'type="text"' not in cleaned
    assert "display:none" not in cleaned  # style elements lose their content
    assert "Heading" in cleaned and ">a</a>" in cleaned  # the text stays


@pytest.mark.parametrize(
    "value",
    ["__codelineno-0-1", "__span-0-1", "__tabbed_1_2", "fn:1", "fnref:1", "top"],
)
def test_ids_that_extensions_write_are_kept(value: str) -> None:
    assert f'id="{value}"' in sanitize_html(f'<span id="{value}">x</span>')


@pytest.mark.parametrize("value", ["__config", "__search", "__drawer", "__toc", "__palette_0"])
def test_ids_of_the_theme_cannot_be_clobbered(value: str) -> None:
    assert sanitize_html(f'<span id="{value}" name="{value}">x</span>') == "<span>x</span>"
