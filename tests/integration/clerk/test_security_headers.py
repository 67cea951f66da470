"""Every answer carries the security headers (CSP, no framing, nosniff, referrer policy); HSTS
only over TLS. Real HTTP on loopback."""

from __future__ import annotations

import httpx
from fastapi import APIRouter

from lienthong.web.app import create_app
from lienthong.web.headers import CONTENT_SECURITY_POLICY
from tests.integration.clerk.conftest import Office
from tests.web_server import ThreadedServer

BROWSER = {"Accept": "text/html"}


def _assert_headers(answer: httpx.Response) -> None:
    csp = answer.headers["content-security-policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in csp
    script_src = csp.split("script-src")[1].split(";")[0]
    assert script_src.strip() == "'self'"  # no inline script, no eval
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"


def test_pages_api_errors_and_static_files_carry_the_security_headers(office: Office) -> None:
    client = office.app_client
    for path in ("/dang-nhap", "/static/app.css", "/trang-khong-co", "/livez", "/api/v1/inbox"):
        answer = client.get(path, headers=BROWSER)
        _assert_headers(answer)
        # Plain HTTP: no HSTS (it would pin a development browser to HTTPS).
        assert "strict-transport-security" not in answer.headers


def test_hsts_only_when_served_under_tls(office: Office) -> None:
    import asyncio

    # In process: the ASGI scheme is what uvicorn sets when it serves TLS.
    async def over_tls() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(container=office.container))
        async with httpx.AsyncClient(transport=transport, base_url="https://hub.test") as tls:
            return await tls.get("/dang-nhap", headers=BROWSER)

    answer = asyncio.run(over_tls())
    _assert_headers(answer)
    assert answer.headers["strict-transport-security"].startswith("max-age=")


def test_the_print_register_has_no_inline_script(office: Office) -> None:
    from pathlib import Path

    import lienthong.clerk

    template = Path(lienthong.clerk.__file__).parent / "templates/clerk/register_print.html"
    text = template.read_text(encoding="utf-8")
    assert "onclick" not in text and '<script src="/static/print.js"' in text


def test_an_unexpected_error_page_carries_them_too(office: Office) -> None:
    app = create_app(container=office.container)
    router = APIRouter()

    @router.get("/trang-loi-hdr")
    async def page_fails() -> None:
        raise RuntimeError("boom")

    app.include_router(router)
    server = ThreadedServer(app).start()
    try:
        answer = httpx.get(f"{server.url}/trang-loi-hdr", headers=BROWSER, timeout=30)
    finally:
        server.stop()
    assert answer.status_code == 500
    _assert_headers(answer)
