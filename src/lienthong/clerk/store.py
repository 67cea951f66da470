"""The clerk application's own tables (drafts awaiting signature, assignments to specialists)
and its read queries over the hub's tables (inbox with filters). Stores never commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    Integer,
    String,
    Text,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from lienthong.agencies.store import AgencyRow
from lienthong.db import Base
from lienthong.exchange.store import Document, Recipient
from lienthong.text import fold, like_pattern

_ID = BigInteger().with_variant(Integer(), "sqlite")


class DraftRow(Base):
    """A document being composed: the draft PDF, then the leader's signed PDF, then issued."""

    __tablename__ = "clerk_drafts"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(String(35), index=True)
    created_by: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    type_name: Mapped[str] = mapped_column(String(128))
    notation: Mapped[str] = mapped_column(String(128))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)
    signer_position: Mapped[str] = mapped_column(String(255), default="")
    draft_digest: Mapped[str] = mapped_column(String(64), info={"blob": True})
    signed_digest: Mapped[str | None] = mapped_column(String(64), info={"blob": True})
    signed_by: Mapped[str | None] = mapped_column(String(64))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(10), default="draft")  # draft|signed|issued
    document_id: Mapped[str | None] = mapped_column(String(32))
    number_notation: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DraftReplacementRow(Base):
    """A draft that, once issued, replaces a sent document (BussinessDocType 3)."""

    __tablename__ = "clerk_draft_replacements"

    draft_id: Mapped[int] = mapped_column(_ID, primary_key=True)
    replaces: Mapped[str] = mapped_column(String(32))  # the hub's id of the original


class AssignmentRow(Base):
    """Who processes a received document (status 04, Decree 30/2020 Art. 22)."""

    __tablename__ = "clerk_assignments"

    document_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    recipient_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    specialist: Mapped[str] = mapped_column(String(64), index=True)
    assigned_by: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class InboxFilter:
    status: str | None = None  # a status code, or "new" (not yet accepted)
    sender: str | None = None
    priority: int | None = None
    due_before: date | None = None
    received_from: datetime | None = None
    received_to: datetime | None = None
    text: str | None = None
    assigned_to: str | None = None
    overdue_on: date | None = None  # only documents overdue on that date


