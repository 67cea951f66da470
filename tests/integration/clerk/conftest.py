"""A hub with two agencies, a demo PKI, web users, and the app served in process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from lienthong.accounts.model import Role, ScryptParams
from lienthong.accounts.service import AccountService
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.trust.pki import DemoPKI
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.support import GOV_OFFICE, NGHE_AN, NOW, container_for, register
from tests.support_pdf import make_pki
from tests.web_server import ThreadedServer

PASSWORD = "mat-khau-dai-1"
USERS = {
    "vanthu.vpcp": (GOV_OFFICE, Role.CLERK),
    "lanhdao.vpcp": (GOV_OFFICE, Role.LEADER),
    "vanthu.nghean": (NGHE_AN, Role.CLERK),
    "chuyenvien.nghean": (NGHE_AN, Role.SPECIALIST),
    "vanhanh": (GOV_OFFICE, Role.OPERATOR),
}
# People's names (pages show these, never the login names above).
NAMES = {
    "vanthu.vpcp": "Trần Thị Thu",
    "lanhdao.vpcp": "Nguyễn Văn Minh",
    "vanthu.nghean": "Lê Thị Hoa",
    "chuyenvien.nghean": "Phạm Văn Nam",
    "vanhanh": "Đỗ Văn Hùng",
}


@pytest.fixture(scope="session")
def clerk_pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPKI:
    return make_pki(tmp_path_factory.mktemp("clerk-pki"), NOW)


@dataclass
class Office:
    container: Container
    clock: FixedClock
    server: ThreadedServer

    @property
    def app_client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=60, follow_redirects=True)

    def login(self, username: str) -> httpx.Client:
        client = self.app_client
        page = client.get("/dang-nhap")
        token = csrf_of(page.text)
        answer = client.post(
            "/dang-nhap",
            data={"username": username, "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def sign_draft(leader: httpx.Client, draft_url: str) -> httpx.Response:
    """The leader signs as on the page: the confirmation page, then "Xác nhận ký"."""
    confirm = leader.get(draft_url + "/ky")
    assert confirm.status_code == 200, confirm.text
    assert "Xác nhận ký" in confirm.text
    return leader.post(
        draft_url + "/ky", data={"csrf_token": csrf_of(confirm.text), "xac_nhan": "1"}
    )


def make_office(db: Database, tmp_path: Path, pki: DemoPKI, **settings: object) -> Office:
    clock = FixedClock(NOW)
    container = container_for(db, tmp_path, clock, pki_dir=pki.out_dir, **settings)
    register(container, GOV_OFFICE, "Văn phòng Chính phủ")
    register(container, NGHE_AN, "UBND tỉnh Nghệ An")
    accounts = AccountService(db, clock, scrypt=ScryptParams(n=2**10))
    container.accounts = accounts
    assert container.clerk is not None
    container.clerk.accounts = accounts
    for username, (agency, role) in USERS.items():
        accounts.create_user(username, NAMES[username], agency, [role], PASSWORD)
    return Office(container, clock, ThreadedServer(create_app(container=container)).start())


@pytest.fixture
def office(db: Database, tmp_path: Path, clerk_pki: DemoPKI) -> Iterator[Office]:
    made = make_office(db, tmp_path, clerk_pki)
    yield made
    made.server.stop()
