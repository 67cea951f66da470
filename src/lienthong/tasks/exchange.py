"""The intake's handler of task packages (:mod:`lienthong.tasks.packages`): when the hub
accepts one, the task store records what it carries in the same transaction, so the step exists
exactly when the package does, once (the intake accepts a package once: an identical re-send
or a forward sent again is answered with the original acceptance and records nothing).

A hub records a task package when it serves the package's sender (the acting party's own copy
of the task: the assigning office's hub for an assignment, the lead's hub for a report) or its
recipient (the other party's copy); a hub the package only passes through records nothing.

Refusals, each with nothing stored (the whole package is refused by the intake):
``TASK_PACKAGE_INVALID`` (no readable payload), ``TASK_PACKAGE_FORGED`` (the payload names a
sender, recipient, step or assigning office other than the signed header's),
``TASK_PACKAGE_UNKNOWN_TASK`` (a step for a task, or an assignment package, not held here),
``TASK_PACKAGE_NOT_PARTY`` (a report by an agency that does not lead the task, a decision by
one that did not assign it), ``TASK_PACKAGE_DUPLICATE`` (an assignment for a code already
recorded), and the task rules' own codes (``TASK_TRANSITION_INVALID``,
``TASK_LEAD_AGENCY_INVALID``, ``TASK_DEADLINE_INVALID``, ``TASK_EXTENSION_INVALID``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from lienthong.agencies import store as agency_store
from lienthong.agencies.model import Validity
from lienthong.calendar import WorkingCalendar
from lienthong.edxml.model import DocumentPackage
from lienthong.errors import ErrorCode
from lienthong.exchange.intake import HandlerContext
from lienthong.tasks import packages, store
from lienthong.tasks.model import (
    TRANSITIONS,
    Action,
    Side,
    TaskError,
    TaskState,
    deadline_problems,
    new_task_problems,
    next_state,
)
from lienthong.tasks.service import TaskService, apply_step, new_row, new_task_of


@dataclass(frozen=True)
class Prepared:
    message: packages.TaskMessage
    document_id: str
    attachments: tuple[tuple[str, str], ...]  # (name, sha256) of the other attachments


class TaskPackages:
    """Registered on the intake by the container (``intake.handlers``)."""

    def __init__(self, calendar: WorkingCalendar | None = None) -> None:
        self.calendar = calendar or WorkingCalendar()

    def prepare(self, package: DocumentPackage, attachments: Mapping[str, Path]) -> object | None:
        if not packages.is_task_package(package):
            return None
        content_id = packages.payload_content_id(package)
        path = attachments.get(content_id or "")
        if path is None:
            raise TaskError("no task payload", code=ErrorCode.TASK_PACKAGE_INVALID)
        with path.open("rb") as fh:
            payload = fh.read(packages.PAYLOAD_MAX_BYTES + 1)
        message = packages.read(package, payload)
        others = tuple(
            (a.attachment_name or "", a.sha256)
            for a in package.attachments
            if a.content_id != content_id
        )
        return Prepared(message, message.document_id(), others)

    def check(self, session: Session, prepared: object, context: HandlerContext) -> None:
        self._record(session, _prepared(prepared), context, write=False)

    def apply(self, session: Session, prepared: object, context: HandlerContext) -> None:
        self._record(session, _prepared(prepared), context, write=True)

    def _record(
        self, session: Session, item: Prepared, context: HandlerContext, *, write: bool
    ) -> None:
        message = item.message
        parties = (message.sender, *context.recipients)
        if not any(context.served_here(session, code) for code in parties):
            return  # passing through this hub
        if message.action is Action.ASSIGN:
            self._assignment(session, item, context, write)
        else:
            self._step(session, item, context, write)

    def _assignment(
        self, session: Session, item: Prepared, context: HandlerContext, write: bool
    ) -> None:
        message = item.message
        task = new_task_of(message.task)
        if task.assigner_code != message.sender or task.code != message.code:
            raise TaskError(
                "the assignment names another assigning office or task",
                code=ErrorCode.TASK_PACKAGE_FORGED,
                detail={"assigner": task.assigner_code, "from": message.sender},
            )
        if task.lead_code != message.recipient:
            raise TaskError(
                "the assignment is not addressed to the task's lead agency",
                code=ErrorCode.TASK_PACKAGE_NOT_PARTY,
                detail={"lead": task.lead_code, "to": message.recipient},
            )
        problems = new_task_problems(task)
        if problems:
            raise TaskError("; ".join(problems), detail={"errors": problems})
        lead = agency_store.get_agency(session, task.lead_code)
        if lead is None or lead.validity(task.assigned_on) is not Validity.VALID:
            raise TaskError(
                f"the lead agency {task.lead_code} is not valid on {task.assigned_on}",
                code=ErrorCode.TASK_LEAD_AGENCY_INVALID,
                detail={"lead": task.lead_code},
            )
        wrong = deadline_problems(task.deadline, task.assigned_on)
        if wrong:
            raise TaskError(
                "; ".join(wrong), code=ErrorCode.TASK_DEADLINE_INVALID, detail={"errors": wrong}
            )
        if store.code_exists(session, task.code or ""):
            raise TaskError(code=ErrorCode.TASK_PACKAGE_DUPLICATE, detail={"code": task.code})
        if not write:
            return
        assert task.code is not None
        row = new_row(task, task.code, context.now, self.calendar)
        session.add(row)
        session.flush()
        for agency in task.coordinator_codes:
            session.add(store.TaskAgencyRow(task_id=row.id, agency_code=agency))
        TaskService._event(
            session,
            row,
            _at(message.at, context.now),
            message.sender,
            message.actor,
            Action.ASSIGN,
            {"package": item.document_id},
            package_document_id=item.document_id,
        )

    def _step(self, session: Session, item: Prepared, context: HandlerContext, write: bool) -> None:
        message = item.message
        row = store.by_code(session, message.code, lock=write)
        if row is None:
            raise TaskError(code=ErrorCode.TASK_PACKAGE_UNKNOWN_TASK, detail={"code": message.code})
        assignment = store.assignment_package(session, row.id)
        if assignment is None or assignment != message.assignment_document_id:
            raise TaskError(
                "the step answers an assignment package this hub does not hold",
                code=ErrorCode.TASK_PACKAGE_UNKNOWN_TASK,
                detail={"code": message.code, "response_for": message.assignment_document_id},
            )
        rule = TRANSITIONS[message.action]
        if rule.side is Side.LEAD:
            sender, recipient, side = row.lead_code, row.assigner_code, Side.LEAD
        else:
            sender, recipient, side = row.assigner_code, row.lead_code, Side.ASSIGNER
        if message.sender != sender or message.recipient != recipient:
            raise TaskError(
                f"{message.sender} is not the party of task {row.code} that may {rule.side}",
                code=ErrorCode.TASK_PACKAGE_NOT_PARTY,
                detail={"code": row.code, "from": message.sender},
            )
        after = next_state(
            TaskState(row.state), message.action, side, extension_pending=row.extension_pending
        )
        note: dict[str, Any] = dict(message.note)
        # An evidence file travels as an attachment (the intake stores it as a blob).
        evidence = (note.get("file"), note.get("sha256"))
        if evidence[1] and evidence not in item.attachments:
            raise TaskError(
                "the completion names an evidence file the package does not carry",
                code=ErrorCode.TASK_PACKAGE_INVALID,
            )
        if not write:
            # The row's change may still refuse (an extension date): try it on a copy.
            apply_step(_copy(row), message.action, dict(note), message.on, self.calendar)
            return
        apply_step(row, message.action, note, message.on, self.calendar)
        row.state = after
        row.updated_at = context.now
        note["package"] = item.document_id
        TaskService._event(
            session,
            row,
            _at(message.at, context.now),
            message.sender,
            message.actor,
            message.action,
            note,
            package_document_id=item.document_id,
        )


def _prepared(value: object) -> Prepared:
    assert isinstance(value, Prepared)
    return value


def _at(said: datetime, now: datetime) -> datetime:
    """When the step was taken (the sender's time), never later than its acceptance here."""
    if said.tzinfo is None:
        return now
    return min(said, now)


def _copy(row: store.TaskRow) -> store.TaskRow:
    columns = {c.key: getattr(row, c.key) for c in store.TaskRow.__table__.columns}
    return store.TaskRow(**columns)
