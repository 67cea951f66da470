"""Tables of the hub and the queries the exchange service needs. Stores never commit."""

from __future__ import annotations

from collections.abc import Sequence
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
    bindparam,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.agencies.store import AgencyRow
from lienthong.db import MAX_ROW_ID, Base
from lienthong.text import fold, like_pattern

_ID = BigInteger().with_variant(Integer(), "sqlite")


class Message(Base):
    """Every accepted package (document or status), as it travelled."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("sender_code", "idempotency_key"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    sender_code: Mapped[str] = mapped_column(String(35), index=True)
    package_digest: Mapped[str] = mapped_column(String(64), info={"blob": True})
    package_size: Mapped[int] = mapped_column(BigInteger)
    document_ref: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), index=True)
    bussiness_doc_type: Mapped[int | None] = mapped_column(Integer)
    status_code: Mapped[str | None] = mapped_column(String(2))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    validation: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # trust report, if any
    answer: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Document(Base):
    """A logical document: created by a new (or replacing) package, acted on by later ones."""

    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("sender_code", "edxml_document_id"),
        UniqueConstraint("sender_code", "number_key", "notation_key", "year"),
        Index("ix_documents_sender_created", "sender_code", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    sender_code: Mapped[str] = mapped_column(String(35))
    edxml_document_id: Mapped[str] = mapped_column(String(255))
    code_number: Mapped[str] = mapped_column(String(64))
    code_notation: Mapped[str] = mapped_column(String(128))
    number_key: Mapped[str] = mapped_column(String(64))
    notation_key: Mapped[str] = mapped_column(String(128))
    year: Mapped[int | None] = mapped_column(Integer)
    subject: Mapped[str | None] = mapped_column(Text)
    type_name: Mapped[str | None] = mapped_column(String(128))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    promulgation_date: Mapped[date | None] = mapped_column(Date)
    due_date: Mapped[date | None] = mapped_column(Date)
    signer_name: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(20), default="active")
    origin_message_id: Mapped[str] = mapped_column(String(32))
    latest_message_id: Mapped[str] = mapped_column(String(32))
    replaced_by: Mapped[str | None] = mapped_column(String(32))
    signed: Mapped[bool] = mapped_column(Boolean, default=False)
    attachment_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Number/notation, type and subject folded (model.document_search_text), written with
    # them: what the clerk's inbox and outbox search, alike on SQLite and PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")


class Attachment(Base):
    """An attachment decoded out of a package into the blob store."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), index=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    content_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    digest: Mapped[str] = mapped_column(String(64), info={"blob": True})


