"""Fixtures for the portal's integration tests: the real service on the ``db`` fixture (SQLite
file and PostgreSQL), the demo registry and the demo catalogue."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.agencies.service import AgencyService
from lienthong.calendar import WorkingCalendar
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.portal.demo import DEMO_CATALOGUE
from lienthong.portal.service import PortalService
from lienthong.portal.store import DossierEventRow, DossierRow, StatRow
from lienthong.secrets import Sealer

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # Friday 09:00 in Hà Nội
NGHE_AN = "000.00.00.H41"
VINH = "000.00.31.H41"  # UBND thành phố Vinh (level 2, under Nghệ An)
CAO_BANG = "000.00.00.H14"
CB_JUSTICE = "000.00.10.H14"  # Sở Tư pháp Cao Bằng


@dataclass
class Portal:
    db: Database
    clock: FixedClock
    agencies: AgencyService
    service: PortalService

    def counts(self) -> tuple[int, int]:
        with self.db.read() as session:
            dossiers = session.scalar(select(func.count()).select_from(DossierRow)) or 0
            events = session.scalar(select(func.count()).select_from(DossierEventRow)) or 0
        return int(dossiers), int(events)

    def stat(self, agency: str, period: str) -> dict[str, int]:
        with self.db.read() as session:
            row = session.get(StatRow, (period, agency))
            if row is None:
                return {}
            return {c.name: getattr(row, c.name) for c in StatRow.__table__.columns}


@pytest.fixture
def portal(db: Database) -> Iterator[Portal]:
    clock = FixedClock(NOW)
    agencies = AgencyService(db, Sealer(b"m" * 32), clock)
    agencies.register_all(DEMO_AGENCIES)
    service = PortalService(db, clock, agencies, WorkingCalendar())
    service.import_catalogue(DEMO_CATALOGUE, actor="test")
    yield Portal(db, clock, agencies, service)
