"""Feedback tables (phản ánh, kiến nghị) and their queries; the caller owns the transaction."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.db import Base

BigId = BigInteger().with_variant(Integer, "sqlite")


class FeedbackRow(Base):
    """``portal_feedback``: one item. ``tracking_code`` is random (the citizen's key to it);
    the public sees only ``published_*`` texts, redacted, once ``published_at`` is set."""

    __tablename__ = "portal_feedback"
    __table_args__ = (
        Index("ix_portal_feedback_source_at", "source", "submitted_at"),
        Index("ix_portal_feedback_state", "state", "assigned_agency"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(20), unique=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    source: Mapped[str] = mapped_column(String(64))  # client address, for rate limiting
    submitter_name: Mapped[str] = mapped_column(String(255))
    submitter_type: Mapped[int] = mapped_column(Integer)  # 1 citizen, 2 business
    email: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    content: Mapped[str] = mapped_column(Text)
    procedure_code: Mapped[str] = mapped_column(String(20))
    field_code: Mapped[str] = mapped_column(String(50))
    agency_code: Mapped[str | None] = mapped_column(String(35))  # as the citizen names it
    state: Mapped[str] = mapped_column(String(16))
    classification: Mapped[str | None] = mapped_column(String(16))
    duplicate_of: Mapped[str | None] = mapped_column(String(20))
    assigned_agency: Mapped[str | None] = mapped_column(String(35))
    forwarded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deadline: Mapped[date | None] = mapped_column(Date)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    published_content: Mapped[str | None] = mapped_column(Text)
    published_answer: Mapped[str | None] = mapped_column(Text)
    reopened: Mapped[int] = mapped_column(Integer, default=0)


class FeedbackEventRow(Base):
    """``portal_feedback_events``: the item's append-only history."""

    __tablename__ = "portal_feedback_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    feedback_id: Mapped[int] = mapped_column(ForeignKey("portal_feedback.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))
    state: Mapped[str] = mapped_column(String(16))
    note: Mapped[dict[str, Any]] = mapped_column(JSON)


def count_from_source(session: Session, source: str, since: datetime) -> int:
    t = FeedbackRow.__table__
    query = select(func.count()).where(t.c.source == source, t.c.submitted_at >= since)
    return int(session.scalar(query) or 0)


def by_tracking_code(
    session: Session, tracking_code: str, *, lock: bool = False
) -> FeedbackRow | None:
    query = select(FeedbackRow).where(FeedbackRow.tracking_code == tracking_code)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalars(query).first()


def add_event(
    session: Session, item: FeedbackRow, at: datetime, actor: str, action: str, note: dict[str, Any]
) -> None:
    session.add(
        FeedbackEventRow(
            feedback_id=item.id, at=at, actor=actor, action=action, state=item.state, note=note
        )
    )


def history(session: Session, item_id: int) -> list[FeedbackEventRow]:
    query = (
        select(FeedbackEventRow)
        .where(FeedbackEventRow.feedback_id == item_id)
        .order_by(FeedbackEventRow.at, FeedbackEventRow.id)
    )
    return list(session.scalars(query))


def list_items(
    session: Session, *, state: str | None = None, agency: str | None = None, limit: int = 200
) -> list[FeedbackRow]:
    query = select(FeedbackRow)
    if state:
        query = query.where(FeedbackRow.state == state)
    if agency:
        query = query.where(FeedbackRow.assigned_agency == agency)
    return list(session.scalars(query.order_by(FeedbackRow.id.desc()).limit(limit)))


def published(session: Session, limit: int = 100) -> list[FeedbackRow]:
    query = (
        select(FeedbackRow)
        .where(FeedbackRow.published_at.is_not(None), FeedbackRow.state == "PUBLISHED")
        .order_by(FeedbackRow.published_at.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def open_with_deadline(session: Session) -> list[FeedbackRow]:
    query = select(FeedbackRow).where(
        FeedbackRow.state.in_(("ASSIGNED", "IN_PROGRESS")), FeedbackRow.deadline.is_not(None)
    )
    return list(session.scalars(query.order_by(FeedbackRow.deadline)))


def counts(session: Session) -> dict[str, Any]:
    t = FeedbackRow.__table__
    by_state = {
        r.state: int(r.n)
        for r in session.execute(select(t.c.state, func.count().label("n")).group_by(t.c.state))
    }
    forwarded = int(session.scalar(select(func.count()).where(t.c.forwarded_at.is_not(None))) or 0)
    answered = int(
        session.scalar(
            select(func.count()).where(t.c.forwarded_at.is_not(None), t.c.answered_at.is_not(None))
        )
        or 0
    )
    return {"by_state": by_state, "forwarded": forwarded, "answered": answered}
