"""Tables and queries of the LGSP style: connected systems' consumer credentials, their
access tokens, and the units connected through this style with their secrets.

Every secret (consumer secret, access token, unit secret) is 32 random bytes or more and is
kept only as its SHA-256 in hex: far beyond guessing, so a fast hash loses nothing, while a
password KDF would cost tens of milliseconds on every call. The hub never needs one back.
Functions take the caller's session and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, delete, select, text, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.agencies.model import CODE_MAX_LENGTH
from lienthong.clock import as_utc
from lienthong.db import Base

__all__ = [
    "Consumer",
    "ConsumerRow",
    "TokenRow",
    "Unit",
    "UnitRow",
    "active_unit",
    "add_consumer",
    "add_token",
    "add_unit",
    "consumer_by_key",
    "consumer_of",
    "consumers",
    "drop_expired_tokens",
    "drop_tokens",
    "lock_consumer",
    "revoke_unit",
    "token_with_consumer",
    "unit_by_secret_hash",
    "units",
]

HASH_LENGTH = 64
KEY_MAX_LENGTH = 64


class ConsumerRow(Base):
    """``lgsp_consumers``: the OAuth2 client credentials of one connected system.

    ``agency_code`` owns the system: it may act for its own unit and the units below it.
    ``generation`` grows at each rotation; a token carries the generation it was issued
    under, so a rotation ends every token of the old secret without touching them.
    Rows stay after revocation (``revoked_at``), for the record.
    """

    __tablename__ = "lgsp_consumers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    consumer_key: Mapped[str] = mapped_column(String(KEY_MAX_LENGTH), unique=True)
    agency_code: Mapped[str] = mapped_column(
        String(CODE_MAX_LENGTH), ForeignKey("agencies.code"), index=True
    )
    secret_hash: Mapped[str] = mapped_column(String(HASH_LENGTH))
    generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A rotation with an overlap keeps the replaced secret's hash until ``previous_until``:
    # both secrets get tokens meanwhile (those of the replaced one carry generation - 1).
    previous_secret_hash: Mapped[str | None] = mapped_column(String(HASH_LENGTH))
    previous_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class TokenRow(Base):
    """``lgsp_tokens``: an access token (its hash), until it expires. Expired tokens of a
    consumer are deleted when it asks for a new one."""

    __tablename__ = "lgsp_tokens"

    token_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), primary_key=True)
    consumer_id: Mapped[int] = mapped_column(Integer, ForeignKey("lgsp_consumers.id"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UnitRow(Base):
    """``lgsp_units``: a unit connected through this style, and the hash of its secret.

    One *connected* row per agency (a partial unique index); an unregistered or re-keyed
    unit keeps its old rows with ``revoked_at``. ``registered_by`` is the unit that
    registered it through ``POST donvilienthongs`` (``None``: the hub operator).
    """

    __tablename__ = "lgsp_units"
    __table_args__ = (
        Index(
            "uq_lgsp_units_connected_agency_code",
            "agency_code",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(String(CODE_MAX_LENGTH), ForeignKey("agencies.code"))
    secret_hash: Mapped[str] = mapped_column(String(HASH_LENGTH), unique=True)
    registered_by: Mapped[str | None] = mapped_column(String(CODE_MAX_LENGTH))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Consumer:
    """A consumer credential as a value (times in UTC)."""

    id: int
    consumer_key: str
    agency_code: str
    secret_hash: str
    generation: int
    created_at: datetime
    rotated_at: datetime | None
    expires_at: datetime | None
    revoked_at: datetime | None
    previous_secret_hash: str | None = None
    previous_until: datetime | None = None


@dataclass(frozen=True)
class Unit:
    """A connected unit as a value (times in UTC)."""

    agency_code: str
    registered_by: str | None
    created_at: datetime
    revoked_at: datetime | None


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def consumer_of(row: ConsumerRow) -> Consumer:
    return Consumer(
        id=row.id,
        consumer_key=row.consumer_key,
        agency_code=row.agency_code,
        secret_hash=row.secret_hash,
        generation=row.generation,
        created_at=as_utc(row.created_at),
        rotated_at=_utc(row.rotated_at),
        expires_at=_utc(row.expires_at),
        revoked_at=_utc(row.revoked_at),
        previous_secret_hash=row.previous_secret_hash,
        previous_until=_utc(row.previous_until),
    )


def _unit(row: UnitRow) -> Unit:
    return Unit(
        agency_code=row.agency_code,
        registered_by=row.registered_by,
        created_at=as_utc(row.created_at),
        revoked_at=_utc(row.revoked_at),
    )


# --- consumers ----------------------------------------------------------------------------


def add_consumer(
    session: Session,
    *,
    consumer_key: str,
    agency_code: str,
    secret_hash: str,
    now: datetime,
    expires_at: datetime | None,
) -> Consumer:
    row = ConsumerRow(
        consumer_key=consumer_key,
        agency_code=agency_code,
        secret_hash=secret_hash,
        generation=1,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return consumer_of(row)


def consumer_by_key(session: Session, consumer_key: str) -> Consumer | None:
    row = session.scalars(
        select(ConsumerRow).where(ConsumerRow.consumer_key == consumer_key)
    ).one_or_none()
    return None if row is None else consumer_of(row)


def lock_consumer(session: Session, consumer_key: str) -> ConsumerRow | None:
    """The consumer's row, locked until the transaction ends (PostgreSQL ``FOR UPDATE``)."""
    return session.scalars(
        select(ConsumerRow).where(ConsumerRow.consumer_key == consumer_key).with_for_update()
    ).one_or_none()


