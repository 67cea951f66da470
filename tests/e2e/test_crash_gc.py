"""SIGKILL the hub (and the collector) while packages are sent and a request is half-sent:
start-up removes the staging folders the crash left, and ``lienthong blobs gc`` run during
traffic removes no blob a row refers to, while removing every unreferenced one older than
the grace period."""

from __future__ import annotations

import base64
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from lienthong.blobs.local import LocalBlobStore
from lienthong.client.rest import HubClient, HubError
from lienthong.exchange import store
from tests.e2e.conftest import PreparedHub, prepare_hub
from tests.hub_process import HubProcess
from tests.support import GOV_OFFICE, NGHE_AN, TEST_SECRET_KEY, document_bytes

TWO_DAYS = 2 * 24 * 3600
GRACE = 3600


class Sender:
    """Sends numbered packages with their own attachment until stopped, retrying each with
    its idempotency key through crashes; remembers what the hub acknowledged."""

    def __init__(self, hub: HubProcess, prepared: PreparedHub) -> None:
        self.hub = hub
        self.prepared = prepared
        self.acknowledged: dict[int, str] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _client(self) -> HubClient:
        return HubClient(self.hub.url, GOV_OFFICE, self.prepared.secrets[GOV_OFFICE], timeout=10)

    def _run(self) -> None:
        client = self._client()
        i = 0
        while not self.stop.is_set():
            package = document_bytes(
                GOV_OFFICE,
                [NGHE_AN],
                number=str(i + 1),
                attachments={"a.bin": os.urandom(64 * 1024)},
            )
            while not self.stop.is_set():
                try:
                    self.acknowledged[i] = client.send(package, idempotency_key=f"gc-{i}")[
                        "message_id"
                    ]
                    break
                except (httpx.HTTPError, HubError) as exc:
                    if isinstance(exc, HubError) and exc.status < 500:
                        raise
                    client.close()
                    time.sleep(0.05)
                    client = self._client()
            i += 1
        client.close()

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 300
        while len(self.acknowledged) < count:
            assert self.thread.is_alive(), "the sender stopped"
            assert time.monotonic() < deadline, "the sender made no progress"
            time.sleep(0.01)


def half_send(hub: HubProcess, prepared: PreparedHub) -> socket.socket:
    """A send whose body stops after 1 MB of the 5 MB announced (the connection stays)."""
    token = base64.b64encode(f"{GOV_OFFICE}:{prepared.secrets[GOV_OFFICE]}".encode()).decode()
    sock = socket.create_connection(("127.0.0.1", hub.port))
    sock.sendall(
        (
            "POST /api/v1/packages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Basic {token}\r\nContent-Type: application/xml\r\n"
            "Content-Length: 5000000\r\n\r\n"
        ).encode()
        + b"<" * 1_000_000
    )
    return sock


def staged_folders(root: Path) -> set[Path]:
    return {p for p in root.glob("req-*") if any(f.stat().st_size > 0 for f in p.iterdir())}


def gc_process(prepared: PreparedHub) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LIENTHONG_DATABASE_URL": prepared.settings.database_url,
        "LIENTHONG_DATA_DIR": str(prepared.settings.data_dir),
        "LIENTHONG_SECRET_KEY": TEST_SECRET_KEY,
        "LIENTHONG_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "lienthong", "blobs", "gc", "--grace-seconds", str(GRACE)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


@pytest.mark.slow
def test_sigkill_leaves_nothing_gc_would_wrongly_remove(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    prepared = prepare_hub(tmp_path / "var", url, [GOV_OFFICE, NGHE_AN])
    hub = prepared.process(env={"LIENTHONG_BLOB_GC_INTERVAL_SECONDS": "0"}).start()
    staging = prepared.settings.staging_dir
    blobs = LocalBlobStore(prepared.settings.resolved_blob_dir)
    sender = Sender(hub, prepared)
    rng = random.Random(20261207)
    sockets: list[socket.socket] = []
    try:
        sender.thread.start()
        sender.wait_for(40)
        # 1. A crash with a half-sent request and sends in flight.
        sockets.append(half_send(hub, prepared))
        deadline = time.monotonic() + 60
        while not staged_folders(staging):
            assert time.monotonic() < deadline, "the half-sent request was never staged"
            time.sleep(0.01)
        hub.kill()
        left = set(staging.glob("req-*"))
        assert left, "the crash left no staging folder"
        # 2. Long ago: every blob written so far, orphans of the crash included, is old (one
        # orphan for sure: what a request killed between its blob and its commit leaves).
        planted = blobs.put_bytes(b"a blob whose transaction never committed")
        for path in blobs.root.rglob("*"):
            if path.is_file():
                when = time.time() - TWO_DAYS
                os.utime(path, (when, when))
        # 3. Start-up removes what the crash left in staging.
        hub.start()
        assert not any(folder.exists() for folder in left)
        # 4. The collector, killed once mid-run, then run to the end, while sends go on.
        sender.wait_for(len(sender.acknowledged) + 20)
        killed = gc_process(prepared)
        time.sleep(rng.uniform(0.3, 1.5))
        if killed.poll() is None:
            os.killpg(killed.pid, signal.SIGKILL)
        killed.wait(30)
        collector = gc_process(prepared)
        output, _ = collector.communicate(timeout=300)
        assert collector.returncode == 0, output
        # 5. Another crash during traffic, and a restart.
        sender.wait_for(len(sender.acknowledged) + 20)
        hub.kill()
        hub.start()
        sender.wait_for(len(sender.acknowledged) + 10)
    finally:
        sender.stop.set()
        sender.thread.join(timeout=120)
        for sock in sockets:
            sock.close()
        hub.stop()

    engine = create_engine(url)
    with engine.connect() as conn:
        messages = dict(conn.execute(select(store.Message.id, store.Message.package_digest)).all())
        attachments = set(conn.execute(select(store.Attachment.digest)).scalars())
        documents = conn.execute(select(func.count()).select_from(store.Document)).scalar_one()
    engine.dispose()
    # Every acknowledged package is stored once.
    assert set(sender.acknowledged.values()) <= set(messages)
    assert documents == len(messages)
    # Nothing a row refers to was removed.
    referenced = set(messages.values()) | attachments
    missing = [d for d in referenced if not blobs.exists(d)]
    assert missing == []
    # Every unreferenced blob older than the grace was removed; nothing was left aside.
    cutoff = datetime.now(UTC) - timedelta(seconds=GRACE)
    old_orphans = [
        d for d, written in blobs.iter_blobs() if d not in referenced and written < cutoff
    ]
    assert old_orphans == []
    assert not blobs.exists(planted)
    assert not list(blobs.root.rglob("*.gc"))
    assert not left & set(staging.glob("req-*"))
    print(f"crash gc test: {len(messages)} packages, collector output {output.strip()[-200:]}")
