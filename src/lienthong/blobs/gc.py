"""Garbage collection of blobs that no row refers to (``lienthong blobs gc``, and a periodic
job in each hub process).

Where they come from: the intake writes a package's blobs before the transaction that refers
to them (:mod:`lienthong.exchange.intake`), so a crash or a storage failure between the two,
or a lost race between two copies of one document, leaves blobs no row refers to.

What is removed: a blob whose last write is older than the grace period and that no column
declared as a blob reference (``info={"blob": True}``, see :func:`blob_columns`) names. What is
never removed: a blob a committing transaction may still refer to. Every writer puts its
blobs before its transaction, and putting a blob that is already there makes it young again
(``BlobStore.put_file``), so such a blob is younger than the grace period as long as no request
takes longer than it; and the blob store removes a blob only if it is still old at the moment
of removal (``BlobStore.remove_if_older``). A writer that refers to an existing blob without
putting it again would break this: there is none (the clerk puts its PDFs, the intake its
package and attachments).

How, without holding every digest in memory: the referenced digests are streamed in order
from one query (a union of the blob columns), merged with the blob store's listing in digest
order; a blob that the merge finds unreferenced is checked again with a direct query before it
is removed, so a difference of sort order between the database and the store can only keep a
blob, never remove a referenced one.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Column, ColumnElement, MetaData, select, union
from sqlalchemy.orm import Session

from lienthong.blobs import BlobStore
from lienthong.blobs import staging as staging_area
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.logs import get_logger

log = get_logger("lienthong.blobs.gc")

_RECHECK_BATCH = 500


def blob_columns(metadata: MetaData) -> list[Column[Any]]:
    """The columns that hold a blob's digest (declared ``info={"blob": True}``)."""
    return [
        column
        for table in metadata.sorted_tables
        for column in table.columns
        if column.info.get("blob") is True
    ]


@dataclass
class GcReport:
    """What one collection saw and did (``removed``: the digests removed)."""

    scanned: int = 0
    referenced: int = 0
    young: int = 0
    kept_on_recheck: int = 0
    removed: list[str] = field(default_factory=list)
    would_remove: list[str] = field(default_factory=list)
    leftovers: int = 0
    staging_removed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "scanned": self.scanned,
            "referenced": self.referenced,
            "young": self.young,
            "kept_on_recheck": self.kept_on_recheck,
            "removed": len(self.removed),
            "would_remove": len(self.would_remove),
            "leftovers": self.leftovers,
            "staging_removed": self.staging_removed,
        }


def referenced_digests(session: Session, columns: Sequence[Column[Any]]) -> Iterator[str]:
    """Every referenced digest once, in byte order (streamed)."""
    selects = [select(c.label("digest")).where(c.is_not(None)) for c in columns]
    combined = union(*selects).subquery() if len(selects) > 1 else selects[0].subquery()
    order: ColumnElement[Any] = combined.c.digest
    if session.get_bind().dialect.name == "postgresql":
        order = order.collate("C")  # byte order, as the store lists
    rows = session.execute(
        select(combined.c.digest).order_by(order), execution_options={"yield_per": 5000}
    )
    for (digest,) in rows:
        yield str(digest)


def _still_referenced(
    session: Session, columns: Sequence[Column[Any]], digests: Iterable[str]
) -> set[str]:
    wanted = list(digests)
    found: set[str] = set()
    for column in columns:
        found.update(
            str(d) for d in session.scalars(select(column).where(column.in_(wanted)).distinct())
        )
    return found


