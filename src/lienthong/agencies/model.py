"""The agency registry's rules, pure: identifiers, levels, validity on a date, the hierarchy, and
the registry's CSV file. Plain values in, values or problems out; the standard library only.

Vocabulary (QCVN 102:2016/BTTTT, amendment 1:2022): an agency (cơ quan, đơn vị) is known by its
identifier (mã định danh), has a level (cấp 1-4) and at most one parent (cơ quan cấp trên). An
agency that ended by a merger (sáp nhập) names its successor, to which senders must write instead.
"""

from __future__ import annotations

import csv
import heapq
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from enum import IntEnum, StrEnum
from typing import Any, TextIO

from lienthong.agencies.errors import AgencyError
from lienthong.clock import VN_TZ
from lienthong.errors import ErrorCode

__all__ = [
    "CODE_MAX_LENGTH",
    "CSV_COLUMNS",
    "UPDATABLE_FIELDS",
    "Agency",
    "ImportPlan",
    "Level",
    "NewAgency",
    "ParsedCsv",
    "Problem",
    "TreeNode",
    "Validity",
    "apply_changes",
    "build_tree",
    "is_valid_code",
    "local_date",
    "normalise_fingerprint",
    "parse_csv",
    "plan_import",
    "record_problems",
    "tls_client_refusal",
    "validate_code",
    "validity",
]

# Amendment 1:2022 to QCVN 102:2016 (Circular 01/2022/TT-BTTTT, in force 15 Sep 2022):
# identifiers follow Decision 20/2020/QĐ-TTg and may be up to 35 characters. The shape is not
# checked beyond that: `000.00.00.G22`, `H01.151.01` and `28.22.H17` are all in use, and what
# makes an identifier valid on a hub is its registration.
CODE_MAX_LENGTH = 35
_CODE_RE = re.compile(rf"[A-Za-z0-9._-]{{1,{CODE_MAX_LENGTH}}}")
_ISO_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")

NAME_MAX_LENGTH = 255
CONTACT_MAX_LENGTH = 255
ADDRESS_MAX_LENGTH = 500


class Level(IntEnum):
    """The level (cấp) of an agency in the hierarchy of QCVN 102.

    Before the 2025 reorganisation of local government: 1 = ministries, government agencies and
    provinces; 2 = their departments (sở, tổng cục) and districts (huyện); 3 = communes (xã) and
    units under a department; 4 = units under those. Since 1 July 2025 local government has two
    tiers: a province (1) and its communes (2) directly.
    """

    ONE = 1
    TWO = 2
    THREE = 3
    FOUR = 4


class Validity(StrEnum):
    """Whether an agency may receive documents on a given date."""

    VALID = "VALID"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRED = "EXPIRED"
    MERGED = "MERGED"  # expired, and a successor takes its documents


@dataclass(frozen=True, kw_only=True)
class NewAgency:
    """An agency as registered: the identifier, the hierarchy, the validity and the contact
    fields that edXML carries in ``From``/``To`` (``OrganizationInCharge``, ``OrganAdd``, ...).

    ``hub_code`` is the hub that serves the agency, ``None`` for this hub. ``valid_from`` and
    ``valid_to`` are both inclusive; ``None`` means unbounded.
    """

    code: str
    name: str
    level: Level
    parent_code: str | None = None
    hub_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    successor_code: str | None = None
    organization_in_charge: str | None = None
    address: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None

    def validity(self, on: date) -> Validity:
        return validity(self, on)


@dataclass(frozen=True, kw_only=True)
class Agency(NewAgency):
    """A registered agency: the row of the ``agencies`` table as a value (times in UTC)."""

    created_at: datetime
    updated_at: datetime


RECORD_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(NewAgency))
UPDATABLE_FIELDS: frozenset[str] = frozenset(RECORD_FIELDS) - {"code"}
# The registry file's columns, in the order a template is written.
CSV_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "parent_code",
    "level",
    "hub_code",
    "valid_from",
    "valid_to",
    "successor_code",
    "organization_in_charge",
    "address",
    "email",
    "telephone",
    "fax",
    "website",
)
_REQUIRED_COLUMNS = ("code", "name", "level")
_CODE_FIELDS = ("parent_code", "hub_code", "successor_code")
_DATE_FIELDS = ("valid_from", "valid_to")
_TEXT_LIMITS = {
    "organization_in_charge": CONTACT_MAX_LENGTH,
    "address": ADDRESS_MAX_LENGTH,
    "email": CONTACT_MAX_LENGTH,
    "telephone": CONTACT_MAX_LENGTH,
    "fax": CONTACT_MAX_LENGTH,
    "website": CONTACT_MAX_LENGTH,
}


