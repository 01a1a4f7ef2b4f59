"""The SVG charts: deterministic, self-contained, readable in light and dark mode."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from postmortem_kb.charts import (
    WIDTH,
    Chart,
    Series,
    bar_chart,
    duration_panels,
    duration_unit,
    render_chart,
)
from postmortem_kb.rendering import Renderer
from postmortem_kb.scales import text_width

SVG = "{http://www.w3.org/2000/svg}"
PAGE = "metrics/index.md"


def draw(chart: Chart, renderer: Renderer | None = None) -> str:
    return str(render_chart(renderer or Renderer(), chart, PAGE))


def months(chart_id: str = "incidents-per-month", label: str = "SEV1") -> Chart:
    return bar_chart(
        chart_id,
        "Incidents per month",
        ["2024-01", "2024-02", "2024-03"],
        [Series(label, [1, 0, 2], "sev-1"), Series("SEV2", [0, 1, None], "sev-2")],
        stacked=True,
        integer=True,
        value_label="incidents",
    )


def panels(lines: bool = False) -> Chart:
    median = Series("median", [10.0, 25.5, None], "chart-1")
    p90 = Series("90th percentile", [30.0, 82.0, None], "chart-2")
    return duration_panels(
        "times-by-severity",
        "Durations",
        ["SEV1", "SEV2", "SEV3"],
        [(title, median, p90) for title in ("detect", "mitigate", "resolve", "impact")],
        lines=lines,
    )


def texts(svg: str) -> list[str]:
    return [element.text or "" for element in ET.fromstring(svg).iter(f"{SVG}text")]


def test_charts_are_deterministic() -> None:
    assert draw(months()) == draw(months())
    assert draw(panels()) == draw(panels())
    assert draw(panels(lines=True)) == draw(panels(lines=True))


def test_a_chart_is_well_formed_svg_with_its_text_as_text() -> None:
    svg = draw(months())
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == "0 0 720 288" and root.get("width") is None  # scales
    assert root.get("role") == "img" and root.get("aria-label") == "Incidents per month"
    assert {"2024-01", "2024-03", "SEV1", "SEV2", "incidents", "0", "1", "2"} <= set(texts(svg))
    assert len(root.findall(f".//{SVG}rect")) >= 4  # three bars and legend swatches
    assert len(root.findall(f".//{SVG}line")) > 5  # axes, grid and ticks


def test_charts_follow_the_page_colours_on_a_transparent_background() -> None:
    svg = draw(months()) + draw(panels()) + draw(panels(lines=True))
    assert 'fill="currentColor"' in svg and 'stroke="currentColor"' in svg
    assert "var(--pmkb-sev-1, #b71c1c)" in svg and "var(--pmkb-chart-2, #ef6c00)" in svg
    # No fixed colour outside the CSS variables' fallbacks: not black, not a white box.
    fixed = set(re.findall(r"#[0-9a-fA-F]{3,6}\b", re.sub(r"var\([^)]*\)", "", svg)))
    assert fixed == set()
    assert "<style" not in svg  # a style element would restyle the whole page
    # CSS variables work in style properties only, never in presentation attributes.
    assert not re.search(r'(?:fill|stroke)="var\(', svg)


def test_charts_make_no_request_and_carry_no_script() -> None:
    svg = draw(months()) + draw(panels())
    urls = set(re.findall(r"https?://[^\s\"']+", svg))
    assert urls == {"http://www.w3.org/2000/svg"}  # the namespace
    assert "<script" not in svg and "<image" not in svg and " on" not in svg
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg


def test_charts_can_share_a_page_without_clashing_ids() -> None:
    page = draw(months("first-chart")) + draw(months("second-chart")) + draw(panels())
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert re.findall(r'data-chart="([^"]+)"', page) == [
        "first-chart",
        "second-chart",
        "times-by-severity",
    ]


def test_labels_are_text_never_markup() -> None:
    hostile = '<script>alert(1)</script> & $x$ id="y"'
    svg = draw(months(label=hostile))
    assert "<script>" not in svg
    assert hostile in texts(svg)


def test_a_chart_id_must_be_a_simple_name() -> None:
    with pytest.raises(ValueError, match="chart id"):
        months('x" onload="alert(1)')


def test_the_title_is_escaped_in_its_attribute() -> None:
    chart = bar_chart("c", '"><b>', ["a"], [Series("s", [1], "chart-1")])
    svg = draw(chart)
    assert 'aria-label="&#34;&gt;&lt;b&gt;"' in svg
    assert ET.fromstring(svg).get("aria-label") == '"><b>'


def test_stacked_bars_are_as_tall_as_their_values() -> None:
    chart = bar_chart(
        "stack",
        "Stack",
        ["a", "b"],
        [Series("one", [1, 2], "sev-1"), Series("two", [3, None], "sev-2")],
        stacked=True,
        integer=True,
    )
    (panel,) = chart.panels
    heights = [(bar.color, bar.height) for bar in panel.bars]
    unit = heights[0][1]
    assert heights == [("sev-1", unit), ("sev-1", 2 * unit), ("sev-2", 3 * unit)]
    first, _, on_top = panel.bars
    assert on_top.x == first.x and on_top.y + on_top.height == first.y  # stacked on it
    assert [label.text for label in panel.labels if label.role == "tick"] == [
        "0",
        "1",
        "2",
        "3",
        "4",
    ]


def test_side_by_side_bars_share_their_category() -> None:
    chart = bar_chart(
        "pair", "Pair", ["a"], [Series("m", [2], "chart-1"), Series("p", [4], "chart-2")]
    )
    left, right = chart.panels[0].bars
    assert left.x + left.width == pytest.approx(right.x, abs=0.1)
    assert right.height == pytest.approx(2 * left.height, abs=0.2)


def test_a_horizontal_chart_lists_categories_from_the_top() -> None:
    chart = bar_chart(
        "causes",
        "Causes",
        ["first", "second", "third"],
        [Series("postmortems", [5, 3, 2], "chart-1")],
        integer=True,
        horizontal=True,
        value_label="postmortems",
    )
    (panel,) = chart.panels
    names = [label for label in panel.labels if label.role == "category"]
    assert [label.text for label in names] == ["first", "second", "third"]
    assert names[0].y < names[1].y < names[2].y
    widths = [bar.width for bar in panel.bars]
    assert widths[0] > widths[1] > widths[2]
    assert widths[1] == pytest.approx(widths[0] * 3 / 5, abs=0.2)


def test_a_label_too_long_for_its_room_is_shortened_and_kept_whole_in_a_tooltip() -> None:
    long = "a-root-cause-category-with-a-very-long-name-" * 4
    chart = bar_chart("long", "Long", [long], [Series("n", [1], "chart-1")], horizontal=True)
    (label,) = [label for label in chart.panels[0].labels if label.role == "category"]
    assert label.text.endswith("…") and long.startswith(label.text[:-1])
    assert label.full == long
    assert text_width(label.text, chart.font_size) <= WIDTH * 0.4
    svg = draw(chart)
    title = ET.fromstring(svg).find(f".//{SVG}text/{SVG}title")
    assert title is not None and title.text == long


def assert_inside(chart: Chart) -> None:
    """Every bar and (by its estimated width) every label lies within the chart."""
    reach = math.cos(math.radians(35)), math.sin(math.radians(35))
    for panel in chart.panels:
        for bar in panel.bars:
            assert bar.x >= 0 and bar.x + bar.width <= chart.width, bar
            assert bar.y >= 0 and bar.y + bar.height <= chart.height, bar
        for label in panel.labels:
            width = text_width(label.text, chart.font_size)
            if label.rotate == -35:  # hangs down and to the left of its anchor
                assert label.x - width * reach[0] >= 0, label
                assert label.y + width * reach[1] <= chart.height, label
                continue
            assert 0 <= label.y <= chart.height, label
            if label.rotate == 0 and label.anchor == "end":
                assert label.x - width >= 0, label
            elif label.rotate == 0 and label.anchor == "middle":
                assert label.x - width / 2 >= 0 and label.x + width / 2 <= chart.width, label


@pytest.mark.parametrize("horizontal", [False, True])
@pytest.mark.parametrize("count", [1, 5, 13, 40])
@pytest.mark.parametrize(
    "name", ["2024-{:02d}", "category {} with a rather long name, longer still"]
)
def test_everything_stays_inside_the_chart(horizontal: bool, count: int, name: str) -> None:
    categories = [name.format(index) for index in range(count)]
    chart = bar_chart(
        "inside",
        "Inside",
        categories,
        [
            Series("a", [float(index) for index in range(count)], "chart-1"),
            Series("b", [2.5] * count, "chart-2"),
        ],
        horizontal=horizontal,
        value_label="value",
    )
    assert_inside(chart)


@pytest.mark.parametrize("lines", [False, True])
@pytest.mark.parametrize("count", [1, 8, 30])
def test_every_panel_stays_inside_the_chart(lines: bool, count: int) -> None:
    series = Series("median", [100.0 * index for index in range(count)], "chart-1")
    chart = duration_panels(
        "panels",
        "Panels",
        [f"2024-Q{index}" for index in range(count)],
        [(f"panel {number}", series, series) for number in range(4)],
        lines=lines,
    )
    assert_inside(chart)
    for number, panel in enumerate(chart.panels):  # and within its own quarter of the chart
        cell_left = (number % 2) * chart.width / 2
        for label in panel.labels:
            if label.rotate == -35:
                width = text_width(label.text, chart.font_size)
                assert label.x - width * math.cos(math.radians(35)) >= cell_left, label


def test_crowded_categories_are_labelled_sparsely_and_turned() -> None:
    categories = [f"2024-{index:02d}" for index in range(1, 25)]
    chart = bar_chart("crowd", "Crowd", categories, [Series("n", [1] * 24, "chart-1")])
    names = [label for label in chart.panels[0].labels if label.role == "category"]
    assert [label.text for label in names] == categories[::2]
    assert all(label.rotate == -35 for label in names)
    few = bar_chart("few", "Few", categories[:3], [Series("n", [1] * 3, "chart-1")])
    assert all(label.rotate == 0 for label in few.panels[0].labels)


def test_a_percentage_axis_reads_0_to_100() -> None:
    chart = bar_chart("rate", "Rate", ["q"], [Series("r", [37.5], "chart-1")], value_max=100)
    ticks = [label.text for label in chart.panels[0].labels if label.role == "tick"]
    assert ticks == ["0", "20", "40", "60", "80", "100"]


def test_lines_break_where_a_value_is_unknown() -> None:
    chart = duration_panels(
        "gaps",
        "Gaps",
        ["q1", "q2", "q3", "q4"],
        [
            (
                "detect",
                Series("median", [1, None, 3, 4], "chart-1"),
                Series("p90", [2, 2, None, None], "chart-2"),
            )
        ],
        lines=True,
    )
    (panel,) = chart.panels
    assert [(len(line.points), line.dashed) for line in panel.lines] == [
        (1, False),
        (2, False),
        (2, True),
    ]
    assert len(panel.markers) == 5
    assert [entry.mark for entry in chart.legend] == ["line", "dashed"]


def test_duration_panels_use_a_readable_unit_per_panel() -> None:
    minutes = Series("median", [30.0], "chart-1")
    days = Series("median", [5 * 24 * 60.0], "chart-1")
    chart = duration_panels(
        "units", "Units", ["SEV1"], [("a", minutes, minutes), ("b", days, days)]
    )
    axis_names = [
        [label.text for label in panel.labels if label.role == "axis"] for panel in chart.panels
    ]
    assert axis_names == [["minutes"], ["days"]]
    ticks = [label.text for label in chart.panels[1].labels if label.role == "tick"]
    assert ticks[-1] == "5"


@pytest.mark.parametrize(
    ("values", "unit"),
    [([None], "minutes"), ([12.0, 179.0], "minutes"), ([180.0], "hours"), ([4320.0], "days")],
)
def test_duration_axes_use_a_readable_unit(values: list[float | None], unit: str) -> None:
    assert duration_unit(values)[0] == unit


@pytest.mark.parametrize("lines", [False, True])
def test_a_chart_without_any_known_value_still_draws(lines: bool) -> None:
    nothing = Series("median", [None], "chart-1")
    svg = draw(
        duration_panels(
            "no-data", "Durations", ["2024-Q1"], [("detect", nothing, nothing)] * 4, lines=lines
        )
    )
    assert ET.fromstring(svg).get("aria-label") == "Durations"
    assert {"0", "1", "2024-Q1"} <= set(texts(svg))
    empty = draw(bar_chart("no-rate", "Rate", ["2024-Q1"], [Series("rate", [None], "chart-1")]))
    assert "2024-Q1" in texts(empty)


def test_a_knowledge_base_can_override_the_chart_template(tmp_path: Path) -> None:
    (tmp_path / "tracking").mkdir()
    (tmp_path / "tracking" / "chart.svg.j2").write_text(
        '<svg data-bars="{{ chart.panels[0].bars|length }}">{{ chart.title }}</svg>\n', "utf-8"
    )
    svg = draw(months(), Renderer(tmp_path))
    assert svg == '<svg data-bars="3">Incidents per month</svg>\n'
