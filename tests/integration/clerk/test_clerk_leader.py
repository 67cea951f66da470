"""Leaders and everyone's desk over HTTP, on SQLite and PostgreSQL: the "Chờ ký" queue, the
counters (new, overdue, to sign), the notifications (stored, marked read when opened), the
confirmation before a leader signs, and names where codes and login names used to be."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
from sqlalchemy import func, select

from lienthong.audit.store import AuditEvent
from lienthong.clerk import store as clerk_store
from lienthong.notifications.model import NotificationKind
from lienthong.notifications.store import NotificationRow
from lienthong.web.pages import vn_datetime
from tests.integration.clerk.conftest import Office, csrf_of, sign_draft
from tests.support import GOV_OFFICE, NGHE_AN, NOW, document_bytes, send
from tests.support_pdf import draft_pdf


def _compose(office: Office, subject: str, *, priority: int = 0) -> str:
    """The Government Office's clerk saves a draft for signature; the draft's URL."""
    clerk = office.login("vanthu.vpcp")
    page = clerk.get("/van-thu/soan-thao")
    answer = clerk.post(
        "/van-thu/soan-thao",
        data={
            "csrf_token": csrf_of(page.text),
            "subject": subject,
            "notation": "VPCP-TTĐT",
            "type_name": "Tờ trình",
            "recipients": [NGHE_AN],
            "priority": str(priority),
            "signer_position": "Bộ trưởng, Chủ nhiệm",
        },
        files={"pdf": ("du-thao.pdf", draft_pdf(), "application/pdf")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].split("?")[0]


def _draft_id(url: str) -> int:
    return int(url.rstrip("/").split("/")[-1])


def _state(office: Office, draft_id: int) -> str:
    with office.container.db.read() as session:
        row = clerk_store.draft_of(session, draft_id, GOV_OFFICE)
        assert row is not None
        return row.state


def _signatures(office: Office) -> int:
    with office.container.db.read() as session:
        query = select(func.count()).select_from(AuditEvent)
        return int(session.scalar(query.where(AuditEvent.action == "clerk.sign")) or 0)


def _text(html: str) -> str:
    """What a person reads: the page without its tags and attribute values."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def _nav_badge(html: str, label: str) -> int | None:
    found = re.search(
        rf">{re.escape(label)} <span class=\"badge count\"[^>]*>(\d+)</span></a>", html
    )
    return int(found.group(1)) if found else None


def _counter(html: str, name: str) -> int:
    found = re.search(rf'data-counter="{name}">([\d.]+)<', html)
    assert found, f"counter {name}"
    return int(found.group(1).replace(".", ""))


def _unread(client: httpx.Client) -> int:
    page = client.get("/thong-bao")
    assert page.status_code == 200
    found = re.search(
        r'class="bell"[^>]*>Thông báo(?: <span class="badge count">(\d+))?', page.text
    )
    assert found, "the bell in the header"
    return int(found.group(1) or 0)


def _notifications(office: Office, kind: NotificationKind) -> list[NotificationRow]:
    with office.container.db.read() as session:
        rows = session.scalars(select(NotificationRow).where(NotificationRow.kind == kind.value))
        found = list(rows)
        session.expunge_all()
        return found


# --- the queue ---------------------------------------------------------------------------


def test_a_leader_finds_the_drafts_awaiting_signature_in_the_queue_with_a_counter(
    office: Office,
) -> None:
    first = _compose(office, "V/v phê duyệt kế hoạch chuyển đổi số", priority=1)
    second = _compose(office, "V/v báo cáo tình hình liên thông văn bản")
    leader = office.login("lanhdao.vpcp")
    queue = leader.get("/van-thu/cho-ky")
    assert queue.status_code == 200
    text = _text(queue.text)
    for subject in ("V/v phê duyệt kế hoạch chuyển đổi số", "V/v báo cáo tình hình liên thông"):
        assert subject in text
    assert "Tờ trình · VPCP-TTĐT" in text
    assert "Trần Thị Thu (Văn thư)" in text  # who prepared it, by name and title
    assert vn_datetime(NOW) in text  # since when
    assert "Khẩn" in text
    assert text.index("kế hoạch chuyển đổi số") < text.index("tình hình liên thông")  # oldest first
    assert f'href="{first}/ky"' in queue.text and f'href="{second}/ky"' in queue.text
    assert _nav_badge(queue.text, "Chờ ký") == 2
    assert _counter(leader.get("/van-thu").text, "to_sign") == 2

    sign_draft(leader, first)
    queue = leader.get("/van-thu/cho-ky")
    assert "chuyển đổi số" not in queue.text
    assert "tình hình liên thông" in queue.text
    assert _nav_badge(queue.text, "Chờ ký") == 1


