"""Dossier sync end to end over HTTP, REST and JSON-gateway styles, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from lienthong.clock import VN_TZ
from lienthong.db import Database
from lienthong.portal.demo import dossier_item
from lienthong.portal.store import DossierEventRow, DossierRow
from tests.integration.portal.server import Served, serve_portal

NGHE_AN, CAO_BANG, VINH, CB_JUSTICE = (
    "000.00.00.H41",
    "000.00.00.H14",
    "000.00.31.H41",
    "000.00.10.H14",
)
RECEIVED = datetime(2026, 11, 16, 8, 30, tzinfo=VN_TZ)


@pytest.fixture
def served(db: Database, tmp_path: Path) -> Iterator[Served]:
    with serve_portal(db, tmp_path) as s:
        yield s


def code(n: int, agency: str = VINH) -> str:
    return f"{agency}-261116-{n:04d}"


def stored(db: Database) -> tuple[int, int]:
    with db.read() as session:
        return (
            int(session.scalar(select(func.count()).select_from(DossierRow)) or 0),
            int(session.scalar(select(func.count()).select_from(DossierEventRow)) or 0),
        )


def test_syncs_dossiers_and_steps_over_the_rest_api(served: Served) -> None:
    with httpx.Client(base_url=served.url, auth=served.basic(NGHE_AN)) as client:
        item = dossier_item(code(1), VINH, "2.000635", received=RECEIVED, channel=3)
        answer = client.put(f"/api/v1/portal/dossiers/{code(1)}", json=item)
        assert answer.status_code == 200, answer.text
        assert answer.json()["result"] == "created"
        step = {
            "NguoiXuLy": "Lê Văn C",
            "ThoiDiemXuLy": "20261116150000",
            "TrangThai": 4,
            "NoiDungXuLy": "Thẩm định",
        }
        assert (
            client.post(f"/api/v1/portal/dossiers/{code(1)}/steps", json=step).json()["result"]
            == "updated"
        )
        batch = [
            dossier_item(code(2), VINH, "1.001234", received=RECEIVED, channel=2),
            dossier_item(code(3), VINH, "2.000635", received=RECEIVED, NgayTiepNhan="2026-11-16"),
        ]
        result = client.post("/api/v1/portal/dossiers/batch", json={"items": batch}).json()
        assert (result["accepted"], result["refused"]) == (1, 1)
        assert result["items"][1]["error"]["code"] == "PORTAL_DATE_INVALID"
        dossier = client.get(f"/api/v1/portal/dossiers/{code(1)}").json()
        assert dossier["status"] == 4 and dossier["channel"] == 3
        assert [h["kind"] for h in dossier["history"]] == ["status", "step"]
    assert stored(served.container.db) == (2, 3)


def test_syncs_over_the_json_gateway_with_a_session_token(served: Served) -> None:
    gateway = f"{served.url}/portal/gateway"
    system, secret = served.basic(CAO_BANG)
    login = httpx.post(
        gateway, json={"service": "LayToken", "username": system, "password": secret}
    )
    assert login.json()["error_code"] == 0
    token = login.json()["token"]
    items = [
        dossier_item(code(n, CB_JUSTICE), CB_JUSTICE, "1.004227", received=RECEIVED)
        for n in range(1, 4)
    ]
    sync = httpx.post(
        gateway,
        json={"service": "DongBoHoSoMC", "token": token, "isUpdating": False, "data": items},
    ).json()
    assert sync["error_code"] == 0 and sync["accepted"] == 3
    step = {
        "MaHoSo": code(1, CB_JUSTICE),
        "ThoiDiemXuLy": "20261117100000",
        "TrangThai": 9,
        "NoiDungXuLy": "Đã ký phiếu",
    }
    progress = httpx.post(
        gateway,
        json={"service": "CapNhatTienDoHoSoMC", "data": [step]},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert progress["error_code"] == 0
    found = httpx.post(
        gateway, json={"service": "TraCuuHoSo", "token": token, "MaHoSo": code(1, CB_JUSTICE)}
    ).json()
    assert found["result"]["TrangThaiHoSo"] == 9 and found["result"]["DungHan"] == "EARLY"
    procedure = httpx.post(
        gateway, json={"service": "LayThuTuc", "token": token, "MaTTHC": "1.004227"}
    ).json()
    assert procedure["result"][0]["ThoiHanGiaiQuyet"] == 10
    bad = httpx.post(gateway, json={"service": "DongBoHoSoMC", "token": "forged", "data": items})
    assert bad.json()["error"] == "PORTAL_SESSION_INVALID" and bad.json()["error_code"] == 401
    unknown = httpx.post(gateway, json={"service": "XoaHoSo", "token": token}).json()
    assert unknown["error"] == "PORTAL_SERVICE_UNKNOWN"
    partial = httpx.post(
        gateway,
        json={
            "service": "DongBoHoSoMC",
            "token": token,
            "data": [items[0], dossier_item(code(9), VINH, "2.000635", received=RECEIVED)],
        },
    ).json()
    assert partial["error_code"] == 207
    assert partial["items"][1]["error"]["code"] == "PORTAL_AGENCY_NOT_IN_SCOPE"


def test_refuses_abuse_with_clear_codes_and_stores_nothing(served: Served) -> None:
    url = served.url
    item = dossier_item(code(1), VINH, "2.000635", received=RECEIVED)
    with httpx.Client(base_url=url, auth=served.basic(NGHE_AN)) as client:
        many = {"items": [item] * 1001}
        answer = client.post("/api/v1/portal/dossiers/batch", json=many)
        assert (answer.status_code, answer.json()["error"]["code"]) == (
            413,
            "PORTAL_BATCH_TOO_LARGE",
        )
        answer = client.post("/api/v1/portal/dossiers/batch", content=b"{not json")
        assert answer.json()["error"]["code"] == "REQUEST_INVALID"
        malformed = {**item, "NgayTiepNhan": "20261131080000"}
        answer = client.put(f"/api/v1/portal/dossiers/{code(1)}", json=malformed)
        assert (answer.status_code, answer.json()["error"]["code"]) == (400, "PORTAL_DATE_INVALID")
        unknown = {**item, "DonViXuLy": "000.00.99.H41"}
        answer = client.put(f"/api/v1/portal/dossiers/{code(1)}", json=unknown)
        assert (answer.status_code, answer.json()["error"]["code"]) == (404, "AGENCY_UNKNOWN")
        foreign = dossier_item(code(1, CB_JUSTICE), CB_JUSTICE, "1.004227", received=RECEIVED)
        answer = client.put(f"/api/v1/portal/dossiers/{code(1, CB_JUSTICE)}", json=foreign)
        assert (answer.status_code, answer.json()["error"]["code"]) == (
            403,
            "PORTAL_AGENCY_NOT_IN_SCOPE",
        )
    answer = httpx.put(
        f"{url}/api/v1/portal/dossiers/{code(1)}", json=item, auth=(NGHE_AN, "wrong")
    )
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "AUTH_FAILED")
    gateway = httpx.post(
        f"{url}/portal/gateway",
        json={"service": "LayToken", "username": NGHE_AN, "password": "wrong"},
    ).json()
    assert gateway["error"] == "AUTH_FAILED"
    assert stored(served.container.db) == (0, 0)


def test_another_province_learns_nothing_from_resending_a_dossier_and_codes_must_match(
    served: Served,
) -> None:
    """Scope is checked before the duplicate check: Nghệ An re-sending Cao Bằng's dossier
    unchanged is refused, not answered "duplicate" (an equality oracle and a false success);
    a PUT whose body names another dossier than its path is refused, nothing updated."""
    foreign = dossier_item(code(1, CB_JUSTICE), CB_JUSTICE, "1.004227", received=RECEIVED)
    with httpx.Client(base_url=served.url, auth=served.basic(CAO_BANG)) as cao_bang:
        put = cao_bang.put(f"/api/v1/portal/dossiers/{code(1, CB_JUSTICE)}", json=foreign)
        assert put.status_code == 200, put.text
    before = stored(served.container.db)
    with httpx.Client(base_url=served.url, auth=served.basic(NGHE_AN)) as nghe_an:
        resent = nghe_an.put(f"/api/v1/portal/dossiers/{code(1, CB_JUSTICE)}", json=foreign)
        assert (resent.status_code, resent.json()["error"]["code"]) == (
            403,
            "PORTAL_AGENCY_NOT_IN_SCOPE",
        )
        batch = nghe_an.post("/api/v1/portal/dossiers/batch", json={"items": [foreign]}).json()
        assert batch["items"][0]["error"]["code"] == "PORTAL_AGENCY_NOT_IN_SCOPE"
        own = dossier_item(code(2), VINH, "2.000635", received=RECEIVED)
        assert nghe_an.put(f"/api/v1/portal/dossiers/{code(2)}", json=own).status_code == 200
        after_own = stored(served.container.db)
        mismatch = nghe_an.put(
            f"/api/v1/portal/dossiers/{code(2)}", json={**own, "MaHoSo": code(3)}
        )
        assert (mismatch.status_code, mismatch.json()["error"]["code"]) == (
            400,
            "REQUEST_INVALID",
        )
        assert stored(served.container.db) == after_own
    assert after_own[0] == before[0] + 1


def test_the_hub_operator_imports_the_catalogue_as_csv(served: Served) -> None:
    csv_text = (
        "code,version,name,field_code,field_name,levels,processing_days,valid_from\n"
        "1.009999,1,Thủ tục thử nghiệm,TN,Thử nghiệm,2;3,5,2026-01-01\n"
    )
    headers = {"Content-Type": "text/csv"}
    refused = httpx.post(
        f"{served.url}/api/v1/portal/procedures/import",
        content=csv_text,
        headers=headers,
        auth=served.basic(NGHE_AN),
    )
    assert refused.json()["error"]["code"] == "FORBIDDEN"
    done = httpx.post(
        f"{served.url}/api/v1/portal/procedures/import",
        content=csv_text,
        headers=headers,
        auth=served.basic("000.00.00.G22"),
    )
    assert done.status_code == 201 and done.json() == {"imported": 1}
    bad = httpx.post(
        f"{served.url}/api/v1/portal/procedures/import",
        content=csv_text.replace(",5,", ",x,"),
        headers=headers,
        auth=served.basic("000.00.00.G22"),
    )
    assert bad.json()["error"]["code"] == "PORTAL_PROCEDURE_INVALID"
    got = httpx.get(f"{served.url}/api/v1/portal/procedures/1.009999", auth=served.basic(NGHE_AN))
    assert got.json()["versions"][0]["TenTTHC"] == "Thủ tục thử nghiệm"
