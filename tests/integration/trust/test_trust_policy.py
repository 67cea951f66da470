"""The hub's trust policy in its send path, on SQLite and PostgreSQL: every check of the
validation report failing on purpose refuses with its code and stores nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange import store
from lienthong.trust.pki import Credential, DemoPKI
from lienthong.trust.xmldsig import PackageSigner
from lienthong.web.container import Container
from tests.support import (
    GOV_OFFICE,
    NGHE_AN,
    NOW,
    container_for,
    counts,
    register,
    send,
    sign_as,
    signed_document_bytes,
    status_bytes,
    unsigned_document_bytes,
)


@pytest.fixture
def hub(db: Database, tmp_path: Any, demo_pki: DemoPKI) -> Iterator[Container]:
    container = container_for(
        db,
        tmp_path,
        clock=FixedClock(NOW),
        trust_policy="enforce",
        trusted_roots=demo_pki.root_path,
    )
    register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    yield container


def refused(container: Container, data: bytes, code: ErrorCode) -> dict[str, Any]:
    before = counts(container)
    with pytest.raises(LienthongError) as caught:
        send(container, GOV_OFFICE, data)
    assert caught.value.code is code, caught.value.message
    assert counts(container) == before
    report: dict[str, Any] = caught.value.detail.get("validation", {})
    return report


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(c for c in report["checks"] if c["name"] == name)
    return found


def stored_report(container: Container, message_id: str) -> dict[str, Any]:
    with container.db.read() as session:
        message = session.scalars(select(store.Message).where(store.Message.id == message_id)).one()
        assert message.validation is not None
        return dict(message.validation)


def custom(pki: DemoPKI, agency: str = GOV_OFFICE, **kw: Any) -> Credential:
    args: dict[str, Any] = {
        "common_name": "Lê Thị Hoa",
        "title": "Phó Chánh Văn phòng",
        "agency_code": agency,
        "not_before": NOW - timedelta(days=1),
        "not_after": NOW + timedelta(days=365),
    }
    return pki.issue_custom(**(args | kw))


def test_accepts_a_package_signed_by_the_senders_leader_and_stores_every_check(
    hub: Container, demo_pki: DemoPKI
) -> None:
    data = signed_document_bytes(demo_pki.signer(GOV_OFFICE), GOV_OFFICE, [NGHE_AN])
    result = send(hub, GOV_OFFICE, data)
    report = stored_report(hub, result.message_id)
    assert report["overall"] == "ok"
    assert [c["status"] for c in report["checks"]] == ["ok"] * 8
    assert check(report, "revocation")["detail"]["source"] == "ocsp"
    assert report["signer"]["agency"] == GOV_OFFICE
    assert report["signer"]["common_name"] == "Trần Văn Sơn"
    assert check(report, "path")["label_vi"] == "Chuỗi chứng thực đến CA gốc tin cậy"


def test_accepts_the_organisation_certificate_too(hub: Container, demo_pki: DemoPKI) -> None:
    data = signed_document_bytes(demo_pki.organisation(GOV_OFFICE), GOV_OFFICE, [NGHE_AN])
    assert send(hub, GOV_OFFICE, data).message_id


def test_refuses_an_unsigned_package(hub: Container) -> None:
    report = refused(
        hub, unsigned_document_bytes(GOV_OFFICE, [NGHE_AN]), ErrorCode.SIGNATURE_MISSING
    )
    assert check(report, "signature")["status"] == "failed"


def test_refuses_a_tampered_package(hub: Container, demo_pki: DemoPKI) -> None:
    data = signed_document_bytes(demo_pki.signer(GOV_OFFICE), GOV_OFFICE, [NGHE_AN])
    tampered = data.replace("kết nối".encode(), "hủy bỏ".encode(), 1)
    assert tampered != data
    report = refused(hub, tampered, ErrorCode.SIGNATURE_INVALID)
    assert check(report, "integrity")["status"] == "failed"


def test_refuses_a_forged_signature_value(hub: Container, demo_pki: DemoPKI) -> None:
    # Signed by one key, while KeyInfo shows the leader's certificate.
    impostor = custom(demo_pki)
    data = signed_document_bytes(
        Credential(
            demo_pki.signer(GOV_OFFICE).certificate,
            impostor.private_key,
            demo_pki.signer(GOV_OFFICE).chain,
        ),
        GOV_OFFICE,
        [NGHE_AN],
    )
    report = refused(hub, data, ErrorCode.SIGNATURE_INVALID)
    assert check(report, "signature")["status"] == "failed"


def test_refuses_an_expired_signer(hub: Container, demo_pki: DemoPKI) -> None:
    expired = custom(
        demo_pki, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=1)
    )
    report = refused(
        hub,
        signed_document_bytes(expired, GOV_OFFICE, [NGHE_AN]),
        ErrorCode.CERTIFICATE_EXPIRED,
    )
    assert check(report, "certificate_validity")["detail"]["state"] == "expired"


def test_a_signer_that_expired_before_the_intermediate_was_issued_is_expired_not_untrusted(
    hub: Container, demo_pki: DemoPKI
) -> None:
    """Issue 18 item 15: the path was judged at the leaf's last valid moment, when the demo
    intermediate (made a day before NOW) was not valid yet, so an expired signer read as
    CERTIFICATE_UNTRUSTED."""
    assert demo_pki.intermediate.certificate.not_valid_before_utc > NOW - timedelta(days=30)
    expired = custom(
        demo_pki, not_before=NOW - timedelta(days=400), not_after=NOW - timedelta(days=30)
    )
    report = refused(
        hub,
        signed_document_bytes(expired, GOV_OFFICE, [NGHE_AN]),
        ErrorCode.CERTIFICATE_EXPIRED,
    )
    assert check(report, "path")["status"] == "ok"
    assert check(report, "certificate_validity")["detail"]["state"] == "expired"


def test_an_expired_signer_under_an_untrusted_root_is_still_untrusted(
    hub: Container, demo_pki: DemoPKI
) -> None:
    other_root = DemoPKI.issue_root("CA giả mạo", NOW - timedelta(days=500))
    expired = custom(
        demo_pki,
        issuer=other_root,
        not_before=NOW - timedelta(days=400),
        not_after=NOW - timedelta(days=30),
    )
    report = refused(
        hub,
        signed_document_bytes(expired, GOV_OFFICE, [NGHE_AN]),
        ErrorCode.CERTIFICATE_UNTRUSTED,
    )
    assert check(report, "path")["status"] == "failed"


def test_refuses_a_signer_not_yet_valid(hub: Container, demo_pki: DemoPKI) -> None:
    early = custom(demo_pki, not_before=NOW + timedelta(days=2))
    report = refused(
        hub, signed_document_bytes(early, GOV_OFFICE, [NGHE_AN]), ErrorCode.CERTIFICATE_EXPIRED
    )
    assert check(report, "certificate_validity")["detail"]["state"] == "not_yet_valid"


def test_refuses_a_signer_revoked_per_ocsp(hub: Container, demo_pki: DemoPKI) -> None:
    revoked = custom(demo_pki)
    demo_pki.revoke(revoked.serial, NOW - timedelta(hours=1), "keyCompromise")
    report = refused(
        hub, signed_document_bytes(revoked, GOV_OFFICE, [NGHE_AN]), ErrorCode.CERTIFICATE_REVOKED
    )
    assert check(report, "revocation")["detail"]["source"] == "ocsp"


def test_refuses_a_signer_revoked_per_crl_when_ocsp_does_not_answer(
    hub: Container, demo_pki: DemoPKI
) -> None:
    from tests.hub_process import free_port

    dead = f"http://127.0.0.1:{free_port()}/ocsp"
    revoked = custom(demo_pki, ocsp_url=dead)
    demo_pki.revoke(revoked.serial, NOW - timedelta(hours=1), "cessationOfOperation")
    report = refused(
        hub, signed_document_bytes(revoked, GOV_OFFICE, [NGHE_AN]), ErrorCode.CERTIFICATE_REVOKED
    )
    assert check(report, "revocation")["detail"]["source"] == "crl"


def test_refuses_a_signer_under_an_untrusted_root(hub: Container, demo_pki: DemoPKI) -> None:
    other_root = DemoPKI.issue_root("CA giả mạo", NOW)
    stranger = custom(demo_pki, issuer=other_root)
    report = refused(
        hub,
        signed_document_bytes(stranger, GOV_OFFICE, [NGHE_AN]),
        ErrorCode.CERTIFICATE_UNTRUSTED,
    )
    assert check(report, "path")["status"] == "failed"


def test_refuses_a_certificate_not_for_signing(hub: Container, demo_pki: DemoPKI) -> None:
    encipher_only = custom(demo_pki, key_usage=("key_encipherment",))
    report = refused(
        hub,
        signed_document_bytes(encipher_only, GOV_OFFICE, [NGHE_AN]),
        ErrorCode.CERTIFICATE_USAGE_INVALID,
    )
    assert check(report, "key_usage")["status"] == "failed"


def test_refuses_a_signer_of_another_agency(hub: Container, demo_pki: DemoPKI) -> None:
    data = signed_document_bytes(demo_pki.signer(NGHE_AN), GOV_OFFICE, [NGHE_AN])
    report = refused(hub, data, ErrorCode.SIGNER_NOT_SENDER)
    assert check(report, "signer_agency")["detail"]["certificate_agency"] == NGHE_AN


def test_accepts_a_legacy_sha1_signature_with_a_warning(hub: Container, demo_pki: DemoPKI) -> None:
    data = PackageSigner(demo_pki.signer(GOV_OFFICE), legacy_sha1=True).sign(
        unsigned_document_bytes(GOV_OFFICE, [NGHE_AN])
    )
    report = stored_report(hub, send(hub, GOV_OFFICE, data).message_id)
    assert check(report, "signature")["status"] == "warning"
    assert report["overall"] == "warning"


def test_refuses_legacy_sha1_when_not_allowed(
    db: Database, tmp_path: Any, demo_pki: DemoPKI
) -> None:
    container = container_for(
        db,
        tmp_path,
        trust_policy="enforce",
        trusted_roots=demo_pki.root_path,
        allow_sha1_legacy=False,
    )
    register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    data = PackageSigner(demo_pki.signer(GOV_OFFICE), legacy_sha1=True).sign(
        unsigned_document_bytes(GOV_OFFICE, [NGHE_AN])
    )
    refused(container, data, ErrorCode.SIGNATURE_INVALID)


def test_warn_mode_stores_the_report_of_an_unsigned_package_without_refusing(
    db: Database, tmp_path: Any, demo_pki: DemoPKI
) -> None:
    container = container_for(db, tmp_path, trust_policy="warn", trusted_roots=demo_pki.root_path)
    register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    result = send(container, GOV_OFFICE, unsigned_document_bytes(GOV_OFFICE, [NGHE_AN]))
    report = stored_report(container, result.message_id)
    assert report["would_refuse"] == "SIGNATURE_MISSING"
    assert report["overall"] == "failed"


def test_refuses_the_sample_packages_whose_signatures_are_bogus(
    db: Database, tmp_path: Any, demo_pki: DemoPKI, samples_dir: Any
) -> None:
    container = container_for(
        db, tmp_path, trust_policy="enforce", trusted_roots=demo_pki.root_path
    )
    register(container, "000.00.00.A80")
    register(container, "28.22.H17")
    data = (samples_dir / "edoc_new.edxml").read_bytes()
    before = counts(container)
    with pytest.raises(LienthongError) as caught:
        send(container, "000.00.00.A80", data)
    assert caught.value.code is ErrorCode.SIGNATURE_NOT_XMLDSIG
    assert counts(container) == before


def test_accepts_the_sample_packages_under_warn_and_reports_the_namespace_exactly(
    db: Database, tmp_path: Any, demo_pki: DemoPKI, samples_dir: Any
) -> None:
    container = container_for(db, tmp_path, trust_policy="warn", trusted_roots=demo_pki.root_path)
    register(container, "000.00.00.A80")
    register(container, "28.22.H17")
    result = send(container, "000.00.00.A80", (samples_dir / "edoc_new.edxml").read_bytes())
    report = stored_report(container, result.message_id)
    assert report["would_refuse"] == "SIGNATURE_NOT_XMLDSIG"
    assert "edXML namespace" in check(report, "signature")["message"]


# -- by message kind (Decision 28/2018 requires the signature on documents) ------------------


def _sent_document(container: Container) -> str:
    sent = send(
        container, GOV_OFFICE, sign_as(GOV_OFFICE, unsigned_document_bytes(GOV_OFFICE, [NGHE_AN]))
    )
    assert sent.edxml_document_id
    return sent.edxml_document_id


def test_an_unsigned_status_package_is_accepted_under_enforce_and_reported(hub: Container) -> None:
    document_id = _sent_document(hub)
    result = send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, document_id, "03"))
    report = stored_report(hub, result.message_id)
    assert check(report, "signature")["status"] == "warning"
    assert "would_refuse" not in report


def test_a_signed_status_package_is_verified_and_refused_when_its_signature_fails(
    hub: Container,
) -> None:
    document_id = _sent_document(hub)
    status = status_bytes(NGHE_AN, GOV_OFFICE, document_id, "03")
    good = send(hub, NGHE_AN, sign_as(NGHE_AN, status))
    assert check(stored_report(hub, good.message_id), "signature")["status"] == "ok"
    # Signed by another agency than its sender.
    refused_as(hub, NGHE_AN, sign_as(GOV_OFFICE, status), ErrorCode.SIGNER_NOT_SENDER)
    # Altered after signing.
    altered = sign_as(NGHE_AN, status).replace(
        b"Tr\xe1\xba\xa1ng th\xc3\xa1i 03", b"Tr\xe1\xba\xa1ng th\xc3\xa1i 06"
    )
    assert altered != sign_as(NGHE_AN, status)
    refused_as(hub, NGHE_AN, altered, ErrorCode.SIGNATURE_INVALID)


def test_unsigned_status_packages_are_refused_when_the_setting_requires_signed_statuses(
    db: Database, tmp_path: Any
) -> None:
    container = container_for(db, tmp_path, trust_require_signed_status=True)
    register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    document_id = _sent_document(container)
    status = status_bytes(NGHE_AN, GOV_OFFICE, document_id, "03")
    refused_as(container, NGHE_AN, status, ErrorCode.SIGNATURE_MISSING)
    send(container, NGHE_AN, sign_as(NGHE_AN, status))


@pytest.mark.parametrize("kind", ["revoke", "update", "replace"])
def test_unsigned_revoke_update_and_replace_documents_are_refused(
    hub: Container, kind: str
) -> None:
    sent = send(
        hub, GOV_OFFICE, sign_as(GOV_OFFICE, unsigned_document_bytes(GOV_OFFICE, [NGHE_AN]))
    )
    data = unsigned_document_bytes(GOV_OFFICE, [NGHE_AN], **_kind_args(kind, sent))
    refused_as(hub, GOV_OFFICE, data, ErrorCode.SIGNATURE_MISSING)
    send(hub, GOV_OFFICE, sign_as(GOV_OFFICE, data))  # the same package signed passes


def refused_as(container: Container, agency: str, data: bytes, code: ErrorCode) -> None:
    before = counts(container)
    with pytest.raises(LienthongError) as caught:
        send(container, agency, data)
    assert caught.value.code is code, caught.value.message
    assert counts(container) == before


def _kind_args(kind: str, sent: Any) -> dict[str, Any]:
    from lienthong.edxml.model import ReplacementInfo

    target = sent.edxml_document_id
    if kind == "revoke":
        return {"bussiness_doc_type": 1, "target_document_id": target, "document_id": target}
    if kind == "update":
        return {
            "bussiness_doc_type": 2,
            "target_document_id": target,
            "document_id": target,
            "subject": "V/v cập nhật",
        }
    return {
        "bussiness_doc_type": 3,
        "number": "202",
        "replacements": [ReplacementInfo(document_id=target, organ_ids=(NGHE_AN,))],
    }