def test_only_a_leader_has_the_queue_and_its_link(office: Office) -> None:
    _compose(office, "V/v thử nghiệm")
    clerk = office.login("vanthu.vpcp")
    refused = clerk.get("/van-thu/cho-ky")
    assert refused.status_code == 403
    assert "FORBIDDEN" in refused.text
    assert 'href="/van-thu/cho-ky"' not in clerk.get("/van-thu").text


# --- counters ------------------------------------------------------------------------------


def test_the_inbox_counts_new_and_overdue_documents_as_its_lists_do(office: Office) -> None:
    overdue = send(
        office.container,
        GOV_OFFICE,
        document_bytes(GOV_OFFICE, [NGHE_AN], "201", due_date=date(2026, 11, 18)),
    )
    send(
        office.container,
        GOV_OFFICE,
        document_bytes(GOV_OFFICE, [NGHE_AN], "202", due_date=date(2026, 11, 30)),
    )
    send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], "203"))
    clerk = office.login("vanthu.nghean")
    inbox = clerk.get("/van-thu")
    assert (_counter(inbox.text, "new"), _counter(inbox.text, "overdue")) == (3, 1)
    assert _nav_badge(inbox.text, "Văn bản đến") == 3
    listed = clerk.get("/van-thu?qua_han=1")
    assert "201/VPCP-TTĐT" in listed.text
    assert "202/VPCP-TTĐT" not in listed.text and "203/VPCP-TTĐT" not in listed.text

    page = clerk.get(f"/van-thu/van-ban/{overdue.document_id}")
    registered = clerk.post(
        f"/van-thu/van-ban/{overdue.document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": "03"},
    )
    assert registered.status_code == 200
    inbox = clerk.get("/van-thu")
    assert (_counter(inbox.text, "new"), _counter(inbox.text, "overdue")) == (2, 1)
    completed = clerk.post(
        f"/van-thu/van-ban/{overdue.document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": "06"},
    )
    assert completed.status_code == 200
    assert _counter(clerk.get("/van-thu").text, "overdue") == 0


def test_a_specialist_counts_what_is_assigned_to_them_and_not_yet_done(office: Office) -> None:
    sent = send(
        office.container,
        GOV_OFFICE,
        document_bytes(GOV_OFFICE, [NGHE_AN], "301", due_date=date(2026, 11, 19)),
    )
    send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], "302"))
    specialist = office.login("chuyenvien.nghean")
    inbox = specialist.get("/van-thu")
    assert (_counter(inbox.text, "mine"), _counter(inbox.text, "overdue")) == (0, 0)
    clerk = office.login("vanthu.nghean")
    page = clerk.get(f"/van-thu/van-ban/{sent.document_id}")
    clerk.post(
        f"/van-thu/van-ban/{sent.document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": "04", "specialist": "chuyenvien.nghean"},
    )
    inbox = specialist.get("/van-thu")
    assert (_counter(inbox.text, "mine"), _counter(inbox.text, "overdue")) == (1, 1)
    assert "301/VPCP-TTĐT" in specialist.get("/van-thu?cua_toi=1&chua_xong=1").text


# --- notifications -------------------------------------------------------------------------


def test_an_arrived_document_notifies_the_recipients_clerks_until_opened(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], "401"))
    stored = _notifications(office, NotificationKind.DOCUMENT_ARRIVED)
    assert len(stored) == 1  # the one clerk of Nghệ An; not the specialist, not the sender
    assert stored[0].read_at is None
    clerk = office.login("vanthu.nghean")
    assert _unread(clerk) == 1
    listed = clerk.get("/thong-bao")
    assert "Văn phòng Chính phủ gửi văn bản số 401/VPCP-TTĐT" in _text(listed.text)
    assert _unread(office.login("chuyenvien.nghean")) == 0

    # Someone else cannot open (nor read) it.
    other = office.login("chuyenvien.nghean").get(
        f"/thong-bao/{stored[0].id}", follow_redirects=False
    )
    assert other.status_code == 404
    assert _notifications(office, NotificationKind.DOCUMENT_ARRIVED)[0].read_at is None

    opened = clerk.get(f"/thong-bao/{stored[0].id}", follow_redirects=False)
    assert opened.status_code == 303
    assert opened.headers["location"] == f"/van-thu/van-ban/{sent.document_id}"
    assert _notifications(office, NotificationKind.DOCUMENT_ARRIVED)[0].read_at is not None
    assert _unread(clerk) == 0


