"""Tables of the issuance domain: annual number registers and the documents issued from them.

Stores never commit; :mod:`lienthong.issuance.service` owns the transactions.

- ``number_registers``: one row per :class:`~lienthong.issuance.model.RegisterKey`, holding the
  last number given. The row is the lock two clerks queue on (``SELECT ... FOR UPDATE`` on
  PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serialises writers).
- ``issued_documents``: one row per number given, unique per ``(agency, year, register,
  secret, number)``: the register's ledger. A number exists only with its row.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from lienthong.db import Base
from lienthong.issuance.model import RegisterKey

_ID = BigInteger().with_variant(Integer(), "sqlite")


class NumberRegister(Base):
    """An annual number sequence [sổ đăng ký văn bản đi] and its last number (0: none yet)."""

    __tablename__ = "number_registers"
    __table_args__ = (UniqueConstraint("agency_code", "year", "register", "secret"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(String(35))
    year: Mapped[int] = mapped_column(Integer)
    register: Mapped[str] = mapped_column(String(64))
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IssuedDocument(Base):
    """A document numbered and issued: the register's ledger line."""

    __tablename__ = "issued_documents"
    __table_args__ = (
        UniqueConstraint("agency_code", "year", "register", "secret", "number"),
        UniqueConstraint("message_id"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    agency_code: Mapped[str] = mapped_column(String(35), index=True)
    year: Mapped[int] = mapped_column(Integer)
    register: Mapped[str] = mapped_column(String(64))
    secret: Mapped[bool] = mapped_column(Boolean, default=False)
    number: Mapped[int] = mapped_column(Integer)
    code_number: Mapped[str] = mapped_column(String(11))
    notation: Mapped[str] = mapped_column(String(30))
    type_name: Mapped[str] = mapped_column(String(128))
    subject: Mapped[str] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    clerk: Mapped[str] = mapped_column(String(255))
    signer_name: Mapped[str] = mapped_column(String(255))
    signer_position: Mapped[str] = mapped_column(String(255))
    draft_sha256: Mapped[str] = mapped_column(String(64), info={"blob": True})
    pdf_sha256: Mapped[str] = mapped_column(String(64), info={"blob": True})
    edxml_document_id: Mapped[str] = mapped_column(String(255))
    message_id: Mapped[str] = mapped_column(String(32))
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated agency codes


def _where(key: RegisterKey) -> tuple[ColumnElement[bool], ...]:
    return (
        NumberRegister.agency_code == key.agency,
        NumberRegister.year == key.year,
        NumberRegister.register == key.register,
        NumberRegister.secret == key.secret,
    )


def find_register(session: Session, key: RegisterKey) -> NumberRegister | None:
    """The register row, without a lock (``None``: no number was ever given in it)."""
    return session.scalars(select(NumberRegister).where(*_where(key))).one_or_none()


def lock_register(session: Session, key: RegisterKey) -> NumberRegister | None:
    """The register row locked until the transaction ends (``FOR UPDATE``; SQLite ignores the
    clause and is already serialised by ``BEGIN IMMEDIATE``). ``None`` if it does not exist."""
    query = select(NumberRegister).where(*_where(key)).with_for_update()
    return session.scalars(query).one_or_none()


def add_register(session: Session, key: RegisterKey, now: datetime) -> NumberRegister:
    """A new empty register (last number 0). Raises IntegrityError at flush if a concurrent
    transaction created it first."""
    row = NumberRegister(
        agency_code=key.agency,
        year=key.year,
        register=key.register,
        secret=key.secret,
        last_number=0,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    return row


def issued_in(session: Session, key: RegisterKey) -> Sequence[IssuedDocument]:
    """The register's ledger in number order."""
    query = (
        select(IssuedDocument)
        .where(
            IssuedDocument.agency_code == key.agency,
            IssuedDocument.year == key.year,
            IssuedDocument.register == key.register,
            IssuedDocument.secret == key.secret,
        )
        .order_by(IssuedDocument.number)
    )
    return session.scalars(query).all()


def issued_by_message(session: Session, message_id: str) -> IssuedDocument | None:
    return session.scalars(
        select(IssuedDocument).where(IssuedDocument.message_id == message_id)
    ).one_or_none()
