"""Citizen and business feedback (phản ánh, kiến nghị; Decree 20/2008/NĐ-CP): reception with a
tracking code, classification, routing to the competent agency, deadlines and reminders, answer,
publication with personal data redacted, reopening, and the articles' statistics.

Every action is one transaction with an entry in the item's history and in the audit log.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from lienthong.agencies.service import AgencyService
from lienthong.audit.store import record as audit
from lienthong.calendar import WorkingCalendar
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.portal import feedback_store as fstore
from lienthong.portal import store
from lienthong.portal.feedback_store import FeedbackRow
from lienthong.portal.model import (
    CITIZEN_ACTOR,
    Classification,
    FeedbackState,
    FeedbackStats,
    PortalError,
    Reminder,
    next_feedback_state,
    redact,
    reminder_kind,
    vn_day,
)

_TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
_EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE_RE = re.compile(r"\+?[0-9 .-]{8,15}")


@dataclass(frozen=True)
class FeedbackPolicy:
    """[U] Decree 20/2008 leaves the handling time to the agencies: configuration."""

    per_source_per_hour: int = 5
    handling_days: int = 10  # working days from forwarding
    remind_before_days: int = 2


@dataclass(frozen=True)
class NewFeedback:
    name: str
    content: str
    subject: str
    email: str = ""
    phone: str = ""
    submitter_type: int = 1
    procedure_code: str = ""
    agency_code: str = ""
    field_code: str = ""


def new_tracking_code() -> str:
    """``PA-`` and 12 random characters (60 bits): the citizen's only key to the item."""
    body = "".join(secrets.choice(_TRACKING_ALPHABET) for _ in range(12))
    return f"PA-{body[:4]}-{body[4:8]}-{body[8:]}"


def _problems(item: NewFeedback) -> list[str]:
    problems = []
    if not item.name.strip() or len(item.name) > 255:
        problems.append("Họ tên là bắt buộc (tối đa 255 ký tự).")
    if not 1 <= len(item.subject.strip()) <= 255:
        problems.append("Tiêu đề là bắt buộc (tối đa 255 ký tự).")
    if not 10 <= len(item.content.strip()) <= 5000:
        problems.append("Nội dung phải từ 10 đến 5.000 ký tự.")
    if not item.email and not item.phone:
        problems.append("Cần ít nhất thư điện tử hoặc số điện thoại để nhận kết quả.")
    if item.email and not _EMAIL_RE.fullmatch(item.email):
        problems.append("Thư điện tử không đúng định dạng.")
    if item.phone and not _PHONE_RE.fullmatch(item.phone):
        problems.append("Số điện thoại không đúng định dạng.")
    if item.submitter_type not in (1, 2):
        problems.append("Đối tượng là cá nhân hoặc doanh nghiệp.")
    return problems


