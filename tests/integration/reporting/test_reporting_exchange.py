"""ADX and DHIS2 dataValueSets over real HTTP, on SQLite and PostgreSQL (issue 20, Exchange): an
imported file becomes the unit's draft, is signed, accepted and appears in ``/figures`` and in
the ADX / DHIS2 exports; every refused import answers its code and stores nothing."""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
from lxml import etree
from sqlalchemy import func, select

from lienthong.calendar import WorkingCalendar
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.errors import ErrorCode
from lienthong.messages import vietnamese
from lienthong.reporting import store
from lienthong.reporting.adx import parse_adx, write_adx
from lienthong.reporting.exchange import ADX_MEDIA_TYPE, ADX_NS, Outgoing
from lienthong.reporting.model import Period
from lienthong.reporting.regimes import ContentKind, RegimeCatalogue, demo_regime
from lienthong.reporting.rules import Form, Indicator
from lienthong.reporting.service import ReportingService, UnitSpec
from tests.integration.reporting.test_reporting_channels_cycle import (
    COMMUNE_A,
    COMMUNE_B,
    COMMUNE_D,
    PERIOD,
    SECTIONS,
    START,
    Hub,
    figures,
    hub,
    ok,
    pki,
    token_of,
)
from tests.page_text import assert_reads_vietnamese
from tests.support import CAO_BANG, GOV_OFFICE, NGHE_AN

__all__ = ["hub", "pki"]  # the fixtures, used by name
ISO = "2026-04-01/P1M"  # PERIOD (2026-M04) as ADX writes it


def adx_of(unit: str, values: dict[str, Any], period: str = ISO, extra: str = "") -> bytes:
    rows = []
    for cell, value in values.items():
        code, _, option = cell.partition(".")
        sex = f' SEX="{option}"' if option else ""
        rows.append(f'<dataValue dataElement="{code}"{sex} value="{value}"/>')
    body = "".join(rows) + extra
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><adx xmlns="{ADX_NS}">'
        f'<group dataSet="KTXH" orgUnit="{unit}" period="{period}">{body}</group></adx>'
    ).encode()


def dhis2_of(unit: str, values: dict[str, float]) -> bytes:
    rows = []
    for cell, value in values.items():
        code, _, option = cell.partition(".")
        rows.append(
            {"dataElement": code, "categoryOptionCombo": option or "default", "value": str(value)}
        )
    document = {"dataSet": "KTXH", "period": "202604", "orgUnit": unit, "dataValues": rows}
    return json.dumps(document).encode()


def post_adx(api: httpx.Client, data: bytes) -> httpx.Response:
    return api.post(f"/KTXH/{PERIOD}/adx", content=data, headers={"content-type": ADX_MEDIA_TYPE})


def counts(db: Database) -> tuple[int, int, int]:
    with db.read() as session:
        return (
            session.scalar(select(func.count()).select_from(store.SubmissionRow)) or 0,
            session.scalar(select(func.count()).select_from(store.ValueRow)) or 0,
            session.scalar(select(func.count()).select_from(store.AggregateRow)) or 0,
        )


