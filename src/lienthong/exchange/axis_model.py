"""Pure rules of the axis protocol's vocabulary: message types, transport acknowledgement words,
status descriptions, date bounds and pages. Plain values in, values out; no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from lienthong.clock import VN_TZ
from lienthong.edxml.model import StatusCode
from lienthong.errors import ErrorCode
from lienthong.exchange.axis_auth import parse_timestamp
from lienthong.exchange.errors import ExchangeError
from lienthong.exchange.model import MessageKind, TransportState

__all__ = [
    "SERVICE_TYPE",
    "Ack",
    "Page",
    "ack_of",
    "date_bound",
    "format_time",
    "message_kind",
    "page_of",
    "status_description",
    "transport_word",
]

SERVICE_TYPE = "eDoc"

# ``updateStatus`` words. ``done`` and ``fail`` are the protocol's; the others are seen in the
# wild, where document software reports its own progress through this call. Each is read as
# what it says about the *transport*: the package reached the software (``done``), except a
# rejection or a cancellation, which say the software did not take it (``fail``). Business
# statuses (03 accepted, 02 returned, ...) travel as status packages through ``sendEdoc``.
_ACK_WORDS: dict[str, TransportState] = {
    "done": TransportState.DONE,
    "inbox": TransportState.DONE,
    "processing": TransportState.DONE,
    "acceptance": TransportState.DONE,
    "assignment": TransportState.DONE,
    "fail": TransportState.FAILED,
    "failed": TransportState.FAILED,
    "rejection": TransportState.FAILED,
    "cancellation": TransportState.FAILED,
}
# The words that fail without being "fail": they carry their own reason when none is given.
_SELF_EXPLAINING = frozenset({"rejection", "cancellation"})

_TRANSPORT_WORDS: dict[str, tuple[str, str]] = {
    TransportState.PENDING: ("pending", "Chờ đơn vị nhận tải về"),
    TransportState.DONE: ("done", "Đơn vị nhận đã tải về"),
    TransportState.FAILED: ("fail", "Đơn vị nhận báo không nhận được"),
}

_STATUS_DESCRIPTIONS: dict[str, str] = {
    StatusCode.ARRIVED: "Đã đến",
    StatusCode.RETURNED: "Từ chối tiếp nhận",
    StatusCode.ACCEPTED: "Đã tiếp nhận",
    StatusCode.ASSIGNED: "Phân công",
    StatusCode.PROCESSING: "Đang xử lý",
    StatusCode.COMPLETED: "Hoàn thành",
    StatusCode.RECALL_REQUESTED: "Lấy lại / thu hồi",
    StatusCode.RECALL_AGREED: "Đồng ý thu hồi / cập nhật",
    StatusCode.RECALL_REFUSED: "Từ chối thu hồi / cập nhật",
}


def _invalid(message: str, **detail: object) -> ExchangeError:
    return ExchangeError(message, code=ErrorCode.REQUEST_INVALID, detail=dict(detail))


def message_kind(text: str | None, default: MessageKind | None = None) -> MessageKind:
    """``messagetype`` (``edoc`` or ``status``, any case); ``default`` when absent.

    Raises ``REQUEST_INVALID`` for another value, or when absent without a default.
    """
    if text is None or not text.strip():
        if default is None:
            raise _invalid("The parameter messagetype (edoc or status) is required.")
        return default
    try:
        return MessageKind(text.strip().lower())
    except ValueError:
        raise _invalid(
            f"messagetype {text!r} is neither 'edoc' nor 'status'.", messagetype=text
        ) from None


@dataclass(frozen=True)
class Ack:
    """A transport acknowledgement read from ``updateStatus``."""

    result: TransportState
    reason: str | None


def ack_of(word: str | None, reason: str | None) -> Ack:
    """The acknowledgement ``updateStatus`` asks for (see ``_ACK_WORDS`` for the words).

    A rejection or cancellation without a reason gets the word as its reason; a plain ``fail``
    keeps none (the hub then asks for one). Raises ``REQUEST_INVALID`` for an unknown word.
    """
    key = (word or "").strip().lower()
    result = _ACK_WORDS.get(key)
    if result is None:
        raise _invalid(
            f"status {word!r} is not one of {', '.join(sorted(_ACK_WORDS))}.",
            status=word,
            accepted=sorted(_ACK_WORDS),
        )
    text = reason.strip() if reason and reason.strip() else None
    if text is None and key in _SELF_EXPLAINING:
        text = f"{key} (updateStatus)"
    return Ack(result=result, reason=text)


def transport_word(state: str | None) -> tuple[str, str]:
    """``(status, status_desc)`` of a delivery's transport state, as the protocol shows it."""
    if state is None:
        return "", ""
    return _TRANSPORT_WORDS.get(state, (state, state))


