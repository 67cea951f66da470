"""Work files: the yearly file list, filing, closing, transfer to the archive, appraisal.

Each action is one transaction (the file's row, an event in its history and an audit entry)
or nothing. An agency sees only its own files; another agency's file answers
``RECORD_FILE_NOT_FOUND``, the same as none (ids cannot be probed), and a document it neither
sent nor received answers ``RECORD_DOCUMENT_NOT_FOUND``.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lienthong.agencies.model import local_date
from lienthong.audit.store import record as audit
from lienthong.blobs import BlobStore
from lienthong.clock import Clock, as_utc
from lienthong.db import Database
from lienthong.edxml.zips import (
    UNREADABLE,
    InflatesTooLarge,
    read_member,
    single_member,
    travels_zipped,
)
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.store import Attachment, Document, Message, StatusEvent
from lienthong.records import archive, store
from lienthong.records.model import (
    LANGUAGES,
    Access,
    Action,
    DocumentMetadata,
    FileMetadata,
    FileState,
    PlanEntry,
    RecordRuleError,
    Retention,
    check_destroy,
    completeness_problems,
    due_for_appraisal,
    next_state,
    plan_problems,
    span,
)
from lienthong.records.store import FileRow, ItemRow, PlanRow
from lienthong.text import fold

MATERIAL_MAX_BYTES = 50 * 1024 * 1024
REASON_MAX = 5000
PACKAGE_MAX_BYTES = 4 * 1024 * 1024 * 1024
INFLATED_MAX_BYTES = 256 * 1024 * 1024


def _detach(session: Session) -> None:
    """Flush, then let go of the loaded rows: they keep their values after the session ends
    (a read session rolls back, a commit would expire them)."""
    session.flush()
    session.expunge_all()


def refuse(code: ErrorCode, message: str | None = None, **detail: Any) -> LienthongError:
    return LienthongError(message, code=code, detail=detail)


@dataclass(frozen=True)
class WorkFile:
    row: FileRow
    items: tuple[ItemRow, ...]
    today: date

    @property
    def retention(self) -> Retention:
        return Retention(self.row.retention_years)

    def metadata(self) -> FileMetadata:
        return metadata_of(self.row, self.items)

    def problems(self) -> list[str]:
        return completeness_problems(self.metadata())

    def as_dict(self) -> dict[str, Any]:
        r = self.row
        meta = self.metadata()
        return {
            "id": r.id,
            "code": r.code,
            "plan_code": r.plan_code,
            "year": r.year,
            "title": r.title,
            "retention": self.retention.label(),
            "retention_years": r.retention_years,
            "access": r.access,
            "language": r.language,
            "responsible": r.responsible,
            "start_on": _iso(meta.start),
            "end_on": _iso(meta.end),
            "state": r.state,
            "document_count": meta.document_count,
            "page_count": meta.page_count,
            "retention_ends_on": _iso(self.retention.ends_on(meta.end) if meta.end else None),
            "due_for_appraisal": due_for_appraisal(self.retention, meta.end, self.today),
            "problems": completeness_problems(meta) if r.state == FileState.OPEN else [],
            "transfer_receipt": r.transfer_receipt,
            "destruction_decision": r.destruction_decision,
            "items": [item_json(i) for i in self.items],
        }


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def item_json(item: ItemRow) -> dict[str, Any]:
    return {
        "id": item.id,
        "kind": item.kind,
        "document_id": item.document_id,
        "name": item.name,
        "pages": item.pages,
        "size": item.size,
        "sha256": item.content_digest,
        "metadata": item.meta,
        "filed_at": item.filed_at.isoformat(),
        "filed_by": item.filed_by,
    }


def _document_meta(item: ItemRow) -> DocumentMetadata:
    m = item.meta
    issued = m.get("issued_on")
    return DocumentMetadata(
        document_id=str(m.get("document_id") or ""),
        number_notation=str(m.get("number_notation") or ""),
        issued_on=date.fromisoformat(issued) if issued else None,
        issuer=str(m.get("issuer") or ""),
        subject=str(m.get("subject") or ""),
        type_name=str(m.get("type_name") or ""),
        signer=str(m.get("signer") or ""),
        pages=item.pages,
        language=str(m.get("language") or ""),
        signature=str(m.get("signature") or ""),
        signed=bool(m.get("signed")),
    )


def metadata_of(row: FileRow, items: Sequence[ItemRow]) -> FileMetadata:
    documents = [_document_meta(i) for i in items if i.kind == "document"]
    start, end = span(d.issued_on for d in documents)
    return FileMetadata(
        code=row.code,
        title=row.title,
        retention=Retention(row.retention_years),
        access=Access(row.access),
        language=row.language,
        start=row.start_on or start,
        end=row.end_on or end,
        responsible=row.responsible,
        documents=documents,
        material_pages=row.material_pages
        + sum(i.pages or 0 for i in items if i.kind == "material"),
    )


TEXT_PAGES_MAX = 300  # pages whose text is indexed for search
TEXT_CHARS_MAX = 200_000


def read_pdf(data: bytes) -> tuple[int | None, str]:
    """A PDF's page count and its text (what a viewer shows, through each font's ToUnicode
    map: Vietnamese with its diacritics), read by pypdf; ``(None, "")`` when it cannot be read
    as a PDF. The text is capped (``TEXT_PAGES_MAX`` pages, ``TEXT_CHARS_MAX`` characters)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = len(reader.pages)
        parts: list[str] = []
        size = 0
        for page in reader.pages[:TEXT_PAGES_MAX]:
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
            if size >= TEXT_CHARS_MAX:
                break
        return pages, "\n".join(parts)[:TEXT_CHARS_MAX]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError):
        return None, ""  # a damaged or foreign file: its pages and text stay unknown


