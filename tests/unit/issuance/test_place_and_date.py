"""Decree 30/2020/NĐ-CP Appendix I, II.4: the place and date printed on an issued document."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lienthong.issuance.model import date_line, place_name


@pytest.mark.parametrize(
    ("agency", "place"),
    [
        ("Văn phòng Chính phủ", "Hà Nội"),  # central agencies: their seat
        ("Bộ Thông tin và Truyền thông", "Hà Nội"),
        ("Ủy ban nhân dân tỉnh Nghệ An", "Nghệ An"),
        ("Sở Tài chính tỉnh Nghệ An", "Nghệ An"),
        ("Ủy ban nhân dân thành phố Hà Nội", "Hà Nội"),
        ("Ủy ban nhân dân thành phố Hồ Chí Minh", "Thành phố Hồ Chí Minh"),
        ("Ủy ban nhân dân thị xã Cửa Lò", "Cửa Lò"),
        ("Ủy ban nhân dân xã Nghi Phú, thành phố Vinh, tỉnh Nghệ An", "Nghi Phú"),
    ],
)
def test_the_place_is_the_unit_the_agency_name_ends_with(agency: str, place: str) -> None:
    assert place_name(agency) == place


def test_days_below_10_and_january_february_take_a_leading_zero() -> None:
    assert date_line("Hà Nội", date(2026, 1, 5)) == "Hà Nội, ngày 05 tháng 01 năm 2026"
    assert date_line("Nghệ An", date(2026, 11, 20)) == "Nghệ An, ngày 20 tháng 11 năm 2026"
    assert date_line("Hà Nội", date(2026, 3, 9)) == "Hà Nội, ngày 09 tháng 3 năm 2026"


def test_an_instant_is_dated_in_vietnam_time() -> None:
    late_utc = datetime(2026, 12, 31, 18, 0, tzinfo=UTC)  # 1 January 01:00 in Vietnam
    assert date_line(None, late_utc) == "Ngày 01 tháng 01 năm 2027"