def consumers(session: Session, agency_code: str | None = None) -> list[Consumer]:
    """Every consumer credential (of ``agency_code`` when given), oldest first."""
    query = select(ConsumerRow).order_by(ConsumerRow.id)
    if agency_code is not None:
        query = query.where(ConsumerRow.agency_code == agency_code)
    return [consumer_of(row) for row in session.scalars(query)]


# --- tokens -------------------------------------------------------------------------------


def add_token(
    session: Session,
    *,
    token_hash: str,
    consumer_id: int,
    generation: int,
    now: datetime,
    expires_at: datetime,
) -> None:
    session.add(
        TokenRow(
            token_hash=token_hash,
            consumer_id=consumer_id,
            generation=generation,
            issued_at=now,
            expires_at=expires_at,
        )
    )


def drop_expired_tokens(session: Session, consumer_id: int, now: datetime) -> int:
    """Delete the consumer's tokens that expired by ``now``; how many there were."""
    result = session.execute(
        delete(TokenRow).where(TokenRow.consumer_id == consumer_id, TokenRow.expires_at <= now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def drop_tokens(session: Session, consumer_id: int, *, below: int | None = None) -> None:
    """Delete every token of the consumer (it was revoked or rotated: none works any more),
    or, with ``below``, those of a generation before it (a rotation with an overlap keeps
    the replaced secret's tokens)."""
    statement = delete(TokenRow).where(TokenRow.consumer_id == consumer_id)
    if below is not None:
        statement = statement.where(TokenRow.generation < below)
    session.execute(statement)


@dataclass(frozen=True)
class TokenHolder:
    """A token's row with its consumer's."""

    generation: int
    expires_at: datetime
    consumer: Consumer


def token_with_consumer(session: Session, token_hash: str) -> TokenHolder | None:
    """The token stored under ``token_hash`` and its consumer, in one indexed query."""
    row = session.execute(
        select(TokenRow.generation, TokenRow.expires_at, ConsumerRow)
        .join(ConsumerRow, ConsumerRow.id == TokenRow.consumer_id)
        .where(TokenRow.token_hash == token_hash)
    ).one_or_none()
    if row is None:
        return None
    return TokenHolder(generation=row[0], expires_at=as_utc(row[1]), consumer=consumer_of(row[2]))


# --- units --------------------------------------------------------------------------------


def add_unit(
    session: Session,
    *,
    agency_code: str,
    secret_hash: str,
    registered_by: str | None,
    now: datetime,
) -> None:
    session.add(
        UnitRow(
            agency_code=agency_code,
            secret_hash=secret_hash,
            registered_by=registered_by,
            created_at=now,
        )
    )
    session.flush()


def active_unit(session: Session, agency_code: str) -> Unit | None:
    """The agency's connected row, or ``None`` when it is not connected."""
    row = session.scalars(
        select(UnitRow).where(UnitRow.agency_code == agency_code, UnitRow.revoked_at.is_(None))
    ).one_or_none()
    return None if row is None else _unit(row)


def unit_by_secret_hash(session: Session, secret_hash: str) -> Unit | None:
    """The unit whose secret hashes to ``secret_hash`` (connected or not), or ``None``."""
    row = session.scalars(select(UnitRow).where(UnitRow.secret_hash == secret_hash)).one_or_none()
    return None if row is None else _unit(row)


def revoke_unit(session: Session, agency_code: str, now: datetime) -> int:
    """Disconnect the agency (its secret stops working); how many rows it ended (0 or 1)."""
    result = session.execute(
        update(UnitRow)
        .where(UnitRow.agency_code == agency_code, UnitRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def units(session: Session, codes: Sequence[str] | None = None) -> list[Unit]:
    """The connected units (among ``codes`` when given), by code."""
    query = select(UnitRow).where(UnitRow.revoked_at.is_(None)).order_by(UnitRow.agency_code)
    if codes is not None:
        query = query.where(UnitRow.agency_code.in_(list(codes)))
    return [_unit(row) for row in session.scalars(query)]