def _signature_summary(validation: dict[str, Any] | None) -> str:
    if not validation or not validation.get("signer"):
        return ""
    signer = validation["signer"]
    who = signer.get("common_name") or signer.get("name") or signer.get("subject") or "?"
    when = validation.get("signing_time") or validation.get("validated_at") or ""
    return (
        f"{who}; {signer.get('organisation') or signer.get('agency') or ''}; "
        f"serial {signer.get('serial', '')}; {when}; {validation.get('overall', '')}"
    )


class RecordService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        blobs: BlobStore,
        *,
        names: dict[str, str] | None = None,
        package_max_bytes: int = PACKAGE_MAX_BYTES,
    ) -> None:
        self.db = db
        self.clock = clock
        self.blobs = blobs
        self.names = names or {}
        self.package_max_bytes = package_max_bytes

    def today(self) -> date:
        return local_date(self.clock.now())

    # --- the yearly file list --------------------------------------------------------------

    def import_plan(
        self, agency: str, year: int, entries: Sequence[PlanEntry], *, actor: str
    ) -> int:
        """Add or update the lines of ``agency``'s file list for ``year``; refused whole
        (``RECORD_PLAN_INVALID`` with its problems) when any line is wrong."""
        if not 2000 <= year <= 2100:
            raise refuse(ErrorCode.RECORD_PLAN_INVALID, problems=[f"year {year} is not a year"])
        problems = plan_problems(entries)
        if not entries:
            problems.append("the file list has no line")
        if problems:
            raise refuse(ErrorCode.RECORD_PLAN_INVALID, problems=problems)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            for entry in entries:
                row = store.plan_entry(session, agency, year, entry.code.strip())
                if row is None:
                    row = PlanRow(agency_code=agency, year=year, code=entry.code.strip())
                    row.created_at = now
                    session.add(row)
                row.title = entry.title.strip()
                row.retention_years = entry.retention.years
                row.responsible = entry.responsible.strip()
                row.section = entry.section.strip()
            audit(
                session,
                at=now,
                actor=actor,
                action="records.plan_imported",
                subject=f"{agency}/{year}",
                detail={"lines": len(entries)},
            )
        return len(entries)

    def plan(self, agency: str, year: int) -> list[PlanRow]:
        with self.db.read() as session:
            found = list(store.plan(session, agency, year))
            session.expunge_all()
            return found

    # --- files -----------------------------------------------------------------------------

    def open_file(
        self,
        agency: str,
        year: int,
        plan_code: str,
        *,
        actor: str,
        access: str = "public",
        language: str = "vi",
    ) -> WorkFile:
        if language not in LANGUAGES:
            raise refuse(ErrorCode.RECORD_FIELD_INVALID, field="language", value=language)
        try:
            access_kind = Access(access)
        except ValueError:
            raise refuse(ErrorCode.RECORD_FIELD_INVALID, field="access", value=access) from None
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            entry = store.plan_entry(session, agency, year, plan_code)
            if entry is None:
                raise refuse(ErrorCode.RECORD_PLAN_ENTRY_UNKNOWN, year=year, plan_code=plan_code)
            if store.file_by_plan(session, agency, year, plan_code) is not None:
                raise refuse(ErrorCode.RECORD_FILE_EXISTS, year=year, plan_code=plan_code)
            row = FileRow(
                agency_code=agency,
                year=year,
                plan_code=plan_code,
                code=f"{agency}.{year}.{plan_code}",
                title=entry.title,
                retention_years=entry.retention_years,
                access=str(access_kind),
                language=language,
                responsible=entry.responsible,
                state=str(FileState.OPEN),
                material_pages=0,
                created_at=now,
            )
            row.search_text = fold(f"{row.code} {row.title} {row.responsible}")
            session.add(row)
            session.flush()
            store.add_event(session, row.id, "opened", actor, now)
            audit(session, at=now, actor=actor, action="records.file_opened", subject=row.code)
            _detach(session)
            return WorkFile(row, (), local_date(now))

    def file(self, agency: str, file_id: int) -> WorkFile:
        with self.db.read() as session:
            row = store.file_of(session, agency, file_id)
            if row is None:
                raise refuse(ErrorCode.RECORD_FILE_NOT_FOUND, id=file_id)
            work = WorkFile(row, tuple(store.items(session, row.id)), self.today())
            session.expunge_all()
            return work

    def files(
        self, agency: str, *, year: int | None = None, states: Sequence[str] = (), query: str = ""
    ) -> list[WorkFile]:
        with self.db.read() as session:
            rows = store.files(session, agency, year=year, states=states, query=query)
            found = [WorkFile(r, tuple(store.items(session, r.id)), self.today()) for r in rows]
            session.expunge_all()
            return found

    def history(self, agency: str, file_id: int) -> list[store.FileEventRow]:
        with self.db.read() as session:
            if store.file_of(session, agency, file_id) is None:
                raise refuse(ErrorCode.RECORD_FILE_NOT_FOUND, id=file_id)
            found = list(store.events(session, file_id))
            session.expunge_all()
            return found

    def search(self, agency: str, query: str) -> list[tuple[ItemRow, FileRow]]:
        with self.db.read() as session:
            hits = list(store.item_search(session, agency, query))
            session.expunge_all()
            return hits

    def _open_for_change(self, session: Session, agency: str, file_id: int) -> FileRow:
        row = store.file_of(session, agency, file_id, lock=True)
        if row is None:
            raise refuse(ErrorCode.RECORD_FILE_NOT_FOUND, id=file_id)
        if row.state != FileState.OPEN:
            raise refuse(ErrorCode.RECORD_FILE_READ_ONLY, state=row.state)
        return row

    def file_document(self, agency: str, file_id: int, document_id: str, *, actor: str) -> ItemRow:
        """File a document ``agency`` sent or received, its metadata filled from what the hub
        knows (number, date, issuer, subject, type, signer, pages, the signature's report)."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = self._open_for_change(session, agency, file_id)
            doc = store.own_document(session, agency, document_id)
            if doc is None:
                raise refuse(ErrorCode.RECORD_DOCUMENT_NOT_FOUND, document=document_id)
            exists = session.scalars(
                select(ItemRow.id).where(
                    ItemRow.file_id == row.id, ItemRow.document_id == document_id
                )
            ).first()
            if exists is not None:
                raise refuse(ErrorCode.RECORD_DOCUMENT_ALREADY_FILED, document=document_id)
            meta, pages, name, text = self._describe(session, doc)
            item = ItemRow(
                file_id=row.id,
                kind="document",
                document_id=doc.id,
                name=name,
                pages=pages,
                meta=meta,
                filed_by=actor,
                filed_at=now,
            )
            item.search_text = fold(
                " ".join(
                    str(meta.get(k) or "")
                    for k in ("number_notation", "subject", "type_name", "issuer", "signer")
                )
                + " "
                + text
            )
            session.add(item)
            session.flush()
            store.add_event(session, row.id, "filed", actor, now, detail={"document": doc.id})
            audit(
                session,
                at=now,
                actor=actor,
                action="records.document_filed",
                subject=row.code,
                detail={"document": doc.id},
            )
            _detach(session)
            return item

    def _describe(
        self, session: Session, doc: Document
    ) -> tuple[dict[str, Any], int | None, str, str]:
        message = session.get(Message, doc.latest_message_id) or session.get(
            Message, doc.origin_message_id
        )
        pages = None
        text = ""
        name = doc.subject or doc.code_notation
        for att in self._attachments(session, doc):
            file_name, data = self._content(att)
            if file_name.lower().endswith(".pdf") or data.startswith(b"%PDF"):
                pages, text = read_pdf(data)
                name = file_name
                break
        validation = message.validation if message is not None else None
        notation = f"{doc.code_number}/{doc.code_notation}".strip("/")
        meta = {
            "document_id": doc.edxml_document_id,
            "number_notation": notation,
            "issued_on": _iso(doc.promulgation_date),
            "issuer": self.names.get(doc.sender_code, doc.sender_code),
            "issuer_code": doc.sender_code,
            "subject": doc.subject or "",
            "type_name": doc.type_name or "",
            "signer": doc.signer_name or "",
            "language": "vi",
            "signed": bool(doc.signed),
            "signature": _signature_summary(validation),
        }
        return meta, pages, name, text

    def _content(self, att: Attachment) -> tuple[str, bytes]:
        """An attachment as the sender's file: a zip of one file (the SDK's way) inflated,
        at most ``INFLATED_MAX_BYTES``; anything else as it travelled."""
        name = att.name or att.content_id
        with self.blobs.open(att.digest) as fh:
            data = fh.read()
        if travels_zipped(att.name, att.content_type):
            try:
                member = single_member(io.BytesIO(data))
                if member is not None:
                    inner = read_member(io.BytesIO(data), member.filename, INFLATED_MAX_BYTES)
                    return archive.safe_name(member.filename), inner
            except (InflatesTooLarge, *UNREADABLE):
                pass
        return name, data

    @staticmethod
    def _attachments(session: Session, doc: Document) -> Sequence[Attachment]:
        for message_id in (doc.latest_message_id, doc.origin_message_id):
            found = session.scalars(
                select(Attachment)
                .where(Attachment.document_id == doc.id, Attachment.message_id == message_id)
                .order_by(Attachment.id)
            ).all()
            if found:
                return found
        return ()

    def add_material(
        self,
        agency: str,
        file_id: int,
        name: str,
        data: bytes,
        *,
        actor: str,
        pages: int | None = None,
        content_type: str | None = None,
    ) -> ItemRow:
        if not data or len(data) > MATERIAL_MAX_BYTES:
            raise refuse(
                ErrorCode.RECORD_MATERIAL_INVALID, size=len(data), limit=MATERIAL_MAX_BYTES
            )
        clean = archive.safe_name(name, "tai-lieu")
        text = ""
        if data.startswith(b"%PDF"):
            read_pages, text = read_pdf(data)
            pages = read_pages if pages is None else pages
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = self._open_for_change(session, agency, file_id)
            digest = self.blobs.put_bytes(data)
            item = ItemRow(
                file_id=row.id,
                kind="material",
                name=clean,
                content_type=content_type,
                content_digest=digest,
                size=len(data),
                pages=pages,
                meta={"original_name": name[:500]},
                search_text=fold(f"{name} {text}"),
                filed_by=actor,
                filed_at=now,
            )
            session.add(item)
            session.flush()
            store.add_event(session, row.id, "material_added", actor, now, detail={"name": clean})
            audit(session, at=now, actor=actor, action="records.material_added", subject=row.code)
            _detach(session)
            return item

    def remove_item(self, agency: str, file_id: int, item_id: int, *, actor: str) -> None:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = self._open_for_change(session, agency, file_id)
            item = session.get(ItemRow, item_id)
            if item is None or item.file_id != row.id:
                raise refuse(ErrorCode.RECORD_ITEM_NOT_FOUND, id=item_id)
            store.add_event(
                session,
                row.id,
                "item_removed",
                actor,
                now,
                detail={"item": item.id, "document": item.document_id, "name": item.name},
            )
            session.delete(item)
            audit(session, at=now, actor=actor, action="records.item_removed", subject=row.code)

    # --- the file's life -------------------------------------------------------------------

    def _transition(
        self,
        agency: str,
        file_id: int,
        action: Action,
        *,
        actor: str,
        reason: str | None = None,
        check: Any = None,
    ) -> WorkFile:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = store.file_of(session, agency, file_id, lock=True)
            if row is None:
                raise refuse(ErrorCode.RECORD_FILE_NOT_FOUND, id=file_id)
            items = tuple(store.items(session, row.id))
            try:
                state = next_state(FileState(row.state), action)
            except RecordRuleError as exc:
                raise refuse(
                    ErrorCode.RECORD_STATE_INVALID, str(exc), state=row.state, action=str(action)
                ) from None
            if check is not None:
                check(session, row, items, local_date(now))
            row.state = str(state)
            store.add_event(session, row.id, str(action), actor, now, reason=reason)
            audit(
                session,
                at=now,
                actor=actor,
                action=f"records.file_{action}",
                subject=row.code,
                detail={"reason": reason} if reason else None,
            )
            _detach(session)
            return WorkFile(row, items, local_date(now))

    def close(self, agency: str, file_id: int, *, actor: str) -> WorkFile:
        """Close a complete file: its dates are fixed, it becomes read-only."""

        def complete(_s: Session, row: FileRow, items: Sequence[ItemRow], _today: date) -> None:
            meta = metadata_of(row, items)
            problems = completeness_problems(meta)
            if problems:
                raise refuse(ErrorCode.RECORD_FILE_INCOMPLETE, problems=problems)
            row.start_on, row.end_on = meta.start, meta.end
            row.closed_at = self.clock.now()

        return self._transition(agency, file_id, Action.CLOSE, actor=actor, check=complete)

    def reopen(self, agency: str, file_id: int, *, actor: str, reason: str) -> WorkFile:
        if not reason.strip() or len(reason) > REASON_MAX:
            raise refuse(ErrorCode.RECORD_REASON_REQUIRED)
        return self._transition(agency, file_id, Action.REOPEN, actor=actor, reason=reason.strip())

    def appraisal(self, agency: str) -> list[WorkFile]:
        """Closed or transferred files whose retention has run out (for the appraisal
        council): nothing is destroyed without a decision."""
        today = self.today()
        return [
            f
            for f in self.files(agency, states=[FileState.CLOSED, FileState.TRANSFERRED])
            if due_for_appraisal(f.retention, f.row.end_on, today)
        ]

    def destroy(self, agency: str, file_id: int, *, actor: str, decision: str) -> WorkFile:
        """Destroy a file on a decision: the materials' contents go, the metadata stays as a
        tombstone (the file row, its items' metadata, its history)."""

        def allowed(_s: Session, row: FileRow, items: Sequence[ItemRow], today: date) -> None:
            try:
                check_destroy(
                    FileState(row.state),
                    Retention(row.retention_years),
                    row.end_on,
                    today,
                    decision,
                )
            except RecordRuleError as exc:
                code = (
                    ErrorCode.RECORD_DECISION_REQUIRED
                    if exc.kind == "decision"
                    else ErrorCode.RECORD_RETENTION_NOT_ENDED
                )
                raise refuse(code, str(exc)) from None
            for item in items:
                item.content_digest = None
            row.destroyed_at = self.clock.now()
            row.destruction_decision = decision.strip()

        return self._transition(
            agency, file_id, Action.DESTROY, actor=actor, reason=decision.strip(), check=allowed
        )

    # --- transfer (nộp lưu) ----------------------------------------------------------------

    def export_package(self, agency: str, file_id: int, out: Path, *, actor: str) -> str:
        """Write the transfer package of a closed file to ``out``; return its manifest's
        SHA-256 (which the archive's receipt must name)."""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = store.file_of(session, agency, file_id, lock=True)
            if row is None:
                raise refuse(ErrorCode.RECORD_FILE_NOT_FOUND, id=file_id)
            if row.state != FileState.CLOSED:
                raise refuse(ErrorCode.RECORD_STATE_INVALID, state=row.state, action="export")
            items = tuple(store.items(session, row.id))
            packed = self._pack(session, row, items)
            manifest = archive.build(packed, out, bagged_on=local_date(now))
            row.exported_manifest = manifest
            store.add_event(session, row.id, "exported", actor, now, detail={"manifest": manifest})
            audit(session, at=now, actor=actor, action="records.file_exported", subject=row.code)
        return manifest

    def _pack(self, session: Session, row: FileRow, items: Sequence[ItemRow]) -> archive.PackedFile:
        meta = metadata_of(row, items)
        packed = archive.PackedFile(
            meta={
                "FileCode": row.code,
                "Title": row.title,
                "Retention": Retention(row.retention_years).label(),
                "RetentionYears": row.retention_years if row.retention_years else "",
                "Access": row.access,
                "Language": row.language,
                "StartDate": meta.start,
                "EndDate": meta.end,
                "DocumentCount": meta.document_count,
                "PageCount": meta.page_count,
                "Responsible": row.responsible,
                "Agency": row.agency_code,
                "AgencyName": self.names.get(row.agency_code, row.agency_code),
            },
            source=f"{row.agency_code} {self.names.get(row.agency_code, '')}".strip(),
        )
        for item in items:
            if item.kind == "material":
                if item.content_digest is None:
                    continue
                with self.blobs.open(item.content_digest) as fh:
                    packed.materials.append(archive.Content(item.name, fh.read()))
                continue
            doc = session.get(Document, item.document_id) if item.document_id else None
            m = item.meta
            entry = archive.PackedDocument(
                meta={
                    "DocumentId": m.get("document_id"),
                    "NumberNotation": m.get("number_notation"),
                    "IssuedOn": m.get("issued_on"),
                    "Issuer": m.get("issuer"),
                    "IssuerCode": m.get("issuer_code"),
                    "Subject": m.get("subject"),
                    "TypeName": m.get("type_name"),
                    "Signer": m.get("signer"),
                    "PageCount": item.pages,
                    "Language": m.get("language"),
                    "DigitalSignature": m.get("signature"),
                }
            )
            if doc is not None:
                for att in self._attachments(session, doc):
                    entry.files.append(archive.Content(*self._content(att)))
                message = session.get(Message, doc.latest_message_id)
                if message is not None:
                    with self.blobs.open(message.package_digest) as fh:
                        entry.files.append(archive.Content("package.edxml", fh.read()))
                    entry.validation = message.validation
                events = session.scalars(
                    select(StatusEvent)
                    .where(StatusEvent.document_id == doc.id)
                    .order_by(StatusEvent.id)
                ).all()
                entry.timeline = [
                    {
                        "status": e.status_code,
                        "recipient": e.recipient_code,
                        "description": e.description,
                        "at": e.created_at.isoformat(),
                    }
                    for e in events
                ]
            packed.documents.append(entry)
        return packed

    def confirm_transfer(
        self, agency: str, file_id: int, receipt: dict[str, Any], *, actor: str
    ) -> WorkFile:
        """Record the archive's receipt: it must name the package last exported."""

        def matches(_s: Session, row: FileRow, _i: Sequence[ItemRow], _t: date) -> None:
            if not row.exported_manifest or receipt.get("manifest_sha256") != (
                row.exported_manifest
            ):
                raise refuse(
                    ErrorCode.RECORD_RECEIPT_MISMATCH,
                    expected=row.exported_manifest,
                    received=receipt.get("manifest_sha256"),
                )
            row.transfer_receipt = receipt
            row.transferred_at = self.clock.now()

        return self._transition(agency, file_id, Action.TRANSFER, actor=actor, check=matches)

    def receive_package(self, archive_code: str, package: Path, *, actor: str) -> dict[str, Any]:
        """The archive's side: check the package whole (paths, size, every checksum, the
        metadata), keep it, and answer a receipt. A package received before answers the same
        receipt; a refused one stores nothing."""
        try:
            with archive.opened(package, max_bytes=self.package_max_bytes) as bag:
                manifest = bag.manifest_sha256
                meta = bag.metadata
                files = bag.payload_files
        except archive.PackageError as exc:
            code = {
                "unsafe": ErrorCode.RECORD_PACKAGE_UNSAFE,
                "too_large": ErrorCode.RECORD_PACKAGE_TOO_LARGE,
                "fixity": ErrorCode.RECORD_PACKAGE_FIXITY,
                "metadata": ErrorCode.RECORD_PACKAGE_METADATA,
            }.get(exc.kind, ErrorCode.RECORD_PACKAGE_MALFORMED)
            raise refuse(code, str(exc), problems=list(exc.problems)) from None
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            existing = session.scalars(
                select(store.AccessionRow).where(
                    store.AccessionRow.archive_code == archive_code,
                    store.AccessionRow.manifest_sha256 == manifest,
                )
            ).first()
            if existing is not None:
                return receipt_of(existing)
            copy, digest = _hashed_copy(package)
            self.blobs.put_file(copy, digest)
            row = store.AccessionRow(
                archive_code=archive_code,
                source_code=str(meta.get("Agency") or ""),
                file_code=str(meta.get("FileCode")),
                title=str(meta.get("Title")),
                manifest_sha256=manifest,
                package_digest=digest,
                package_size=package.stat().st_size,
                files=files,
                meta=meta,
                received_by=actor,
                received_at=now,
            )
            session.add(row)
            session.flush()
            audit(
                session,
                at=now,
                actor=actor,
                action="records.package_received",
                subject=row.file_code,
                detail={"manifest": manifest, "files": files},
            )
            return receipt_of(row)

    def accessions(self, archive_code: str) -> list[store.AccessionRow]:
        with self.db.read() as session:
            found = list(
                session.scalars(
                    select(store.AccessionRow)
                    .where(store.AccessionRow.archive_code == archive_code)
                    .order_by(store.AccessionRow.id.desc())
                ).all()
            )
            session.expunge_all()
            return found


def receipt_of(row: store.AccessionRow) -> dict[str, Any]:
    return {
        "accession": row.id,
        "archive": row.archive_code,
        "file_code": row.file_code,
        "manifest_sha256": row.manifest_sha256,
        "package_sha256": row.package_digest,
        "files": row.files,
        "received_at": as_utc(row.received_at).isoformat(),
    }


def _hashed_copy(path: Path) -> tuple[Path, str]:
    """A copy the blob store may consume (the caller's file stays), and its SHA-256, in one
    pass."""
    digest = hashlib.sha256()
    fd, name = tempfile.mkstemp(prefix="accession-", dir=path.parent)
    with open(fd, "wb") as out, path.open("rb") as src:
        while chunk := src.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return Path(name), digest.hexdigest()


def records_service(container: Any) -> RecordService:
    """The service of a hub's container (``lienthong.web.container.Container``), agency names
    from the registry."""
    return RecordService(
        container.db,
        container.clock,
        container.blobs,
        names={a.code: a.name for a in container.agencies.list_all()},
    )
