"""The hub's signed receipts: what verifies, and every way a receipt is refused."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lienthong.errors import ErrorCode, LienthongError
from lienthong.trust.pki import DemoPKI
from lienthong.trust.receipts import ReceiptSigner, verify_receipt

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
DIGEST = hashlib.sha256(b"<edXMLEnvelope/>").hexdigest()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    return DemoPKI.create(
        tmp_path_factory.mktemp("pki"),
        agencies=[("000.00.00.H41", "UBND tỉnh Nghệ An")],
        signers=[],
        hubs=["hub.national"],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=NOW,
    )


@pytest.fixture(scope="module")
def signer(pki: DemoPKI) -> ReceiptSigner:
    hub = pki.hub("hub.national")
    return ReceiptSigner("000.00.00.G22", hub.private_key, hub.certificate, hub.chain)


def receipt(signer: ReceiptSigner, digest: str = DIGEST) -> str:
    return signer.sign(
        message_id="9f1c",
        package_sha256=digest,
        received_at=NOW.isoformat(),
        sender="000.00.00.H41",
        recipients=["000.00.00.G12", "000.00.00.H14"],
    )


def segments(token: str) -> list[str]:
    return token.split(".")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_a_receipt_verifies_and_names_the_package(pki: DemoPKI, signer: ReceiptSigner) -> None:
    verified = verify_receipt(receipt(signer), pki.trust_roots(), package_sha256=DIGEST)
    assert verified.package_sha256 == DIGEST
    assert verified.sender == "000.00.00.H41" and verified.hub == "000.00.00.G22"
    assert verified.recipients == ("000.00.00.G12", "000.00.00.H14")
    assert verified.received_at_datetime == NOW
    assert verified.certificate == pki.hub("hub.national").certificate


def test_the_same_answer_gets_the_same_receipt(signer: ReceiptSigner) -> None:
    assert receipt(signer) == receipt(signer)


def test_refuses_a_receipt_whose_digest_was_tampered(pki: DemoPKI, signer: ReceiptSigner) -> None:
    header, payload, signature = segments(receipt(signer))
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["package_sha256"] = hashlib.sha256(b"another package").hexdigest()
    forged = ".".join([header, b64(json.dumps(claims).encode()), signature])
    with pytest.raises(LienthongError) as caught:
        verify_receipt(forged, pki.trust_roots())
    assert caught.value.code is ErrorCode.RECEIPT_INVALID


def test_refuses_a_receipt_for_another_package(pki: DemoPKI, signer: ReceiptSigner) -> None:
    with pytest.raises(LienthongError) as caught:
        verify_receipt(
            receipt(signer), pki.trust_roots(), package_sha256=hashlib.sha256(b"x").hexdigest()
        )
    assert caught.value.code is ErrorCode.RECEIPT_INVALID


def test_refuses_an_unsigned_receipt(pki: DemoPKI, signer: ReceiptSigner) -> None:
    header, payload, _signature = segments(receipt(signer))
    head = json.loads(base64.urlsafe_b64decode(header + "=="))
    head["alg"] = "none"
    with pytest.raises(LienthongError) as caught:
        verify_receipt(f"{b64(json.dumps(head).encode())}.{payload}.", pki.trust_roots())
    assert caught.value.code is ErrorCode.RECEIPT_INVALID


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c", "!!.??.--", "e30.e30.e30"])
def test_refuses_a_malformed_receipt(pki: DemoPKI, token: str) -> None:
    with pytest.raises(LienthongError) as caught:
        verify_receipt(token, pki.trust_roots())
    assert caught.value.code is ErrorCode.RECEIPT_INVALID


def test_refuses_a_receipt_signed_under_another_root(
    pki: DemoPKI, signer: ReceiptSigner, tmp_path: Path
) -> None:
    other_root = DemoPKI.issue_root("Another root", NOW - timedelta(days=1))
    impostor = pki.issue_custom(
        common_name="hub.national",
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=30),
        issuer=other_root,
        key_usage=("digital_signature", "key_encipherment"),
        dns_names=("localhost",),
    )
    forged = ReceiptSigner("000.00.00.G22", impostor.private_key, impostor.certificate)
    with pytest.raises(LienthongError) as caught:
        verify_receipt(receipt(forged), pki.trust_roots())
    assert caught.value.code is ErrorCode.CERTIFICATE_UNTRUSTED


def test_refuses_a_receipt_from_an_expired_hub_certificate(
    pki: DemoPKI, signer: ReceiptSigner
) -> None:
    with pytest.raises(LienthongError) as caught:
        verify_receipt(receipt(signer), pki.trust_roots(), at=NOW + timedelta(days=3650))
    assert caught.value.code is ErrorCode.CERTIFICATE_UNTRUSTED
