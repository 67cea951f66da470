"""Behind a reverse proxy: what only a trusted proxy may tell the hub.

In the production layout (``deploy/nginx/lienthong.conf``) nginx terminates TLS, verifies the
agencies' client certificates against the agencies' CA, and forwards to the hub on loopback
with ``X-Client-Verify`` (``SUCCESS`` when verified) and ``X-Client-Cert`` (the verified leaf,
PEM, URL-encoded: nginx's ``$ssl_client_escaped_cert``), plus ``X-Forwarded-For`` and
``X-Forwarded-Proto``. Anyone who can reach the hub's port could send the same headers, so
they are believed only when the connection comes from an address in ``trusted_proxies``;
from anyone else they are ignored (a request claiming a certificate is then authenticated, or
refused, as if it carried none).

A believed certificate becomes the ASGI TLS extension the hub's own mutual TLS sets
(:mod:`lienthong.web.tls`), so authentication reads one place. The forwarded address and
scheme are applied by uvicorn's own ``ProxyHeadersMiddleware``, inside this one (it rewrites
the client address, which this middleware must see first).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

VERIFY_HEADER = b"x-client-verify"
CERT_HEADER = b"x-client-cert"


class TrustedProxy:
    def __init__(self, app: ASGIApp, trusted: frozenset[str]) -> None:
        self.trusted = trusted
        wrapped: Any = app
        inner: Any = ProxyHeadersMiddleware(wrapped, trusted_hosts=sorted(trusted))
        self.app: ASGIApp = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.trusted:
            client = scope.get("client")
            if client and client[0] in self.trusted:
                tls = verified_client(scope)
                if tls is not None:
                    scope["extensions"] = {**(scope.get("extensions") or {}), "tls": tls}
        await self.app(scope, receive, send)


def verified_client(scope: Scope) -> dict[str, object] | None:
    """The TLS extension from a trusted proxy's headers (None unless it verified a cert)."""
    verify = cert = None
    for name, value in scope.get("headers", []):
        if name == VERIFY_HEADER:
            verify = value
        elif name == CERT_HEADER:
            cert = value
    if verify != b"SUCCESS" or not cert:
        return None
    pem = unquote(cert.decode("latin-1"))
    if "-----BEGIN CERTIFICATE-----" not in pem:
        return None
    return {
        "server_cert": None,
        "client_cert_chain": [pem],
        "client_cert_name": None,
        "client_cert_error": None,
        "tls_version": None,
        "cipher_suite": None,
    }
