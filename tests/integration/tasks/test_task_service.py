"""The task service on a real SQLite file and PostgreSQL: the whole lifecycle, who may act,
IDOR, and that every refusal leaves no row, event, audit entry or blob behind."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.agencies.service import AgencyService
from lienthong.audit.store import AuditEvent
from lienthong.blobs.local import LocalBlobStore
from lienthong.calendar import WorkingCalendar
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.errors import ErrorCode
from lienthong.secrets import Sealer
from lienthong.tasks.model import (
    Authority,
    Deadline,
    NewTask,
    Output,
    Recurrence,
    SourceDocument,
    TaskError,
    TaskState,
    Timeliness,
)
from lienthong.tasks.service import Evidence, TaskService
from lienthong.tasks.store import TaskAgencyRow, TaskEventRow, TaskRow

VPCP = "000.00.00.G22"  # Văn phòng Chính phủ: the assigning office
MOF = "000.00.00.G12"  # Bộ Tài chính: the lead agency
MOST = "000.00.00.G15"  # Bộ Khoa học và Công nghệ: coordinating
NGHE_AN = "000.00.00.H41"  # a stranger to the task
MIC = "000.00.00.G14"  # Bộ Thông tin và Truyền thông: ended 2025-02-28
NOW = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội


@dataclass
class World:
    db: Database
    clock: FixedClock
    service: TaskService
    blobs_dir: Path

    def counts(self) -> tuple[int, int, int, int, int]:
        with self.db.read() as session:

            def n(model: type) -> int:
                return int(session.scalar(select(func.count()).select_from(model)) or 0)

            blobs = sum(1 for p in self.blobs_dir.rglob("*") if p.is_file())
            return n(TaskRow), n(TaskAgencyRow), n(TaskEventRow), n(AuditEvent), blobs

    def days(self, n: int) -> None:
        self.clock.advance(timedelta(days=n))


@pytest.fixture
def world(db: Database, tmp_path: Path) -> Iterator[World]:
    clock = FixedClock(NOW)
    agencies = AgencyService(db, Sealer(b"t" * 32), clock)
    agencies.register_all(DEMO_AGENCIES)
    blobs_dir = tmp_path / "blobs"
    service = TaskService(db, clock, agencies, LocalBlobStore(blobs_dir), WorkingCalendar())
    yield World(db, clock, service, blobs_dir)


def conclusion_task(**changes: object) -> NewTask:
    task = NewTask(
        title="Hoàn thiện dự thảo Nghị định về hóa đơn điện tử",
        content="Bộ Tài chính chủ trì, phối hợp Bộ Khoa học và Công nghệ hoàn thiện dự thảo.",
        assigner_code=VPCP,
        lead_code=MOF,
        assigned_on=date(2027, 1, 4),
        deadline=Deadline.on(date(2027, 2, 6)),  # first day of Tết: due Thu 11 Feb
        authority=Authority.PRIME_MINISTER,
        coordinator_codes=(MOST,),
        output=Output.LEGAL_DRAFT,
        person_in_charge="Vụ Chính sách thuế",
        source=SourceDocument(
            document_id="a1b2c3d4-0000-4000-8000-000000000001",
            notation="12/TB-VPCP",
            signer="Trần Văn Sơn",
            signed_on=date(2027, 1, 4),
            kind="Thông báo kết luận",
        ),
    )
    return replace(task, **changes)  # type: ignore[arg-type]


def refused(world: World, code: ErrorCode, call: object, *args: object, **kw: object) -> None:
    before = world.counts()
    with pytest.raises(TaskError) as exc:
        call(*args, **kw)  # type: ignore[operator]
    assert exc.value.code is code, exc.value
    assert world.counts() == before


def test_from_assignment_to_confirmed_completion_with_an_extension(world: World) -> None:
    svc = world.service
    task = svc.assign(conclusion_task(), actor="vpcp.theodoi")
    assert task.code == f"NV-2027-{VPCP}-00001"
    assert task.state is TaskState.ASSIGNED
    assert task.next_due == date(2027, 2, 11)  # rolled past Tết

    svc.receive(task.code, MOF, "mof.vanthu")
    world.days(10)
    svc.report_progress(task.code, MOF, "mof.chuyenvien", "Đã lấy ý kiến các bộ, ngành.")
    svc.request_extension(task.code, MOF, "mof.lanhdao", date(2027, 3, 15), "Chờ ý kiến thẩm định")
    granted = svc.grant_extension(task.code, VPCP, "vpcp.theodoi")
    assert granted.row.due_on == date(2027, 3, 15)
    assert granted.row.original_due_on == date(2027, 2, 6)
    assert granted.row.extensions_granted == 1

    world.days(40)  # 23 Feb 2027: past the original deadline, within the extension
    assert svc.get(task.code, MOF).timeliness is Timeliness.ON_TRACK
    proposed = svc.propose_complete(
        task.code,
        MOF,
        "mof.lanhdao",
        Evidence(document_id="f0e1d2c3-0000-4000-8000-000000000002"),
    )
    assert proposed.state is TaskState.PROPOSED_COMPLETE
    world.days(3)
    done = svc.confirm_complete(task.code, VPCP, "vpcp.lanhdao")
    assert done.state is TaskState.COMPLETED
    assert done.row.completed_on == date(2027, 2, 23)
    assert done.timeliness is Timeliness.DONE_ON_TIME

    history = svc.history(task.code, MOST)  # a coordinating agency sees the history
    assert [e.action for e in history] == [
        "assign",
        "receive",
        "report_progress",
        "request_extension",
        "grant_extension",
        "propose_complete",
        "confirm_complete",
    ]
    grant = history[4]
    assert grant.note == {"previous_due_on": "2027-02-06", "due_on": "2027-03-15"}
    assert grant.agency_code == VPCP and grant.actor == "vpcp.theodoi"
    stats = {s.agency_code: s for s in svc.stats(VPCP)}
    assert stats[MOF].done_on_time == 1 and stats[MOF].extensions == 1 and stats[MOF].rate == 1.0


def test_a_return_sends_the_task_back_and_lateness_is_counted(world: World) -> None:
    svc = world.service
    code = svc.assign(conclusion_task(), actor="vpcp").code
    svc.receive(code, MOF, "mof")
    svc.propose_complete(code, MOF, "mof", Evidence(file_name="bao-cao.pdf", content=b"%PDF-1"))
    returned = svc.return_for_work(code, VPCP, "vpcp", "Chưa đủ ý kiến của Bộ Tư pháp")
    assert returned.state is TaskState.RETURNED and returned.row.proposed_on is None
    world.days(45)  # 18 Feb 2027, past the rolled deadline of 11 Feb
    assert svc.get(code, VPCP).timeliness is Timeliness.OVERDUE
    svc.propose_complete(code, MOF, "mof", Evidence(document_id="doc-2"))
    done = svc.confirm_complete(code, VPCP, "vpcp")
    assert done.timeliness is Timeliness.DONE_LATE
    assert [s.done_late for s in svc.stats(None)] == [1]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"lead_code": ""}, ErrorCode.TASK_LEAD_AGENCY_INVALID),
        ({"lead_code": "000.00.00.X99"}, ErrorCode.TASK_LEAD_AGENCY_INVALID),
        ({"lead_code": MIC}, ErrorCode.TASK_LEAD_AGENCY_INVALID),  # ended before 2027
        ({"deadline": Deadline.on(date(2027, 1, 3))}, ErrorCode.TASK_DEADLINE_INVALID),
        ({"title": "  "}, ErrorCode.TASK_INVALID),
        ({"coordinator_codes": (MOF,)}, ErrorCode.TASK_INVALID),
        ({"coordinator_codes": ("000.00.00.X98",)}, ErrorCode.TASK_INVALID),
    ],
)
def test_a_bad_assignment_is_refused_and_nothing_is_stored(
    world: World, changes: dict[str, object], code: ErrorCode
) -> None:
    refused(world, code, world.service.assign, conclusion_task(**changes), actor="vpcp")


def test_only_the_lead_acts_as_lead_and_strangers_do_not_see_the_task(world: World) -> None:
    svc = world.service
    code = svc.assign(conclusion_task(), actor="vpcp").code
    svc.receive(code, MOF, "mof")
    evidence = Evidence(file_name="ket-qua.pdf", content=b"%PDF-1.7 evidence")
    # The assigning office cannot complete the task for the lead; a coordinator neither.
    refused(world, ErrorCode.TASK_NOT_LEAD, svc.propose_complete, code, VPCP, "vpcp", evidence)
    refused(world, ErrorCode.TASK_NOT_LEAD, svc.propose_complete, code, MOST, "most", evidence)
    # Another agency's task does not exist for Nghệ An (IDOR by code): no oracle, no write.
    refused(world, ErrorCode.TASK_NOT_FOUND, svc.report_progress, code, NGHE_AN, "na", "Xong")
    refused(world, ErrorCode.TASK_NOT_FOUND, svc.get, code, NGHE_AN)
    refused(world, ErrorCode.TASK_NOT_FOUND, svc.get, "NV-2027-nothing", MOF)
    assert svc.tasks(NGHE_AN) == []
    # The lead cannot confirm itself; a proposal needs evidence.
    refused(
        world, ErrorCode.TASK_EVIDENCE_REQUIRED, svc.propose_complete, code, MOF, "m", Evidence()
    )
    svc.propose_complete(code, MOF, "mof", evidence)
    refused(world, ErrorCode.TASK_NOT_ASSIGNER, svc.confirm_complete, code, MOF, "mof")


def test_no_extension_on_a_completed_task_and_no_double_request(world: World) -> None:
    svc = world.service
    code = svc.assign(conclusion_task(), actor="vpcp").code
    svc.receive(code, MOF, "mof")
    refused(
        world,
        ErrorCode.TASK_EXTENSION_INVALID,
        svc.request_extension,
        code,
        MOF,
        "mof",
        date(2027, 2, 1),
        "Earlier than the deadline",
    )
    svc.request_extension(code, MOF, "mof", date(2027, 3, 1), "Chờ số liệu")
    refused(
        world,
        ErrorCode.TASK_TRANSITION_INVALID,
        svc.request_extension,
        code,
        MOF,
        "mof",
        date(2027, 3, 10),
        "Again",
    )
    refused(world, ErrorCode.TASK_REASON_REQUIRED, svc.refuse_extension, code, VPCP, "vpcp", " ")
    svc.refuse_extension(code, VPCP, "vpcp", "Không có căn cứ")
    svc.propose_complete(code, MOF, "mof", Evidence(document_id="doc"))
    svc.confirm_complete(code, VPCP, "vpcp")
    refused(
        world,
        ErrorCode.TASK_TRANSITION_INVALID,
        svc.request_extension,
        code,
        MOF,
        "mof",
        date(2027, 4, 1),
        "Late",
    )


def test_replace_and_merge_point_to_a_task_of_the_same_office(world: World) -> None:
    svc = world.service
    first = svc.assign(conclusion_task(), actor="vpcp").code
    second = svc.assign(conclusion_task(title="Nhiệm vụ thay thế"), actor="vpcp").code
    refused(world, ErrorCode.TASK_NOT_FOUND, svc.replace, first, VPCP, "vpcp", "NV-x", "Lý do")
    replaced = svc.replace(first, VPCP, "vpcp", second, "Giao lại theo Thông báo 20/TB-VPCP")
    assert replaced.state is TaskState.REPLACED and replaced.row.successor_code == second
    assert replaced.timeliness is Timeliness.WITHDRAWN
    refused(world, ErrorCode.TASK_TRANSITION_INVALID, svc.cancel, first, VPCP, "vpcp", "Hủy")
    assert [t.code for t in svc.by_document(replaced.row.source_document_id or "", MOST)] == [
        first,
        second,
    ]


def test_reminders_and_lists_by_deadline_window(world: World) -> None:
    svc = world.service
    a = svc.assign(conclusion_task(deadline=Deadline.on(date(2027, 1, 8))), actor="vpcp").code
    b = svc.assign(conclusion_task(deadline=Deadline.on(date(2027, 3, 31))), actor="vpcp").code
    kinds = {r.code: r.kind for r in svc.reminders(date(2027, 1, 6))}
    assert kinds == {a: "before"}
    kinds = {r.code: r.kind for r in svc.reminders(date(2027, 1, 18))}
    assert kinds == {a: "escalate"}
    window = svc.tasks(VPCP, due_from=date(2027, 3, 1), due_to=date(2027, 3, 31))
    assert [t.code for t in window] == [b]


def test_a_timeliness_filter_finds_matches_past_the_first_page_and_agrees_with_the_model(
    world: World,
) -> None:
    svc = world.service
    late_start = [
        svc.assign(conclusion_task(deadline=Deadline.on(date(2027, 6, 30))), actor="vpcp").code
        for _ in range(4)
    ]  # on track: the first rows in id order
    overdue = [
        svc.assign(conclusion_task(deadline=Deadline.on(date(2027, 1, 8))), actor="vpcp").code
        for _ in range(2)
    ]
    soon = svc.assign(conclusion_task(deadline=Deadline.on(date(2027, 1, 21))), actor="vpcp")
    svc.assign(conclusion_task(deadline=Deadline.every(Recurrence.MONTHLY, 15)), actor="vpcp")
    svc.assign(conclusion_task(deadline=Deadline.open_ended()), actor="vpcp")
    done = svc.assign(conclusion_task(deadline=Deadline.on(date(2027, 1, 29))), actor="vpcp").code
    svc.receive(done, MOF, "mof")
    svc.propose_complete(done, MOF, "mof", Evidence(document_id="doc-1"))
    svc.confirm_complete(done, VPCP, "vpcp")
    svc.cancel(late_start[0], VPCP, "vpcp", "Không còn phù hợp")
    world.days(14)  # Mon 18 Jan 2027: two overdue, one due soon
    # the two overdue tasks come after a full first page of others
    found = svc.tasks(VPCP, timeliness_in=[Timeliness.OVERDUE], limit=2)
    assert [t.code for t in found] == overdue
    paged = svc.tasks(VPCP, timeliness_in=[Timeliness.OVERDUE], limit=1)
    assert [t.code for t in paged] == overdue[:1]
    after = svc.tasks(VPCP, timeliness_in=[Timeliness.OVERDUE], limit=1, after_id=paged[0].row.id)
    assert [t.code for t in after] == overdue[1:]
    assert svc.get(soon.code, VPCP).timeliness is Timeliness.DUE_SOON
    everything = svc.tasks(VPCP, limit=100)
    assert len(everything) == 10
    for bucket in Timeliness:
        expected = [t.code for t in everything if t.timeliness is bucket]
        got = [t.code for t in svc.tasks(VPCP, timeliness_in=[bucket], limit=100)]
        assert got == expected, bucket
    pair = [Timeliness.WITHDRAWN, Timeliness.DONE_ON_TIME]
    codes = [t.code for t in everything]
    both = sorted([late_start[0], done], key=codes.index)
    assert [t.code for t in svc.tasks(VPCP, timeliness_in=pair, limit=100)] == both