def test_a_draft_notifies_the_leader_and_the_signature_notifies_the_clerk(office: Office) -> None:
    draft_url = _compose(office, "V/v đề nghị ký ban hành")
    (to_sign,) = _notifications(office, NotificationKind.DRAFT_TO_SIGN)
    assert to_sign.link == draft_url
    assert "Trần Thị Thu trình ký dự thảo Tờ trình VPCP-TTĐT" in to_sign.text
    leader = office.login("lanhdao.vpcp")
    assert _unread(leader) == 1
    leader.get(draft_url)  # opening the draft itself reads its notice
    assert _unread(leader) == 0
    sign_draft(leader, draft_url)
    (signed,) = _notifications(office, NotificationKind.DRAFT_SIGNED)
    assert "Nguyễn Văn Minh đã ký dự thảo" in signed.text
    clerk = office.login("vanthu.vpcp")
    assert _unread(clerk) == 1
    page = clerk.get("/thong-bao")
    done = clerk.post("/thong-bao/da-doc", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "Đã đánh dấu tất cả" in done.text
    assert _unread(clerk) == 0


def test_an_assignment_notifies_the_specialist(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], "501"))
    clerk = office.login("vanthu.nghean")
    page = clerk.get(f"/van-thu/van-ban/{sent.document_id}")
    clerk.post(
        f"/van-thu/van-ban/{sent.document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": "04", "specialist": "chuyenvien.nghean"},
    )
    (assigned,) = _notifications(office, NotificationKind.DOCUMENT_ASSIGNED)
    assert "Lê Thị Hoa giao bạn xử lý văn bản số 501/VPCP-TTĐT" in assigned.text
    specialist = office.login("chuyenvien.nghean")
    assert _unread(specialist) == 1
    opened = specialist.get(f"/thong-bao/{assigned.id}")
    assert opened.status_code == 200 and "501/VPCP-TTĐT" in opened.text
    assert _unread(specialist) == 0


# --- the confirmation before signing -----------------------------------------------------