def status_description(code: str | None) -> str:
    """The Vietnamese name of a business status code (section 4 of the notes); ``""`` if none."""
    if not code:
        return ""
    return _STATUS_DESCRIPTIONS.get(code, code)


def format_time(at: datetime | None) -> str:
    """An instant as the protocol's lists show it: ISO 8601 in Vietnamese time, to the second."""
    if at is None:
        return ""
    return at.astimezone(VN_TZ).isoformat(timespec="seconds")


_DATE_FORMS = ("%d/%m/%Y", "%Y-%m-%d", "%Y/%m/%d", "%d-%m-%Y", "%d%m%Y", "%Y%m%d")
_DATE_ONLY = re.compile(r"\d{1,4}[-/]\d{1,2}[-/]\d{1,4}|\d{8}")


def date_bound(text: str | None, *, end: bool) -> datetime | None:
    """``fromDate`` / ``toDate`` as an instant (UTC); ``None`` when absent.

    A date alone (``dd/MM/yyyy``, ``yyyy-MM-dd``, ``yyyy/MM/dd``, ``dd-MM-yyyy``,
    ``ddMMyyyy``, ``yyyyMMdd``) is a whole Vietnamese day: its start for ``fromDate``, its end
    for ``toDate`` (``end=True``). Anything else is read as a timestamp
    (:func:`~lienthong.exchange.axis_auth.parse_timestamp`). Raises ``REQUEST_INVALID``.
    """
    if text is None or not text.strip():
        return None
    value = text.strip()
    if _DATE_ONLY.fullmatch(value):
        for form in _DATE_FORMS:
            try:
                day = datetime.strptime(value, form).date()
            except ValueError:
                continue
            return _day_edge(day, end=end)
    at = parse_timestamp(value)
    if at is None:
        raise _invalid(f"{value!r} is not a date (dd/MM/yyyy) nor a timestamp.", value=value)
    return at


def _day_edge(day: date, *, end: bool) -> datetime:
    start = datetime.combine(day, time(), tzinfo=VN_TZ)
    if end:
        start += timedelta(days=1) - timedelta(microseconds=1)
    return start.astimezone(UTC)


@dataclass(frozen=True)
class Page:
    limit: int
    offset: int


def page_of(size: str | None, index: str | None, *, largest: int) -> Page:
    """``pageSize`` / ``pageIndex`` as a limit and offset.

    ``pageIndex`` counts from 1 (0 is read as the first page too); ``pageSize`` defaults to and
    is capped at ``largest``. Raises ``REQUEST_INVALID`` for a value that is not a number.
    """
    try:
        limit = int(size) if size and size.strip() else largest
        number = int(index) if index and index.strip() else 1
    except ValueError:
        raise _invalid("pageSize and pageIndex must be whole numbers.") from None
    if limit < 1 or number < 0:
        raise _invalid("pageSize must be 1 or more and pageIndex 1 or more.")
    limit = min(limit, largest)
    return Page(limit=limit, offset=(max(number, 1) - 1) * limit)
