"""Time as a dependency: services ask a ``Clock``; tests hand in a ``FixedClock``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (for tests)."""

    def __init__(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)


class ReplayClock(FixedClock):
    """A fixed clock until released, then the system's: the demo replays months of history on
    it, then the same services (and the demo responder) go on in real time."""

    def __init__(self, at: datetime) -> None:
        super().__init__(at)
        self._released = False

    def now(self) -> datetime:
        return datetime.now(UTC) if self._released else self._at

    def release(self) -> None:
        self._released = True


def as_utc(value: datetime) -> datetime:
    """Naive datetimes read back from SQLite are UTC; make them aware."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
