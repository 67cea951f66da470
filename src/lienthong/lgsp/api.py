"""The provincial platform API (LGSP style), served by every hub: ``POST /token`` (OAuth2
client credentials) and, under ``/truclienthong/v1.0.0``, the calls of the platform's
example client (``vanbans``, ``donvilienthongs``). ``docs/lgsp.md`` describes each call.

Wire choices, where the example client leaves them open (a Swagger client generated for its
method names sends parameters this way; the others are accepted too):

* ``Authorization: Bearer <access_token>`` on every call under the base path;
* the unit's ``secret`` in a header of that name, or the query (or a field of the body);
* ``loaiVanBan`` (``edoc`` | ``status``) and ``status`` likewise; bodies as JSON (an object,
  or a string for a call's single value) or a form.

Answers: ``{"status": "OK", "errorCode": 0, "errorDesc": "Success", ...}``. A refusal is
``{"status": "FAIL", "errorCode": <the platform's number>, "errorDesc": <sentence>, "code":
<the hub's ErrorCode>, "detail": {...}}`` with HTTP 200, because the platform's clients read
``status`` and ``errorCode`` from the body; two exceptions: a missing, expired or revoked
token answers HTTP 401 (``TOKEN_INVALID``, as the platform's gateway does) and an unexpected
failure of the hub HTTP 500 (``INTERNAL``, 20). The header ``X-Error-Code`` repeats the code.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Coroutine, Iterator
from functools import partial
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from lienthong import metrics
from lienthong.agencies.model import Agency
from lienthong.blobs.staging import StagingArea
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.axis_model import format_time, message_kind, page_of
from lienthong.exchange.errors import ExchangeError
from lienthong.faults import StorageUnavailableError, storage_failure
from lienthong.lgsp import openapi as doc
from lienthong.lgsp.body import SINGLE_VALUE, base64_allowance, read_fields
from lienthong.lgsp.body import spool_base64 as spool
from lienthong.lgsp.model import (
    BASE_PATH,
    SERVICE_TYPE,
    LgspError,
    UnitFields,
    ack_for,
    platform_code,
    transport_word,
)
from lienthong.lgsp.service import Caller, LgspService
from lienthong.logs import get_logger
from lienthong.web.auth import container_of

__all__ = ["LgspRoute", "fail_body", "router", "token_router"]

log = get_logger("lienthong.lgsp")

_OK: dict[str, Any] = {"status": "OK", "errorCode": 0, "errorDesc": "Success"}
_B64_CHUNK = 3 * 64 * 1024  # a multiple of 3: each piece encodes without padding


def fail_body(exc: LienthongError, **extra: Any) -> dict[str, Any]:
    """The platform's answer to a refusal, with the hub's own code beside its number."""
    body: dict[str, Any] = {
        "status": "FAIL",
        "errorCode": int(platform_code(exc.code)),
        "errorDesc": exc.message,
        "code": str(exc.code),
        **extra,
    }
    if exc.detail:
        body["detail"] = exc.detail
    return body


def _refusal(request: Request, exc: LienthongError, status: int, **extra: Any) -> JSONResponse:
    metrics.REFUSALS.labels(code=str(exc.code)).inc()
    log.info("refused", code=str(exc.code), message=exc.message, path=request.url.path)
    headers = {"X-Error-Code": str(exc.code)}
    if exc.code is ErrorCode.TOKEN_INVALID:
        headers["WWW-Authenticate"] = 'Bearer realm="lgsp", error="invalid_token"'
    return JSONResponse(fail_body(exc, **extra), status_code=status, headers=headers)


def _unavailable(request: Request, exc: StorageUnavailableError, **extra: Any) -> JSONResponse:
    """A storage failure in the platform's shape, with HTTP 503 and ``Retry-After`` (the
    platform's clients read the body; their HTTP stacks honour the status and the header)."""
    answer = _refusal(request, exc, 503, **extra)
    retry = (exc.detail or {}).get("retry_after_seconds")
    if retry is None:
        retry = container_of(request).settings.storage_retry_after_seconds
    answer.headers["Retry-After"] = str(retry)
    return answer


