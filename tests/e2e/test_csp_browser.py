"""The Content-Security-Policy in a real Chromium (Playwright): the clerk's pages and the print
register work under it and the console reports no violation; the register's print button (a
static script now, no inline handler) still prints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from lienthong.db import Database
from lienthong.trust.pki import DemoPKI
from tests.e2e.browser import browser
from tests.integration.clerk.conftest import PASSWORD, Office, clerk_pki, make_office
from tests.support import GOV_OFFICE, NGHE_AN, document_bytes, register, send

__all__ = ["browser", "clerk_pki"]  # fixtures used here

pytestmark = pytest.mark.browser
SUBJECT = "V/v kiểm tra chính sách nội dung"


@pytest.fixture
def office(sqlite_db: Database, tmp_path: Path, clerk_pki: DemoPKI) -> Iterator[Office]:
    made = make_office(sqlite_db, tmp_path, clerk_pki)
    yield made
    made.server.stop()


def test_pages_work_under_the_csp_with_no_violation(browser: Browser, office: Office) -> None:
    send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], subject=SUBJECT))
    register(office.container, "000.01.00.G12", "Vụ Ngân sách", level=2)  # indented in lists
    context = browser.new_context(base_url=office.server.url, locale="vi-VN")
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    login = page.goto("/dang-nhap")
    assert login is not None
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    page.get_by_label("Tên đăng nhập").fill("vanthu.nghean")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    page.goto("/van-thu")
    expect(page.get_by_text(SUBJECT)).to_be_visible()
    # The document page and the compose form list agencies indented by level: a CSS class,
    # no inline style attribute (the CSP's style-src has no 'unsafe-inline').
    page.get_by_text(SUBJECT).first.click()
    page.wait_for_load_state("load")
    page.goto("/van-thu/soan-thao")
    page.wait_for_load_state("load")
    indented = page.locator("label.check.level-2").first
    expect(indented).to_be_visible()
    assert indented.evaluate("e => getComputedStyle(e).paddingLeft") == "16px"
    page.goto("/van-thu/so-den/in")
    page.wait_for_load_state("load")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.get_by_role("button", name="In").click()
    assert page.evaluate("window.__printed === true")
    # Any violation, a script's or a style's ("Refused to apply inline style ...").
    violations = [text for text in console if "Content Security Policy" in text]
    assert violations == []
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "14.6667px"  # 11pt
    context.close()
