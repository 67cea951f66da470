"""The reporting API over a real hub process: units seeded from the registry, XLSX template
download and upload, JSON save, signed submission (the head's demo key at the hub), the
province's inbox, return with comments, acceptance with consolidation, ad-hoc requests; and
refusals over HTTP that store nothing."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, func, select

from lienthong.reporting import store
from lienthong.schema import load_all
from lienthong.trust.pki import DemoPKI
from tests.e2e.conftest import PreparedHub
from tests.hub_process import HubProcess
from tests.support import GOV_OFFICE, NGHE_AN, register

COMMUNE_A, COMMUNE_B = "000.11.38.H41", "000.05.31.H41"
UNITS = {
    GOV_OFFICE: ("Văn phòng Chính phủ", 1, None),
    NGHE_AN: ("UBND tỉnh Nghệ An", 1, None),
    COMMUNE_A: ("UBND xã Nghi Phong", 2, NGHE_AN),
    COMMUNE_B: ("UBND phường Hưng Bình", 2, NGHE_AN),
}


def figures(seed: int) -> dict[str, float]:
    return {
        "POP": 1000 + seed,
        "BIRTHS": 5 + seed,
        "BIRTHS.NAM": 3,
        "BIRTHS.NU": 2 + seed,
        "HOUSEHOLDS": 300,
        "POOR": 20 + seed,
        "REVENUE": 100.5 * (seed + 1),
        "SCHOOL": 95,
        "PROCEDURES": 7 * seed,
    }


SECTIONS = {"I": "Hoàn thành các chỉ tiêu.", "III": "Tiếp tục cải cách hành chính."}


def prepare_reporting_hub(data_dir: Path, url: str) -> PreparedHub:
    """A migrated hub with the four agencies, the reporting tables and a demo PKI whose heads'
    keys the hub holds (``pki_dir``)."""
    from lienthong.config import Settings  # noqa: F401 - settings come from prepare_hub
    from lienthong.migrate import upgrade
    from lienthong.web.container import build_container
    from tests.support import settings_for

    settings = settings_for(url, data_dir)
    upgrade(url)
    engine = create_engine(url)
    load_all().create_all(engine)
    engine.dispose()
    container = build_container(settings)
    try:
        secrets = {
            code: register(container, code, name, level, parent_code=parent)
            for code, (name, level, parent) in UNITS.items()
        }
        assert container.reporting is not None
        container.reporting.definitions.ensure_demo_regime()  # the demo regime is data
    finally:
        container.close()
    DemoPKI.create(
        settings.resolved_pki_dir,
        agencies=[(c, n) for c, (n, _l, _p) in UNITS.items()],
        signers=[(c, f"Thủ trưởng {n}", "Chủ tịch") for c, (n, _l, _p) in UNITS.items()],
        hubs=[],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=datetime.now(UTC) - timedelta(days=1),
    )
    return PreparedHub(settings, secrets)


@pytest.fixture(scope="module")
def prepared(module_tmp: Path, sqlite_url: str) -> PreparedHub:
    return prepare_reporting_hub(module_tmp / "var", sqlite_url)


@pytest.fixture(scope="module")
def hub(prepared: PreparedHub) -> Iterator[HubProcess]:
    with prepared.process() as process:
        yield process


def api(hub: HubProcess, prepared: PreparedHub, code: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{hub.url}/api/v1/reporting", auth=(code, prepared.secrets[code]), timeout=60
    )


def stored(prepared: PreparedHub) -> tuple[int, int, int, int]:
    engine = create_engine(prepared.settings.database_url)
    with engine.connect() as conn:
        counts = tuple(
            int(conn.execute(select(func.count()).select_from(t)).scalar_one())
            for t in (store.SubmissionRow, store.ValueRow, store.AggregateRow, store.RequestRow)
        )
    engine.dispose()
    return counts  # type: ignore[return-value]


def refused(
    prepared: PreparedHub, answer: httpx.Response, status: int, code: str, before: Any
) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["error"]["code"] == code
    assert stored(prepared) == before


def filled_template(client: httpx.Client, regime: str, period: str, seed: int) -> bytes:
    got = client.get(f"/{regime}/{period}/template.xlsx")
    assert got.status_code == 200, got.text
    wb = load_workbook(io.BytesIO(got.content))
    ws = wb["Số liệu"]
    rows = {ws.cell(row=r, column=1).value: r for r in range(6, ws.max_row + 1)}
    for cell, value in figures(seed).items():
        code, _, option = cell.partition(".")
        column = {"": 4, "NAM": 5, "NU": 6}[option]
        # the Vietnamese way, as text: 1.234,5
        shown = f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        ws.cell(row=rows[code], column=column, value=shown)
    wb["Đề cương"]["C2"] = SECTIONS["I"]
    wb["Đề cương"]["C4"] = SECTIONS["III"]
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_reporting_cycle_over_the_api(hub: HubProcess, prepared: PreparedHub) -> None:
    a, b = api(hub, prepared, COMMUNE_A), api(hub, prepared, COMMUNE_B)
    province = api(hub, prepared, NGHE_AN)
    listed = a.get("/regimes")
    assert listed.status_code == 200, listed.text
    (regime,) = listed.json()["regimes"]
    assert regime["code"] == "KTXH" and regime["level"] == "commune"
    assert "thay thế" in regime["coinciding_text"]
    period = regime["periods"][0]["period"]
    assert regime["periods"][0]["deadline_rule"] == "2 ngày làm việc sau ngày chốt số liệu"

    # commune A: the XLSX channel; commune B: JSON
    up = a.post("/upload", content=filled_template(a, "KTXH", period, 1))
    assert up.status_code == 200, up.text
    assert up.json()["channel"] == "xlsx" and up.json()["values"]["REVENUE"] == 201.0
    saved = b.put(f"/KTXH/{period}", json={"values": figures(2), "sections": SECTIONS})
    assert saved.status_code == 200, saved.text
    ids = {COMMUNE_A: up.json()["id"], COMMUNE_B: saved.json()["id"]}
    for client, code in ((a, COMMUNE_A), (b, COMMUNE_B)):
        done = client.post(f"/submissions/{ids[code]}/submit")
        assert done.status_code == 200, done.text
        assert done.json()["state"] == "submitted"
        assert done.json()["signer"]

    inbox = province.get("/inbox", params={"regime": "KTXH", "period": period}).json()
    assert {r["unit"]: r["state"] for r in inbox} == {
        COMMUNE_A: "submitted",
        COMMUNE_B: "submitted",
    }
    back = province.post(
        f"/submissions/{ids[COMMUNE_B]}/return", json={"comment": "Số hộ nghèo chưa khớp."}
    )
    assert back.json()["state"] == "returned" and back.json()["comment"] == "Số hộ nghèo chưa khớp."
    assert province.post(f"/submissions/{ids[COMMUNE_A]}/accept").json()["state"] == "accepted"
    got = province.get("/figures", params={"regime": "KTXH", "period": period}).json()
    assert got["figures"]["POP"] == 1001 and got["figures"]["REVENUE"] == 201.0
    national = api(hub, prepared, GOV_OFFICE).get(
        "/figures", params={"regime": "KTXH", "period": period}
    )
    assert national.json()["figures"]["POP"] == 1001

    # B corrects and resubmits; accepted, the province's totals move
    b.put(f"/KTXH/{period}", json={"values": figures(3), "sections": SECTIONS})
    b.post(f"/submissions/{ids[COMMUNE_B]}/submit")
    assert province.post(f"/submissions/{ids[COMMUNE_B]}/accept").status_code == 200
    got = province.get("/figures", params={"regime": "KTXH", "period": period}).json()
    assert got["figures"]["POP"] == 1001 + 1003
    history = b.get("/submissions", params={"regime": "KTXH", "period": period}).json()
    assert [h["state"] for h in history] == ["accepted"]


def test_refusals_over_http_store_nothing(hub: HubProcess, prepared: PreparedHub) -> None:
    a, b = api(hub, prepared, COMMUNE_A), api(hub, prepared, COMMUNE_B)
    period = a.get("/regimes").json()["regimes"][0]["periods"][1]["period"]
    before = stored(prepared)
    anonymous = httpx.post(f"{hub.url}/api/v1/reporting/upload", content=b"x")
    refused(prepared, anonymous, 401, "AUTH_FAILED", before)
    big = a.post("/upload", content=b"\0" * (2 * 1024 * 1024 + 1))
    refused(prepared, big, 413, "REPORT_FILE_TOO_LARGE", before)
    bad_text = filled_template(a, "KTXH", period, 1)
    wb = load_workbook(io.BytesIO(bad_text))
    wb["Số liệu"]["D6"] = "một nghìn"
    wb["_meta"]["B1"] = "BM-KTXH@v0"
    out = io.BytesIO()
    wb.save(out)
    refused(
        prepared, a.post("/upload", content=out.getvalue()), 409, "REPORT_TEMPLATE_VERSION", before
    )
    other = filled_template(b, "KTXH", period, 1)
    refused(prepared, a.post("/upload", content=other), 403, "REPORT_UNIT_MISMATCH", before)
    wrong = a.put(f"/KTXH/{period}", json={"values": {"POOR": 999, "HOUSEHOLDS": 10}})
    refused(prepared, wrong, 422, "REPORT_VALIDATION_FAILED", before)
    refused(prepared, a.put("/KTXH/2026-M13", json={}), 422, "REPORT_PERIOD_INVALID", before)
    saved = a.put(f"/KTXH/{period}", json={"values": figures(1), "sections": SECTIONS})
    before = stored(prepared)
    sid = saved.json()["id"]
    refused(prepared, b.post(f"/submissions/{sid}/submit"), 403, "REPORT_UNIT_MISMATCH", before)
    unsigned = a.get(f"/submissions/{sid}/pdf").content
    forged = a.post(
        f"/submissions/{sid}/submit", content=unsigned, headers={"content-type": "application/pdf"}
    )
    refused(prepared, forged, 422, "REPORT_SIGNATURE_INVALID", before)
    a.post(f"/submissions/{sid}/submit")
    before = stored(prepared)
    refused(prepared, b.post(f"/submissions/{sid}/accept"), 403, "REPORT_UNIT_MISMATCH", before)
    province = api(hub, prepared, NGHE_AN)
    empty = province.post(f"/submissions/{sid}/return", json={"comment": " "})
    refused(prepared, empty, 400, "REPORT_REASON_REQUIRED", before)


def test_an_ad_hoc_request_over_the_api(hub: HubProcess, prepared: PreparedHub) -> None:
    province = api(hub, prepared, NGHE_AN)
    a = api(hub, prepared, COMMUNE_A)
    today = datetime.now(UTC).date()
    before = stored(prepared)
    bad = province.post(
        "/requests",
        json={
            "kind": "ad_hoc",
            "title": "Thiệt hại do mưa lũ",
            "content": "Báo cáo nhanh",
            "cutoff": today.isoformat(),
            "deadline": today.isoformat(),
            "recipients": [COMMUNE_A],
        },
    )
    refused(prepared, bad, 422, "REPORT_REQUEST_INVALID", before)
    made = province.post(
        "/requests",
        json={
            "kind": "ad_hoc",
            "title": "Thiệt hại do mưa lũ",
            "content": "Báo cáo nhanh số hộ bị ảnh hưởng.",
            "cutoff": today.isoformat(),
            "deadline": (today + timedelta(days=7)).isoformat(),
            "recipients": [COMMUNE_A, COMMUNE_B],
        },
    )
    assert made.status_code == 201, made.text
    rid = made.json()["id"]
    assert [r["id"] for r in a.get("/requests").json()] == [rid]
    answered = a.post(f"/requests/{rid}/answer", json={"answer": "12 hộ bị ảnh hưởng."})
    assert answered.json()["state"] == "open"
    closed = province.post(f"/requests/{rid}/close").json()
    assert closed["state"] == "closed"
    assert date.fromisoformat(closed["deadline"]) > today
