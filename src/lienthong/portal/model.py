"""The public service portal's rules, pure: dossier statuses and their transitions, code forms,
dates of the one-stop gateway, procedure-code quality, due dates and on-time handling, the
articles' quality flags, the service-quality index's on-time group, redaction, and the feedback
lifecycle. Values in, values out; every rule that depends on time takes ``now`` or a date.

Sources (see /work/shared/standards/portal.md): status codes 1-10 as two real code bases use
them; dossier code ``{agency}-{yymmdd}-{sequence}``; procedure codes ``1.001234`` of the national
procedure database; Decision 766/QĐ-TTg (2022) for the service-quality index; Decree 20/2008/NĐ-CP
for feedback (phản ánh, kiến nghị).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum, StrEnum
from typing import Any

from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ
from lienthong.errors import ErrorCode, LienthongError

MAX_BATCH = 1000
DOSSIER_CODE_MAX = 64
# The articles flag a province that synced fewer than 100 dossiers in the period, or whose share
# of dossiers with a wrong procedure code is above 30% [U: thresholds as the articles report them].
LOW_VOLUME_THRESHOLD = 100
WRONG_RATE_THRESHOLD = 0.30
# Decision 766/QĐ-TTg (2022): the on-time handling group weighs 20 of the index's 100 points.
ON_TIME_GROUP_POINTS = 20.0


class PortalError(LienthongError):
    default_code = ErrorCode.PORTAL_DOSSIER_INVALID


# --- dossier statuses ----------------------------------------------------------------------


class DossierStatus(IntEnum):
    """``TrangThaiHoSo`` as the one-stop systems send it."""

    REGISTERED = 1
    ACCEPTED = 2
    NOT_ACCEPTED = 3
    IN_PROCESS = 4
    SUPPLEMENT_REQUESTED = 5
    FINANCIAL_OBLIGATION = 6
    WITHDRAWN = 7
    STOPPED = 8
    FINISHED = 9
    RETURNED = 10


STATUS_LABELS: dict[int, str] = {
    1: "Mới đăng ký",
    2: "Đã tiếp nhận",
    3: "Không được tiếp nhận",
    4: "Đang xử lý",
    5: "Yêu cầu bổ sung",
    6: "Yêu cầu thực hiện nghĩa vụ tài chính",
    7: "Công dân rút hồ sơ",
    8: "Dừng xử lý",
    9: "Đã xử lý xong",
    10: "Đã trả kết quả",
}

_S = DossierStatus
# Which status may follow which. A status may always be re-sent (same status, newer fields).
# Systems often skip intermediate steps (accepted -> finished), so forward jumps that keep the
# lifecycle's order are allowed; going back from a final status is not.
TRANSITIONS: dict[int, frozenset[int]] = {
    _S.REGISTERED: frozenset({2, 3, 4, 5, 6, 7, 8, 9, 10}),
    _S.ACCEPTED: frozenset({4, 5, 6, 7, 8, 9, 10}),
    _S.NOT_ACCEPTED: frozenset(),
    _S.IN_PROCESS: frozenset({5, 6, 7, 8, 9, 10}),
    _S.SUPPLEMENT_REQUESTED: frozenset({2, 4, 6, 7, 8, 9, 10}),
    _S.FINANCIAL_OBLIGATION: frozenset({4, 5, 7, 8, 9, 10}),
    _S.WITHDRAWN: frozenset(),
    _S.STOPPED: frozenset(),
    _S.FINISHED: frozenset({10}),
    _S.RETURNED: frozenset(),
}
FINISHED_STATUSES = frozenset({_S.FINISHED, _S.RETURNED})
# Not handled to an end: not counted in on-time figures.
CLOSED_WITHOUT_RESULT = frozenset({_S.NOT_ACCEPTED, _S.WITHDRAWN, _S.STOPPED})


def transition_allowed(current: int, new: int) -> bool:
    return new == current or new in TRANSITIONS.get(current, frozenset())


def parse_status(value: object) -> DossierStatus:
    try:
        number = int(str(value))
        return DossierStatus(number)
    except (TypeError, ValueError) as exc:
        raise PortalError(f"TrangThaiHoSo {value!r} is not a status 1-10") from exc


class Channel(IntEnum):
    """``KenhThucHien``: paper, online and postal dossiers are all synced."""

    IN_PERSON = 1
    ONLINE = 2
    POSTAL = 3


CHANNEL_LABELS: dict[int, str] = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Bưu chính công ích"}


# --- codes ---------------------------------------------------------------------------------

_DOSSIER_CODE_RE = re.compile(r"(?P<agency>[A-Za-z0-9._]{1,35})-(?P<day>\d{6})-(?P<seq>\d{1,10})")
_USABLE_CODE_RE = re.compile(rf"[A-Za-z0-9._/-]{{1,{DOSSIER_CODE_MAX}}}")
PROCEDURE_CODE_RE = re.compile(r"\d\.\d{6}")


def usable_dossier_code(code: object) -> bool:
    """A code the portal can key a dossier on (letters, digits, ``. _ / -``; 1-64)."""
    return isinstance(code, str) and _USABLE_CODE_RE.fullmatch(code) is not None


def dossier_code_problem(code: str) -> str | None:
    """Why ``code`` is not of the form ``{agency}-{yymmdd}-{sequence}``, or None."""
    match = _DOSSIER_CODE_RE.fullmatch(code)
    if match is None:
        return "not of the form {agency}-{yymmdd}-{sequence}"
    day = match.group("day")
    try:
        date(2000 + int(day[:2]), int(day[2:4]), int(day[4:]))
    except ValueError:
        return f"{day} is not a date yymmdd"
    return None


# --- gateway dates -------------------------------------------------------------------------


def parse_portal_datetime(value: object, name: str) -> datetime:
    """``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh as an aware UTC datetime; PORTAL_DATE_INVALID."""
    if not isinstance(value, str) or len(value) != 14 or not value.isdigit():
        raise PortalError(
            f"{name} {value!r} is not yyyyMMddHHmmss", code=ErrorCode.PORTAL_DATE_INVALID
        )
    try:
        local = datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=VN_TZ)
    except ValueError as exc:
        raise PortalError(
            f"{name} {value!r} is not a real date", code=ErrorCode.PORTAL_DATE_INVALID
        ) from exc
    return local.astimezone(UTC)


def format_portal_datetime(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(VN_TZ).strftime("%Y%m%d%H%M%S")


def vn_day(value: datetime) -> date:
    return value.astimezone(VN_TZ).date()


def period_of(value: datetime) -> str:
    """The statistics period (a month, ``YYYY-MM``, Vietnam time) of an instant."""
    return value.astimezone(VN_TZ).strftime("%Y-%m")


# --- the procedure catalogue and wrong codes -------------------------------------------------


class OnlineLevel(StrEnum):
    END_TO_END = "toan_trinh"
    PARTIAL = "mot_phan"
    NONE = "khong"


class WrongCode(StrEnum):
    """Why a synced dossier's procedure code counts as wrong [U: no official formula]."""

    EMPTY = "EMPTY"
    UNKNOWN = "UNKNOWN"
    NOT_PUBLISHED = "NOT_PUBLISHED"
    EXPIRED = "EXPIRED"


