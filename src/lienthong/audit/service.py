"""Use cases of the audit chain: seal unsealed rows, verify the chain, sign a checkpoint.

Sealing runs AFTER the actions' commits, never inside them: each seal is one short
transaction under one lock (``pg_advisory_xact_lock`` on PostgreSQL; on SQLite the writer's
``BEGIN IMMEDIATE`` already holds the database write lock), so several hub processes may seal
concurrently and still build one chain. :class:`BackgroundSealer` runs it in a thread of the
hub process, woken after each accepted package and every ``interval`` seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from lienthong.audit import store
from lienthong.audit.chain import GENESIS, ChainBreak, ChainReport, ChainWalk, canonical_row
from lienthong.audit.chain import link_hash as chain_hash
from lienthong.clock import Clock, as_utc
from lienthong.db import Database
from lienthong.errors import LienthongError
from lienthong.logs import get_logger
from lienthong.trust.receipts import ReceiptSigner, verify_jws

log = get_logger("lienthong.audit")

# pg_advisory_xact_lock key of the sealer: "LTAUDIT" as a number, any constant would do.
SEAL_LOCK_KEY = 0x4C5441554449


def event_row(event: store.AuditEvent) -> bytes:
    return canonical_row(
        id=event.id,
        at=event.at,
        actor=event.actor,
        action=event.action,
        subject=event.subject,
        detail=event.detail,
    )


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    signature: str | None


class AuditService:
    """Seal, verify and checkpoint the audit chain of one database."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        signer: ReceiptSigner | None = None,
        batch: int = 1000,
        lookback: int = 10_000,
    ) -> None:
        self.db = db
        self.clock = clock
        self.signer = signer
        self.batch = batch
        # How far below the sealed head an unsealed id is still looked for: on PostgreSQL a
        # transaction may commit its row after later ids were sealed.
        self.lookback = lookback

    # -- sealing -----------------------------------------------------------------------------

    def _lock(self, session: Session, *, wait: bool) -> bool:
        if session.get_bind().dialect.name != "postgresql":
            return True  # SQLite: BEGIN IMMEDIATE of the writer engine holds the write lock
        if wait:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK_KEY})
            return True
        got = session.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": SEAL_LOCK_KEY})
        return bool(got)

    def seal_batch(self, *, wait: bool = True) -> int:
        """Link at most ``batch`` unsealed rows in one transaction; how many were linked.

        ``wait=False`` gives up at once (returns 0) when another process holds the lock.
        """
        with self.db.unit_of_work() as session:
            if not self._lock(session, wait=wait):
                return 0
            head = store.chain_head(session)
            seq = head.seq if head else 0
            prev = head.hash if head else GENESIS
            floor = max(0, (head.event_id if head else 0) - self.lookback)
            events = store.unsealed_events(session, after_id=floor, limit=self.batch)
            now = self.clock.now()
            links: list[dict[str, Any]] = []
            for event in events:
                seq += 1
                digest = chain_hash(prev, event_row(event))
                links.append(
                    {
                        "seq": seq,
                        "event_id": event.id,
                        "prev_hash": prev,
                        "hash": digest,
                        "sealed_at": now,
                    }
                )
                prev = digest
            store.add_links(session, links)
        return len(links)

    def seal(self, *, wait: bool = True, progress: Callable[[int], object] | None = None) -> int:
        """Seal every row committed so far, batch after batch; how many were linked
        (``progress`` is told each batch's count)."""
        total = 0
        while n := self.seal_batch(wait=wait):
            total += n
            if progress is not None:
                progress(n)
        return total

    def unsealed(self) -> int:
        """How many committed audit rows wait to be sealed."""
        with self.db.read() as session:
            return store.count_unsealed(session)

    def chain_length(self) -> int:
        with self.db.read() as session:
            head = store.chain_head(session)
            return head.seq if head else 0

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint | None:
        """Record the chain's head, signed by the hub when a signer is configured.

        Publish the printed checkpoint outside the database too (a log, another system): a
        checkpoint that only lives next to the chain proves little against its administrator.
        """
        with self.db.unit_of_work() as session:
            self._lock(session, wait=True)
            head = store.chain_head(session)
            if head is None:
                return None
            last = store.last_checkpoint(session)
            if last is not None and last.seq == head.seq:
                return Checkpoint(last.seq, last.hash, as_utc(last.at), last.signature)
            now = self.clock.now()
            signature = None
            if self.signer is not None:
                signature = self.signer.sign_claims(
                    {
                        "hub": self.signer.hub,
                        "audit_seq": head.seq,
                        "audit_hash": head.hash,
                        "at": now.isoformat(),
                    }
                )
            session.add(
                store.AuditCheckpoint(seq=head.seq, hash=head.hash, at=now, signature=signature)
            )
        return Checkpoint(head.seq, head.hash, now, signature)

    # -- verification ------------------------------------------------------------------------

    def verify(self, progress: Callable[[int], object] | None = None) -> ChainReport:
        """Recompute the whole chain; report the first broken link, if any (``progress`` is
        told each page's count of links)."""
        walk = ChainWalk()
        with self.db.read() as session:
            while walk.broken is None:
                page = store.links_with_events(session, after_seq=walk.prev_seq, limit=self.batch)
                if not page:
                    break
                if progress is not None:
                    progress(len(page))
                for link, event in page:
                    ok = walk.step(
                        seq=link.seq,
                        event_id=link.event_id,
                        prev_hash=link.prev_hash,
                        stored_hash=link.hash,
                        row=event_row(event) if event is not None else None,
                    )
                    if not ok:
                        break
            unsealed = store.count_unsealed(session)
            checkpoint = store.last_checkpoint(session)
            checkpoint_info = None
            if checkpoint is not None:
                checkpoint_info = {"seq": checkpoint.seq, "hash": checkpoint.hash}
                if walk.broken is None:
                    walk.broken = self._check_checkpoint(session, walk, checkpoint)
        return ChainReport(
            ok=walk.broken is None,
            links=walk.checked,
            unsealed=unsealed,
            head_seq=walk.prev_seq,
            head_hash=walk.prev_hash,
            broken=walk.broken,
            checkpoint=checkpoint_info,
        )

    def _check_checkpoint(
        self, session: Session, walk: ChainWalk, checkpoint: store.AuditCheckpoint
    ) -> ChainBreak | None:
        if walk.prev_seq < checkpoint.seq:
            return ChainBreak(
                walk.prev_seq + 1,
                None,
                "truncated",
                f"The chain ends at link {walk.prev_seq}, before checkpoint {checkpoint.seq}.",
                str(checkpoint.seq),
                str(walk.prev_seq),
            )
        link = store.link_at(session, checkpoint.seq)
        if link is None or link.hash != checkpoint.hash:
            return ChainBreak(
                checkpoint.seq,
                link.event_id if link else None,
                "truncated",
                "The chain differs from its checkpoint: it was rewritten.",
                checkpoint.hash,
                link.hash if link else None,
            )
        if checkpoint.signature is not None:
            try:
                claims, _certs = verify_jws(checkpoint.signature)
            except LienthongError as exc:
                return ChainBreak(checkpoint.seq, None, "truncated", exc.message)
            if claims.get("audit_seq") != checkpoint.seq or claims.get("audit_hash") != link.hash:
                return ChainBreak(
                    checkpoint.seq,
                    link.event_id,
                    "truncated",
                    "The checkpoint's signature covers another head.",
                    str(claims.get("audit_hash")),
                    checkpoint.hash,
                )
        return None


