"""Updating and replacing a sent document from the clerk application (BussinessDocType 2/3),
over HTTP in process, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from lienthong.accounts.model import Role
from lienthong.audit.store import AuditEvent
from lienthong.clerk.revision import Revisions, Update
from lienthong.clerk.store import DraftRow
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange import store
from tests.integration.clerk.conftest import PASSWORD, Office, csrf_of, sign_draft
from tests.integration.clerk.test_clerk_pages import _issue
from tests.support import CAO_BANG, GOV_OFFICE, NGHE_AN, counts, document_bytes, send
from tests.support_pdf import draft_pdf


def _add_cao_bang(office: Office) -> None:
    from tests.support import register

    register(office.container, CAO_BANG, "UBND tỉnh Cao Bằng")
    accounts = office.container.accounts
    assert accounts is not None
    accounts.create_user("vanthu.caobang", "Văn thư Cao Bằng", CAO_BANG, [Role.CLERK], PASSWORD)


def _recipients(office: Office, document_id: str) -> dict[str, dict[str, object]]:
    view = office.container.exchange.document_view(GOV_OFFICE, document_id)
    return {r["code"]: r for r in view["recipients"]}


def test_an_update_adds_a_recipient_who_finds_it_in_the_inbox_and_is_answered_with_15(
    office: Office,
) -> None:
    _add_cao_bang(office)
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    document_id = sent.document_id or ""
    clerk = office.login("vanthu.vpcp")
    page = clerk.get(f"/van-thu/van-ban/{document_id}?tim_noi_nhan=Cao")
    assert "Cập nhật, thay thế văn bản" in page.text and CAO_BANG in page.text
    answer = clerk.post(
        f"/van-thu/van-ban/{document_id}/cap-nhat",
        data={
            "csrf_token": csrf_of(page.text),
            "add": [CAO_BANG],
            "subject": "V/v thử nghiệm (bổ sung nơi nhận)",
            "due_date": "2026-12-31",
        },
    )
    assert answer.status_code == 200, answer.text
    assert "Đã gửi cập nhật văn bản" in answer.text
    assert "chờ trả lời cập nhật" in answer.text
    recipients = _recipients(office, document_id)
    assert recipients[NGHE_AN]["pending"] == "update"
    assert recipients[CAO_BANG]["pending"] is None
    view = office.container.exchange.document_view(GOV_OFFICE, document_id)
    assert view["subject"] == "V/v thử nghiệm (bổ sung nơi nhận)"
    assert view["due_date"] == "2026-12-31"

    added = office.login("vanthu.caobang")
    inbox = added.get("/van-thu")
    assert "V/v thử nghiệm (bổ sung nơi nhận)" in inbox.text
    document = added.get(f"/van-thu/van-ban/{document_id}")
    assert document.status_code == 200
    # The added recipient received the original files again, shown once.
    assert len(re.findall(r"/tep/cid%3A1\?xem=1|/tep/cid:1\?xem=1", document.text)) == 1

    first = office.login("vanthu.nghean")
    page = first.get(f"/van-thu/van-ban/{document_id}")
    assert "đề nghị cập nhật" in page.text and "Đồng ý cập nhật" in page.text
    agreed = first.post(
        f"/van-thu/van-ban/{document_id}/trang-thai",
        data={"csrf_token": csrf_of(page.text), "code": "15", "ask": "update"},
    )
    assert agreed.status_code == 200, agreed.text
    # The notice names what was agreed to (an update, not a recall).
    assert "Đã đồng ý cập nhật." in agreed.text and "Đã đồng ý thu hồi." not in agreed.text
    assert 'name="ask" value="update"' in page.text
    assert _recipients(office, document_id)[NGHE_AN]["pending"] is None
    with office.container.db.read() as session:
        events = session.scalars(
            select(store.StatusEvent.description).where(
                store.StatusEvent.document_id == document_id,
                store.StatusEvent.status_code == "15",
            )
        )
        assert list(events) == ["Đồng ý cập nhật"]
        # The update travelled as the agency's signed package, like an issued document.
        update = session.scalars(
            select(store.Message).where(
                store.Message.document_ref == document_id, store.Message.bussiness_doc_type == 2
            )
        ).one()
        assert update.sender_code == GOV_OFFICE and update.signed
        assert session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "clerk.update", AuditEvent.subject == document_id)
        )


def test_an_update_removes_a_recipient(office: Office) -> None:
    _add_cao_bang(office)
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN, CAO_BANG]))
    document_id = sent.document_id or ""
    clerk = office.login("vanthu.vpcp")
    page = clerk.get(f"/van-thu/van-ban/{document_id}")
    answer = clerk.post(
        f"/van-thu/van-ban/{document_id}/cap-nhat",
        data={"csrf_token": csrf_of(page.text), "remove": [CAO_BANG]},
    )
    assert answer.status_code == 200, answer.text
    assert "đã bỏ khỏi nơi nhận" in answer.text
    recipients = _recipients(office, document_id)
    assert recipients[CAO_BANG]["removed"] is True
    assert recipients[NGHE_AN]["pending"] == "update"
    removed = office.login("vanthu.caobang").get(f"/van-thu/van-ban/{document_id}")
    assert "Tiếp nhận, vào sổ" not in removed.text


def test_an_update_that_changes_nothing_is_refused_and_nothing_is_sent(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk = office.login("vanthu.vpcp")
    page = clerk.get(f"/van-thu/van-ban/{sent.document_id}")
    before = counts(office.container)
    answer = clerk.post(
        f"/van-thu/van-ban/{sent.document_id}/cap-nhat",
        data={"csrf_token": csrf_of(page.text), "remove": [NGHE_AN]},
    )
    assert answer.status_code == 422
    assert "không còn nơi nhận" in answer.text
    assert counts(office.container) == before


def test_refuses_to_update_or_replace_another_agencys_document_and_stores_nothing(
    office: Office,
) -> None:
    sent = send(office.container, NGHE_AN, document_bytes(NGHE_AN, [GOV_OFFICE]))
    document_id = sent.document_id or ""
    clerk = office.login("vanthu.vpcp")
    page = clerk.get(f"/van-thu/van-ban/{document_id}")
    assert "Cập nhật, thay thế văn bản" not in page.text
    before = counts(office.container)
    answer = clerk.post(
        f"/van-thu/van-ban/{document_id}/cap-nhat",
        data={"csrf_token": csrf_of(page.text), "add": [NGHE_AN], "subject": "Sửa"},
    )
    assert answer.status_code == 403
    assert "Chỉ cơ quan ban hành" in answer.text
    assert clerk.get(f"/van-thu/van-ban/{document_id}/thay-the").status_code == 404
    compose = clerk.get("/van-thu/soan-thao")
    draft = clerk.post(
        "/van-thu/soan-thao",
        data={
            "csrf_token": csrf_of(compose.text),
            "subject": "Thay thế văn bản của cơ quan khác",
            "notation": "VPCP-TTĐT",
            "recipients": [NGHE_AN],
            "replaces": document_id,
        },
        files={"pdf": ("du-thao.pdf", draft_pdf(), "application/pdf")},
    )
    assert draft.status_code == 422
    assert counts(office.container) == before
    clerk_service = office.container.clerk
    assert clerk_service is not None
    user = office.container.accounts.get_user("vanthu.vpcp") if office.container.accounts else None
    assert user is not None
    with pytest.raises(LienthongError) as exc:
        Revisions(clerk_service).update(user, document_id, Update(subject="Sửa"))
    assert exc.value.code is ErrorCode.NOT_YOUR_DOCUMENT
    assert counts(office.container) == before
    with office.container.db.read() as session:
        assert session.scalar(select(func.count()).select_from(DraftRow)) == 0
        assert not session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "clerk.update")
        )


def test_refuses_an_update_without_the_csrf_token_and_changes_nothing(office: Office) -> None:
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk = office.login("vanthu.vpcp")
    before = counts(office.container)
    answer = clerk.post(
        f"/van-thu/van-ban/{sent.document_id}/cap-nhat", data={"subject": "Trích yếu mới"}
    )
    assert answer.status_code == 403
    assert "CSRF_INVALID" in answer.text
    assert counts(office.container) == before
    assert _recipients(office, sent.document_id or "")[NGHE_AN]["pending"] is None


def test_a_replacement_is_signed_then_issued_with_a_new_number_and_marks_the_original_replaced(
    office: Office,
) -> None:
    original = _issue(office, "V/v văn bản sẽ bị thay thế")
    clerk = office.login("vanthu.vpcp")
    page = clerk.get(f"/van-thu/van-ban/{original}")
    assert f'href="/van-thu/van-ban/{original}/thay-the"' in page.text
    form = clerk.get(f"/van-thu/van-ban/{original}/thay-the")
    assert form.status_code == 200
    assert "Dự thảo thay thế văn bản số" in form.text
    assert "V/v văn bản sẽ bị thay thế" in form.text
    answer = clerk.post(
        "/van-thu/soan-thao",
        data={
            "csrf_token": csrf_of(form.text),
            "subject": "V/v văn bản thay thế",
            "notation": "VPCP-TTĐT",
            "type_name": "Công văn",
            "recipients": [NGHE_AN],
            "replaces": original,
        },
        files={"pdf": ("du-thao.pdf", draft_pdf(), "application/pdf")},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    draft_url = answer.headers["location"].split("?")[0]
    # No number before the leader's signature.
    page = clerk.get(draft_url)
    not_signed = clerk.post(draft_url + "/ban-hanh", data={"csrf_token": csrf_of(page.text)})
    assert not_signed.status_code == 422
    assert office.container.exchange.document_view(GOV_OFFICE, original)["state"] == "active"
    leader = office.login("lanhdao.vpcp")
    page = leader.get(draft_url)
    assert "Thay thế văn bản" in page.text
    sign_draft(leader, draft_url)
    page = clerk.get(draft_url)
    issued = clerk.post(
        draft_url + "/ban-hanh", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert issued.status_code == 303, issued.text
    replacement = issued.headers["location"].split("/")[-1].split("?")[0]
    hub = office.container.exchange
    old, new = hub.document_view(GOV_OFFICE, original), hub.document_view(GOV_OFFICE, replacement)
    assert old["state"] == "replaced" and old["replaced_by"] == replacement
    assert new["code_number"] != old["code_number"]
    assert new["edxml_document_id"] != old["edxml_document_id"]
    page = clerk.get(f"/van-thu/van-ban/{original}")
    assert "Đã bị thay thế" in page.text
    assert f'href="/van-thu/van-ban/{replacement}"' in page.text
    assert "Đã bị thay thế" in clerk.get("/van-thu/di").text
    recipient = office.login("vanthu.nghean")
    assert "V/v văn bản thay thế" in recipient.get("/van-thu").text
