"""A client of the axis transport protocol, signing requests as the official client SDK does.

It talks to this hub's ``/axis`` calls or to any adapter of the national axis. Every call sends
its parameters as signed ``XroadVnpt-*`` headers (:func:`sign_headers`, the compatibility
contract; see :mod:`lienthong.exchange.axis_auth`) with a fresh ``timestamp``. Unlike the SDK,
which stamps the time once per service object and keeps every parameter of earlier calls in
its header map, each call here signs only its own parameters, stamped when it is sent.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import httpx

from lienthong.client.rest import retry_after_of, storage_unavailable
from lienthong.exchange.axis_auth import format_timestamp, sdk_hash_file, sign_headers

__all__ = ["AxisClient", "AxisError", "sign_headers"]

SERVICE_TYPE = "eDoc"


class AxisError(Exception):
    """A ``FAIL`` answer: the axis ``code`` (``ErrorCode``) and sentence (``ErrorDesc``).

    ``status`` is the HTTP status it came with (200 for most axis refusals) and ``detail`` the
    hub's machine-readable detail, when it sent one.
    """

    def __init__(
        self, code: str, desc: str, *, status: int = 200, detail: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{code}: {desc}")
        self.code = code
        self.desc = desc
        self.status = status
        self.detail = detail or {}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _date_text(value: date | datetime | str) -> str:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return value


class AxisClient:
    """One agency's connection to an axis endpoint: ``base_url`` is the adapter URL the SDK is
    configured with (for this hub, ``https://hub.example/axis``), ``system_id`` the agency code,
    ``secret`` the agency secret. ``now`` supplies the signing time (tests move it).

    Every method raises :class:`AxisError` on a ``FAIL`` answer and ``httpx.HTTPError`` when
    the server cannot be reached. A ``503 STORAGE_UNAVAILABLE`` (nothing was stored) is
    retried ``storage_retries`` times after its ``Retry-After`` (at most ``max_retry_wait``).
    """

    def __init__(
        self,
        base_url: str,
        system_id: str,
        secret: str,
        *,
        http: httpx.Client | None = None,
        timeout: float = 60.0,
        now: Callable[[], datetime] = _utc_now,
        storage_retries: int = 3,
        max_retry_wait: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.storage_retries = storage_retries
        self.max_retry_wait = max_retry_wait
        self.sleep = sleep
        self.base_url = base_url.rstrip("/")
        self.system_id = system_id
        self.secret = secret
        self.now = now
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=timeout)

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> AxisClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- plumbing -------------------------------------------------------------------------

    def signed_headers(self, params: dict[str, str], content_type: str) -> dict[bytes, bytes]:
        """The HTTP headers of a call with ``params``, signed now (values as UTF-8 bytes)."""
        merged = {
            "timestamp": format_timestamp(self.now()),
            "systemid": self.system_id,
            "Content-Type": content_type,
            **params,
        }
        signed = sign_headers(merged, self.secret)
        return {k.encode("ascii"): v.encode("utf-8") for k, v in signed.items()}

    def _call(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        *,
        content: bytes | None = None,
        content_type: str = "application/json",
    ) -> httpx.Response:
        attempt = 0
        while True:  # signed again each time: a fresh timestamp
            headers = self.signed_headers(params, content_type)
            response = self.http.request(
                method, self.base_url + path, content=content, headers=headers
            )
            if attempt >= self.storage_retries or not storage_unavailable(response):
                return response
            attempt += 1  # the hub stored nothing: the same call again, after Retry-After
            wait = retry_after_of(response)
            self.sleep(min(wait if wait is not None else 1.0, self.max_retry_wait))

    @staticmethod
    def _answer(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise AxisError(
                "INTERNAL",
                response.text[:500] or response.reason_phrase,
                status=response.status_code,
            )
        if str(body.get("status", "")).upper() != "OK":
            raise AxisError(
                str(body.get("ErrorCode", "")),
                str(body.get("ErrorDesc", "")),
                status=response.status_code,
                detail=body.get("detail") if isinstance(body.get("detail"), dict) else None,
            )
        return body

    @staticmethod
    def _filters(
        from_date: date | datetime | str | None,
        to_date: date | datetime | str | None,
        page_size: int | None,
        page_index: int | None,
    ) -> dict[str, str]:
        params: dict[str, str] = {}
        if from_date is not None:
            params["fromDate"] = _date_text(from_date)
        if to_date is not None:
            params["toDate"] = _date_text(to_date)
        if page_size is not None:
            params["pageSize"] = str(page_size)
        if page_index is not None:
            params["pageIndex"] = str(page_index)
        return params

    # --- the SDK's calls ------------------------------------------------------------------

    def send_edoc(
        self, package: bytes, message_type: str = "edoc", *, to: Sequence[str] | None = None
    ) -> str:
        """Send an edXML package; its ``DocId`` on the axis (on this hub, the message id).

        ``hash-file`` is written as the SDK writes it (unpadded hex bytes). ``to`` fills the
        informative ``to`` parameter (a JSON array) as SDK callers do.
        """
        params = {
            "from": self.system_id,
            "servicetype": SERVICE_TYPE,
            "messagetype": message_type,
            "hash-file": sdk_hash_file(hashlib.sha256(package).digest()),
        }
        if to is not None:
            params["to"] = "[" + ",".join(f'"{code}"' for code in to) + "]"
        response = self._call(
            "POST", "/sendEdoc", params, content=package, content_type="application/octet-stream"
        )
        return str(self._answer(response)["DocId"])

    def get_received_edoc_list(
        self,
        message_type: str = "edoc",
        *,
        from_date: date | datetime | str | None = None,
        to_date: date | datetime | str | None = None,
        page_size: int | None = None,
        page_index: int | None = None,
    ) -> list[dict[str, Any]]:
        """Deliveries waiting for this agency: ``docId, serviceType, messageType,
        created_time, updated_time, from, to, status, status_desc``."""
        params = {"servicetype": SERVICE_TYPE, "messagetype": message_type}
        params.update(self._filters(from_date, to_date, page_size, page_index))
        data = self._answer(self._call("POST", "/getReceivedEdocList", params))["data"]
        return list(data or [])

    def get_sent_edoc_list(
        self,
        *,
        doc_id: str | None = None,
        from_date: date | datetime | str | None = None,
        to_date: date | datetime | str | None = None,
        page_size: int | None = None,
        page_index: int | None = None,
    ) -> list[dict[str, Any]]:
        """Per-recipient rows of what this agency sent: ``senderDocId, receiverDocId,
        fromCode, toCode, sendStatus, sendStatusDesc, receiveStatus, receiveStatusDesc, title,
        notation, sentTime, receivedTime``."""
        params = {"servicetype": SERVICE_TYPE}
        if doc_id is not None:
            params["docId"] = doc_id
        params.update(self._filters(from_date, to_date, page_size, page_index))
        data = self._answer(self._call("POST", "/getSentEdocList", params))["data"]
        return list(data or [])

    def get_edoc(self, doc_id: str) -> bytes:
        """The package of one of this agency's deliveries (from base64 ``data``)."""
        params = {"servicetype": SERVICE_TYPE, "docId": str(doc_id)}
        data = self._answer(self._call("POST", "/getEdoc", params))["data"]
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, TypeError) as exc:
            raise AxisError("INTERNAL", f"The answer's data is not base64: {exc}") from None

    def download_edoc(self, doc_id: str) -> bytes:
        """The package of one of this agency's deliveries, as raw bytes."""
        params = {"servicetype": SERVICE_TYPE, "docId": str(doc_id)}
        response = self._call("GET", "/downloadEdoc", params)
        if response.is_success and "json" not in response.headers.get("content-type", ""):
            return response.content
        self._answer(response)
        raise AxisError("INTERNAL", "downloadEdoc answered JSON instead of a package.")

    def count_receive_edoc(self) -> int:
        """How many documents wait for this agency."""
        answer = self._answer(self._call("GET", "/countReceiveEdoc", {"servicetype": SERVICE_TYPE}))
        return int(answer["count"])

    def count_receive_status(self) -> int:
        """How many status packages wait for this agency."""
        answer = self._answer(
            self._call("GET", "/countReceiveStatus", {"servicetype": SERVICE_TYPE})
        )
        return int(answer["count"])

    def update_status(self, doc_id: str, status: str, reason: str | None = None) -> None:
        """Acknowledge a fetched delivery: ``status`` ``done``, or ``fail`` with a ``reason``."""
        params = {"servicetype": SERVICE_TYPE, "docId": str(doc_id), "status": status}
        if reason is not None:
            params["desc"] = reason
        self._answer(self._call("POST", "/updateStatus", params))

    def get_agencies_list(self) -> list[dict[str, Any]]:
        """The agencies the axis knows: ``code``, ``name``, ``pid`` (parent), ``level``..."""
        data = self._answer(self._call("POST", "/getAgenciesList", {}))["data"]
        return list(data or [])
