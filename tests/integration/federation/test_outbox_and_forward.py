"""The outbox is written in the acceptance transaction; a forwarded package enters the next hub
through the normal intake; forged, looping and unlisted forwards are refused with nothing stored.
Real SQLite files and PostgreSQL, real hub keys; the HTTP hop is covered end to end elsewhere."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from lienthong.blobs.staging import StagingArea
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.store import Message
from lienthong.federation import store as fstore
from lienthong.federation.service import Outcome
from lienthong.federation.signing import sign_forward
from lienthong.trust.pki import DemoPKI
from lienthong.trust.receipts import ReceiptSigner
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.conftest import sqlite_copy
from tests.integration.federation.conftest import hub_files
from tests.support import NOW, container_for, counts, document_bytes, register, send, status_bytes

NATIONAL, HUB_A, HUB_M = "HUB.QG", "HUB.A", "HUB.M"
COMMUNE, DEPARTMENT, DEPARTMENT_2 = "000.11.38.H41", "000.00.05.G15", "000.00.07.G15"


def federated(db: Database, tmp: Path, pki: DemoPKI, hub: str, clock: FixedClock) -> Container:
    return container_for(
        db,
        tmp,
        clock,
        hub_id=hub,
        national_hub_id=NATIONAL,
        national_hub_url=None if hub == NATIONAL else "http://127.0.0.1:1",
        trust_policy="off",
        retry_first_seconds=5,
        retry_max_attempts=3,
        **hub_files(pki, hub),
    )


def outbox_rows(container: Container) -> list[SimpleNamespace]:
    with container.db.read() as session:
        rows = session.scalars(select(fstore.OutboxRow).order_by(fstore.OutboxRow.id))
        return [
            SimpleNamespace(
                id=r.id,
                message_id=r.message_id,
                next_hop=r.next_hop,
                targets=list(r.targets),
                state=r.state,
            )
            for r in rows
        ]


def n_routes(container: Container) -> int:
    with container.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(fstore.MessageRouteRow)) or 0)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def hub_a(db: Database, tmp_path: Path, hub_pki: DemoPKI, clock: FixedClock) -> Container:
    container = federated(db, tmp_path, hub_pki, HUB_A, clock)
    register(container, COMMUNE, level=1)
    register(container, DEPARTMENT, level=1, hub_code=HUB_M)
    register(container, DEPARTMENT_2, level=1, hub_code=HUB_M)
    return container


def test_a_package_for_another_hub_goes_to_the_outbox_not_to_a_local_inbox(
    hub_a: Container,
) -> None:
    result = send(hub_a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT, DEPARTMENT_2]))
    [item] = outbox_rows(hub_a)
    assert item.next_hop == NATIONAL  # a provincial hub hands everything else to the national
    assert item.targets == [DEPARTMENT, DEPARTMENT_2]  # one row per next hub, not per recipient
    assert item.message_id == result.message_id and item.state == "pending"
    assert counts(hub_a).deliveries == 0
    with hub_a.db.read() as session:
        route = session.get(fstore.MessageRouteRow, result.message_id)
        assert route is not None and [h["hub"] for h in route.hops] == [HUB_A]
        assert route.hops[0]["at"] == NOW.isoformat()


def test_a_refused_package_leaves_no_outbox_row(hub_a: Container) -> None:
    send(hub_a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT]))
    other = document_bytes(COMMUNE, [DEPARTMENT], subject="V/v nội dung khác")
    with pytest.raises(LienthongError) as refused:
        send(hub_a, COMMUNE, other)
    assert refused.value.code is ErrorCode.DUPLICATE_DOCUMENT
    assert len(outbox_rows(hub_a)) == 1 and n_routes(hub_a) == 1


def test_a_claimed_item_is_not_claimed_again_until_its_lease_ends(
    hub_a: Container, clock: FixedClock
) -> None:
    send(hub_a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT]))
    service = hub_a.federation
    assert service is not None
    [item] = service.claim()
    assert service.claim() == []
    clock.advance(service.lease + timedelta(seconds=1))
    [again] = service.claim()
    assert again.id == item.id


def test_failures_back_off_then_dead_letter_and_an_operator_resends(
    hub_a: Container, clock: FixedClock
) -> None:
    send(hub_a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT]))
    service = hub_a.federation
    assert service is not None
    for attempt in range(1, 4):
        [item] = service.claim()
        state, retry_at = service.record(item, Outcome(False, reason="connection refused"))
        if attempt < 3:
            assert state == "pending" and retry_at == clock.now() + timedelta(
                seconds=5 * 2 ** (attempt - 1)
            )
            assert service.claim() == []
            clock.advance(timedelta(seconds=5 * 2 ** (attempt - 1)))
    assert state == "dead" and retry_at is None
    view = service.outbox(["dead"])
    assert view["counts"] == {"dead": 1}
    assert view["items"][0]["last_error"] == "connection refused"
    assert service.resend(item.id)["state"] == "pending"
    [again] = service.claim()
    assert service.record(again, Outcome(True, status=201)) == ("done", None)


def test_a_coded_refusal_by_the_next_hub_is_dead_lettered_at_once(hub_a: Container) -> None:
    send(hub_a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT]))
    assert hub_a.federation is not None
    [item] = hub_a.federation.claim()
    outcome = Outcome(False, status=409, code="DUPLICATE_DOCUMENT", reason="already sent")
    assert hub_a.federation.record(item, outcome) == ("dead", None)


def test_resending_an_unknown_item_is_refused(hub_a: Container) -> None:
    assert hub_a.federation is not None
    with pytest.raises(LienthongError) as refused:
        hub_a.federation.resend(999)
    assert refused.value.code is ErrorCode.OUTBOX_ITEM_NOT_FOUND


def test_an_unreadable_hub_certificate_is_refused_and_never_stops_the_other_hubs(
    hub_a: Container, hub_pki: DemoPKI
) -> None:
    federation = hub_a.federation
    assert federation is not None
    with pytest.raises(LienthongError) as refused:
        federation.save_hub(
            code="HUB.X", name="X", role="province", url="https://x", certificate_pem="garbage"
        )
    assert refused.value.code is ErrorCode.HUB_CERTIFICATE_INVALID
    assert [hub["code"] for hub in federation.hubs()] == []
    # A pulled directory page with one unreadable certificate: that hub is left out.
    good = {
        "code": "HUB.M",
        "name": "M",
        "role": "ministry",
        "url": "https://m.example",
        "active": True,
        "certificate_pem": hub_pki.hub("HUB.M").cert_pem.decode(),
    }
    bad = {**good, "code": "HUB.X", "url": "https://x.example", "certificate_pem": "garbage"}
    page = {"agencies": [], "hubs": [good, bad], "cursor": NOW.isoformat()}
    federation.apply_directory(page, etag=None)
    assert [hub["code"] for hub in federation.hubs()] == ["HUB.M"]
    # One stored before these checks existed is skipped, not fatal for every forward.
    with hub_a.db.unit_of_work() as session:
        fstore.save_hub(session, bad, NOW)
    federation.save_hub(  # any change makes the process read the hubs again
        code="HUB.A",
        name="A",
        role="province",
        url="https://a.example",
        certificate_pem=hub_pki.hub("HUB.A").cert_pem.decode(),
    )
    assert federation.hub_url("HUB.M") == "https://m.example"
    assert federation.hub_url("HUB.X") is None


def test_a_forward_from_a_stranger_is_refused_before_its_body_is_read(hub_a: Container) -> None:
    """No client certificate: refused before a byte of the (here 640 KB) body is spooled."""
    app = create_app(container=hub_a)
    before = counts(hub_a)
    reads = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 65536, "more_body": reads < 10}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/federation/v1/forward",
        "raw_path": b"/federation/v1/forward",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/xml"), (b"x-lienthong-hub-signature", b"a")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8080),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert (start["status"], json.loads(body)["error"]["code"]) == (403, "HUB_TLS_REQUIRED")
    assert reads == 0
    assert counts(hub_a) == before and outbox_rows(hub_a) == [] and n_routes(hub_a) == 0


# --- a forwarded package at the next hub (two hubs, two SQLite files) -----------------------


@pytest.fixture
def pair(
    sqlite_template: Path, tmp_path: Path, hub_pki: DemoPKI, clock: FixedClock
) -> Iterator[dict[str, Any]]:
    dbs = {}
    for hub in (HUB_A, NATIONAL):
        (tmp_path / hub).mkdir()
        dbs[hub] = sqlite_copy(sqlite_template, tmp_path / hub)
    a = federated(dbs[HUB_A], tmp_path / "a", hub_pki, HUB_A, clock)
    n = federated(dbs[NATIONAL], tmp_path / "n", hub_pki, NATIONAL, clock)
    register(a, COMMUNE)
    register(a, DEPARTMENT, hub_code=HUB_M)
    register(n, COMMUNE, hub_code=HUB_A)
    register(n, DEPARTMENT, hub_code=HUB_M)
    assert n.federation is not None
    for hub in (HUB_A, HUB_M):
        n.federation.save_hub(
            code=hub,
            name=hub,
            role="province",
            url="http://127.0.0.1:1",
            certificate_pem=hub_pki.hub(hub).cert_pem.decode(),
        )
    yield {"a": a, "n": n, "pki": hub_pki}
    for database in dbs.values():
        database.dispose()


def forward(
    target: Container,
    origin: Container,
    message_id: str,
    *,
    signer_hub: str,
    pki: DemoPKI,
    claim_hub: str | None = None,
    hops: list[dict[str, str]] | None = None,
    body: bytes | None = None,
    tls_hub: str | None = "",
) -> Any:
    """``target`` accepts what ``origin`` forwards, signed by ``signer_hub`` (as ``claim_hub``)
    over a TLS connection whose client certificate is ``tls_hub``'s (default the signer's;
    None: no client certificate)."""
    with origin.db.read() as session:
        message = session.get(Message, message_id)
        assert message is not None
        digest = message.package_digest
        route = session.get(fstore.MessageRouteRow, message_id)
        route_hops = list(route.hops) if route else []
    [item] = [r for r in outbox_rows(origin) if r.message_id == message_id]
    data = body if body is not None else origin.blobs.open(digest).read()
    files = hub_files(pki, signer_hub)
    signer = ReceiptSigner.from_files(signer_hub, str(files["hub_cert"]), str(files["hub_key"]))
    token = sign_forward(
        signer,
        hub=claim_hub or signer_hub,
        message_id=message_id,
        sha256=digest,
        hops=hops if hops is not None else route_hops,
        targets=list(item.targets),
        now=target.clock.now(),
    )
    assert target.federation is not None
    with StagingArea(target.settings.staging_dir) as staging:
        staged = staging.new_file(".edxml")
        staged.write(data)
        tls_as = signer_hub if tls_hub == "" else tls_hub
        peer = pki.hub(tls_as).certificate if tls_as is not None else None
        return target.federation.accept_forward(token, staged, staging, peer)


def test_a_forwarded_package_enters_the_next_hub_on_behalf_of_its_sender(
    pair: dict[str, Any],
) -> None:
    a, n, pki = pair["a"], pair["n"], pair["pki"]
    sent = send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT]))
    accepted = forward(n, a, sent.message_id, signer_hub=HUB_A, pki=pki)
    assert accepted.recipients == [DEPARTMENT] and not accepted.replay
    [item] = outbox_rows(n)
    assert item.next_hop == HUB_M  # the national hub sends it to the recipient's hub
    with n.db.read() as session:
        route = session.get(fstore.MessageRouteRow, accepted.message_id)
        assert route is not None and [h["hub"] for h in route.hops] == [HUB_A, NATIONAL]
    assert accepted.document_id is not None
    timeline = n.exchange.document_view(COMMUNE, accepted.document_id)["timeline"]
    assert [line["hub"] for line in timeline if line["type"] == "hop"] == [HUB_A, NATIONAL]
    [handover] = [line for line in timeline if line["type"] == "forward"]
    assert (handover["next_hop"], handover["recipients"]) == (HUB_M, [DEPARTMENT])
    again = forward(n, a, sent.message_id, signer_hub=HUB_A, pki=pki)
    assert again.replay and again.message_id == accepted.message_id  # idempotent re-send
    assert counts(n).documents == 1 and len(outbox_rows(n)) == 1


def test_a_resend_after_the_directory_moved_its_sender_gets_the_original_answer(
    pair: dict[str, Any],
) -> None:
    """Accepted, the answer lost in a crash; the sender moves to another hub before the
    re-send: the re-send is answered with the original acceptance, not refused for good."""
    a, n, pki = pair["a"], pair["n"], pair["pki"]
    sent = send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT]))
    accepted = forward(n, a, sent.message_id, signer_hub=HUB_A, pki=pki)
    n.agencies.update(COMMUNE, hub_code=HUB_M)  # hub A no longer speaks for the commune
    again = forward(n, a, sent.message_id, signer_hub=HUB_A, pki=pki)
    assert again.replay and again.message_id == accepted.message_id
    assert counts(n).documents == 1 and len(outbox_rows(n)) == 1
    # A new package from that sender through hub A is refused as before.
    other = send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT], number="2"))
    with pytest.raises(LienthongError) as refused:
        forward(n, a, other.message_id, signer_hub=HUB_A, pki=pki)
    assert refused.value.code is ErrorCode.FORWARD_NOT_ALLOWED


def test_a_status_is_routed_back_towards_the_documents_sender(pair: dict[str, Any]) -> None:
    a, n, pki = pair["a"], pair["n"], pair["pki"]
    sent = send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT]))
    forward(n, a, sent.message_id, signer_hub=HUB_A, pki=pki)
    register(n, "000.00.00.G22")  # nothing else local: the status must leave again
    assert sent.edxml_document_id is not None
    # The department's status reaches the national hub from the ministry hub ...
    status = status_bytes(DEPARTMENT, COMMUNE, sent.edxml_document_id, "03")
    n_staging = StagingArea(n.settings.staging_dir)
    with n_staging:
        staged = n_staging.new_file(".edxml")
        staged.write(status)
        files = hub_files(pki, HUB_M)
        signer = ReceiptSigner.from_files(HUB_M, str(files["hub_cert"]), str(files["hub_key"]))
        staged.close()
        token = sign_forward(
            signer,
            hub=HUB_M,
            message_id="m" * 32,
            sha256=staged.digest,
            hops=[{"hub": HUB_M, "at": NOW.isoformat()}],
            targets=[COMMUNE],
            now=NOW,
        )
        assert n.federation is not None
        result = n.federation.accept_forward(
            token, staged, staging=n_staging, peer=pki.hub(HUB_M).certificate
        )
    assert result.status_code == "03"
    status_items = [r for r in outbox_rows(n) if r.message_id == result.message_id]
    assert [(r.next_hop, r.targets) for r in status_items] == [(HUB_A, [COMMUNE])]


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unlisted hub", ErrorCode.HUB_UNKNOWN),
        ("no TLS client certificate", ErrorCode.HUB_TLS_REQUIRED),
        ("TLS certificate of an unlisted hub", ErrorCode.HUB_UNKNOWN),
        ("TLS certificate of another hub", ErrorCode.HUB_SIGNATURE_INVALID),
        ("key of another hub", ErrorCode.HUB_SIGNATURE_INVALID),
        ("tampered body", ErrorCode.HUB_SIGNATURE_INVALID),
        ("loop", ErrorCode.FORWARD_LOOP),
        ("sender of another hub", ErrorCode.FORWARD_NOT_ALLOWED),
    ],
)
def test_a_bad_forward_is_refused_and_nothing_is_stored(
    pair: dict[str, Any], case: str, code: ErrorCode
) -> None:
    a, n, pki = pair["a"], pair["n"], pair["pki"]
    sent = send(a, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT]))
    before = counts(n)
    kwargs: dict[str, Any] = {"signer_hub": HUB_A}
    if case == "unlisted hub":
        kwargs = {"signer_hub": "HUB.X"}
    elif case == "no TLS client certificate":
        kwargs["tls_hub"] = None  # signed by the right hub, but not over mutual TLS
    elif case == "TLS certificate of an unlisted hub":
        kwargs["tls_hub"] = "HUB.X"
    elif case == "TLS certificate of another hub":
        kwargs["tls_hub"] = HUB_M  # the ministry hub connects, sending what A signed
    elif case == "key of another hub":
        kwargs = {"signer_hub": HUB_M, "claim_hub": HUB_A, "tls_hub": HUB_A}
    elif case == "tampered body":
        kwargs["body"] = document_bytes(COMMUNE, [DEPARTMENT], number="999")
    elif case == "loop":
        kwargs["hops"] = [
            {"hub": NATIONAL, "at": NOW.isoformat()},
            {"hub": HUB_A, "at": NOW.isoformat()},
        ]
    elif case == "sender of another hub":
        kwargs = {"signer_hub": HUB_M}  # the ministry hub speaks for a commune of province A
    with pytest.raises(LienthongError) as refused:
        forward(n, a, sent.message_id, pki=pki, **kwargs)
    assert refused.value.code is code
    after = counts(n)
    assert (after.messages, after.documents, after.deliveries) == (
        before.messages,
        before.documents,
        before.deliveries,
    )
    assert outbox_rows(n) == [] and n_routes(n) == 0


def test_a_merged_recipient_is_redirected_to_its_successor_when_the_operator_allows(
    db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    hub = container_for(db, tmp_path, clock, trust_policy="off", redirect_merged=True)
    register(hub, COMMUNE)
    register(hub, "000.00.00.G15")
    register(hub, "000.00.00.G14", valid_to=date(2025, 2, 28), successor_code="000.00.00.G15")
    result = send(hub, COMMUNE, document_bytes(COMMUNE, ["000.00.00.G14"]))
    assert result.recipients == ["000.00.00.G15"]
    assert result.extra["redirected"] == {"000.00.00.G14": "000.00.00.G15"}
    inbox, _ = hub.exchange.inbox("000.00.00.G15")
    assert len(inbox) == 1


def test_a_merged_recipient_is_refused_by_default(
    db: Database, tmp_path: Path, clock: FixedClock
) -> None:
    hub = container_for(db, tmp_path, clock, trust_policy="off")
    register(hub, COMMUNE)
    register(hub, "000.00.00.G15")
    register(hub, "000.00.00.G14", valid_to=date(2025, 2, 28), successor_code="000.00.00.G15")
    before = counts(hub)
    with pytest.raises(LienthongError) as refused:
        send(hub, COMMUNE, document_bytes(COMMUNE, ["000.00.00.G14"]))
    assert refused.value.code is ErrorCode.RECIPIENT_MERGED
    assert counts(hub) == before


@pytest.mark.postgres
def test_concurrent_claims_on_postgresql_skip_each_others_items(
    pg_database_url: str, tmp_path: Path, hub_pki: DemoPKI, clock: FixedClock
) -> None:
    from tests.conftest import _truncate_all

    database = Database.from_url(pg_database_url, pool_size=3)
    _truncate_all(database)
    try:
        hub = federated(database, tmp_path, hub_pki, HUB_A, clock)
        register(hub, COMMUNE)
        register(hub, DEPARTMENT, hub_code=HUB_M)
        for number in ("1", "2"):
            send(hub, COMMUNE, document_bytes(COMMUNE, [DEPARTMENT], number=number))
        lease = clock.now() + timedelta(seconds=30)
        with database.unit_of_work() as first:
            [mine] = fstore.claim_due(first, clock.now(), lease, 1, skip_locked=True)
            with database.unit_of_work() as second:
                [theirs] = fstore.claim_due(second, clock.now(), lease, 1, skip_locked=True)
        assert mine.id != theirs.id
    finally:
        database.dispose()
