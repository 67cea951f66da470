"""Tasks the Government and the Prime Minister assign (nhiệm vụ Chính phủ, Thủ tướng Chính phủ
giao): the lifecycle, deadlines on Vietnam's working-day calendar, timeliness at any date, and
per-agency statistics. Pure: no clock, no database; every rule takes the date it is asked about.

The transition table (:data:`TRANSITIONS`) is the only place that says who may do what from
which state; ``docs/tasks.md`` prints it. Two sides act on a task: the **assigning office**
(``assigner``: the office that tracks the assignment for the assigning authority, e.g. the
Government Office) and the **lead agency** (``lead``: cơ quan chủ trì). Coordinating agencies
(cơ quan phối hợp) see the task and its history but do not act on it.
"""

from __future__ import annotations

import calendar as _months
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from lienthong.calendar import WorkingCalendar
from lienthong.errors import ErrorCode, LienthongError


class TaskError(LienthongError):
    default_code = ErrorCode.TASK_INVALID


class TaskState(StrEnum):
    ASSIGNED = "assigned"  # đã giao
    RECEIVED = "received"  # đã tiếp nhận
    IN_PROGRESS = "in_progress"  # đang thực hiện
    PROPOSED_COMPLETE = "proposed_complete"  # đề nghị hoàn thành
    RETURNED = "returned"  # trả lại, yêu cầu tiếp tục thực hiện
    COMPLETED = "completed"  # đã hoàn thành (văn phòng giao xác nhận)
    CANCELLED = "cancelled"  # đã hủy
    REPLACED = "replaced"  # được thay thế bằng nhiệm vụ khác
    MERGED = "merged"  # được hợp nhất vào nhiệm vụ khác


OPEN_STATES = frozenset(
    {
        TaskState.ASSIGNED,
        TaskState.RECEIVED,
        TaskState.IN_PROGRESS,
        TaskState.PROPOSED_COMPLETE,
        TaskState.RETURNED,
    }
)
WORKING_STATES = frozenset({TaskState.RECEIVED, TaskState.IN_PROGRESS, TaskState.RETURNED})
WITHDRAWN_STATES = frozenset({TaskState.CANCELLED, TaskState.REPLACED, TaskState.MERGED})

STATE_LABELS: dict[TaskState, str] = {
    TaskState.ASSIGNED: "Đã giao",
    TaskState.RECEIVED: "Đã tiếp nhận",
    TaskState.IN_PROGRESS: "Đang thực hiện",
    TaskState.PROPOSED_COMPLETE: "Đề nghị hoàn thành",
    TaskState.RETURNED: "Trả lại, tiếp tục thực hiện",
    TaskState.COMPLETED: "Đã hoàn thành",
    TaskState.CANCELLED: "Đã hủy",
    TaskState.REPLACED: "Được thay thế",
    TaskState.MERGED: "Được hợp nhất",
}


class Side(StrEnum):
    ASSIGNER = "assigner"
    LEAD = "lead"


class Action(StrEnum):
    ASSIGN = "assign"
    RECEIVE = "receive"
    REPORT_PROGRESS = "report_progress"
    PROPOSE_COMPLETE = "propose_complete"
    CONFIRM_COMPLETE = "confirm_complete"
    RETURN = "return"
    REQUEST_EXTENSION = "request_extension"
    GRANT_EXTENSION = "grant_extension"
    REFUSE_EXTENSION = "refuse_extension"
    CANCEL = "cancel"
    REPLACE = "replace"
    MERGE = "merge"


