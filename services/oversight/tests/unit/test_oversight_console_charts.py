"""The auditor's dashboard draws its bars to scale on a shared baseline, and the
complaints' timers count the days and hours left, or overdue; instants are shown in the
office's time zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from siquan.oversight.console import charts
from siquan.oversight.console.pages import _evidence, time_left
from siquan.shared.clock import local_time

NOW = datetime(2026, 11, 3, 2, 0, tzinfo=UTC)


def test_bars_are_drawn_to_scale_from_the_baseline() -> None:
    chart = charts.grouped([("a 2026-10", [100, 50, 0]), ("a 2026-11", [200, 200, 200])],
                           ["allocated", "paid", "settled"])

    first, second = chart.groups
    heights = [[bar.height for bar in group.bars] for group in chart.groups]
    assert heights[1] == [heights[1][0]] * 3 and heights[1][0] > 0
    assert heights[0] == [heights[1][0] / 2, heights[1][0] / 4, 0]
    for bar in (*first.bars, *second.bars):
        assert bar.y + bar.height == chart.baseline
        assert 0 <= bar.x and bar.x + bar.width <= chart.width
    assert first.x < second.x
    assert [b.colour for b in first.bars] == [colour for _, colour in chart.legend]


def test_an_empty_or_all_zero_chart_has_no_height() -> None:
    assert charts.grouped([], ["paid"]).groups == ()
    (group,) = charts.grouped([("nothing", [0])], ["paid"]).groups
    assert group.bars[0].height == 0
    assert charts.grouped([("nothing", [0])], ["paid"]).empty
    assert not charts.grouped([("one", [0, 1])], ["paid", "settled"]).empty


def test_the_time_left_and_the_time_overdue() -> None:
    assert time_left(NOW + timedelta(days=2, hours=5, minutes=30), NOW) == (2, 5, False)
    assert time_left(NOW - timedelta(days=1, hours=3), NOW) == (1, 3, True)
    assert time_left(None, NOW) is None


def test_evidence_is_one_to_twenty_references_a_line() -> None:
    assert _evidence(" doc-1 \n\n finding 2 ") == ["doc-1", "finding 2"]
    assert _evidence("  \n ") is None
    assert _evidence("\n".join(f"d{n}" for n in range(21))) is None
    assert _evidence("x" * 501) is None


def test_instants_are_shown_in_the_offices_time_zone() -> None:
    beijing = ZoneInfo("Asia/Shanghai")
    assert local_time(NOW, beijing) == "2026-11-03 10:00"
    assert local_time("2026-11-24T16:00:00+00:00", beijing) == "2026-11-25 00:00"
    assert local_time(None, beijing) == ""
