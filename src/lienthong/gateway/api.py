"""The gateway's local API for the agency's document software (thin routes over
:class:`GatewayService`). It listens on loopback by default, and every call (``/healthz`` and
``/docs`` included) presents the gateway's token as ``Authorization: Bearer``
(:mod:`lienthong.gateway.token`): ``GATEWAY_TOKEN_MISSING`` or ``GATEWAY_TOKEN_INVALID`` (401)
otherwise, before any route runs, so nothing is signed, sent, pulled or stored."""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from lienthong import __version__
from lienthong.client.rest import HubError
from lienthong.errors import ErrorCode, LienthongError
from lienthong.gateway.service import GatewayService
from lienthong.web import faults as web_faults
from lienthong.web.params import Offset, RowId

ROUTING_CODES = {404: ErrorCode.ROUTE_NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED}


class StatusRequest(BaseModel):
    document_id: str = Field(max_length=100, description="The received document's DocumentId")
    original_sender: str = Field(max_length=64, description="Who sent that document")
    status_code: str = Field(max_length=2, description="QCVN 102 status code, e.g. 03")
    description: str = Field(default="", max_length=2000)


def _refusal(code: ErrorCode, message: str) -> JSONResponse:
    error = LienthongError(message, code=code)
    return JSONResponse(
        {"error": error.as_dict()},
        status_code=error.http_status,
        headers={"WWW-Authenticate": 'Bearer realm="lienthong-gateway"'},
    )


def create_gateway_app(service: GatewayService, *, token: str, retry_after: int = 5) -> FastAPI:
    """The local API; every call must carry ``Authorization: Bearer <token>``."""
    if not token:
        raise ValueError("the gateway's local API needs a token")
    app = FastAPI(
        title="lienthong gateway",
        version=__version__,
        description="An agency's gateway to the hub: signs, sends, pulls and verifies.",
    )
    app.state.gateway = service
    expected = token.encode("utf-8")

    @app.middleware("http")
    async def _bearer(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        scheme, _, value = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return _refusal(
                ErrorCode.GATEWAY_TOKEN_MISSING,
                "Send the gateway's token as 'Authorization: Bearer <token>'.",
            )
        if not hmac.compare_digest(value.strip().encode("utf-8"), expected):
            return _refusal(ErrorCode.GATEWAY_TOKEN_INVALID, "The gateway's token is wrong.")
        return await call_next(request)

    @app.exception_handler(LienthongError)
    async def _refused(_request: Request, exc: LienthongError) -> JSONResponse:
        return JSONResponse({"error": exc.as_dict()}, status_code=exc.http_status)

    @app.exception_handler(HubError)
    async def _hub_refused(_request: Request, exc: HubError) -> JSONResponse:
        # The hub's refusal, passed on with its code and status (nothing was stored there),
        # and its Retry-After (STORAGE_UNAVAILABLE: the same key may be sent again later).
        body = {"code": exc.code, "message": exc.message, "detail": exc.detail}
        headers = {"Retry-After": f"{exc.retry_after:g}"} if exc.retry_after is not None else None
        return JSONResponse({"error": body}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        # The documented envelope with a stable code, not FastAPI's {"detail": [...]}.
        refusal = LienthongError(
            "The request parameters are invalid.",
            code=ErrorCode.REQUEST_INVALID,
            detail={"errors": [str(e.get("msg")) for e in exc.errors()]},
        )
        return JSONResponse({"error": refusal.as_dict()}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _routing(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = ROUTING_CODES.get(exc.status_code, ErrorCode.REQUEST_INVALID)
        refusal = LienthongError(code=code)
        return JSONResponse(
            {"error": refusal.as_dict()}, status_code=exc.status_code, headers=exc.headers
        )

    # The gateway's own SQLite file or package folder failing (a full disk): 503, not 500.
    web_faults.install(app, retry_after, object_store=False)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.post("/send", status_code=201, summary="Sign a raw edXML package and send it")
    async def send(
        request: Request, idempotency_key: Annotated[str | None, Header(max_length=200)] = None
    ) -> JSONResponse:
        """Body: the raw (unsigned) edXML. Answer: the hub's answer, its verified receipt."""
        body = await request.body()
        if not body:
            raise LienthongError("The body is empty.", code=ErrorCode.REQUEST_INVALID)
        answer = await run_in_threadpool(service.send, body, idempotency_key=idempotency_key)
        return JSONResponse(answer, status_code=200 if answer.get("replay") else 201)

    @app.post("/status", status_code=201, summary="Sign and send a status package")
    async def status(
        payload: StatusRequest,
        idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
    ) -> JSONResponse:
        answer = await run_in_threadpool(
            lambda: service.send_status(**payload.model_dump(), idempotency_key=idempotency_key)
        )
        return JSONResponse(answer, status_code=200 if answer.get("replay") else 201)

    @app.get("/inbox", summary="Pull from the hub (verify, store, ack), then list what is stored")
    async def inbox(
        after: Offset = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        pull: bool = True,
        verified: bool | None = None,
    ) -> dict[str, Any]:
        pulled = await run_in_threadpool(service.pull) if pull else []
        items = await run_in_threadpool(
            lambda: service.inbox(after=after, limit=limit, verified=verified)
        )
        return {"pulled": len(pulled), "items": items}

    @app.get("/inbox/{incoming_id}/package", summary="A stored package, as received")
    async def package(incoming_id: RowId) -> Response:
        data = await run_in_threadpool(service.package, incoming_id)
        return Response(data, media_type="application/xml")

    return app
