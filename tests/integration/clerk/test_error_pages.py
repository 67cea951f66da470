"""What a browser reads when a page request fails, and what API clients keep, over real HTTP on
SQLite and PostgreSQL: Vietnamese error pages with the status kept (unknown page, wrong method,
unreadable form value, refusal, unexpected error), the JSON envelope on API paths, and
``Cache-Control: no-store`` on every answer to a signed-in person (the back button after
signing out shows nothing of the previous user)."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from lienthong.errors import ErrorCode
from lienthong.messages import vietnamese
from lienthong.web.app import create_app
from tests.integration.clerk.conftest import Office, csrf_of
from tests.page_text import assert_reads_vietnamese
from tests.support import GOV_OFFICE, NGHE_AN, document_bytes, send
from tests.web_server import ThreadedServer

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def _html(answer: httpx.Response) -> str:
    assert answer.headers["content-type"].startswith("text/html"), answer.headers
    return assert_reads_vietnamese(answer.text)


def test_an_unknown_page_answers_a_vietnamese_404_page_signed_in_or_not(office: Office) -> None:
    anonymous = office.app_client.get("/trang-khong-co", headers=BROWSER)
    assert anonymous.status_code == 404
    text = _html(anonymous)
    assert "Không tìm thấy trang" in text and "Về trang chủ" in text
    assert "Not Found" not in text
    clerk = office.login("vanthu.vpcp")
    answer = clerk.get("/van-thu/khong-co-trang-nay", headers=BROWSER)
    assert answer.status_code == 404
    text = _html(answer)
    assert "Không tìm thấy trang" in text
    assert "Trần Thị Thu · Văn phòng Chính phủ" in text  # the site's header, signed in
    assert answer.headers["cache-control"] == "no-store"


def test_a_wrong_method_answers_a_vietnamese_405_page_with_its_allow_header(
    office: Office,
) -> None:
    answer = office.login("vanthu.vpcp").post("/van-thu/di", headers=BROWSER)
    assert answer.status_code == 405
    assert "GET" in answer.headers["allow"]
    assert "Thao tác không được hỗ trợ" in _html(answer)


def test_a_form_value_that_cannot_be_read_answers_a_vietnamese_422_page(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk = office.login("vanthu.nghean")
    page = clerk.get(f"/van-thu/van-ban/{sent.document_id}")
    # The status form without its required "code", and a draft number that is not a number.
    missing = clerk.post(
        f"/van-thu/van-ban/{sent.document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text)},
        headers=BROWSER,
    )
    not_a_number = clerk.get("/van-thu/du-thao/mot-hai-ba", headers=BROWSER)
    for answer in (missing, not_a_number):
        assert answer.status_code == 422
        text = _html(answer)
        assert "Thông tin chưa hợp lệ" in text
        assert vietnamese(ErrorCode.REQUEST_INVALID) in text
        assert 'data-error-code="REQUEST_INVALID"' in answer.text  # for support, not shown
        assert "Field required" not in text


def test_api_paths_keep_json_and_its_error_envelope(office: Office) -> None:
    client = office.app_client
    unknown = client.get("/api/v1/khong-co", headers=BROWSER)
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/json"
    refused = client.get("/api/v1/inbox", headers=BROWSER)  # no credentials
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "AUTH_FAILED"
    axis = client.post("/axis/sendEdoc", headers=BROWSER)
    assert axis.headers["content-type"].startswith("application/json"), axis.text
    # A client asking for JSON on a page path gets JSON too.
    asked = client.get("/trang-khong-co", headers={"Accept": "application/json"})
    assert asked.status_code == 404
    assert asked.json()["error"]["code"] == "ROUTE_NOT_FOUND"  # the documented envelope
    wrong = client.delete("/api/v1/inbox", headers={"Accept": "application/json"})
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in wrong.headers["allow"]


def test_an_unexpected_error_answers_a_vietnamese_500_page_and_json_on_the_api(
    office: Office,
) -> None:
    app = create_app(container=office.container)
    probe = APIRouter()

    @probe.get("/trang-loi", include_in_schema=False)
    async def page_fails() -> None:
        raise RuntimeError("boom: an English traceback line")

    @probe.get("/api/v1/loi")
    async def api_fails() -> None:
        raise RuntimeError("boom")

    app.include_router(probe)
    server = ThreadedServer(app).start()
    try:
        client = httpx.Client(base_url=server.url, timeout=30)
        page = client.get("/trang-loi", headers=BROWSER)
        assert page.status_code == 500
        text = _html(page)
        assert "Hệ thống gặp lỗi" in text and vietnamese(ErrorCode.INTERNAL) in text
        assert "boom" not in page.text and "Traceback" not in page.text
        # uvicorn closes the connection after an unexpected error: a new one for the API call
        api = httpx.get(f"{server.url}/api/v1/loi", headers=BROWSER, timeout=30)
        assert api.status_code == 500
        assert api.json()["error"]["code"] == "INTERNAL"
        assert "boom" not in api.text
    finally:
        server.stop()


def test_a_refused_compose_shows_vietnamese_and_no_code_or_english(office: Office) -> None:
    from tests.support_pdf import draft_pdf

    clerk = office.login("vanthu.vpcp")
    compose = clerk.get("/van-thu/soan-thao")
    answer = clerk.post(
        "/van-thu/soan-thao",
        data={
            "csrf_token": csrf_of(compose.text),
            "subject": "V/v thay thế một văn bản không có",
            "notation": "VPCP-TTĐT",
            "recipients": [NGHE_AN],
            "replaces": "khong-co-van-ban-nay",
        },
        files={"pdf": ("du-thao.pdf", draft_pdf(), "application/pdf")},
    )
    assert answer.status_code == 422
    text = _html(answer)
    assert vietnamese(ErrorCode.DOCUMENT_NOT_FOUND) in text
    assert "No such document" not in text


def test_signed_in_answers_and_the_sign_out_are_not_stored_public_pages_are(
    office: Office,
) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    client = office.app_client
    page = client.get("/dang-nhap")
    signed = client.post(
        "/dang-nhap",
        data={
            "username": "vanthu.nghean",
            "password": "mat-khau-dai-1",
            "csrf_token": csrf_of(page.text),
        },
        follow_redirects=False,
    )
    assert signed.status_code == 303
    assert signed.headers["cache-control"] == "no-store"  # it sets the session cookie
    for path in (
        "/van-thu",
        "/van-thu/di",
        f"/van-thu/van-ban/{sent.document_id}",
        f"/van-thu/van-ban/{sent.document_id}/tep/cid:1",
        "/van-thu/soan-thao",
    ):
        answer = client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "no-store", path
    inbox = client.get("/van-thu")
    out = client.post(
        "/dang-xuat", data={"csrf_token": csrf_of(inbox.text)}, follow_redirects=False
    )
    assert out.status_code == 303 and out.headers["location"] == "/dang-nhap"
    assert out.headers["cache-control"] == "no-store"
    # After signing out the inbox is asked again (nothing cached) and only the sign-in answers.
    again = client.get("/van-thu", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/dang-nhap")
    # Pages for nobody in particular, and the static files, may be cached as usual.
    public = office.app_client.get("/dich-vu-cong")
    assert "no-store" not in public.headers.get("cache-control", "")
    styles = office.login("vanthu.vpcp").get("/static/app.css")
    assert styles.status_code == 200
    assert "no-store" not in styles.headers.get("cache-control", "")
