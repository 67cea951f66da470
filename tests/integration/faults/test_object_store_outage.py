"""The S3-compatible object store stops answering: a send answers 503 STORAGE_UNAVAILABLE
(cause ``object_store``) with Retry-After and stores no row; readiness fails. The store is
moto's S3 server on a loopback port, stopped for the outage."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from lienthong.client.rest import HubClient, HubError
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.exchange import store
from lienthong.web.app import create_app
from tests.hub_process import free_port
from tests.support import GOV_OFFICE, NGHE_AN, NOW, container_for, document_bytes, register
from tests.web_server import ThreadedServer


def test_an_unreachable_object_store_answers_503(sqlite_db: Database, tmp_path: Path) -> None:
    from moto.server import ThreadedMotoServer

    port = free_port()
    s3 = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    s3.start()
    container = container_for(
        sqlite_db,
        tmp_path,
        FixedClock(NOW),
        blob_backend="s3",
        s3_endpoint_url=f"http://127.0.0.1:{port}",
        s3_bucket="lt-outage",
        s3_access_key="test",
        s3_secret_key="test",
    )
    secret = register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    server = ThreadedServer(create_app(container=container)).start()
    try:
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        s3.stop()
        client = HubClient(server.url, GOV_OFFICE, secret, storage_retries=0)
        with client, pytest.raises(HubError) as refused:
            client.send(document_bytes(GOV_OFFICE, [NGHE_AN], number="701"))
        assert (refused.value.status, refused.value.code) == (503, "STORAGE_UNAVAILABLE")
        assert refused.value.detail["cause"] == "object_store"
        assert refused.value.retry_after == 5.0
        with container.db.read() as session:
            assert session.scalar(select(func.count()).select_from(store.Message)) == 0
        ready = httpx.get(f"{server.url}/readyz", timeout=60)
        assert ready.status_code == 503
        assert ready.json()["checks"]["blob_store"]["ok"] is False
    finally:
        server.stop()
