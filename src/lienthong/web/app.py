"""The HTTP application: each domain's router, error mapping, health and metrics."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http import HTTPStatus

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from lienthong import __version__, metrics
from lienthong.blobs import staging
from lienthong.config import Settings, load_settings
from lienthong.errors import ErrorCode, LienthongError
from lienthong.faults import StorageUnavailableError
from lienthong.health.service import Readiness
from lienthong.logs import configure_logging, get_logger
from lienthong.web import faults as web_faults
from lienthong.web.container import Container, build_container
from lienthong.web.error_pages import error_page, wants_page
from lienthong.web.faults import storage_response
from lienthong.web.headers import SecurityHeaders, mark_security_headers
from lienthong.web.nostore import NoStoreForSignedIn
from lienthong.web.pages import STATIC_DIR, render

log = get_logger("lienthong.http")


# Routing refusals (no such path, method not taken) in the documented ``{"error": ...}`` envelope.
_ROUTING_CODES = {404: ErrorCode.ROUTE_NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED}


def error_response(exc: LienthongError) -> JSONResponse:
    metrics.REFUSALS.labels(code=str(exc.code)).inc()
    headers = {"WWW-Authenticate": 'Basic realm="lienthong"'} if exc.http_status == 401 else None
    return JSONResponse({"error": exc.as_dict()}, status_code=exc.http_status, headers=headers)


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    """Build the app. Nothing connects until the first request or the lifespan start."""
    settings = settings or (container.settings if container else load_settings())
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not hasattr(app.state, "container"):
            app.state.container = build_container(settings)
        removed = staging.sweep(settings.staging_dir)  # folders of requests cut by a crash
        if removed:
            log.info("staging.swept", removed=removed)
        collector = app.state.container.blob_collector
        if collector is not None:
            collector.start()  # blob garbage collection (lienthong.blobs.gc)
        worker = app.state.container.federation_worker
        if worker is not None:
            worker.start()  # forwarding and directory pulling (lienthong.federation.worker)
        yield
        if worker is not None:
            worker.close()
        if container is None:
            app.state.container.close()

    app = FastAPI(
        title="lienthong hub",
        version=__version__,
        description=(
            "National document exchange hub (Decision 28/2018/QĐ-TTg): send and receive edXML "
            "packages (QCVN 102:2016), statuses, recall/update/replace. Errors: "
            '`{"error": {"code", "message", "detail"}}` with the codes of docs/errors.md.'
        ),
        lifespan=lifespan,
    )
    if container is not None:
        app.state.container = container

    @app.exception_handler(LienthongError)
    async def _domain_error(request: Request, exc: LienthongError) -> Response:
        if isinstance(exc, StorageUnavailableError):  # not counted: the store is what failed
            return storage_response(request, exc)
        log.info("refused", code=str(exc.code), message=exc.message)
        await _count_refusal(request, exc)
        if wants_page(request):
            metrics.REFUSALS.labels(code=str(exc.code)).inc()
            return await error_page(request, exc.http_status, exc.code)
        return error_response(exc)

    web_faults.install(
        app, settings.storage_retry_after_seconds, object_store=settings.blob_backend == "s3"
    )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> Response:
        if wants_page(request):
            return await error_page(request, 422, ErrorCode.REQUEST_INVALID)
        return error_response(
            LienthongError(
                "The request parameters are invalid.",
                code=ErrorCode.REQUEST_INVALID,
                detail={"errors": [str(e.get("msg")) for e in exc.errors()]},
            )
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_page(request):
            page = await error_page(request, exc.status_code)
            for name, value in (exc.headers or {}).items():
                page.headers.setdefault(name, value)
            return page
        code = _ROUTING_CODES.get(exc.status_code)
        if code is not None and exc.detail in (None, HTTPStatus(exc.status_code).phrase):
            answer = error_response(LienthongError(code=code))
            for name, value in (exc.headers or {}).items():
                answer.headers.setdefault(name, value)  # 405 keeps its Allow
            return answer
        return await http_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Logged by the server as the exception goes on; nothing of it reaches the page.
        # Answered outside the middleware stack (Starlette's outermost layer): mark it here.
        if wants_page(request):
            answer = await error_page(request, 500, ErrorCode.INTERNAL)
        else:
            answer = error_response(LienthongError(code=ErrorCode.INTERNAL))
        mark_security_headers(answer.headers, secure=request.url.scheme == "https")
        return answer

    app.add_middleware(NoStoreForSignedIn)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(_Timing)
    if settings.trusted_proxy_addresses:
        from lienthong.web.proxy import TrustedProxy

        app.add_middleware(TrustedProxy, trusted=settings.trusted_proxy_addresses)

    @app.get("/livez", tags=["operations"])
    async def livez() -> JSONResponse:
        """Liveness: the process answers (restart it when this stops answering)."""
        return JSONResponse({"status": "alive", "version": __version__})

    async def _readiness(request: Request) -> Readiness | None:
        health = getattr(request.app.state.container, "health", None)
        return None if health is None else await run_in_threadpool(health.readiness)

    @app.get("/readyz", tags=["operations"])
    @app.get("/healthz", tags=["operations"])
    async def readyz(request: Request) -> JSONResponse:
        """Readiness: a write commits, blob storage and staging answer and have room above
        ``storage_free_margin_bytes``; 503 with the failing checks otherwise (send traffic
        elsewhere). ``/healthz`` is the same check, for probes configured before the split."""
        readiness = await _readiness(request)
        if readiness is None:
            return JSONResponse({"status": "ok", "version": __version__})
        body = {**readiness.as_dict(), "version": __version__}
        return JSONResponse(body, status_code=200 if readiness.ok else 503)

    @app.get(
        "/metrics",
        tags=["operations"],
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text exposition format",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            }
        },
    )
    async def prometheus(request: Request) -> Response:
        readiness = await _readiness(request)
        body, content_type = metrics.render(readiness.metric_families() if readiness else ())
        return Response(body, media_type=content_type)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def home(request: Request) -> Response:
        return render(request, "home.html")

    from lienthong.accounts.web import PageInterrupt

    @app.exception_handler(PageInterrupt)
    async def _page_interrupt(_request: Request, exc: PageInterrupt) -> Response:
        return exc.response  # a page dependency's redirect to /dang-nhap or 403 page

    for router in _routers():
        app.include_router(router)
    return app


class _Timing:
    """Request duration per route template and method (``REQUEST_SECONDS``).

    A plain ASGI middleware: Starlette's ``BaseHTTPMiddleware`` (``@app.middleware``) runs each
    request through an extra task and memory stream, several percent of a hub's CPU per send.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")
            metrics.REQUEST_SECONDS.labels(route=path, method=scope["method"]).observe(
                time.perf_counter() - started
            )


