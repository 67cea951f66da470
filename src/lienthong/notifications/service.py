"""Reading and marking a web user's notifications (one transaction each)."""

from __future__ import annotations

from lienthong.accounts.model import User
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.notifications import store
from lienthong.notifications.model import Notification


class NotificationService:
    """The signed-in user's notifications. Writers of notifications are the services whose
    events they tell about (``store.tell_role``, ``store.tell_users`` in their transaction)."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def unread_count(self, user: User) -> int:
        with self.db.read() as session:
            return store.unread_count(session, user.id)

    def latest(self, user: User, limit: int = 50) -> list[Notification]:
        with self.db.read() as session:
            return store.latest(session, user.id, limit=limit)

    def open(self, user: User, notification_id: int) -> str | None:
        """Mark the notification read; the page it is about, or None when it is not the
        user's (nothing is changed then)."""
        with self.db.unit_of_work() as session:
            return store.mark_read(session, user.id, notification_id, self.clock.now())

    def seen(self, user: User, link: str) -> None:
        """The user opened ``link``: its notifications are read (no write when none is)."""
        with self.db.read() as session:
            if not store.has_unread_link(session, user.id, link):
                return
        with self.db.unit_of_work() as session:
            store.mark_link_read(session, user.id, link, self.clock.now())

    def mark_all_read(self, user: User) -> None:
        with self.db.unit_of_work() as session:
            store.mark_all_read(session, user.id, self.clock.now())
