"""Connection guards under uvicorn: a bound on slow request headers and stalled bodies, and a
cap on the connections one client address may hold.

uvicorn 0.54 bounds only the idle time between requests (``timeout_keep_alive``) and the total
of connections (``limit_concurrency``, answered 503 once the app is busy): a client that sends
half a request line, or half a body, and waits keeps its connection (and a file descriptor and
a worker's memory) for as long as it likes, and 200 such connections from one address starve
everyone else. The protocol classes in :mod:`lienthong.web.tls` mix :class:`ConnectionGuard`
in; it arms a timer:

* from the connection's opening, and from the first byte of each next request, until the
  request's headers are complete (``http_header_timeout_seconds``);
* while a body is read, re-armed by every byte that arrives (``http_body_idle_timeout_seconds``;
  never while uvicorn itself has paused reading because the app is not consuming the body).

When it fires the connection is closed without an answer. A trusted reverse proxy's address is
exempt from the per-address cap (it carries every client's connections; the proxy limits each
client itself, see ``deploy/nginx/lienthong.conf``).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar

import structlog

log = structlog.get_logger("lienthong.web.guard")


@dataclass(frozen=True)
class Limits:
    header_seconds: float
    body_idle_seconds: float
    per_address: int
    exempt: frozenset[str]


@lru_cache(maxsize=1)
def limits() -> Limits:
    """The limits of this process, read once from the handed-down settings."""
    from lienthong.config import load_settings

    settings = load_settings()
    return Limits(
        settings.http_header_timeout_seconds,
        settings.http_body_idle_timeout_seconds,
        settings.http_max_connections_per_address,
        settings.trusted_proxy_addresses,
    )


class ConnectionGuard:
    """Mixed into a uvicorn HTTP protocol (before it in the bases)."""

    open_per_address: ClassVar[Counter[str]] = Counter()
    transport: Any
    loop: asyncio.AbstractEventLoop
    flow: Any

    def guard_open(self, transport: Any) -> bool:
        """Count the connection; False (and closed) when its address is over the cap."""
        self._guard_timer: asyncio.TimerHandle | None = None
        self._guard_address: str | None = None
        self._guard_limits = limits()
        peer = transport.get_extra_info("peername")
        address = str(peer[0]) if isinstance(peer, tuple) and peer else None
        cap = self._guard_limits.per_address
        if address is not None and cap and address not in self._guard_limits.exempt:
            if self.open_per_address[address] >= cap:
                log.warning("connection.refused", reason="per_address_cap", address=address)
                transport.close()
                return False
            self.open_per_address[address] += 1
            self._guard_address = address
        self.guard_headers()
        return True

    def guard_closed(self) -> None:
        self.guard_disarm()
        address = getattr(self, "_guard_address", None)
        if address is not None:
            self.open_per_address[address] -= 1
            if self.open_per_address[address] <= 0:
                del self.open_per_address[address]
            self._guard_address = None

    def guard_headers(self) -> None:
        """A request (or the connection) began: its headers are due within the bound."""
        if getattr(self, "_guard_timer", None) is None:
            self._arm(self._guard_limits.header_seconds, "header_timeout")

    def guard_body(self) -> None:
        """Headers complete, or a piece of body arrived: the next byte is due within the bound."""
        self.guard_disarm()
        self._arm(self._guard_limits.body_idle_seconds, "body_idle_timeout")

    def guard_disarm(self) -> None:
        timer = getattr(self, "_guard_timer", None)
        if timer is not None:
            timer.cancel()
            self._guard_timer = None

    def _arm(self, seconds: float, reason: str) -> None:
        self._guard_timer = self.loop.call_later(seconds, self._expired, seconds, reason)

    def _expired(self, seconds: float, reason: str) -> None:
        self._guard_timer = None
        if getattr(self.flow, "read_paused", False):
            self._arm(seconds, reason)  # uvicorn paused reading: the wait is the app's
            return
        if not self.transport.is_closing():
            log.info("connection.closed", reason=reason, seconds=seconds)
            self.transport.close()
