"""Read queries of the axis protocol (``/axis``): an agency's pending deliveries and the
per-recipient state of what it sent. Plain rows out; stores never commit.

Bounds are instants compared with columns stored in UTC; callers pass aware datetimes and they
are turned to UTC here (SQLite keeps no zone, so a bound in another zone would compare wrong).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from lienthong.clock import as_utc
from lienthong.exchange.model import MessageKind, TransportState
from lienthong.exchange.store import Delivery, Document, Message, Recipient

__all__ = ["ReceivedRow", "SentRow", "pending_received", "sent_rows"]


@dataclass(frozen=True)
class ReceivedRow:
    """One pending delivery of the caller (``getReceivedEdocList``)."""

    delivery_id: int
    kind: str
    sender: str
    recipient: str
    state: str
    status_code: str | None
    created_at: datetime
    acked_at: datetime | None


@dataclass(frozen=True)
class SentRow:
    """One recipient of one document the caller sent (``getSentEdocList``).

    ``delivery_*`` describe the latest document delivery to that recipient (the original, or a
    later update, revoke or replace package), ``None`` when there is none.
    """

    document_id: str
    origin_message_id: str
    sender: str
    recipient: str
    subject: str | None
    code_number: str
    code_notation: str
    sent_at: datetime
    status: str | None
    status_at: datetime | None
    recalled: bool
    removed: bool
    delivery_id: int | None
    delivery_state: str | None
    ack_reason: str | None
    acked_at: datetime | None


_Ts = TypeVarTuple("_Ts")


def _bounded(
    query: Select[*_Ts],
    column: InstrumentedAttribute[datetime],
    since: datetime | None,
    until: datetime | None,
) -> Select[*_Ts]:
    if since is not None:
        query = query.where(column >= since.astimezone(UTC))
    if until is not None:
        query = query.where(column <= until.astimezone(UTC))
    return query


def pending_received(
    session: Session,
    recipient: str,
    *,
    kind: MessageKind | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> list[ReceivedRow]:
    """The pending deliveries of ``recipient`` in arrival order, one page of them."""
    query = (
        select(
            Delivery.id,
            Delivery.kind,
            Message.sender_code,
            Delivery.recipient_code,
            Delivery.state,
            Message.status_code,
            Delivery.created_at,
            Delivery.acked_at,
        )
        .join(Message, Message.id == Delivery.message_id)
        .where(Delivery.recipient_code == recipient, Delivery.state == TransportState.PENDING)
    )
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    query = _bounded(query, Delivery.created_at, since, until)
    rows = session.execute(query.order_by(Delivery.id).limit(limit).offset(offset)).all()
    return [
        ReceivedRow(
            delivery_id=row[0],
            kind=row[1],
            sender=row[2],
            recipient=row[3],
            state=row[4],
            status_code=row[5],
            created_at=as_utc(row[6]),
            acked_at=as_utc(row[7]) if row[7] is not None else None,
        )
        for row in rows
    ]


def sent_rows(
    session: Session,
    sender: str,
    *,
    message_id: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> list[SentRow]:
    """Per-recipient rows of the documents ``sender`` sent, newest document first.

    ``message_id`` (any message ``sender`` sent about a document: the original, an update, a
    recall) narrows the answer to that document; an unknown id gives no rows.
    """
    latest = aliased(Delivery)
    latest_id = (
        select(func.max(Delivery.id))
        .where(
            Delivery.document_id == Document.id,
            Delivery.recipient_code == Recipient.recipient_code,
            Delivery.kind == MessageKind.EDOC,
        )
        .correlate(Document, Recipient)
        .scalar_subquery()
    )
    query = (
        select(Document, Recipient, latest)
        .join(Recipient, Recipient.document_id == Document.id)
        .outerjoin(latest, latest.id == latest_id)
        .where(Document.sender_code == sender)
    )
    if message_id is not None:
        about = select(Message.document_ref).where(
            Message.id == message_id, Message.sender_code == sender
        )
        query = query.where(Document.id.in_(about.scalar_subquery()))
    query = _bounded(query, Document.created_at, since, until)
    query = query.order_by(Document.created_at.desc(), Document.id.desc(), Recipient.recipient_code)
    out: list[SentRow] = []
    for document, recipient, delivery in session.execute(query.limit(limit).offset(offset)):
        out.append(
            SentRow(
                document_id=document.id,
                origin_message_id=document.origin_message_id,
                sender=document.sender_code,
                recipient=recipient.recipient_code,
                subject=document.subject,
                code_number=document.code_number,
                code_notation=document.code_notation,
                sent_at=as_utc(document.created_at),
                status=recipient.status,
                status_at=as_utc(recipient.status_at) if recipient.status_at else None,
                recalled=recipient.recalled,
                removed=recipient.removed,
                delivery_id=delivery.id if delivery is not None else None,
                delivery_state=delivery.state if delivery is not None else None,
                ack_reason=delivery.ack_reason if delivery is not None else None,
                acked_at=(
                    as_utc(delivery.acked_at)
                    if delivery is not None and delivery.acked_at is not None
                    else None
                ),
            )
        )
    return out
