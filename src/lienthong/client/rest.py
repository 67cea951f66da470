"""A small client of the hub's REST API (``/api/v1``), for document software and tests."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from lienthong.errors import ErrorCode


def mtls_client(
    base_url: str,
    *,
    cert: Path | str,
    key: Path | str,
    ca: Path | str,
    timeout: float = 60.0,
) -> httpx.Client:
    """An HTTP client that checks the hub's certificate against ``ca`` and presents the
    agency's certificate ``cert`` (its key ``key``) for mutual TLS."""
    context = ssl.create_default_context(cafile=str(ca))
    context.load_cert_chain(str(cert), str(key))
    return httpx.Client(base_url=base_url, verify=context, timeout=timeout)


class HubError(Exception):
    """A refusal answered by the hub: its stable ``code``, sentence and detail."""

    def __init__(self, status: int, code: str, message: str, detail: dict[str, Any]) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail


class HubClient:
    """One agency's connection to a hub: HTTP Basic with its system id and secret, or (secret
    None) the client certificate of an ``http`` client set up for mutual TLS
    (:func:`mtls_client`)."""

    def __init__(
        self,
        base_url: str,
        system_id: str,
        secret: str | None,
        *,
        timeout: float = 60.0,
        http: httpx.Client | None = None,
    ) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.system_id = system_id
        # No secret: no Authorization header (httpx.Auth() passes requests through unchanged).
        self.auth: httpx.Auth = (
            httpx.BasicAuth(system_id, secret) if secret is not None else httpx.Auth()
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self, response: httpx.Response) -> httpx.Response:
        if response.is_success:
            return response
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            raise HubError(response.status_code, ErrorCode.INTERNAL, response.text, {}) from None
        raise HubError(response.status_code, error["code"], error["message"], error["detail"])

    def send(self, package: bytes, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Send a package; the hub's answer (``replay`` true for an exact retry)."""
        headers = {"Content-Type": "application/xml"}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        response = self._check(
            self.http.post("/api/v1/packages", content=package, headers=headers, auth=self.auth)
        )
        answer: dict[str, Any] = response.json()
        answer["replay"] = response.status_code == 200
        return answer

    def inbox(
        self, *, cursor: int = 0, limit: int = 100, kind: str | None = None
    ) -> tuple[list[dict[str, Any]], int | None]:
        params: dict[str, Any] = {"cursor": cursor, "limit": limit}
        if kind:
            params["kind"] = kind
        body = self._check(self.http.get("/api/v1/inbox", params=params, auth=self.auth)).json()
        return body["items"], body["next_cursor"]

    def inbox_all(self, *, kind: str | None = None, limit: int = 500) -> Iterator[dict[str, Any]]:
        cursor: int | None = 0
        while cursor is not None:
            items, cursor = self.inbox(cursor=cursor, limit=limit, kind=kind)
            yield from items

    def fetch(self, delivery_id: int) -> bytes:
        return self._check(
            self.http.get(f"/api/v1/inbox/{delivery_id}/package", auth=self.auth)
        ).content

    def ack(
        self, delivery_id: int, result: str = "done", reason: str | None = None
    ) -> dict[str, Any]:
        answer: dict[str, Any] = self._check(
            self.http.post(
                f"/api/v1/inbox/{delivery_id}/ack",
                json={"result": result, "reason": reason},
                auth=self.auth,
            )
        ).json()
        return answer

    def statuses(
        self, *, cursor: int = 0, limit: int = 100
    ) -> tuple[list[dict[str, Any]], int | None]:
        body = self._check(
            self.http.get(
                "/api/v1/statuses", params={"cursor": cursor, "limit": limit}, auth=self.auth
            )
        ).json()
        return body["items"], body["next_cursor"]

    def document(self, document_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._check(
            self.http.get(f"/api/v1/documents/{document_id}", auth=self.auth)
        ).json()
        return answer

    def sent(
        self, *, cursor: str | None = None, limit: int = 100
    ) -> tuple[list[dict[str, Any]], str | None]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = self._check(self.http.get("/api/v1/documents", params=params, auth=self.auth)).json()
        return body["items"], body["next_cursor"]