WRONG_CODE_LABELS = {
    "EMPTY": "Không có mã TTHC",
    "UNKNOWN": "Mã TTHC không có trong CSDL",
    "NOT_PUBLISHED": "TTHC không công bố cho cơ quan/cấp này",
    "EXPIRED": "TTHC hết hiệu lực khi tiếp nhận",
}


@dataclass(frozen=True, kw_only=True)
class ProcedureVersion:
    """One version of a catalogued procedure (mã TTHC), in force ``valid_from``-``valid_to``
    (both inclusive, Vietnamese dates). Empty ``agency_codes`` or ``levels`` mean any."""

    code: str
    version: int
    name: str
    field_code: str
    field_name: str
    agency_codes: tuple[str, ...] = ()
    levels: tuple[int, ...] = ()
    channels: tuple[int, ...] = (1, 2, 3)
    processing_days: int
    fees: tuple[dict[str, Any], ...] = ()
    online_level: OnlineLevel = OnlineLevel.PARTIAL
    valid_from: date
    valid_to: date | None = None
    legal_basis: str = ""
    id: int | None = None

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def published_for(self, agency_chain: Sequence[str], level: int) -> bool:
        if self.levels and level not in self.levels:
            return False
        return not self.agency_codes or any(a in self.agency_codes for a in agency_chain)


