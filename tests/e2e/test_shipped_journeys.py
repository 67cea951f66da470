"""Journeys through the product as shipped: the hub started exactly as ``make run`` starts it
(the same command, the shipped settings: trust policy ``enforce``, the demo PKI and its
responder, the living demo), walked in a real Chromium as each role would, with a screenshot
per step under ``test-output/screenshots/``.

The only inputs are what ``make run`` takes: ``PORT`` (a free port, so the suite can run beside
a developer's ``make run``) and, only when 8089 or 8700 is taken, the documented responder and
remote signing ports. The demo leaders sign through the demo remote signing service that
``make run`` starts: the one-time code read from its demo SMS outbox, approved on its
phone-width page.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from lienthong.reporting.pdf import render_lines
from tests.e2e.browser import Shots, browser, shots
from tests.hub_process import free_port

__all__ = ["browser", "shots"]

# The replay of the demo's 90 days takes about 160 s on an idle two-core machine and more than
# twice that beside another test worker; its wait is charged to the module's first test, so
# the module's tests get a budget above the replay's (timings are measured in benchmarks/).
DEMO_TIMEOUT = 1000.0
pytestmark = [pytest.mark.browser, pytest.mark.timeout(DEMO_TIMEOUT + 200)]

LIENTHONG = Path(sys.executable).with_name("lienthong")  # what `make run` calls: .venv/bin


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Shipped:
    url: str
    workdir: Path
    users: dict[str, str]  # username -> password
    credentials: dict[str, str]  # agency code -> secret

    def api(self, code: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(code, self.credentials[code]), timeout=30)


@pytest.fixture(scope="module")
def shipped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shipped]:
    """``lienthong demo run --port $PORT`` in a fresh folder, as `make run` runs it."""
    workdir = tmp_path_factory.mktemp("make-run")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env["PORT"] = str(port)
    if not _port_free(8089):
        env["LIENTHONG_DEMO_RESPONDER_PORT"] = str(free_port())
    if not _port_free(8700):
        env["LIENTHONG_DEMO_REMOTE_SIGNING_PORT"] = str(free_port())
    log = (workdir / "make-run.log").open("wb")
    proc = subprocess.Popen(
        [str(LIENTHONG), "demo", "run", "--port", str(port)],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    activity = workdir / "var" / "demo-activity.json"
    try:
        deadline = time.monotonic() + DEMO_TIMEOUT
        while True:
            assert proc.poll() is None, (workdir / "make-run.log").read_text()[-4000:]
            state = json.loads(activity.read_text("utf-8"))["state"] if activity.exists() else ""
            assert state != "failed", activity.read_text("utf-8")
            if state == "done":
                break
            assert time.monotonic() < deadline, "the demo replay did not finish"
            time.sleep(1)
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        users = json.loads((workdir / "var" / "demo-users.json").read_text("utf-8"))
        creds = json.loads((workdir / "var" / "demo-credentials.json").read_text("utf-8"))
        yield Shipped(
            url,
            workdir,
            {u["username"]: u["password"] for u in users},
            {c["code"]: c["secret"] for c in creds},
        )
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        log.close()
        kept = Path(__file__).resolve().parents[2] / "test-output" / "make-run.log"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(workdir / "make-run.log", kept)


def _signed_in(browser: Browser, shipped: Shipped, username: str, width: int = 1366) -> Page:
    context = browser.new_context(
        base_url=shipped.url, viewport={"width": width, "height": 900}, locale="vi-VN"
    )
    page = context.new_page()
    page.goto("/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(shipped.users[username])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    return page


def _approve_on_the_phone(
    browser: Browser, leader: Page, username: str, shots: Shots | None = None
) -> None:
    """After the leader's "Xác nhận ký": the one-time code from the demo SMS outbox, typed
    on the remote signing service's approval page at phone width (390 px), then "Hoàn tất
    ký" on the hub."""
    expect(leader.get_by_text("Đang chờ bạn duyệt trên điện thoại")).to_be_visible()
    approval = leader.get_by_role("link", name="Mở yêu cầu ký trên điện thoại").get_attribute(
        "href"
    )
    assert approval and "/ky-so-tu-xa/yeu-cau/" in approval, approval
    service = approval.split("/ky-so-tu-xa/", 1)[0]
    assert service != leader.url.split("/van-thu", 1)[0]  # its own server, not the hub
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="vi-VN", is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    phone.goto(f"{service}/ky-so-tu-xa/tin-nhan/{username}")
    sms = phone.locator(".sms-text").first.inner_text()  # the newest message first
    code = re.search(r"\b(\d{6})\b", sms)
    assert code is not None, sms
    phone.goto(approval)
    expect(phone.get_by_role("heading", name="Duyệt yêu cầu ký số")).to_be_visible()
    phone.get_by_label("Mã xác thực").fill(code.group(1))
    if shots is not None:
        shots.take(phone, "duyet-ky-tu-xa-390")
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, overflow
    phone.get_by_role("button", name="Đồng ý ký").click()
    expect(phone.get_by_text("Đã duyệt. Hệ thống văn thư sẽ hoàn tất chữ ký.")).to_be_visible()
    context.close()
    leader.get_by_role("button", name="Hoàn tất ký").click()


