"""The demo remote signing service over HTTP, in the style of the Cloud Signature Consortium
API v2 (``/csc/v2/...``, POST with JSON bodies). A refusal answers
``{"error": CODE, "error_description": sentence}`` (CSC's shape, our stable codes) with the
code's HTTP status. Every call but ``info`` needs ``Authorization: Bearer <hub token>``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from lienthong.errors import ErrorCode, LienthongError
from lienthong.remotesign.model import RemoteSigningError
from lienthong.remotesign.service import RemoteSigningService

PREFIX = "/csc/v2"
router = APIRouter(prefix=PREFIX, tags=["remote signing (CSC v2)"])


def service_of(request: Request) -> RemoteSigningService:
    service = getattr(request.app.state, "remotesign", None)
    if service is None:
        raise RemoteSigningError("No remote signing service here.", code=ErrorCode.ROUTE_NOT_FOUND)
    assert isinstance(service, RemoteSigningService)
    return service


def _refusal(exc: LienthongError) -> JSONResponse:
    body: dict[str, Any] = {"error": str(exc.code), "error_description": exc.message}
    if exc.detail:
        body["detail"] = exc.detail
    return JSONResponse(body, status_code=exc.http_status)


async def _body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise RemoteSigningError("A JSON object is required.", code=ErrorCode.REQUEST_INVALID)
    return body


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise RemoteSigningError(f"{name}: a string is required.", code=ErrorCode.REQUEST_INVALID)
    return value


def _texts(body: dict[str, Any], name: str) -> list[str]:
    value = body.get(name)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RemoteSigningError(
            f"{name}: a list of strings is required.", code=ErrorCode.REQUEST_INVALID
        )
    return value


async def _call(
    request: Request, work: Callable[[RemoteSigningService, str, dict[str, Any]], Any]
) -> JSONResponse:
    try:
        service = service_of(request)
        header = request.headers.get("authorization", "")
        token = header[7:] if header.lower().startswith("bearer ") else None
        client = service.client_of(token)
        body = await _body(request)
        answer = await run_in_threadpool(work, service, client, body)
    except LienthongError as exc:
        return _refusal(exc)
    return JSONResponse(answer)


@router.post("/info")
async def info(request: Request) -> JSONResponse:
    """The service's name, specification version and methods (no token needed)."""
    try:
        return JSONResponse(service_of(request).info())
    except LienthongError as exc:
        return _refusal(exc)


@router.post("/credentials/list")
async def credentials_list(request: Request) -> JSONResponse:
    """``{"userID"}`` -> ``{"credentialIDs": [...]}``: the credentials the user holds."""
    return await _call(
        request,
        lambda s, _c, b: {"credentialIDs": s.list_credentials(_text(b, "userID"))},
    )


@router.post("/credentials/info")
async def credentials_info(request: Request) -> JSONResponse:
    """``{"credentialID"}`` -> the key, the certificate (status, chain) and the auth mode."""
    return await _call(request, lambda s, _c, b: s.credential_info(_text(b, "credentialID")))


@router.post("/credentials/authorize")
async def credentials_authorize(request: Request) -> JSONResponse:
    """``{"credentialID", "numSignatures", "hashes", "hashAlgorithmOID", "description"}`` ->
    ``{"requestID", "expiresIn", "approvalURI"}``: the holder approves on the phone."""

    def work(s: RemoteSigningService, client: str, b: dict[str, Any]) -> dict[str, Any]:
        hashes = _texts(b, "hashes")
        if b.get("numSignatures", len(hashes)) != len(hashes):
            raise RemoteSigningError(
                "numSignatures differs from the number of hashes.",
                code=ErrorCode.REQUEST_INVALID,
            )
        description = b.get("description")
        return s.authorize(
            client,
            _text(b, "credentialID"),
            hashes,
            description if isinstance(description, str) else "",
        )

    return await _call(request, work)


@router.post("/credentials/authorizeCheck")
async def credentials_authorize_check(request: Request) -> JSONResponse:
    """``{"requestID"}`` -> ``{"status": "pending"}`` or ``{"status": "approved", "SAD"}``."""
    return await _call(request, lambda s, c, b: s.authorize_check(c, _text(b, "requestID")))


@router.post("/signatures/signHash")
async def signatures_sign_hash(request: Request) -> JSONResponse:
    """``{"credentialID", "SAD", "hashes", "hashAlgorithmOID", "signAlgo"}`` ->
    ``{"signatures": [...]}`` (base64, one per hash)."""

    def work(s: RemoteSigningService, client: str, b: dict[str, Any]) -> dict[str, Any]:
        signatures = s.sign_hash(
            client,
            _text(b, "credentialID"),
            _text(b, "SAD"),
            _texts(b, "hashes"),
            hash_algo=str(b.get("hashAlgorithmOID") or "2.16.840.1.101.3.4.2.1"),
            sign_algo=str(b.get("signAlgo") or "1.2.840.113549.1.1.11"),
        )
        return {"signatures": signatures}

    return await _call(request, work)
