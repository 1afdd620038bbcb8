"""The sample chart the README shows is a real, full-size PNG (regenerate: docs/make_sample_chart.py)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from matplotlib.image import imread

from bot.core.charts import HEIGHT_PX, WIDTH_PX, ChartData, legend_levels, month_labels, render_png

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_sample_chart_decodes_to_the_chart_size():
    pixels = imread(ROOT / "docs" / "sample-chart.png")
    assert pixels.shape == (HEIGHT_PX, WIDTH_PX, 4)  # RGBA
    assert pixels.std() > 0.05
    assert "](docs/sample-chart.png)" in (ROOT / "README.md").read_text()


def test_the_chart_bytes_are_stable_for_the_same_data():
    data = ChartData(today=date(2026, 4, 8), first_day=date(2026, 1, 19), reviews={date(2026, 4, 1): 3}, forecast=(1,) * 30)
    assert render_png(data) == render_png(data)  # no timestamp or version stamp: the sample is reproducible


@pytest.mark.parametrize(
    ("today", "first_day", "labels"),
    [
        # the current month's first Monday is still ahead: it is named at the column holding its 1st
        (date(2026, 12, 3), date(2026, 9, 14), [(0, "Sep"), (3, "Oct"), (7, "Nov"), (11, "Dec")]),
        (date(2026, 4, 8), date(2026, 1, 19), [(0, "Jan"), (2, "Feb"), (6, "Mar"), (11, "Apr")]),
    ],
)
def test_the_heatmap_names_the_current_month(today, first_day, labels):
    data = ChartData(today=today, first_day=first_day, reviews={}, forecast=())
    assert month_labels(data) == labels


def test_the_colour_legend_runs_from_zero_to_the_busiest_day():
    assert legend_levels(1) == [0, 1]
    assert legend_levels(9) == [0, 3, 6, 9]
    assert legend_levels(4) == [0, 1, 3, 4]
