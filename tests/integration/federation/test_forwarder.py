"""The forwarder of a provincial hub sends its outbox to a real national hub served over HTTP on
a loopback port: several forwards in flight at once, the items of one document in order, a
failed link's later items held back until its retry. Two hubs, two SQLite files, real keys."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import Request, Response
from sqlalchemy import select

from lienthong.clock import FixedClock
from lienthong.exchange.store import Message
from lienthong.federation import store as fstore
from lienthong.federation.worker import Forwarder
from lienthong.trust.pki import DemoPKI
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.conftest import sqlite_copy
from tests.integration.federation.conftest import hub_files
from tests.support import NOW, container_for, document_bytes, register, send, status_bytes
from tests.web_server import ThreadedServer

NATIONAL, HUB_A, HUB_M = "HUB.QG", "HUB.A", "HUB.M"
COMMUNE, DEPARTMENT = "000.11.38.H41", "000.00.05.G15"


def hub(tmp: Path, template: Path, pki: DemoPKI, code: str, clock: FixedClock) -> Container:
    (tmp / code).mkdir()
    return container_for(
        sqlite_copy(template, tmp / code),
        tmp / code / "var",
        clock,
        hub_id=code,
        national_hub_id=NATIONAL,
        trust_policy="off",
        retry_first_seconds=5,
        federation_mtls="off",  # plain HTTP here; mutual TLS is tested with hub processes
        **hub_files(pki, code),
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


class Observed:
    """What the national hub's HTTP layer saw: requests in flight at most, and the order."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.most = 0
        self.count = 0


@pytest.fixture
def link(
    sqlite_template: Path, tmp_path: Path, hub_pki: DemoPKI, clock: FixedClock
) -> Iterator[dict[str, Any]]:
    a = hub(tmp_path, sqlite_template, hub_pki, HUB_A, clock)
    n = hub(tmp_path, sqlite_template, hub_pki, NATIONAL, clock)
    register(a, COMMUNE)
    register(a, DEPARTMENT, hub_code=HUB_M)
    register(n, COMMUNE, hub_code=HUB_A)
    register(n, DEPARTMENT, hub_code=HUB_M)
    assert n.federation is not None
    for code in (HUB_A, HUB_M):
        n.federation.save_hub(
            code=code,
            name=code,
            role="province",
            url="http://127.0.0.1:1",
            certificate_pem=hub_pki.hub(code).cert_pem.decode(),
        )
    seen = Observed()
    app = create_app(container=n)

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        seen.count += 1
        first = seen.count == 1
        seen.in_flight += 1
        seen.most = max(seen.most, seen.in_flight)
        try:
            if first:  # the first forward is slow: what comes after must not overtake it
                await asyncio.sleep(0.5)
            return await call_next(request)
        finally:
            seen.in_flight -= 1

    server = ThreadedServer(app).start()
    assert a.federation is not None and a.receipts is not None
    forwarder = Forwarder(
        a.federation,
        blobs=a.blobs,
        signer=a.receipts,
        clock=clock,
        hub_url=lambda code: server.url if code == NATIONAL else None,
        concurrency=4,
    )
    yield {"a": a, "n": n, "forwarder": forwarder, "seen": seen, "server": server}
    forwarder.close()
    server.stop()
    a.db.dispose()
    n.db.dispose()


def outbox(container: Container) -> list[fstore.OutboxRow]:
    with container.db.read() as session:
        rows = list(session.scalars(select(fstore.OutboxRow).order_by(fstore.OutboxRow.id)))
        session.expunge_all()
        return rows


def test_forwards_run_in_parallel_and_a_recall_never_overtakes_its_document(
    link: dict[str, Any],
) -> None:
    a, n, forwarder, seen = link["a"], link["n"], link["forwarder"], link["seen"]
    first = send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT], number="1"))
    assert first.edxml_document_id is not None
    # The recall is right behind its document in the outbox, then more documents.
    send(a, COMMUNE, status_bytes(COMMUNE, COMMUNE, first.edxml_document_id, "13", "Thu hồi"))
    for number in range(2, 12):
        send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT], number=str(number)))
    assert len(outbox(a)) == 12

    # The recall waits while its document is pending (in flight here); the rest go at once.
    assert forwarder.run_once() == 11
    assert [row.state for row in outbox(a)][1] == "pending"
    assert forwarder.run_once() == 1

    assert [row.state for row in outbox(a)] == ["done"] * 12
    assert seen.most > 1  # several forwards were in flight at once
    with n.db.read() as session:
        kinds = [m.kind for m in session.scalars(select(Message))]
        recall = session.scalars(select(Message).where(Message.status_code == "13")).one()
        assert recall.document_ref is not None  # it found its document: it came after it
    assert sorted(kinds).count("edoc") == 11 and len(kinds) == 12


