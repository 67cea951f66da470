"""The portal's screens. Citizens (no sign-in) under ``/dich-vu-cong``: look up a dossier,
file feedback and follow it, read published answers. Portal operators (signed in) under
``/dich-vu-cong/quan-tri``: dashboards, ranking with the articles' flags, correction queue,
on-time figures traceable to dossiers, feedback handling, XLSX export.

Pages only translate HTTP to service calls; the citizen forms carry a double-submit token
(cookie + field) since citizens have no session.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lienthong.accounts.model import Role, User
from lienthong.accounts.web import client_address, csrf_check, optional_user, require_roles
from lienthong.errors import ERROR_TABLE, ErrorCode, LienthongError
from lienthong.messages import vietnamese
from lienthong.portal import model
from lienthong.portal.api import portal_of
from lienthong.portal.export import workbook_bytes
from lienthong.portal.feedback import FeedbackService, NewFeedback
from lienthong.portal.model import Classification, period_of
from lienthong.portal.service import scope_figures
from lienthong.web.auth import container_of
from lienthong.web.pages import render
from lienthong.web.params import RowId

router = APIRouter(include_in_schema=False)
Operator = Annotated[User, Depends(require_roles(Role.PORTAL_OPERATOR))]
FORM_COOKIE = "lienthong_portal_form"
BASE = "/dich-vu-cong"
ADMIN = f"{BASE}/quan-tri"

LABELS = {
    "status": model.STATUS_LABELS,
    "channel": model.CHANNEL_LABELS,
    "wrong": model.WRONG_CODE_LABELS,
    "timeliness": model.TIMELINESS_LABELS,
    "flag": model.FLAG_LABELS,
    "fb_state": model.FEEDBACK_STATE_LABELS,
    "classification": model.CLASSIFICATION_LABELS,
    "fb_action": model.FEEDBACK_ACTION_LABELS,
}
ERRORS_VI = {
    ErrorCode.PORTAL_DOSSIER_NOT_FOUND: "Không tìm thấy hồ sơ có mã này.",
    ErrorCode.PORTAL_FEEDBACK_NOT_FOUND: "Không tìm thấy phản ánh, kiến nghị có mã này.",
    ErrorCode.PORTAL_FEEDBACK_RATE_LIMITED: (
        "Bạn đã gửi quá nhiều phản ánh trong thời gian ngắn. Vui lòng thử lại sau."
    ),
    ErrorCode.PORTAL_FEEDBACK_STATE: "Thao tác không phù hợp với trạng thái hiện tại.",
    ErrorCode.PORTAL_RECODE_INVALID: (
        "Mã TTHC mới không được công bố cho cơ quan, cấp này tại thời điểm tiếp nhận."
    ),
    ErrorCode.AGENCY_UNKNOWN: "Cơ quan không có trong danh mục.",
}


def english(code: ErrorCode) -> str:
    return ERROR_TABLE[code][1]


def feedback_of(request: Request) -> FeedbackService:
    service: FeedbackService | None = getattr(request.app.state, "portal_feedback", None)
    if service is None:
        container = container_of(request)
        portal = portal_of(request)
        service = FeedbackService(
            container.db, container.clock, container.agencies, portal.calendar
        )
        request.app.state.portal_feedback = service
    return service


def _message(exc: LienthongError) -> str:
    """The refusal in Vietnamese. A feedback form's refusal says what is missing, in Vietnamese
    (``feedback.py`` writes those sentences); any other shows its code's page sentence."""
    if exc.code is ErrorCode.PORTAL_FEEDBACK_INVALID and exc.message != english(exc.code):
        return exc.message
    return ERRORS_VI.get(exc.code) or vietnamese(exc.code)


def _nav(request: Request, active: str, operator: bool) -> None:
    items = [
        (BASE, "Tra cứu hồ sơ"),
        (f"{BASE}/phan-anh/gui", "Gửi phản ánh, kiến nghị"),
        (f"{BASE}/phan-anh/tra-cuu", "Theo dõi phản ánh"),
        (f"{BASE}/phan-anh/cong-khai", "Kết quả công khai"),
    ]
    if operator:
        items += [
            (ADMIN, "Tổng quan"),
            (f"{ADMIN}/xep-hang", "Xếp hạng chất lượng"),
            (f"{ADMIN}/hieu-chinh", "Hiệu chỉnh mã TTHC"),
            (f"{ADMIN}/dung-han", "Đúng hạn"),
            (f"{ADMIN}/phan-anh", "Xử lý phản ánh"),
        ]
    request.state.nav = [{"href": h, "label": label, "active": h == active} for h, label in items]


