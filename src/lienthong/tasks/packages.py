"""Task packages: how a task and its steps travel between agencies and hubs as edXML.

A task package is an ordinary document package (``BussinessDocType`` 0, signed by its sender
like any document, accepted exactly once by the hub's intake) from the party that acts to the
other party of the task: the assigning office to the lead agency for the assignment and the
office's decisions, the lead agency to the assigning office for its reports. What makes it a
task package is its ``SteeringType`` (the standard leaves the values to the systems that use
them [U]; ``docs/tasks.md`` lists ours) and one attachment, ``nhiem-vu.json``, which carries
the task's fields or the step's note in JSON (covered by the package's signature, like every
attachment). Header fields carry what the standard has a place for:

* ``Subject`` the task's title; ``Content`` the task's content or the step's text;
* ``DueDate`` the deadline (assignment), the requested deadline (extension request) or the
  granted one (a grant);
* ``ResponseFor`` (every step after the assignment) the assignment package: ``OrganId`` the
  assigning office, ``Code`` its number/notation, ``DocumentId`` its DocumentId;
* ``Code`` ``{n}/{task code}``: ``n`` counts the task's steps, so each package of a sender has
  its own number and notation (the intake refuses a number sent twice).

Pure: composing and reading, no I/O.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from lienthong.edxml.builder import build_document, make_document
from lienthong.edxml.model import (
    DocumentPackage,
    ResponseFor,
    make_document_id,
)
from lienthong.errors import ErrorCode
from lienthong.tasks.model import Action, TaskError

PAYLOAD_NAME = "nhiem-vu.json"
PAYLOAD_FORMAT = "lienthong.task/1"
PAYLOAD_MAX_BYTES = 256 * 1024
TYPE_NAME = "Phiếu giao, báo cáo nhiệm vụ"


class SteeringType(StrEnum):
    """``SteeringType`` of a task package (our values; the standard does not fix them)."""

    ASSIGNMENT = "1"  # giao nhiệm vụ
    PROGRESS = "2"  # báo cáo tiến độ (also the lead's receipt of the task)
    EXTENSION = "3"  # đề nghị gia hạn
    COMPLETION = "4"  # báo cáo hoàn thành, đề nghị xác nhận
    DECISION = "5"  # ý kiến của cơ quan giao: xác nhận, trả lại, gia hạn, hủy ...


STEERING_OF: dict[Action, SteeringType] = {
    Action.ASSIGN: SteeringType.ASSIGNMENT,
    Action.RECEIVE: SteeringType.PROGRESS,
    Action.REPORT_PROGRESS: SteeringType.PROGRESS,
    Action.REQUEST_EXTENSION: SteeringType.EXTENSION,
    Action.PROPOSE_COMPLETE: SteeringType.COMPLETION,
    Action.CONFIRM_COMPLETE: SteeringType.DECISION,
    Action.RETURN: SteeringType.DECISION,
    Action.GRANT_EXTENSION: SteeringType.DECISION,
    Action.REFUSE_EXTENSION: SteeringType.DECISION,
    Action.CANCEL: SteeringType.DECISION,
    Action.REPLACE: SteeringType.DECISION,
    Action.MERGE: SteeringType.DECISION,
}
TASK_STEERING = frozenset(s.value for s in SteeringType)


@dataclass(frozen=True)
class TaskMessage:
    """One task package's meaning: ``action`` on task ``code`` by ``sender`` (an agency code)
    for ``recipient``, on ``on`` at ``at``; ``task`` the task's fields (assignment only, the
    JSON of ``TaskService.as_dict`` without the computed values), ``note`` the step's note
    (as the task's history records it)."""

    action: Action
    code: str
    sender: str
    recipient: str
    on: date
    at: datetime
    actor: str
    number: int
    assignment_document_id: str | None = None  # ResponseFor/DocumentId (after the assignment)
    task: dict[str, Any] = field(default_factory=dict)
    note: dict[str, Any] = field(default_factory=dict)

    @property
    def notation(self) -> str:
        return self.code

    def document_id(self) -> str:
        return make_document_id(self.sender, self.on, str(self.number), self.notation)


def compose(
    message: TaskMessage,
    *,
    title: str,
    text: str = "",
    due: date | None = None,
    files: dict[str, bytes] | None = None,
) -> bytes:
    """The package's bytes (unsigned: the caller signs as ``message.sender``); ``files``
    travel as further attachments (a completion's evidence file), unzipped."""
    payload = {
        "format": PAYLOAD_FORMAT,
        "action": str(message.action),
        "code": message.code,
        "sender": message.sender,
        "recipient": message.recipient,
        "on": message.on.isoformat(),
        "at": message.at.isoformat(),
        "actor": message.actor,
        "assignment_document_id": message.assignment_document_id,
        "task": message.task,
        "note": message.note,
    }
    package, contents = make_document(
        sender=message.sender,
        recipients=[message.recipient],
        number=str(message.number),
        notation=message.notation,
        promulgation_date=message.on,
        subject=title[:500] or message.code,
        attachments={
            PAYLOAD_NAME: json.dumps(payload, ensure_ascii=False, sort_keys=True).encode(),
            **{name: data for name, data in (files or {}).items() if name != PAYLOAD_NAME},
        },
        zip_attachments=False,
        due_date=due,
        type_name=TYPE_NAME,
    )
    response_for: tuple[ResponseFor, ...] = ()
    if message.assignment_document_id:
        parts = message.assignment_document_id.split(",", 2)
        standard = len(parts) == 3
        response_for = (
            ResponseFor(
                organ_id=parts[0] if standard else None,
                code=parts[2] if standard else None,
                promulgation_date=parts[1] if standard else None,
                document_id=message.assignment_document_id,
            ),
        )
    header = replace(
        package.header,
        content=text[:20_000] or None,
        steering_type=STEERING_OF[message.action].value,
        response_for=response_for,
    )
    data = build_document(replace(package, header=header), contents)
    assert isinstance(data, bytes)
    return data


def is_task_package(package: DocumentPackage) -> bool:
    """A package that claims to carry a task or a task step (its ``SteeringType`` and the
    payload attachment); anything else is an ordinary document for the tasks domain."""
    return package.header.steering_type in TASK_STEERING and any(
        (a.attachment_name or "") == PAYLOAD_NAME for a in package.attachments
    )


def payload_content_id(package: DocumentPackage) -> str | None:
    for attachment in package.attachments:
        if (attachment.attachment_name or "") == PAYLOAD_NAME:
            return attachment.content_id
    return None


def read(package: DocumentPackage, payload: bytes) -> TaskMessage:
    """The message a task package carries; TASK_PACKAGE_INVALID when the payload cannot be
    read, TASK_PACKAGE_FORGED when it names a sender, recipient or step other than the
    package's own (the signed ``From``, ``To``, ``SteeringType`` and ``ResponseFor``)."""
    if len(payload) > PAYLOAD_MAX_BYTES:
        raise _invalid("the task payload is too large")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid("the task payload is not JSON") from exc
    if not isinstance(data, dict) or data.get("format") != PAYLOAD_FORMAT:
        raise _invalid(f"the task payload is not {PAYLOAD_FORMAT}")
    try:
        action = Action(str(data["action"]))
        message = TaskMessage(
            action=action,
            code=str(data["code"]),
            sender=str(data["sender"]),
            recipient=str(data["recipient"]),
            on=date.fromisoformat(str(data["on"])),
            at=datetime.fromisoformat(str(data["at"])),
            actor=str(data.get("actor") or data["sender"])[:255],
            number=int(package.header.code.code_number or 0) if package.header.code else 0,
            assignment_document_id=data.get("assignment_document_id") or None,
            task=dict(data.get("task") or {}),
            note=dict(data.get("note") or {}),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise _invalid(f"the task payload lacks a field or has a wrong one ({exc})") from exc
    claims: dict[str, tuple[object, object]] = {
        "sender": (message.sender, package.sender),
        "recipient": ((message.recipient,), package.recipients),
        "steering_type": (STEERING_OF[action].value, package.header.steering_type),
        "notation": (
            message.code,
            package.header.code.code_notation if package.header.code else None,
        ),
    }
    if action is not Action.ASSIGN:
        answered = tuple(r.document_id for r in package.header.response_for)
        claims["response_for"] = ((message.assignment_document_id,), answered)
    wrong = sorted(name for name, (said, is_) in claims.items() if said != is_)
    if wrong:
        raise TaskError(
            f"the task payload does not match its package: {', '.join(wrong)}",
            code=ErrorCode.TASK_PACKAGE_FORGED,
            detail={"fields": wrong},
        )
    return message


def _invalid(text: str) -> TaskError:
    return TaskError(text, code=ErrorCode.TASK_PACKAGE_INVALID)
