"""The clerk application's own tables (drafts awaiting signature, assignments to specialists,
the register of incoming documents) and its read queries over the hub's tables (inbox with
filters, the registers of incoming and outgoing documents). Stores never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from lienthong.accounts.store import UserRow
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
    # The processing deadline the sender asks of its recipients (edXML DueDate).
    due_date: Mapped[date | None] = mapped_column(Date)


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


class RegistrationRow(Base):
    """A received document entered in the agency's register of incoming documents (sổ văn bản
    đến, Decree 30/2020 Art. 22 and Appendix IV): its arrival number (số đến, one annual
    sequence per agency, from 1 on 1 January) and the agency's internal processing deadline."""

    __tablename__ = "clerk_registrations"
    __table_args__ = (UniqueConstraint("recipient_code", "year", "arrival_number"),)

    document_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    recipient_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    arrival_number: Mapped[int] = mapped_column(Integer)
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    registered_by: Mapped[str] = mapped_column(String(64))
    due_date: Mapped[date | None] = mapped_column(Date)


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
    # the latest due date overdue on ``overdue_on`` (model.latest_overdue_due: the working-day
    # roll); without it, the day before ``overdue_on``
    overdue_last_due: date | None = None
    open_only: bool = False  # only documents not yet returned (02) or completed (06)


FINAL = ("02", "06")


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _internal_due(agency: str) -> Any:
    """The agency's internal deadline of the row's document (its registration), as a scalar."""
    # An alias: the page's query joins RegistrationRow itself, and a subquery whose every
    # table is in the enclosing query would correlate away its whole FROM clause.
    line = aliased(RegistrationRow)
    return (
        select(line.due_date)
        .where(line.document_id == Document.id, line.recipient_code == agency)
        .correlate(Document)
        .scalar_subquery()
    )


def inbox(
    session: Session, agency: str, f: InboxFilter, *, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    """The documents received by ``agency``, newest first, with the filters; and the total.

    Recalled documents stay listed (``recalled``: the recipient agreed to give them back);
    they are never "new" nor overdue. The deadline filters use the agency's internal
    deadline (set when registering) where there is one, else the sender's.

    ``f.text``, folded (:func:`lienthong.text.fold`), matches a document when it is part of
    the document's folded number/notation, type and subject (``documents.search_text``) or of
    its sender's folded name (``agencies.search_name``): "cong van", "Công Văn" and "CÔNG VĂN"
    find the same documents, on SQLite as on PostgreSQL."""
    where = _inbox_where(agency, f)
    base = select(Document, Recipient, AgencyRow.name, RegistrationRow).join(
        Recipient, Recipient.document_id == Document.id
    )
    base = base.outerjoin(AgencyRow, AgencyRow.code == Document.sender_code)
    base = base.outerjoin(
        RegistrationRow,
        and_(
            RegistrationRow.document_id == Document.id,
            RegistrationRow.recipient_code == Recipient.recipient_code,
        ),
    ).where(where)
    total = count_inbox(session, agency, f)
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
            # The agency's internal deadline when registered, else the sender's.
            "due_date": reg.due_date if reg is not None and reg.due_date else d.due_date,
            "sender_due_date": d.due_date,
            "arrival_number": reg.arrival_number if reg is not None else None,
            "promulgation_date": d.promulgation_date,
            "status": r.status,
            "status_at": r.status_at,
            "pending": r.pending,
            "recalled": r.recalled,
            "removed": r.removed,
            "received_at": r.added_at,
            "signed": d.signed,
            "state": d.state,
        }
        for d, r, name, reg in rows
    ]
    return items, total


def count_inbox(session: Session, agency: str, f: InboxFilter) -> int:
    """How many documents :func:`inbox` lists with the filters (the counters' figures)."""
    total = session.scalar(
        select(func.count())
        .select_from(Document)
        .join(Recipient, Recipient.document_id == Document.id)
        .where(_inbox_where(agency, f))
    )
    return int(total or 0)


