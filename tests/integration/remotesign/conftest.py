"""A hub whose leaders sign through the demo remote signing service, served by its own
uvicorn server on loopback (real HTTP), on the same test database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from lienthong.clerk.remote import CscClient, RemoteSigner
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.remotesign import store
from lienthong.remotesign.app import create_service_app
from lienthong.remotesign.service import Holding, RemoteSigningService
from lienthong.trust.pki import DemoPKI
from tests.integration.clerk.conftest import NAMES, Office, clerk_pki, make_office
from tests.support import GOV_OFFICE, NOW
from tests.web_server import ThreadedServer

__all__ = ["clerk_pki"]  # fixtures used here

TOKEN = "hub-token-for-tests"


@dataclass
class Remote:
    office: Office
    service: RemoteSigningService
    server: ThreadedServer
    clock: FixedClock
    pki: DemoPKI

    def last_code(self, user_id: str = "lanhdao.vpcp") -> str:
        """The one-time code of the newest SMS to ``user_id`` (the demo outbox)."""
        with self.service.db.read() as session:
            text = store.sms_of(session, user_id, limit=1)[0].text
        found = re.search(r"\b(\d{6})\b", text)
        assert found is not None, text
        return found.group(1)

    def last_request(self, user_id: str = "lanhdao.vpcp") -> str:
        with self.service.db.read() as session:
            return store.sms_of(session, user_id, limit=1)[0].request_id


@pytest.fixture(scope="session")
def leader_credential(clerk_pki: DemoPKI) -> object:
    """The leader's own personal certificate (CN = the leader's name, UID = the agency)."""
    return clerk_pki.issue_custom(
        common_name=NAMES["lanhdao.vpcp"],
        title="Bộ trưởng, Chủ nhiệm",
        agency_code=GOV_OFFICE,
        organisation="Văn phòng Chính phủ",
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=700),
    )


def make_remote(db: Database, tmp_path: Path, pki: DemoPKI, holdings: list[Holding]) -> Remote:
    clock = FixedClock(NOW)
    service = RemoteSigningService(
        db=db, clock=clock, pki=pki, holdings=holdings, tokens={TOKEN: "Trục liên thông (thử)"}
    )
    server = ThreadedServer(create_service_app(service)).start()
    service.approval_base = server.url
    office = make_office(db, tmp_path, pki)
    assert office.container.clerk is not None
    office.container.clerk.remote = RemoteSigner(CscClient(f"{server.url}/csc/v2", TOKEN))
    return Remote(office, service, server, clock, pki)


@pytest.fixture
def remote(
    db: Database, tmp_path: Path, clerk_pki: DemoPKI, leader_credential: object
) -> Iterator[Remote]:
    holding = Holding("cks-lanhdao-vpcp", "lanhdao.vpcp", leader_credential)  # type: ignore[arg-type]
    made = make_remote(db, tmp_path, clerk_pki, [holding])
    yield made
    made.server.stop()
    made.office.server.stop()