def test_the_readme_curl_answers_with_data(shipped: Shipped) -> None:
    with shipped.api("000.00.00.G22") as api:
        answer = api.get("/api/v1/inbox")
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        assert body["items"], body
        sent = api.get("/api/v1/documents").json()
        assert sent["items"]


def test_an_lgsp_client_connects_with_the_demo_credentials(shipped: Shipped) -> None:
    """docs/lgsp.md's walk: the demo's LGSP credentials, a package signed with the demo PKI."""
    from datetime import date

    from lienthong.edxml import build_document, make_document
    from lienthong.trust.pki import DemoPKI
    from lienthong.trust.xmldsig import PackageSigner
    from tests.lgsp_client import LgspClient, edxml_base64

    creds = json.loads((shipped.workdir / "var" / "demo-credentials.json").read_text("utf-8"))
    by_code = {c["code"]: c for c in creds}
    gov, nghe_an = by_code["000.00.00.G22"], by_code["000.00.00.H41"]
    package, contents = make_document(
        sender="000.00.00.G22",
        recipients=["000.00.00.H41"],
        number="9001",
        notation="VPCP-TH",
        promulgation_date=date.today(),
        subject="V/v thử kết nối theo kiểu LGSP",
        attachments={"cong-van.pdf": b"%PDF-1.4 thu"},
    )
    pki = DemoPKI.load(shipped.workdir / "var" / "pki")
    signed = PackageSigner(pki.organisation("000.00.00.G22")).sign(
        build_document(package, contents)
    )
    a = LgspClient(shipped.url, gov["consumer_key"], gov["consumer_secret"])
    b = LgspClient(shipped.url, nghe_an["consumer_key"], nghe_an["consumer_secret"])
    try:
        a.generate()
        b.generate()
        sent = a.vanbans_post(edxml_base64(signed), gov["lgsp_secret"], "edoc")
        assert (sent["status"], sent["errorCode"]) == ("OK", 0), sent
        received = b.vanbans_get(nghe_an["lgsp_secret"])
        assert received["status"] == "OK", received
        (item,) = [i for i in received["data"] if i["from"] == "000.00.00.G22"][-1:]
        detail = b.vanbans_doc_id_get(item["docId"], nghe_an["lgsp_secret"])
        assert detail["status"] == "OK" and base64.b64decode(detail["data"]) == signed
        units = b.donvilienthongs_qn_get(nghe_an["lgsp_secret"])["data"]
        assert {u["code"] for u in units} >= {"000.00.00.H41", "000.00.31.H41"}
    finally:
        a.close()
        b.close()


def test_every_demo_clerk_finds_an_inbox_and_an_outbox(
    browser: Browser, shipped: Shipped, shots: Shots
) -> None:
    for username in ("vanthu.vpcp", "vanthu.nghean", "vanthu.btc"):
        page = _signed_in(browser, shipped, username)
        expect(page.get_by_role("heading", name="Văn bản đến")).to_be_visible()
        assert page.locator("table tbody tr").count() > 3
        shots.take(page, f"{username}-den")
        page.goto("/van-thu/di")
        assert page.locator("table tbody tr").count() > 3
        shots.take(page, f"{username}-di")
        page.context.close()


