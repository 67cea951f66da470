"""Pure rules of work files: retention, the file list, completeness, the life of a file."""

from __future__ import annotations

from datetime import date

import pytest

from lienthong.records.model import (
    Access,
    Action,
    DocumentMetadata,
    FileMetadata,
    FileState,
    PlanEntry,
    RecordRuleError,
    Retention,
    check_destroy,
    completeness_problems,
    due_for_appraisal,
    next_state,
    plan_problems,
    span,
    transfer_due_on,
)


def doc(**kw: object) -> DocumentMetadata:
    base: dict[str, object] = {
        "document_id": "000.00.00.G22,2026/11/20,101/VPCP-TTĐT",
        "number_notation": "101/VPCP-TTĐT",
        "issued_on": date(2026, 3, 2),
        "issuer": "Văn phòng Chính phủ",
        "subject": "V/v kết nối",
        "type_name": "Công văn",
        "signer": "Nguyễn Văn Minh",
        "pages": 2,
    }
    base.update(kw)
    return DocumentMetadata(**base)  # type: ignore[arg-type]


def file_meta(*docs: DocumentMetadata, **kw: object) -> FileMetadata:
    start, end = span(d.issued_on for d in docs)
    base: dict[str, object] = {
        "code": "000.00.00.G22.2026.01.05",
        "title": "Hồ sơ kết nối trục liên thông",
        "retention": Retention(10),
        "access": Access.PUBLIC,
        "language": "vi",
        "start": start,
        "end": end,
        "responsible": "Trần Thị Hoa",
        "documents": docs,
    }
    base.update(kw)
    return FileMetadata(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "years"),
    [("Vĩnh viễn", None), ("vinh vien", None), ("VV", None), ("10", 10), ("20 năm", 20)],
)
def test_a_retention_reads_as_the_file_list_writes_it(text: str, years: int | None) -> None:
    assert Retention.parse(text).years == years


@pytest.mark.parametrize("text", ["", "0", "mười", "-5", "101", "10 tháng"])
def test_a_retention_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(RecordRuleError) as err:
        Retention.parse(text)
    assert err.value.kind == "retention"


def test_retention_counts_from_the_year_the_work_ended() -> None:
    ten = Retention(10)
    assert ten.ends_on(date(2020, 3, 1)) == date(2030, 12, 31)
    assert not due_for_appraisal(ten, date(2020, 3, 1), date(2030, 12, 31))
    assert due_for_appraisal(ten, date(2020, 3, 1), date(2031, 1, 1))
    assert Retention(None).ends_on(date(2020, 3, 1)) is None
    assert not due_for_appraisal(Retention(None), date(1990, 1, 1), date(2100, 1, 1))
    assert not due_for_appraisal(ten, None, date(2100, 1, 1))


def test_transfer_is_due_within_a_year_of_the_end() -> None:
    assert transfer_due_on(date(2026, 5, 4)) == date(2027, 5, 4)
    assert transfer_due_on(date(2028, 2, 29)) == date(2029, 2, 28)


def test_a_file_list_names_every_problem_with_its_line() -> None:
    entries = [
        PlanEntry("01.05", "Hồ sơ kết nối", Retention(10), "Trần Thị Hoa"),
        PlanEntry("01.05", "Trùng số", Retention(10), "Trần Thị Hoa"),
        PlanEntry("", "Không số", Retention(None), "Trần Thị Hoa"),
        PlanEntry("02 01", "Có khoảng trắng", Retention(5), "Trần Thị Hoa"),
        PlanEntry("03.01", " ", Retention(5), ""),
    ]
    problems = plan_problems(entries)
    assert problems == [
        "line 2: the file code 01.05 appears twice",
        "line 3: the file code is empty",
        "line 4: the file code '02 01' is not a code",
        "line 5: the file title is empty",
        "line 5: nobody is responsible for the file",
    ]
    assert plan_problems(entries[:1]) == []


def test_a_complete_file_has_no_problem() -> None:
    assert completeness_problems(file_meta(doc(), doc(pages=3))) == []
    meta = file_meta(doc(), doc(pages=3))
    assert (meta.document_count, meta.page_count) == (2, 5)


def test_an_incomplete_file_names_what_each_part_lacks() -> None:
    problems = completeness_problems(
        file_meta(doc(signer="", pages=None), doc(signed=True, signature=""), responsible="")
    )
    assert problems == [
        "file: person responsible is missing",
        "document 1 (101/VPCP-TTĐT): signer is missing",
        "document 1 (101/VPCP-TTĐT): page count is missing",
        "document 2 (101/VPCP-TTĐT): digital signature information is missing",
    ]


def test_an_empty_file_or_one_ending_before_it_starts_cannot_close() -> None:
    assert "file: it holds no document" in completeness_problems(file_meta())
    backwards = file_meta(doc(), start=date(2026, 5, 1), end=date(2026, 4, 1))
    assert "file: the end date is before the start date" in completeness_problems(backwards)


@pytest.mark.parametrize(
    ("state", "action", "after"),
    [
        (FileState.OPEN, Action.CLOSE, FileState.CLOSED),
        (FileState.CLOSED, Action.REOPEN, FileState.OPEN),
        (FileState.CLOSED, Action.TRANSFER, FileState.TRANSFERRED),
        (FileState.TRANSFERRED, Action.DESTROY, FileState.DESTROYED),
    ],
)
def test_the_life_of_a_file(state: FileState, action: Action, after: FileState) -> None:
    assert next_state(state, action) is after


@pytest.mark.parametrize(
    ("state", "action"),
    [
        (FileState.OPEN, Action.TRANSFER),
        (FileState.OPEN, Action.DESTROY),
        (FileState.TRANSFERRED, Action.REOPEN),
        (FileState.DESTROYED, Action.REOPEN),
        (FileState.CLOSED, Action.CLOSE),
    ],
)
def test_what_a_file_cannot_go_through(state: FileState, action: Action) -> None:
    with pytest.raises(RecordRuleError) as err:
        next_state(state, action)
    assert err.value.kind == "transition"


def test_destruction_needs_an_ended_retention_and_a_decision() -> None:
    end = date(2015, 6, 1)
    check_destroy(FileState.CLOSED, Retention(10), end, date(2026, 1, 1), "QĐ 12/QĐ-VPCP")
    with pytest.raises(RecordRuleError) as early:
        check_destroy(FileState.CLOSED, Retention(10), end, date(2025, 12, 31), "QĐ 12")
    assert early.value.kind == "retention"
    with pytest.raises(RecordRuleError) as forever:
        check_destroy(FileState.CLOSED, Retention(None), end, date(2100, 1, 1), "QĐ 12")
    assert forever.value.kind == "retention"
    with pytest.raises(RecordRuleError) as bare:
        check_destroy(FileState.CLOSED, Retention(10), end, date(2026, 1, 1), "  ")
    assert bare.value.kind == "decision"
