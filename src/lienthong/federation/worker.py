"""Background work of a federated hub: forwarding the outbox and pulling the directory.

Two daemon threads per hub process, started by the app's lifespan and stopped on shutdown:

Hub to hub is mutual TLS: both clients present this hub's certificate (``hub_cert``/``hub_key``)
and check the other hub's server certificate (``federation_ca``, default ``tls_ca``).

* the **forwarder** claims due outbox items (``SELECT ... FOR UPDATE SKIP LOCKED`` on
  PostgreSQL, so that several hub processes share the work; SQLite's writer lock makes it one
  claim at a time), sends each package to the next hub signed with this hub's key, and records
  the outcome (done; retry with exponential backoff; dead letter). A package accepted by this
  process wakes it at once; it also polls, for the packages other processes accepted.
* the **directory puller** (ministry and provincial hubs) asks the national hub for what changed
  since its cursor, with ``If-None-Match``, every ``federation_pull_seconds``.

Delivery is at least once on the wire and exactly once in effect: the next hub takes the message
id as an idempotency key, so a re-send after a crash (a claim's lease ran out) is answered with
the original acceptance.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, BinaryIO

import httpx

from lienthong.blobs import BlobStore
from lienthong.clock import Clock
from lienthong.federation.service import FederationService, Outcome
from lienthong.federation.signing import sign_forward
from lienthong.federation.store import Claimed
from lienthong.logs import get_logger
from lienthong.trust.receipts import ReceiptSigner

log = get_logger("lienthong.federation")

FORWARD_PATH = "/federation/v1/forward"
DIRECTORY_PATH = "/federation/v1/directory"
SIGNATURE_HEADER = "X-Lienthong-Hub-Signature"


def _chunks(stream: BinaryIO, size: int = 256 * 1024) -> Iterator[bytes]:
    try:
        while data := stream.read(size):
            yield data
    finally:
        stream.close()


class Forwarder:
    def __init__(
        self,
        service: FederationService,
        *,
        blobs: BlobStore,
        signer: ReceiptSigner,
        clock: Clock,
        hub_url: Callable[[str], str | None],
        timeout: float = 10.0,
        batch: int = 20,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.service = service
        self.blobs = blobs
        self.signer = signer
        self.clock = clock
        self.hub_url = hub_url
        self.batch = batch
        # ``tls``: presents this hub's certificate and checks the next hub's (mutual TLS).
        self.http = httpx.Client(timeout=timeout, verify=tls or True)

    def close(self) -> None:
        self.http.close()

    def run_once(self) -> int:
        """One pass over the due items; returns how many were attempted."""
        items = self.service.claim(self.batch)
        failed_links: dict[str, datetime] = {}
        for item in items:
            if item.next_hop in failed_links:
                # The link just failed: keep its order, wait as long as the item before.
                self.service.release(item, failed_links[item.next_hop])
                continue
            outcome = self.send(item)
            state, retry_at = self.service.record(item, outcome)
            if retry_at is not None:
                failed_links[item.next_hop] = retry_at
            log.info(
                "federation.forward",
                item=item.id,
                message_id=item.message_id,
                next_hop=item.next_hop,
                ok=outcome.ok,
                state=state,
                code=outcome.code,
            )
        return len(items)

    def send(self, item: Claimed) -> Outcome:
        url = self.hub_url(item.next_hop)
        if url is None:
            return Outcome(False, reason=f"no URL known for hub {item.next_hop}")
        token = sign_forward(
            self.signer,
            hub=self.service.route.this_hub,
            message_id=item.message_id,
            sha256=item.package_digest,
            hops=item.hops,
            targets=item.targets,
            now=self.clock.now(),
        )
        try:
            stream = self.blobs.open(item.package_digest)
            response = self.http.post(
                url + FORWARD_PATH,
                content=_chunks(stream),
                headers={
                    SIGNATURE_HEADER: token,
                    "Content-Type": "application/xml",
                    "Content-Length": str(item.package_size),
                },
            )
        except (httpx.HTTPError, OSError) as exc:
            return Outcome(False, reason=f"{type(exc).__name__}: {exc}")
        if response.is_success:
            return Outcome(True, status=response.status_code)
        code, message = None, response.text[:500]
        try:
            error = response.json()["error"]
            code, message = str(error["code"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            pass
        return Outcome(False, status=response.status_code, code=code, reason=message)


class DirectoryPuller:
    def __init__(
        self,
        service: FederationService,
        national_url: str,
        timeout: float = 10.0,
        tls: ssl.SSLContext | None = None,
    ):
        self.service = service
        self.national_url = national_url.rstrip("/")
        self.http = httpx.Client(timeout=timeout, verify=tls or True)

    def close(self) -> None:
        self.http.close()

    def pull_once(self) -> int | None:
        """Pull what changed; the number of agencies changed here (None: not modified)."""
        cursor, etag = self.service.directory_cursor()
        params = {"since": cursor.isoformat()} if cursor else {}
        headers = {"If-None-Match": etag} if etag else {}
        response = self.http.get(self.national_url + DIRECTORY_PATH, params=params, headers=headers)
        if response.status_code == 304:
            return None
        response.raise_for_status()
        return self.service.apply_directory(response.json(), response.headers.get("ETag"))


class _Loop:
    """A daemon thread running ``step`` every ``interval`` seconds or when woken."""

    def __init__(self, name: str, step: Callable[[], Any], interval: float) -> None:
        self.step = step
        self.interval = interval
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.step()
            except Exception as exc:  # keep the loop alive; the next pass retries
                log.warning("federation.loop_error", loop=self.thread.name, error=str(exc))
            self.wake.wait(self.interval)
            self.wake.clear()

    def start(self) -> None:
        if self.thread.ident is None:
            self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread.ident is not None:
            self.thread.join(timeout=30)


class FederationWorker:
    """The forwarder and (on a non-national hub) the directory puller of one process."""

    def __init__(
        self,
        forwarder: Forwarder | None,
        puller: DirectoryPuller | None,
        *,
        poll_seconds: float,
        pull_seconds: float,
    ) -> None:
        self.forwarder = forwarder
        self.puller = puller
        self._loops: list[_Loop] = []
        if forwarder is not None:
            self._forward_loop = _Loop("federation-forwarder", self._forward, poll_seconds)
            self._loops.append(self._forward_loop)
        if puller is not None:
            self._loops.append(_Loop("federation-directory", puller.pull_once, pull_seconds))
        self.last_pass: datetime | None = None

    def _forward(self) -> None:
        assert self.forwarder is not None
        while self.forwarder.run_once() >= self.forwarder.batch:
            pass

    def trigger(self, *_: object) -> None:
        """Wake the forwarder (after a commit that may have filled the outbox)."""
        if self.forwarder is not None:
            self._forward_loop.wake.set()

    def start(self) -> None:
        for loop in self._loops:
            loop.start()

    def close(self) -> None:
        for loop in self._loops:
            loop.stop()
        if self.forwarder is not None:
            self.forwarder.close()
        if self.puller is not None:
            self.puller.close()
