"""Issuance on SQLite and PostgreSQL: signed draft in, number, seal, package on the hub."""

from __future__ import annotations

import inspect
import io
import zipfile
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange import store as hub_store
from lienthong.issuance import store
from lienthong.issuance.model import RegisterKey
from lienthong.issuance.service import IssuanceService
from lienthong.trust.pdf import LEADER_FIELD, ORGANISATION_FIELD, sign_pdf, validate_pdf
from tests.integration.issuance.conftest import Desk, Parties
from tests.support import GOV_OFFICE, NGHE_AN, NOW
from tests.support_pdf import draft_pdf, embedded_font_files, pdf_text, pdf_trust


def signed_draft(parties: Parties, agency: str = GOV_OFFICE, at: datetime = NOW) -> bytes:
    return sign_pdf(draft_pdf(), parties.leaders[agency], at=at - timedelta(minutes=5))


def issue(desk: Desk, pdf: bytes, notation: str = "VPCP-TTĐT", **kw: object):  # type: ignore[no-untyped-def]
    return desk.issuance.issue(
        kw.pop("agency", GOV_OFFICE),  # type: ignore[arg-type]
        pdf,
        notation=notation,
        type_name="Công văn",
        subject="V/v triển khai liên thông văn bản điện tử",
        recipients=[NGHE_AN],
        signer_position="Bộ trưởng, Chủ nhiệm",
        clerk="vanthu.vpcp",
        **kw,  # type: ignore[arg-type]
    )


def ledger(desk: Desk, year: int = 2026) -> list[int]:
    with desk.container.db.read() as session:
        rows = store.issued_in(session, RegisterKey(GOV_OFFICE, year))
        return [r.number for r in rows]


def hub_documents(desk: Desk) -> int:
    with desk.container.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(hub_store.Document)) or 0)


def test_issues_numbers_from_01_seals_and_sends_through_the_hub(
    desk: Desk, parties: Parties
) -> None:
    first = issue(desk, signed_draft(parties))
    second = issue(desk, signed_draft(parties), notation="VPCP-KSTT")
    assert (first.code_number, second.code_number) == ("01", "02")
    assert first.edxml_document_id == f"{GOV_OFFICE},2026/11/20,01/VPCP-TTĐT"
    assert ledger(desk) == [1, 2]
    assert hub_documents(desk) == 2
    with desk.container.db.read() as session:
        document = session.scalars(
            select(hub_store.Document).where(hub_store.Document.code_number == "01")
        ).one()
        assert document.code_notation == "VPCP-TTĐT"
        message = session.get(hub_store.Message, first.message_id)
        assert message is not None and message.signed  # XML-DSig by the organisation
    reports = validate_pdf(first.pdf, pdf_trust(parties.pki, NOW), now=NOW)
    assert [r.field_name for r in reports] == [LEADER_FIELD, ORGANISATION_FIELD]
    assert all(r.valid for r in reports)
    assert reports[1].signer_agency == GOV_OFFICE


def test_the_issued_pdf_prints_its_number_place_date_signer_and_agency_seal(
    desk: Desk, parties: Parties
) -> None:
    draft = sign_pdf(draft_pdf(), parties.leaders[NGHE_AN], at=NOW - timedelta(minutes=5))
    issued = issue(desk, draft, notation="UBND-VP", agency=NGHE_AN)
    text = pdf_text(issued.pdf)
    assert "Số: 01/UBND-VP\n" in text
    assert "Nghệ An, ngày 20 tháng 11 năm 2026\n" in text  # the province, Vietnam's date
    assert "BỘ TRƯỞNG, CHỦ NHIỆM\n" in text  # the position given to issue()
    assert "Nguyễn Đức Trung\n" in text  # the competent certificate's name
    assert "ỦY BAN NHÂN DÂN TỈNH NGHỆ AN\n" in text  # round the seal
    # each stamp embeds its own subset of the regular or the bold face
    assert {name.split("+")[1] for name in embedded_font_files(issued.pdf)} == {
        "DejaVuSerif",
        "DejaVuSerif-Bold",
    }
    reports = validate_pdf(issued.pdf, pdf_trust(parties.pki, NOW), now=NOW, agency=NGHE_AN)
    assert [r.field_name for r in reports] == [LEADER_FIELD, ORGANISATION_FIELD]
    assert all(r.valid for r in reports)
    assert issued.competent.signer_name == "Nguyễn Đức Trung"


