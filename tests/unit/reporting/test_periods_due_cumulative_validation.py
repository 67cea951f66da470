"""Issue 20 (first part), pure rules: the periods a date belongs to and those due (15-31 Dec,
Tết, replaced months), cumulative figures (Art. 12), the Art. 8 validation of a regime version
(REGIME_INVALID) and the Vietnamese reading of typed numbers."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from lienthong.calendar import WorkingCalendar
from lienthong.errors import ErrorCode, LienthongError
from lienthong.reporting.consolidation import period_and_cumulative
from lienthong.reporting.model import (
    DayOfLastMonth,
    LevelDeadlines,
    Period,
    PeriodType,
    cumulative_parts,
    periods_containing,
)
from lienthong.reporting.regimes import (
    RegimeCatalogue,
    demo_regime,
    validate_regime_version,
)
from lienthong.reporting.rules import parse_number

CAL = WorkingCalendar()


def codes(periods: list[Period]) -> list[str]:
    return [p.code for p in periods]


# --- periods containing a date ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2025, 12, 15), ["2026-M01", "2026-Q1", "2026-Y"]),
        (date(2025, 12, 31), ["2026-M01", "2026-Q1", "2026-Y"]),
        (date(2025, 12, 14), ["2025-M12", "2025-Q4", "2025-Y"]),
        (date(2026, 3, 14), ["2026-M03", "2026-Q1", "2026-Y"]),
        (date(2026, 3, 15), ["2026-M04", "2026-Q2", "2026-Y"]),
    ],
)
def test_the_periods_that_contain_a_date(day: date, expected: list[str]) -> None:
    assert codes(demo_regime().periods_containing(day)) == expected


def test_half_years_and_nine_months_start_on_15_december() -> None:
    regime = demo_regime()
    types = [PeriodType.HALF_YEAR, PeriodType.NINE_MONTHS]
    assert codes(periods_containing(regime.windows, types, date(2025, 12, 20))) == [
        "2026-H1",
        "2026-9M",
    ]


# --- periods due --------------------------------------------------------------------------


def test_between_15_and_31_december_next_years_periods_are_due() -> None:
    """20 Dec 2025: January, Q1 and the year 2026 have begun (their window opened 15 Dec);
    Q4 and the year 2025 are still due at the province (deadline 25 Dec); December 2025 is
    replaced by the annual report and never due."""
    regime = demo_regime()
    due = codes(regime.periods_due(date(2025, 12, 20), CAL, "province"))
    assert {"2026-M01", "2026-Q1", "2026-Y", "2025-Q4", "2025-Y"} <= set(due)
    assert "2025-M12" not in due
    # 26 Dec: the province's 2025 deadlines (25 Dec) closed them
    late = codes(regime.periods_due(date(2025, 12, 26), CAL, "province"))
    assert "2025-Y" not in late and "2025-Q4" not in late
    assert {"2026-M01", "2026-Q1", "2026-Y"} <= set(late)


def test_a_commune_deadline_after_tet_keeps_the_month_due_through_the_holiday() -> None:
    """February 2026's cut-off is Sat 14 Feb; Tết (17 Feb 2026) and its days off push "2 working
    days after the cut-off" past the holiday, so on 20 Feb the month is still due."""
    regime = demo_regime()
    deadline = regime.deadline_rule("commune", PeriodType.MONTH).due(
        Period.parse("2026-M02"), regime.windows.window(Period.parse("2026-M02")), CAL
    )
    assert deadline > date(2026, 2, 20)
    assert not CAL.is_working_day(date(2026, 2, 17))
    assert "2026-M02" in codes(regime.periods_due(date(2026, 2, 20), CAL, "commune"))
    assert "2026-M02" not in codes(
        regime.periods_due(deadline.replace(day=deadline.day + 1), CAL, "commune")
    )


def test_replaced_months_are_never_due() -> None:
    regime = demo_regime()
    for day in (date(2026, 3, 10), date(2026, 3, 16), date(2026, 6, 16), date(2026, 9, 16)):
        due = codes(regime.periods_due(day, CAL, "commune"))
        assert not {"2026-M03", "2026-M06", "2026-M09", "2026-M12"} & set(due), day


# --- cumulative figures -------------------------------------------------------------------


def test_cumulative_parts_run_from_15_december() -> None:
    mqy = [PeriodType.MONTH, PeriodType.QUARTER, PeriodType.YEAR]
    assert codes(cumulative_parts(Period.parse("2026-M05"), mqy)) == [
        "2026-Q1",
        "2026-M04",
        "2026-M05",
    ]
    assert codes(cumulative_parts(Period.parse("2026-M05"), [PeriodType.MONTH])) == [
        f"2026-M0{m}" for m in range(1, 6)
    ]
    assert codes(cumulative_parts(Period.parse("2026-Q3"), mqy)) == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
    ]
    assert codes(cumulative_parts(Period.parse("2026-H1"), [])) == ["2026-H1"]
    assert codes(cumulative_parts(Period.parse("2026-H2"), [])) == ["2026-H1", "2026-H2"]
    assert codes(cumulative_parts(Period.parse("2026-9M"), [])) == ["2026-9M"]
    assert codes(cumulative_parts(Period.parse("2026-Y"), [])) == ["2026-Y"]


