"""Charts drawn on the server as inline SVG: no script, nothing fetched from elsewhere, readable printed.

Numbers are placed by Python; every text is escaped. A chart has a title (for screen readers, `<title>`),
a labelled baseline and its values; None values leave a gap."""

from collections.abc import Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 14, 28
COLORS = ("#2563eb", "#dc2626", "#059669", "#d97706")


def _scale(values: Sequence[float | None]) -> float:
    top = max((value for value in values if value is not None), default=0) or 1
    return float(top)


def _axis(top: float, unit: str, labels: Sequence[str]) -> list[str]:
    parts = [
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}" class="axis"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" class="tick">{escape(_short(top))}{escape(unit)}</text>',
        f'<text x="{LEFT - 6}" y="{HEIGHT - BOTTOM}" text-anchor="end" class="tick">0</text>',
    ]
    if labels:
        step = max(1, len(labels) // 6)
        width = (WIDTH - LEFT - RIGHT) / len(labels)
        for index in range(0, len(labels), step):
            x = LEFT + width * (index + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle" class="tick">{escape(labels[index])}</text>'
            )
    return parts


def _short(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    *, title: str, labels: Sequence[str], values: Sequence[float | None], unit: str = ""
) -> SafeString:
    """Vertical bars, one per label."""
    top = _scale(values)
    plot_h = HEIGHT - TOP - BOTTOM
    width = (WIDTH - LEFT - RIGHT) / max(len(values), 1)
    parts = [_open(title), *_axis(top, unit, labels)]
    for index, value in enumerate(values):
        if not value:
            continue
        h = plot_h * value / top
        x = LEFT + width * index + width * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{HEIGHT - BOTTOM - h:.1f}" width="{width * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{COLORS[0]}"><title>{escape(labels[index])}: {escape(_short(value))}{escape(unit)}</title></rect>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (numbers we computed; every text escaped above)


def line_chart(
    *, title: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], unit: str = ""
) -> SafeString:
    """One line per named series; a None breaks the line."""
    top = _scale([value for _name, values in series for value in values])
    plot_h = HEIGHT - TOP - BOTTOM
    width = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    parts = [_open(title), *_axis(top, unit, labels)]
    for number, (name, values) in enumerate(series):
        color = COLORS[number % len(COLORS)]
        runs: list[list[str]] = [[]]
        for index, value in enumerate(values):
            if value is None:
                runs.append([])
                continue
            x, y = LEFT + width * (index + 0.5), HEIGHT - BOTTOM - plot_h * value / top
            runs[-1].append(f"{x:.1f},{y:.1f}")
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"><title>{escape(name)} '
                f"{escape(labels[index])}: {escape(_short(value))}{escape(unit)}</title></circle>"
            )
        for run in runs:
            if len(run) > 1:
                parts.append(
                    f'<polyline points="{" ".join(run)}" fill="none" stroke="{color}" stroke-width="2"/>'
                )
        parts.append(
            f'<text x="{LEFT + 8 + number * 150}" y="{TOP + 2}" fill="{color}" class="legend">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (numbers we computed; every text escaped above)


def _open(title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" class="chart">'
        f"<title>{escape(title)}</title>"
    )


def hours(seconds: Any) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)
