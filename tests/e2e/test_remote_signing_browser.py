"""A leader signs a draft on a phone (390 px) and on a tablet (1024 px) through the demo
remote signing service, run as its own process (``lienthong remotesign serve``): the "Chờ
ký" queue, the PDF, the approval page with the one-time code read from the demo SMS
outbox, and the signed result. Real Chromium, real HTTP on loopback, real SQLite files."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from lienthong.clerk.remote import CscClient, RemoteSigner
from lienthong.db import Database
from lienthong.trust.pki import DemoPKI
from tests.e2e.browser import Shots, browser, shots
from tests.hub_process import free_port
from tests.integration.clerk.conftest import NAMES, PASSWORD, Office, make_office
from tests.support import GOV_OFFICE, NGHE_AN
from tests.support_pdf import draft_pdf

__all__ = ["browser", "shots"]  # fixtures used here

pytestmark = pytest.mark.browser
TOKEN = "e2e-hub-token"


@pytest.fixture(scope="module")
def leader_pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    """A PKI made now whose Government Office signer is the test leader (same name)."""
    return DemoPKI.create(
        tmp_path_factory.mktemp("remote-pki"),
        agencies=[(GOV_OFFICE, "Văn phòng Chính phủ"), (NGHE_AN, "Ủy ban nhân dân tỉnh Nghệ An")],
        signers=[(GOV_OFFICE, NAMES["lanhdao.vpcp"], "Bộ trưởng, Chủ nhiệm")],
        hubs=[],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=datetime.now(UTC),
    )


@pytest.fixture
def service_url(tmp_path: Path, leader_pki: DemoPKI) -> Iterator[str]:
    """The demo remote signing service in its own process."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(tmp_path / "remotesign.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lienthong",
            "remotesign",
            "serve",
            "--pki-dir",
            str(leader_pki.out_dir),
            "--db-url",
            f"sqlite:///{tmp_path / 'remotesign.db'}",
            "--holder",
            f"lanhdao.vpcp={GOV_OFFICE}",
            "--token",
            f"{TOKEN}=Trục liên thông (thử)",
            "--port",
            str(port),
        ],
        env={**os.environ},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.post(f"{url}/csc/v2/info", json={}, timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError((tmp_path / "remotesign.log").read_text()[-3000:])
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def office(
    sqlite_db: Database, tmp_path: Path, leader_pki: DemoPKI, service_url: str
) -> Iterator[Office]:
    made = make_office(sqlite_db, tmp_path, leader_pki)
    made.clock.advance(datetime.now(UTC) - made.clock.now())  # the service process: real time
    assert made.container.clerk is not None
    made.container.clerk.remote = RemoteSigner(CscClient(f"{service_url}/csc/v2", TOKEN))
    yield made
    made.server.stop()


def _page(browser: Browser, base_url: str, width: int) -> Page:
    height = 844 if width < 600 else 1366
    context = browser.new_context(
        base_url=base_url,
        viewport={"width": width, "height": height},
        locale="vi-VN",
        is_mobile=width < 600,
        has_touch=True,
    )
    return context.new_page()


def _sign_in(page: Page, username: str) -> None:
    page.goto("/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()


def _compose(browser: Browser, office: Office, tmp_path: Path, subject: str) -> None:
    clerk = _page(browser, office.server.url, 1280)
    _sign_in(clerk, "vanthu.vpcp")
    clerk.goto("/van-thu/soan-thao")
    pdf = tmp_path / "du-thao.pdf"
    pdf.write_bytes(draft_pdf(text="Cong van ky so tu xa"))
    clerk.get_by_label("Tệp dự thảo (PDF)").set_input_files(str(pdf))
    clerk.get_by_label("Ký hiệu").fill("VPCP-TTĐT")
    clerk.get_by_label("Trích yếu nội dung").fill(subject)
    clerk.get_by_label("Chức vụ người ký").fill("Bộ trưởng, Chủ nhiệm")
    clerk.get_by_label("UBND tỉnh Nghệ An").check()
    clerk.get_by_role("button", name="Lưu dự thảo, trình ký").click()
    expect(clerk.get_by_text("Chờ lãnh đạo ký").first).to_be_visible()
    clerk.context.close()


@pytest.mark.parametrize("width", [390, 1024])
def test_a_leader_signs_on_a_phone_or_tablet_through_the_remote_signing_service(
    browser: Browser,
    office: Office,
    service_url: str,
    leader_pki: DemoPKI,
    shots: Shots,
    tmp_path: Path,
    width: int,
) -> None:
    subject = f"V/v ký số từ xa trên màn hình {width} px"
    _compose(browser, office, tmp_path, subject)

    leader = _page(browser, office.server.url, width)
    _sign_in(leader, "lanhdao.vpcp")
    leader.goto("/van-thu/cho-ky")
    expect(leader.get_by_role("heading", name=re.compile("Dự thảo chờ ký"))).to_be_visible()
    shots.take(leader, "cho-ky")
    leader.get_by_role("link", name="Xem và ký").click()
    expect(leader.get_by_role("heading", name="Xác nhận ký số dự thảo")).to_be_visible()
    pdf = leader.request.get(
        leader.get_by_role("link", name="Xem tệp PDF sẽ được ký").get_attribute("href") or ""
    )
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    leader.get_by_role("button", name="Xác nhận ký").click()
    expect(leader.get_by_text("Đang chờ bạn duyệt trên điện thoại")).to_be_visible()
    shots.take(leader, "cho-duyet")
    approval_url = leader.get_by_role("link", name="Mở yêu cầu ký trên điện thoại").get_attribute(
        "href"
    )
    assert approval_url and approval_url.startswith(service_url)

    # The leader's phone: the SMS (the demo outbox), then the approval page.
    phone = _page(browser, service_url, 390)
    phone.goto("/ky-so-tu-xa/tin-nhan/lanhdao.vpcp")
    sms = phone.locator(".sms-text").first.inner_text()
    code = re.search(r"\b(\d{6})\b", sms)
    assert code is not None, sms
    shots.take(phone, "tin-nhan")
    phone.goto(approval_url)
    expect(phone.get_by_role("heading", name="Duyệt yêu cầu ký số")).to_be_visible()
    expect(phone.get_by_text(NAMES["lanhdao.vpcp"])).to_be_visible()
    phone.get_by_label("Mã xác thực").fill(code.group(1))
    shots.take(phone, "duyet")
    phone.get_by_role("button", name="Đồng ý ký").click()
    expect(phone.get_by_text("Đã duyệt. Hệ thống văn thư sẽ hoàn tất chữ ký.")).to_be_visible()
    shots.take(phone, "da-duyet")

    leader.get_by_role("button", name="Hoàn tất ký").click()
    expect(leader.get_by_text("Lãnh đạo đã ký dự thảo.")).to_be_visible()
    expect(
        leader.get_by_text(re.compile(f"Lãnh đạo đã ký \\({NAMES['lanhdao.vpcp']}"))
    ).to_be_visible()
    report = leader.locator(".signature-report")
    expect(report.get_by_text(NAMES["lanhdao.vpcp"])).to_be_visible()
    expect(report.get_by_text("Hợp lệ")).to_be_visible()
    serial = format(leader_pki.signer(GOV_OFFICE).serial, "x")
    expect(report.get_by_text(serial)).to_be_visible()
    shots.take(leader, "da-ky")
    # No horizontal scrolling of the page itself at this width.
    overflow = leader.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, overflow
