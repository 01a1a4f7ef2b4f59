"""Static SVG charts for the metrics page: laid out here, drawn by a Jinja template.

The layout (where each bar, line, tick and label goes) is computed in Python from the data
with ``postmortem_kb.scales``; ``templates/tracking/chart.svg.j2`` turns it into SVG
elements, and can be overridden like every other template. The SVG is inlined into the page,
so it follows Material's light and dark schemes: text, axes and grid are drawn in
``currentColor`` and the series in the plugin's CSS variables (``--pmkb-sev-1`` ...
``--pmkb-chart-2``), on a transparent background. Text stays text, in the page's own font,
escaped by the template like every value; the SVG has no ids, no script and no style
element, so any number of charts can share a page. Output depends only on the data.

matplotlib drew these charts until profiling at 1,000 postmortems showed it cost more than
the whole budget of the plugin (0.4 s to import, 0.6-0.8 s to lay out and save five charts,
about 50 MiB), for bars, lines and labels that need a few hundred lines of arithmetic.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from markupsafe import Markup

from postmortem_kb.rendering import Renderer
from postmortem_kb.scales import (
    BandScale,
    LinearScale,
    Ticks,
    nice_ticks,
    sparse_indexes,
    text_width,
    widest,
)

ColorName = Literal["sev-1", "sev-2", "sev-3", "sev-4", "chart-1", "chart-2"]
Anchor = Literal["start", "middle", "end"]
Mark = Literal["bar", "line", "dashed"]

CHART_TEMPLATE = "tracking/chart.svg.j2"

WIDTH = 720
"""The width of every chart in SVG units; the page scales it to the content width."""
FONT_SIZE = 12
"""The font size of the labels, in SVG units: 1/60 of the width, as on a printed figure."""

_TICK = 4.0  # length of a tick mark
_GAP = 4.0  # between a tick mark and its label
_PAD = 6.0  # around the chart
_ROTATION = 35.0  # degrees, of category labels that would not fit side by side
_LEGEND_ROW = 22.0
_MAX_LABEL_SHARE = 0.4  # of the width, for the category labels of horizontal bars
_MAX_TURNED_LABEL = 160.0  # the longest turned category label, shortened beyond
_CHART_ID = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Series:
    """One series of a chart: its legend label, one value per category, its colour."""

    label: str
    values: Sequence[float | None]
    color: ColorName


@dataclass(frozen=True)
class Segment:
    """A straight line from ``(x1, y1)`` to ``(x2, y2)``."""

    x1: float
    y1: float
    x2: float
    y2: float


@dataclass(frozen=True)
class Label:
    """A line of text: ``y`` is its baseline, ``rotate`` degrees clockwise about ``(x, y)``.

    ``full`` is the whole text when ``text`` had to be shortened to fit (else empty).
    """

    x: float
    y: float
    text: str
    anchor: Anchor = "middle"
    rotate: float = 0.0
    full: str = ""
    role: Literal["tick", "category", "axis", "title", "legend"] = "tick"


@dataclass(frozen=True)
class Bar:
    """A filled rectangle of a series."""

    x: float
    y: float
    width: float
    height: float
    color: ColorName


@dataclass(frozen=True)
class Polyline:
    """A series as a line through its points; ``dashed`` for the second series."""

    points: tuple[tuple[float, float], ...]
    color: ColorName
    dashed: bool


@dataclass(frozen=True)
class Marker:
    """A dot on a line at one known value."""

    x: float
    y: float
    color: ColorName


@dataclass(frozen=True)
class LegendEntry:
    """A series' swatch (``mark``) at ``x``-``y`` and its label."""

    x: float
    y: float
    mark: Mark
    color: ColorName
    label: Label


@dataclass(frozen=True)
class Panel:
    """One plot area with its axes, grid, labels and marks."""

    grid: tuple[Segment, ...]
    axes: tuple[Segment, ...]
    ticks: tuple[Segment, ...]
    labels: tuple[Label, ...]
    bars: tuple[Bar, ...] = ()
    lines: tuple[Polyline, ...] = ()
    markers: tuple[Marker, ...] = ()


@dataclass(frozen=True)
class Chart:
    """A chart laid out: what ``templates/tracking/chart.svg.j2`` draws.

    Attributes:
        chart_id: a short name, unique on the page (lower-case letters, digits, hyphens).
        title: what the chart shows, for screen readers.
        width: the width of the ``viewBox``.
        height: the height of the ``viewBox``.
        font_size: the size of the labels.
        panels: the plot areas.
        legend: the series, when there is more than one.
    """

    chart_id: str
    title: str
    width: float
    height: float
    font_size: float
    panels: tuple[Panel, ...]
    legend: tuple[LegendEntry, ...] = field(default=())