ACTION_LABELS: dict[Action, str] = {
    Action.ASSIGN: "Giao nhiệm vụ",
    Action.RECEIVE: "Tiếp nhận",
    Action.REPORT_PROGRESS: "Báo cáo tiến độ",
    Action.PROPOSE_COMPLETE: "Đề nghị hoàn thành",
    Action.CONFIRM_COMPLETE: "Xác nhận hoàn thành",
    Action.RETURN: "Trả lại, yêu cầu tiếp tục",
    Action.REQUEST_EXTENSION: "Đề nghị gia hạn",
    Action.GRANT_EXTENSION: "Đồng ý gia hạn",
    Action.REFUSE_EXTENSION: "Không đồng ý gia hạn",
    Action.CANCEL: "Hủy nhiệm vụ",
    Action.REPLACE: "Thay thế bằng nhiệm vụ khác",
    Action.MERGE: "Hợp nhất vào nhiệm vụ khác",
}


@dataclass(frozen=True)
class Transition:
    """``action`` by ``side`` from one of ``sources``; ``target`` None keeps the state."""

    sources: frozenset[TaskState]
    side: Side
    target: TaskState | None
    needs_extension_pending: bool | None = None  # True: only while one is pending; False: never


TRANSITIONS: dict[Action, Transition] = {
    Action.RECEIVE: Transition(frozenset({TaskState.ASSIGNED}), Side.LEAD, TaskState.RECEIVED),
    Action.REPORT_PROGRESS: Transition(
        frozenset({TaskState.ASSIGNED}) | WORKING_STATES, Side.LEAD, TaskState.IN_PROGRESS
    ),
    Action.PROPOSE_COMPLETE: Transition(WORKING_STATES, Side.LEAD, TaskState.PROPOSED_COMPLETE),
    Action.CONFIRM_COMPLETE: Transition(
        frozenset({TaskState.PROPOSED_COMPLETE}), Side.ASSIGNER, TaskState.COMPLETED
    ),
    Action.RETURN: Transition(
        frozenset({TaskState.PROPOSED_COMPLETE}), Side.ASSIGNER, TaskState.RETURNED
    ),
    Action.REQUEST_EXTENSION: Transition(WORKING_STATES, Side.LEAD, None, False),
    Action.GRANT_EXTENSION: Transition(WORKING_STATES, Side.ASSIGNER, None, True),
    Action.REFUSE_EXTENSION: Transition(WORKING_STATES, Side.ASSIGNER, None, True),
    Action.CANCEL: Transition(OPEN_STATES, Side.ASSIGNER, TaskState.CANCELLED),
    Action.REPLACE: Transition(OPEN_STATES, Side.ASSIGNER, TaskState.REPLACED),
    Action.MERGE: Transition(OPEN_STATES, Side.ASSIGNER, TaskState.MERGED),
}


def next_state(
    state: TaskState, action: Action, side: Side, *, extension_pending: bool
) -> TaskState:
    """The state after ``action`` by ``side``; TASK_NOT_LEAD / TASK_NOT_ASSIGNER when the other
    side acts, TASK_TRANSITION_INVALID when the state (or a pending extension) forbids it."""
    rule = TRANSITIONS.get(action)
    if rule is None:
        raise TaskError(f"{action} is not a task action.", code=ErrorCode.TASK_TRANSITION_INVALID)
    if side is not rule.side:
        code = ErrorCode.TASK_NOT_LEAD if rule.side is Side.LEAD else ErrorCode.TASK_NOT_ASSIGNER
        raise TaskError(code=code, detail={"action": str(action)})
    if state not in rule.sources:
        raise TaskError(
            f"{action} is not allowed while the task is {state}.",
            code=ErrorCode.TASK_TRANSITION_INVALID,
            detail={"action": str(action), "state": str(state)},
        )
    if rule.needs_extension_pending is True and not extension_pending:
        raise TaskError(
            "No extension request is pending.",
            code=ErrorCode.TASK_TRANSITION_INVALID,
            detail={"action": str(action), "state": str(state)},
        )
    if rule.needs_extension_pending is False and extension_pending:
        raise TaskError(
            "An extension request is already pending.",
            code=ErrorCode.TASK_TRANSITION_INVALID,
            detail={"action": str(action), "state": str(state)},
        )
    return rule.target if rule.target is not None else state