@dataclass(frozen=True)
class Problem:
    """One broken rule: the error code it maps to, a sentence, and the file row (1 = header)."""

    code: ErrorCode
    reason: str
    row: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": str(self.code), "reason": self.reason}
        if self.row is not None:
            out = {"row": self.row, **out}
        return out


# --- identifiers and validity -------------------------------------------------------------


def is_valid_code(code: object) -> bool:
    """True when ``code`` is 1-35 characters of ASCII letters, digits, ``.``, ``-`` or ``_``."""
    return isinstance(code, str) and _CODE_RE.fullmatch(code) is not None


def validate_code(code: str) -> str:
    """Return ``code`` unchanged when it is an accepted identifier form.

    Raises :class:`AgencyError` ``AGENCY_CODE_INVALID`` otherwise (empty, longer than 35
    characters, spaces or any character other than letters, digits, ``.``, ``-``, ``_``).
    """
    if not is_valid_code(code):
        raise AgencyError(_code_reason("code", code), code=ErrorCode.AGENCY_CODE_INVALID)
    return code


def _code_reason(field: str, code: object) -> str:
    return (
        f"{field} {code!r} is not an agency identifier: 1-{CODE_MAX_LENGTH} characters of "
        "letters, digits, '.', '-' or '_'"
    )


def validity(agency: NewAgency, on: date) -> Validity:
    """The agency's validity on the date ``on`` (a date in Vietnam, see :func:`local_date`).

    ``MERGED`` when ``on`` is past ``valid_to`` and a successor is named, ``EXPIRED`` when past
    it without one, ``NOT_YET_VALID`` before ``valid_from``.
    """
    if agency.valid_from is not None and on < agency.valid_from:
        return Validity.NOT_YET_VALID
    if agency.valid_to is not None and on > agency.valid_to:
        return Validity.MERGED if agency.successor_code else Validity.EXPIRED
    return Validity.VALID


def local_date(now: datetime) -> date:
    """The calendar date in Vietnam at the instant ``now`` (validity dates are Vietnamese dates)."""
    return now.astimezone(VN_TZ).date()


# --- one record's own rules ---------------------------------------------------------------


def record_problems(record: NewAgency) -> list[Problem]:
    """The rules a record must keep on its own, without looking at the registry.

    Identifier forms come first (``AGENCY_CODE_INVALID``), then consistency
    (``AGENCY_INVALID``): a name, a level 1-4, no self-reference, ``valid_from <= valid_to``, a
    successor only with an end date, text within the column sizes.
    """
    problems: list[Problem] = []
    invalid_code = ErrorCode.AGENCY_CODE_INVALID
    invalid = ErrorCode.AGENCY_INVALID
    if not is_valid_code(record.code):
        problems.append(Problem(invalid_code, _code_reason("code", record.code)))
    for name in _CODE_FIELDS:
        value = getattr(record, name)
        if value is not None and not is_valid_code(value):
            problems.append(Problem(invalid_code, _code_reason(name, value)))
    if not isinstance(record.name, str) or not record.name.strip():
        problems.append(Problem(invalid, "name is required"))
    elif len(record.name) > NAME_MAX_LENGTH:
        problems.append(Problem(invalid, f"name is longer than {NAME_MAX_LENGTH} characters"))
    if not _is_level(record.level):
        problems.append(Problem(invalid, f"level {record.level!r} is not 1, 2, 3 or 4"))
    if record.parent_code is not None and record.parent_code == record.code:
        problems.append(Problem(invalid, "an agency cannot be its own parent"))
    if record.successor_code is not None and record.successor_code == record.code:
        problems.append(Problem(invalid, "an agency cannot be its own successor"))
    if record.successor_code is not None and record.valid_to is None:
        problems.append(Problem(invalid, "a successor is named but valid_to (the end) is not"))
    if (
        record.valid_from is not None
        and record.valid_to is not None
        and record.valid_from > record.valid_to
    ):
        problems.append(
            Problem(
                invalid,
                f"valid_from {record.valid_from.isoformat()} is after "
                f"valid_to {record.valid_to.isoformat()}",
            )
        )
    for name, limit in _TEXT_LIMITS.items():
        value = getattr(record, name)
        if value is not None and len(value) > limit:
            problems.append(Problem(invalid, f"{name} is longer than {limit} characters"))
    return problems


