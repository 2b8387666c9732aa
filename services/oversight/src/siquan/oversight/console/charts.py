"""Grouped bar charts drawn on the server as inline SVG (no script, no library): the
geometry is computed here, the template writes the elements (escaped like any text), and
every bar carries its value as a title and in the table beside the chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH, HEIGHT = 640, 240
LEFT, BOTTOM, TOP = 8, 44, 12
COLOURS = ("#0b4f9c", "#1b6e20", "#8a4b00", "#6b2d8f")
"""Series colours, dark enough for 3:1 contrast against white."""


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    series: str
    value: int
    shown: str


@dataclass(frozen=True)
class Group:
    label: str
    x: float
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    groups: tuple[Group, ...]
    legend: tuple[tuple[str, str], ...]

    @property
    def empty(self) -> bool:
        """No bar has a value: nothing to draw."""
        return all(b.value == 0 for g in self.groups for b in g.bars)


def grouped(groups: Sequence[tuple[str, Sequence[int]]], series: Sequence[str],
            shown: Sequence[Sequence[str]] | None = None) -> Chart:
    """Bars of each group side by side, scaled to the largest value (an empty chart
    when there is nothing); `shown`: each value as written (yuan, counts)."""
    baseline = HEIGHT - BOTTOM
    tallest = max((v for _, values in groups for v in values), default=0) or 1
    slot = (WIDTH - LEFT) / max(len(groups), 1)
    bar = min(28.0, slot * 0.8 / max(len(series), 1))
    drawn = []
    for g, (label, values) in enumerate(groups):
        start = LEFT + g * slot + (slot - bar * len(series)) / 2
        bars = []
        for s, value in enumerate(values):
            height = (baseline - TOP) * max(value, 0) / tallest
            bars.append(Bar(round(start + s * bar, 1), round(baseline - height, 1),
                            round(bar - 2, 1), round(height, 1), COLOURS[s % len(COLOURS)],
                            series[s], value, shown[g][s] if shown else str(value)))
        drawn.append(Group(label, round(LEFT + g * slot + slot / 2, 1), tuple(bars)))
    return Chart(WIDTH, HEIGHT, baseline, tuple(drawn),
                 tuple((name, COLOURS[s % len(COLOURS)]) for s, name in enumerate(series)))
