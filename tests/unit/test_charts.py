"""The SVG charts: deterministic, self-contained, readable in light and dark mode."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from postmortem_kb.charts import Series, bar_chart, duration_panels, duration_unit, inline_svg

SVG = "{http://www.w3.org/2000/svg}"


def months_chart(chart_id: str = "incidents-per-month", label: str = "SEV1") -> str:
    return bar_chart(
        chart_id,
        "Incidents per month",
        ["2024-01", "2024-02", "2024-03"],
        [Series(label, [1, 0, 2], "sev-1"), Series("SEV2", [0, 1, None], "sev-2")],
        stacked=True,
        integer=True,
        value_label="incidents",
    )


def panels_chart() -> str:
    median = Series("median", [10.0, 25.5, None], "chart-1")
    p90 = Series("90th percentile", [30.0, 82.0, None], "chart-2")
    return duration_panels(
        "times-by-severity",
        "Durations",
        ["SEV1", "SEV2", "SEV3"],
        [(title, median, p90) for title in ("detect", "mitigate", "resolve", "impact")],
    )


def test_charts_are_deterministic() -> None:
    assert months_chart() == months_chart()
    assert panels_chart() == panels_chart()


def test_a_chart_is_well_formed_svg_with_its_text_as_text() -> None:
    svg = months_chart()
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") and root.get("width") is None  # scales with the page
    assert root.get("role") == "img" and root.get("aria-label") == "Incidents per month"
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert {"2024-01", "2024-03", "SEV1", "SEV2", "incidents"} <= set(texts)
    assert len(root.findall(f".//{SVG}path")) > 5  # bars, axes and ticks were drawn


def test_charts_follow_the_page_colours_on_a_transparent_background() -> None:
    svg = months_chart() + panels_chart()
    assert "currentColor" in svg
    assert "var(--pmkb-sev-1, #b71c1c)" in svg and "var(--pmkb-chart-2, #ef6c00)" in svg
    # No fixed colour outside the CSS variables' fallbacks: not black, not a white box.
    fixed = set(re.findall(r"#[0-9a-fA-F]{6}\b", re.sub(r"var\([^)]*\)", "", svg)))
    assert fixed == set()
    assert "<style" not in svg  # matplotlib's global style would restyle the whole page


def test_charts_make_no_request_and_carry_no_script() -> None:
    svg = months_chart() + panels_chart()
    urls = set(re.findall(r"https?://[^\s\"']+", svg))
    assert urls == {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # namespaces
    assert "<script" not in svg and "<image" not in svg and "<metadata" not in svg
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg


def test_ids_are_prefixed_so_that_charts_can_share_a_page() -> None:
    first, second = months_chart("first-chart"), months_chart("second-chart")
    ids = re.findall(r'\bid="([^"]+)"', first + second)
    assert len(ids) == len(set(ids))
    assert all(i.startswith(("first-chart-", "second-chart-")) for i in ids)
    references = re.findall(r'(?:url\(#|href="#)([^")]+)', first)
    assert references and all(ref in ids for ref in references)


def test_labels_are_text_never_markup_or_math() -> None:
    svg = months_chart(label='<script>alert(1)</script> & $x$ id="y"')
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert '<script>alert(1)</script> & $x$ id="y"' in texts


def test_a_chart_id_must_be_a_simple_name() -> None:
    with pytest.raises(ValueError, match="chart id"):
        months_chart('x" onload="alert(1)')


def test_the_title_is_escaped_in_its_attribute() -> None:
    svg = inline_svg('<svg width="1pt" height="1pt" viewBox="0 0 1 1"></svg>', "c", '"><b>')
    assert 'aria-label="&#34;&gt;&lt;b&gt;"' in svg
    assert 'width="1pt"' not in svg


@pytest.mark.parametrize(
    ("values", "unit"),
    [([None], "minutes"), ([12.0, 179.0], "minutes"), ([180.0], "hours"), ([4320.0], "days")],
)
def test_duration_axes_use_a_readable_unit(values: list[float | None], unit: str) -> None:
    assert duration_unit(values)[0] == unit


@pytest.mark.parametrize("lines", [False, True])
def test_a_chart_without_any_known_value_still_draws(lines: bool) -> None:
    nothing = Series("median", [None], "chart-1")
    svg = duration_panels(
        "no-data", "Durations", ["2024-Q1"], [("detect", nothing, nothing)] * 4, lines=lines
    )
    assert ET.fromstring(svg).get("aria-label") == "Durations"
    empty = bar_chart("no-rate", "Rate", ["2024-Q1"], [Series("rate", [None], "chart-1")])
    assert "2024-Q1" in empty
