"""Numbering rules of outgoing documents (Decree 30/2020/NĐ-CP Art. 25); pure functions.

Vocabulary (Decree 30 words in brackets):

- a *register* [sổ đăng ký văn bản đi] is one annual number sequence of an issuing agency. The
  head of the agency decides how many there are (Art. 25(1)(b)-(c)): one for all
  administrative documents, or one per document type / notation; each kind of legal normative
  document has its own (Art. 25(1)(a)); secret documents have their own (Art. 25(2)) and never
  travel on the axis. A :class:`RegisterKey` names one sequence in one year.
- the *number* [số] starts at 01 on 1 January and ends on 31 December (Art. 25(1)); it is shared
  by paper and electronic documents and unique in the year, so the key has no channel part.
- the year and the issuance date are those of Vietnam's calendar at the issuance instant.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from lienthong.clock import VN_TZ

# Decree 30 Appendix VI (metadata of an outgoing document): CodeNumber <= 11, CodeNotation <= 30.
MAX_NUMBER_DIGITS = 11
MAX_NOTATION_LENGTH = 30
MAX_REGISTER_LENGTH = 64
DEFAULT_REGISTER = "HC"  # one register for administrative documents, Art. 25(1)(c)


@dataclass(frozen=True)
class RegisterKey:
    """One annual number sequence: ``(agency, year, register, secret)``."""

    agency: str
    year: int
    register: str = DEFAULT_REGISTER
    secret: bool = False


class NumberingRuleError(ValueError):
    """A value that breaks a numbering rule (the service maps it to REQUEST_INVALID)."""


def issuance_date(now: datetime) -> date:
    """The issuance date [ngày ban hành]: Vietnam's calendar date at ``now`` (aware)."""
    if now.tzinfo is None:
        raise NumberingRuleError("now must be timezone-aware")
    return now.astimezone(VN_TZ).date()


def register_key(
    agency: str, now: datetime, register: str = DEFAULT_REGISTER, *, secret: bool = False
) -> RegisterKey:
    """The sequence a document issued at ``now`` takes its number from.

    The year turns at midnight Vietnam time on 1 January (Art. 25(1)), not at UTC midnight.
    Raises :class:`NumberingRuleError` for an empty or over-long register name.
    """
    name = register.strip()
    if not name or len(name) > MAX_REGISTER_LENGTH:
        raise NumberingRuleError(f"register name must be 1..{MAX_REGISTER_LENGTH} characters")
    return RegisterKey(agency=agency, year=issuance_date(now).year, register=name, secret=secret)


def next_number(last: int) -> int:
    """The number after ``last`` (0 when the register is empty: the first number is 1)."""
    if last < 0:
        raise NumberingRuleError("a register never holds a negative number")
    following = last + 1
    if len(str(following)) > MAX_NUMBER_DIGITS:
        raise NumberingRuleError("the register is full")
    return following


def format_number(number: int) -> str:
    """The number as written [số]: Arabic digits, at least two ("01".."09", "10", "100"...).

    Decree 30 Appendix I, II.3: numbering starts at 01 each year.
    """
    if number < 1:
        raise NumberingRuleError("document numbers start at 01")
    return f"{number:02d}"


def check_notation(notation: str) -> str:
    """The notation [ký hiệu] stripped; raises when empty, over 30 characters, or with a space
    or a slash (the slash separates number and notation in ``number/notation``)."""
    value = notation.strip()
    if not value or len(value) > MAX_NOTATION_LENGTH:
        raise NumberingRuleError(f"the notation must be 1..{MAX_NOTATION_LENGTH} characters")
    if any(ch.isspace() for ch in value) or "/" in value:
        raise NumberingRuleError("the notation holds no space and no slash")
    return value


def number_and_notation(number: int, notation: str) -> str:
    """``"05/UBND-VP"``: the number and notation as printed on the document."""
    return f"{format_number(number)}/{notation}"


def signing_time_text(at: datetime) -> str:
    """The signing time as Decree 30 Appendix I prints it on an attachment: ISO 8601 in
    Vietnam time to the second, e.g. ``2026-11-20T09:00:00+07:00``."""
    if at.tzinfo is None:
        raise NumberingRuleError("signing time must be timezone-aware")
    return at.astimezone(VN_TZ).isoformat(timespec="seconds")


def attachment_stamp_lines(number: int, notation: str, signed_at: datetime) -> tuple[str, str]:
    """The two lines printed at the top right of an attachment's first page (Decree 30
    Appendix I, II.10(b)): number/notation, and the signing time."""
    return number_and_notation(number, notation), signing_time_text(signed_at)


def date_line(place: str | None, on: date | datetime) -> str:
    """The place and date of issue as printed [địa danh và thời gian ban hành], Decree 30
    Appendix I, II.4: ``"Hà Nội, ngày 05 tháng 01 năm 2026"``. A day below 10 and the months
    1 and 2 take a leading zero. ``on`` as an aware datetime is read in Vietnam time; with no
    ``place`` the line starts at "ngày"."""
    if isinstance(on, datetime):
        on = issuance_date(on)
    month = f"{on.month:02d}" if on.month < 3 else str(on.month)
    text = f"ngày {on.day:02d} tháng {month} năm {on.year}"
    return f"{place}, {text}" if place else text[0].upper() + text[1:]


# The administrative units whose name is the place of a document of a local agency, lowest
# first (Decree 30 Appendix I, II.4(b)): "Ủy ban nhân dân xã A" -> "A".
_PLACE_UNITS = (
    "xã ",
    "phường ",
    "thị trấn ",
    "huyện ",
    "quận ",
    "thị xã ",
    "thành phố ",
    "tỉnh ",
)
CENTRAL_PLACE = "Hà Nội"  # the seat of the central agencies (Decree 30 Appendix I, II.4(a))


def place_name(agency_name: str) -> str:
    """The place [địa danh] printed before the date on a document of ``agency_name``: the
    administrative unit its name ends with (a province, district or commune, as written after
    "tỉnh", "thành phố", "huyện", "xã"...), else Hà Nội, the seat of the central agencies."""
    lowered = agency_name.casefold()
    found = [(at, len(unit)) for unit in _PLACE_UNITS if (at := lowered.rfind(" " + unit)) >= 0]
    if not found:
        return CENTRAL_PLACE
    at, length = min(found)
    rest = agency_name[at + 1 + length :].split(",", maxsplit=1)[0].strip()
    if rest.casefold() == "hồ chí minh":
        return "Thành phố Hồ Chí Minh"  # the example of Appendix I, II.4(b)
    return rest or CENTRAL_PLACE


def fold_to_ascii(text: str) -> str:
    """``text`` without diacritics (Đ -> D, ộ -> o); a character with no ASCII base -> ``?``.

    For file names only (an attachment's name in the edXML package); the text printed on a
    PDF keeps its diacritics (see :mod:`lienthong.fonts`).
    """
    out: list[str] = []
    for ch in text.replace("Đ", "D").replace("đ", "d"):
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base if base.isascii() else "?")
    return "".join(out)