async def _public(request: Request, active: str) -> None:
    user = await optional_user(request)
    _nav(request, active, bool(user and user.has(Role.PORTAL_OPERATOR)))


def _form_token(request: Request) -> str:
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)


def _with_cookie(request: Request, response: Response, token: str) -> Response:
    """The form cookie; ``Secure`` when the page came over TLS (never sent back in clear)."""
    response.set_cookie(
        FORM_COOKIE,
        token,
        max_age=7200,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path=BASE,
    )
    return response


# --- citizens --------------------------------------------------------------------------------


@router.get(BASE)
async def home(request: Request, ma: str = "") -> Response:
    await _public(request, BASE)
    context: dict[str, Any] = {"labels": LABELS, "code": ma.strip()}
    if context["code"]:
        try:
            view = await run_in_threadpool(portal_of(request).lookup, context["code"])
            context["view"] = view
            context["applicant"] = model.mask_name(view.state.applicant)
            context["overdue"] = model.is_overdue(
                view.state.due, view.state.finished_at, container_of(request).clock.now()
            )
        except LienthongError as exc:
            context["error"] = _message(exc)
    status = 404 if context.get("error") else 200
    return render(request, "portal/lookup.html", context, status=status)


@router.get(f"{BASE}/phan-anh/gui")
async def feedback_form(request: Request) -> Response:
    await _public(request, f"{BASE}/phan-anh/gui")
    token = _form_token(request)
    agencies = await run_in_threadpool(feedback_of(request).agency_names)
    context = {"form_token": token, "values": {}, "agencies": agencies}
    response = render(request, "portal/feedback_form.html", context)
    return _with_cookie(request, response, token)


@router.post(f"{BASE}/phan-anh/gui")
async def feedback_submit(
    request: Request,
    form_token: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    subject: Annotated[str, Form()] = "",
    content: Annotated[str, Form()] = "",
    procedure_code: Annotated[str, Form()] = "",
    agency_code: Annotated[str, Form()] = "",
    submitter_type: Annotated[int, Form()] = 1,
) -> Response:
    await _public(request, f"{BASE}/phan-anh/gui")
    cookie = request.cookies.get(FORM_COOKIE, "")
    values = {
        "name": name,
        "email": email,
        "phone": phone,
        "subject": subject,
        "content": content,
        "procedure_code": procedure_code,
        "agency_code": agency_code,
    }
    if not form_token or not cookie or not hmac.compare_digest(form_token, cookie):
        error, status = "Biểu mẫu đã hết hạn, vui lòng gửi lại.", 403
    else:
        item = NewFeedback(
            name=name,
            content=content,
            subject=subject,
            email=email,
            phone=phone,
            submitter_type=submitter_type,
            procedure_code=procedure_code,
            agency_code=agency_code,
        )
        try:
            code = await run_in_threadpool(
                feedback_of(request).submit, item, client_address(request)
            )
        except LienthongError as exc:
            error, status = _message(exc), exc.http_status
        else:
            target = f"{BASE}/phan-anh/tra-cuu?ma={quote(code)}&moi=1"
            return RedirectResponse(target, status_code=303)
    token = _form_token(request)
    response = render(
        request,
        "portal/feedback_form.html",
        {
            "form_token": token,
            "values": values,
            "error": error,
            "agencies": await run_in_threadpool(feedback_of(request).agency_names),
        },
        status=status,
    )
    return _with_cookie(request, response, token)


@router.get(f"{BASE}/phan-anh/tra-cuu")
async def feedback_track(request: Request, ma: str = "", moi: int = 0) -> Response:
    await _public(request, f"{BASE}/phan-anh/tra-cuu")
    context: dict[str, Any] = {"labels": LABELS, "code": ma.strip(), "new": bool(moi)}
    if context["code"]:
        try:
            item, history = await run_in_threadpool(feedback_of(request).get, context["code"])
            context.update(item=item, history=history)
        except LienthongError as exc:
            context["error"] = _message(exc)
    status = 404 if context.get("error") else 200
    return render(request, "portal/feedback_track.html", context, status=status)


@router.get(f"{BASE}/phan-anh/cong-khai")
async def published(request: Request) -> Response:
    await _public(request, f"{BASE}/phan-anh/cong-khai")
    items = await run_in_threadpool(feedback_of(request).published)
    return render(request, "portal/published.html", {"items": items})