class LgspRoute(APIRoute):
    """A route that answers every refusal (its dependencies' included) the platform's way."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        sending = self.path.endswith("/vanbans") and "POST" in (self.methods or set())

        async def answer(request: Request) -> Response:
            extra = {"docId": ""} if sending else {}
            try:
                return await handler(request)
            except HTTPException:
                raise
            except StorageUnavailableError as exc:
                return _unavailable(request, exc, **extra)
            except LienthongError as exc:
                status = 401 if exc.code is ErrorCode.TOKEN_INVALID else 200
                return _refusal(request, exc, status, **extra)
            except RequestValidationError as exc:
                error = LienthongError(
                    code=ErrorCode.REQUEST_INVALID,
                    detail={"errors": [str(e.get("msg")) for e in exc.errors()]},
                )
                return _refusal(request, error, 200, **extra)
            except Exception as exc:
                retry = container_of(request).settings.storage_retry_after_seconds
                failure = storage_failure(exc, retry_after=retry)
                if failure is not None:  # nothing was stored: the client retries
                    log.warning("lgsp storage unavailable", path=request.url.path)
                    return _unavailable(request, failure, **extra)
                log.exception("lgsp call failed", path=request.url.path)
                return _refusal(request, LienthongError(code=ErrorCode.INTERNAL), 500, **extra)

        return answer


def _service(request: Request) -> LgspService:
    service = container_of(request).lgsp
    if service is None:  # pragma: no cover - every container built by build_container has it
        raise LienthongError(code=ErrorCode.INTERNAL)
    return service


# --- POST /token ------------------------------------------------------------------------

token_router = APIRouter(tags=["LGSP style"])


def _oauth_error(error: str, exc: LienthongError, status: int) -> JSONResponse:
    """RFC 6749 §5.2, with the hub's code beside it."""
    metrics.REFUSALS.labels(code=str(exc.code)).inc()
    headers = {"X-Error-Code": str(exc.code), "Cache-Control": "no-store"}
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="lgsp"'
    return JSONResponse(
        {"error": error, "error_description": exc.message, "code": str(exc.code)},
        status_code=status,
        headers=headers,
    )


def _basic(header: str) -> tuple[str, str] | None:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        key, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (key, secret) if sep else None


@token_router.post(
    "/token",
    summary="An access token for a connected system (OAuth2 client credentials)",
    openapi_extra=doc.TOKEN,
)
async def token(request: Request) -> JSONResponse:
    """Form body ``grant_type=client_credentials``; the consumer key and secret in
    ``Authorization: Basic`` (or as ``client_id`` / ``client_secret`` in the body). Answers
    ``{"access_token", "scope", "token_type": "Bearer", "expires_in"}``."""
    try:
        fields = await read_fields(request.stream(), request.headers.get("content-type"))
    except LienthongError as exc:
        return _oauth_error("invalid_request", exc, 400)
    fields = {**dict(request.query_params), **fields}
    grant = fields.get("grant_type", "")
    if grant != "client_credentials":
        return _oauth_error(
            "unsupported_grant_type" if grant else "invalid_request",
            LgspError("grant_type must be client_credentials.", code=ErrorCode.REQUEST_INVALID),
            400,
        )
    pair = _basic(request.headers.get("authorization", ""))
    if pair is None and fields.get("client_id") and fields.get("client_secret"):
        pair = (fields["client_id"], fields["client_secret"])
    if pair is None:
        return _oauth_error(
            "invalid_client",
            LgspError(
                "The consumer key and secret are required (Authorization: Basic).",
                code=ErrorCode.AUTH_FAILED,
            ),
            401,
        )
    try:
        issued = await run_in_threadpool(_service(request).issue_token, *pair)
    except LienthongError as exc:
        return _oauth_error("invalid_client", exc, 401)
    return JSONResponse(
        issued.as_dict(), headers={"Cache-Control": "no-store", "Pragma": "no-cache"}
    )


# --- the calls under the base path -------------------------------------------------------

router = APIRouter(prefix=BASE_PATH, tags=["LGSP style"], route_class=LgspRoute)


_BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An access token from POST /token (OAuth2 client credentials)",
)


async def bearer(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_BEARER)],
) -> Caller:
    """The connected system whose ``Authorization: Bearer`` token this is (``TOKEN_INVALID``
    otherwise, HTTP 401)."""
    if credentials is None or not credentials.credentials.strip():
        raise LgspError(
            "Authorization: Bearer <access token> is required (POST /token).",
            code=ErrorCode.TOKEN_INVALID,
        )
    token = credentials.credentials.strip()
    caller = await run_in_threadpool(_service(request).authenticate, token)
    request.state.agency = caller.agency
    return caller


System = Annotated[Caller, Depends(bearer)]


def _param(request: Request, name: str, fields: dict[str, str] | None = None) -> str | None:
    """A parameter from its header, the query or a field of the body, in that order."""
    value = request.headers.get(name)
    if value is None:
        value = request.query_params.get(name)
    if value is None and fields:
        value = fields.get(name)
    return value


async def _unit(request: Request, caller: Caller, fields: dict[str, str] | None = None) -> str:
    unit = await run_in_threadpool(
        _service(request).unit_for, caller, _param(request, "secret", fields)
    )
    request.state.agency = unit
    return unit


def _delivery_id(text: str) -> int:
    """A list's ``docId`` (a delivery id); ``DELIVERY_NOT_FOUND`` when it cannot be one."""
    value = text.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        raise ExchangeError(code=ErrorCode.DELIVERY_NOT_FOUND, detail={"docId": text})
    return int(value)


