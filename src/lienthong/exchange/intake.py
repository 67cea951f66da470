"""Intake: accepting a package (document, revoke / update / replace, or status).

The order of work is what makes "nothing acknowledged is ever lost, nothing refused is ever
stored" hold (Decision 28/2018/QĐ-TTg Art. 8; Decree 30/2020/NĐ-CP Art. 21):

1. the body is parsed from its staged file, the sender and the trust policy are checked;
2. every rule is checked in a *read* transaction (a dry run of step 4, writing nothing);
3. the package and attachment blobs are written to the blob store (durable, fsynced) — outside
   any database lock, so writers hold the lock only for their inserts;
4. in ONE write transaction the rules are checked again against what is now committed, and the
   rows are inserted (Core bulk inserts; the success answer is stored with the message for an
   idempotent replay); only after the COMMIT is the answer returned.

A refusal at step 2 leaves nothing behind. A refusal at step 4 can only follow a concurrent
commit between 2 and 4 (the same document sent twice at once): the blob it wrote is then either
the very blob the winner references, or an unreferenced blob that garbage collection removes
(:mod:`lienthong.blobs.gc`, once older than ``blob_gc_grace_seconds``; step 3 makes a blob
that is already there young again, so a collection never removes one this request is about to
refer to). A crash before the commit leaves at most such an unreferenced blob, never a row
without its blob, and a staging folder that the next start-up removes. A storage failure at
any step (the database, a full disk, the object store) answers STORAGE_UNAVAILABLE
(:mod:`lienthong.faults`): nothing that a row refers to was stored, the request may be sent
again with its idempotency key.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.agencies import store as agency_store
from lienthong.agencies.model import Validity
from lienthong.audit.store import AuditEvent
from lienthong.blobs import BlobStore
from lienthong.blobs.staging import StagedFile, StagingArea
from lienthong.clock import VN_TZ, Clock
from lienthong.db import Database
from lienthong.edxml import parse_package, zips
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
from lienthong.errors import ErrorCode, LienthongError
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
from lienthong.federation import model as federation
from lienthong.federation import store as federation_store


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

    @classmethod
    def from_answer(cls, answer: Mapping[str, Any], *, replay: bool) -> SendResult:
        return cls(
            message_id=answer["message_id"],
            kind=answer["kind"],
            document_id=answer["document_id"],
            edxml_document_id=answer["edxml_document_id"],
            recipients=list(answer["recipients"]),
            package_digest=answer["package_sha256"],
            package_size=answer["package_size"],
            received_at=answer["received_at"],
            status_code=answer.get("status_code"),
            replay=replay,
        )


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


class StagingSink:
    """Receives decoded attachments from the parser into staged files."""

    def __init__(self, staging: StagingArea) -> None:
        self.staging = staging
        self.files: dict[str, StagedFile] = {}

    def open_attachment(self, content_id: str) -> StagedFile:
        staged = self.staging.new_file(".att")
        self.files[content_id] = staged
        return staged


@dataclass
class _Incoming:
    """One package on its way in: what was read, and the rows it will write."""

    agency: str
    package: DocumentPackage | StatusPackage
    digest: str
    size: int
    now: datetime
    report: dict[str, Any] | None
    forwarded: federation.Forwarded | None = None
    message_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Federation: the hub serving each agency met so far (None: this hub), and the outbox row
    # per next hub (one per message and next hub, whatever the number of recipients behind it).
    hubs: dict[str, str | None] = field(default_factory=dict)
    outbox: dict[str, dict[str, Any]] = field(default_factory=dict)
    redirected: dict[str, str] = field(default_factory=dict)
    # What the package handlers made of the package (see PackageHandler), in handler order.
    prepared: list[tuple[PackageHandler, object]] = field(default_factory=list)

    def add(self, table: str, **values: Any) -> None:
        self.rows.setdefault(table, []).append(values)


# Called inside the write transaction, after the inserts, with the rows inserted per table
# (lienthong.stats.store keeps its daily aggregates this way). Registered by the container.
WriteHook = Callable[[Session, Mapping[str, list[dict[str, Any]]]], None]
WRITE_HOOKS: list[WriteHook] = []


@dataclass(frozen=True)
class HandlerContext:
    """What a package handler knows of the package beside its content: the authenticated
    sender, the recipients this hub takes it on for, the acceptance time and message id, and
    whether an agency is served by this hub (``served_here``)."""

    sender: str
    recipients: tuple[str, ...]
    now: datetime
    message_id: str
    forwarded: bool
    served_here: Callable[[Session, str], bool]


class PackageHandler(Protocol):
    """A domain that records something when a package of its kind is accepted (the tasks a
    task package carries, :mod:`lienthong.tasks.exchange`). ``prepare`` reads the package and
    its staged attachments before any rule is checked (None: not its kind; a LienthongError
    refuses the package); ``check`` runs in the dry run and ``apply`` in the write
    transaction, so what it records exists exactly when the package does, once."""

    def prepare(
        self, package: DocumentPackage, attachments: Mapping[str, Path]
    ) -> object | None: ...

    def check(self, session: Session, prepared: object, context: HandlerContext) -> None: ...

    def apply(self, session: Session, prepared: object, context: HandlerContext) -> None: ...


# Insert order follows the foreign keys.
_TABLES: tuple[tuple[str, Table], ...] = tuple(
    (mapped.__tablename__, cast(Table, mapped.__table__))
    for mapped in (
        store.Document,
        store.Message,
        store.Attachment,
        store.Recipient,
        store.Delivery,
        store.StatusEvent,
        federation_store.OutboxRow,
        federation_store.MessageRouteRow,
        AuditEvent,
    )
)


class Intake:
    def __init__(
        self,
        *,
        db: Database,
        blobs: BlobStore,
        clock: Clock,
        limits: Limits,
        verifier: PackageVerifier | None = None,
        on_commit: Callable[[SendResult], None] | None = None,
        route: federation.Route | None = None,
        redirect_merged: bool = False,
    ) -> None:
        self.db = db
        # Federation: with a route, a recipient served by another hub gets an outbox row (to
        # the next hub) instead of a delivery; without one every recipient is delivered here.
        self.route = route
        self.redirect_merged = redirect_merged
        self.blobs = blobs
        self.clock = clock
        self.limits = limits
        self.verifier = verifier
        self.on_commit = on_commit
        self.handlers: list[PackageHandler] = []

    def receive(
        self,
        agency: str,
        staged: StagedFile,
        staging: StagingArea,
        *,
        idempotency_key: str | None = None,
        expected_kind: MessageKind | None = None,
        forwarded: federation.Forwarded | None = None,
    ) -> SendResult:
        """Accept a package (see the module docstring). ``forwarded``: a package another hub
        forwarded (:mod:`lienthong.federation.service`); it is accepted on behalf of its
        ``From`` (``agency`` is ignored) once ``forwarded.admit`` allowed that sender, with
        the upstream message id as idempotency key, for the recipients it names only."""
        digest = staged.close()
        sink = StagingSink(staging)
        with staged.open() as fh:
            package = parse_package(fh, sink=sink, limits=self.limits)
        if forwarded is not None:
            agency = package.sender
            idempotency_key = forwarded.idempotency_key
            try:
                forwarded.admit(package.sender)
            except LienthongError:
                # A re-send after a crash, accepted the first time, while the directory has
                # moved the sender since: the original acceptance, not a refusal for good.
                original = self._earlier_answer(agency, idempotency_key, digest)
                if original is not None:
                    return original
                raise
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
        if isinstance(package, DocumentPackage):
            # An identical re-send of a document already accepted (the SDK retries after a
            # lost answer): the original acceptance, before any verification work.
            original = self._identical_resend(agency, package, digest)
            if original is not None:
                return original
            self._check_inflated_sizes(package, sink)
        report = None
        if self.verifier is not None:
            attachments = {cid: f.path for cid, f in sink.files.items()}
            try:
                report = self.verifier(agency, package, staged.path, attachments)
            except LienthongError:
                original = (  # as above: the trust data may have changed since
                    self._earlier_answer(agency, idempotency_key, digest) if forwarded else None
                )
                if original is not None:
                    return original
                raise
        now = self.clock.now()
        prepared: list[tuple[PackageHandler, object]] = []
        if (
            isinstance(package, DocumentPackage)
            and package.bussiness_doc_type is BussinessDocType.NEW
        ):
            files = {cid: f.path for cid, f in sink.files.items()}
            for handler in self.handlers:
                value = handler.prepare(package, files)
                if value is not None:
                    prepared.append((handler, value))

        hubs: dict[str, str | None] = {}  # recipient -> serving hub, shared by the passes

        def incoming() -> _Incoming:
            return _Incoming(
                agency,
                package,
                digest,
                staged.size,
                now,
                report,
                forwarded,
                hubs=hubs,
                prepared=prepared,
            )

        # 2. Dry run: every rule, nothing written.
        try:
            with self.db.read() as session:
                if idempotency_key:
                    earlier = store.message_by_idempotency_key(session, agency, idempotency_key)
                    if earlier is not None:
                        return _replay(earlier, digest)
                dry = incoming()
                self._decide(session, dry, write=False)
                self._handle(session, dry, write=False)
        except _AlreadyAccepted as accepted:
            return accepted.result
        # 3. Blobs, durable before any row refers to them.
        for blob in (staged, *sink.files.values()):
            blob.promote(self.blobs)
        # 4. The write transaction. The first attempt trusts the dry run for what the database
        # constraints enforce anyway (duplicates, idempotency keys); if a constraint fires, the
        # second attempt checks everything again to answer with the right refusal or replay.
        for attempt in range(2):
            try:
                result = self._write(incoming(), idempotency_key, recheck=attempt > 0)
            except _AlreadyAccepted as accepted:  # the same bytes committed concurrently
                return accepted.result
            except IntegrityError:
                # A concurrent request committed the same document or key first: decide
                # again against what is now committed (a replay, or a duplicate refusal).
                if attempt == 1:
                    raise
                continue
            if self.on_commit is not None and not result.replay:
                self.on_commit(result)
            return result
        raise AssertionError("unreachable")

    def _check_inflated_sizes(self, package: DocumentPackage, sink: StagingSink) -> None:
        """Refuse a zipped attachment that inflates beyond the limit (a ZIP bomb), counting
        the bytes inflated and stopping at the limit. A file that is not a readable zip is
        left as it came (the clerk application then offers it as it is)."""
        limit = self.limits.max_inflated_bytes
        for att in package.attachments:
            staged = sink.files.get(att.content_id)
            if staged is None or not zips.travels_zipped(att.attachment_name, att.content_type):
                continue
            try:
                with staged.path.open("rb") as fh:
                    zips.check_inflated_size(fh, limit)
            except zips.InflatesTooLarge:
                raise ExchangeError(
                    code=ErrorCode.ATTACHMENT_INFLATES_TOO_LARGE,
                    detail={"content_id": att.content_id, "limit_bytes": limit},
                ) from None

    def _identical_resend(
        self, agency: str, package: DocumentPackage, digest: str
    ) -> SendResult | None:
        """The original answer when ``agency`` already sent these very bytes as a new or
        replacing document (found as its duplicate: same DocumentId, or same number, notation
        and year). Other bytes under the same identity are refused later, DUPLICATE_DOCUMENT."""
        if package.bussiness_doc_type not in (BussinessDocType.NEW, BussinessDocType.REPLACE):
            return None
        keys = _document_keys(agency, package, self.clock.now())
        if keys is None:
            return None  # no Code: refused by the rules with its own code
        edxml_id, number_key, notation_key, year = keys
        with self.db.read() as session:
            duplicate = store.find_duplicate(
                session,
                sender=agency,
                edxml_document_id=edxml_id,
                number_key=number_key,
                notation_key=notation_key,
                year=year,
            )
            original = (
                _identical_original(session, duplicate, digest) if duplicate is not None else None
            )
            if original is None:
                return None
            return SendResult.from_answer(original.answer, replay=True)

    def _earlier_answer(
        self, agency: str, idempotency_key: str | None, digest: str
    ) -> SendResult | None:
        """The original answer when ``idempotency_key`` was accepted from ``agency`` before."""
        if not idempotency_key:
            return None
        with self.db.read() as session:
            earlier = store.message_by_idempotency_key(session, agency, idempotency_key)
            return _replay(earlier, digest) if earlier is not None else None

    def _write(self, item: _Incoming, idempotency_key: str | None, *, recheck: bool) -> SendResult:
        # SQLite writers queue in Database.unit_of_work (lienthong.db._WriteGate).
        with self.db.unit_of_work() as session:
            if idempotency_key and recheck:
                earlier = store.message_by_idempotency_key(session, item.agency, idempotency_key)
                if earlier is not None:
                    return _replay(earlier, item.digest)
            result = self._decide(session, item, write=True, recheck=recheck)
            assert result is not None
            self._handle(session, item, write=True)
            self._record_route(item)
            if item.redirected:
                result.extra["redirected"] = dict(item.redirected)
            message = item.rows["messages"][0]
            message["idempotency_key"] = idempotency_key
            message["answer"] = result.as_dict()
            session.flush()  # ORM changes (states of existing rows) before the inserts
            for table, mapped in _TABLES:  # Core inserts: no ORM bookkeeping on the hot path
                rows = item.rows.get(table)
                if rows:
                    session.execute(insert(mapped), rows)
            for hook in WRITE_HOOKS:  # e.g. the monitoring aggregates, same transaction
                hook(session, item.rows)
        return result

    def _handle(self, session: Session, item: _Incoming, *, write: bool) -> None:
        """The package handlers' checks (and, with ``write``, their records)."""
        if not item.prepared:
            return
        package = item.package
        recipients = (
            tuple(item.forwarded.targets)
            if item.forwarded is not None
            else tuple(package.recipients if isinstance(package, DocumentPackage) else ())
        )
        context = HandlerContext(
            sender=item.agency,
            recipients=recipients,
            now=item.now,
            message_id=item.message_id,
            forwarded=item.forwarded is not None,
            served_here=self._served_here,
        )
        for handler, value in item.prepared:
            handler.check(session, value, context)
            if write:
                handler.apply(session, value, context)

    def _served_here(self, session: Session, code: str) -> bool:
        """Whether this hub serves ``code`` (always, without federation)."""
        if self.route is None:
            return True
        agency = agency_store.agencies_by_codes(session, [code]).get(code)
        hub = agency.hub_code if agency is not None else None
        return federation.next_hop(self.route, hub) is None

    # -- the rules --------------------------------------------------------------------------

    def _decide(
        self, session: Session, item: _Incoming, *, write: bool, recheck: bool = True
    ) -> SendResult | None:
        """Check the rules; with ``write``, also collect the rows to insert.

        ``recheck=False`` (a first write right after a successful dry run) skips the checks a
        database constraint enforces anyway for a new document.
        """
        package = item.package
        if isinstance(package, StatusPackage):
            return self._status(session, item, package, write)
        kind = package.bussiness_doc_type
        if kind in (BussinessDocType.NEW, BussinessDocType.REPLACE):
            return self._new(session, item, package, write, recheck)
        if kind is BussinessDocType.REVOKE:
            target = _own_document(session, item.agency, package.target_document_id)
            return self._recall(session, item, target, None, write)
        return self._update(session, item, package, write)

    def _message(
        self,
        item: _Incoming,
        document_id: str,
        *,
        bussiness_doc_type: int | None = None,
        status_code: str | None = None,
    ) -> None:
        item.add(
            "messages",
            id=item.message_id,
            kind=MessageKind.STATUS
            if isinstance(item.package, StatusPackage)
            else MessageKind.EDOC,
            sender_code=item.agency,
            package_digest=item.digest,
            package_size=item.size,
            document_ref=document_id,
            bussiness_doc_type=bussiness_doc_type,
            status_code=status_code,
            signed=item.package.signed,
            validation=item.report,
            created_at=item.now,
        )

    def _record_route(self, item: _Incoming) -> None:
        """The hop list of a message that came from or goes to another hub (this hub last)."""
        if self.route is None or not (item.forwarded or item.outbox):
            return
        hops = list(item.forwarded.hops) if item.forwarded else []
        hops.append(federation.Hop(self.route.this_hub, item.now))
        item.add(
            "federation_message_routes",
            message_id=item.message_id,
            from_hub=item.forwarded.from_hub if item.forwarded else None,
            hops=[hop.as_dict() for hop in hops],
            targets=list(item.forwarded.targets) if item.forwarded else None,
        )

    def _learn_hubs(self, session: Session, item: _Incoming, codes: list[str]) -> None:
        """Which hub serves each of ``codes`` (one query for those not known yet)."""
        if self.route is None:
            return
        missing = [c for c in codes if c not in item.hubs]
        if missing:
            found = agency_store.agencies_by_codes(session, missing)
            for code in missing:
                agency = found.get(code)
                item.hubs[code] = agency.hub_code if agency is not None else None

    def _in_scope(self, item: _Incoming, codes: list[str]) -> list[str]:
        """A forwarded package is this hub's business only for the recipients it names."""
        if item.forwarded is None:
            return codes
        wanted = set(item.forwarded.targets)
        return [c for c in codes if c in wanted]

    def _deliver(self, session: Session, item: _Incoming, recipient: str, document_id: str) -> None:
        """A delivery row for a recipient served here; for one served by another hub, the
        recipient joins the outbox row to the next hub (Decision 28/2018/QĐ-TTg Art. 7: the
        provincial and ministerial axes connect to the national axis)."""
        if self.route is not None:
            self._learn_hubs(session, item, [recipient])
            hop = federation.next_hop(self.route, item.hubs.get(recipient))
            if hop is not None:
                row = item.outbox.get(hop)
                if row is None:
                    item.add(
                        "federation_outbox",
                        message_id=item.message_id,
                        next_hop=hop,
                        targets=[],
                        state=federation.OutboxState.PENDING,
                        attempts=0,
                        next_attempt_at=item.now,
                        last_error=None,
                        last_code=None,
                        created_at=item.now,
                        done_at=None,
                    )
                    row = item.rows["federation_outbox"][-1]
                    item.outbox[hop] = row
                if recipient not in row["targets"]:
                    row["targets"].append(recipient)
                return
        item.add(
            "deliveries",
            message_id=item.message_id,
            recipient_code=recipient,
            document_id=document_id,
            kind=item.rows["messages"][0]["kind"],
            state=TransportState.PENDING,
            created_at=item.now,
        )

    def _audit(self, item: _Incoming, action: str, subject: str, **detail: Any) -> None:
        item.add(
            "audit_events",
            at=item.now,
            actor=item.agency,
            action=action,
            subject=subject,
            detail={"message_id": item.message_id, **detail},
        )

    def _attachments(self, item: _Incoming, package: DocumentPackage, document_id: str) -> None:
        for att in package.attachments:
            item.add(
                "attachments",
                message_id=item.message_id,
                document_id=document_id,
                content_id=att.content_id,
                name=att.attachment_name,
                description=att.description,
                content_type=att.content_type,
                size=att.size,
                digest=att.sha256,
            )

    def _result(
        self,
        item: _Incoming,
        document_id: str,
        edxml_id: str,
        recipients: list[str],
        status_code: str | None = None,
    ) -> SendResult:
        message = item.rows["messages"][0]
        return SendResult(
            message_id=item.message_id,
            kind=message["kind"],
            document_id=document_id,
            edxml_document_id=edxml_id,
            recipients=recipients,
            package_digest=item.digest,
            package_size=item.size,
            received_at=item.now.isoformat(),
            status_code=status_code,
        )

    def _new(
        self,
        session: Session,
        item: _Incoming,
        package: DocumentPackage,
        write: bool,
        recheck: bool = True,
    ) -> SendResult | None:
        header = package.header
        code = header.code
        if code is None or not code.code_number or not code.code_notation:
            raise ExchangeError(code=ErrorCode.PACKAGE_FIELD_MISSING, detail={"field": "Code"})
        today = _local_date(item.now)
        promulgated = parse_edxml_date(
            header.promulgation_info.promulgation_date if header.promulgation_info else None
        )
        keys = _document_keys(item.agency, package, item.now)
        assert keys is not None  # a Code is there (checked above)
        edxml_id, number_key, notation_key, year = keys
        recipients = list(package.recipients)
        if item.forwarded is not None:
            # The upstream hub resolved the recipients this hub takes on (and any redirect).
            recipients = list(dict.fromkeys(item.forwarded.targets))
            if not recipients:
                raise ExchangeError(
                    code=ErrorCode.FORWARD_NOT_ALLOWED, detail={"reason": "no recipients"}
                )
        elif self.redirect_merged:
            recipients = self._redirect_merged(session, item, recipients, today)
        duplicate = None
        if recheck:
            known = agency_store.check_recipients(session, recipients, today)
            for recipient, entry in known.items():  # the write pass needs no second look-up
                item.hubs.setdefault(recipient, entry.hub_code)
            duplicate = store.find_duplicate(
                session,
                sender=item.agency,
                edxml_document_id=edxml_id,
                number_key=number_key,
                notation_key=notation_key,
                year=year,
            )
        if duplicate is not None:
            earlier = _identical_original(session, duplicate, item.digest)
            if earlier is not None:
                raise _AlreadyAccepted(SendResult.from_answer(earlier.answer, replay=True))
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
            replaced = [_own_document(session, item.agency, t) for t in targets]
        if not write:
            return None
        self._learn_hubs(session, item, recipients)
        document_id = uuid.uuid4().hex
        other = header.other_info
        type_name = header.document_type.type_name if header.document_type else None
        item.add(
            "documents",
            id=document_id,
            sender_code=item.agency,
            edxml_document_id=edxml_id,
            code_number=code.code_number,
            code_notation=code.code_notation,
            number_key=number_key,
            notation_key=notation_key,
            year=year,
            subject=header.subject,
            type_name=type_name,
            priority=_int_or_zero(other.priority if other else None),
            promulgation_date=promulgated,
            due_date=parse_edxml_date(header.due_date),
            signer_name=header.signer_info.full_name if header.signer_info else None,
            state=DocumentState.ACTIVE,
            origin_message_id=item.message_id,
            latest_message_id=item.message_id,
            replaced_by=None,
            signed=package.signed,
            attachment_count=len(package.attachments),
            created_at=item.now,
            search_text=model.document_search_text(
                code.code_number, code.code_notation, type_name, header.subject
            ),
        )
        self._message(item, document_id, bussiness_doc_type=int(package.bussiness_doc_type))
        for old in replaced:
            old.state = DocumentState.REPLACED
            old.replaced_by = document_id
        self._attachments(item, package, document_id)
        for recipient in recipients:
            item.add(
                "document_recipients",
                document_id=document_id,
                recipient_code=recipient,
                status=None,
                status_at=None,
                pending=None,
                recalled=False,
                removed=False,
                added_at=item.now,
            )
            self._deliver(session, item, recipient, document_id)
        self._audit(
            item,
            "document.sent",
            document_id,
            edxml_document_id=edxml_id,
            recipients=recipients,
            sha256=item.digest,
            bussiness_doc_type=int(package.bussiness_doc_type),
            replaces=[d.id for d in replaced],
            **({"redirected": dict(item.redirected)} if item.redirected else {}),
        )
        return self._result(item, document_id, edxml_id, recipients)

    def _recall(
        self,
        session: Session,
        item: _Incoming,
        document: store.Document,
        reason: str | None,
        write: bool,
    ) -> SendResult | None:
        """A recall (BussinessDocType 1, or status 13 from the sender): ask every holder."""
        if document.state in (DocumentState.RECALLED, DocumentState.REPLACED):
            raise ExchangeError(code=ErrorCode.DOCUMENT_RECALLED, detail={"document": document.id})
        if not write:
            return None
        status = StatusCode.RECALL_REQUESTED
        is_status = isinstance(item.package, StatusPackage)
        self._message(
            item,
            document.id,
            bussiness_doc_type=int(BussinessDocType.REVOKE),
            status_code=status if is_status else None,
        )
        asked: list[str] = []
        rows = store.recipients_of(session, document.id)
        in_scope = set(self._in_scope(item, [r.recipient_code for r in rows]))
        for row in rows:
            if row.recipient_code not in in_scope or not model.may_receive_request(view_of(row)):
                continue
            row.pending = PendingRequest.RECALL
            asked.append(row.recipient_code)
            self._deliver(session, item, row.recipient_code, document.id)
            item.add(
                "status_events",
                document_id=document.id,
                sender_code=document.sender_code,
                recipient_code=row.recipient_code,
                status_code=status,
                description=reason,
                # Who asked, as the sender's software says (a person reads it on the timeline).
                staff=_staff(item.package) if isinstance(item.package, StatusPackage) else {},
                edxml_timestamp=None,
                message_id=item.message_id,
                source="sender",
                created_at=item.now,
            )
        document.state = DocumentState.RECALL_REQUESTED if asked else DocumentState.RECALLED
        document.latest_message_id = item.message_id
        self._audit(item, "document.recall_requested", document.id, asked=asked)
        return self._result(item, document.id, document.edxml_document_id, asked, status)

    def _update(
        self, session: Session, item: _Incoming, package: DocumentPackage, write: bool
    ) -> SendResult | None:
        document = _own_document(session, item.agency, package.target_document_id)
        if document.state in (DocumentState.RECALLED, DocumentState.REPLACED):
            raise ExchangeError(code=ErrorCode.DOCUMENT_RECALLED, detail={"document": document.id})
        info = package.bussiness.document_info if package.bussiness else None
        receivers = info.receivers if info else ()
        added = self._in_scope(
            item, [r.organ_id for r in receivers if r.receiver_type == ReceiverType.ADDED]
        )
        removed = {r.organ_id for r in receivers if r.receiver_type == ReceiverType.REMOVED}
        if added:
            agency_store.check_recipients(session, added, _local_date(item.now))
        rows = {r.recipient_code: r for r in store.recipients_of(session, document.id)}
        unknown_removed = sorted(removed - set(rows))
        if unknown_removed:
            raise ExchangeError(
                code=ErrorCode.NOT_A_RECIPIENT, detail={"recipients": unknown_removed}
            )
        if not write:
            return None
        self._message(item, document.id, bussiness_doc_type=int(BussinessDocType.UPDATE))
        notified: list[str] = []
        for code_, row in rows.items():
            if code_ in removed:
                row.removed = True
                row.pending = None
            elif not model.may_receive_request(view_of(row)):
                continue
            elif code_ not in added:
                row.pending = PendingRequest.UPDATE
            notified.append(code_)
        for code_ in added:
            if code_ in rows:
                rows[code_].removed = False
                continue
            item.add(
                "document_recipients",
                document_id=document.id,
                recipient_code=code_,
                status=None,
                status_at=None,
                pending=None,
                recalled=False,
                removed=False,
                added_at=item.now,
            )
            notified.append(code_)
        for code_ in self._in_scope(item, notified):
            self._deliver(session, item, code_, document.id)
        self._attachments(item, package, document.id)
        header = package.header
        if header.subject:
            document.subject = header.subject
            document.search_text = model.document_search_text(
                document.code_number, document.code_notation, document.type_name, header.subject
            )
        if header.due_date:
            document.due_date = parse_edxml_date(header.due_date)
        document.latest_message_id = item.message_id
        self._audit(item, "document.updated", document.id, added=added, removed=sorted(removed))
        return self._result(item, document.id, document.edxml_document_id, notified)

    def _status(
        self, session: Session, item: _Incoming, package: StatusPackage, write: bool
    ) -> SendResult | None:
        code = StatusCode(package.status_code)
        response_for = package.response_for
        edxml_id = response_for.document_id or ""
        if code is StatusCode.RECALL_REQUESTED:
            document = _own_document(session, item.agency, edxml_id)
            return self._recall(session, item, document, package.description, write)
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
            row = store.recipient_row(session, candidate.id, item.agency)
            if row is not None:
                document = candidate
                break
        if row is None:
            raise ExchangeError(
                f"{item.agency} is not a recipient of {edxml_id}.",
                code=ErrorCode.NOT_A_RECIPIENT,
                detail={"document": edxml_id},
            )
        outcome = model.apply_status(view_of(row), code, package.description)
        if isinstance(outcome, Refusal):
            raise ExchangeError(
                outcome.message,
                code=outcome.code,
                detail={"current": row.status, "requested": str(code), "pending": row.pending},
            )
        if not write:
            return None
        if code not in (StatusCode.RECALL_AGREED, StatusCode.RECALL_REFUSED):
            row.status = code
            row.status_at = item.now
        row.pending = outcome.pending
        row.recalled = outcome.recalled
        if outcome.answered is PendingRequest.RECALL:
            _settle_recall(session, document)
        self._message(item, document.id, status_code=str(code))
        item.add(
            "status_events",
            document_id=document.id,
            sender_code=document.sender_code,
            recipient_code=item.agency,
            status_code=code,
            description=package.description,
            staff=_staff(package),
            edxml_timestamp=package.timestamp,
            message_id=item.message_id,
            source="recipient",
            created_at=item.now,
        )
        self._deliver(session, item, document.sender_code, document.id)
        self._audit(item, "status.sent", document.id, status=str(code))
        return self._result(
            item, document.id, document.edxml_document_id, [document.sender_code], str(code)
        )

    def _redirect_merged(
        self, session: Session, item: _Incoming, recipients: list[str], today: date
    ) -> list[str]:
        """With ``redirect_merged``: a recipient merged into a successor is replaced by the
        successor (followed to the end of the chain); ``item.redirected`` keeps the trace
        (old code -> new code) for the answer and the audit log, while the package, the
        history and the registry keep the old names."""
        found = agency_store.agencies_by_codes(session, recipients)
        out: list[str] = []
        for code in recipients:
            target, seen = code, {code}
            agency = found.get(code)
            while agency is not None and agency.validity(today) is Validity.MERGED:
                successor = agency.successor_code
                if successor is None or successor in seen:
                    break
                seen.add(successor)
                target = successor
                agency = agency_store.get_agency(session, successor)
            if target != code:
                item.redirected[code] = target
            if target not in out:
                out.append(target)
        return out