def severity_color(rank: int) -> ColorName:
    """The colour of a severity level by rank (1 is the worst; past 4 shares 4's colour)."""
    names: tuple[ColorName, ...] = ("sev-1", "sev-2", "sev-3", "sev-4")
    return names[min(max(rank, 1), 4) - 1]


def duration_unit(values: Sequence[float | None]) -> tuple[str, float]:
    """A readable unit for durations in minutes, by their largest value: name and divisor."""
    largest = max((value for value in values if value is not None), default=0.0)
    if largest < 180:
        return "minutes", 1.0
    if largest < 72 * 60:
        return "hours", 60.0
    return "days", 24 * 60.0


def render_chart(renderer: Renderer, chart: Chart, page_src_uri: str) -> Markup:
    """The SVG of ``chart`` from the template, to inline into the page at ``page_src_uri``."""
    return Markup(renderer.render(CHART_TEMPLATE, page_src_uri, chart=chart))


# --- layout --------------------------------------------------------------------------------


def _c(value: float) -> float:
    """A coordinate rounded to a tenth of a unit: short, and the same on every machine."""
    rounded = round(value, 1)
    return int(rounded) if rounded.is_integer() else rounded


def _check_id(chart_id: str) -> None:
    if not _CHART_ID.match(chart_id):
        raise ValueError(f"a chart id is lower-case letters, digits and hyphens: {chart_id!r}")


def _fit(text: str, room: float) -> tuple[str, str]:
    """``text`` shortened with an ellipsis to fit ``room``, and the full text if it was."""
    if text_width(text, FONT_SIZE) <= room:
        return text, ""
    shortened = text
    while shortened and text_width(shortened + "…", FONT_SIZE) > room:
        shortened = shortened[:-1]
    return shortened.rstrip() + "…", text


def _value_range(
    series: Sequence[Series], count: int, stacked: bool, value_max: float | None
) -> tuple[float, float]:
    """The smallest and largest value the value axis must show (it always shows 0)."""
    if stacked:
        ups = [0.0] * count
        downs = [0.0] * count
        for one in series:
            for index, value in enumerate(one.values):
                if value is not None and value >= 0:
                    ups[index] += value
                elif value is not None:
                    downs[index] += value
        values = [*ups, *downs]
    else:
        values = [value for one in series for value in one.values if value is not None]
    low = min([0.0, *values])
    high = max([0.0, *values])
    if value_max is not None:
        high = max(high, value_max)
    return low, high


@dataclass(frozen=True)
class _CategoryAxis:
    """Where the categories go along a horizontal axis, and how their labels fit."""

    bands: BandScale
    shown: list[int]  # the labelled categories
    texts: list[tuple[str, str]]  # each shown label as fitted, and its full text if shortened
    rotate: bool

    def height(self) -> float:
        """The room the tick marks and labels take below the axis."""
        if not self.rotate:
            return _TICK + _GAP + FONT_SIZE
        angle = math.radians(_ROTATION)
        width = widest([text for text, _ in self.texts], FONT_SIZE)
        return _TICK + _GAP + width * math.sin(angle) + FONT_SIZE * math.cos(angle)

    def labels(self, baseline: float) -> tuple[list[Label], list[Segment]]:
        """The labels and their tick marks under the axis at ``baseline``."""
        labels: list[Label] = []
        ticks: list[Segment] = []
        for index, (text, full) in zip(self.shown, self.texts, strict=True):
            x = self.bands.center(index)
            ticks.append(Segment(_c(x), _c(baseline), _c(x), _c(baseline + _TICK)))
            if self.rotate:
                y = baseline + _TICK + _GAP + FONT_SIZE * 0.75
                labels.append(Label(_c(x + 3), _c(y), text, "end", -_ROTATION, full, "category"))
            else:
                y = baseline + _TICK + _GAP + FONT_SIZE * 0.8
                labels.append(Label(_c(x), _c(y), text, "middle", 0.0, full, "category"))
        return labels, ticks