# --- deadlines ---------------------------------------------------------------------------


class DeadlineKind(StrEnum):
    DATE = "date"  # a due date (hạn xử lý)
    PERIODIC = "periodic"  # recurring (định kỳ): a report due each month or quarter
    NONE = "none"  # no deadline, reviewed on a date (không thời hạn, rà soát)


class Recurrence(StrEnum):
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"


@dataclass(frozen=True)
class Deadline:
    kind: DeadlineKind
    due: date | None = None  # DATE
    recurrence: Recurrence | None = None  # PERIODIC
    day: int | None = None  # PERIODIC: the day of the month (1-28) a report is due
    review_on: date | None = None  # NONE

    @classmethod
    def on(cls, due: date) -> Deadline:
        return cls(DeadlineKind.DATE, due=due)

    @classmethod
    def every(cls, recurrence: Recurrence, day: int) -> Deadline:
        return cls(DeadlineKind.PERIODIC, recurrence=recurrence, day=day)

    @classmethod
    def open_ended(cls, review_on: date | None = None) -> Deadline:
        return cls(DeadlineKind.NONE, review_on=review_on)


def deadline_problems(deadline: Deadline, assigned_on: date) -> list[str]:
    """What makes a deadline unusable for a task assigned on ``assigned_on``."""
    if deadline.kind is DeadlineKind.DATE:
        if deadline.due is None:
            return ["a dated deadline needs its due date"]
        if deadline.due < assigned_on:
            return [
                f"the deadline {deadline.due.isoformat()} is before the assignment date "
                f"{assigned_on.isoformat()}"
            ]
    elif deadline.kind is DeadlineKind.PERIODIC:
        if deadline.recurrence is None or deadline.day is None or not 1 <= deadline.day <= 28:
            return ["a periodic deadline needs a recurrence and a day of the month from 1 to 28"]
    elif deadline.review_on is not None and deadline.review_on < assigned_on:
        return [f"the review date {deadline.review_on.isoformat()} is before the assignment date"]
    return []


def effective_due(due: date, cal: WorkingCalendar) -> date:
    """A due date that falls on a day off moves to the next working day (Civil Code 2015
    Art. 148(5)): a task due on Tết's first day is due on the first working day after Tết."""
    return cal.next_working_day(due)


def occurrences(deadline: Deadline, start: date, end: date) -> list[date]:
    """The nominal due dates of a periodic deadline in ``(start, end]`` (before any roll)."""
    if deadline.kind is not DeadlineKind.PERIODIC or deadline.day is None:
        return []
    quarterly = deadline.recurrence is Recurrence.QUARTERLY
    found = []
    year, month = start.year, start.month
    while date(year, month, 1) <= end:
        if not quarterly or month % 3 == 0:
            candidate = date(year, month, deadline.day)
            if start < candidate <= end:
                found.append(candidate)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _last_day(year: int, month: int) -> date:
    return date(year, month, _months.monthrange(year, month)[1])


# --- timeliness --------------------------------------------------------------------------


class Timeliness(StrEnum):
    ON_TRACK = "on_track"  # trong hạn
    DUE_SOON = "due_soon"  # sắp đến hạn
    OVERDUE = "overdue"  # quá hạn
    DONE_ON_TIME = "done_on_time"  # hoàn thành đúng hạn
    DONE_LATE = "done_late"  # hoàn thành quá hạn
    NO_DEADLINE = "no_deadline"  # không thời hạn
    WITHDRAWN = "withdrawn"  # hủy, thay thế, hợp nhất


TIMELINESS_LABELS: dict[Timeliness, str] = {
    Timeliness.ON_TRACK: "Trong hạn",
    Timeliness.DUE_SOON: "Sắp đến hạn",
    Timeliness.OVERDUE: "Quá hạn",
    Timeliness.DONE_ON_TIME: "Hoàn thành đúng hạn",
    Timeliness.DONE_LATE: "Hoàn thành quá hạn",
    Timeliness.NO_DEADLINE: "Không thời hạn",
    Timeliness.WITHDRAWN: "Đã hủy hoặc thay thế",
}


