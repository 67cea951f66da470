"""Reminders and escalation of tasks through the outbox (``task_reminders``), with a fake
clock, on SQLite and PostgreSQL: a monthly report due by the 20th is reminded before its date,
overdue after it and escalated to the assigning office five working days later; each reminder
is queued once per task, kind and due date however often the job runs, and delivered once."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from lienthong.accounts.model import Role
from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.notifications.store import NotificationRow
from lienthong.tasks.model import Deadline, NewTask, Recurrence
from lienthong.tasks.service import TaskService
from lienthong.tasks.store import TaskReminderRow
from lienthong.web.container import Container
from tests.support import container_for

VPCP, MOF = "000.00.00.G22", "000.00.00.G12"
PASSWORD = "Mật-khẩu-thử-nghiệm-2027"


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Container:
    container = container_for(db, tmp_path, FixedClock(at(date(2027, 3, 1))))
    container.agencies.register_all(DEMO_AGENCIES)
    assert container.accounts is not None
    container.accounts.create_user("lanhdao.btc", "Lãnh đạo Bộ", MOF, [Role.LEADER], PASSWORD)
    container.accounts.create_user(
        "theodoi.vpcp", "Theo dõi nhiệm vụ", VPCP, [Role.TASK_OFFICER], PASSWORD
    )
    return container


def tasks(hub: Container) -> TaskService:
    assert hub.tasks is not None
    return hub.tasks


def outbox(hub: Container) -> list[tuple[str, date, str, bool]]:
    with hub.db.read() as session:
        rows = session.execute(
            select(
                TaskReminderRow.kind,
                TaskReminderRow.due_on,
                TaskReminderRow.recipient_code,
                TaskReminderRow.sent_at.is_not(None),
            ).order_by(TaskReminderRow.id)
        )
        return [(k, d, r, bool(s)) for k, d, r, s in rows]


def notices(hub: Container) -> list[tuple[int, str]]:
    with hub.db.read() as session:
        rows = session.execute(
            select(NotificationRow.user_id, NotificationRow.kind).order_by(NotificationRow.id)
        )
        return [(u, k) for u, k in rows]


def test_a_monthly_report_is_reminded_before_overdue_after_and_escalated_once(
    hub: Container,
) -> None:
    clock = hub.clock
    assert isinstance(clock, FixedClock)
    service = tasks(hub)
    service.assign(
        NewTask(
            title="Báo cáo tình hình thực hiện Nghị quyết 01 hằng tháng",
            content="Gửi trước ngày 20 hằng tháng.",
            assigner_code=VPCP,
            lead_code=MOF,
            assigned_on=date(2027, 3, 1),
            deadline=Deadline.every(Recurrence.MONTHLY, 20),
        ),
        actor="theodoi.vpcp",
    )
    # 20 March 2027 is a Saturday: due on Monday 22 March. Nothing on 1 March.
    assert service.run_reminders() == (0, 0)
    # Thursday 18 March: within three working days, a reminder to the ministry.
    clock.set(at(date(2027, 3, 18)))
    assert service.run_reminders() == (1, 1)
    assert service.run_reminders() == (0, 0)  # the same day again: nothing new
    clock.set(at(date(2027, 3, 19)))
    assert service.run_reminders() == (0, 0)  # the next day, same due date: nothing new
    assert outbox(hub) == [("before", date(2027, 3, 22), MOF, True)]
    # No report by the date: overdue on Tuesday 23 March, escalated five working days on.
    clock.set(at(date(2027, 3, 23)))
    assert service.run_reminders() == (1, 1)
    clock.set(at(date(2027, 3, 29)))
    assert service.run_reminders() == (1, 1)
    assert service.run_reminders() == (0, 0)
    assert [row[:3] for row in outbox(hub)] == [
        ("before", date(2027, 3, 22), MOF),
        ("overdue", date(2027, 3, 22), MOF),
        ("escalate", date(2027, 3, 22), VPCP),
    ]
    kinds = [kind for _user, kind in notices(hub)]
    assert kinds == ["task_due", "task_due", "task_escalated"]


def test_a_report_in_time_stops_the_reminders(hub: Container) -> None:
    clock = hub.clock
    assert isinstance(clock, FixedClock)
    service = tasks(hub)
    task = service.assign(
        NewTask(
            title="Báo cáo tiến độ giải ngân hằng tháng",
            content="",
            assigner_code=VPCP,
            lead_code=MOF,
            assigned_on=date(2027, 3, 1),
            deadline=Deadline.every(Recurrence.MONTHLY, 20),
        ),
        actor="theodoi.vpcp",
    )
    clock.set(at(date(2027, 3, 10)))
    service.report_progress(task.code, MOF, "lanhdao.btc", "Đã giải ngân 20%.")
    for day in (date(2027, 3, 18), date(2027, 3, 23), date(2027, 3, 29)):
        clock.set(at(day))
        assert service.run_reminders() == (0, 0)
    assert outbox(hub) == []
    # April's report is due on Tuesday 20 April: reminded on Friday 16 April.
    clock.set(at(date(2027, 4, 16)))
    assert service.run_reminders() == (1, 1)
    assert outbox(hub) == [("before", date(2027, 4, 20), MOF, True)]
