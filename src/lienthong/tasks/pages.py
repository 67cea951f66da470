"""Task screens (/nhiem-vu) and the leaders' steering view (/dieu-hanh), tablet first.

Who sees what: a user acts for their own agency. The Government Office's task officers
(``task_officer``) assign and decide (confirm, return, extensions); the lead agency's leaders,
specialists and task officers receive, report progress, ask for extensions and propose
completion. A task of another agency does not exist on these pages (404, like the API).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lienthong.accounts.model import Role, User
from lienthong.accounts.web import csrf_check, require_roles
from lienthong.agencies.store import agencies_by_codes
from lienthong.errors import ErrorCode, LienthongError
from lienthong.messages import vietnamese
from lienthong.tasks import export, views
from lienthong.tasks.api import tasks_of
from lienthong.tasks.model import (
    AUTHORITY_LABELS,
    OUTPUT_LABELS,
    STATE_LABELS,
    TIMELINESS_LABELS,
    TRANSITIONS,
    Action,
    AgencyTaskStats,
    Authority,
    Deadline,
    DeadlineKind,
    NewTask,
    Output,
    Recurrence,
    Side,
    SourceDocument,
    TaskState,
    Timeliness,
    summarise,
)
from lienthong.tasks.service import Evidence, Task, TaskService
from lienthong.web.auth import container_of
from lienthong.web.pages import render

router = APIRouter(include_in_schema=False)
TASK_ROLES = (Role.TASK_OFFICER, Role.LEADER, Role.SPECIALIST)
Worker = Annotated[User, Depends(require_roles(*TASK_ROLES))]
Steering = Annotated[User, Depends(require_roles(Role.LEADER, Role.TASK_OFFICER))]
BASE = "/nhiem-vu"
EVIDENCE_FIELD_MAX = 20 * 1024 * 1024


def _nav(request: Request, user: User, active: str) -> None:
    items = [(BASE, "Danh sách nhiệm vụ"), (f"{BASE}/qua-han", "Nhiệm vụ quá hạn")]
    if user.has(Role.TASK_OFFICER):
        items.append((f"{BASE}/giao", "Giao nhiệm vụ"))
    items.append((f"{BASE}/thong-ke", "Thống kê theo cơ quan"))
    if user.has(Role.LEADER, Role.TASK_OFFICER):
        items.append(("/dieu-hanh", "Điều hành"))
    request.state.nav = [{"href": h, "label": label, "active": h == active} for h, label in items]


def _labels() -> dict[str, Any]:
    return {
        "states": {str(k): v for k, v in STATE_LABELS.items()},
        "timeliness": {str(k): v for k, v in TIMELINESS_LABELS.items()},
        "authorities": {str(k): v for k, v in AUTHORITY_LABELS.items()},
        "outputs": {str(k): v for k, v in OUTPUT_LABELS.items()},
    }


def _message(exc: LienthongError) -> str:
    return vietnamese(exc.code)


async def _names(request: Request, codes: Iterable[str] | None = None) -> dict[str, str]:
    """Agency names: of ``codes`` (what a page shows), or of every agency (the pickers)."""
    if codes is None:
        agencies = await run_in_threadpool(container_of(request).agencies.list_all)
        return {a.code: a.name for a in agencies}
    wanted = set(codes)
    db = container_of(request).db

    def load() -> dict[str, str]:
        with db.read() as session:
            return {c: a.name for c, a in agencies_by_codes(session, wanted).items()}

    return await run_in_threadpool(load)


def _codes(tasks: Iterable[Task]) -> set[str]:
    found: set[str] = set()
    for t in tasks:
        found |= {t.row.lead_code, t.row.assigner_code, *t.coordinators}
    return found


# --- lists -----------------------------------------------------------------------------------


@router.get(BASE)
async def task_list(
    request: Request,
    user: Worker,
    trang_thai: str = "",
    han: str = "",
    vai_tro: str = "",
) -> Response:
    service = tasks_of(request)
    _nav(request, user, BASE)
    tasks = await _filtered(service, user, trang_thai, han, vai_tro, limit=1000)
    context = {
        "tasks": tasks,
        "names": await _names(request, _codes(tasks)),
        "summary": summarise([t.timeliness for t in tasks]),
        "filters": {"trang_thai": trang_thai, "han": han, "vai_tro": vai_tro},
        "title": "Danh sách nhiệm vụ",
        **_labels(),
    }
    return render(request, "tasks/list.html", context)


async def _filtered(
    service: TaskService, user: User, state: str, due: str, role: str, *, limit: int
) -> list[Task]:
    """The user's agency's tasks under the list's filters (unknown values filter nothing)."""
    code = user.agency_code
    return await run_in_threadpool(
        service.tasks,
        code,
        states=[state] if state in {s.value for s in TaskState} else [],
        timeliness_in=[Timeliness(due)] if due in {t.value for t in Timeliness} else [],
        lead=code if role == "chu-tri" else None,
        assigner=code if role == "giao" else None,
        limit=limit,
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get(f"{BASE}/xuat.xlsx")
async def export_tasks(
    request: Request, user: Worker, trang_thai: str = "", han: str = "", vai_tro: str = ""
) -> Response:
    """The list as shown (same filters), as XLSX."""
    service = tasks_of(request)
    tasks = await _filtered(service, user, trang_thai, han, vai_tro, limit=10_000)
    body = export.tasks_xlsx(tasks, await _names(request, _codes(tasks)))
    headers = {"Content-Disposition": 'attachment; filename="nhiem-vu.xlsx"'}
    return Response(body, media_type=XLSX, headers=headers)


@router.get(f"{BASE}/thong-ke.xlsx")
async def export_stats(request: Request, user: Worker, ngay: str = "") -> Response:
    service = tasks_of(request)
    on = _date(ngay) or service.today()
    lines = await run_in_threadpool(service.stats, user.agency_code, on)
    body = export.stats_xlsx(lines, await _names(request, [s.agency_code for s in lines]))
    name = f"thong-ke-nhiem-vu-{on.isoformat()}.xlsx"
    return Response(
        body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get(f"{BASE}/qua-han")
async def overdue(request: Request, user: Worker) -> Response:
    service = tasks_of(request)
    _nav(request, user, f"{BASE}/qua-han")
    tasks = await run_in_threadpool(
        service.tasks, user.agency_code, timeliness_in=[Timeliness.OVERDUE], limit=1000
    )
    context = {
        "tasks": tasks,
        "names": await _names(request, _codes(tasks)),
        "summary": summarise([t.timeliness for t in tasks]),
        "filters": {"trang_thai": "", "han": "overdue", "vai_tro": ""},
        "title": "Nhiệm vụ quá hạn",
        **_labels(),
    }
    return render(request, "tasks/list.html", context)


@router.get(f"{BASE}/thong-ke")
async def statistics(request: Request, user: Worker, ngay: str = "") -> Response:
    service = tasks_of(request)
    _nav(request, user, f"{BASE}/thong-ke")
    on = _date(ngay) or service.today()
    lines = await run_in_threadpool(service.stats, user.agency_code, on)
    names = await _names(request, [s.agency_code for s in lines])
    context = {"lines": lines, "on": on, "names": names}
    return render(request, "tasks/stats.html", context)


# --- assignment ------------------------------------------------------------------------------


@router.get(f"{BASE}/giao")
async def assign_form(request: Request, user: Worker) -> Response:
    if not user.has(Role.TASK_OFFICER):
        return _forbidden(request)
    _nav(request, user, f"{BASE}/giao")
    return await _assign_page(request, {}, None)


async def _assign_page(
    request: Request, form: dict[str, str], error: str | None, status: int = 200
) -> Response:
    names = await _names(request)
    context = {"form": form, "error": error, "agencies": names, **_labels()}
    return render(request, "tasks/assign.html", context, status=status)


@router.post(f"{BASE}/giao", dependencies=[Depends(csrf_check)])
async def assign(request: Request, user: Worker) -> Response:
    if not user.has(Role.TASK_OFFICER):
        return _forbidden(request)
    _nav(request, user, f"{BASE}/giao")
    raw = await request.form()
    form = {k: v.strip() for k, v in raw.items() if isinstance(v, str)}
    names = await _names(request)
    by_name = {name: code for code, name in names.items()}
    service = tasks_of(request)
    try:
        lead = _agency(form.get("lead", ""), names, by_name)
        coordinators = tuple(
            _agency(part, names, by_name)
            for part in form.get("coordinators", "").split(";")
            if part.strip()
        )
        task = NewTask(
            title=form.get("title", ""),
            content=form.get("content", ""),
            assigner_code=user.agency_code,
            lead_code=lead,
            coordinator_codes=coordinators,
            assigned_on=_date(form.get("assigned_on", "")) or service.today(),
            deadline=_deadline(form),
            authority=Authority(form.get("authority") or Authority.PRIME_MINISTER),
            output=Output(form.get("output") or Output.REPORT),
            person_in_charge=form.get("person_in_charge", ""),
            source=SourceDocument(
                document_id=form.get("document_id") or None,
                notation=form.get("notation", ""),
                signer=form.get("signer", ""),
                signed_on=_date(form.get("signed_on", "")),
                kind=form.get("source_kind", ""),
            ),
        )
        created = await run_in_threadpool(service.assign, task, actor=_actor(user))
    except LienthongError as exc:
        return await _assign_page(request, form, _message(exc), status=exc.http_status)
    except ValueError:
        message = vietnamese(ErrorCode.TASK_INVALID)
        return await _assign_page(request, form, message, status=422)
    return RedirectResponse(f"{BASE}/{created.code}?tb=da-giao", status_code=303)


def _agency(text: str, names: dict[str, str], by_name: dict[str, str]) -> str:
    """An agency picked by name from the list (or typed as its code); '' when empty."""
    text = text.strip()
    if not text or text in names:
        return text
    if text in by_name:
        return by_name[text]
    if "(" in text and text.endswith(")"):  # "Bộ Tài chính (000.00.00.G12)"
        code = text.rsplit("(", 1)[1][:-1].strip()
        if code in names:
            return code
    return text  # unknown: the service refuses it with its code


def _deadline(form: dict[str, str]) -> Deadline:
    kind = form.get("deadline_kind") or "date"
    if kind == "none":
        return Deadline.open_ended(_date(form.get("review_on", "")))
    if kind == "periodic":
        day = form.get("day", "")
        return Deadline.every(
            Recurrence(form.get("recurrence") or "monthly"),
            int(day) if day.isdigit() and len(day) <= 2 else 0,
        )
    return Deadline(DeadlineKind.DATE, due=_date(form.get("due_on", "")))


def _date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    try:
        if "/" in text:  # dd/mm/yyyy as typed on a Vietnamese screen
            d, m, y = text.split("/")
            return date(int(y), int(m), int(d))
        return date.fromisoformat(text)
    except ValueError:
        return None


def _actor(user: User) -> str:
    return f"{user.full_name} ({user.username})"


def _forbidden(request: Request) -> Response:
    return render(
        request,
        "accounts/forbidden.html",
        {"message": "Tài khoản của bạn không có quyền giao nhiệm vụ.", "code": "FORBIDDEN"},
        status=403,
    )


# --- one task --------------------------------------------------------------------------------

FLASH = {
    "da-giao": "Đã giao nhiệm vụ.",
    "receive": "Đã tiếp nhận nhiệm vụ.",
    "report_progress": "Đã gửi báo cáo tiến độ.",
    "propose_complete": "Đã gửi đề nghị hoàn thành.",
    "confirm_complete": "Đã xác nhận hoàn thành nhiệm vụ.",
    "return": "Đã trả lại nhiệm vụ, yêu cầu tiếp tục thực hiện.",
    "request_extension": "Đã gửi đề nghị gia hạn.",
    "grant_extension": "Đã đồng ý gia hạn.",
    "refuse_extension": "Đã từ chối đề nghị gia hạn.",
    "cancel": "Đã hủy nhiệm vụ.",
}


def allowed_actions(task: Task, agency: str) -> list[str]:
    """The actions this agency may take on the task now (the forms shown)."""
    side = (
        Side.LEAD
        if agency == task.row.lead_code
        else Side.ASSIGNER
        if agency == task.row.assigner_code
        else None
    )
    found = []
    for action, rule in TRANSITIONS.items():
        if rule.side is not side or task.state not in rule.sources:
            continue
        if rule.needs_extension_pending is True and not task.row.extension_pending:
            continue
        if rule.needs_extension_pending is False and task.row.extension_pending:
            continue
        if action in (Action.REPLACE, Action.MERGE):
            continue  # through the API (they name another task)
        if action is Action.REQUEST_EXTENSION and task.row.deadline_kind != "date":
            continue
        found.append(str(action))
    return found


async def _task_page(
    request: Request,
    user: User,
    code: str,
    error: str | None = None,
    status: int = 200,
    form: dict[str, str] | None = None,
) -> Response:
    service: TaskService = tasks_of(request)
    _nav(request, user, BASE)
    try:
        task = await run_in_threadpool(service.get, code, user.agency_code)
        history = await run_in_threadpool(service.history, code, user.agency_code)
    except LienthongError as exc:
        missing = {"message": _message(exc), "code": str(exc.code)}
        return render(request, "tasks/missing.html", missing, status=exc.http_status)
    notice = FLASH.get(request.query_params.get("tb", ""))
    flash = [("ok", notice)] if notice else []
    context: dict[str, Any] = {
        "task": task,
        "history": history,
        "names": await _names(request, _codes([task]) | {e.agency_code for e in history}),
        "actions": allowed_actions(task, user.agency_code),
        "action_label": views.action_label,
        "error": error,
        "flash": flash,
        "form": form or {},
        **_labels(),
    }
    return render(request, "tasks/detail.html", context, status=status)


@router.get(BASE + "/{code}")
async def task_page(request: Request, user: Worker, code: str) -> Response:
    return await _task_page(request, user, code)


@router.post(BASE + "/{code}/{action}", dependencies=[Depends(csrf_check)])
async def act(
    request: Request,
    user: Worker,
    code: str,
    action: str,
    text: Annotated[str, Form(max_length=5000)] = "",
    due_on: Annotated[str, Form(max_length=20)] = "",
    document_id: Annotated[str, Form(max_length=100)] = "",
    evidence: UploadFile | None = None,
) -> Response:
    service = tasks_of(request)
    agency, actor = user.agency_code, _actor(user)
    form = {"text": text, "due_on": due_on, "document_id": document_id, "action": action}
    try:
        if action == Action.RECEIVE:
            await run_in_threadpool(service.receive, code, agency, actor)
        elif action == Action.REPORT_PROGRESS:
            await run_in_threadpool(service.report_progress, code, agency, actor, text)
        elif action == Action.PROPOSE_COMPLETE:
            content, name = None, None
            if evidence is not None and evidence.filename:
                content = await evidence.read(EVIDENCE_FIELD_MAX + 1)
                name = evidence.filename
            proof = Evidence(document_id=document_id or None, file_name=name, content=content)
            await run_in_threadpool(service.propose_complete, code, agency, actor, proof, text)
        elif action == Action.CONFIRM_COMPLETE:
            await run_in_threadpool(service.confirm_complete, code, agency, actor)
        elif action == Action.RETURN:
            await run_in_threadpool(service.return_for_work, code, agency, actor, text)
        elif action == Action.REQUEST_EXTENSION:
            new_due = _date(due_on)
            if new_due is None:
                raise LienthongError(code=ErrorCode.TASK_EXTENSION_INVALID)
            await run_in_threadpool(service.request_extension, code, agency, actor, new_due, text)
        elif action == Action.GRANT_EXTENSION:
            await run_in_threadpool(service.grant_extension, code, agency, actor, _date(due_on))
        elif action == Action.REFUSE_EXTENSION:
            await run_in_threadpool(service.refuse_extension, code, agency, actor, text)
        elif action == Action.CANCEL:
            await run_in_threadpool(service.cancel, code, agency, actor, text)
        else:
            raise LienthongError(code=ErrorCode.TASK_TRANSITION_INVALID)
    except LienthongError as exc:
        return await _task_page(request, user, code, _message(exc), exc.http_status, form)
    return RedirectResponse(f"{BASE}/{code}?tb={action}", status_code=303)


# --- the steering view -----------------------------------------------------------------------


@router.get("/dieu-hanh")
async def steering(request: Request, user: Steering) -> Response:
    """The leader's page: tasks at a glance with the drill-down links, the agencies ranked,
    what changed since yesterday, and the other domains' headline figures."""
    service = tasks_of(request)
    _nav(request, user, "/dieu-hanh")
    today = service.today()
    agency = None if user.has(Role.OPERATOR) else user.agency_code
    lines = await run_in_threadpool(service.stats, agency, today)
    yesterday = await run_in_threadpool(service.stats, agency, today - timedelta(days=1))
    ranking = sorted(lines, key=lambda s: (-(s.rate if s.rate is not None else -1), s.agency_code))
    since = container_of(request).clock.now() - timedelta(days=1)
    overdue = await run_in_threadpool(service.overdue, agency, 20)
    pending = await run_in_threadpool(service.awaiting_decision, agency, 20)
    context = {
        "summary": _totals(lines),
        "before": _totals(yesterday),
        "ranking": ranking,
        "overdue": overdue,
        "pending": pending,
        "changes": await run_in_threadpool(service.changes_since, agency, since),
        "names": await _names(
            request, _codes([*overdue, *pending]) | {s.agency_code for s in lines}
        ),
        "today": today,
        "documents": await run_in_threadpool(_documents, request, today),
        "action_label": views.action_label,
        **_labels(),
    }
    return render(request, "tasks/steering.html", context)


def _totals(lines: list[AgencyTaskStats]) -> dict[str, int]:
    keys = ("assigned", "in_progress", "overdue", "done_on_time", "done_late", "no_deadline")
    return {k: sum(getattr(s, k) for s in lines) for k in (*keys, "extensions")}


def _documents(request: Request, today: date) -> dict[str, int] | None:
    """The month's documents sent and received through the hub (the monitoring centre's
    totals), for the steering page's first row."""
    stats = container_of(request).stats
    if stats is None:
        return None
    from lienthong.stats.queries import Period

    totals: dict[str, int] = stats.dashboard(Period(today.replace(day=1), today))["totals"]
    return totals