def _category_axis(
    categories: Sequence[str], most: int, left: float, right: float, floor: float
) -> _CategoryAxis:
    """Categories from ``left`` to ``right``, at most ``most`` labelled, turned when crowded.

    Turned labels hang down and to the left of their category; when the first ones would
    reach past ``floor`` (the chart's or the panel's left edge), the axis starts further right.
    Label widths are estimates that err wide; a unit is kept to spare.
    """
    shown = sparse_indexes(len(categories), most)
    bands = BandScale(len(categories), left, right)
    slot = bands.bandwidth * (shown[1] - shown[0] if len(shown) > 1 else 1)
    rotate = len(shown) > 6 or widest([categories[i] for i in shown], FONT_SIZE) > slot - _GAP
    texts = [_fit(categories[i], _MAX_TURNED_LABEL if rotate else slot - _GAP) for i in shown]
    if rotate:
        # Label i reaches left to center_i + 3 - width_i * cos(angle), where center_i moves
        # with the start s as s + (right - s) * f_i, f_i = (i + 0.5) / count: solve for s.
        # A later start only narrows the bands, so the labels stay turned and the same.
        reach = math.cos(math.radians(_ROTATION))
        start = left
        for index, (text, _) in zip(shown, texts, strict=True):
            share = (index + 0.5) / len(categories)
            needed = floor + 1 + text_width(text, FONT_SIZE) * reach - 3 - right * share
            start = max(start, needed / (1 - share))
        bands = BandScale(len(categories), start, right)
    return _CategoryAxis(bands, shown, texts, rotate)


def _vertical_value_axis(
    ticks: Ticks, scale: LinearScale, left: float, right: float, axis_label: str, label_x: float
) -> tuple[list[Segment], list[Segment], list[Label]]:
    """Grid lines across the plot, tick marks and labels on the left, the axis' name."""
    grid, marks, labels = [], [], []
    for value, text in zip(ticks.values, ticks.labels(), strict=True):
        y = scale(float(value))
        grid.append(Segment(_c(left), _c(y), _c(right), _c(y)))
        marks.append(Segment(_c(left - _TICK), _c(y), _c(left), _c(y)))
        labels.append(Label(_c(left - _TICK - _GAP), _c(y + FONT_SIZE * 0.35), text, "end"))
    if axis_label:
        middle = (scale.start + scale.end) / 2
        labels.append(Label(_c(label_x), _c(middle), axis_label, "middle", -90.0, "", "axis"))
    return grid, marks, labels


def _legend(
    series: Sequence[tuple[str, ColorName, Mark]], x: float, y: float, *, align_right: bool
) -> tuple[LegendEntry, ...]:
    """One row of swatches and labels from ``x`` (its left end, or right end if aligned so)."""
    swatch = 18.0
    widths = [swatch + 5 + text_width(label, FONT_SIZE) for label, _, _ in series]
    total = sum(widths) + 14 * (len(widths) - 1)
    # Whole numbers, so that the template's offsets from them stay exact.
    position = round(x - total if align_right else x)
    entries = []
    for (label, color, mark), width in zip(series, widths, strict=True):
        text = Label(
            _c(position + swatch + 5), _c(y + FONT_SIZE * 0.35), label, "start", 0.0, "", "legend"
        )
        entries.append(LegendEntry(position, round(y), mark, color, text))
        position += round(width + 14)
    return tuple(entries)


def _bar_legend(series: Sequence[Series], left: float) -> tuple[LegendEntry, ...]:
    """The legend of a bar chart, from its left edge: none for a single series."""
    if len(series) < 2:
        return ()
    return _legend(
        [(one.label, one.color, "bar") for one in series], left, _PAD + 6, align_right=False
    )


def bar_chart(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    stacked: bool = False,
    value_label: str = "",
    integer: bool = False,
    horizontal: bool = False,
    value_max: float | None = None,
) -> Chart:
    """Bars per category, one colour per series, stacked or side by side.

    Args:
        chart_id: a short name, unique on the page (``incidents-per-month``).
        title: what the chart shows, for screen readers (the page has the heading).
        categories: the labels along the category axis.
        series: the values; ``None`` draws no bar.
        stacked: stack the series instead of placing them side by side.
        value_label: the label of the value axis.
        integer: whether the value axis counts (whole ticks only).
        horizontal: bars run left to right, categories from top to bottom.
        value_max: a fixed top of the value axis (100 for percentages).
    """
    _check_id(chart_id)
    low, high = _value_range(series, len(categories), stacked, value_max)
    legend_room = _LEGEND_ROW if len(series) > 1 else 0.0
    if horizontal:
        ticks = nice_ticks(low, high, most=8, integer=integer)
        return _horizontal_bars(chart_id, title, categories, series, stacked, value_label, ticks)
    ticks = nice_ticks(low, high, most=7, integer=integer)
    height = 288.0
    top = _PAD + 8 + legend_room
    axis_name = FONT_SIZE * 1.2 if value_label else 0.0
    left = _PAD + axis_name + widest(ticks.labels(), FONT_SIZE) + _TICK + _GAP
    right = WIDTH - 12.0
    axis = _category_axis(categories, 12, left, right, 0.0)
    left, bands = axis.bands.start, axis.bands
    bottom = height - _PAD - axis.height()
    scale = LinearScale(float(ticks.low), float(ticks.high), bottom, top)
    grid, marks, labels = _vertical_value_axis(
        ticks, scale, left, right, value_label, _PAD + FONT_SIZE * 0.85
    )
    names, name_marks = axis.labels(bottom)
    bars = _bars(series, bands, scale, stacked, horizontal=False)
    zero = scale(0.0)
    panel = Panel(
        grid=tuple(grid),
        axes=(
            Segment(_c(left), _c(top), _c(left), _c(bottom)),
            Segment(_c(left), _c(zero), _c(right), _c(zero)),
        ),
        ticks=(*marks, *name_marks),
        labels=(*labels, *names),
        bars=tuple(bars),
    )
    legend = _bar_legend(series, left)
    return Chart(chart_id, title, WIDTH, _c(height), FONT_SIZE, (panel,), legend)