def test_a_document_goes_from_composition_to_completion_under_the_shipped_policy(
    browser: Browser, shipped: Shipped, shots: Shots, tmp_path: Path
) -> None:
    # The clerk of the Government Office composes with a PDF, to two agencies.
    clerk = _signed_in(browser, shipped, "vanthu.vpcp")
    clerk.goto("/van-thu/soan-thao")
    pdf = tmp_path / "du-thao.pdf"
    pdf.write_bytes(render_lines(["VĂN PHÒNG CHÍNH PHỦ", "V/v thử nghiệm hành trình"]))
    clerk.get_by_label("Tệp dự thảo (PDF)").set_input_files(str(pdf))
    clerk.get_by_label("Ký hiệu").fill("VPCP-KSTT")
    clerk.get_by_label("Trích yếu nội dung").fill("V/v thử nghiệm hành trình như khi vận hành")
    clerk.get_by_label("Chức vụ người ký").fill("Bộ trưởng, Chủ nhiệm")
    for code in ("000.00.00.H41", "000.00.00.G12"):
        clerk.locator(f'input[name="recipients"][value="{code}"]').check()
    shots.take(clerk, "soan-thao")
    clerk.get_by_role("button", name="Lưu dự thảo, trình ký").click()
    expect(clerk.get_by_text("Chờ lãnh đạo ký").first).to_be_visible()
    draft_url = clerk.url.split("?")[0]

    # The leader finds it in the "Chờ ký" queue, reads what is signed, confirms, approves on
    # the phone with the code of the demo SMS outbox; the clerk numbers, seals and sends.
    leader = _signed_in(browser, shipped, "lanhdao.vpcp")
    leader.goto("/van-thu/cho-ky")
    row = leader.get_by_role("row").filter(has_text="V/v thử nghiệm hành trình như khi vận hành")
    expect(row).to_be_visible()
    shots.take(leader, "cho-ky")
    row.get_by_role("link", name="Xem và ký").click()
    expect(leader.get_by_role("heading", name="Xác nhận ký số dự thảo")).to_be_visible()
    shots.take(leader, "xac-nhan-ky")
    leader.get_by_role("button", name="Xác nhận ký").click()
    shots.take(leader, "cho-duyet-tren-dien-thoai")
    _approve_on_the_phone(browser, leader, "lanhdao.vpcp", shots)
    expect(leader.get_by_text("Lãnh đạo đã ký dự thảo.")).to_be_visible()
    shots.take(leader, "lanh-dao-da-ky")
    clerk.goto(draft_url)
    clerk.get_by_role("button", name="Cấp số, đóng dấu và gửi").click()
    expect(clerk.get_by_text("Đã cấp số, đóng dấu và gửi văn bản.")).to_be_visible()
    document_url = clerk.url.split("?")[0]
    document_path = "/" + document_url.split("/", 3)[3]
    shots.take(clerk, "da-gui")

    # The recipient's clerk opens (01), registers (03) and assigns (04): no SIGNATURE_MISSING.
    recipient = _signed_in(browser, shipped, "vanthu.nghean", width=1024)
    recipient.goto(document_path)
    expect(recipient.get_by_text("Chữ ký hợp lệ").first).to_be_visible()
    shots.take(recipient, "van-ban-den")
    recipient.get_by_role("button", name="Tiếp nhận, vào sổ").click()
    expect(recipient.get_by_text("Đã tiếp nhận văn bản.")).to_be_visible()
    recipient.get_by_label("Phân công cho").select_option("chuyenvien.nghean")
    recipient.get_by_role("button", name="Phân công").click()
    expect(recipient.get_by_text("Đã phân công xử lý.")).to_be_visible()
    shots.take(recipient, "da-phan-cong")

    # The specialist processes and completes.
    specialist = _signed_in(browser, shipped, "chuyenvien.nghean", width=390)
    specialist.goto(document_path)
    specialist.get_by_role("button", name="Hoàn thành").click()
    expect(specialist.get_by_text("Đã cập nhật: hoàn thành.")).to_be_visible()
    shots.take(specialist, "hoan-thanh-390")

    # The sender sees each status: 06 from Nghệ An, 01 at least from the Ministry of Finance.
    clerk.goto(document_path)
    shots.take(clerk, "dong-thoi-gian")
    page_text = clerk.content()
    assert "Không thực hiện được" not in page_text
    clerk.goto("/van-thu/di")
    expect(clerk.locator('[data-status="06"]').first).to_be_visible()
    shots.take(clerk, "van-ban-di")


def test_the_operator_drills_into_an_agency_in_the_monitoring_centre(
    browser: Browser, shipped: Shipped, shots: Shots
) -> None:
    operator = _signed_in(browser, shipped, "vanhanh")
    operator.goto("/giam-sat")
    expect(
        operator.get_by_role("heading", name="Trung tâm giám sát liên thông văn bản")
    ).to_be_visible()
    assert "Chưa có số liệu" not in operator.content()
    shots.take(operator, "giam-sat")
    operator.goto("/giam-sat/don-vi")
    rows = operator.locator("tbody tr[data-code]")
    assert rows.count() > 10
    shots.take(operator, "xep-hang-don-vi")
    operator.get_by_role("link", name="UBND tỉnh Nghệ An", exact=True).click()
    operator.wait_for_load_state()
    assert "/giam-sat/don-vi/000.00.00.H41" in operator.url
    shots.take(operator, "don-vi-nghe-an")


