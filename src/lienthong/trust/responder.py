"""The demo PKI's OCSP responder and CRL over HTTP (stdlib server, loopback):

* ``POST /ocsp`` (body: DER OCSP request, RFC 6960 A.1) and ``GET /ocsp/<base64 request>``
* ``GET /crl`` — the intermediate CA's CRL (DER)

Answers come from :class:`~lienthong.trust.pki.DemoPKI`, which re-reads ``revoked.json`` when it
changes, so ``lienthong pki revoke`` shows at once.
"""

from __future__ import annotations

import base64
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lienthong.clock import Clock, SystemClock
from lienthong.trust.pki import DemoPKI

__all__ = ["Responder"]

_MAX_REQUEST = 64 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        path = urllib.parse.urlsplit(self.path).path
        if path in ("/crl", "/crl.der"):
            self._answer(self.server.pki.crl(self.server.clock.now()), "application/pkix-crl")
        elif path.startswith("/ocsp/"):
            try:
                request = base64.b64decode(urllib.parse.unquote(path[len("/ocsp/") :]))
            except ValueError:
                self.send_error(400)
                return
            self._ocsp(request)
        else:
            self.send_error(404)

    def do_POST(self) -> None:
        if urllib.parse.urlsplit(self.path).path.rstrip("/") != "/ocsp":
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > _MAX_REQUEST:
            self.send_error(400)
            return
        self._ocsp(self.rfile.read(length))

    def _ocsp(self, request: bytes) -> None:
        answer = self.server.pki.ocsp_response(request, self.server.clock.now())
        self._answer(answer, "application/ocsp-response")

    def _answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], pki: DemoPKI, clock: Clock) -> None:
        super().__init__(address, _Handler)
        self.pki = pki
        self.clock = clock


class Responder:
    """OCSP + CRL on ``host:port`` (port 0: any free port); ``start`` runs it in a thread."""

    def __init__(
        self, pki: DemoPKI, host: str = "127.0.0.1", port: int = 0, clock: Clock | None = None
    ) -> None:
        self._server = _Server((host, port), pki, clock or SystemClock())
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        host = self._server.server_address[0]
        return f"http://{host!s}:{self.port}"

    def start(self) -> Responder:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="pki-responder", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
