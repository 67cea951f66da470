"""Use cases of the hub: intake (delegated to :mod:`lienthong.exchange.intake`), the recipient's
inbox, fetch and acknowledgement, and the sender's view of statuses and documents.

Each public method runs ONE unit of work; answers are returned only after the commit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from lienthong.audit.store import record as audit
from lienthong.blobs import BlobStore
from lienthong.blobs.staging import StagedFile, StagingArea
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.edxml.model import Limits, StatusCode
from lienthong.errors import ErrorCode
from lienthong.exchange import model, store
from lienthong.exchange.errors import ExchangeError
from lienthong.exchange.intake import Intake, PackageVerifier, SendResult
from lienthong.exchange.model import MessageKind, TransportState
from lienthong.federation import store as federation_store

__all__ = ["ExchangeService", "PackageVerifier", "SendResult"]


class ExchangeService:
    """The hub's use cases; accepting packages is :class:`~lienthong.exchange.intake.Intake`."""

    def __init__(
        self,
        *,
        db: Database,
        blobs: BlobStore,
        clock: Clock,
        limits: Limits,
        on_commit: Callable[[SendResult], None] | None = None,
        verifier: PackageVerifier | None = None,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.clock = clock
        self.intake = Intake(
            db=db, blobs=blobs, clock=clock, limits=limits, verifier=verifier, on_commit=on_commit
        )

    @property
    def verifier(self) -> PackageVerifier | None:
        return self.intake.verifier

    @verifier.setter
    def verifier(self, value: PackageVerifier | None) -> None:
        self.intake.verifier = value

    def receive_package(
        self,
        agency: str,
        staged: StagedFile,
        staging: StagingArea,
        *,
        idempotency_key: str | None = None,
        expected_kind: MessageKind | None = None,
    ) -> SendResult:
        """Accept a package sent by ``agency`` (already authenticated) and staged on disk.

        Raises :class:`~lienthong.errors.LienthongError` subclasses for every refusal; nothing
        is stored then. An exact retry (same bytes, same idempotency key) returns the original
        answer with ``replay=True``. ``expected_kind`` (the axis protocol's ``messagetype``)
        refuses a package of the other kind with PACKAGE_KIND_MISMATCH.
        """
        return self.intake.receive(
            agency,
            staged,
            staging,
            idempotency_key=idempotency_key,
            expected_kind=expected_kind,
        )

    # -- the recipient's side ----------------------------------------------------------------

    def inbox(
        self, agency: str, *, after: int = 0, limit: int = 100, kind: str | None = None
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Pending deliveries of ``agency`` after the cursor; the items and the next cursor."""
        with self.db.read() as session:
            rows = store.pending_inbox(session, agency, after=after, limit=limit, kind=kind)
            items = [_inbox_item(d, m, doc) for d, m, doc in rows]
        next_cursor = items[-1]["delivery_id"] if len(items) == limit else None
        return items, next_cursor

    def count_pending(self, agency: str, kind: str | None = None) -> int:
        with self.db.read() as session:
            return store.count_pending(session, agency, kind)

    def open_delivery(self, agency: str, delivery_id: int) -> tuple[BinaryIO, int, str]:
        """The package of one of ``agency``'s deliveries: (stream, size, sha256)."""
        with self.db.read() as session:
            delivery = store.delivery_for(session, delivery_id, agency)
            if delivery is None:
                raise ExchangeError(code=ErrorCode.DELIVERY_NOT_FOUND)
            message = session.get(store.Message, delivery.message_id)
            assert message is not None
            digest, size = message.package_digest, message.package_size
        return self.blobs.open(digest), size, digest

    def acknowledge(
        self, agency: str, delivery_id: int, result: TransportState, reason: str | None = None
    ) -> dict[str, Any]:
        """Transport acknowledgement (``done`` / ``fail`` + reason) of a fetched delivery.

        On the first ``done`` of a document, the hub records status 01 (arrived) for the
        recipient, as Decree 30 Art. 21 asks the receiver to notify receipt the same day.
        """
        if result is TransportState.FAILED and not (reason and reason.strip()):
            raise ExchangeError(
                "A failed acknowledgement needs a reason.", code=ErrorCode.REQUEST_INVALID
            )
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            delivery = store.delivery_for(session, delivery_id, agency)
            if delivery is None:
                raise ExchangeError(code=ErrorCode.DELIVERY_NOT_FOUND)
            current = TransportState(delivery.state)
            if not model.transport_ack_allowed(current, result):
                raise ExchangeError(
                    code=ErrorCode.ACK_NOT_ALLOWED,
                    detail={"current": str(current), "requested": str(result)},
                )
            if current is not result:
                delivery.state = result
                delivery.acked_at = now
                delivery.ack_reason = reason
                if result is TransportState.DONE:
                    self._record_arrival(session, delivery, now)
                audit(
                    session,
                    at=now,
                    actor=agency,
                    action=f"delivery.{result}",
                    subject=str(delivery.id),
                    detail={"reason": reason} if reason else {},
                )
            return {"delivery_id": delivery.id, "state": delivery.state}

    def record_opened(self, agency: str, document_id: str) -> bool:
        """The recipient's clerk opened the document: the hub records status 01 (arrived) as
        for a fetch, once (False when the recipient already has a status or holds none)."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            return self._arrive(
                session, document_id, agency, now, "Đã đến (văn thư đơn vị nhận đã mở văn bản)"
            )

    def _record_arrival(self, session: Session, delivery: store.Delivery, now: datetime) -> None:
        if delivery.kind != MessageKind.EDOC or delivery.document_id is None:
            return
        self._arrive(
            session,
            delivery.document_id,
            delivery.recipient_code,
            now,
            "Đã đến (hub ghi nhận khi đơn vị nhận tải văn bản về)",
        )

    def _arrive(
        self, session: Session, document_id: str, recipient: str, now: datetime, description: str
    ) -> bool:
        row = store.recipient_row(session, document_id, recipient)
        if row is None or row.status is not None or row.removed or row.recalled:
            return False
        document = session.get(store.Document, document_id)
        assert document is not None
        row.status = StatusCode.ARRIVED
        row.status_at = now
        session.add(
            store.StatusEvent(
                document_id=document.id,
                sender_code=document.sender_code,
                recipient_code=row.recipient_code,
                status_code=StatusCode.ARRIVED,
                description=description,
                staff={},
                message_id=None,
                source="hub",
                created_at=now,
            )
        )
        return True

    # -- the sender's side -------------------------------------------------------------------

    def statuses(
        self, agency: str, *, after: int = 0, limit: int = 100
    ) -> tuple[list[dict[str, Any]], int | None]:
        """Status events of documents sent by ``agency`` (not its own recall requests)."""
        with self.db.read() as session:
            events = store.status_events_for_sender(session, agency, after=after, limit=limit)
            items = [_status_item(e) for e in events]
        next_cursor = items[-1]["event_id"] if len(items) == limit else None
        return items, next_cursor

    def document_view(self, agency: str, document_id: str) -> dict[str, Any]:
        """A document with its recipients and timeline, for its sender or one of its recipients.

        A recipient sees only its own copy's line. Anyone else: DOCUMENT_NOT_FOUND (no hint
        that the document exists).
        """
        with self.db.read() as session:
            document = session.get(store.Document, document_id)
            if document is None:
                raise ExchangeError(code=ErrorCode.DOCUMENT_NOT_FOUND)
            is_sender = document.sender_code == agency
            recipients = store.recipients_of(session, document.id)
            if not is_sender:
                recipients = [r for r in recipients if r.recipient_code == agency]
                if not recipients:
                    raise ExchangeError(code=ErrorCode.DOCUMENT_NOT_FOUND)
            visible = {r.recipient_code for r in recipients}
            events = [
                e
                for e in store.status_events_of(session, document.id)
                if e.recipient_code in visible
            ]
            deliveries = [
                (d, m)
                for d, m in store.deliveries_of(session, document.id)
                if d.recipient_code in visible or (is_sender and d.recipient_code == agency)
            ]
            attachments = store.attachments_of(session, document.id)
            origin = session.get(store.Message, document.origin_message_id)
            return {
                **_document_summary(document),
                "validation": origin.validation if origin else None,
                "recipients": [_recipient_item(r) for r in recipients],
                "attachments": [
                    {
                        "content_id": a.content_id,
                        "name": a.name,
                        "content_type": a.content_type,
                        "size": a.size,
                        "sha256": a.digest,
                    }
                    for a in attachments
                ],
                "timeline": sorted(
                    [_status_item(e) | {"type": "status"} for e in events]
                    + [_delivery_event(d, m) for d, m in deliveries]
                    # Hops across hubs and hand-overs to the next hub (federation)
                    + (
                        federation_store.timeline_of_document(
                            session, document.id, None if is_sender else visible
                        )
                        if self.intake.route is not None
                        else []
                    ),
                    key=lambda item: (item["at"], item["type"]),
                ),
            }

    def sent_documents(
        self, agency: str, *, limit: int = 100, cursor: str | None = None, text: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of the documents ``agency`` sent, newest first, with their recipients; and the
        cursor of the next page (``None`` after the last). ``text`` keeps those whose number,
        notation, type, subject or a recipient's name contain it, without regard to case or
        diacritics (:func:`lienthong.exchange.store.sent_documents`)."""
        before, after_id = _read_cursor(cursor) if cursor else (None, None)
        with self.db.read() as session:
            documents = store.sent_documents(
                session, agency, before=before, after_id=after_id, limit=limit, text=text
            )
            recipients = store.recipients_of_many(session, [d.id for d in documents])
            items = [
                _document_summary(d)
                | {"recipients": [_recipient_item(r) for r in recipients[d.id]]}
                for d in documents
            ]
            next_cursor = None
            if len(documents) == limit:  # read inside the session (the rows expire after it)
                last = documents[-1]
                next_cursor = f"{last.created_at.isoformat()}|{last.id}"
        return items, next_cursor


# A cursor of ``sent_documents``: ``<created_at ISO 8601 with offset>|<document id>``.
_CURSOR = re.compile(r"(?P<stamp>[0-9T:.+\-]{19,40})\|(?P<id>[0-9a-f]{32})")


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    """The position a ``next_cursor`` names; CURSOR_INVALID for anything this hub never gave
    out (garbage, NUL bytes, another listing's cursor), before any query runs."""
    found = _CURSOR.fullmatch(cursor)
    try:
        stamp = datetime.fromisoformat(found["stamp"]) if found else None
    except ValueError:
        stamp = None
    if found is None or stamp is None:
        raise ExchangeError(
            "The cursor is not one this hub gave out; pass next_cursor back unchanged.",
            code=ErrorCode.CURSOR_INVALID,
        )
    return stamp, found["id"]


def _document_summary(document: store.Document) -> dict[str, Any]:
    return {
        "document_id": document.id,
        "edxml_document_id": document.edxml_document_id,
        "sender": document.sender_code,
        "code_number": document.code_number,
        "code_notation": document.code_notation,
        "subject": document.subject,
        "type_name": document.type_name,
        "priority": document.priority,
        "promulgation_date": _iso(document.promulgation_date),
        "due_date": _iso(document.due_date),
        "state": document.state,
        "replaced_by": document.replaced_by,
        "signed": document.signed,
        "created_at": document.created_at.isoformat(),
    }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _recipient_item(row: store.Recipient) -> dict[str, Any]:
    return {
        "code": row.recipient_code,
        "status": row.status,
        "status_at": row.status_at.isoformat() if row.status_at else None,
        "pending": row.pending,
        "recalled": row.recalled,
        "removed": row.removed,
    }


def _status_item(event: store.StatusEvent) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "document_id": event.document_id,
        "recipient": event.recipient_code,
        "status_code": event.status_code,
        "description": event.description,
        "staff": event.staff,
        "timestamp": event.edxml_timestamp,
        "message_id": event.message_id,
        "source": event.source,
        "at": event.created_at.isoformat(),
    }


def _delivery_event(delivery: store.Delivery, message: store.Message) -> dict[str, Any]:
    return {
        "type": "delivery",
        "delivery_id": delivery.id,
        "recipient": delivery.recipient_code,
        "message_id": message.id,
        "kind": message.kind,
        "bussiness_doc_type": message.bussiness_doc_type,
        "state": delivery.state,
        "ack_reason": delivery.ack_reason,
        "at": delivery.created_at.isoformat(),
        "acked_at": delivery.acked_at.isoformat() if delivery.acked_at else None,
    }


def _inbox_item(
    delivery: store.Delivery, message: store.Message, document: store.Document | None
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "delivery_id": delivery.id,
        "message_id": message.id,
        "kind": message.kind,
        "from": message.sender_code,
        "bussiness_doc_type": message.bussiness_doc_type,
        "status_code": message.status_code,
        "package_sha256": message.package_digest,
        "package_size": message.package_size,
        "created_at": delivery.created_at.isoformat(),
    }
    if document is not None:
        item["document"] = _document_summary(document)
    return item
