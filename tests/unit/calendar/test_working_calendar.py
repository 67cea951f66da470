"""The shared working-day calendar: worked examples across weekends, Tết 2026/2027 and swaps."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

from lienthong.calendar import WorkingCalendar

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 3, 13), True),  # Friday
        (date(2026, 3, 14), False),  # Saturday
        (date(2026, 3, 15), False),  # Sunday
        (date(2026, 1, 1), False),  # New Year's Day
        (date(2026, 2, 16), False),  # Tết 2026: eve (Mon) .. 4th day (Fri)
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), True),  # first Monday after Tết 2026
        (date(2027, 2, 4), False),  # Tết 2027: 29th of the last lunar month (Thu) ..
        (date(2027, 2, 10), False),  # .. 5th day (Wed), weekend days compensated
        (date(2027, 2, 11), True),
        (date(2026, 4, 27), False),  # Hùng Kings' day on a Sunday, observed Monday
        (date(2026, 8, 22), True),  # Saturday worked in exchange for Mon 31 Aug 2026
        (date(2026, 8, 31), False),
        (date(2026, 9, 2), False),  # National Day
    ],
)
def test_knows_working_days_weekends_and_public_holidays(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 3, 14), 0, date(2026, 3, 14)),  # n == 0: start unchanged
        (date(2026, 3, 14), 1, date(2026, 3, 16)),  # Sat cut-off -> Mon
        (date(2026, 3, 14), 2, date(2026, 3, 17)),
        (date(2026, 3, 12), 1, date(2026, 3, 13)),  # Thu -> Fri
        (date(2026, 3, 12), 2, date(2026, 3, 16)),  # Thu -> over the weekend -> Mon
        (date(2026, 2, 14), 1, date(2026, 2, 23)),  # cut-off on the eve of Tết 2026
        (date(2026, 2, 13), 3, date(2026, 2, 25)),
        (date(2027, 2, 3), 1, date(2027, 2, 11)),  # Tết 2027
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # year boundary: New Year + weekend
        (date(2026, 8, 21), 1, date(2026, 8, 22)),  # the make-up Saturday counts
    ],
)
def test_adds_working_days_strictly_after_the_start(start: date, n: int, expected: date) -> None:
    assert CAL.add_working_days(start, n) == expected
    assert CAL.working_days_between(start, expected) == n


def test_counts_working_days_between_two_dates() -> None:
    assert CAL.working_days_between(date(2026, 3, 1), date(2026, 3, 31)) == 22
    assert CAL.working_days_between(date(2026, 1, 31), date(2026, 2, 28)) == 15  # Tết month
    assert CAL.working_days_between(date(2026, 3, 31), date(2026, 3, 1)) == -22
    assert CAL.working_days_between(date(2026, 3, 2), date(2026, 3, 2)) == 0


def test_rolls_a_date_forward_to_the_next_working_day() -> None:
    assert CAL.next_working_day(date(2026, 2, 15)) == date(2026, 2, 23)
    assert CAL.next_working_day(date(2026, 3, 13)) == date(2026, 3, 13)


def test_refuses_a_negative_count() -> None:
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2026, 3, 2), -1)


def test_applies_configured_compensatory_days_off_and_make_up_saturdays() -> None:
    cal = WorkingCalendar(
        extra_days_off=[date(2027, 1, 4)],  # Mon 4 Jan 2027 off
        extra_working_days=[date(2027, 1, 9)],  # Sat 9 Jan 2027 worked
    )
    assert not cal.is_working_day(date(2027, 1, 4))
    assert cal.is_working_day(date(2027, 1, 9))
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 5)
    assert cal.add_working_days(date(2027, 1, 8), 1) == date(2027, 1, 9)
    assert cal.holiday_name(date(2027, 1, 4)) == "Ngày nghỉ bù"
    assert CAL.holiday_name(date(2026, 2, 17)) == "Tết Nguyên Đán"


def test_refuses_a_day_both_off_and_working() -> None:
    with pytest.raises(ValueError, match="2027-01-09"):
        WorkingCalendar(extra_days_off=[date(2027, 1, 9)], extra_working_days=[date(2027, 1, 9)])


def test_reads_settings_from_a_toml_file_and_environment_lists(tmp_path: Path) -> None:
    toml = tmp_path / "calendar.toml"
    toml.write_text('days_off = [2027-01-04]\nworking_days = ["2027-01-09"]\n')
    settings = SimpleNamespace(
        calendar_file=toml, calendar_days_off="2027-04-30, 2027-05-01", calendar_working_days=""
    )
    cal = WorkingCalendar.from_settings(settings)  # type: ignore[arg-type]
    assert cal.extra_days_off == {date(2027, 1, 4), date(2027, 4, 30), date(2027, 5, 1)}
    assert cal.extra_working_days == {date(2027, 1, 9)}


def test_reads_a_json_file_and_refuses_unknown_keys(tmp_path: Path) -> None:
    good = tmp_path / "calendar.json"
    good.write_text('{"days_off": ["2027-01-04"]}')
    assert WorkingCalendar.from_file(good).extra_days_off == {date(2027, 1, 4)}
    bad = tmp_path / "bad.json"
    bad.write_text('{"holidays": ["2027-01-04"]}')
    with pytest.raises(ValueError, match="unknown calendar keys"):
        WorkingCalendar.from_file(bad)


def test_reads_the_real_settings_object_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lienthong.config import Settings

    monkeypatch.setenv("LIENTHONG_CALENDAR_DAYS_OFF", "2027-01-04")
    monkeypatch.setenv("LIENTHONG_CALENDAR_WORKING_DAYS", "2027-01-09")
    cal = WorkingCalendar.from_settings(Settings())
    assert not cal.is_working_day(date(2027, 1, 4))
    assert cal.is_working_day(date(2027, 1, 9))
