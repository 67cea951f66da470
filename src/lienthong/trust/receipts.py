"""Signed receipts: the hub's proof that it accepted a package (non-repudiation of receipt).

Every accepted package is answered with a compact JWS (RFC 7515), ``RS256``, whose protected
header carries the hub certificate and its chain (``x5c``, base64 DER, leaf first) and whose
payload is the canonical JSON of::

    {"hub", "message_id", "package_sha256", "received_at", "recipients", "sender"}

Canonical JSON: keys sorted, no whitespace, UTF-8 (non-ASCII kept as is). RSA PKCS#1 v1.5 is
deterministic, so an exact retry of a send gets the very same receipt back.

This follows the signed receipts of EU eDelivery AS4 (a receipt carrying the digest of what was
received) and Decision 28/2018/QĐ-TTg Art. 8 (the sender learns that the hub has the document
only once it really has it). Built with ``cryptography`` only; certificate paths are checked
with ``cryptography.x509.verification``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from lienthong.errors import ErrorCode, LienthongError

__all__ = [
    "Receipt",
    "ReceiptError",
    "ReceiptSigner",
    "canonical_json",
    "check_path",
    "verify_jws",
    "verify_receipt",
]

RECEIPT_TYPE = "lienthong-receipt+jws"
CLAIMS = ("hub", "message_id", "package_sha256", "received_at", "recipients", "sender")


class ReceiptError(LienthongError):
    default_code = ErrorCode.RECEIPT_INVALID


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no insignificant whitespace, UTF-8: the same bytes for the same value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    if not text or not text.isascii():
        raise ReceiptError("A receipt segment is empty or not ASCII.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ReceiptError("A receipt segment is not base64url.") from exc


@dataclass(frozen=True)
class Receipt:
    """The verified claims of a receipt and the hub certificate that signed it."""

    hub: str
    message_id: str
    package_sha256: str
    received_at: str
    recipients: tuple[str, ...]
    sender: str
    certificate: x509.Certificate

    @property
    def received_at_datetime(self) -> datetime:
        return datetime.fromisoformat(self.received_at)


class ReceiptSigner:
    """Signs receipts with the hub's RSA key; load once per process (keys are slow to load)."""

    def __init__(
        self,
        hub: str,
        private_key: rsa.RSAPrivateKey,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate] = (),
    ) -> None:
        if not isinstance(private_key, rsa.RSAPrivateKey):
            raise TypeError("Receipts are signed with RS256: the hub key must be RSA.")
        self.hub = hub
        self.private_key = private_key
        self.certificate = certificate
        x5c = [
            base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode("ascii")
            for c in (certificate, *chain)
        ]
        header = {"alg": "RS256", "typ": RECEIPT_TYPE, "x5c": x5c}
        self._header = _b64url(canonical_json(header))

    @classmethod
    def from_files(
        cls, hub: str, cert_path: str, key_path: str, chain_path: str | None = None
    ) -> ReceiptSigner:
        """The signer from PEM files: the hub certificate (its chain may follow in the same
        file, or come from ``chain_path``) and its unencrypted private key."""
        with open(cert_path, "rb") as fh:
            certs = x509.load_pem_x509_certificates(fh.read())
        chain = list(certs[1:])
        if chain_path:
            with open(chain_path, "rb") as fh:
                chain += x509.load_pem_x509_certificates(fh.read())
        with open(key_path, "rb") as fh:
            key = serialization.load_pem_private_key(fh.read(), password=None)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("Receipts are signed with RS256: the hub key must be RSA.")
        return cls(hub, key, certs[0], chain)

    def sign(
        self,
        *,
        message_id: str,
        package_sha256: str,
        received_at: str,
        sender: str,
        recipients: Sequence[str],
    ) -> str:
        """The compact JWS of a receipt for one accepted package."""
        return self.sign_claims(
            {
                "hub": self.hub,
                "message_id": message_id,
                "package_sha256": package_sha256,
                "received_at": received_at,
                "recipients": list(recipients),
                "sender": sender,
            }
        )

    def sign_claims(self, claims: dict[str, Any]) -> str:
        """A compact JWS (RS256, x5c) over the canonical JSON of any ``claims``."""
        signing_input = f"{self._header}.{_b64url(canonical_json(claims))}"
        signature = self.private_key.sign(
            signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{signing_input}.{_b64url(signature)}"

    def sign_answer(self, answer: dict[str, Any], sender: str) -> str:
        """The receipt for a send answer (``SendResult.as_dict()``)."""
        return self.sign(
            message_id=str(answer["message_id"]),
            package_sha256=str(answer["package_sha256"]),
            received_at=str(answer["received_at"]),
            sender=sender,
            recipients=[str(r) for r in answer["recipients"]],
        )


def _header_and_claims(receipt: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    parts = receipt.strip().split(".")
    if len(parts) != 3:
        raise ReceiptError("A receipt is a compact JWS: three base64url segments.")
    try:
        header = json.loads(_unb64url(parts[0]))
        claims = json.loads(_unb64url(parts[1]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReceiptError("A receipt segment is not JSON.") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ReceiptError("A receipt's header and payload are JSON objects.")
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    return header, claims, signing_input, _unb64url(parts[2])


def _certificates(header: dict[str, Any]) -> list[x509.Certificate]:
    x5c = header.get("x5c")
    if not isinstance(x5c, list) or not x5c or not all(isinstance(c, str) for c in x5c):
        raise ReceiptError("The receipt header carries no x5c certificate chain.")
    try:
        return [x509.load_der_x509_certificate(base64.b64decode(c, validate=True)) for c in x5c]
    except (binascii.Error, ValueError) as exc:
        raise ReceiptError("The receipt's x5c is not a list of DER certificates.") from exc


def verify_jws(token: str) -> tuple[dict[str, Any], list[x509.Certificate]]:
    """The claims of a compact JWS whose RS256 signature verifies with its ``x5c`` leaf, and
    that chain (leaf first). The path to a trust root is NOT checked here."""
    header, claims, signing_input, signature = _header_and_claims(token)
    if header.get("alg") != "RS256":
        raise ReceiptError("Only RS256 receipts are accepted.", detail={"alg": header.get("alg")})
    certs = _certificates(header)
    key = certs[0].public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ReceiptError("The receipt certificate's key is not RSA.")
    try:
        key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise ReceiptError("The receipt's signature does not verify.") from exc
    return claims, certs


def verify_receipt(
    receipt: str,
    trust_roots: Sequence[x509.Certificate],
    *,
    package_sha256: str | None = None,
    at: datetime | None = None,
) -> Receipt:
    """Verify a receipt and return its claims.

    Checks, each refused with RECEIPT_INVALID unless said otherwise: the form (compact JWS,
    ``alg`` exactly ``RS256``: never ``none`` nor a MAC), the RSA signature with the ``x5c``
    leaf's key, every claim present, and, when given, that ``package_sha256`` is the digest of
    the package the caller sent. The certificate path from the leaf to one of ``trust_roots``
    is checked at ``at`` (default: the receipt's own ``received_at``) and refused with
    CERTIFICATE_UNTRUSTED when it does not build.
    """
    claims, certs = verify_jws(receipt)
    leaf = certs[0]
    missing = [name for name in CLAIMS if name not in claims]
    if missing:
        raise ReceiptError("The receipt lacks claims.", detail={"missing": missing})
    recipients = claims["recipients"]
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise ReceiptError("The receipt's recipients are not a list of codes.")
    if package_sha256 is not None and claims["package_sha256"] != package_sha256.lower():
        raise ReceiptError(
            "The receipt names another package digest.",
            detail={"receipt": claims["package_sha256"], "expected": package_sha256},
        )
    try:
        moment = at or datetime.fromisoformat(str(claims["received_at"]))
    except ValueError as exc:
        raise ReceiptError("The receipt's received_at is not an ISO 8601 time.") from exc
    check_path(leaf, certs[1:], trust_roots, moment)
    return Receipt(
        hub=str(claims["hub"]),
        message_id=str(claims["message_id"]),
        package_sha256=str(claims["package_sha256"]),
        received_at=str(claims["received_at"]),
        recipients=tuple(recipients),
        sender=str(claims["sender"]),
        certificate=leaf,
    )


def check_path(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    trust_roots: Sequence[x509.Certificate],
    moment: datetime,
) -> None:
    """The hub certificate chains to a trust root and was valid at ``moment`` (clientAuth EKU:
    hub certificates are issued for TLS both ways, and the client verifier asks for it)."""
    if not trust_roots:
        raise ReceiptError("No trust roots to check the receipt against.")
    verifier = PolicyBuilder().store(Store(list(trust_roots))).time(moment).build_client_verifier()
    try:
        verifier.verify(leaf, list(intermediates))
    except VerificationError as exc:
        raise LienthongError(
            "The receipt's hub certificate does not chain to a trusted root.",
            code=ErrorCode.CERTIFICATE_UNTRUSTED,
            detail={"reason": str(exc), "subject": leaf.subject.rfc4514_string()},
        ) from exc