async def _count_refusal(request: Request, exc: LienthongError) -> None:
    """The monitoring centre counts refusals per agency and day (stats_refusals)."""
    stats = getattr(request.app.state.container, "stats", None)
    if stats is None:
        return
    agency = getattr(request.state, "agency", None) or "unknown"
    try:
        await run_in_threadpool(stats.record_refusal, agency, str(exc.code))
    except Exception:
        log.warning("refusal_not_counted", code=str(exc.code))


def _routers() -> list[APIRouter]:
    """Every domain's router (imported here, not at module import, to keep start-up lazy)."""
    from lienthong.accounts.web import router as accounts_router
    from lienthong.clerk.pages import router as clerk_router
    from lienthong.exchange.api import router as exchange_router
    from lienthong.exchange.axis import router as axis_router
    from lienthong.federation.api import router as federation_router
    from lienthong.lgsp.api import router as lgsp_router
    from lienthong.lgsp.api import token_router as lgsp_token_router
    from lienthong.notifications.pages import router as notifications_router
    from lienthong.portal.api import router as portal_api_router
    from lienthong.portal.gateway import router as portal_gateway_router
    from lienthong.portal.pages import router as portal_pages_router
    from lienthong.reporting.api import router as reporting_api_router
    from lienthong.reporting.pages import router as reporting_pages_router
    from lienthong.stats.pages import router as stats_router
    from lienthong.tasks.api import router as tasks_api_router
    from lienthong.tasks.pages import router as tasks_pages_router

    routers = [exchange_router, axis_router, federation_router, accounts_router, clerk_router]
    routers += [lgsp_token_router, lgsp_router]
    routers.append(stats_router)
    routers += [portal_api_router, portal_gateway_router, portal_pages_router]
    routers += [reporting_api_router, reporting_pages_router]
    routers.append(notifications_router)
    routers += [tasks_api_router, tasks_pages_router]
    return routers
