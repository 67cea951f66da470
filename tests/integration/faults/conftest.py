"""A tiny real filesystem (a 2 MiB tmpfs mounted for the test) that a test can fill or make
read-only, under a hub served on a loopback port."""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.support import GOV_OFFICE, NGHE_AN, NOW, container_for, register
from tests.web_server import ThreadedServer

DISK_BYTES = 2 * 1024 * 1024
MARGIN = 512 * 1024


@dataclass
class TinyDisk:
    path: Path
    filler: Path

    def fill(self) -> None:
        """Write until the filesystem refuses (ENOSPC): nothing more fits."""
        chunk = b"\0" * 4096
        with open(self.filler, "ab", buffering=0) as fh:
            while True:
                try:
                    fh.write(chunk)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC
                    return

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)

    def remount(self, mode: str) -> None:
        subprocess.run(["mount", "-o", f"remount,{mode}", str(self.path)], check=True)


def _mount(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tiny tmpfs needs root (the disk-full tests run as root in CI)")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[TinyDisk]:
    """``tmp_path / "var"`` (the hub's data_dir in ``container_for``) on a 2 MiB tmpfs."""
    path = tmp_path / "var"
    _mount(path)
    yield TinyDisk(path, path / "filler.bin")
    subprocess.run(["umount", "-l", str(path)], check=False)


@dataclass
class DiskHub:
    container: Container
    server: ThreadedServer
    secrets: dict[str, str]
    disk: TinyDisk

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture
def disk_hub(sqlite_db: Database, tmp_path: Path, tiny_disk: TinyDisk) -> Iterator[DiskHub]:
    """A SQLite hub (its database file outside the tiny disk) whose blobs and staging folder
    are on the tiny disk; readiness wants 512 KiB free; Retry-After is 1 s."""
    container = container_for(
        sqlite_db,
        tmp_path,
        FixedClock(NOW),
        storage_free_margin_bytes=MARGIN,
        storage_retry_after_seconds=1,
    )
    secrets = {code: register(container, code) for code in (GOV_OFFICE, NGHE_AN)}
    server = ThreadedServer(create_app(container=container)).start()
    yield DiskHub(container, server, secrets, tiny_disk)
    server.stop()
