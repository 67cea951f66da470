"""Garbage collection of unreferenced blobs (``lienthong blobs gc``) and of the staging folders
a crash leaves, on SQLite and PostgreSQL, with the local folder and the S3-compatible store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from lienthong.blobs.gc import blob_columns, collect
from lienthong.blobs.local import LocalBlobStore
from lienthong.blobs.s3 import S3BlobStore
from lienthong.blobs.staging import StagingArea, sweep
from lienthong.db import Database
from lienthong.schema import load_all
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.hub_process import free_port
from tests.support import (
    GOV_OFFICE,
    NGHE_AN,
    TEST_SECRET_KEY,
    container_for,
    document_bytes,
    register,
    send,
)
from tests.web_server import ThreadedServer

TWO_DAYS = 2 * 24 * 3600


def age(path: Path, seconds: float) -> None:
    """Make a file look last written ``seconds`` ago (what a crash long ago leaves)."""
    when = time.time() - seconds
    os.utime(path, (when, when))


def referenced(container: Container) -> set[str]:
    from sqlalchemy import select

    with container.db.read() as session:
        found: set[str] = set()
        for column in blob_columns(load_all()):
            found.update(str(d) for d in session.scalars(select(column)) if d is not None)
        return found


def hub_with_a_document(db: Database, tmp_path: Path) -> tuple[Container, LocalBlobStore]:
    container = container_for(db, tmp_path)
    register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    send(container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="801"))
    assert isinstance(container.blobs, LocalBlobStore)
    return container, container.blobs


def run_gc(container: Container, *args: str) -> dict[str, int]:
    """``lienthong blobs gc`` as an operator runs it, in its own process."""
    settings = container.settings
    env = {
        **os.environ,
        "LIENTHONG_DATABASE_URL": container.db.engine.url.render_as_string(hide_password=False),
        "LIENTHONG_DATA_DIR": str(settings.data_dir),
        "LIENTHONG_SECRET_KEY": TEST_SECRET_KEY,
        "LIENTHONG_LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    done = subprocess.run(
        [sys.executable, "-m", "lienthong", "blobs", "gc", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    answer: dict[str, int] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def test_gc_removes_an_old_orphan_and_keeps_referenced_and_young_blobs(
    db: Database, tmp_path: Path
) -> None:
    container, blobs = hub_with_a_document(db, tmp_path)
    kept = referenced(container)
    assert len(kept) == 2  # the package and its attachment
    orphan = blobs.put_bytes(b"written before a crash, never committed")
    young = blobs.put_bytes(b"written a moment ago, its transaction still running")
    for digest in (*kept, orphan):
        age(blobs._path(digest), TWO_DAYS)  # long ago, even the referenced ones

    answer = run_gc(container)

    assert answer["removed"] == 1 and answer["referenced"] == 2 and answer["young"] == 1
    assert not blobs.exists(orphan)
    assert blobs.exists(young)
    assert all(blobs.exists(d) for d in kept)


def test_a_dry_run_removes_nothing(db: Database, tmp_path: Path) -> None:
    container, blobs = hub_with_a_document(db, tmp_path)
    orphan = blobs.put_bytes(b"orphan")
    age(blobs._path(orphan), TWO_DAYS)
    assert run_gc(container, "--dry-run")["would_remove"] == 1
    assert blobs.exists(orphan)


def test_an_old_orphan_written_again_is_young_again_and_kept(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """A send whose package is the bytes of an old orphan puts the blob again before its
    transaction: the collector must leave it to that transaction."""
    _container, blobs = hub_with_a_document(sqlite_db, tmp_path)
    orphan = blobs.put_bytes(b"the same bytes, sent again")
    age(blobs._path(orphan), TWO_DAYS)
    assert blobs.put_bytes(b"the same bytes, sent again") == orphan  # the new send's put
    report = collect(
        sqlite_db,
        blobs,
        blob_columns(load_all()),
        now=datetime.now(UTC),
        grace=timedelta(hours=1),
    )
    assert report.removed == [] and blobs.exists(orphan)


def test_a_blob_written_again_while_being_collected_is_put_back(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path / "blobs")
    digest = blobs.put_bytes(b"raced")
    # The collector decided on an old listing; the blob was written again since.
    assert blobs.remove_if_older(digest, datetime.now(UTC) - timedelta(hours=1)) is False
    assert blobs.exists(digest)
    age(blobs._path(digest), TWO_DAYS)
    assert blobs.remove_if_older(digest, datetime.now(UTC) - timedelta(hours=1)) is True
    assert not blobs.exists(digest)


def test_a_blob_a_killed_collector_left_aside_is_put_back(
    sqlite_db: Database, tmp_path: Path
) -> None:
    container, blobs = hub_with_a_document(sqlite_db, tmp_path)
    digest = next(iter(referenced(container)))
    path = blobs._path(digest)
    os.rename(path, path.with_name(path.name + ".gc"))  # killed between rename and decision
    incoming = blobs.root / ".incoming-abc"
    incoming.write_bytes(b"a put_bytes cut by a crash")
    age(incoming, TWO_DAYS)
    answer = run_gc(container)
    assert answer["leftovers"] == 2
    assert blobs.exists(digest)
    assert not incoming.exists()


def test_gc_over_the_s3_store(sqlite_db: Database, tmp_path: Path) -> None:
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        container = container_for(
            sqlite_db,
            tmp_path,
            blob_backend="s3",
            s3_endpoint_url=f"http://127.0.0.1:{port}",
            s3_bucket="lt-gc",
            s3_access_key="test",
            s3_secret_key="test",
        )
        assert isinstance(container.blobs, S3BlobStore)
        register(container, GOV_OFFICE)
        register(container, NGHE_AN)
        send(container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="802"))
        kept = referenced(container)
        orphan = container.blobs.put_bytes(b"orphan in the bucket")
        columns = blob_columns(load_all())
        later = datetime.now(UTC) + timedelta(days=2)  # two days on: every object is old
        young = collect(sqlite_db, container.blobs, columns, now=later, grace=timedelta(days=3))
        assert young.removed == [] and young.young == 1
        report = collect(sqlite_db, container.blobs, columns, now=later, grace=timedelta(hours=1))
        assert report.removed == [orphan] and report.referenced == 2
        assert all(container.blobs.exists(d) for d in kept)
        assert not container.blobs.exists(orphan)
    finally:
        server.stop()


_HOLDER = """
import sys, time
from pathlib import Path
from lienthong.blobs.staging import StagingArea
area = StagingArea(Path(sys.argv[1]))
staged = area.new_file(".edxml")
staged.write(b"x" * 1_000_000)
print(area.path, flush=True)
time.sleep(600)
"""


def test_staging_left_by_a_killed_process_is_removed_at_start_up(
    sqlite_db: Database, tmp_path: Path
) -> None:
    container = container_for(sqlite_db, tmp_path)
    root = container.settings.staging_dir
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(root)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert holder.stdout is not None
    abandoned = Path(holder.stdout.readline().strip())
    assert abandoned.is_dir()
    assert sweep(root) == 0  # its request is in flight: kept
    holder.send_signal(signal.SIGKILL)
    holder.wait(10)
    with StagingArea(root) as in_flight:  # a request of this process, in flight
        server = ThreadedServer(create_app(container=container)).start()  # start-up
        try:
            assert not abandoned.exists()
            assert in_flight.path.is_dir()
        finally:
            server.stop()
    assert list(root.iterdir()) == []
