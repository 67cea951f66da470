"""REST API of the portal (``/api/v1/portal``): dossier sync for one-stop systems (HTTP Basic
or mutual TLS as their agency, like the hub's other calls), look-ups, the catalogue.

Field names are those of the one-stop gateway (``MaHoSo``, ``MaTTHC``, ``NgayTiepNhan``
``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh, ...); the JSON gateway style is in
:mod:`lienthong.portal.gateway`.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lienthong.calendar import WorkingCalendar
from lienthong.errors import ErrorCode, LienthongError
from lienthong.portal import catalogue
from lienthong.portal.model import MAX_BATCH, PortalError
from lienthong.portal.service import BatchResult, PortalService
from lienthong.portal.views import dossier_json
from lienthong.web.auth import container_of, current_agency

router = APIRouter(prefix="/api/v1/portal", tags=["portal"])
Agency = Annotated[str, Depends(current_agency)]
# A batch of 1,000 full dossiers stays well under this; a larger body is refused unread.
MAX_BODY_BYTES = 16 * 1024 * 1024
# A dossier is a few levels deep ({"items": [{"DanhSachGiayTo": [{...}]}]}); far deeper is
# refused (REQUEST_TOO_DEEP) rather than walked by the parser and the code after it.
MAX_JSON_DEPTH = 32


def portal_of(request: Request) -> PortalService:
    """The process's portal service (built once, on first use, from the container)."""
    service: PortalService | None = getattr(request.app.state, "portal", None)
    if service is None:
        container = container_of(request)
        settings = container.settings
        calendar = (
            WorkingCalendar.from_settings(settings)
            if hasattr(settings, "calendar_days_off")
            else WorkingCalendar()
        )
        service = PortalService(container.db, container.clock, container.agencies, calendar)
        request.app.state.portal = service
    return service


async def read_json(request: Request) -> Any:
    """The body as JSON; REQUEST_INVALID when it is not, PORTAL_BATCH_TOO_LARGE past the limit."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PortalError(
            "the request body is too large",
            code=ErrorCode.PORTAL_BATCH_TOO_LARGE,
            detail={"limit_bytes": MAX_BODY_BYTES},
        )
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise PortalError(
                "the request body is too large",
                code=ErrorCode.PORTAL_BATCH_TOO_LARGE,
                detail={"limit_bytes": MAX_BODY_BYTES},
            )
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LienthongError("The body is not JSON.", code=ErrorCode.REQUEST_INVALID) from exc
    except RecursionError as exc:  # nested past the interpreter's limit (about 1,000 levels)
        raise _too_deep() from exc
    if _depth_exceeds(payload, MAX_JSON_DEPTH):
        raise _too_deep()
    return payload


def _too_deep() -> LienthongError:
    return LienthongError(code=ErrorCode.REQUEST_TOO_DEEP, detail={"limit_depth": MAX_JSON_DEPTH})


def _depth_exceeds(value: Any, limit: int) -> bool:
    """True when arrays and objects nest more than ``limit`` levels (walked without recursion:
    what later code walks recursively stays shallow)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def batch_items(payload: Any) -> list[Any]:
    items = payload.get("items") if isinstance(payload, dict) else payload
    if not isinstance(items, list):
        raise LienthongError(
            'Expected {"items": [...]} (at most 1,000).', code=ErrorCode.REQUEST_INVALID
        )
    if len(items) > MAX_BATCH:
        raise PortalError(
            f"{len(items)} items; at most {MAX_BATCH} per call",
            code=ErrorCode.PORTAL_BATCH_TOO_LARGE,
            detail={"limit": MAX_BATCH, "items": len(items)},
        )
    return items


def single(result: BatchResult) -> dict[str, Any]:
    """One item's answer, or its refusal raised with the item's code."""
    item = result.items[0]
    if "error" in item:
        raise LienthongError(item["error"]["message"], code=ErrorCode(item["error"]["code"]))
    return item


@router.put("/dossiers/{code}", summary="Insert or update one dossier (DongBoHoSoMC)")
async def put_dossier(request: Request, agency: Agency, code: str) -> dict[str, Any]:
    payload = await read_json(request)
    if not isinstance(payload, dict):
        raise LienthongError("Expected a dossier object.", code=ErrorCode.REQUEST_INVALID)
    named = payload.get("MaHoSo")
    if named not in (None, "", code):
        raise LienthongError(
            f"The body names dossier {str(named)[:64]!r}, the path {code!r}: they must match.",
            code=ErrorCode.REQUEST_INVALID,
        )
    payload = {**payload, "MaHoSo": code}
    result = await run_in_threadpool(portal_of(request).sync_dossiers, agency, [payload])
    return single(result)


@router.post("/dossiers/batch", summary="Insert or update up to 1,000 dossiers")
async def post_dossiers(request: Request, agency: Agency) -> dict[str, Any]:
    """Valid items are stored, refused ones reported item by item with their error code."""
    items = batch_items(await read_json(request))
    result = await run_in_threadpool(portal_of(request).sync_dossiers, agency, items)
    return result.as_dict()


@router.post("/dossiers/{code}/steps", summary="Append a processing step (CapNhatTienDoHoSoMC)")
async def post_step(request: Request, agency: Agency, code: str) -> dict[str, Any]:
    payload = await read_json(request)
    if not isinstance(payload, dict):
        raise LienthongError("Expected a step object.", code=ErrorCode.REQUEST_INVALID)
    result = await run_in_threadpool(
        portal_of(request).sync_steps, agency, [{**payload, "MaHoSo": code}]
    )
    return single(result)


@router.post("/steps/batch", summary="Append up to 1,000 processing steps")
async def post_steps(request: Request, agency: Agency) -> dict[str, Any]:
    items = batch_items(await read_json(request))
    result = await run_in_threadpool(portal_of(request).sync_steps, agency, items)
    return result.as_dict()


@router.get("/dossiers/{code}", summary="A dossier's state and history (TraCuuHoSo)")
async def get_dossier(request: Request, agency: Agency, code: str) -> dict[str, Any]:
    service = portal_of(request)
    view = await run_in_threadpool(service.lookup, code)
    if agency not in await run_in_threadpool(service.registry.chain, view.state.agency_code):
        raise PortalError(code=ErrorCode.PORTAL_AGENCY_NOT_IN_SCOPE)
    return dossier_json(view)


@router.get("/procedures/{code}", summary="A procedure's versions (LayThuTuc)")
async def get_procedure(request: Request, _agency: Agency, code: str) -> dict[str, Any]:
    versions = await run_in_threadpool(portal_of(request).procedure, code)
    return {"versions": [catalogue.gateway_view(v) for v in versions]}


@router.post("/procedures/import", summary="Import catalogue versions (CSV or JSON)")
async def import_procedures(request: Request, agency: Agency) -> JSONResponse:
    """Only the hub operator's agency (``hub_code``) maintains the catalogue."""
    if agency != container_of(request).settings.hub_code:
        raise LienthongError(
            "Only the hub operator imports the catalogue.", code=ErrorCode.FORBIDDEN
        )
    body = (await request.body()).decode("utf-8-sig", errors="replace")
    if "csv" in request.headers.get("content-type", ""):
        import io

        versions = catalogue.parse_csv(io.StringIO(body))
    else:
        versions = catalogue.parse_json(body)
    count = await run_in_threadpool(portal_of(request).import_catalogue, versions, agency)
    return JSONResponse({"imported": count}, status_code=201)
