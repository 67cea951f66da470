"""The audit log's hash chain: pure rules, no database.

Audit rows are written in the action's own transaction WITHOUT a hash (the hot path takes no
extra lock and reads nothing). A sealing step, run after commits under one lock, then appends
the unsealed rows to the chain in id order::

    link n:  seq = n, event_id, prev_hash = hash of link n-1 (GENESIS for n = 1),
             hash = SHA-256(prev_hash || "\\n" || canonical JSON of the event row)

``seq`` numbers the links without gaps; it is the chain order, which is the id order except
for a row whose transaction committed after a later id had already been sealed (PostgreSQL
assigns ids before commit): that row is appended when it appears, so nothing is skipped.

Verification walks the links in ``seq`` order and reports the FIRST broken one:
- ``changed``: an event's content no longer hashes to its link's hash (a row was updated, two
  rows' contents were swapped, or the link's hash itself was edited);
- ``removed``: a link points to an event that no longer exists, or ``seq`` jumps (a link was
  deleted with its event);
- ``relinked``: ``prev_hash`` differs from the previous link's hash (links were reordered,
  deleted, or rewritten);
- ``truncated``: the chain ends before, or differs at, the last signed checkpoint.

An attacker with write access can recompute an unkeyed chain from the start; signed
checkpoints of the head (``audit_checkpoints``) catch that, and a truncated tail.

The chain follows X-Road's signed message log (exchange standard section 8) and Decision
28/2018/QĐ-TTg Art. 8: the hub must be able to prove what it received and when.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_row(
    *,
    id: int,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None,
    detail: dict[str, Any] | None,
) -> bytes:
    """The bytes hashed for one audit row: canonical JSON (sorted keys, no whitespace, UTF-8),
    the time as ISO 8601 UTC with microseconds (the same text on SQLite and PostgreSQL)."""
    when = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
    document = {
        "id": int(id),
        "at": when.isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject": subject,
        "detail": detail or {},
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def link_hash(prev_hash: str, row: bytes) -> str:
    """hash = SHA-256(prev_hash || "\\n" || row), hex."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(row)
    return digest.hexdigest()


@dataclass(frozen=True)
class ChainBreak:
    """The first broken link: where, what kind, and the expected and found values."""

    seq: int
    event_id: int | None
    kind: str  # changed | removed | relinked | truncated
    message: str
    expected: str | None = None
    found: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "event_id": self.event_id,
            "kind": self.kind,
            "message": self.message,
            "expected": self.expected,
            "found": self.found,
        }


@dataclass
class ChainWalk:
    """Checks links one after another in ``seq`` order; stops at the first break."""

    prev_seq: int = 0
    prev_hash: str = GENESIS
    checked: int = 0
    broken: ChainBreak | None = None

    def step(
        self,
        *,
        seq: int,
        event_id: int,
        prev_hash: str,
        stored_hash: str,
        row: bytes | None,
    ) -> bool:
        """Check one link (``row`` None: its event is gone). False once the chain is broken."""
        if self.broken is not None:
            return False
        if seq != self.prev_seq + 1:
            return self._break(
                ChainBreak(
                    self.prev_seq + 1,
                    None,
                    "removed",
                    f"Link {self.prev_seq + 1} is missing (next link is {seq}).",
                    str(self.prev_seq + 1),
                    str(seq),
                )
            )
        if prev_hash != self.prev_hash:
            return self._break(
                ChainBreak(
                    seq,
                    event_id,
                    "relinked",
                    "The link does not follow the previous link's hash.",
                    self.prev_hash,
                    prev_hash,
                )
            )
        if row is None:
            return self._break(
                ChainBreak(seq, event_id, "removed", f"Audit event {event_id} was deleted.")
            )
        recomputed = link_hash(prev_hash, row)
        if recomputed != stored_hash:
            kind = "changed"
            message = f"Audit event {event_id} no longer matches its sealed hash."
            return self._break(ChainBreak(seq, event_id, kind, message, stored_hash, recomputed))
        self.prev_seq = seq
        self.prev_hash = stored_hash
        self.checked += 1
        return True

    def _break(self, found: ChainBreak) -> bool:
        self.broken = found
        return False


@dataclass(frozen=True)
class ChainReport:
    """The result of verifying the chain."""

    ok: bool
    links: int
    unsealed: int
    head_seq: int
    head_hash: str
    broken: ChainBreak | None = None
    checkpoint: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "links": self.links,
            "unsealed": self.unsealed,
            "head_seq": self.head_seq,
            "head_hash": self.head_hash,
            "broken": self.broken.as_dict() if self.broken else None,
            "checkpoint": self.checkpoint,
        }
