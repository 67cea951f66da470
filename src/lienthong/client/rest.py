"""A small client of the hub's REST API (``/api/v1``), for document software and tests.

A ``503 STORAGE_UNAVAILABLE`` answer (the hub's storage failed and nothing was stored) is
retried after the hub's ``Retry-After``, a few times, with the same request: a send carries
the same ``Idempotency-Key`` each time (one is made when the caller gives none), so that a
send whose commit the hub could not confirm is answered with the original answer, never
stored twice.
"""

from __future__ import annotations

import ssl
import time
import uuid
from collections.abc import Callable, Iterator
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
    """A refusal answered by the hub: its stable ``code``, sentence and detail;
    ``retry_after``: the seconds of its ``Retry-After`` header, when it sent one."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        detail: dict[str, Any],
        *,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.retry_after = retry_after


def retry_after_of(response: httpx.Response) -> float | None:
    """The ``Retry-After`` of an answer in seconds (the delay form), or None."""
    value = response.headers.get("retry-after", "").strip()
    try:
        return max(float(value), 0.0) if value else None
    except ValueError:
        return None  # an HTTP date: not sent by the hub; the caller's own delay applies


def storage_unavailable(response: httpx.Response) -> bool:
    """The hub's storage failed: nothing was stored, the same request may be sent again."""
    if response.status_code != 503:
        return False
    if response.headers.get("x-error-code") == ErrorCode.STORAGE_UNAVAILABLE:
        return True  # the axis protocol's answers say it in a header
    try:
        return bool(response.json()["error"]["code"] == ErrorCode.STORAGE_UNAVAILABLE)
    except (ValueError, KeyError, TypeError):
        return False


class HubClient:
    """One agency's connection to a hub: HTTP Basic with its system id and secret, or (secret
    None) the client certificate of an ``http`` client set up for mutual TLS
    (:func:`mtls_client`).

    ``storage_retries``: how many times a ``503 STORAGE_UNAVAILABLE`` is retried (after its
    ``Retry-After``, at most ``max_retry_wait`` seconds) before :class:`HubError` is raised.
    """

    def __init__(
        self,
        base_url: str,
        system_id: str,
        secret: str | None,
        *,
        timeout: float = 60.0,
        http: httpx.Client | None = None,
        storage_retries: int = 3,
        max_retry_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.http = http or httpx.Client(base_url=base_url, timeout=timeout)
        self.storage_retries = storage_retries
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep
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
        retry_after = retry_after_of(response)
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            raise HubError(
                response.status_code,
                ErrorCode.INTERNAL,
                response.text,
                {},
                retry_after=retry_after,
            ) from None
        raise HubError(
            response.status_code,
            error["code"],
            error["message"],
            error["detail"],
            retry_after=retry_after,
        )

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One call, sent again while the hub answers STORAGE_UNAVAILABLE (same request)."""
        attempt = 0
        while True:
            response = self.http.request(method, url, auth=self.auth, **kwargs)
            if attempt >= self.storage_retries or not storage_unavailable(response):
                return self._check(response)
            attempt += 1
            wait = retry_after_of(response)
            self.sleep(min(wait if wait is not None else 1.0, self.max_retry_wait))

    def send(self, package: bytes, *, idempotency_key: str | None = None) -> dict[str, Any]:
        """Send a package; the hub's answer (``replay`` true for an exact retry).

        Without ``idempotency_key`` one is made, so that a retry after STORAGE_UNAVAILABLE is
        answered with the original answer should the hub have committed after all."""
        key = idempotency_key or uuid.uuid4().hex
        headers = {"Content-Type": "application/xml", "Idempotency-Key": key}
        response = self._request("POST", "/api/v1/packages", content=package, headers=headers)
        answer: dict[str, Any] = response.json()
        answer["replay"] = response.status_code == 200
        return answer

    def inbox(
        self, *, cursor: int = 0, limit: int = 100, kind: str | None = None
    ) -> tuple[list[dict[str, Any]], int | None]:
        params: dict[str, Any] = {"cursor": cursor, "limit": limit}
        if kind:
            params["kind"] = kind
        body = self._request("GET", "/api/v1/inbox", params=params).json()
        return body["items"], body["next_cursor"]

    def inbox_all(self, *, kind: str | None = None, limit: int = 500) -> Iterator[dict[str, Any]]:
        cursor: int | None = 0
        while cursor is not None:
            items, cursor = self.inbox(cursor=cursor, limit=limit, kind=kind)
            yield from items

    def fetch(self, delivery_id: int) -> bytes:
        return self._request("GET", f"/api/v1/inbox/{delivery_id}/package").content

    def ack(
        self, delivery_id: int, result: str = "done", reason: str | None = None
    ) -> dict[str, Any]:
        answer: dict[str, Any] = self._request(
            "POST", f"/api/v1/inbox/{delivery_id}/ack", json={"result": result, "reason": reason}
        ).json()
        return answer

    def statuses(
        self, *, cursor: int = 0, limit: int = 100
    ) -> tuple[list[dict[str, Any]], int | None]:
        body = self._request(
            "GET", "/api/v1/statuses", params={"cursor": cursor, "limit": limit}
        ).json()
        return body["items"], body["next_cursor"]

    def document(self, document_id: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._request("GET", f"/api/v1/documents/{document_id}").json()
        return answer

    def sent(
        self, *, cursor: str | None = None, limit: int = 100
    ) -> tuple[list[dict[str, Any]], str | None]:
        params: dict[str, Any] = {"limit": limit}
        if cursor:
            params["cursor"] = cursor
        body = self._request("GET", "/api/v1/documents", params=params).json()
        return body["items"], body["next_cursor"]