FINAL = ("02", "06")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def inbox(
    session: Session, agency: str, f: InboxFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The documents received by ``agency``, newest first, with the filters; and the total.

    ``f.text``, folded (:func:`lienthong.text.fold`), matches a document when it is part of
    the document's folded number/notation, type and subject (``documents.search_text``) or of
    its sender's folded name (``agencies.search_name``): "cong van", "Công Văn" and "CÔNG VĂN"
    find the same documents, on SQLite as on PostgreSQL."""
    conditions: list[Any] = [Recipient.recipient_code == agency, Recipient.recalled.is_(False)]
    if f.status == "new":
        conditions.append(or_(Recipient.status.is_(None), Recipient.status == "01"))
    elif f.status:
        conditions.append(Recipient.status == f.status)
    if f.sender:
        conditions.append(Document.sender_code == f.sender)
    if f.priority is not None:
        conditions.append(Document.priority == f.priority)
    if f.due_before is not None:
        conditions.append(Document.due_date <= f.due_before)
    if f.received_from is not None:
        conditions.append(Recipient.added_at >= f.received_from)
    if f.received_to is not None:
        conditions.append(Recipient.added_at < f.received_to)
    if f.overdue_on is not None:
        conditions.append(Document.due_date < f.overdue_on)
        conditions.append(or_(Recipient.status.is_(None), Recipient.status.not_in(FINAL)))
    if f.text and (folded := fold(f.text)):
        pattern = like_pattern(folded)
        sender = aliased(AgencyRow)  # not the page query's join: the count has none
        sender_named = (
            select(sender.code)
            .where(
                sender.code == Document.sender_code,
                sender.search_name.like(pattern, escape="\\"),
            )
            .exists()
        )
        conditions.append(or_(Document.search_text.like(pattern, escape="\\"), sender_named))
    if f.assigned_to:
        conditions.append(
            select(AssignmentRow.document_id)
            .where(
                AssignmentRow.document_id == Document.id,
                AssignmentRow.recipient_code == agency,
                AssignmentRow.specialist == f.assigned_to,
            )
            .exists()
        )
    where = and_(*conditions)
    base = select(Document, Recipient, AgencyRow.name).join(
        Recipient, Recipient.document_id == Document.id
    )
    base = base.outerjoin(AgencyRow, AgencyRow.code == Document.sender_code).where(where)
    total = session.scalar(
        select(func.count())
        .select_from(Document)
        .join(Recipient, Recipient.document_id == Document.id)
        .where(where)
    )
    rows = session.execute(
        base.order_by(Recipient.added_at.desc(), Document.id.desc()).limit(limit).offset(offset)
    ).all()
    items = [
        {
            "document_id": d.id,
            "sender": d.sender_code,
            "sender_name": name or d.sender_code,
            "code_number": d.code_number,
            "code_notation": d.code_notation,
            "subject": d.subject,
            "type_name": d.type_name,
            "priority": d.priority,
            "due_date": d.due_date,
            "promulgation_date": d.promulgation_date,
            "status": r.status,
            "status_at": r.status_at,
            "pending": r.pending,
            "received_at": r.added_at,
            "signed": d.signed,
            "state": d.state,
        }
        for d, r, name in rows
    ]
    return items, int(total or 0)


def senders_of(session: Session, agency: str) -> list[tuple[str, str]]:
    """The agencies that sent something to ``agency`` (code, name), for the filter."""
    rows = session.execute(
        select(Document.sender_code, AgencyRow.name)
        .join(Recipient, Recipient.document_id == Document.id)
        .outerjoin(AgencyRow, AgencyRow.code == Document.sender_code)
        .where(Recipient.recipient_code == agency)
        .group_by(Document.sender_code, AgencyRow.name)
        .order_by(AgencyRow.name)
    ).all()
    return [(code, name or code) for code, name in rows]


def assignment(session: Session, document_id: str, agency: str) -> AssignmentRow | None:
    return session.get(AssignmentRow, (document_id, agency))


def save_assignment(
    session: Session,
    *,
    document_id: str,
    agency: str,
    specialist: str,
    by: str,
    note: str | None,
    at: datetime,
) -> None:
    row = session.get(AssignmentRow, (document_id, agency))
    if row is None:
        session.add(
            AssignmentRow(
                document_id=document_id,
                recipient_code=agency,
                specialist=specialist,
                assigned_by=by,
                note=note,
                at=at,
            )
        )
    else:
        row.specialist, row.assigned_by, row.note, row.at = specialist, by, note, at


@dataclass(frozen=True)
class DraftView:
    id: int
    agency_code: str
    created_by: str
    subject: str
    type_name: str
    notation: str
    priority: int
    recipients: tuple[str, ...]
    signer_position: str
    draft_digest: str
    signed_digest: str | None
    signed_by: str | None
    signed_at: datetime | None
    state: str
    document_id: str | None
    number_notation: str | None
    created_at: datetime
    replaces: str | None = None


def draft_view(row: DraftRow, replaces: str | None = None) -> DraftView:
    return DraftView(
        **{
            name: getattr(row, name)
            for name in DraftView.__dataclass_fields__
            if name not in ("recipients", "replaces")
        },
        recipients=tuple(row.recipients or ()),
        replaces=replaces,
    )


def replaced_by_draft(session: Session, draft_id: int) -> str | None:
    """The hub's id of the document the draft replaces, if any."""
    row = session.get(DraftReplacementRow, draft_id)
    return None if row is None else row.replaces


def drafts_of(session: Session, agency: str) -> list[DraftView]:
    rows = session.scalars(
        select(DraftRow)
        .where(DraftRow.agency_code == agency, DraftRow.state != "issued")
        .order_by(DraftRow.created_at.desc())
    )
    return [draft_view(r) for r in rows]


def draft_of(session: Session, draft_id: int, agency: str) -> DraftRow | None:
    row = session.get(DraftRow, draft_id)
    return row if row is not None and row.agency_code == agency else None


def agencies_matching(
    session: Session, text: str, *, on: date | None = None, limit: int = 50
) -> list[AgencyRow]:
    """Agencies whose name or code holds ``text``; with ``on``, only those existing that day
    (a dissolved or merged agency is no longer a recipient)."""
    query = select(AgencyRow).order_by(AgencyRow.level, AgencyRow.code).limit(limit)
    if on is not None:
        query = query.where(
            or_(AgencyRow.valid_from.is_(None), AgencyRow.valid_from <= on),
            or_(AgencyRow.valid_to.is_(None), AgencyRow.valid_to >= on),
        )
    if text.strip():
        # Typed with or without diacritics ("nghe an" finds "Nghệ An"), or a code.
        pattern = like_pattern(fold(text))
        query = query.where(
            or_(
                AgencyRow.search_name.like(pattern, escape="\\"),
                func.lower(AgencyRow.code).like(pattern, escape="\\"),
            )
        )
    return list(session.scalars(query))
