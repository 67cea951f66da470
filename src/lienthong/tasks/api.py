"""REST API of task tracking (``/api/v1/tasks``), for the agencies' own systems: the caller
authenticates as its agency (mutual TLS or HTTP Basic, like every other agency call) and acts as
the assigning office or the lead agency of a task; other agencies do not see it."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from lienthong.calendar import WorkingCalendar
from lienthong.tasks.model import (
    Authority,
    Deadline,
    DeadlineKind,
    NewTask,
    Output,
    Priority,
    Recurrence,
    SourceDocument,
    TaskError,
    Timeliness,
)
from lienthong.tasks.service import Evidence, Task, TaskService
from lienthong.tasks.views import event_json, stats_json
from lienthong.web.auth import container_of, current_agency

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])
Agency = Annotated[str, Depends(current_agency)]


def tasks_of(request: Request) -> TaskService:
    """The process's task service (built once, on first use, from the container)."""
    service: TaskService | None = getattr(request.app.state, "tasks", None)
    if service is None:
        container = container_of(request)
        service = container.tasks or TaskService(
            container.db,
            container.clock,
            container.agencies,
            container.blobs,
            WorkingCalendar.from_settings(container.settings),
        )
        request.app.state.tasks = service
    return service


class DeadlineIn(BaseModel):
    kind: Literal["date", "periodic", "none"] = "date"
    due_on: date | None = None
    recurrence: Literal["monthly", "quarterly"] | None = None
    day: int | None = Field(default=None, ge=1, le=28)
    review_on: date | None = None

    def model(self) -> Deadline:
        return Deadline(
            DeadlineKind(self.kind),
            due=self.due_on,
            recurrence=Recurrence(self.recurrence) if self.recurrence else None,
            day=self.day,
            review_on=self.review_on,
        )


class SourceIn(BaseModel):
    document_id: str | None = Field(default=None, max_length=100)
    notation: str = Field(default="", max_length=100)
    signer: str = Field(default="", max_length=255)
    signed_on: date | None = None
    kind: str = Field(default="", max_length=100)


class TaskIn(BaseModel):
    title: str = Field(max_length=500)
    content: str = Field(default="", max_length=20_000)
    lead: str = Field(max_length=35)
    coordinators: list[str] = Field(default_factory=list, max_length=200)
    assigned_on: date | None = None
    deadline: DeadlineIn
    authority: Authority = Authority.PRIME_MINISTER
    priority: Priority = Priority.NORMAL
    output: Output = Output.REPORT
    person_in_charge: str = Field(default="", max_length=255)
    source: SourceIn = Field(default_factory=SourceIn)


class TextIn(BaseModel):
    text: str = Field(default="", max_length=5000)


class ExtensionIn(BaseModel):
    due_on: date
    reason: str = Field(max_length=5000)


class GrantIn(BaseModel):
    due_on: date | None = None


class CompletionIn(BaseModel):
    document_id: str | None = Field(default=None, max_length=100)
    text: str = Field(default="", max_length=2000)


class SuccessorIn(BaseModel):
    successor: str = Field(max_length=40)
    reason: str = Field(max_length=5000)


def _actor(request: Request, agency: str) -> str:
    return f"{agency} (API)"


@router.post("", status_code=201)
async def assign(request: Request, agency: Agency, body: TaskIn) -> dict[str, Any]:
    service = tasks_of(request)
    task = NewTask(
        title=body.title,
        content=body.content,
        assigner_code=agency,
        lead_code=body.lead,
        coordinator_codes=tuple(body.coordinators),
        assigned_on=body.assigned_on or service.today(),
        deadline=body.deadline.model(),
        authority=body.authority,
        priority=body.priority,
        output=body.output,
        person_in_charge=body.person_in_charge,
        source=SourceDocument(**body.source.model_dump()),
    )
    created = await run_in_threadpool(service.assign, task, actor=_actor(request, agency))
    return created.as_dict()


