"""The portal's pure rules: codes, dates, transitions, due dates across Tết, flags, redaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lienthong.calendar import WorkingCalendar
from lienthong.clock import VN_TZ
from lienthong.errors import ErrorCode
from lienthong.portal import catalogue
from lienthong.portal.model import (
    PortalError,
    classify,
    dossier_code_problem,
    due_date,
    effective_due,
    next_feedback_state,
    on_time_points,
    parse_portal_datetime,
    quality_flags,
    redact,
    scope_kind,
    transition_allowed,
)

CAL = WorkingCalendar()


def test_reads_gateway_dates_in_vietnam_time() -> None:
    assert parse_portal_datetime("20261116083000", "d") == datetime(2026, 11, 16, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["2026-11-16", "20261131080000", "2026111608300", None, 20261116083000]
)
def test_refuses_malformed_dates(value: object) -> None:
    with pytest.raises(PortalError) as caught:
        parse_portal_datetime(value, "NgayTiepNhan")
    assert caught.value.code is ErrorCode.PORTAL_DATE_INVALID


def test_checks_the_dossier_code_form() -> None:
    assert dossier_code_problem("H15.50.05.13-261008-0975") is None
    assert dossier_code_problem("H15.50.05.13-261399-0975") is not None
    assert dossier_code_problem("HS0001") is not None


def test_final_statuses_do_not_go_back() -> None:
    assert transition_allowed(2, 4) and transition_allowed(5, 4) and transition_allowed(9, 10)
    assert not transition_allowed(10, 4) and not transition_allowed(3, 2)
    assert transition_allowed(4, 4)


def test_due_date_skips_weekends() -> None:
    friday = datetime(2026, 11, 20, 9, 0, tzinfo=VN_TZ)
    assert due_date(CAL, friday, 1) == date(2026, 11, 23)  # Monday


def test_due_date_skips_tet() -> None:
    # Tết Đinh Mùi: the calendar closes 4-10 Feb 2027 (and the weekend 13-14 Feb).
    received = datetime(2027, 2, 3, 10, 0, tzinfo=VN_TZ)
    assert due_date(CAL, received, 1) == date(2027, 2, 11)
    assert due_date(CAL, received, 5) == date(2027, 2, 17)


def test_a_cut_off_hour_moves_reception_to_the_next_working_day() -> None:
    late_friday = datetime(2026, 11, 20, 16, 0, tzinfo=VN_TZ)
    # Received Monday 23 Nov; Tue 24 Nov (Ngày Văn hóa Việt Nam) is a day off.
    assert due_date(CAL, late_friday, 1, cutoff_hour=15) == date(2026, 11, 25)


def test_the_last_supplement_moves_the_due_date() -> None:
    assert effective_due(date(2026, 12, 8), None, [date(2026, 12, 10), date(2026, 12, 14)]) == date(
        2026, 12, 14
    )
    assert effective_due(None, date(2026, 12, 1), []) == date(2026, 12, 1)


def test_classifies_early_on_time_and_late_by_vietnam_date() -> None:
    due = date(2026, 12, 8)
    assert (
        classify(due, datetime(2026, 12, 7, 17, 30, tzinfo=UTC)) == "ON_TIME"
    )  # 00:30 on the 8th in VN
    assert classify(due, datetime(2026, 12, 6, 3, 0, tzinfo=UTC)) == "EARLY"
    assert classify(due, datetime(2026, 12, 8, 17, 30, tzinfo=UTC)) == "LATE"


def test_on_time_group_weighs_twenty_points() -> None:
    assert on_time_points(30, 50, 20) == 16.0
    assert on_time_points(0, 0, 0) is None


def test_flags_follow_the_articles() -> None:
    assert quality_flags(99, 0) == ["LOW_VOLUME"]
    assert quality_flags(100, 30) == []
    assert quality_flags(100, 31) == ["HIGH_WRONG_RATE"]
    assert quality_flags(50, 40) == ["LOW_VOLUME", "HIGH_WRONG_RATE"]


def test_tells_provinces_from_ministries() -> None:
    assert scope_kind("000.00.00.H41") == "province" and scope_kind("H01") == "province"
    assert scope_kind("000.00.00.G12") == "ministry"


def test_redacts_personal_data() -> None:
    text = (
        "Tôi là Nguyễn Văn An, CCCD 001203004567, điện thoại 0912 345 678, email an@gmail.com; "
        "cán bộ là ông Trần Minh Quân ở bộ phận một cửa."
    )
    out = redact(text, ["Nguyễn Văn An"])
    for secret in (
        "Nguyễn Văn An",
        "001203004567",
        "0912 345 678",
        "an@gmail.com",
        "Trần Minh Quân",
    ):
        assert secret not in out
    assert "bộ phận một cửa" in out


def test_feedback_actions_follow_the_lifecycle() -> None:
    assert next_feedback_state("RECEIVED", "classify_valid") == "ASSIGNED"
    assert next_feedback_state("PUBLISHED", "reopen") == "IN_PROGRESS"
    with pytest.raises(PortalError) as caught:
        next_feedback_state("RECEIVED", "publish")
    assert caught.value.code is ErrorCode.PORTAL_FEEDBACK_STATE


def test_catalogue_rows_are_refused_all_or_nothing() -> None:
    good = {
        "code": "1.001234",
        "name": "A",
        "field_code": "X",
        "field_name": "X",
        "processing_days": 5,
        "valid_from": "2026-01-01",
    }
    assert catalogue.parse_json(
        '[{"code": "1.001234", "name": "A", "field_code": "X", '
        '"field_name": "X", "processing_days": 5, "valid_from": "2026-01-01"}]'
    )
    with pytest.raises(PortalError) as caught:
        catalogue._parse_records([(1, good), (2, {**good, "code": "ABC"}), (3, good)])
    assert caught.value.code is ErrorCode.PORTAL_PROCEDURE_INVALID
    assert [e["row"] for e in caught.value.detail["errors"]] == [2, 3]
