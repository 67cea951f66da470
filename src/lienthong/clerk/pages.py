"""The clerk application's screens (/van-thu): inbox, document, outbox, compose and issue.

Pages only translate HTTP to :class:`~lienthong.clerk.service.ClerkService` calls."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from lienthong.accounts.model import Role, User
from lienthong.accounts.web import csrf_check, forbidden, require_roles
from lienthong.agencies.model import local_date
from lienthong.clerk.model import latest_overdue_due
from lienthong.clerk.registers import Register, RegisterKind, Registers
from lienthong.clerk.revision import Revisions, Update
from lienthong.clerk.service import ClerkError, ClerkService, Counters, Draft
from lienthong.clerk.store import DraftView, InboxFilter
from lienthong.clock import VN_TZ
from lienthong.edxml.model import StatusCode
from lienthong.errors import ErrorCode, LienthongError
from lienthong.messages import vietnamese
from lienthong.secrets import Sealer, SealError
from lienthong.web.pages import render
from lienthong.web.params import RowId

router = APIRouter(include_in_schema=False)
staff = require_roles(Role.CLERK, Role.LEADER, Role.SPECIALIST)
Staff = Annotated[User, Depends(staff)]

NOTICES = {
    "03": "Đã tiếp nhận văn bản.",
    "02": "Đã trả lại văn bản.",
    "04": "Đã phân công xử lý.",
    "05": "Đã cập nhật: đang xử lý.",
    "06": "Đã cập nhật: hoàn thành.",
    "15": "Đã đồng ý thu hồi.",
    "16": "Đã từ chối thu hồi.",
    "15-update": "Đã đồng ý cập nhật.",
    "16-update": "Đã từ chối cập nhật.",
    "13": "Đã gửi yêu cầu thu hồi.",
    "update": "Đã gửi cập nhật văn bản đến các nơi nhận.",
    "draft": "Đã lưu dự thảo; chờ lãnh đạo ký.",
    "signed": "Lãnh đạo đã ký dự thảo.",
    "issued": "Đã cấp số, đóng dấu và gửi văn bản.",
}

ERRORS_VI = {
    ErrorCode.STATUS_REASON_REQUIRED: "Cần nhập lý do.",
    ErrorCode.STATUS_NOT_ALLOWED: "Thao tác không phù hợp với trạng thái hiện tại của văn bản.",
    ErrorCode.FORBIDDEN: "Bạn không có quyền thực hiện thao tác này.",
    ErrorCode.DOCUMENT_RECALLED: "Văn bản đã được thu hồi.",
    ErrorCode.COMPETENT_SIGNATURE_MISSING: "Dự thảo chưa có chữ ký của người có thẩm quyền.",
    ErrorCode.COMPETENT_SIGNATURE_INVALID: "Chữ ký của người có thẩm quyền không hợp lệ.",
    ErrorCode.DUPLICATE_DOCUMENT: "Văn bản này đã được gửi trước đó (trùng số, ký hiệu).",
    ErrorCode.RECIPIENT_UNKNOWN: "Có nơi nhận không có trong danh bạ.",
    ErrorCode.NOT_YOUR_DOCUMENT: "Chỉ cơ quan ban hành mới được cập nhật, thay thế văn bản.",
    ErrorCode.NOT_A_RECIPIENT: "Cơ quan này không phải là nơi nhận của văn bản.",
    ErrorCode.DUE_DATE_INVALID: "Hạn xử lý không được trước ngày hôm nay.",
}


def clerk_of(request: Request) -> ClerkService:
    service: ClerkService | None = request.app.state.container.clerk
    assert service is not None
    return service


async def _nav(request: Request, user: User, active: str) -> Counters:
    """The clerk application's navigation with the user's counters as badges (new documents
    on "Văn bản đến", drafts to sign on "Chờ ký" for leaders); the counters, for the page."""
    counters = await run_in_threadpool(clerk_of(request).counters, user)
    items: list[dict[str, Any]] = [
        {
            "href": "/van-thu",
            "label": "Văn bản đến",
            "count": counters.new,
            "count_title": "văn bản chưa tiếp nhận",
        },
    ]
    if user.has(Role.LEADER):
        items.append(
            {
                "href": "/van-thu/cho-ky",
                "label": "Chờ ký",
                "count": counters.to_sign,
                "count_title": "dự thảo chờ ký",
            }
        )
    items += [
        {"href": "/van-thu/di", "label": "Văn bản đi"},
        {"href": "/van-thu/soan-thao", "label": "Soạn thảo, ban hành"},
        {"href": "/van-thu/so-den", "label": "Sổ văn bản"},
    ]
    if user.has(Role.LEADER, Role.SPECIALIST):  # the agency's assigned tasks (lienthong.tasks)
        items.append({"href": "/nhiem-vu", "label": "Nhiệm vụ được giao"})
    if user.has(Role.LEADER):
        items.append({"href": "/dieu-hanh", "label": "Điều hành"})
    if active == "/van-thu/so-di":
        active = "/van-thu/so-den"  # one entry for both registers
    for item in items:
        item["active"] = item["href"] == active
    request.state.nav = items
    return counters


def _error_text(exc: LienthongError) -> str:
    """The refusal in Vietnamese (never its code or the API's English sentence)."""
    return ERRORS_VI.get(exc.code) or vietnamese(exc.code)


def _flash(request: Request) -> list[tuple[str, str]]:
    key = request.query_params.get("tb")
    return [("ok", NOTICES[key])] if key in NOTICES else []


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


MAX_PRIORITY = 4  # độ khẩn 0-4, the choices of the search form
MAX_PAGE = 100_000  # pages of 25: far past any register, and an offset the database can take


def _query_number(name: str, value: str | None, largest: int) -> int | None:
    """A whole number typed in (or edited into) the address, from 0 to ``largest``; ``None``
    when empty. Anything else (30 digits, "²", "-1", "abc") is refused REQUEST_INVALID, before
    any query."""
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 9 and int(value) <= largest):
        raise ClerkError(code=ErrorCode.REQUEST_INVALID, detail={"field": name})
    return int(value)


