"""Content-addressed blob storage behind one interface (a local folder, or an S3-compatible store).

A blob's name is the SHA-256 of its bytes, in hex. Blobs are written from staged local files
(see :mod:`lienthong.blobs.staging`) only after every check passed, so a refused request leaves
no blob behind. Writing the same content twice stores it once (and makes it young again).
Blobs no row refers to (a crash between the blob and the commit, a lost race) are removed by
garbage collection once older than a grace period (:mod:`lienthong.blobs.gc`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from lienthong.config import Settings


class BlobStore(Protocol):
    def put_file(self, path: Path, digest: str) -> None:
        """Store the staged file at ``path`` under ``digest`` (its SHA-256 hex).

        The staged file may be moved or consumed. Durable when this returns. A blob already
        there has its time set to now: it is about to be referred to, and garbage collection
        leaves young blobs alone.
        """
        ...

    def put_bytes(self, data: bytes) -> str:
        """Store ``data``; return its digest."""
        ...

    def open(self, digest: str) -> BinaryIO:
        """A binary stream of the blob. Raises ``KeyError`` when absent."""
        ...

    def exists(self, digest: str) -> bool: ...

    def size(self, digest: str) -> int:
        """Size in bytes. Raises ``KeyError`` when absent."""
        ...

    def delete(self, digest: str) -> None:
        """Remove the blob if present (garbage collection only)."""
        ...

    def iter_blobs(self) -> Iterator[tuple[str, datetime]]:
        """Every blob's digest and last write (UTC), in digest order."""
        ...

    def remove_if_older(self, digest: str, cutoff: datetime) -> bool:
        """Remove the blob when it was last written before ``cutoff``; whether it was."""
        ...

    def sweep_leftovers(self, cutoff: datetime) -> int:
        """Clear what interrupted writes and collections left (older than ``cutoff``)."""
        ...

    def free_bytes(self) -> int | None:
        """Bytes free for new blobs, None when the store does not say (S3). Raises when the
        store cannot be reached (the readiness check)."""
        ...


def make_blob_store(settings: Settings) -> BlobStore:
    """The store the settings choose (``LIENTHONG_BLOB_BACKEND``: ``local`` or ``s3``)."""
    if settings.blob_backend == "s3":
        from lienthong.blobs.s3 import S3BlobStore

        return S3BlobStore(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
        )
    if settings.blob_backend != "local":
        raise ValueError(f"unknown blob backend {settings.blob_backend!r}")
    from lienthong.blobs.local import LocalBlobStore

    return LocalBlobStore(settings.resolved_blob_dir)
