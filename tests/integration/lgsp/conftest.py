"""The hub app served by uvicorn in a thread on a loopback port (real HTTP) over the ``db``
fixture (a SQLite file, then PostgreSQL), with the shipped settings (trust policy
``enforce``), a fixed clock the tests move, and a few agencies connected in the LGSP style."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lienthong.agencies.store import AgencyRow
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.lgsp.service import IssuedConsumer
from lienthong.lgsp.store import ConsumerRow, TokenRow, UnitRow
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.lgsp_client import LgspClient
from tests.support import CAO_BANG, GOV_OFFICE, NGHE_AN, NOW, container_for, counts, register
from tests.web_server import ThreadedServer

NA_FINANCE = "000.00.10.H41"  # Sở Tài chính Nghệ An, under NGHE_AN
NA_DISTRICT = "000.00.31.H41"  # UBND thành phố Vinh, under NGHE_AN (not connected)


@dataclass
class Lgsp:
    url: str
    container: Container
    clock: FixedClock
    issued: dict[str, IssuedConsumer]
    axis_secrets: dict[str, str]
    clients: list[LgspClient] = field(default_factory=list)

    def secret(self, code: str) -> str:
        unit = self.issued[code].unit_secret
        assert unit is not None
        return unit

    def client(self, code: str, *, token: bool = True) -> LgspClient:
        issued = self.issued[code]
        client = LgspClient(self.url, issued.consumer_key, issued.consumer_secret)
        self.clients.append(client)
        if token:
            client.generate()
        return client

    def rows(self) -> tuple[int, int, int, int, object]:
        """Everything a refusal must leave as it was: LGSP rows, agencies, the exchange's."""
        with self.container.db.read() as session:

            def n(model: object) -> int:
                return int(session.scalar(select(func.count()).select_from(model)) or 0)  # type: ignore[arg-type]

            lgsp = (n(ConsumerRow), n(TokenRow), n(UnitRow), n(AgencyRow))
        return (*lgsp, counts(self.container))


@pytest.fixture
def lgsp(db: Database, tmp_path: Path) -> Iterator[Lgsp]:
    clock = FixedClock(NOW)
    container = container_for(db, tmp_path, clock)
    axis_secrets = {
        GOV_OFFICE: register(container, GOV_OFFICE, "Văn phòng Chính phủ"),
        NGHE_AN: register(container, NGHE_AN, "Ủy ban nhân dân tỉnh Nghệ An"),
        CAO_BANG: register(container, CAO_BANG, "Ủy ban nhân dân tỉnh Cao Bằng"),
    }
    register(container, NA_FINANCE, "Sở Tài chính tỉnh Nghệ An", level=2, parent_code=NGHE_AN)
    register(container, NA_DISTRICT, "Ủy ban nhân dân thành phố Vinh", level=2, parent_code=NGHE_AN)
    assert container.lgsp is not None
    issued = {code: container.lgsp.issue_consumer(code) for code in (GOV_OFFICE, NGHE_AN, CAO_BANG)}
    issued[NA_FINANCE] = container.lgsp.issue_consumer(NA_FINANCE)
    server = ThreadedServer(create_app(container=container)).start()
    served = Lgsp(server.url, container, clock, issued, axis_secrets)
    try:
        yield served
    finally:
        for client in served.clients:
            client.close()
        server.stop()
        container.close()
