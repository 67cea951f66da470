"""Pure rules of the clerk application: processing deadlines (hạn xử lý), the notes of the
incoming and outgoing registers (sổ văn bản đến / đi, Decree 30/2020/NĐ-CP Appendix IV), and
the timeline a person reads (diễn biến).

No I/O: plain values in (``now`` and the working-day calendar where time matters), values out.

Deadlines count in Vietnamese working days (:class:`~lienthong.calendar.WorkingCalendar`).
A deadline that falls on a day off (a weekend, Tết) ends with the next working day, as the
Civil Code 2015 (Art. 148(5)) ends any time limit whose last day is a day off: a document due
on the first day of Tết is not overdue until the first working day after Tết has passed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ

# Statuses after which nothing is left to process (returned, completed).
CLOSED_STATUSES = frozenset({"02", "06"})
# "Sắp đến hạn": this many working days or fewer remain (the last day itself counts as 0).
DUE_SOON_WORKING_DAYS = 2
# The longest result note kept with a completion (ghi chú kết quả xử lý).
MAX_NOTE_CHARS = 2000


class DeadlineState(StrEnum):
    """Where a received document stands against its processing deadline."""

    NONE = "none"  # no deadline
    OPEN = "open"  # more than DUE_SOON_WORKING_DAYS working days left
    DUE_SOON = "due_soon"  # the last day is within DUE_SOON_WORKING_DAYS working days
    OVERDUE = "overdue"  # the last day (rolled to a working day) has passed, still open
    CLOSED = "closed"  # completed, returned or recalled: the deadline no longer runs


@dataclass(frozen=True)
class Deadline:
    """A deadline as of one day.

    ``last_day`` is ``due`` rolled forward to a working day (``None`` without a deadline);
    ``working_days_left`` counts working days from today to ``last_day`` (0 on the last day,
    negative once overdue; ``None`` without a deadline or once closed)."""

    due: date | None
    state: DeadlineState
    last_day: date | None = None
    working_days_left: int | None = None

    @property
    def overdue(self) -> bool:
        return self.state is DeadlineState.OVERDUE


def vietnam_date(now: datetime) -> date:
    """The calendar date in Vietnam at the instant ``now`` (timezone-aware)."""
    return now.astimezone(VN_TZ).date()


def deadline_of(
    due: date | None,
    *,
    status: str | None,
    now: datetime,
    calendar: WorkingCalendar,
    recalled: bool = False,
) -> Deadline:
    """The state of a received document's deadline ``due`` at ``now``, for a recipient whose
    latest status is ``status``. Overdue means: Vietnam's date is after the last day, and the
    document is neither completed (06), returned (02) nor recalled."""
    if due is None:
        return Deadline(None, DeadlineState.NONE)
    last_day = calendar.next_working_day(due)
    if recalled or status in CLOSED_STATUSES:
        return Deadline(due, DeadlineState.CLOSED, last_day)
    today = vietnam_date(now)
    left = calendar.working_days_between(today, last_day)
    if today > last_day:
        state = DeadlineState.OVERDUE
    elif left <= DUE_SOON_WORKING_DAYS:
        state = DeadlineState.DUE_SOON
    else:
        state = DeadlineState.OPEN
    return Deadline(due, state, last_day, left)


def latest_overdue_due(today: date, calendar: WorkingCalendar) -> date:
    """The latest due date that is overdue on ``today`` (Vietnam's date): a deadline on a day
    off ends with the next working day (:func:`deadline_of`), so a document due ``d`` is
    overdue iff ``next_working_day(d) < today``, i.e. iff ``d`` is on or before the last
    working day before ``today``. The inbox's overdue filter compares due dates with it."""
    d = today - timedelta(days=1)
    while not calendar.is_working_day(d):
        d -= timedelta(days=1)
    return d


def default_deadline(
    registered_on: date,
    sender_due: date | None,
    working_days: int,
    calendar: WorkingCalendar,
) -> date | None:
    """The internal deadline a document gets when registered on ``registered_on`` and the
    clerk sets none: the sender's requested deadline when it gave one, else ``working_days``
    working days after registration (``None`` when that setting is 0)."""
    if sender_due is not None:
        return sender_due
    if working_days <= 0:
        return None
    return calendar.add_working_days(registered_on, working_days)


def check_deadline(due: date | None, registered_on: date) -> bool:
    """Whether ``due`` may be set on ``registered_on``: none, or not before that day."""
    return due is None or due >= registered_on


# --- registers (Decree 30/2020 Appendix IV) -------------------------------------------------


def register_note(
    *,
    state: str,
    recalled: bool = False,
    removed: bool = False,
    due: date | None = None,
    status: str | None = None,
) -> str:
    """The "Ghi chú" column of a register line: recalled, replaced or removed documents say
    so (they stay in the register, Decree 30 keeps their trace), then the deadline."""
    parts: list[str] = []
    if recalled or state == "recalled":
        parts.append("Đã thu hồi")
    elif state == "replaced":
        parts.append("Đã bị thay thế")
    elif state == "recall_requested":
        parts.append("Đang đề nghị thu hồi")
    if removed:
        parts.append("Đã bỏ khỏi nơi nhận")
    if status == "02":
        parts.append("Đã trả lại")
    elif status == "06":
        parts.append("Đã hoàn thành")
    if due is not None:
        parts.append(f"Hạn xử lý {due.strftime('%d/%m/%Y')}")
    return "; ".join(parts)


def type_and_subject(type_name: str | None, subject: str | None) -> str:
    """The register's "Tên loại và trích yếu nội dung" column."""
    return " ".join(p for p in ((type_name or "").strip(), (subject or "").strip()) if p)


# The columns of the prescribed registers (Decree 30/2020/NĐ-CP Appendix IV).
INCOMING_COLUMNS = (
    "Ngày đến",
    "Số đến",
    "Tác giả",
    "Số, ký hiệu",
    "Ngày tháng",
    "Tên loại và trích yếu nội dung",
    "Đơn vị hoặc người nhận",
    "Ký nhận",
    "Ghi chú",
)
OUTGOING_COLUMNS = (
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung văn bản",
    "Người ký",
    "Nơi nhận văn bản",
    "Đơn vị, người nhận bản lưu",
    "Số lượng bản",
    "Ngày chuyển",
    "Ký nhận",
    "Ghi chú",
)

Cell = str | int | date | None


@dataclass(frozen=True)
class RegisterLine:
    """One line of a register: its cells in the columns' order, and its ``mark`` when it is
    struck through ("Đã thu hồi", "Đã bị thay thế": kept in the register, no longer in force;
    empty otherwise)."""

    document_id: str
    cells: tuple[Cell, ...]
    mark: str = ""

    @property
    def struck(self) -> bool:
        return bool(self.mark)

    @property
    def texts(self) -> tuple[str, ...]:
        """The cells as a page shows them (dates as dd/mm/yyyy)."""
        return tuple(cell_text(c) for c in self.cells)


def _mark(recalled: bool, state: str) -> str:
    if recalled or state == "recalled":
        return "Đã thu hồi"
    if state == "replaced":
        return "Đã bị thay thế"
    return ""


def cell_text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _number_notation(number: str | None, notation: str | None) -> str:
    return "/".join(p for p in (number or "", notation or "") if p)


def incoming_line(row: Mapping[str, Any]) -> RegisterLine:
    """A line of the register of incoming documents from a row of
    :func:`lienthong.clerk.store.incoming_register`."""
    recalled = bool(row["recalled"]) or row["state"] == "recalled"
    return RegisterLine(
        document_id=str(row["document_id"]),
        cells=(
            vietnam_date(row["arrived_at"]),
            int(row["arrival_number"]),
            row["sender_name"],
            _number_notation(row["code_number"], row["code_notation"]),
            row["promulgation_date"],
            type_and_subject(row["type_name"], row["subject"]),
            row["assignee"] or "",
            "",  # Ký nhận: signed on paper by whoever takes the document
            register_note(
                state=row["state"],
                recalled=bool(row["recalled"]),
                removed=bool(row["removed"]),
                due=row["due_date"],
                status=row["status"],
            ),
        ),
        mark=_mark(recalled, str(row["state"])),
    )


def outgoing_line(row: Mapping[str, Any], *, keeper: str = "Văn thư") -> RegisterLine:
    """A line of the register of outgoing documents from a row of
    :func:`lienthong.clerk.store.outgoing_register`. Electronic copies are counted as the
    recipients the document was sent to (removed ones excluded); the copy kept (bản lưu) is
    the clerk's (``keeper``) and the composer's, when it was composed here."""
    recipients = [r for r in row["recipients"] if not r["removed"]]
    kept = "; ".join(p for p in (keeper, row["composed_by"] or "") if p)
    state = str(row["state"])
    return RegisterLine(
        document_id=str(row["document_id"]),
        cells=(
            _number_notation(row["code_number"], row["code_notation"]),
            row["promulgation_date"],
            type_and_subject(row["type_name"], row["subject"]),
            row["signer_name"] or "",
            "; ".join(r["name"] for r in recipients),
            kept,
            len(recipients),
            vietnam_date(row["sent_at"]),
            "",
            register_note(state=state, due=row["due_date"]),
        ),
        mark=_mark(False, state),
    )


# --- the timeline a person reads -------------------------------------------------------------


class EntryKind(StrEnum):
    STATUS = "status"  # a business status (01..16) of a recipient, or the sender's recall
    SENT = "sent"  # the document (or its update / replacement) went to its recipients
    FORWARDED = "forwarded"  # handed to another hub (federation), for recipients there
    PROBLEM = "problem"  # a recipient's system refused the delivery, or a forward failed


SENT_TEXT = {
    None: "Gửi văn bản",
    0: "Gửi văn bản",
    1: "Gửi văn bản",
    2: "Gửi cập nhật văn bản",
    3: "Gửi văn bản thay thế",
}


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: when (``at``, ISO UTC), what (``kind`` with ``status_code``
    or ``text``), for which agencies (their names), by whom (``actor``: a person's name, or
    ``None`` when the hub recorded it), and the person's note (``note``) if any."""

    at: str
    kind: EntryKind
    agencies: tuple[str, ...]
    status_code: str | None = None
    text: str = ""
    actor: str | None = None
    note: str | None = None
    codes: tuple[str, ...] = field(default=(), compare=False)


def readable_timeline(
    items: Iterable[Mapping[str, Any]],
    *,
    names: Mapping[str, str],
    boilerplate: Collection[str] = (),
) -> list[TimelineEntry]:
    """The timeline of a document view (``ExchangeService.document_view``) as a person reads
    it: the meaningful status changes, with who and when, without the transport's noise.

    - Status packages travelling back to the sender are transport: not shown (the status is).
    - A document package reaching several recipients is one line ("Gửi văn bản" to A, B, C);
      a recall (13) asked of several recipients at once is one line too.
    - An arrival (01) repeated for the same recipient, and a status repeated with the same
      note right after itself (a retry), show once.
    - Hops across hubs are not shown; a hand-over to another hub is one line per message, a
      failed one is a problem line.
    - A description that only repeats what the status says (``boilerplate``, and the hub's
      own arrival notes) is not shown as a note.
    """
    ordered = sorted(items, key=lambda i: (str(i.get("at") or ""), str(i.get("type") or "")))
    status_messages = {
        str(i["message_id"])
        for i in ordered
        if i.get("message_id")
        and (i.get("type") == "status" or (i.get("type") == "delivery" and i.get("kind") != "edoc"))
    }
    out: list[TimelineEntry] = []
    grouped: dict[tuple[str, ...], int] = {}  # group key -> index in out
    arrived: set[str] = set()
    last_of: dict[str, tuple[str, str]] = {}  # recipient -> (status, note) of its last line

    def name(code: str) -> str:
        return names.get(code, code)

    def add(key: tuple[str, ...] | None, entry: TimelineEntry) -> None:
        if key is not None and key in grouped:
            index = grouped[key]
            current = out[index]
            codes = current.codes + tuple(c for c in entry.codes if c not in current.codes)
            out[index] = TimelineEntry(
                at=current.at,
                kind=current.kind,
                agencies=tuple(name(c) for c in codes),
                status_code=current.status_code,
                text=current.text,
                actor=current.actor or entry.actor,
                note=current.note,
                codes=codes,
            )
            return
        if key is not None:
            grouped[key] = len(out)
        out.append(entry)

    for item in ordered:
        kind = item.get("type")
        if kind == "status":
            code = str(item.get("status_code") or "")
            recipient = str(item.get("recipient") or "")
            source = item.get("source")
            description = (item.get("description") or "").strip()
            note = None if source == "hub" or description in boilerplate else description or None
            if code == "01":
                if recipient in arrived:
                    continue
                arrived.add(recipient)
            if last_of.get(recipient) == (code, note or ""):
                continue  # the same status with the same note again: a retry
            last_of[recipient] = (code, note or "")
            staff = item.get("staff") or {}
            actor = staff.get("staff") if isinstance(staff, Mapping) else None
            message = item.get("message_id")
            key = ("status", str(message), code) if message and source == "sender" else None
            add(
                key,
                TimelineEntry(
                    at=str(item["at"]),
                    kind=EntryKind.STATUS,
                    agencies=(name(recipient),),
                    status_code=code,
                    actor=actor or None,
                    note=note,
                    codes=(recipient,),
                ),
            )
        elif kind == "delivery" and item.get("kind") == "edoc":
            recipient = str(item.get("recipient") or "")
            if item.get("state") == "failed":
                reason = (item.get("ack_reason") or "").strip()
                add(
                    None,
                    TimelineEntry(
                        at=str(item.get("acked_at") or item["at"]),
                        kind=EntryKind.PROBLEM,
                        agencies=(name(recipient),),
                        text="Hệ thống của đơn vị nhận báo lỗi khi nhận văn bản",
                        note=reason or None,
                        codes=(recipient,),
                    ),
                )
                continue
            doc_type = item.get("bussiness_doc_type")
            add(
                ("sent", str(item.get("message_id"))),
                TimelineEntry(
                    at=str(item["at"]),
                    kind=EntryKind.SENT,
                    agencies=(name(recipient),),
                    text=SENT_TEXT.get(doc_type, SENT_TEXT[None]),
                    codes=(recipient,),
                ),
            )
        elif kind == "forward":
            message = str(item.get("message_id") or "")
            if message in status_messages:
                continue
            targets: Sequence[str] = item.get("recipients") or ()
            failed = item.get("state") in ("dead", "failed")
            hub = str(item.get("next_hop") or "")
            add(
                None if failed else ("forward", message),
                TimelineEntry(
                    at=str(item["at"]),
                    kind=EntryKind.PROBLEM if failed else EntryKind.FORWARDED,
                    agencies=tuple(name(c) for c in targets),
                    text=(
                        f"Không chuyển tiếp được qua trục {hub}"
                        if failed
                        else f"Chuyển tiếp qua trục {hub}"
                    ),
                    note=(item.get("last_error") or None) if failed else None,
                    codes=tuple(targets),
                ),
            )
        # delivery of a status package, hop: transport, not shown
    return out
