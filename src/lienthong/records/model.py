"""Pure rules of work files (hồ sơ công việc) and their archive life.

A work file (hồ sơ) is opened from an entry of its agency's yearly file list (danh mục hồ sơ),
collects documents and other materials, is closed once its metadata is complete (it becomes
read-only), is transferred (nộp lưu) to the agency's archive within a year of its end, and when
its retention has run out is appraised: kept, or destroyed on a decision, leaving a tombstone
with its metadata. Nothing here reads a clock: each rule takes ``today``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

# Circular 10/2022/TT-BNV: a retention is permanent or a number of years, counted from the year
# the work ended. Law on Archives 2011, Art. 11(2)(a): a file is transferred to the agency's
# archive within one year of the end of its work.
RETENTION_YEARS_MAX = 100
TRANSFER_WITHIN_YEARS = 1
LANGUAGES = ("vi", "en", "fr", "zh", "ru", "km", "lo")


class FileState(StrEnum):
    OPEN = "open"  # đang lập
    CLOSED = "closed"  # đã kết thúc (read-only)
    TRANSFERRED = "transferred"  # đã nộp lưu
    DESTROYED = "destroyed"  # đã hủy (a tombstone)


class Access(StrEnum):
    PUBLIC = "public"  # sử dụng rộng rãi
    LIMITED = "limited"  # hạn chế sử dụng


class Action(StrEnum):
    CLOSE = "close"
    REOPEN = "reopen"
    TRANSFER = "transfer"
    DESTROY = "destroy"


TRANSITIONS: dict[tuple[FileState, Action], FileState] = {
    (FileState.OPEN, Action.CLOSE): FileState.CLOSED,
    (FileState.CLOSED, Action.REOPEN): FileState.OPEN,
    (FileState.CLOSED, Action.TRANSFER): FileState.TRANSFERRED,
    (FileState.CLOSED, Action.DESTROY): FileState.DESTROYED,
    (FileState.TRANSFERRED, Action.DESTROY): FileState.DESTROYED,
}


class RecordRuleError(ValueError):
    """A rule refused: ``kind`` names which (the service maps it to an error code)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def next_state(state: FileState, action: Action) -> FileState:
    try:
        return TRANSITIONS[(state, action)]
    except KeyError:
        raise RecordRuleError(
            "transition", f"A file that is {state} cannot be given the action {action}."
        ) from None


@dataclass(frozen=True)
class Retention:
    """Thời hạn bảo quản: permanent (``years`` None) or a number of years."""

    years: int | None

    @classmethod
    def parse(cls, text: str) -> Retention:
        """``vĩnh viễn`` / ``permanent`` / ``VV``, or a number of years (``10``, ``10 năm``)."""
        folded = text.strip().lower()
        if folded in {"vĩnh viễn", "vinh vien", "vv", "permanent"}:
            return cls(None)
        number = folded.removesuffix("năm").removesuffix("nam").strip()
        if not number.isdigit() or not 1 <= int(number) <= RETENTION_YEARS_MAX:
            raise RecordRuleError(
                "retention",
                f"A retention is 'vĩnh viễn' or 1 to {RETENTION_YEARS_MAX} years, not {text!r}.",
            )
        return cls(int(number))

    @property
    def permanent(self) -> bool:
        return self.years is None

    def label(self) -> str:
        return "Vĩnh viễn" if self.years is None else f"{self.years} năm"

    def ends_on(self, end: date) -> date | None:
        """The last day the file must be kept: the end of the year ``years`` after the year
        its work ended (Circular 10/2022/TT-BNV counts retention from that year). None:
        permanent."""
        if self.years is None:
            return None
        return date(end.year + self.years, 12, 31)


def transfer_due_on(end: date) -> date:
    """Nộp lưu: within one year of the end of the work (Law on Archives 2011, Art. 11(2)(a))."""
    try:
        return end.replace(year=end.year + TRANSFER_WITHIN_YEARS)
    except ValueError:  # 29 February
        return date(end.year + TRANSFER_WITHIN_YEARS, 2, 28)


def due_for_appraisal(retention: Retention, end: date | None, today: date) -> bool:
    """Whether the file's retention has run out on ``today`` (it is listed for appraisal)."""
    if end is None:
        return False
    last = retention.ends_on(end)
    return last is not None and today > last


@dataclass(frozen=True)
class PlanEntry:
    """One line of the yearly file list (danh mục hồ sơ)."""

    code: str
    title: str
    retention: Retention
    responsible: str
    section: str = ""


PLAN_CODE_MAX = 40