def _compose_sign_issue(
    browser: Browser,
    shipped: Shipped,
    shots: Shots,
    pdf: Path,
    notation: str,
    recipients: tuple[str, ...],
    start: str = "/van-thu/soan-thao",
    step: str = "",
) -> tuple[Page, str]:
    """The Government Office's clerk composes (or, from ``start``, replaces), its leader signs,
    the clerk numbers and sends; the clerk's page and the document's path come back."""
    pdf.write_bytes(render_lines(["VĂN PHÒNG CHÍNH PHỦ", f"Văn bản {notation}"]))
    clerk = _signed_in(browser, shipped, "vanthu.vpcp")
    clerk.goto(start)
    clerk.get_by_label("Tệp dự thảo (PDF)").set_input_files(str(pdf))
    clerk.get_by_label("Ký hiệu").fill(notation)
    clerk.get_by_label("Trích yếu nội dung").fill(f"V/v kiểm thử {notation}")
    clerk.get_by_label("Chức vụ người ký").fill("Bộ trưởng, Chủ nhiệm")
    for code in recipients:
        box = clerk.locator(f'input[name="recipients"][value="{code}"]')
        if not box.is_checked():
            box.check()
    shots.take(clerk, f"{step}soan-thao")
    clerk.get_by_role("button", name="Lưu dự thảo, trình ký").click()
    expect(clerk.get_by_text("Chờ lãnh đạo ký").first).to_be_visible()
    draft_url = clerk.url.split("?")[0]
    leader = _signed_in(browser, shipped, "lanhdao.vpcp")
    leader.goto(draft_url)
    leader.get_by_role("button", name="Ký số (người có thẩm quyền)").click()
    expect(leader.get_by_role("heading", name="Xác nhận ký số dự thảo")).to_be_visible()
    leader.get_by_role("button", name="Xác nhận ký").click()
    _approve_on_the_phone(browser, leader, "lanhdao.vpcp")
    expect(leader.get_by_text("Lãnh đạo đã ký dự thảo.")).to_be_visible()
    leader.context.close()
    clerk.goto(draft_url)
    clerk.get_by_role("button", name="Cấp số, đóng dấu và gửi").click()
    expect(clerk.get_by_text("Đã cấp số, đóng dấu và gửi văn bản.")).to_be_visible()
    shots.take(clerk, f"{step}da-gui")
    return clerk, "/" + clerk.url.split("?")[0].split("/", 3)[3]


def test_the_sender_updates_recalls_and_replaces_a_document(
    browser: Browser, shipped: Shipped, shots: Shots, tmp_path: Path
) -> None:
    recipients = ("000.00.00.H41", "000.00.00.G12")
    clerk, path = _compose_sign_issue(
        browser, shipped, shots, tmp_path / "a.pdf", "VPCP-CNTH", recipients, step="1-"
    )

    # Update: a new processing deadline; Nghệ An agrees (15), the sender sees the answer.
    clerk.get_by_label("Hạn xử lý").fill("2027-01-15")
    clerk.get_by_role("button", name="Gửi cập nhật văn bản").click()
    expect(clerk.get_by_text("Đã gửi cập nhật văn bản đến các nơi nhận.")).to_be_visible()
    recipient = _signed_in(browser, shipped, "vanthu.nghean", width=1024)
    recipient.goto(path)
    expect(recipient.get_by_text("Cơ quan gửi đề nghị cập nhật văn bản này.")).to_be_visible()
    shots.take(recipient, "2-de-nghi-cap-nhat")
    recipient.get_by_role("button", name="Đồng ý cập nhật").click()
    expect(recipient.get_by_text("Đã đồng ý cập nhật.")).to_be_visible()

    # Recall: Nghệ An agrees (15), the sender's recipients table says so.
    clerk.goto(path)
    clerk.get_by_label("Lý do thu hồi (bắt buộc)").fill("Ban hành nhầm đối tượng")
    clerk.get_by_role("button", name="Đề nghị thu hồi văn bản").click()
    expect(clerk.get_by_text("Đã gửi yêu cầu thu hồi.")).to_be_visible()
    recipient.goto(path)
    expect(recipient.get_by_text("Cơ quan gửi đề nghị thu hồi văn bản này.")).to_be_visible()
    recipient.get_by_role("button", name="Đồng ý thu hồi").click()
    expect(recipient.get_by_text("Đã đồng ý thu hồi.")).to_be_visible()
    shots.take(recipient, "3-dong-y-thu-hoi")
    clerk.goto(path)
    nghe_an = clerk.locator("tr", has_text="UBND tỉnh Nghệ An")
    expect(nghe_an).to_contain_text("đã thu hồi")
    shots.take(clerk, "4-da-thu-hoi")

    # Replace: a second document, from the first one's "Thay thế", to the same recipients.
    other, replaced = _compose_sign_issue(
        browser, shipped, shots, tmp_path / "b.pdf", "VPCP-CNTH2", recipients, step="5-"
    )
    expect(other.get_by_role("link", name="Thay thế")).to_be_visible()
    replacement, new_path = _compose_sign_issue(
        browser,
        shipped,
        shots,
        tmp_path / "c.pdf",
        "VPCP-CNTH3",
        recipients,
        start=f"{replaced}/thay-the",
        step="6-thay-the-",
    )
    assert new_path != replaced
    replacement.goto(replaced)
    expect(replacement.get_by_text("Đã bị thay thế").first).to_be_visible()
    recipient.goto(new_path)
    expect(recipient.get_by_text("Chữ ký hợp lệ").first).to_be_visible()
    shots.take(recipient, "7-van-ban-thay-the")


