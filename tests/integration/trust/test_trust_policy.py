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
    document_bytes,
    register,
    send,
    signed_document_bytes,
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
    report = refused(hub, document_bytes(GOV_OFFICE, [NGHE_AN]), ErrorCode.SIGNATURE_MISSING)
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
        document_bytes(GOV_OFFICE, [NGHE_AN])
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
        document_bytes(GOV_OFFICE, [NGHE_AN])
    )
    refused(container, data, ErrorCode.SIGNATURE_INVALID)


def test_warn_mode_stores_the_report_of_an_unsigned_package_without_refusing(
    db: Database, tmp_path: Any, demo_pki: DemoPKI
) -> None:
    container = container_for(db, tmp_path, trust_policy="warn", trusted_roots=demo_pki.root_path)
    register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    result = send(container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
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
    assert caught.value.code is ErrorCode.SIGNATURE_INVALID
    assert counts(container) == before
