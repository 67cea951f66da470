"""Periods and deadlines of periodic reports (Decree 09/2019/NĐ-CP Arts. 12-13), pure.

Periods
-------
A period is named by a stable code: ``2026-M03`` (month), ``2026-Q1`` (quarter), ``2026-H1`` /
``2026-H2`` (half-year), ``2026-9M`` (nine months), ``2026-Y`` (year). Its *window* (the data
cut-off span, both ends inclusive) comes from the regime's :class:`WindowRule`:

- the Decree's default (Art. 12(2)): months run from the 15th of the previous month to the 14th
  (``start_day=15``): "March 2026" = 2026-02-15..2026-03-14; a quarter, half-year, nine months or
  year runs from the window start of its first month to the window end of its last month:
  "Q1 2026" = 2025-12-15..2026-03-14, "Year 2026" = 2025-12-15..2026-12-14;
- sector alternatives: ``start_day=16`` (16th -> 15th), ``start_day=1`` (calendar months).

Rules are effective-dated (:class:`WindowSchedule`) because regimes migrate: the rule in force
for a period is the latest one whose ``effective_from`` is on or before the first day of the
period's last nominal month. A period is also written as ISO 8601 start/duration, as ADX and
DHIS2 write it: ``2026-02-15/P1M``.

Deadlines
---------
Per regime, period type and level (Art. 8(5): a separate deadline for each reporter and level):
``DayOfLastMonth(25)`` ("no later than the 25th of the period's last month", Art. 13, the
Government's default) or ``WorkingDaysAfterCutoff(2)`` (N working days after the window end,
counted with :class:`lienthong.calendar.WorkingCalendar`). A deadline is a *date*: a report is
on time when submitted before the end of that day in Vietnam time.
"""

from __future__ import annotations

import calendar as std_calendar
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ


class PeriodType(StrEnum):
    MONTH = "M"
    QUARTER = "Q"
    HALF_YEAR = "H"
    NINE_MONTHS = "9M"
    YEAR = "Y"


# How many nominal months each period type spans, and its ISO 8601 duration.
_MONTHS = {
    PeriodType.MONTH: 1,
    PeriodType.QUARTER: 3,
    PeriodType.HALF_YEAR: 6,
    PeriodType.NINE_MONTHS: 9,
    PeriodType.YEAR: 12,
}
_ISO_DURATION = {
    PeriodType.MONTH: "P1M",
    PeriodType.QUARTER: "P3M",
    PeriodType.HALF_YEAR: "P6M",
    PeriodType.NINE_MONTHS: "P9M",
    PeriodType.YEAR: "P1Y",
}
PERIOD_LABELS = {
    PeriodType.MONTH: "Tháng",
    PeriodType.QUARTER: "Quý",
    PeriodType.HALF_YEAR: "6 tháng",
    PeriodType.NINE_MONTHS: "9 tháng",
    PeriodType.YEAR: "Năm",
}
_CODE_RE = re.compile(r"^(\d{4})-(?:M(0[1-9]|1[0-2])|Q([1-4])|H([12])|(9M)|(Y))$")


class PeriodError(ValueError):
    """A period code, ISO period or rule that cannot be read (the service maps it to a code)."""