def _is_level(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 4


def level_problem(level: int, parent_code: str, parent_level: int) -> Problem | None:
    """``AGENCY_INVALID`` unless ``level`` is below (numerically greater than) the parent's."""
    if level > parent_level:
        return None
    return Problem(
        ErrorCode.AGENCY_INVALID,
        f"level {level} must be greater than the level {parent_level} of its parent {parent_code}",
    )


def apply_changes(current: NewAgency, changes: Mapping[str, object]) -> NewAgency:
    """The record ``current`` with ``changes`` applied (field name -> new value).

    Raises ``AGENCY_INVALID`` for a field that does not exist or cannot change (``code``,
    the timestamps) and for a value of the wrong type. Rules between fields are not checked
    here: run :func:`record_problems` on the result.
    """
    unknown = sorted(set(changes) - UPDATABLE_FIELDS)
    if unknown:
        raise AgencyError(
            f"these fields cannot be changed: {', '.join(unknown)}",
            code=ErrorCode.AGENCY_INVALID,
            detail={"fields": unknown},
        )
    values: dict[str, Any] = {}
    for name, value in changes.items():
        values[name] = _checked_value(name, value)
    base = NewAgency(**{name: getattr(current, name) for name in RECORD_FIELDS})
    return replace(base, **values)


def _checked_value(name: str, value: object) -> object:
    if name == "level":
        if not isinstance(value, int) or not _is_level(value):
            raise AgencyError(f"level {value!r} is not 1, 2, 3 or 4", detail={"field": name})
        return Level(value)
    if name in _DATE_FIELDS:
        if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
            return value
        raise AgencyError(f"{name} must be a date or None", detail={"field": name})
    if name == "name":
        if isinstance(value, str):
            return value
        raise AgencyError("name must be text", detail={"field": name})
    if value is None or isinstance(value, str):
        return value
    raise AgencyError(f"{name} must be text or None", detail={"field": name})


# --- the hierarchy ------------------------------------------------------------------------


@dataclass(frozen=True)
class TreeNode:
    """An agency and the agencies directly under it, ordered by identifier."""

    agency: Agency
    children: tuple[TreeNode, ...] = ()

    def walk(self, depth: int = 0) -> Iterator[tuple[int, Agency]]:
        """Every agency of this subtree, parents before children, with its depth (0 = here)."""
        yield depth, self.agency
        for child in self.children:
            yield from child.walk(depth + 1)


def build_tree(agencies: Iterable[Agency]) -> list[TreeNode]:
    """The forest of ``agencies`` ordered by identifier at every level.

    An agency whose parent is absent from ``agencies`` is a root, so a filtered list still shows
    every agency given. Each agency appears exactly once, even if the input had a cycle.
    """
    by_code = {agency.code: agency for agency in agencies}
    children: dict[str, list[Agency]] = {}
    for agency in by_code.values():
        if agency.parent_code is not None and agency.parent_code in by_code:
            children.setdefault(agency.parent_code, []).append(agency)
    placed: set[str] = set()

    def node(agency: Agency) -> TreeNode:
        placed.add(agency.code)
        kids = sorted(children.get(agency.code, []), key=lambda a: a.code)
        return TreeNode(agency, tuple(node(kid) for kid in kids if kid.code not in placed))

    roots = [a for a in by_code.values() if a.parent_code is None or a.parent_code not in by_code]
    forest = [node(root) for root in sorted(roots, key=lambda a: a.code)]
    # Agencies on a cycle have no root above them; show them rather than lose them.
    for agency in sorted(by_code.values(), key=lambda a: a.code):
        if agency.code not in placed:
            forest.append(node(agency))
    return forest


# --- importing many records at once -------------------------------------------------------


@dataclass(frozen=True)
class ImportPlan:
    """Records in an order that inserts parents and successors before the agencies naming
    them, or the problems that forbid the import (then ``ordered`` is empty)."""

    ordered: tuple[NewAgency, ...]
    problems: tuple[Problem, ...]


def plan_import(
    entries: Sequence[tuple[int, NewAgency]], registered: Mapping[str, int]
) -> ImportPlan:
    """Check a batch of new records against each other and against the registry.

    ``entries`` pairs each record with its row number (for the problems); ``registered`` maps
    every already-registered identifier the batch names (as a code, parent or successor) to its
    level. A record may name a parent or successor that comes later in the batch. Problems:
    the record's own rules, a code already registered or repeated (``AGENCY_EXISTS``), a parent
    or successor found nowhere (``AGENCY_UNKNOWN``), a level not below the parent's and
    reference cycles (``AGENCY_INVALID``).
    """
    problems: list[Problem] = []
    first_row: dict[str, int] = {}
    batch: dict[str, NewAgency] = {}
    for row, record in entries:
        problems.extend(replace(p, row=row) for p in record_problems(record))
        if record.code in first_row:
            problems.append(
                Problem(
                    ErrorCode.AGENCY_EXISTS,
                    f"{record.code} appears twice (first on row {first_row[record.code]})",
                    row,
                )
            )
            continue
        first_row[record.code] = row
        batch[record.code] = record
        if record.code in registered:
            problems.append(
                Problem(ErrorCode.AGENCY_EXISTS, f"{record.code} is already registered", row)
            )

    for row, record in entries:
        if first_row.get(record.code) != row:
            continue  # a repeated code, already refused
        problems.extend(_reference_problems(row, record, batch, registered))

    ordered, cyclic = _topological(entries, batch, first_row)
    problems.extend(
        Problem(
            ErrorCode.AGENCY_INVALID,
            f"{code} takes part in a cycle of parent/successor references",
            first_row[code],
        )
        for code in cyclic
    )
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        return ImportPlan((), tuple(problems))
    return ImportPlan(tuple(ordered), ())


def _reference_problems(
    row: int, record: NewAgency, batch: Mapping[str, NewAgency], registered: Mapping[str, int]
) -> Iterator[Problem]:
    if record.parent_code is not None and record.parent_code != record.code:
        if record.parent_code in batch:
            parent_level: int | None = batch[record.parent_code].level
        else:
            parent_level = registered.get(record.parent_code)
        if parent_level is None:
            yield Problem(
                ErrorCode.AGENCY_UNKNOWN,
                f"parent {record.parent_code} is not registered",
                row,
            )
        elif _is_level(record.level) and _is_level(parent_level):
            problem = level_problem(record.level, record.parent_code, parent_level)
            if problem is not None:
                yield replace(problem, row=row)
    successor = record.successor_code
    if (
        successor is not None
        and successor != record.code
        and successor not in batch
        and successor not in registered
    ):
        yield Problem(ErrorCode.AGENCY_UNKNOWN, f"successor {successor} is not registered", row)


def _topological(
    entries: Sequence[tuple[int, NewAgency]],
    batch: Mapping[str, NewAgency],
    first_row: Mapping[str, int],
) -> tuple[list[NewAgency], list[str]]:
    """Kahn's algorithm over parent and successor references inside the batch, stable in row
    order. Returns the ordered records and the codes left on cycles."""
    waiting_on: dict[str, set[str]] = {}
    dependants: dict[str, list[str]] = {}
    for code, record in batch.items():
        needs = {
            ref
            for ref in (record.parent_code, record.successor_code)
            if ref is not None and ref in batch and ref != code
        }
        waiting_on[code] = needs
        for ref in needs:
            dependants.setdefault(ref, []).append(code)
    ready = [(first_row[code], code) for code, needs in waiting_on.items() if not needs]
    heapq.heapify(ready)
    ordered: list[NewAgency] = []
    while ready:
        _, code = heapq.heappop(ready)
        ordered.append(batch[code])
        for dependant in dependants.get(code, []):
            waiting_on[dependant].discard(code)
            if not waiting_on[dependant]:
                heapq.heappush(ready, (first_row[dependant], dependant))
    done = {record.code for record in ordered}
    cyclic = sorted((c for c in batch if c not in done), key=lambda c: first_row[c])
    return ordered, cyclic


# --- the registry CSV file ----------------------------------------------------------------


@dataclass(frozen=True)
class ParsedCsv:
    """The records read from a registry CSV file, each with its row number (the header is
    row 1), and the rows that could not be read. Records are not yet checked against the
    rules: :func:`plan_import` does that."""

    entries: tuple[tuple[int, NewAgency], ...]
    problems: tuple[Problem, ...]


def parse_csv(stream: TextIO) -> ParsedCsv:
    """Read a registry CSV file: a header row naming columns of :data:`CSV_COLUMNS` (``code``,
    ``name`` and ``level`` required, the others optional, in any order), then one agency a row.

    Cells are trimmed; an empty cell is ``None``. ``level`` is 1-4; dates are ``YYYY-MM-DD``.
    A UTF-8 byte-order mark (as spreadsheet programs write) is ignored; blank rows are skipped
    but counted, so row numbers match the file's lines.
    """
    reader = csv.reader(stream)
    try:
        header = next(reader, None)
        if header is None:
            return ParsedCsv((), (_header_problem("the file is empty: a header row is required"),))
        columns = [cell.strip().lstrip("\ufeff").strip().lower() for cell in header]
        header_problems = _header_problems(columns)
        if header_problems:
            return ParsedCsv((), tuple(header_problems))
        entries: list[tuple[int, NewAgency]] = []
        problems: list[Problem] = []
        for row, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            record, row_problems = _parse_row(row, columns, cells)
            problems.extend(row_problems)
            if record is not None:
                entries.append((row, record))
    except csv.Error as exc:
        return ParsedCsv((), (Problem(ErrorCode.AGENCY_INVALID, f"unreadable CSV: {exc}"),))
    return ParsedCsv(tuple(entries), tuple(problems))


def _header_problem(reason: str) -> Problem:
    return Problem(ErrorCode.AGENCY_INVALID, reason, 1)


def _header_problems(columns: list[str]) -> list[Problem]:
    problems = []
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if unknown:
        problems.append(
            _header_problem(
                f"unknown columns: {', '.join(map(repr, unknown))}; known: {', '.join(CSV_COLUMNS)}"
            )
        )
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(_header_problem(f"repeated columns: {', '.join(repeated)}"))
    missing = [c for c in _REQUIRED_COLUMNS if c not in columns]
    if missing:
        problems.append(_header_problem(f"missing required columns: {', '.join(missing)}"))
    return problems


def _parse_row(
    row: int, columns: list[str], cells: list[str]
) -> tuple[NewAgency | None, list[Problem]]:
    invalid = ErrorCode.AGENCY_INVALID
    extra = cells[len(columns) :]
    if len(cells) < len(columns) or any(cell.strip() for cell in extra):
        reason = f"{len(cells)} cells where the header has {len(columns)} columns"
        return None, [Problem(invalid, reason, row)]
    raw = {column: cells[i].strip() or None for i, column in enumerate(columns)}
    problems: list[Problem] = []
    values: dict[str, Any] = dict(raw)
    level = raw.get("level")
    if level is None:
        problems.append(Problem(invalid, "level is required", row))
    elif not (level.isascii() and level.isdigit() and _is_level(int(level))):
        problems.append(Problem(invalid, f"level {level!r} is not 1, 2, 3 or 4", row))
    else:
        values["level"] = Level(int(level))
    for name in _DATE_FIELDS:
        text = raw.get(name)
        if text is None:
            continue
        try:
            if not _ISO_DATE_RE.fullmatch(text):
                raise ValueError(text)
            values[name] = date.fromisoformat(text)
        except ValueError:
            problems.append(Problem(invalid, f"{name} {text!r} is not a date YYYY-MM-DD", row))
    if raw.get("code") is None:
        problems.append(Problem(ErrorCode.AGENCY_CODE_INVALID, "code is required", row))
    if raw.get("name") is None:
        problems.append(Problem(invalid, "name is required", row))
    if problems:
        return None, problems
    return NewAgency(**values), []


# --- TLS client certificates ----------------------------------------------------------------

_FINGERPRINT = re.compile(r"[0-9a-f]{64}")


def normalise_fingerprint(text: str) -> str:
    """A certificate's SHA-256 fingerprint as stored: 64 lowercase hex digits. Accepts what
    tools print (``openssl x509 -fingerprint -sha256``: ``AB:CD:...``, a ``sha256`` prefix,
    spaces); raises ``TLS_FINGERPRINT_INVALID`` for anything else."""
    value = text.strip().lower()
    for prefix in ("sha256 fingerprint=", "sha256:", "sha256="):
        value = value.removeprefix(prefix)
    value = value.replace(":", "").replace(" ", "")
    if not _FINGERPRINT.fullmatch(value):
        raise AgencyError(
            "A certificate fingerprint is the SHA-256 of its DER bytes: 64 hex digits.",
            code=ErrorCode.TLS_FINGERPRINT_INVALID,
            detail={"fingerprint": text[:200]},
        )
    return value


def tls_client_refusal(
    registered: Iterable[str], fingerprint: str, *, client_auth: bool
) -> ErrorCode | None:
    """Whether a client certificate naming an agency (subject UID) authenticates it over
    mutual TLS: ``None`` when it does, else the refusal's code.

    An agency that registered fingerprints is authenticated by those certificates only,
    whatever their extended key usage (``CLIENT_CERTIFICATE_NOT_REGISTERED`` for another, even
    one with clientAuth); an agency that registered none by a certificate whose extended key
    usage names clientAuth (``CLIENT_CERTIFICATE_NOT_FOR_TLS``: a personal signer certificate
    carries the agency UID too)."""
    known = frozenset(registered)
    if known:
        return None if fingerprint in known else ErrorCode.CLIENT_CERTIFICATE_NOT_REGISTERED
    return None if client_auth else ErrorCode.CLIENT_CERTIFICATE_NOT_FOR_TLS