REPORT = "/bao-cao/ky/KTXH/2026-M11"  # An Giang's November report: not made in the demo
AN_GIANG = "H01"
WEB_FIGURES = {  # as a person types them: Vietnamese number format
    "o_POP": "1.905.000",
    "o_BIRTHS": "1.800",
    "o_BIRTHS.NAM": "950",
    "o_BIRTHS.NU": "850",
    "o_HOUSEHOLDS": "520.000",
    "o_POOR": "15.600",
    "o_REVENUE": "25.800.000",  # cumulative: above October's accepted 23.373.900
    "o_SCHOOL": "98,5",
    "o_PROCEDURES": "45.210",
}
CORRECTED_POP = 1_912_345  # what the XLSX brings after the return


def _exported_pop(page: Page, tmp_path: Path) -> float:
    """The POP figure of the consolidated export the open centre page's link downloads."""
    from openpyxl import load_workbook

    with page.expect_download() as download:
        page.get_by_role("link", name="Xuất báo cáo tổng hợp (XLSX)").click()
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    sheet = load_workbook(path, read_only=True)["Tổng hợp"]
    for row in sheet.iter_rows(min_row=5, values_only=True):
        if row[0] == "POP":
            return float(row[3] or 0)
    raise AssertionError("no POP row in the export")


def test_a_province_reports_on_the_web_and_by_xlsx_returned_then_accepted(
    browser: Browser, shipped: Shipped, shots: Shots, tmp_path: Path
) -> None:
    from openpyxl import load_workbook

    centre = "/bao-cao/trung-tam?che_do=KTXH&ky=2026-M11"
    office = _signed_in(browser, shipped, "baocao.vpcp")
    office.goto(centre)
    before = _exported_pop(office, tmp_path)
    # Until An Giang reports, the nation counts what its own units reported (preliminary).
    office.goto(f"{centre}&don_vi={AN_GIANG}")
    preliminary = _exported_pop(office, tmp_path)

    # The province's reporting officer fills the form on the web, saves, signs and sends.
    officer = _signed_in(browser, shipped, "baocao.angiang")
    officer.goto(REPORT)
    for name, value in WEB_FIGURES.items():
        officer.locator(f'[name="{name}"]').fill(value)
    officer.get_by_label("I. Tình hình thực hiện nhiệm vụ trong kỳ").fill(
        "Tăng trưởng ổn định; giải ngân vốn đầu tư công đạt 71% kế hoạch."
    )
    officer.get_by_label("III. Nhiệm vụ, giải pháp kỳ tới").fill(
        "Đẩy nhanh giải ngân; chuẩn bị mùa vụ Đông Xuân."
    )
    officer.get_by_role("button", name="Lưu bản nháp").click()
    expect(officer.locator('[name="o_POP"]')).to_have_value("1.905.000")
    shots.take(officer, "1-ban-nhap")
    officer.get_by_role("button", name="Ký số và gửi báo cáo").click()
    expect(officer.get_by_role("heading", name="Xác nhận ký số và gửi báo cáo")).to_be_visible()
    shots.take(officer, "2-xac-nhan-gui")
    officer.get_by_role("button", name="Xác nhận gửi").click()
    expect(officer.get_by_text("Đã ký số và gửi báo cáo").first).to_be_visible()

    # The Government Office returns it with a comment.
    office.goto("/bao-cao/tiep-nhan?che_do=KTXH&ky=2026-M11")
    office.get_by_role("link", name="UBND tỉnh An Giang", exact=True).click()
    office.get_by_label("Ý kiến khi trả lại").fill(
        "Đề nghị rà soát lại dân số trung bình theo số liệu của Cục Thống kê."
    )
    shots.take(office, "3-tra-lai")
    office.get_by_role("button", name="Trả lại kèm ý kiến").click()
    expect(office.get_by_text("Đã trả lại báo cáo kèm ý kiến.")).to_be_visible()

    # The officer downloads the XLSX template, corrects it offline, uploads and sends again.
    officer.goto(REPORT)
    expect(officer.get_by_text("rà soát lại dân số trung bình").first).to_be_visible()
    with officer.expect_download() as download:
        officer.get_by_role("link", name="Tải mẫu XLSX").click()
    template = tmp_path / "mau.xlsx"
    download.value.save_as(template)
    book = load_workbook(template)
    data = book["Số liệu"]
    row_of = {data.cell(r, 1).value: r for r in range(6, data.max_row + 1)}
    numbers = {k[2:]: float(v.replace(".", "").replace(",", ".")) for k, v in WEB_FIGURES.items()}
    numbers["POP"] = CORRECTED_POP
    for key, value in numbers.items():
        code, _, option = key.partition(".")
        column = {"": 4, "NAM": 5, "NU": 6}[option]
        data.cell(row_of[code], column).value = value
    outline = book["Đề cương"]
    outline["C2"] = "Tăng trưởng ổn định; dân số đã rà soát theo Cục Thống kê."
    outline["C4"] = "Đẩy nhanh giải ngân vốn đầu tư công."
    filled = tmp_path / "da-dien.xlsx"
    book.save(filled)
    officer.get_by_label("Tải lên tệp XLSX đã điền").set_input_files(str(filled))
    officer.get_by_role("button", name="Tải lên", exact=True).click()
    expect(officer.get_by_text("Đã nhận tệp XLSX và lưu bản nháp.")).to_be_visible()
    expect(officer.locator('[name="o_POP"]')).to_have_value("1.912.345")
    shots.take(officer, "4-tai-len-xlsx")
    officer.get_by_role("button", name="Ký số và gửi báo cáo").click()
    officer.get_by_role("button", name="Xác nhận gửi").click()
    expect(officer.get_by_text("Đã ký số và gửi báo cáo").first).to_be_visible()

    # The Government Office accepts; the centre and its export have the figures at once.
    office.goto("/bao-cao/tiep-nhan?che_do=KTXH&ky=2026-M11")
    office.get_by_role("link", name="UBND tỉnh An Giang", exact=True).click()
    office.get_by_role("button", name="Chấp nhận báo cáo").click()
    expect(office.get_by_text("Đã chấp nhận báo cáo; số liệu đã được tổng hợp.")).to_be_visible()
    shots.take(office, "5-trung-tam-quoc-gia")
    assert _exported_pop(office, tmp_path) == before - preliminary + CORRECTED_POP
    row = office.locator("tbody tr", has_text="UBND tỉnh An Giang").filter(has_text=AN_GIANG)
    expect(row.first).to_contain_text("Đã chấp nhận")
    expect(row.first).to_contain_text("Trễ hạn")  # due 25/11, first sent today
    row.first.get_by_role("link", name="Xem báo cáo").click()
    expect(office.locator("tr", has_text="Dân số trung bình")).to_contain_text("1.912.345")
    shots.take(office, "6-bao-cao-an-giang")


