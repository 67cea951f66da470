"""The dashboards' figures as an XLSX workbook (openpyxl), headings in Vietnamese."""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from lienthong.portal.model import FLAG_LABELS, FeedbackStats
from lienthong.portal.views import ScopeFigures
from lienthong.spreadsheet import xlsx_bytes

HEADINGS = (
    "Mã định danh",
    "Tỉnh / Bộ, ngành",
    "Loại",
    "Hồ sơ đồng bộ",
    "Sai mã TTHC",
    "Tỷ lệ sai mã (%)",
    "Đã giải quyết",
    "Trước hạn",
    "Đúng hạn",
    "Quá hạn",
    "Tỷ lệ đúng hạn (%)",
    "Điểm giải quyết đúng hạn (/20)",
    "Cập nhật bị từ chối",
    "Độ trễ đồng bộ TB (giờ)",
    "Cảnh báo",
)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def workbook_bytes(period: str, rows: Sequence[ScopeFigures], feedback: FeedbackStats) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Tỉnh - Bộ, ngành"
    sheet.append([f"Chất lượng đồng bộ và giải quyết hồ sơ, kỳ {period}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(HEADINGS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for f in rows:
        sheet.append(
            [
                f.code,
                f.name,
                "Tỉnh" if f.kind == "province" else "Bộ, ngành",
                f.synced,
                f.wrong_code,
                _pct(f.wrong_rate),
                f.finished,
                f.early,
                f.on_time,
                f.late,
                _pct(f.on_time_rate),
                f.points,
                f.rejected_total,
                None if f.mean_lag_hours is None else round(f.mean_lag_hours, 1),
                "; ".join(FLAG_LABELS[x] for x in f.flags),
            ]
        )
    sheet.column_dimensions["B"].width = 42
    fb = book.create_sheet("Phản ánh, kiến nghị")
    fb.append(["Tiếp nhận", "Đã chuyển xử lý", "Đã trả lời", "Tỷ lệ trả lời (%)", "Đang xử lý"])
    for cell in fb[1]:
        cell.font = Font(bold=True)
    fb.append(
        [
            feedback.received,
            feedback.forwarded,
            feedback.answered,
            _pct(feedback.answered_share),
            feedback.pending,
        ]
    )
    return xlsx_bytes(book)  # text that begins with '=' stays text
