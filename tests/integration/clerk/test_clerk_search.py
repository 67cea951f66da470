"""Searching the inbox and the outbox as a clerk types: with or without diacritics, in any
case, by number and notation, by sender or recipient; the same on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx

from tests.integration.clerk.conftest import Office, csrf_of
from tests.support import CAO_BANG, GOV_OFFICE, NGHE_AN, document_bytes, register, send


def _found(client: httpx.Client, path: str, query: str) -> set[str]:
    page = client.get(path, params={"tim": query})
    assert page.status_code == 200, page.text
    return set(re.findall(r'href="/van-thu/van-ban/([0-9a-f]{32})"', page.text))


def _two_documents_to_nghe_an(office: Office) -> tuple[str, str]:
    letter = send(
        office.container,
        GOV_OFFICE,
        document_bytes(
            GOV_OFFICE,
            [NGHE_AN],
            number="01",
            notation="VPCP-TTĐT",
            subject="V/v kết nối, liên thông phần mềm quản lý văn bản",
            type_name="Công văn",
        ),
    )
    decision = send(
        office.container,
        GOV_OFFICE,
        document_bytes(
            GOV_OFFICE,
            [NGHE_AN],
            number="102",
            notation="QĐ-TTg",
            subject="Về đầu tư công trung hạn",
            type_name="Quyết định",
        ),
    )
    return letter.document_id or "", decision.document_id or ""


def test_the_inbox_finds_a_document_typed_without_diacritics_or_in_another_case(
    office: Office,
) -> None:
    letter, decision = _two_documents_to_nghe_an(office)
    clerk = office.login("vanthu.nghean")
    for query in ("cong van", "ket noi", "KẾT NỐI", "Kết nối", "KET NOI", "lien thong phan mem"):
        assert _found(clerk, "/van-thu", query) == {letter}, query
    for query in ("dau tu", "ĐẦU TƯ", "Đầu tư công", "quyet dinh", "QUYẾT ĐỊNH"):
        assert _found(clerk, "/van-thu", query) == {decision}, query
    assert _found(clerk, "/van-thu", "ket noi dau tu") == set()


def test_the_inbox_finds_a_document_by_its_number_and_notation(office: Office) -> None:
    letter, decision = _two_documents_to_nghe_an(office)
    clerk = office.login("vanthu.nghean")
    for query in ("01/VPCP", "01/VPCP-TTĐT", "VPCP", "01/vpcp-ttdt", "VPCP-TTDT", "TTĐT"):
        assert _found(clerk, "/van-thu", query) == {letter}, query
    for query in ("102/QĐ-TTg", "qd-ttg", "102"):
        assert _found(clerk, "/van-thu", query) == {decision}, query


def test_the_inbox_finds_a_document_by_its_senders_name(office: Office) -> None:
    own = send(office.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [GOV_OFFICE]))
    received = send(
        office.container,
        NGHE_AN,
        document_bytes(NGHE_AN, [GOV_OFFICE], number="7", notation="VX", subject="Về lũ lụt"),
    )
    clerk = office.login("vanthu.vpcp")
    for query in ("nghe an", "Nghệ An", "ubnd tinh nghe an", "UBND TỈNH NGHỆ AN"):
        assert _found(clerk, "/van-thu", query) == {received.document_id}, query
    assert _found(clerk, "/van-thu", "van phong chinh phu") == {own.document_id}
    # A renamed agency is found by its new name only.
    office.container.agencies.update(NGHE_AN, name="Ủy ban nhân dân tỉnh Nghệ An")
    assert _found(clerk, "/van-thu", "uy ban nhan dan") == {received.document_id}
    assert _found(clerk, "/van-thu", "ubnd") == set()


def test_the_inbox_finds_an_updated_document_by_its_new_subject(office: Office) -> None:
    letter, _decision = _two_documents_to_nghe_an(office)
    sender = office.login("vanthu.vpcp")
    page = sender.get(f"/van-thu/van-ban/{letter}")
    answer = sender.post(
        f"/van-thu/van-ban/{letter}/cap-nhat",
        data={"csrf_token": csrf_of(page.text), "subject": "Về chuyển đổi số năm 2027"},
    )
    assert answer.status_code == 200, answer.text
    clerk = office.login("vanthu.nghean")
    assert _found(clerk, "/van-thu", "chuyen doi so") == {letter}
    assert _found(clerk, "/van-thu", "ket noi") == set()


def test_the_outbox_searches_number_subject_and_recipient_and_keeps_the_typed_text(
    office: Office,
) -> None:
    register(office.container, CAO_BANG, "UBND tỉnh Cao Bằng")
    letter, _decision = _two_documents_to_nghe_an(office)
    to_cao_bang = send(
        office.container,
        GOV_OFFICE,
        document_bytes(
            GOV_OFFICE, [CAO_BANG], number="15", notation="VPCP-KGVX", subject="Về giáo dục"
        ),
    ).document_id
    clerk = office.login("vanthu.vpcp")
    assert len(_found(clerk, "/van-thu/di", "")) == 3
    for query in ("cao bang", "Cao Bằng", "giao duc", "GIÁO DỤC", "15/VPCP", "kgvx"):
        assert _found(clerk, "/van-thu/di", query) == {to_cao_bang}, query
    assert _found(clerk, "/van-thu/di", "01/VPCP-TTĐT") == {letter}
    assert _found(clerk, "/van-thu/di", "ubnd tinh") == {letter, _decision, to_cao_bang}
    assert _found(clerk, "/van-thu/di", "cao bang ket noi") == set()
    page = clerk.get("/van-thu/di", params={"tim": "Cao Bằng"})
    assert re.search(r'<input[^>]*name="tim"[^>]*value="Cao Bằng"', page.text), page.text
    hostile = clerk.get("/van-thu/di", params={"tim": '"><b>x'})
    assert "&#34;&gt;&lt;b&gt;x" in hostile.text and '"><b>x' not in hostile.text
    nothing = clerk.get("/van-thu/di", params={"tim": "khong co gi"})
    assert "Không có văn bản nào khớp" in nothing.text
