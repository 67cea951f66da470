"""The agency's side in-process: sign what it sends, verify what it receives and the hub's
receipts, retry safely. The gateway (:mod:`lienthong.gateway`) runs the same code as a service.

Incoming checks (Circular 41 Art. 7 / Decree 68/2024 Arts. 30-32, reported one by one):
integrity and signature (``trust.xmldsig``), the signing certificate's path to a trust root
and its validity now (``cryptography.x509.verification``), and that the certificate's UID is
the package's sender (SIGNER_NOT_SENDER). Revocation is the hub's job (it checks OCSP/CRL at
intake, ``trust.policy``); the hub's own verdict travels in the delivery's ``validation``.
"""

from __future__ import annotations

import hashlib
import io
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import ExtensionPolicy, PolicyBuilder, Store, VerificationError

from lienthong.client.rest import HubClient, HubError
from lienthong.edxml import parse_package
from lienthong.errors import ErrorCode, LienthongError
from lienthong.trust.pki import Credential
from lienthong.trust.receipts import Receipt, verify_receipt
from lienthong.trust.xmldsig import PackageSigner, SignatureProblem, verify_package_signature

__all__ = ["IncomingCheck", "SigningClient", "check_incoming"]

# Transient answers worth the same request again (same bytes, same idempotency key).
RETRY_STATUSES = frozenset({502, 503, 504})


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class IncomingCheck:
    """The verdict on a received package: ``ok``, the refusal ``code`` when not, per check."""

    ok: bool
    checks: dict[str, dict[str, str]] = field(default_factory=dict)
    code: str | None = None
    message: str | None = None
    signer: str | None = None

    def fail(self, check: str, code: ErrorCode, message: str) -> IncomingCheck:
        self.checks[check] = {"status": "failed", "message": message}
        if self.ok:
            self.ok, self.code, self.message = False, str(code), message
        return self

    def passed(self, check: str, message: str) -> None:
        self.checks[check] = {"status": "passed", "message": message}

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "code": self.code,
            "message": self.message,
            "signer": self.signer,
            "checks": self.checks,
        }


def _uid(cert: x509.Certificate) -> str | None:
    values = cert.subject.get_attributes_for_oid(NameOID.USER_ID)
    return str(values[0].value) if len(values) == 1 else None


def check_incoming(
    data: bytes, trust_roots: Sequence[x509.Certificate], *, now: datetime
) -> IncomingCheck:
    """Verify a received package's XML signature, its certificate and its sender."""
    result = IncomingCheck(ok=True)
    try:
        verified = verify_package_signature(data, allow_sha1=False)
    except SignatureProblem as problem:
        return result.fail(problem.check, problem.code, problem.message)
    result.passed("integrity", "The package digest matches.")
    result.passed("signature", "The signature verifies with the certificate's key.")
    cert = verified.certificate
    result.signer = cert.subject.rfc4514_string()
    verifier = (
        PolicyBuilder()
        .store(Store(list(trust_roots)))
        .time(now)
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all()
        )
        .build_client_verifier()
    )
    try:
        verifier.verify(cert, list(verified.chain))
    except VerificationError as exc:
        return result.fail("path", ErrorCode.CERTIFICATE_UNTRUSTED, str(exc))
    result.passed("path", "The certificate chains to a trusted root and is valid now.")
    try:
        # Only what the signature covers is trusted (against signature wrapping).
        sender = parse_package(io.BytesIO(verified.signed_data)).sender
    except LienthongError as exc:
        return result.fail("package", exc.code, exc.message)
    if _uid(cert) != sender:
        return result.fail(
            "sender",
            ErrorCode.SIGNER_NOT_SENDER,
            f"The certificate's UID is {_uid(cert)!r}, the package's sender {sender!r}.",
        )
    result.passed("sender", "The certificate belongs to the sending agency.")
    return result


@dataclass(frozen=True)
class Sent:
    """What the hub answered to a signed package, with its verified receipt (if any)."""

    answer: dict[str, Any]
    package_sha256: str
    idempotency_key: str
    receipt: Receipt | None
    attempts: int


class SigningClient(HubClient):
    """A :class:`HubClient` that signs with the agency's credential and verifies everything it
    gets back. ``trust_roots`` judge incoming signatures and the hub's receipts;
    ``require_receipt`` refuses an answer without one (RECEIPT_INVALID)."""

    def __init__(
        self,
        base_url: str,
        credential: Credential,
        trust_roots: Sequence[x509.Certificate],
        *,
        system_id: str,
        secret: str | None = None,
        http: httpx.Client | None = None,
        timeout: float = 60.0,
        retries: int = 4,
        backoff: float = 0.2,
        require_receipt: bool = False,
        now: Callable[[], datetime] = _utc_now,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        # Retries are this class's (send_signed: every transient answer, Retry-After kept).
        super().__init__(
            base_url, system_id, secret, timeout=timeout, http=http, storage_retries=0, sleep=sleep
        )
        self.credential = credential
        self.signer = PackageSigner(credential)
        self.trust_roots = list(trust_roots)
        self.retries = retries
        self.backoff = backoff
        self.require_receipt = require_receipt
        self.now = now

    def sign(self, package: bytes) -> bytes:
        """The package with the agency's XML signature (sign once; retries resend these bytes)."""
        return self.signer.sign(package)

    def send_signed(self, signed: bytes, *, idempotency_key: str | None = None) -> Sent:
        """Send already signed bytes, retrying transport failures and 502/503/504 (among them
        STORAGE_UNAVAILABLE: nothing was stored) with the same bytes and the same idempotency
        key (the hub answers a retry with the original answer), waiting the longer of the
        backoff and the hub's ``Retry-After``; then verify the receipt against the SHA-256 of
        the bytes sent."""
        key = idempotency_key or uuid.uuid4().hex
        digest = hashlib.sha256(signed).hexdigest()
        attempt = 0
        while True:
            attempt += 1
            wait = self.backoff * 2 ** (attempt - 1)
            try:
                answer = self.send(signed, idempotency_key=key)
                break
            except HubError as exc:
                if exc.status not in RETRY_STATUSES or attempt > self.retries:
                    raise
                if exc.retry_after is not None:
                    wait = max(wait, min(exc.retry_after, self.max_retry_wait))
            except httpx.TransportError as exc:
                if attempt > self.retries:
                    raise LienthongError(
                        f"The hub could not be reached: {exc}", code=ErrorCode.HUB_UNAVAILABLE
                    ) from exc
            self.sleep(wait)
        return Sent(answer, digest, key, self.check_receipt(answer, digest), attempt)

    def sign_and_send(self, package: bytes, *, idempotency_key: str | None = None) -> Sent:
        return self.send_signed(self.sign(package), idempotency_key=idempotency_key)

    def check_receipt(self, answer: dict[str, Any], digest: str) -> Receipt | None:
        token = answer.get("receipt")
        if not token:
            if self.require_receipt:
                raise LienthongError(
                    "The hub's answer carries no receipt.", code=ErrorCode.RECEIPT_INVALID
                )
            return None
        receipt = verify_receipt(str(token), self.trust_roots, package_sha256=digest)
        if receipt.message_id != answer.get("message_id") or receipt.sender != self.system_id:
            raise LienthongError(
                "The receipt names another message or sender.", code=ErrorCode.RECEIPT_INVALID
            )
        return receipt

    def receive(self, delivery_id: int) -> tuple[bytes, IncomingCheck]:
        """Fetch a delivery's package and verify it (nothing is acknowledged here)."""
        data = self.fetch(delivery_id)
        return data, check_incoming(data, self.trust_roots, now=self.now())
