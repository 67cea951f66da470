"""Browser tests of the portal (real Chromium, real HTTP, SQLite): a citizen looks up a dossier;
a citizen files feedback, an operator answers and publishes it, the citizen sees the answer."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from lienthong.accounts.model import Role
from lienthong.clock import VN_TZ
from lienthong.db import Database
from lienthong.portal.demo import dossier_item
from lienthong.portal.service import PortalService
from tests.e2e.browser import Shots, browser, shots
from tests.integration.portal.server import Served, serve_portal

__all__ = ["browser", "shots"]  # fixtures used here

VINH = "000.00.31.H41"
CODE = f"{VINH}-261116-0001"
PASSWORD = "mat-khau-rat-dai-2026"
pytestmark = pytest.mark.browser


@pytest.fixture
def served(sqlite_db: Database, tmp_path: Path) -> Iterator[Served]:
    with serve_portal(sqlite_db, tmp_path) as s:
        c = s.container
        received = datetime(2026, 11, 16, 8, 30, tzinfo=VN_TZ)
        PortalService(c.db, c.clock, c.agencies).sync_dossiers(
            "000.00.00.H41", [dossier_item(CODE, VINH, "1.001234", received=received, channel=2)]
        )
        assert c.accounts is not None
        c.accounts.create_user(
            "vanhanh", "Phạm Thị Hoa", "000.00.00.H41", [Role.PORTAL_OPERATOR], PASSWORD
        )
        yield s


def test_a_citizen_looks_up_a_dossier(browser: Browser, served: Served, shots: Shots) -> None:
    page = browser.new_page(viewport={"width": 1024, "height": 800})
    page.goto(f"{served.url}/dich-vu-cong")
    shots.take(page, "tra-cuu")
    page.get_by_label("Mã hồ sơ").fill(CODE)
    page.get_by_role("button", name="Tra cứu").click()
    expect(page.locator("#trang-thai")).to_have_text("Đã tiếp nhận")
    expect(page.get_by_text("Cấp giấy phép xây dựng mới")).to_be_visible()
    shots.take(page, "ket-qua")
    page.close()


def test_feedback_is_filed_answered_and_seen(
    browser: Browser, served: Served, shots: Shots
) -> None:
    citizen = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    citizen.goto(f"{served.url}/dich-vu-cong/phan-anh/gui")
    citizen.get_by_label("Họ và tên (hoặc tên doanh nghiệp) *").fill("Nguyễn Văn An")
    citizen.get_by_label("Thư điện tử").fill("an@gmail.com")
    citizen.get_by_label("Mã cơ quan giải quyết (nếu biết)").fill(VINH)
    citizen.get_by_label("Tiêu đề *").fill("Chậm cấp giấy phép xây dựng")
    citizen.get_by_label("Nội dung phản ánh, kiến nghị *").fill(
        f"Hồ sơ {CODE} đã quá hạn hẹn trả mà chưa có kết quả."
    )
    shots.take(citizen, "gui-phan-anh")
    citizen.get_by_role("button", name="Gửi phản ánh").click()
    code = citizen.locator("#ma-theo-doi").inner_text()
    assert re.fullmatch(r"PA-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}", code)
    shots.take(citizen, "da-tiep-nhan")

    operator = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    operator.goto(f"{served.url}/dich-vu-cong/quan-tri/phan-anh")
    operator.get_by_label("Tên đăng nhập").fill("vanhanh")
    operator.get_by_label("Mật khẩu").fill(PASSWORD)
    operator.get_by_role("button", name="Đăng nhập").click()
    operator.get_by_role("link", name=code).click()
    operator.get_by_role("button", name="Phân loại và chuyển").click()
    operator.get_by_label("Nội dung trả lời").fill("Sở Xây dựng đã cấp giấy phép ngày 20/11/2026.")
    operator.get_by_role("button", name="Trả lời").click()
    operator.get_by_role("button", name="Công khai kết quả").click()
    expect(operator.locator("#trang-thai")).to_have_text("Đã công khai kết quả")
    shots.take(operator, "cong-khai")

    citizen.goto(f"{served.url}/dich-vu-cong/phan-anh/tra-cuu?ma={code}")
    expect(citizen.locator("#tra-loi")).to_contain_text("đã cấp giấy phép")
    shots.take(citizen, "xem-tra-loi")
    citizen.goto(f"{served.url}/dich-vu-cong/phan-anh/cong-khai")
    citizen.get_by_role("link", name="Chậm cấp giấy phép xây dựng").click()
    expect(citizen.locator("#noi-dung")).not_to_contain_text("Nguyễn Văn An")
    shots.take(citizen, "ket-qua-cong-khai")
