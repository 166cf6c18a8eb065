"""Server-rendered SVG charts for the KPI dashboard and the aging page: plain strings, no JavaScript,
no build step; every label escaped. A month without data is a gap in the line, not a zero."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 40, 20, 22, 24
INK, MUTED, LINE, ACCENT = "#1d2733", "#5b6b7c", "#d8dee6", "#1f5f99"
BUCKET_COLOURS = ("#1d7a46", "#6a9c3a", "#c59a1b", "#d0681f", "#b3261e")


def _scale(values: Sequence[Decimal | None]) -> tuple[Decimal, Decimal]:
    present = [v for v in values if v is not None]
    if not present:
        return Decimal(0), Decimal(1)
    low, high = min(min(present), Decimal(0)), max(present)
    if high == low:
        high = low + 1
    return low, high


def line_chart(title: str, labels: Sequence[str], values: Sequence[Decimal | None], unit: str) -> str:
    """A small line chart of one KPI over months (`labels`), with the latest value and its month in the title:
    the latest month of a cohort KPI is often young (its claims still being paid), so its month is named."""
    low, high = _scale(values)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(values) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: Decimal) -> float:
        return TOP + plot_h - float((v - low) / (high - low)) * plot_h

    at = next((i for i in range(len(values) - 1, -1, -1) if values[i] is not None), None)
    latest = None if at is None else values[at]
    suffix = "" if at is None else f": {latest}{'%' if unit == '%' else ' ' + unit} ({labels[at]})"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
             f'height="{HEIGHT}" role="img" aria-label="{escape(title + suffix)}" class="chart">',
             f'<text x="{LEFT}" y="14" font-size="12" font-weight="600" fill="{INK}">{escape(title + suffix)}</text>']
    for tick in (low, (low + high) / 2, high):
        ty = y(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{LINE}"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{ty + 3:.1f}" font-size="9" text-anchor="end" fill="{MUTED}">'
                     f'{tick.quantize(Decimal("0.1")) if isinstance(tick, Decimal) else tick}</text>')
    for i, label in enumerate(labels):
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" font-size="9" text-anchor="middle" fill="{MUTED}">'
                     f'{escape(label)}</text>')
    segment: list[str] = []
    segments = []
    for i, value in enumerate(values):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(value):.1f}")
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5" fill="{ACCENT}">'
                     f'<title>{escape(labels[i])}: {value}</title></circle>')
    if segment:
        segments.append(segment)
    for points in segments:
        if len(points) > 1:
            parts.append(f'<polyline fill="none" stroke="{ACCENT}" stroke-width="2" points="{" ".join(points)}"/>')
    if latest is None:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" font-size="11" text-anchor="middle" '
                     f'fill="{MUTED}">no data</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_bar(title: str, segments: Sequence[tuple[str, Decimal]], width: int = 640) -> str:
    """One horizontal bar split by A/R bucket (label, amount), with a legend."""
    total = sum((amount for _, amount in segments), Decimal(0))
    height = 56
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-label="{escape(title)}" class="chart">',
             f'<text x="0" y="12" font-size="12" font-weight="600" fill="{INK}">{escape(title)}</text>']
    offset = 0.0
    for index, (label, amount) in enumerate(segments):
        share = float(amount / total) if total > 0 and amount > 0 else 0.0
        colour = BUCKET_COLOURS[index % len(BUCKET_COLOURS)]
        if share:
            parts.append(f'<rect x="{offset:.1f}" y="18" width="{share * width:.1f}" height="16" fill="{colour}">'
                         f'<title>{escape(label)}: {amount}</title></rect>')
        offset += share * width
        legend_x = index * (width / max(len(segments), 1))
        parts.append(f'<rect x="{legend_x:.1f}" y="42" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{legend_x + 14:.1f}" y="51" font-size="10" fill="{MUTED}">{escape(label)} '
                     f'{round(share * 100)}%</text>')
    parts.append("</svg>")
    return "".join(parts)
