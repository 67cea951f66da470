"""A client of the LGSP style written from the platform's example client
(all4u1089/truclienthong-example, ``Main.java`` and ``AccessTokenJson.java``): the same calls,
sent the way a Swagger client generated for those method names sends them.

* ``AccessTokenJson.generate``: ``curl -d grant_type=client_credentials -H "Authorization:
  Basic base64(key:secret)" <adapter>/token``, then ``access_token`` from the JSON answer;
* every call: ``Authorization: Bearer <token>``, base path ``/truclienthong/v1.0.0``;
* the unit's ``secret`` and the calls' scalar parameters (``loaiVanBan``, ``status``, the
  unit ``code``) as headers; bodies as JSON written by Gson, which escapes ``=`` as ``\\u003d``.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

BASE_PATH = "/truclienthong/v1.0.0"


def gson(value: Any) -> bytes:
    """JSON as Gson writes it by default (HTML-safe: ``=`` ``<`` ``>`` ``&`` ``'`` escaped)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, escaped in (("=", "\\u003d"), ("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(ch, escaped)
    return text.replace("'", "\\u0027").encode("utf-8")


class LgspClient:
    def __init__(self, adapter: str, consumer_key: str, consumer_secret: str, **kw: Any) -> None:
        self.adapter = adapter.rstrip("/")
        self.key = consumer_key
        self.secret = consumer_secret
        self.http = httpx.Client(base_url=self.adapter + BASE_PATH, timeout=30, **kw)
        self.token: str | None = None

    def close(self) -> None:
        self.http.close()

    # AccessTokenJson ---------------------------------------------------------------------

    def token_answer(self, key: str | None = None, secret: str | None = None) -> httpx.Response:
        basic = base64.b64encode(f"{key or self.key}:{secret or self.secret}".encode()).decode()
        return httpx.post(
            f"{self.adapter}/token",
            content=b"grant_type=client_credentials",
            headers={
                "Authorization": f"Basic {basic}",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )

    def generate(self) -> str:
        answer = self.token_answer()
        answer.raise_for_status()
        self.token = str(answer.json()["access_token"])
        return self.token

    # DefaultApi ---------------------------------------------------------------------------

    def _headers(self, **params: str) -> dict[str, str]:
        headers = {"Accept": "application/json", **params}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def vanbans_get(self, secret: str) -> dict[str, Any]:
        return self._json(self.http.get("/vanbans", headers=self._headers(secret=secret)))

    def vanbans_doc_id_get(self, doc_id: str, secret: str) -> dict[str, Any]:
        return self._json(self.http.get(f"/vanbans/{doc_id}", headers=self._headers(secret=secret)))

    def vanbans_post(self, base64_encode: str, secret: str, loai_van_ban: str) -> dict[str, Any]:
        return self._json(
            self.http.post(
                "/vanbans",
                content=gson(base64_encode),
                headers={
                    **self._headers(secret=secret, loaiVanBan=loai_van_ban),
                    "Content-Type": "application/json",
                },
            )
        )

    def vanbans_doc_id_put(self, doc_id: str, status: str, secret: str) -> dict[str, Any]:
        return self._json(
            self.http.put(f"/vanbans/{doc_id}", headers=self._headers(status=status, secret=secret))
        )

    def donvilienthongs_get(self, secret: str) -> dict[str, Any]:
        return self._json(self.http.get("/donvilienthongs", headers=self._headers(secret=secret)))

    def donvilienthongs_qn_get(self, secret: str) -> dict[str, Any]:
        return self._json(
            self.http.get("/donvilienthongs/qn", headers=self._headers(secret=secret))
        )

    def donvilienthongs_post(self, secret: str, data: dict[str, str]) -> dict[str, Any]:
        return self._json(
            self.http.post(
                "/donvilienthongs",
                content=gson(data),
                headers={**self._headers(secret=secret), "Content-Type": "application/json"},
            )
        )

    def donvilienthongs_put(self, secret: str, agency_code: str) -> dict[str, Any]:
        headers = self._headers(secret=secret, code=agency_code)
        return self._json(self.http.put("/donvilienthongs", headers=headers))

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        body: dict[str, Any] = response.json()
        body["_http"] = response.status_code
        return body


def edxml_base64(package: bytes) -> str:
    """As the example: ``new String(Base64.encodeBase64(bytes), UTF_8)`` (no line breaks)."""
    return base64.b64encode(package).decode("ascii")