@dataclass(frozen=True)
class TaskFacts:
    """What timeliness needs to know about one task, as of the date asked about.

    ``completed_on`` is the date of the completion proposal the assigning office confirmed (the
    lead agency finished then); ``proposed_on`` a pending proposal's date; ``reports`` the dates
    of progress reports (for periodic tasks)."""

    state: TaskState
    assigned_on: date
    deadline: Deadline
    completed_on: date | None = None
    proposed_on: date | None = None
    reports: tuple[date, ...] = ()


ONE_DAY = timedelta(days=1)
DUE_SOON_DAYS = 3  # working days before the deadline when a task is "due soon"


def timeliness(facts: TaskFacts, on: date, cal: WorkingCalendar) -> Timeliness:
    """Where the task stands on ``on``: its deadline rolled to a working day, a confirmed
    completion compared with it, a pending proposal made in time not counted as overdue."""
    if facts.state in WITHDRAWN_STATES:
        return Timeliness.WITHDRAWN
    deadline = facts.deadline
    if deadline.kind is DeadlineKind.NONE:
        return Timeliness.NO_DEADLINE
    if deadline.kind is DeadlineKind.PERIODIC:
        return _periodic_timeliness(facts, on, cal)
    assert deadline.due is not None
    due = effective_due(deadline.due, cal)
    if facts.state is TaskState.COMPLETED and facts.completed_on is not None:
        return Timeliness.DONE_ON_TIME if facts.completed_on <= due else Timeliness.DONE_LATE
    pending = facts.proposed_on if facts.state is TaskState.PROPOSED_COMPLETE else None
    if pending is not None and pending <= due:
        return Timeliness.ON_TRACK
    if on > due:
        return Timeliness.OVERDUE
    if cal.working_days_between(on, due) <= DUE_SOON_DAYS:
        return Timeliness.DUE_SOON
    return Timeliness.ON_TRACK


def _periodic_timeliness(facts: TaskFacts, on: date, cal: WorkingCalendar) -> Timeliness:
    """A periodic task is overdue when a report due date has passed with no report since the
    previous due date (or since assignment, for the first)."""
    if facts.state is TaskState.COMPLETED:
        return Timeliness.DONE_ON_TIME
    dues = occurrences(facts.deadline, facts.assigned_on, on)
    passed = [d for d in dues if effective_due(d, cal) < on]
    if passed:
        last = passed[-1]
        previous = passed[-2] if len(passed) > 1 else facts.assigned_on
        if not any(previous < r <= effective_due(last, cal) for r in facts.reports):
            return Timeliness.OVERDUE
    upcoming = _upcoming(facts.deadline, on, cal)
    if upcoming is not None and cal.working_days_between(on, upcoming) <= DUE_SOON_DAYS:
        return Timeliness.DUE_SOON
    return Timeliness.ON_TRACK


def _upcoming(deadline: Deadline, on: date, cal: WorkingCalendar) -> date | None:
    """The first periodic due date, rolled to a working day, that is on or after ``on``."""
    # A nominal date up to a month back may roll forward past ``on`` (Tết lasts 9 days).
    for nominal in occurrences(deadline, on - timedelta(days=31), _last_day(on.year + 1, 12)):
        rolled = effective_due(nominal, cal)
        if rolled >= on:
            return rolled
    return None


def next_due(facts: TaskFacts, on: date, cal: WorkingCalendar) -> date | None:
    """The next date something is due (the deadline, or the next periodic report), rolled."""
    deadline = facts.deadline
    if facts.state not in OPEN_STATES:
        return None
    if deadline.kind is DeadlineKind.DATE and deadline.due is not None:
        return effective_due(deadline.due, cal)
    if deadline.kind is DeadlineKind.PERIODIC:
        return _upcoming(deadline, on, cal)
    return deadline.review_on