def test_signing_shows_what_will_be_signed_and_signs_nothing_before_the_confirmation(
    office: Office,
) -> None:
    draft_url = _compose(office, "V/v xin ý kiến về dự thảo nghị định")
    draft_id = _draft_id(draft_url)
    leader = office.login("lanhdao.vpcp")
    page = leader.get(draft_url)
    assert f'<form method="get" action="{draft_url}/ky"' in page.text

    confirm = leader.get(draft_url + "/ky")
    assert confirm.status_code == 200
    text = _text(confirm.text)
    assert "Xác nhận ký số dự thảo" in text
    assert "V/v xin ý kiến về dự thảo nghị định" in text
    assert "UBND tỉnh Nghệ An" in text and "Tờ trình" in text
    assert "Nguyễn Văn Minh, Bộ trưởng, Chủ nhiệm" in text
    assert 'name="xac_nhan" value="1"' in confirm.text
    assert f'href="{draft_url}">Hủy</a>' in confirm.text
    assert (_state(office, draft_id), _signatures(office)) == ("draft", 0)

    # A POST without the confirmation answers with the confirmation page.
    bare = leader.post(
        draft_url + "/ky", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert bare.status_code == 303 and bare.headers["location"] == draft_url + "/ky"
    assert (_state(office, draft_id), _signatures(office)) == ("draft", 0)

    # "Hủy" goes back to the draft, unsigned.
    cancelled = leader.get(draft_url)
    assert "Chờ lãnh đạo ký" in cancelled.text
    assert (_state(office, draft_id), _signatures(office)) == ("draft", 0)

    signed = leader.post(
        draft_url + "/ky", data={"csrf_token": csrf_of(confirm.text), "xac_nhan": "1"}
    )
    assert "Lãnh đạo đã ký dự thảo." in signed.text
    assert (_state(office, draft_id), _signatures(office)) == ("signed", 1)
    again = leader.get(draft_url + "/ky")
    assert again.status_code == 409 and "đã được ký" in again.text


def test_a_clerk_gets_no_confirmation_page_and_signs_nothing(office: Office) -> None:
    draft_url = _compose(office, "V/v thử quyền ký")
    clerk = office.login("vanthu.vpcp")
    assert clerk.get(draft_url + "/ky").status_code == 403
    page = clerk.get(draft_url)
    refused = clerk.post(
        draft_url + "/ky", data={"csrf_token": csrf_of(page.text), "xac_nhan": "1"}
    )
    assert refused.status_code == 403
    assert (_state(office, _draft_id(draft_url)), _signatures(office)) == ("draft", 0)


# --- names, not codes ----------------------------------------------------------------------


def test_pages_name_people_and_agencies_instead_of_login_names_and_codes(office: Office) -> None:
    draft_url = _compose(office, "V/v đặt tên người, tên cơ quan")
    leader = office.login("lanhdao.vpcp")
    sign_draft(leader, draft_url)
    draft = _text(office.login("vanthu.vpcp").get(draft_url).text)
    assert "Trần Thị Thu (Văn thư)" in draft  # who prepared it
    assert "Nguyễn Văn Minh (Lãnh đạo)" in draft  # who signed it
    assert "UBND tỉnh Nghệ An" in draft  # the recipients, by name
    assert "vanthu.vpcp" not in draft and "lanhdao.vpcp" not in draft

    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], "601"))
    clerk = office.login("vanthu.nghean")
    page = clerk.get(f"/van-thu/van-ban/{sent.document_id}")
    assert ">Phạm Văn Nam (Chuyên viên)</option>" in page.text  # the assignee picker
    clerk.post(
        f"/van-thu/van-ban/{sent.document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": "04", "specialist": "chuyenvien.nghean"},
    )
    document = _text(clerk.get(f"/van-thu/van-ban/{sent.document_id}").text)
    assert "Người xử lý Phạm Văn Nam (Chuyên viên)" in document
    assert "phân công bởi Lê Thị Hoa (Văn thư)" in document
    assert "chuyenvien.nghean" not in document and "vanthu.nghean" not in document

    operator = office.login("vanhanh")
    drill = _text(operator.get(f"/giam-sat/don-vi/{NGHE_AN}?tu=2026-11-01&den=2026-11-30").text)
    assert "Văn bản của UBND tỉnh Nghệ An" in drill
    assert "Văn phòng Chính phủ 601/VPCP-TTĐT" in drill  # the sender, by name


def test_a_deadline_on_a_weekend_is_not_overdue_before_the_next_working_day_ends(
    office: Office,
) -> None:
    """Due Sat 21 Nov 2026: the deadline ends with Mon 23 Nov, so on Monday the document is not
    overdue yet (the inbox's filter and counter agree with the document's page); a document due
    Fri 20 Nov is. On Tuesday both are."""
    send(
        office.container,
        GOV_OFFICE,
        document_bytes(GOV_OFFICE, [NGHE_AN], "301", due_date=date(2026, 11, 21)),
    )
    send(
        office.container,
        GOV_OFFICE,
        document_bytes(GOV_OFFICE, [NGHE_AN], "302", due_date=date(2026, 11, 20)),
    )
    office.clock.set(NOW + timedelta(days=3))  # Mon 23 Nov, 09:00 in Hà Nội
    clerk = office.login("vanthu.nghean")
    listed = clerk.get("/van-thu?qua_han=1")
    assert "302/VPCP-TTĐT" in listed.text and "301/VPCP-TTĐT" not in listed.text
    assert _counter(clerk.get("/van-thu").text, "overdue") == 1
    office.clock.set(NOW + timedelta(days=4))  # Tue 24 Nov
    clerk = office.login("vanthu.nghean")
    listed = clerk.get("/van-thu?qua_han=1")
    assert "302/VPCP-TTĐT" in listed.text and "301/VPCP-TTĐT" in listed.text
    assert _counter(clerk.get("/van-thu").text, "overdue") == 2
