"""Ad-hoc and thematic report requests (Decree 09/2019/NĐ-CP Art. 4(2)-(3)): first-class
objects with their own recipients, and the cut-off and deadline set in the request itself.

Life: ``open`` (sent) -> each recipient answers -> ``answered`` (every recipient has) ->
``closed`` by the issuer (at any time: a request may also be closed with answers missing,
which stay visible as missing). An answer after the deadline is kept and marked late.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from lienthong.audit import store as audit
from lienthong.calendar import WorkingCalendar
from lienthong.clock import Clock, as_utc
from lienthong.db import Database
from lienthong.errors import ErrorCode
from lienthong.reporting import store
from lienthong.reporting.model import is_on_time
from lienthong.reporting.regimes import ReportKind
from lienthong.reporting.submissions import refuse

OPEN, ANSWERED, CLOSED = "open", "answered", "closed"
REQUEST_STATE_LABELS = {OPEN: "Đang chờ trả lời", ANSWERED: "Đã đủ trả lời", CLOSED: "Đã đóng"}
KIND_LABELS = {ReportKind.AD_HOC: "Đột xuất", ReportKind.THEMATIC: "Chuyên đề"}


@dataclass(frozen=True)
class Recipient:
    unit_code: str
    answered_at: datetime | None
    answer: str | None
    on_time: bool | None  # None: not answered


@dataclass(frozen=True)
class ReportRequest:
    id: int
    kind: str
    title: str
    content: str
    issuer_code: str
    cutoff: date
    deadline: date
    created_at: datetime
    closed_at: datetime | None
    recipients: tuple[Recipient, ...]

    @property
    def state(self) -> str:
        if self.closed_at is not None:
            return CLOSED
        if all(r.answered_at is not None for r in self.recipients):
            return ANSWERED
        return OPEN

    @property
    def answered(self) -> int:
        return sum(1 for r in self.recipients if r.answered_at is not None)


def _view(session: Session, row: store.RequestRow) -> ReportRequest:
    recipients = tuple(
        Recipient(
            r.unit_code,
            as_utc(r.answered_at) if r.answered_at else None,
            r.answer,
            None if r.answered_at is None else is_on_time(as_utc(r.answered_at), row.deadline),
        )
        for r in store.recipients_of(session, row.id)
    )
    return ReportRequest(
        id=row.id,
        kind=row.kind,
        title=row.title,
        content=row.content,
        issuer_code=row.issuer_code,
        cutoff=row.cutoff,
        deadline=row.deadline,
        created_at=row.created_at,
        closed_at=row.closed_at,
        recipients=recipients,
    )


class RequestService:
    def __init__(self, db: Database, clock: Clock, calendar: WorkingCalendar, flow: str = "geo"):
        self.db = db
        self.clock = clock
        self.calendar = calendar
        self.flow = flow

    def create(
        self,
        issuer: str,
        *,
        kind: str,
        title: str,
        content: str,
        cutoff: date,
        deadline: date,
        recipients: Sequence[str],
        actor: str,
    ) -> ReportRequest:
        """Issue a request. Refused (REPORT_REQUEST_INVALID, nothing stored) without a title,
        a content, recipients known to the reporting tree, or with a deadline that leaves no
        working day after the cut-off (the rule of Art. 8(5), applied to requests too [U])."""
        problems: list[str] = []
        if kind not in (ReportKind.AD_HOC, ReportKind.THEMATIC):
            problems.append("kind: ad_hoc or thematic")
        if not title.strip() or not content.strip():
            problems.append("title and content are required")
        wanted = sorted({r.strip() for r in recipients if r.strip()} - {issuer})
        if not wanted:
            problems.append("at least one recipient")
        if self.calendar.working_days_between(cutoff, deadline) < 1:
            problems.append("the deadline must leave a working day after the cut-off")
        if problems:
            raise refuse(ErrorCode.REPORT_REQUEST_INVALID, problems=problems)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            known = store.unit_codes(session, self.flow, [*wanted, issuer])
            unknown = sorted(set(wanted) - known)
            if unknown or issuer not in known:
                raise refuse(ErrorCode.REPORT_REQUEST_INVALID, unknown=unknown or [issuer])
            row = store.add_request(
                session,
                {
                    "kind": str(kind),
                    "title": title.strip(),
                    "content": content.strip(),
                    "issuer_code": issuer,
                    "cutoff": cutoff,
                    "deadline": deadline,
                    "created_at": now,
                },
                wanted,
            )
            audit.record(
                session,
                at=now,
                actor=actor,
                action="reporting.request.create",
                subject=f"request/{row.id}",
                detail={"kind": str(kind), "recipients": len(wanted)},
            )
            return _view(session, row)

    def answer(self, request_id: int, unit: str, text: str, *, actor: str) -> ReportRequest:
        if not text.strip():
            raise refuse(ErrorCode.REPORT_REASON_REQUIRED, "An answer needs content.")
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = store.get_request(session, request_id, lock=True)
            if row is None:
                raise refuse(ErrorCode.REPORT_REQUEST_NOT_FOUND, id=request_id)
            if row.closed_at is not None:
                raise refuse(ErrorCode.REPORT_REQUEST_CLOSED, id=request_id)
            mine = [r for r in store.recipients_of(session, request_id) if r.unit_code == unit]
            if not mine:
                raise refuse(ErrorCode.REPORT_UNIT_MISMATCH, unit=unit, request=request_id)
            mine[0].answered_at = now
            mine[0].answer = text.strip()
            audit.record(
                session,
                at=now,
                actor=actor,
                action="reporting.request.answer",
                subject=f"request/{request_id}",
                detail={"unit": unit},
            )
            session.flush()
            return _view(session, row)

    def close(self, request_id: int, issuer: str, *, actor: str) -> ReportRequest:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = store.get_request(session, request_id, lock=True)
            if row is None:
                raise refuse(ErrorCode.REPORT_REQUEST_NOT_FOUND, id=request_id)
            if row.issuer_code != issuer:
                raise refuse(ErrorCode.REPORT_UNIT_MISMATCH, unit=issuer, request=request_id)
            if row.closed_at is not None:
                raise refuse(ErrorCode.REPORT_REQUEST_CLOSED, id=request_id)
            row.closed_at = now
            audit.record(
                session,
                at=now,
                actor=actor,
                action="reporting.request.close",
                subject=f"request/{request_id}",
            )
            return _view(session, row)

    def get(self, request_id: int, unit: str) -> ReportRequest:
        """The request, for its issuer or one of its recipients."""
        with self.db.read() as session:
            row = store.get_request(session, request_id)
            if row is None:
                raise refuse(ErrorCode.REPORT_REQUEST_NOT_FOUND, id=request_id)
            view = _view(session, row)
        if unit != view.issuer_code and unit not in {r.unit_code for r in view.recipients}:
            raise refuse(ErrorCode.REPORT_REQUEST_NOT_FOUND, id=request_id)
        return view

    def for_unit(self, unit: str) -> list[ReportRequest]:
        with self.db.read() as session:
            return [_view(session, row) for row in store.requests_for(session, unit)]