@dataclass(frozen=True, order=True)
class Period:
    """A nominal period: ``year``, type and index (month 1-12, quarter 1-4, half 1-2, else 1)."""

    year: int
    type: PeriodType
    index: int = 1

    @classmethod
    def parse(cls, code: str) -> Period:
        match = _CODE_RE.match(code.strip())
        if match is None:
            raise PeriodError(f"not a period code: {code!r} (e.g. 2026-M03, 2026-Q1, 2026-Y)")
        year = int(match.group(1))
        if match.group(2):
            return cls(year, PeriodType.MONTH, int(match.group(2)))
        if match.group(3):
            return cls(year, PeriodType.QUARTER, int(match.group(3)))
        if match.group(4):
            return cls(year, PeriodType.HALF_YEAR, int(match.group(4)))
        if match.group(5):
            return cls(year, PeriodType.NINE_MONTHS, 1)
        return cls(year, PeriodType.YEAR, 1)

    @property
    def code(self) -> str:
        if self.type is PeriodType.MONTH:
            return f"{self.year}-M{self.index:02d}"
        if self.type in (PeriodType.QUARTER, PeriodType.HALF_YEAR):
            return f"{self.year}-{self.type.value}{self.index}"
        return f"{self.year}-{self.type.value}"

    @property
    def first_month(self) -> int:
        if self.type is PeriodType.MONTH:
            return self.index
        if self.type is PeriodType.QUARTER:
            return 3 * self.index - 2
        if self.type is PeriodType.HALF_YEAR:
            return 6 * self.index - 5
        return 1

    @property
    def last_month(self) -> int:
        return self.first_month + _MONTHS[self.type] - 1

    @property
    def key_date(self) -> date:
        """The first day of the last nominal month: picks the rule in force."""
        return date(self.year, self.last_month, 1)

    @property
    def label(self) -> str:
        """Vietnamese name: ``Tháng 3/2026``, ``Quý I/2026``, ``6 tháng đầu năm 2026``..."""
        if self.type is PeriodType.MONTH:
            return f"Tháng {self.index}/{self.year}"
        if self.type is PeriodType.QUARTER:
            return f"Quý {['I', 'II', 'III', 'IV'][self.index - 1]}/{self.year}"
        if self.type is PeriodType.HALF_YEAR:
            half = "6 tháng đầu năm" if self.index == 1 else "6 tháng cuối năm"
            return f"{half} {self.year}"
        if self.type is PeriodType.NINE_MONTHS:
            return f"9 tháng năm {self.year}"
        return f"Năm {self.year}"

    def same_period_last_year(self) -> Period:
        return Period(self.year - 1, self.type, self.index)

    def previous(self) -> Period:
        """The period of the same type before this one."""
        count = {PeriodType.MONTH: 12, PeriodType.QUARTER: 4, PeriodType.HALF_YEAR: 2}.get(
            self.type, 1
        )
        if self.index > 1:
            return Period(self.year, self.type, self.index - 1)
        return Period(self.year - 1, self.type, count)

    def ends_month(self, month: int) -> bool:
        return self.last_month == month


def periods_of_year(year: int, period_type: PeriodType) -> list[Period]:
    count = {PeriodType.MONTH: 12, PeriodType.QUARTER: 4, PeriodType.HALF_YEAR: 2}.get(
        period_type, 1
    )
    return [Period(year, period_type, i) for i in range(1, count + 1)]


@dataclass(frozen=True)
class Window:
    """The data cut-off span, both ends inclusive."""

    start: date
    end: date

    def iso(self, period_type: PeriodType) -> str:
        return f"{self.start.isoformat()}/{_ISO_DURATION[period_type]}"

    def contains(self, d: date) -> bool:
        return self.start <= d <= self.end


