"""The hub app served by uvicorn in a thread on a free loopback port, with the demo registry
and catalogue (real HTTP, real database), for the portal's HTTP tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.portal.demo import DEMO_CATALOGUE
from lienthong.portal.service import PortalService
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.hub_process import free_port
from tests.support import NOW, container_for

SYSTEMS = ("000.00.00.H41", "000.00.00.H14", "000.00.00.G22")


@dataclass
class Served:
    url: str
    container: Container
    clock: FixedClock
    secrets: dict[str, str]

    def basic(self, agency: str) -> tuple[str, str]:
        return (agency, self.secrets[agency])


@contextmanager
def serve_portal(db: Database, tmp_path: Path) -> Iterator[Served]:
    clock = FixedClock(NOW)
    container = container_for(db, tmp_path, clock)
    container.agencies.register_all(DEMO_AGENCIES)
    secrets = {code: container.agencies.issue_credentials(code)[1] for code in SYSTEMS}
    PortalService(db, clock, container.agencies).import_catalogue(DEMO_CATALOGUE, actor="test")
    app = create_app(container=container)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the web server did not start")
        time.sleep(0.02)
    try:
        yield Served(f"http://127.0.0.1:{port}", container, clock, secrets)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