def test_an_adx_import_is_signed_accepted_and_shows_in_figures_and_exports(
    hub: Hub, db: Database
) -> None:
    values = figures(1)
    with hub.api(COMMUNE_A) as commune, hub.api(NGHE_AN) as province:
        # the text sections typed first stay: a file carries figures only
        ok(commune.put(f"/KTXH/{PERIOD}", json={"values": {}, "sections": SECTIONS}))
        saved = ok(post_adx(commune, adx_of(COMMUNE_A, values)))
        assert saved["channel"] == "adx" and saved["state"] == "draft"
        assert saved["values"] == {k: float(v) for k, v in values.items()}
        assert saved["sections"] == SECTIONS
        ok(commune.post(f"/submissions/{saved['id']}/submit"))
        ok(province.post(f"/submissions/{saved['id']}/accept"))
        got = ok(province.get("/figures", params={"regime": "KTXH", "period": PERIOD}))
        assert got["figures"]["POP"] == values["POP"]
        assert got["figures"]["BIRTHS.NAM"] == values["BIRTHS.NAM"]

        # the commune's accepted report, as ADX, read by itself and by its province
        mine = commune.get(f"/KTXH/{PERIOD}/adx")
        assert mine.status_code == 200 and mine.headers["content-type"] == ADX_MEDIA_TYPE
        group = etree.fromstring(mine.content)[0]
        assert dict(group.attrib) == {"dataSet": "KTXH", "orgUnit": COMMUNE_A, "period": ISO}
        theirs = province.get(f"/KTXH/{PERIOD}/adx", params={"unit": COMMUNE_A})
        assert theirs.content.split(b"<group")[1] == mine.content.split(b"<group")[1]
        as_dhis2 = ok(province.get(f"/KTXH/{PERIOD}/dataValueSets", params={"unit": COMMUNE_A}))
        assert as_dhis2["period"] == "202604" and as_dhis2["periodIso"] == ISO
        pop = [v for v in as_dhis2["dataValues"] if v["dataElement"] == "POP"]
        assert pop == [
            {
                "dataElement": "POP",
                "period": "202604",
                "orgUnit": COMMUNE_A,
                "categoryOptionCombo": "default",
                "value": str(values["POP"]),
            }
        ]

        # the province's consolidated figures
        node = province.get("/figures/adx", params={"regime": "KTXH", "period": PERIOD})
        assert node.status_code == 200, node.text
        cells = {
            (v.get("dataElement"), v.get("SEX")): float(v.get("value"))
            for v in etree.fromstring(node.content)[0]
        }
        assert etree.fromstring(node.content)[0].get("orgUnit") == NGHE_AN
        assert cells[("POP", None)] == values["POP"]
        assert cells[("BIRTHS", "NU")] == values["BIRTHS.NU"]
        rate = 100 * values["POOR"] / values["HOUSEHOLDS"]
        assert abs(cells[("POOR_RATE", None)] - rate) < 1e-9
        dvs = ok(
            province.get("/figures/dataValueSets", params={"regime": "KTXH", "period": PERIOD})
        )
        assert dvs["orgUnit"] == NGHE_AN and len(dvs["dataValues"]) == len(cells)

    # a unit that is neither the reporter nor above it reads nothing
    with hub.api(CAO_BANG) as other:
        denied = other.get(f"/KTXH/{PERIOD}/adx", params={"unit": COMMUNE_A})
        assert denied.status_code == 403
        assert denied.json()["error"]["code"] == "REPORT_UNIT_MISMATCH"
    with hub.api(COMMUNE_B) as b:
        none = b.get(f"/KTXH/{PERIOD}/dataValueSets")
        assert none.status_code == 404 and none.json()["error"]["code"] == "REPORT_NOT_FOUND"
        unknown = b.get(f"/KTXH/{PERIOD}/sdmx")
        assert unknown.status_code == 404
        assert unknown.json()["error"]["code"] == "ROUTE_NOT_FOUND"
    assert counts(db)[0] == 1


def test_a_dhis2_import_is_stored_as_the_units_draft(hub: Hub, db: Database) -> None:
    values = figures(2)
    with hub.api(COMMUNE_B) as commune:
        saved = ok(
            commune.post(
                f"/KTXH/{PERIOD}/dataValueSets",
                content=dhis2_of(COMMUNE_B, values),
                headers={"content-type": "application/json"},
            )
        )
        assert saved["channel"] == "dhis2" and saved["unit_code"] == COMMUNE_B
        assert saved["values"]["BIRTHS.NU"] == values["BIRTHS.NU"]
        # importing again replaces the draft's figures (one version)
        again = ok(
            commune.post(f"/KTXH/{PERIOD}/dataValueSets", content=dhis2_of(COMMUNE_B, {"POP": 5}))
        )
        assert again["id"] == saved["id"] and again["values"] == {"POP": 5.0}
    assert counts(db)[:2] == (1, 1)


def refused(api: httpx.Client, db: Database, code: str, status: int, data: bytes) -> dict[str, Any]:
    before = counts(db)
    answer = post_adx(api, data)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == code, error
    assert counts(db) == before
    return error


