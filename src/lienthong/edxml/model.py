"""The edXML wire format (QCVN 102:2016/BTTTT and its amendment 1:2022) as plain values.

Element names follow the standard, spelling included (``Bussiness`` with a double s). Dates and
timestamps are kept as the text that travelled (``yyyy/MM/dd``, ``yyyy/MM/dd HH:mm:ss``) so that a
package read and written again is the same package; :func:`parse_edxml_date` reads them.
Everything here is pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import IntEnum, StrEnum

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DATE_FORMAT = "%Y/%m/%d"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"


class BussinessDocType(IntEnum):
    """``Bussiness/BussinessDocType``: what a document package does."""

    NEW = 0  # văn bản mới
    REVOKE = 1  # thu hồi
    UPDATE = 2  # cập nhật
    REPLACE = 3  # thay thế


class Priority(IntEnum):
    """``OtherInfo/Priority`` (độ khẩn)."""

    NORMAL = 0  # thường
    URGENT = 1  # khẩn
    VERY_URGENT = 2  # thượng khẩn
    IMMEDIATE = 3  # hỏa tốc
    IMMEDIATE_TIMED = 4  # hỏa tốc hẹn giờ


class StatusCode(StrEnum):
    """``StatusCode`` of a status package (section 4 of the standard notes)."""

    ARRIVED = "01"  # đã đến
    RETURNED = "02"  # từ chối tiếp nhận
    ACCEPTED = "03"  # đã tiếp nhận (vào sổ)
    ASSIGNED = "04"  # phân công
    PROCESSING = "05"  # đang xử lý
    COMPLETED = "06"  # hoàn thành
    RECALL_REQUESTED = "13"  # lấy lại / thu hồi
    RECALL_AGREED = "15"  # đồng ý thu hồi / cập nhật
    RECALL_REFUSED = "16"  # từ chối thu hồi / cập nhật


class ReceiverType(IntEnum):
    """``Receiver/ReceiverType`` in an update package."""

    REMOVED = 0
    ADDED = 1


@dataclass(frozen=True)
class Organization:
    """``From`` or ``To``: an agency and its contact fields."""

    organ_id: str
    organization_in_charge: str | None = None
    organ_name: str | None = None
    organ_add: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


@dataclass(frozen=True)
class Code:
    code_number: str | None = None
    code_notation: str | None = None


@dataclass(frozen=True)
class PromulgationInfo:
    place: str | None = None
    promulgation_date: str | None = None


@dataclass(frozen=True)
class DocumentType:
    type: str | None = None
    type_detail: str | None = None
    type_name: str | None = None


@dataclass(frozen=True)
class SignerInfo:
    competence: str | None = None
    position: str | None = None
    full_name: str | None = None


@dataclass(frozen=True)
class OtherInfo:
    priority: str | None = None
    sphere_of_promulgation: str | None = None
    typer_notation: str | None = None
    promulgation_amount: str | None = None
    page_amount: str | None = None
    direction: str | None = None
    appendixes: tuple[str, ...] | None = None  # None: no Appendixes element


@dataclass(frozen=True)
class ResponseFor:
    organ_id: str | None = None
    code: str | None = None
    promulgation_date: str | None = None
    document_id: str | None = None


@dataclass(frozen=True)
class StaffInfo:
    department: str | None = None
    staff: str | None = None
    email: str | None = None
    mobile: str | None = None


@dataclass(frozen=True)
class TraceHeader:
    organ_id: str
    timestamp: str


@dataclass(frozen=True)
class Receiver:
    organ_id: str
    receiver_type: int


@dataclass(frozen=True)
class BussinessDocumentInfo:
    """What an update changes: ``DocumentInfo`` / ``DocumentReceiver`` flags and receivers."""

    document_info: str | None = None
    document_receiver: str | None = None
    receivers: tuple[Receiver, ...] = ()


@dataclass(frozen=True)
class ReplacementInfo:
    document_id: str
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bussiness:
    bussiness_doc_type: int = BussinessDocType.NEW
    document_id: str | None = None
    bussiness_doc_reason: str | None = None
    paper: str | None = None
    staff_info: StaffInfo | None = None
    document_info: BussinessDocumentInfo | None = None
    replacements: tuple[ReplacementInfo, ...] = ()


@dataclass(frozen=True)
class ManifestReference:
    content_id: str
    content_type: str | None = None
    description: str | None = None
    attachment_name: str | None = None


@dataclass(frozen=True)
class Attachment:
    """An attachment's metadata; its decoded bytes went to the attachment sink.

    ``size`` and ``sha256`` describe the bytes after base64 decoding (still zipped when
    ``content_type`` is ``application/zip``).
    """

    content_id: str
    attachment_name: str | None = None
    description: str | None = None
    content_type: str | None = None
    size: int = 0
    sha256: str = ""


@dataclass(frozen=True)
class MessageHeader:
    """``MessageHeader`` of a document package."""

    from_: Organization
    to: tuple[Organization, ...]
    document_id: str | None = None
    code: Code | None = None
    promulgation_info: PromulgationInfo | None = None
    document_type: DocumentType | None = None
    subject: str | None = None
    content: str | None = None
    signer_info: SignerInfo | None = None
    due_date: str | None = None
    other_info: OtherInfo | None = None
    response_for: tuple[ResponseFor, ...] = ()
    steering_type: str | None = None
    to_places: tuple[str, ...] | None = None  # None: no ToPlaces element


@dataclass(frozen=True)
class DocumentPackage:
    """A document package: a new document, or a revoke / update / replace of one."""

    header: MessageHeader
    trace_headers: tuple[TraceHeader, ...] = ()
    bussiness: Bussiness | None = None
    manifest: tuple[ManifestReference, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    signed: bool = False  # a ds:Signature element is present (verified elsewhere: trust)

    @property
    def bussiness_doc_type(self) -> BussinessDocType:
        if self.bussiness is None:
            return BussinessDocType.NEW
        return BussinessDocType(self.bussiness.bussiness_doc_type)

    @property
    def sender(self) -> str:
        return self.header.from_.organ_id

    @property
    def recipients(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for org in self.header.to:
            seen.setdefault(org.organ_id, None)
        return tuple(seen)

    @property
    def target_document_id(self) -> str | None:
        """The document a revoke or update acts on: ``Bussiness/DocumentId``, else the header's."""
        if self.bussiness is not None and self.bussiness.document_id:
            return self.bussiness.document_id
        return self.header.document_id


