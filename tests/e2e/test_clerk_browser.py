"""The clerk application and the monitoring centre in a real Chromium (Playwright), against
the app served over HTTP on loopback with a real SQLite database and a demo PKI."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from lienthong.db import Database
from lienthong.trust.pki import DemoPKI
from tests.e2e.browser import Shots, browser, shots
from tests.integration.clerk.conftest import PASSWORD, Office, clerk_pki, make_office
from tests.support import GOV_OFFICE, NGHE_AN, document_bytes, send
from tests.support_pdf import draft_pdf

__all__ = ["browser", "clerk_pki", "shots"]  # fixtures used here

pytestmark = pytest.mark.browser


@pytest.fixture
def office(sqlite_db: Database, tmp_path: Path, clerk_pki: DemoPKI) -> Iterator[Office]:
    made = make_office(sqlite_db, tmp_path, clerk_pki)
    yield made
    made.server.stop()


def _signed_in(browser: Browser, office: Office, username: str, width: int = 1280) -> Page:
    context: BrowserContext = browser.new_context(
        base_url=office.server.url, viewport={"width": width, "height": 900}, locale="vi-VN"
    )
    page = context.new_page()
    page.goto("/dang-nhap")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
    return page


def test_a_document_goes_from_composition_to_completion_and_a_recall_is_agreed(
    browser: Browser, office: Office, shots: Shots, tmp_path: Path
) -> None:
    # Clerk of A composes and submits the draft for signature.
    clerk_a = _signed_in(browser, office, "vanthu.vpcp")
    clerk_a.goto("/van-thu/soan-thao")
    pdf = tmp_path / "du-thao.pdf"
    pdf.write_bytes(draft_pdf(text="Cong van thu nghiem"))
    clerk_a.get_by_label("Tệp dự thảo (PDF)").set_input_files(str(pdf))
    clerk_a.get_by_label("Ký hiệu").fill("VPCP-TTĐT")
    clerk_a.get_by_label("Trích yếu nội dung").fill("V/v thử nghiệm ứng dụng văn thư")
    clerk_a.get_by_label("Chức vụ người ký").fill("Bộ trưởng, Chủ nhiệm")
    clerk_a.get_by_label("UBND tỉnh Nghệ An").check()
    shots.take(clerk_a, "soan-thao")
    clerk_a.get_by_role("button", name="Lưu dự thảo, trình ký").click()
    expect(clerk_a.get_by_text("Chờ lãnh đạo ký").first).to_be_visible()
    draft_url = clerk_a.url.split("?")[0]
    shots.take(clerk_a, "du-thao")

    # The leader signs; the clerk cannot sign, and numbers only after the signature.
    assert clerk_a.get_by_role("button", name="Ký số (người có thẩm quyền)").count() == 0
    leader = _signed_in(browser, office, "lanhdao.vpcp")
    leader.goto(draft_url)
    leader.get_by_role("button", name="Ký số (người có thẩm quyền)").click()
    expect(leader.get_by_role("heading", name="Xác nhận ký số dự thảo")).to_be_visible()
    leader.get_by_role("button", name="Xác nhận ký").click()
    expect(leader.get_by_text("Lãnh đạo đã ký dự thảo.")).to_be_visible()
    shots.take(leader, "lanh-dao-da-ky")
    clerk_a.goto(draft_url)
    clerk_a.get_by_role("button", name="Cấp số, đóng dấu và gửi").click()
    expect(clerk_a.get_by_text("Đã cấp số, đóng dấu và gửi văn bản.")).to_be_visible()
    document_url = clerk_a.url.split("?")[0]
    shots.take(clerk_a, "van-ban-da-gui")

    # Clerk of B: inbox, document with a valid signature, accept, assign.
    clerk_b = _signed_in(browser, office, "vanthu.nghean", width=1024)
    expect(clerk_b.get_by_role("heading", name="Văn bản đến")).to_be_visible()
    shots.take(clerk_b, "hop-thu-den-1024")
    clerk_b.get_by_role("link", name="1/VPCP-TTĐT").click()
    expect(clerk_b.get_by_text("Chữ ký hợp lệ").first).to_be_visible()
    shots.take(clerk_b, "van-ban-den")
    clerk_b.get_by_role("button", name="Tiếp nhận, vào sổ").click()
    expect(clerk_b.get_by_text("Đã tiếp nhận văn bản.")).to_be_visible()
    clerk_b.get_by_label("Phân công cho").select_option("chuyenvien.nghean")
    clerk_b.get_by_role("button", name="Phân công").click()
    expect(clerk_b.get_by_text("Đã phân công xử lý.")).to_be_visible()
    shots.take(clerk_b, "da-phan-cong")

    # The specialist completes what was assigned to them.
    specialist = _signed_in(browser, office, "chuyenvien.nghean")
    specialist.goto("/van-thu?cua_toi=1")
    specialist.get_by_role("link", name="1/VPCP-TTĐT").click()
    specialist.get_by_label("Ghi chú kết quả xử lý").fill("Đã trả lời bằng Công văn số 12/UBND")
    specialist.get_by_role("button", name="Hoàn thành").click()
    expect(specialist.get_by_text("Đã cập nhật: hoàn thành.")).to_be_visible()
    expect(specialist.get_by_text("Đã trả lời bằng Công văn số 12/UBND")).to_be_visible()
    shots.take(specialist, "hoan-thanh")

    # B's register of incoming documents has the line, with its arrival number.
    clerk_b.get_by_role("link", name="Sổ văn bản").click()
    expect(clerk_b.get_by_role("heading", name="Sổ đăng ký văn bản đến")).to_be_visible()
    expect(clerk_b.locator("table.register tbody tr")).to_have_count(1)
    shots.take(clerk_b, "so-van-ban-den-1024")

    # A sees 06 in the outbox.
    clerk_a.goto("/van-thu/di")
    expect(clerk_a.locator('[data-status="06"]')).to_have_text("Hoàn thành")
    shots.take(clerk_a, "van-ban-di")

    # A recalls another document; B agrees; A sees it recalled.
    other = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="55"))
    clerk_a.goto(f"/van-thu/van-ban/{other.document_id}")
    clerk_a.get_by_label("Lý do thu hồi (bắt buộc)").fill("Sai sót số liệu")
    clerk_a.get_by_role("button", name="Đề nghị thu hồi văn bản").click()
    expect(clerk_a.get_by_text("Đã gửi yêu cầu thu hồi.")).to_be_visible()
    clerk_b.goto(f"/van-thu/van-ban/{other.document_id}")
    shots.take(clerk_b, "de-nghi-thu-hoi")
    clerk_b.get_by_role("button", name="Đồng ý thu hồi").click()
    expect(clerk_b.get_by_text("Đã thu hồi").first).to_be_visible()
    # The recalled document stays in B's inbox, greyed and marked.
    clerk_b.goto("/van-thu")
    recalled = clerk_b.locator("tbody tr.recalled")
    expect(recalled).to_have_count(1)
    expect(recalled).to_contain_text("Đã thu hồi")
    shots.take(clerk_b, "hop-thu-den-da-thu-hoi")
    clerk_b.goto("/van-thu/so-den/in")
    clerk_b.emulate_media(media="print")
    expect(clerk_b.locator("table.register tbody tr")).to_have_count(1)  # the registered one
    shots.take(clerk_b, "so-van-ban-den-ban-in")
    clerk_a.goto("/van-thu/di")
    expect(clerk_a.get_by_text("Đã thu hồi").first).to_be_visible()
    assert document_url.endswith(document_url.split("/")[-1])


def test_a_user_cannot_reach_another_agencys_document_or_the_operators_pages(
    browser: Browser, office: Office, shots: Shots
) -> None:
    only_a = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [GOV_OFFICE]))
    clerk_b = _signed_in(browser, office, "vanthu.nghean")
    answer = clerk_b.goto(f"/van-thu/van-ban/{only_a.document_id}")
    assert answer is not None and answer.status == 404
    expect(clerk_b.get_by_text("Không tìm thấy văn bản")).to_be_visible()
    answer = clerk_b.goto("/giam-sat")
    assert answer is not None and answer.status == 403
    expect(clerk_b.get_by_role("heading", name="Không có quyền truy cập")).to_be_visible()
    shots.take(clerk_b, "khong-co-quyen")


def test_the_monitoring_centre_shows_its_pages_to_an_operator(
    browser: Browser, office: Office, shots: Shots
) -> None:
    for n in range(3):
        send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number=str(n + 1)))
    operator = _signed_in(browser, office, "vanhanh")
    expect(
        operator.get_by_role("heading", name="Trung tâm giám sát liên thông văn bản")
    ).to_be_visible()
    expect(operator.locator("#kpi-sent")).to_have_text("3")
    shots.take(operator, "tong-quan")
    for path, name in (
        ("/giam-sat/tuan-thu", "tuan-thu"),
        ("/giam-sat/don-vi", "xep-hang"),
        (f"/giam-sat/don-vi/{GOV_OFFICE}", "don-vi"),
        ("/giam-sat/van-chuyen", "truyen-nhan"),
    ):
        operator.goto(path)
        shots.take(operator, name)
    # Keyboard first: the first Tab reaches the skip link, which moves to the content.
    operator.goto("/giam-sat")
    operator.keyboard.press("Tab")
    expect(operator.locator("a.skip")).to_be_focused()
    operator.set_viewport_size({"width": 1024, "height": 900})
    shots.take(operator, "tong-quan-1024")


def test_a_sent_document_is_updated_then_replaced_after_the_leaders_signature(
    browser: Browser, office: Office, shots: Shots, tmp_path: Path
) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="77"))
    original_url = f"/van-thu/van-ban/{sent.document_id}"

    # A changes the subject and the due date; B agrees to the update.
    clerk_a = _signed_in(browser, office, "vanthu.vpcp")
    clerk_a.goto(original_url)
    clerk_a.get_by_label("Trích yếu nội dung").fill("V/v thử nghiệm (đã cập nhật)")
    clerk_a.get_by_label("Hạn xử lý").fill("2026-12-31")
    shots.take(clerk_a, "cap-nhat")
    clerk_a.get_by_role("button", name="Gửi cập nhật văn bản").click()
    expect(clerk_a.get_by_text("Đã gửi cập nhật văn bản đến các nơi nhận.")).to_be_visible()
    clerk_b = _signed_in(browser, office, "vanthu.nghean", width=1024)
    clerk_b.goto(original_url)
    expect(clerk_b.get_by_text("Cơ quan gửi đề nghị cập nhật văn bản này.")).to_be_visible()
    shots.take(clerk_b, "de-nghi-cap-nhat-1024")
    clerk_b.get_by_role("button", name="Đồng ý cập nhật").click()
    expect(clerk_b.get_by_text("V/v thử nghiệm (đã cập nhật)").first).to_be_visible()

    # A replaces it: a new draft, signed by the leader, then numbered and sent.
    clerk_a.goto(original_url)
    clerk_a.get_by_role("link", name="Thay thế").click()
    expect(
        clerk_a.get_by_role("heading", name="Dự thảo thay thế văn bản số 77/VPCP-TTĐT")
    ).to_be_visible()
    pdf = tmp_path / "thay-the.pdf"
    pdf.write_bytes(draft_pdf(text="Van ban thay the"))
    clerk_a.get_by_label("Tệp dự thảo (PDF)").set_input_files(str(pdf))
    clerk_a.get_by_label("Trích yếu nội dung").fill("V/v văn bản thay thế")
    expect(clerk_a.get_by_label("UBND tỉnh Nghệ An")).to_be_checked()
    shots.take(clerk_a, "soan-thay-the")
    clerk_a.get_by_role("button", name="Lưu dự thảo, trình ký").click()
    draft_url = clerk_a.url.split("?")[0]
    leader = _signed_in(browser, office, "lanhdao.vpcp")
    leader.goto(draft_url)
    leader.get_by_role("button", name="Ký số (người có thẩm quyền)").click()
    expect(leader.get_by_role("heading", name="Xác nhận ký số dự thảo")).to_be_visible()
    leader.get_by_role("button", name="Xác nhận ký").click()
    expect(leader.get_by_text("Lãnh đạo đã ký dự thảo.")).to_be_visible()
    clerk_a.goto(draft_url)
    clerk_a.get_by_role("button", name="Cấp số, đóng dấu và gửi").click()
    expect(clerk_a.get_by_text("Đã cấp số, đóng dấu và gửi văn bản.")).to_be_visible()
    replacement_url = clerk_a.url.split("?")[0]
    clerk_a.goto(original_url)
    expect(clerk_a.get_by_text("Đã bị thay thế")).to_be_visible()
    shots.take(clerk_a, "da-bi-thay-the")
    clerk_a.get_by_role("link", name="văn bản thay thế").click()
    assert clerk_a.url.split("?")[0] == replacement_url


@pytest.mark.parametrize("width", [1366, 390])
def test_a_clerk_finds_documents_typed_without_diacritics_in_the_inbox_and_the_outbox(
    browser: Browser, office: Office, shots: Shots, width: int
) -> None:
    for number, notation, subject in (
        ("01", "VPCP-TTĐT", "V/v kết nối, liên thông phần mềm quản lý văn bản"),
        ("02", "VPCP-KGVX", "Về đầu tư công trung hạn giai đoạn 2026-2030"),
        ("03", "VPCP-NN", "Về phòng, chống lũ lụt"),
    ):
        send(
            office.container,
            GOV_OFFICE,
            document_bytes(
                GOV_OFFICE, [NGHE_AN], number=number, notation=notation, subject=subject
            ),
        )
    clerk_b = _signed_in(browser, office, "vanthu.nghean", width=width)
    search = clerk_b.get_by_label("Tìm (số, ký hiệu, trích yếu, nơi gửi)")
    search.fill("ket noi")
    clerk_b.get_by_role("button", name="Lọc").click()
    expect(clerk_b.get_by_role("link", name="01/VPCP-TTĐT")).to_be_visible()
    expect(clerk_b.get_by_role("link", name="02/VPCP-KGVX")).to_have_count(0)
    expect(search).to_have_value("ket noi")
    shots.take(clerk_b, f"hop-thu-den-tim-{width}")
    search.fill("01/VPCP")
    clerk_b.get_by_role("button", name="Lọc").click()
    expect(clerk_b.locator("tbody tr")).to_have_count(1)

    clerk_a = _signed_in(browser, office, "vanthu.vpcp", width=width)
    clerk_a.goto("/van-thu/di")
    expect(clerk_a.locator("tbody tr")).to_have_count(3)
    search = clerk_a.get_by_label("Tìm (số, ký hiệu, trích yếu, nơi nhận)")
    search.fill("dau tu cong")
    clerk_a.get_by_role("button", name="Tìm").click()
    expect(clerk_a.get_by_role("link", name="02/VPCP-KGVX")).to_be_visible()
    expect(clerk_a.locator("tbody tr")).to_have_count(1)
    expect(search).to_have_value("dau tu cong")
    shots.take(clerk_a, f"van-ban-di-tim-{width}")
    search.fill("nghe an")
    clerk_a.get_by_role("button", name="Tìm").click()
    expect(clerk_a.locator("tbody tr")).to_have_count(3)
    clerk_a.get_by_role("link", name="Bỏ tìm").click()
    expect(clerk_a.get_by_label("Tìm (số, ký hiệu, trích yếu, nơi nhận)")).to_have_value("")