def _document_keys(
    agency: str, package: DocumentPackage, now: datetime
) -> tuple[str, str, str, int | None] | None:
    """What identifies a new document of ``agency`` (Decision 28: never twice): its edXML
    DocumentId (made from the sender, date, number and notation when absent), number and
    notation keys and year. ``None`` without a number or notation."""
    header = package.header
    code = header.code
    if code is None or not code.code_number or not code.code_notation:
        return None
    promulgated = parse_edxml_date(
        header.promulgation_info.promulgation_date if header.promulgation_info else None
    )
    edxml_id = header.document_id or make_document_id(
        agency, promulgated or _local_date(now), code.code_number, code.code_notation
    )
    return (
        edxml_id,
        model.normalise_number(code.code_number),
        model.normalise_notation(code.code_notation),
        promulgation_year(header),
    )


class _AlreadyAccepted(Exception):  # noqa: N818 - a control-flow signal, not an error
    """An identical re-send of a document already accepted: answer the original acceptance."""

    def __init__(self, result: SendResult) -> None:
        super().__init__(result.message_id)
        self.result = result


def _identical_original(
    session: Session, duplicate: store.Document, digest: str
) -> store.Message | None:
    """The message that brought ``duplicate`` when it carried exactly these bytes (same
    sender: :func:`store.find_duplicate` looks among the sender's documents only)."""
    original = session.get(store.Message, duplicate.origin_message_id)
    if original is None or original.package_digest != digest or not original.answer:
        return None
    return original


