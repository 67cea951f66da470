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
from concurrent.futures import ThreadPoolExecutor
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
        batch: int = 32,
        concurrency: int = 4,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.service = service
        self.blobs = blobs
        self.signer = signer
        self.clock = clock
        self.hub_url = hub_url
        self.batch = batch
        # A FIFO pool: an item waiting for an earlier one of its document never starves it.
        self.pool = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="forward")
        # ``tls``: presents this hub's certificate and checks the next hub's (mutual TLS).
        self.http = httpx.Client(timeout=timeout, verify=tls or True)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.http.close()

    def run_once(self) -> int:
        """One pass over the due items; returns how many were claimed.

        Up to ``concurrency`` forwards are in flight at once (the next hubs accept in
        parallel). The items of one document (the document, then its statuses, recall,
        update) go one after the other: an item is claimed only once no earlier item of its
        document to the same hub is pending (:func:`lienthong.federation.store.claim_due`),
        so a status never overtakes its document, across passes and processes. Once a link
        fails (a transport error, a 5xx; not a final refusal of one item, not an item's own
        fault), its items not yet started wait for the link's retry. The outcomes are
        recorded in one unit of work at the end of the pass (a crash before that re-sends
        them after the lease; the next hub answers a re-send with the original acceptance);
        an unexpected error in one forward is that item's failure, never the pass's."""
        items = self.service.claim(self.batch)
        if not items:
            return 0
        failed_links: set[str] = set()
        lock = threading.Lock()

        def attempt(item: Claimed) -> Outcome | None:
            with lock:
                if item.next_hop in failed_links:
                    return None
            try:
                outcome = self.send(item)
            except Exception as exc:  # a bug or a broken store: this item fails, not the pass
                log.exception("federation.forward_error", item=item.id)
                outcome = Outcome(False, reason=f"{type(exc).__name__}: {exc}", local=True)
            if outcome.link_failed:
                with lock:
                    failed_links.add(item.next_hop)
            return outcome

        futures = [(item, self.pool.submit(attempt, item)) for item in items]
        attempts = [(item, future.result()) for item, future in futures]
        recorded = self.service.record_all(attempts)
        for (item, outcome), (state, _) in zip(attempts, recorded, strict=True):
            log.info(
                "federation.forward",
                item=item.id,
                message_id=item.message_id,
                next_hop=item.next_hop,
                attempted=outcome is not None,
                ok=outcome is not None and outcome.ok,
                state=state,
                code=outcome.code if outcome is not None else None,
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
        except KeyError:
            return Outcome(
                False, reason=f"package blob {item.package_digest} not found", local=True
            )
        try:
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
