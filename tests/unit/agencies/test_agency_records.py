"""A record's own rules, and changes applied to a record."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import Agency, Level, NewAgency, apply_changes, record_problems
from lienthong.errors import ErrorCode

GOOD = NewAgency(code="000.00.12.H41", name="Sở Tài chính tỉnh Nghệ An", level=Level.TWO)


def codes(record: NewAgency) -> list[ErrorCode]:
    return [problem.code for problem in record_problems(record)]


def test_a_well_formed_record_has_no_problems() -> None:
    assert record_problems(GOOD) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"code": "000.00.12 H41"}, ErrorCode.AGENCY_CODE_INVALID),
        ({"parent_code": "x" * 36}, ErrorCode.AGENCY_CODE_INVALID),
        ({"hub_code": "hub one"}, ErrorCode.AGENCY_CODE_INVALID),
        ({"name": "   "}, ErrorCode.AGENCY_INVALID),
        ({"name": "x" * 256}, ErrorCode.AGENCY_INVALID),
        ({"level": 5}, ErrorCode.AGENCY_INVALID),
        ({"level": 0}, ErrorCode.AGENCY_INVALID),
        ({"parent_code": "000.00.12.H41"}, ErrorCode.AGENCY_INVALID),
        (
            {"successor_code": "000.00.12.H41", "valid_to": date(2025, 1, 1)},
            ErrorCode.AGENCY_INVALID,
        ),
        ({"successor_code": "H01"}, ErrorCode.AGENCY_INVALID),
        ({"valid_from": date(2025, 7, 2), "valid_to": date(2025, 7, 1)}, ErrorCode.AGENCY_INVALID),
        ({"address": "x" * 501}, ErrorCode.AGENCY_INVALID),
    ],
)
def test_names_the_broken_rule(changes: dict[str, object], expected: ErrorCode) -> None:
    assert codes(replace(GOOD, **changes)) == [expected]  # type: ignore[arg-type]


def test_a_one_day_validity_is_allowed() -> None:
    one_day = replace(GOOD, valid_from=date(2025, 7, 1), valid_to=date(2025, 7, 1))
    assert record_problems(one_day) == []


def test_applies_changes_to_a_registered_agency_without_touching_the_others() -> None:
    t = datetime(2026, 1, 1, tzinfo=UTC)
    current = Agency(
        code="H01.151",
        name="UBND phường Long Xuyên",
        level=Level.TWO,
        parent_code="H01",
        created_at=t,
        updated_at=t,
    )
    changed = apply_changes(current, {"email": "longxuyen@angiang.gov.vn", "level": 3})
    assert type(changed) is NewAgency
    assert changed.email == "longxuyen@angiang.gov.vn"
    assert changed.level is Level.THREE
    assert (changed.code, changed.name, changed.parent_code) == (
        "H01.151",
        "UBND phường Long Xuyên",
        "H01",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"code": "H02"},
        {"created_at": datetime(2026, 1, 1, tzinfo=UTC)},
        {"colour": "red"},
        {"level": "2"},
        {"level": True},
        {"level": 7},
        {"valid_to": "2025-06-30"},
        {"valid_to": datetime(2025, 6, 30, tzinfo=UTC)},
        {"name": None},
        {"email": 42},
    ],
)
def test_refuses_a_change_to_a_field_that_cannot_change_or_a_value_of_the_wrong_type(
    changes: dict[str, object],
) -> None:
    with pytest.raises(AgencyError) as caught:
        apply_changes(GOOD, changes)
    assert caught.value.code is ErrorCode.AGENCY_INVALID
