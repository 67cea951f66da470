"""Processing deadlines (hạn xử lý) of received documents: the overdue rule and the default
internal deadline, across weekends and Tết, in Vietnam's date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lienthong.calendar import WorkingCalendar
from lienthong.clerk.model import (
    DeadlineState,
    check_deadline,
    deadline_of,
    default_deadline,
    latest_overdue_due,
    register_note,
)

CAL = WorkingCalendar()


def at_vietnam(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock in Hà Nội on ``day``, as the UTC instant a clock gives."""
    return datetime(day.year, day.month, day.day, hour - 7, tzinfo=UTC)


def state(due: date | None, today: date, status: str | None = "04", **kw: bool) -> DeadlineState:
    return deadline_of(due, status=status, now=at_vietnam(today), calendar=CAL, **kw).state


def test_a_document_due_today_is_not_overdue_until_the_day_has_passed() -> None:
    due = date(2026, 11, 20)  # a Friday
    assert state(due, date(2026, 11, 20)) is DeadlineState.DUE_SOON
    assert state(due, date(2026, 11, 23)) is DeadlineState.OVERDUE  # the next Monday


def test_the_day_is_vietnams_not_utcs() -> None:
    due = date(2026, 11, 19)  # Thursday
    # 23:30 UTC on Thursday is already Friday 06:30 in Hà Nội: overdue.
    late_thursday_utc = datetime(2026, 11, 19, 23, 30, tzinfo=UTC)
    found = deadline_of(due, status="03", now=late_thursday_utc, calendar=CAL)
    assert found.state is DeadlineState.OVERDUE
    # 16:59 UTC on Thursday is 23:59 Thursday in Hà Nội: the last day still runs.
    evening = datetime(2026, 11, 19, 16, 59, tzinfo=UTC)
    assert deadline_of(due, status="03", now=evening, calendar=CAL).state is DeadlineState.DUE_SOON


def test_a_deadline_on_a_saturday_ends_with_the_next_monday() -> None:
    due = date(2026, 11, 21)  # Saturday
    assert state(due, date(2026, 11, 22)) is DeadlineState.DUE_SOON  # Sunday
    assert state(due, date(2026, 11, 23)) is DeadlineState.DUE_SOON  # Monday: the last day
    assert state(due, date(2026, 11, 24)) is DeadlineState.OVERDUE
    found = deadline_of(due, status=None, now=at_vietnam(date(2026, 11, 20)), calendar=CAL)
    assert found.last_day == date(2026, 11, 23)
    assert found.working_days_left == 1


def test_a_deadline_on_the_first_day_of_tet_ends_with_the_first_working_day_after_tet() -> None:
    due = date(2026, 2, 17)  # Tết Nguyên Đán 2026; days off Sat 14 .. Sun 22 February
    for day in (date(2026, 2, 18), date(2026, 2, 20), date(2026, 2, 22), date(2026, 2, 23)):
        assert state(due, day) is not DeadlineState.OVERDUE, day
    assert state(due, date(2026, 2, 24)) is DeadlineState.OVERDUE
    found = deadline_of(due, status="05", now=at_vietnam(date(2026, 2, 24)), calendar=CAL)
    assert found.last_day == date(2026, 2, 23)
    assert found.working_days_left == -1


def test_the_days_left_count_working_days_only() -> None:
    # Friday 13 Feb 2026, due Thursday 26 Feb: Tết and two weekends between.
    found = deadline_of(
        date(2026, 2, 26), status="03", now=at_vietnam(date(2026, 2, 13)), calendar=CAL
    )
    assert found.working_days_left == 4  # 23, 24, 25, 26 February
    assert found.state is DeadlineState.OPEN


@pytest.mark.parametrize("status", ["06", "02"])
def test_a_completed_or_returned_document_is_never_overdue(status: str) -> None:
    assert state(date(2026, 1, 5), date(2026, 11, 20), status=status) is DeadlineState.CLOSED


def test_a_recalled_document_is_never_overdue() -> None:
    assert state(date(2026, 1, 5), date(2026, 11, 20), recalled=True) is DeadlineState.CLOSED


def test_no_deadline_is_never_overdue() -> None:
    assert state(None, date(2026, 11, 20)) is DeadlineState.NONE


def test_the_default_deadline_is_the_senders_when_it_gave_one() -> None:
    assert default_deadline(date(2026, 11, 20), date(2026, 12, 1), 10, CAL) == date(2026, 12, 1)


def test_the_default_deadline_counts_working_days_across_tet() -> None:
    # Registered Thursday 12 Feb 2026: 13 Feb, then 23, 24, 25, 26 February.
    assert default_deadline(date(2026, 2, 12), None, 5, CAL) == date(2026, 2, 26)
    # Registered on a Saturday: Monday is the first of the working days.
    assert default_deadline(date(2026, 11, 21), None, 1, CAL) == date(2026, 11, 23)


def test_no_default_deadline_when_the_setting_is_zero() -> None:
    assert default_deadline(date(2026, 11, 20), None, 0, CAL) is None


def test_a_deadline_before_the_registration_day_is_refused() -> None:
    assert not check_deadline(date(2026, 11, 19), date(2026, 11, 20))
    assert check_deadline(date(2026, 11, 20), date(2026, 11, 20))
    assert check_deadline(None, date(2026, 11, 20))


def test_the_register_note_says_a_document_was_recalled() -> None:
    note = register_note(state="recalled", due=date(2026, 12, 1))
    assert note == "Đã thu hồi; Hạn xử lý 01/12/2026"
    assert register_note(state="active", recalled=True) == "Đã thu hồi"
    assert register_note(state="replaced") == "Đã bị thay thế"


@pytest.mark.parametrize(
    ("today", "latest"),
    [
        (date(2026, 4, 21), date(2026, 4, 20)),  # Tue: Monday's deadlines are overdue
        (date(2026, 4, 20), date(2026, 4, 17)),  # Mon: Friday's; Sat/Sun roll to Monday
        (date(2026, 2, 23), date(2026, 2, 13)),  # first working day after Tết 2026
    ],
)
def test_the_inbox_filter_is_overdue_as_deadline_of_says(today: date, latest: date) -> None:
    """The inbox's overdue filter (due <= latest_overdue_due) agrees with ``deadline_of``
    (a deadline on a day off ends with the next working day), day by day."""
    assert latest_overdue_due(today, CAL) == latest
    for back in range(1, 20):
        due = date.fromordinal(today.toordinal() - back)
        overdue = state(due, today) is DeadlineState.OVERDUE
        assert overdue == (due <= latest), due
