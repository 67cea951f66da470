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


def test_the_csp_allows_no_inline_style_and_no_template_carries_one() -> None:
    from pathlib import Path

    import lienthong

    style_src = CONTENT_SECURITY_POLICY.split("style-src")[1].split(";")[0]
    assert style_src.strip() == "'self'"  # no 'unsafe-inline'
    root = Path(lienthong.__file__).parent
    offenders = [
        str(path.relative_to(root))
        for path in root.rglob("*.html")
        if "style=" in path.read_text(encoding="utf-8")
        or "<style" in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def _over_tls(office: Office, path: str, **headers: str) -> httpx.Response:
    import asyncio

    async def get() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(container=office.container))
        async with httpx.AsyncClient(transport=transport, base_url="https://hub.test") as tls:
            return await tls.get(path, headers={**BROWSER, **headers})

    return asyncio.run(get())


def test_every_cookie_is_secure_under_tls_and_not_over_plain_http(office: Office) -> None:
    # The login form's CSRF cookie and the portal's feedback form cookie (which was not).
    for path in ("/dang-nhap", "/dich-vu-cong/phan-anh/gui"):
        answer = _over_tls(office, path)
        assert answer.status_code == 200, path
        cookies = answer.headers.get_list("set-cookie")
        assert cookies, path
        assert all("secure" in cookie.lower().split("; ") for cookie in cookies), cookies
        plain = office.app_client.get(path, headers=BROWSER)
        assert all(
            "secure" not in c.lower().split("; ") for c in plain.headers.get_list("set-cookie")
        )


def test_answers_to_credentials_are_no_store_public_pages_are_not(office: Office) -> None:
    client = office.app_client
    # An agency's API call (HTTP Basic): no-store, even when refused.
    answer = client.get("/api/v1/inbox", auth=("000.00.00.H41", "wrong"))
    assert answer.headers["cache-control"] == "no-store"
    bearer = client.get("/api/v1/inbox", headers={"Authorization": "Bearer abc"})
    assert bearer.headers["cache-control"] == "no-store"
    # A public page, and a static file, to nobody in particular: cacheable.
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")
    assert "no-store" not in client.get("/dang-nhap").headers.get("cache-control", "")