@router.get("")
async def listing(
    request: Request,
    agency: Agency,
    state: Annotated[list[str] | None, Query()] = None,
    lead: str | None = None,
    assigner: str | None = None,
    authority: str | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    timeliness: Annotated[list[Timeliness] | None, Query()] = None,
    after: Annotated[int, Query(ge=0, le=2**53)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict[str, Any]:
    tasks: list[Task] = await run_in_threadpool(
        tasks_of(request).tasks,
        agency,
        states=state or (),
        lead=lead,
        assigner=assigner,
        authority=authority,
        due_from=due_from,
        due_to=due_to,
        timeliness_in=timeliness or (),
        limit=limit,
        after_id=after,
    )
    following = tasks[-1].row.id if len(tasks) == limit else None
    return {"items": [t.as_dict() for t in tasks], "next_after": following}


@router.get("/stats")
async def stats(request: Request, agency: Agency, on: date | None = None) -> dict[str, Any]:
    lines = await run_in_threadpool(tasks_of(request).stats, agency, on)
    return {"on": (on or tasks_of(request).today()).isoformat(), "agencies": stats_json(lines)}


@router.get("/{code}")
async def one(request: Request, agency: Agency, code: str) -> dict[str, Any]:
    task = await run_in_threadpool(tasks_of(request).get, code, agency)
    return task.as_dict()


@router.get("/{code}/history")
async def history(request: Request, agency: Agency, code: str) -> dict[str, Any]:
    events = await run_in_threadpool(tasks_of(request).history, code, agency)
    return {"code": code, "events": [event_json(e) for e in events]}


@router.post("/{code}/receive")
async def receive(request: Request, agency: Agency, code: str) -> dict[str, Any]:
    s = tasks_of(request)
    return (await run_in_threadpool(s.receive, code, agency, _actor(request, agency))).as_dict()


@router.post("/{code}/progress")
async def progress(request: Request, agency: Agency, code: str, body: TextIn) -> dict[str, Any]:
    s = tasks_of(request)
    task = await run_in_threadpool(
        s.report_progress, code, agency, _actor(request, agency), body.text
    )
    return task.as_dict()


@router.post("/{code}/completion")
async def propose(
    request: Request, agency: Agency, code: str, body: CompletionIn
) -> dict[str, Any]:
    """A completion proposal whose evidence is an output document (its DocumentId); a file
    is attached on the clerk application's page."""
    s = tasks_of(request)
    task = await run_in_threadpool(
        s.propose_complete,
        code,
        agency,
        _actor(request, agency),
        Evidence(document_id=body.document_id),
        body.text,
    )
    return task.as_dict()


@router.post("/{code}/confirm")
async def confirm(request: Request, agency: Agency, code: str) -> dict[str, Any]:
    s = tasks_of(request)
    task = await run_in_threadpool(s.confirm_complete, code, agency, _actor(request, agency))
    return task.as_dict()


@router.post("/{code}/return")
async def give_back(request: Request, agency: Agency, code: str, body: TextIn) -> dict[str, Any]:
    s = tasks_of(request)
    task = await run_in_threadpool(
        s.return_for_work, code, agency, _actor(request, agency), body.text
    )
    return task.as_dict()


@router.post("/{code}/extension")
async def extension(
    request: Request, agency: Agency, code: str, body: ExtensionIn
) -> dict[str, Any]:
    s = tasks_of(request)
    task = await run_in_threadpool(
        s.request_extension, code, agency, _actor(request, agency), body.due_on, body.reason
    )
    return task.as_dict()


@router.post("/{code}/extension/grant")
async def grant(request: Request, agency: Agency, code: str, body: GrantIn) -> dict[str, Any]:
    s = tasks_of(request)
    task = await run_in_threadpool(
        s.grant_extension, code, agency, _actor(request, agency), body.due_on
    )
    return task.as_dict()


@router.post("/{code}/extension/refuse")
async def refuse(request: Request, agency: Agency, code: str, body: TextIn) -> dict[str, Any]:
    s = tasks_of(request)
    task = await run_in_threadpool(
        s.refuse_extension, code, agency, _actor(request, agency), body.text
    )
    return task.as_dict()


@router.post("/{code}/cancel")
async def cancel(request: Request, agency: Agency, code: str, body: TextIn) -> dict[str, Any]:
    s = tasks_of(request)
    task = await run_in_threadpool(s.cancel, code, agency, _actor(request, agency), body.text)
    return task.as_dict()


@router.post("/{code}/replace")
async def replace(request: Request, agency: Agency, code: str, body: SuccessorIn) -> dict[str, Any]:
    s = tasks_of(request)
    task = await run_in_threadpool(
        s.replace, code, agency, _actor(request, agency), body.successor, body.reason
    )
    return task.as_dict()


@router.post("/{code}/merge")
async def merge(request: Request, agency: Agency, code: str, body: SuccessorIn) -> dict[str, Any]:
    s = tasks_of(request)
    task = await run_in_threadpool(
        s.merge, code, agency, _actor(request, agency), body.successor, body.reason
    )
    return task.as_dict()


__all__ = ["TaskError", "router", "tasks_of"]