def collect(
    db: Database,
    blobs: BlobStore,
    columns: Sequence[Column[Any]],
    *,
    now: datetime,
    grace: timedelta,
    dry_run: bool = False,
) -> GcReport:
    """Remove the blobs no row refers to that were last written before ``now - grace``."""
    cutoff = now - grace  # fixed before the references are read (see the module docstring)
    report = GcReport()
    if not columns:
        raise ValueError("no blob column declared: nothing could be told referenced")
    if not dry_run:
        report.leftovers = blobs.sweep_leftovers(cutoff)
    with db.read() as session:
        references = referenced_digests(session, columns)
        reference = next(references, None)
        candidates: list[str] = []
        for digest, written in blobs.iter_blobs():
            report.scanned += 1
            while reference is not None and reference < digest:
                reference = next(references, None)
            if reference == digest:
                report.referenced += 1
            elif written >= cutoff:
                report.young += 1
            else:
                candidates.append(digest)
                if len(candidates) >= _RECHECK_BATCH:
                    _remove(session, blobs, columns, candidates, cutoff, report, dry_run)
                    candidates = []
        for _rest in references:
            pass  # drain the cursor before the session closes
        if candidates:
            _remove(session, blobs, columns, candidates, cutoff, report, dry_run)
    log.info("blobs.gc", cutoff=cutoff.isoformat(), dry_run=dry_run, **report.as_dict())
    return report


def _remove(
    session: Session,
    blobs: BlobStore,
    columns: Sequence[Column[Any]],
    candidates: list[str],
    cutoff: datetime,
    report: GcReport,
    dry_run: bool,
) -> None:
    referenced = _still_referenced(session, columns, candidates)
    report.kept_on_recheck += len(referenced)
    for digest in candidates:
        if digest in referenced:
            continue
        if dry_run:
            report.would_remove.append(digest)
        elif blobs.remove_if_older(digest, cutoff):
            report.removed.append(digest)
        else:
            report.young += 1  # written again meanwhile


@contextmanager
def exclusive(data_dir: Path, *, wait: bool) -> Iterator[bool]:
    """One collector at a time on this host: whether this one got the turn (``wait``: block
    until it does). Collectors on other hosts are safe too, only wasteful."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / "blobs-gc.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


@dataclass
class Collector:
    """What the periodic job runs: the abandoned staging folders, then the blobs."""

    db: Database
    blobs: BlobStore
    columns: Sequence[Column[Any]]
    clock: Clock
    grace: timedelta
    data_dir: Path
    staging_dir: Path

    def run(self, *, wait: bool = True, dry_run: bool = False) -> GcReport | None:
        """One collection; None when another collector on this host holds the turn."""
        with exclusive(self.data_dir, wait=wait) as mine:
            if not mine:
                return None
            removed = 0 if dry_run else staging_area.sweep(self.staging_dir)
            report = collect(
                self.db,
                self.blobs,
                self.columns,
                now=self.clock.now(),
                grace=self.grace,
                dry_run=dry_run,
            )
            report.staging_removed = removed
            return report


class PeriodicCollector:
    """Runs :meth:`Collector.run` every ``interval`` seconds in a daemon thread, and, when
    ``fixity_interval`` is set, a fixity audit (:mod:`lienthong.blobs.fixity`) that often; a
    failed run (the database down) is logged and tried again at the next tick."""

    def __init__(
        self, collector: Collector, interval: float, *, fixity_interval: float = 0.0
    ) -> None:
        self.collector = collector
        self.interval = interval
        self.fixity_interval = fixity_interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_fixity = time.monotonic()

    def start(self) -> None:
        if self._thread is None and self.interval > 0:
            self._thread = threading.Thread(target=self._loop, name="blobs-gc", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.collector.run(wait=False)
            except Exception as exc:
                log.warning("blobs.gc_failed", error=str(exc)[:300])
            self.fixity_if_due()

    def fixity_if_due(self) -> bool:
        """Run the fixity audit when its interval has passed since the last; whether it ran."""
        if self.fixity_interval <= 0:
            return False
        if time.monotonic() - self._last_fixity < self.fixity_interval:
            return False
        self._last_fixity = time.monotonic()
        from lienthong.blobs.fixity import check_fixity

        c = self.collector
        try:
            check_fixity(c.db, c.blobs, c.columns, c.clock)
        except Exception as exc:
            log.warning("blobs.fixity_audit_failed", error=str(exc)[:300])
        return True

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
