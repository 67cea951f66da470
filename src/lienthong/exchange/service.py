"""Use cases of the hub: accept a package, list and fetch deliveries, acknowledge, follow statuses.

Each public method runs ONE unit of work. A success answer is returned only after the commit
(Decision 28 Art. 8: the sender learns the hub has the document only when it really has it).
Blobs are written after every check passed and before the commit, so a refusal leaves nothing
behind; a crash between the blob write and the commit leaves at most an unreferenced blob.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.agencies import store as agency_store
from lienthong.audit.store import record as audit
from lienthong.blobs import BlobStore
from lienthong.blobs.staging import StagedFile, StagingArea
from lienthong.clock import VN_TZ, Clock
from lienthong.edxml import parse_package
from lienthong.edxml.model import (
    BussinessDocType,
    DocumentPackage,
    Limits,
    ReceiverType,
    StatusCode,
    StatusPackage,
    make_document_id,
    parse_edxml_date,
    promulgation_year,
)
from lienthong.errors import ErrorCode
from lienthong.exchange import model, store
from lienthong.exchange.errors import ExchangeError
from lienthong.exchange.model import (
    DocumentState,
    MessageKind,
    PendingRequest,
    RecipientView,
    Refusal,
    TransportState,
)


@dataclass
class SendResult:
    """The answer to an accepted package (also replayed for an idempotent retry)."""

    message_id: str
    kind: str
    document_id: str | None
    edxml_document_id: str | None
    recipients: list[str]
    package_digest: str
    package_size: int
    received_at: str
    status_code: str | None = None
    replay: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "kind": self.kind,
            "document_id": self.document_id,
            "edxml_document_id": self.edxml_document_id,
            "recipients": self.recipients,
            "package_sha256": self.package_digest,
            "package_size": self.package_size,
            "received_at": self.received_at,
            "status_code": self.status_code,
            **self.extra,
        }


class _StagingSink:
    """Receives decoded attachments from the parser into staged files."""

    def __init__(self, staging: StagingArea) -> None:
        self.staging = staging
        self.files: dict[str, StagedFile] = {}

    def open_attachment(self, content_id: str) -> StagedFile:
        staged = self.staging.new_file(".att")
        self.files[content_id] = staged
        return staged


class PackageVerifier(Protocol):
    """Checks a parsed package before anything is stored (the trust policy plugs in here).

    Returns a JSON-able validation report stored with the message (``None``: nothing to
    store), or raises a :class:`~lienthong.errors.LienthongError` to refuse the package.
    ``path`` is the staged package file; ``attachments`` the staged decoded attachments.
    """

    def __call__(
        self,
        agency: str,
        package: DocumentPackage | StatusPackage,
        path: Path,
        attachments: Mapping[str, Path],
    ) -> dict[str, Any] | None: ...


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class _Plan:
    """What one accepted package will write, decided inside the transaction."""

    result: SendResult
    message: store.Message
    blobs: list[StagedFile]


class ExchangeService:
    def __init__(
        self,
        *,
        db: Any,
        blobs: BlobStore,
        clock: Clock,
        limits: Limits,
        on_commit: Callable[[SendResult], None] | None = None,
        verifier: PackageVerifier | None = None,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.clock = clock
        self.limits = limits
        self.on_commit = on_commit
        self.verifier = verifier

    # -- intake ------------------------------------------------------------------------------

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

        ``expected_kind`` (the axis protocol's ``messagetype``) refuses a package of the other
        kind with PACKAGE_KIND_MISMATCH.

        Raises :class:`~lienthong.errors.LienthongError` subclasses for every refusal; nothing
        is stored then. An exact retry (same bytes, same idempotency key) returns the original
        answer with ``replay=True``.
        """
        digest = staged.close()
        sink = _StagingSink(staging)
        with staged.open() as fh:
            package = parse_package(fh, sink=sink, limits=self.limits)
        if package.sender != agency:
            raise ExchangeError(
                f"From/OrganId is {package.sender!r} but the caller is {agency!r}.",
                code=ErrorCode.SENDER_MISMATCH,
                detail={"from": package.sender, "authenticated": agency},
            )
        kind = MessageKind.STATUS if isinstance(package, StatusPackage) else MessageKind.EDOC
        if expected_kind is not None and kind is not expected_kind:
            raise ExchangeError(
                code=ErrorCode.PACKAGE_KIND_MISMATCH,
                detail={"messagetype": str(expected_kind), "package": str(kind)},
            )
        report = None
        if self.verifier is not None:
            report = self.verifier(
                agency,
                package,
                staged.path,
                {cid: f.path for cid, f in sink.files.items()},
            )
        for attempt in range(2):
            try:
                with self.db.unit_of_work() as session:
                    if idempotency_key:
                        earlier = store.message_by_idempotency_key(session, agency, idempotency_key)
                        if earlier is not None:
                            return self._replay(earlier, digest)
                    plan = self._plan(session, agency, package, staged, digest, sink)
                    message = plan.message
                    message.validation = report
                    message.idempotency_key = idempotency_key
                    message.answer = plan.result.as_dict()
                    session.flush()
                    for blob in plan.blobs:
                        blob.promote(self.blobs)
            except IntegrityError:
                # A concurrent request committed the same document or key first: decide again
                # against what is now committed (a replay, or a duplicate refusal).
                if attempt == 1:
                    raise
                continue
            if self.on_commit is not None:
                self.on_commit(plan.result)
            return plan.result
        raise AssertionError("unreachable")

    def _replay(self, earlier: store.Message, digest: str) -> SendResult:
        if earlier.package_digest != digest:
            raise ExchangeError(
                code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
                detail={"message_id": earlier.id},
            )
        answer = dict(earlier.answer)
        return SendResult(
            message_id=answer["message_id"],
            kind=answer["kind"],
            document_id=answer["document_id"],
            edxml_document_id=answer["edxml_document_id"],
            recipients=list(answer["recipients"]),
            package_digest=answer["package_sha256"],
            package_size=answer["package_size"],
            received_at=answer["received_at"],
            status_code=answer.get("status_code"),
            replay=True,
        )

    def _plan(
        self,
        session: Session,
        agency: str,
        package: DocumentPackage | StatusPackage,
        staged: StagedFile,
        digest: str,
        sink: _StagingSink,
    ) -> _Plan:
        now = self.clock.now()
        message = store.Message(
            id=_new_id(),
            kind=MessageKind.EDOC if isinstance(package, DocumentPackage) else MessageKind.STATUS,
            sender_code=agency,
            package_digest=digest,
            package_size=staged.size,
            signed=package.signed,
            created_at=now,
            answer={},
        )
        if isinstance(package, StatusPackage):
            result = self._accept_status(session, agency, package, message, now)
            return _Plan(result, message, [staged])
        kind = package.bussiness_doc_type
        if kind in (BussinessDocType.NEW, BussinessDocType.REPLACE):
            result = self._accept_new(session, agency, package, message, sink, now)
        elif kind is BussinessDocType.REVOKE:
            target = self._own_document(session, agency, package.target_document_id)
            result = self._request_recall(session, agency, target, message, now, reason=None)
        else:
            result = self._accept_update(session, agency, package, message, sink, now)
        return _Plan(result, message, [staged, *sink.files.values()])

    def _result(
        self,
        message: store.Message,
        document: store.Document | None,
        recipients: list[str],
        status_code: str | None = None,
    ) -> SendResult:
        return SendResult(
            message_id=message.id,
            kind=message.kind,
            document_id=document.id if document else None,
            edxml_document_id=document.edxml_document_id if document else None,
            recipients=recipients,
            package_digest=message.package_digest,
            package_size=message.package_size,
            received_at=message.created_at.isoformat(),
            status_code=status_code,
        )

    def _today(self, now: datetime) -> date:
        return now.astimezone(VN_TZ).date()

    def _accept_new(
        self,
        session: Session,
        agency: str,
        package: DocumentPackage,
        message: store.Message,
        sink: _StagingSink,
        now: datetime,
    ) -> SendResult:
        header = package.header
        code = header.code
        if code is None or not code.code_number or not code.code_notation:
            raise ExchangeError(code=ErrorCode.PACKAGE_FIELD_MISSING, detail={"field": "Code"})
        promulgated = parse_edxml_date(
            header.promulgation_info.promulgation_date if header.promulgation_info else None
        )
        edxml_id = header.document_id or make_document_id(
            agency, promulgated or self._today(now), code.code_number, code.code_notation
        )
        recipients = list(package.recipients)
        agency_store.check_recipients(session, recipients, self._today(now))
        year = promulgation_year(header)
        number_key = model.normalise_number(code.code_number)
        notation_key = model.normalise_notation(code.code_notation)
        duplicate = store.find_duplicate(
            session,
            sender=agency,
            edxml_document_id=edxml_id,
            number_key=number_key,
            notation_key=notation_key,
            year=year,
        )
        if duplicate is not None:
            raise ExchangeError(
                f"Already sent as document {duplicate.id} ({duplicate.code_number}/"
                f"{duplicate.code_notation}, DocumentId {duplicate.edxml_document_id}).",
                code=ErrorCode.DUPLICATE_DOCUMENT,
                detail={
                    "original_document_id": duplicate.id,
                    "original_message_id": duplicate.origin_message_id,
                    "edxml_document_id": duplicate.edxml_document_id,
                    "received_at": duplicate.created_at.isoformat(),
                },
            )
        replaced: list[store.Document] = []
        if package.bussiness_doc_type is BussinessDocType.REPLACE:
            bussiness = package.bussiness
            targets = [r.document_id for r in bussiness.replacements] if bussiness else []
            if not targets and bussiness is not None and bussiness.document_id:
                targets = [bussiness.document_id]
            if not targets:
                raise ExchangeError(
                    code=ErrorCode.PACKAGE_FIELD_MISSING,
                    detail={"field": "Bussiness/ReplacementInfoList"},
                )
            replaced = [self._own_document(session, agency, t) for t in targets]
        other = header.other_info
        document = store.Document(
            id=_new_id(),
            sender_code=agency,
            edxml_document_id=edxml_id,
            code_number=code.code_number,
            code_notation=code.code_notation,
            number_key=number_key,
            notation_key=notation_key,
            year=year,
            subject=header.subject,
            type_name=header.document_type.type_name if header.document_type else None,
            priority=_int_or_zero(other.priority if other else None),
            promulgation_date=promulgated,
            due_date=parse_edxml_date(header.due_date),
            signer_name=header.signer_info.full_name if header.signer_info else None,
            state=DocumentState.ACTIVE,
            origin_message_id=message.id,
            latest_message_id=message.id,
            signed=package.signed,
            attachment_count=len(package.attachments),
            created_at=now,
        )
        session.add(document)
        session.flush()  # the unique constraints speak here, before any blob is written
        message.document_ref = document.id
        message.bussiness_doc_type = int(package.bussiness_doc_type)
        session.add(message)
        session.flush()  # rows below refer to the message
        for old in replaced:
            old.state = DocumentState.REPLACED
            old.replaced_by = document.id
        self._add_attachments(session, package, message, document, sink)
        for code_ in recipients:
            session.add(
                store.Recipient(
                    document_id=document.id,
                    recipient_code=code_,
                    added_at=now,
                    recalled=False,
                    removed=False,
                )
            )
            self._deliver(session, message, code_, document.id, now)
        audit(
            session,
            at=now,
            actor=agency,
            action="document.sent",
            subject=document.id,
            detail={
                "message_id": message.id,
                "edxml_document_id": edxml_id,
                "recipients": recipients,
                "sha256": message.package_digest,
                "bussiness_doc_type": int(package.bussiness_doc_type),
                "replaces": [d.id for d in replaced],
            },
        )
        return self._result(message, document, recipients)

    def _add_attachments(
        self,
        session: Session,
        package: DocumentPackage,
        message: store.Message,
        document: store.Document,
        sink: _StagingSink,
    ) -> None:
        for att in package.attachments:
            session.add(
                store.Attachment(
                    message_id=message.id,
                    document_id=document.id,
                    content_id=att.content_id,
                    name=att.attachment_name,
                    description=att.description,
                    content_type=att.content_type,
                    size=att.size,
                    digest=att.sha256,
                )
            )

    def _deliver(
        self,
        session: Session,
        message: store.Message,
        recipient: str,
        document_id: str | None,
        now: datetime,
    ) -> None:
        session.add(
            store.Delivery(
                message_id=message.id,
                recipient_code=recipient,
                document_id=document_id,
                kind=message.kind,
                state=TransportState.PENDING,
                created_at=now,
            )
        )

    def _own_document(self, session: Session, agency: str, edxml_id: str | None) -> store.Document:
        if not edxml_id:
            raise ExchangeError(
                code=ErrorCode.PACKAGE_FIELD_MISSING, detail={"field": "Bussiness/DocumentId"}
            )
        mine = store.document_by_edxml_id(session, edxml_id, sender=agency)
        if mine:
            return mine[0]
        if store.document_by_edxml_id(session, edxml_id):
            raise ExchangeError(code=ErrorCode.NOT_YOUR_DOCUMENT, detail={"document": edxml_id})
        raise ExchangeError(code=ErrorCode.TARGET_DOCUMENT_UNKNOWN, detail={"document": edxml_id})

    def _request_recall(
        self,
        session: Session,
        agency: str,
        document: store.Document,
        message: store.Message,
        now: datetime,
        *,
        reason: str | None,
    ) -> SendResult:
        """A recall (BussinessDocType 1, or status 13 from the sender): ask every holder."""
        if document.state in (DocumentState.RECALLED, DocumentState.REPLACED):
            raise ExchangeError(code=ErrorCode.DOCUMENT_RECALLED, detail={"document": document.id})
        message.document_ref = document.id
        message.bussiness_doc_type = int(BussinessDocType.REVOKE)
        session.add(message)
        session.flush()  # rows below refer to the message
        asked: list[str] = []
        for row in store.recipients_of(session, document.id):
            if not model.may_receive_request(_view(row)):
                continue
            row.pending = PendingRequest.RECALL
            asked.append(row.recipient_code)
            self._deliver(session, message, row.recipient_code, document.id, now)
            session.add(
                store.StatusEvent(
                    document_id=document.id,
                    sender_code=document.sender_code,
                    recipient_code=row.recipient_code,
                    status_code=StatusCode.RECALL_REQUESTED,
                    description=reason,
                    staff={},
                    message_id=message.id,
                    source="sender",
                    created_at=now,
                )
            )
        document.state = DocumentState.RECALL_REQUESTED if asked else DocumentState.RECALLED
        document.latest_message_id = message.id
        audit(
            session,
            at=now,
            actor=agency,
            action="document.recall_requested",
            subject=document.id,
            detail={"message_id": message.id, "asked": asked},
        )
        return self._result(message, document, asked, StatusCode.RECALL_REQUESTED)

    def _accept_update(
        self,
        session: Session,
        agency: str,
        package: DocumentPackage,
        message: store.Message,
        sink: _StagingSink,
        now: datetime,
    ) -> SendResult:
        document = self._own_document(session, agency, package.target_document_id)
        if document.state in (DocumentState.RECALLED, DocumentState.REPLACED):
            raise ExchangeError(code=ErrorCode.DOCUMENT_RECALLED, detail={"document": document.id})
        info = package.bussiness.document_info if package.bussiness else None
        receivers = info.receivers if info else ()
        added = [r.organ_id for r in receivers if r.receiver_type == ReceiverType.ADDED]
        removed = {r.organ_id for r in receivers if r.receiver_type == ReceiverType.REMOVED}
        if added:
            agency_store.check_recipients(session, added, self._today(now))
        rows = {r.recipient_code: r for r in store.recipients_of(session, document.id)}
        unknown_removed = sorted(removed - set(rows))
        if unknown_removed:
            raise ExchangeError(
                code=ErrorCode.NOT_A_RECIPIENT, detail={"recipients": unknown_removed}
            )
        message.document_ref = document.id
        message.bussiness_doc_type = int(BussinessDocType.UPDATE)
        session.add(message)
        session.flush()  # rows below refer to the message
        notified: list[str] = []
        for code_, row in rows.items():
            if code_ in removed:
                row.removed = True
                row.pending = None
            elif not model.may_receive_request(_view(row)):
                continue
            elif code_ not in added:
                row.pending = PendingRequest.UPDATE
            notified.append(code_)
        for code_ in added:
            if code_ in rows:
                rows[code_].removed = False
                continue
            session.add(
                store.Recipient(
                    document_id=document.id,
                    recipient_code=code_,
                    added_at=now,
                    recalled=False,
                    removed=False,
                )
            )
            notified.append(code_)
        for code_ in notified:
            self._deliver(session, message, code_, document.id, now)
        self._add_attachments(session, package, message, document, sink)
        header = package.header
        if header.subject:
            document.subject = header.subject
        if header.due_date:
            document.due_date = parse_edxml_date(header.due_date)
        document.latest_message_id = message.id
        audit(
            session,
            at=now,
            actor=agency,
            action="document.updated",
            subject=document.id,
            detail={"message_id": message.id, "added": added, "removed": sorted(removed)},
        )
        return self._result(message, document, notified)

    def _accept_status(
        self,
        session: Session,
        agency: str,
        package: StatusPackage,
        message: store.Message,
        now: datetime,
    ) -> SendResult:
        code = StatusCode(package.status_code)
        response_for = package.response_for
        edxml_id = response_for.document_id or ""
        if code is StatusCode.RECALL_REQUESTED:
            document = self._own_document(session, agency, edxml_id)
            return self._request_recall(
                session, agency, document, message, now, reason=package.description
            )
        candidates = store.document_by_edxml_id(session, edxml_id, sender=response_for.organ_id)
        if not candidates and response_for.organ_id:
            candidates = store.document_by_edxml_id(session, edxml_id)
        if not candidates:
            raise ExchangeError(
                code=ErrorCode.TARGET_DOCUMENT_UNKNOWN, detail={"document": edxml_id}
            )
        row: store.Recipient | None = None
        document = candidates[0]
        for candidate in candidates:
            row = store.recipient_row(session, candidate.id, agency)
            if row is not None:
                document = candidate
                break
        if row is None:
            raise ExchangeError(
                f"{agency} is not a recipient of {edxml_id}.",
                code=ErrorCode.NOT_A_RECIPIENT,
                detail={"document": edxml_id},
            )
        outcome = model.apply_status(_view(row), code, package.description)
        if isinstance(outcome, Refusal):
            raise ExchangeError(
                outcome.message,
                code=outcome.code,
                detail={"current": row.status, "requested": str(code), "pending": row.pending},
            )
        if code not in (StatusCode.RECALL_AGREED, StatusCode.RECALL_REFUSED):
            row.status = code
            row.status_at = now
        row.pending = outcome.pending
        row.recalled = outcome.recalled
        if outcome.answered is PendingRequest.RECALL:
            self._settle_recall(session, document)
        message.document_ref = document.id
        message.status_code = code
        session.add(message)
        session.flush()  # rows below refer to the message
        session.add(
            store.StatusEvent(
                document_id=document.id,
                sender_code=document.sender_code,
                recipient_code=agency,
                status_code=code,
                description=package.description,
                staff=_staff(package),
                edxml_timestamp=package.timestamp,
                message_id=message.id,
                source="recipient",
                created_at=now,
            )
        )
        self._deliver(session, message, document.sender_code, document.id, now)
        audit(
            session,
            at=now,
            actor=agency,
            action="status.sent",
            subject=document.id,
            detail={"message_id": message.id, "status": str(code)},
        )
        return self._result(message, document, [document.sender_code], str(code))

    def _settle_recall(self, session: Session, document: store.Document) -> None:
        session.flush()
        rows = store.recipients_of(session, document.id)
        if any(r.pending == PendingRequest.RECALL for r in rows):
            return
        holders = [r for r in rows if not r.removed and r.status != StatusCode.RETURNED]
        document.state = (
            DocumentState.RECALLED if all(r.recalled for r in holders) else DocumentState.ACTIVE
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

    def _record_arrival(self, session: Session, delivery: store.Delivery, now: datetime) -> None:
        if delivery.kind != MessageKind.EDOC or delivery.document_id is None:
            return
        row = store.recipient_row(session, delivery.document_id, delivery.recipient_code)
        if row is None or row.status is not None or row.removed:
            return
        document = session.get(store.Document, delivery.document_id)
        assert document is not None
        row.status = StatusCode.ARRIVED
        row.status_at = now
        session.add(
            store.StatusEvent(
                document_id=document.id,
                sender_code=document.sender_code,
                recipient_code=row.recipient_code,
                status_code=StatusCode.ARRIVED,
                description="Đã đến (hub ghi nhận khi đơn vị nhận tải văn bản về)",
                staff={},
                message_id=None,
                source="hub",
                created_at=now,
            )
        )

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
                    + [_delivery_event(d, m) for d, m in deliveries],
                    key=lambda item: (item["at"], item["type"]),
                ),
            }

    def sent_documents(
        self, agency: str, *, limit: int = 100, cursor: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        before: datetime | None = None
        after_id: str | None = None
        if cursor:
            stamp, _, after_id = cursor.partition("|")
            before = datetime.fromisoformat(stamp)
        with self.db.read() as session:
            documents = store.sent_documents(
                session, agency, before=before, after_id=after_id, limit=limit
            )
            items = []
            for document in documents:
                item = _document_summary(document)
                item["recipients"] = [
                    _recipient_item(r) for r in store.recipients_of(session, document.id)
                ]
                items.append(item)
        next_cursor = None
        if len(documents) == limit:
            last = documents[-1]
            next_cursor = f"{last.created_at.isoformat()}|{last.id}"
        return items, next_cursor


def _int_or_zero(text: str | None) -> int:
    try:
        return int(text) if text else 0
    except ValueError:
        return 0


def _view(row: store.Recipient) -> RecipientView:
    return RecipientView(
        status=StatusCode(row.status) if row.status else None,
        pending=PendingRequest(row.pending) if row.pending else None,
        recalled=row.recalled,
        removed=row.removed,
    )


def _staff(package: StatusPackage) -> dict[str, Any]:
    staff = package.staff_info
    if staff is None:
        return {}
    return {
        k: v
        for k, v in {
            "department": staff.department,
            "staff": staff.staff,
            "email": staff.email,
            "mobile": staff.mobile,
        }.items()
        if v
    }


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
