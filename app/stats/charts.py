"""Charts drawn on the server as SVG: no script to load, readable on a tablet, fine under the CSP."""
from dataclasses import dataclass

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 240, 36, 28, 10


@dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


def _scale(maximum: int) -> int:
    """A round top for the axis: 1, 2, 5, 10, 20, 50, …"""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= maximum:
                return max(step * factor, 1)
        step *= 10


def stacked_bars(points: list[dict], layers: list[tuple[str, str]], label) -> dict:
    """One stacked bar per point; `layers` are (key, css class) from the bottom up."""
    top = _scale(max((sum(point[key] for key, _ in layers) for point in points), default=0))
    plot_width, plot_height = WIDTH - PAD_LEFT, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = plot_width / max(len(points), 1)
    bars, labels = [], []
    for index, point in enumerate(points):
        x = PAD_LEFT + index * slot + slot * 0.15
        base = HEIGHT - PAD_BOTTOM
        for key, css in layers:
            height = point[key] / top * plot_height
            if height:
                bars.append(Bar(x, base - height, slot * 0.7, height, css, f"{label(point)}: {point[key]} {key}"))
            base -= height
        labels.append({"x": x + slot * 0.35, "text": label(point), "show": len(points) <= 10 or index % 5 == 0})
    ticks = [{"y": HEIGHT - PAD_BOTTOM - plot_height * i / 2, "value": top * i // 2} for i in range(3)]
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "labels": labels, "ticks": ticks,
            "baseline": HEIGHT - PAD_BOTTOM, "left": PAD_LEFT}
