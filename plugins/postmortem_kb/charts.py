"""Static SVG charts for the metrics page, drawn at build time with matplotlib.

The charts are inlined into the page, so they follow Material's light and dark schemes:
text, axes and grid are drawn in ``currentColor`` and the series in the plugin's CSS
variables (``--pmkb-sev-1`` ... ``--pmkb-chart-2``), on a transparent background. matplotlib
cannot draw in those colours, so it draws in placeholder colours that are replaced in the
SVG's tags afterwards. Output is deterministic: a fixed hash salt, no date, ids prefixed
with the chart's name so that several charts can share a page, text kept as text in
DejaVu Sans (the font that ships with matplotlib, which computes the layout).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import matplotlib
from markupsafe import Markup, escape
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

ColorName = Literal["sev-1", "sev-2", "sev-3", "sev-4", "chart-1", "chart-2"]

_FOREGROUND = "#010101"
_PLACEHOLDERS: Mapping[str, str] = {
    _FOREGROUND: "currentColor",
    "#0b0001": "var(--pmkb-sev-1, #b71c1c)",
    "#0b0002": "var(--pmkb-sev-2, #b84400)",
    "#0b0003": "var(--pmkb-sev-3, #8d6e00)",
    "#0b0004": "var(--pmkb-sev-4, #607d8b)",
    "#0c0001": "var(--pmkb-chart-1, #3f51b5)",
    "#0c0002": "var(--pmkb-chart-2, #ef6c00)",
}
_COLORS: Mapping[ColorName, str] = {
    "sev-1": "#0b0001",
    "sev-2": "#0b0002",
    "sev-3": "#0b0003",
    "sev-4": "#0b0004",
    "chart-1": "#0c0001",
    "chart-2": "#0c0002",
}

_STYLE: Mapping[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "text.parse_math": False,  # a label with "$" is text, never math
    "svg.fonttype": "none",  # text stays text: small, selectable, searchable
    "text.color": _FOREGROUND,
    "axes.labelcolor": _FOREGROUND,
    "axes.edgecolor": _FOREGROUND,
    "axes.facecolor": "none",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": _FOREGROUND,
    "grid.alpha": 0.15,
    "xtick.color": _FOREGROUND,
    "ytick.color": _FOREGROUND,
    "legend.frameon": False,
    "figure.facecolor": "none",
    "savefig.facecolor": "none",
    "savefig.edgecolor": "none",
}

_TAG = re.compile(r"<[^>]*>")
_ID_REFERENCE = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')
_PLACEHOLDER = re.compile("|".join(re.escape(color) for color in _PLACEHOLDERS))
_CHART_ID = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class Series:
    """One series of a chart: its legend label, one value per category, its colour."""

    label: str
    values: Sequence[float | None]
    color: ColorName


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


def _nan(value: float | None, divisor: float = 1.0) -> float:
    return math.nan if value is None else value / divisor


@contextmanager
def _style(chart_id: str) -> Iterator[None]:
    """matplotlib's settings for a chart, from its first artist to its SVG."""
    if not _CHART_ID.match(chart_id):
        raise ValueError(f"a chart id is lower-case letters, digits and hyphens: {chart_id!r}")
    # matplotlib types its settings' names as a closed set of literals.
    settings: dict[Any, Any] = {**_STYLE, "svg.hashsalt": f"pmkb-{chart_id}"}
    with matplotlib.rc_context(settings):
        yield


def _figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def _sparse_labels(axes: Axes, labels: Sequence[str], most: int = 12) -> None:
    """Label at most ``most`` categories evenly, so that long ranges stay legible."""
    step = max(1, math.ceil(len(labels) / most))
    positions = list(range(0, len(labels), step))
    axes.set_xticks(positions, [labels[index] for index in positions])
    if len(positions) > 6:
        axes.tick_params(axis="x", labelrotation=35)
        for label in axes.get_xticklabels():
            label.set_horizontalalignment("right")


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
) -> Markup:
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
    with _style(chart_id):
        figure = _bars(categories, series, stacked, value_label, integer, horizontal, value_max)
        return _render(figure, chart_id, title)


