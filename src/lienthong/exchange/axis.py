"""The axis transport protocol (``/axis``): the calls of the official client SDK, so that
document software (QLVB&ĐH) written against it works with this hub by changing only its URL,
system id and secret. Requests are signed as :mod:`lienthong.exchange.axis_auth` describes;
parameters are read from the signed headers only.

Answers are JSON ``{"status": "OK"|"FAIL", "ErrorCode", "ErrorDesc", ...}``:

* ``OK`` carries ``ErrorCode "0"`` and ``ErrorDesc "Success"``: the SDK reads a list's
  ``data`` only when ``ErrorCode`` is ``"0"``.
* ``FAIL`` carries the hub's stable code (``DUPLICATE_DOCUMENT``, ``AUTH_FAILED``, ... of
  ``docs/errors.md``) in ``ErrorCode``, the sentence in ``ErrorDesc`` and, when there is one,
  a ``detail`` object. It is answered with **HTTP 200**, because the SDK parses the body of a
  200 and reports ``status``/``ErrorCode`` to the program, while on another status some of its
  calls read nothing. Two exceptions: ``downloadEdoc``, whose 200 body is the package itself,
  answers a refusal with the error table's HTTP status (a FAIL body must never be mistaken
  for a package); an unexpected failure of the hub answers ``INTERNAL`` with HTTP 500; and a
  storage failure (database, disk, object store: nothing was stored) answers
  ``STORAGE_UNAVAILABLE`` with HTTP 503 and ``Retry-After``, on every call.
  ``sendEdoc`` always carries ``DocId`` (``""`` on FAIL): the SDK reads it unconditionally.

Identifiers: ``sendEdoc`` answers ``DocId`` = the hub's message id; a receiver's ``docId`` (in
lists, ``getEdoc``, ``downloadEdoc``, ``updateStatus``) is its delivery id, as text; in
``getSentEdocList`` ``senderDocId`` is the id ``sendEdoc`` answered for the document and
``receiverDocId`` the recipient's delivery id. Times are ISO 8601 in Vietnamese time.

``updateStatus`` is the transport acknowledgement: ``done`` or ``fail`` (reason in ``desc`` or
``reason``); for the other words seen in the wild see :mod:`lienthong.exchange.axis_model`.
The hub records status 01 (arrived) at the first ``done`` of a document.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Coroutine, Iterator
from functools import partial
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from lienthong import metrics
from lienthong.agencies.model import Agency
from lienthong.blobs.staging import StagingArea
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange import axis_store
from lienthong.exchange.axis_auth import AxisCaller, require_signed
from lienthong.exchange.axis_model import (
    SERVICE_TYPE,
    Page,
    ack_of,
    date_bound,
    format_time,
    message_kind,
    page_of,
    status_description,
    transport_word,
)
from lienthong.exchange.axis_upload import spool_upload
from lienthong.exchange.errors import ExchangeError
from lienthong.exchange.model import MessageKind
from lienthong.faults import StorageUnavailableError, storage_failure
from lienthong.logs import get_logger
from lienthong.web.auth import container_of
from lienthong.web.container import Container

__all__ = ["AxisRoute", "router"]

log = get_logger("lienthong.axis")

_OK = {"status": "OK", "ErrorCode": "0", "ErrorDesc": "Success"}
_MULTIPART_ALLOWANCE = 64 * 1024  # framing around the file in a multipart body
_B64_CHUNK = 3 * 64 * 1024  # a multiple of 3: each piece encodes without padding


def _fail_body(exc: LienthongError, *, send: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "FAIL", "ErrorCode": str(exc.code), "ErrorDesc": exc.message}
    if send:
        body["DocId"] = ""
    if exc.detail:
        body["detail"] = exc.detail
    return body


class AxisRoute(APIRoute):
    """A route that answers every refusal (its dependencies' included) the axis way."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        raw_answer = self.path.endswith("/downloadEdoc")
        send = self.path.endswith("/sendEdoc")

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except HTTPException:
                raise
            except LienthongError as exc:
                error = exc
                status = exc.http_status if raw_answer else 200
            except RequestValidationError as exc:
                error = LienthongError(
                    code=ErrorCode.REQUEST_INVALID,
                    detail={"errors": [str(e.get("msg")) for e in exc.errors()]},
                )
                status = error.http_status if raw_answer else 200
            except Exception as exc:
                retry_after = container_of(request).settings.storage_retry_after_seconds
                error = storage_failure(exc, retry_after=retry_after) or LienthongError(
                    code=ErrorCode.INTERNAL
                )
                status = 500
                if error.code is ErrorCode.INTERNAL:
                    log.exception("axis call failed", path=request.url.path)
                else:
                    log.warning("storage_unavailable", path=request.url.path, error=str(exc))
            headers = {"X-Error-Code": str(error.code)}
            if isinstance(error, StorageUnavailableError):  # nothing stored: the same call again
                headers["Retry-After"] = str(error.retry_after)
                status = 503
            metrics.REFUSALS.labels(code=str(error.code)).inc()
            log.info("refused", code=str(error.code), message=error.message, path=request.url.path)
            return JSONResponse(_fail_body(error, send=send), status_code=status, headers=headers)

        return answer


router = APIRouter(prefix="/axis", tags=["axis protocol"], route_class=AxisRoute)
Caller = Annotated[AxisCaller, Depends(require_signed())]
Sender = Annotated[AxisCaller, Depends(require_signed("hash-file", "messagetype"))]


def _ok(**payload: Any) -> JSONResponse:
    return JSONResponse({**_OK, **payload})


def _delivery_id(caller: AxisCaller) -> int:
    """The ``docId`` parameter as a delivery id; DELIVERY_NOT_FOUND when it cannot be one."""
    text = (caller.get("docId") or "").strip()
    if not text:
        raise ExchangeError("The parameter docId is required.", code=ErrorCode.REQUEST_INVALID)
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ExchangeError(code=ErrorCode.DELIVERY_NOT_FOUND, detail={"docId": text})
    return int(text)


# --- sending ----------------------------------------------------------------------------


@router.post("/sendEdoc", summary="Send an edXML package (document or status)")
async def send_edoc(request: Request, caller: Sender) -> JSONResponse:
    """The body is the package (raw, raw + CRLF as SDK 2.0.1 writes it, or multipart part
    ``file_doc``), streamed to disk. Signed ``hash-file`` = its SHA-256 in hex; signed
    ``messagetype`` = ``edoc`` or ``status``, which must be what the package is."""
    container = container_of(request)
    kind = message_kind(caller.get("messagetype"))
    declared_from = caller.get("from")
    if declared_from and declared_from.strip() != caller.agency:
        raise ExchangeError(
            f"The parameter from is {declared_from!r} but the caller is {caller.agency!r}.",
            code=ErrorCode.SENDER_MISMATCH,
        )
    limit = container.settings.max_package_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + _MULTIPART_ALLOWANCE:
        raise ExchangeError(code=ErrorCode.PACKAGE_TOO_LARGE, detail={"limit_bytes": limit})
    with StagingArea(container.settings.staging_dir) as staging:
        staged = await spool_upload(
            request.stream(),
            staging,
            content_type=request.headers.get("content-type"),
            declared_hash=caller.get("hash-file") or "",
            limit=limit,
        )
        result = await run_in_threadpool(
            partial(
                container.exchange.receive_package,
                caller.agency,
                staged,
                staging,
                expected_kind=kind,
            )
        )
    metrics.PACKAGES_ACCEPTED.labels(kind=result.kind).inc()
    if container.receipts is None:
        return _ok(DocId=result.message_id)
    # An extra field the SDK ignores: the hub's signed receipt (lienthong.trust.receipts).
    receipt = await run_in_threadpool(
        container.receipts.sign_answer, result.as_dict(), caller.agency
    )
    return _ok(DocId=result.message_id, receipt=receipt)


# --- receiving --------------------------------------------------------------------------


def _received_item(row: axis_store.ReceivedRow) -> dict[str, Any]:
    status, desc = transport_word(row.state)
    return {
        "docId": str(row.delivery_id),
        "serviceType": SERVICE_TYPE,
        "messageType": row.kind,
        "created_time": format_time(row.created_at),
        "updated_time": format_time(row.acked_at or row.created_at),
        "from": row.sender,
        "to": row.recipient,
        "status": status,
        "status_desc": desc,
    }


def _received(
    container: Container,
    agency: str,
    kind: MessageKind,
    caller: AxisCaller,
    page: Page,
) -> list[dict[str, Any]]:
    since = date_bound(caller.get("fromDate"), end=False)
    until = date_bound(caller.get("toDate"), end=True)
    with container.db.read() as session:
        rows = axis_store.pending_received(
            session, agency, kind=kind, since=since, until=until,
            limit=page.limit, offset=page.offset,
        )  # fmt: skip
    return [_received_item(row) for row in rows]


@router.post("/getReceivedEdocList", summary="Pending deliveries for the caller")
async def get_received_edoc_list(request: Request, caller: Caller) -> JSONResponse:
    """``messagetype`` (default ``edoc``), optional ``fromDate``/``toDate`` (arrival at the
    hub), ``pageSize``/``pageIndex`` (from 1). Only deliveries not yet acknowledged."""
    container = container_of(request)
    kind = message_kind(caller.get("messagetype"), MessageKind.EDOC)
    page = page_of(
        caller.get("pageSize"), caller.get("pageIndex"), largest=container.settings.page_size_max
    )
    items = await run_in_threadpool(_received, container, caller.agency, kind, caller, page)
    return _ok(data=items)


def _package_json(stream: BinaryIO) -> Iterator[bytes]:
    try:
        yield b'{"status":"OK","ErrorCode":"0","ErrorDesc":"Success","data":"'
        while data := stream.read(_B64_CHUNK):
            yield base64.b64encode(data)
        yield b'"}'
    finally:
        stream.close()


@router.post("/getEdoc", summary="One of the caller's deliveries, base64 in JSON")
async def get_edoc(request: Request, caller: Caller) -> Response:
    """``docId`` = a delivery id of the caller (any other: DELIVERY_NOT_FOUND). The answer's
    ``data`` is the package in base64, streamed."""
    delivery_id = _delivery_id(caller)
    stream, size, digest = await run_in_threadpool(
        container_of(request).exchange.open_delivery, caller.agency, delivery_id
    )
    framing = len(b'{"status":"OK","ErrorCode":"0","ErrorDesc":"Success","data":""}')
    return StreamingResponse(
        _package_json(stream),
        media_type="application/json",
        headers={
            "Content-Length": str(framing + 4 * ((size + 2) // 3)),
            "X-Package-SHA256": digest,
        },
    )


def _raw(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while data := stream.read(_B64_CHUNK):
            yield data
    finally:
        stream.close()


@router.get("/downloadEdoc", summary="One of the caller's deliveries, raw edXML bytes")
async def download_edoc(request: Request, caller: Caller) -> Response:
    """The package bytes themselves; refusals keep the error table's HTTP status here."""
    delivery_id = _delivery_id(caller)
    stream, size, digest = await run_in_threadpool(
        container_of(request).exchange.open_delivery, caller.agency, delivery_id
    )
    return StreamingResponse(
        _raw(stream),
        media_type="application/xml",
        headers={
            "Content-Length": str(size),
            "X-Package-SHA256": digest,
            "Content-Disposition": f'attachment; filename="{delivery_id}.edxml"',
        },
    )


@router.get("/countReceiveEdoc", summary="How many documents wait for the caller")
async def count_receive_edoc(request: Request, caller: Caller) -> JSONResponse:
    count = await run_in_threadpool(
        container_of(request).exchange.count_pending, caller.agency, MessageKind.EDOC
    )
    return _ok(count=count)


@router.get("/countReceiveStatus", summary="How many status packages wait for the caller")
async def count_receive_status(request: Request, caller: Caller) -> JSONResponse:
    count = await run_in_threadpool(
        container_of(request).exchange.count_pending, caller.agency, MessageKind.STATUS
    )
    return _ok(count=count)


@router.post("/updateStatus", summary="Transport acknowledgement of a fetched delivery")
async def update_status(request: Request, caller: Caller) -> JSONResponse:
    """``docId``; ``status`` ``done`` | ``fail`` (also ``inbox``, ``processing``,
    ``acceptance``, ``assignment`` read as done; ``rejection``, ``cancellation`` as fail);
    the reason of a failure in ``desc`` or ``reason``."""
    delivery_id = _delivery_id(caller)
    ack = ack_of(caller.get("status"), caller.get("desc") or caller.get("reason"))
    await run_in_threadpool(
        container_of(request).exchange.acknowledge,
        caller.agency,
        delivery_id,
        ack.result,
        ack.reason,
    )
    return _ok()


# --- what the caller sent ---------------------------------------------------------------


def _sent_item(row: axis_store.SentRow) -> dict[str, Any]:
    send_status, send_desc = transport_word(row.delivery_state)
    if row.ack_reason and row.delivery_state == "failed":
        send_desc = f"{send_desc}: {row.ack_reason}"
    receive_status = "15" if row.recalled else (row.status or "")
    return {
        "senderDocId": row.origin_message_id,
        "receiverDocId": str(row.delivery_id) if row.delivery_id is not None else "",
        "fromCode": row.sender,
        "toCode": row.recipient,
        "serviceType": SERVICE_TYPE,
        "messageType": MessageKind.EDOC.value,
        "sendStatus": send_status,
        "sendStatusDesc": send_desc,
        "receiveStatus": receive_status,
        "receiveStatusDesc": status_description(receive_status),
        "title": row.subject or "",
        "notation": f"{row.code_number}/{row.code_notation}",
        "sentTime": format_time(row.sent_at),
        "receivedTime": format_time(row.acked_at),
    }


def _sent(
    container: Container, agency: str, caller: AxisCaller, page: Page
) -> list[dict[str, Any]]:
    since = date_bound(caller.get("fromDate"), end=False)
    until = date_bound(caller.get("toDate"), end=True)
    doc_id = (caller.get("docId") or "").strip() or None
    with container.db.read() as session:
        rows = axis_store.sent_rows(
            session, agency, message_id=doc_id, since=since, until=until,
            limit=page.limit, offset=page.offset,
        )  # fmt: skip
    return [_sent_item(row) for row in rows]


@router.post("/getSentEdocList", summary="Per-recipient state of the documents the caller sent")
async def get_sent_edoc_list(request: Request, caller: Caller) -> JSONResponse:
    """Newest document first, one row per recipient. Optional ``docId`` (the ``DocId`` of a
    ``sendEdoc``), ``fromDate``/``toDate`` (when sent), ``pageSize``/``pageIndex``."""
    container = container_of(request)
    page = page_of(
        caller.get("pageSize"), caller.get("pageIndex"), largest=container.settings.page_size_max
    )
    items = await run_in_threadpool(_sent, container, caller.agency, caller, page)
    return _ok(data=items)


# --- the registry -----------------------------------------------------------------------


def _agency_item(agency: Agency) -> dict[str, Any]:
    return {
        "id": agency.code,
        "code": agency.code,
        "name": agency.name,
        "pid": agency.parent_code or "",
        "parentCode": agency.parent_code or "",
        "level": int(agency.level),
        "mail": agency.email or "",
    }


@router.get("/getAgenciesList", summary="The agencies of the registry")
@router.post("/getAgenciesList", summary="The agencies of the registry")
@router.get("/getListAgency", include_in_schema=False)
@router.post("/getListAgency", include_in_schema=False)
async def get_agencies_list(request: Request, caller: Caller) -> JSONResponse:
    """Every registered agency: ``code`` (also ``id``), ``name``, ``pid``/``parentCode``,
    ``level`` (1-4), ``mail``."""
    agencies = await run_in_threadpool(container_of(request).agencies.list_all)
    return _ok(data=[_agency_item(a) for a in agencies])


@router.post("/registerAgency", summary="Refused: the hub operator keeps the registry")
@router.post("/deleteAgency", summary="Refused: the hub operator keeps the registry")
async def change_agency(caller: Caller) -> JSONResponse:
    raise LienthongError(
        "Agencies are registered and removed by the hub operator, not through the axis calls.",
        code=ErrorCode.FORBIDDEN,
    )
