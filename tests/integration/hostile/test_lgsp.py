"""Hostile calls in the provincial platform's style (LGSP: OAuth2 client credentials, a Bearer
token, the unit's secret in a header): forged tokens and secrets, hostile packages, and other
units' documents by id. Each is refused with its code and changes nothing stored."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from lienthong.lgsp.service import IssuedConsumer
from tests.integration.hostile.conftest import CAO_BANG, GOV_OFFICE, NGHE_AN, Hub, error_code
from tests.lgsp_client import BASE_PATH, edxml_base64, gson
from tests.support import document_bytes


@pytest.fixture(scope="module")
def issued(hub: Hub) -> dict[str, IssuedConsumer]:
    assert hub.container.lgsp is not None
    return {code: hub.container.lgsp.issue_consumer(code) for code in (NGHE_AN, CAO_BANG)}


def _token(hub: Hub, consumer: IssuedConsumer) -> str:
    basic = base64.b64encode(f"{consumer.consumer_key}:{consumer.consumer_secret}".encode())
    answer = httpx.post(
        f"{hub.url}/token",
        content=b"grant_type=client_credentials",
        headers={
            "Authorization": "Basic " + basic.decode(),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _refused(answer: httpx.Response, code: str) -> None:
    assert answer.status_code != 500, answer.text[:500]
    assert error_code(answer) == code, answer.text[:500]


TOKEN_REQUESTS = [
    pytest.param(
        {"Authorization": "Basic " + base64.b64encode(b"nobody:x").decode()}, id="unknown-key"
    ),
    pytest.param({"Authorization": "Basic !!!"}, id="garbage-basic"),
    pytest.param({"Authorization": "Bearer x"}, id="bearer-for-token"),
    pytest.param({}, id="no-credentials"),
]


@pytest.mark.parametrize("headers", TOKEN_REQUESTS)
def test_a_token_is_never_issued_to_forged_credentials(
    hub: Hub, issued: dict[str, IssuedConsumer], headers: dict[str, str]
) -> None:
    answer = hub.unchanged(
        lambda: httpx.post(
            f"{hub.url}/token",
            content=b"grant_type=client_credentials",
            headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
        )
    )
    assert answer.status_code in (400, 401), answer.text
    assert "access_token" not in answer.text


BEARERS = [
    pytest.param(lambda t: {}, "TOKEN_INVALID", id="no-bearer"),
    pytest.param(
        lambda t: {"Authorization": "Bearer " + t + "x"}, "TOKEN_INVALID", id="altered-bearer"
    ),
    pytest.param(
        lambda t: {"Authorization": "Bearer ' OR 1=1 --"}, "TOKEN_INVALID", id="sql-bearer"
    ),
    pytest.param(
        lambda t: {"Authorization": "Bearer " + "a" * 10_000}, "TOKEN_INVALID", id="huge-bearer"
    ),
    pytest.param(lambda t: {"Authorization": "Basic " + t}, "TOKEN_INVALID", id="token-as-basic"),
]


@pytest.mark.parametrize(("make", "code"), BEARERS)
def test_forged_bearer_tokens_are_refused(
    hub: Hub, issued: dict[str, IssuedConsumer], make: Callable[[str], dict[str, str]], code: str
) -> None:
    token = _token(hub, issued[NGHE_AN])
    headers = {"secret": issued[NGHE_AN].unit_secret or "", **make(token)}
    with hub.http() as http:
        answer = hub.unchanged(lambda: http.get(f"{BASE_PATH}/vanbans", headers=headers))
    assert answer.status_code == 401, answer.text
    _refused(answer, code)


def _calls(hub: Hub, issued: dict[str, IssuedConsumer]) -> dict[str, Any]:
    return {"token": _token(hub, issued[NGHE_AN]), "secret": issued[NGHE_AN].unit_secret or ""}


def _post(
    package: bytes, doc_type: str = "edoc"
) -> Callable[[str], tuple[str, str, dict[str, str], bytes]]:
    body = gson({"data": edxml_base64(package)})
    return lambda s: ("POST", "/vanbans", {"secret": s, "loaiVanBan": doc_type}, body)


CALLS = [
    pytest.param(
        lambda s: ("GET", "/vanbans", {"secret": "wrong"}, b""),
        "AUTH_FAILED",
        id="wrong-unit-secret",
    ),
    pytest.param(lambda s: ("GET", "/vanbans", {}, b""), "AUTH_FAILED", id="no-unit-secret"),
    pytest.param(
        _post(document_bytes(CAO_BANG, [GOV_OFFICE], number="801")),
        "SENDER_MISMATCH",
        id="spoofed-from",
    ),
    pytest.param(
        _post(
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a SYSTEM "file:///etc/passwd">]><x>&a;</x>'
        ),
        "PACKAGE_FORBIDDEN_XML",
        id="xxe",
    ),
    pytest.param(
        _post(document_bytes(NGHE_AN, [GOV_OFFICE], number="802", signed=False)),
        "SIGNATURE_MISSING",
        id="unsigned",
    ),
    pytest.param(
        lambda s: ("POST", "/vanbans", {"secret": s, "loaiVanBan": "edoc"}, gson({"data": "!!!"})),
        "PACKAGE_MALFORMED",
        id="not-base64",
    ),
    pytest.param(
        lambda s: ("POST", "/vanbans", {"secret": s, "loaiVanBan": "edoc"}, b"{not json"),
        "REQUEST_INVALID",
        id="not-json",
    ),
    pytest.param(
        lambda s: ("GET", "/vanbans/999999", {"secret": s}, b""),
        "DELIVERY_NOT_FOUND",
        id="unknown-doc-id",
    ),
    pytest.param(
        lambda s: ("GET", "/vanbans/..%5C..%5Cetc", {"secret": s}, b""),
        "DELIVERY_NOT_FOUND",
        id="traversal-doc-id",
    ),
    pytest.param(
        lambda s: ("PUT", "/vanbans/999999", {"secret": s, "status": "done"}, b""),
        "DELIVERY_NOT_FOUND",
        id="status-unknown-doc",
    ),
]


@pytest.mark.parametrize(("make", "code"), CALLS)
def test_hostile_lgsp_calls_are_refused(
    hub: Hub, issued: dict[str, IssuedConsumer], make: Callable[[str], Any], code: str
) -> None:
    params = _calls(hub, issued)
    method, path, headers, body = make(params["secret"])
    headers = {
        **headers,
        "Authorization": "Bearer " + params["token"],
        "Content-Type": "application/json",
    }
    with hub.http() as http:
        answer = hub.unchanged(
            lambda: http.request(method, BASE_PATH + path, headers=headers, content=body or None)
        )
    assert answer.status_code != 500, answer.text[:500]
    assert answer.json().get("status") == "FAIL", answer.text[:500]
    assert error_code(answer) == code, answer.text[:500]
