"""The notifications table and its queries. Stores never commit: a notification is written in
the same transaction as the event it tells about (a rollback leaves no phantom notice)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from lienthong.accounts.model import Role
from lienthong.accounts.store import UserRow
from lienthong.db import Base
from lienthong.notifications.model import Notification, NotificationKind

_ID = BigInteger().with_variant(Integer(), "sqlite")


class NotificationRow(Base):
    """One notification of one web user; ``read_at`` is set when the user opens it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


def _view(row: NotificationRow) -> Notification:
    return Notification(
        id=row.id,
        kind=NotificationKind(row.kind),
        text=row.text,
        link=row.link,
        created_at=row.created_at,
        read_at=row.read_at,
    )


_USERS_OF = select(UserRow.id, UserRow.agency_code, UserRow.roles).where(
    UserRow.agency_code.in_(bindparam("codes", expanding=True)), UserRow.active.is_(True)
)


def users_with_role(
    session: Session, agencies: Collection[str], role: Role
) -> dict[str, list[int]]:
    """The active users holding ``role`` in each of ``agencies`` (agency code -> user ids)."""
    if not agencies:
        return {}
    found: dict[str, list[int]] = {}
    for user_id, agency, roles in session.execute(_USERS_OF, {"codes": sorted(agencies)}):
        if role.value in roles.split(","):
            found.setdefault(agency, []).append(user_id)
    return found


def user_ids(session: Session, usernames: Collection[str]) -> list[int]:
    """The ids of the active users among ``usernames``."""
    if not usernames:
        return []
    query = select(UserRow.id).where(
        UserRow.username.in_(sorted(usernames)), UserRow.active.is_(True)
    )
    return list(session.scalars(query))


def add(
    session: Session,
    users: Iterable[int],
    kind: NotificationKind,
    text: str,
    link: str,
    *,
    at: datetime,
) -> int:
    """One notification per user (each user once); how many were added."""
    rows = [
        NotificationRow(user_id=u, kind=kind.value, text=text, link=link, created_at=at)
        for u in dict.fromkeys(users)
    ]
    session.add_all(rows)
    return len(rows)


def unread_count(session: Session, user_id: int) -> int:
    query = (
        select(func.count())
        .select_from(NotificationRow)
        .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))
    )
    return int(session.scalar(query) or 0)


def latest(session: Session, user_id: int, *, limit: int = 50) -> list[Notification]:
    """The user's newest ``limit`` notifications, newest first."""
    rows = session.scalars(
        select(NotificationRow)
        .where(NotificationRow.user_id == user_id)
        .order_by(NotificationRow.created_at.desc(), NotificationRow.id.desc())
        .limit(limit)
    )
    return [_view(r) for r in rows]


def mark_read(session: Session, user_id: int, notification_id: int, at: datetime) -> str | None:
    """Mark the user's notification read (once: the first opening counts); its link, or None
    when the user has no such notification."""
    row = session.get(NotificationRow, notification_id)
    if row is None or row.user_id != user_id:
        return None
    if row.read_at is None:
        row.read_at = at
    return row.link


def has_unread_link(session: Session, user_id: int, link: str) -> bool:
    query = select(NotificationRow.id).where(
        NotificationRow.user_id == user_id,
        NotificationRow.read_at.is_(None),
        NotificationRow.link == link,
    )
    return session.scalar(query.limit(1)) is not None


def mark_link_read(session: Session, user_id: int, link: str, at: datetime) -> None:
    """The user opened the page ``link``: its unread notifications are read."""
    session.execute(
        update(NotificationRow)
        .where(
            NotificationRow.user_id == user_id,
            NotificationRow.read_at.is_(None),
            NotificationRow.link == link,
        )
        .values(read_at=at)
    )


def mark_all_read(session: Session, user_id: int, at: datetime) -> None:
    session.execute(
        update(NotificationRow)
        .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))
        .values(read_at=at)
    )


def tell_role(
    session: Session,
    agency: str,
    role: Role,
    kind: NotificationKind,
    text: str,
    link: str,
    *,
    at: datetime,
) -> int:
    """Notify every active user holding ``role`` in ``agency``; how many were told."""
    users = users_with_role(session, [agency], role).get(agency, [])
    return add(session, users, kind, text, link, at=at)


def tell_users(
    session: Session,
    usernames: Collection[str],
    kind: NotificationKind,
    text: str,
    link: str,
    *,
    at: datetime,
) -> int:
    """Notify the active users among ``usernames``; how many were told."""
    return add(session, user_ids(session, usernames), kind, text, link, at=at)
