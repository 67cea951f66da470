"""Hostile calls in the axis style (the official SDK's signed ``XroadVnpt-*`` headers): HMAC
replay and header tampering, spoofed senders, ids of someone else's deliveries, and hostile
packages through ``sendEdoc``. Each is refused with its code and changes nothing stored."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from lienthong.client.axis import AxisClient
from lienthong.exchange.axis_auth import HASH_HEADER, SIGN_HEADER, SIGN_KEYS_HEADER, sdk_hash_file
from tests.integration.hostile.conftest import CAO_BANG, GOV_OFFICE, NGHE_AN, Hub, error_code
from tests.support import NOW, document_bytes

Headers = dict[bytes, bytes]


def _client(hub: Hub, code: str, at: object = None) -> AxisClient:
    moment = NOW if at is None else at
    return AxisClient(f"{hub.url}/axis", code, hub.secrets[code], now=lambda: moment)  # type: ignore[arg-type]


def _send_headers(hub: Hub, package: bytes, code: str = GOV_OFFICE, **kw: object) -> Headers:
    params = {
        "from": code,
        "servicetype": "eDoc",
        "messagetype": "edoc",
        "hash-file": sdk_hash_file(hashlib.sha256(package).digest()),
    }
    return _client(hub, code, **kw).signed_headers(params, "application/octet-stream")


def _axis_refused(answer: httpx.Response, code: str) -> None:
    assert answer.status_code != 500, answer.text[:500]
    body = answer.json()
    assert body.get("status") == "FAIL", body
    assert error_code(answer) == code, body


def _set(headers: Headers, name: str, value: str) -> Headers:
    out = {k: v for k, v in headers.items() if k.decode().lower() != name.lower()}
    out[name.encode()] = value.encode()
    return out


def _resign_json(headers: Headers, edit: Callable[[dict[str, str]], None]) -> Headers:
    """The signed JSON edited, the HMAC left as it was (someone without the secret)."""
    signed = json.loads(headers[SIGN_HEADER.encode()])
    edit(signed)
    return _set(headers, SIGN_HEADER, json.dumps(signed, separators=(",", ":")))


TAMPERED: list[object] = [
    pytest.param(lambda h: _set(h, HASH_HEADER, "0" * 64), "AUTH_FAILED", id="hmac-zeroed"),
    pytest.param(lambda h: _set(h, HASH_HEADER, ""), "AUTH_FAILED", id="hmac-empty"),
    pytest.param(
        lambda h: {k: v for k, v in h.items() if k != HASH_HEADER.encode()},
        "AUTH_FAILED",
        id="hmac-missing",
    ),
    pytest.param(
        lambda h: {k: v for k, v in h.items() if k != SIGN_HEADER.encode()},
        "AUTH_FAILED",
        id="signed-json-missing",
    ),
    pytest.param(
        lambda h: _set(h, SIGN_HEADER, "not json"), "AUTH_FAILED", id="signed-json-garbage"
    ),
    pytest.param(lambda h: _set(h, SIGN_HEADER, "[1,2]"), "AUTH_FAILED", id="signed-json-array"),
    pytest.param(
        lambda h: _set(h, SIGN_HEADER, '{"XroadVnpt-systemid":{"x":1}}'),
        "AUTH_FAILED",
        id="signed-json-nested",
    ),
    pytest.param(
        lambda h: _resign_json(h, lambda s: s.update({"XroadVnpt-systemid": CAO_BANG})),
        "AUTH_FAILED",
        id="systemid-swapped-in-signed-json",
    ),
    pytest.param(
        lambda h: _set(h, "XroadVnpt-systemid", CAO_BANG),
        "AUTH_FAILED",
        id="systemid-header-swapped",
    ),
    pytest.param(lambda h: _set(h, "systemid", CAO_BANG), "AUTH_FAILED", id="plain-systemid-added"),
    pytest.param(
        lambda h: _set(h, "XroadVnpt-timestamp", "01012020T000000+0000"),
        "AUTH_FAILED",
        id="timestamp-header-changed",
    ),
    pytest.param(
        lambda h: _set(h, SIGN_KEYS_HEADER, "systemid"), "AUTH_FAILED", id="sign-key-list-shortened"
    ),
    pytest.param(
        lambda h: _resign_json(h, lambda s: s.pop("XroadVnpt-hash-file")),
        "AUTH_FAILED",
        id="hash-file-unsigned",
    ),
    pytest.param(
        lambda h: _set(h, "XroadVnpt-hash-file", "ab" * 32),
        "AUTH_FAILED",
        id="hash-file-header-changed",
    ),
    pytest.param(
        lambda h: {**h, b"XroadVnpt-systemid": h[b"XroadVnpt-systemid"] + b", x"},
        "AUTH_FAILED",
        id="systemid-repeated",
    ),
]


@pytest.mark.parametrize(("tamper", "code"), TAMPERED)
def test_tampered_axis_headers_are_refused(
    hub: Hub, tamper: Callable[[Headers], Headers], code: str
) -> None:
    package = document_bytes(GOV_OFFICE, [NGHE_AN], number="501")
    headers = tamper(_send_headers(hub, package))
    with hub.http() as http:
        answer = hub.unchanged(
            lambda: http.post("/axis/sendEdoc", content=package, headers=headers)
        )
    _axis_refused(answer, code)


REPLAYS = [
    pytest.param(timedelta(hours=-2), "AUTH_REPLAYED", id="two-hours-old"),
    pytest.param(timedelta(days=-400), "AUTH_REPLAYED", id="last-year"),
    pytest.param(timedelta(hours=3), "AUTH_REPLAYED", id="from-the-future"),
]


@pytest.mark.parametrize(("shift", "code"), REPLAYS)
def test_a_replayed_or_future_signature_is_refused(hub: Hub, shift: timedelta, code: str) -> None:
    package = document_bytes(GOV_OFFICE, [NGHE_AN], number="502")
    headers = _send_headers(hub, package, at=NOW + shift)
    with hub.http() as http:
        answer = hub.unchanged(
            lambda: http.post("/axis/sendEdoc", content=package, headers=headers)
        )
    _axis_refused(answer, code)


def test_the_wrong_secret_is_refused(hub: Hub) -> None:
    package = document_bytes(GOV_OFFICE, [NGHE_AN], number="503")
    client = AxisClient(f"{hub.url}/axis", GOV_OFFICE, "not-the-secret", now=lambda: NOW)
    params = {
        "from": GOV_OFFICE,
        "servicetype": "eDoc",
        "messagetype": "edoc",
        "hash-file": sdk_hash_file(hashlib.sha256(package).digest()),
    }
    headers = client.signed_headers(params, "application/octet-stream")
    with hub.http() as http:
        answer = hub.unchanged(
            lambda: http.post("/axis/sendEdoc", content=package, headers=headers)
        )
    _axis_refused(answer, "AUTH_FAILED")


PACKAGES = [
    pytest.param(
        lambda: document_bytes(CAO_BANG, [NGHE_AN], number="504"),
        "SENDER_MISMATCH",
        id="spoofed-from",
    ),
    pytest.param(
        lambda: (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><x>&a;</x>'
        ),
        "PACKAGE_FORBIDDEN_XML",
        id="xxe",
    ),
    pytest.param(
        lambda: document_bytes(GOV_OFFICE, [NGHE_AN], number="507")[:-50],
        "PACKAGE_MALFORMED",
        id="truncated",
    ),
    pytest.param(
        lambda: document_bytes(GOV_OFFICE, [NGHE_AN], number="505", signed=False),
        "SIGNATURE_MISSING",
        id="unsigned",
    ),
]


@pytest.mark.parametrize(("make", "code"), PACKAGES)
def test_hostile_packages_through_send_edoc_are_refused(
    hub: Hub, make: Callable[[], bytes], code: str
) -> None:
    package = make()
    headers = _send_headers(hub, package)
    with hub.http() as http:
        answer = hub.unchanged(
            lambda: http.post("/axis/sendEdoc", content=package, headers=headers)
        )
    _axis_refused(answer, code)


def test_a_hash_file_that_is_not_the_bodys_is_refused(hub: Hub) -> None:
    package = document_bytes(GOV_OFFICE, [NGHE_AN], number="506")
    headers = _send_headers(hub, package + b" ")
    with hub.http() as http:
        answer = hub.unchanged(
            lambda: http.post("/axis/sendEdoc", content=package, headers=headers)
        )
    _axis_refused(answer, "HASH_MISMATCH")


def _delivery_id(hub: Hub) -> str:
    with hub.http(auth=hub.basic(NGHE_AN)) as http:
        items = http.get("/api/v1/inbox").json()["items"]
    return str(items[0].get("delivery_id") or items[0]["id"])


IDOR = [
    pytest.param("POST", "/getEdoc", {}, id="get-edoc"),
    pytest.param("GET", "/downloadEdoc", {}, id="download-edoc"),
    pytest.param("POST", "/updateStatus", {"status": "done"}, id="update-status"),
]


@pytest.mark.parametrize(("method", "path", "extra"), IDOR)
@pytest.mark.parametrize(
    "doc_id",
    [
        pytest.param("own", id="others-delivery"),
        pytest.param("0", id="zero"),
        pytest.param("-1", id="negative"),
        pytest.param("../../etc/passwd", id="traversal"),
        pytest.param("1 OR 1=1", id="sql"),
    ],
)
def test_axis_ids_of_someone_else_are_refused(
    hub: Hub, method: str, path: str, extra: dict[str, str], doc_id: str
) -> None:
    target = _delivery_id(hub) if doc_id == "own" else doc_id
    client = _client(hub, CAO_BANG)
    headers = client.signed_headers(
        {"servicetype": "eDoc", "docId": target, **extra}, "application/json"
    )
    with hub.http() as http:
        answer = hub.unchanged(lambda: http.request(method, f"/axis{path}", headers=headers))
    assert answer.status_code != 500, answer.text
    if path == "/downloadEdoc":
        assert answer.status_code in (400, 404), answer.text
    code = error_code(answer)
    assert code in {"DELIVERY_NOT_FOUND", "REQUEST_INVALID"}, answer.text


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/registerAgency", id="register-agency"),
        pytest.param("/deleteAgency", id="delete-agency"),
    ],
)
def test_registry_changes_over_axis_are_refused(hub: Hub, path: str) -> None:
    client = _client(hub, CAO_BANG)
    headers = client.signed_headers({"servicetype": "eDoc", "code": GOV_OFFICE}, "application/json")
    with hub.http() as http:
        answer = hub.unchanged(lambda: http.post(f"/axis{path}", headers=headers, content=b"{}"))
    _axis_refused(answer, "FORBIDDEN")
