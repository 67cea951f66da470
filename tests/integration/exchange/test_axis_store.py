"""The axis protocol's read queries on real SQLite and PostgreSQL databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.edxml import DocumentPackage, parse_bytes
from lienthong.exchange import axis_store
from lienthong.exchange.model import MessageKind, TransportState
from lienthong.web.container import Container
from tests.support import (
    CAO_BANG,
    GOV_OFFICE,
    NGHE_AN,
    NOW,
    container_for,
    document_bytes,
    register,
    send,
    status_bytes,
)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def hub(db: Database, tmp_path: Path, clock: FixedClock) -> Iterator[Container]:
    # The clock runs days ahead of the test PKI's responder (fixed at NOW), whose answers are
    # then stale: this module is about listings, not revocation, so unknown is accepted.
    container = container_for(db, tmp_path, clock, refuse_unknown_revocation=False)
    for code in (GOV_OFFICE, NGHE_AN, CAO_BANG):
        register(container, code)
    yield container


def received(hub: Container, agency: str, **kw: object) -> list[axis_store.ReceivedRow]:
    args: dict[str, object] = {
        "kind": None, "since": None, "until": None, "limit": 100, "offset": 0, **kw,
    }  # fmt: skip
    with hub.db.read() as session:
        return axis_store.pending_received(session, agency, **args)  # type: ignore[arg-type]


def sent(hub: Container, agency: str, **kw: object) -> list[axis_store.SentRow]:
    args: dict[str, object] = {
        "message_id": None, "since": None, "until": None, "limit": 100, "offset": 0, **kw,
    }  # fmt: skip
    with hub.db.read() as session:
        return axis_store.sent_rows(session, agency, **args)  # type: ignore[arg-type]


def test_lists_pending_deliveries_by_kind_date_and_page(hub: Container, clock: FixedClock) -> None:
    send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="1"))
    clock.advance(timedelta(days=2))
    send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="2"))
    rows = received(hub, NGHE_AN)
    assert [(r.kind, r.sender, r.recipient, r.state) for r in rows] == [
        ("edoc", GOV_OFFICE, NGHE_AN, "pending")
    ] * 2
    assert received(hub, NGHE_AN, kind=MessageKind.STATUS) == []
    assert [r.delivery_id for r in received(hub, NGHE_AN, until=NOW + timedelta(hours=1))] == [
        rows[0].delivery_id
    ]
    assert [r.delivery_id for r in received(hub, NGHE_AN, since=NOW + timedelta(days=1))] == [
        rows[1].delivery_id
    ]
    assert [r.delivery_id for r in received(hub, NGHE_AN, limit=1, offset=1)] == [
        rows[1].delivery_id
    ]

    hub.exchange.acknowledge(NGHE_AN, rows[0].delivery_id, TransportState.DONE)
    assert [r.delivery_id for r in received(hub, NGHE_AN)] == [rows[1].delivery_id]
    target = parse_bytes(document_bytes(GOV_OFFICE, [NGHE_AN], number="1"))
    assert isinstance(target, DocumentPackage) and target.header.document_id
    send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, target.header.document_id, "03"))
    (status,) = received(hub, GOV_OFFICE, kind=MessageKind.STATUS)
    assert (status.sender, status.status_code) == (NGHE_AN, "03")


def test_lists_what_an_agency_sent_per_recipient(hub: Container, clock: FixedClock) -> None:
    old = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="1"))
    clock.advance(timedelta(hours=1))
    data = document_bytes(GOV_OFFICE, [NGHE_AN, CAO_BANG], number="2", subject="Báo cáo")
    new = send(hub, GOV_OFFICE, data)
    (delivery,) = received(hub, CAO_BANG)
    hub.exchange.acknowledge(CAO_BANG, delivery.delivery_id, TransportState.DONE)

    rows = sent(hub, GOV_OFFICE)
    assert [(r.origin_message_id, r.recipient) for r in rows] == [
        (new.message_id, CAO_BANG),
        (new.message_id, NGHE_AN),
        (old.message_id, NGHE_AN),
    ]
    cao_bang = rows[0]
    assert (cao_bang.delivery_id, cao_bang.delivery_state) == (delivery.delivery_id, "done")
    assert (cao_bang.status, cao_bang.subject, cao_bang.code_number) == ("01", "Báo cáo", "2")
    assert cao_bang.acked_at == NOW + timedelta(hours=1)
    assert rows[1].delivery_state == "pending" and rows[1].acked_at is None

    assert {r.recipient for r in sent(hub, GOV_OFFICE, message_id=new.message_id)} == {
        NGHE_AN,
        CAO_BANG,
    }
    assert sent(hub, GOV_OFFICE, message_id="no-such-message") == []
    assert sent(hub, NGHE_AN, message_id=new.message_id) == []  # not NGHE_AN's message
    assert [r.origin_message_id for r in sent(hub, GOV_OFFICE, until=NOW)] == [old.message_id]
    assert [r.recipient for r in sent(hub, GOV_OFFICE, limit=1, offset=1)] == [NGHE_AN]
