"""Hostile input on the web pages: forged forms (CSRF), open redirects on sign-in, hostile
sign-in attempts, and stored XSS through every field a page shows."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import httpx
import pytest

from tests.integration.hostile.conftest import (
    GOV_OFFICE,
    NGHE_AN,
    PASSWORD,
    Hub,
    csrf_of,
    error_code,
)
from tests.support import document_bytes

BACKENDS = ["sqlite", "postgres"]

HOSTILE_NEXT = [
    pytest.param("https://evil.example/", id="absolute-url"),
    pytest.param("//evil.example/", id="protocol-relative"),
    pytest.param("///evil.example/", id="triple-slash"),
    pytest.param("/\\evil.example/", id="slash-backslash"),
    pytest.param("\\\\evil.example/", id="double-backslash"),
    pytest.param("/\t/evil.example/", id="slash-tab-slash"),
    pytest.param("/\n/evil.example/", id="slash-newline-slash"),
    pytest.param("/\r\n/evil.example/", id="slash-crlf-slash"),
    pytest.param("javascript:alert(1)", id="javascript-scheme"),
    pytest.param("data:text/html,<script>alert(1)</script>", id="data-scheme"),
    pytest.param("http:evil.example", id="scheme-without-slashes"),
    pytest.param(" //evil.example/", id="leading-space"),
    pytest.param("/%09/evil.example/", id="encoded-tab"),
    pytest.param("/van-thu\r\nSet-Cookie: x=1", id="header-injection"),
]


def _lands_on_hub(location: str) -> bool:
    """Where a browser goes: it drops tabs and newlines, then resolves against the page."""
    cleaned = re.sub(r"[\t\r\n]", "", location).strip()
    target = urlsplit(urljoin("https://hub.example/dang-nhap", cleaned))
    return target.scheme == "https" and target.netloc == "hub.example"


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_signed_in_next_never_leaves_the_hub(hub: Hub, target: str) -> None:
    client = hub.login("vanthu.nghean")
    answer = hub.unchanged(lambda: client.get("/dang-nhap", params={"next": target}))
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert _lands_on_hub(location), location
    assert "\n" not in location and "\r" not in location
    assert "set-cookie" not in {k.lower() for k in answer.headers if k.lower() == "x"}


@pytest.mark.parametrize("target", HOSTILE_NEXT[:8])
def test_sign_in_form_drops_a_hostile_next(hub: Hub, target: str) -> None:
    with hub.http() as client:
        page = hub.unchanged(lambda: client.get("/dang-nhap", params={"next": target}))
        assert page.status_code == 200
        kept = re.search(r'name="next" value="([^"]*)"', page.text)
        assert kept is None or _lands_on_hub(html.unescape(kept.group(1)) or "/"), kept


SIGN_INS = [
    pytest.param(
        {"username": "vanthu.nghean", "password": PASSWORD}, False, 403, id="no-login-cookie"
    ),
    pytest.param({"username": "vanthu.nghean", "password": "sai"}, True, 401, id="wrong-password"),
    pytest.param(
        {"username": "' OR '1'='1", "password": "' OR '1'='1"}, True, 401, id="sql-injection"
    ),
    pytest.param(
        {"username": "vanthu.nghean", "password": "x" * 100_000}, True, 401, id="huge-password"
    ),
    pytest.param({"username": "x" * 100_000, "password": "x"}, True, 401, id="huge-username"),
    pytest.param(
        {"username": "VANTHU.NGHEAN\x00", "password": PASSWORD}, True, 401, id="nul-in-username"
    ),
    pytest.param({"username": "", "password": ""}, True, 401, id="empty-credentials"),
]


@pytest.mark.parametrize(("fields", "with_token", "status"), SIGN_INS)
def test_hostile_sign_in_opens_no_session(
    hub: Hub, fields: dict[str, str], with_token: bool, status: int
) -> None:
    with hub.http() as client:
        token = csrf_of(client.get("/dang-nhap").text) if with_token else "forged"
        if not with_token:
            client.cookies.clear()
        answer = hub.unchanged(
            lambda: client.post("/dang-nhap", data={**fields, "csrf_token": token}),
            audited=with_token,  # a failed sign-in is in the audit trail
        )
        assert answer.status_code == status, answer.text[:400]
        assert "lienthong_session" not in answer.headers.get("set-cookie", "")


def _document_id(hub: Hub) -> str:
    return str(hub.seeded["sent"].document_id)


# (who signs in, path, form) for every state-changing form
FORMS = [
    pytest.param(
        "vanthu.nghean", "/van-thu/van-ban/{doc}/trang-thai", {"status": "03"}, id="clerk-status"
    ),
    pytest.param(
        "vanthu.vpcp", "/van-thu/van-ban/{doc}/thu-hoi", {"reason": "x"}, id="clerk-recall"
    ),
    pytest.param(
        "vanthu.vpcp", "/van-thu/van-ban/{doc}/cap-nhat", {"reason": "x"}, id="clerk-update"
    ),
    pytest.param("vanthu.vpcp", "/van-thu/soan-thao", {"subject": "Giả mạo"}, id="clerk-compose"),
    pytest.param("vanthu.vpcp", "/van-thu/du-thao/1/ky", {"xac_nhan": "1"}, id="draft-sign"),
    pytest.param("vanthu.vpcp", "/van-thu/du-thao/1/ban-hanh", {}, id="draft-issue"),
    pytest.param("vanthu.vpcp", "/thong-bao/da-doc", {}, id="notifications-read"),
    pytest.param("vanthu.vpcp", "/dang-xuat", {}, id="sign-out"),
    pytest.param(
        "vanhanh", "/dich-vu-cong/quan-tri/hieu-chinh", {"old": "a", "new": "b"}, id="portal-recode"
    ),
]
TOKENS = [
    pytest.param(None, id="no-token"),
    pytest.param("forged-token", id="forged-token"),
    pytest.param("", id="empty-token"),
]


@pytest.mark.parametrize("token", TOKENS)
@pytest.mark.parametrize(("username", "template", "form"), FORMS)
def test_a_forged_form_is_refused_csrf_invalid(
    hub: Hub, username: str, template: str, form: dict[str, str], token: str | None
) -> None:
    client = hub.login(username)
    path = template.format(doc=_document_id(hub))
    data = dict(form) if token is None else {**form, "csrf_token": token}
    answer = hub.unchanged(lambda: client.post(path, data=data))
    assert answer.status_code == 403, (path, answer.status_code, answer.text[:300])
    assert error_code(answer) == "CSRF_INVALID", answer.text[:600]


def test_another_sessions_token_is_refused(hub: Hub) -> None:
    other = hub.login("vanthu.vpcp")
    stolen = csrf_of(other.get("/van-thu").text)
    client = hub.login("vanthu.nghean")
    path = f"/van-thu/van-ban/{_document_id(hub)}/trang-thai"
    answer = hub.unchanged(lambda: client.post(path, data={"status": "03", "csrf_token": stolen}))
    assert answer.status_code == 403
    assert error_code(answer) == "CSRF_INVALID"


XSS = "<script>alert(1)</script>"
XSS_ATTR = '"><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def hostile_document(hub: Hub) -> str:
    """A document whose every shown field carries markup, sent through the REST API."""
    from lienthong.edxml.model import SignerInfo

    data = document_bytes(
        GOV_OFFICE,
        [NGHE_AN],
        number="66",
        notation="VPCP-" + "XSS",
        subject=XSS + " V/v " + XSS_ATTR,
        type_name="Công văn" + XSS,
        attachments={XSS_ATTR + ".pdf": b"%PDF-1.4 x"},
        signer=SignerInfo(competence="TM." + XSS, position=XSS_ATTR, full_name=XSS),
    )
    with hub.http(auth=hub.basic(GOV_OFFICE)) as http:
        answer = http.post("/api/v1/packages", content=data)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["document_id"])


def _assert_escaped(page: httpx.Response) -> None:
    assert page.status_code == 200, page.text[:300]
    assert XSS not in page.text
    assert "<img src=x" not in page.text
    assert "onerror=alert" not in page.text or "&lt;img" in page.text


PAGES = [
    pytest.param("vanthu.nghean", "/van-thu", id="clerk-inbox"),
    pytest.param("vanthu.nghean", "/van-thu/van-ban/{doc}", id="clerk-document"),
    pytest.param("vanthu.vpcp", "/van-thu/di", id="clerk-outbox"),
    pytest.param("vanthu.vpcp", "/van-thu/van-ban/{doc}", id="sender-document"),
    pytest.param("vanthu.nghean", "/van-thu?q=%3Cscript%3Ealert(1)%3C/script%3E", id="search-echo"),
    pytest.param("vanthu.nghean", "/thong-bao", id="notifications"),
    pytest.param("vanhanh", "/giam-sat/don-vi", id="monitoring-agencies"),
]


@pytest.mark.parametrize(("username", "template"), PAGES)
def test_markup_in_stored_fields_is_shown_escaped(
    hub: Hub, hostile_document: str, username: str, template: str
) -> None:
    client = hub.login(username)
    # Not a refusal: opening a received document records that it arrived (status 01).
    _assert_escaped(client.get(template.format(doc=hostile_document)))
