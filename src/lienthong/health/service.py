"""Readiness: can this hub process take a package now?

Liveness (``/livez``) says only that the process answers: a load balancer or orchestrator
restarts a process that stops answering it. Readiness (``/readyz``, and ``/healthz`` for the
probes configured before the split) says whether a send would succeed, so that traffic goes
elsewhere while it would not:

* ``database``: a write transaction commits (a row of ``health_probes`` is rewritten), so a
  database that answers reads but cannot write (a full disk, a read-only replica, a lost
  primary) is not ready;
* ``blob_store``: the blob store answers, and a local one has at least ``margin`` bytes free;
* ``staging``: the staging folder (request bodies, decoded attachments) has ``margin`` free.

Each check reports what it saw; none raises.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy.exc import IntegrityError

from lienthong.blobs import BlobStore
from lienthong.blobs.local import free_bytes
from lienthong.clock import Clock
from lienthong.db import Database
from lienthong.health.store import write_probe
from lienthong.logs import get_logger

log = get_logger("lienthong.health")

PROBE = "readiness"


@dataclass(frozen=True)
class Check:
    """One readiness check: ``ok``, what it saw (``detail``), and free bytes where counted."""

    name: str
    ok: bool
    detail: str
    free_bytes: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "detail": self.detail, "free_bytes": self.free_bytes}


@dataclass(frozen=True)
class Readiness:
    checks: list[Check] = field(default_factory=list)
    margin_bytes: int = 0

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    def metric_families(self) -> list[Metric]:
        """``lienthong_ready``, ``lienthong_readiness_check{check}``,
        ``lienthong_storage_free_bytes{store}`` and ``lienthong_storage_free_margin_bytes``."""
        ready = GaugeMetricFamily(
            "lienthong_ready", "1 when this hub process is ready to take packages, else 0"
        )
        ready.add_metric([], 1.0 if self.ok else 0.0)
        checks = GaugeMetricFamily(
            "lienthong_readiness_check", "1 when a readiness check passes, else 0", labels=["check"]
        )
        free = GaugeMetricFamily(
            "lienthong_storage_free_bytes",
            "Bytes free for the hub's writes, per store (blob_store, staging)",
            labels=["store"],
        )
        for c in self.checks:
            checks.add_metric([c.name], 1.0 if c.ok else 0.0)
            if c.free_bytes is not None:
                free.add_metric([c.name], float(c.free_bytes))
        margin = GaugeMetricFamily(
            "lienthong_storage_free_margin_bytes", "The free space readiness requires per store"
        )
        margin.add_metric([], float(self.margin_bytes))
        return [ready, checks, free, margin]

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.ok else "unavailable",
            "margin_bytes": self.margin_bytes,
            "checks": {c.name: c.as_dict() for c in self.checks},
        }


def room(name: str, free: int | None, margin: int) -> Check:
    """The verdict on ``free`` bytes against ``margin`` (None: the store does not count)."""
    if free is None:
        return Check(name, True, "reachable; free space not reported", None)
    if free < margin:
        return Check(name, False, f"{free} bytes free, under the margin of {margin}", free)
    return Check(name, True, f"{free} bytes free", free)


class HealthService:
    """The readiness checks of one hub process (see the module docstring)."""

    def __init__(
        self,
        *,
        db: Database,
        blobs: BlobStore,
        clock: Clock,
        staging_dir: Path,
        margin_bytes: int,
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.clock = clock
        self.staging_dir = staging_dir
        self.margin_bytes = margin_bytes
        self.who = f"{socket.gethostname()}:{os.getpid()}"[:255]

    def readiness(self) -> Readiness:
        checks = [self._database(), self._blob_store(), self._staging()]
        return Readiness(checks, self.margin_bytes)

    def _database(self) -> Check:
        try:
            with self.db.unit_of_work() as session:
                write_probe(session, PROBE, self.clock.now(), self.who)
        except IntegrityError:
            pass  # another process inserted the first probe row at the same time: it committed
        except Exception as exc:
            log.warning("readiness.database", error=str(exc)[:300])
            return Check("database", False, f"a write cannot be committed: {_short(exc)}")
        return Check("database", True, "a write was committed")

    def _blob_store(self) -> Check:
        try:
            free = self.blobs.free_bytes()
        except Exception as exc:
            log.warning("readiness.blob_store", error=str(exc)[:300])
            return Check("blob_store", False, f"unreachable: {_short(exc)}")
        return room("blob_store", free, self.margin_bytes)

    def _staging(self) -> Check:
        try:
            free = free_bytes(self.staging_dir)
        except OSError as exc:
            return Check("staging", False, f"unreadable: {_short(exc)}")
        return room("staging", free, self.margin_bytes)


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:200]
