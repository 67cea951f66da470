"""Validity of an agency on a date: valid, not yet, expired, merged into a successor."""

from __future__ import annotations

from datetime import UTC, date, datetime

from lienthong.agencies.model import Level, NewAgency, Validity, local_date, validity


def agency(
    valid_from: date | None = None, valid_to: date | None = None, successor_code: str | None = None
) -> NewAgency:
    return NewAgency(
        code="000.00.00.H33",
        name="UBND tỉnh Kiên Giang",
        level=Level.ONE,
        valid_from=valid_from,
        valid_to=valid_to,
        successor_code=successor_code,
    )


def test_an_agency_without_dates_is_always_valid() -> None:
    assert validity(agency(), date(1990, 1, 1)) is Validity.VALID
    assert validity(agency(), date(2100, 1, 1)) is Validity.VALID


def test_is_not_yet_valid_before_its_first_day_and_valid_on_it() -> None:
    a = agency(valid_from=date(2025, 7, 1))
    assert validity(a, date(2025, 6, 30)) is Validity.NOT_YET_VALID
    assert validity(a, date(2025, 7, 1)) is Validity.VALID


def test_is_valid_on_its_last_day_and_expired_after_it() -> None:
    a = agency(valid_to=date(2025, 6, 30))
    assert validity(a, date(2025, 6, 30)) is Validity.VALID
    assert validity(a, date(2025, 7, 1)) is Validity.EXPIRED


def test_an_expired_agency_with_a_successor_is_merged() -> None:
    a = agency(valid_to=date(2025, 6, 30), successor_code="H01")
    assert a.validity(date(2025, 6, 30)) is Validity.VALID
    assert a.validity(date(2025, 7, 1)) is Validity.MERGED


def test_validity_dates_are_dates_in_vietnam_not_in_utc() -> None:
    # 17:30 UTC on 30 June is 00:30 on 1 July in Hà Nội.
    now = datetime(2025, 6, 30, 17, 30, tzinfo=UTC)
    assert local_date(now) == date(2025, 7, 1)
    a = agency(valid_to=date(2025, 6, 30), successor_code="H01")
    assert a.validity(local_date(now)) is Validity.MERGED
