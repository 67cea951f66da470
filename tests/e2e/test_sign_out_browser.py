"""Signing out at a shared desk, a Vietnamese error page and a refused compose form, in a real
Chromium (Playwright) against the app served over HTTP on loopback (SQLite, demo PKI): after
signing out, the back button does not show the previous user's inbox (``no-store``); an unknown
address is a Vietnamese page; a compose form refused for want of a recipient comes back with
everything typed and the PDF kept, and is then saved without choosing the file again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from lienthong.db import Database
from lienthong.trust.pki import DemoPKI
from tests.e2e.browser import Shots, browser, shots
from tests.integration.clerk.conftest import PASSWORD, Office, clerk_pki, make_office
from tests.support import GOV_OFFICE, NGHE_AN, document_bytes, send
from tests.support_pdf import draft_pdf

__all__ = ["browser", "clerk_pki", "shots"]  # fixtures used here

pytestmark = pytest.mark.browser
SUBJECT = "V/v hồ sơ mật của người dùng trước"


@pytest.fixture
def office(sqlite_db: Database, tmp_path: Path, clerk_pki: DemoPKI) -> Iterator[Office]:
    made = make_office(sqlite_db, tmp_path, clerk_pki)
    yield made
    made.server.stop()


def _signed_in(browser: Browser, office: Office, username: str) -> Page:
    context = browser.new_context(
        base_url=office.server.url, viewport={"width": 1280, "height": 900}, locale="vi-VN"
    )
    page = context.new_page()
    page.goto("/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    return page


def test_the_back_button_after_signing_out_does_not_show_the_inbox(
    browser: Browser, office: Office, shots: Shots
) -> None:
    send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], subject=SUBJECT))
    page = _signed_in(browser, office, "vanthu.nghean")
    page.goto("/van-thu")
    expect(page.get_by_text(SUBJECT)).to_be_visible()
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()
    page.go_back()
    page.wait_for_load_state()
    shots.take(page, "quay-lai-sau-dang-xuat")
    assert "/dang-nhap" in page.url
    expect(page.get_by_text(SUBJECT)).to_have_count(0)
    expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()
    page.context.close()


def test_an_unknown_address_is_a_vietnamese_page(
    browser: Browser, office: Office, shots: Shots
) -> None:
    page = _signed_in(browser, office, "vanthu.vpcp")
    answer = page.goto("/van-thu/khong-co-trang-nay")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Không tìm thấy trang")).to_be_visible()
    expect(page.get_by_role("link", name="Về trang chủ")).to_be_visible()
    shots.take(page, "khong-tim-thay")
    page.context.close()


def test_a_refused_compose_keeps_what_was_typed_and_the_pdf(
    browser: Browser, office: Office, shots: Shots, tmp_path: Path
) -> None:
    clerk = _signed_in(browser, office, "vanthu.vpcp")
    clerk.goto("/van-thu/soan-thao")
    pdf = tmp_path / "du-thao-tong-ket.pdf"
    pdf.write_bytes(draft_pdf(text="Bao cao tong ket"))
    clerk.get_by_label("Tệp dự thảo (PDF)").set_input_files(str(pdf))
    clerk.get_by_label("Ký hiệu").fill("VPCP-HC")
    clerk.get_by_label("Trích yếu nội dung").fill("V/v tổng kết công tác văn thư")
    clerk.get_by_label("Chức vụ người ký").fill("Phó Chủ nhiệm")
    clerk.get_by_label("Độ khẩn").select_option("1")
    clerk.get_by_role("button", name="Lưu dự thảo, trình ký").click()  # no recipient ticked
    expect(clerk.get_by_text("Cần ít nhất một nơi nhận; chưa lưu dự thảo.")).to_be_visible()
    expect(clerk.get_by_label("Ký hiệu")).to_have_value("VPCP-HC")
    expect(clerk.get_by_label("Trích yếu nội dung")).to_have_value("V/v tổng kết công tác văn thư")
    expect(clerk.get_by_label("Chức vụ người ký")).to_have_value("Phó Chủ nhiệm")
    expect(clerk.get_by_label("Độ khẩn")).to_have_value("1")
    expect(clerk.get_by_text("Đã giữ tệp dự thảo du-thao-tong-ket.pdf")).to_be_visible()
    shots.take(clerk, "soan-thao-bi-tu-choi")
    # A search from inside the form keeps everything too; then tick and save, no file again.
    clerk.get_by_label("Tìm nơi nhận (tên hoặc mã)").fill("nghe an")
    clerk.get_by_role("button", name="Tìm", exact=True).click()
    expect(clerk.get_by_label("Ký hiệu")).to_have_value("VPCP-HC")
    clerk.get_by_label("UBND tỉnh Nghệ An").check()
    clerk.get_by_role("button", name="Lưu dự thảo, trình ký").click()
    expect(clerk.get_by_text("Chờ lãnh đạo ký").first).to_be_visible()
    shots.take(clerk, "du-thao-da-luu")
    clerk.context.close()
