"""The task rules: the transition table, deadlines rolled across Tết and year ends, timeliness
at any date, reminders and per-agency statistics."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.calendar import WorkingCalendar
from lienthong.errors import ErrorCode
from lienthong.tasks.model import (
    OPEN_STATES,
    TRANSITIONS,
    Action,
    Deadline,
    NewTask,
    Recurrence,
    ReminderKind,
    ReminderPolicy,
    Side,
    TaskError,
    TaskFacts,
    TaskState,
    Timeliness,
    agency_stats,
    deadline_problems,
    effective_due,
    new_task_problems,
    next_due,
    next_state,
    occurrences,
    reminder_kind,
    summarise,
    timeliness,
)

CAL = WorkingCalendar()


def facts(state: TaskState = TaskState.IN_PROGRESS, **kw: object) -> TaskFacts:
    base: dict[str, object] = {
        "state": state,
        "assigned_on": date(2027, 1, 4),
        "deadline": Deadline.on(date(2027, 2, 6)),
    }
    base.update(kw)
    return TaskFacts(**base)  # type: ignore[arg-type]


# --- transitions -------------------------------------------------------------------------


def test_the_happy_path_from_assignment_to_completion() -> None:
    state = TaskState.ASSIGNED
    for action, side in [
        (Action.RECEIVE, Side.LEAD),
        (Action.REPORT_PROGRESS, Side.LEAD),
        (Action.PROPOSE_COMPLETE, Side.LEAD),
        (Action.RETURN, Side.ASSIGNER),
        (Action.REPORT_PROGRESS, Side.LEAD),
        (Action.PROPOSE_COMPLETE, Side.LEAD),
        (Action.CONFIRM_COMPLETE, Side.ASSIGNER),
    ]:
        state = next_state(state, action, side, extension_pending=False)
    assert state is TaskState.COMPLETED


def test_a_completion_proposed_by_the_assigner_is_refused_not_lead() -> None:
    with pytest.raises(TaskError) as exc:
        next_state(
            TaskState.IN_PROGRESS, Action.PROPOSE_COMPLETE, Side.ASSIGNER, extension_pending=False
        )
    assert exc.value.code is ErrorCode.TASK_NOT_LEAD


def test_the_lead_cannot_confirm_its_own_completion() -> None:
    with pytest.raises(TaskError) as exc:
        next_state(
            TaskState.PROPOSED_COMPLETE,
            Action.CONFIRM_COMPLETE,
            Side.LEAD,
            extension_pending=False,
        )
    assert exc.value.code is ErrorCode.TASK_NOT_ASSIGNER


@pytest.mark.parametrize("state", [TaskState.COMPLETED, TaskState.CANCELLED, TaskState.MERGED])
def test_no_extension_on_a_closed_task(state: TaskState) -> None:
    with pytest.raises(TaskError) as exc:
        next_state(state, Action.REQUEST_EXTENSION, Side.LEAD, extension_pending=False)
    assert exc.value.code is ErrorCode.TASK_TRANSITION_INVALID


def test_one_extension_request_at_a_time_and_a_decision_needs_one() -> None:
    state = next_state(
        TaskState.IN_PROGRESS, Action.REQUEST_EXTENSION, Side.LEAD, extension_pending=False
    )
    assert state is TaskState.IN_PROGRESS
    with pytest.raises(TaskError):
        next_state(state, Action.REQUEST_EXTENSION, Side.LEAD, extension_pending=True)
    with pytest.raises(TaskError) as exc:
        next_state(state, Action.GRANT_EXTENSION, Side.ASSIGNER, extension_pending=False)
    assert exc.value.code is ErrorCode.TASK_TRANSITION_INVALID
    assert (
        next_state(state, Action.GRANT_EXTENSION, Side.ASSIGNER, extension_pending=True)
        is TaskState.IN_PROGRESS
    )


@given(
    st.sampled_from(list(TaskState)),
    st.sampled_from(list(TRANSITIONS)),
    st.sampled_from(list(Side)),
    st.booleans(),
)
def test_closed_tasks_never_change_and_withdrawal_is_final(
    state: TaskState, action: Action, side: Side, pending: bool
) -> None:
    try:
        after = next_state(state, action, side, extension_pending=pending)
    except TaskError:
        return
    assert state in OPEN_STATES  # nothing leaves a closed state
    if after not in OPEN_STATES:
        assert action in {
            Action.CONFIRM_COMPLETE,
            Action.CANCEL,
            Action.REPLACE,
            Action.MERGE,
        }


# --- deadlines ---------------------------------------------------------------------------


def test_a_deadline_on_tet_rolls_to_the_first_working_day_after() -> None:
    # Sat 6 Feb 2027 is the first day of Tết; the holiday runs to Wed 10 Feb.
    assert effective_due(date(2027, 2, 6), CAL) == date(2027, 2, 11)


def test_a_deadline_on_new_years_day_rolls_past_the_weekend() -> None:
    assert effective_due(date(2027, 1, 1), CAL) == date(2027, 1, 4)
    assert effective_due(date(2026, 12, 31), CAL) == date(2026, 12, 31)


def test_a_deadline_before_the_assignment_is_a_problem() -> None:
    problems = deadline_problems(Deadline.on(date(2027, 1, 3)), date(2027, 1, 4))
    assert problems and "before the assignment date" in problems[0]
    assert deadline_problems(Deadline.on(date(2027, 1, 4)), date(2027, 1, 4)) == []
    assert deadline_problems(Deadline.every(Recurrence.MONTHLY, 31), date(2027, 1, 4))


def test_monthly_and_quarterly_occurrences_cross_the_year_end() -> None:
    monthly = Deadline.every(Recurrence.MONTHLY, 20)
    assert occurrences(monthly, date(2026, 11, 20), date(2027, 2, 1)) == [
        date(2026, 12, 20),
        date(2027, 1, 20),
    ]
    quarterly = Deadline.every(Recurrence.QUARTERLY, 15)
    assert occurrences(quarterly, date(2026, 10, 1), date(2027, 7, 1)) == [
        date(2026, 12, 15),
        date(2027, 3, 15),
        date(2027, 6, 15),
    ]


# --- timeliness --------------------------------------------------------------------------


def test_a_task_due_on_tet_is_not_overdue_during_the_holiday() -> None:
    f = facts()
    assert timeliness(f, date(2027, 2, 8), CAL) is Timeliness.DUE_SOON
    assert timeliness(f, date(2027, 2, 11), CAL) is Timeliness.DUE_SOON
    assert timeliness(f, date(2027, 2, 12), CAL) is Timeliness.OVERDUE


def test_done_on_time_and_late_compare_the_confirmed_proposal_with_the_rolled_deadline() -> None:
    on_time = facts(TaskState.COMPLETED, completed_on=date(2027, 2, 11))
    late = facts(TaskState.COMPLETED, completed_on=date(2027, 2, 12))
    assert timeliness(on_time, date(2027, 3, 1), CAL) is Timeliness.DONE_ON_TIME
    assert timeliness(late, date(2027, 3, 1), CAL) is Timeliness.DONE_LATE


def test_a_proposal_made_in_time_is_not_overdue_while_it_waits_for_confirmation() -> None:
    pending = facts(TaskState.PROPOSED_COMPLETE, proposed_on=date(2027, 2, 3))
    assert timeliness(pending, date(2027, 2, 20), CAL) is Timeliness.ON_TRACK
    late = facts(TaskState.PROPOSED_COMPLETE, proposed_on=date(2027, 2, 15))
    assert timeliness(late, date(2027, 2, 20), CAL) is Timeliness.OVERDUE


def test_withdrawn_and_open_ended_tasks() -> None:
    assert timeliness(facts(TaskState.CANCELLED), date(2027, 5, 1), CAL) is Timeliness.WITHDRAWN
    no_deadline = facts(deadline=Deadline.open_ended(date(2027, 6, 30)))
    assert timeliness(no_deadline, date(2027, 9, 1), CAL) is Timeliness.NO_DEADLINE
    assert next_due(no_deadline, date(2027, 1, 5), CAL) == date(2027, 6, 30)


def test_a_periodic_task_is_overdue_when_a_report_date_passed_without_a_report() -> None:
    monthly = Deadline.every(Recurrence.MONTHLY, 20)
    base = {"assigned_on": date(2026, 11, 25), "deadline": monthly}
    reported = facts(reports=(date(2026, 12, 18),), **base)
    silent = facts(**base)
    # 20 Dec 2026 is a Sunday: due Mon 21 Dec.
    assert timeliness(silent, date(2026, 12, 21), CAL) is Timeliness.DUE_SOON
    assert timeliness(silent, date(2026, 12, 22), CAL) is Timeliness.OVERDUE
    assert timeliness(reported, date(2026, 12, 22), CAL) is Timeliness.ON_TRACK
    # Across the year end: January's report is due Wed 20 Jan 2027.
    assert next_due(reported, date(2026, 12, 22), CAL) == date(2027, 1, 20)
    assert timeliness(reported, date(2027, 1, 21), CAL) is Timeliness.OVERDUE


# --- reminders ---------------------------------------------------------------------------


def test_reminders_before_after_and_escalation() -> None:
    f = facts(deadline=Deadline.on(date(2027, 3, 10)))
    policy = ReminderPolicy(before_days=3, escalate_after_days=5)
    assert reminder_kind(f, date(2027, 3, 1), CAL, policy) is None
    assert reminder_kind(f, date(2027, 3, 5), CAL, policy) == (
        ReminderKind.BEFORE,
        date(2027, 3, 10),
    )
    assert reminder_kind(f, date(2027, 3, 11), CAL, policy) == (
        ReminderKind.OVERDUE,
        date(2027, 3, 10),
    )
    assert reminder_kind(f, date(2027, 3, 17), CAL, policy) == (
        ReminderKind.ESCALATE,
        date(2027, 3, 10),
    )
    proposed = facts(TaskState.PROPOSED_COMPLETE, deadline=Deadline.on(date(2027, 3, 10)))
    assert reminder_kind(proposed, date(2027, 3, 17), CAL, policy) is None


def test_a_reminder_counts_working_days_across_tet() -> None:
    # Due Wed 3 Feb 2027; 4-10 Feb are Tết. Five working days late is only Wed 17 Feb.
    f = facts(deadline=Deadline.on(date(2027, 2, 3)))
    policy = ReminderPolicy(escalate_after_days=5)
    assert reminder_kind(f, date(2027, 2, 16), CAL, policy) == (
        ReminderKind.OVERDUE,
        date(2027, 2, 3),
    )
    assert reminder_kind(f, date(2027, 2, 17), CAL, policy) == (
        ReminderKind.ESCALATE,
        date(2027, 2, 3),
    )


# --- a new task and statistics -----------------------------------------------------------


def test_new_task_field_problems() -> None:
    task = NewTask(
        title=" ",
        content="",
        assigner_code="000.00.00.G01",
        lead_code="000.00.00.G12",
        assigned_on=date(2027, 1, 4),
        deadline=Deadline.on(date(2027, 2, 1)),
        coordinator_codes=("000.00.00.G12", "000.00.00.G13", "000.00.00.G13"),
    )
    problems = new_task_problems(task)
    assert len(problems) == 3


def test_agency_statistics_rate_counts_only_tasks_whose_deadline_has_come() -> None:
    rows = [
        ("B", Timeliness.DONE_ON_TIME, 0),
        ("B", Timeliness.DONE_LATE, 1),
        ("B", Timeliness.OVERDUE, 0),
        ("B", Timeliness.ON_TRACK, 0),
        ("B", Timeliness.WITHDRAWN, 0),
        ("A", Timeliness.NO_DEADLINE, 0),
    ]
    stats = agency_stats(rows)
    assert [s.agency_code for s in stats] == ["A", "B"]
    a, b = stats
    assert a.rate is None and a.assigned == 1
    assert (b.assigned, b.in_progress, b.overdue, b.extensions) == (4, 1, 1, 1)
    assert b.rate == pytest.approx(1 / 3)
    assert summarise([Timeliness.OVERDUE])[Timeliness.DONE_LATE] == 0