def test_every_refused_import_answers_its_code_and_stores_nothing(hub: Hub, db: Database) -> None:
    values = figures(1)
    with hub.api(COMMUNE_A) as api:
        ok(api.put(f"/KTXH/{PERIOD}", json={"values": {"POP": 1}, "sections": SECTIONS}))
        before = counts(db)
        assert before[:2] == (1, 1)
        refused(api, db, "REPORT_EXCHANGE_MALFORMED", 400, b"<adx xmlns='urn:ihe:qrph:adx:2015'>")
        bomb = (
            b'<?xml version="1.0"?><!DOCTYPE adx [<!ENTITY a "a">]>'
            + adx_of(COMMUNE_A, values).split(b"?>", 1)[1]
        )
        refused(api, db, "REPORT_EXCHANGE_MALFORMED", 400, bomb)
        unknown = adx_of(COMMUNE_A, values, extra='<dataValue dataElement="GDP" value="1"/>')
        error = refused(api, db, "REPORT_EXCHANGE_INDICATOR_UNKNOWN", 422, unknown)
        assert error["detail"]["unknown"] == ["GDP"]
        quarter = adx_of(COMMUNE_A, values, period="2026-04-01/P3M")
        refused(api, db, "REPORT_EXCHANGE_PERIOD_INVALID", 422, quarter)
        half = adx_of(COMMUNE_A, values, period="2026S1")
        refused(api, db, "REPORT_EXCHANGE_PERIOD_INVALID", 422, half)
        for unit in (GOV_OFFICE, "000.99.99.Z99"):  # not a reporter of KTXH, not a unit at all
            refused(api, db, "REPORT_EXCHANGE_UNIT_INVALID", 422, adx_of(unit, values))
        # another reporting unit's figures: the form's own refusal
        refused(api, db, "REPORT_UNIT_MISMATCH", 403, adx_of(COMMUNE_D, values))
        twice = adx_of(COMMUNE_A, values, extra='<dataValue dataElement="POP" value="2"/>')
        refused(api, db, "REPORT_EXCHANGE_DUPLICATE_VALUE", 422, twice)
        text = adx_of(COMMUNE_A, values | {"POOR": "hai mươi"})
        refused(api, db, "REPORT_CELL_NOT_NUMBER", 422, text)
        # the form's rules, exactly as the web form checks them
        broken = adx_of(COMMUNE_A, values | {"POOR": values["HOUSEHOLDS"] + 1})
        error = refused(api, db, "REPORT_VALIDATION_FAILED", 422, broken)
        assert [p["where"] for p in error["detail"]["problems"]] == ["R2"]
        wrong_period = api.post("/KTXH/2026-H1/adx", content=adx_of(COMMUNE_A, values))
        assert wrong_period.json()["error"]["code"] == "REPORT_PERIOD_INVALID"
        other_regime = api.post(f"/YTE/{PERIOD}/adx", content=adx_of(COMMUNE_A, values))
        assert other_regime.json()["error"]["code"] == "REGIME_UNKNOWN"
        assert counts(db) == before
        assert ok(api.get("/submissions", params={"regime": "KTXH", "period": PERIOD}))[0][
            "values"
        ] == {"POP": 1.0}


def test_a_file_over_the_limit_is_refused_while_it_streams(hub: Hub, db: Database) -> None:
    hub.reporting.settings.reporting_exchange_max_bytes = 64 * 1024
    row = b'<dataValue dataElement="POP" value="1"/>' * 1000  # 40 KB
    total = 1000 * len(row)  # 40 MB, 600 times the limit
    sent: list[int] = []

    def body() -> Iterator[bytes]:  # chunked: no Content-Length to refuse on
        head = f'<adx xmlns="{ADX_NS}"><group dataSet="KTXH" orgUnit="{COMMUNE_A}" '
        yield (head + f'period="{ISO}">').encode()
        for _ in range(1000):
            sent.append(len(row))
            yield row

    before = counts(db)
    with hub.api(COMMUNE_A) as api:
        try:
            answer: httpx.Response | None = api.post(f"/KTXH/{PERIOD}/adx", content=body())
        except httpx.TransportError:
            answer = None  # the hub closed the connection before the client had sent it all
    if answer is not None:
        assert answer.status_code == 413, answer.text
        assert answer.json()["error"]["code"] == "REPORT_FILE_TOO_LARGE"
    # The handler stops at the limit (tests/unit/reporting/test_exchange_spool.py counts what it
    # pulls); uvicorn may still drain the rest of the connection, which stores nothing either.
    assert 0 < sum(sent) <= total
    assert counts(db) == before