def _replay(earlier: store.Message, digest: str) -> SendResult:
    if earlier.package_digest != digest:
        raise ExchangeError(
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED, detail={"message_id": earlier.id}
        )
    return SendResult.from_answer(earlier.answer, replay=True)


def _own_document(session: Session, agency: str, edxml_id: str | None) -> store.Document:
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


def _settle_recall(session: Session, document: store.Document) -> None:
    """After an answer to a recall: the document is recalled once every holder agreed."""
    session.flush()
    rows = store.recipients_of(session, document.id)
    if any(r.pending == PendingRequest.RECALL for r in rows):
        return
    holders = [r for r in rows if not r.removed and r.status != StatusCode.RETURNED]
    document.state = (
        DocumentState.RECALLED if all(r.recalled for r in holders) else DocumentState.ACTIVE
    )


def _local_date(now: datetime) -> date:
    return now.astimezone(VN_TZ).date()


def _int_or_zero(text: str | None) -> int:
    try:
        return int(text) if text else 0
    except ValueError:
        return 0


def view_of(row: store.Recipient) -> RecipientView:
    """What the transition rules need of a recipient row."""
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
    values = {
        "department": staff.department,
        "staff": staff.staff,
        "email": staff.email,
        "mobile": staff.mobile,
    }
    return {k: v for k, v in values.items() if v}
