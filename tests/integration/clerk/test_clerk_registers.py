"""Clerk basics over HTTP (in process), on SQLite and PostgreSQL: processing deadlines when
composing and registering, the registers of incoming and outgoing documents (Decree 30/2020
Appendix IV) with their print view and XLSX file, recalled documents kept and marked, the
completion note, and a timeline without transport noise."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime

import httpx
from openpyxl import load_workbook
from sqlalchemy import func, select

from lienthong.clerk.store import DraftRow, RegistrationRow
from lienthong.exchange import store
from tests.integration.clerk.conftest import Office, csrf_of, sign_draft
from tests.support import GOV_OFFICE, NGHE_AN, counts, document_bytes, send
from tests.support_pdf import draft_pdf

# NOW (tests.support) is Friday 20 November 2026, 09:00 in Hà Nội.
TODAY = date(2026, 11, 20)


def _compose(clerk: httpx.Client, **extra: str) -> httpx.Response:
    page = clerk.get("/van-thu/soan-thao")
    return clerk.post(
        "/van-thu/soan-thao",
        data={
            "csrf_token": csrf_of(page.text),
            "subject": "V/v báo cáo tình hình phòng, chống thiên tai",
            "notation": "VPCP-NN",
            "type_name": "Công văn",
            "recipients": [NGHE_AN],
            "signer_position": "Bộ trưởng, Chủ nhiệm",
            **extra,
        },
        files={"pdf": ("du-thao.pdf", draft_pdf(), "application/pdf")},
        follow_redirects=False,
    )


def _issue(office: Office, **extra: str) -> str:
    clerk = office.login("vanthu.vpcp")
    answer = _compose(clerk, **extra)
    assert answer.status_code == 303, answer.text
    draft_url = answer.headers["location"].split("?")[0]
    leader = office.login("lanhdao.vpcp")
    sign_draft(leader, draft_url)
    page = clerk.get(draft_url)
    issued = clerk.post(
        draft_url + "/ban-hanh", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert issued.status_code == 303, issued.text
    return issued.headers["location"].split("/")[-1].split("?")[0]


def _status(client: httpx.Client, document_id: str, code: str, **data: str) -> httpx.Response:
    page = client.get(f"/van-thu/van-ban/{document_id}")
    return client.post(
        f"/van-thu/van-ban/{document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": code, **data},
    )


def _registration(office: Office, document_id: str) -> RegistrationRow | None:
    with office.container.db.read() as session:
        row = session.get(RegistrationRow, (document_id, NGHE_AN))
        if row is not None:
            session.expunge(row)
        return row


def _timeline(html: str) -> list[str]:
    section = html.split('id="tl-h"', 1)[1].split("</ol>", 1)[0]
    items = re.findall(r"<li[^>]*>(.*?)</li>", section, flags=re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", i)).strip() for i in items]


# --- deadlines ------------------------------------------------------------------------------


def test_the_deadline_set_when_composing_travels_as_the_edxml_due_date(office: Office) -> None:
    document_id = _issue(office, due_date="2026-12-04")
    with office.container.db.read() as session:
        document = session.get(store.Document, document_id)
        assert document is not None and document.due_date == date(2026, 12, 4)
        message = session.get(store.Message, document.origin_message_id)
        assert message is not None
        digest = message.package_digest
    with office.container.blobs.open(digest) as fh:
        assert b"<edXML:DueDate>2026/12/04</edXML:DueDate>" in fh.read().replace(b"ns0:", b"")
    inbox = office.login("vanthu.nghean").get("/van-thu")
    assert "04/12/2026" in inbox.text


def test_a_deadline_before_today_is_refused_when_composing_and_nothing_is_saved(
    office: Office,
) -> None:
    clerk = office.login("vanthu.vpcp")
    answer = _compose(clerk, due_date="2026-11-19")
    assert answer.status_code == 422
    assert "Hạn xử lý không được trước ngày hôm nay." in answer.text
    with office.container.db.read() as session:
        assert session.scalar(select(func.count()).select_from(DraftRow)) == 0


def test_registering_numbers_the_document_and_keeps_the_deadline_the_clerk_sets(
    office: Office,
) -> None:
    first = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="1"))
    second = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="2"))
    clerk_b = office.login("vanthu.nghean")
    page = clerk_b.get(f"/van-thu/van-ban/{first.document_id}")
    # The form offers the default: no sender deadline, so 10 working days: Mon 7 Dec 2026
    # (Tuesday 24 November, Vietnamese Culture Day, is a day off).
    assert 'name="due_date" type="date" value="2026-12-07"' in page.text
    answer = _status(clerk_b, first.document_id or "", "03", due_date="2026-11-27")
    assert answer.status_code == 200 and "Đã tiếp nhận văn bản." in answer.text
    assert "Số đến" in answer.text and "1/2026" in answer.text
    assert _status(clerk_b, second.document_id or "", "03").status_code == 200
    one, two = (
        _registration(office, first.document_id or ""),
        _registration(office, second.document_id or ""),
    )
    assert one is not None and (one.arrival_number, one.due_date) == (1, date(2026, 11, 27))
    assert two is not None and (two.arrival_number, two.due_date) == (2, date(2026, 12, 7))
    assert one.registered_by == "vanthu.nghean"


def test_the_registration_deadline_defaults_to_the_senders(office: Office) -> None:
    sent = send(
        office.container,
        GOV_OFFICE,
        document_bytes(GOV_OFFICE, [NGHE_AN], due_date=date(2026, 11, 30)),
    )
    clerk_b = office.login("vanthu.nghean")
    assert _status(clerk_b, sent.document_id or "", "03").status_code == 200
    row = _registration(office, sent.document_id or "")
    assert row is not None and row.due_date == date(2026, 11, 30)


def test_a_registration_deadline_before_today_is_refused_and_nothing_is_sent(
    office: Office,
) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk_b = office.login("vanthu.nghean")
    clerk_b.get(f"/van-thu/van-ban/{sent.document_id}")  # opening records 01
    before = counts(office.container)
    answer = _status(clerk_b, sent.document_id or "", "03", due_date="2026-11-01")
    assert answer.status_code == 422
    assert "Hạn xử lý không được trước ngày hôm nay." in answer.text
    assert counts(office.container) == before
    assert _registration(office, sent.document_id or "") is None
    with office.container.db.read() as session:
        row = session.get(store.Recipient, (sent.document_id, NGHE_AN))
        assert row is not None and row.status == "01"


def test_the_inbox_marks_a_document_overdue_after_its_last_working_day(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk_b = office.login("vanthu.nghean")
    # Due Saturday 21 November: the deadline ends with Monday 23 November.
    assert _status(clerk_b, sent.document_id or "", "03", due_date="2026-11-21").status_code == 200
    office.clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))  # Monday 16:00 in Hà Nội
    monday = office.login("vanthu.nghean").get("/van-thu").text
    assert "Sắp đến hạn</span>" in monday.split("<tbody>")[1]
    assert 'class="overdue"' not in monday
    office.clock.set(datetime(2026, 11, 23, 17, 30, tzinfo=UTC))  # Tuesday 00:30 in Hà Nội
    tuesday = office.login("vanthu.nghean").get("/van-thu").text
    assert 'class="overdue"' in tuesday
    assert "Quá hạn</span>" in tuesday.split("<tbody>")[1]


# --- the registers --------------------------------------------------------------------------


def test_the_register_of_incoming_documents_lists_what_was_registered(office: Office) -> None:
    sent = send(
        office.container,
        GOV_OFFICE,
        document_bytes(GOV_OFFICE, [NGHE_AN], number="15", subject="V/v phòng, chống bão số 9"),
    )
    send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="16"))
    clerk_b = office.login("vanthu.nghean")
    _status(clerk_b, sent.document_id or "", "03", due_date="2026-11-27")
    _status(clerk_b, sent.document_id or "", "04", specialist="chuyenvien.nghean")
    page = clerk_b.get("/van-thu/so-den")
    assert page.status_code == 200
    for header in ("Ngày đến", "Số đến", "Tác giả", "Tên loại và trích yếu nội dung", "Ký nhận"):
        assert f">{header}</th>" in page.text
    rows = page.text.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr") == 1  # the unregistered document 16 is not in the register
    assert "15/VPCP-TTĐT" in rows and "Văn phòng Chính phủ" in rows
    assert "Phạm Văn Nam" in rows  # the specialist's full name
    assert "Hạn xử lý 27/11/2026" in rows
    empty = clerk_b.get(
        "/van-thu/so-den", params={"tu_ngay": "2026-10-01", "den_ngay": "2026-10-31"}
    )
    assert "Không có văn bản nào trong khoảng thời gian này." in empty.text
    printed = clerk_b.get("/van-thu/so-den/in")
    assert '<link rel="stylesheet" href="/static/print.css">' in printed.text
    assert "15/VPCP-TTĐT" in printed.text
    assert "size: A4 landscape" in clerk_b.get("/static/print.css").text  # no inline <style>
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in printed.text.upper()


def test_the_incoming_register_downloads_as_a_formatted_xlsx(office: Office) -> None:
    sent = send(
        office.container,
        GOV_OFFICE,
        document_bytes(GOV_OFFICE, [NGHE_AN], number="15", subject="V/v phòng, chống bão số 9"),
    )
    clerk_b = office.login("vanthu.nghean")
    _status(clerk_b, sent.document_id or "", "03")
    answer = clerk_b.get("/van-thu/so-den.xlsx")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None
    assert sheet["A1"].value == "UBND tỉnh Nghệ An"
    assert sheet["A2"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
    assert sheet["A3"].value == "Từ ngày 01/11/2026 đến ngày 20/11/2026"
    headers = [c.value for c in sheet[5]]
    assert headers == [
        "Ngày đến",
        "Số đến",
        "Tác giả",
        "Số, ký hiệu",
        "Ngày tháng",
        "Tên loại và trích yếu nội dung",
        "Đơn vị hoặc người nhận",
        "Ký nhận",
        "Ghi chú",
    ]
    assert sheet["A5"].font.bold
    assert [c.value for c in sheet[6]][:2] == ["(1)", "(2)"]
    line = [c.value for c in sheet[7]]
    assert line[0] == datetime(2026, 11, 20)  # a date cell
    assert sheet["A7"].number_format == "DD/MM/YYYY"
    assert line[1:4] == [1, "Văn phòng Chính phủ", "15/VPCP-TTĐT"]
    assert line[5] == "Công văn V/v phòng, chống bão số 9"
    assert line[8] == "Hạn xử lý 07/12/2026"
    assert sheet.page_setup.orientation == "landscape"


def test_the_register_of_outgoing_documents_lists_what_was_issued(office: Office) -> None:
    document_id = _issue(office, due_date="2026-12-04")
    clerk = office.login("vanthu.vpcp")
    page = clerk.get("/van-thu/so-di")
    for header in ("Số, ký hiệu văn bản", "Người ký", "Nơi nhận văn bản", "Số lượng bản"):
        assert f">{header}</th>" in page.text
    rows = page.text.split("<tbody>")[1].split("</tbody>")[0]
    assert f'data-document="{document_id}"' in rows
    assert "01/VPCP-NN" in rows and "UBND tỉnh Nghệ An" in rows
    assert "Trần Thị Thu" in rows  # composed by: the copy kept
    sheet = load_workbook(io.BytesIO(clerk.get("/van-thu/so-di.xlsx").content)).active
    assert sheet is not None
    assert sheet["A2"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
    assert [c.value for c in sheet[5]][:4] == [
        "Số, ký hiệu văn bản",
        "Ngày tháng văn bản",
        "Tên loại và trích yếu nội dung văn bản",
        "Người ký",
    ]
    line = [c.value for c in sheet[7]]
    assert line[0] == "01/VPCP-NN"
    assert line[4] == "UBND tỉnh Nghệ An"
    assert line[6] == 1
    assert line[9] == "Hạn xử lý 04/12/2026"


# --- recalled documents stay listed ---------------------------------------------------------


def test_a_recalled_document_stays_listed_and_marked_in_inbox_outbox_and_registers(
    office: Office,
) -> None:
    sent = send(
        office.container,
        GOV_OFFICE,
        document_bytes(GOV_OFFICE, [NGHE_AN], number="77", subject="V/v văn bản sẽ thu hồi"),
    )
    clerk_b = office.login("vanthu.nghean")
    _status(clerk_b, sent.document_id or "", "03")
    clerk_a = office.login("vanthu.vpcp")
    page = clerk_a.get(f"/van-thu/van-ban/{sent.document_id}")
    clerk_a.post(
        f"/van-thu/van-ban/{sent.document_id}/thu-hoi",
        data={"csrf_token": csrf_of(page.text), "reason": "Sai đối tượng"},
    )
    assert _status(clerk_b, sent.document_id or "", "15").status_code == 200

    inbox = clerk_b.get("/van-thu").text.split("<tbody>")[1]
    assert "V/v văn bản sẽ thu hồi" in inbox
    assert 'class="recalled"' in inbox and "Đã thu hồi</span>" in inbox
    assert "Không có văn bản nào" in clerk_b.get("/van-thu", params={"trang_thai": "new"}).text
    outbox = clerk_a.get("/van-thu/di").text.split("<tbody>")[1]
    assert 'class="recalled"' in outbox and "Đã thu hồi" in outbox
    incoming = clerk_b.get("/van-thu/so-den").text.split("<tbody>")[1]
    assert 'class="recalled"' in incoming and "77/VPCP-TTĐT" in incoming
    outgoing = clerk_a.get("/van-thu/so-di").text.split("<tbody>")[1]
    assert 'class="recalled"' in outgoing and "Đã thu hồi" in outgoing
    sheet = load_workbook(io.BytesIO(clerk_b.get("/van-thu/so-den.xlsx").content)).active
    assert sheet is not None
    assert sheet["I7"].value.startswith("Đã thu hồi")
    assert sheet["D7"].font.strike
    page = clerk_b.get(f"/van-thu/van-ban/{sent.document_id}")
    assert "Đã thu hồi" in page.text and "Tiếp nhận, vào sổ" not in page.text


# --- completion note and timeline -----------------------------------------------------------


def test_the_completion_note_is_kept_and_shown_in_both_timelines(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk_b = office.login("vanthu.nghean")
    _status(clerk_b, sent.document_id or "", "03")
    _status(clerk_b, sent.document_id or "", "04", specialist="chuyenvien.nghean")
    specialist = office.login("chuyenvien.nghean")
    page = specialist.get(f"/van-thu/van-ban/{sent.document_id}")
    assert "Ghi chú kết quả xử lý (không bắt buộc)" in page.text
    note = "Đã trả lời bằng Công văn số 12/UBND-VX ngày 20/11/2026"
    done = _status(specialist, sent.document_id or "", "06", reason=note)
    assert done.status_code == 200 and "Đã cập nhật: hoàn thành." in done.text
    with office.container.db.read() as session:
        events = session.scalars(
            select(store.StatusEvent).where(store.StatusEvent.status_code == "06")
        ).all()
        assert [e.description for e in events] == [note]
    for client in (specialist, office.login("vanthu.vpcp")):
        lines = _timeline(client.get(f"/van-thu/van-ban/{sent.document_id}").text)
        completed = [line for line in lines if line.startswith("20/11/2026 09:00 Hoàn thành")]
        assert completed == [
            f"20/11/2026 09:00 Hoàn thành · UBND tỉnh Nghệ An — Phạm Văn Nam {note}"
        ]


def test_the_timeline_shows_status_changes_without_transport_noise(office: Office) -> None:
    from tests.support import register

    register(office.container, "000.00.00.G12", "Bộ Tài chính")
    sent = send(
        office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN, "000.00.00.G12"])
    )
    clerk_b = office.login("vanthu.nghean")
    _status(clerk_b, sent.document_id or "", "03")  # opening records 01 first
    clerk_b.get(f"/van-thu/van-ban/{sent.document_id}")  # opening again records nothing
    _status(clerk_b, sent.document_id or "", "04", specialist="chuyenvien.nghean")
    lines = _timeline(office.login("vanthu.vpcp").get(f"/van-thu/van-ban/{sent.document_id}").text)
    assert lines == [
        "20/11/2026 09:00 Gửi văn bản · UBND tỉnh Nghệ An, Bộ Tài chính",
        "20/11/2026 09:00 Đã đến · UBND tỉnh Nghệ An — trục ghi nhận",
        "20/11/2026 09:00 Đã tiếp nhận · UBND tỉnh Nghệ An — Lê Thị Hoa",
        "20/11/2026 09:00 Đã phân công · UBND tỉnh Nghệ An — Lê Thị Hoa "
        "Đã phân công xử lý: Phạm Văn Nam",
    ]
