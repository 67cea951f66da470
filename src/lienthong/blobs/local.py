"""Blobs in a local folder, fanned out by the first hex digits of the digest."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def free_bytes(path: Path) -> int:
    """Free bytes for an unprivileged writer on the filesystem of ``path`` (or of its
    nearest existing parent, when it does not exist yet)."""
    while not path.exists() and path.parent != path:
        path = path.parent
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


QUARANTINE_SUFFIX = ".gc"


def _sorted_names(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except FileNotFoundError:
        return []


def _put_back(aside: Path, target: Path) -> None:
    """A blob renamed aside by the collector goes back (unless written anew meanwhile: the
    same bytes, by their name)."""
    if target.exists():
        aside.unlink(missing_ok=True)
    else:
        os.replace(aside, target)


def _refresh(target: Path) -> bool:
    """Whether the blob is there, its time set to now if so: a blob written again is young
    again, so that garbage collection (:mod:`lienthong.blobs.gc`) leaves it to the
    transaction about to refer to it. False when absent (also when collected meanwhile)."""
    try:
        os.utime(target)
    except FileNotFoundError:
        return False
    except PermissionError:
        pass  # another owner's file: it is there, its time stays (rare: one user runs the hub)
    return True


class LocalBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, digest: str) -> Path:
        if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
            raise KeyError(digest)
        return self.root / digest[:2] / digest[2:4] / digest

    def put_file(self, path: Path, digest: str) -> None:
        target = self._path(digest)
        if _refresh(target):
            path.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
        try:
            os.replace(path, target)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            # Another filesystem: copy to a temporary name beside the target, then rename;
            # a failed copy (a full disk) leaves nothing behind.
            tmp = target.with_name(target.name + f".{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
            try:
                shutil.copyfile(path, tmp)
                with open(tmp, "rb") as fh:
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            finally:
                tmp.unlink(missing_ok=True)
            path.unlink(missing_ok=True)
        _fsync_dir(target.parent)

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if _refresh(self._path(digest)):
            return digest
        fd, name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            self.put_file(Path(name), digest)
        finally:
            Path(name).unlink(missing_ok=True)
        return digest

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self._path(digest), "rb")
        except FileNotFoundError as exc:
            raise KeyError(digest) from exc

    def exists(self, digest: str) -> bool:
        try:
            return self._path(digest).exists()
        except KeyError:
            return False

    def size(self, digest: str) -> int:
        try:
            return self._path(digest).stat().st_size
        except FileNotFoundError as exc:
            raise KeyError(digest) from exc

    def delete(self, digest: str) -> None:
        try:
            self._path(digest).unlink(missing_ok=True)
        except KeyError:
            return

    def free_bytes(self) -> int:
        return free_bytes(self.root)

    # -- garbage collection (lienthong.blobs.gc) ----------------------------------------------

    def iter_blobs(self) -> Iterator[tuple[str, datetime]]:
        """Every blob's digest and last write, in digest order (the fan-out folders are the
        digest's first characters, so a sorted walk is in digest order)."""
        for first in _sorted_names(self.root):
            if len(first) != 2 or not (self.root / first).is_dir():
                continue
            for second in _sorted_names(self.root / first):
                folder = self.root / first / second
                if len(second) != 2 or not folder.is_dir():
                    continue
                for name in _sorted_names(folder):
                    if len(name) != 64:
                        continue
                    try:
                        mtime = (folder / name).stat().st_mtime
                    except FileNotFoundError:
                        continue
                    yield name, datetime.fromtimestamp(mtime, UTC)

    def remove_if_older(self, digest: str, cutoff: datetime) -> bool:
        """Remove the blob if it was last written before ``cutoff``; whether it was removed.

        The blob is first renamed aside, atomically, then its time looked at again: a send
        that wrote it again before the rename made it young (it is put back); one after the
        rename finds it absent and writes it anew (:func:`_refresh`)."""
        target = self._path(digest)
        aside = target.with_name(target.name + QUARANTINE_SUFFIX)
        try:
            os.rename(target, aside)
        except FileNotFoundError:
            return False
        try:
            written = datetime.fromtimestamp(aside.stat().st_mtime, UTC)
        except FileNotFoundError:
            return False  # another collector took it meanwhile
        if written >= cutoff:
            _put_back(aside, target)
            return False
        aside.unlink(missing_ok=True)
        _fsync_dir(target.parent)
        return True

    def sweep_leftovers(self, cutoff: datetime) -> int:
        """Put back a blob a killed collector left renamed aside; remove the temporary files
        of writes that a crash interrupted, when older than ``cutoff``. The number handled."""
        handled = 0
        limit = cutoff.timestamp()
        for path in self.root.rglob("*"):
            name = path.name
            try:
                if name.endswith(QUARANTINE_SUFFIX) and len(name) == 64 + len(QUARANTINE_SUFFIX):
                    _put_back(path, path.with_name(name[:64]))
                    handled += 1
                elif (name.startswith(".incoming-") or name.endswith(".tmp")) and (
                    path.stat().st_mtime < limit
                ):
                    path.unlink(missing_ok=True)
                    handled += 1
            except FileNotFoundError:
                continue
        return handled

    def count(self) -> int:
        """How many blobs are stored (tests use it to prove a refusal stored nothing)."""
        return sum(1 for p in self.root.rglob("*") if p.is_file() and len(p.name) == 64)
