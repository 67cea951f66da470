"""The clerk application's use cases for ONE agency's web users (văn thư, lãnh đạo, chuyên
viên) on this hub.

Every status a user sets travels as an ordinary status package through the hub's intake, sent
as the user's agency (exactly what an agency's own software would send); composing ends in
:class:`~lienthong.issuance.service.IssuanceService`, which numbers only a PDF the competent
person signed (Decree 30/2020/NĐ-CP Art. 25). Every action is audited with the user's name.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy.exc import IntegrityError

from lienthong.accounts.model import Role, User
from lienthong.accounts.service import AccountService
from lienthong.audit.store import record
from lienthong.blobs import BlobStore
from lienthong.blobs.staging import StagingArea
from lienthong.calendar import WorkingCalendar
from lienthong.clerk import model, store
from lienthong.clerk.remote import RemoteSigner, StartedSignature
from lienthong.clerk.signing import Signer
from lienthong.clock import VN_TZ, Clock
from lienthong.db import Database
from lienthong.edxml import build_status, make_status, zips
from lienthong.edxml.model import StaffInfo, StatusCode
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.service import ExchangeService, SendResult
from lienthong.issuance.service import IssuanceService
from lienthong.notifications import store as notices
from lienthong.notifications.model import NotificationKind, shorten
from lienthong.remotesign.model import RemoteSigningError
from lienthong.trust.pdf import PreparedSignature
from lienthong.trust.pdf_validation import TrustSource, current_trust, validate_pdf

PAGE_SIZE = 25
# Statuses of the processing chain that enter a received document in the register of incoming
# documents when it is not there yet (Decree 30/2020 Art. 22: register, then assign).
REGISTERING = frozenset(
    {StatusCode.ACCEPTED, StatusCode.ASSIGNED, StatusCode.PROCESSING, StatusCode.COMPLETED}
)
# Tries at the next arrival number when another registration took it first.
REGISTER_ATTEMPTS = 5
KEPT_FOLDER = "kept-uploads"  # under the staging folder: compose forms' PDFs, for a day
KEPT_SECONDS = 24 * 3600
_DIGEST = re.compile(r"[0-9a-f]{64}")

# Which role may set which status (Decree 30/2020 Art. 21-22: the clerk registers, returns
# and submits for assignment; the assigned specialist processes and completes).
STATUS_ROLES: dict[StatusCode, tuple[Role, ...]] = {
    StatusCode.ACCEPTED: (Role.CLERK,),
    StatusCode.RETURNED: (Role.CLERK,),
    StatusCode.ASSIGNED: (Role.CLERK, Role.LEADER),
    StatusCode.PROCESSING: (Role.SPECIALIST, Role.CLERK),
    StatusCode.COMPLETED: (Role.SPECIALIST, Role.CLERK),
    StatusCode.RECALL_AGREED: (Role.CLERK,),
    StatusCode.RECALL_REFUSED: (Role.CLERK,),
}

STATUS_TEXT = {
    StatusCode.ACCEPTED: "Đã tiếp nhận, vào sổ văn bản đến",
    StatusCode.RETURNED: "Trả lại văn bản",
    StatusCode.ASSIGNED: "Đã phân công xử lý",
    StatusCode.PROCESSING: "Đang xử lý",
    StatusCode.COMPLETED: "Đã hoàn thành xử lý",
    StatusCode.RECALL_AGREED: "Đồng ý thu hồi",
    StatusCode.RECALL_REFUSED: "Từ chối thu hồi",
    StatusCode.RECALL_REQUESTED: "Đề nghị thu hồi văn bản",
}

# Statuses 15/16 also answer an update (BussinessDocType 2) of the sender.
UPDATE_ANSWER_TEXT = {
    StatusCode.RECALL_AGREED: "Đồng ý cập nhật",
    StatusCode.RECALL_REFUSED: "Từ chối cập nhật",
}
# Descriptions that only repeat what the status says: not shown as a note in the timeline.
BOILERPLATE = frozenset(STATUS_TEXT.values()) | frozenset(UPDATE_ANSWER_TEXT.values())


class ClerkError(LienthongError):
    default_code = ErrorCode.REQUEST_INVALID


@dataclass(frozen=True)
class Draft:
    subject: str
    type_name: str
    notation: str
    recipients: tuple[str, ...]
    priority: int = 0
    signer_position: str = ""
    replaces: str | None = None  # the hub's id of a sent document of the agency
    due_date: date | None = None  # the processing deadline asked of the recipients (DueDate)


@dataclass(frozen=True)
class Counters:
    """What waits for the signed-in user (the navigation's badges and the inbox's counters);
    each figure is the count of the inbox list its link opens."""

    new: int = 0  # received, not yet registered: no status, or only 01 (opened)
    overdue: int = 0  # past the document's due date (DueDate), neither returned nor completed
    to_sign: int = 0  # drafts awaiting the competent person's signature (leaders)
    mine: int = 0  # assigned to the user and not yet completed (specialists)


def forbid(message: str = "Your role does not allow this action.") -> ClerkError:
    return ClerkError(message, code=ErrorCode.FORBIDDEN)


class ClerkService:
    def __init__(
        self,
        *,
        db: Database,
        exchange: ExchangeService,
        blobs: BlobStore,
        clock: Clock,
        accounts: AccountService,
        staging_dir: Path,
        issuance: IssuanceService | None = None,
        signer: Signer | None = None,
        remote: RemoteSigner | None = None,
        pdf_trust: TrustSource | None = None,
        calendar: WorkingCalendar | None = None,
        processing_days: int = 10,
        max_inflated_bytes: int = 225 * 1024 * 1024,
    ) -> None:
        self.db = db
        self.exchange = exchange
        self.blobs = blobs
        self.clock = clock
        self.accounts = accounts
        self.staging_dir = staging_dir
        self.issuance = issuance
        self.signer = signer
        # The leaders sign through a remote signing service (the key never on the hub).
        self.remote = remote
        self.pdf_trust = pdf_trust
        self.calendar = calendar or WorkingCalendar()
        # The internal deadline of a registered document whose sender asked for none.
        self.processing_days = processing_days
        # No zipped attachment is ever inflated beyond this (intake refuses larger ones).
        self.max_inflated_bytes = max_inflated_bytes

    # --- reading -------------------------------------------------------------------------

    def inbox(
        self, user: User, f: store.InboxFilter, page: int = 1
    ) -> tuple[list[dict[str, Any]], int]:
        now = self.clock.now()
        with self.db.read() as session:
            items, total = store.inbox(
                session, user.agency_code, f, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
            )
        for item in items:
            gone = bool(item["recalled"] or item["removed"])
            deadline = model.deadline_of(
                item["due_date"],
                status=item["status"],
                now=now,
                calendar=self.calendar,
                recalled=gone,
            )
            item["overdue"] = deadline.overdue
            item["due_soon"] = deadline.state is model.DeadlineState.DUE_SOON
            item["urgent"] = (
                item["priority"] >= 1 and not gone and item["status"] not in store.FINAL
            )
        return items, total

    def counters(self, user: User) -> Counters:
        """The user's figures: a clerk or leader sees the agency's new and overdue documents,
        a specialist the overdue ones among those assigned to them; a leader the drafts to
        sign. The overdue rule is the inbox's: ``due_date`` before Vietnam's today."""
        today = model.vietnam_date(self.clock.now())
        agency = user.agency_code
        desk = user.has(Role.CLERK, Role.LEADER)
        mine = None if desk else user.username
        with self.db.read() as session:
            return Counters(
                new=store.count_inbox(session, agency, store.InboxFilter(status="new"))
                if desk
                else 0,
                overdue=store.count_inbox(
                    session,
                    agency,
                    store.InboxFilter(
                        overdue_on=today,
                        overdue_last_due=model.latest_overdue_due(today, self.calendar),
                        assigned_to=mine,
                    ),
                ),
                to_sign=store.count_drafts_to_sign(session, agency) if user.has(Role.LEADER) else 0,
                mine=store.count_inbox(
                    session,
                    agency,
                    store.InboxFilter(assigned_to=user.username, open_only=True),
                )
                if user.has(Role.SPECIALIST)
                else 0,
            )

    def to_sign(self, leader: User) -> list[dict[str, Any]]:
        """The "Chờ ký" queue: the agency's drafts awaiting the competent person's signature,
        oldest first, each with who prepared it (name and title) and since when."""
        if not leader.has(Role.LEADER):
            raise forbid()
        with self.db.read() as session:
            drafts = store.drafts_to_sign(session, leader.agency_code)
        people = self.people(leader.agency_code)
        return [
            {
                "draft": d,
                "prepared_by": people.get(d.created_by, d.created_by),
                "since": d.created_at,
            }
            for d in drafts
        ]

    def people(self, agency: str) -> dict[str, str]:
        """The agency's web users, login name -> name and title (what pages show)."""
        return {u.username: u.name_and_title for u in self.accounts.list_users(agency)}

    def agency_names(self, codes: Sequence[str]) -> dict[str, str]:
        """Registered agencies among ``codes``, code -> full name."""
        with self.db.read() as session:
            return {a.code: a.name for a in self._agencies(session, list(codes))}

    def senders(self, user: User) -> list[tuple[str, str]]:
        with self.db.read() as session:
            return store.senders_of(session, user.agency_code)

    def document(self, user: User, document_id: str) -> dict[str, Any]:
        """The document as the user's agency sees it (DOCUMENT_NOT_FOUND for anyone else).

        A recipient's clerk opening it for the first time records status 01 (arrived), which
        reaches the sender and the monitoring centre (Decree 30/2020 Art. 21)."""
        view = self.exchange.document_view(user.agency_code, document_id)
        opened = [
            r for r in view["recipients"] if r["code"] == user.agency_code and r["status"] is None
        ]
        if (
            opened
            and not (opened[0]["removed"] or opened[0]["recalled"])
            and self.exchange.record_opened(user.agency_code, document_id)
        ):
            view = self.exchange.document_view(user.agency_code, document_id)
        view["is_sender"] = view["sender"] == user.agency_code
        with self.db.read() as session:
            row = store.assignment(session, document_id, user.agency_code)
            view["assignment"] = (
                None
                if row is None
                else {"specialist": row.specialist, "by": row.assigned_by, "at": row.at}
            )
            names = {
                a.code: a.name for a in self._agencies(session, [view["sender"], *_codes(view)])
            }
            entry = store.registration(session, document_id, user.agency_code)
            registered = (
                None
                if entry is None
                else {
                    "number": entry.arrival_number,
                    "year": entry.year,
                    "at": entry.registered_at,
                    "by": entry.registered_by,
                    "due_date": entry.due_date,
                }
            )
        view["names"] = names
        if view["assignment"] is not None:
            people = self.people(user.agency_code)
            found = view["assignment"]
            found["specialist_name"] = people.get(found["specialist"], found["specialist"])
            found["by_name"] = people.get(found["by"], found["by"])
        mine = [r for r in view["recipients"] if r["code"] == user.agency_code]
        view["mine"] = mine[0] if mine else None
        self._deadline_view(view, registered)
        view["events"] = model.readable_timeline(
            view["timeline"], names=names, boilerplate=BOILERPLATE
        )
        # An update re-attaches the original files: show each file once (the first copy).
        seen: set[tuple[str, str]] = set()
        unique = []
        for item in view["attachments"]:
            key = (item["content_id"], item["name"] or "")
            if key not in seen:
                seen.add(key)
                unique.append(item)
        view["attachments"] = unique
        view["pdf_signatures"] = self._pdf_reports(view)
        return view

    def _deadline_view(self, view: dict[str, Any], registered: dict[str, Any] | None) -> None:
        """The recipient's register line (``registration``: number, year, at, by, due_date),
        its deadline as of now and the default of the register form (``default_due``)."""
        now = self.clock.now()
        sender_due = date.fromisoformat(view["due_date"]) if view["due_date"] else None
        view["registration"] = registered
        view["default_due"] = model.default_deadline(
            model.vietnam_date(now), sender_due, self.processing_days, self.calendar
        )
        mine = view["mine"]
        view["deadline"] = None
        if mine is not None:
            due = registered["due_date"] if registered is not None else None
            view["deadline"] = model.deadline_of(
                due or sender_due,
                status=mine["status"],
                now=now,
                calendar=self.calendar,
                recalled=bool(mine["recalled"] or mine["removed"]),
            )

    def attachment(
        self, user: User, document_id: str, content_id: str
    ) -> tuple[AttachmentFile, Iterator[bytes]]:
        """An attachment (unzipped when it travelled as a single-file zip, the SDK's way) and
        its bytes as chunks to stream: nothing is read before the first chunk is asked, and
        it is never whole in memory."""
        view = self.exchange.document_view(user.agency_code, document_id)
        for item in view["attachments"]:
            if item["content_id"] == content_id:
                file = self._file(item)
                return file, self._chunks(file)
        raise ClerkError(code=ErrorCode.DOCUMENT_NOT_FOUND)

    def outbox(self, user: User, limit: int = 50, text: str | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` documents the user's agency sent, with their recipients' names;
        with ``text``, those whose number, notation, type, subject or a recipient's name contain
        it, typed with or without diacritics."""
        items, _cursor = self.exchange.sent_documents(user.agency_code, limit=limit, text=text)
        with self.db.read() as session:
            codes = {r["code"] for i in items for r in i["recipients"]}
            names = {a.code: a.name for a in self._agencies(session, codes)}
        for item in items:
            for r in item["recipients"]:
                r["name"] = names.get(r["code"], r["code"])
        return items

    def specialists(self, user: User) -> list[User]:
        return self.accounts.users_with_role(user.agency_code, Role.SPECIALIST)

    def search_agencies(self, text: str) -> list[dict[str, Any]]:
        with self.db.read() as session:
            today = self.clock.now().astimezone(VN_TZ).date()
            rows = store.agencies_matching(session, text, on=today)
            return [{"code": a.code, "name": a.name, "level": a.level} for a in rows]

    def agencies_named(self, codes: Sequence[str]) -> list[dict[str, Any]]:
        """The registered agencies among ``codes`` (recipients ticked on a form), by level."""
        if not codes:
            return []
        with self.db.read() as session:
            rows = store.agencies_with_codes(session, codes)
            return [{"code": a.code, "name": a.name, "level": a.level} for a in rows]

    # --- statuses (through the hub's intake, as the agency) ------------------------------

    def set_status(
        self,
        user: User,
        document_id: str,
        code: StatusCode,
        *,
        reason: str = "",
        specialist: str | None = None,
        due_date: date | None = None,
    ) -> SendResult:
        """Send ``code`` for the user's agency's copy of ``document_id`` through the hub.

        ``reason`` is the status's description: the reason of a return (02, required), the
        result note of a completion (06, optional), a progress note (05). A status of the
        processing chain (03, 04, 05, 06) enters the document in the register of incoming
        documents when it is not there yet (arrival number, internal deadline ``due_date`` or
        :func:`~lienthong.clerk.model.default_deadline`); a ``due_date`` given later changes
        the internal deadline. Refuses FORBIDDEN, STATUS_REASON_REQUIRED, NOT_A_RECIPIENT,
        DUE_DATE_INVALID (before today), REQUEST_INVALID (no specialist, a note too long) and
        every refusal of the hub; nothing is stored then."""
        roles = STATUS_ROLES.get(code)
        if roles is None or not user.has(*roles):
            raise forbid()
        if code is StatusCode.RETURNED and not reason.strip():
            raise ClerkError(code=ErrorCode.STATUS_REASON_REQUIRED)
        if len(reason.strip()) > model.MAX_NOTE_CHARS:
            raise ClerkError(
                f"The note is longer than {model.MAX_NOTE_CHARS} characters.",
                detail={"field": "reason"},
            )
        today = model.vietnam_date(self.clock.now())
        if code in REGISTERING and not model.check_deadline(due_date, today):
            raise ClerkError(code=ErrorCode.DUE_DATE_INVALID, detail={"field": "due_date"})
        view = self.exchange.document_view(user.agency_code, document_id)
        if view["sender"] == user.agency_code and code is not StatusCode.RECALL_REQUESTED:
            raise ClerkError(code=ErrorCode.NOT_A_RECIPIENT)
        assignee: User | None = None
        if code is StatusCode.ASSIGNED:
            candidates = {u.username: u for u in self.specialists(user)}
            assignee = candidates.get(specialist or "")
            if assignee is None:
                raise ClerkError("Choose a specialist of your agency.", detail={"field": "to"})
        description = reason.strip() or STATUS_TEXT[code]
        mine = [r for r in view["recipients"] if r["code"] == user.agency_code]
        if not reason.strip() and mine and mine[0]["pending"] == "update":
            description = UPDATE_ANSWER_TEXT.get(code, description)
        if assignee is not None:
            description = f"{STATUS_TEXT[code]}: {assignee.full_name}"
        result = self._send_status(user, view, code, description)
        now = self.clock.now()
        for attempt in range(REGISTER_ATTEMPTS):
            try:
                with self.db.unit_of_work() as session:
                    number = None
                    if code in REGISTERING:
                        number = self._register(session, user, view, due_date, now)
                    if assignee is not None:
                        store.save_assignment(
                            session,
                            document_id=document_id,
                            agency=user.agency_code,
                            specialist=assignee.username,
                            by=user.username,
                            note=reason or None,
                            at=now,
                        )
                        notices.tell_users(
                            session,
                            [assignee.username],
                            NotificationKind.DOCUMENT_ASSIGNED,
                            f"{user.full_name} giao bạn xử lý văn bản số "
                            f"{view['code_number']}/{view['code_notation']}: "
                            f"{shorten(view['subject'])}",
                            f"/van-thu/van-ban/{document_id}",
                            at=now,
                        )
                    detail: dict[str, Any] = {
                        "agency": user.agency_code,
                        "message_id": result.message_id,
                    }
                    if number is not None:
                        detail["arrival_number"] = number
                    record(
                        session,
                        at=now,
                        actor=user.username,
                        action=f"clerk.status.{code.value}",
                        subject=document_id,
                        detail=detail,
                    )
                break
            except IntegrityError:
                # Another registration took the arrival number first: take the next one.
                if attempt == REGISTER_ATTEMPTS - 1:
                    raise
        return result

    def _register(
        self,
        session: Any,
        user: User,
        view: dict[str, Any],
        due_date: date | None,
        now: datetime,
    ) -> int | None:
        """Enter the document in the agency's register of incoming documents (once): the next
        arrival number of the year and the internal deadline; the arrival number when a line
        was written. An existing line only takes a new ``due_date``."""
        document_id = view["document_id"]
        found = store.registration(session, document_id, user.agency_code)
        if found is not None:
            if due_date is not None:
                found.due_date = due_date
            return None
        today = model.vietnam_date(now)
        sender_due = date.fromisoformat(view["due_date"]) if view["due_date"] else None
        number = store.next_arrival_number(session, user.agency_code, today.year)
        session.add(
            store.RegistrationRow(
                document_id=document_id,
                recipient_code=user.agency_code,
                year=today.year,
                arrival_number=number,
                registered_at=now,
                registered_by=user.username,
                due_date=due_date
                or model.default_deadline(today, sender_due, self.processing_days, self.calendar),
            )
        )
        session.flush()
        return number

    def recall(self, user: User, document_id: str, reason: str) -> SendResult:
        """Ask the recipients to give a sent document back (status 13, Decree 30 Art. 23)."""
        if not user.has(Role.CLERK):
            raise forbid()
        if not reason.strip():
            raise ClerkError(code=ErrorCode.STATUS_REASON_REQUIRED)
        view = self.exchange.document_view(user.agency_code, document_id)
        if view["sender"] != user.agency_code:
            raise ClerkError(code=ErrorCode.NOT_YOUR_DOCUMENT)
        result = self._send_status(user, view, StatusCode.RECALL_REQUESTED, reason.strip())
        self._audit(user, "clerk.recall", document_id, message_id=result.message_id)
        return result

    def _send_status(
        self, user: User, view: dict[str, Any], code: StatusCode, description: str
    ) -> SendResult:
        package = make_status(
            sender=user.agency_code,
            document_id=view["edxml_document_id"],
            original_sender=view["sender"],
            status_code=code.value,
            description=description,
            staff=StaffInfo(staff=user.full_name),
            code=f"{view['code_number']}/{view['code_notation']}",
        )
        data = build_status(package)
        assert isinstance(data, bytes)
        return self._submit(user.agency_code, self.sign_as_agency(user.agency_code, data))

    def sign_as_agency(self, agency: str, data: bytes) -> bytes:
        """The package XML-signed with the agency's organisation credential (the seal the
        issuance service uses), as the agency's own software would sign it; unchanged when the
        hub holds no credential of the agency (a status is then accepted unsigned unless
        ``trust_require_signed_status``; a document is refused under ``enforce``)."""
        issuance = self.issuance
        if issuance is None or agency not in issuance.organisations:
            return data
        return issuance.package_signer(data, agency)

    def _submit(self, agency: str, data: bytes) -> SendResult:
        with StagingArea(self.staging_dir) as staging:
            staged = staging.new_file(".edxml")
            staged.write(data)
            return self.exchange.receive_package(agency, staged, staging)

    # --- composing and issuing -----------------------------------------------------------

    def create_draft(self, user: User, draft: Draft, pdf: bytes) -> int:
        if not user.has(Role.CLERK, Role.SPECIALIST):
            raise forbid()
        if not pdf.startswith(b"%PDF-"):
            raise ClerkError("The draft must be a PDF file.", detail={"field": "pdf"})
        if not draft.subject.strip() or not draft.notation.strip() or not draft.recipients:
            raise ClerkError("Subject, notation and recipients are required.")
        if not model.check_deadline(draft.due_date, model.vietnam_date(self.clock.now())):
            raise ClerkError(code=ErrorCode.DUE_DATE_INVALID, detail={"field": "due_date"})
        if draft.replaces is not None:
            self.own_document(user, draft.replaces)
        digest = self.blobs.put_bytes(pdf)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            row = store.DraftRow(
                agency_code=user.agency_code,
                created_by=user.username,
                subject=draft.subject.strip(),
                type_name=draft.type_name.strip() or "Công văn",
                notation=draft.notation.strip(),
                priority=draft.priority,
                recipients=list(draft.recipients),
                signer_position=draft.signer_position.strip(),
                draft_digest=digest,
                state="draft",
                created_at=now,
                due_date=draft.due_date,
            )
            session.add(row)
            session.flush()
            if draft.replaces is not None:
                session.add(store.DraftReplacementRow(draft_id=row.id, replaces=draft.replaces))
            record(session, at=now, actor=user.username, action="clerk.draft", subject=str(row.id))
            notices.tell_role(
                session,
                user.agency_code,
                Role.LEADER,
                NotificationKind.DRAFT_TO_SIGN,
                f"{user.full_name} trình ký dự thảo {row.type_name} {row.notation}: "
                f"{shorten(row.subject)}",
                f"/van-thu/du-thao/{row.id}",
                at=now,
            )
            return row.id

    def keep_upload(self, pdf: bytes) -> str:
        """Keep a PDF sent with a compose form that was refused or only searched (a browser
        never fills a file field again) for a day, outside the hub's storage (a temporary file
        under the staging folder: a refusal stores nothing); its SHA-256."""
        folder = self.staging_dir / KEPT_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256(pdf).hexdigest()
        path = folder / f"{digest}.pdf"
        if path.exists():
            path.touch()
        else:
            partial = folder / f".{digest}.{secrets.token_hex(4)}"
            partial.write_bytes(pdf)
            partial.replace(path)
        cutoff = time.time() - KEPT_SECONDS
        for old in folder.iterdir():
            with contextlib.suppress(OSError):
                if old.stat().st_mtime < cutoff:
                    old.unlink()
        return digest

    def kept_upload(self, digest: str) -> bytes:
        """The PDF kept under ``digest``; REQUEST_INVALID when it is gone (a day later)."""
        path = self.staging_dir / KEPT_FOLDER / f"{digest}.pdf"
        if not _DIGEST.fullmatch(digest) or not path.is_file():
            raise ClerkError("The kept PDF is gone.", detail={"field": "pdf"})
        return path.read_bytes()

    def drafts(self, user: User) -> list[store.DraftView]:
        with self.db.read() as session:
            return store.drafts_of(session, user.agency_code)

    def draft(self, user: User, draft_id: int) -> store.DraftView:
        with self.db.read() as session:
            row = store.draft_of(session, draft_id, user.agency_code)
            if row is None:
                raise ClerkError(code=ErrorCode.DOCUMENT_NOT_FOUND)
            return store.draft_view(row, store.replaced_by_draft(session, draft_id))

    def draft_pdf(self, user: User, draft_id: int) -> bytes:
        row = self.draft(user, draft_id)
        with self.blobs.open(row.signed_digest or row.draft_digest) as fh:
            return fh.read()

    def sign_draft(self, leader: User, draft_id: int) -> None:
        """The competent person signs the draft (PAdES, visible). Only a leader."""
        if not leader.has(Role.LEADER):
            raise forbid()
        if self.signer is None:
            raise ClerkError("No signing device is configured.", code=ErrorCode.FORBIDDEN)
        row = self.draft(leader, draft_id)
        if row.state != "draft":
            raise ClerkError("The draft is already signed.", code=ErrorCode.STATUS_NOT_ALLOWED)
        with self.blobs.open(row.draft_digest) as fh:
            pdf = fh.read()
        now = self.clock.now()
        signed = self.signer.sign(pdf, leader=leader, at=now - timedelta(seconds=1))
        self._record_signature(leader, row, signed, now)

    def _record_signature(
        self, leader: User, row: store.DraftView, signed: bytes, now: datetime
    ) -> None:
        draft_id = row.id
        digest = self.blobs.put_bytes(signed)
        with self.db.unit_of_work() as session:
            found = store.draft_of(session, draft_id, leader.agency_code)
            assert found is not None
            if found.state != "draft":
                raise ClerkError("The draft is already signed.", code=ErrorCode.STATUS_NOT_ALLOWED)
            found.signed_digest, found.signed_by, found.signed_at = digest, leader.username, now
            found.state = "signed"
            pending = store.remote_signature(session, draft_id, leader.agency_code)
            if pending is not None:
                session.delete(pending)
            record(
                session, at=now, actor=leader.username, action="clerk.sign", subject=str(draft_id)
            )
            # The agency's clerks number and issue it; whoever prepared it wants to know.
            told = notices.users_with_role(session, [leader.agency_code], Role.CLERK)
            users = told.get(leader.agency_code, []) + notices.user_ids(session, [row.created_by])
            notices.add(
                session,
                users,
                NotificationKind.DRAFT_SIGNED,
                f"{leader.full_name} đã ký dự thảo {row.type_name} {row.notation}: "
                f"{shorten(row.subject)}. Chờ cấp số, ban hành.",
                f"/van-thu/du-thao/{draft_id}",
                at=now,
            )

    # --- the leader's signature through a remote signing service ------------------------

    def start_remote_signature(self, leader: User, draft_id: int) -> dict[str, Any]:
        """Prepare the draft with the leader's certificate and ask the remote signing service
        for the leader's approval (on the phone); the pending signature's view. A refusal
        (revoked certificate, another person's, no answer) leaves nothing stored."""
        row = self._draft_to_sign(leader, draft_id)
        assert self.remote is not None
        with self.blobs.open(row.draft_digest) as fh:
            pdf = fh.read()
        now = self.clock.now()
        description = f"{row.type_name} {row.notation}: {shorten(row.subject)}"
        try:
            started = self.remote.start(
                pdf, leader=leader, at=now - timedelta(seconds=1), description=description
            )
        except RemoteSigningError as exc:
            raise ClerkError(exc.message, code=exc.code, detail=exc.detail) from exc
        prepared = started.prepared
        with self.db.unit_of_work() as session:
            old = store.remote_signature(session, draft_id, leader.agency_code)
            if old is not None:
                session.delete(old)
                session.flush()
            session.add(
                store.RemoteSignatureRow(
                    draft_id=draft_id,
                    agency_code=leader.agency_code,
                    leader=leader.username,
                    credential_id=started.credential_id,
                    request_id=started.request_id,
                    approval_uri=started.approval_uri,
                    prepared_pdf=prepared.pdf,
                    document_digest=prepared.document_digest.hex(),
                    reserved_start=prepared.reserved_start,
                    reserved_end=prepared.reserved_end,
                    signed_attrs=prepared.signed_attrs,
                    certificates=[
                        base64.b64encode(c).decode()
                        for c in (prepared.certificate, *prepared.chain)
                    ],
                    started_at=now,
                    expires_at=now + timedelta(seconds=started.expires_in),
                )
            )
            record(
                session,
                at=now,
                actor=leader.username,
                action="clerk.sign.remote_requested",
                subject=str(draft_id),
                detail={"request": started.request_id},
            )
        found = self.remote_signature(leader, draft_id)
        assert found is not None
        return found

    def remote_signature(self, leader: User, draft_id: int) -> dict[str, Any] | None:
        """The leader's pending remote signature of the draft, or None."""
        with self.db.read() as session:
            found = store.remote_signature(session, draft_id, leader.agency_code)
            if found is None or found.leader != leader.username:
                return None
            return {
                "draft_id": found.draft_id,
                "request_id": found.request_id,
                "approval_uri": found.approval_uri,
                "hash": hashlib.sha256(found.signed_attrs).hexdigest()[:16].upper(),
                "started_at": found.started_at,
                "expires_at": found.expires_at,
            }

    def finish_remote_signature(self, leader: User, draft_id: int) -> bool:
        """Finish the signature once the leader approved on the phone: True when the draft is
        now signed, False while the approval waits. A refusal (timeout, locked by wrong codes,
        revoked certificate) ends the pending signature and leaves the draft unsigned; no
        answer from the service keeps it pending, to try again."""
        row = self._draft_to_sign(leader, draft_id)
        assert self.remote is not None
        with self.db.read() as session:
            found = store.remote_signature(session, draft_id, leader.agency_code)
            if found is None or found.leader != leader.username:
                raise ClerkError(
                    "No signature of this draft waits for approval.",
                    code=ErrorCode.REMOTE_SIGNING_REQUEST_UNKNOWN,
                )
            certificates = [base64.b64decode(c) for c in found.certificates]
            started = StartedSignature(
                prepared=PreparedSignature(
                    pdf=found.prepared_pdf,
                    document_digest=bytes.fromhex(found.document_digest),
                    reserved_start=found.reserved_start,
                    reserved_end=found.reserved_end,
                    signed_attrs=found.signed_attrs,
                    certificate=certificates[0],
                    chain=tuple(certificates[1:]),
                ),
                credential_id=found.credential_id,
                request_id=found.request_id,
                approval_uri=found.approval_uri,
                expires_in=0,
            )
        try:
            signed = self.remote.finish(started)
        except RemoteSigningError as exc:
            if exc.code is not ErrorCode.REMOTE_SIGNING_UNAVAILABLE:
                self._drop_remote(leader, draft_id, exc.code)
            raise ClerkError(exc.message, code=exc.code, detail=exc.detail) from exc
        if signed is None:
            return False
        self._record_signature(leader, row, signed, self.clock.now())
        return True

    def _drop_remote(self, leader: User, draft_id: int, code: ErrorCode) -> None:
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            found = store.remote_signature(session, draft_id, leader.agency_code)
            if found is not None:
                session.delete(found)
            record(
                session,
                at=now,
                actor=leader.username,
                action="clerk.sign.remote_refused",
                subject=str(draft_id),
                detail={"code": str(code)},
            )

    def _draft_to_sign(self, leader: User, draft_id: int) -> store.DraftView:
        if not leader.has(Role.LEADER):
            raise forbid()
        if self.remote is None:
            raise ClerkError("No remote signing service is configured.", code=ErrorCode.FORBIDDEN)
        row = self.draft(leader, draft_id)
        if row.state != "draft":
            raise ClerkError("The draft is already signed.", code=ErrorCode.STATUS_NOT_ALLOWED)
        return row

    def issue_draft(self, clerk: User, draft_id: int) -> str:
        """Number, seal and send a signed draft; the hub's document id."""
        if not clerk.has(Role.CLERK):
            raise forbid()
        if self.issuance is None:
            raise ClerkError("Issuance is not configured on this hub.", code=ErrorCode.FORBIDDEN)
        row = self.draft(clerk, draft_id)
        if row.state != "signed" or row.signed_digest is None:
            raise ClerkError(code=ErrorCode.COMPETENT_SIGNATURE_MISSING)
        with self.blobs.open(row.signed_digest) as fh:
            signed = fh.read()
        signer = self.accounts.get_user(row.signed_by) if row.signed_by else None
        replaces = None
        if row.replaces is not None:
            replaces = self.own_document(clerk, row.replaces)["edxml_document_id"]
        issued = self.issuance.issue(
            clerk.agency_code,
            signed,
            notation=row.notation,
            type_name=row.type_name,
            subject=row.subject,
            recipients=list(row.recipients),
            signer_position=row.signer_position or (signer.full_name if signer else ""),
            clerk=clerk.full_name,
            priority=row.priority,
            replaces=replaces,
            due_date=row.due_date,
        )
        document_id = issued.send_result.document_id or ""
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            found = store.draft_of(session, draft_id, clerk.agency_code)
            assert found is not None
            found.state, found.document_id = "issued", document_id
            found.number_notation = f"{issued.code_number}/{issued.notation}"
            record(
                session,
                at=now,
                actor=clerk.username,
                action="clerk.issue",
                subject=document_id,
                detail={"number": found.number_notation, "draft": draft_id},
            )
        return document_id

    # --- helpers -------------------------------------------------------------------------

    def own_document(self, user: User, document_id: str) -> dict[str, Any]:
        """The view of a document the user's agency sent and that is still in force: only the
        issuing agency may update or replace it (the hub checks it too)."""
        view = self.exchange.document_view(user.agency_code, document_id)
        if view["sender"] != user.agency_code:
            raise ClerkError(code=ErrorCode.NOT_YOUR_DOCUMENT)
        if view["state"] in ("recalled", "replaced"):
            raise ClerkError(code=ErrorCode.DOCUMENT_RECALLED)
        return view

    def _audit(self, user: User, action: str, subject: str, **detail: Any) -> None:
        with self.db.unit_of_work() as session:
            record(
                session,
                at=self.clock.now(),
                actor=user.username,
                action=action,
                subject=subject,
                detail={"agency": user.agency_code, **detail},
            )

    @staticmethod
    def _agencies(session: Any, codes: Sequence[str] | set[str]) -> list[Any]:
        from lienthong.agencies.store import agencies_by_codes

        return list(agencies_by_codes(session, list(codes)).values())

    def _file(self, item: dict[str, Any]) -> AttachmentFile:
        """What an attachment is offered as, from its zip's central directory at most: a
        single-file zip (the SDK's way) as its file, unless that inflates beyond the limit
        (a blob kept from before the limit: then the zip as it is). Inflates nothing."""
        name = item["name"] or item["content_id"]
        ctype = item["content_type"] or "application/octet-stream"
        digest = item["sha256"]
        if zips.travels_zipped(name, ctype):
            with self._blob(digest) as fh:
                member = zips.single_member(fh)
            if member is not None and member.file_size <= self.max_inflated_bytes:
                inner = member.filename
                return AttachmentFile(
                    name=inner.rsplit("/", 1)[-1] or name,
                    content_type=_type_of(inner, "application/octet-stream"),
                    size=member.file_size,
                    digest=digest,
                    member=inner,
                )
        return AttachmentFile(
            name=name, content_type=_type_of(name, ctype), size=item["size"], digest=digest
        )

    def _chunks(self, file: AttachmentFile) -> Iterator[bytes]:
        """The bytes of ``file``, chunk by chunk, inflated as they go (never more than the
        limit): what the download streams. The blob is opened on the first chunk asked."""
        with self._blob(file.digest) as fh:
            if file.member is None:
                while chunk := fh.read(zips.CHUNK):
                    yield chunk
            else:
                yield from zips.iter_member(fh, file.member, self.max_inflated_bytes)

    def _read(self, file: AttachmentFile) -> bytes:
        """The bytes of ``file`` in memory (at most the limit), for who needs them whole."""
        return b"".join(self._chunks(file))

    @contextlib.contextmanager
    def _blob(self, digest: str) -> Iterator[BinaryIO]:
        """The blob as a seekable file (zipfile seeks): an object store's stream is spooled
        to a temporary file of the staging folder first."""
        fh = self.blobs.open(digest)
        try:
            if getattr(fh, "seekable", lambda: False)():
                yield fh
                return
            self.staging_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.staging_dir) as spool:
                shutil.copyfileobj(fh, spool, zips.CHUNK)
                spool.seek(0)
                yield spool
        finally:
            fh.close()

    def draft_signatures(self, user: User, draft_id: int) -> list[dict[str, Any]]:
        """The signed draft's PDF signatures checked now (who signed, with which certificate,
        when); empty while unsigned or without a trust source."""
        row = self.draft(user, draft_id)
        if row.signed_digest is None or self.pdf_trust is None:
            return []
        with self.blobs.open(row.signed_digest) as fh:
            data = fh.read()
        found = validate_pdf(
            data, current_trust(self.pdf_trust), now=self.clock.now(), agency=row.agency_code
        )
        return [
            {
                **r.as_dict(),
                "serial": (r.report.signer or {}).get("serial", ""),
                "issuer": r.certificate.issuer.rfc4514_string() if r.certificate else "",
                "at": r.signing_time,
            }
            for r in found
        ]

    def _pdf_reports(self, view: dict[str, Any]) -> list[dict[str, Any]]:
        """The PDF signatures of the document's PDF attachments, checked now."""
        if self.pdf_trust is None:
            return []
        reports: list[dict[str, Any]] = []
        for item in view["attachments"]:
            # Only a PDF is inflated, to check its signatures (at most the limit); every other
            # file is described from its zip's central directory alone.
            try:
                file = self._file(item)
                if file.content_type != "application/pdf":
                    continue
                data, name = self._read(file), file.name
            except (OSError, zips.InflatesTooLarge, *zips.UNREADABLE):
                continue
            try:
                found = validate_pdf(
                    data,
                    current_trust(self.pdf_trust),
                    now=self.clock.now(),
                    agency=view["sender"],
                )
            except Exception:
                reports.append({"file": name, "error": True, "signatures": []})
                continue
            reports.append(
                {"file": name, "error": False, "signatures": [r.as_dict() for r in found]}
            )
        return reports


@dataclass(frozen=True)
class AttachmentFile:
    """An attachment as the clerk application offers it. ``size``: of the bytes served (the
    inflated file when ``member``, the name of the single file of a zip, is set)."""

    name: str
    content_type: str
    size: int
    digest: str
    member: str | None = None


def _type_of(name: str, otherwise: str) -> str:
    return "application/pdf" if name.lower().endswith(".pdf") else otherwise


def _codes(view: dict[str, Any]) -> list[str]:
    return [r["code"] for r in view["recipients"]]
