"""The registry CSV file: reading rows, and planning an all-or-nothing import."""

from __future__ import annotations

import io
from dataclasses import fields
from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from lienthong.agencies.model import (
    CSV_COLUMNS,
    Level,
    NewAgency,
    Problem,
    parse_csv,
    plan_import,
)
from lienthong.errors import ErrorCode

HEADER = ",".join(CSV_COLUMNS)


def rows_of(problems: tuple[Problem, ...]) -> list[tuple[int | None, ErrorCode]]:
    return [(p.row, p.code) for p in problems]


def test_the_file_has_one_column_per_field_of_a_record() -> None:
    assert sorted(CSV_COLUMNS) == sorted(f.name for f in fields(NewAgency))


def test_reads_every_column_of_a_full_row() -> None:
    text = (
        HEADER + "\n000.00.00.H33,UBND tỉnh Kiên Giang,,1,,2004-01-01,2025-06-30,H01,"
        'UBND tỉnh Kiên Giang,"Số 06, Nguyễn Công Trứ, Rạch Giá",kiengiang@gov.vn,'
        "0297 3862 102,0297 3862 103,kiengiang.gov.vn\n"
    )
    parsed = parse_csv(io.StringIO(text))
    assert parsed.problems == ()
    [(row, record)] = parsed.entries
    assert row == 2
    assert record == NewAgency(
        code="000.00.00.H33",
        name="UBND tỉnh Kiên Giang",
        level=Level.ONE,
        valid_from=date(2004, 1, 1),
        valid_to=date(2025, 6, 30),
        successor_code="H01",
        organization_in_charge="UBND tỉnh Kiên Giang",
        address="Số 06, Nguyễn Công Trứ, Rạch Giá",
        email="kiengiang@gov.vn",
        telephone="0297 3862 102",
        fax="0297 3862 103",
        website="kiengiang.gov.vn",
    )


def test_takes_the_required_columns_alone_in_any_order_and_trims_cells() -> None:
    parsed = parse_csv(io.StringIO("level , Name,code\n 2 , Sở Nội vụ ,000.00.05.H14 \n"))
    assert parsed.problems == ()
    [(_, record)] = parsed.entries
    assert (record.code, record.name, record.level) == ("000.00.05.H14", "Sở Nội vụ", Level.TWO)
    assert record.parent_code is None


def test_ignores_the_byte_order_mark_that_spreadsheets_write() -> None:
    parsed = parse_csv(io.StringIO("\ufeffcode,name,level\nH01,UBND tỉnh An Giang,1\n"))
    assert parsed.problems == ()
    assert parsed.entries[0][1].code == "H01"


def test_skips_blank_rows_but_keeps_counting_them() -> None:
    parsed = parse_csv(io.StringIO("code,name,level\n\nH01,An Giang,1\n,,\nH01.151,X,9\n"))
    assert [row for row, _ in parsed.entries] == [3]
    assert rows_of(parsed.problems) == [(5, ErrorCode.AGENCY_INVALID)]


def test_refuses_a_file_without_a_header_row() -> None:
    parsed = parse_csv(io.StringIO(""))
    assert parsed.entries == ()
    assert rows_of(parsed.problems) == [(1, ErrorCode.AGENCY_INVALID)]


def test_refuses_unknown_repeated_and_missing_columns_in_the_header() -> None:
    parsed = parse_csv(io.StringIO("code,code,parent,level\nH01,H01,,1\n"))
    reasons = " ".join(p.reason for p in parsed.problems)
    assert parsed.entries == ()
    assert {p.row for p in parsed.problems} == {1}
    assert "'parent'" in reasons
    assert "repeated columns: code" in reasons
    assert "missing required columns: name" in reasons


def test_names_the_row_and_reason_of_every_unreadable_cell() -> None:
    text = (
        "code,name,level,valid_from\n"
        "H01,An Giang,one,\n"
        "H01.151,Long Xuyên,2,01/07/2025\n"
        ",Không mã,2,\n"
        "H01.152,,2,\n"
        "H01.153,Rạch Giá,2,2025-07-01,extra\n"
        "H01.154,Mỹ Hòa Hưng\n"
        "H01.160,Mỹ Hòa Hưng,2,2025-07-01,,\n"
    )
    parsed = parse_csv(io.StringIO(text))
    assert rows_of(parsed.problems) == [
        (2, ErrorCode.AGENCY_INVALID),
        (3, ErrorCode.AGENCY_INVALID),
        (4, ErrorCode.AGENCY_CODE_INVALID),
        (5, ErrorCode.AGENCY_INVALID),
        (6, ErrorCode.AGENCY_INVALID),
        (7, ErrorCode.AGENCY_INVALID),
    ]
    assert "level 'one'" in parsed.problems[0].reason
    assert "YYYY-MM-DD" in parsed.problems[1].reason
    # Trailing empty cells (as spreadsheets add) are harmless.
    assert [row for row, _ in parsed.entries] == [8]


