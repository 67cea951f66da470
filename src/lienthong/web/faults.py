"""Storage failures answered in the contract: ``503 STORAGE_UNAVAILABLE`` with ``Retry-After``.

The handlers are installed on the app for the exception types a storage failure raises
(SQLAlchemy errors, ``OSError``, botocore errors), so every router answers alike, whatever
its domain: the JSON envelope for the APIs, the code's Vietnamese sentence for a page (a
request whose ``Accept`` asks for HTML). An exception of those types that is not a storage
failure (:func:`lienthong.faults.storage_failure` says which) is raised again: a bug stays a
500. The axis protocol answers its own way (:mod:`lienthong.exchange.axis`).
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from lienthong import metrics
from lienthong.faults import StorageUnavailableError, storage_failure
from lienthong.logs import get_logger
from lienthong.messages import vietnamese

log = get_logger("lienthong.http")


def retry_headers(exc: StorageUnavailableError) -> dict[str, str]:
    return {"Retry-After": str(exc.retry_after)}


def wants_html(request: Request) -> bool:
    """A browser's navigation or form post (pages), not an API call."""
    return "text/html" in request.headers.get("accept", "")


def storage_response(request: Request, exc: StorageUnavailableError) -> Response:
    """The 503 answer: the JSON envelope, or a page with the Vietnamese sentence."""
    metrics.REFUSALS.labels(code=str(exc.code)).inc()
    if wants_html(request):
        from lienthong.web.pages import render

        try:
            response: Response = render(
                request,
                "unavailable.html",
                {"message": vietnamese(exc.code), "code": str(exc.code)},
                status=503,
            )
        except Exception:  # the page must not fail for want of what failed the request
            response = HTMLResponse(
                f"<!doctype html><html lang='vi'><meta charset='utf-8'>"
                f"<p>{vietnamese(exc.code)}</p></html>",
                status_code=503,
            )
        response.headers.update(retry_headers(exc))
        return response
    return JSONResponse({"error": exc.as_dict()}, status_code=503, headers=retry_headers(exc))


def install(app: FastAPI, retry_after: int, *, object_store: bool) -> None:
    """Answer every storage failure raised by a route or a dependency with a 503
    (``object_store``: botocore's errors too, for the S3 blob store)."""

    async def _storage_error(request: Request, exc: Exception) -> Response:
        refusal = storage_failure(exc, retry_after=retry_after)
        if refusal is None:
            raise exc
        log.warning(
            "storage_unavailable",
            cause=str(refusal.cause),
            path=request.url.path,
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
        return storage_response(request, refusal)

    app.add_exception_handler(SQLAlchemyError, _storage_error)
    app.add_exception_handler(OSError, _storage_error)
    if not object_store:
        return
    from botocore.exceptions import BotoCoreError, ClientError

    app.add_exception_handler(BotoCoreError, _storage_error)
    app.add_exception_handler(ClientError, _storage_error)
