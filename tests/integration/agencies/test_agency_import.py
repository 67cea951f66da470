"""Importing a registry CSV file: all of it or none of it."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import Level, NewAgency
from lienthong.agencies.service import AgencyService
from lienthong.errors import ErrorCode

HEADER = (
    "code,name,parent_code,level,hub_code,valid_from,valid_to,successor_code,"
    "organization_in_charge,address,email,telephone,fax,website\n"
)
# Children before their parents, a successor after the agency naming it.
GOOD_FILE = HEADER + (
    "H01.151.01,Văn phòng HĐND và UBND phường Long Xuyên,H01.151,3,,,,,,,,,,\n"
    "H01.151,UBND phường Long Xuyên,H01,2,,2025-07-01,,,,,,,,\n"
    "000.00.00.H33,UBND tỉnh Kiên Giang,,1,,,2025-06-30,H01,UBND tỉnh Kiên Giang,"
    '"Số 06 Nguyễn Công Trứ, Rạch Giá",kiengiang@gov.vn,,,\n'
    "H01,UBND tỉnh An Giang,,1,,2025-07-01,,,UBND tỉnh An Giang,,,,,www.angiang.gov.vn\n"
    "000.00.00.H79,UBND Thành phố Hồ Chí Minh,,1,000.00.00.H79,,,,,,,,,\n"
)


def test_imports_a_file_whatever_the_order_of_parents_and_children(
    service: AgencyService,
) -> None:
    result = service.import_csv(io.StringIO(GOOD_FILE))
    assert result.count == 5
    assert result.created.index("H01") < result.created.index("H01.151")
    assert result.created.index("H01.151") < result.created.index("H01.151.01")
    assert result.created.index("H01") < result.created.index("000.00.00.H33")
    kien_giang = service.get("000.00.00.H33")
    assert kien_giang.address == "Số 06 Nguyễn Công Trứ, Rạch Giá"
    assert kien_giang.successor_code == "H01"
    assert service.get("000.00.00.H79").hub_code == "000.00.00.H79"
    assert service.get("H01.151.01").level is Level.THREE


def test_a_file_with_only_a_header_imports_nothing(service: AgencyService) -> None:
    assert service.import_csv(io.StringIO(HEADER)).count == 0


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        ("H01.160,UBND xã Mỹ Hòa Hưng,H01,two,,,,,,,,,,\n", ErrorCode.AGENCY_INVALID),
        ("H01.160,UBND xã Mỹ Hòa Hưng,H99,2,,,,,,,,,,\n", ErrorCode.AGENCY_UNKNOWN),
        ("H01.160,UBND xã Mỹ Hòa Hưng,H01,1,,,,,,,,,,\n", ErrorCode.AGENCY_INVALID),
        ("H01.151,Trùng mã,H01,2,,,,,,,,,,\n", ErrorCode.AGENCY_EXISTS),
        ("H01 160,UBND xã Mỹ Hòa Hưng,H01,2,,,,,,,,,,\n", ErrorCode.AGENCY_CODE_INVALID),
        ("H01.160,UBND xã Mỹ Hòa Hưng,H01,2,,30/06/2025,,,,,,,,\n", ErrorCode.AGENCY_INVALID),
    ],
)
def test_one_bad_row_refuses_the_whole_file(
    service: AgencyService,
    snapshot: Callable[[], Any],
    bad_row: str,
    expected: ErrorCode,
) -> None:
    with pytest.raises(AgencyError) as caught:
        service.import_csv(io.StringIO(GOOD_FILE + bad_row))
    error = caught.value
    assert error.code is ErrorCode.AGENCY_INVALID
    [problem] = error.detail["errors"]
    assert problem["row"] == 7
    assert problem["code"] == expected
    assert problem["reason"]
    assert snapshot() == ([], [])
    assert service.list_all() == []


def test_lists_the_row_and_reason_of_every_problem(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    text = HEADER + (
        "H01,UBND tỉnh An Giang,,1,,,,,,,,,,\n"
        "H01.151,UBND phường Long Xuyên,H01,1,,,,,,,,,,\n"
        "H01.152,UBND phường Rạch Giá,H09,2,,,,,,,,,,\n"
        "H01,Lặp lại,,1,,,,,,,,,,\n"
    )
    with pytest.raises(AgencyError) as caught:
        service.import_csv(io.StringIO(text))
    assert [(e["row"], e["code"]) for e in caught.value.detail["errors"]] == [
        (3, "AGENCY_INVALID"),
        (4, "AGENCY_UNKNOWN"),
        (5, "AGENCY_EXISTS"),
    ]
    assert snapshot() == ([], [])


def test_refuses_a_file_naming_an_agency_already_registered_and_keeps_the_registry(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    service.register(NewAgency(code="H01", name="UBND tỉnh An Giang", level=Level.ONE))
    before = snapshot()
    with pytest.raises(AgencyError) as caught:
        service.import_csv(io.StringIO(GOOD_FILE))
    assert caught.value.code is ErrorCode.AGENCY_INVALID
    assert [(e["row"], e["code"]) for e in caught.value.detail["errors"]] == [(5, "AGENCY_EXISTS")]
    assert snapshot() == before


def test_a_file_may_hang_its_rows_under_agencies_already_registered(
    service: AgencyService,
) -> None:
    service.register(NewAgency(code="H01", name="UBND tỉnh An Giang", level=Level.ONE))
    text = HEADER + "H01.152,UBND phường Rạch Giá,H01,2,,2025-07-01,,,,,,,,\n"
    assert service.import_csv(io.StringIO(text)).created == ("H01.152",)


def test_refuses_a_file_without_a_header(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    with pytest.raises(AgencyError) as caught:
        service.import_csv(io.StringIO("H01,UBND tỉnh An Giang,,1,,,,,,,,,,\n"))
    assert caught.value.code is ErrorCode.AGENCY_INVALID
    assert caught.value.detail["errors"][0]["row"] == 1
    assert snapshot() == ([], [])


def test_registers_a_batch_of_records_all_or_nothing(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    good = [
        NewAgency(
            code="H01.151", name="UBND phường Long Xuyên", level=Level.TWO, parent_code="H01"
        ),
        NewAgency(code="H01", name="UBND tỉnh An Giang", level=Level.ONE),
    ]
    bad = [NewAgency(code="H02", name="X", level=Level.ONE, parent_code="H404")]
    with pytest.raises(AgencyError) as caught:
        service.register_all([*good, *bad])
    assert caught.value.detail["errors"] == [
        {"row": 3, "code": "AGENCY_UNKNOWN", "reason": "parent H404 is not registered"}
    ]
    assert snapshot() == ([], [])
    assert service.register_all(good).created == ("H01", "H01.151")
