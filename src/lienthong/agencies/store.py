"""The registry's tables and queries. Every function takes the caller's session and never
commits: the service (or, for :func:`check_recipients`, the exchange) owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    bindparam,
    delete,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import Row
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column, validates

from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import (
    ADDRESS_MAX_LENGTH,
    CODE_MAX_LENGTH,
    CONTACT_MAX_LENGTH,
    NAME_MAX_LENGTH,
    RECORD_FIELDS,
    Agency,
    Level,
    NewAgency,
    Validity,
)
from lienthong.clock import as_utc
from lienthong.db import Base
from lienthong.errors import ErrorCode
from lienthong.text import fold

__all__ = [
    "ActiveCredential",
    "AgencyRow",
    "CredentialRow",
    "TlsFingerprintRow",
    "active_credential",
    "add_agencies",
    "add_credential",
    "add_tls_fingerprint",
    "agencies_by_codes",
    "check_recipients",
    "child_levels",
    "credentials_to_reseal",
    "get_agency",
    "list_agencies",
    "lock_agency",
    "overlapping_credentials",
    "remove_tls_fingerprint",
    "revoke_credentials",
    "save_agency",
    "tls_fingerprints",
]

# Large IN lists are split: SQLite caps bound parameters per statement.
_IN_CHUNK = 500


class AgencyRow(Base):
    """``agencies``: one row per registered identifier (see :class:`model.NewAgency`)."""

    __tablename__ = "agencies"
    __table_args__ = (
        CheckConstraint("level BETWEEN 1 AND 4", name="level_range"),
        CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to",
            name="validity_order",
        ),
    )

    code: Mapped[str] = mapped_column(String(CODE_MAX_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH))
    # The name folded (lienthong.text.fold), kept in step by _fold_name: what a search by
    # sender or recipient compares, alike on SQLite and PostgreSQL.
    search_name: Mapped[str] = mapped_column(String(NAME_MAX_LENGTH), default="", server_default="")
    parent_code: Mapped[str | None] = mapped_column(
        String(CODE_MAX_LENGTH), ForeignKey("agencies.code"), index=True
    )
    level: Mapped[int] = mapped_column(SmallInteger)
    # The hub that serves the agency (its operator's identifier); NULL for this hub. Not a
    # foreign key: another hub need not be registered here.
    hub_code: Mapped[str | None] = mapped_column(String(CODE_MAX_LENGTH))
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    successor_code: Mapped[str | None] = mapped_column(
        String(CODE_MAX_LENGTH), ForeignKey("agencies.code")
    )
    # Contact fields of edXML From/To (OrganizationInCharge, OrganAdd, Email, ...).
    organization_in_charge: Mapped[str | None] = mapped_column(String(CONTACT_MAX_LENGTH))
    address: Mapped[str | None] = mapped_column(String(ADDRESS_MAX_LENGTH))
    email: Mapped[str | None] = mapped_column(String(CONTACT_MAX_LENGTH))
    telephone: Mapped[str | None] = mapped_column(String(CONTACT_MAX_LENGTH))
    fax: Mapped[str | None] = mapped_column(String(CONTACT_MAX_LENGTH))
    website: Mapped[str | None] = mapped_column(String(CONTACT_MAX_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    @validates("name")
    def _fold_name(self, _key: str, name: str) -> str:
        # Every ORM write of the name (constructor, assignment) folds it with it; agencies are
        # never written with Core statements that would bypass this.
        self.search_name = fold(name)
        return name


class CredentialRow(Base):
    """``agency_credentials``: what an agency's system authenticates with.

    ``secret_hash`` is the SHA-256 hex of the secret. The secret is 32 random bytes (urlsafe
    base64), far beyond guessing, so a fast hash loses nothing, while a slow password KDF would
    cost tens of milliseconds on every API call. ``secret_sealed`` is the same secret sealed with
    AES-GCM under the hub master key (:mod:`lienthong.secrets`), because the axis protocol signs
    each request with HMAC-SHA256 keyed by the raw secret and the hub must recompute it.

    Rows are kept after revocation (``revoked_at``) for the record. The partial unique indexes
    allow one *active* credential per agency and per system id; ``system_id`` is the agency's
    identifier, which the axis protocol sends as ``systemid``.
    """

    __tablename__ = "agency_credentials"
    __table_args__ = (
        Index(
            "uq_agency_credentials_active_system_id",
            "system_id",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
        Index(
            "uq_agency_credentials_active_agency_code",
            "agency_code",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(
        String(CODE_MAX_LENGTH), ForeignKey("agencies.code"), index=True
    )
    system_id: Mapped[str] = mapped_column(String(CODE_MAX_LENGTH))
    secret_hash: Mapped[str] = mapped_column(String(64))
    secret_sealed: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TlsFingerprintRow(Base):
    """``agency_tls_fingerprints``: the SHA-256 fingerprints (64 lowercase hex digits) of the
    TLS client certificates an agency registered. When it has any, only those certificates
    authenticate it over mutual TLS (:func:`lienthong.agencies.model.tls_client_refusal`)."""

    __tablename__ = "agency_tls_fingerprints"
    __table_args__ = (PrimaryKeyConstraint("agency_code", "fingerprint"),)

    agency_code: Mapped[str] = mapped_column(String(CODE_MAX_LENGTH), ForeignKey("agencies.code"))
    fingerprint: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- agencies -----------------------------------------------------------------------------


def _to_agency(row: AgencyRow | Row[Any]) -> Agency:
    return Agency(
        code=row.code,
        name=row.name,
        level=Level(row.level),
        parent_code=row.parent_code,
        hub_code=row.hub_code,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        successor_code=row.successor_code,
        organization_in_charge=row.organization_in_charge,
        address=row.address,
        email=row.email,
        telephone=row.telephone,
        fax=row.fax,
        website=row.website,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


def get_agency(session: Session, code: str) -> Agency | None:
    """The agency registered under ``code``, or ``None``."""
    row = session.get(AgencyRow, code)
    return None if row is None else _to_agency(row)


def lock_agency(session: Session, code: str) -> Agency | None:
    """Like :func:`get_agency`, and locks the row until the transaction ends (PostgreSQL
    ``FOR UPDATE``; SQLite writers already hold the database lock)."""
    row = session.scalars(
        select(AgencyRow).where(AgencyRow.code == code).with_for_update()
    ).one_or_none()
    return None if row is None else _to_agency(row)


# Statements of the hot path, built once (building a statement costs more than running it).
_AGENCIES_BY_CODES = select(AgencyRow.__table__).where(
    AgencyRow.__table__.c.code.in_(bindparam("codes", expanding=True))
)


def agencies_by_codes(session: Session, codes: Iterable[str]) -> dict[str, Agency]:
    """The registered agencies among ``codes``, by identifier; unknown codes are absent."""
    wanted = sorted(set(codes))
    found: dict[str, Agency] = {}
    for start in range(0, len(wanted), _IN_CHUNK):
        chunk = wanted[start : start + _IN_CHUNK]
        # Plain rows, not ORM objects: this runs on every send (the hub's hot path).
        for row in session.execute(_AGENCIES_BY_CODES, {"codes": chunk}):
            found[row.code] = _to_agency(row)
    return found


def list_agencies(session: Session) -> list[Agency]:
    """Every registered agency, ordered by identifier."""
    return [_to_agency(row) for row in session.scalars(select(AgencyRow).order_by(AgencyRow.code))]


def child_levels(session: Session, code: str) -> list[tuple[str, int]]:
    """``(code, level)`` of the agencies directly under ``code``."""
    rows = session.execute(
        select(AgencyRow.code, AgencyRow.level).where(AgencyRow.parent_code == code)
    )
    return [(child, level) for child, level in rows]


def add_agencies(session: Session, records: Sequence[NewAgency], now: datetime) -> list[Agency]:
    """Insert ``records`` in the order given (parents and successors first) and flush.

    The caller has checked the rules; a duplicate identifier that slipped in concurrently
    surfaces as SQLAlchemy's ``IntegrityError``.
    """
    rows = [
        AgencyRow(
            **{name: getattr(record, name) for name in RECORD_FIELDS},
            created_at=now,
            updated_at=now,
        )
        for record in records
    ]
    for row in rows:
        row.level = int(row.level)
        session.add(row)
    session.flush()
    return [_to_agency(row) for row in rows]


def save_agency(session: Session, record: NewAgency, now: datetime) -> Agency:
    """Overwrite the registered agency ``record.code`` with ``record``; ``updated_at = now``.

    Raises ``AGENCY_UNKNOWN`` when no such agency is registered.
    """
    row = session.get(AgencyRow, record.code)
    if row is None:
        raise AgencyError(code=ErrorCode.AGENCY_UNKNOWN, detail={"code": record.code})
    for name in RECORD_FIELDS:
        if name != "code":
            setattr(row, name, getattr(record, name))
    row.level = int(record.level)
    row.updated_at = now
    session.flush()
    return _to_agency(row)


# --- credentials --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActiveCredential:
    """The columns of an active credential that authentication needs."""

    agency_code: str
    system_id: str
    secret_hash: str
    secret_sealed: str


_ACTIVE_CREDENTIAL = select(
    CredentialRow.agency_code,
    CredentialRow.system_id,
    CredentialRow.secret_hash,
    CredentialRow.secret_sealed,
).where(CredentialRow.system_id == bindparam("system_id"), CredentialRow.revoked_at.is_(None))


def active_credential(session: Session, system_id: str) -> ActiveCredential | None:
    """The unrevoked credential of ``system_id``, or ``None``: one query on the partial unique
    index ``uq_agency_credentials_active_system_id``."""
    row = session.execute(_ACTIVE_CREDENTIAL, {"system_id": system_id}).one_or_none()
    return None if row is None else ActiveCredential(*row)


def revoke_credentials(
    session: Session, agency_code: str, now: datetime, *, until: datetime | None = None
) -> int:
    """Revoke every active credential of the agency at ``until`` (default ``now``; a later
    instant leaves the old secret working until then, an overlap window for a rotation);
    returns how many. An earlier rotation's overlap still running ends ``now``: at most one
    previous secret works beside the current one."""
    session.execute(
        update(CredentialRow)
        .where(CredentialRow.agency_code == agency_code, CredentialRow.revoked_at > now)
        .values(revoked_at=now)
    )
    result = session.execute(
        update(CredentialRow)
        .where(CredentialRow.agency_code == agency_code, CredentialRow.revoked_at.is_(None))
        .values(revoked_at=until or now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


_successor = aliased(CredentialRow)
_CURRENT_CREATED_AT = (
    select(_successor.created_at)
    .where(_successor.system_id == bindparam("system_id"), _successor.revoked_at.is_(None))
    .scalar_subquery()
)
_OVERLAPPING_CREDENTIALS = (
    select(
        CredentialRow.agency_code,
        CredentialRow.system_id,
        CredentialRow.secret_hash,
        CredentialRow.secret_sealed,
    )
    .where(
        CredentialRow.system_id == bindparam("system_id"),
        CredentialRow.revoked_at > bindparam("now"),
        # Only an overlap: a secret revoked at once ends when its successor is created (a
        # hub process whose clock lags a little never takes it for an overlap).
        CredentialRow.revoked_at > _CURRENT_CREATED_AT,
    )
    .order_by(CredentialRow.id.desc())
)


def overlapping_credentials(
    session: Session, system_id: str, now: datetime
) -> list[ActiveCredential]:
    """Credentials of ``system_id`` replaced by a rotation whose overlap runs past ``now``."""
    rows = session.execute(_OVERLAPPING_CREDENTIALS, {"system_id": system_id, "now": now})
    return [ActiveCredential(*row) for row in rows]


def credentials_to_reseal(session: Session, now: datetime) -> list[CredentialRow]:
    """Every credential that may still authenticate (active, or in a rotation's overlap),
    locked for update: their sealed secrets are what a master key rotation re-seals."""
    query = (
        select(CredentialRow)
        .where(or_(CredentialRow.revoked_at.is_(None), CredentialRow.revoked_at > now))
        .order_by(CredentialRow.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def add_credential(
    session: Session,
    *,
    agency_code: str,
    system_id: str,
    secret_hash: str,
    secret_sealed: str,
    now: datetime,
) -> None:
    session.add(
        CredentialRow(
            agency_code=agency_code,
            system_id=system_id,
            secret_hash=secret_hash,
            secret_sealed=secret_sealed,
            created_at=now,
        )
    )
    session.flush()


# --- recipients ---------------------------------------------------------------------------


def check_recipients(session: Session, codes: Sequence[str], on: date) -> dict[str, Agency]:
    """Refuse a package unless every recipient in ``codes`` may receive on the date ``on``.

    The exchange calls this inside its own transaction. Raises :class:`AgencyError`:
    ``RECIPIENT_UNKNOWN`` (detail ``{"recipients": [every unregistered code]}``) first; then, for
    the first recipient in ``codes`` that is not valid on ``on``, ``RECIPIENT_MERGED`` (detail
    ``{"recipient": code, "successor": successor_code}``) when it was merged into a successor,
    or ``RECIPIENT_NOT_VALID`` (detail ``{"recipient": code, "validity": ...}``) when it is not
    yet or no longer valid. Returns the recipients' registry entries, by code.
    """
    unique = list(dict.fromkeys(codes))
    known = agencies_by_codes(session, unique)
    unknown = [code for code in unique if code not in known]
    if unknown:
        raise AgencyError(
            f"not registered: {', '.join(unknown)}",
            code=ErrorCode.RECIPIENT_UNKNOWN,
            detail={"recipients": unknown},
        )
    for code in unique:
        agency = known[code]
        state = agency.validity(on)
        if state is Validity.MERGED:
            raise AgencyError(
                f"{code} was merged into {agency.successor_code}; send to it instead",
                code=ErrorCode.RECIPIENT_MERGED,
                detail={"recipient": code, "successor": agency.successor_code},
            )
        if state is not Validity.VALID:
            raise AgencyError(
                f"{code} is not valid on {on.isoformat()} ({state.value})",
                code=ErrorCode.RECIPIENT_NOT_VALID,
                detail={
                    "recipient": code,
                    "validity": state.value,
                    "valid_from": agency.valid_from.isoformat() if agency.valid_from else None,
                    "valid_to": agency.valid_to.isoformat() if agency.valid_to else None,
                },
            )
    return known


# --- TLS client certificate fingerprints ----------------------------------------------------


def tls_fingerprints(session: Session, code: str) -> list[tuple[str, datetime]]:
    """The agency's registered fingerprints and when each was added, oldest first."""
    rows = session.execute(
        select(TlsFingerprintRow.fingerprint, TlsFingerprintRow.added_at)
        .where(TlsFingerprintRow.agency_code == code)
        .order_by(TlsFingerprintRow.added_at, TlsFingerprintRow.fingerprint)
    )
    return [(fingerprint, as_utc(at)) for fingerprint, at in rows]


def add_tls_fingerprint(session: Session, code: str, fingerprint: str, now: datetime) -> bool:
    """Register ``fingerprint`` for the agency; ``False`` when it already was."""
    if session.get(TlsFingerprintRow, (code, fingerprint)) is not None:
        return False
    session.add(TlsFingerprintRow(agency_code=code, fingerprint=fingerprint, added_at=now))
    session.flush()
    return True


def remove_tls_fingerprint(session: Session, code: str, fingerprint: str) -> bool:
    """Unregister ``fingerprint``; ``False`` when the agency had not registered it."""
    result = session.execute(
        delete(TlsFingerprintRow).where(
            TlsFingerprintRow.agency_code == code, TlsFingerprintRow.fingerprint == fingerprint
        )
    )
    return bool(getattr(result, "rowcount", 0))
