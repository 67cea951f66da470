"""The clerk application over HTTP (in process), on SQLite and PostgreSQL."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from lienthong.audit.store import AuditEvent
from lienthong.exchange import store
from tests.integration.clerk.conftest import Office, csrf_of, sign_draft
from tests.support import GOV_OFFICE, NGHE_AN, counts, document_bytes, send
from tests.support_pdf import draft_pdf


def _issue(office: Office, subject: str = "V/v thử nghiệm liên thông") -> str:
    clerk = office.login("vanthu.vpcp")
    page = clerk.get("/van-thu/soan-thao")
    answer = clerk.post(
        "/van-thu/soan-thao",
        data={
            "csrf_token": csrf_of(page.text),
            "subject": subject,
            "notation": "VPCP-TTĐT",
            "type_name": "Công văn",
            "recipients": [NGHE_AN],
            "signer_position": "Bộ trưởng, Chủ nhiệm",
        },
        files={"pdf": ("du-thao.pdf", draft_pdf(), "application/pdf")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    draft_url = answer.headers["location"].split("?")[0]
    leader = office.login("lanhdao.vpcp")
    signed = sign_draft(leader, draft_url)
    assert "Lãnh đạo đã ký" in signed.text
    page = clerk.get(draft_url)
    issued = clerk.post(
        draft_url + "/ban-hanh", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert issued.status_code == 303, issued.text
    return issued.headers["location"].split("/")[-1].split("?")[0]


def test_a_document_composed_signed_and_issued_reaches_the_recipient_with_a_valid_signature(
    office: Office,
) -> None:
    document_id = _issue(office)
    clerk_b = office.login("vanthu.nghean")
    inbox = clerk_b.get("/van-thu")
    assert "V/v thử nghiệm liên thông" in inbox.text
    page = clerk_b.get(f"/van-thu/van-ban/{document_id}")
    assert page.status_code == 200
    assert "Chữ ký hợp lệ" in page.text
    pdf = clerk_b.get(f"/van-thu/van-ban/{document_id}/tep/cid:1?xem=1")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    for code, extra in (("03", {}), ("04", {"specialist": "chuyenvien.nghean"})):
        answer = clerk_b.post(
            f"/van-thu/van-ban/{document_id}/trang-thai",
            data={"csrf_token": csrf_of(page.text), "code": code, **extra},
        )
        assert answer.status_code == 200, answer.text
    specialist = office.login("chuyenvien.nghean")
    mine = specialist.get("/van-thu?cua_toi=1")
    assert document_id in mine.text
    done = specialist.post(
        f"/van-thu/van-ban/{document_id}/trang-thai",
        data={"csrf_token": csrf_of(mine.text), "code": "06"},
    )
    assert done.status_code == 200
    outbox = office.login("vanthu.vpcp").get("/van-thu/di")
    assert 'data-status="06"' in outbox.text


def test_refuses_a_post_without_the_csrf_token_and_changes_nothing(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk_b = office.login("vanthu.nghean")
    before = counts(office.container)
    answer = clerk_b.post(f"/van-thu/van-ban/{sent.document_id}/trang-thai", data={"code": "03"})
    assert answer.status_code == 403
    assert "CSRF_INVALID" in answer.text
    assert counts(office.container) == before
    with office.container.db.read() as session:
        row = session.get(store.Recipient, (sent.document_id, NGHE_AN))
        assert row is not None and row.status is None


def test_a_user_of_another_agency_cannot_open_a_document_by_its_url(office: Office) -> None:
    sent = send(
        office.container,
        NGHE_AN,
        document_bytes(NGHE_AN, [NGHE_AN.replace("H41", "H14")] if False else [GOV_OFFICE]),
    )
    outsider = office.login("chuyenvien.nghean")
    # NGHE_AN is the sender here: its users see it; the recipient GOV_OFFICE's leader too.
    assert outsider.get(f"/van-thu/van-ban/{sent.document_id}").status_code == 200
    other = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [GOV_OFFICE], number="7"))
    page = outsider.get(f"/van-thu/van-ban/{other.document_id}")
    assert page.status_code == 404
    assert outsider.get(f"/van-thu/van-ban/{other.document_id}/tep/cid:1").status_code == 404


def test_a_return_needs_a_reason_and_nothing_is_sent_without_one(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk_b = office.login("vanthu.nghean")
    page = clerk_b.get(f"/van-thu/van-ban/{sent.document_id}")
    before = counts(office.container)
    answer = clerk_b.post(
        f"/van-thu/van-ban/{sent.document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": "02", "reason": "  "},
    )
    assert answer.status_code == 422
    assert "Cần nhập lý do" in answer.text
    assert counts(office.container) == before


def test_a_specialist_cannot_register_a_document(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    specialist = office.login("chuyenvien.nghean")
    page = specialist.get(f"/van-thu/van-ban/{sent.document_id}")
    answer = specialist.post(
        f"/van-thu/van-ban/{sent.document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": "03"},
    )
    assert answer.status_code == 403


def test_a_recall_is_answered_from_the_recipients_document_page(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk_a = office.login("vanthu.vpcp")
    page = clerk_a.get(f"/van-thu/van-ban/{sent.document_id}")
    answer = clerk_a.post(
        f"/van-thu/van-ban/{sent.document_id}/thu-hoi",
        data={"csrf_token": csrf_of(page.text), "reason": "Sai sót số liệu"},
    )
    assert answer.status_code == 200 and "Đã gửi yêu cầu thu hồi" in answer.text
    clerk_b = office.login("vanthu.nghean")
    page = clerk_b.get(f"/van-thu/van-ban/{sent.document_id}")
    assert "đề nghị thu hồi" in page.text
    agreed = clerk_b.post(
        f"/van-thu/van-ban/{sent.document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": "15"},
    )
    assert agreed.status_code == 200
    view = office.container.exchange.document_view(GOV_OFFICE, sent.document_id or "")
    assert view["state"] == "recalled"
    with office.container.db.read() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
        assert {"clerk.recall", "clerk.status.15"} <= actions
        assert session.scalar(select(func.count()).select_from(AuditEvent)) > 0


def test_the_inbox_filters_by_text_and_status(office: Office) -> None:
    send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], subject="Về lũ lụt"))
    send(
        office.container,
        GOV_OFFICE,
        document_bytes(GOV_OFFICE, [NGHE_AN], number="102", subject="Về giáo dục"),
    )
    clerk_b = office.login("vanthu.nghean")
    found = clerk_b.get("/van-thu", params={"tim": "giáo dục"})
    assert "Về giáo dục" in found.text and "Về lũ lụt" not in found.text
    found = clerk_b.get("/van-thu", params={"tim": "102"})
    assert len(re.findall(r"/van-thu/van-ban/", found.text)) == 1
    assert "Không có văn bản" in clerk_b.get("/van-thu", params={"trang_thai": "06"}).text


def test_an_operator_cannot_open_the_clerk_application(office: Office) -> None:
    operator = office.login("vanhanh")
    assert operator.get("/van-thu").status_code == 403


def test_a_visitor_is_sent_to_the_sign_in_page(office: Office) -> None:
    answer = office.app_client.get("/van-thu", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/dang-nhap?next=")


def test_opening_a_received_document_records_01_once_and_the_sender_sees_it(
    office: Office,
) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    hub = office.container.exchange
    assert hub.statuses(GOV_OFFICE)[0] == []
    # The sender opening its own document records nothing.
    office.login("vanthu.vpcp").get(f"/van-thu/van-ban/{sent.document_id}")
    assert hub.statuses(GOV_OFFICE)[0] == []
    clerk_b = office.login("vanthu.nghean")
    page = clerk_b.get(f"/van-thu/van-ban/{sent.document_id}")
    assert page.status_code == 200
    clerk_b.get(f"/van-thu/van-ban/{sent.document_id}")
    items, _ = hub.statuses(GOV_OFFICE)
    assert [(i["recipient"], i["status_code"]) for i in items] == [(NGHE_AN, "01")]
    view = hub.document_view(GOV_OFFICE, sent.document_id or "")
    assert [r["status"] for r in view["recipients"]] == ["01"]
    outbox = office.login("vanthu.vpcp").get("/van-thu/di")
    assert 'data-status="01"' in outbox.text


def test_a_dissolved_agency_is_not_offered_as_a_recipient(office: Office) -> None:
    from datetime import date

    from tests.support import register

    register(
        office.container,
        "000.00.00.G14",
        "Bộ Thông tin và Truyền thông",
        valid_to=date(2025, 2, 28),
    )
    page = office.login("vanthu.vpcp").get("/van-thu/soan-thao")
    assert page.status_code == 200
    assert "UBND tỉnh Nghệ An" in page.text
    assert "Bộ Thông tin và Truyền thông" not in page.text


def test_the_recipient_search_finds_names_typed_without_diacritics(office: Office) -> None:
    clerk = office.login("vanthu.vpcp")
    found = clerk.get("/van-thu/soan-thao", params={"tim_noi_nhan": "nghe an"})
    assert "UBND tỉnh Nghệ An" in found.text
    assert (
        clerk.get("/van-thu/soan-thao", params={"tim_noi_nhan": "H41"}).text.count(
            'value="000.00.00.H41"'
        )
        == 1
    )
