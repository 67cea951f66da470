"""The consolidated report of a node (figures, same period last year, targets, timeliness
summary) as XLSX and as PDF, pure (values in, bytes out)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from lienthong.reporting.consolidation import Figure
from lienthong.reporting.pdf import render_lines
from lienthong.spreadsheet import xlsx_bytes

HEADERS = (
    "Mã",
    "Chỉ tiêu",
    "Đơn vị tính",
    "Kỳ báo cáo",
    "Lũy kế",
    "Cùng kỳ năm trước",
    "Cùng kỳ năm trước (lũy kế)",
    "So cùng kỳ (%)",
    "Kế hoạch năm",
    "Đạt kế hoạch (%)",
)
SUMMARY_LABELS = {
    "expected": "Phải gửi",
    "received": "Đã nhận",
    "on_time": "Đúng hạn",
    "late": "Trễ hạn",
    "missing": "Chưa gửi (quá hạn)",
    "returned": "Bị trả lại",
    "pending": "Chưa đến hạn",
}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def consolidated_xlsx(
    title: str, subtitle: str, figures: Sequence[Figure], summary: Mapping[str, int]
) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "Tổng hợp"
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = subtitle
    for col, label in enumerate(HEADERS, start=1):
        ws.cell(row=4, column=col, value=label).font = Font(bold=True)
    for row, f in enumerate(figures, start=5):
        for col, value in enumerate(
            (
                f.code,
                f.name,
                f.unit,
                _round(f.value),
                _round(f.cumulative),
                _round(f.last_year),
                _round(f.last_year_cumulative),
                _round(f.change),
                _round(f.target),
                _round(f.progress),
            ),
            start=1,
        ):
            ws.cell(row=row, column=col, value=value)
    ws.column_dimensions["B"].width = 46
    sheet = wb.create_sheet("Tình hình gửi báo cáo")
    for row, (key, label) in enumerate(SUMMARY_LABELS.items(), start=1):
        sheet.cell(row=row, column=1, value=label)
        sheet.cell(row=row, column=2, value=summary.get(key, 0))
    return xlsx_bytes(wb)  # text that begins with '=' stays text


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")


def consolidated_pdf(
    title: str, subtitle: str, figures: Sequence[Figure], summary: Mapping[str, int]
) -> bytes:
    lines = [title.upper(), subtitle, ""]
    for f in figures:
        lines.append(
            f"{f.code} {f.name} ({f.unit}): kỳ báo cáo {_num(f.value)}"
            f" | lũy kế: {_num(f.cumulative)}"
            f" | cùng kỳ năm trước: {_num(f.last_year)} (lũy kế {_num(f.last_year_cumulative)})"
            f" | kế hoạch: {_num(f.target)}"
        )
    lines += ["", "TÌNH HÌNH GỬI BÁO CÁO"]
    lines += [f"  {label}: {summary.get(key, 0)}" for key, label in SUMMARY_LABELS.items()]
    return render_lines(lines)