def _inbox_where(agency: str, f: InboxFilter) -> Any:
    conditions: list[Any] = [Recipient.recipient_code == agency]
    due = func.coalesce(_internal_due(agency), Document.due_date)
    if f.status == "new":
        conditions.append(or_(Recipient.status.is_(None), Recipient.status == "01"))
        conditions.append(Recipient.recalled.is_(False))
    elif f.status:
        conditions.append(Recipient.status == f.status)
    if f.sender:
        conditions.append(Document.sender_code == f.sender)
    if f.priority is not None:
        conditions.append(Document.priority == f.priority)
    if f.due_before is not None:
        conditions.append(due <= f.due_before)
    if f.received_from is not None:
        conditions.append(Recipient.added_at >= f.received_from)
    if f.received_to is not None:
        conditions.append(Recipient.added_at < f.received_to)
    if f.overdue_on is not None:
        conditions.append(due <= (f.overdue_last_due or f.overdue_on - timedelta(days=1)))
    if f.overdue_on is not None or f.open_only:
        conditions.append(or_(Recipient.status.is_(None), Recipient.status.not_in(FINAL)))
        conditions.append(Recipient.recalled.is_(False))
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
    return and_(*conditions)


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


def registration(session: Session, document_id: str, agency: str) -> RegistrationRow | None:
    return session.get(RegistrationRow, (document_id, agency))


def next_arrival_number(session: Session, agency: str, year: int) -> int:
    """The next number of ``agency``'s register of incoming documents in ``year`` (from 1).
    Two registrations racing for it: the unique constraint refuses the second, which retries."""
    last = session.scalar(
        select(func.max(RegistrationRow.arrival_number)).where(
            RegistrationRow.recipient_code == agency, RegistrationRow.year == year
        )
    )
    return int(last or 0) + 1


def incoming_register(
    session: Session, agency: str, *, start: datetime, end: datetime, limit: int
) -> list[dict[str, Any]]:
    """The lines of ``agency``'s register of incoming documents registered in [start, end),
    in the register's order (year, arrival number), at most ``limit``. Recalled documents
    stay in the register."""
    specialist = aliased(UserRow)
    rows = session.execute(
        select(RegistrationRow, Document, Recipient, AgencyRow.name, specialist.full_name)
        .join(Document, Document.id == RegistrationRow.document_id)
        .join(
            Recipient,
            and_(
                Recipient.document_id == RegistrationRow.document_id,
                Recipient.recipient_code == RegistrationRow.recipient_code,
            ),
        )
        .outerjoin(AgencyRow, AgencyRow.code == Document.sender_code)
        .outerjoin(
            AssignmentRow,
            and_(
                AssignmentRow.document_id == RegistrationRow.document_id,
                AssignmentRow.recipient_code == RegistrationRow.recipient_code,
            ),
        )
        .outerjoin(specialist, specialist.username == AssignmentRow.specialist)
        .where(
            RegistrationRow.recipient_code == agency,
            RegistrationRow.registered_at >= start,
            RegistrationRow.registered_at < end,
        )
        .order_by(RegistrationRow.year, RegistrationRow.arrival_number)
        .limit(limit)
    ).all()
    return [
        {
            "document_id": d.id,
            "arrived_at": r.added_at,
            "registered_at": reg.registered_at,
            "arrival_number": reg.arrival_number,
            "sender": d.sender_code,
            "sender_name": sender_name or d.sender_code,
            "code_number": d.code_number,
            "code_notation": d.code_notation,
            "promulgation_date": d.promulgation_date,
            "type_name": d.type_name,
            "subject": d.subject,
            "assignee": assignee,
            "due_date": reg.due_date,
            "status": r.status,
            "recalled": r.recalled,
            "removed": r.removed,
            "state": d.state,
        }
        for reg, d, r, sender_name, assignee in rows
    ]