# --- reminders ---------------------------------------------------------------------------


class ReminderKind(StrEnum):
    BEFORE = "before"  # nhắc trước hạn (to the lead agency)
    OVERDUE = "overdue"  # quá hạn (to the lead agency)
    ESCALATE = "escalate"  # báo cáo lãnh đạo (to the assigning office's leader)


@dataclass(frozen=True)
class ReminderPolicy:
    before_days: int = 3  # working days before the due date
    escalate_after_days: int = 5  # working days after it


def reminder_kind(
    facts: TaskFacts, on: date, cal: WorkingCalendar, policy: ReminderPolicy
) -> tuple[ReminderKind, date] | None:
    """The reminder due on ``on`` for an open task, with the due date it is about."""
    if facts.state not in OPEN_STATES or facts.state is TaskState.PROPOSED_COMPLETE:
        return None
    deadline = facts.deadline
    if deadline.kind is DeadlineKind.DATE and deadline.due is not None:
        due = effective_due(deadline.due, cal)
    elif deadline.kind is DeadlineKind.PERIODIC:
        state = _periodic_timeliness(facts, on, cal)
        dues = occurrences(deadline, facts.assigned_on, on)
        passed = [effective_due(d, cal) for d in dues if effective_due(d, cal) < on]
        if state is Timeliness.OVERDUE and passed:
            due = passed[-1]
        else:
            upcoming = next_due(facts, on, cal)
            if upcoming is None:
                return None
            # This period's report already came in: nothing to remind.
            since = passed[-1] if passed else facts.assigned_on
            if any(since < r <= upcoming for r in facts.reports):
                return None
            due = upcoming
    else:
        return None
    if on > due:
        late = cal.working_days_between(due, on)
        kind = ReminderKind.ESCALATE if late >= policy.escalate_after_days else ReminderKind.OVERDUE
        return kind, due
    if cal.working_days_between(on, due) <= policy.before_days:
        return ReminderKind.BEFORE, due
    return None


# --- a new task --------------------------------------------------------------------------


class Authority(StrEnum):
    GOVERNMENT = "government"  # Chính phủ
    PRIME_MINISTER = "prime_minister"  # Thủ tướng Chính phủ
    DEPUTY_PRIME_MINISTER = "deputy_prime_minister"  # Phó Thủ tướng
    MINISTER = "minister"  # Bộ trưởng, Thủ trưởng cơ quan
    CHAIR = "chair"  # Chủ tịch Ủy ban nhân dân


AUTHORITY_LABELS: dict[Authority, str] = {
    Authority.GOVERNMENT: "Chính phủ",
    Authority.PRIME_MINISTER: "Thủ tướng Chính phủ",
    Authority.DEPUTY_PRIME_MINISTER: "Phó Thủ tướng Chính phủ",
    Authority.MINISTER: "Bộ trưởng, Thủ trưởng cơ quan",
    Authority.CHAIR: "Chủ tịch Ủy ban nhân dân",
}


class Priority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"  # khẩn
    VERY_URGENT = "very_urgent"  # thượng khẩn


class Output(StrEnum):
    REPORT = "report"  # báo cáo
    LEGAL_DRAFT = "legal_draft"  # dự thảo văn bản quy phạm pháp luật
    DECISION = "decision"  # quyết định
    OTHER = "other"


OUTPUT_LABELS: dict[Output, str] = {
    Output.REPORT: "Báo cáo",
    Output.LEGAL_DRAFT: "Dự thảo văn bản quy phạm pháp luật",
    Output.DECISION: "Quyết định, văn bản cá biệt",
    Output.OTHER: "Khác",
}