def _a_dossier(shipped: Shipped) -> tuple[str, str]:
    """A dossier of the demo that has been decided (status 10), and its agency."""
    import sqlite3

    with sqlite3.connect(shipped.workdir / "var" / "lienthong.db") as db:
        row = db.execute(
            "SELECT code, agency_code FROM portal_dossiers WHERE status = 10 ORDER BY code LIMIT 1"
        ).fetchone()
    assert row is not None, "the demo synced no decided dossier"
    return str(row[0]), str(row[1])


def test_a_citizen_files_feedback_that_is_answered_and_published(
    browser: Browser, shipped: Shipped, shots: Shots
) -> None:
    dossier, agency = _a_dossier(shipped)
    citizen = browser.new_context(
        base_url=shipped.url, viewport={"width": 390, "height": 900}, locale="vi-VN"
    ).new_page()
    # The citizen looks the dossier up by its code.
    citizen.goto("/dich-vu-cong")
    citizen.get_by_label("Mã hồ sơ").fill(dossier)
    citizen.get_by_role("button", name="Tra cứu").click()
    expect(citizen.get_by_text(dossier).first).to_be_visible()
    expect(citizen.get_by_text("Quá trình xử lý").first).to_be_visible()
    shots.take(citizen, "tra-cuu-ho-so-390")
    # ... and files feedback about it, naming no agency.
    subject = f"Xin bản sao kết quả hồ sơ {dossier}"
    citizen.goto("/dich-vu-cong/phan-anh/gui")
    citizen.get_by_label("Họ và tên (hoặc tên doanh nghiệp) *").fill("Trần Thị Bình")
    citizen.get_by_label("Thư điện tử").fill("binh.tran@gmail.com")
    citizen.get_by_label("Tiêu đề *").fill(subject)
    citizen.get_by_label("Nội dung phản ánh, kiến nghị *").fill(
        f"Hồ sơ {dossier} đã có kết quả; tôi xin bản sao gửi qua bưu điện. ĐT 0987654321."
    )
    shots.take(citizen, "gui-phan-anh-390")
    citizen.get_by_role("button", name="Gửi phản ánh").click()
    expect(citizen.get_by_text("Đã tiếp nhận phản ánh của bạn.")).to_be_visible()
    tracking = citizen.url.split("ma=")[1].split("&")[0]

    # The portal operator routes it to the dossier's agency, answers and publishes.
    operator = _signed_in(browser, shipped, "dichvucong")
    operator.goto("/dich-vu-cong/quan-tri/phan-anh")
    operator.get_by_role("link", name=tracking).click()
    expect(operator.get_by_role("heading", name=f"Phản ánh {tracking}: {subject}")).to_be_visible()
    operator.get_by_label("Cơ quan có thẩm quyền").fill(agency)
    shots.take(operator, "phan-loai")
    operator.get_by_role("button", name="Phân loại và chuyển").click()
    expect(operator.locator("#trang-thai")).to_have_text("Đã chuyển cơ quan có thẩm quyền")
    operator.get_by_label("Nội dung trả lời").fill(
        "Cơ quan giải quyết đã gửi bản sao kết quả qua bưu điện ngày 07/12/2026."
    )
    operator.get_by_role("button", name="Trả lời").click()
    expect(operator.locator("#trang-thai")).to_have_text("Đã có kết quả xử lý")
    operator.get_by_role("button", name="Công khai kết quả").click()
    expect(operator.locator("#trang-thai")).to_have_text("Đã công khai kết quả")
    history = operator.locator("ol.timeline").inner_text()
    assert "Người gửi · Gửi phản ánh, kiến nghị" in history and "classify" not in history
    shots.take(operator, "da-cong-khai")

    # The citizen follows it; the published answer hides who they are.
    citizen.goto(f"/dich-vu-cong/phan-anh/tra-cuu?ma={tracking}")
    expect(citizen.get_by_text("Đã công khai kết quả").first).to_be_visible()
    citizen.goto("/dich-vu-cong/phan-anh/cong-khai")
    citizen.get_by_role("link", name=subject).click()
    expect(citizen.get_by_text("đã gửi bản sao kết quả qua bưu điện")).to_be_visible()
    published = citizen.content()
    for secret in ("Trần Thị Bình", "binh.tran@gmail.com", "0987654321"):
        assert secret not in published
    shots.take(citizen, "ket-qua-cong-khai-390")