def outgoing_register(
    session: Session, agency: str, *, start: datetime, end: datetime, limit: int
) -> list[dict[str, Any]]:
    """The lines of ``agency``'s register of outgoing documents: what it sent in [start, end),
    oldest first, at most ``limit``, with the recipients' names and who composed it (the
    clerk application's draft, when it was composed here). Recalled and replaced documents
    stay in the register."""
    author = aliased(UserRow)
    documents = session.execute(
        select(Document, author.full_name)
        .outerjoin(
            DraftRow, and_(DraftRow.document_id == Document.id, DraftRow.agency_code == agency)
        )
        .outerjoin(author, author.username == DraftRow.created_by)
        .where(
            Document.sender_code == agency,
            Document.created_at >= start,
            Document.created_at < end,
        )
        .order_by(Document.created_at, Document.id)
        .limit(limit)
    ).all()
    ids = [d.id for d, _ in documents]
    recipients: dict[str, list[tuple[str, str, bool, bool]]] = {i: [] for i in ids}
    if ids:
        for r, name in session.execute(
            select(Recipient, AgencyRow.name)
            .outerjoin(AgencyRow, AgencyRow.code == Recipient.recipient_code)
            .where(Recipient.document_id.in_(ids))
            .order_by(Recipient.added_at, Recipient.recipient_code)
        ).all():
            recipients[r.document_id].append(
                (r.recipient_code, name or r.recipient_code, r.recalled, r.removed)
            )
    return [
        {
            "document_id": d.id,
            "code_number": d.code_number,
            "code_notation": d.code_notation,
            "promulgation_date": d.promulgation_date,
            "type_name": d.type_name,
            "subject": d.subject,
            "signer_name": d.signer_name,
            "recipients": [
                {"code": code, "name": name, "recalled": recalled, "removed": removed}
                for code, name, recalled, removed in recipients[d.id]
            ],
            "composed_by": composer,
            "sent_at": d.created_at,
            "due_date": d.due_date,
            "state": d.state,
        }
        for d, composer in documents
    ]


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
    due_date: date | None = None


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


def drafts_to_sign(session: Session, agency: str) -> list[DraftView]:
    """The agency's drafts awaiting the competent person's signature, oldest first (the
    order a leader works through them)."""
    rows = session.scalars(
        select(DraftRow)
        .where(DraftRow.agency_code == agency, DraftRow.state == "draft")
        .order_by(DraftRow.created_at, DraftRow.id)
    )
    return [draft_view(r) for r in rows]


def count_drafts_to_sign(session: Session, agency: str) -> int:
    total = session.scalar(
        select(func.count())
        .select_from(DraftRow)
        .where(DraftRow.agency_code == agency, DraftRow.state == "draft")
    )
    return int(total or 0)


def draft_of(session: Session, draft_id: int, agency: str) -> DraftRow | None:
    row = session.get(DraftRow, draft_id)
    return row if row is not None and row.agency_code == agency else None


def agencies_with_codes(session: Session, codes: Sequence[str]) -> list[AgencyRow]:
    query = select(AgencyRow).where(AgencyRow.code.in_(list(codes)))
    return list(session.scalars(query.order_by(AgencyRow.level, AgencyRow.code)))


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


class RemoteSignatureRow(Base):
    """A leader's signature waiting for approval at the remote signing service: the PDF as
    prepared (placeholder for the CMS container) and what finishing it needs. Deleted when
    the signature is finished or refused."""

    __tablename__ = "clerk_remote_signatures"

    draft_id: Mapped[int] = mapped_column(_ID, primary_key=True)
    agency_code: Mapped[str] = mapped_column(String(35))
    leader: Mapped[str] = mapped_column(String(64))
    credential_id: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str] = mapped_column(String(64))
    approval_uri: Mapped[str] = mapped_column(Text, default="")
    prepared_pdf: Mapped[bytes] = mapped_column(LargeBinary)
    # The hash sent to the signing service (shown to the leader), not a blob.
    document_digest: Mapped[str] = mapped_column(String(64), info={"blob": False})
    reserved_start: Mapped[int] = mapped_column(BigInteger)
    reserved_end: Mapped[int] = mapped_column(BigInteger)
    signed_attrs: Mapped[bytes] = mapped_column(LargeBinary)
    certificates: Mapped[list[str]] = mapped_column(JSON, default=list)  # base64 DER
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def remote_signature(
    session: Session, draft_id: int, agency_code: str
) -> RemoteSignatureRow | None:
    return session.scalars(
        select(RemoteSignatureRow).where(
            RemoteSignatureRow.draft_id == draft_id, RemoteSignatureRow.agency_code == agency_code
        )
    ).first()