@router.get(f"{BASE}/phan-anh/cong-khai/{{item_id}}")
async def published_item(request: Request, item_id: RowId) -> Response:
    await _public(request, f"{BASE}/phan-anh/cong-khai")
    try:
        item = await run_in_threadpool(feedback_of(request).published_item, item_id)
    except LienthongError as exc:
        return render(request, "portal/published.html", {"items": [], "error": _message(exc)}, 404)
    return render(request, "portal/published_item.html", {"item": item})


# --- operators -------------------------------------------------------------------------------


def _period(request: Request, start: str, end: str) -> tuple[str, str]:
    now = container_of(request).clock.now()
    end = end or period_of(now)
    start = start or period_of(now - timedelta(days=330))
    return start, end


@router.get(ADMIN)
async def dashboard(request: Request, _user: Operator, tu: str = "", den: str = "") -> Response:
    _nav(request, ADMIN, True)
    start, end = _period(request, tu, den)
    rows = await run_in_threadpool(scope_figures, portal_of(request), start, end)
    stats = await run_in_threadpool(feedback_of(request).stats)
    active = [r for r in rows if r.synced][:15]
    context = {
        "labels": LABELS,
        "rows": rows,
        "start": start,
        "end": end,
        "feedback": stats,
        "chart_labels": [r.code.rsplit(".", 1)[-1] for r in active],
        "chart_volume": {
            "Hồ sơ đồng bộ": [r.synced for r in active],
            "Sai mã TTHC": [r.wrong_code for r in active],
        },
        "chart_rates": {
            "Tỷ lệ sai mã (%)": [round(100 * r.wrong_rate, 1) for r in active],
            "Tỷ lệ đúng hạn (%)": [round(100 * (r.on_time_rate or 0), 1) for r in active],
        },
        "totals": {
            "synced": sum(r.synced for r in rows),
            "wrong": sum(r.wrong_code for r in rows),
            "finished": sum(r.finished for r in rows),
            "in_time": sum(r.early + r.on_time for r in rows),
        },
    }
    return render(request, "portal/dashboard.html", context)


@router.get(f"{ADMIN}/xep-hang")
async def ranking(request: Request, _user: Operator, tu: str = "", den: str = "") -> Response:
    _nav(request, f"{ADMIN}/xep-hang", True)
    start, end = _period(request, tu, den)
    rows = await run_in_threadpool(scope_figures, portal_of(request), start, end)
    ranked = sorted(rows, key=lambda r: (-len(r.flags), -r.wrong_rate, r.synced))
    reasons = sorted({reason for r in rows for reason in r.rejected})
    context = {
        "labels": LABELS,
        "rows": ranked,
        "start": start,
        "end": end,
        "reasons": reasons,
        "flagged": sum(1 for r in rows if r.flags),
    }
    return render(request, "portal/ranking.html", context)


@router.get(f"{ADMIN}/hieu-chinh")
async def corrections(request: Request, _user: Operator, tinh: str = "") -> Response:
    _nav(request, f"{ADMIN}/hieu-chinh", True)
    queue = await run_in_threadpool(portal_of(request).correction_queue, tinh or None, 200)
    notice = request.query_params.get("ok")
    return render(
        request,
        "portal/corrections.html",
        {"labels": LABELS, "queue": queue, "root": tinh, "notice": notice},
    )


@router.post(f"{ADMIN}/hieu-chinh", dependencies=[Depends(csrf_check)])
async def recode(
    request: Request,
    user: Operator,
    dossier_code: Annotated[str, Form()],
    procedure_code: Annotated[str, Form()],
) -> Response:
    try:
        await run_in_threadpool(
            portal_of(request).recode, dossier_code, procedure_code.strip(), user.username
        )
    except LienthongError as exc:
        _nav(request, f"{ADMIN}/hieu-chinh", True)
        queue = await run_in_threadpool(portal_of(request).correction_queue, None, 200)
        return render(
            request,
            "portal/corrections.html",
            {"labels": LABELS, "queue": queue, "root": "", "error": _message(exc)},
            status=exc.http_status,
        )
    return RedirectResponse(f"{ADMIN}/hieu-chinh?ok={quote(dossier_code)}", status_code=303)


@router.get(f"{ADMIN}/dung-han")
async def on_time(
    request: Request, _user: Operator, ky: str = "", co_quan: str = "", loai: str = ""
) -> Response:
    _nav(request, f"{ADMIN}/dung-han", True)
    period = ky or period_of(container_of(request).clock.now())
    service = portal_of(request)
    rows = await run_in_threadpool(lambda: scope_figures(service, period, period, by_agency=True))
    dossiers = []
    if co_quan:
        dossiers = await run_in_threadpool(service.dossiers_behind, co_quan, period, loai or None)
    context = {
        "labels": LABELS,
        "rows": rows,
        "period": period,
        "agency": co_quan,
        "kind": loai,
        "dossiers": dossiers,
    }
    return render(request, "portal/on_time.html", context)