def check_procedure(
    code: str | None,
    versions: Sequence[ProcedureVersion],
    agency_chain: Sequence[str],
    level: int,
    received_on: date,
) -> tuple[ProcedureVersion | None, WrongCode | None]:
    """The version a dossier is pinned to (in force at reception, published for its agency and
    level), or why its procedure code is wrong. ``agency_chain`` is the agency and its
    ancestors (a procedure published for a province is published for its departments)."""
    if not code:
        return None, WrongCode.EMPTY
    if not versions:
        return None, WrongCode.UNKNOWN
    in_force = [v for v in versions if v.in_force(received_on)]
    if not in_force:
        ended = any(v.valid_to is not None and v.valid_to < received_on for v in versions)
        return None, WrongCode.EXPIRED if ended else WrongCode.NOT_PUBLISHED
    for version in sorted(in_force, key=lambda v: -v.version):
        if version.published_for(agency_chain, level):
            return version, None
    return None, WrongCode.NOT_PUBLISHED


# --- due dates and on-time handling ----------------------------------------------------------


class Timeliness(StrEnum):
    EARLY = "EARLY"
    ON_TIME = "ON_TIME"
    LATE = "LATE"


TIMELINESS_LABELS = {"EARLY": "Trước hạn", "ON_TIME": "Đúng hạn", "LATE": "Quá hạn"}


def due_date(
    calendar: WorkingCalendar,
    received_at: datetime,
    processing_days: int,
    *,
    cutoff_hour: int | None = None,
) -> date:
    """The due date: ``processing_days`` working days after the day of valid reception
    (Decree 61/2018 Art. 19-20 count the time limit in working days from reception; the
    reception day itself does not count). A dossier received after ``cutoff_hour`` (Vietnam
    time) counts as received on the next working day [U: per procedure, configuration]."""
    local = received_at.astimezone(VN_TZ)
    start = local.date()
    if cutoff_hour is not None and local.hour >= cutoff_hour:
        start = calendar.next_working_day(start + timedelta(days=1))
    return calendar.add_working_days(start, processing_days)


def effective_due(
    computed: date | None, declared: date | None, supplement_moves: Sequence[date]
) -> date | None:
    """The due date the figures use: the last supplement's new appointment date
    (``NgayHenTraMoi``) when supplements moved it, else the date computed from the pinned
    catalogue version, else the one the system declared (``NgayHenTra``)."""
    if supplement_moves:
        return supplement_moves[-1]
    return computed if computed is not None else declared


def classify(due: date, finished_at: datetime) -> Timeliness:
    """Early when finished before the due day, on time on it, late after (Vietnam dates)."""
    finished = vn_day(finished_at)
    if finished < due:
        return Timeliness.EARLY
    if finished == due:
        return Timeliness.ON_TIME
    return Timeliness.LATE


def is_overdue(due: date | None, finished_at: datetime | None, now: datetime) -> bool:
    """ "Overdue" is not a status: past the due day without a finish, or finished late."""
    if due is None:
        return False
    return vn_day(finished_at or now) > due