@dataclass(frozen=True)
class StatusPackage:
    """A status package: a receiver's (or, for 13, the sender's) answer about a document."""

    from_: Organization
    response_for: ResponseFor
    status_code: str
    staff_info: StaffInfo | None = None
    description: str | None = None
    timestamp: str | None = None
    trace_headers: tuple[TraceHeader, ...] = ()
    signed: bool = False

    @property
    def sender(self) -> str:
        return self.from_.organ_id


Package = DocumentPackage | StatusPackage


@dataclass(frozen=True)
class Limits:
    """Explicit parsing limits; anything beyond is refused, not truncated."""

    max_bytes: int = 300 * 1024 * 1024
    max_text_bytes: int = 2 * 1024 * 1024  # all non-attachment text together
    max_attachments: int = 200
    # Not the parser's: intake refuses a zipped attachment inflating beyond this (a ZIP bomb).
    max_inflated_bytes: int = 225 * 1024 * 1024
    max_depth: int = 32
    max_elements: int = 100_000
    extra: dict[str, int] = field(default_factory=dict)


def parse_edxml_date(text: str | None) -> date | None:
    """``yyyy/MM/dd`` (also ``yyyy-MM-dd``) as a date; ``None`` when absent or not a real date."""
    if not text:
        return None
    for fmt in (DATE_FORMAT, "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text.strip()[:10], fmt).date()
        except ValueError:
            continue
    return None


def parse_edxml_timestamp(text: str | None) -> datetime | None:
    """``yyyy/MM/dd HH:mm:ss`` as a naive local (Vietnam) datetime; ``None`` when unreadable."""
    if not text:
        return None
    for fmt in (TIMESTAMP_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text.strip()[:19], fmt)
        except ValueError:
            continue
    return None


def format_edxml_date(value: date) -> str:
    return value.strftime(DATE_FORMAT)


def format_edxml_timestamp(value: datetime) -> str:
    return value.strftime(TIMESTAMP_FORMAT)


_DOC_ID = re.compile(r"^(?P<organ>[^,]+),(?P<date>\d{4}/\d{2}/\d{2}),(?P<code>.+)$")


def make_document_id(organ_id: str, promulgation: date, number: str, notation: str) -> str:
    """The standard ``DocumentId``: ``{issuer OrganId},{yyyy/MM/dd},{number}/{notation}``."""
    return f"{organ_id},{format_edxml_date(promulgation)},{number}/{notation}"


def promulgation_year(header: MessageHeader) -> int | None:
    """The year of issue, from ``PromulgationDate``; else from a standard ``DocumentId``."""
    if header.promulgation_info is not None:
        parsed = parse_edxml_date(header.promulgation_info.promulgation_date)
        if parsed is not None:
            return parsed.year
    if header.document_id:
        match = _DOC_ID.match(header.document_id)
        if match:
            return int(match.group("date")[:4])
    return None
