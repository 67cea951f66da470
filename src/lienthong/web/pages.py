"""Server-rendered pages: one Jinja2 environment for every domain, one look.

Each domain keeps its templates in ``src/lienthong/<domain>/templates/<domain>/`` and extends
``base.html`` (this package's ``templates/``). Screens are in Vietnamese; code stays English.
Dates are shown in Asia/Ho_Chi_Minh. Charts are inline SVG drawn by :func:`bar_chart` and
:func:`line_chart` (no JavaScript framework).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from lienthong.clock import VN_TZ
from lienthong.text import vn_figure, vn_number

PACKAGE_ROOT = Path(__file__).resolve().parents[1]
STATIC_DIR = Path(__file__).parent / "static"

PRIORITY_LABELS = {0: "Thường", 1: "Khẩn", 2: "Thượng khẩn", 3: "Hỏa tốc", 4: "Hỏa tốc hẹn giờ"}
STATUS_LABELS = {
    None: "Chưa đến",
    "01": "Đã đến",
    "02": "Trả lại",
    "03": "Đã tiếp nhận",
    "04": "Đã phân công",
    "05": "Đang xử lý",
    "06": "Hoàn thành",
    "13": "Yêu cầu thu hồi",
    "15": "Đồng ý thu hồi/cập nhật",
    "16": "Từ chối thu hồi/cập nhật",
}


def vn_datetime(value: datetime | str | None) -> str:
    """``dd/mm/yyyy HH:MM`` in Vietnam time; empty for ``None``."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(VN_TZ).strftime("%d/%m/%Y %H:%M")


def vn_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.astimezone(VN_TZ).date()
    return value.strftime("%d/%m/%Y")


def _domain_template_dirs() -> list[Path]:
    dirs = [Path(__file__).parent / "templates"]
    for child in sorted(PACKAGE_ROOT.iterdir()):
        folder = child / "templates"
        if child.is_dir() and child.name != "web" and folder.is_dir():
            dirs.append(folder)
    return dirs


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in _domain_template_dirs()]),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        vn_datetime=vn_datetime,
        vn_date=vn_date,
        vn_number=vn_number,
        vn_figure=vn_figure,
        status_label=lambda code: STATUS_LABELS.get(code, code or ""),
        priority_label=lambda p: PRIORITY_LABELS.get(int(p or 0), str(p)),
    )
    env.globals.update(bar_chart=bar_chart, line_chart=line_chart, check_note=check_note)
    env.globals.update(error_sentence=error_sentence)
    return env


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render ``template`` with the request, the signed-in user (if any) and its CSRF token."""
    values: dict[str, Any] = {
        "request": request,
        "user": getattr(request.state, "user", None),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "nav": getattr(request.state, "nav", None),
        "unread_notifications": getattr(request.state, "unread_notifications", 0),
    }
    values.update(context or {})
    html = environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status)


def error_sentence(code: str) -> str:
    """The Vietnamese page sentence of an error code (``messages.py``), for tables of codes."""
    from lienthong.errors import ErrorCode
    from lienthong.messages import vietnamese

    try:
        return vietnamese(ErrorCode(code))
    except ValueError:
        return "Lỗi khác"


def check_note(name: str, status: str) -> str | None:
    """The plain-Vietnamese explanation of a signature check's warning (stored reports too)."""
    from lienthong.trust.report import NOTES_VI, CheckStatus

    try:
        return NOTES_VI.get((name, CheckStatus(status)))
    except ValueError:
        return None


def nice_ticks(top: float, most: int = 5) -> list[float]:
    """Axis ticks from 0 to at least ``top``: at most ``most`` distinct values on a step of
    1, 2 or 5 times a power of ten, never below 1 (counts are whole: no "0 0 1 2 2")."""
    top = max(top, 1.0)
    magnitude = 10 ** math.floor(math.log10(top / max(most - 1, 1)))
    for factor in (1, 2, 5, 10):
        step = max(factor * magnitude, 1)
        if math.ceil(top / step) <= most - 1:
            break
    count = math.ceil(top / step)
    return [step * i for i in range(count + 1)]


TICK_CHAR_WIDTH = 7.5  # px per character of a tick label at the charts' font size (12 px)


def _left_pad(ticks: Sequence[float]) -> int:
    """Room left of the plot for the longest tick label (``80.000.000`` needs more than
    ``40``), so no label is cut at the chart's edge."""
    longest = max((len(vn_number(t)) for t in ticks), default=1)
    return max(48, math.ceil(longest * TICK_CHAR_WIDTH) + 12)


def bar_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
) -> Markup:
    """Grouped vertical bars as accessible inline SVG (``role="img"`` with a title)."""
    colors = ["#1f5fa8", "#c0392b", "#2e8b57", "#d68910", "#6c3483"]
    names = list(series)
    ticks = nice_ticks(max([max(v, default=0) for v in series.values()] + [1]))
    top = ticks[-1]
    pad_left, pad_bottom, pad_top = _left_pad(ticks), 40, 24
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - pad_top
    group_w = plot_w / max(len(labels), 1)
    bar_w = max(group_w * 0.8 / max(len(names), 1), 2)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for value in ticks:
        y = pad_top + plot_h - plot_h * value / top
        parts.append(
            f'<line x1="{pad_left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{pad_left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(vn_number(value))}</text>"
        )
    for i, label in enumerate(labels):
        x0 = pad_left + i * group_w + group_w * 0.1
        for j, name in enumerate(names):
            value = series[name][i] if i < len(series[name]) else 0
            h = plot_h * value / top
            x = x0 + j * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{pad_top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" '
                f'height="{h:.1f}" fill="{colors[j % len(colors)]}">'
                f"<title>{escape(name)} – {escape(label)}: {escape(vn_number(value))}</title>"
                "</rect>"
            )
        parts.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{height - pad_bottom + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    for j, name in enumerate(names):
        parts.append(
            f'<rect x="{pad_left + j * 150}" y="4" width="10" height="10" '
            f'fill="{colors[j % len(colors)]}"/>'
            f'<text x="{pad_left + j * 150 + 14}" y="13">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped


def line_chart(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    width: int = 640,
    height: int = 240,
) -> Markup:
    """Lines over time as accessible inline SVG."""
    colors = ["#1f5fa8", "#c0392b", "#2e8b57", "#d68910"]
    ticks = nice_ticks(max([max(v, default=0) for v in series.values()] + [1]))
    top = ticks[-1]
    pad_left, pad_bottom, pad_top = _left_pad(ticks), 40, 24
    plot_w, plot_h = width - pad_left - 8, height - pad_bottom - pad_top
    step = plot_w / max(len(labels) - 1, 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for value in ticks:
        y = pad_top + plot_h - plot_h * value / top
        parts.append(
            f'<line x1="{pad_left}" x2="{width - 8}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{pad_left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(vn_number(value))}</text>"
        )
    for j, (name, values) in enumerate(series.items()):
        points = " ".join(
            f"{pad_left + i * step:.1f},{pad_top + plot_h - plot_h * v / top:.1f}"
            for i, v in enumerate(values)
        )
        parts.append(
            f'<polyline fill="none" stroke="{colors[j % len(colors)]}" stroke-width="2" '
            f'points="{points}"><title>{escape(name)}</title></polyline>'
            f'<rect x="{pad_left + j * 150}" y="4" width="10" height="10" '
            f'fill="{colors[j % len(colors)]}"/>'
            f'<text x="{pad_left + j * 150 + 14}" y="13">{escape(name)}</text>'
        )
    every = max(len(labels) // 8, 1)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                f'<text x="{pad_left + i * step:.1f}" y="{height - pad_bottom + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped
