"""The notifications screen (/thong-bao) of any signed-in user: the list, opening one (marks
it read and goes to its page), marking all read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lienthong.accounts.model import User
from lienthong.accounts.web import csrf_check, page_user
from lienthong.notifications.service import NotificationService
from lienthong.web.pages import render
from lienthong.web.params import RowId

router = APIRouter(include_in_schema=False)
Signed = Annotated[User, Depends(page_user)]


def notifications_of(request: Request) -> NotificationService:
    service: NotificationService | None = request.app.state.container.notifications
    assert service is not None, "the container wires a NotificationService"
    return service


@router.get("/thong-bao")
async def notifications(request: Request, user: Signed) -> Response:
    items = await run_in_threadpool(notifications_of(request).latest, user)
    flash = (
        [("ok", "Đã đánh dấu tất cả thông báo là đã đọc.")]
        if request.query_params.get("tb") == "da-doc"
        else []
    )
    return render(request, "notifications/list.html", {"items": items, "flash": flash})


@router.get("/thong-bao/{notification_id}")
async def open_notification(request: Request, notification_id: RowId, user: Signed) -> Response:
    link = await run_in_threadpool(notifications_of(request).open, user, notification_id)
    if link is None:
        return render(
            request,
            "notifications/list.html",
            {"items": [], "flash": [("error", "Không tìm thấy thông báo.")]},
            status=404,
        )
    return RedirectResponse(link, status_code=303)


@router.post("/thong-bao/da-doc", dependencies=[Depends(csrf_check)])
async def mark_all_read(request: Request, user: Signed) -> Response:
    await run_in_threadpool(notifications_of(request).mark_all_read, user)
    return RedirectResponse("/thong-bao?tb=da-doc", status_code=303)
