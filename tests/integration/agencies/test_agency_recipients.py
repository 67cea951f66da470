"""The exchange's check of a package's recipients, inside its own transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import Level, NewAgency
from lienthong.agencies.service import AgencyService
from lienthong.agencies.store import agencies_by_codes, check_recipients, get_agency
from lienthong.db import Database
from lienthong.errors import ErrorCode

ON = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def registry(service: AgencyService) -> None:
    service.register_all(
        [
            NewAgency(code="000.00.00.G22", name="Văn phòng Chính phủ", level=Level.ONE),
            NewAgency(code="000.00.00.H41", name="UBND tỉnh Nghệ An", level=Level.ONE),
            NewAgency(
                code="H01", name="UBND tỉnh An Giang", level=Level.ONE, valid_from=date(2025, 7, 1)
            ),
            NewAgency(
                code="000.00.00.H33",
                name="UBND tỉnh Kiên Giang",
                level=Level.ONE,
                valid_to=date(2025, 6, 30),
                successor_code="H01",
            ),
            NewAgency(
                code="000.00.23.H14",
                name="UBND huyện Thông Nông (giải thể)",
                level=Level.TWO,
                valid_to=date(2020, 2, 29),
            ),
            NewAgency(
                code="H01.999",
                name="UBND xã mới",
                level=Level.TWO,
                parent_code="H01",
                valid_from=date(2027, 1, 1),
            ),
        ]
    )


def refused(
    db: Database, snapshot: Callable[[], Any], codes: list[str], on: date = ON
) -> AgencyError:
    before = snapshot()
    with pytest.raises(AgencyError) as caught, db.unit_of_work() as session:
        check_recipients(session, codes, on)
    assert snapshot() == before
    return caught.value


def test_accepts_recipients_that_are_registered_and_valid(db: Database) -> None:
    with db.unit_of_work() as session:
        check_recipients(session, ["000.00.00.G22", "000.00.00.H41", "H01", "H01"], ON)
        check_recipients(session, [], ON)


def test_names_every_unknown_recipient(db: Database, snapshot: Callable[[], Any]) -> None:
    error = refused(db, snapshot, ["000.00.00.H41", "28.22.H99", "000.00.00.Z01", "28.22.H99"])
    assert error.code is ErrorCode.RECIPIENT_UNKNOWN
    assert error.detail == {"recipients": ["28.22.H99", "000.00.00.Z01"]}


def test_refuses_a_recipient_merged_into_another_and_names_the_successor(
    db: Database, snapshot: Callable[[], Any]
) -> None:
    error = refused(db, snapshot, ["000.00.00.G22", "000.00.00.H33"])
    assert error.code is ErrorCode.RECIPIENT_MERGED
    assert error.detail == {"recipient": "000.00.00.H33", "successor": "H01"}


def test_a_merged_agency_still_receives_on_its_last_day(db: Database) -> None:
    with db.unit_of_work() as session:
        check_recipients(session, ["000.00.00.H33"], date(2025, 6, 30))


def test_refuses_a_recipient_that_ended_without_a_successor(
    db: Database, snapshot: Callable[[], Any]
) -> None:
    error = refused(db, snapshot, ["000.00.23.H14"])
    assert error.code is ErrorCode.RECIPIENT_NOT_VALID
    assert error.detail["recipient"] == "000.00.23.H14"
    assert error.detail["validity"] == "EXPIRED"


def test_refuses_a_recipient_that_is_not_yet_valid(
    db: Database, snapshot: Callable[[], Any]
) -> None:
    error = refused(db, snapshot, ["H01.999"])
    assert error.code is ErrorCode.RECIPIENT_NOT_VALID
    assert error.detail["validity"] == "NOT_YET_VALID"
    error = refused(db, snapshot, ["H01"], on=date(2025, 6, 30))
    assert error.code is ErrorCode.RECIPIENT_NOT_VALID


def test_unknown_recipients_are_reported_before_invalid_ones(
    db: Database, snapshot: Callable[[], Any]
) -> None:
    error = refused(db, snapshot, ["000.00.00.H33", "Z1"])
    assert error.code is ErrorCode.RECIPIENT_UNKNOWN


def test_reads_agencies_in_the_callers_session(db: Database) -> None:
    with db.read() as session:
        assert get_agency(session, "H01") is not None
        assert get_agency(session, "H404") is None
        found = agencies_by_codes(session, ["H01", "000.00.00.H33", "H404"])
    assert sorted(found) == ["000.00.00.H33", "H01"]
    assert found["000.00.00.H33"].successor_code == "H01"