def _ok(**payload: Any) -> JSONResponse:
    return JSONResponse({**_OK, **payload})


# vanbans: documents ---------------------------------------------------------------------


@router.get(
    "/vanbans",
    summary="The unit's received documents and statuses, not yet taken",
    openapi_extra=doc.operation("vanbansGet", "DanhSachVanBanDen", doc.SECRET, doc.LOAI_VAN_BAN),
)
async def vanbans_get(request: Request, caller: System) -> JSONResponse:
    """Pending deliveries of the unit, oldest first: documents and status packages
    (``loaiVanBan`` narrows to one kind; ``pageSize``/``pageIndex`` from 1 page them)."""
    unit = await _unit(request, caller)
    word = _param(request, "loaiVanBan")
    kind = message_kind(word) if word and word.strip() else None
    container = container_of(request)
    page = page_of(
        request.query_params.get("pageSize"),
        request.query_params.get("pageIndex"),
        largest=container.settings.page_size_max,
    )
    rows = await run_in_threadpool(_service(request).received, unit, kind, page)
    items = []
    for row in rows:
        status, desc = transport_word(row.state)
        items.append(
            {
                "serviceType": SERVICE_TYPE,
                "messageType": row.kind,
                "statusDesc": desc,
                "docId": str(row.delivery_id),
                "from": row.sender,
                "to": row.recipient,
                "status": status,
                "createdTime": format_time(row.created_at),
            }
        )
    return _ok(data=items)


def _package_json(stream: BinaryIO) -> Iterator[bytes]:
    try:
        yield b'{"status":"OK","errorCode":0,"errorDesc":"Success","data":"'
        while data := stream.read(_B64_CHUNK):
            yield base64.b64encode(data)
        yield b'"}'
    finally:
        stream.close()


_FRAMING = len(b'{"status":"OK","errorCode":0,"errorDesc":"Success","data":""}')