def test_the_portal_operator_sees_sync_quality_with_real_contrasts(
    browser: Browser, shipped: Shipped, shots: Shots
) -> None:
    operator = _signed_in(browser, shipped, "dichvucong")
    operator.goto("/dich-vu-cong/quan-tri/xep-hang")
    expect(
        operator.get_by_role("heading", name="Xếp hạng chất lượng đồng bộ hồ sơ")
    ).to_be_visible()
    rows = operator.locator("main table").first.locator("tbody tr")
    flagged = operator.locator("main table").first.locator("tbody tr.urgent")
    assert rows.count() >= 5
    # Some units are flagged and some are not: the demo shows contrasts, not a red wall.
    assert 0 < flagged.count() < rows.count()
    expect(flagged.filter(has_text="Trên 30% hồ sơ sai mã TTHC").first).to_be_visible()
    shots.take(operator, "xep-hang-chat-luong")
    operator.goto("/dich-vu-cong/quan-tri")
    assert "Chưa có" not in operator.locator("main").inner_text()
    shots.take(operator, "tong-quan")


def test_a_task_from_a_conclusion_notice_is_reported_extended_completed_and_steered(
    browser: Browser, shipped: Shipped, shots: Shots
) -> None:
    """On a tablet (1024 px): the Government Office assigns a task from a conclusion notice,
    the Ministry of Finance receives it, reports progress, asks an extension and proposes
    completion; the office grants and confirms; the leader's steering page shows it."""
    today = date.today()
    office = _signed_in(browser, shipped, "theodoi", width=1024)
    expect(office.get_by_role("heading", name="Danh sách nhiệm vụ")).to_be_visible()
    assert office.locator("table.tasks tbody tr[data-code]").count() > 10  # the living demo
    shots.take(office, "danh-sach-nhiem-vu")
    office.get_by_role("link", name="Giao nhiệm vụ").click()
    office.get_by_label("Loại văn bản").fill("Thông báo kết luận")
    office.get_by_label("Số, ký hiệu").fill("451/TB-VPCP")
    office.get_by_label("Người ký").fill("Trần Văn Sơn")
    title = "Sửa đổi Nghị định về hóa đơn, chứng từ điện tử (hành trình)"
    office.get_by_label("Tên nhiệm vụ").fill(title)
    office.get_by_label("Nội dung").fill("Bộ Tài chính chủ trì, trình Chính phủ trong quý.")
    office.get_by_label("Cơ quan chủ trì").fill("Bộ Tài chính")
    office.get_by_label("Hạn hoàn thành").fill((today + timedelta(days=30)).isoformat())
    shots.take(office, "giao-nhiem-vu")
    office.get_by_role("button", name="Giao nhiệm vụ").click()
    expect(office.get_by_text("Đã giao nhiệm vụ.")).to_be_visible()
    expect(office.locator("#trang-thai")).to_have_text("Đã giao")
    task_url = office.url.split("?")[0]

    ministry = _signed_in(browser, shipped, "lanhdao.btc", width=1024)
    ministry.get_by_role("link", name="Nhiệm vụ được giao").click()
    ministry.get_by_role("link", name=task_url.rsplit("/", 1)[1]).click()
    ministry.locator('form[data-action="receive"] button').click()
    expect(ministry.locator("#trang-thai")).to_have_text("Đã tiếp nhận")
    ministry.locator('form[data-action="report_progress"] textarea').fill(
        "Đã lấy ý kiến các bộ, ngành; đang tổng hợp."
    )
    ministry.locator('form[data-action="report_progress"] button').click()
    expect(ministry.locator("#trang-thai")).to_have_text("Đang thực hiện")
    asked = (today + timedelta(days=60)).isoformat()
    ministry.locator('form[data-action="request_extension"] textarea').fill(
        "Chờ ý kiến thẩm định của Bộ Tư pháp"
    )
    ministry.locator('form[data-action="request_extension"] input[type=date]').fill(asked)
    ministry.locator('form[data-action="request_extension"] button').click()
    expect(ministry.get_by_text("Đã gửi đề nghị gia hạn.")).to_be_visible()
    shots.take(ministry, "de-nghi-gia-han")

    office.goto(task_url)
    office.locator('form[data-action="grant_extension"] button').click()
    expect(office.get_by_text("Đã đồng ý gia hạn.")).to_be_visible()
    expect(office.get_by_text("đã gia hạn 1 lần")).to_be_visible()

    ministry.goto(task_url)
    ministry.locator('form[data-action="propose_complete"] input[name=document_id]').fill(
        "5f0c2b7e-1d3a-4c55-9e21-0a7c3d9b8e41"
    )
    ministry.locator('form[data-action="propose_complete"] button').click()
    expect(ministry.locator("#trang-thai")).to_have_text("Đề nghị hoàn thành")

    office.goto(task_url)
    office.locator('form[data-action="confirm_complete"] button').click()
    expect(office.locator("#trang-thai")).to_have_text("Đã hoàn thành")
    expect(office.locator("#tinh-trang-han")).to_have_text("Hoàn thành đúng hạn")
    history = office.locator("#lich-su").inner_text()
    for step in ("Giao nhiệm vụ", "Tiếp nhận", "Báo cáo tiến độ", "Đồng ý gia hạn", "Xác nhận"):
        assert step in history, history
    shots.take(office, "da-hoan-thanh")

    leader = _signed_in(browser, shipped, "lanhdao.vpcp", width=1024)
    leader.get_by_role("link", name="Điều hành").click()
    expect(leader.get_by_role("heading", name="Xếp hạng cơ quan chủ trì")).to_be_visible()
    ranking = leader.locator("table.ranking").inner_text()
    assert "Bộ Tài chính" in ranking and "UBND tỉnh Nghệ An" in ranking
    assert int(leader.locator("#so-qua-han").inner_text().replace(".", "")) > 0
    shots.take(leader, "dieu-hanh-1024")


