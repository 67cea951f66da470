"""The clerk's forms keep what was typed when they are refused or searched, over real HTTP on
SQLite and PostgreSQL: the compose form (fields, recipients ticked, the recipient search and
the PDF, which a browser never fills again) and the update form of a sent document."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from lienthong.clerk.store import DraftRow
from tests.integration.clerk.conftest import Office, csrf_of
from tests.integration.clerk.test_clerk_revisions import _add_cao_bang
from tests.page_text import assert_reads_vietnamese
from tests.support import CAO_BANG, GOV_OFFICE, NGHE_AN, counts, document_bytes, send
from tests.support_pdf import draft_pdf

TYPED = {
    "subject": "V/v tổng kết công tác văn thư năm 2026",
    "notation": "VPCP-HC",
    "type_name": "Báo cáo",
    "signer_position": "Phó Chủ nhiệm",
    "priority": "2",
}


def _drafts(office: Office) -> int:
    with office.container.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(DraftRow)) or 0)


def _checked(page: str, name: str) -> set[str]:
    return set(re.findall(rf'name="{name}" value="([^"]+)" checked', page))


def _kept_token(page: str) -> str:
    found = re.search(r'name="tep_giu" value="([^"]+)"', page)
    assert found, "the form keeps the PDF sent with it"
    return html.unescape(found.group(1))


def test_a_refused_compose_comes_back_with_everything_typed_and_the_pdf_kept(
    office: Office,
) -> None:
    clerk = office.login("vanthu.vpcp")
    compose = clerk.get("/van-thu/soan-thao")
    before, drafts = counts(office.container), _drafts(office)
    sent_pdf = draft_pdf()
    refused = clerk.post(
        "/van-thu/soan-thao",
        data={"csrf_token": csrf_of(compose.text), **TYPED, "tim_noi_nhan": "nghe an"},
        files={"pdf": ("bao-cao-tong-ket.pdf", sent_pdf, "application/pdf")},
    )  # no recipient ticked
    assert refused.status_code == 422
    text = assert_reads_vietnamese(refused.text)
    assert "Cần ít nhất một nơi nhận; chưa lưu dự thảo." in text
    page = refused.text
    assert f">{TYPED['subject']}</textarea>" in page
    for field in ("notation", "type_name", "signer_position"):
        assert f'name="{field}"' in page and f'value="{TYPED[field]}"' in page, field
    assert '<option value="2" selected>' in page
    assert 'name="tim_noi_nhan" type="search" value="nghe an"' in page
    assert "Đã giữ tệp dự thảo bao-cao-tong-ket.pdf" in text
    assert counts(office.container) == before and _drafts(office) == drafts

    # Sent again with a recipient and no file: the kept PDF makes the draft.
    again = clerk.post(
        "/van-thu/soan-thao",
        data={
            "csrf_token": csrf_of(page),
            **TYPED,
            "recipients": [NGHE_AN],
            "tep_giu": _kept_token(page),
            "ten_tep_giu": "bao-cao-tong-ket.pdf",
        },
        follow_redirects=False,
    )
    assert again.status_code == 303, again.text
    assert _drafts(office) == drafts + 1
    draft_id = int(again.headers["location"].split("/")[-1].split("?")[0])
    pdf = clerk.get(f"/van-thu/du-thao/{draft_id}/pdf")
    assert pdf.content == sent_pdf


def test_a_kept_pdf_is_only_for_the_user_it_was_kept_for(office: Office) -> None:
    clerk = office.login("vanthu.vpcp")
    compose = clerk.get("/van-thu/soan-thao")
    refused = clerk.post(
        "/van-thu/soan-thao",
        data={"csrf_token": csrf_of(compose.text), **TYPED},
        files={"pdf": ("du-thao.pdf", draft_pdf(), "application/pdf")},
    )
    token = _kept_token(refused.text)
    other = office.login("vanthu.nghean")
    page = other.get("/van-thu/soan-thao")
    drafts = _drafts(office)
    answer = other.post(
        "/van-thu/soan-thao",
        data={
            "csrf_token": csrf_of(page.text),
            **TYPED,
            "recipients": [GOV_OFFICE],
            "tep_giu": token,
        },
    )
    assert answer.status_code == 422
    assert "Cần tệp PDF dự thảo; chưa lưu dự thảo." in assert_reads_vietnamese(answer.text)
    assert _drafts(office) == drafts


def test_the_recipient_search_inside_the_form_keeps_fields_and_ticked_recipients(
    office: Office,
) -> None:
    _add_cao_bang(office)
    clerk = office.login("vanthu.vpcp")
    compose = clerk.get("/van-thu/soan-thao")
    before, drafts = counts(office.container), _drafts(office)
    searched = clerk.post(
        "/van-thu/soan-thao",
        data={
            "csrf_token": csrf_of(compose.text),
            **TYPED,
            "recipients": [NGHE_AN],
            "tim_noi_nhan": "cao bang",
            "hanh_dong": "tim",
        },
    )
    assert searched.status_code == 200
    page = searched.text
    assert f">{TYPED['subject']}</textarea>" in page
    assert 'value="cao bang"' in page
    # Nghệ An, ticked before the search and not in its results, stays ticked; Cao Bằng is found.
    assert _checked(page, "recipients") == {NGHE_AN}
    assert f'value="{CAO_BANG}"' in page
    assert page.count(f'value="{NGHE_AN}"') == 1
    assert counts(office.container) == before and _drafts(office) == drafts


def test_a_refused_update_comes_back_with_what_was_typed(office: Office) -> None:
    _add_cao_bang(office)
    sent = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    clerk = office.login("vanthu.vpcp")
    url = f"/van-thu/van-ban/{sent.document_id}"
    page = clerk.get(url)
    searched = clerk.post(
        f"{url}/cap-nhat",
        data={
            "csrf_token": csrf_of(page.text),
            "subject": "V/v trích yếu đang sửa dở",
            "due_date": "2026-12-31",
            "add": [CAO_BANG],
            "tim_noi_nhan": "khong co co quan nao",
            "hanh_dong": "tim",
        },
    )
    assert searched.status_code == 200
    assert ">V/v trích yếu đang sửa dở</textarea>" in searched.text
    assert 'value="2026-12-31"' in searched.text
    assert _checked(searched.text, "add") == {CAO_BANG}
    before = counts(office.container)
    refused = clerk.post(  # removing the only recipient leaves the document without any
        f"{url}/cap-nhat",
        data={
            "csrf_token": csrf_of(page.text),
            "subject": "V/v trích yếu đang sửa dở",
            "remove": [NGHE_AN],
        },
    )
    assert refused.status_code == 422
    assert_reads_vietnamese(refused.text)
    assert ">V/v trích yếu đang sửa dở</textarea>" in refused.text
    assert _checked(refused.text, "remove") == {NGHE_AN}
    assert counts(office.container) == before
