"""Quality flags and feedback deadlines through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from lienthong.clock import VN_TZ
from lienthong.portal.demo import dossier_item
from lienthong.portal.feedback import FeedbackService, NewFeedback
from lienthong.portal.model import Classification
from lienthong.portal.service import scope_figures
from tests.integration.portal.conftest import CAO_BANG, CB_JUSTICE, NGHE_AN, VINH, Portal

RECEIVED = datetime(2026, 11, 16, 8, 30, tzinfo=VN_TZ)


def sync(portal: Portal, system: str, agency: str, procedure: str, numbers: range) -> None:
    items = [
        dossier_item(f"{agency}-261116-{n:04d}", agency, procedure, received=RECEIVED)
        for n in numbers
    ]
    assert portal.service.sync_dossiers(system, items).refused == 0


def test_a_province_crosses_each_flag_at_the_articles_thresholds(portal: Portal) -> None:
    sync(portal, NGHE_AN, VINH, "2.000635", range(1, 71))
    sync(portal, NGHE_AN, VINH, "", range(71, 101))  # 30 of 100: not above 30%
    sync(portal, CAO_BANG, CB_JUSTICE, "1.004227", range(1, 100))  # 99: fewer than 100
    rows = {r.code: r for r in scope_figures(portal.service, "2026-11", "2026-11")}
    assert rows[NGHE_AN].flags == [] and rows[CAO_BANG].flags == ["LOW_VOLUME"]
    sync(portal, NGHE_AN, VINH, "9.999999", range(101, 103))  # 32 of 102: above 30%
    sync(portal, CAO_BANG, CB_JUSTICE, "1.004227", range(100, 101))  # 100
    rows = {r.code: r for r in scope_figures(portal.service, "2026-11", "2026-11")}
    assert rows[NGHE_AN].flags == ["HIGH_WRONG_RATE"] and rows[CAO_BANG].flags == []
    assert rows["000.00.00.G12"].flags == ["LOW_VOLUME"]  # a ministry that synced nothing


def test_feedback_deadlines_raise_reminders_then_escalations(portal: Portal) -> None:
    feedback = FeedbackService(portal.db, portal.clock, portal.agencies, portal.service.calendar)
    code = feedback.submit(
        NewFeedback(
            name="Lê Thị Hồng",
            content="Bộ phận một cửa hẹn trả nhiều lần.",
            subject="Hẹn trả",
            email="hong@example.vn",
            agency_code=VINH,
        ),
        source="203.0.113.5",
    )
    item = feedback.classify(code, Classification.VALID, "operator")
    assert item.assigned_agency == VINH and item.deadline is not None
    assert feedback.reminders() == []
    portal.clock.set(
        datetime.combine(item.deadline, datetime.min.time(), VN_TZ) - timedelta(days=1)
    )
    assert [r.kind for r in feedback.reminders()] == ["DUE_SOON"]
    portal.clock.set(
        datetime.combine(item.deadline, datetime.min.time(), VN_TZ) + timedelta(days=1)
    )
    assert [r.kind for r in feedback.reminders()] == ["OVERDUE"]
    feedback.answer(code, "Đã chấn chỉnh bộ phận một cửa.", "operator")
    assert feedback.reminders() == []
    stats = feedback.stats()
    assert (stats.received, stats.forwarded, stats.answered, stats.pending) == (1, 1, 1, 0)
