"""Forward signatures: made with the hub key, checked against the certificate the directory
lists, over the body digest, the hop list and the targets, within a time window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from lienthong.errors import ErrorCode
from lienthong.federation.signing import (
    ForwardClaims,
    HubSignatureError,
    sign_forward,
    verify_forward,
)
from lienthong.trust.pki import DemoPKI
from lienthong.trust.receipts import ReceiptSigner

NOW = datetime.now(UTC)
WINDOW = timedelta(minutes=5)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    return DemoPKI.create(
        tmp_path_factory.mktemp("pki"),
        agencies=[],
        signers=[],
        hubs=["HUB.A", "HUB.B"],
        ocsp_url="http://127.0.0.1:1/ocsp",
        crl_url="http://127.0.0.1:1/crl",
        now=NOW,
    )


def signer(pki: DemoPKI, hub: str) -> ReceiptSigner:
    folder: Path = pki.out_dir / "hubs" / hub
    return ReceiptSigner.from_files(hub, str(folder / "cert.pem"), str(folder / "key.pem"))


def token(pki: DemoPKI, hub: str = "HUB.A", at: datetime = NOW) -> str:
    return sign_forward(
        signer(pki, hub),
        hub="HUB.A",
        message_id="a" * 32,
        sha256="0" * 64,
        hops=[{"hub": "HUB.A", "at": at.isoformat()}],
        targets=["000.00.05.G15"],
        now=at,
    )


def test_a_forward_signed_with_the_listed_key_verifies(pki: DemoPKI) -> None:
    claims = verify_forward(token(pki), pki.hub("HUB.A").cert_pem.decode(), NOW, WINDOW)
    assert (claims.hub, claims.targets, [h.hub for h in claims.hops]) == (
        "HUB.A",
        ["000.00.05.G15"],
        ["HUB.A"],
    )
    assert ForwardClaims.unverified_hub(token(pki)) == "HUB.A"


def test_a_forward_signed_with_another_hubs_key_is_refused(pki: DemoPKI) -> None:
    with pytest.raises(HubSignatureError) as refused:
        verify_forward(token(pki, "HUB.B"), pki.hub("HUB.A").cert_pem.decode(), NOW, WINDOW)
    assert refused.value.code is ErrorCode.HUB_SIGNATURE_INVALID


def test_a_stale_forward_signature_is_refused(pki: DemoPKI) -> None:
    old = token(pki, at=NOW - timedelta(minutes=10))
    with pytest.raises(HubSignatureError):
        verify_forward(old, pki.hub("HUB.A").cert_pem.decode(), NOW, WINDOW)


def test_a_tampered_forward_signature_is_refused(pki: DemoPKI) -> None:
    header, payload, signature = token(pki).split(".")
    forged = ".".join(
        [header, payload[:-4] + ("AAAA" if payload[-4:] != "AAAA" else "BBBB"), signature]
    )
    with pytest.raises(HubSignatureError):
        verify_forward(forged, pki.hub("HUB.A").cert_pem.decode(), NOW, WINDOW)


def test_a_hub_certificate_past_its_validity_is_refused(pki: DemoPKI) -> None:
    later = NOW + timedelta(days=800)
    with pytest.raises(HubSignatureError):
        verify_forward(token(pki, at=later), pki.hub("HUB.A").cert_pem.decode(), later, WINDOW)


@pytest.mark.parametrize("bad", ["", "a.b", "not-a-jws"])
def test_a_malformed_signature_header_is_refused(bad: str) -> None:
    with pytest.raises(HubSignatureError):
        ForwardClaims.unverified_hub(bad)
