"""ADX and DHIS2 dataValueSets (issue 20, Exchange), pure: both round trips, the period written
as ISO 8601 start/duration and DHIS2 codes for every period type, and every refusal of a file
with its own code."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Any

import pytest
from lxml import etree

from lienthong.clock import VN_TZ
from lienthong.errors import ErrorCode, LienthongError
from lienthong.reporting.adx import parse_adx, write_adx
from lienthong.reporting.dhis2 import parse_data_value_sets, write_data_value_sets
from lienthong.reporting.exchange import (
    ADX_NS,
    Outgoing,
    cells_of,
    dhis2_period,
    nominal_iso,
    number_text,
    read_period,
)
from lienthong.reporting.model import Period, PeriodError, PeriodType, WindowRule, WindowSchedule
from lienthong.reporting.regimes import demo_regime

REGIME = demo_regime()
FORM = REGIME.form
APRIL = Period(2026, PeriodType.MONTH, 4)
VALUES = {
    "POP": 1037.0,
    "BIRTHS": 9.0,
    "BIRTHS.NAM": 4.0,
    "BIRTHS.NU": 5.0,
    "HOUSEHOLDS": 311.0,
    "POOR": 23.0,
    "REVENUE": 201.5,
    "SCHOOL": 91.25,
    "PROCEDURES": 7.0,
}
UNIT = "000.11.38.H41"
AT = datetime(2026, 4, 20, 9, 0, tzinfo=VN_TZ)


def outgoing(values: dict[str, float] | None = None, period: Period = APRIL) -> Outgoing:
    return Outgoing("KTXH", UNIT, period, values if values is not None else VALUES)


def adx(body: str, prolog: str = '<?xml version="1.0" encoding="UTF-8"?>') -> bytes:
    return f'{prolog}<adx xmlns="{ADX_NS}">{body}</adx>'.encode()


def group(values: str, period: str = "2026-04-01/P1M", unit: str = UNIT) -> str:
    return f'<group dataSet="KTXH" orgUnit="{unit}" period="{period}">{values}</group>'


def refused(code: ErrorCode, call: Any, *args: Any) -> LienthongError:
    with pytest.raises(LienthongError) as caught:
        call(*args)
    assert caught.value.code is code, caught.value
    return caught.value


def read_adx(data: bytes, period: Period = APRIL) -> dict[str, float]:
    return cells_of(parse_adx(io.BytesIO(data)), REGIME, period).values


def read_dhis2(document: Any, period: Period = APRIL) -> dict[str, float]:
    data = json.dumps(document).encode()
    return cells_of(parse_data_value_sets(io.BytesIO(data)), REGIME, period).values


# --- round trips ---------------------------------------------------------------------------


def test_adx_round_trip_keeps_every_cell_and_the_disaggregation() -> None:
    data = write_adx(FORM, [outgoing()], exported=AT)
    root = etree.fromstring(data)
    assert root.tag == f"{{{ADX_NS}}}adx"
    assert root.get("exported") == "2026-04-20T09:00:00+07:00"
    (grp,) = root
    assert dict(grp.attrib) == {"dataSet": "KTXH", "orgUnit": UNIT, "period": "2026-04-01/P1M"}
    boys = [v for v in grp if v.get("dataElement") == "BIRTHS" and v.get("SEX") == "NAM"]
    assert [v.get("value") for v in boys] == ["4"]
    assert read_adx(data) == VALUES


def test_dhis2_round_trip_writes_dhis2_periods_codes_and_string_values() -> None:
    document = write_data_value_sets(FORM, [outgoing()])
    assert document["dataSet"] == "KTXH" and document["orgUnit"] == UNIT
    assert document["period"] == "202604" and document["periodIso"] == "2026-04-01/P1M"
    rows = {(v["dataElement"], v["categoryOptionCombo"]): v for v in document["dataValues"]}
    assert rows[("BIRTHS", "NAM")]["value"] == "4"
    assert rows[("POP", "default")] == {
        "dataElement": "POP",
        "period": "202604",
        "orgUnit": UNIT,
        "categoryOptionCombo": "default",
        "value": "1037",
    }
    assert read_dhis2(document) == VALUES


def test_adx_to_dhis2_and_back_gives_the_same_figures() -> None:
    from_adx = read_adx(write_adx(FORM, [outgoing()]))
    again = write_data_value_sets(FORM, [outgoing(from_adx)])
    assert read_dhis2(again) == VALUES
    assert read_adx(write_adx(FORM, [outgoing(read_dhis2(again))])) == VALUES


def test_dhis2_reads_numbers_values_own_period_and_several_sets() -> None:
    document = {
        "dataValueSets": [
            {
                "dataSet": "KTXH",
                "orgUnit": UNIT,
                "dataValues": [
                    {"dataElement": "POP", "period": "202604", "value": 1037, "comment": "x"},
                    {"dataElement": "BIRTHS", "period": "2026-04-01/P1M", "value": 9},
                ],
            }
        ]
    }
    got = parse_data_value_sets(io.BytesIO(json.dumps(document).encode()))
    assert [g.period for g in got] == ["202604", "2026-04-01/P1M"]  # grouped as written
    assert cells_of(got, REGIME, APRIL).values == {"POP": 1037.0, "BIRTHS": 9.0}


def test_numbers_are_written_as_decimals() -> None:
    assert [number_text(v) for v in (1200.0, 98.5, 0.1, -3.0, 1e20)] == [
        "1200",
        "98.5",
        "0.1",
        "-3",
        "100000000000000000000",
    ]


def test_a_consolidated_node_with_missing_cells_writes_only_the_figures_it_has() -> None:
    data = write_adx(FORM, [Outgoing("KTXH", "000.00.00.H41", APRIL, {"POP": 5.0})])
    root = etree.fromstring(data)
    assert [(v.get("dataElement"), v.get("value")) for v in root[0]] == [("POP", "5")]


# --- periods -------------------------------------------------------------------------------

PERIODS = [
    (Period(2026, PeriodType.MONTH, 1), "2026-01-01/P1M", "202601"),
    (Period(2026, PeriodType.MONTH, 12), "2026-12-01/P1M", "202612"),
    (Period(2026, PeriodType.QUARTER, 1), "2026-01-01/P3M", "2026Q1"),
    (Period(2026, PeriodType.QUARTER, 4), "2026-10-01/P3M", "2026Q4"),
    (Period(2026, PeriodType.HALF_YEAR, 1), "2026-01-01/P6M", "2026S1"),
    (Period(2026, PeriodType.HALF_YEAR, 2), "2026-07-01/P6M", "2026S2"),
    (Period(2026, PeriodType.NINE_MONTHS), "2026-01-01/P9M", "2026-01-01/P9M"),
    (Period(2026, PeriodType.YEAR), "2026-01-01/P1Y", "2026"),
]


@pytest.mark.parametrize(("period", "iso", "dhis2"), PERIODS)
def test_every_period_type_is_written_and_read_both_ways(
    period: Period, iso: str, dhis2: str
) -> None:
    schedule = REGIME.windows
    assert nominal_iso(period) == iso
    assert dhis2_period(period) == dhis2
    assert read_period(iso, schedule) == period
    assert read_period(dhis2, schedule) == period
    assert read_period(period.code, schedule) == period
    # the regime's data window (15th -> 14th) is read too, never written
    assert read_period(schedule.iso(period), schedule) == period


def test_the_decree_window_of_january_starts_in_december() -> None:
    schedule = REGIME.windows
    assert schedule.iso(Period(2026, PeriodType.MONTH, 1)) == "2025-12-15/P1M"
    assert read_period("2025-12-15/P1M", schedule) == Period(2026, PeriodType.MONTH, 1)
    assert read_period("2025-12-15/P1Y", schedule) == Period(2026, PeriodType.YEAR)
    calendar = WindowSchedule(((date.min, WindowRule(1)),))
    assert read_period("2026-04-01/P1M", calendar) == APRIL
    assert read_period("2026-01-01/P12M", calendar) == Period(2026, PeriodType.YEAR)


@pytest.mark.parametrize(
    "text", ["2026-02-01/P3M", "2026-04-01/P6M", "2026-13-01/P1M", "2026W12", "April", "20261"]
)
def test_a_period_no_type_starts_with_is_refused(text: str) -> None:
    with pytest.raises(PeriodError):
        read_period(text, REGIME.windows)


# --- refusals ------------------------------------------------------------------------------


def test_refuses_malformed_xml_and_what_is_not_adx() -> None:
    parse = parse_adx
    for data in (
        b"<adx xmlns='urn:ihe:qrph:adx:2015'><group",
        b"not xml at all",
        b"<other/>",
        adx('<dataValue dataElement="POP" value="1"/>'),
        adx('<group dataSet="KTXH" period="2026-04-01/P1M"/>'),
        adx(group('<dataValue value="1"/>')),
        adx(group('<row dataElement="POP" value="1"/>')),
    ):
        refused(ErrorCode.REPORT_EXCHANGE_MALFORMED, parse, io.BytesIO(data))


def test_refuses_a_doctype_or_entities_and_fetches_nothing() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE adx [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    )
    data = adx(group('<dataValue dataElement="POP" value="&b;"/>'), prolog=bomb)
    refused(ErrorCode.REPORT_EXCHANGE_MALFORMED, parse_adx, io.BytesIO(data))
    external = '<?xml version="1.0"?><!DOCTYPE adx SYSTEM "http://127.0.0.1:9/adx.dtd">'
    data = adx(group('<dataValue dataElement="POP" value="1"/>'), prolog=external)
    refused(ErrorCode.REPORT_EXCHANGE_MALFORMED, parse_adx, io.BytesIO(data))
    # past the first bytes checked before parsing: the parser's own document info refuses it
    late = '<?xml version="1.0"?>' + " " * 5000 + "<!DOCTYPE adx [<!ENTITY x 'y'>]>"
    data = adx(group('<dataValue dataElement="POP" value="&x;"/>'), prolog=late)
    refused(ErrorCode.REPORT_EXCHANGE_MALFORMED, parse_adx, io.BytesIO(data))
    undeclared = adx(group('<dataValue dataElement="POP" value="&x;"/>'))
    refused(ErrorCode.REPORT_EXCHANGE_MALFORMED, parse_adx, io.BytesIO(undeclared))


def test_refuses_malformed_json_and_what_is_not_a_data_value_set() -> None:
    for data in (
        b"{",
        b'{"dataValues": [{"dataElement": "POP", "value": NaN}]}',
        b"[]",
        b'{"dataSet": "KTXH"}',
        b'{"dataSet": "KTXH", "period": "202604", "dataValues": [{"dataElement": "POP"}]}',
        b'{"dataSet": "KTXH", "period": "202604", "orgUnit": "X", "dataValues": [1]}',
        b"\xff\xfe",
        b"[" * 100_000 + b"]" * 100_000,  # nesting deeper than the reader recurses
    ):
        refused(ErrorCode.REPORT_EXCHANGE_MALFORMED, parse_data_value_sets, io.BytesIO(data))


def test_refuses_a_file_with_no_value() -> None:
    refused(ErrorCode.REPORT_EXCHANGE_MALFORMED, read_adx, adx(""))
    refused(ErrorCode.REPORT_EXCHANGE_MALFORMED, read_adx, adx(group("")))


def test_refuses_another_data_set() -> None:
    data = adx(group('<dataValue dataElement="POP" value="1"/>').replace("KTXH", "YTE"))
    refused(ErrorCode.REGIME_UNKNOWN, read_adx, data)


@pytest.mark.parametrize(
    "period",
    [
        "2026-03-01/P1M",  # another month
        "2026Q2",  # a quarter when April is imported
        "2026-01-01/P6M",  # not a period type of the regime
        "2026S1",
        "2026W14",  # unreadable
        "2026-04-02/P1M",  # no window starts that day
    ],
)
def test_refuses_periods_outside_the_regime_or_not_the_one_imported(period: str) -> None:
    data = adx(group('<dataValue dataElement="POP" value="1"/>', period=period))
    error = refused(ErrorCode.REPORT_EXCHANGE_PERIOD_INVALID, read_adx, data)
    assert error.detail["period"] == period


def test_refuses_unknown_indicators_and_disaggregations_listing_them() -> None:
    body = (
        '<dataValue dataElement="POP" value="1"/>'
        '<dataValue dataElement="GDP" value="1"/>'
        '<dataValue dataElement="BIRTHS" SEX="KHAC" value="1"/>'
        '<dataValue dataElement="POP" SEX="NAM" value="1"/>'
        '<dataValue dataElement="BIRTHS" AGE="P0Y/P5Y" value="1"/>'
    )
    error = refused(ErrorCode.REPORT_EXCHANGE_INDICATOR_UNKNOWN, read_adx, adx(group(body)))
    assert error.detail["unknown"] == ["GDP", "BIRTHS.KHAC", "POP.NAM", "BIRTHS AGE=P0Y/P5Y"]
    assert error.detail["count"] == 4
    document = write_data_value_sets(FORM, [outgoing({"POP": 1.0})])
    document["dataValues"][0]["categoryOptionCombo"] = "HllvX50cXC0"
    refused(ErrorCode.REPORT_EXCHANGE_INDICATOR_UNKNOWN, read_dhis2, document)
    grouped = adx('<group dataSet="KTXH" orgUnit="X" period="2026-04-01/P1M" SEX="NAM"/>')
    refused(ErrorCode.REPORT_EXCHANGE_INDICATOR_UNKNOWN, parse_adx, io.BytesIO(grouped))


def test_refuses_duplicate_values_even_in_two_groups() -> None:
    body = '<dataValue dataElement="POP" value="1"/>'
    refused(ErrorCode.REPORT_EXCHANGE_DUPLICATE_VALUE, read_adx, adx(group(body + body)))
    refused(ErrorCode.REPORT_EXCHANGE_DUPLICATE_VALUE, read_adx, adx(group(body) + group(body)))
    document = write_data_value_sets(FORM, [outgoing({"BIRTHS.NAM": 1.0})])
    document["dataValues"].append(dict(document["dataValues"][0], value="2"))
    error = refused(ErrorCode.REPORT_EXCHANGE_DUPLICATE_VALUE, read_dhis2, document)
    assert error.detail["duplicates"] == ["BIRTHS.NAM"]


@pytest.mark.parametrize("value", ["", "abc", "1,5", "1.234.567", "NaN", "inf", "1e999"])
def test_refuses_a_value_that_is_not_a_number_like_an_xlsx_cell(value: str) -> None:
    data = adx(group(f'<dataValue dataElement="POP" value="{value}"/>'))
    error = refused(ErrorCode.REPORT_CELL_NOT_NUMBER, read_adx, data)
    assert error.detail["cells"] == ["POP"]
    document = write_data_value_sets(FORM, [outgoing({"POP": 1.0})])
    document["dataValues"][0]["value"] = True
    refused(ErrorCode.REPORT_CELL_NOT_NUMBER, read_dhis2, document)


def test_the_units_of_the_file_are_answered_for_the_service_to_check() -> None:
    body = '<dataValue dataElement="POP" value="1"/>'
    data = adx(group(body) + group('<dataValue dataElement="BIRTHS" value="1"/>', unit="OTHER"))
    got = cells_of(parse_adx(io.BytesIO(data)), REGIME, APRIL)
    assert got.org_units == {UNIT, "OTHER"} and got.count == 2
