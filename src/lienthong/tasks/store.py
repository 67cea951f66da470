"""Task tables and their queries; the caller owns the transaction.

``tasks`` holds each task's current picture (what lists and statistics read); ``task_events``
is its append-only history (every change with its actor: nothing is overwritten without an
event that keeps the value before); ``task_agencies`` names the coordinating agencies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    case,
    false,
    func,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.db import Base

BigId = BigInteger().with_variant(Integer, "sqlite")


class TaskRow(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_lead_state", "lead_code", "state"),
        Index("ix_tasks_assigner_state", "assigner_code", "state"),
        Index("ix_tasks_due_on", "due_on"),
        Index("ix_tasks_effective_due_on", "effective_due_on"),
        Index("ix_tasks_deadline_kind", "deadline_kind"),
        Index("ix_tasks_state", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    content: Mapped[str] = mapped_column(Text)
    authority: Mapped[str] = mapped_column(String(32))
    assigner_code: Mapped[str] = mapped_column(String(35))
    lead_code: Mapped[str] = mapped_column(String(35))
    assigned_on: Mapped[date] = mapped_column(Date)
    deadline_kind: Mapped[str] = mapped_column(String(16))
    due_on: Mapped[date | None] = mapped_column(Date)  # the current deadline (after extensions)
    original_due_on: Mapped[date | None] = mapped_column(Date)
    # ``due_on`` rolled to a working day (what timeliness compares with), kept with it.
    effective_due_on: Mapped[date | None] = mapped_column(Date)
    recurrence: Mapped[str | None] = mapped_column(String(16))
    due_day: Mapped[int | None] = mapped_column(Integer)
    review_on: Mapped[date | None] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(16))
    output: Mapped[str] = mapped_column(String(16))
    person_in_charge: Mapped[str] = mapped_column(String(255))
    source_document_id: Mapped[str | None] = mapped_column(String(100), index=True)
    source_notation: Mapped[str] = mapped_column(String(100))
    source_signer: Mapped[str] = mapped_column(String(255))
    source_signed_on: Mapped[date | None] = mapped_column(Date)
    source_kind: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(20))
    extension_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    requested_due_on: Mapped[date | None] = mapped_column(Date)
    extensions_granted: Mapped[int] = mapped_column(Integer, default=0)
    proposed_on: Mapped[date | None] = mapped_column(Date)
    completed_on: Mapped[date | None] = mapped_column(Date)
    evidence_document_id: Mapped[str | None] = mapped_column(String(100))
    evidence_blob: Mapped[str | None] = mapped_column(String(64), info={"blob": True})
    evidence_name: Mapped[str | None] = mapped_column(String(255))
    successor_code: Mapped[str | None] = mapped_column(String(40))  # replaced by / merged into
    last_report_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TaskAgencyRow(Base):
    """``task_agencies``: a coordinating agency (cơ quan phối hợp) of a task."""

    __tablename__ = "task_agencies"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(35), primary_key=True, index=True)


class TaskEventRow(Base):
    """``task_events``: the task's history, append-only."""

    __tablename__ = "task_events"
    __table_args__ = (Index("ix_task_events_at", "at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    on: Mapped[date] = mapped_column(Date)  # the Vietnamese date of ``at``
    agency_code: Mapped[str] = mapped_column(String(35))
    actor: Mapped[str] = mapped_column(String(255))
    action: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(20))  # the state after the event
    note: Mapped[dict[str, Any]] = mapped_column(JSON)
    # The edXML DocumentId of the task package that carried the step (lienthong.tasks.packages),
    # when it travelled; unique: a package is recorded once.
    package_document_id: Mapped[str | None] = mapped_column(String(255), unique=True)


class TaskReminderRow(Base):
    """``task_reminders``: the reminder and escalation outbox. One row per task, kind and due
    date (queued again on the same or a later day: nothing new); ``sent_at`` is set when the
    notices went out."""

    __tablename__ = "task_reminders"
    __table_args__ = (UniqueConstraint("task_id", "kind", "due_on"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # before | overdue | escalate
    due_on: Mapped[date] = mapped_column(Date)
    queued_on: Mapped[date] = mapped_column(Date)
    recipient_code: Mapped[str] = mapped_column(String(35))
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


def by_code(session: Session, code: str, *, lock: bool = False) -> TaskRow | None:
    query = select(TaskRow).where(TaskRow.code == code)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query).first()


def code_exists(session: Session, code: str) -> bool:
    return session.scalar(select(func.count()).where(TaskRow.code == code)) != 0


def count_in_year(session: Session, assigner: str, year: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(TaskRow)
            .where(
                TaskRow.assigner_code == assigner,
                TaskRow.assigned_on >= date(year, 1, 1),
                TaskRow.assigned_on <= date(year, 12, 31),
            )
        )
        or 0
    )


def coordinators(session: Session, task_ids: Iterable[int]) -> dict[int, list[str]]:
    ids = list(task_ids)
    found: dict[int, list[str]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        select(TaskAgencyRow.task_id, TaskAgencyRow.agency_code)
        .where(TaskAgencyRow.task_id.in_(ids))
        .order_by(TaskAgencyRow.agency_code)
    )
    for task_id, code in rows:
        found[task_id].append(code)
    return found


def events(session: Session, task_id: int) -> list[TaskEventRow]:
    return list(
        session.scalars(
            select(TaskEventRow).where(TaskEventRow.task_id == task_id).order_by(TaskEventRow.id)
        )
    )


def report_dates(session: Session, task_ids: Iterable[int]) -> dict[int, list[date]]:
    ids = list(task_ids)
    found: dict[int, list[date]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        select(TaskEventRow.task_id, TaskEventRow.on).where(
            TaskEventRow.task_id.in_(ids), TaskEventRow.action == "report_progress"
        )
    )
    for task_id, on in rows:
        found[task_id].append(on)
    return found


def visible_to(agency: str) -> Any:
    """The tasks an agency may see: it assigned them, leads them or coordinates them. The lead
    and coordinator look-ups are a union of indexed queries (a lead's few tasks are not found by
    a scan); the assigning office, which sees most rows, matches on its own column."""
    led = union_all(
        select(TaskRow.id).where(TaskRow.lead_code == agency),
        select(TaskAgencyRow.task_id).where(TaskAgencyRow.agency_code == agency),
    )
    return or_(TaskRow.assigner_code == agency, TaskRow.id.in_(select(led.subquery().c[0])))


def listing(
    session: Session,
    *,
    agency: str | None,
    states: Sequence[str] = (),
    lead: str | None = None,
    assigner: str | None = None,
    authority: str | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    limit: int = 200,
    after_id: int = 0,
    narrowing: Any = None,
) -> list[TaskRow]:
    """Tasks in id order; ``agency`` None lists every task (the hub operator's view);
    ``narrowing`` an extra condition (see :func:`may_be`)."""
    query = select(TaskRow).where(TaskRow.id > after_id)
    if narrowing is not None:
        query = query.where(narrowing)
    if agency is not None:
        query = query.where(visible_to(agency))
    if states:
        query = query.where(TaskRow.state.in_(list(states)))
    if lead:
        query = query.where(TaskRow.lead_code == lead)
    if assigner:
        query = query.where(TaskRow.assigner_code == assigner)
    if authority:
        query = query.where(TaskRow.authority == authority)
    if due_from:
        query = query.where(TaskRow.due_on >= due_from)
    if due_to:
        query = query.where(TaskRow.due_on <= due_to)
    return list(session.scalars(query.order_by(TaskRow.id).limit(limit)))


def may_be(buckets: Iterable[str], on: date) -> Any:
    """A condition that every task whose timeliness on ``on`` is among ``buckets`` meets
    (``tasks.model.timeliness`` decides exactly; this lets the database skip the rest): the
    periodic tasks are always kept, "due soon" counts as on track (it needs working days)."""
    wanted = set(buckets)
    live = and_(TaskRow.state.not_in(WITHDRAWN), TaskRow.deadline_kind != "none")
    completed = and_(live, TaskRow.state == "completed", TaskRow.completed_on.is_not(None))
    open_dated = and_(live, TaskRow.deadline_kind == "date", ~completed)
    in_time = and_(
        TaskRow.state == "proposed_complete",
        TaskRow.proposed_on.is_not(None),
        TaskRow.proposed_on <= TaskRow.effective_due_on,
    )
    clauses: list[Any] = []
    if wanted - {"withdrawn", "no_deadline"}:
        clauses.append(and_(live, TaskRow.deadline_kind == "periodic"))
    if "withdrawn" in wanted:
        clauses.append(TaskRow.state.in_(WITHDRAWN))
    if "no_deadline" in wanted:
        clauses.append(and_(TaskRow.state.not_in(WITHDRAWN), TaskRow.deadline_kind == "none"))
    if "done_on_time" in wanted:
        clauses.append(and_(completed, TaskRow.completed_on <= TaskRow.effective_due_on))
    if "done_late" in wanted:
        clauses.append(and_(completed, TaskRow.completed_on > TaskRow.effective_due_on))
    if "overdue" in wanted:
        clauses.append(and_(open_dated, TaskRow.effective_due_on < on, ~in_time))
    if wanted & {"on_track", "due_soon"}:
        clauses.append(and_(open_dated, or_(TaskRow.effective_due_on >= on, in_time)))
    return or_(*clauses) if clauses else false()


def by_source_document(session: Session, document_id: str) -> list[TaskRow]:
    return list(
        session.scalars(
            select(TaskRow).where(TaskRow.source_document_id == document_id).order_by(TaskRow.id)
        )
    )


def periodic_rows(
    session: Session, *, agency: str | None, assigned_until: date
) -> list[tuple[Any, ...]]:
    """The columns timeliness needs, for the periodic tasks assigned by ``assigned_until``."""
    query = select(
        TaskRow.id,
        TaskRow.lead_code,
        TaskRow.state,
        TaskRow.assigned_on,
        TaskRow.deadline_kind,
        TaskRow.due_on,
        TaskRow.recurrence,
        TaskRow.due_day,
        TaskRow.review_on,
        TaskRow.proposed_on,
        TaskRow.completed_on,
        TaskRow.extensions_granted,
        TaskRow.last_report_on,
    ).where(TaskRow.assigned_on <= assigned_until, TaskRow.deadline_kind == "periodic")
    if agency is not None:
        query = query.where(visible_to(agency))
    return [tuple(r) for r in session.execute(query)]


WITHDRAWN = ("cancelled", "replaced", "merged")


def timeliness_counts(
    session: Session, *, agency: str | None, on: date
) -> list[tuple[str, str, int, int]]:
    """``(lead, bucket, tasks, extensions granted)`` of the dated and open-ended tasks assigned
    by ``on``, timeliness decided by the database (periodic tasks are left to the caller). The
    buckets follow ``tasks.model.timeliness``: ``no_deadline``, ``done_on_time``, ``done_late``,
    ``overdue``, ``on_track`` (a pending proposal made in time counts as on track)."""
    done = and_(TaskRow.state == "completed", TaskRow.completed_on <= on)
    bucket = case(
        (TaskRow.deadline_kind == "none", "no_deadline"),
        (and_(done, TaskRow.completed_on <= TaskRow.effective_due_on), "done_on_time"),
        (done, "done_late"),
        (
            and_(
                TaskRow.state == "proposed_complete",
                TaskRow.proposed_on <= TaskRow.effective_due_on,
            ),
            "on_track",
        ),
        (TaskRow.effective_due_on < on, "overdue"),
        else_="on_track",
    ).label("bucket")
    query = (
        select(
            TaskRow.lead_code,
            bucket,
            func.count(),
            func.coalesce(func.sum(TaskRow.extensions_granted), 0),
        )
        .where(
            TaskRow.assigned_on <= on,
            TaskRow.deadline_kind != "periodic",
            TaskRow.state.not_in(WITHDRAWN),
        )
        .group_by(TaskRow.lead_code, bucket)
    )
    if agency is not None:
        query = query.where(visible_to(agency))
    return [(str(a), str(b), int(n), int(g)) for a, b, n, g in session.execute(query)]


OPEN = ("assigned", "received", "in_progress", "proposed_complete", "returned")


def overdue_rows(session: Session, *, agency: str | None, on: date, limit: int) -> list[TaskRow]:
    """Open dated tasks past their (rolled) deadline on ``on``, oldest deadline first; a
    proposal made in time does not count (``tasks.model.timeliness``)."""
    in_time = and_(
        TaskRow.state == "proposed_complete",
        TaskRow.proposed_on.is_not(None),
        TaskRow.proposed_on <= TaskRow.effective_due_on,
    )
    query = select(TaskRow).where(
        TaskRow.state.in_(OPEN),
        TaskRow.deadline_kind == "date",
        TaskRow.effective_due_on < on,
        ~in_time,
    )
    if agency is not None:
        query = query.where(visible_to(agency))
    return list(session.scalars(query.order_by(TaskRow.effective_due_on, TaskRow.id).limit(limit)))


def awaiting_decision(session: Session, *, agency: str | None, limit: int) -> list[TaskRow]:
    """Tasks waiting for the assigning office: a completion proposed or an extension asked."""
    query = select(TaskRow).where(
        or_(TaskRow.state == "proposed_complete", TaskRow.extension_pending.is_(True))
    )
    if agency is not None:
        query = query.where(visible_to(agency))
    return list(session.scalars(query.order_by(TaskRow.updated_at.desc()).limit(limit)))


def changes_since(session: Session, *, agency: str | None, since: datetime) -> dict[str, int]:
    """How many steps of each kind were recorded since ``since`` (what changed since
    yesterday)."""
    query = (
        select(TaskEventRow.action, func.count())
        .join(TaskRow, TaskRow.id == TaskEventRow.task_id)
        .where(TaskEventRow.at >= since)
        .group_by(TaskEventRow.action)
    )
    if agency is not None:
        query = query.where(visible_to(agency))
    return {str(a): int(n) for a, n in session.execute(query)}


def step_count(session: Session, task_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(TaskEventRow).where(TaskEventRow.task_id == task_id)
        )
        or 0
    )


