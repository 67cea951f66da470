"""The JSON gateway in the style real one-stop systems sync with: one URL, ``POST
{"service": NAME, ...}``, a session token from ``LayToken``, and ``error_code`` (0 = success).

Services: ``LayToken`` (``username`` = system id, ``password`` = secret of the agency's
credentials; answers ``token``), ``DongBoHoSoMC`` (``data``: a dossier or a list of up to 1,000;
``isUpdating`` is accepted and not needed: every call is an upsert), ``CapNhatTienDoHoSoMC``
(``data``: steps), ``TraCuuHoSo`` (``MaHoSo``), ``LayThuTuc`` (``MaTTHC``),
``LayDanhSachTTHC``. The token goes in the body (``token``) or ``Authorization: Bearer``.

Answers are HTTP 200 with ``error_code``: 0 when everything was accepted; 207 when a batch was
partly refused (``items`` say which, with their codes); otherwise the HTTP status of the
refusal's code, with ``error`` (the stable code) and ``message``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lienthong.errors import ERROR_TABLE, ErrorCode, LienthongError
from lienthong.faults import storage_failure
from lienthong.portal import catalogue
from lienthong.portal.api import batch_items, portal_of, read_json
from lienthong.portal.model import PortalError
from lienthong.portal.service import BatchResult
from lienthong.portal.views import dossier_gateway_view

router = APIRouter(tags=["portal gateway"])

PARTIAL = 207


def _answer(payload: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"error_code": 0, "message": "Thành công", **payload})


def _refusal(exc: LienthongError) -> JSONResponse:
    return JSONResponse(
        {
            "error_code": exc.http_status,
            "error": str(exc.code),
            "message": exc.message,
            "detail": exc.detail,
        }
    )


def _batch(result: BatchResult) -> JSONResponse:
    body = result.as_dict()
    if result.refused == 0:
        return _answer(body)
    if len(result.items) == 1:
        error = result.items[0]["error"]
        status = ERROR_TABLE[ErrorCode(error["code"])][0]
        return JSONResponse(
            {"error_code": status, "error": error["code"], "message": error["message"], **body}
        )
    return JSONResponse(
        {"error_code": PARTIAL, "error": "PARTIAL", "message": "Một số hồ sơ bị từ chối", **body}
    )


def _token(request: Request, payload: dict[str, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    token = payload.get("token") or payload.get("session")
    return token if isinstance(token, str) else None


def _data(payload: dict[str, Any]) -> list[Any]:
    data = payload.get("data")
    if isinstance(data, dict):
        return [data]
    return batch_items(data)


@router.post("/portal/gateway", summary="One-stop JSON gateway (service + session token)")
async def gateway(request: Request) -> JSONResponse:
    try:
        payload = await read_json(request)
        if not isinstance(payload, dict) or not isinstance(payload.get("service"), str):
            raise LienthongError('Expected {"service": NAME, ...}.', code=ErrorCode.REQUEST_INVALID)
        return await _dispatch(request, payload)
    except LienthongError as exc:
        return _refusal(exc)
    except Exception as exc:
        # A storage failure (lienthong.faults): its own envelope, HTTP 503 and Retry-After;
        # anything else is raised again (a 500).
        retry_after = request.app.state.container.settings.storage_retry_after_seconds
        failure = storage_failure(exc, retry_after=retry_after)
        if failure is None:
            raise
        answer = _refusal(failure)
        answer.status_code = 503
        answer.headers["Retry-After"] = str(failure.retry_after)
        return answer


async def _dispatch(request: Request, payload: dict[str, Any]) -> JSONResponse:
    service = portal_of(request)
    name = payload["service"]
    if name == "LayToken":
        username, password = payload.get("username"), payload.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise LienthongError("username and password are required", code=ErrorCode.AUTH_FAILED)
        token, until = await run_in_threadpool(service.login, username, password)
        return _answer({"token": token, "expires": until.isoformat()})
    if name not in _SERVICES:
        raise PortalError(f"no service {name!r}", code=ErrorCode.PORTAL_SERVICE_UNKNOWN)
    agency = await run_in_threadpool(service.session_agency, _token(request, payload))
    if name == "DongBoHoSoMC":
        items = _data(payload)
        return _batch(await run_in_threadpool(service.sync_dossiers, agency, items))
    if name == "CapNhatTienDoHoSoMC":
        items = _data(payload)
        return _batch(await run_in_threadpool(service.sync_steps, agency, items))
    if name == "TraCuuHoSo":
        code = payload.get("MaHoSo")
        if not isinstance(code, str):
            raise PortalError("MaHoSo is required", code=ErrorCode.PORTAL_DOSSIER_CODE_INVALID)
        view = await run_in_threadpool(service.lookup, code)
        if agency not in await run_in_threadpool(service.registry.chain, view.state.agency_code):
            raise PortalError(code=ErrorCode.PORTAL_AGENCY_NOT_IN_SCOPE)
        return _answer({"result": dossier_gateway_view(view)})
    if name == "LayThuTuc":
        code = payload.get("MaTTHC")
        if not isinstance(code, str):
            raise PortalError("MaTTHC is required", code=ErrorCode.PORTAL_PROCEDURE_NOT_FOUND)
        versions = await run_in_threadpool(service.procedure, code)
        return _answer({"result": [catalogue.gateway_view(v) for v in versions]})
    versions = await run_in_threadpool(service.catalogue)
    return _answer({"result": [catalogue.gateway_view(v) for v in versions]})


_SERVICES = frozenset(
    {"DongBoHoSoMC", "CapNhatTienDoHoSoMC", "TraCuuHoSo", "LayThuTuc", "LayDanhSachTTHC"}
)