def test_period_and_cumulative_figures_side_by_side() -> None:
    """POP is reported per period (summed into lũy kế), REVENUE cumulatively (its period
    figure is the difference with the period ending just before), HOUSEHOLDS is a stock."""
    reported = {
        "2026-Q1": {"POP": 300.0, "REVENUE": 900.0, "HOUSEHOLDS": 50.0},
        "2026-M04": {"POP": 110.0, "REVENUE": 1200.0, "HOUSEHOLDS": 51.0},
        "2026-M05": {"POP": 120.0, "REVENUE": 1500.0, "HOUSEHOLDS": 52.0},
    }
    got = period_and_cumulative(
        demo_regime(), Period.parse("2026-M05"), lambda p: dict(reported.get(p.code, {}))
    )
    assert got["POP"] == (120.0, 530.0)
    assert got["REVENUE"] == (300.0, 1500.0)
    assert got["HOUSEHOLDS"] == (52.0, 52.0)
    # April follows the replaced March: its period figure is the difference with Q1
    april = period_and_cumulative(
        demo_regime(), Period.parse("2026-M04"), lambda p: dict(reported.get(p.code, {}))
    )
    assert april["REVENUE"] == (300.0, 1200.0)
    # the first period of the year is cumulative by itself
    q1 = period_and_cumulative(
        demo_regime(), Period.parse("2026-Q1"), lambda p: dict(reported.get(p.code, {}))
    )
    assert q1["REVENUE"] == (900.0, 900.0) and q1["POP"] == (300.0, 300.0)


# --- Art. 8 at definition -------------------------------------------------------------------


def test_the_demo_regime_has_no_problem() -> None:
    assert validate_regime_version(demo_regime(), calendar=CAL) == []


def test_missing_art8_elements_are_each_named() -> None:
    regime = dataclasses.replace(demo_regime(), instructions=" ", receivers="", name="")
    problems = validate_regime_version(regime, calendar=CAL)
    assert [p.field for p in problems] == ["name", "receivers", "instructions"]
    assert all(p.period == "2025-M01" for p in problems)


def test_a_level_without_a_deadline_names_the_level_and_its_first_period() -> None:
    regime = demo_regime()
    province = LevelDeadlines(
        "province", {PeriodType.MONTH: DayOfLastMonth(25), PeriodType.YEAR: DayOfLastMonth(25)}
    )
    problems = validate_regime_version(
        dataclasses.replace(regime, levels=(regime.levels[0], province)), calendar=CAL
    )
    assert [(p.field, p.level, p.period) for p in problems] == [("deadline", "province", "2025-Q1")]


def test_a_deadline_leaving_no_working_day_after_the_cut_off_is_refused() -> None:
    """Communes due on the 14th (the cut-off day itself): one problem per level and
    frequency, naming the first period concerned."""
    regime = demo_regime()
    pts = (PeriodType.MONTH, PeriodType.QUARTER, PeriodType.YEAR)
    commune = LevelDeadlines("commune", {pt: DayOfLastMonth(14) for pt in pts})
    problems = validate_regime_version(
        dataclasses.replace(regime, levels=(commune, regime.levels[1])), calendar=CAL
    )
    assert problems
    assert {(p.level, p.period) for p in problems} == {
        ("commune", "2025-M01"),
        ("commune", "2025-Q1"),
        ("commune", "2025-Y"),
    }


def test_the_catalogue_refuses_an_invalid_version_with_regime_invalid() -> None:
    catalogue = RegimeCatalogue(CAL)
    with pytest.raises(LienthongError) as caught:
        catalogue.add(dataclasses.replace(demo_regime(), method=""))
    assert caught.value.code is ErrorCode.REGIME_INVALID
    assert caught.value.detail["problems"][0]["field"] == "method"
    assert catalogue.codes() == []  # nothing stored


# --- numbers typed the Vietnamese way ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.800", 1800), ("1.234,5", 1234.5), ("1.234.567", 1234567), ("12,5", 12.5), ("42", 42)],
)
def test_dots_group_thousands_and_commas_mark_decimals(text: str, value: float) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1.8", "1234.5", "1.80", "12.34,5"])
def test_a_dot_that_cannot_group_thousands_is_refused_not_guessed(text: str) -> None:
    with pytest.raises(ValueError):
        parse_number(text)
