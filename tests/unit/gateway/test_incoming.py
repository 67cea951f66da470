"""What the gateway checks on a received package, and how a client certificate names an agency."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from lienthong.client.signing import check_incoming
from lienthong.errors import ErrorCode, LienthongError
from lienthong.trust.pki import DemoPKI
from lienthong.trust.xmldsig import PackageSigner
from lienthong.web.auth import certificate_agency_code
from tests.support import CAO_BANG, NGHE_AN, unsigned_document_bytes

NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    return DemoPKI.create(
        tmp_path_factory.mktemp("pki"),
        agencies=[(NGHE_AN, "UBND tỉnh Nghệ An"), (CAO_BANG, "UBND tỉnh Cao Bằng")],
        signers=[],
        hubs=["hub.national"],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=NOW,
    )


@pytest.fixture(scope="module")
def signed(pki: DemoPKI) -> bytes:
    return PackageSigner(pki.organisation(NGHE_AN)).sign(
        unsigned_document_bytes(NGHE_AN, [CAO_BANG])
    )


def test_accepts_a_package_signed_by_its_sender(pki: DemoPKI, signed: bytes) -> None:
    check = check_incoming(signed, pki.trust_roots(), now=NOW)
    assert check.ok, check.as_dict()
    assert set(check.checks) == {"integrity", "signature", "path", "sender"}


def test_refuses_an_unsigned_package(pki: DemoPKI) -> None:
    check = check_incoming(unsigned_document_bytes(NGHE_AN, [CAO_BANG]), pki.trust_roots(), now=NOW)
    assert not check.ok and check.code == ErrorCode.SIGNATURE_MISSING


def test_refuses_a_package_changed_after_signing(pki: DemoPKI, signed: bytes) -> None:
    tampered = signed.replace(b"VPCP-TT", b"VPCP-XX", 1)
    assert tampered != signed
    check = check_incoming(tampered, pki.trust_roots(), now=NOW)
    assert not check.ok and check.code == ErrorCode.SIGNATURE_INVALID


def test_refuses_a_package_signed_by_another_agency(pki: DemoPKI) -> None:
    package = PackageSigner(pki.organisation(CAO_BANG)).sign(
        unsigned_document_bytes(NGHE_AN, [CAO_BANG])
    )
    check = check_incoming(package, pki.trust_roots(), now=NOW)
    assert not check.ok and check.code == ErrorCode.SIGNER_NOT_SENDER


def test_refuses_a_signature_under_an_untrusted_root(signed: bytes) -> None:
    other = DemoPKI.issue_root("Another root", NOW - timedelta(days=1))
    check = check_incoming(signed, [other.certificate], now=NOW)
    assert not check.ok and check.code == ErrorCode.CERTIFICATE_UNTRUSTED


def test_refuses_a_signature_by_an_expired_certificate(pki: DemoPKI, signed: bytes) -> None:
    check = check_incoming(signed, pki.trust_roots(), now=NOW + timedelta(days=3650))
    assert not check.ok and check.code == ErrorCode.CERTIFICATE_UNTRUSTED


def test_a_client_certificate_names_its_agency_by_uid(pki: DemoPKI) -> None:
    assert certificate_agency_code(pki.organisation(NGHE_AN).certificate) == NGHE_AN


def test_refuses_a_client_certificate_without_uid(pki: DemoPKI) -> None:
    with pytest.raises(LienthongError) as caught:
        certificate_agency_code(pki.hub("hub.national").certificate)
    assert caught.value.code is ErrorCode.AUTH_FAILED


def test_refuses_a_client_certificate_not_for_client_authentication(pki: DemoPKI) -> None:
    server_only = pki.issue_custom(
        common_name="UBND tỉnh Nghệ An",
        agency_code=NGHE_AN,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
        extended_key_usage=(ExtendedKeyUsageOID.SERVER_AUTH,),
    )
    with pytest.raises(LienthongError) as caught:
        certificate_agency_code(server_only.certificate)
    assert caught.value.code is ErrorCode.CLIENT_CERTIFICATE_NOT_FOR_TLS


@pytest.mark.parametrize(
    "usage",
    [
        pytest.param(None, id="no-extended-key-usage"),
        pytest.param((ExtendedKeyUsageOID.EMAIL_PROTECTION,), id="email-protection"),
        pytest.param((ExtendedKeyUsageOID.CODE_SIGNING,), id="code-signing"),
    ],
)
def test_a_personal_signer_certificate_does_not_authenticate_its_agency(
    pki: DemoPKI, usage: tuple[x509.ObjectIdentifier, ...] | None
) -> None:
    """It carries the agency UID, like the organisation certificate, but is not for TLS."""
    signer = pki.issue_custom(
        common_name="Nguyễn Văn An",
        title="Chủ tịch",
        agency_code=NGHE_AN,
        organisation="UBND tỉnh Nghệ An",
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
        extended_key_usage=usage,
    )
    with pytest.raises(LienthongError) as caught:
        certificate_agency_code(signer.certificate)
    assert caught.value.code is ErrorCode.CLIENT_CERTIFICATE_NOT_FOR_TLS
