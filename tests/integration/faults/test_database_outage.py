"""A database outage is answered in the contract on every protocol: 503 STORAGE_UNAVAILABLE,
``Retry-After``, nothing stored. The outage is real: the hub's PostgreSQL database stops
taking connections and its sessions are terminated (``pg_terminate_backend``), or the hub's
URL names a port where no server listens."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from lienthong.accounts.model import Role, ScryptParams
from lienthong.accounts.service import AccountService
from lienthong.client.axis import AxisClient, AxisError
from lienthong.client.rest import HubClient, HubError
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.exchange import store
from lienthong.migrate import upgrade
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.conftest import PG_URL, require_pg
from tests.hub_process import free_port
from tests.support import GOV_OFFICE, NGHE_AN, NOW, container_for, document_bytes, register
from tests.web_server import ThreadedServer

pytestmark = pytest.mark.postgres

PASSWORD = "mat-khau-dai-1"


@dataclass
class Hub:
    container: Container
    server: ThreadedServer
    secrets: dict[str, str]
    database: str

    def rest(self, code: str = GOV_OFFICE) -> HubClient:
        return HubClient(self.server.url, code, self.secrets[code], storage_retries=0)

    def axis(self, code: str = GOV_OFFICE) -> AxisClient:
        return AxisClient(
            f"{self.server.url}/axis", code, self.secrets[code], now=lambda: NOW, storage_retries=0
        )


def stop_database(name: str) -> None:
    """The outage: no new connection is accepted, and every open session is ended."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
    admin.dispose()


def restore_database(name: str) -> None:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
    admin.dispose()


@pytest.fixture
def pg_hub(tmp_path: Path) -> Iterator[Hub]:
    require_pg()
    name = f"lt_outage_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    db = Database.from_url(url, pool_size=2)
    container = container_for(
        db, tmp_path, FixedClock(NOW), hub_id="hub.test", federation_mtls="off"
    )
    container.federation_worker = None  # the forwarder is not under test here
    secrets = {code: register(container, code) for code in (GOV_OFFICE, NGHE_AN)}
    accounts = AccountService(db, container.clock, scrypt=ScryptParams(n=2**10))
    container.accounts = accounts
    if container.clerk is not None:
        container.clerk.accounts = accounts
    accounts.create_user("vanthu.vpcp", "Văn thư VPCP", GOV_OFFICE, [Role.CLERK], PASSWORD)
    server = ThreadedServer(create_app(container=container)).start()
    yield Hub(container, server, secrets, name)
    server.stop()
    db.dispose()
    restore_database(name)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def sign_in(base_url: str) -> httpx.Client:
    client = httpx.Client(base_url=base_url, timeout=30)
    page = client.get("/dang-nhap")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    answer = client.post(
        "/dang-nhap",
        data={"username": "vanthu.vpcp", "password": PASSWORD, "csrf_token": found.group(1)},
    )
    assert answer.status_code == 303, answer.text
    return client


def assert_storage_unavailable(response: httpx.Response, cause: str = "database") -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "STORAGE_UNAVAILABLE"
    assert error["message"] == "Storage is unavailable; nothing was stored, retry."
    assert error["detail"] == {"cause": cause, "retry_after_seconds": 5}