def _bars(
    series: Sequence[Series],
    bands: BandScale,
    scale: LinearScale,
    stacked: bool,
    *,
    horizontal: bool,
) -> list[Bar]:
    """The bars of every series: stacked from 0, or side by side within 0.8 of each band."""
    bars: list[Bar] = []
    ups = [0.0] * bands.count
    downs = [0.0] * bands.count
    slot = bands.bandwidth * 0.8 / (1 if stacked or not series else len(series))
    for number, one in enumerate(series):
        for index, value in enumerate(one.values):
            if value is None or value == 0:
                continue
            base = 0.0
            if stacked:
                base = ups[index] if value > 0 else downs[index]
                if value > 0:
                    ups[index] += value
                else:
                    downs[index] += value
            start = bands.center(index) - bands.bandwidth * 0.4 + (0 if stacked else slot * number)
            ends = sorted((scale(base), scale(base + value)))
            if horizontal:
                bars.append(Bar(_c(ends[0]), _c(start), _c(ends[1] - ends[0]), _c(slot), one.color))
            else:
                bars.append(Bar(_c(start), _c(ends[0]), _c(slot), _c(ends[1] - ends[0]), one.color))
    return bars


def _horizontal_bars(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool,
    value_label: str,
    ticks: Ticks,
) -> Chart:
    height = max(250.0, 27.0 * len(categories) + 96.0)
    legend_room = _LEGEND_ROW if len(series) > 1 else 0.0
    top = _PAD + 4 + legend_room
    room = WIDTH * _MAX_LABEL_SHARE
    fitted = [_fit(category, room) for category in categories]
    left = _PAD + widest([text for text, _ in fitted], FONT_SIZE) + _TICK + _GAP
    right = WIDTH - 12.0 - text_width(ticks.labels()[-1], FONT_SIZE) / 2
    bottom = height - _PAD - (FONT_SIZE * 1.2 if value_label else 0.0) - _TICK - _GAP - FONT_SIZE
    bands = BandScale(len(categories), top, bottom)
    scale = LinearScale(float(ticks.low), float(ticks.high), left, right)
    grid, marks, labels = [], [], []
    for value, text in zip(ticks.values, ticks.labels(), strict=True):
        x = scale(float(value))
        grid.append(Segment(_c(x), _c(top), _c(x), _c(bottom)))
        marks.append(Segment(_c(x), _c(bottom), _c(x), _c(bottom + _TICK)))
        labels.append(Label(_c(x), _c(bottom + _TICK + _GAP + FONT_SIZE * 0.8), text))
    if value_label:
        y = height - _PAD - FONT_SIZE * 0.25
        labels.append(Label(_c((left + right) / 2), _c(y), value_label, "middle", 0.0, "", "axis"))
    for index, (text, full) in enumerate(fitted):
        y = bands.center(index)
        marks.append(Segment(_c(left - _TICK), _c(y), _c(left), _c(y)))
        x = left - _TICK - _GAP
        labels.append(Label(_c(x), _c(y + FONT_SIZE * 0.35), text, "end", 0.0, full, "category"))
    zero = scale(0.0)
    panel = Panel(
        grid=tuple(grid),
        axes=(
            Segment(_c(zero), _c(top), _c(zero), _c(bottom)),
            Segment(_c(left), _c(bottom), _c(right), _c(bottom)),
        ),
        ticks=tuple(marks),
        labels=tuple(labels),
        bars=tuple(_bars(series, bands, scale, stacked, horizontal=True)),
    )
    legend = _bar_legend(series, left)
    return Chart(chart_id, title, WIDTH, _c(height), FONT_SIZE, (panel,), legend)


