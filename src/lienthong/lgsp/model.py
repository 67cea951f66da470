"""Pure rules of the LGSP style: the platform's numeric error codes, its transport status
words, the life of a consumer credential and of a token, and which units a connected system
may act for. Plain values in, values out; no I/O.

Vocabulary (``docs/glossary.md``): a *connected system* (hệ thống kết nối) holds a *consumer
key* and *consumer secret* (OAuth2 client credentials) and trades them for a short-lived
*access token*; each call names the *unit* (đơn vị liên thông) it acts for by the unit's
*secret* (mã định danh bí mật đơn vị).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum, StrEnum

from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.model import TransportState

__all__ = [
    "BASE_PATH",
    "SCOPE",
    "SERVICE_TYPE",
    "TOKEN_TYPE",
    "ConsumerState",
    "LgspError",
    "PlatformCode",
    "TransportWord",
    "UnitFields",
    "ack_for",
    "consumer_state",
    "in_scope",
    "platform_code",
    "previous_secret_works",
    "province_units",
    "token_usable",
    "transport_word",
]

BASE_PATH = "/truclienthong/v1.0.0"  # as the platform's example client configures it
TOKEN_TYPE = "Bearer"  # noqa: S105 - a token type, not a secret
SCOPE = "default"
SERVICE_TYPE = "eDoc"


class LgspError(LienthongError):
    """A refusal of the LGSP style (credentials, tokens, units); ``code`` says which rule."""

    default_code = ErrorCode.AUTH_FAILED


class PlatformCode(IntEnum):
    """The platform's own ``errorCode`` values, sent beside the hub's :class:`ErrorCode`."""

    SUCCESS = 0
    INVALID_FILE = 10
    WRONG_SYSTEM_OR_SECRET = 15
    RECEIVER_UNKNOWN = 18
    SENDER_NOT_REGISTERED = 19
    PLATFORM_ERROR = 20
    FILE_PROCESSING_ERROR = 21
    EDXML_NOT_CONFORMANT = 22
    RECEIVER_LOCKED = 23


_PLATFORM_CODES: dict[ErrorCode, PlatformCode] = {
    # The file cannot be read as a package at all.
    ErrorCode.PACKAGE_MALFORMED: PlatformCode.INVALID_FILE,
    ErrorCode.PACKAGE_TOO_LARGE: PlatformCode.INVALID_FILE,
    ErrorCode.PACKAGE_FORBIDDEN_XML: PlatformCode.INVALID_FILE,
    ErrorCode.ATTACHMENT_ENCODING_INVALID: PlatformCode.INVALID_FILE,
    ErrorCode.MANIFEST_MISMATCH: PlatformCode.INVALID_FILE,
    ErrorCode.HASH_MISMATCH: PlatformCode.INVALID_FILE,
    # It reads, but is not the edXML that QCVN 102:2016 and Decision 28 ask for.
    ErrorCode.PACKAGE_WRONG_NAMESPACE: PlatformCode.EDXML_NOT_CONFORMANT,
    ErrorCode.PACKAGE_FIELD_MISSING: PlatformCode.EDXML_NOT_CONFORMANT,
    ErrorCode.PACKAGE_FIELD_INVALID: PlatformCode.EDXML_NOT_CONFORMANT,
    ErrorCode.PACKAGE_KIND_MISMATCH: PlatformCode.EDXML_NOT_CONFORMANT,
    ErrorCode.SIGNATURE_MISSING: PlatformCode.EDXML_NOT_CONFORMANT,
    ErrorCode.SIGNATURE_NOT_XMLDSIG: PlatformCode.EDXML_NOT_CONFORMANT,
    # Who is calling.
    ErrorCode.AUTH_FAILED: PlatformCode.WRONG_SYSTEM_OR_SECRET,
    ErrorCode.AUTH_REPLAYED: PlatformCode.WRONG_SYSTEM_OR_SECRET,
    ErrorCode.TOKEN_INVALID: PlatformCode.WRONG_SYSTEM_OR_SECRET,
    ErrorCode.FORBIDDEN: PlatformCode.WRONG_SYSTEM_OR_SECRET,
    ErrorCode.CONSUMER_UNKNOWN: PlatformCode.WRONG_SYSTEM_OR_SECRET,
    ErrorCode.SENDER_MISMATCH: PlatformCode.SENDER_NOT_REGISTERED,
    # The registry.
    ErrorCode.RECIPIENT_UNKNOWN: PlatformCode.RECEIVER_UNKNOWN,
    ErrorCode.AGENCY_UNKNOWN: PlatformCode.RECEIVER_UNKNOWN,
    ErrorCode.RECIPIENT_NOT_VALID: PlatformCode.RECEIVER_LOCKED,
    ErrorCode.RECIPIENT_MERGED: PlatformCode.RECEIVER_LOCKED,
    # The hub itself.
    ErrorCode.INTERNAL: PlatformCode.PLATFORM_ERROR,
    ErrorCode.STORAGE_UNAVAILABLE: PlatformCode.PLATFORM_ERROR,
    ErrorCode.HUB_UNAVAILABLE: PlatformCode.PLATFORM_ERROR,
}


def platform_code(code: ErrorCode) -> PlatformCode:
    """The platform's ``errorCode`` for a refusal: the table above; any other rule of the
    exchange (a duplicate, a status not allowed, an unknown ``docId``, a signature that
    does not verify, ...) is the platform's 21, "file processing error"."""
    return _PLATFORM_CODES.get(code, PlatformCode.FILE_PROCESSING_ERROR)