class Recipient(Base):
    """One recipient's copy of a document and where it stands."""

    __tablename__ = "document_recipients"
    __table_args__ = (Index("ix_document_recipients_recipient", "recipient_code"),)

    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), primary_key=True)
    recipient_code: Mapped[str] = mapped_column(String(35), primary_key=True)
    status: Mapped[str | None] = mapped_column(String(2))
    status_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    pending: Mapped[str | None] = mapped_column(String(8))
    recalled: Mapped[bool] = mapped_column(Boolean, default=False)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """A message waiting for (or fetched by) one agency. The id is the inbox cursor."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_inbox", "recipient_code", "state", "id"),
        UniqueConstraint("message_id", "recipient_code"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"))
    recipient_code: Mapped[str] = mapped_column(String(35))
    document_id: Mapped[str | None] = mapped_column(ForeignKey("documents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(8), default="pending")
    ack_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    acked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class StatusEvent(Base):
    """A business status of one recipient's copy; the sender pulls these (cursor = id)."""

    __tablename__ = "status_events"
    __table_args__ = (Index("ix_status_events_sender", "sender_code", "id"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id"), index=True)
    sender_code: Mapped[str] = mapped_column(String(35))  # the document's sender
    recipient_code: Mapped[str] = mapped_column(String(35))
    status_code: Mapped[str] = mapped_column(String(2))
    description: Mapped[str | None] = mapped_column(Text)
    staff: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    edxml_timestamp: Mapped[str | None] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(10))  # recipient | sender | hub
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# ---------------------------------------------------------------------------------------------
# Queries


def message_by_idempotency_key(session: Session, sender: str, key: str) -> Message | None:
    return session.scalars(
        select(Message).where(Message.sender_code == sender, Message.idempotency_key == key)
    ).one_or_none()


# The duplicate look-ups of every send, built once (building costs more than running them).
_BY_DOCUMENT_ID = select(Document).where(
    Document.sender_code == bindparam("sender"),
    Document.edxml_document_id == bindparam("edxml_document_id"),
)
_BY_NUMBER = select(Document).where(
    Document.sender_code == bindparam("sender"),
    Document.number_key == bindparam("number_key"),
    Document.notation_key == bindparam("notation_key"),
    Document.year == bindparam("year"),
)


def find_duplicate(
    session: Session,
    *,
    sender: str,
    edxml_document_id: str,
    number_key: str,
    notation_key: str,
    year: int | None,
) -> Document | None:
    """The earlier document that makes this one a duplicate (Decision 28: never twice)."""
    found = session.scalars(
        _BY_DOCUMENT_ID, {"sender": sender, "edxml_document_id": edxml_document_id}
    ).first()
    if found is not None or year is None or not number_key:
        return found
    return session.scalars(
        _BY_NUMBER,
        {"sender": sender, "number_key": number_key, "notation_key": notation_key, "year": year},
    ).first()


def document_by_edxml_id(
    session: Session, edxml_document_id: str, sender: str | None = None
) -> list[Document]:
    query = select(Document).where(Document.edxml_document_id == edxml_document_id)
    if sender is not None:
        query = query.where(Document.sender_code == sender)
    return list(session.scalars(query))


def recipients_of(session: Session, document_id: str) -> list[Recipient]:
    return list(
        session.scalars(
            select(Recipient)
            .where(Recipient.document_id == document_id)
            .order_by(Recipient.added_at, Recipient.recipient_code)
        )
    )


def recipients_of_many(session: Session, document_ids: Sequence[str]) -> dict[str, list[Recipient]]:
    """The recipients of several documents in one query, by document id."""
    found: dict[str, list[Recipient]] = {doc_id: [] for doc_id in document_ids}
    if not document_ids:
        return found
    rows = session.scalars(
        select(Recipient)
        .where(Recipient.document_id.in_(list(document_ids)))
        .order_by(Recipient.added_at, Recipient.recipient_code)
    )
    for row in rows:
        found[row.document_id].append(row)
    return found


def recipient_row(session: Session, document_id: str, code: str) -> Recipient | None:
    return session.get(Recipient, (document_id, code))


def pending_inbox(
    session: Session, recipient: str, *, after: int, limit: int, kind: str | None
) -> Sequence[tuple[Delivery, Message, Document | None]]:
    query = (
        select(Delivery, Message, Document)
        .join(Message, Message.id == Delivery.message_id)
        .outerjoin(Document, Document.id == Delivery.document_id)
        .where(
            Delivery.recipient_code == recipient,
            Delivery.state == "pending",
            Delivery.id > after,
        )
        .order_by(Delivery.id)
        .limit(limit)
    )
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    return [(d, m, doc) for d, m, doc in session.execute(query).all()]


def count_pending(session: Session, recipient: str, kind: str | None) -> int:
    query = select(func.count(Delivery.id)).where(
        Delivery.recipient_code == recipient, Delivery.state == "pending"
    )
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    return int(session.scalar(query) or 0)


def delivery_for(session: Session, delivery_id: int, recipient: str) -> Delivery | None:
    """The delivery if it belongs to ``recipient`` (else ``None``: no hint that it exists)."""
    if not 0 < delivery_id <= MAX_ROW_ID:
        return None  # no row has that id (and the driver could not even send it)
    delivery = session.get(Delivery, delivery_id)
    if delivery is None or delivery.recipient_code != recipient:
        return None
    return delivery


def status_events_for_sender(
    session: Session, sender: str, *, after: int, limit: int
) -> list[StatusEvent]:
    return list(
        session.scalars(
            select(StatusEvent)
            .where(
                StatusEvent.sender_code == sender,
                StatusEvent.id > after,
                StatusEvent.source != "sender",
            )
            .order_by(StatusEvent.id)
            .limit(limit)
        )
    )


def status_events_of(session: Session, document_id: str) -> list[StatusEvent]:
    return list(
        session.scalars(
            select(StatusEvent)
            .where(StatusEvent.document_id == document_id)
            .order_by(StatusEvent.id)
        )
    )


def deliveries_of(session: Session, document_id: str) -> list[tuple[Delivery, Message]]:
    rows = session.execute(
        select(Delivery, Message)
        .join(Message, Message.id == Delivery.message_id)
        .where(Delivery.document_id == document_id)
        .order_by(Delivery.id)
    ).all()
    return [(d, m) for d, m in rows]


def sent_documents(
    session: Session,
    sender: str,
    *,
    before: datetime | None,
    after_id: str | None,
    limit: int,
    text: str | None = None,
) -> list[Document]:
    """The documents ``sender`` sent, newest first, from the cursor (``before``, ``after_id``).

    With ``text``, only those where it is, folded (:func:`lienthong.text.fold`), part of the
    folded number/notation, type and subject (``search_text``) or of a recipient's folded name
    (``agencies.search_name``): the same answer on SQLite and PostgreSQL."""
    query = select(Document).where(Document.sender_code == sender)
    if text and (folded := fold(text)):
        pattern = like_pattern(folded)
        recipient_named = (
            select(Recipient.document_id)
            .join(AgencyRow, AgencyRow.code == Recipient.recipient_code)
            .where(
                Recipient.document_id == Document.id,
                AgencyRow.search_name.like(pattern, escape="\\"),
            )
            .exists()
        )
        query = query.where(or_(Document.search_text.like(pattern, escape="\\"), recipient_named))
    if before is not None and after_id is not None:
        query = query.where(
            (Document.created_at < before)
            | ((Document.created_at == before) & (Document.id < after_id))
        )
    return list(
        session.scalars(query.order_by(Document.created_at.desc(), Document.id.desc()).limit(limit))
    )


def attachments_of(session: Session, document_id: str) -> list[Attachment]:
    return list(
        session.scalars(
            select(Attachment).where(Attachment.document_id == document_id).order_by(Attachment.id)
        )
    )