# Every page a role starts from, as the demo shows it: nothing wider than the screen (tables
# scroll inside their own box), no page without data, no English or error code on screen.
LAYOUT_PAGES: dict[str | None, tuple[str, ...]] = {
    "vanthu.vpcp": ("/van-thu", "/van-thu/di", "/van-thu/soan-thao"),
    "vanhanh": ("/giam-sat", "/giam-sat/don-vi", "/giam-sat/van-chuyen"),
    "baocao.nghean": ("/bao-cao", "/bao-cao/trung-tam"),
    "dichvucong": ("/dich-vu-cong/quan-tri", "/dich-vu-cong/quan-tri/xep-hang"),
    "theodoi": ("/nhiem-vu", "/dieu-hanh", "/nhiem-vu/thong-ke"),
    None: ("/dich-vu-cong", "/dich-vu-cong/phan-anh/cong-khai"),
}
WIDTHS = (1366, 1024, 390)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_starting_pages_fit_the_screen_at_every_width(
    browser: Browser, shipped: Shipped, shots: Shots, width: int
) -> None:
    too_wide: list[str] = []
    for username, paths in LAYOUT_PAGES.items():
        if username is None:
            context = browser.new_context(
                base_url=shipped.url, viewport={"width": width, "height": 900}, locale="vi-VN"
            )
            page = context.new_page()
        else:
            page = _signed_in(browser, shipped, username, width=width)
        for path in paths:
            answer = page.goto(path)
            assert answer is not None and answer.status == 200, (path, answer and answer.status)
            page.wait_for_load_state()
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 1:
                too_wide.append(f"{path} ({username}): {overflow}px wider than {width}")
            who = (username or "cong-dan").replace(".", "-")
            shots.take(page, f"{width}-{who}{path}".replace("/", "_"))
        page.context.close()
    assert not too_wide, too_wide