@router.get(
    "/vanbans/{docId}",
    summary="One received document or status: its edXML in base64",
    openapi_extra=doc.operation("vanbansDocIdGet", "ChiTietVanBanDen", doc.SECRET),
)
async def vanbans_doc_id_get(request: Request, caller: System, docId: str) -> Response:  # noqa: N803 - the platform's name
    """``data`` is the package in base64, streamed; ``docId`` is one of the unit's."""
    unit = await _unit(request, caller)
    stream, size, digest = await run_in_threadpool(
        container_of(request).exchange.open_delivery, unit, _delivery_id(docId)
    )
    return StreamingResponse(
        _package_json(stream),
        media_type="application/json",
        headers={
            "Content-Length": str(_FRAMING + 4 * ((size + 2) // 3)),
            "X-Package-SHA256": digest,
        },
    )


@router.post(
    "/vanbans",
    summary="Send an edXML package (edoc or status), base64-encoded",
    openapi_extra=doc.operation(
        "vanbansPost", "KetQuaGuiVanBan", doc.SECRET, doc.LOAI_VAN_BAN, body=doc.PACKAGE_BODY
    ),
)
async def vanbans_post(request: Request, caller: System) -> JSONResponse:
    """The body is the package in base64 (a JSON string, bare text, ``{"data": ...}`` or a
    form field ``data``); ``loaiVanBan`` = ``edoc`` | ``status`` must be what the package is
    (absent: either). The package's ``From`` must be the unit. ``Idempotency-Key`` makes a
    retry safe. Answers ``docId``, the hub's message id."""
    container = container_of(request)
    limit = container.settings.max_package_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > base64_allowance(limit):
        raise ExchangeError(code=ErrorCode.PACKAGE_TOO_LARGE, detail={"limit_bytes": limit})
    early = _param(request, "secret") is not None
    unit = await _unit(request, caller) if early else None
    with StagingArea(container.settings.staging_dir) as staging:
        staged, fields = await spool(
            request.stream(),
            staging,
            content_type=request.headers.get("content-type"),
            limit=limit,
        )
        if unit is None:
            unit = await _unit(request, caller, fields)
        word = _param(request, "loaiVanBan", fields)
        kind = message_kind(word) if word and word.strip() else None
        result = await run_in_threadpool(
            partial(
                container.exchange.receive_package,
                unit,
                staged,
                staging,
                idempotency_key=request.headers.get("idempotency-key"),
                expected_kind=kind,
            )
        )
    if not result.replay:
        metrics.PACKAGES_ACCEPTED.labels(kind=result.kind).inc()
        log.info("lgsp.package_accepted", message_id=result.message_id, sender=unit)
    if container.receipts is None:
        return _ok(docId=result.message_id)
    # An extra field the platform's clients ignore: the hub's signed receipt.
    receipt = await run_in_threadpool(container.receipts.sign_answer, result.as_dict(), unit)
    return _ok(docId=result.message_id, receipt=receipt)


@router.put(
    "/vanbans/{docId}",
    summary="The transport status of a received document",
    openapi_extra=doc.operation(
        "vanbansDocIdPut",
        "KetQua",
        doc.STATUS,
        doc.SECRET,
        body=doc.STATUS_BODY,
    ),
)
async def vanbans_doc_id_put(request: Request, caller: System, docId: str) -> JSONResponse:  # noqa: N803 - the platform's name
    """``status`` = ``INITIAL`` (not taken yet: changes nothing), ``PROCESSING`` or ``DONE``
    (taken: the hub records status 01 at the first), ``FAIL`` (with ``reason``, optional)."""
    fields = await read_fields(request.stream(), request.headers.get("content-type"))
    unit = await _unit(request, caller, fields)
    delivery_id = _delivery_id(docId)
    word, ack = ack_for(_param(request, "status", fields) or fields.get(SINGLE_VALUE))
    service = _service(request)
    if ack is None:
        await run_in_threadpool(service.check_initial, unit, delivery_id)
        return _ok()
    reason = _param(request, "reason", fields) or _param(request, "desc", fields)
    if word.value == "FAIL" and not (reason and reason.strip()):
        reason = "FAIL (vanbansDocIdPut)"
    await run_in_threadpool(
        container_of(request).exchange.acknowledge, unit, delivery_id, ack, reason
    )
    return _ok()


# donvilienthongs: units -----------------------------------------------------------------


def _unit_item(agency: Agency) -> dict[str, Any]:
    return {
        "id": agency.code,
        "code": agency.code,
        "name": agency.name,
        "pid": agency.parent_code or "",
    }


@router.get(
    "/donvilienthongs",
    summary="The connected units: the whole registry",
    openapi_extra=doc.operation("donvilienthongsGet", "DanhSachDonViLienThong", doc.SECRET),
)
async def donvilienthongs_get(request: Request, caller: System) -> JSONResponse:
    unit = await _unit(request, caller)
    agencies = await run_in_threadpool(_service(request).units, unit, local=False)
    return _ok(data=[_unit_item(a) for a in agencies])


@router.get(
    "/donvilienthongs/qn",
    summary="The units of the calling unit's province or ministry",
    openapi_extra=doc.operation("donvilienthongsQnGet", "DanhSachDonViLienThong", doc.SECRET),
)
async def donvilienthongs_qn_get(request: Request, caller: System) -> JSONResponse:
    """The example client's ``donvilienthongsQnGet`` (Quảng Nam's own units): here the units
    under the calling unit's top-level agency, whichever province or ministry that is."""
    unit = await _unit(request, caller)
    agencies = await run_in_threadpool(_service(request).units, unit, local=True)
    return _ok(data=[_unit_item(a) for a in agencies])


@router.post(
    "/donvilienthongs",
    summary="Register a unit below the calling unit",
    openapi_extra=doc.operation(
        "donvilienthongsPost",
        "KetQuaDangKy",
        doc.SECRET,
        body=doc.json_body(doc.DON_VI_THEM_MOI, "The unit to register."),
    ),
)
async def donvilienthongs_post(request: Request, caller: System) -> JSONResponse:
    """Body ``{"code", "pcode", "name", "email", "fax", "mobile"}``; ``pcode`` is the calling
    unit or one below it. A code not yet in the registry is registered there. The answer's
    ``data.secret`` is the new unit's secret, shown this once."""
    fields = await read_fields(request.stream(), request.headers.get("content-type"))
    unit = await _unit(request, caller, fields)
    record = UnitFields.read(fields)
    secret = await run_in_threadpool(_service(request).register_unit, unit, record)
    return _ok(data={"code": record.code, "pcode": record.pcode, "secret": secret})


@router.put(
    "/donvilienthongs",
    summary="Unregister a unit (its secret stops working)",
    openapi_extra=doc.operation(
        "donvilienthongsPut",
        "KetQua",
        doc.SECRET,
        doc.CODE,
        body=doc.json_body({"type": "string"}, "The unit's code, when not in a header."),
    ),
)
async def donvilienthongs_put(request: Request, caller: System) -> JSONResponse:
    """The unit's ``code`` (also ``agencyCode``) in a header, the query or the body (a JSON
    string, an object or a form); the calling unit or one below it."""
    fields = await read_fields(request.stream(), request.headers.get("content-type"))
    unit = await _unit(request, caller, fields)
    code = (
        _param(request, "code", fields)
        or _param(request, "agencyCode", fields)
        or fields.get(SINGLE_VALUE)
    )
    if not code or not code.strip():
        raise LgspError("The unit's code is required.", code=ErrorCode.REQUEST_INVALID)
    await run_in_threadpool(_service(request).unregister_unit, unit, code.strip())
    return _ok()
