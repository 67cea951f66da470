"""Fixity audits: every blob a row refers to is read again and hashed; a blob whose bytes no
longer give its name (bit rot, a tampered file) or that is gone is reported, in the log and as
an audit event (``blobs.fixity_checked``), never repaired silently.

A blob's name is the SHA-256 of its bytes, so the check needs no stored checksum of its own.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Column

from lienthong.audit.store import record as audit
from lienthong.blobs import BlobStore
from lienthong.blobs.gc import referenced_digests
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.logs import get_logger

log = get_logger(__name__)
CHUNK = 1 << 20
REPORTED_MAX = 1000  # digests named in one report (the counts are always whole)


@dataclass
class FixityReport:
    checked: int = 0
    bytes: int = 0
    mismatched: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.mismatched and not self.missing

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "bytes": self.bytes,
            "mismatched": self.mismatched[:REPORTED_MAX],
            "mismatched_count": len(self.mismatched),
            "missing": self.missing[:REPORTED_MAX],
            "missing_count": len(self.missing),
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
        }


def digest_of(blobs: BlobStore, digest: str) -> tuple[str, int]:
    """The SHA-256 of the blob's bytes as read now, and its size. ``KeyError``: absent."""
    h = hashlib.sha256()
    size = 0
    with blobs.open(digest) as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


def check_fixity(
    db: Database,
    blobs: BlobStore,
    columns: Sequence[Column[Any]],
    clock: Clock,
    *,
    actor: str = "system",
) -> FixityReport:
    """Re-hash every referenced blob; record the result as an audit event."""
    started = time.monotonic()
    report = FixityReport()
    with db.read() as session:
        referenced = list(referenced_digests(session, columns))
    for digest in referenced:
        try:
            actual, size = digest_of(blobs, digest)
        except KeyError:
            report.missing.append(digest)
            continue
        report.checked += 1
        report.bytes += size
        if actual != digest:
            report.mismatched.append(digest)
    report.seconds = time.monotonic() - started
    at: datetime = clock.now()
    with db.unit_of_work() as session:
        audit(
            session,
            at=at,
            actor=actor,
            action="blobs.fixity_checked",
            detail=report.as_dict(),
        )
    if report.ok:
        log.info("blobs.fixity_ok", checked=report.checked, bytes=report.bytes)
    else:
        log.error(
            "blobs.fixity_failed",
            mismatched=len(report.mismatched),
            missing=len(report.missing),
            first=(report.mismatched or report.missing)[0],
        )
    return report
