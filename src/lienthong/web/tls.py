"""Mutual TLS under uvicorn: the verified client certificate reaches the app in the scope.

What uvicorn 0.54 offers (read in its source): ``ssl_certfile/ssl_keyfile/ssl_ca_certs/
ssl_cert_reqs`` build the server's ``SSLContext`` (``uvicorn.config.create_ssl_context``), so
OpenSSL verifies a client certificate against ``ssl_ca_certs`` during the handshake. But its
HTTP protocols (``h11_impl``, ``httptools_impl``) put no ASGI ``tls`` extension in the scope,
and a pure-ASGI middleware only sees the scope, never the transport: the peer certificate is
out of the app's reach. The transport does hold it (``get_extra_info("ssl_object")``).

So the hub runs uvicorn with the protocol classes below (``uvicorn.run(http=...)`` accepts an
import string): each connection reads its verified peer certificate once, at
``connection_made``, and every request of that connection gets the ASGI TLS extension
(https://asgi.readthedocs.io/en/latest/specs/tls.html)::

    scope["extensions"]["tls"] = {"client_cert_chain": [leaf PEM], "client_cert_name": ...}

Only a certificate that OpenSSL verified against the configured CA ever gets there (with
``CERT_OPTIONAL`` a presented certificate that does not verify fails the handshake; Python's
``ssl`` gives the leaf only, ``get_verified_chain`` arrives in 3.13).
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from cryptography import x509
from uvicorn.protocols.http.h11_impl import H11Protocol

from lienthong.web.guard import ConnectionGuard

CERT_REQS = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL, "required": ssl.CERT_REQUIRED}


def tls_extension(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    """The ASGI TLS extension for a connection, or None when it carries no client cert."""
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    if not der:
        return None
    cert = x509.load_der_x509_certificate(der)
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)],
        "client_cert_name": cert.subject.rfc4514_string(),
        "client_cert_error": None,
        "tls_version": None,
        "cipher_suite": None,
    }


class _WithTLS:
    """Wraps the app of one connection to add its TLS extension to every scope."""

    def __init__(self, app: Any, tls: dict[str, Any]) -> None:
        self.app = app
        self.tls = tls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") in ("http", "websocket"):
            scope["extensions"] = {**(scope.get("extensions") or {}), "tls": self.tls}
        await self.app(scope, receive, send)


class H11TLSProtocol(ConnectionGuard, H11Protocol):
    """h11 with the TLS extension and the connection guards (:mod:`lienthong.web.guard`)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if not self.guard_open(transport):
            return
        tls = tls_extension(transport)
        if tls is not None:
            self.app = _WithTLS(self.app, tls)

    def connection_lost(self, exc: Exception | None) -> None:
        self.guard_closed()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        import h11

        if self.conn.their_state is h11.IDLE:
            self.guard_headers()
        super().data_received(data)
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self.guard_body()
        elif state is not h11.IDLE:
            self.guard_disarm()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools not installed
    HTTP_PROTOCOL = "lienthong.web.tls:H11TLSProtocol"
else:

    class HttpToolsTLSProtocol(ConnectionGuard, HttpToolsProtocol):
        """httptools with the TLS extension and the connection guards."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            if not self.guard_open(transport):
                return
            tls = tls_extension(transport)
            if tls is not None:
                self.app = _WithTLS(self.app, tls)

        def connection_lost(self, exc: Exception | None) -> None:
            self.guard_closed()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            self.guard_headers()
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            super().on_headers_complete()
            self.guard_body()

        def on_body(self, body: bytes) -> None:
            super().on_body(body)
            self.guard_body()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self.guard_disarm()

    HTTP_PROTOCOL = "lienthong.web.tls:HttpToolsTLSProtocol"


def client_certificate(scope: Any) -> x509.Certificate | None:
    """The verified client certificate of a request, from the ASGI TLS extension."""
    tls = (scope.get("extensions") or {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    if not chain:
        return None
    return x509.load_pem_x509_certificate(chain[0].encode("ascii"))