class FeedbackService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        agencies: AgencyService,
        calendar: WorkingCalendar | None = None,
        policy: FeedbackPolicy | None = None,
    ) -> None:
        self.db, self.clock, self.agencies = db, clock, agencies
        self.calendar = calendar or WorkingCalendar()
        self.policy = policy or FeedbackPolicy()

    def submit(self, item: NewFeedback, source: str) -> str:
        """Receive an item; its tracking code. PORTAL_FEEDBACK_INVALID when incomplete,
        PORTAL_FEEDBACK_RATE_LIMITED past the per-address limit (nothing stored either way)."""
        problems = _problems(item)
        if problems:
            raise PortalError(
                " ".join(problems),
                code=ErrorCode.PORTAL_FEEDBACK_INVALID,
                detail={"errors": problems},
            )
        now = self.clock.now()
        code = new_tracking_code()
        with self.db.unit_of_work() as session:
            recent = fstore.count_from_source(session, source, now - timedelta(hours=1))
            if recent >= self.policy.per_source_per_hour:
                raise PortalError(
                    code=ErrorCode.PORTAL_FEEDBACK_RATE_LIMITED,
                    detail={"limit_per_hour": self.policy.per_source_per_hour},
                )
            row = FeedbackRow(
                tracking_code=code,
                submitted_at=now,
                source=source[:64],
                submitter_name=item.name.strip(),
                submitter_type=item.submitter_type,
                email=item.email.strip(),
                phone=item.phone.strip(),
                subject=item.subject.strip(),
                content=item.content.strip(),
                procedure_code=item.procedure_code.strip(),
                field_code=item.field_code.strip(),
                agency_code=item.agency_code.strip() or None,
                state=FeedbackState.RECEIVED,
                reopened=0,
            )
            session.add(row)
            session.flush()
            fstore.add_event(session, row, now, CITIZEN_ACTOR, "submit", {})
            audit(
                session, at=now, actor=CITIZEN_ACTOR, action="portal.feedback.submit", subject=code
            )
        return code

    def get(self, tracking_code: str) -> tuple[FeedbackRow, list[Any]]:
        """The item and its history, for its author (who holds the code) and for operators."""
        with self.db.read() as session:
            row = fstore.by_tracking_code(session, tracking_code.strip().upper())
            if row is None:
                raise PortalError(code=ErrorCode.PORTAL_FEEDBACK_NOT_FOUND)
            events = fstore.history(session, row.id)
            session.expunge_all()  # the read session rolls back: keep the loaded values
            return row, events

    def published(self, limit: int = 100) -> list[FeedbackRow]:
        with self.db.read() as session:
            rows = fstore.published(session, limit)
            session.expunge_all()
            return rows

    def published_item(self, item_id: int) -> FeedbackRow:
        """A published item by its number; PORTAL_FEEDBACK_NOT_FOUND for any other."""
        with self.db.read() as session:
            row = session.get(FeedbackRow, item_id)
            if row is None or row.state != FeedbackState.PUBLISHED or row.published_at is None:
                raise PortalError(code=ErrorCode.PORTAL_FEEDBACK_NOT_FOUND)
            session.expunge_all()
            return row

    def items(self, state: str | None = None, agency: str | None = None) -> list[FeedbackRow]:
        with self.db.read() as session:
            rows = fstore.list_items(session, state=state, agency=agency)
            session.expunge_all()
            return rows

    # --- handling ------------------------------------------------------------------------------

    def _route(self, session: Any, row: FeedbackRow, agency: str | None) -> str:
        """The competent agency: the operator's choice, else the agency the citizen named,
        else the single agency the catalogue publishes the procedure for (by field)."""
        if agency:
            candidate: str | None = agency
        elif row.agency_code:
            candidate = row.agency_code
        else:
            versions = store.versions_by_code(session, [row.procedure_code]).get(
                row.procedure_code, []
            )
            owners = {a for v in versions for a in v.agency_codes}
            candidate = owners.pop() if len(owners) == 1 else None
        if candidate is None:
            raise PortalError(
                "Chưa xác định được cơ quan có thẩm quyền: hãy chọn cơ quan.",
                code=ErrorCode.PORTAL_FEEDBACK_INVALID,
            )
        try:
            self.agencies.get(candidate)
        except LienthongError as exc:
            raise PortalError(
                f"agency {candidate} is not registered", code=ErrorCode.AGENCY_UNKNOWN
            ) from exc
        return candidate

    def _act(
        self, tracking_code: str, action: str, actor: str, note: dict[str, Any], change: Any
    ) -> FeedbackRow:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = fstore.by_tracking_code(session, tracking_code, lock=True)
            if row is None:
                raise PortalError(code=ErrorCode.PORTAL_FEEDBACK_NOT_FOUND)
            flow = "classify_valid" if note.get("classification") == "VALID" else "classify_other"
            row.state = next_feedback_state(row.state, flow if action == "classify" else action)
            change(session, row, now)
            fstore.add_event(session, row, now, actor, action, note)
            audit(
                session,
                at=now,
                actor=actor,
                action=f"portal.feedback.{action}",
                subject=row.tracking_code,
                detail=note,
            )
            return row

    def classify(
        self,
        tracking_code: str,
        classification: Classification,
        actor: str,
        *,
        agency: str | None = None,
        duplicate_of: str | None = None,
    ) -> FeedbackRow:
        """Valid items are forwarded to the competent agency with a deadline; invalid, not
        competent and duplicate items are closed (Decree 20/2008 Art. 12-13)."""

        def change(session: Any, row: FeedbackRow, now: datetime) -> None:
            row.classification = classification
            if classification is Classification.VALID:
                row.assigned_agency = self._route(session, row, agency)
                row.forwarded_at = now
                row.deadline = self.calendar.add_working_days(
                    vn_day(now), self.policy.handling_days
                )
            if classification is Classification.DUPLICATE:
                row.duplicate_of = duplicate_of

        note = {
            "classification": str(classification),
            "agency": agency,
            "duplicate_of": duplicate_of,
        }
        return self._act(tracking_code, "classify", actor, note, change)

    def start(self, tracking_code: str, actor: str) -> FeedbackRow:
        return self._act(tracking_code, "start", actor, {}, lambda *_: None)

    def answer(self, tracking_code: str, text: str, actor: str) -> FeedbackRow:
        if not 1 <= len(text.strip()) <= 10000:
            raise PortalError(
                "Nội dung trả lời là bắt buộc.", code=ErrorCode.PORTAL_FEEDBACK_INVALID
            )

        def change(_session: Any, row: FeedbackRow, now: datetime) -> None:
            row.answer, row.answered_at = text.strip(), now

        return self._act(tracking_code, "answer", actor, {"length": len(text)}, change)

    def publish(self, tracking_code: str, actor: str) -> FeedbackRow:
        """Publish the item and its answer with personal data redacted (Decree 20/2008 Art.
        18: results are made public; Decree 13/2023 on personal data)."""

        def change(_session: Any, row: FeedbackRow, now: datetime) -> None:
            names = [row.submitter_name]
            row.published_content = redact(row.content, names)
            row.published_answer = redact(row.answer or "", names)
            row.published_at = now

        return self._act(tracking_code, "publish", actor, {}, change)

    def close(self, tracking_code: str, actor: str) -> FeedbackRow:
        return self._act(tracking_code, "close", actor, {}, lambda *_: None)

    def reopen(self, tracking_code: str, reason: str, actor: str) -> FeedbackRow:
        """Back to handling: the answer is withdrawn from publication, a new deadline runs."""

        def change(_session: Any, row: FeedbackRow, now: datetime) -> None:
            row.reopened = (row.reopened or 0) + 1
            row.answered_at = None
            row.published_at = None
            row.deadline = self.calendar.add_working_days(vn_day(now), self.policy.handling_days)

        return self._act(tracking_code, "reopen", actor, {"reason": reason[:500]}, change)

    # --- deadlines and figures -------------------------------------------------------------------

    def reminders(self) -> list[Reminder]:
        """Items due within the reminder window (DUE_SOON) or past their deadline (OVERDUE)."""
        today = vn_day(self.clock.now())
        with self.db.read() as session:
            rows = fstore.open_with_deadline(session)
            session.expunge_all()
        out = []
        for row in rows:
            assert row.deadline is not None
            kind = reminder_kind(row.deadline, today, self.calendar, self.policy.remind_before_days)
            if kind:
                out.append(Reminder(row.tracking_code, row.assigned_agency, row.deadline, kind))
        return out

    def agency_names(self) -> dict[str, str]:
        """Every registered agency, code -> name: what the operator picks the competent agency
        from and what the lists show instead of codes."""
        return {a.code: a.name for a in self.agencies.list_all()}

    def stats(self) -> FeedbackStats:
        with self.db.read() as session:
            counts = fstore.counts(session)
        return FeedbackStats(
            received=sum(counts["by_state"].values()),
            forwarded=counts["forwarded"],
            answered=counts["answered"],
            by_state=counts["by_state"],
        )