def new(code: str, level: int, parent: str | None = None, **more: object) -> NewAgency:
    return NewAgency(code=code, name=code, level=Level(level), parent_code=parent, **more)  # type: ignore[arg-type]


def test_orders_parents_before_children_whatever_the_file_order() -> None:
    # Among the agencies whose references are satisfied, the earliest row goes first.
    entries = [
        (2, new("001.02.16.H41", 4, "000.02.16.H41")),
        (3, new("000.02.16.H41", 3, "000.00.16.H41")),
        (4, new("000.00.16.H41", 2, "000.00.00.H41")),
        (5, new("000.00.00.H41", 1)),
        (6, new("000.00.01.H41", 2, "000.00.00.H41")),
    ]
    plan = plan_import(entries, registered={})
    assert plan.problems == ()
    assert [r.code for r in plan.ordered] == [
        "000.00.00.H41",
        "000.00.16.H41",
        "000.02.16.H41",
        "001.02.16.H41",
        "000.00.01.H41",
    ]


def test_orders_a_successor_before_the_agency_that_names_it() -> None:
    entries = [
        (2, new("000.00.00.H33", 1, valid_to=date(2025, 6, 30), successor_code="H01")),
        (3, new("H01", 1)),
    ]
    plan = plan_import(entries, registered={})
    assert [r.code for r in plan.ordered] == ["H01", "000.00.00.H33"]


def test_a_parent_may_already_be_registered() -> None:
    plan = plan_import([(2, new("H01.151", 2, "H01"))], registered={"H01": 1})
    assert plan.problems == ()
    assert [r.code for r in plan.ordered] == ["H01.151"]


def test_lists_every_problem_by_row_and_plans_nothing() -> None:
    entries = [
        (2, new("H01", 1)),
        (3, new("H01", 1)),  # repeated in the file
        (4, new("000.00.00.G22", 1)),  # already registered
        (5, new("H01.151", 2, "H99")),  # parent found nowhere
        (6, new("H01.152", 1, "H01")),  # level not below the parent's
        (7, new("H01.153", 2, "000.00.00.G22")),  # fine on its own
        (8, new("X", 1, valid_to=date(2025, 1, 1), successor_code="Y")),  # successor nowhere
        (9, new("bad code", 1)),
    ]
    plan = plan_import(entries, registered={"000.00.00.G22": 1})
    assert plan.ordered == ()
    assert rows_of(plan.problems) == [
        (3, ErrorCode.AGENCY_EXISTS),
        (4, ErrorCode.AGENCY_EXISTS),
        (5, ErrorCode.AGENCY_UNKNOWN),
        (6, ErrorCode.AGENCY_INVALID),
        (8, ErrorCode.AGENCY_UNKNOWN),
        (9, ErrorCode.AGENCY_CODE_INVALID),
    ]
    assert "first on row 2" in plan.problems[0].reason


def test_refuses_a_cycle_of_successors() -> None:
    entries = [
        (2, new("A", 1, valid_to=date(2025, 1, 1), successor_code="B")),
        (3, new("B", 1, valid_to=date(2025, 1, 1), successor_code="A")),
        (4, new("C", 1)),
    ]
    plan = plan_import(entries, registered={})
    assert rows_of(plan.problems) == [(2, ErrorCode.AGENCY_INVALID), (3, ErrorCode.AGENCY_INVALID)]
    assert "cycle" in plan.problems[0].reason


@st.composite
def shuffled_trees(draw: st.DrawFn) -> list[NewAgency]:
    """A random forest of up to four levels, in a random order."""
    records: list[NewAgency] = []
    for i in range(draw(st.integers(min_value=1, max_value=25))):
        parents = [r for r in records if r.level < 4]
        parent = draw(st.sampled_from([None, *parents])) if parents else None
        level = 1 if parent is None else draw(st.integers(parent.level + 1, 4))
        records.append(new(f"A{i}", level, parent.code if parent else None))
    return draw(st.permutations(records))


@given(shuffled_trees())
def test_any_order_of_a_valid_forest_is_planned_parents_first(records: list[NewAgency]) -> None:
    plan = plan_import(list(enumerate(records, start=2)), registered={})
    assert plan.problems == ()
    assert sorted(r.code for r in plan.ordered) == sorted(r.code for r in records)
    position = {r.code: i for i, r in enumerate(plan.ordered)}
    for record in plan.ordered:
        if record.parent_code is not None:
            assert position[record.parent_code] < position[record.code]
