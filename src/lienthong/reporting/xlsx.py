"""The spreadsheet channel: a generated XLSX template per regime version, form, period and unit,
and the reading of a filled one, with explicit refusals (no SQL, no HTTP).

Template
--------
- ``_meta`` (very hidden, protected): the template id (``form@vN``), the form and regime
  versions, the period and the unit it was made for;
- ``Số liệu``: one row per indicator (code, name, unit of measure: locked labels), the total
  column and one column per option of the form's disaggregation; only the cells a person fills
  are unlocked, the sheet is protected;
- ``Đề cương`` (when the form has an outline, Decree 09 Art. 8(8)): one row per section.

Reading an upload
-----------------
Checked *before* openpyxl parses anything: the byte size (``REPORT_FILE_TOO_LARGE``), that it is a
ZIP at all, its number of entries, its declared uncompressed size and each entry's expansion ratio
(a ZIP bomb), and that it holds no macros, ActiveX controls, embedded objects, links to other
workbooks or entry names outside it (all ``REPORT_FILE_UNSAFE``). Then, read-only and streaming: the
sheets (``REPORT_SHEET_MISSING``), the template id and versions (``REPORT_TEMPLATE_VERSION``), the
sheet's dimension and the cells seen (``REPORT_FILE_UNSAFE`` past the cell limit), formulas
(``REPORT_FORMULA_REFUSED``: values only), text that is not a number (``REPORT_CELL_NOT_NUMBER``;
``1.234,5`` is read the Vietnamese way by :func:`rules.parse_number`), figures in cells that are not
inputs or unknown rows (``REPORT_TEMPLATE_INVALID``).
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter

from lienthong.errors import ErrorCode
from lienthong.reporting.model import Period, Window
from lienthong.reporting.regimes import RegimeVersion
from lienthong.reporting.rules import Aggregation, Form, ReportContent, parse_number
from lienthong.reporting.submissions import refuse
from lienthong.spreadsheet import xlsx_bytes

META_SHEET = "_meta"
DATA_SHEET = "Số liệu"
OUTLINE_SHEET = "Đề cương"
HEADER_ROW = 5
FIRST_VALUE_COLUMN = 4  # D: the total; then one column per disaggregation option
META_KEYS = (
    "template_id",
    "form_code",
    "form_version",
    "regime",
    "regime_version",
    "period",
    "unit",
)
# Not a secret: sheet protection only keeps labels from being typed over by mistake.
PROTECTION_PASSWORD = "lienthong"  # noqa: S105
_GREY = PatternFill("solid", fgColor="DDDDDD")
_BOLD = Font(bold=True)
_UNLOCKED = Protection(locked=False)


@dataclass(frozen=True)
class XlsxLimits:
    max_bytes: int = 2 * 1024 * 1024
    max_uncompressed: int = 20 * 1024 * 1024
    max_entries: int = 64
    max_ratio: int = 200  # uncompressed / compressed size of one entry
    max_cells: int = 50_000


@dataclass(frozen=True)
class TemplateMeta:
    template_id: str
    form_code: str
    form_version: int
    regime: str
    regime_version: int
    period: str
    unit: str


@dataclass(frozen=True)
class Upload:
    meta: TemplateMeta
    content: ReportContent


def column_codes(form: Form) -> list[str]:
    """The value columns: ``""`` (the total), then each option code."""
    options = [code for code, _ in form.disaggregation.options] if form.disaggregation else []
    return ["", *options]


def _header_labels(form: Form) -> list[str]:
    options = [label for _, label in form.disaggregation.options] if form.disaggregation else []
    return ["Mã chỉ tiêu", "Chỉ tiêu", "Đơn vị tính", "Tổng số", *options]


def _input_cell(form: Form, indicator_code: str, option: str) -> str | None:
    """The form cell behind a spreadsheet cell, or None when it is not an input."""
    ind = form.indicator(indicator_code)
    if ind.aggregation is Aggregation.RATIO:
        return None
    cell = indicator_code if not option else f"{indicator_code}.{option}"
    return cell if cell in form.cells_of(ind) else None


# --- writing ------------------------------------------------------------------------------


def build_template(
    regime: RegimeVersion,
    period: Period,
    window: Window,
    unit_code: str,
    unit_name: str,
    *,
    values: Mapping[str, float] | None = None,
    sections: Mapping[str, str] | None = None,
) -> bytes:
    """The XLSX template of ``regime``'s form for one unit and period (pre-filled with
    ``values`` / ``sections`` when given: a draft downloaded to finish offline)."""
    form = regime.form
    values = values or {}
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = DATA_SHEET
    ws["A1"] = form.title.upper()
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = f"Đơn vị báo cáo: {unit_name} ({unit_code})"
    ws["A3"] = (
        f"Kỳ báo cáo: {period.label} ({period.code}), số liệu từ ngày {window.start:%d/%m/%Y} "
        f"đến ngày {window.end:%d/%m/%Y}"
    )
    ws["A4"] = f"{regime.name} · mẫu {form.template_id} · chế độ {regime.code} v{regime.version}"
    for col, label in enumerate(_header_labels(form), start=1):
        cell = ws.cell(row=HEADER_ROW, column=col, value=label)
        cell.font = _BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    columns = column_codes(form)
    for offset, ind in enumerate(form.indicators, start=1):
        row = HEADER_ROW + offset
        ws.cell(row=row, column=1, value=ind.code)
        ws.cell(row=row, column=2, value=ind.name)
        ws.cell(row=row, column=3, value=ind.unit)
        for index, option in enumerate(columns):
            cell = ws.cell(row=row, column=FIRST_VALUE_COLUMN + index)
            form_cell = _input_cell(form, ind.code, option)
            if form_cell is None:
                cell.fill = _GREY
                if ind.aggregation is Aggregation.RATIO and not option:
                    cell.value = "(tự tính)"
                continue
            cell.protection = _UNLOCKED
            cell.number_format = "#,##0" if ind.integer else "#,##0.##"
            if form_cell in values:
                cell.value = values[form_cell]
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 48
    ws.column_dimensions["C"].width = 14
    for index in range(len(columns)):
        ws.column_dimensions[get_column_letter(FIRST_VALUE_COLUMN + index)].width = 16
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=FIRST_VALUE_COLUMN)
    ws.protection.sheet = True
    ws.protection.password = PROTECTION_PASSWORD
    if form.outline:
        _outline_sheet(wb, form, sections or {})
    meta = wb.create_sheet(META_SHEET)
    for row, (key, value) in enumerate(
        (
            ("template_id", form.template_id),
            ("form_code", form.code),
            ("form_version", form.version),
            ("regime", regime.code),
            ("regime_version", regime.version),
            ("period", period.code),
            ("unit", unit_code),
        ),
        start=1,
    ):
        meta.cell(row=row, column=1, value=key)
        meta.cell(row=row, column=2, value=value)
    meta.sheet_state = "veryHidden"
    meta.protection.sheet = True
    meta.protection.password = PROTECTION_PASSWORD
    return xlsx_bytes(wb)  # text that begins with '=' stays text


def _outline_sheet(wb: Workbook, form: Form, sections: Mapping[str, str]) -> None:
    ws = wb.create_sheet(OUTLINE_SHEET)
    for col, label in enumerate(("Mục", "Tiêu đề", "Nội dung"), start=1):
        ws.cell(row=1, column=col, value=label).font = _BOLD
    for row, section in enumerate(form.outline, start=2):
        ws.cell(row=row, column=1, value=section.code)
        title = section.title + ("" if section.required else " (không bắt buộc)")
        ws.cell(row=row, column=2, value=title)
        text = ws.cell(row=row, column=3, value=sections.get(section.code) or None)
        text.protection = _UNLOCKED
        text.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["B"].width = 40
    ws.column_dimensions["C"].width = 80
    ws.protection.sheet = True
    ws.protection.password = PROTECTION_PASSWORD


# --- reading ------------------------------------------------------------------------------


# Parts a template never has and a spreadsheet program acts on (macros, ActiveX controls,
# embedded objects, links to other workbooks), and entry names that are not plain relative
# paths (a "zip slip"): such an upload is refused whole, not read around.
_UNSAFE_PART = re.compile(
    r"(^|/)(vbaProject\.bin|vbaData\.xml)$|(^|/)(activeX|embeddings|externalLinks)/", re.I
)


def _unsafe_entry(name: str) -> bool:
    parts = name.split("/")
    return (
        name.startswith("/")
        or "\\" in name
        or ":" in name
        or ".." in parts
        or _UNSAFE_PART.search(name) is not None
    )


def check_container(data: bytes, limits: XlsxLimits) -> None:
    """Size and ZIP structure, before any parsing of the workbook."""
    if len(data) > limits.max_bytes:
        raise refuse(ErrorCode.REPORT_FILE_TOO_LARGE, limit_bytes=limits.max_bytes)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise refuse(ErrorCode.REPORT_FILE_UNSAFE, "The file is not an XLSX (ZIP).") from exc
    with archive:
        entries = archive.infolist()
        if len(entries) > limits.max_entries:
            raise refuse(ErrorCode.REPORT_FILE_UNSAFE, entries=len(entries))
        total = sum(e.file_size for e in entries)
        if total > limits.max_uncompressed:
            raise refuse(
                ErrorCode.REPORT_FILE_UNSAFE,
                "The file expands beyond the limit.",
                uncompressed_bytes=total,
                limit_bytes=limits.max_uncompressed,
            )
        for entry in entries:
            if _unsafe_entry(entry.filename):
                raise refuse(
                    ErrorCode.REPORT_FILE_UNSAFE,
                    "The file holds macros, links, embedded objects or a path outside it.",
                    entry=entry.filename,
                )
            if entry.file_size > 64 * 1024 and entry.file_size > limits.max_ratio * max(
                entry.compress_size, 1
            ):
                raise refuse(
                    ErrorCode.REPORT_FILE_UNSAFE,
                    "An entry's expansion ratio is that of a ZIP bomb.",
                    entry=entry.filename,
                )
        for entry in entries:
            if not entry.is_dir():
                _no_dtd(archive, entry)


# A DTD is how XML declares entities: a file entity (XXE) or an expansion (billion laughs).
# Excel never writes one; the parsers under openpyxl would act on it, so none is parsed.
_DTD_MARKERS = (b"<!DOCTYPE", b"<!ENTITY")
_UTF16_STARTS = (b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00")


def _no_dtd(archive: zipfile.ZipFile, entry: zipfile.ZipInfo) -> None:
    """Refuse REPORT_FILE_UNSAFE an entry holding a DTD, or in an encoding where the search
    below could not see one (UTF-16), reading it in chunks (its size was bounded above)."""
    tail = b""
    first = True
    with archive.open(entry) as stream:
        while chunk := stream.read(256 * 1024):
            if first and chunk.startswith(_UTF16_STARTS):
                raise refuse(
                    ErrorCode.REPORT_FILE_UNSAFE,
                    "An entry is not UTF-8 text.",
                    entry=entry.filename,
                )
            first = False
            window = tail + chunk
            if any(marker in window for marker in _DTD_MARKERS):
                raise refuse(
                    ErrorCode.REPORT_FILE_UNSAFE,
                    "An entry declares a DTD or entities (DOCTYPE, ENTITY).",
                    entry=entry.filename,
                )
            tail = window[-16:]


def _cells(ws: Any, first_row: int, limits: XlsxLimits, seen: list[int]) -> Iterator[Any]:
    for row in ws.iter_rows(min_row=first_row):
        seen[0] += len(row)
        if seen[0] > limits.max_cells:
            raise refuse(ErrorCode.REPORT_FILE_UNSAFE, "Too many cells.", limit=limits.max_cells)
        yield row


def _no_formula(cell: Any, where: str) -> None:
    if getattr(cell, "data_type", None) == "f":
        raise refuse(ErrorCode.REPORT_FORMULA_REFUSED, cell=where)


def _number(value: Any, where: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool | datetime | date):
        raise refuse(ErrorCode.REPORT_CELL_NOT_NUMBER, cell=where, value=str(value))
    if isinstance(value, int | float):
        number = float(value)
    else:
        try:
            number = parse_number(str(value))
        except ValueError as exc:
            raise refuse(ErrorCode.REPORT_CELL_NOT_NUMBER, cell=where, value=str(value)) from exc
    if not math.isfinite(number):
        raise refuse(ErrorCode.REPORT_CELL_NOT_NUMBER, cell=where, value=str(value))
    return number


def _dimension_check(ws: Any, limits: XlsxLimits) -> None:
    rows, cols = ws.max_row, ws.max_column  # from the sheet's <dimension>, when written
    if rows and cols and rows * cols > limits.max_cells:
        raise refuse(
            ErrorCode.REPORT_FILE_UNSAFE,
            "Too many cells.",
            cells=rows * cols,
            limit=limits.max_cells,
        )


def read_meta(wb: Any) -> TemplateMeta:
    if META_SHEET not in wb.sheetnames:
        raise refuse(ErrorCode.REPORT_SHEET_MISSING, sheet=META_SHEET)
    found: dict[str, Any] = {}
    for row in wb[META_SHEET].iter_rows(min_row=1, max_row=40, max_col=2):
        if len(row) < 2:
            continue
        for cell in row:
            _no_formula(cell, f"{META_SHEET}!{getattr(cell, 'coordinate', '?')}")
        if isinstance(row[0].value, str):
            found[row[0].value] = row[1].value
    missing = [k for k in META_KEYS if found.get(k) in (None, "")]
    if missing:
        raise refuse(ErrorCode.REPORT_TEMPLATE_INVALID, "Template metadata missing.", keys=missing)
    try:
        return TemplateMeta(
            template_id=str(found["template_id"]),
            form_code=str(found["form_code"]),
            form_version=int(found["form_version"]),
            regime=str(found["regime"]),
            regime_version=int(found["regime_version"]),
            period=str(found["period"]),
            unit=str(found["unit"]),
        )
    except (TypeError, ValueError) as exc:
        raise refuse(ErrorCode.REPORT_TEMPLATE_INVALID, "Template metadata unreadable.") from exc


def parse_upload(
    data: bytes,
    regime_for: Callable[[str, str], RegimeVersion],
    *,
    limits: XlsxLimits | None = None,
) -> Upload:
    """Read a filled template; ``regime_for(regime_code, period_code)`` is the regime version
    in force for the period (the service's ``resolve``): the upload must name exactly it."""
    limits = limits or XlsxLimits()
    check_container(data, limits)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many kinds on a broken package
        raise refuse(ErrorCode.REPORT_TEMPLATE_INVALID, "The workbook cannot be read.") from exc
    try:
        meta = read_meta(wb)
        regime = regime_for(meta.regime, meta.period)
        form = regime.form
        if (
            meta.template_id != form.template_id
            or meta.form_code != form.code
            or meta.form_version != form.version
            or meta.regime_version != regime.version
        ):
            raise refuse(
                ErrorCode.REPORT_TEMPLATE_VERSION,
                uploaded=f"{meta.template_id} ({meta.regime} v{meta.regime_version})",
                current=f"{form.template_id} ({regime.code} v{regime.version})",
            )
        values = _read_values(wb, form, limits)
        sections = _read_sections(wb, form, limits) if form.outline else {}
    finally:
        wb.close()
    return Upload(meta, ReportContent(values, sections))


def _read_values(wb: Any, form: Form, limits: XlsxLimits) -> dict[str, float]:
    if DATA_SHEET not in wb.sheetnames:
        raise refuse(ErrorCode.REPORT_SHEET_MISSING, sheet=DATA_SHEET)
    ws = wb[DATA_SHEET]
    _dimension_check(ws, limits)
    columns = column_codes(form)
    expected_header = _header_labels(form)
    known = {ind.code for ind in form.indicators}
    seen_rows: set[str] = set()
    values: dict[str, float] = {}
    counter = [0]
    for number, row in enumerate(_cells(ws, HEADER_ROW, limits, counter)):
        for cell in row:
            _no_formula(cell, f"{DATA_SHEET}!{getattr(cell, 'coordinate', '?')}")
        first = row[0].value if row else None
        if number == 0:
            header = [c.value for c in row[: len(expected_header)]]
            if header != expected_header:
                raise refuse(ErrorCode.REPORT_TEMPLATE_INVALID, "The header row was changed.")
            continue
        if first is None or (isinstance(first, str) and not first.strip()):
            if any(c.value not in (None, "") for c in row):
                raise refuse(ErrorCode.REPORT_TEMPLATE_INVALID, "A row has no indicator code.")
            continue
        code = str(first).strip()
        if code not in known or code in seen_rows:
            raise refuse(ErrorCode.REPORT_TEMPLATE_INVALID, "Unknown or repeated row.", row=code)
        seen_rows.add(code)
        for index, cell in enumerate(row[FIRST_VALUE_COLUMN - 1 :]):
            where = f"{DATA_SHEET}!{cell.coordinate}"
            option = columns[index] if index < len(columns) else None
            form_cell = _input_cell(form, code, option) if option is not None else None
            if form_cell is None:
                if cell.value not in (None, "", "(tự tính)"):
                    raise refuse(
                        ErrorCode.REPORT_TEMPLATE_INVALID,
                        "A figure outside an input cell.",
                        cell=where,
                    )
                continue
            figure = _number(cell.value, where)
            if figure is not None:
                values[form_cell] = figure
    if seen_rows != known:
        raise refuse(
            ErrorCode.REPORT_TEMPLATE_INVALID,
            "Indicator rows are missing.",
            missing=sorted(known - seen_rows),
        )
    return values


def _read_sections(wb: Any, form: Form, limits: XlsxLimits) -> dict[str, str]:
    if OUTLINE_SHEET not in wb.sheetnames:
        raise refuse(ErrorCode.REPORT_SHEET_MISSING, sheet=OUTLINE_SHEET)
    ws = wb[OUTLINE_SHEET]
    _dimension_check(ws, limits)
    codes = {s.code for s in form.outline}
    sections: dict[str, str] = {}
    for row in _cells(ws, 2, limits, [0]):
        for cell in row:
            _no_formula(cell, f"{OUTLINE_SHEET}!{getattr(cell, 'coordinate', '?')}")
        if not row or row[0].value in (None, ""):
            continue
        code = str(row[0].value).strip()
        if code not in codes:
            raise refuse(
                ErrorCode.REPORT_TEMPLATE_INVALID, "Unknown outline section.", section=code
            )
        text = row[2].value if len(row) > 2 else None
        if text not in (None, ""):
            sections[code] = str(text).strip()
    return sections
