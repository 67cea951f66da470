"""Pure rules of the hub: the status transition table, duplicate keys, recipient states.

No I/O here; everything takes plain values (and ``now`` where time matters).

Status transitions (per document and recipient), from section 4 of the exchange notes and
Decree 30/2020/NĐ-CP Art. 21-22 (receiving: register, assign, process)::

    current  ->  allowed next
    (none)   ->  01 02 03 04 05 06
    01       ->  01 02 03 04 05 06
    03       ->  04 05 06
    04       ->  04 05 06        (re-assignment repeats 04)
    05       ->  05 06           (progress notes repeat 05)
    02, 06   ->  nothing: returned and completed are final
    15 / 16  ->  only while a recall (13) or an update is waiting for this recipient's answer
    13       ->  only from the document's sender (a recall request), never from a recipient

A recipient may skip intermediate steps but never goes back. 02 (returned) needs a reason and
comes only before acceptance (03). A recipient who agreed to a recall (15) holds no document any
more: nothing follows. A status from an agency that is not a recipient is refused.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from lienthong.edxml.model import StatusCode
from lienthong.errors import ErrorCode
from lienthong.text import fold

# Processing chain, in order; 02 sits apart (a refusal before acceptance).
_CHAIN: tuple[StatusCode, ...] = (
    StatusCode.ARRIVED,
    StatusCode.ACCEPTED,
    StatusCode.ASSIGNED,
    StatusCode.PROCESSING,
    StatusCode.COMPLETED,
)
_RANK = {code: i for i, code in enumerate(_CHAIN)}
_REPEATABLE = frozenset({StatusCode.ARRIVED, StatusCode.ASSIGNED, StatusCode.PROCESSING})
_FINAL = frozenset({StatusCode.RETURNED, StatusCode.COMPLETED})
RECIPIENT_STATUSES = frozenset(StatusCode) - {StatusCode.RECALL_REQUESTED}


class PendingRequest(StrEnum):
    """What a recipient has been asked to answer with 15 / 16."""

    RECALL = "recall"
    UPDATE = "update"


class DocumentState(StrEnum):
    ACTIVE = "active"
    RECALL_REQUESTED = "recall_requested"  # the sender's copy is frozen (Decree 30 Art. 23)
    RECALLED = "recalled"  # every recipient agreed
    REPLACED = "replaced"


class TransportState(StrEnum):
    """A delivery's transport state (the axis protocol's ``updateStatus``)."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class MessageKind(StrEnum):
    EDOC = "edoc"
    STATUS = "status"


@dataclass(frozen=True)
class RecipientView:
    """What the rules need to know of one recipient's copy of a document."""

    status: StatusCode | None
    pending: PendingRequest | None = None
    recalled: bool = False
    removed: bool = False


@dataclass(frozen=True)
class Refusal:
    code: ErrorCode
    message: str


@dataclass(frozen=True)
class StatusOutcome:
    """The recipient's state after an accepted status."""

    status: StatusCode | None
    pending: PendingRequest | None
    recalled: bool
    answered: PendingRequest | None = None  # the request a 15/16 answered


def apply_status(
    view: RecipientView, code: StatusCode, reason: str | None
) -> StatusOutcome | Refusal:
    """Check a recipient's status against the transition table; the new state or why not."""
    if view.recalled or view.removed:
        return Refusal(ErrorCode.DOCUMENT_RECALLED, "This recipient no longer holds the document.")
    if code is StatusCode.RECALL_REQUESTED:
        return Refusal(ErrorCode.STATUS_NOT_ALLOWED, "Only the sender may request a recall (13).")
    if code in (StatusCode.RECALL_AGREED, StatusCode.RECALL_REFUSED):
        if view.pending is None:
            return Refusal(
                ErrorCode.STATUS_NOT_ALLOWED,
                f"Status {code} answers a recall or an update, and none is waiting.",
            )
        agreed_recall = code is StatusCode.RECALL_AGREED and view.pending is PendingRequest.RECALL
        return StatusOutcome(
            status=view.status, pending=None, recalled=agreed_recall, answered=view.pending
        )
    if code is StatusCode.RETURNED and not (reason and reason.strip()):
        return Refusal(ErrorCode.STATUS_REASON_REQUIRED, "Status 02 (returned) needs a reason.")
    current = view.status
    if current in _FINAL:
        return Refusal(
            ErrorCode.STATUS_NOT_ALLOWED, f"Nothing may follow status {current} (final)."
        )
    if code is StatusCode.RETURNED:
        if current not in (None, StatusCode.ARRIVED):
            return Refusal(
                ErrorCode.STATUS_NOT_ALLOWED,
                f"A document can be returned (02) only before acceptance; it is at {current}.",
            )
        return StatusOutcome(status=code, pending=view.pending, recalled=False)
    if current is not None:
        if code == current and code in _REPEATABLE:
            return StatusOutcome(status=code, pending=view.pending, recalled=False)
        if _RANK[code] <= _RANK[current]:
            return Refusal(ErrorCode.STATUS_NOT_ALLOWED, f"Status {code} may not follow {current}.")
    return StatusOutcome(status=code, pending=view.pending, recalled=False)


def may_receive_request(view: RecipientView) -> bool:
    """Whether a recall or update should reach this recipient (not returned, still holding)."""
    return not (view.recalled or view.removed or view.status is StatusCode.RETURNED)


_SPACES = re.compile(r"\s+")


def normalise_notation(text: str | None) -> str:
    """Notation as compared for duplicates: NFC, upper case, no spaces (``VPCP-TTĐT``)."""
    if not text:
        return ""
    return _SPACES.sub("", unicodedata.normalize("NFC", text)).upper()


def normalise_number(text: str | None) -> str:
    """Number as compared for duplicates: ``01`` and ``1`` are the same number."""
    value = _SPACES.sub("", text or "")
    if value.isdigit():
        return str(int(value))
    return unicodedata.normalize("NFC", value).upper()


def document_search_text(
    code_number: str, code_notation: str, type_name: str | None, subject: str | None
) -> str:
    """What a search of the inbox or outbox looks in (``documents.search_text``): the number and
    notation as written (``01/VPCP-TTĐT``, so that ``01/VPCP`` or ``VPCP`` find it), the type
    and the subject, folded (:func:`lienthong.text.fold`)."""
    number_notation = "/".join(part for part in (code_number, code_notation) if part)
    return fold(" ".join((number_notation, type_name or "", subject or "")))


def transport_ack_allowed(current: TransportState, result: TransportState) -> bool:
    """An ack may repeat (idempotent) but ``done`` is never turned into ``failed``."""
    if current is TransportState.PENDING:
        return True
    if current is result:
        return True
    return current is TransportState.FAILED and result is TransportState.DONE
