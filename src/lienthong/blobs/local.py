"""Blobs in a local folder, fanned out by the first hex digits of the digest."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


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
        if target.exists():
            path.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
        try:
            os.replace(path, target)
        except OSError:
            # Another filesystem: copy to a temporary name beside the target, then rename.
            tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
            shutil.copyfile(path, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, target)
            path.unlink(missing_ok=True)
        _fsync_dir(target.parent)

    def put_bytes(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if self.exists(digest):
            return digest
        fd, name = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        self.put_file(Path(name), digest)
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

    def count(self) -> int:
        """How many blobs are stored (tests use it to prove a refusal stored nothing)."""
        return sum(1 for p in self.root.rglob("*") if p.is_file() and len(p.name) == 64)
