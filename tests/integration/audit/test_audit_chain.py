"""The audit chain on SQLite and PostgreSQL: sealing after commit, and every tampering caught.

Tampering is done as an intruder with database access would: plain SQL on the tables.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from lienthong.audit.service import AuditService
from lienthong.audit.store import record
from lienthong.cli import app
from lienthong.clock import FixedClock
from lienthong.db import Database
from tests.support import NOW


def write_events(db: Database, n: int, clock: FixedClock, start: int = 0) -> None:
    for i in range(start, start + n):
        with db.unit_of_work() as session:
            record(
                session,
                at=clock.now(),
                actor="000.00.00.H41",
                action="document.sent",
                subject=f"doc-{i}",
                detail={"message_id": f"m{i}", "tên": "Công văn số 101"},
            )
        clock.advance(timedelta(seconds=1))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def audit(db: Database, clock: FixedClock) -> AuditService:
    write_events(db, 6, clock)
    service = AuditService(db, clock, batch=4)
    assert service.seal() == 6
    return service


def sql(db: Database, statement: str, **params: object) -> None:
    with db.engine.connect() as conn:
        conn.execute(text(statement), params)
        conn.commit()


def test_seals_every_committed_row_and_verifies_the_chain(audit: AuditService) -> None:
    report = audit.verify()
    assert report.ok and report.links == 6 and report.unsealed == 0
    assert report.broken is None and report.head_seq == 6


def test_sealing_again_links_only_new_rows(
    db: Database, audit: AuditService, clock: FixedClock
) -> None:
    write_events(db, 3, clock, start=6)
    assert audit.verify().unsealed == 3
    assert audit.seal() == 3
    assert audit.seal() == 0
    report = audit.verify()
    assert report.ok and report.links == 9


def test_detects_a_changed_detail(db: Database, audit: AuditService) -> None:
    sql(db, "UPDATE audit_events SET detail = :d WHERE id = 3", d='{"message_id": "forged"}')
    report = audit.verify()
    assert not report.ok and report.broken is not None
    assert (report.broken.kind, report.broken.event_id, report.broken.seq) == ("changed", 3, 3)


def test_detects_a_changed_time(db: Database, audit: AuditService) -> None:
    sql(db, "UPDATE audit_events SET at = :at WHERE id = 5", at=NOW - timedelta(days=1))
    report = audit.verify()
    assert report.broken is not None and (report.broken.kind, report.broken.event_id) == (
        "changed",
        5,
    )


def test_detects_a_deleted_row(db: Database, audit: AuditService) -> None:
    sql(db, "DELETE FROM audit_events WHERE id = 2")
    report = audit.verify()
    assert report.broken is not None
    assert (report.broken.kind, report.broken.event_id) == ("removed", 2)


def test_detects_a_deleted_row_with_its_link(db: Database, audit: AuditService) -> None:
    sql(db, "DELETE FROM audit_events WHERE id = 4")
    sql(db, "DELETE FROM audit_chain WHERE event_id = 4")
    report = audit.verify()
    assert report.broken is not None and (report.broken.kind, report.broken.seq) == ("removed", 4)


def test_detects_two_swapped_rows(db: Database, audit: AuditService) -> None:
    # Swap the ids of rows 2 and 3: the same rows, in another order.
    sql(db, "UPDATE audit_events SET id = 1000 WHERE id = 2")
    sql(db, "UPDATE audit_events SET id = 2 WHERE id = 3")
    sql(db, "UPDATE audit_events SET id = 3 WHERE id = 1000")
    report = audit.verify()
    assert report.broken is not None
    assert (report.broken.kind, report.broken.event_id) == ("changed", 2)


def test_detects_reordered_links(db: Database, audit: AuditService) -> None:
    # Swap the chain positions of rows 2 and 3 (hashes stay as they were).
    sql(db, "UPDATE audit_chain SET seq = 1000 WHERE seq = 2")
    sql(db, "UPDATE audit_chain SET seq = 2 WHERE seq = 3")
    sql(db, "UPDATE audit_chain SET seq = 3 WHERE seq = 1000")
    report = audit.verify()
    assert report.broken is not None and (report.broken.kind, report.broken.seq) == ("relinked", 2)


def test_a_signed_checkpoint_catches_a_truncated_tail(db: Database, audit: AuditService) -> None:
    point = audit.checkpoint()
    assert point is not None and point.seq == 6
    sql(db, "DELETE FROM audit_chain WHERE seq >= 5")
    sql(db, "DELETE FROM audit_events WHERE id >= 5")
    report = audit.verify()
    assert report.broken is not None and report.broken.kind == "truncated"


def test_a_row_committed_late_below_the_head_is_still_sealed(
    db: Database, audit: AuditService, clock: FixedClock
) -> None:
    # PostgreSQL hands out ids before commit: id 100 may commit after id 101 was sealed.
    for event_id in (101, 100):
        sql(
            db,
            "INSERT INTO audit_events (id, at, actor, action, subject, detail) "
            "VALUES (:id, :at, 'x', 'late', NULL, '{}')",
            id=event_id,
            at=clock.now(),
        )
        assert audit.seal() == 1
    report = audit.verify()
    assert report.ok and report.links == 8


def test_concurrent_writers_and_sealers_build_one_chain(db: Database, clock: FixedClock) -> None:
    service = AuditService(db, clock, batch=7)
    stop = threading.Event()
    errors: list[BaseException] = []

    def sealer() -> None:
        try:
            while not stop.is_set():
                service.seal()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def writer(start: int) -> None:
        write_events(db, 15, FixedClock(NOW), start=start)

    sealers = [threading.Thread(target=sealer) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(i * 100,)) for i in range(3)]
    for t in sealers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in sealers:
        t.join()
    assert not errors
    service.seal()
    report = service.verify()
    assert report.ok and report.links == 45 and report.unsealed == 0


def test_the_verify_command_exits_1_on_a_tampered_log(
    db: Database, audit: AuditService, tmp_path: Path
) -> None:
    url = db.engine.url.render_as_string(hide_password=False)
    env = {"LIENTHONG_DATABASE_URL": url, "LIENTHONG_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    intact = runner.invoke(app, ["audit", "verify"], env=env)
    assert intact.exit_code == 0, intact.output
    sql(db, "UPDATE audit_events SET actor = 'someone' WHERE id = 1")
    broken = runner.invoke(app, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert '"kind": "changed"' in broken.output and '"event_id": 1' in broken.output


def test_sealing_and_verifying_report_their_progress(
    db: Database, audit: AuditService, clock: FixedClock
) -> None:
    write_events(db, 9, clock, start=6)
    assert audit.unsealed() == 9
    sealed: list[int] = []
    assert audit.seal(progress=sealed.append) == 9
    assert sealed == [4, 4, 1]  # one call per batch of 4
    assert audit.chain_length() == 15
    walked: list[int] = []
    assert audit.verify(progress=walked.append).ok
    assert sum(walked) == 15 and len(walked) == 4