def _bars(
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool,
    value_label: str,
    integer: bool,
    horizontal: bool,
    value_max: float | None,
) -> Figure:
    height = max(2.6, 0.28 * len(categories) + 1.0) if horizontal else 3.0
    figure = _figure(7.5, height)
    axes = figure.add_subplot()
    positions = list(range(len(categories)))
    width = 0.8 if stacked or not series else 0.8 / len(series)
    bottoms = [0.0] * len(categories)
    for index, one in enumerate(series):
        values = [_nan(value) for value in one.values]
        offsets = (
            positions
            if stacked
            else [position - 0.4 + width * (index + 0.5) for position in positions]
        )
        color = _COLORS[one.color]
        if horizontal:
            axes.barh(offsets, values, height=width, left=bottoms, color=color, label=one.label)
        else:
            axes.bar(offsets, values, width=width, bottom=bottoms, color=color, label=one.label)
        if stacked:
            bottoms = [
                bottom + (0.0 if math.isnan(value) else value)
                for bottom, value in zip(bottoms, values, strict=True)
            ]
    value_axis = axes.xaxis if horizontal else axes.yaxis
    if integer:
        value_axis.set_major_locator(MaxNLocator(integer=True))
    if horizontal:
        axes.set_yticks(positions, list(categories))
        axes.invert_yaxis()
        axes.set_xlabel(value_label)
        axes.grid(axis="y", visible=False)
        if value_max is not None:
            axes.set_xlim(0, value_max)
    else:
        _sparse_labels(axes, categories)
        axes.set_ylabel(value_label)
        axes.grid(axis="x", visible=False)
        if value_max is not None:
            axes.set_ylim(0, value_max)
    if len(series) > 1:
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=len(series), fontsize=8)
    return figure


def duration_panels(
    chart_id: str,
    title: str,
    categories: Sequence[str],
    panels: Sequence[tuple[str, Series, Series]],
    *,
    lines: bool = False,
) -> Markup:
    """One small chart per duration (median and 90th percentile) in a 2 by 2 grid.

    Args:
        chart_id: a short name, unique on the page.
        title: what the chart shows, for screen readers.
        categories: the groups (severity levels, quarters).
        panels: per duration, its title and its median and 90th percentile series.
        lines: draw lines over the categories (a trend) instead of bars side by side.
    """
    with _style(chart_id):
        return _render(_panels(categories, panels, lines), chart_id, title)


def _panels(
    categories: Sequence[str], panels: Sequence[tuple[str, Series, Series]], lines: bool
) -> Figure:
    figure = _figure(7.5, 5.0)
    grid = figure.subplots(2, 2, squeeze=False)
    positions = list(range(len(categories)))
    for axes, (panel_title, median, p90) in zip(grid.flat, panels, strict=False):
        unit, divisor = duration_unit([*median.values, *p90.values])
        for index, one in enumerate((median, p90)):
            values = [_nan(value, divisor) for value in one.values]
            color = _COLORS[one.color]
            if lines:
                axes.plot(
                    positions,
                    values,
                    color=color,
                    marker="o",
                    markersize=3,
                    linestyle="-" if index == 0 else "--",
                    label=one.label,
                )
            else:
                offsets = [position - 0.2 + 0.4 * index for position in positions]
                axes.bar(offsets, values, width=0.4, color=color, label=one.label)
        axes.set_title(panel_title, fontsize=9)
        axes.set_ylabel(unit)
        axes.set_ylim(bottom=0)
        axes.grid(axis="x", visible=False)
        _sparse_labels(axes, categories, most=8)
    figure.legend(*grid.flat[0].get_legend_handles_labels(), loc="outside upper right", ncols=2)
    return figure


def _render(figure: Figure, chart_id: str, title: str) -> Markup:
    buffer = io.StringIO()
    figure.savefig(
        buffer,
        format="svg",
        transparent=True,
        metadata={"Date": None, "Creator": None, "Format": None, "Type": None},
    )
    return inline_svg(buffer.getvalue(), chart_id, title)


def inline_svg(svg: str, chart_id: str, title: str) -> Markup:
    """matplotlib's SVG made fit to sit inside a page.

    The XML prologue and metadata go; the global ``<style>`` (it would restyle the whole
    page) moves onto the root element; placeholder colours become ``currentColor`` and CSS
    variables; ids get the chart's prefix; fixed sizes give way to the ``viewBox``.
    Only tags are rewritten: text content (already escaped by matplotlib) is left alone.
    """
    start = svg.index("<svg")
    body = re.sub(r"<metadata>.*?</metadata>\s*", "", svg[start:], flags=re.DOTALL)
    body = re.sub(r"<style[^>]*>.*?</style>\s*", "", body, flags=re.DOTALL)
    body = re.sub(r"<defs>\s*</defs>\s*", "", body)

    def rewrite(match: re.Match[str]) -> str:
        tag = re.sub(r"\s*\n\s*", " ", match.group())
        tag = _PLACEHOLDER.sub(lambda color: _PLACEHOLDERS[color.group()], tag)
        tag = _ID_REFERENCE.sub(lambda ref: f"{ref.group(1)}{chart_id}-{ref.group(2)}", tag)
        return tag.replace("font-family: 'DejaVu Sans'", "font-family: 'DejaVu Sans', sans-serif")

    body = _TAG.sub(rewrite, body)
    root_end = body.index(">")
    root = re.sub(r'\s(width|height)="[^"]*"', "", body[:root_end])
    attributes = (
        f' class="pmkb-chart__svg" role="img" aria-label="{escape(title)}"'
        ' style="stroke-linejoin: round; stroke-linecap: butt"'
    )
    return Markup(root + attributes + body[root_end:].rstrip() + "\n")
