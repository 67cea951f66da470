"""The registers of incoming and outgoing documents as XLSX (openpyxl), laid out as the
Decree 30/2020 Appendix IV forms: title, agency and period, the prescribed column headings
with their numbers, one line per document; printed A4 landscape. Pure: values in, bytes out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from lienthong.clerk.model import RegisterLine
from lienthong.spreadsheet import xlsx_bytes

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="E8EEF5")
_STRUCK = Font(strike=True, color="6B6B6B")
_WRAP_TOP = Alignment(wrap_text=True, vertical="top")
_CENTRE = Alignment(wrap_text=True, horizontal="center", vertical="center")
HEADER_ROW = 5  # the row of the column headings; their numbers are on the next row


def register_xlsx(
    *,
    title: str,
    agency: str,
    period: str,
    headers: Sequence[str],
    widths: Sequence[int],
    lines: Sequence[RegisterLine],
) -> bytes:
    """The register as an XLSX workbook: rows 1-3 the agency, the title and the period, row
    ``HEADER_ROW`` the headings, the next row their numbers ((1), (2), ...), then the lines
    (dates as dates, shown dd/mm/yyyy; a recalled or replaced line struck through)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    last = get_column_letter(len(headers))
    for row, (text, font) in enumerate(
        ((agency, Font(bold=True)), (title.upper(), Font(bold=True, size=14)), (period, Font())),
        start=1,
    ):
        sheet.merge_cells(f"A{row}:{last}{row}")
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center")
    for col, (header, width) in enumerate(zip(headers, widths, strict=True), start=1):
        head = sheet.cell(row=HEADER_ROW, column=col, value=header)
        head.font = Font(bold=True)
        head.fill = _HEAD_FILL
        head.alignment = _CENTRE
        head.border = _BORDER
        number = sheet.cell(row=HEADER_ROW + 1, column=col, value=f"({col})")
        number.alignment = _CENTRE
        number.font = Font(italic=True)
        number.border = _BORDER
        sheet.column_dimensions[get_column_letter(col)].width = width
    for row, line in enumerate(lines, start=HEADER_ROW + 2):
        for col, value in enumerate(line.cells, start=1):
            cell = sheet.cell(row=row, column=col, value=value)
            cell.border = _BORDER
            cell.alignment = _WRAP_TOP
            if isinstance(value, date):
                cell.number_format = "DD/MM/YYYY"
            if line.struck:
                cell.font = _STRUCK
    sheet.freeze_panes = sheet.cell(row=HEADER_ROW + 2, column=1)
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW + 1}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    return xlsx_bytes(book)  # text that begins with '=' stays text
