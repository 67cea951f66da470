"""The leader signs through a remote signing service (CSC API v2 style): the hub never holds
the key. The PDF is prepared here with the leader's certificate (``credentials/info``), the
hash of its signed attributes goes to ``credentials/authorize``; once the leader approved on
the phone, ``credentials/authorizeCheck`` hands the SAD, ``signatures/signHash`` the signature
value, and pyHanko embeds it (:func:`lienthong.trust.pdf.finish_signature`)."""

from __future__ import annotations

import base64
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import NameOID

from lienthong.accounts.model import User
from lienthong.errors import ErrorCode
from lienthong.remotesign.model import RemoteSigningError
from lienthong.trust.pdf import PreparedSignature, finish_signature, prepare_signature

SHA256_OID = "2.16.840.1.101.3.4.2.1"
SHA256_RSA_OID = "1.2.840.113549.1.1.11"


class CscClient:
    """The calls of a CSC API v2 style service at ``base_url`` (``.../csc/v2``), with the
    hub's bearer token. A refusal of the service raises its code; no answer (or an answer
    that is not the protocol's) raises REMOTE_SIGNING_UNAVAILABLE."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.transport = transport

    def post(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as http:
                answer = http.post(
                    f"{self.base_url}/{method}",
                    json=body,
                    headers={"Authorization": f"Bearer {self.token}"},
                )
            data = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise RemoteSigningError(
                f"The remote signing service did not answer {method}: {exc}",
                code=ErrorCode.REMOTE_SIGNING_UNAVAILABLE,
            ) from exc
        if not isinstance(data, dict):
            raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_UNAVAILABLE)
        if answer.status_code >= 400 or "error" in data:
            raise _refusal(data)
        return data

    def credentials(self, user_id: str) -> list[str]:
        found = self.post("credentials/list", {"userID": user_id}).get("credentialIDs")
        return [str(c) for c in found] if isinstance(found, list) else []

    def credential_info(self, credential_id: str) -> dict[str, Any]:
        return self.post(
            "credentials/info", {"credentialID": credential_id, "certificates": "chain"}
        )

    def authorize(
        self, credential_id: str, hashes_b64: list[str], description: str
    ) -> dict[str, Any]:
        return self.post(
            "credentials/authorize",
            {
                "credentialID": credential_id,
                "numSignatures": len(hashes_b64),
                "hashes": hashes_b64,
                "hashAlgorithmOID": SHA256_OID,
                "description": description,
            },
        )

    def authorize_check(self, request_id: str) -> dict[str, Any]:
        return self.post("credentials/authorizeCheck", {"requestID": request_id})

    def sign_hash(self, credential_id: str, sad: str, hashes_b64: list[str]) -> list[str]:
        found = self.post(
            "signatures/signHash",
            {
                "credentialID": credential_id,
                "SAD": sad,
                "hashes": hashes_b64,
                "hashAlgorithmOID": SHA256_OID,
                "signAlgo": SHA256_RSA_OID,
            },
        ).get("signatures")
        if not isinstance(found, list) or len(found) != len(hashes_b64):
            raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_UNAVAILABLE)
        return [str(s) for s in found]


def _refusal(data: dict[str, Any]) -> RemoteSigningError:
    try:
        code = ErrorCode(str(data.get("error")))
    except ValueError:
        code = ErrorCode.REMOTE_SIGNING_UNAVAILABLE
    description = data.get("error_description")
    return RemoteSigningError(description if isinstance(description, str) else None, code=code)


@dataclass(frozen=True)
class StartedSignature:
    """A signature waiting for the leader's approval on the phone."""

    prepared: PreparedSignature
    credential_id: str
    request_id: str
    approval_uri: str
    expires_in: int


class RemoteSigner:
    """The competent person's signature by a remote signing service (see the module)."""

    def __init__(self, client: CscClient) -> None:
        self.client = client

    def start(
        self, pdf: bytes, *, leader: User, at: datetime, description: str
    ) -> StartedSignature:
        """Prepare the PDF with the leader's own certificate and ask for approval. Refused
        with SIGNER_CERTIFICATE_REVOKED or SIGNER_CERTIFICATE_NOT_OWN before anything is
        asked of the leader."""
        ids = self.client.credentials(leader.username)
        if not ids:
            raise RemoteSigningError(
                "The leader holds no credential at the remote signing service.",
                code=ErrorCode.REMOTE_SIGNING_REQUEST_UNKNOWN,
            )
        credential_id = ids[0]
        info = self.client.credential_info(credential_id)
        cert_info = info.get("cert")
        if not isinstance(cert_info, dict):
            raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_UNAVAILABLE)
        try:
            chain = [
                x509.load_der_x509_certificate(base64.b64decode(c))
                for c in cert_info.get("certificates") or []
            ]
        except ValueError as exc:
            raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_UNAVAILABLE) from exc
        if not chain:
            raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_UNAVAILABLE)
        if cert_info.get("status") == "revoked":
            raise RemoteSigningError(code=ErrorCode.SIGNER_CERTIFICATE_REVOKED)
        if not is_own(chain[0], leader):
            raise RemoteSigningError(
                code=ErrorCode.SIGNER_CERTIFICATE_NOT_OWN,
                detail={"certificate": _attr(chain[0], NameOID.COMMON_NAME)},
            )
        prepared = prepare_signature(pdf, chain[0], chain[1:], at=at)
        answer = self.client.authorize(credential_id, [_b64(prepared.to_sign)], description)
        request_id = answer.get("requestID")
        if not isinstance(request_id, str):
            raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_UNAVAILABLE)
        return StartedSignature(
            prepared=prepared,
            credential_id=credential_id,
            request_id=request_id,
            approval_uri=str(answer.get("approvalURI") or ""),
            expires_in=int(answer.get("expiresIn") or 0),
        )

    def finish(self, started: StartedSignature) -> bytes | None:
        """The signed PDF once the leader approved; None while the approval waits. A
        signature value that does not verify with the certificate is refused."""
        check = self.client.authorize_check(started.request_id)
        if check.get("status") == "pending":
            return None
        sad = check.get("SAD")
        if check.get("status") != "approved" or not isinstance(sad, str):
            raise RemoteSigningError(code=ErrorCode.REMOTE_SIGNING_UNAVAILABLE)
        to_sign = _b64(started.prepared.to_sign)
        value = base64.b64decode(self.client.sign_hash(started.credential_id, sad, [to_sign])[0])
        cert = x509.load_der_x509_certificate(started.prepared.certificate)
        key = cert.public_key()
        try:
            assert isinstance(key, rsa.RSAPublicKey)
            key.verify(value, started.prepared.signed_attrs, PKCS1v15(), hashes.SHA256())
        except (AssertionError, InvalidSignature) as exc:
            raise RemoteSigningError(
                "The remote signature does not verify with the leader's certificate.",
                code=ErrorCode.REMOTE_SIGNING_UNAVAILABLE,
            ) from exc
        return finish_signature(started.prepared, value)


def is_own(cert: x509.Certificate, leader: User) -> bool:
    """The certificate names the leader (CN, same letters and diacritics, any case and
    spacing) and the leader's agency (UID)."""
    name = _attr(cert, NameOID.COMMON_NAME)
    agency = _attr(cert, NameOID.USER_ID)
    return _name(name) == _name(leader.full_name) and agency == leader.agency_code


def _name(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _attr(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    found = cert.subject.get_attributes_for_oid(oid)
    return str(found[0].value) if found else ""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
