"""The demo remote signing service's use cases: it holds the leaders' keys (from a demo
PKI), answers the CSC API v2 style calls of a hub, and asks the key holder to approve each
signature with a one-time code written to the demo SMS outbox."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding

from lienthong.clock import Clock, as_utc
from lienthong.db import Database
from lienthong.errors import ErrorCode
from lienthong.remotesign import model, store
from lienthong.remotesign.model import RemoteSigningError, RequestState
from lienthong.trust.pki import Credential, DemoPKI

SHA256_OID = "2.16.840.1.101.3.4.2.1"
SHA256_RSA_OID = "1.2.840.113549.1.1.11"
RSA_OID = "1.2.840.113549.1.1.1"


@dataclass(frozen=True)
class Holding:
    """A credential the service keeps, and the user (the hub's login name) who holds it."""

    credential_id: str
    user_id: str
    credential: Credential


class RemoteSigningService:
    """``tokens``: bearer token -> hub client name; ``holdings``: the keys held;
    ``approval_base``: where the phone approval pages are (``{base}/ky-so-tu-xa/yeu-cau/ID``)."""

    def __init__(
        self,
        *,
        db: Database,
        clock: Clock,
        pki: DemoPKI,
        holdings: Sequence[Holding],
        tokens: Mapping[str, str],
        approval_base: str = "",
        name: str = "Dịch vụ ký số từ xa (demo)",
    ) -> None:
        self.db = db
        self.clock = clock
        self.pki = pki
        self.holdings = {h.credential_id: h for h in holdings}
        self.tokens = dict(tokens)
        self.approval_base = approval_base.rstrip("/")
        self.name = name
        # Salts the stored digests of codes and SADs (a restart invalidates pending requests).
        self._salt = secrets.token_hex(16)

    # --- who asks ------------------------------------------------------------------------

    def client_of(self, token: str | None) -> str:
        for known, client in self.tokens.items():
            if token is not None and secrets.compare_digest(token, known):
                return client
        raise RemoteSigningError("A valid bearer token is required.", code=ErrorCode.AUTH_FAILED)

    # --- CSC calls -------------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        return {
            "specs": "2.0.0.2",
            "name": self.name,
            "region": "VN",
            "lang": "vi-VN",
            "authType": ["external"],
            "methods": [
                "credentials/list",
                "credentials/info",
                "credentials/authorize",
                "credentials/authorizeCheck",
                "signatures/signHash",
            ],
        }

    def list_credentials(self, user_id: str) -> list[str]:
        return [h.credential_id for h in self.holdings.values() if h.user_id == user_id]

    def credential_info(self, credential_id: str) -> dict[str, Any]:
        holding = self._holding(credential_id)
        cert = holding.credential.certificate
        chain = [cert, *(holding.credential.chain or (self.pki.intermediate.certificate,))]
        return {
            "description": f"Chữ ký số cá nhân: {_cn(cert)}",
            "key": {
                "status": "enabled",
                "algo": [RSA_OID],
                "len": holding.credential.private_key.key_size,
            },
            "cert": {
                "status": "revoked" if self._revoked(holding) else "valid",
                "certificates": [
                    base64.b64encode(c.public_bytes(Encoding.DER)).decode() for c in chain
                ],
                "issuerDN": cert.issuer.rfc4514_string(),
                "serialNumber": format(cert.serial_number, "x"),
                "subjectDN": cert.subject.rfc4514_string(),
                "validFrom": cert.not_valid_before_utc.isoformat(),
                "validTo": cert.not_valid_after_utc.isoformat(),
            },
            "authMode": "explicit",
            "SCAL": "2",
            "multisign": 1,
        }

    def authorize(
        self, client: str, credential_id: str, hashes_b64: Sequence[str], description: str
    ) -> dict[str, Any]:
        """A signature request for ``hashes_b64`` (SHA-256, base64), waiting for the holder's
        one-time code; the code goes to the demo SMS outbox."""
        holding = self._holding(credential_id)
        if self._revoked(holding):
            raise RemoteSigningError(code=ErrorCode.SIGNER_CERTIFICATE_REVOKED)
        if not hashes_b64 or not all(_is_sha256(h) for h in hashes_b64):
            raise RemoteSigningError(
                "hashes: one or more base64 SHA-256 digests.", code=ErrorCode.REQUEST_INVALID
            )
        now = self.clock.now()
        request_id = secrets.token_hex(16)
        code = "".join(secrets.choice("0123456789") for _ in range(model.CODE_DIGITS))
        auth = model.new_authorisation(
            code=code, salt=self._salt + request_id, hashes=tuple(hashes_b64), now=now
        )
        with self.db.unit_of_work() as session:
            row = store.SignatureRequestRow(
                id=request_id,
                client=client,
                user_id=holding.user_id,
                credential_id=credential_id,
                description=description[:500],
                hashes=list(auth.hashes),
                state=auth.state.value,
                attempts=0,
                code_digest=auth.code_digest,
                created_at=now,
                expires_at=auth.expires_at,
            )
            session.add(row)
            minutes = int(model.CODE_TTL.total_seconds() // 60)
            session.add(
                store.SmsRow(
                    user_id=holding.user_id,
                    request_id=request_id,
                    text=f"Mã xác thực ký số: {code}. Văn bản: {description[:80]}. "
                    f"Mã có hiệu lực {minutes} phút; không cung cấp mã cho người khác.",
                    at=now,
                )
            )
        return {
            "requestID": request_id,
            "expiresIn": int(model.CODE_TTL.total_seconds()),
            "approvalURI": f"{self.approval_base}/ky-so-tu-xa/yeu-cau/{request_id}",
        }

    def authorize_check(self, client: str, request_id: str) -> dict[str, Any]:
        """``{"status": "pending"}``, or ``{"status": "approved", "SAD": ...}`` once; an ended
        request answers its refusal (timeout, locked)."""
        now = self.clock.now()
        sad = f"{request_id}.{secrets.token_urlsafe(32)}"
        with self.db.unit_of_work() as session:
            row = self._request(session, client, request_id)
            auth = store.authorisation(row)
            try:
                issued = model.issue_sad(auth, model.digest(sad, self._salt + row.id), now)
            except RemoteSigningError as exc:
                if exc.code is ErrorCode.REMOTE_SIGNING_PENDING:
                    left = int((auth.expires_at - now).total_seconds())
                    return {"status": "pending", "expiresIn": max(left, 0)}
                raise
            store.save_authorisation(row, issued)
            assert issued.sad_expires_at is not None
            left = int((issued.sad_expires_at - now).total_seconds())
        return {"status": "approved", "SAD": sad, "expiresIn": left}

    def sign_hash(
        self,
        client: str,
        credential_id: str,
        sad: str,
        hashes_b64: Sequence[str],
        hash_algo: str = SHA256_OID,
        sign_algo: str = SHA256_RSA_OID,
    ) -> list[str]:
        """RSA PKCS#1 v1.5 signatures of the approved hashes, once per SAD."""
        if hash_algo != SHA256_OID or sign_algo != SHA256_RSA_OID:
            raise RemoteSigningError(
                "Only SHA-256 with RSA (PKCS#1 v1.5) is offered.", code=ErrorCode.REQUEST_INVALID
            )
        holding = self._holding(credential_id)
        if self._revoked(holding):
            raise RemoteSigningError(code=ErrorCode.SIGNER_CERTIFICATE_REVOKED)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = self._request_by_sad(session, client, credential_id, sad)
            used = model.check_sad(
                store.authorisation(row), sad, tuple(hashes_b64), salt=self._salt + row.id, now=now
            )
            store.save_authorisation(row, used)
            row.decided_at = now
        key = holding.credential.private_key
        return [
            base64.b64encode(
                key.sign(base64.b64decode(h), PKCS1v15(), Prehashed(hashes.SHA256()))
            ).decode()
            for h in hashes_b64
        ]

    # --- the holder's phone --------------------------------------------------------------

    def request_view(self, request_id: str) -> dict[str, Any]:
        """What the approval page shows (never the code)."""
        now = self.clock.now()
        with self.db.read() as session:
            row = store.request(session, request_id)
            if row is None:
                raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_REQUEST_UNKNOWN)
            auth = store.authorisation(row)
            holding = self.holdings.get(row.credential_id)
            return {
                "id": row.id,
                "user_id": row.user_id,
                "description": row.description,
                "client": row.client,
                "signer": _cn(holding.credential.certificate) if holding else "",
                "hashes": [model.hash_summary(h) for h in auth.hashes],
                "state": model.current_state(auth, now).value,
                "created_at": auth.created_at,
                "expires_at": auth.expires_at,
                "attempts_left": model.MAX_ATTEMPTS - auth.attempts,
            }

    def approve(self, request_id: str, code: str) -> model.CodeVerdict:
        """The holder entered ``code`` on the phone page (the verdict's ``error`` says why
        it was refused; a wrong code counts, the last one locks the request)."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = store.request(session, request_id, lock=True)
            if row is None:
                raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_REQUEST_UNKNOWN)
            verdict = model.enter_code(
                store.authorisation(row), code, salt=self._salt + row.id, now=now
            )
            store.save_authorisation(row, verdict.authorisation)
            if verdict.authorisation.state is not RequestState.PENDING:
                row.decided_at = row.decided_at or now
        return verdict

    def outbox(self, user_id: str) -> list[dict[str, Any]]:
        """The demo SMS outbox of ``user_id``, newest first."""
        with self.db.read() as session:
            return [
                {"text": r.text, "at": as_utc(r.at), "request_id": r.request_id}
                for r in store.sms_of(session, user_id)
            ]

    # --- helpers -------------------------------------------------------------------------

    def _holding(self, credential_id: str) -> Holding:
        holding = self.holdings.get(credential_id)
        if holding is None:
            raise RemoteSigningError(
                "No such credential.", code=ErrorCode.REMOTE_SIGNING_REQUEST_UNKNOWN
            )
        return holding

    def _revoked(self, holding: Holding) -> bool:
        return holding.credential.certificate.serial_number in self.pki.revoked()

    def _request(self, session: Any, client: str, request_id: str) -> store.SignatureRequestRow:
        row = store.request(session, request_id, lock=True)
        if row is None or row.client != client:
            raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_REQUEST_UNKNOWN)
        return row

    def _request_by_sad(
        self, session: Any, client: str, credential_id: str, sad: str
    ) -> store.SignatureRequestRow:
        # The SAD names its request: "<request id>.<secret>".
        request_id, _, _secret = sad.partition(".")
        row = store.request(session, request_id, lock=True)
        if row is None or row.client != client or row.credential_id != credential_id:
            raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_SAD_INVALID)
        return row


def _is_sha256(value: str) -> bool:
    try:
        return len(base64.b64decode(value, validate=True)) == hashlib.sha256().digest_size
    except ValueError:
        return False


def _cn(cert: Any) -> str:
    from cryptography.x509.oid import NameOID

    found = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(found[0].value) if found else ""