def on_time_points(early: int, on_time: int, late: int) -> float | None:
    """Decision 766/QĐ-TTg, group "on-time handling" (20 points): the share of dossiers
    finished early or on time, times 20 [U: the sub-indicators are not published; this is the
    group's core ratio]. None without finished dossiers."""
    finished = early + on_time + late
    if finished == 0:
        return None
    return round(ON_TIME_GROUP_POINTS * (early + on_time) / finished, 2)


# --- quality flags per province and ministry --------------------------------------------------


class ScopeKind(StrEnum):
    PROVINCE = "province"
    MINISTRY = "ministry"


def scope_kind(root_code: str) -> ScopeKind:
    """Province (``H..`` in the identifier's last part or a new-form ``H01``) or ministry."""
    tail = root_code.rsplit(".", maxsplit=1)[-1] if root_code[:1].isdigit() else root_code
    return ScopeKind.PROVINCE if tail.upper().startswith("H") else ScopeKind.MINISTRY


def wrong_rate(volume: int, wrong: int) -> float:
    return wrong / volume if volume else 0.0


def quality_flags(volume: int, wrong: int) -> list[str]:
    """The articles' flags: fewer than 100 dossiers synced, more than 30% wrong codes."""
    flags = []
    if volume < LOW_VOLUME_THRESHOLD:
        flags.append("LOW_VOLUME")
    if volume and wrong_rate(volume, wrong) > WRONG_RATE_THRESHOLD:
        flags.append("HIGH_WRONG_RATE")
    return flags


FLAG_LABELS = {
    "LOW_VOLUME": "Dưới 100 hồ sơ đồng bộ",
    "HIGH_WRONG_RATE": "Trên 30% hồ sơ sai mã TTHC",
}


# --- redaction -------------------------------------------------------------------------------

_EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_ID_RE = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")  # CCCD (12 digits), CMND (9 digits)
_PHONE_RE = re.compile(r"(?<![\w])(?:\+84|0)(?:[\s.-]?\d){8,10}(?!\d)")
_HONORIFIC_RE = re.compile(
    r"\b(?P<h>[Ôô]ng|[Bb]à|[Aa]nh|[Cc]hị|[Ee]m|[Cc]ô|[Cc]hú)\s+"
    r"(?P<name>[^\W\d_][\w]*(?:\s+[^\W\d_][\w]*){0,3})"
)
NAME_MARK = "[họ tên đã ẩn]"


def _redact_honorific(match: re.Match[str]) -> str:
    words = match.group("name").split()
    taken = []
    for word in words:
        if not word[0].isupper():
            break
        taken.append(word)
    if not taken:
        return match.group(0)
    rest = match.group("name")[len(" ".join(taken)) :]
    return f"{match.group('h')} {NAME_MARK}{rest}"


def redact(text: str, names: Iterable[str] = ()) -> str:
    """``text`` without personal data: the given names, capitalised names after an honorific
    (ông, bà, anh, chị...), e-mail addresses, ID card numbers (9 or 12 digits) and phone
    numbers. Used before a feedback item or its answer is published (Decree 13/2023/NĐ-CP on
    personal data)."""
    out = text
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        out = re.sub(re.escape(name), NAME_MARK, out, flags=re.IGNORECASE)
    out = _EMAIL_RE.sub("[email đã ẩn]", out)
    out = _ID_RE.sub("[số giấy tờ đã ẩn]", out)
    out = _PHONE_RE.sub("[số điện thoại đã ẩn]", out)
    return _HONORIFIC_RE.sub(_redact_honorific, out)


def mask_name(name: str | None) -> str:
    """A public view of an applicant's name: initials but the given name (``N. V. An``)."""
    if not name:
        return ""
    words = name.split()
    if len(words) == 1:
        return words[0][0] + "."
    return " ".join(w[0] + "." for w in words[:-1]) + " " + words[-1]


