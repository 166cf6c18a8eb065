"""Server-rendered SVG charts for the KPI dashboard and the aging page: plain strings, no JavaScript,
no build step; every label escaped. A month without data is a gap in the line, not a zero."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from html import escape

WIDTH, HEIGHT = 400, 160
LEFT, RIGHT, TOP, BOTTOM = 40, 16, 24, 34
INK, MUTED, LINE, ACCENT = "#1d2733", "#5b6b7c", "#d8dee6", "#1f5f99"
BUCKET_COLOURS = ("#1d7a46", "#6a9c3a", "#c59a1b", "#d0681f", "#b3261e")
MOST_TICKS = 12  # month names along the axis; a longer trend names every second or third month


def month_name(month: date) -> str:
    """A month as people read it: 'Nov 2026' (never 'Nov 26', which reads as the 26th of November)."""
    return month.strftime("%b %Y")


def _scale(values: Sequence[Decimal | None]) -> tuple[Decimal, Decimal]:
    present = [v for v in values if v is not None]
    if not present:
        return Decimal(0), Decimal(1)
    low, high = min(min(present), Decimal(0)), max(present)
    if high == low:
        high = low + 1
    return low, high


def _month_ticks(months: Sequence[date]) -> list[tuple[int, str, str | None]]:
    """(index, month abbreviation, year or None) of the months named on the axis: at most `MOST_TICKS`, the
    latest always among them, the year under the first and wherever it changes."""
    every = -(-len(months) // MOST_TICKS)
    shown = [i for i in range(len(months)) if (len(months) - 1 - i) % every == 0]
    ticks, year = [], None
    for i in shown:
        ticks.append((i, months[i].strftime("%b"), str(months[i].year) if months[i].year != year else None))
        year = months[i].year
    return ticks


def line_chart(title: str, months: Sequence[date], values: Sequence[Decimal | None], unit: str) -> str:
    """A line chart of one KPI over `months` (their first days), scaled to its card, with the latest value and
    its month in the title: the latest month of a cohort KPI is often young (its claims still being paid), so
    its month is named."""
    low, high = _scale(values)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(values) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: Decimal) -> float:
        return TOP + plot_h - float((v - low) / (high - low)) * plot_h

    at = next((i for i in range(len(values) - 1, -1, -1) if values[i] is not None), None)
    latest = None if at is None else values[at]
    suffix = "" if at is None else f": {latest}{'%' if unit == '%' else ' ' + unit} ({month_name(months[at])})"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
             f'role="img" aria-label="{escape(title + suffix)}" class="chart">',
             f'<text x="0" y="14" font-size="13" font-weight="600" fill="{INK}">{escape(title + suffix)}</text>']
    for tick in (low, (low + high) / 2, high):
        ty = y(tick)
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{LINE}"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{ty + 3:.1f}" font-size="10" text-anchor="end" fill="{MUTED}">'
                     f'{tick.quantize(Decimal("0.1")) if isinstance(tick, Decimal) else tick}</text>')
    for i, name, year in _month_ticks(months):
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - 20}" font-size="10" text-anchor="middle" fill="{MUTED}">'
                     f'{name}</text>')
        if year:
            parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - 8}" font-size="10" text-anchor="middle" '
                         f'fill="{MUTED}">{year}</text>')
    segment: list[str] = []
    segments = []
    for i, value in enumerate(values):
        if value is None:
            if segment:
                segments.append(segment)
            segment = []
            continue
        segment.append(f"{x(i):.1f},{y(value):.1f}")
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="3" fill="{ACCENT}">'
                     f'<title>{month_name(months[i])}: {value}</title></circle>')
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
