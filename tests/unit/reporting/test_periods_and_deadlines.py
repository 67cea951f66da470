"""The period and deadline engines against worked examples (Decree 09 Arts. 8, 12, 13)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ
from lienthong.reporting.model import (
    DayOfLastMonth,
    LevelDeadlines,
    NonWorkingDeadline,
    Period,
    PeriodError,
    PeriodType,
    WindowRule,
    WindowSchedule,
    WorkingDaysAfterCutoff,
    check_deadlines,
    is_on_time,
)

CAL = WorkingCalendar()
DECREE = WindowSchedule()
CALENDAR_MONTHS = WindowSchedule(((date.min, WindowRule(1)),))
SIXTEENTH = WindowSchedule(((date.min, WindowRule(16)),))


@pytest.mark.parametrize(
    ("code", "start", "end", "iso"),
    [
        ("2026-M03", date(2026, 2, 15), date(2026, 3, 14), "2026-02-15/P1M"),  # the notes
        ("2026-M01", date(2025, 12, 15), date(2026, 1, 14), "2025-12-15/P1M"),
        ("2026-Q1", date(2025, 12, 15), date(2026, 3, 14), "2025-12-15/P3M"),
        ("2026-Y", date(2025, 12, 15), date(2026, 12, 14), "2025-12-15/P1Y"),
        ("2026-H1", date(2025, 12, 15), date(2026, 6, 14), "2025-12-15/P6M"),
        ("2026-H2", date(2026, 6, 15), date(2026, 12, 14), "2026-06-15/P6M"),
        ("2026-9M", date(2025, 12, 15), date(2026, 9, 14), "2025-12-15/P9M"),
        ("2026-Q4", date(2026, 9, 15), date(2026, 12, 14), "2026-09-15/P3M"),
        ("2026-M12", date(2026, 11, 15), date(2026, 12, 14), "2026-11-15/P1M"),
        ("2024-M03", date(2024, 2, 15), date(2024, 3, 14), "2024-02-15/P1M"),  # leap year
    ],
)
def test_decree_windows_match_the_worked_examples(
    code: str, start: date, end: date, iso: str
) -> None:
    period = Period.parse(code)
    assert period.code == code
    window = DECREE.window(period)
    assert (window.start, window.end) == (start, end)
    assert DECREE.iso(period) == iso
    assert DECREE.from_iso(iso) == period


@pytest.mark.parametrize(
    ("schedule", "code", "start", "end"),
    [
        (CALENDAR_MONTHS, "2024-M02", date(2024, 2, 1), date(2024, 2, 29)),  # leap February
        (CALENDAR_MONTHS, "2026-Q1", date(2026, 1, 1), date(2026, 3, 31)),
        (CALENDAR_MONTHS, "2026-Y", date(2026, 1, 1), date(2026, 12, 31)),
        (SIXTEENTH, "2026-M03", date(2026, 2, 16), date(2026, 3, 15)),
        (SIXTEENTH, "2026-M01", date(2025, 12, 16), date(2026, 1, 15)),
    ],
)
def test_alternative_windows(schedule: WindowSchedule, code: str, start: date, end: date) -> None:
    window = schedule.window(Period.parse(code))
    assert (window.start, window.end) == (start, end)


def test_window_rules_are_effective_dated() -> None:
    # a health regime moved from calendar quarters to Decree windows in 2023
    schedule = WindowSchedule(((date.min, WindowRule(1)), (date(2023, 1, 1), WindowRule(15))))
    q4 = schedule.window(Period.parse("2022-Q4"))
    q1 = schedule.window(Period.parse("2023-Q1"))
    assert (q4.start, q4.end) == (date(2022, 10, 1), date(2022, 12, 31))
    assert (q1.start, q1.end) == (date(2022, 12, 15), date(2023, 3, 14))


@pytest.mark.parametrize("bad", ["2026-M13", "2026-Q5", "2026-M3", "26-Y", "2026-H3", ""])
def test_refuses_malformed_period_codes(bad: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(bad)


def test_refuses_an_iso_period_that_no_window_starts() -> None:
    with pytest.raises(PeriodError):
        DECREE.from_iso("2026-02-01/P1M")
    with pytest.raises(PeriodError):
        DECREE.from_iso("2026-02-15/P2M")


def test_periods_have_vietnamese_labels_and_neighbours() -> None:
    assert Period.parse("2026-Q1").label == "Quý I/2026"
    assert Period.parse("2026-M01").previous().code == "2025-M12"
    assert Period.parse("2026-M03").same_period_last_year().code == "2025-M03"


@pytest.mark.parametrize(
    ("rule", "code", "due"),
    [
        (DayOfLastMonth(25), "2026-M03", date(2026, 3, 25)),  # the Government's default
        (DayOfLastMonth(25), "2026-Q1", date(2026, 3, 25)),
        (DayOfLastMonth(25), "2026-Y", date(2026, 12, 25)),
        (DayOfLastMonth(25, -1), "2026-Y", date(2026, 11, 25)),  # annual by 25 Nov
        (DayOfLastMonth(31), "2024-M02", date(2024, 2, 29)),  # clamped, leap year
        (WorkingDaysAfterCutoff(2), "2026-M03", date(2026, 3, 17)),  # cut-off Sat 14 Mar
        (WorkingDaysAfterCutoff(2), "2026-M02", date(2026, 2, 24)),  # cut-off 14 Feb: Tết
        (WorkingDaysAfterCutoff(1), "2027-M01", date(2027, 1, 15)),
        (WorkingDaysAfterCutoff(2), "2026-M12", date(2026, 12, 16)),
        # 25 Apr 2026 is a Saturday
        (DayOfLastMonth(25), "2026-M04", date(2026, 4, 25)),
        (DayOfLastMonth(25, if_day_off=NonWorkingDeadline.LATER), "2026-M04", date(2026, 4, 28)),
        (DayOfLastMonth(25, if_day_off=NonWorkingDeadline.EARLIER), "2026-M04", date(2026, 4, 24)),
        # 17 Feb 2026 is the first day of Tết (16..20 Feb off)
        (DayOfLastMonth(17, if_day_off=NonWorkingDeadline.LATER), "2026-M02", date(2026, 2, 23)),
        (DayOfLastMonth(17, if_day_off=NonWorkingDeadline.EARLIER), "2026-M02", date(2026, 2, 13)),
    ],
)
def test_deadlines_match_the_worked_examples(
    rule: DayOfLastMonth | WorkingDaysAfterCutoff, code: str, due: date
) -> None:
    period = Period.parse(code)
    assert rule.due(period, DECREE.window(period), CAL) == due


def test_a_report_is_on_time_until_the_end_of_the_deadline_day_in_vietnam() -> None:
    assert is_on_time(datetime(2026, 3, 25, 23, 59, tzinfo=VN_TZ), date(2026, 3, 25))
    assert not is_on_time(datetime(2026, 3, 26, 0, 0, tzinfo=VN_TZ), date(2026, 3, 25))


def test_refuses_a_deadline_without_a_working_day_after_the_cut_off() -> None:
    # deadline on the 15th with Decree windows (cut-off the 14th): refused whenever the 15th
    # is a day off (15 Feb, 15 Mar, 15 Nov 2026 are Sundays; 15 Aug 2026 a Saturday)
    levels = [LevelDeadlines("province", {PeriodType.MONTH: DayOfLastMonth(15)})]
    problems = check_deadlines(DECREE, levels, [PeriodType.MONTH], CAL, [2026])
    assert [p.period for p in problems] == ["2026-M02", "2026-M03", "2026-M08", "2026-M11"]
    assert all("Art. 8(5)" in p.message for p in problems)


def test_refuses_a_level_without_a_deadline() -> None:
    levels = [
        LevelDeadlines("commune", {PeriodType.MONTH: WorkingDaysAfterCutoff(2)}),
        LevelDeadlines("province", {}),
    ]
    problems = check_deadlines(DECREE, levels, [PeriodType.MONTH], CAL, [2026])
    assert [(p.level, p.period) for p in problems] == [("province", "M")]


def test_refuses_a_lower_level_due_after_the_level_above() -> None:
    levels = [
        LevelDeadlines("commune", {PeriodType.MONTH: DayOfLastMonth(26)}),
        LevelDeadlines("province", {PeriodType.MONTH: DayOfLastMonth(25)}),
    ]
    problems = check_deadlines(DECREE, levels, [PeriodType.MONTH], CAL, [2026])
    assert len(problems) == 12
    assert "before the deadline of level commune" in problems[0].message
