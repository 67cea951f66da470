"""PAdES signatures of Decree 30 and their checks (Circular 41 Art. 7), on a real demo PKI."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from lienthong.trust.pdf import (
    ATTACHMENT_FIELD,
    LEADER_FIELD,
    ORGANISATION_FIELD,
    PdfIdentity,
    PdfTrust,
    apply_organisation_signature,
    sign_attachment,
    sign_pdf,
    validate_pdf,
)
from lienthong.trust.pki import DemoPKI
from lienthong.trust.report import CHECKS
from tests.support import GOV_OFFICE, NOW
from tests.support_pdf import draft_pdf, embedded_font_files, make_pki, pdf_text, pdf_trust


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    return make_pki(tmp_path_factory.mktemp("pdf-pki"), NOW)


@pytest.fixture(scope="module")
def trust(pki: DemoPKI) -> PdfTrust:
    return pdf_trust(pki, NOW)


@pytest.fixture(scope="module")
def leader(pki: DemoPKI) -> PdfIdentity:
    return PdfIdentity.from_credential(pki.signer(GOV_OFFICE))


@pytest.fixture(scope="module")
def seal(pki: DemoPKI) -> PdfIdentity:
    return PdfIdentity.from_credential(pki.organisation(GOV_OFFICE))


@pytest.fixture(scope="module")
def issued(leader: PdfIdentity, seal: PdfIdentity) -> bytes:
    signed = sign_pdf(draft_pdf(), leader, at=NOW)
    return apply_organisation_signature(signed, seal, at=NOW, number_notation="05/VPCP-TTĐT")


def test_reports_every_check_of_circular_41_for_both_signatures(
    issued: bytes, trust: PdfTrust
) -> None:
    reports = validate_pdf(issued, trust, now=NOW)
    assert [r.field_name for r in reports] == [LEADER_FIELD, ORGANISATION_FIELD]
    assert all(
        r.check("signer_agency").status == "ok"
        for r in validate_pdf(issued, trust, now=NOW, agency=GOV_OFFICE)
    )
    assert validate_pdf(issued, trust, now=NOW, agency="000.00.00.H41")[0].failed() == [
        "signer_agency"
    ]
    for report in reports:
        assert [c.name for c in report.checks] == list(CHECKS)
        statuses = {c.name: str(c.status) for c in report.checks}
        assert statuses == {
            "signer_agency": "unknown",  # no agency was asked for
            "integrity": "ok",
            "signature": "ok",
            "certificate_validity": "ok",
            "revocation": "ok",
            "path": "ok",
            "key_usage": "ok",
            "signing_time": "warning",  # no time-stamp authority: the signer's claim
        }
        assert report.as_dict()["checks"][0]["label_vi"] == CHECKS["integrity"]
        assert report.as_dict()["format"] == "PAdES"
    assert reports[0].signer_name == "Trần Văn Sơn"
    assert reports[1].signer_agency == GOV_OFFICE


def test_the_seal_overlaps_the_left_third_of_the_leader_signature(issued: bytes) -> None:
    reader = PdfFileReader(io.BytesIO(issued), strict=False)
    rects = {}
    for sig in reader.embedded_signatures:
        widget = sig.sig_field
        if "/Kids" in widget:  # the organisation's signature shows in several places
            widget = widget["/Kids"][0]  # the first: the seal
        rects[sig.field_name] = [float(v) for v in widget["/Rect"]]
    lx1, _ly1, lx2, _ly2 = rects[LEADER_FIELD]
    sx1, _sy1, sx2, _sy2 = rects[ORGANISATION_FIELD]
    assert sx2 == pytest.approx(lx1 + (lx2 - lx1) / 3, abs=1)
    assert sx1 < lx1  # the seal sticks out to the left, as on paper


def test_detects_a_tampered_pdf(issued: bytes, trust: PdfTrust) -> None:
    tampered = bytearray(issued)
    at = tampered.index(b"trang 1")
    tampered[at : at + 7] = b"trang 2"
    reports = validate_pdf(bytes(tampered), trust, now=NOW)
    assert reports and all(r.check("integrity").status == "failed" for r in reports)
    assert not any(r.valid for r in reports)


def test_an_unsigned_pdf_has_no_report(trust: PdfTrust) -> None:
    assert validate_pdf(draft_pdf(), trust, now=NOW) == []


def test_a_signer_from_an_untrusted_root_fails_the_path(trust: PdfTrust) -> None:
    rogue = DemoPKI.issue_root("Rogue CA", NOW)
    (report,) = validate_pdf(
        sign_pdf(draft_pdf(), PdfIdentity.from_credential(rogue), at=NOW), trust, now=NOW
    )
    assert report.check("path").status == "failed"
    assert report.check("signature").status == "ok"


def test_a_revoked_signer_fails_the_revocation_check(tmp_path: Path) -> None:
    pki = make_pki(tmp_path / "pki", NOW)
    signer = pki.signer(GOV_OFFICE)
    pki.revoke(signer.serial, NOW - timedelta(hours=1), x509.ReasonFlags.key_compromise)
    signed = sign_pdf(draft_pdf(), PdfIdentity.from_credential(signer), at=NOW)
    (report,) = validate_pdf(signed, pdf_trust(pki, NOW), now=NOW)
    assert report.check("revocation").status == "failed"
    assert not report.valid


def test_a_certificate_expired_at_signing_time_fails_validity(
    pki: DemoPKI, trust: PdfTrust
) -> None:
    old = pki.issue_custom(
        common_name="Cán bộ đã nghỉ",
        agency_code=GOV_OFFICE,
        not_before=NOW - timedelta(days=30),
        not_after=NOW - timedelta(days=1),
    )
    (report,) = validate_pdf(
        sign_pdf(draft_pdf(), PdfIdentity.from_credential(old), at=NOW), trust, now=NOW
    )
    assert report.check("certificate_validity").status == "failed"


def test_a_certificate_without_signing_usage_fails_key_usage(pki: DemoPKI, trust: PdfTrust) -> None:
    encipher_only = pki.issue_custom(
        common_name="Máy chủ",
        agency_code=GOV_OFFICE,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
        key_usage=("key_encipherment",),
    )
    (report,) = validate_pdf(
        sign_pdf(draft_pdf(), PdfIdentity.from_credential(encipher_only), at=NOW),
        trust,
        now=NOW,
    )
    assert report.check("key_usage").status == "failed"


def test_a_signing_time_in_the_future_fails(leader: PdfIdentity, trust: PdfTrust) -> None:
    signed = sign_pdf(draft_pdf(), leader, at=NOW + timedelta(hours=2))
    (report,) = validate_pdf(signed, trust, now=NOW)
    assert report.check("signing_time").status == "failed"


def test_an_attachment_is_signed_invisibly_with_number_and_time_printed(
    seal: PdfIdentity, trust: PdfTrust
) -> None:
    signed = sign_attachment(draft_pdf(), seal, at=NOW, number=5, notation="VPCP-TTĐT")
    assert "05/VPCP-TTĐT\n2026-11-20T09:00:00+07:00\n" in pdf_text(signed)
    assert [name.split("+")[1] for name in embedded_font_files(signed)] == ["DejaVuSerif"]
    (report,) = validate_pdf(signed, trust, now=NOW)
    assert report.field_name == ATTACHMENT_FIELD and report.valid
    widget = next(iter(PdfFileReader(io.BytesIO(signed)).embedded_signatures)).sig_field
    assert [float(v) for v in widget["/Rect"]] == [0, 0, 0, 0]


def test_threads_sharing_a_new_trust_validate_at_once(pki: DemoPKI) -> None:
    """A hub checks PDFs in several request threads against one shared trust. asn1crypto
    parses lazily and not thread-safely: threads first reaching a shared trust root at once
    used to see half-built objects ("list index out of range": integrity failed)."""
    threads_per_round = 6
    leader = PdfIdentity.from_credential(pki.signer(GOV_OFFICE))
    signed = [
        sign_pdf(draft_pdf(text=f"Cong van {i}"), leader, at=NOW - timedelta(minutes=1))
        for i in range(threads_per_round)
    ]
    failures: list[object] = []

    def check(index: int, trust: PdfTrust, start: threading.Barrier) -> None:
        start.wait()
        try:
            reports = validate_pdf(signed[index], trust, now=NOW, agency=GOV_OFFICE)
            if [r.failed() for r in reports] != [[]]:
                failures.append([r.as_dict() for r in reports])
        except Exception as exc:
            failures.append(exc)

    for _ in range(50):  # each round starts from a trust no thread has read yet
        shared_trust, start = pdf_trust(pki, NOW), threading.Barrier(threads_per_round)
        workers = [
            threading.Thread(target=check, args=(i, shared_trust, start))
            for i in range(threads_per_round)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    assert not failures, failures[:2]


def test_the_issued_pdf_prints_number_date_signer_and_the_seal_names_the_agency(
    leader: PdfIdentity, seal: PdfIdentity, trust: PdfTrust
) -> None:
    signed = sign_pdf(draft_pdf(pages=2), leader, at=NOW)
    issued = apply_organisation_signature(
        signed,
        seal,
        at=NOW,
        number_notation="05/VPCP-TTĐT",
        place_and_date="Hà Nội, ngày 20 tháng 11 năm 2026",
        signer_position="Bộ trưởng, Chủ nhiệm",
        signer_name="Trần Văn Sơn",
    )
    page_1, page_2 = pdf_text(issued).split("Cong van - trang 2\n")
    assert "Số: 05/VPCP-TTĐT\n" in page_1
    assert "Hà Nội, ngày 20 tháng 11 năm 2026\n" in page_1
    # the signature page: the position above, the name below, the seal (agency from the
    # organisation certificate, in capitals round the ring) over them
    assert page_2 == "BỘ TRƯỞNG, CHỦ NHIỆM\n\nTrần Văn Sơn\n\nVĂN PHÒNG CHÍNH PHỦ\n"
    # each text box embeds its own subset of the regular or the bold face
    assert {name.split("+")[1] for name in embedded_font_files(issued)} == {
        "DejaVuSerif",
        "DejaVuSerif-Bold",
    }
    reports = validate_pdf(issued, trust, now=NOW)
    assert [r.field_name for r in reports] == [LEADER_FIELD, ORGANISATION_FIELD]
    assert all(r.valid for r in reports)
    assert "FORM_FILLING" in reports[0].check("integrity").message  # only widgets added


def test_every_part_of_the_organisation_signature_is_a_widget_of_its_one_field(
    issued: bytes,
) -> None:
    reader = PdfFileReader(io.BytesIO(issued), strict=False)
    (organisation,) = [s for s in reader.embedded_signatures if s.field_name == ORGANISATION_FIELD]
    kids = [kid.get_object() for kid in organisation.sig_field["/Kids"]]
    assert len(kids) == 3  # the seal, the number, the date (no signer given)
    assert all(kid["/Subtype"] == "/Widget" and "/AP" in kid for kid in kids)
    assert all(kid["/Parent"].get_object()["/T"] == ORGANISATION_FIELD for kid in kids)
    annots = reader.root["/Pages"]["/Kids"][0]["/Annots"]
    assert annots[-1] == kids[0]  # the seal is painted last, over the rest


def test_the_date_defaults_to_the_issuance_day_in_vietnam_time(
    leader: PdfIdentity, seal: PdfIdentity
) -> None:
    issued = apply_organisation_signature(
        sign_pdf(draft_pdf(), leader, at=NOW), seal, at=NOW, number_notation="01/VPCP-KSTT"
    )
    assert "Ngày 20 tháng 11 năm 2026\n" in pdf_text(issued)