def duration_panels(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    panels: Sequence[tuple[str, Series, Series]],
    *,
    lines: bool = False,
) -> Chart:
    """One small chart per duration (median and 90th percentile) in a 2 by 2 grid.

    Args:
        chart_id: a short name, unique on the page.
        title: what the chart shows, for screen readers.
        categories: the groups (severity levels, quarters).
        panels: per duration, its title and its median and 90th percentile series.
        lines: draw lines over the categories (a trend) instead of bars side by side.
    """
    _check_id(chart_id)
    height = 480.0
    top = _PAD + _LEGEND_ROW
    cell_width = WIDTH / 2
    cell_height = (height - top) / 2
    drawn = []
    for number, (panel_title, median, p90) in enumerate(panels[:4]):
        column, row = number % 2, number // 2
        drawn.append(
            _duration_panel(
                panel_title,
                (median, p90),
                categories,
                lines,
                cell_left=column * cell_width,
                cell_top=top + row * cell_height,
                cell_width=cell_width,
                cell_height=cell_height,
            )
        )
    legend: tuple[LegendEntry, ...] = ()
    if panels:
        _, median, p90 = panels[0]
        marks: tuple[Mark, Mark] = ("line", "dashed") if lines else ("bar", "bar")
        legend = _legend(
            [(median.label, median.color, marks[0]), (p90.label, p90.color, marks[1])],
            WIDTH - _PAD,
            _PAD + 6,
            align_right=True,
        )
    return Chart(chart_id, title, WIDTH, _c(height), FONT_SIZE, tuple(drawn), legend)


def _duration_panel(
    panel_title: str,
    series: tuple[Series, Series],
    categories: Sequence[str],
    lines: bool,
    *,
    cell_left: float,
    cell_top: float,
    cell_width: float,
    cell_height: float,
) -> Panel:
    unit, divisor = duration_unit([*series[0].values, *series[1].values])
    scaled = [
        [None if value is None else value / divisor for value in one.values] for one in series
    ]
    known = [value for values in scaled for value in values if value is not None]
    ticks = nice_ticks(min([0.0, *known]), max([0.0, *known]), most=7)
    top = cell_top + FONT_SIZE * 1.6
    left = cell_left + _PAD + FONT_SIZE * 1.2 + widest(ticks.labels(), FONT_SIZE) + _TICK + _GAP
    right = cell_left + cell_width - 14.0
    axis = _category_axis(categories, 8, left, right, cell_left)
    left, bands = axis.bands.start, axis.bands
    bottom = cell_top + cell_height - _PAD - axis.height()
    scale = LinearScale(float(ticks.low), float(ticks.high), bottom, top)
    grid, marks, labels = _vertical_value_axis(
        ticks, scale, left, right, unit, cell_left + _PAD + FONT_SIZE * 0.85
    )
    names, name_marks = axis.labels(bottom)
    title_label = Label(
        _c((left + right) / 2), _c(cell_top + FONT_SIZE), panel_title, "middle", 0.0, "", "title"
    )
    bars: list[Bar] = []
    polylines: list[Polyline] = []
    markers: list[Marker] = []
    for number, (one, values) in enumerate(zip(series, scaled, strict=True)):
        if lines:
            run: list[tuple[float, float]] = []
            for index, value in enumerate([*values, None]):
                if value is None:
                    if run:
                        polylines.append(Polyline(tuple(run), one.color, number == 1))
                    run = []
                    continue
                point = (_c(bands.center(index)), _c(scale(value)))
                run.append(point)
                markers.append(Marker(point[0], point[1], one.color))
        else:
            for index, value in enumerate(values):
                if value is None or value == 0:
                    continue
                x = bands.center(index) - bands.bandwidth * 0.4 + bands.bandwidth * 0.4 * number
                ends = sorted((scale(0.0), scale(value)))
                bars.append(
                    Bar(
                        _c(x),
                        _c(ends[0]),
                        _c(bands.bandwidth * 0.4),
                        _c(ends[1] - ends[0]),
                        one.color,
                    )
                )
    zero = scale(0.0)
    return Panel(
        grid=tuple(grid),
        axes=(
            Segment(_c(left), _c(top), _c(left), _c(bottom)),
            Segment(_c(left), _c(zero), _c(right), _c(zero)),
        ),
        ticks=(*marks, *name_marks),
        labels=(title_label, *labels, *names),
        bars=tuple(bars),
        lines=tuple(polylines),
        markers=tuple(markers),
    )
