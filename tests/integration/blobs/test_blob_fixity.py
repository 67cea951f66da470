"""Fixity audits on a real hub: a corrupted or vanished blob is reported (log, audit event,
exit code), a sound store reports nothing, and the periodic job runs the audit when due."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from lienthong.audit.store import AuditEvent
from lienthong.blobs.fixity import check_fixity
from lienthong.blobs.gc import Collector, PeriodicCollector, blob_columns
from lienthong.blobs.local import LocalBlobStore
from lienthong.db import Database
from lienthong.schema import load_all
from lienthong.web.container import Container
from tests.support import GOV_OFFICE, NGHE_AN, container_for, document_bytes, register, send


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Container:
    container = container_for(db, tmp_path)
    register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    for n in range(3):
        send(
            container,
            GOV_OFFICE,
            document_bytes(
                GOV_OFFICE,
                [NGHE_AN],
                number=str(200 + n),
                attachments={"a.pdf": b"%PDF-1.4 " + str(n).encode()},
            ),
        )
    return container


def blob_path(container: Container, digest: str) -> Path:
    assert isinstance(container.blobs, LocalBlobStore)
    return container.blobs.root / digest[:2] / digest[2:4] / digest


def audit_events(container: Container) -> list[AuditEvent]:
    with container.db.read() as session:
        rows = list(
            session.scalars(select(AuditEvent).where(AuditEvent.action == "blobs.fixity_checked"))
        )
        session.expunge_all()
        return rows


def fixity(container: Container):  # type: ignore[no-untyped-def]
    return check_fixity(container.db, container.blobs, blob_columns(load_all()), container.clock)


def test_a_sound_store_passes_and_the_audit_is_recorded(hub: Container) -> None:
    report = fixity(hub)
    assert report.ok and report.checked >= 6  # three packages and their attachments
    (event,) = audit_events(hub)
    assert event.detail["ok"] is True and event.detail["checked"] == report.checked


def test_a_corrupted_blob_and_a_vanished_one_are_reported(hub: Container) -> None:
    digests = sorted(d for d, _at in hub.blobs.iter_blobs())
    corrupted, vanished = digests[0], digests[1]
    path = blob_path(hub, corrupted)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit flipped
    path.write_bytes(bytes(data))
    blob_path(hub, vanished).unlink()

    report = fixity(hub)
    assert not report.ok
    assert report.mismatched == [corrupted]
    assert report.missing == [vanished]
    (event,) = audit_events(hub)
    assert event.detail["mismatched"] == [corrupted] and event.detail["missing"] == [vanished]


def test_the_periodic_job_runs_the_audit_only_when_due(hub: Container, tmp_path: Path) -> None:
    collector = Collector(
        db=hub.db,
        blobs=hub.blobs,
        columns=blob_columns(load_all()),
        clock=hub.clock,
        grace=timedelta(hours=24),
        data_dir=hub.settings.data_dir,
        staging_dir=hub.settings.staging_dir,
    )
    never = PeriodicCollector(collector, 3600, fixity_interval=0)
    assert never.fixity_if_due() is False
    later = PeriodicCollector(collector, 3600, fixity_interval=3600)
    assert later.fixity_if_due() is False and audit_events(hub) == []
    due = PeriodicCollector(collector, 3600, fixity_interval=1e-9)
    assert due.fixity_if_due() is True
    assert len(audit_events(hub)) == 1
