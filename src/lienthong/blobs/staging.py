"""Staging: request bodies and decoded attachments are written here first, hashed on the way.

A :class:`StagingArea` is a private temporary folder for one request. Nothing in it reaches the
blob store until the request passed every check (then :meth:`StagedFile.promote`); the folder is
removed whatever happens, so a refusal leaves nothing behind.

A process killed mid-request (SIGKILL, a power cut) cannot remove its folder. Each area holds
an ``flock`` on its ``.lock`` file while it lives, which the kernel releases when the process
dies: :func:`sweep` removes the folders whose lock is free (at start-up and with the periodic
garbage collection), never one of a request still in flight in another process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from lienthong.blobs import BlobStore


class StagedFile:
    """A file being written in a staging area, with its SHA-256 and size kept as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO | None = open(path, "wb")  # noqa: SIM115 - closed in close()
        self._hash = hashlib.sha256()
        self.size = 0
        self.digest = ""

    def write(self, data: bytes) -> None:
        assert self._fh is not None, "staged file already closed"
        self._fh.write(data)
        self._hash.update(data)
        self.size += len(data)

    def close(self) -> str:
        """Finish writing; return the SHA-256 hex digest."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
            self.digest = self._hash.hexdigest()
        return self.digest

    def open(self) -> BinaryIO:
        self.close()
        return open(self.path, "rb")

    def promote(self, store: BlobStore) -> str:
        """Move the file into ``store``; return its digest."""
        digest = self.close()
        store.put_file(self.path, digest)
        return digest


LOCK_NAME = ".lock"
# A "new-" folder is being created (mkdtemp, lock, rename): left alone for this long.
UNLOCKED_GRACE_SECONDS = 60.0
# A "req-" folder without a lock file was made by a hub before the locks (a rolling upgrade):
# left alone for this long, longer than any request.
LEGACY_GRACE_SECONDS = 3600.0


class StagingArea:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        # Born under another name, locked, then renamed: a "req-" folder is locked from the
        # moment it has that name (the lock is on the file, which the rename keeps).
        self.path = Path(tempfile.mkdtemp(dir=root, prefix="new-"))
        self._count = 0
        self._files: list[StagedFile] = []
        self._lock: int | None = None
        try:
            self._lock = os.open(self.path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
            named = self.path.with_name("req-" + self.path.name.removeprefix("new-"))
            os.rename(self.path, named)
            self.path = named
        except BaseException:
            self.cleanup()
            raise

    def new_file(self, suffix: str = "") -> StagedFile:
        self._count += 1
        staged = StagedFile(self.path / f"{self._count:04d}{suffix}")
        self._files.append(staged)
        return staged

    def cleanup(self) -> None:
        for staged in self._files:
            with contextlib.suppress(OSError):  # a full disk fails the flush: removed anyway
                staged.close()
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)  # the lock goes with it
            self._lock = None

    def __enter__(self) -> StagingArea:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()


def sweep(root: Path, *, unlocked_grace: float = UNLOCKED_GRACE_SECONDS) -> int:
    """Remove the staging folders under ``root`` that no living request holds (left by a
    crash); the number removed. A ``req-`` folder whose lock a process holds is in flight and
    stays; a ``new-`` folder (being created) stays while younger than ``unlocked_grace``
    seconds. Safe while requests run, in this process or others."""
    try:
        children = sorted(root.iterdir())
    except FileNotFoundError:
        return 0
    removed = 0
    for folder in children:
        if folder.name.startswith("req-"):
            abandoned = _unlocked(folder)
        elif folder.name.startswith("new-"):
            abandoned = _older_than(folder, unlocked_grace)
        else:
            continue
        if abandoned:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def _older_than(folder: Path, seconds: float) -> bool:
    try:
        return time.time() - folder.stat().st_mtime > seconds
    except FileNotFoundError:
        return False


def _unlocked(folder: Path) -> bool:
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR)
    except FileNotFoundError:
        # Its own request removed it meanwhile, or a folder of a hub before locks existed.
        return folder.exists() and _older_than(folder, LEGACY_GRACE_SECONDS)
    except NotADirectoryError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a request in flight holds it
    finally:
        os.close(fd)  # closing releases a lock taken here
    return True
