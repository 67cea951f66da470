"""In a real Chromium: a commune's reporting officer fills the web form, signs and submits;
the province's officer accepts it; the reporting centre shows the consolidated figure and the
commune on time. Screenshots under test-output/screenshots/<test name>/."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from lienthong.accounts.model import Role, ScryptParams
from lienthong.accounts.service import AccountService
from lienthong.clock import VN_TZ, FixedClock
from lienthong.db import Database
from lienthong.trust.pki import DemoPKI
from lienthong.web.app import create_app
from tests.e2e.browser import Shots, browser, shots  # noqa: F401 - fixtures
from tests.support import GOV_OFFICE, NGHE_AN, container_for, register
from tests.web_server import ThreadedServer

COMMUNE = "000.11.38.H41"
PASSWORD = "mat-khau-dai-1"
START = datetime(2026, 4, 15, 9, 0, tzinfo=VN_TZ)  # 2026-M04 ended on 14 Apr
FIGURES = {
    "POP": "12.345",
    "BIRTHS": "9",
    "BIRTHS.NAM": "5",
    "BIRTHS.NU": "4",
    "HOUSEHOLDS": "3.100",
    "POOR": "120",
    "REVENUE": "1.234,5",
    "SCHOOL": "97,5",
    "PROCEDURES": "210",
}


@dataclass
class Site:
    url: str
    server: ThreadedServer


@pytest.fixture
def site(sqlite_db: Database, tmp_path: Path) -> Iterator[Site]:
    units = {
        GOV_OFFICE: ("Văn phòng Chính phủ", 1, None),
        NGHE_AN: ("UBND tỉnh Nghệ An", 1, None),
        COMMUNE: ("UBND xã Nghi Phong", 2, NGHE_AN),
    }
    pki = DemoPKI.create(
        tmp_path / "pki",
        agencies=[(c, n) for c, (n, _l, _p) in units.items()],
        signers=[(c, f"Chủ tịch {n}", "Chủ tịch") for c, (n, _l, _p) in units.items()],
        hubs=[],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=datetime(2026, 1, 1, tzinfo=UTC),
    )
    clock = FixedClock(START)
    container = container_for(sqlite_db, tmp_path, clock, pki_dir=pki.out_dir)
    for code, (name, level, parent) in units.items():
        register(container, code, name, level, parent_code=parent)
    assert container.reporting is not None
    container.reporting.definitions.ensure_demo_regime()  # the demo regime lives in the store
    accounts = AccountService(sqlite_db, clock, scrypt=ScryptParams(n=2**10))
    container.accounts = accounts
    accounts.create_user("baocao.xa", "Lê Thị Báo Cáo", COMMUNE, [Role.REPORTING_OFFICER], PASSWORD)
    accounts.create_user(
        "baocao.tinh", "Trần Văn Tổng Hợp", NGHE_AN, [Role.REPORTING_OFFICER], PASSWORD
    )
    server = ThreadedServer(create_app(container=container)).start()
    yield Site(server.url, server)
    server.stop()


def sign_in(page: Page, site: Site, username: str) -> None:
    page.goto(f"{site.url}/dang-nhap?next=/bao-cao")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(f"{site.url}/bao-cao")


@pytest.mark.browser
def test_a_commune_submits_and_the_centre_shows_it(
    browser: Browser,  # noqa: F811
    site: Site,
    shots: Shots,  # noqa: F811
) -> None:
    commune = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(commune, site, "baocao.xa")
    expect(commune.get_by_text("Báo cáo tháng của tháng cuối quý")).to_be_visible()
    shots.take(commune, "ky-bao-cao")
    commune.get_by_role("link", name="Tháng 4/2026").click()
    for cell, value in FIGURES.items():
        commune.locator(f'[id="o_{cell}"]').fill(value)
    commune.get_by_label("I. Tình hình thực hiện nhiệm vụ trong kỳ").fill("Hoàn thành kế hoạch.")
    commune.get_by_label("III. Nhiệm vụ, giải pháp kỳ tới").fill("Tiếp tục cải cách.")
    shots.take(commune, "bieu-mau")
    commune.get_by_role("button", name="Lưu bản nháp").click()
    expect(commune.get_by_text("Đã lưu bản nháp.")).to_be_visible()
    commune.get_by_role("button", name="Ký số và gửi báo cáo").click()
    expect(commune.get_by_role("heading", name="Xác nhận ký số và gửi báo cáo")).to_be_visible()
    expect(commune.get_by_text("Tháng 4/2026").first).to_be_visible()
    shots.take(commune, "xac-nhan-gui")
    commune.get_by_role("button", name="Xác nhận gửi").click()
    expect(commune.get_by_text("Đã ký số và gửi báo cáo")).to_be_visible()
    shots.take(commune, "da-gui")

    province = browser.new_page(viewport={"width": 1024, "height": 900})
    sign_in(province, site, "baocao.tinh")
    province.goto(f"{site.url}/bao-cao/tiep-nhan?che_do=KTXH&ky=2026-M04")
    shots.take(province, "tiep-nhan")
    province.get_by_role("link", name="UBND xã Nghi Phong").click()
    province.get_by_role("button", name="Chấp nhận báo cáo").click()
    expect(province.get_by_text("Đã chấp nhận báo cáo")).to_be_visible()
    province.goto(f"{site.url}/bao-cao/trung-tam?che_do=KTXH&ky=2026-M04")
    row = province.get_by_role("row", name="Dân số trung bình")
    expect(row).to_contain_text("12.345")
    expect(province.get_by_role("row", name="UBND xã Nghi Phong")).to_contain_text("Đúng hạn")
    shots.take(province, "trung-tam")
    with province.expect_download() as download:
        province.get_by_role("link", name="Xuất báo cáo tổng hợp (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