def _local_start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(), tzinfo=VN_TZ)


def not_found(request: Request) -> Response:
    return render(
        request,
        "clerk/not_found.html",
        {"flash": [("error", "Không tìm thấy văn bản, hoặc bạn không có quyền xem.")]},
        status=404,
    )


@router.get("/van-thu")
async def inbox(request: Request, user: Staff) -> Response:
    q = request.query_params
    priority = q.get("do_khan")
    date_to = _day(q.get("den_ngay"))
    today = local_date(clerk_of(request).clock.now())
    f = InboxFilter(
        status=q.get("trang_thai") or None,
        sender=q.get("noi_gui") or None,
        priority=_query_number("do_khan", priority, MAX_PRIORITY),
        due_before=_day(q.get("han_truoc")),
        received_from=_local_start(_day(q.get("tu_ngay"))),
        received_to=_local_start(date_to + timedelta(days=1)) if date_to else None,
        text=q.get("tim") or None,
        assigned_to=user.username if q.get("cua_toi") else None,
        overdue_on=today if q.get("qua_han") else None,
        overdue_last_due=latest_overdue_due(today, clerk_of(request).calendar)
        if q.get("qua_han")
        else None,
        open_only=bool(q.get("chua_xong")),
    )
    page = max(_query_number("trang", q.get("trang"), MAX_PAGE) or 1, 1)
    service = clerk_of(request)
    items, total = await run_in_threadpool(service.inbox, user, f, page)
    senders = await run_in_threadpool(service.senders, user)
    counters = await _nav(request, user, "/van-thu")
    return render(
        request,
        "clerk/inbox.html",
        {
            "items": items,
            "total": total,
            "page": page,
            "pages": max((total + 24) // 25, 1),
            "senders": senders,
            "q": q,
            "counters": counters,
            "flash": _flash(request),
        },
    )


@router.get("/van-thu/van-ban/{document_id}")
async def document(request: Request, document_id: str, user: Staff) -> Response:
    service = clerk_of(request)
    try:
        view = await run_in_threadpool(service.document, user, document_id)
    except LienthongError:
        return not_found(request)
    await run_in_threadpool(_notices_seen, request, user, f"/van-thu/van-ban/{document_id}")
    return await _document_page(request, view, user, _flash(request), 200)


async def _document_page(
    request: Request,
    view: dict[str, Any],
    user: User,
    flash: list[tuple[str, str]],
    status: int,
    typed: dict[str, Any] | None = None,
) -> Response:
    """The document; after a refused update (or a recipient search from the update form),
    with what the clerk typed there (``typed``: subject, due_date, add, remove, search)."""
    service = clerk_of(request)
    specialists = await run_in_threadpool(service.specialists, user)
    agencies: list[dict[str, Any]] = []
    kept: list[dict[str, Any]] = []
    text = typed["search"] if typed else request.query_params.get("tim_noi_nhan", "")
    if view["is_sender"] and view["state"] == "active":
        found = await run_in_threadpool(service.search_agencies, text)
        held = {r["code"] for r in view["recipients"] if not r["removed"]}
        agencies = [a for a in found if a["code"] != user.agency_code and a["code"] not in held]
        if typed:
            listed = {a["code"] for a in agencies}
            wanted = sorted(set(typed["add"]) - listed - held - {user.agency_code})
            kept = await run_in_threadpool(service.agencies_named, wanted)
    await _nav(request, user, "/van-thu/di" if view["is_sender"] else "/van-thu")
    return render(
        request,
        "clerk/document.html",
        {
            "d": view,
            "specialists": specialists,
            "agencies": agencies,
            "kept_recipients": kept,
            "search": text,
            "flash": flash,
            "typed": typed,
        },
        status=status,
    )


@router.get("/van-thu/van-ban/{document_id}/tep/{content_id}")
async def attachment(request: Request, document_id: str, content_id: str, user: Staff) -> Response:
    service = clerk_of(request)
    try:
        file, chunks = await run_in_threadpool(service.attachment, user, document_id, content_id)
    except LienthongError:
        return not_found(request)
    inline = request.query_params.get("xem") == "1" and file.content_type == "application/pdf"
    disposition = "inline" if inline else "attachment"
    # Streamed chunk by chunk (inflated as it goes): a large file is never whole in memory.
    return StreamingResponse(
        chunks,
        media_type=file.content_type,
        headers={
            "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(file.name)}",
            "Content-Length": str(file.size),
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/van-thu/van-ban/{document_id}/trang-thai", dependencies=[Depends(csrf_check)])
async def set_status(
    request: Request,
    document_id: str,
    user: Staff,
    code: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    specialist: Annotated[str, Form()] = "",
    ask: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
) -> Response:
    service = clerk_of(request)
    try:
        status = StatusCode(code)
        due = _day(due_date)
        if due_date and due is None:
            raise ClerkError(code=ErrorCode.DUE_DATE_INVALID)
        await run_in_threadpool(
            lambda: service.set_status(
                user,
                document_id,
                status,
                reason=reason,
                specialist=specialist or None,
                due_date=due,
            )
        )
    except ValueError:
        return await _document_error(request, document_id, user, "Trạng thái không hợp lệ.")
    except LienthongError as exc:
        if exc.code in (ErrorCode.DOCUMENT_NOT_FOUND,):
            return not_found(request)
        status_code = 403 if exc.code is ErrorCode.FORBIDDEN else 422
        return await _document_error(request, document_id, user, _error_text(exc), status_code)
    notice = f"{code}-update" if code in ("15", "16") and ask == "update" else code
    return RedirectResponse(f"/van-thu/van-ban/{document_id}?tb={notice}", status_code=303)


@router.post("/van-thu/van-ban/{document_id}/thu-hoi", dependencies=[Depends(csrf_check)])
async def recall(
    request: Request, document_id: str, user: Staff, reason: Annotated[str, Form()] = ""
) -> Response:
    service = clerk_of(request)
    try:
        await run_in_threadpool(service.recall, user, document_id, reason)
    except LienthongError as exc:
        if exc.code is ErrorCode.DOCUMENT_NOT_FOUND:
            return not_found(request)
        status_code = 403 if exc.code is ErrorCode.FORBIDDEN else 422
        return await _document_error(request, document_id, user, _error_text(exc), status_code)
    return RedirectResponse(f"/van-thu/van-ban/{document_id}?tb=13", status_code=303)


async def _document_error(
    request: Request,
    document_id: str,
    user: User,
    message: str,
    status: int = 422,
    typed: dict[str, Any] | None = None,
) -> Response:
    service = clerk_of(request)
    try:
        view = await run_in_threadpool(service.document, user, document_id)
    except LienthongError:
        return not_found(request)
    flash = [("error", message)] if message else []
    return await _document_page(request, view, user, flash, status, typed)


@router.post("/van-thu/van-ban/{document_id}/cap-nhat", dependencies=[Depends(csrf_check)])
async def update(
    request: Request,
    document_id: str,
    user: Staff,
    subject: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    tim_noi_nhan: Annotated[str, Form()] = "",
    hanh_dong: Annotated[str, Form()] = "",
) -> Response:
    form = await request.form()
    change = Update(
        add=tuple(str(v) for v in form.getlist("add")),
        remove=tuple(str(v) for v in form.getlist("remove")),
        subject=subject,
        due_date=_day(due_date),
    )
    typed = {
        "subject": subject,
        "due_date": due_date,
        "add": change.add,
        "remove": change.remove,
        "search": tim_noi_nhan,
    }
    if hanh_dong == "tim":  # the recipient search, from within the form: nothing is sent
        return await _document_error(request, document_id, user, "", 200, typed)
    revisions = Revisions(clerk_of(request))
    try:
        await run_in_threadpool(revisions.update, user, document_id, change)
    except LienthongError as exc:
        if exc.code is ErrorCode.DOCUMENT_NOT_FOUND:
            return not_found(request)
        message = _error_text(exc)
        if exc.code is ErrorCode.REQUEST_INVALID:
            message = "Cập nhật không thay đổi gì, hoặc văn bản không còn nơi nhận nào."
        status_code = 403 if exc.code in (ErrorCode.FORBIDDEN, ErrorCode.NOT_YOUR_DOCUMENT) else 422
        return await _document_error(request, document_id, user, message, status_code, typed)
    return RedirectResponse(f"/van-thu/van-ban/{document_id}?tb=update", status_code=303)


@router.get("/van-thu/van-ban/{document_id}/thay-the")
async def replace(request: Request, document_id: str, user: Staff) -> Response:
    """The compose form, filled from a sent document, for the draft that replaces it."""
    service = clerk_of(request)
    try:
        view = await run_in_threadpool(service.own_document, user, document_id)
    except LienthongError:
        return not_found(request)
    return await _compose_page(request, user, [], 200, replacing=view)


@router.get("/van-thu/di")
async def outbox(request: Request, user: Staff) -> Response:
    text = request.query_params.get("tim", "")
    items = await run_in_threadpool(clerk_of(request).outbox, user, text=text or None)
    await _nav(request, user, "/van-thu/di")
    return render(
        request, "clerk/outbox.html", {"items": items, "text": text, "flash": _flash(request)}
    )


@router.get("/van-thu/soan-thao")
async def compose(request: Request, user: Staff) -> Response:
    return await _compose_page(request, user, [], 200)


async def _compose_page(
    request: Request,
    user: User,
    flash: list[tuple[str, str]],
    status: int,
    replacing: dict[str, Any] | None = None,
    typed: Composed | None = None,
) -> Response:
    """The compose form: empty, filled from the document it replaces (``replacing``), or with
    what the clerk typed (``typed``: after a refusal, or a recipient search from the form)."""
    service = clerk_of(request)
    text = typed.search if typed else request.query_params.get("tim_noi_nhan", "")
    agencies = await run_in_threadpool(service.search_agencies, text)
    agencies = [a for a in agencies if a["code"] != user.agency_code]
    drafts = await run_in_threadpool(service.drafts, user)
    if typed is not None:
        chosen = set(typed.draft.recipients)
    elif replacing:
        chosen = {r["code"] for r in replacing["recipients"] if not r["removed"]}
    else:
        chosen = set()
    listed = {a["code"] for a in agencies}
    # Recipients already ticked stay on the form when a new search does not list them.
    kept = await run_in_threadpool(service.agencies_named, sorted(chosen - listed))
    if typed is not None:
        values = typed.values()
    elif replacing:
        values = {
            "type_name": replacing.get("type_name") or "Công văn",
            "notation": replacing.get("code_notation") or "",
            "subject": replacing.get("subject") or "",
            "signer_position": "",
            "priority": 0,
        }
    else:
        values = {}
    await _nav(request, user, "/van-thu/soan-thao")
    return render(
        request,
        "clerk/compose.html",
        {
            "agencies": agencies,
            "kept_recipients": kept,
            "search": text,
            "drafts": drafts,
            "flash": flash or _flash(request),
            "can_issue": service.issuance is not None,
            "replacing": replacing,
            "chosen": chosen,
            "values": values,
            "kept_pdf": typed.kept if typed else None,
        },
        status=status,
    )


@dataclass(frozen=True)
class Composed:
    """What the compose form sent: the draft's fields, the recipient search, and the PDF kept
    for the next submission (``kept``: its sealed reference and file name), since a browser
    never fills a file field again."""

    draft: Draft
    search: str
    kept: dict[str, str] | None = None

    def values(self) -> dict[str, Any]:
        d = self.draft
        return {
            "type_name": d.type_name,
            "notation": d.notation,
            "subject": d.subject,
            "signer_position": d.signer_position,
            "priority": d.priority,
        }


@router.post("/van-thu/soan-thao", dependencies=[Depends(csrf_check)])
async def create_draft(
    request: Request,
    user: Staff,
    pdf: Annotated[UploadFile | None, File()] = None,
    subject: Annotated[str, Form()] = "",
    notation: Annotated[str, Form()] = "",
    type_name: Annotated[str, Form()] = "Công văn",
    priority: Annotated[int, Form(ge=0, le=MAX_PRIORITY)] = 0,
    signer_position: Annotated[str, Form()] = "",
    replaces: Annotated[str, Form()] = "",
    due_date: Annotated[str, Form()] = "",
    tim_noi_nhan: Annotated[str, Form()] = "",
    hanh_dong: Annotated[str, Form()] = "",
    tep_giu: Annotated[str, Form()] = "",
    ten_tep_giu: Annotated[str, Form()] = "",
) -> Response:
    form = await request.form()
    recipients = tuple(str(v) for v in form.getlist("recipients"))
    service = clerk_of(request)
    data = await pdf.read() if pdf is not None else b""
    name = (pdf.filename if pdf is not None and data else None) or ten_tep_giu or "du-thao.pdf"
    if not data and tep_giu:
        data = await run_in_threadpool(_kept_pdf, request, user, tep_giu)
    draft = Draft(
        subject,
        type_name,
        notation,
        recipients,
        priority,
        signer_position,
        replaces or None,
        due_date=_day(due_date),
    )
    replacing = None
    if replaces:
        with contextlib.suppress(LienthongError):  # not its own: create_draft refuses it
            replacing = await run_in_threadpool(service.own_document, user, replaces)

    async def again(flash: list[tuple[str, str]], status: int) -> Response:
        kept = None
        if data.startswith(b"%PDF-"):
            digest = await run_in_threadpool(service.keep_upload, data)
            kept = {"token": _seal_pdf(request, user, digest), "name": name}
        typed = Composed(draft, tim_noi_nhan, kept)
        return await _compose_page(request, user, flash, status, replacing=replacing, typed=typed)

    if hanh_dong == "tim":  # the recipient search, from within the form: nothing is saved
        return await again([], 200)
    try:
        if due_date and draft.due_date is None:
            raise ClerkError(code=ErrorCode.DUE_DATE_INVALID)
        draft_id = await run_in_threadpool(service.create_draft, user, draft, data)
    except LienthongError as exc:
        message = _error_text(exc)
        if exc.code is ErrorCode.REQUEST_INVALID:
            message = _missing(draft, data)
        return await again([("error", message)], 403 if exc.code is ErrorCode.FORBIDDEN else 422)
    return RedirectResponse(f"/van-thu/du-thao/{draft_id}?tb=draft", status_code=303)


def _pdf_context(user: User) -> bytes:
    return f"clerk-compose-pdf:{user.username}".encode()


def _seal_pdf(request: Request, user: User, digest: str) -> str:
    """A reference to a kept PDF that only this user's next form submission can redeem."""
    sealer: Sealer = request.app.state.container.sealer
    return sealer.seal(digest.encode("ascii"), associated_data=_pdf_context(user))


def _kept_pdf(request: Request, user: User, token: str) -> bytes:
    """The PDF kept for ``user`` under ``token``; empty when the token is not theirs."""
    sealer: Sealer = request.app.state.container.sealer
    try:
        digest = sealer.open(token, associated_data=_pdf_context(user)).decode("ascii")
        return clerk_of(request).kept_upload(digest)
    except (SealError, UnicodeDecodeError, LienthongError):
        return b""


def _missing(draft: Draft, pdf: bytes) -> str:
    """What the compose form still needs, in Vietnamese."""
    missing = []
    if not pdf.startswith(b"%PDF-"):
        missing.append("tệp PDF dự thảo" if not pdf else "tệp dự thảo đúng định dạng PDF")
    if not draft.subject.strip():
        missing.append("trích yếu")
    if not draft.notation.strip():
        missing.append("ký hiệu")
    if not draft.recipients:
        missing.append("ít nhất một nơi nhận")
    if not missing:
        return vietnamese(ErrorCode.REQUEST_INVALID)
    return f"Cần {', '.join(missing)}; chưa lưu dự thảo."


@router.get("/van-thu/du-thao/{draft_id}")
async def draft_page(request: Request, draft_id: RowId, user: Staff) -> Response:
    return await _draft_page(request, draft_id, user, _flash(request), 200)


async def _draft_page(
    request: Request, draft_id: int, user: User, flash: list[tuple[str, str]], status: int
) -> Response:
    service = clerk_of(request)
    try:
        row = await run_in_threadpool(service.draft, user, draft_id)
    except LienthongError:
        return not_found(request)
    await _nav(request, user, "/van-thu/soan-thao")
    await run_in_threadpool(_notices_seen, request, user, f"/van-thu/du-thao/{draft_id}")
    context = await run_in_threadpool(_draft_context, service, row)
    context["signatures"] = await run_in_threadpool(service.draft_signatures, user, draft_id)
    return render(
        request, "clerk/draft.html", {**context, "draft": row, "flash": flash}, status=status
    )


def _draft_context(service: ClerkService, row: DraftView) -> dict[str, Any]:
    """Names where the draft holds codes and login names: recipients, preparer, signer."""
    return {
        "people": service.people(row.agency_code),
        "agency_names": service.agency_names(row.recipients),
    }


def _notices_seen(request: Request, user: User, link: str) -> None:
    """The user opened ``link``: the notifications about it are read."""
    notices = getattr(request.app.state.container, "notifications", None)
    if notices is not None:
        notices.seen(user, link)


@router.get("/van-thu/du-thao/{draft_id}/pdf")
async def draft_pdf(request: Request, draft_id: RowId, user: Staff) -> Response:
    try:
        data = await run_in_threadpool(clerk_of(request).draft_pdf, user, draft_id)
    except LienthongError:
        return not_found(request)
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="du-thao-{draft_id}.pdf"'},
    )


@router.get("/van-thu/cho-ky")
async def to_sign(request: Request, user: Staff) -> Response:
    """The leader's queue: drafts awaiting the competent person's signature."""
    if not user.has(Role.LEADER):
        return forbidden(request, "Chỉ lãnh đạo (người có thẩm quyền) mới có danh sách chờ ký.")
    items = await run_in_threadpool(clerk_of(request).to_sign, user)
    await _nav(request, user, "/van-thu/cho-ky")
    return render(request, "clerk/to_sign.html", {"items": items, "flash": _flash(request)})


@router.get("/van-thu/du-thao/{draft_id}/ky")
async def confirm_sign(request: Request, draft_id: RowId, user: Staff) -> Response:
    """What the leader is about to sign, with "Xác nhận ký" (a POST) and "Hủy": nothing is
    signed by opening this page."""
    if not user.has(Role.LEADER):
        return forbidden(request, "Chỉ lãnh đạo (người có thẩm quyền) mới được ký dự thảo.")
    service = clerk_of(request)
    try:
        row = await run_in_threadpool(service.draft, user, draft_id)
    except LienthongError:
        return not_found(request)
    if row.state != "draft":
        message = "Dự thảo này đã được ký, không cần ký lại."
        return await _draft_page(request, draft_id, user, [("error", message)], 409)
    context = await run_in_threadpool(_draft_context, service, row)
    await _nav(request, user, "/van-thu/cho-ky")
    return render(request, "clerk/confirm_sign.html", {**context, "draft": row})


@router.post("/van-thu/du-thao/{draft_id}/ky", dependencies=[Depends(csrf_check)])
async def sign(
    request: Request, draft_id: RowId, user: Staff, xac_nhan: Annotated[str, Form()] = ""
) -> Response:
    """Sign only what the confirmation page showed: without its ``xac_nhan`` the answer is
    that page (nothing signed)."""
    if xac_nhan != "1":
        return RedirectResponse(f"/van-thu/du-thao/{draft_id}/ky", status_code=303)
    service = clerk_of(request)
    if service.remote is None:
        return await _draft_action(request, draft_id, user, "sign")
    try:
        await run_in_threadpool(service.start_remote_signature, user, draft_id)
    except LienthongError as exc:
        return await _sign_refused(request, draft_id, user, exc)
    return RedirectResponse(f"/van-thu/du-thao/{draft_id}/ky/cho-duyet", status_code=303)


@router.get("/van-thu/du-thao/{draft_id}/ky/cho-duyet")
async def awaiting_approval(request: Request, draft_id: RowId, user: Staff) -> Response:
    """The remote signature waits for the leader's approval on the phone."""
    return await _awaiting_page(request, draft_id, user, [], 200)


async def _awaiting_page(
    request: Request, draft_id: int, user: User, flash: list[tuple[str, str]], status: int
) -> Response:
    service = clerk_of(request)
    try:
        row = await run_in_threadpool(service.draft, user, draft_id)
    except LienthongError:
        return not_found(request)
    pending = await run_in_threadpool(service.remote_signature, user, draft_id)
    if pending is None:
        return RedirectResponse(f"/van-thu/du-thao/{draft_id}", status_code=303)
    await _nav(request, user, "/van-thu/cho-ky")
    context = {"draft": row, "pending": pending, "flash": flash}
    return render(request, "clerk/awaiting_approval.html", context, status=status)


@router.post("/van-thu/du-thao/{draft_id}/ky/hoan-tat", dependencies=[Depends(csrf_check)])
async def finish_remote(request: Request, draft_id: RowId, user: Staff) -> Response:
    """The leader approved on the phone: the hub fetches the signature and embeds it."""
    service = clerk_of(request)
    try:
        signed = await run_in_threadpool(service.finish_remote_signature, user, draft_id)
    except LienthongError as exc:
        if exc.code is ErrorCode.REMOTE_SIGNING_UNAVAILABLE:
            return await _awaiting_page(request, draft_id, user, [("error", _error_text(exc))], 503)
        return await _sign_refused(request, draft_id, user, exc)
    if not signed:
        waiting = (
            "Chữ ký chưa được duyệt trên điện thoại. Nhập mã xác thực trên điện thoại rồi bấm lại."
        )
        return await _awaiting_page(request, draft_id, user, [("error", waiting)], 409)
    return RedirectResponse(f"/van-thu/du-thao/{draft_id}?tb=signed", status_code=303)


async def _sign_refused(
    request: Request, draft_id: int, user: User, exc: LienthongError
) -> Response:
    if exc.code is ErrorCode.DOCUMENT_NOT_FOUND:
        return not_found(request)
    status = 403 if exc.code is ErrorCode.FORBIDDEN else exc.http_status
    return await _draft_page(request, draft_id, user, [("error", _error_text(exc))], status)


@router.post("/van-thu/du-thao/{draft_id}/ban-hanh", dependencies=[Depends(csrf_check)])
async def issue(request: Request, draft_id: RowId, user: Staff) -> Response:
    return await _draft_action(request, draft_id, user, "issue")


async def _draft_action(request: Request, draft_id: int, user: User, action: str) -> Response:
    service = clerk_of(request)
    try:
        if action == "sign":
            await run_in_threadpool(service.sign_draft, user, draft_id)
            return RedirectResponse(f"/van-thu/du-thao/{draft_id}?tb=signed", status_code=303)
        document_id = await run_in_threadpool(service.issue_draft, user, draft_id)
    except LienthongError as exc:
        if exc.code is ErrorCode.DOCUMENT_NOT_FOUND:
            return not_found(request)
        status = 403 if exc.code is ErrorCode.FORBIDDEN else 422
        return await _draft_page(request, draft_id, user, [("error", _error_text(exc))], status)
    return RedirectResponse(f"/van-thu/van-ban/{document_id}?tb=issued", status_code=303)


# --- the registers of incoming and outgoing documents (Decree 30/2020 Appendix IV) -----------

REGISTER_PATHS = {RegisterKind.INCOMING: "/van-thu/so-den", RegisterKind.OUTGOING: "/van-thu/so-di"}


async def _register(request: Request, user: User, kind: RegisterKind) -> Register:
    registers = Registers(clerk_of(request))
    first, last = registers.default_period()
    q = request.query_params
    start = _day(q.get("tu_ngay")) or first
    end = _day(q.get("den_ngay")) or last
    return await run_in_threadpool(registers.read, user, kind, start, end)


def _period_query(register: Register) -> str:
    return f"tu_ngay={register.start.isoformat()}&den_ngay={register.end.isoformat()}"


async def _register_page(request: Request, user: User, kind: RegisterKind) -> Response:
    register = await _register(request, user, kind)
    await _nav(request, user, REGISTER_PATHS[kind])
    return render(
        request,
        "clerk/register.html",
        {
            "register": register,
            "kind": kind.value,
            "path": REGISTER_PATHS[kind],
            "query": _period_query(register),
        },
    )


async def _register_print(request: Request, user: User, kind: RegisterKind) -> Response:
    register = await _register(request, user, kind)
    return render(request, "clerk/register_print.html", {"register": register, "kind": kind.value})


async def _register_xlsx(request: Request, user: User, kind: RegisterKind) -> Response:
    register = await _register(request, user, kind)
    data = await run_in_threadpool(Registers.xlsx, register)
    name = f"so-van-ban-{kind.value}-{register.start.isoformat()}-{register.end.isoformat()}.xlsx"
    return Response(
        data,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/van-thu/so-den")
async def incoming_register(request: Request, user: Staff) -> Response:
    return await _register_page(request, user, RegisterKind.INCOMING)


@router.get("/van-thu/so-den/in")
async def incoming_register_print(request: Request, user: Staff) -> Response:
    return await _register_print(request, user, RegisterKind.INCOMING)


@router.get("/van-thu/so-den.xlsx")
async def incoming_register_xlsx(request: Request, user: Staff) -> Response:
    return await _register_xlsx(request, user, RegisterKind.INCOMING)


@router.get("/van-thu/so-di")
async def outgoing_register(request: Request, user: Staff) -> Response:
    return await _register_page(request, user, RegisterKind.OUTGOING)


@router.get("/van-thu/so-di/in")
async def outgoing_register_print(request: Request, user: Staff) -> Response:
    return await _register_print(request, user, RegisterKind.OUTGOING)


@router.get("/van-thu/so-di.xlsx")
async def outgoing_register_xlsx(request: Request, user: Staff) -> Response:
    return await _register_xlsx(request, user, RegisterKind.OUTGOING)