def _month_back(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


@dataclass(frozen=True)
class WindowRule:
    """Months start on ``start_day``: 15 (Decree 09 Art. 12(2), the default), 16, or 1
    (calendar months). A month ``m`` with ``start_day > 1`` runs from ``start_day`` of month
    ``m-1`` to ``start_day - 1`` of month ``m``."""

    start_day: int = 15

    def __post_init__(self) -> None:
        if not 1 <= self.start_day <= 28:
            raise PeriodError("a window's start day must be 1..28")

    def month_start(self, year: int, month: int) -> date:
        if self.start_day == 1:
            return date(year, month, 1)
        y, m = _month_back(year, month)
        return date(y, m, self.start_day)

    def month_end(self, year: int, month: int) -> date:
        if self.start_day == 1:
            return date(year, month, std_calendar.monthrange(year, month)[1])
        return date(year, month, self.start_day - 1)

    def window(self, period: Period) -> Window:
        return Window(
            self.month_start(period.year, period.first_month),
            self.month_end(period.year, period.last_month),
        )

    @property
    def label(self) -> str:
        if self.start_day == 1:
            return "tháng dương lịch (ngày 01 đến cuối tháng)"
        return f"từ ngày {self.start_day} tháng trước đến ngày {self.start_day - 1}"


DECREE_09_WINDOW = WindowRule(15)


@dataclass(frozen=True)
class WindowSchedule:
    """Window rules with effective dates (the first applies from the beginning of time)."""

    rules: tuple[tuple[date, WindowRule], ...] = ((date.min, DECREE_09_WINDOW),)

    def __post_init__(self) -> None:
        if not self.rules:
            raise PeriodError("a schedule needs at least one window rule")
        dates = [d for d, _ in self.rules]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise PeriodError("window rules must be in increasing effective-date order")

    def rule_for(self, period: Period) -> WindowRule:
        chosen = self.rules[0][1]
        for effective, rule in self.rules:
            if effective <= period.key_date:
                chosen = rule
        return chosen

    def window(self, period: Period) -> Window:
        return self.rule_for(period).window(period)

    def iso(self, period: Period) -> str:
        return self.window(period).iso(period.type)

    def from_iso(self, text: str) -> Period:
        """The period whose window is written ``text`` (``2026-02-15/P1M``)."""
        start_text, sep, duration = text.strip().partition("/")
        types = [t for t, d in _ISO_DURATION.items() if d == duration]
        if not sep or not types:
            raise PeriodError(f"not an ISO 8601 period: {text!r} (e.g. 2026-02-15/P1M)")
        try:
            start = date.fromisoformat(start_text)
        except ValueError as exc:
            raise PeriodError(f"not an ISO 8601 period: {text!r}") from exc
        period_type = types[0]
        for year in (start.year, start.year + 1):
            for period in periods_of_year(year, period_type):
                if self.window(period).start == start:
                    return period
        raise PeriodError(f"no {period_type.name.lower()} window starts on {start.isoformat()}")


# --- deadlines ---------------------------------------------------------------------------


class NonWorkingDeadline(StrEnum):
    """What a day-of-month deadline does when it falls on a day off [U: the Decree is silent]."""

    KEEP = "keep"  # the date as written ("no later than the 25th")
    EARLIER = "earlier"  # the last working day before it
    LATER = "later"  # the next working day


@dataclass(frozen=True)
class DayOfLastMonth:
    """Day ``day`` of the period's last nominal month (shifted by ``month_offset`` months):
    Art. 13: ministries and provinces report to the Government by the 25th."""

    day: int = 25
    month_offset: int = 0
    if_day_off: NonWorkingDeadline = NonWorkingDeadline.KEEP

    def due(self, period: Period, window: Window, cal: WorkingCalendar) -> date:
        months = period.year * 12 + (period.last_month - 1) + self.month_offset
        year, month = divmod(months, 12)
        last = std_calendar.monthrange(year, month + 1)[1]
        d = date(year, month + 1, min(self.day, last))
        if self.if_day_off is NonWorkingDeadline.LATER:
            return cal.next_working_day(d)
        if self.if_day_off is NonWorkingDeadline.EARLIER:
            while not cal.is_working_day(d):
                d -= timedelta(days=1)
        return d

    @property
    def label(self) -> str:
        where = {0: "tháng cuối kỳ", 1: "tháng sau kỳ", -1: "tháng trước tháng cuối kỳ"}.get(
            self.month_offset, f"tháng cuối kỳ {self.month_offset:+d}"
        )
        return f"ngày {self.day} {where}"


@dataclass(frozen=True)
class WorkingDaysAfterCutoff:
    """``days`` working days after the window end (the calendar's convention)."""

    days: int = 2

    def due(self, period: Period, window: Window, cal: WorkingCalendar) -> date:
        return cal.add_working_days(window.end, self.days)

    @property
    def label(self) -> str:
        return f"{self.days} ngày làm việc sau ngày chốt số liệu"


DeadlineRule = DayOfLastMonth | WorkingDaysAfterCutoff
GOVERNMENT_DEADLINE = DayOfLastMonth(25)


def end_of_day(d: date) -> datetime:
    """The first instant after day ``d`` in Vietnam time: submitted before it is on time."""
    return datetime.combine(d + timedelta(days=1), time(0), tzinfo=VN_TZ)


def is_on_time(submitted_at: datetime, deadline: date) -> bool:
    return submitted_at < end_of_day(deadline)


def local_day(at: datetime) -> date:
    return at.astimezone(VN_TZ).date()


@dataclass(frozen=True)
class DeadlineProblem:
    """Why a regime's deadlines break Art. 8(5) for a level and period."""

    level: str
    period: str
    message: str


@dataclass(frozen=True)
class LevelDeadlines:
    """Per period type, the deadline of one reporting level."""

    level: str
    rules: dict[PeriodType, DeadlineRule] = field(default_factory=dict)


def check_deadlines(
    schedule: WindowSchedule,
    levels: Sequence[LevelDeadlines],
    period_types: Sequence[PeriodType],
    cal: WorkingCalendar,
    years: Sequence[int],
) -> list[DeadlineProblem]:
    """Art. 8(5): every reporting level has a deadline for every period type; at least one
    working day lies between the cut-off and each deadline (a working day ``d`` with
    ``cut-off < d <= deadline``); a level reports no later than the level above it (``levels``
    bottom-up). Checked over the periods of ``years``."""
    problems: list[DeadlineProblem] = []
    for lv in levels:
        for pt in period_types:
            if pt not in lv.rules:
                problems.append(
                    DeadlineProblem(lv.level, pt.value, "no deadline for this level (Art. 8(5))")
                )
    if problems:
        return problems
    for period in _periods(years, period_types):
        window = schedule.window(period)
        previous: tuple[str, date] | None = None
        for lv in levels:
            due = lv.rules[period.type].due(period, window, cal)
            if cal.working_days_between(window.end, due) < 1:
                problems.append(
                    DeadlineProblem(
                        lv.level,
                        period.code,
                        f"deadline {due.isoformat()} leaves no working day after the cut-off "
                        f"{window.end.isoformat()} (Art. 8(5))",
                    )
                )
            if previous is not None and due < previous[1]:
                problems.append(
                    DeadlineProblem(
                        lv.level,
                        period.code,
                        f"deadline {due.isoformat()} comes before the deadline of level "
                        f"{previous[0]} ({previous[1].isoformat()})",
                    )
                )
            previous = (lv.level, due)
    return problems


def _periods(years: Sequence[int], period_types: Sequence[PeriodType]) -> Iterator[Period]:
    for year in years:
        for pt in period_types:
            yield from periods_of_year(year, pt)


# --- which periods a date belongs to, cumulative spans -------------------------------------


def periods_containing(
    schedule: WindowSchedule, period_types: Sequence[PeriodType], d: date
) -> list[Period]:
    """The periods of ``period_types`` whose window contains ``d`` (shortest first). From
    15 to 31 December under the Decree's windows this is January, Q1, H1, the nine months
    and the year of the *next* calendar year."""
    found = [
        p
        for year in (d.year - 1, d.year, d.year + 1)
        for p in _periods([year], period_types)
        if schedule.window(p).contains(d)
    ]
    found.sort(key=lambda p: (_MONTHS[p.type], p.year, p.index))
    return found


def cumulative_parts(period: Period, period_types: Sequence[PeriodType]) -> list[Period]:
    """The periods whose figures add up to the cumulative (lũy kế) figure of ``period``:
    from 15 Dec of the previous year (Art. 12) to the end of ``period``'s window. A half-year
    (first), nine-month or annual period is cumulative by itself; a second half-year adds the
    first; a quarter adds the quarters before it; a month adds the quarters completed before
    its quarter (where the regime has quarters) and the months of its quarter up to itself."""
    if period.type in (PeriodType.NINE_MONTHS, PeriodType.YEAR):
        return [period]
    if period.type in (PeriodType.HALF_YEAR, PeriodType.QUARTER):
        return [Period(period.year, period.type, i) for i in range(1, period.index + 1)]
    if PeriodType.QUARTER in period_types:
        quarter = (period.index - 1) // 3 + 1
        parts = [Period(period.year, PeriodType.QUARTER, q) for q in range(1, quarter)]
        first = 3 * quarter - 2
        return parts + [
            Period(period.year, PeriodType.MONTH, m) for m in range(first, period.index + 1)
        ]
    return [Period(period.year, PeriodType.MONTH, m) for m in range(1, period.index + 1)]
