"""Chart scales: round ticks, exact labels, positions, and text width estimates."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from postmortem_kb.scales import (
    BandScale,
    LinearScale,
    nice_ticks,
    sparse_indexes,
    text_width,
    tick_label,
    widest,
)


@pytest.mark.parametrize(
    ("low", "high", "integer", "labels"),
    [
        (0, 2, True, ["0", "1", "2"]),
        (0, 0, True, ["0", "1"]),
        (0, 0, False, ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
        (0, 3, True, ["0", "1", "2", "3"]),
        (0, 100, False, ["0", "20", "40", "60", "80", "100"]),
        (0, 25.6, False, ["0", "5", "10", "15", "20", "25", "30"]),
        (0, 69, False, ["0", "20", "40", "60", "80"]),
        (0, 0.9, False, ["0", "0.2", "0.4", "0.6", "0.8", "1"]),
        (0, 1.1, False, ["0", "0.2", "0.4", "0.6", "0.8", "1", "1.2"]),
        (0, 1.6, False, ["0", "0.5", "1", "1.5", "2"]),
        (0, 0.3, True, ["0", "1"]),
        (0, 4321, True, ["0", "1000", "2000", "3000", "4000", "5000"]),
        (-3, 7, False, ["-4", "-2", "0", "2", "4", "6", "8"]),
    ],
)
def test_ticks_are_round_values(low: float, high: float, integer: bool, labels: list[str]) -> None:
    assert nice_ticks(low, high, most=7, integer=integer).labels() == labels


@given(
    st.floats(min_value=0, max_value=1e7, allow_nan=False),
    st.floats(min_value=0, max_value=1e7, allow_nan=False),
    st.integers(min_value=2, max_value=12),
    st.booleans(),
)
def test_ticks_cover_the_range_evenly_and_fit(
    first: float, second: float, most: int, integer: bool
) -> None:
    low, high = sorted((first, second))
    ticks = nice_ticks(low, high, most=most, integer=integer)
    assert 2 <= len(ticks.values) <= most
    assert ticks.low <= Fraction(low) and ticks.high >= Fraction(high)
    steps = {b - a for a, b in zip(ticks.values, ticks.values[1:], strict=False)}
    assert steps == {ticks.step}
    mantissa, scale = ticks.step, Fraction(1)
    while mantissa >= 10:
        mantissa, scale = mantissa / 10, scale * 10
    while mantissa < 1:
        mantissa, scale = mantissa * 10, scale / 10
    steps = [Fraction(1), Fraction(2), Fraction(5, 2), Fraction(5)]
    if integer:
        steps.remove(Fraction(5, 2))
        assert all(value.denominator == 1 for value in ticks.values)
    assert mantissa in steps
    # The step is the smallest that fits: the next smaller one would need more ticks.
    index = steps.index(mantissa)
    smaller = steps[index - 1] * scale if index else steps[-1] * scale / 10
    if not (integer and ticks.step == 1):
        needed = math.ceil(Fraction(high) / smaller) - math.floor(Fraction(low) / smaller) + 1
        assert needed > most or low == high
    for label in ticks.labels():
        assert "e" not in label.lower() and float(label) == float(Fraction(label))


def test_a_range_must_be_a_range() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        nice_ticks(0, 1, most=1)
    with pytest.raises(ValueError, match="not a range"):
        nice_ticks(2, 1)
    with pytest.raises(ValueError, match="not a range"):
        nice_ticks(0, float("inf"))


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (Fraction(0), "0"),
        (Fraction(5, 2), "2.5"),
        (Fraction(1000), "1000"),
        (Fraction(1, 4), "0.25"),
        (Fraction(-1, 2), "-0.5"),
        (Fraction(3, 10), "0.3"),
    ],
)
def test_tick_labels_are_short_exact_decimals(value: Fraction, label: str) -> None:
    assert tick_label(value) == label


def test_scales_map_values_and_bands() -> None:
    scale = LinearScale(0, 10, 200, 0)  # a vertical axis: 0 at the bottom
    assert scale(0) == 200 and scale(10) == 0 and scale(2.5) == 150
    assert LinearScale(1, 1, 5, 9)(1) == 5
    bands = BandScale(4, 100, 500)
    assert bands.bandwidth == 100
    assert [bands.center(index) for index in range(4)] == [150, 250, 350, 450]


@pytest.mark.parametrize(
    ("count", "most", "shown"),
    [
        (3, 12, [0, 1, 2]),
        (24, 12, list(range(0, 24, 2))),
        (13, 12, list(range(0, 13, 2))),
        (0, 8, []),
    ],
)
def test_sparse_indexes(count: int, most: int, shown: list[int]) -> None:
    assert sparse_indexes(count, most) == shown


def test_text_width_grows_with_the_text_and_errs_wide() -> None:
    assert text_width("", 12) == 0
    assert text_width("iii", 12) < text_width("mmm", 12)
    assert text_width("2025-01", 12) > 7 * 0.5 * 12  # DejaVu Sans digits are 0.64 em
    assert text_width("事故", 12) == 24
    assert widest(["a", "abc"], 10) == text_width("abc", 10)
    assert widest([], 10) == 0