def test_a_failed_link_holds_back_its_later_items_until_the_retry(
    link: dict[str, Any], clock: FixedClock
) -> None:
    a, forwarder, server = link["a"], link["forwarder"], link["server"]
    server.stop()  # the national hub is down
    for number in range(1, 9):
        send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT], number=str(number)))

    assert forwarder.run_once() == 8

    rows = outbox(a)
    assert all(row.state == "pending" for row in rows)
    attempted = [row for row in rows if row.attempts == 1]
    # At most the forwards already in flight when the first failure came back were tried.
    assert 1 <= len(attempted) <= 4
    assert all(row.last_error for row in attempted)
    retry_at = clock.now() + timedelta(seconds=5)
    assert {row.next_attempt_at.replace(tzinfo=None) for row in rows} == {
        retry_at.replace(tzinfo=None)
    }
    assert forwarder.run_once() == 0  # nothing is due before the retry


def test_a_recall_waits_while_its_document_waits_for_a_retry(
    link: dict[str, Any], clock: FixedClock
) -> None:
    a, n, forwarder, server = link["a"], link["n"], link["forwarder"], link["server"]
    server.stop()  # the national hub is down: the document goes into backoff
    first = send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT], number="1"))
    assert first.edxml_document_id is not None
    assert forwarder.run_once() == 1
    # The sender recalls it while the document waits: the recall is due at once, but must not
    # reach the next hub before its document (it would be refused there as unknown, for good).
    send(a, COMMUNE, status_bytes(COMMUNE, COMMUNE, first.edxml_document_id, "13", "Thu hồi"))
    assert forwarder.run_once() == 0
    document, recall = outbox(a)
    assert (document.attempts, recall.attempts) == (1, 0)

    clock.advance(timedelta(seconds=5))  # the document's retry is due, the link still down
    assert forwarder.run_once() == 1
    document, recall = outbox(a)
    assert (document.attempts, recall.attempts) == (2, 0)
    with n.db.read() as session:
        assert session.scalars(select(Message)).first() is None


def test_an_item_whose_blob_is_missing_fails_alone_and_the_pass_is_recorded(
    link: dict[str, Any], clock: FixedClock
) -> None:
    a, forwarder = link["a"], link["forwarder"]
    for number in range(1, 6):
        send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT], number=str(number)))
    rows = outbox(a)
    with a.db.read() as session:
        broken = session.get(Message, rows[1].message_id)
        assert broken is not None
        a.blobs.delete(broken.package_digest)  # e.g. a storage fault

    assert forwarder.run_once() == 5

    rows = outbox(a)
    assert [row.state for row in rows] == ["done", "pending", "done", "done", "done"]
    assert rows[1].attempts == 1
    assert rows[1].last_error is not None and "not found" in rows[1].last_error
    retry_at = (clock.now() + timedelta(seconds=5)).replace(tzinfo=None)
    assert rows[1].next_attempt_at.replace(tzinfo=None) == retry_at


def test_items_waiting_for_their_document_never_crowd_out_other_documents(
    link: dict[str, Any], clock: FixedClock
) -> None:
    a, forwarder, server = link["a"], link["forwarder"], link["server"]
    forwarder.batch = 1  # a claim sees one due item: the waiting recall must not block it
    server.stop()
    first = send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT], number="1"))
    assert first.edxml_document_id is not None
    assert forwarder.run_once() == 1  # the document fails and waits for its retry
    send(a, COMMUNE, status_bytes(COMMUNE, COMMUNE, first.edxml_document_id, "13", "Thu hồi"))
    send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT], number="2"))

    assert forwarder.run_once() == 0  # the recall, first in line, is put back to wait
    assert forwarder.run_once() == 1  # so the other document goes (and fails: link down)

    document, recall, other = outbox(a)
    assert (document.attempts, recall.attempts, other.attempts) == (1, 0, 1)
    # The recall is due with its document's retry, not before.
    assert recall.next_attempt_at == document.next_attempt_at
