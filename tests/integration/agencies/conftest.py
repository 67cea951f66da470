"""Fixtures for the registry's integration tests: the real service on the ``db`` fixture."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from lienthong.agencies.service import AgencyService
from lienthong.agencies.store import AgencyRow, CredentialRow
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.secrets import Sealer

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
MASTER_KEY = b"m" * 32

Snapshot = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def service(db: Database, clock: FixedClock) -> AgencyService:
    return AgencyService(db, Sealer(MASTER_KEY), clock)


@pytest.fixture
def snapshot(db: Database) -> Callable[[], Snapshot]:
    """Every row of both registry tables, to compare before and after a refusal."""

    def take() -> Snapshot:
        with db.read() as session:
            agencies = [
                tuple(getattr(row, c.key) for c in AgencyRow.__table__.columns)
                for row in session.scalars(select(AgencyRow).order_by(AgencyRow.code))
            ]
            credentials = [
                tuple(getattr(row, c.key) for c in CredentialRow.__table__.columns)
                for row in session.scalars(select(CredentialRow).order_by(CredentialRow.id))
            ]
        return agencies, credentials

    return take
