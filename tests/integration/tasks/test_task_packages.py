"""Task packages through the intake of a hub in a federation (SQLite and PostgreSQL): an
assignment to a lead agency served by another hub leaves as a signed edXML package (recorded
here in the same transaction, queued for the other hub); the lead's report that comes back is
recorded once; every refusal has its own code and stores nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lienthong.agencies.model import Level, NewAgency
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.errors import LienthongError
from lienthong.federation.store import OutboxRow
from lienthong.tasks import packages
from lienthong.tasks.model import Action, Deadline, NewTask, TaskState
from lienthong.tasks.store import TaskEventRow, TaskRow
from lienthong.web.container import Container
from tests.support import container_for, counts, send, sign_as

VPCP, MOF, MIC = "000.00.00.G22", "000.00.00.G12", "000.00.00.G14"
NOW = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)
OTHER_HUB = "000.00.00.H99"


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Container:
    container = container_for(
        db, tmp_path, FixedClock(NOW), hub_id="000.00.00.G22", national_hub_id="000.00.00.G22"
    )
    container.agencies.register(NewAgency(code=VPCP, name="Văn phòng Chính phủ", level=Level(1)))
    for code, name in ((MOF, "Bộ Tài chính"), (MIC, "Bộ Thông tin và Truyền thông")):
        container.agencies.register(
            NewAgency(code=code, name=name, level=Level(1), hub_code=OTHER_HUB)
        )
    assert container.tasks is not None
    container.tasks.sign = sign_as
    return container


def stored(container: Container) -> tuple[int, int, int, int]:
    c = counts(container)
    with container.db.read() as session:
        tasks = session.scalar(select(func.count()).select_from(TaskRow)) or 0
        events = session.scalar(select(func.count()).select_from(TaskEventRow)) or 0
    return int(tasks), int(events), c.messages, c.documents


def assign(container: Container) -> str:
    assert container.tasks is not None
    task = container.tasks.assign(
        NewTask(
            title="Báo cáo tình hình giải ngân vốn đầu tư công",
            content="Báo cáo Thủ tướng Chính phủ trước ngày 15/02/2027.",
            assigner_code=VPCP,
            lead_code=MOF,
            assigned_on=date(2027, 1, 4),
            deadline=Deadline.on(date(2027, 2, 15)),
        ),
        actor="chuyên viên VPCP",
    )
    return task.code


def report(
    container: Container, code: str, sender: str = MOF, *, number: int = 2, **kw: object
) -> bytes:
    with container.db.read() as session:
        row = session.scalars(select(TaskRow).where(TaskRow.code == code)).first()
        assignment = (
            session.scalar(
                select(TaskEventRow.package_document_id).where(
                    TaskEventRow.task_id == row.id, TaskEventRow.action == "assign"
                )
            )
            if row is not None
            else "000.00.00.G22,2027/01/04,1/NV-X"
        )
    message = packages.TaskMessage(
        action=Action.REPORT_PROGRESS,
        code=code,
        sender=sender,
        recipient=VPCP,
        on=date(2027, 1, 20),
        at=datetime(2027, 1, 20, 3, 0, tzinfo=UTC),
        actor="Vụ Đầu tư, Bộ Tài chính",
        number=number,
        assignment_document_id=assignment,
        note={"text": "Đã giải ngân 12,5% kế hoạch."},
    )
    message = replace(message, **kw)  # type: ignore[arg-type]
    data = packages.compose(message, title="Báo cáo tiến độ", text="Đã giải ngân 12,5%.")
    return sign_as(sender, data)


def refused(container: Container, agency: str, data: bytes) -> str:
    with pytest.raises(LienthongError) as caught:
        send(container, agency, data)
    return str(caught.value.code)


def test_an_assignment_to_another_hubs_agency_leaves_as_a_package_recorded_once(
    hub: Container,
) -> None:
    code = assign(hub)
    assert stored(hub)[:2] == (1, 1)
    with hub.db.read() as session:
        package = session.scalars(select(TaskEventRow.package_document_id)).one()
        outbox = session.execute(select(OutboxRow.next_hop, OutboxRow.targets)).one()
    assert package == f"{VPCP},2027/01/04,1/{code}"
    assert tuple(outbox) == (OTHER_HUB, [MOF])
    assert counts(hub).deliveries == 0  # it waits for the other hub, not in a local inbox

    assert isinstance(hub.clock, FixedClock)
    hub.clock.set(datetime(2027, 1, 20, 4, 0, tzinfo=UTC))
    data = report(hub, code)
    send(hub, MOF, data)
    again = send(hub, MOF, data)  # the same package twice: the original acceptance
    assert again.replay
    assert hub.tasks is not None
    task = hub.tasks.get(code, VPCP)
    assert task.state is TaskState.IN_PROGRESS
    steps = [(e.action, e.agency_code) for e in hub.tasks.history(code, VPCP)]
    assert steps == [("assign", VPCP), ("report_progress", MOF)]
    assert task.reports == (date(2027, 1, 20),)
    assert counts(hub).deliveries == 1  # the report reaches the office's inbox


def test_a_report_for_another_agencys_task_is_refused_and_nothing_is_stored(
    hub: Container,
) -> None:
    code = assign(hub)
    before = stored(hub)
    assert refused(hub, MIC, report(hub, code, MIC)) == "TASK_PACKAGE_NOT_PARTY"
    assert stored(hub) == before


def test_a_report_for_an_unknown_task_is_refused_and_nothing_is_stored(hub: Container) -> None:
    code = assign(hub)
    before = stored(hub)
    data = report(hub, "NV-2027-000.00.00.G22-09999")
    assert refused(hub, MOF, data) == "TASK_PACKAGE_UNKNOWN_TASK"
    # A real code with an assignment package that is not the one this hub sent.
    other = report(hub, code, assignment_document_id=f"{VPCP},2027/01/04,7/{code}", number=3)
    assert refused(hub, MOF, other) == "TASK_PACKAGE_UNKNOWN_TASK"
    assert stored(hub) == before


def test_forged_task_packages_are_refused_and_nothing_is_stored(hub: Container) -> None:
    code = assign(hub)
    before = stored(hub)
    # An agency passing off a task as the Government Office's.
    fake = packages.TaskMessage(
        action=Action.ASSIGN,
        code="NV-2027-000.00.00.G22-00077",
        sender=MOF,
        recipient=VPCP,
        on=date(2027, 1, 5),
        at=NOW,
        actor="x",
        number=1,
        task={
            "code": "NV-2027-000.00.00.G22-00077",
            "title": "Nhiệm vụ giả",
            "assigner": VPCP,
            "lead": VPCP,
            "assigned_on": "2027-01-05",
            "deadline": {"kind": "none"},
        },
    )
    data = sign_as(MOF, packages.compose(fake, title="Nhiệm vụ giả"))
    assert refused(hub, MOF, data) == "TASK_PACKAGE_FORGED"
    # The payload claims a step the signed header does not (a report dressed as a decision).
    header_says_other = report(hub, code).replace(
        b"<edXML:SteeringType>2<", b"<edXML:SteeringType>5<"
    )
    assert header_says_other != report(hub, code)
    assert refused(hub, MOF, sign_as(MOF, _unsigned(header_says_other))) == ("TASK_PACKAGE_FORGED")
    # A report signed by another organisation than its sender: the trust policy refuses it.
    assert refused(hub, MOF, sign_as(MIC, _unsigned(report(hub, code)))) == "SIGNER_NOT_SENDER"
    assert stored(hub) == before


def _unsigned(data: bytes) -> bytes:
    from lxml import etree

    root = etree.fromstring(data)
    for signature in root.iter("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        parent = signature.getparent()
        assert parent is not None
        parent.remove(signature)
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out