def test_a_database_outage_answers_503_on_every_protocol_and_stores_nothing(
    pg_hub: Hub,
) -> None:
    page_client = sign_in(pg_hub.server.url)
    package = document_bytes(GOV_OFFICE, [NGHE_AN], number="501")
    lgsp = pg_hub.container.lgsp
    assert lgsp is not None
    consumer = lgsp.issue_consumer(NGHE_AN)
    token = lgsp.issue_token(consumer.consumer_key, consumer.consumer_secret).access_token
    stop_database(pg_hub.database)
    try:
        # REST: the send, and a read.
        auth = (GOV_OFFICE, pg_hub.secrets[GOV_OFFICE])
        with httpx.Client(base_url=pg_hub.server.url, timeout=30, auth=auth) as http:
            assert_storage_unavailable(
                http.post(
                    "/api/v1/packages",
                    content=package,
                    headers={"Content-Type": "application/xml", "Idempotency-Key": "k-501"},
                )
            )
            assert_storage_unavailable(http.get("/api/v1/inbox"))
            # Federation: a forwarded package (the directory cannot be read).
            assert_storage_unavailable(
                http.post(
                    "/federation/v1/forward",
                    content=package,
                    headers={"X-Lienthong-Hub-Signature": "x.y.z"},
                )
            )
            # The portal's dossier sync, and its one-stop gateway style (its own envelope).
            assert_storage_unavailable(http.post("/api/v1/portal/dossiers/batch", json=[]))
            portal = http.post(
                "/portal/gateway",
                json={"service": "LayToken", "username": "motcua", "password": "x"},
            )
            assert portal.status_code == 503
            assert portal.headers["retry-after"] == "5"
            assert portal.json()["error_code"] == 503
            assert portal.json()["error"] == "STORAGE_UNAVAILABLE"
        # The provincial platform style: its own body, with the status and Retry-After.
        received = httpx.get(
            f"{pg_hub.server.url}/truclienthong/v1.0.0/vanbans",
            headers={"Authorization": f"Bearer {token}", "secret": str(consumer.unit_secret)},
        )
        assert received.status_code == 503, received.text
        assert received.headers["retry-after"] == "5"
        assert received.json()["status"] == "FAIL"
        assert received.json()["code"] == "STORAGE_UNAVAILABLE"
        # Axis protocol: the FAIL body, with the code in its header too.
        with pg_hub.axis() as axis, pytest.raises(AxisError) as refused:
            axis.send_edoc(package)
        assert (refused.value.status, refused.value.code) == (503, "STORAGE_UNAVAILABLE")
        raw = httpx.post(
            f"{pg_hub.server.url}/axis/sendEdoc",
            content=package,
            headers=pg_hub.axis().signed_headers(
                {"from": GOV_OFFICE, "messagetype": "edoc", "hash-file": "00"},
                "application/octet-stream",
            ),
        )
        assert raw.status_code == 503
        assert raw.headers["retry-after"] == "5"
        assert raw.headers["x-error-code"] == "STORAGE_UNAVAILABLE"
        assert raw.json()["status"] == "FAIL" and raw.json()["DocId"] == ""
        # A page: the Vietnamese sentence, in HTML, with the same status.
        page = page_client.get("/van-thu", headers={"Accept": "text/html"})
        assert page.status_code == 503
        assert page.headers["retry-after"] == "5"
        assert page.headers["content-type"].startswith("text/html")
        assert "Hệ thống lưu trữ tạm thời không sẵn sàng" in page.text
        assert "STORAGE_UNAVAILABLE" in page.text
        # Readiness says so; liveness does not.
        ready = httpx.get(f"{pg_hub.server.url}/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"]["ok"] is False
        assert httpx.get(f"{pg_hub.server.url}/healthz").status_code == 503
        assert httpx.get(f"{pg_hub.server.url}/livez").status_code == 200
        assert "lienthong_ready 0.0" in httpx.get(f"{pg_hub.server.url}/metrics").text
    finally:
        restore_database(pg_hub.database)
    # Nothing was stored: no row, no blob, no staging folder left.
    with pg_hub.container.db.read() as session:
        assert session.scalar(select(func.count()).select_from(store.Message)) == 0
    blobs = pg_hub.container.settings.resolved_blob_dir
    assert not [p for p in blobs.rglob("*") if p.is_file()]
    staging = pg_hub.container.settings.staging_dir
    assert not staging.exists() or not list(staging.glob("req-*"))
    # Once the database is back, the same request is accepted.
    with pg_hub.rest() as client:
        answer = client.send(package, idempotency_key="k-501")
    assert answer["replay"] is False
    assert httpx.get(f"{pg_hub.server.url}/readyz").status_code == 200


def test_a_database_url_to_a_closed_port_answers_503(tmp_path: Path, pg_hub: Hub) -> None:
    """No server at all behind the URL (connection refused), from the first request."""
    url = make_url(PG_URL).set(port=free_port(), database="absent")
    db = Database.from_url(url.render_as_string(hide_password=False), pool_size=1)
    container = container_for(db, tmp_path / "other", FixedClock(NOW))
    server = ThreadedServer(create_app(container=container)).start()
    try:
        package = document_bytes(GOV_OFFICE, [NGHE_AN], number="502")
        client = HubClient(server.url, GOV_OFFICE, pg_hub.secrets[GOV_OFFICE], storage_retries=0)
        with client, pytest.raises(HubError) as refused:
            client.send(package)
        assert (refused.value.status, refused.value.code) == (503, "STORAGE_UNAVAILABLE")
        assert refused.value.retry_after == 5.0
        assert refused.value.detail["cause"] == "database"
        assert httpx.get(f"{server.url}/readyz").status_code == 503
    finally:
        server.stop()
        db.dispose()
