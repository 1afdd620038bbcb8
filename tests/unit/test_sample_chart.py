"""The sample chart the README shows is a real, full-size PNG (regenerate: docs/make_sample_chart.py)."""

from __future__ import annotations

from pathlib import Path

from matplotlib.image import imread

from bot.core.charts import HEIGHT_PX, WIDTH_PX

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_sample_chart_decodes_to_the_chart_size():
    pixels = imread(ROOT / "docs" / "sample-chart.png")
    assert pixels.shape == (HEIGHT_PX, WIDTH_PX, 4)  # RGBA
    assert pixels.std() > 0.05
    assert "](docs/sample-chart.png)" in (ROOT / "README.md").read_text()
