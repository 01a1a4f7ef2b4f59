"""Scales for the charts: round tick values, their labels, and the width of a line of text.

A value axis gets ticks that a reader can count on: steps of 1, 2, 2.5 or 5 times a power of
ten (whole steps only on an axis that counts), from a tick at or below the smallest value to
one at or above the largest, as many as fit in ``most``. The values are exact (fractions),
so a label never reads ``0.30000000000000004``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

# The steps tried within each power of ten, smallest first.
_STEPS = (Fraction(1), Fraction(2), Fraction(5, 2), Fraction(5))
_WHOLE_STEPS = (Fraction(1), Fraction(2), Fraction(5))


@dataclass(frozen=True)
class Ticks:
    """Round values along an axis, from ``values[0]`` (the axis' start) to its end.

    Attributes:
        values: the tick values, evenly spaced, smallest first.
        step: the distance between two ticks.
    """

    values: tuple[Fraction, ...]
    step: Fraction

    @property
    def low(self) -> Fraction:
        """Where the axis starts."""
        return self.values[0]

    @property
    def high(self) -> Fraction:
        """Where the axis ends."""
        return self.values[-1]

    def labels(self) -> list[str]:
        """Each value as a short decimal: ``0``, ``2.5``, ``1000``, ``0.25``."""
        return [tick_label(value) for value in self.values]


def nice_ticks(low: float, high: float, *, most: int = 6, integer: bool = False) -> Ticks:
    """Round ticks that cover ``low`` to ``high`` with at most ``most`` ticks.

    Args:
        low: the smallest value to show (the axis includes it).
        high: the largest value to show.
        most: the most ticks wanted, at least 2.
        integer: whether the axis counts things, so that every tick is a whole number.

    Returns:
        The ticks with the smallest step that fits. An empty range (``low == high``) is
        widened to a whole step above it, so that an axis of zeros still reads 0 to 1.
    """
    if most < 2:
        raise ValueError(f"an axis needs at least 2 ticks, got {most}")
    if not (math.isfinite(low) and math.isfinite(high)) or low > high:
        raise ValueError(f"not a range of values: {low} to {high}")
    start, end = Fraction(low), Fraction(high)
    if start == end:
        end = start + 1
    span = end - start
    steps = _WHOLE_STEPS if integer else _STEPS
    # The first power of ten at which some step can fit: span / (most - 1) is the smallest
    # step that covers the range with ``most`` ticks, before rounding the ends outwards.
    exponent = math.floor(math.log10(span / (most - 1)))
    if integer:
        exponent = max(exponent, 0)
    while True:
        scale = Fraction(10) ** exponent
        for step in steps:
            size = step * scale
            first = math.floor(start / size)
            last = math.ceil(end / size)
            if last - first + 1 <= most:
                values = tuple(index * size for index in range(first, last + 1))
                return Ticks(values, size)
        exponent += 1


def tick_label(value: Fraction) -> str:
    """A tick value as a short decimal (tick values are exact decimals)."""
    decimal = Decimal(value.numerator) / Decimal(value.denominator)
    text = format(decimal.normalize(), "f")
    return "0" if text in ("-0", "0") else text


@dataclass(frozen=True)
class LinearScale:
    """Maps values from ``low``-``high`` onto positions from ``start`` to ``end``."""

    low: float
    high: float
    start: float
    end: float

    def __call__(self, value: float) -> float:
        """The position of ``value`` (outside the range, it lies beyond the ends)."""
        if self.high == self.low:
            return self.start
        return self.start + (value - self.low) * (self.end - self.start) / (self.high - self.low)


@dataclass(frozen=True)
class BandScale:
    """Evenly spaced bands for categories from ``start`` to ``end``, in order."""

    count: int
    start: float
    end: float

    @property
    def bandwidth(self) -> float:
        """The room of one category."""
        return (self.end - self.start) / max(self.count, 1)

    def center(self, index: int) -> float:
        """The middle of the ``index``-th band."""
        return self.start + (index + 0.5) * self.bandwidth


def sparse_indexes(count: int, most: int) -> list[int]:
    """At most ``most`` evenly spaced indexes of ``count`` categories, from the first."""
    step = max(1, math.ceil(count / most))
    return list(range(0, count, step))


# Advance widths of DejaVu Sans in em, the widest of the fonts a reader's sans-serif is
# likely to be; an estimate that errs wide keeps margins from clipping labels.
_NARROW = frozenset("fijlrtI!'().,:;[]|`{}- ")
_WIDE = frozenset("mwMW@%")
_CAPITAL_OR_DIGIT = frozenset("ABCDEFGHJKLNOPQRSTUVXYZ0123456789#$&+<=>?~_")


def text_width(text: str, size: float) -> float:
    """An estimate of the width of ``text`` at font size ``size``, erring wide."""
    em = 0.0
    for char in text:
        if char in _NARROW:
            em += 0.38
        elif char in _WIDE:
            em += 0.98
        elif char in _CAPITAL_OR_DIGIT:
            em += 0.72
        elif char.isascii():
            em += 0.62
        else:
            em += 1.0  # accented letters, CJK, emoji: as wide as the widest
    return em * size


def widest(texts: Sequence[str], size: float) -> float:
    """The estimated width of the widest of ``texts`` (0 for none)."""
    return max((text_width(text, size) for text in texts), default=0.0)
