"""One real hub per module, served over loopback HTTP, and the helper every hostile input goes
through: snapshot what is stored (every table's rows, the blob folder), send the input, check
the refusal's code, snapshot again and compare.

Modules run on a SQLite file; a module that sets ``BACKENDS = ["sqlite", "postgres"]`` runs
on PostgreSQL too (a few representative ones: the run stays short).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from lienthong.accounts.model import Role, ScryptParams
from lienthong.accounts.service import AccountService
from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.portal.demo import DEMO_CATALOGUE
from lienthong.portal.service import PortalService
from lienthong.schema import load_all
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.support import (
    CAO_BANG,
    GOV_OFFICE,
    NGHE_AN,
    NOW,
    container_for,
    document_bytes,
    send,
)
from tests.web_server import ThreadedServer

PASSWORD = "mat-khau-dai-1"
USERS = {
    "vanthu.vpcp": (GOV_OFFICE, [Role.CLERK], "Trần Thị Thu"),
    "vanthu.nghean": (NGHE_AN, [Role.CLERK], "Lê Thị Hoa"),
    "vanthu.caobang": (CAO_BANG, [Role.CLERK], "Hoàng Văn Tú"),
    "vanhanh": (GOV_OFFICE, [Role.OPERATOR, Role.PORTAL_OPERATOR], "Đỗ Văn Hùng"),
}

# Tables a refusal writes to by design, left out of the comparison: the monitoring centre
# counts refusals per agency and day; a failed sign-in is recorded for throttling; readiness
# probes and certificate-status answers are caches of the outside world.
BOOKKEEPING = frozenset({"stats_refusals", "login_failures", "health_probes", "revocation_answers"})


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames:
        backends = getattr(metafunc.module, "BACKENDS", ["sqlite"])
        params = [
            pytest.param(b, marks=pytest.mark.postgres) if b == "postgres" else b for b in backends
        ]
        metafunc.parametrize("backend", params, indirect=True, scope="module")


@pytest.fixture(scope="module")
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def hostile_db(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Database]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path_factory.mktemp("hostile-db") / "hub.db"
        shutil.copyfile(template, target)
        database = Database.from_url(f"sqlite:///{target}", sqlite_synchronous="NORMAL")
    else:
        url = request.getfixturevalue("pg_database_url")
        database = Database.from_url(url, pool_size=4)
        tables = ", ".join(f'"{t.name}"' for t in load_all().sorted_tables)
        with database.engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield database
    database.dispose()


@dataclass
class Hub:
    """A served hub, its agencies' secrets, and what the seed left for inputs to aim at."""

    container: Container
    server: ThreadedServer
    secrets: dict[str, str]
    seeded: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def db(self) -> Database:
        return self.container.db

    def http(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, **kw)

    def basic(self, code: str) -> tuple[str, str]:
        return (code, self.secrets[code])

    def login(self, username: str) -> httpx.Client:
        client = self.http()
        page = client.get("/dang-nhap")
        answer = client.post(
            "/dang-nhap",
            data={"username": username, "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        )
        assert answer.status_code == 303, answer.text
        return client

    def snapshot(self) -> dict[str, str]:
        """What is stored: a digest of every table's rows, and the blob folder's listing."""
        digests: dict[str, str] = {}
        with self.db.read() as session:
            for table in load_all().sorted_tables:
                if table.name in BOOKKEEPING:
                    continue
                rows = sorted(repr(tuple(r)) for r in session.execute(select(table)))
                digests[table.name] = (
                    f"{len(rows)}:" + hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]
                )
        root = self.container.settings.data_dir / "blobs"
        listing = (
            sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
            if root.exists()
            else []
        )
        digests["<blobs>"] = (
            f"{len(listing)}:" + hashlib.sha256("\n".join(listing).encode()).hexdigest()[:16]
        )
        return digests

    def unchanged(
        self,
        act: Callable[[], httpx.Response],
        *,
        audited: bool = False,
        recorded: tuple[str, ...] = (),
    ) -> httpx.Response:
        """Run ``act`` and assert that nothing stored changed; returns its answer.
        ``audited``: the refusal is one the audit trail records (a failed sign-in);
        ``recorded``: tables that record refusals by design (the portal's sync rejections)."""
        before = self.snapshot()
        answer = act()
        after = self.snapshot()
        changed = {
            k: (before.get(k), v)
            for k, v in after.items()
            if before.get(k) != v
            and not (audited and k in ("audit_events", "audit_chain"))
            and k not in recorded
        }
        assert not changed, f"stored state changed: {changed} (answer {answer.status_code})"
        return answer


def csrf_of(html: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def error_code(answer: httpx.Response) -> str | None:
    """The stable code of a refusal: the JSON envelope's, or the one an error page shows."""
    try:
        body = answer.json()
    except ValueError:
        import re

        found = re.search(r'data-error-code="([A-Z][A-Z0-9_]+)"', answer.text)
        return found.group(1) if found else None
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("code"))
        if isinstance(error, str):  # the portal gateway's {"error_code": 400, "error": CODE}
            return error
        for key in ("error_code", "ErrorCode", "code"):
            if key in body:
                return str(body[key])
    return None


MAX_PACKAGE_BYTES = 4 * 1024 * 1024  # well above every valid input here; oversize ones stay quick


def make_hub(db: Database, tmp: Path, **settings: Any) -> Hub:
    clock = FixedClock(NOW)
    settings.setdefault("max_package_bytes", MAX_PACKAGE_BYTES)
    container = container_for(db, tmp, clock, **settings)
    container.agencies.register_all(DEMO_AGENCIES)  # the demo registry, units included
    secrets = {
        code: container.agencies.issue_credentials(code)[1]
        for code in (GOV_OFFICE, NGHE_AN, CAO_BANG)
    }
    PortalService(db, clock, container.agencies).import_catalogue(DEMO_CATALOGUE, actor="test")
    accounts = AccountService(db, clock, scrypt=ScryptParams(n=2**10))
    container.accounts = accounts
    if container.clerk is not None:
        container.clerk.accounts = accounts
    for username, (agency, roles, name) in USERS.items():
        accounts.create_user(username, name, agency, roles, PASSWORD)
    sent = send(container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="7"))
    server = ThreadedServer(create_app(container=container)).start()
    hub = Hub(container, server, secrets)
    hub.seeded["sent"] = sent
    return hub


@pytest.fixture(scope="module")
def hub(hostile_db: Database, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    made = make_hub(hostile_db, tmp_path_factory.mktemp("hostile-hub"))
    yield made
    made.server.stop()


def refused(answer: httpx.Response, code: str, status: int | None = None) -> None:
    """``answer`` is a refusal with ``code`` (and HTTP ``status`` when given)."""
    assert answer.status_code < 500 or answer.status_code == 503, answer.text[:800]
    assert answer.status_code >= 400, (answer.status_code, answer.text[:800])
    assert error_code(answer) == code, (answer.status_code, answer.text[:800])
    if status is not None:
        assert answer.status_code == status, answer.text[:800]


__all__ = [
    "CAO_BANG",
    "GOV_OFFICE",
    "NGHE_AN",
    "Hub",
    "csrf_of",
    "error_code",
    "os",
    "refused",
]
