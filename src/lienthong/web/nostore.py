"""``Cache-Control: no-store`` on every answer to a signed-in person.

A browser keeps pages in its cache and shows them again on the back button: after signing out
at a shared desk, the next person could read the previous user's inbox. Every response to a
request carrying the web session cookie, and every response that sets or clears it (signing
in, signing out), is marked ``no-store``, and so is every answer to a request that carries
credentials (``Authorization``: HTTP Basic or a bearer token, the API's agencies): a shared
proxy or a client's cache must not keep an agency's inbox. Pages for nobody in particular (the
portal's public pages, the static files) may be cached as usual.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lienthong.accounts.web import SESSION_COOKIE


class NoStoreForSignedIn:
    """A plain ASGI middleware (no extra task per request, unlike ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope.get("path", "")).startswith("/static/"):
            await self.app(scope, receive, send)
            return
        signed_in = _carries_session(scope)

        async def marked(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                touches = any(
                    value.startswith(f"{SESSION_COOKIE}=")
                    for value in headers.getlist("set-cookie")
                )
                if signed_in or touches:
                    headers["cache-control"] = "no-store"
            await send(message)

        await self.app(scope, receive, marked)


def _carries_session(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"cookie" and f"{SESSION_COOKIE}=".encode() in value:
            return True
        if name == b"authorization" and value:
            return True
    return False
