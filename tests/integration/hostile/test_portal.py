"""Hostile dossier syncs on the portal's REST API and its JSON gateway (``/portal/gateway``),
and hostile catalogue imports (CSV and JSON). Each is refused with its code and changes
nothing stored; the portal keeps a row per refused dossier for the sync-quality figures
(``portal_rejections``), which is the one table such a refusal writes by design."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import pytest

from lienthong.clock import VN_TZ
from lienthong.portal.demo import dossier_item
from tests.integration.hostile.conftest import CAO_BANG, GOV_OFFICE, NGHE_AN, Hub, error_code

VINH = "000.00.31.H41"  # under Nghệ An
RECEIVED = datetime(2026, 11, 16, 8, 30, tzinfo=VN_TZ)
SEEDED = f"{VINH}-261116-0001"
REJECTIONS = ("portal_rejections",)


@pytest.fixture(scope="module")
def portal_hub(hub: Hub) -> Hub:
    with hub.http(auth=hub.basic(NGHE_AN)) as http:
        item = dossier_item(SEEDED, VINH, "2.000635", received=RECEIVED)
        answer = http.put(f"/api/v1/portal/dossiers/{SEEDED}", json=item)
        assert answer.status_code == 200, answer.text
    return hub


def _item(n: int, **more: Any) -> dict[str, Any]:
    return dossier_item(f"{VINH}-261116-{n:04d}", VINH, "2.000635", received=RECEIVED, **more)


def _without(key: str) -> dict[str, Any]:
    item = _item(50)
    item.pop(key)
    return item


ITEMS = [
    pytest.param(
        _item(2, MaHoSo="<script>alert(1)</script>"),
        "PORTAL_DOSSIER_CODE_INVALID",
        id="code-markup",
    ),
    pytest.param(_item(3, MaHoSo="' OR 1=1 --"), "PORTAL_DOSSIER_CODE_INVALID", id="code-sql"),
    pytest.param(_item(4, MaHoSo=""), "PORTAL_DOSSIER_CODE_INVALID", id="code-empty"),
    pytest.param(_item(5, MaHoSo="x" * 5000), "PORTAL_DOSSIER_CODE_INVALID", id="code-huge"),
    pytest.param(_item(6, MaHoSo=123), "PORTAL_DOSSIER_CODE_INVALID", id="code-number"),
    pytest.param(_item(7, NgayTiepNhan="2026-11-16"), "PORTAL_DATE_INVALID", id="date-iso"),
    pytest.param(
        _item(8, NgayTiepNhan="99999999999999"), "PORTAL_DATE_INVALID", id="date-impossible"
    ),
    pytest.param(_item(9, NgayTiepNhan=None), "PORTAL_DOSSIER_INVALID", id="date-null"),
    pytest.param(_item(10, TrangThaiHoSo=99), "PORTAL_DOSSIER_INVALID", id="status-unknown"),
    pytest.param(
        _item(11, TrangThaiHoSo="2; DROP TABLE"), "PORTAL_DOSSIER_INVALID", id="status-text"
    ),
    pytest.param(_item(12, KenhThucHien=-1), "PORTAL_DOSSIER_INVALID", id="channel-negative"),
    pytest.param(_item(13, MaTTHC="9" * 5000), "PORTAL_DOSSIER_INVALID", id="procedure-huge"),
    pytest.param(_item(14, DonViXuLy="000.00.00.Z99"), "AGENCY_UNKNOWN", id="agency-unknown"),
    pytest.param(
        dossier_item("000.00.10.H14-261116-0001", "000.00.10.H14", "2.000635", received=RECEIVED),
        "PORTAL_AGENCY_NOT_IN_SCOPE",
        id="agency-of-another-province",
    ),
    pytest.param(_item(15, ChuHoSo="x" * 100_000), "PORTAL_DOSSIER_INVALID", id="applicant-huge"),
    pytest.param(_item(16, ChuHoSo={"$ne": 1}), "PORTAL_DOSSIER_INVALID", id="applicant-object"),
    pytest.param(
        _item(17, DanhSachHoSoBoSung="x"), "PORTAL_DOSSIER_INVALID", id="supplements-not-list"
    ),
    pytest.param(_without("TrangThaiHoSo"), "PORTAL_DOSSIER_INVALID", id="status-missing"),
]


@pytest.mark.parametrize(("item", "code"), ITEMS)
def test_a_hostile_dossier_is_refused_in_a_batch(
    portal_hub: Hub, item: dict[str, Any], code: str
) -> None:
    with portal_hub.http(auth=portal_hub.basic(NGHE_AN)) as http:
        answer = portal_hub.unchanged(
            lambda: http.post("/api/v1/portal/dossiers/batch", json={"items": [item]}),
            recorded=REJECTIONS,
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["accepted"], body["refused"]) == (0, 1), body
    assert body["items"][0]["error"]["code"] == code, body


BODIES: list[Any] = [
    pytest.param(b"not json", "REQUEST_INVALID", id="not-json"),
    pytest.param(b"\xff\xfe{}", "REQUEST_INVALID", id="not-utf8"),
    pytest.param(b'{"items": NaN}', "REQUEST_INVALID", id="nan"),
    pytest.param(b'"items"', "REQUEST_INVALID", id="json-string"),
    pytest.param(b'{"items": {"a": 1}}', "REQUEST_INVALID", id="items-object"),
]


@pytest.mark.parametrize(("body", "code"), BODIES)
def test_a_hostile_batch_body_is_refused(portal_hub: Hub, body: bytes, code: str) -> None:
    with portal_hub.http(auth=portal_hub.basic(NGHE_AN)) as http:
        answer = portal_hub.unchanged(
            lambda: http.post(
                "/api/v1/portal/dossiers/batch",
                content=body,
                headers={"Content-Type": "application/json"},
            ),
            recorded=REJECTIONS,
        )
    assert 400 <= answer.status_code < 500, answer.text
    assert error_code(answer) == code, answer.text


def test_a_batch_of_more_than_a_thousand_is_refused_whole(portal_hub: Hub) -> None:
    items = [_item(1000 + n) for n in range(1001)]
    with portal_hub.http(auth=portal_hub.basic(NGHE_AN)) as http:
        answer = portal_hub.unchanged(
            lambda: http.post("/api/v1/portal/dossiers/batch", json={"items": items}),
            recorded=REJECTIONS,
        )
    assert answer.status_code == 413, answer.text
    assert error_code(answer) == "PORTAL_BATCH_TOO_LARGE"


def test_a_body_declared_over_the_limit_is_refused_unread(portal_hub: Hub) -> None:
    with portal_hub.http(auth=portal_hub.basic(NGHE_AN)) as http:
        answer = portal_hub.unchanged(
            lambda: http.post(
                "/api/v1/portal/dossiers/batch",
                content=b"[" + b" " * (17 * 1024 * 1024) + b"]",
            )
        )
    assert answer.status_code == 413, answer.text
    assert error_code(answer) == "PORTAL_BATCH_TOO_LARGE"


PATHS = [
    pytest.param(
        CAO_BANG,
        "PUT",
        f"/api/v1/portal/dossiers/{SEEDED}",
        "PORTAL_AGENCY_NOT_IN_SCOPE",
        id="put-others-dossier",
    ),
    pytest.param(
        CAO_BANG,
        "POST",
        f"/api/v1/portal/dossiers/{SEEDED}/steps",
        "PORTAL_AGENCY_NOT_IN_SCOPE",
        id="step-on-others-dossier",
    ),
    pytest.param(
        CAO_BANG,
        "GET",
        f"/api/v1/portal/dossiers/{SEEDED}",
        "PORTAL_AGENCY_NOT_IN_SCOPE",
        id="read-others-dossier",
    ),
    pytest.param(
        NGHE_AN,
        "POST",
        "/api/v1/portal/procedures/import",
        "FORBIDDEN",
        id="import-by-non-operator",
    ),
]


@pytest.mark.parametrize(("caller", "method", "path", "code"), PATHS)
def test_dossiers_of_another_scope_are_refused(
    portal_hub: Hub, caller: str, method: str, path: str, code: str
) -> None:
    body: dict[str, Any] = dossier_item(
        SEEDED, VINH, "2.000635", received=RECEIVED, TrangThaiHoSo=4
    )
    if path.endswith("/steps"):
        body = {"NguoiXuLy": "X", "ThoiDiemXuLy": "20261116150000", "TrangThai": 4}
    with portal_hub.http(auth=portal_hub.basic(caller)) as http:
        answer = portal_hub.unchanged(
            lambda: http.request(method, path, json=body), recorded=REJECTIONS
        )
    assert 400 <= answer.status_code < 500, answer.text
    assert error_code(answer) == code, answer.text


CSV_HEAD = (
    "code,version,name,field_code,field_name,agency_codes,levels,channels,"
    "processing_days,fees,online_level\n"
)
CATALOGUES = [
    pytest.param(
        "text/csv", "không,phải,csv\n\x00\x00", "PORTAL_PROCEDURE_INVALID", id="csv-garbage"
    ),
    pytest.param(
        "text/csv",
        CSV_HEAD + "../../x,1,A,F,F,G22,1,1,abc,0,3\n",
        "PORTAL_PROCEDURE_INVALID",
        id="csv-bad-values",
    ),
    pytest.param("text/csv", "", "PORTAL_PROCEDURE_INVALID", id="csv-empty"),
    pytest.param("application/json", "{", "PORTAL_PROCEDURE_INVALID", id="json-broken"),
    pytest.param(
        "application/json", '[{"code": 1}]', "PORTAL_PROCEDURE_INVALID", id="json-wrong-types"
    ),
    pytest.param(
        "application/json",
        '{"a": [' * 50 + "]}" * 50,
        "PORTAL_PROCEDURE_INVALID",
        id="json-nested-50",
    ),
]


@pytest.mark.parametrize(("ctype", "body", "code"), CATALOGUES)
def test_a_hostile_catalogue_import_is_refused(
    portal_hub: Hub, ctype: str, body: str, code: str
) -> None:
    with portal_hub.http(auth=portal_hub.basic(GOV_OFFICE)) as http:
        answer = portal_hub.unchanged(
            lambda: http.post(
                "/api/v1/portal/procedures/import",
                content=body.encode(),
                headers={"Content-Type": ctype},
            )
        )
    assert 400 <= answer.status_code < 500, answer.text
    assert error_code(answer) == code, answer.text


def _token(hub: Hub, code: str) -> str:
    system, secret = hub.basic(code)
    answer = httpx.post(
        f"{hub.url}/portal/gateway",
        json={"service": "LayToken", "username": system, "password": secret},
    )
    return str(answer.json()["token"])


GATEWAY: list[Any] = [
    pytest.param(
        lambda t: {"service": "XoaHoSo", "token": t}, "PORTAL_SERVICE_UNKNOWN", id="service-unknown"
    ),
    pytest.param(
        lambda t: {"service": "__class__", "token": t},
        "PORTAL_SERVICE_UNKNOWN",
        id="service-dunder",
    ),
    pytest.param(lambda t: {"token": t}, "REQUEST_INVALID", id="service-missing"),
    pytest.param(lambda t: {"service": ["DongBoHoSoMC"]}, "REQUEST_INVALID", id="service-list"),
    pytest.param(lambda t: [1, 2, 3], "REQUEST_INVALID", id="body-list"),
    pytest.param(
        lambda t: {"service": "DongBoHoSoMC", "data": []}, "PORTAL_SESSION_INVALID", id="no-token"
    ),
    pytest.param(
        lambda t: {"service": "DongBoHoSoMC", "token": t + "x", "data": []},
        "PORTAL_SESSION_INVALID",
        id="token-altered",
    ),
    pytest.param(
        lambda t: {"service": "DongBoHoSoMC", "token": 12345, "data": []},
        "PORTAL_SESSION_INVALID",
        id="token-number",
    ),
    pytest.param(
        lambda t: {"service": "DongBoHoSoMC", "token": "' OR 1=1 --", "data": []},
        "PORTAL_SESSION_INVALID",
        id="token-sql",
    ),
    pytest.param(
        lambda t: {"service": "LayToken", "username": NGHE_AN, "password": "sai"},
        "AUTH_FAILED",
        id="login-wrong-secret",
    ),
    pytest.param(
        lambda t: {"service": "LayToken", "username": "' OR 1=1 --", "password": "x"},
        "AUTH_FAILED",
        id="login-sql",
    ),
    pytest.param(
        lambda t: {"service": "LayToken", "username": NGHE_AN, "password": None},
        "AUTH_FAILED",
        id="login-null-password",
    ),
    pytest.param(
        lambda t: {"service": "LayToken", "username": ["a"], "password": "x"},
        "AUTH_FAILED",
        id="login-list-username",
    ),
    pytest.param(
        lambda t: {"service": "TraCuuHoSo", "token": t, "MaHoSo": SEEDED},
        "PORTAL_AGENCY_NOT_IN_SCOPE",
        id="lookup-others-dossier",
    ),
    pytest.param(
        lambda t: {"service": "TraCuuHoSo", "token": t},
        "PORTAL_DOSSIER_CODE_INVALID",
        id="lookup-no-code",
    ),
    pytest.param(
        lambda t: {"service": "TraCuuHoSo", "token": t, "MaHoSo": {"$gt": ""}},
        "PORTAL_DOSSIER_CODE_INVALID",
        id="lookup-code-object",
    ),
    pytest.param(
        lambda t: {"service": "LayThuTuc", "token": t, "MaTTHC": 5},
        "PORTAL_PROCEDURE_NOT_FOUND",
        id="procedure-number",
    ),
    pytest.param(
        lambda t: {"service": "LayThuTuc", "token": t, "MaTTHC": "../../x"},
        "PORTAL_PROCEDURE_NOT_FOUND",
        id="procedure-traversal",
    ),
]


@pytest.mark.parametrize(("make", "code"), GATEWAY)
def test_hostile_gateway_calls_are_refused(
    portal_hub: Hub, make: Callable[[str], Any], code: str
) -> None:
    token = _token(portal_hub, CAO_BANG)
    body = make(token)
    with portal_hub.http() as http:
        answer = portal_hub.unchanged(lambda: http.post("/portal/gateway", json=body))
    assert answer.status_code != 500, answer.text
    assert error_code(answer) == code, answer.text
    assert answer.json().get("error_code") not in (0, "0"), answer.text
