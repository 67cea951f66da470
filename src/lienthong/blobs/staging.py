"""Staging: request bodies and decoded attachments are written here first, hashed on the way.

A :class:`StagingArea` is a private temporary folder for one request. Nothing in it reaches the
blob store until the request passed every check (then :meth:`StagedFile.promote`); the folder is
removed whatever happens, so a refusal leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
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


class StagingArea:
    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.path = Path(tempfile.mkdtemp(dir=root, prefix="req-"))
        self._count = 0
        self._files: list[StagedFile] = []

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

    def __enter__(self) -> StagingArea:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()
