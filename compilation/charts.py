"""Server-rendered SVG charts: no JavaScript, the same markup on the page, in print and in the PDF.

Labels come in already translated; the text uses the Khmer face first so both scripts render.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

FONT = "Noto Sans Khmer, DejaVu Sans, Arial, sans-serif"
DARK, LIGHT, GRID, TEXT = "#0d6efd", "#9ec5fe", "#dee2e6", "#212529"
SERIES_COLOURS = ("#198754", "#6f42c1", "#fd7e14")


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    # A second, lighter bar behind the first (e.g. entered behind compiled); None for none.
    behind: int | None = None
    # What to write at the end of the bar; the value when empty.
    note: str = ""


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[int]


def nice_ceiling(value: int) -> int:
    """The smallest 1, 2 or 5 times a power of ten, at least 4, not below `value`.

    The axis then has four gridlines at whole numbers.
    """
    step = 1
    while True:
        for m in (1, 2, 5):
            if 4 * m * step >= value:
                return 4 * m * step
        step *= 10


def _svg(width: int, height: int, title: str, body: list[str], description: str = "") -> SafeString:
    t = escape(title)
    desc = f"<desc>{escape(description)}</desc>" if description else ""
    return mark_safe(  # noqa: S308 - every piece of text in `body` went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{t}" class="ims-chart" '
        f'font-family="{FONT}" font-size="12" fill="{TEXT}">'
        f"<title>{t}</title>{desc}{''.join(body)}</svg>"
    )


def bar_chart(
    bars: Sequence[Bar], *, title: str, maximum: int | None = None, width: int = 640
) -> SafeString:
    """Horizontal bars, one per row, scaled to `maximum` (the largest value when None)."""
    label_w, value_w, row_h, top = 170, 90, 22, 4
    plot_w = width - label_w - value_w
    top_value = maximum or max([max(b.value, b.behind or 0) for b in bars] + [1])
    height = top + row_h * max(len(bars), 1) + 4
    body: list[str] = []
    for i, bar in enumerate(bars):
        y = top + i * row_h
        body.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(bar.label)}</text>'
        )
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{plot_w}" height="{row_h - 6}" '
            f'fill="#f8f9fa" stroke="{GRID}"/>'
        )
        if bar.behind:
            w = plot_w * min(bar.behind, top_value) / top_value
            body.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
                f'fill="{LIGHT}"/>'
            )
        w = plot_w * min(bar.value, top_value) / top_value
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" fill="{DARK}"/>'
        )
        note = bar.note or f"{bar.value:,}"
        body.append(f'<text x="{label_w + plot_w + 6}" y="{y + 15}">{escape(note)}</text>')
    if not bars:
        body.append(f'<text x="{width / 2}" y="18" text-anchor="middle">–</text>')
    return _svg(width, height, title, body)


def line_chart(
    days: Sequence[dt.date], series: Sequence[Series], *, title: str, width: int = 640
) -> SafeString:
    """One line per series over the days, with a legend; a single day shows as dots."""
    height, left, right, top, bottom = 260, 60, 16, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = nice_ceiling(max([v for s in series for v in s.values] + [0]))
    body: list[str] = []
    for k in range(5):
        value = top_value * k / 4
        y = top + plot_h - plot_h * k / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,.0f}</text>')

    def x_of(i: int) -> float:
        return left + (plot_w * i / (len(days) - 1) if len(days) > 1 else plot_w / 2)

    if days:
        picks = sorted({0, len(days) // 2, len(days) - 1})
        for i in picks:
            body.append(
                f'<text x="{x_of(i):.1f}" y="{top + plot_h + 18}" text-anchor="middle">'
                f"{days[i]:%d-%m-%Y}</text>"
            )
    for n, line in enumerate(series):
        colour = SERIES_COLOURS[n % len(SERIES_COLOURS)]
        points = [
            (x_of(i), top + plot_h - plot_h * v / top_value) for i, v in enumerate(line.values)
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            body.append(
                f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>'
            )
        body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points)
        lx = left + n * 220
        body.append(f'<rect x="{lx}" y="6" width="14" height="14" fill="{colour}"/>')
        body.append(f'<text x="{lx + 20}" y="18">{escape(line.label)}</text>')
    if not days:
        body.append(
            f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle">–</text>'
        )
    return _svg(width, height, title, body)


def burndown_chart(
    days: Sequence[dt.date],
    remaining: Sequence[int],
    *,
    finish: dt.date | None,
    deadline: dt.date,
    title: str,
    description: str,
    labels: tuple[str, str, str],
    width: int = 640,
) -> SafeString:
    """Remaining records per day (the last day is today), the projection down to 0 at `finish`
    (dashed), and the deadline (a vertical line). The time axis runs on to the deadline, or to
    the projected finish when later (at most a year after today)."""
    height, left, right, top, bottom = 260, 60, 16, 30, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    remaining_label, projection_label, deadline_label = labels
    body: list[str] = []
    if not days:
        body.append(f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle">–</text>')
        return _svg(width, height, title, body, description)
    today, now = days[-1], remaining[-1]
    start = days[0]
    end = max(deadline, today)
    if finish is not None and finish > end:
        end = min(finish, today + dt.timedelta(days=365))
    span = max((end - start).days, 1)
    top_value = nice_ceiling(max([*remaining, 0]))

    def x_of(day: dt.date) -> float:
        return left + plot_w * (day - start).days / span

    def y_of(value: float) -> float:
        return top + plot_h - plot_h * value / top_value

    for k in range(5):
        value = top_value * k / 4
        y = y_of(value)
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,.0f}</text>')
    for day, anchor in ((start, "start"), (today, "middle"), (end, "end")):
        if day == today and (today in (start, end)):
            continue
        body.append(
            f'<text x="{x_of(day):.1f}" y="{top + plot_h + 18}" text-anchor="{anchor}">'
            f"{day:%d-%m-%Y}</text>"
        )
    # The deadline.
    dx = x_of(deadline)
    body.append(
        f'<line x1="{dx:.1f}" y1="{top}" x2="{dx:.1f}" y2="{top + plot_h}" '
        f'stroke="#dc3545" stroke-width="1.5" data-role="deadline"/>'
    )
    # What remained each day.
    colour = SERIES_COLOURS[0]
    points = [(x_of(d), y_of(v)) for d, v in zip(days, remaining, strict=True)]
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5" '
            f'data-role="remaining"/>'
        )
    body.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points)
    # The projection, from today down to 0 at the finish (cut at the end of the axis).
    if finish is not None and now > 0 and finish > today:
        last, value = finish, 0.0
        if finish > end:
            last = end
            value = now * (1 - (end - today).days / (finish - today).days)
        body.append(
            f'<line x1="{x_of(today):.1f}" y1="{y_of(now):.1f}" x2="{x_of(last):.1f}" '
            f'y2="{y_of(value):.1f}" stroke="{SERIES_COLOURS[1]}" stroke-width="2" '
            f'stroke-dasharray="6 4" data-role="projection"/>'
        )
    legend = (
        (remaining_label, colour),
        (projection_label, SERIES_COLOURS[1]),
        (deadline_label, "#dc3545"),
    )
    for n, (label, fill) in enumerate(legend):
        lx = left + n * 190
        body.append(f'<rect x="{lx}" y="6" width="14" height="14" fill="{fill}"/>')
        body.append(f'<text x="{lx + 20}" y="18">{escape(label)}</text>')
    return _svg(width, height, title, body, description)


def progress_bar(done: int, *, behind: int = 0, label: str = "") -> SafeString:
    """A small bar of `done` percent (dark) in front of `behind` percent (light).

    SVG attributes rather than inline CSS widths: the Content-Security-Policy forbids inline styles.
    """
    done, behind = max(0, min(done, 100)), max(0, min(behind, 100))
    t = escape(label or f"{done}%")
    return mark_safe(  # noqa: S308 - the only text went through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 10" width="120" height="12" '
        f'role="img" aria-label="{t}" class="ims-progress"><title>{t}</title>'
        f'<rect width="100" height="10" rx="2" fill="#e9ecef"/>'
        f'<rect width="{behind}" height="10" rx="2" fill="#a3cfbb"/>'
        f'<rect width="{done}" height="10" rx="2" fill="#198754"/></svg>'
    )
