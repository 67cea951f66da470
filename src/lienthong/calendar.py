"""Vietnam's working-day calendar, shared by reporting deadlines and public-service time limits.

Pure: no clock, no database. Working days are Monday to Friday minus public holidays (Labour Code
2019 Art. 112, through the ``holidays`` library's Vietnam calendar, lunar Tết included, with the
swapped days it already knows), minus the compensatory days off the Government announces each
year, plus the Saturdays it makes working days in exchange. The two yearly lists come from
configuration (``WorkingCalendar.from_settings``) because they are announced late (a Prime
Minister's notice or a Ministry of Home Affairs letter, usually in the autumn before).

Conventions (used by every caller; write them the same way in screens and docs):

- ``add_working_days(start, n)``: "n working days after ``start``" is the n-th working day strictly
  after ``start``; ``start`` itself never counts, whether or not it is a working day. ``n == 0``
  answers ``start`` unchanged (use ``next_working_day`` to roll a date forward).
  Example: the cut-off is Sat 14 Mar 2026; "2 working days after" is Tue 17 Mar 2026.
- ``working_days_between(a, b)``: how many working days ``d`` satisfy ``a < d <= b`` (negative
  when ``b < a``), so ``working_days_between(a, add_working_days(a, n)) == n``.
"""

from __future__ import annotations

import json
import os
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Protocol

import holidays

ONE_DAY = timedelta(days=1)


class CalendarSettings(Protocol):
    """What ``from_settings`` reads (``lienthong.config.Settings`` satisfies it)."""

    calendar_file: Path | None
    calendar_days_off: str
    calendar_working_days: str


@dataclass(frozen=True)
class _Year:
    days_off: frozenset[date]  # holidays on any weekday, incl. swapped days
    weekend_workdays: frozenset[date]  # Saturdays/Sundays made working days


class WorkingCalendar:
    """Working days in Vietnam. Thread-safe; per-year tables are built once, on first use."""

    def __init__(
        self,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
    ) -> None:
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        both = self.extra_days_off & self.extra_working_days
        if both:
            listed = ", ".join(d.isoformat() for d in sorted(both))
            raise ValueError(f"days both off and working: {listed}")
        self._years: dict[int, _Year] = {}
        self._lock = threading.Lock()

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._years.get(year)
            if cached is None:
                # Labour Code 2019 Art. 112; the library also carries the swaps it knows
                # (e.g. Mon 31 Aug 2026 off, Sat 22 Aug 2026 worked).
                public = holidays.country_holidays("VN", years=year, language="vi")
                cached = _Year(
                    days_off=frozenset(public.keys()),
                    weekend_workdays=frozenset(
                        d for d in public.weekend_workdays if d.year == year
                    ),
                )
                self._years[year] = cached
            return cached

    def is_working_day(self, d: date) -> bool:
        if d in self.extra_working_days:
            return True
        if d in self.extra_days_off:
            return False
        year = self._year(d.year)
        if d.weekday() >= 5:  # Saturday, Sunday
            return d in year.weekend_workdays
        return d not in year.days_off

    def holiday_name(self, d: date) -> str | None:
        """The Vietnamese name of the public holiday on ``d``, if any (for screens)."""
        if d in self.extra_days_off:
            return "Ngày nghỉ bù"
        name = holidays.country_holidays("VN", years=d.year, language="vi").get(d)
        return str(name) if name else None

    def next_working_day(self, d: date) -> date:
        """``d`` itself when it is a working day, else the first working day after it."""
        while not self.is_working_day(d):
            d += ONE_DAY
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day strictly after ``start`` (``start`` when ``n == 0``)."""
        if n < 0:
            raise ValueError("n must be >= 0")
        d = start
        while n > 0:
            d += ONE_DAY
            if self.is_working_day(d):
                n -= 1
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Working days ``d`` with ``a < d <= b``; negative when ``b < a``."""
        if b < a:
            return -self.working_days_between(b, a)
        count = 0
        d = a + ONE_DAY
        while d <= b:
            if self.is_working_day(d):
                count += 1
            d += ONE_DAY
        return count

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WorkingCalendar:
        """From ``{"days_off": [...], "working_days": [...]}`` (ISO strings or dates)."""
        unknown = set(data) - {"days_off", "working_days"}
        if unknown:
            raise ValueError(f"unknown calendar keys: {', '.join(sorted(unknown))}")
        return cls(
            extra_days_off=_dates(data.get("days_off", ())),
            extra_working_days=_dates(data.get("working_days", ())),
        )

    @classmethod
    def from_file(cls, path: Path) -> WorkingCalendar:
        """A TOML (``days_off = [2026-01-02]``) or JSON file, by its suffix."""
        raw = path.read_bytes()
        if path.suffix.lower() == ".json":
            data = json.loads(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a table with days_off / working_days")
        return cls.from_mapping(data)

    @classmethod
    def from_settings(cls, settings: CalendarSettings) -> WorkingCalendar:
        """``LIENTHONG_CALENDAR_FILE`` and/or the comma-separated lists
        ``LIENTHONG_CALENDAR_DAYS_OFF`` / ``LIENTHONG_CALENDAR_WORKING_DAYS``, merged."""
        days_off: set[date] = set(_dates(_split(settings.calendar_days_off)))
        working: set[date] = set(_dates(_split(settings.calendar_working_days)))
        if settings.calendar_file is not None:
            from_file = cls.from_file(Path(os.fspath(settings.calendar_file)))
            days_off |= from_file.extra_days_off
            working |= from_file.extra_working_days
        return cls(extra_days_off=days_off, extra_working_days=working)


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


def _dates(values: Iterable[Any]) -> list[date]:
    if isinstance(values, str | bytes):
        raise ValueError("expected a list of dates")
    out: list[date] = []
    for value in values:
        if isinstance(value, date):
            out.append(value)
        elif isinstance(value, str):
            out.append(date.fromisoformat(value.strip()))
        else:
            raise ValueError(f"not a date: {value!r}")
    return out
