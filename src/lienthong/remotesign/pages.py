"""The key holder's phone pages of the demo remote signing service (phone width, in
Vietnamese): the approval of one signature request with the one-time code, and the demo
SMS outbox (what a text message would have carried)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from lienthong.errors import ErrorCode, LienthongError
from lienthong.messages import vietnamese
from lienthong.remotesign.api import service_of
from lienthong.web.pages import render

router = APIRouter(include_in_schema=False)


@router.get("/ky-so-tu-xa/yeu-cau/{request_id}")
async def approval(request: Request, request_id: str) -> Response:
    return await _page(request, request_id)


@router.post("/ky-so-tu-xa/yeu-cau/{request_id}")
async def approve(request: Request, request_id: str, ma: Annotated[str, Form()] = "") -> Response:
    try:
        service = service_of(request)
        verdict = await run_in_threadpool(service.approve, request_id, ma)
    except LienthongError as exc:
        return _missing(request, exc)
    if verdict.error is None:
        return await _page(
            request, request_id, done="Đã duyệt. Hệ thống văn thư sẽ hoàn tất chữ ký."
        )
    status = 422 if verdict.error.code is ErrorCode.REMOTE_SIGNING_CODE_WRONG else 409
    text = vietnamese(verdict.error.code)
    if verdict.attempts_left:
        text += f" Còn {verdict.attempts_left} lần nhập."
    return await _page(request, request_id, error=text, code=str(verdict.error.code), status=status)


@router.get("/ky-so-tu-xa/tin-nhan/{user_id}")
async def sms(request: Request, user_id: str) -> Response:
    try:
        messages = await run_in_threadpool(service_of(request).outbox, user_id)
    except LienthongError as exc:
        return _missing(request, exc)
    return render(request, "remotesign/sms.html", {"messages": messages})


async def _page(
    request: Request,
    request_id: str,
    *,
    done: str = "",
    error: str = "",
    code: str = "",
    status: int = 200,
) -> Response:
    try:
        req = await run_in_threadpool(service_of(request).request_view, request_id)
    except LienthongError as exc:
        return _missing(request, exc)
    context = {"req": req, "done": done, "error": error, "error_code": code}
    return render(request, "remotesign/approve.html", context, status=status)


def _missing(request: Request, exc: LienthongError) -> Response:
    return Response(vietnamese(exc.code), status_code=exc.http_status, media_type="text/plain")
