"""Chart axes: distinct, round ticks that cover the data (no "0 0 1 2 2" for small counts)."""

from __future__ import annotations

import itertools
import re

from hypothesis import given
from hypothesis import strategies as st

from lienthong.text import vn_number
from lienthong.web.pages import bar_chart, line_chart, nice_ticks


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_ticks_are_distinct_round_and_cover_the_top(top: float) -> None:
    ticks = nice_ticks(top)
    assert ticks[0] == 0 and ticks[-1] >= top
    assert 2 <= len(ticks) <= 5
    labels = [vn_number(t) for t in ticks]
    assert len(set(labels)) == len(labels), labels
    step = ticks[1]
    assert all(abs(b - a - step) < 1e-9 * max(step, 1) for a, b in itertools.pairwise(ticks))


def test_small_counts_get_whole_ticks() -> None:
    assert nice_ticks(2) == [0, 1, 2]
    assert nice_ticks(1) == [0, 1]
    assert nice_ticks(37) == [0, 10, 20, 30, 40]


def _axis_labels(svg: str) -> list[str]:
    return re.findall(r'text-anchor="end">([^<]*)</text>', svg)


def test_the_charts_print_each_tick_once() -> None:
    for chart in (bar_chart, line_chart):
        svg = str(chart(["T1", "T2"], {"Gửi": [2, 1]}, title="Văn bản"))
        assert _axis_labels(svg) == ["0", "1", "2"]


def test_long_tick_labels_fit_left_of_the_plot() -> None:
    """``80.000.000`` is right-aligned at the plot's edge: the room left of it holds it whole
    (it was cut to ``.000.000`` at a fixed 48 px)."""
    for chart in (bar_chart, line_chart):
        svg = str(chart(["POP", "REVENUE"], {"Kỳ này": [5_571_243, 66_697_660]}, title="Số liệu"))
        for x, label in re.findall(r'<text x="([\d.]+)"[^>]*text-anchor="end">([^<]*)</text>', svg):
            assert float(x) >= len(label) * 7, (label, x)
