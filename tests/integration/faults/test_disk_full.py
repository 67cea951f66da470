"""A full or read-only disk under the hub's blobs and staging folder: every send answers 503
STORAGE_UNAVAILABLE with Retry-After and stores nothing; readiness fails (liveness does not)
and ``/metrics`` shows why; the Python client and the gateway retry with the same key."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from lienthong.accounts.model import Role, ScryptParams
from lienthong.accounts.service import AccountService
from lienthong.client.axis import AxisClient, AxisError
from lienthong.client.rest import HubClient, HubError
from lienthong.client.signing import SigningClient
from lienthong.clock import FixedClock
from lienthong.exchange import store
from lienthong.gateway.service import GatewayService
from tests.integration.faults.conftest import MARGIN, DiskHub
from tests.support import (
    GOV_OFFICE,
    NGHE_AN,
    NOW,
    document_bytes,
    organisation_credential,
    shared_pki,
    unsigned_document_bytes,
)


def stored_nothing(hub: DiskHub) -> None:
    with hub.container.db.read() as session:
        assert session.scalar(select(func.count()).select_from(store.Message)) == 0
        assert session.scalar(select(func.count()).select_from(store.Document)) == 0
    blobs = hub.container.settings.resolved_blob_dir
    assert not [p for p in blobs.rglob("*") if p.is_file()]
    staging = hub.container.settings.staging_dir
    assert not staging.exists() or not list(staging.iterdir())


def messages(hub: DiskHub) -> int:
    with hub.container.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(store.Message)) or 0)


def gauge(metrics: str, name: str) -> float:
    found = re.search(rf"^{re.escape(name)} (\S+)$", metrics, re.MULTILINE)
    assert found is not None, name
    return float(found.group(1))


def test_a_full_disk_answers_503_everywhere_and_readiness_fails(disk_hub: DiskHub) -> None:
    assert httpx.get(f"{disk_hub.url}/readyz").status_code == 200
    disk_hub.disk.fill()
    package = document_bytes(GOV_OFFICE, [NGHE_AN], number="601")
    auth = (GOV_OFFICE, disk_hub.secrets[GOV_OFFICE])
    answer = httpx.post(
        f"{disk_hub.url}/api/v1/packages",
        content=package,
        headers={"Content-Type": "application/xml", "Idempotency-Key": "k-601"},
        auth=auth,
    )
    assert answer.status_code == 503
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["error"] == {
        "code": "STORAGE_UNAVAILABLE",
        "message": "Storage is unavailable; nothing was stored, retry.",
        "detail": {"cause": "disk_full", "retry_after_seconds": 1},
    }
    axis = AxisClient(
        f"{disk_hub.url}/axis",
        GOV_OFFICE,
        disk_hub.secrets[GOV_OFFICE],
        now=lambda: NOW,
        storage_retries=0,
    )
    with axis, pytest.raises(AxisError) as refused:
        axis.send_edoc(package)
    assert (refused.value.status, refused.value.code) == (503, "STORAGE_UNAVAILABLE")
    assert refused.value.detail["cause"] == "disk_full"
    stored_nothing(disk_hub)

    ready = httpx.get(f"{disk_hub.url}/readyz")
    assert ready.status_code == 503
    checks = ready.json()["checks"]
    assert checks["database"]["ok"] is True  # its file is on another disk
    assert checks["blob_store"]["ok"] is False
    assert checks["blob_store"]["free_bytes"] < MARGIN
    assert checks["staging"]["ok"] is False
    assert httpx.get(f"{disk_hub.url}/livez").status_code == 200
    metrics = httpx.get(f"{disk_hub.url}/metrics").text
    assert gauge(metrics, "lienthong_ready") == 0.0
    assert gauge(metrics, 'lienthong_readiness_check{check="blob_store"}') == 0.0
    assert gauge(metrics, 'lienthong_readiness_check{check="database"}') == 1.0
    assert gauge(metrics, 'lienthong_storage_free_bytes{store="blob_store"}') < MARGIN
    assert gauge(metrics, "lienthong_storage_free_margin_bytes") == MARGIN

    disk_hub.disk.free()
    assert httpx.get(f"{disk_hub.url}/readyz").status_code == 200
    metrics = httpx.get(f"{disk_hub.url}/metrics").text
    assert gauge(metrics, "lienthong_ready") == 1.0
    assert gauge(metrics, 'lienthong_storage_free_bytes{store="blob_store"}') >= MARGIN


def test_a_disk_with_room_under_the_margin_is_not_ready_before_sends_fail(
    disk_hub: DiskHub,
) -> None:
    filler = disk_hub.disk.filler
    filler.write_bytes(b"\0" * (2 * 1024 * 1024 - MARGIN + 64 * 1024))  # 448 KiB left
    assert httpx.get(f"{disk_hub.url}/readyz").status_code == 503
    with HubClient(disk_hub.url, GOV_OFFICE, disk_hub.secrets[GOV_OFFICE]) as client:
        client.send(document_bytes(GOV_OFFICE, [NGHE_AN], number="602"))  # still fits
    assert messages(disk_hub) == 1


def test_a_read_only_disk_answers_503_and_stores_nothing(disk_hub: DiskHub) -> None:
    disk_hub.disk.remount("ro")
    try:
        with (
            HubClient(
                disk_hub.url, GOV_OFFICE, disk_hub.secrets[GOV_OFFICE], storage_retries=0
            ) as client,
            pytest.raises(HubError) as refused,
        ):
            client.send(document_bytes(GOV_OFFICE, [NGHE_AN], number="603"))
        assert (refused.value.status, refused.value.code) == (503, "STORAGE_UNAVAILABLE")
        assert refused.value.detail["cause"] == "read_only"
        assert refused.value.retry_after == 1.0
    finally:
        disk_hub.disk.remount("rw")
    stored_nothing(disk_hub)


class FreeingOn503:
    """An httpx response hook: records every answer's status and Idempotency-Key, and frees
    the disk when the hub answered 503 (the operator cleaned up between two attempts)."""

    def __init__(self, hub: DiskHub) -> None:
        self.hub = hub
        self.seen: list[tuple[int, str | None]] = []

    def __call__(self, response: httpx.Response) -> None:
        if response.request.url.path.endswith("/packages"):
            self.seen.append(
                (response.status_code, response.request.headers.get("idempotency-key"))
            )
        if response.status_code == 503:
            self.hub.disk.free()


def test_the_client_retries_a_503_with_the_same_idempotency_key(disk_hub: DiskHub) -> None:
    disk_hub.disk.fill()
    hook = FreeingOn503(disk_hub)
    waits: list[float] = []
    http = httpx.Client(base_url=disk_hub.url, timeout=30, event_hooks={"response": [hook]})
    client = HubClient(
        disk_hub.url, GOV_OFFICE, disk_hub.secrets[GOV_OFFICE], http=http, sleep=waits.append
    )
    with client:
        answer = client.send(document_bytes(GOV_OFFICE, [NGHE_AN], number="604"))
    assert [status for status, _key in hook.seen] == [503, 201]
    keys = {key for _status, key in hook.seen}
    assert len(keys) == 1 and None not in keys  # a key made by the client, sent both times
    assert waits == [1.0]  # the hub's Retry-After
    assert answer["replay"] is False
    assert messages(disk_hub) == 1


def test_the_gateway_retries_a_503_with_the_same_idempotency_key(
    disk_hub: DiskHub, tmp_path: Path
) -> None:
    disk_hub.disk.fill()
    hook = FreeingOn503(disk_hub)
    waits: list[float] = []
    http = httpx.Client(base_url=disk_hub.url, timeout=30, event_hooks={"response": [hook]})
    client = SigningClient(
        disk_hub.url,
        organisation_credential(GOV_OFFICE),
        [shared_pki().root.certificate],
        system_id=GOV_OFFICE,
        secret=disk_hub.secrets[GOV_OFFICE],
        http=http,
        backoff=0.01,
        sleep=waits.append,
    )
    gateway = GatewayService(client, tmp_path / "gateway", FixedClock(NOW))
    try:
        raw = unsigned_document_bytes(GOV_OFFICE, [NGHE_AN], number="605")
        answer = gateway.send(raw, idempotency_key="gw-605")
    finally:
        gateway.close()
    assert hook.seen == [(503, "gw-605"), (201, "gw-605")]
    assert answer["attempts"] == 2
    assert waits == [1.0]  # the hub's Retry-After, longer than the backoff
    assert messages(disk_hub) == 1


def test_the_monitoring_centre_shows_free_space_and_a_failing_readiness(
    disk_hub: DiskHub,
) -> None:
    accounts = AccountService(
        disk_hub.container.db, disk_hub.container.clock, scrypt=ScryptParams(n=2**10)
    )
    disk_hub.container.accounts = accounts
    accounts.create_user("vanhanh", "Vận hành trục", GOV_OFFICE, [Role.OPERATOR], "mat-khau-dai-1")
    with httpx.Client(base_url=disk_hub.url, timeout=30) as browser:
        login = browser.get("/dang-nhap")
        token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert token is not None
        signed_in = browser.post(
            "/dang-nhap",
            data={"username": "vanhanh", "password": "mat-khau-dai-1", "csrf_token": token[1]},
        )
        assert signed_in.status_code == 303
        ready = browser.get("/giam-sat/van-chuyen")
        assert ready.status_code == 200
        assert "Sẵn sàng nhận gói tin" in ready.text and "Không sẵn sàng" not in ready.text
        disk_hub.disk.fill()
        page = browser.get("/giam-sat/van-chuyen")
    assert page.status_code == 200
    assert "Không sẵn sàng" in page.text
    row = re.search(
        r"<tr><td>Kho lưu trữ tệp</td><td>(.*?)</td><td class=\"num\">(.*?)</td>", page.text
    )
    assert row is not None
    assert "Không đạt" in row[1]
    assert float(row[2].replace(".", "").replace(",", ".")) < MARGIN / 1048576
