"""The hub app served by uvicorn on a free loopback port with the demo registry (real HTTP,
real database), for the task API and page tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.tasks.store import TaskEventRow, TaskRow
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.hub_process import free_port
from tests.support import container_for

VPCP, MOF, NGHE_AN, MIC = "000.00.00.G22", "000.00.00.G12", "000.00.00.H41", "000.00.00.G14"
NOW = datetime(2027, 1, 4, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội


@dataclass
class Hub:
    url: str
    db: Database
    clock: FixedClock
    secrets: dict[str, str]
    container: Container

    def client(self, agency: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, auth=(agency, self.secrets[agency]), timeout=20)

    def stored(self) -> tuple[int, int]:
        with self.db.read() as session:
            tasks = session.scalar(select(func.count()).select_from(TaskRow)) or 0
            events = session.scalar(select(func.count()).select_from(TaskEventRow)) or 0
        return int(tasks), int(events)


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Iterator[Hub]:
    clock = FixedClock(NOW)
    container = container_for(db, tmp_path, clock)
    container.agencies.register_all(DEMO_AGENCIES)
    secrets = {c: container.agencies.issue_credentials(c)[1] for c in (VPCP, MOF, NGHE_AN)}
    port = free_port()
    config = uvicorn.Config(
        create_app(container=container), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the hub did not start"
        time.sleep(0.02)
    try:
        yield Hub(f"http://127.0.0.1:{port}", db, clock, secrets, container)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