# --- feedback (phản ánh, kiến nghị; Decree 20/2008/NĐ-CP) -----------------------------------


class FeedbackState(StrEnum):
    RECEIVED = "RECEIVED"
    ASSIGNED = "ASSIGNED"
    IN_PROGRESS = "IN_PROGRESS"
    ANSWERED = "ANSWERED"
    PUBLISHED = "PUBLISHED"
    CLOSED = "CLOSED"


FEEDBACK_STATE_LABELS = {
    "RECEIVED": "Đã tiếp nhận",
    "ASSIGNED": "Đã chuyển cơ quan có thẩm quyền",
    "IN_PROGRESS": "Đang xử lý",
    "ANSWERED": "Đã có kết quả xử lý",
    "PUBLISHED": "Đã công khai kết quả",
    "CLOSED": "Đã đóng",
}

FEEDBACK_ACTION_LABELS = {
    "submit": "Gửi phản ánh, kiến nghị",
    "classify": "Phân loại và chuyển",
    "start": "Bắt đầu xử lý",
    "answer": "Trả lời",
    "publish": "Công khai kết quả",
    "close": "Đóng",
    "reopen": "Mở lại",
}
"""What the feedback history shows for each step (``feedback_events.action``)."""
CITIZEN_ACTOR = "citizen"


class Classification(StrEnum):
    """Decree 20/2008 Art. 12: the receiving agency classifies what it receives."""

    VALID = "VALID"
    INVALID = "INVALID"
    NOT_COMPETENT = "NOT_COMPETENT"
    DUPLICATE = "DUPLICATE"


CLASSIFICATION_LABELS = {
    "VALID": "Hợp lệ, thuộc phạm vi xử lý",
    "INVALID": "Không hợp lệ",
    "NOT_COMPETENT": "Không thuộc thẩm quyền",
    "DUPLICATE": "Trùng lặp",
}

# action -> (states it may start from, state it leads to)
FEEDBACK_ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "classify_valid": (frozenset({"RECEIVED"}), "ASSIGNED"),
    "classify_other": (frozenset({"RECEIVED"}), "CLOSED"),
    "start": (frozenset({"ASSIGNED"}), "IN_PROGRESS"),
    "answer": (frozenset({"ASSIGNED", "IN_PROGRESS"}), "ANSWERED"),
    "publish": (frozenset({"ANSWERED"}), "PUBLISHED"),
    "close": (frozenset({"ANSWERED", "PUBLISHED"}), "CLOSED"),
    "reopen": (frozenset({"ANSWERED", "PUBLISHED", "CLOSED"}), "IN_PROGRESS"),
}


def next_feedback_state(state: str, action: str) -> str:
    allowed, target = FEEDBACK_ACTIONS[action]
    if state not in allowed:
        raise PortalError(
            f"{action} is not allowed while the item is {state}",
            code=ErrorCode.PORTAL_FEEDBACK_STATE,
        )
    return target


@dataclass(frozen=True)
class Reminder:
    tracking_code: str
    agency_code: str | None
    deadline: date
    kind: str  # "DUE_SOON" (reminder) or "OVERDUE" (escalation)


def reminder_kind(
    deadline: date, today: date, calendar: WorkingCalendar, before: int
) -> str | None:
    """DUE_SOON within ``before`` working days of the deadline, OVERDUE after it."""
    if today > deadline:
        return "OVERDUE"
    if calendar.working_days_between(today, deadline) <= before:
        return "DUE_SOON"
    return None


@dataclass
class FeedbackStats:
    """As the articles count them: 841 received, 568 forwarded, 452 answered (80%), 116
    pending (forwarded minus answered)."""

    received: int = 0
    forwarded: int = 0
    answered: int = 0
    by_state: dict[str, int] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return self.forwarded - self.answered

    @property
    def answered_share(self) -> float:
        return self.answered / self.forwarded if self.forwarded else 0.0