def test_the_package_carries_the_sealed_pdf_zipped_as_the_sdk_does(
    desk: Desk, parties: Parties
) -> None:
    issued = issue(desk, signed_draft(parties), attachments={"phu-luc.pdf": draft_pdf()})
    with desk.container.db.read() as session:
        rows = session.execute(
            select(hub_store.Attachment.content_type, hub_store.Attachment.digest)
        ).all()
    assert len(rows) == 2
    found = {}
    for content_type, digest in rows:
        assert content_type == "application/zip"
        with desk.container.blobs.open(digest) as fh:
            data = fh.read()
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            (inner,) = archive.namelist()
            found[inner] = archive.read(inner)
    assert found["01-VPCP-TTDT.pdf"] == issued.pdf
    trust = pdf_trust(parties.pki, NOW)
    (appendix,) = validate_pdf(found["phu-luc.pdf"], trust, now=NOW)
    assert appendix.valid and appendix.field_name == "ChuKyCoQuanPhuLuc"


def test_refuses_an_unsigned_draft_and_numbers_nothing(desk: Desk) -> None:
    with pytest.raises(LienthongError) as refusal:
        issue(desk, draft_pdf())
    assert refusal.value.code is ErrorCode.COMPETENT_SIGNATURE_MISSING
    assert ledger(desk) == []
    assert hub_documents(desk) == 0


def test_refuses_a_draft_signed_by_another_agency(desk: Desk, parties: Parties) -> None:
    with pytest.raises(LienthongError) as refusal:
        issue(desk, signed_draft(parties, NGHE_AN))
    assert refusal.value.code is ErrorCode.COMPETENT_SIGNATURE_INVALID
    assert refusal.value.detail["failed"] == ["signer_agency"]
    assert ledger(desk) == [] and hub_documents(desk) == 0


def test_refuses_a_draft_changed_after_the_competent_signature(
    desk: Desk, parties: Parties
) -> None:
    signed = bytearray(signed_draft(parties))
    at = signed.index(b"trang 1")
    signed[at : at + 7] = b"trang 9"
    with pytest.raises(LienthongError) as refusal:
        issue(desk, bytes(signed))
    assert refusal.value.code is ErrorCode.COMPETENT_SIGNATURE_INVALID
    assert "integrity" in refusal.value.detail["failed"]
    assert ledger(desk) == [] and hub_documents(desk) == 0


def test_refuses_a_secret_document(desk: Desk, parties: Parties) -> None:
    with pytest.raises(LienthongError) as refusal:
        issue(desk, signed_draft(parties), secret=True)
    assert refusal.value.code is ErrorCode.SECRET_DOCUMENT_NOT_EXCHANGEABLE
    assert ledger(desk) == [] and hub_documents(desk) == 0


def test_a_hub_refusal_leaves_no_number_behind(desk: Desk, parties: Parties) -> None:
    issue(desk, signed_draft(parties))
    with pytest.raises(LienthongError) as refusal:
        desk.issuance.issue(
            GOV_OFFICE,
            signed_draft(parties),
            notation="VPCP-TTĐT",
            type_name="Công văn",
            subject="Gửi nhầm địa chỉ",
            recipients=["000.00.00.G99"],
            signer_position="Bộ trưởng",
            clerk="vanthu.vpcp",
        )
    assert refusal.value.code is ErrorCode.RECIPIENT_UNKNOWN
    assert ledger(desk) == [1] and hub_documents(desk) == 1
    assert issue(desk, signed_draft(parties)).number == 2


def test_numbering_rolls_over_at_midnight_vietnam_time_on_1_january(
    desk: Desk, parties: Parties
) -> None:
    eve = datetime(2026, 12, 31, 16, 59, tzinfo=UTC)  # 23:59 on 31 December in Hà Nội
    desk.clock.set(eve)
    desk.issuance.trust = pdf_trust(parties.pki, eve)  # the revocation cache is refreshed daily
    assert issue(desk, signed_draft(parties, at=eve)).code_number == "01"
    assert issue(desk, signed_draft(parties, at=eve), notation="VPCP-KSTT").number == 2
    desk.clock.advance(timedelta(minutes=1))  # 00:00 on 1 January 2027 in Hà Nội, 17:00 UTC
    issued = issue(desk, signed_draft(parties, at=eve + timedelta(minutes=1)))
    assert (issued.year, issued.code_number) == (2027, "01")
    assert issued.edxml_document_id.startswith(f"{GOV_OFFICE},2027/01/01,01/")
    assert ledger(desk, 2026) == [1, 2] and ledger(desk, 2027) == [1]


def test_no_entry_point_gives_a_number_without_a_signed_pdf() -> None:
    # Decree 30 Art. 25(3): numbers are assigned by the system at issuance, never reserved
    # before the competent person signed ("lấy số trước"). The only public use case that
    # yields a number takes the signed PDF; the register is advanced nowhere else.
    public = {name for name in vars(IssuanceService) if not name.startswith("_")}
    assert public == {"issue", "check_competent_signature"}
    assert list(inspect.signature(IssuanceService.issue).parameters)[1:3] == [
        "agency",
        "draft_pdf",
    ]