class BackgroundSealer:
    """Seals in a thread of the hub process, off the request path.

    :meth:`trigger` (called after each commit) only sets an event; the thread starts on the
    first trigger, seals every ``interval`` seconds or when woken, and ends itself after
    ``idle_rounds`` quiet rounds (the next trigger starts it again).
    """

    def __init__(
        self,
        service: AuditService,
        *,
        interval: float = 1.0,
        coalesce: float = 0.05,
        idle_rounds: int = 30,
    ) -> None:
        self.service = service
        self.interval = interval
        self.coalesce = coalesce
        self.idle_rounds = idle_rounds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def trigger(self, *_args: object) -> None:
        with self._lock:
            self._wake.set()
            if self._thread is None and not self._stop.is_set():
                self._thread = threading.Thread(
                    target=self._run, name="lienthong-audit-sealer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        idle = 0
        while not self._stop.is_set():
            woken = self._wake.wait(self.interval)
            if self._stop.is_set():
                break
            if woken:
                time.sleep(self.coalesce)  # let a burst of commits land in one seal
            self._wake.clear()
            try:
                sealed = self.service.seal(wait=False)
            except Exception as exc:  # keep the thread; the next round retries
                log.warning("audit.seal_failed", error=str(exc))
                sealed = 0
            idle = 0 if (sealed or woken) else idle + 1
            with self._lock:
                if idle >= self.idle_rounds and not self._wake.is_set():
                    self._thread = None
                    return
        with self._lock:
            self._thread = None

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread; rows left unsealed wait for the next sealer (or `audit seal`)."""
        with self._lock:
            self._stop.set()
            self._wake.set()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