def assignment_package(session: Session, task_id: int) -> str | None:
    """The DocumentId of the package that carried the task's assignment (None: not sent)."""
    return session.scalar(
        select(TaskEventRow.package_document_id).where(
            TaskEventRow.task_id == task_id, TaskEventRow.action == "assign"
        )
    )


def event_by_package(session: Session, document_id: str) -> TaskEventRow | None:
    return session.scalars(
        select(TaskEventRow).where(TaskEventRow.package_document_id == document_id)
    ).first()


def queued_reminders(session: Session, keys: Sequence[tuple[int, str, date]]) -> set[Any]:
    """Which of ``(task id, kind, due date)`` are already in the outbox."""
    ids = sorted({k[0] for k in keys})
    if not ids:
        return set()
    rows = session.execute(
        select(TaskReminderRow.task_id, TaskReminderRow.kind, TaskReminderRow.due_on).where(
            TaskReminderRow.task_id.in_(ids)
        )
    )
    return {tuple(r) for r in rows}


def unsent_reminders(session: Session, limit: int = 500) -> list[TaskReminderRow]:
    return list(
        session.scalars(
            select(TaskReminderRow)
            .where(TaskReminderRow.sent_at.is_(None))
            .order_by(TaskReminderRow.id)
            .limit(limit)
        )
    )


def ids_by_code(session: Session, codes: Sequence[str]) -> dict[str, int]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(select(TaskRow.code, TaskRow.id).where(TaskRow.code.in_(wanted)))
    return {code: int(i) for code, i in rows}


def codes_by_id(session: Session, ids: Sequence[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(TaskRow.id, TaskRow.code).where(TaskRow.id.in_(wanted)))
    return {int(i): code for i, code in rows}
