"""The progress chart as a PNG: a GitHub-style review heatmap (weeks x weekdays) over a due forecast.

Drawn headless with matplotlib's Agg canvas on a Figure of its own: no pyplot, so no global figure
state, and safe to call from a worker thread. matplotlib is imported inside the function: it is
heavy, and only the chart needs it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

WIDTH_PX, HEIGHT_PX, DPI = 800, 600, 100
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
GREEN, EMPTY = "#216e39", "#ebedf0"


@dataclass(frozen=True)
class ChartData:
    today: date
    first_day: date  # a Monday: the heatmap's first column starts here and its last holds today
    reviews: Mapping[date, int]  # reviews per local day (days without reviews may be absent)
    forecast: tuple[int, ...]  # cards due per day from today on; overdue ones count today
    readiness: tuple[tuple[str, float], ...] = ()  # (category, expected share answered well today)
    readiness_total: float | None = None
    readiness_forecast: float | None = None  # at the goal date, at the learner's pace

    @property
    def weeks(self) -> int:
        return (self.today - self.first_day).days // 7 + 1

    def heatmap_total(self) -> tuple[int, int]:
        """(reviews, days practised) inside the heatmap."""
        shown = [n for day, n in self.reviews.items() if self.first_day <= day <= self.today and n]
        return sum(shown), len(shown)


def render_png(data: ChartData) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    canvas = FigureCanvasAgg(fig)
    if data.readiness:
        heat, bars, ready = fig.subplots(3, 1, height_ratios=(1, 0.9, 0.7))
        _readiness(ready, data)
    else:
        heat, bars = fig.subplots(2, 1, height_ratios=(1, 1.1))
    _heatmap(heat, data)
    _forecast(bars, data)
    out = io.BytesIO()
    canvas.print_png(out, metadata={"Software": None})  # no version stamp: same data, same bytes
    return out.getvalue()


def _heatmap(ax: Any, data: ChartData) -> None:
    import numpy as np
    from matplotlib.colors import LinearSegmentedColormap
    from matplotlib.patches import Rectangle

    grid = np.full((7, data.weeks), np.nan)  # rows Monday..Sunday, columns weeks; future days stay empty
    for offset in range((data.today - data.first_day).days + 1):
        day = data.first_day + timedelta(days=offset)
        grid[day.weekday(), offset // 7] = data.reviews.get(day, 0)
    cmap = LinearSegmentedColormap.from_list("reviews", [EMPTY, "#9be9a8", "#40c463", GREEN]).with_extremes(bad="white")
    top = max(1.0, float(np.nanmax(grid)))
    ax.pcolormesh(np.ma.masked_invalid(grid), cmap=cmap, vmin=0, vmax=top, edgecolors="white", linewidth=2)
    ax.set_aspect("equal")
    ax.invert_yaxis()
    ax.set_yticks([0.5, 2.5, 4.5], ["Mon", "Wed", "Fri"])
    months = month_labels(data)
    ax.set_xticks([week + 0.5 for week, _ in months], [label for _, label in months])
    for tick in ax.get_xticklabels()[-1:]:
        tick.set_fontweight("bold")  # the current month
    levels = legend_levels(top)
    ax.legend(
        [Rectangle((0, 0), 1, 1, facecolor=cmap(level / top), edgecolor="none") for level in levels],
        [str(level) for level in levels],
        title="Reviews\na day", loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False,
        handlelength=1.0, handleheight=1.0, handletextpad=0.5, fontsize="small", title_fontsize="small",
        alignment="left",
    )  # fmt: skip
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    reviews, days = data.heatmap_total()
    ax.set_title(f"Reviews per day, last {data.weeks} weeks: {reviews} reviews on {days} days", loc="left")


def month_labels(data: ChartData) -> list[tuple[int, str]]:
    """(week column, month name) under the heatmap: each month at its first Monday, the first column
    too unless that is a week away, and always the current month (at the column holding its 1st)."""
    months = {
        week: start.strftime("%b")
        for week in range(data.weeks)
        if (start := data.first_day + timedelta(weeks=week)).day <= 7 or (week == 0 and start.day <= 21)
    }
    current = data.today.strftime("%b")
    if current not in months.values():
        months[max(0, (data.today.replace(day=1) - data.first_day).days // 7)] = current
    return sorted(months.items())


def legend_levels(top: float) -> list[int]:
    """The review counts the colour legend shows: 0, the busiest day, and up to two steps between."""
    return sorted({0, round(top / 3), round(2 * top / 3), round(top)})


def _forecast(ax: Any, data: ChartData) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.bar(range(len(data.forecast)), data.forecast, color=GREEN, width=0.8)
    ticks = list(range(0, len(data.forecast), 7))
    labels = ["today" if t == 0 else f"{data.today + timedelta(days=t):%d %b}" for t in ticks]
    ax.set_xticks(ticks, labels)
    ax.set_xlim(-0.6, len(data.forecast) - 0.4)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(bottom=0, top=max(1, *data.forecast) * 1.15)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        f"Questions due, next {len(data.forecast)} days: {sum(data.forecast)} (overdue ones count today)", loc="left"
    )


def _readiness(ax: Any, data: ChartData) -> None:
    """Interview readiness per category: the expected share of its questions answered well today."""
    names = [slug.replace("_", " ").capitalize() for slug, _ in data.readiness]
    levels = [level * 100 for _, level in data.readiness]
    ax.barh(range(len(levels)), levels, color=GREEN, height=0.6)
    ax.set_yticks(range(len(levels)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter("{x:.0f}%")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    title = f"Interview readiness today: {(data.readiness_total or 0):.0%}"
    if data.readiness_forecast is not None:
        title += f" · forecast at your goal date: {data.readiness_forecast:.0%}"
    ax.set_title(title, loc="left")
