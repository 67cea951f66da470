"""Who is calling: an agency authenticates with a client certificate (mutual TLS, its code in
the subject UID, one it registered by fingerprint or, when it registered none, one issued for
TLS client authentication) or with HTTP Basic (system id, secret)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from lienthong.agencies.model import tls_client_refusal
from lienthong.errors import ErrorCode, LienthongError
from lienthong.web.container import Container
from lienthong.web.tls import client_certificate


class AuthError(LienthongError):
    default_code = ErrorCode.AUTH_FAILED


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


@dataclass(frozen=True)
class PresentedCertificate:
    """What a client certificate says for authentication: the agency its subject UID names,
    its SHA-256 fingerprint (lowercase hex of its DER bytes), whether its extended key usage
    names clientAuth."""

    code: str
    fingerprint: str
    client_auth: bool


def presented_certificate(cert: x509.Certificate) -> PresentedCertificate:
    """Read a client certificate; AUTH_FAILED when its subject names no agency (UID)."""
    uids = cert.subject.get_attributes_for_oid(NameOID.USER_ID)
    if len(uids) != 1 or not isinstance(uids[0].value, str):
        raise AuthError("The client certificate names no agency (subject UID).")
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = None
    return PresentedCertificate(
        code=uids[0].value,
        fingerprint=cert.fingerprint(hashes.SHA256()).hex(),
        client_auth=eku is not None and ExtendedKeyUsageOID.CLIENT_AUTH in eku,
    )


def certificate_agency_code(cert: x509.Certificate, registered: Iterable[str] = ()) -> str:
    """The agency code in a client certificate's subject UID, when the certificate may
    authenticate it (:func:`lienthong.agencies.model.tls_client_refusal`).

    ``registered``: the fingerprints the agency registered. With none, only a certificate
    issued for TLS client authentication authenticates: its extended key usage must name
    clientAuth. A personal signer certificate carries the agency UID too, so without that
    rule any official's signing certificate would authenticate as the agency; one without
    the extension (or with another usage only) is refused with CLIENT_CERTIFICATE_NOT_FOR_TLS.
    With some, only those certificates authenticate (CLIENT_CERTIFICATE_NOT_REGISTERED for
    another). AUTH_FAILED when the subject names no agency."""
    presented = presented_certificate(cert)
    refusal = tls_client_refusal(
        registered, presented.fingerprint, client_auth=presented.client_auth
    )
    if refusal is not None:
        raise AuthError(
            code=refusal,
            detail={"subject": cert.subject.rfc4514_string(), "fingerprint": presented.fingerprint},
        )
    return presented.code


async def current_agency(request: Request) -> str:
    """The authenticated agency's code: from the client certificate that TLS verified (its
    subject UID, a registered agency, one of its registered certificates or, when it
    registered none, one for clientAuth), else from ``Authorization: Basic``; AUTH_FAILED
    otherwise."""
    cert = client_certificate(request.scope)
    if cert is not None:
        presented = presented_certificate(cert)
        uid: str = await run_in_threadpool(
            partial(
                container_of(request).agencies.authenticate_certificate,
                presented.code,
                presented.fingerprint,
                client_auth=presented.client_auth,
            )
        )
        request.state.agency = uid
        request.state.auth = "certificate"
        return uid
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value:
        raise AuthError("Missing HTTP Basic credentials (system id and secret).")
    try:
        system_id, sep, secret = base64.b64decode(value).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise AuthError("Malformed HTTP Basic credentials.") from exc
    if not sep:
        raise AuthError("Malformed HTTP Basic credentials.")
    container = container_of(request)
    code: str = await run_in_threadpool(container.agencies.authenticate, system_id, secret)
    request.state.agency = code
    return code