@router.get(f"{ADMIN}/xuat.xlsx")
async def export(request: Request, _user: Operator, tu: str = "", den: str = "") -> Response:
    start, end = _period(request, tu, den)
    rows = await run_in_threadpool(scope_figures, portal_of(request), start, end)
    stats = await run_in_threadpool(feedback_of(request).stats)
    data = workbook_bytes(f"{start} – {end}", rows, stats)
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="dich-vu-cong-{start}-{end}.xlsx"'},
    )


@router.get(f"{ADMIN}/phan-anh")
async def feedback_list(request: Request, _user: Operator, trang_thai: str = "") -> Response:
    _nav(request, f"{ADMIN}/phan-anh", True)
    service = feedback_of(request)
    items = await run_in_threadpool(service.items, trang_thai or None)
    reminders = await run_in_threadpool(service.reminders)
    stats = await run_in_threadpool(service.stats)
    context = {
        "labels": LABELS,
        "items": items,
        "reminders": reminders,
        "stats": stats,
        "state": trang_thai,
        "agencies": await run_in_threadpool(service.agency_names),
    }
    return render(request, "portal/feedback_admin.html", context)


@router.get(f"{ADMIN}/phan-anh/{{code}}")
async def feedback_detail(request: Request, _user: Operator, code: str) -> Response:
    _nav(request, f"{ADMIN}/phan-anh", True)
    try:
        item, history = await run_in_threadpool(feedback_of(request).get, code)
    except LienthongError as exc:
        return render(request, "portal/feedback_admin_item.html", {"error": _message(exc)}, 404)
    context = await _item_context(request, item, history)
    context["notice"] = request.query_params.get("ok")
    return render(request, "portal/feedback_admin_item.html", context)


async def _item_context(request: Request, item: Any, history: Any) -> dict[str, Any]:
    """One feedback item as the operator reads it: agencies and people by name."""
    agencies = await run_in_threadpool(feedback_of(request).agency_names)
    return {
        "labels": LABELS,
        "item": item,
        "history": history,
        "classes": list(Classification),
        "agencies": agencies,
        "actors": await run_in_threadpool(_actor_names, request, {e.actor for e in history}),
    }


def _actor_names(request: Request, actors: set[str]) -> dict[str, str]:
    """Login name -> name and title; the citizen is "Người gửi" (never named in the history)."""
    accounts = container_of(request).accounts
    names = {model.CITIZEN_ACTOR: "Người gửi"}
    for actor in actors - names.keys():
        try:
            names[actor] = accounts.get_user(actor).name_and_title if accounts else actor
        except LienthongError:
            names[actor] = actor
    return names


@router.post(f"{ADMIN}/phan-anh/{{code}}/{{action}}", dependencies=[Depends(csrf_check)])
async def feedback_action(
    request: Request,
    user: Operator,
    code: str,
    action: str,
    classification: Annotated[str, Form()] = "",
    agency: Annotated[str, Form()] = "",
    duplicate_of: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
) -> Response:
    service = feedback_of(request)
    actor = user.username
    calls = {
        "phan-loai": lambda: service.classify(
            code,
            Classification(classification or "VALID"),
            actor,
            agency=agency or None,
            duplicate_of=duplicate_of or None,
        ),
        "xu-ly": lambda: service.start(code, actor),
        "tra-loi": lambda: service.answer(code, text, actor),
        "cong-khai": lambda: service.publish(code, actor),
        "dong": lambda: service.close(code, actor),
        "mo-lai": lambda: service.reopen(code, text, actor),
    }
    if action not in calls:
        raise HTTPException(status_code=404)  # the Vietnamese error page (web.error_pages)
    try:
        await run_in_threadpool(calls[action])
    except (LienthongError, ValueError) as exc:
        _nav(request, f"{ADMIN}/phan-anh", True)
        message = _message(exc) if isinstance(exc, LienthongError) else "Phân loại không hợp lệ."
        item, history = await run_in_threadpool(service.get, code)
        context = await _item_context(request, item, history)
        context |= {"error": message, "typed": {"agency": agency, "text": text}}
        return render(
            request,
            "portal/feedback_admin_item.html",
            context,
            status=exc.http_status if isinstance(exc, LienthongError) else 400,
        )
    return RedirectResponse(f"{ADMIN}/phan-anh/{quote(code)}?ok={action}", status_code=303)