def plan_problems(entries: Iterable[PlanEntry]) -> list[str]:
    """What is wrong with a file list: empty codes or titles, duplicates, no one responsible."""
    problems: list[str] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        where = f"line {n}"
        code = entry.code.strip()
        if not code:
            problems.append(f"{where}: the file code is empty")
        elif len(code) > PLAN_CODE_MAX or any(c.isspace() for c in code):
            problems.append(f"{where}: the file code {code!r} is not a code")
        elif code.casefold() in seen:
            problems.append(f"{where}: the file code {code} appears twice")
        seen.add(code.casefold())
        if not entry.title.strip():
            problems.append(f"{where}: the file title is empty")
        if not entry.responsible.strip():
            problems.append(f"{where}: nobody is responsible for the file")
    return problems


@dataclass(frozen=True)
class DocumentMetadata:
    """The metadata Circular 02/2019/TT-BNV prescribes for a document in a file."""

    document_id: str  # mã định danh văn bản (edXML DocumentId)
    number_notation: str  # số và ký hiệu
    issued_on: date | None  # ngày tháng năm văn bản
    issuer: str  # tên cơ quan ban hành
    subject: str  # trích yếu nội dung
    type_name: str  # tên loại văn bản
    signer: str  # người ký
    pages: int | None  # số trang
    language: str = "vi"
    signature: str = ""  # thông tin chữ ký số (who, which certificate, when), or ""
    signed: bool = False


def document_problems(meta: DocumentMetadata, label: str) -> list[str]:
    missing = [
        name
        for name, value in (
            ("number and notation", meta.number_notation),
            ("date", meta.issued_on),
            ("issuer", meta.issuer),
            ("subject", meta.subject),
            ("type", meta.type_name),
            ("signer", meta.signer),
            ("page count", meta.pages),
            ("language", meta.language),
        )
        if value in (None, "")
    ]
    if meta.signed and not meta.signature:
        missing.append("digital signature information")
    return [f"{label}: {name} is missing" for name in missing]


@dataclass(frozen=True)
class FileMetadata:
    """The metadata Decree 30/2020 and Circular 02/2019 prescribe for a work file."""

    code: str  # mã hồ sơ (agency code . year . file list code)
    title: str  # tiêu đề hồ sơ
    retention: Retention  # thời hạn bảo quản
    access: Access  # chế độ sử dụng
    language: str  # ngôn ngữ
    start: date | None  # thời gian bắt đầu
    end: date | None  # thời gian kết thúc
    responsible: str  # người lập hồ sơ
    documents: Sequence[DocumentMetadata] = field(default_factory=tuple)
    material_pages: int = 0

    @property
    def document_count(self) -> int:  # tổng số văn bản trong hồ sơ
        return len(self.documents)

    @property
    def page_count(self) -> int:  # tổng số trang của hồ sơ
        return sum(d.pages or 0 for d in self.documents) + self.material_pages


def completeness_problems(meta: FileMetadata) -> list[str]:
    """What a file still lacks before it may be closed (each problem names its place)."""
    problems: list[str] = []
    for name, value in (
        ("file code", meta.code),
        ("title", meta.title),
        ("language", meta.language),
        ("start date", meta.start),
        ("end date", meta.end),
        ("person responsible", meta.responsible),
    ):
        if value in (None, ""):
            problems.append(f"file: {name} is missing")
    if meta.start is not None and meta.end is not None and meta.end < meta.start:
        problems.append("file: the end date is before the start date")
    if not meta.documents and meta.material_pages == 0:
        problems.append("file: it holds no document")
    for n, doc in enumerate(meta.documents, start=1):
        problems += document_problems(doc, f"document {n} ({doc.number_notation or '?'})")
    return problems


def span(dates: Iterable[date | None]) -> tuple[date | None, date | None]:
    """The earliest and latest of ``dates`` (the file's start and end when not set by hand)."""
    known = sorted(d for d in dates if d is not None)
    return (known[0], known[-1]) if known else (None, None)


def check_destroy(
    state: FileState, retention: Retention, end: date | None, today: date, decision: str
) -> None:
    """Destruction needs an ended retention and the decision of the agency's head that
    orders it (quyết định hủy tài liệu hết giá trị, Law on Archives 2011, Art. 28)."""
    next_state(state, Action.DESTROY)
    if retention.permanent:
        raise RecordRuleError("retention", "A file kept permanently is never destroyed.")
    if not due_for_appraisal(retention, end, today):
        last = retention.ends_on(end) if end is not None else None
        raise RecordRuleError(
            "retention",
            f"The file's retention runs until {last.isoformat() if last else 'its end'}.",
        )
    if not decision.strip():
        raise RecordRuleError("decision", "Destroying a file needs the decision that orders it.")
