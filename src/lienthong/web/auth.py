"""Who is calling: an agency authenticates with a client certificate (mutual TLS, its code in
the subject UID, issued for TLS client authentication) or with HTTP Basic (system id, secret)."""

from __future__ import annotations

import base64
import binascii

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from fastapi import Request
from starlette.concurrency import run_in_threadpool

from lienthong.errors import ErrorCode, LienthongError
from lienthong.web.container import Container
from lienthong.web.tls import client_certificate


class AuthError(LienthongError):
    default_code = ErrorCode.AUTH_FAILED


def container_of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


def certificate_agency_code(cert: x509.Certificate) -> str:
    """The agency code in a client certificate's subject UID.

    Only a certificate issued for TLS client authentication authenticates: its extended key
    usage must name clientAuth. A personal signer certificate carries the agency UID too, so
    without that rule any official's signing certificate would authenticate as the agency;
    one without the extension (or with another usage only) is refused with
    CLIENT_CERTIFICATE_NOT_FOR_TLS. AUTH_FAILED when the subject names no agency."""
    try:
        eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        eku = None
    if eku is None or ExtendedKeyUsageOID.CLIENT_AUTH not in eku:
        raise AuthError(
            "The client certificate is not for TLS client authentication (no clientAuth).",
            code=ErrorCode.CLIENT_CERTIFICATE_NOT_FOR_TLS,
            detail={"subject": cert.subject.rfc4514_string()},
        )
    uids = cert.subject.get_attributes_for_oid(NameOID.USER_ID)
    if len(uids) != 1 or not isinstance(uids[0].value, str):
        raise AuthError("The client certificate names no agency (subject UID).")
    return uids[0].value


async def current_agency(request: Request) -> str:
    """The authenticated agency's code: from the client certificate that TLS verified (its
    subject UID, a registered agency), else from ``Authorization: Basic``; AUTH_FAILED
    otherwise."""
    cert = client_certificate(request.scope)
    if cert is not None:
        uid = certificate_agency_code(cert)
        try:
            await run_in_threadpool(container_of(request).agencies.get, uid)
        except LienthongError as exc:
            raise AuthError("The client certificate's agency is not registered.") from exc
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
