"""Charts drawn on the server as SVG: no script to load, readable on a tablet, fine under the CSP."""
from dataclasses import dataclass

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 960, 260, 40, 28, 10
MAX_GRID_LINES = 4  # above the baseline


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


def _axis(maximum: int) -> tuple[int, int]:
    """(step, top) of a count axis: a whole, round step (1, 2, 5, 10, 20, …), at most four lines.

    Counts are whole numbers, so every grid line is one: 0, 1, 2, 3 rather than 0, 2, 5.
    """
    magnitude = 1
    while True:
        for factor in (1, 2, 5):
            step = magnitude * factor
            lines = max(1, -(-maximum // step))  # ceil
            if lines <= MAX_GRID_LINES:
                return step, step * lines
        magnitude *= 10


def stacked_bars(points: list[dict], layers: list[tuple[str, str, str]], label) -> dict:
    """One stacked bar per point; `layers` are (key, css class, what it counts) from the bottom up."""
    step, top = _axis(max((sum(point[key] for key, _, _ in layers) for point in points), default=0))
    plot_width, plot_height = WIDTH - PAD_LEFT, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_width / max(len(points), 1)
    bars, labels = [], []
    for index, point in enumerate(points):
        x = PAD_LEFT + index * slot + slot * 0.15
        base = HEIGHT - PAD_BOTTOM
        for key, css, words in layers:
            height = point[key] / top * plot_height
            if height:
                bars.append(Bar(x, base - height, slot * 0.7, height, css, f"{label(point)}: {point[key]} {words}"))
            base -= height
        labels.append({"x": x + slot * 0.35, "text": label(point), "show": len(points) <= 10 or index % 5 == 0})
    ticks = [{"y": HEIGHT - PAD_BOTTOM - plot_height * value / top, "value": value} for value in range(0, top + 1, step)]
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "labels": labels, "ticks": ticks,
            "baseline": HEIGHT - PAD_BOTTOM, "left": PAD_LEFT}
