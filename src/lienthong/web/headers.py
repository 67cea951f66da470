"""Security headers on every answer: what the browser may load, frame, sniff and tell others.

- ``Content-Security-Policy``: scripts only from the hub's own origin (no inline script, no
  ``eval``); styles only from the hub's stylesheets (no ``'unsafe-inline'``: no ``style``
  attribute, no ``<style>`` block; an injected style could still exfiltrate through selectors or
  restyle a form); no plugins; forms post only to the hub; no page may be framed
  (``frame-ancestors 'none'``, clickjacking).
- ``X-Content-Type-Options: nosniff``: a blob served as text is never run as a script.
- ``Referrer-Policy: same-origin``: a document number in a URL never leaves the hub.
- ``Strict-Transport-Security`` only when the request came over TLS (a plain-HTTP development
  hub must not pin browsers to HTTPS).
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"


def mark_security_headers(headers: MutableHeaders, *, secure: bool) -> None:
    """Add the headers (a value already set is kept); HSTS only when ``secure``."""
    headers.setdefault("content-security-policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("x-content-type-options", "nosniff")
    headers.setdefault("referrer-policy", "same-origin")
    if secure:
        headers.setdefault("strict-transport-security", HSTS)


class SecurityHeaders:
    """A plain ASGI middleware; a header a route set itself is kept."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = scope.get("scheme") == "https"

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                mark_security_headers(MutableHeaders(scope=message), secure=secure)
            await send(message)

        await self.app(scope, receive, marked)
