"""Tables of web users, their browser sessions and sign-in attempts (no commits here)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.accounts.model import Role, User
from lienthong.agencies.store import AgencyRow
from lienthong.db import Base

_ID = BigInteger().with_variant(Integer(), "sqlite")


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    agency_code: Mapped[str] = mapped_column(ForeignKey("agencies.code"), index=True)
    # Comma-separated Role values, e.g. "clerk,leader".
    roles: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class UserSessionRow(Base):
    """A signed-in browser. ``token_hash`` is the SHA-256 of the cookie value."""

    __tablename__ = "user_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    address: Mapped[str | None] = mapped_column(String(64))


class LoginAttemptRow(Base):
    """Failed sign-ins, for throttling (old rows are deleted as new ones arrive)."""

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_username_at", "username", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def _roles_text(roles: frozenset[Role]) -> str:
    return ",".join(r.value for r in Role if r in roles)


def _to_user(row: UserRow, agency_name: str | None = None) -> User:
    return User(
        id=row.id,
        username=row.username,
        full_name=row.full_name,
        agency_code=row.agency_code,
        roles=frozenset(Role(v) for v in row.roles.split(",") if v),
        active=row.active,
        agency_name=agency_name,
    )


def add_user(
    session: Session,
    *,
    username: str,
    full_name: str,
    agency_code: str,
    roles: frozenset[Role],
    password_hash: str,
    now: datetime,
) -> User:
    row = UserRow(
        username=username,
        full_name=full_name,
        agency_code=agency_code,
        roles=_roles_text(roles),
        password_hash=password_hash,
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(row)
    session.flush()
    return _to_user(row)


def _with_agency() -> Any:
    return select(UserRow, AgencyRow.name).join(AgencyRow, AgencyRow.code == UserRow.agency_code)


def find_user(session: Session, username: str) -> tuple[User, str] | None:
    """The user and its stored password hash."""
    found = session.execute(_with_agency().where(UserRow.username == username)).first()
    if found is None:
        return None
    row, name = found
    return _to_user(row, name), row.password_hash


def get_user_by_id(session: Session, user_id: int) -> User | None:
    found = session.execute(_with_agency().where(UserRow.id == user_id)).first()
    return None if found is None else _to_user(found[0], found[1])


def list_users(session: Session, agency_code: str | None = None) -> list[User]:
    query = _with_agency().order_by(UserRow.agency_code, UserRow.username)
    if agency_code is not None:
        query = query.where(UserRow.agency_code == agency_code)
    return [_to_user(row, name) for row, name in session.execute(query)]


def set_password_hash(session: Session, user_id: int, password_hash: str, now: datetime) -> None:
    session.execute(
        update(UserRow)
        .where(UserRow.id == user_id)
        .values(password_hash=password_hash, password_changed_at=now)
    )


def set_active(session: Session, user_id: int, active: bool) -> None:
    session.execute(update(UserRow).where(UserRow.id == user_id).values(active=active))


def add_session(
    session: Session,
    *,
    token_hash: str,
    user_id: int,
    csrf_token: str,
    now: datetime,
    expires_at: datetime,
    address: str | None,
) -> None:
    session.add(
        UserSessionRow(
            token_hash=token_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=now,
            expires_at=expires_at,
            address=address,
        )
    )


def find_session(session: Session, token_hash: str) -> UserSessionRow | None:
    return session.get(UserSessionRow, token_hash)


def delete_session(session: Session, token_hash: str) -> int:
    result = session.execute(delete(UserSessionRow).where(UserSessionRow.token_hash == token_hash))
    return int(getattr(result, "rowcount", 0) or 0)


def delete_user_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(UserSessionRow).where(UserSessionRow.user_id == user_id))


def delete_expired_sessions(session: Session, now: datetime) -> None:
    session.execute(delete(UserSessionRow).where(UserSessionRow.expires_at < now))


def count_failures(
    session: Session, *, username: str, address: str, since: datetime
) -> tuple[int, int]:
    """Failed sign-ins since ``since``: for this user name, and from this address."""
    by_user = session.scalar(
        select(func.count())
        .select_from(LoginAttemptRow)
        .where(LoginAttemptRow.username == username, LoginAttemptRow.at >= since)
    )
    by_address = session.scalar(
        select(func.count())
        .select_from(LoginAttemptRow)
        .where(LoginAttemptRow.address == address, LoginAttemptRow.at >= since)
    )
    return int(by_user or 0), int(by_address or 0)


def add_failure(session: Session, *, username: str, address: str, at: datetime) -> None:
    session.add(LoginAttemptRow(username=username[:64], address=address[:64], at=at))


def forget_failures(session: Session, *, username: str, before: datetime | None = None) -> None:
    """After a successful sign-in, the user's failures no longer count; old rows go."""
    session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.username == username))
    if before is not None:
        session.execute(delete(LoginAttemptRow).where(LoginAttemptRow.at < before))
