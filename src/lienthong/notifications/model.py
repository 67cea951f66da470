"""In-app notifications (thông báo) of a web user: what happened that asks for the user's
attention. Pure values only; the rows live in ``store.py``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class NotificationKind(StrEnum):
    """Why a user is told (events in the past tense)."""

    DOCUMENT_ARRIVED = "document_arrived"  # a document reached the clerk's agency
    DRAFT_TO_SIGN = "draft_to_sign"  # a draft awaits the leader's signature
    DRAFT_SIGNED = "draft_signed"  # the leader signed the clerk's draft: number and issue it
    DOCUMENT_ASSIGNED = "document_assigned"  # a received document was assigned to the user
    REPORT_RETURNED = "report_returned"  # the receiving level returned the unit's report
    TASK_DUE = "task_due"  # a task (or its periodic report) is due soon or overdue
    TASK_ESCALATED = "task_escalated"  # a task is overdue past the escalation delay


KIND_LABELS: dict[NotificationKind, str] = {
    NotificationKind.DOCUMENT_ARRIVED: "Văn bản đến",
    NotificationKind.DRAFT_TO_SIGN: "Dự thảo chờ ký",
    NotificationKind.DRAFT_SIGNED: "Dự thảo đã ký",
    NotificationKind.DOCUMENT_ASSIGNED: "Được giao xử lý",
    NotificationKind.REPORT_RETURNED: "Báo cáo bị trả lại",
    NotificationKind.TASK_DUE: "Nhắc hạn nhiệm vụ",
    NotificationKind.TASK_ESCALATED: "Nhiệm vụ quá hạn",
}


@dataclass(frozen=True)
class Notification:
    """One notification of one user: ``text`` is the Vietnamese sentence shown, ``link`` the
    page it is about (opening the notification goes there and marks it read)."""

    id: int
    kind: NotificationKind
    text: str
    link: str
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


def shorten(text: str | None, most: int = 120) -> str:
    """``text`` on one line, cut at ``most`` characters with an ellipsis."""
    flat = " ".join((text or "").split())
    return flat if len(flat) <= most else flat[: most - 1].rstrip() + "…"