@dataclass(frozen=True)
class SourceDocument:
    """The steering document a task comes from (quyết định, thông báo kết luận, chỉ thị)."""

    document_id: str | None = None  # the edXML DocumentId, when it travelled on the axis
    notation: str = ""  # số, ký hiệu
    signer: str = ""
    signed_on: date | None = None
    kind: str = ""  # loại văn bản: Quyết định, Thông báo kết luận, Chỉ thị ...


@dataclass(frozen=True)
class NewTask:
    title: str
    content: str
    assigner_code: str  # the assigning office (its agency code)
    lead_code: str
    assigned_on: date
    deadline: Deadline
    authority: Authority = Authority.PRIME_MINISTER
    coordinator_codes: tuple[str, ...] = ()
    priority: Priority = Priority.NORMAL
    output: Output = Output.REPORT
    person_in_charge: str = ""
    source: SourceDocument = field(default_factory=SourceDocument)
    code: str | None = None  # given by the service when None


TITLE_MAX = 500
CONTENT_MAX = 20_000


def new_task_problems(task: NewTask) -> list[str]:
    """Field rules of a task that the registry does not decide (lead validity is checked by
    the service against the agency registry on the assignment date)."""
    problems = []
    if not task.title.strip() or len(task.title) > TITLE_MAX:
        problems.append(f"the title is required (at most {TITLE_MAX} characters)")
    if len(task.content) > CONTENT_MAX:
        problems.append(f"the content is at most {CONTENT_MAX} characters")
    if task.lead_code in task.coordinator_codes:
        problems.append("the lead agency cannot also be a coordinating agency")
    if len(set(task.coordinator_codes)) != len(task.coordinator_codes):
        problems.append("a coordinating agency is listed twice")
    return problems


# --- statistics --------------------------------------------------------------------------


@dataclass(frozen=True)
class AgencyTaskStats:
    """One lead agency's tasks on a date: ``rate`` is the share done on time among the tasks
    whose deadline has arrived (done on time + done late + overdue); None when none has."""

    agency_code: str
    assigned: int
    in_progress: int
    overdue: int
    done_on_time: int
    done_late: int
    no_deadline: int
    extensions: int

    @property
    def rate(self) -> float | None:
        due = self.done_on_time + self.done_late + self.overdue
        return self.done_on_time / due if due else None


def agency_stats(
    rows: Iterable[tuple[str, Timeliness, int]],
) -> list[AgencyTaskStats]:
    """From ``(lead code, timeliness, extensions granted)`` per task to one line per agency,
    in agency code order; withdrawn tasks are not counted."""
    return agency_stats_counts((code, state, 1, granted) for code, state, granted in rows)


def agency_stats_counts(
    rows: Iterable[tuple[str, Timeliness, int, int]],
) -> list[AgencyTaskStats]:
    """The same from ``(lead code, timeliness, tasks, extensions granted)`` groups (what the
    database aggregates)."""
    counts: dict[str, Counter[Timeliness]] = {}
    extensions: Counter[str] = Counter()
    for code, state, n, granted in rows:
        if state is Timeliness.WITHDRAWN:
            continue
        counts.setdefault(code, Counter())[state] += n
        extensions[code] += granted
    return [
        AgencyTaskStats(
            agency_code=code,
            assigned=sum(c.values()),
            in_progress=c[Timeliness.ON_TRACK] + c[Timeliness.DUE_SOON],
            overdue=c[Timeliness.OVERDUE],
            done_on_time=c[Timeliness.DONE_ON_TIME],
            done_late=c[Timeliness.DONE_LATE],
            no_deadline=c[Timeliness.NO_DEADLINE],
            extensions=extensions[code],
        )
        for code, c in sorted(counts.items())
    ]


def summarise(states: Sequence[Timeliness]) -> Mapping[Timeliness, int]:
    """How many tasks are in each timeliness bucket (every bucket present, zero included)."""
    found = Counter(states)
    return {t: found[t] for t in Timeliness}
