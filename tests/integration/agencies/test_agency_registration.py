"""Registering, changing and reading agencies, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import Level, NewAgency, Validity
from lienthong.agencies.service import AgencyService
from lienthong.clock import FixedClock
from lienthong.errors import ErrorCode

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def new(code: str, level: int = 1, parent: str | None = None, **more: Any) -> NewAgency:
    name = more.pop("name", f"Cơ quan {code}")
    return NewAgency(code=code, name=name, level=Level(level), parent_code=parent, **more)


def refused(code: ErrorCode, call: Callable[[], object]) -> AgencyError:
    with pytest.raises(AgencyError) as caught:
        call()
    assert caught.value.code is code, caught.value
    return caught.value


def test_registers_an_agency_and_reads_it_back(service: AgencyService) -> None:
    record = new(
        "000.00.00.H41",
        name="UBND tỉnh Nghệ An",
        organization_in_charge="UBND tỉnh Nghệ An",
        address="Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An, Việt Nam",
        email="nghean@gov.vn",
        telephone="0383 840418",
        fax="0383 843049",
        website="www.nghean.vn",
    )
    created = service.register(record)
    assert created.created_at == created.updated_at == NOW
    assert created.created_at.tzinfo is not None
    fetched = service.get("000.00.00.H41")
    assert fetched == created
    assert fetched.name == "UBND tỉnh Nghệ An"
    assert fetched.level is Level.ONE


def test_stores_an_identifier_of_the_full_thirty_five_characters(service: AgencyService) -> None:
    code = "H01.151.01." + "9" * 24
    service.register(new(code))
    assert service.get(code).code == code


def test_registers_the_levels_of_a_four_level_hierarchy(service: AgencyService) -> None:
    service.register(new("000.00.00.H41", 1))
    service.register(new("000.00.16.H41", 2, "000.00.00.H41"))
    service.register(new("000.02.16.H41", 3, "000.00.16.H41"))
    service.register(new("001.02.16.H41", 4, "000.02.16.H41"))
    [root] = service.tree()
    assert [(depth, a.level) for depth, a in root.walk()] == [(0, 1), (1, 2), (2, 3), (3, 4)]


def test_refuses_a_second_agency_with_the_same_identifier(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    service.register(new("000.00.00.G22", name="Văn phòng Chính phủ"))
    before = snapshot()
    refused(ErrorCode.AGENCY_EXISTS, lambda: service.register(new("000.00.00.G22", name="Khác")))
    assert snapshot() == before
    assert service.get("000.00.00.G22").name == "Văn phòng Chính phủ"


def test_refuses_an_identifier_of_the_wrong_form(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    refused(ErrorCode.AGENCY_CODE_INVALID, lambda: service.register(new("000.00.00 G22")))
    refused(ErrorCode.AGENCY_CODE_INVALID, lambda: service.register(new("9" * 36)))
    assert snapshot() == before


def test_refuses_a_parent_or_successor_that_is_not_registered(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    error = refused(ErrorCode.AGENCY_UNKNOWN, lambda: service.register(new("H01.151", 2, "H01")))
    assert "H01" in error.message
    refused(
        ErrorCode.AGENCY_UNKNOWN,
        lambda: service.register(
            new("000.00.00.H33", valid_to=date(2025, 6, 30), successor_code="H01")
        ),
    )
    assert snapshot() == before


def test_refuses_a_child_whose_level_is_not_below_its_parent(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    service.register(new("H01", 1))
    service.register(new("H01.151", 2, "H01"))
    before = snapshot()
    refused(ErrorCode.AGENCY_INVALID, lambda: service.register(new("H01.152", 1, "H01")))
    refused(ErrorCode.AGENCY_INVALID, lambda: service.register(new("H01.151.01", 2, "H01.151")))
    assert snapshot() == before


def test_refuses_an_inconsistent_record_and_lists_every_problem(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    error = refused(
        ErrorCode.AGENCY_INVALID,
        lambda: service.register(
            new("H02", name=" ", valid_from=date(2025, 7, 2), valid_to=date(2025, 7, 1))
        ),
    )
    assert len(error.detail["problems"]) == 2
    assert snapshot() == before


def test_an_unknown_agency_is_refused_by_name(service: AgencyService) -> None:
    error = refused(ErrorCode.AGENCY_UNKNOWN, lambda: service.get("000.00.00.Z99"))
    assert error.detail == {"code": "000.00.00.Z99"}


def test_lists_every_agency_by_identifier(service: AgencyService) -> None:
    for code in ["H01", "000.00.00.G22", "000.00.00.G12"]:
        service.register(new(code))
    assert [a.code for a in service.list_all()] == ["000.00.00.G12", "000.00.00.G22", "H01"]


def test_changes_fields_and_records_when(service: AgencyService, clock: FixedClock) -> None:
    service.register(new("000.00.00.H01", name="UBND tỉnh An Giang"))
    service.register(new("H01", name="UBND tỉnh An Giang", valid_from=date(2025, 7, 1)))
    clock.advance(timedelta(hours=1))
    changed = service.update(
        "000.00.00.H01",
        name="UBND tỉnh An Giang (trước sắp xếp)",
        valid_to=date(2025, 6, 30),
        successor_code="H01",
    )
    assert changed.updated_at == NOW + timedelta(hours=1)
    assert changed.created_at == NOW
    assert service.get("000.00.00.H01") == changed
    assert changed.validity(date(2025, 7, 1)) is Validity.MERGED


def test_moves_an_agency_under_a_new_parent(service: AgencyService) -> None:
    service.register(new("000.00.00.H14", 1))
    service.register(new("000.00.22.H14", 2, "000.00.00.H14"))
    service.register(new("000.08.22.H14", 2, "000.00.00.H14"))
    moved = service.update("000.08.22.H14", parent_code="000.00.22.H14", level=3)
    assert (moved.parent_code, moved.level) == ("000.00.22.H14", Level.THREE)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"parent_code": "000.00.00.Z99"}, ErrorCode.AGENCY_UNKNOWN),
        ({"successor_code": "Z99", "valid_to": date(2025, 1, 1)}, ErrorCode.AGENCY_UNKNOWN),
        ({"level": 3}, ErrorCode.AGENCY_INVALID),  # its child is at level 3
        ({"level": 1}, ErrorCode.AGENCY_INVALID),  # its parent is at level 1
        ({"parent_code": "bad code"}, ErrorCode.AGENCY_CODE_INVALID),
        ({"code": "H01"}, ErrorCode.AGENCY_INVALID),
        ({"name": ""}, ErrorCode.AGENCY_INVALID),
        ({"level": "2"}, ErrorCode.AGENCY_INVALID),
    ],
)
def test_refuses_a_change_that_breaks_a_rule(
    service: AgencyService,
    snapshot: Callable[[], Any],
    changes: dict[str, Any],
    expected: ErrorCode,
) -> None:
    service.register(new("000.00.00.H41", 1))
    service.register(new("000.00.38.H41", 2, "000.00.00.H41"))
    service.register(new("000.11.38.H41", 3, "000.00.38.H41"))
    before = snapshot()
    refused(expected, lambda: service.update("000.00.38.H41", **changes))
    assert snapshot() == before


def test_refuses_a_successor_chain_that_loops(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    service.register(new("A"))
    service.register(new("B", valid_to=date(2025, 1, 1), successor_code="A"))
    before = snapshot()
    refused(
        ErrorCode.AGENCY_INVALID,
        lambda: service.update("A", valid_to=date(2025, 1, 1), successor_code="B"),
    )
    assert snapshot() == before


def test_refuses_to_change_an_agency_that_is_not_registered(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    refused(ErrorCode.AGENCY_UNKNOWN, lambda: service.update("Z99", name="X"))
    assert snapshot() == before
