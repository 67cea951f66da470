"""REST API of the hub (``/api/v1``): thin routes over :class:`ExchangeService`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lienthong import metrics
from lienthong.blobs.staging import StagedFile, StagingArea
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.model import TransportState
from lienthong.logs import get_logger
from lienthong.web.auth import container_of, current_agency
from lienthong.web.params import Offset, RowId

router = APIRouter(prefix="/api/v1", tags=["exchange"])
log = get_logger("lienthong.exchange")
Agency = Annotated[str, Depends(current_agency)]


class PackageTooLargeError(LienthongError):
    default_code = ErrorCode.PACKAGE_TOO_LARGE


async def spool_body(chunks: AsyncIterator[bytes], staging: StagingArea, limit: int) -> StagedFile:
    """Write a request body to a staged file as it arrives; refuse it past ``limit`` bytes."""
    staged = staging.new_file(".edxml")
    async for chunk in chunks:
        if staged.size + len(chunk) > limit:
            staged.close()
            raise PackageTooLargeError(detail={"limit_bytes": limit})
        staged.write(chunk)
    staged.close()
    return staged


def _iter_file(stream: Any, chunk: int = 256 * 1024) -> Iterator[bytes]:
    try:
        while data := stream.read(chunk):
            yield data
    finally:
        stream.close()


@router.post(
    "/packages",
    status_code=201,
    summary="Send an edXML package (document, revoke/update/replace, or status)",
    responses={200: {"description": "An exact retry: the original answer"}},
)
async def send_package(
    request: Request,
    agency: Agency,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> JSONResponse:
    """The body is the raw edXML package, streamed to disk as it arrives (never held whole in
    memory). The authenticated agency must be the package's ``From``. With an
    ``Idempotency-Key`` header, an exact retry returns the original answer (HTTP 200)."""
    container = container_of(request)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > container.settings.max_package_bytes:
        raise PackageTooLargeError(detail={"limit_bytes": container.settings.max_package_bytes})
    with StagingArea(container.settings.staging_dir) as staging:
        staged = await spool_body(request.stream(), staging, container.settings.max_package_bytes)
        result = await run_in_threadpool(
            container.exchange.receive_package,
            agency,
            staged,
            staging,
            idempotency_key=idempotency_key,
        )
    if not result.replay:
        metrics.PACKAGES_ACCEPTED.labels(kind=result.kind).inc()
        log.info(
            "package.accepted",
            message_id=result.message_id,
            kind=result.kind,
            sender=agency,
            recipients=result.recipients,
            size=result.package_size,
        )
    answer = result.as_dict()
    if container.receipts is not None:
        # The hub's signed receipt (lienthong.trust.receipts); RS256 is deterministic, so an
        # exact retry gets the same receipt as the original answer.
        answer["receipt"] = await run_in_threadpool(container.receipts.sign_answer, answer, agency)
    return JSONResponse(answer, status_code=200 if result.replay else 201)


@router.get("/inbox", summary="Pending deliveries for the calling agency")
async def inbox(
    request: Request,
    agency: Agency,
    cursor: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    kind: Literal["edoc", "status"] | None = None,
) -> dict[str, Any]:
    """Cursor-paginated: pass ``next_cursor`` back as ``cursor`` until it is null."""
    items, next_cursor = await run_in_threadpool(
        container_of(request).exchange.inbox, agency, after=cursor, limit=limit, kind=kind
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/inbox/{delivery_id}/package", summary="Fetch a delivery's package (edXML bytes)")
async def fetch_package(request: Request, agency: Agency, delivery_id: RowId) -> StreamingResponse:
    stream, size, digest = await run_in_threadpool(
        container_of(request).exchange.open_delivery, agency, delivery_id
    )
    return StreamingResponse(
        _iter_file(stream),
        media_type="application/xml",
        headers={"Content-Length": str(size), "X-Package-SHA256": digest},
    )


class Ack(BaseModel):
    result: Literal["done", "fail"] = Field(description="done: fetched and stored; fail: not")
    reason: str | None = Field(default=None, max_length=2000)


@router.post("/inbox/{delivery_id}/ack", summary="Transport acknowledgement of a fetch")
async def acknowledge(
    request: Request, agency: Agency, delivery_id: RowId, ack: Ack
) -> dict[str, Any]:
    state = TransportState.DONE if ack.result == "done" else TransportState.FAILED
    answer: dict[str, Any] = await run_in_threadpool(
        container_of(request).exchange.acknowledge, agency, delivery_id, state, ack.reason
    )
    return answer


@router.get("/statuses", summary="Statuses of the documents the calling agency sent")
async def statuses(
    request: Request,
    agency: Agency,
    cursor: Offset = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    items, next_cursor = await run_in_threadpool(
        container_of(request).exchange.statuses, agency, after=cursor, limit=limit
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/documents", summary="Documents the calling agency sent, newest first")
async def sent_documents(
    request: Request,
    agency: Agency,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    items, next_cursor = await run_in_threadpool(
        container_of(request).exchange.sent_documents, agency, limit=limit, cursor=cursor
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/documents/{document_id}", summary="A document with per-recipient timeline")
async def document(request: Request, agency: Agency, document_id: str) -> dict[str, Any]:
    view: dict[str, Any] = await run_in_threadpool(
        container_of(request).exchange.document_view, agency, document_id
    )
    return view