class TransportWord(StrEnum):
    """``PUT vanbans/{docId}``'s ``status``: the receiving software's transport status."""

    INITIAL = "INITIAL"  # khởi tạo: not taken yet
    PROCESSING = "PROCESSING"  # đang xử lý: the software has it and is working on it
    DONE = "DONE"  # hoàn thành
    FAIL = "FAIL"  # thất bại


_ACKS: dict[TransportWord, TransportState | None] = {
    TransportWord.INITIAL: None,
    # The package reached the software: for the transport this is done. Business statuses
    # (03 accepted, 04 assigned, ...) travel as status packages (POST vanbans, status).
    TransportWord.PROCESSING: TransportState.DONE,
    TransportWord.DONE: TransportState.DONE,
    TransportWord.FAIL: TransportState.FAILED,
}

_WORDS: dict[str, tuple[TransportWord, str]] = {
    TransportState.PENDING: (TransportWord.INITIAL, "Khởi tạo"),
    TransportState.DONE: (TransportWord.DONE, "Hoàn thành"),
    TransportState.FAILED: (TransportWord.FAIL, "Thất bại"),
}


def ack_for(word: str | None) -> tuple[TransportWord, TransportState | None]:
    """The word (any case) and the transport acknowledgement it asks for: ``None`` for
    ``INITIAL``, which changes nothing. Raises ``REQUEST_INVALID`` for another word."""
    text = (word or "").strip().upper()
    try:
        parsed = TransportWord(text)
    except ValueError:
        raise LgspError(
            f"status {word!r} is not one of INITIAL, PROCESSING, DONE, FAIL.",
            code=ErrorCode.REQUEST_INVALID,
            detail={"status": word, "accepted": [w.value for w in TransportWord]},
        ) from None
    return parsed, _ACKS[parsed]


def transport_word(state: str) -> tuple[str, str]:
    """``(status, statusDesc)`` of a delivery's transport state in the platform's words."""
    word, desc = _WORDS.get(state, (TransportWord.INITIAL, "Khởi tạo"))
    return word.value, desc


class ConsumerState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def consumer_state(
    *, revoked_at: datetime | None, expires_at: datetime | None, now: datetime
) -> ConsumerState:
    """A consumer credential is revoked from ``revoked_at`` on, expired from ``expires_at``
    on (the instant itself included), active otherwise."""
    if revoked_at is not None and revoked_at <= now:
        return ConsumerState.REVOKED
    if expires_at is not None and expires_at <= now:
        return ConsumerState.EXPIRED
    return ConsumerState.ACTIVE


def token_usable(
    *,
    token_expires_at: datetime,
    token_generation: int,
    consumer_generation: int,
    state: ConsumerState,
    now: datetime,
    previous_until: datetime | None = None,
) -> bool:
    """A token works until its expiry (exclusive), while its consumer is active and its
    secret has not been rotated since the token was issued (a rotation bumps the
    consumer's generation: every token of the old secret stops at once), or, after a
    rotation with an overlap, while the overlap runs (``previous_until``, exclusive) for a
    token of the replaced secret (the generation just before)."""
    if state is not ConsumerState.ACTIVE or now >= token_expires_at:
        return False
    if token_generation == consumer_generation:
        return True
    return (
        token_generation == consumer_generation - 1
        and previous_until is not None
        and now < previous_until
    )


def previous_secret_works(previous_until: datetime | None, now: datetime) -> bool:
    """Whether the secret a rotation replaced still gets tokens: until the overlap's end
    (exclusive); never after a rotation without one."""
    return previous_until is not None and now < previous_until


def in_scope(owner: str, chain: Sequence[str]) -> bool:
    """Whether a system owned by ``owner`` may act for the unit whose code and ancestors are
    ``chain`` (the unit first, then its parent, ... up to its top-level agency): the owner's
    own unit and every unit below it, as a province's platform serves its departments,
    districts and communes."""
    return owner in chain


def province_units(unit: str, parents: Mapping[str, str | None]) -> list[str]:
    """The codes of ``parents`` (every agency's code to its parent's) that share ``unit``'s
    top-level agency (its province or ministry), in code order; ``[]`` for an unknown unit."""

    def top(code: str) -> str:
        seen: set[str] = set()
        while (parent := parents.get(code)) is not None and code not in seen:
            seen.add(code)
            code = parent
        return code

    if unit not in parents:
        return []
    root = top(unit)
    return sorted(code for code in parents if top(code) == root)


@dataclass(frozen=True)
class UnitFields:
    """``POST donvilienthongs``: a unit to register (``DonViLienThongThemMoi``)."""

    code: str
    pcode: str
    name: str
    email: str | None = None
    fax: str | None = None
    mobile: str | None = None

    @classmethod
    def read(cls, fields: Mapping[str, str]) -> UnitFields:
        """From the call's fields; ``REQUEST_INVALID`` when ``code`` or ``pcode`` is absent.
        ``name`` may be empty for a unit already in the registry."""
        missing = [name for name in ("code", "pcode") if not (fields.get(name) or "").strip()]
        if missing:
            raise LgspError(
                f"These fields are required: {', '.join(missing)}.",
                code=ErrorCode.REQUEST_INVALID,
                detail={"missing": missing},
            )

        def text(name: str) -> str | None:
            value = (fields.get(name) or "").strip()
            return value or None

        return cls(
            code=fields["code"].strip(),
            pcode=fields["pcode"].strip(),
            name=(fields.get("name") or "").strip(),
            email=text("email"),
            fax=text("fax"),
            mobile=text("mobile"),
        )
