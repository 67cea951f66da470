"""The living demo's tasks: replayed through the service, every kind of outcome present, and a
second run adds nothing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.agencies.service import AgencyService
from lienthong.blobs.local import LocalBlobStore
from lienthong.calendar import WorkingCalendar
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.secrets import Sealer
from lienthong.tasks.demo import TOTAL, seed_demo_tasks
from lienthong.tasks.model import Timeliness, agency_stats
from lienthong.tasks.service import TaskService

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def test_the_demo_tasks_cover_every_outcome_and_are_idempotent(
    db: Database, tmp_path: Path
) -> None:
    clock = FixedClock(NOW)
    agencies = AgencyService(db, Sealer(b"d" * 32), clock)
    agencies.register_all(DEMO_AGENCIES)
    service = TaskService(db, clock, agencies, LocalBlobStore(tmp_path / "b"), WorkingCalendar())
    first = seed_demo_tasks(service, clock, NOW)
    assert first["tasks"] == TOTAL and first["task_events"] > 3 * TOTAL
    assert clock.now() == NOW
    tasks = service.tasks(None, limit=1000)
    seen = Counter(t.timeliness for t in tasks)
    for kind in (Timeliness.DONE_ON_TIME, Timeliness.DONE_LATE, Timeliness.OVERDUE):
        assert seen[kind] > 0, seen
    assert any(t.row.extensions_granted for t in tasks)
    assert any(t.row.deadline_kind == "periodic" for t in tasks)
    assert {t.row.lead_code for t in tasks} >= {"000.00.00.G12", "H01"}
    # The database's counts agree with the rules applied task by task.
    by_rule = agency_stats(
        [(t.row.lead_code, t.timeliness, t.row.extensions_granted) for t in tasks]
    )
    assert service.stats(None) == by_rule
    again = seed_demo_tasks(service, clock, NOW)
    assert again == first  # nothing added
    assert len(service.tasks(None, limit=1000)) == TOTAL