def test_a_declared_500_mb_body_is_refused_before_it_is_read(hub: Hub, db: Database) -> None:
    url = httpx.URL(hub.url)
    secret = base64.b64encode(f"{COMMUNE_A}:{hub.secrets[COMMUNE_A]}".encode()).decode()
    request = (
        f"POST /api/v1/reporting/KTXH/{PERIOD}/adx HTTP/1.1\r\n"
        f"Host: {url.host}:{url.port}\r\nAuthorization: Basic {secret}\r\n"
        f"Content-Type: {ADX_MEDIA_TYPE}\r\nContent-Length: {500 * 1024 * 1024}\r\n\r\n"
        "<adx"
    ).encode()
    before = counts(db)
    with socket.create_connection((url.host, url.port or 80), timeout=30) as sock:
        sock.sendall(request)  # 500 MB announced, four bytes sent
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"REPORT_FILE_TOO_LARGE" in answer
    assert counts(db) == before


def test_a_large_import_is_written_in_bulk_and_replaced_whole(db: Database) -> None:
    """Past store.BULK_VALUES cells the values go by COPY (PostgreSQL) or the driver's
    executemany (SQLite); a second import replaces them all."""
    form = Form(
        code="BM-BIG",
        version=1,
        title="Biểu lớn",
        indicators=tuple(Indicator(f"I{i:04d}", f"Chỉ tiêu {i}", "đơn vị") for i in range(1500)),
    )
    regime = dataclasses.replace(
        demo_regime(), code="BIG", content_kind=ContentKind.DATA, form=form
    )
    cal = WorkingCalendar()
    catalogue = RegimeCatalogue(cal)
    catalogue.add(regime)
    service = ReportingService(db, FixedClock(START), cal, catalogue, trust=None)
    service.add_units(
        "geo",
        [
            UnitSpec(GOV_OFFICE, "Văn phòng Chính phủ", "government"),
            UnitSpec(NGHE_AN, "UBND tỉnh Nghệ An", "province", GOV_OFFICE),
            UnitSpec(COMMUNE_A, "UBND xã Nghi Phong", "commune", NGHE_AN),
        ],
    )
    april = Period.parse(PERIOD)
    for seed in (1, 2):
        values = {ind.code: float(seed * i) for i, ind in enumerate(form.indicators)}
        data = write_adx(form, [Outgoing("BIG", COMMUNE_A, april, values)])
        saved = service.import_figures(
            COMMUNE_A, "BIG", PERIOD, parse_adx(io.BytesIO(data)), channel="adx", actor="x"
        )
        assert saved.values == values
        assert counts(db)[:2] == (1, 1500)


def test_the_report_page_imports_a_file_or_says_in_vietnamese_why_not(
    hub: Hub, db: Database
) -> None:
    here = f"/bao-cao/ky/KTXH/{PERIOD}"
    web = hub.web("baocao.xa")  # a reporting officer of commune A
    form = web.get(here)
    assert 'action="/bao-cao/ky/KTXH/2026-M04/nhap-tep"' in form.text

    def post(name: str, data: bytes) -> httpx.Response:
        page = web.get(here)
        return web.post(
            f"{here}/nhap-tep",
            data={"csrf_token": token_of(page.text)},
            files={"tep": (name, data, "application/octet-stream")},
            follow_redirects=True,
        )

    before = counts(db)
    bad = adx_of(COMMUNE_A, figures(1), extra='<dataValue dataElement="GDP" value="1"/>')
    answer = post("so-lieu.xml", bad)
    text = assert_reads_vietnamese(answer.text)
    assert vietnamese(ErrorCode.REPORT_EXCHANGE_INDICATOR_UNKNOWN) in text
    assert "(GDP)" in text and "not an indicator" not in text
    answer = post("so-lieu.json", b'{"dataValues": [')
    assert vietnamese(ErrorCode.REPORT_EXCHANGE_MALFORMED) in assert_reads_vietnamese(answer.text)
    assert counts(db) == before

    answer = post("so-lieu.json", dhis2_of(COMMUNE_A, figures(1)))
    assert "Đã nhận tệp DHIS2 và lưu bản nháp." in assert_reads_vietnamese(answer.text)
    answer = post("so-lieu.xml", adx_of(COMMUNE_A, figures(2)))
    assert "Đã nhận tệp ADX và lưu bản nháp." in assert_reads_vietnamese(answer.text)
    (draft,) = hub.reporting.queries.history("KTXH", PERIOD, COMMUNE_A)
    assert draft.channel == "adx"
    assert "Tệp ADX" in web.get(here).text  # the channel as the history names it
