"""The XLSX channel: the generated template round-trips, and every bad upload is refused with
its code and stores nothing (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from openpyxl import Workbook, load_workbook

from lienthong.errors import ErrorCode, LienthongError
from lienthong.reporting.xlsx import DATA_SHEET, META_SHEET, XlsxLimits, parse_upload
from tests.integration.reporting.conftest import COMMUNES, PROVINCE, Network
from tests.integration.reporting.test_reporting_cycle import PERIOD, figures, row_counts

UNIT = COMMUNES[0]


def template(net: Network, unit: str = UNIT) -> bytes:
    return net.service.template(unit, "KTXH", PERIOD)


def edited(data: bytes, change: Callable[[Workbook], None]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row_of(wb: Workbook, code: str) -> int:
    ws = wb[DATA_SHEET]
    for row in range(1, ws.max_row + 1):
        if ws.cell(row=row, column=1).value == code:
            return row
    raise KeyError(code)


def fill(wb: Workbook, values: dict[str, object]) -> None:
    ws = wb[DATA_SHEET]
    columns = {"": 4, "NAM": 5, "NU": 6}
    for cell, value in values.items():
        code, _, option = cell.partition(".")
        ws.cell(row=row_of(wb, code), column=columns[option], value=value)  # type: ignore[arg-type]
    outline = wb["Đề cương"]
    outline["C2"] = "Hoàn thành nhiệm vụ."
    outline["C4"] = "Tiếp tục."


def filled(net: Network, values: dict[str, object] | None = None) -> bytes:
    return edited(template(net), lambda wb: fill(wb, values or dict(figures(1))))


def refused(net: Network, code: ErrorCode, data: bytes, limits: XlsxLimits | None = None) -> None:
    before = row_counts(net)
    with pytest.raises(LienthongError) as caught:
        net.service.save_xlsx(UNIT, data, actor=UNIT, limits=limits)
    assert caught.value.code is code, caught.value
    assert row_counts(net) == before


def test_the_template_round_trips_with_vietnamese_number_formats(network: Network) -> None:
    net = network
    data = template(net)
    wb = load_workbook(io.BytesIO(data))
    assert wb[META_SHEET].sheet_state == "veryHidden"
    assert wb[DATA_SHEET].protection.sheet
    assert wb[DATA_SHEET]["A6"].protection.locked  # labels are locked
    assert not wb[DATA_SHEET]["D6"].protection.locked  # the figure cells are not
    values: dict[str, object] = dict(figures(1))
    values["REVENUE"] = "1.234,5"  # typed as text, the Vietnamese way
    values["POP"] = "1.010.000"  # thousands separators
    saved = net.service.save_xlsx(UNIT, filled(net, values), actor=UNIT)
    assert saved.channel == "xlsx"
    assert saved.values["REVENUE"] == 1234.5
    assert saved.values["POP"] == 1_010_000
    assert saved.values["BIRTHS.NU"] == figures(1)["BIRTHS.NU"]
    assert saved.sections == {"I": "Hoàn thành nhiệm vụ.", "III": "Tiếp tục."}
    # the downloaded draft carries the saved figures; submitting it goes through the signature
    again = load_workbook(io.BytesIO(template(net)))
    assert again[DATA_SHEET].cell(row=row_of(again, "REVENUE"), column=4).value == 1234.5
    submitted = net.service.sign_and_submit(UNIT, saved.id, actor=UNIT)
    assert submitted.state == "submitted"
    net.service.accept(PROVINCE, saved.id, actor="province")


def test_refuses_another_template_version(network: Network) -> None:
    def older(wb: Workbook) -> None:
        fill(wb, dict(figures(1)))
        wb[META_SHEET]["B3"] = 0  # form_version

    refused(network, ErrorCode.REPORT_TEMPLATE_VERSION, edited(template(network), older))

    def other_regime_version(wb: Workbook) -> None:
        wb[META_SHEET]["B5"] = 7

    data = edited(template(network), other_regime_version)
    refused(network, ErrorCode.REPORT_TEMPLATE_VERSION, data)


def test_refuses_text_in_a_numeric_cell(network: Network) -> None:
    values: dict[str, object] = dict(figures(1)) | {"POOR": "khoảng hai mươi"}
    refused(network, ErrorCode.REPORT_CELL_NOT_NUMBER, filled(network, values))
    values = dict(figures(1)) | {"POP": True}
    refused(network, ErrorCode.REPORT_CELL_NOT_NUMBER, filled(network, values))


def test_refuses_formulas(network: Network) -> None:
    values: dict[str, object] = dict(figures(1)) | {"BIRTHS": "=E7+F7"}
    refused(network, ErrorCode.REPORT_FORMULA_REFUSED, filled(network, values))


def test_refuses_missing_sheets(network: Network) -> None:
    def drop(name: str) -> Callable[[Workbook], None]:
        return lambda wb: wb.remove(wb[name])

    refused(network, ErrorCode.REPORT_SHEET_MISSING, edited(filled(network), drop(DATA_SHEET)))
    refused(network, ErrorCode.REPORT_SHEET_MISSING, edited(filled(network), drop(META_SHEET)))
    refused(network, ErrorCode.REPORT_SHEET_MISSING, edited(filled(network), drop("Đề cương")))


def test_refuses_figures_outside_input_cells_and_foreign_rows(network: Network) -> None:
    def outside(wb: Workbook) -> None:
        fill(wb, dict(figures(1)))
        wb[DATA_SHEET].cell(row=row_of(wb, "POP"), column=5, value=3)  # POP has no sex split

    refused(network, ErrorCode.REPORT_TEMPLATE_INVALID, edited(template(network), outside))

    def foreign_row(wb: Workbook) -> None:
        fill(wb, dict(figures(1)))
        wb[DATA_SHEET].cell(row=row_of(wb, "POP"), column=1, value="XYZ")

    refused(network, ErrorCode.REPORT_TEMPLATE_INVALID, edited(template(network), foreign_row))


def test_refuses_a_huge_file_before_reading_it(network: Network) -> None:
    limits = XlsxLimits(max_bytes=4096)
    refused(network, ErrorCode.REPORT_FILE_TOO_LARGE, filled(network), limits)

    def spread(wb: Workbook) -> None:
        fill(wb, dict(figures(1)))
        wb[DATA_SHEET]["Z400"] = "x"  # the dimension grows to 26 x 400 cells

    data = edited(template(network), spread)
    refused(network, ErrorCode.REPORT_FILE_UNSAFE, data, XlsxLimits(max_cells=5000))


def zip_with(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return out.getvalue()


def test_refuses_zip_bombs_and_non_zip_files(network: Network) -> None:
    bomb = zip_with(
        {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": bytes(30 << 20)}
    )
    assert len(bomb) < 100_000
    refused(network, ErrorCode.REPORT_FILE_UNSAFE, bomb)
    ratio = zip_with({"[Content_Types].xml": b"<Types/>", "xl/sharedStrings.xml": bytes(4 << 20)})
    refused(network, ErrorCode.REPORT_FILE_UNSAFE, ratio)
    many = zip_with({f"x/{i}.xml": b"<a/>" for i in range(100)})
    refused(network, ErrorCode.REPORT_FILE_UNSAFE, many)
    refused(network, ErrorCode.REPORT_FILE_UNSAFE, b"PK\x03\x04 not really a zip")
    refused(network, ErrorCode.REPORT_FILE_UNSAFE, "Số liệu,1,2\n".encode())
    refused(network, ErrorCode.REPORT_TEMPLATE_INVALID, zip_with({"a.txt": b"hello"}))


def test_refuses_another_units_template(network: Network) -> None:
    data = edited(template(network, COMMUNES[1]), lambda wb: fill(wb, dict(figures(1))))
    refused(network, ErrorCode.REPORT_UNIT_MISMATCH, data)


def test_parse_upload_names_the_cell_of_the_bad_text(network: Network) -> None:
    data = filled(network, dict(figures(1)) | {"SCHOOL": "9O"})
    with pytest.raises(LienthongError) as caught:
        parse_upload(data, lambda r, p: network.service.resolve(r, p)[0])
    assert caught.value.detail["cell"].startswith(f"{DATA_SHEET}!D")


def with_dtd(data: bytes, dtd: bytes, reference: bytes) -> bytes:
    """``data`` with a DTD in each worksheet's XML and ``reference`` in place of the first
    figure: what an expanding parser would read as the value."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.startswith("xl/worksheets/sheet"):
                head, _, rest = body.partition(b"?>")
                body = head + b"?>" + dtd + rest.replace(b"<v>", b"<v>" + reference, 1)
            target.writestr(info, body)
    return out.getvalue()


@pytest.mark.parametrize(
    ("dtd", "reference"),
    [
        (b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/hostname">]>', b"&x;"),
        (
            b'<!DOCTYPE worksheet [<!ENTITY a "7777777777"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
            b"&b;",
        ),
    ],
    ids=["file entity", "entity expansion"],
)
def test_refuses_a_sheet_with_a_doctype_before_any_entity_is_expanded(
    network: Network, dtd: bytes, reference: bytes
) -> None:
    data = with_dtd(filled(network), dtd, reference)
    refused(network, ErrorCode.REPORT_FILE_UNSAFE, data)
    with pytest.raises(LienthongError) as caught:
        parse_upload(data, lambda r, p: network.service.resolve(r, p)[0])
    assert caught.value.detail["entry"].startswith("xl/worksheets/sheet")
    assert "7777" not in str(caught.value.as_dict())
