"""Regime definitions (Art. 8) and the validation of a report's values, pure."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from lienthong.calendar import WorkingCalendar
from lienthong.reporting.model import DayOfLastMonth, LevelDeadlines, Period, PeriodType
from lienthong.reporting.regimes import (
    DEMO_FORM,
    Coinciding,
    RegimeInvalidError,
    check_regime,
    demo_regime,
)
from lienthong.reporting.rules import ReportContent, parse_number, ratio_value, validate

CAL = WorkingCalendar()


def good_values() -> dict[str, float]:
    return {
        "POP": 1000,
        "BIRTHS": 10,
        "BIRTHS.NAM": 6,
        "BIRTHS.NU": 4,
        "HOUSEHOLDS": 300,
        "POOR": 30,
        "REVENUE": 500,
        "SCHOOL": 98.5,
        "PROCEDURES": 40,
    }


def test_the_demo_regime_satisfies_article_8() -> None:
    check_regime(demo_regime(), CAL)


def test_refuses_a_regime_lacking_a_deadline_for_a_reporting_level() -> None:
    regime = demo_regime()
    levels = (regime.levels[0], LevelDeadlines("province", {PeriodType.MONTH: DayOfLastMonth(25)}))
    with pytest.raises(RegimeInvalidError) as caught:
        check_regime(dataclasses.replace(regime, levels=levels), CAL)
    assert any("no deadline" in p for p in caught.value.problems)


def test_refuses_a_regime_without_its_article_8_elements() -> None:
    with pytest.raises(RegimeInvalidError) as caught:
        check_regime(dataclasses.replace(demo_regime(), legal_basis=" ", method=""), CAL)
    assert caught.value.problems == [
        "legal_basis [2025-M01]: the issuing act is required by Art. 8",
        "method [2025-M01]: Art. 8(5) method of sending and receiving is required by Art. 8",
    ]


def test_coinciding_months_are_replaced_or_included_as_the_regime_says() -> None:
    regime = demo_regime()
    replaced = [p.code for p in regime.expected_periods(2026)]
    assert "2026-M03" not in replaced and "2026-M12" not in replaced
    assert "2026-M04" in replaced and "2026-Q1" in replaced and "2026-Y" in replaced
    included = dataclasses.replace(regime, coinciding=Coinciding.INCLUDE)
    assert included.is_expected(Period.parse("2026-M03"))


def test_accepts_complete_consistent_values() -> None:
    content = ReportContent(good_values(), {"I": "Tốt", "III": "Tiếp tục"})
    assert validate(DEMO_FORM, content) == []


def test_reports_every_broken_rule() -> None:
    values = good_values() | {"BIRTHS.NAM": 7, "POOR": 400, "SCHOOL": 120, "POP": 10.5}
    del values["PROCEDURES"]
    values["UNKNOWN"] = 1
    problems = validate(DEMO_FORM, ReportContent(values, {"I": "x"}), previous_cumulative={})
    where = sorted(p.where for p in problems)
    assert where == ["III", "POP", "PROCEDURES", "R1", "R2", "SCHOOL", "UNKNOWN"]


def test_cumulative_figures_never_fall_below_the_previous_period() -> None:
    content = ReportContent(good_values(), {"I": "a", "III": "b"})
    problems = validate(DEMO_FORM, content, previous_cumulative={"REVENUE": 800})
    assert [p.where for p in problems] == ["REVENUE"]
    assert "lũy kế" in problems[0].message


def test_problem_sentences_write_figures_the_vietnamese_way_and_name_what_they_concern() -> None:
    values = good_values() | {"REVENUE": 12_500_000, "SCHOOL": 120.5, "X": 1}
    content = ReportContent(values, {"I": "a", "III": "b", "IX": "c"})
    problems = validate(DEMO_FORM, content, previous_cumulative={"REVENUE": 23_373_900})
    messages = {p.where: p.message for p in problems}
    assert messages["REVENUE"] == (
        "Thu ngân sách lũy kế từ đầu năm: số lũy kế 12.500.000 nhỏ hơn kỳ trước (23.373.900)."
    )
    assert "120,5 lớn hơn 100" in messages["SCHOOL"]
    assert messages["X"] == "Ô X không có trong biểu mẫu."
    assert messages["IX"] == "Mục IX không có trong đề cương."
    assert not any("e+" in m for m in messages.values())


def test_ratios_are_recomputed_from_numerator_and_denominator() -> None:
    assert ratio_value(DEMO_FORM.indicator("POOR_RATE"), {"POOR": 30, "HOUSEHOLDS": 300}) == 10


@pytest.mark.parametrize(
    ("text", "value"), [("1.234,5", 1234.5), ("1.800", 1800), ("1.234.567", 1234567)]
)
def test_reads_numbers_as_people_type_them(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "abc", "1,2,3x", "nan", "inf"])
def test_refuses_text_that_is_not_a_number(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)


def test_regimes_are_in_force_between_their_dates() -> None:
    regime = dataclasses.replace(demo_regime(), effective_to=date(2026, 12, 31))
    assert regime.in_force(date(2026, 6, 1)) and not regime.in_force(date(2027, 1, 1))
