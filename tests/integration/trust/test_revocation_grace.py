"""Revocation answers are cached (memory, then the revocation_answers table); while the
responder is down the hub goes on with them for the grace period and says so; past it the
revocation check reports ``unknown``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange import store
from lienthong.trust.pki import DemoPKI
from lienthong.trust.responder import Responder
from lienthong.trust.store import RevocationAnswer
from lienthong.web.container import Container
from tests.hub_process import free_port
from tests.support import (
    GOV_OFFICE,
    NGHE_AN,
    NOW,
    container_for,
    counts,
    register,
    send,
    signed_document_bytes,
)


def hub(db: Database, tmp_path: Any, pki: DemoPKI, clock: FixedClock, **kw: Any) -> Container:
    container = container_for(
        db, tmp_path, clock=clock, trust_policy="enforce", trusted_roots=pki.root_path, **kw
    )
    return container


def revocation_check(container: Container, message_id: str) -> dict[str, Any]:
    with container.db.read() as session:
        message = session.scalars(select(store.Message).where(store.Message.id == message_id)).one()
        assert message.validation is not None
        found: dict[str, Any] = next(
            c for c in message.validation["checks"] if c["name"] == "revocation"
        )
        return found


def test_goes_on_with_cached_answers_within_the_grace_period_then_reports_unknown(
    db: Database, tmp_path: Any, demo_pki: DemoPKI
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    signer = demo_pki.issue_custom(
        common_name="Phạm Minh Châu",
        agency_code=GOV_OFFICE,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=365),
        ocsp_url=f"{base}/ocsp",
        crl_url=f"{base}/crl",
    )
    clock = FixedClock(NOW)
    responder = Responder(demo_pki, port=port, clock=FixedClock(NOW)).start()
    first = hub(db, tmp_path, demo_pki, clock)
    register(first, GOV_OFFICE)
    register(first, NGHE_AN)
    try:
        result = send(first, GOV_OFFICE, signed_document_bytes(signer, GOV_OFFICE, [NGHE_AN]))
        assert revocation_check(first, result.message_id)["status"] == "ok"
    finally:
        responder.stop()
    with first.db.read() as session:
        assert session.scalars(select(RevocationAnswer)).first() is not None

    # Two hours later, the responder down: a new hub process (empty memory) uses the table.
    clock.advance(timedelta(hours=2))
    second = hub(db, tmp_path, demo_pki, clock)
    result = send(
        second, GOV_OFFICE, signed_document_bytes(signer, GOV_OFFICE, [NGHE_AN], number="102")
    )
    check = revocation_check(second, result.message_id)
    assert check["status"] == "warning"
    assert check["detail"]["degraded"] is True
    assert "unreachable" in check["message"]

    # Past the 24 h grace period: unknown; accepted unless the policy requires an answer.
    clock.advance(timedelta(hours=23))
    result = send(
        second, GOV_OFFICE, signed_document_bytes(signer, GOV_OFFICE, [NGHE_AN], number="103")
    )
    assert revocation_check(second, result.message_id)["status"] == "unknown"

    strict = hub(db, tmp_path, demo_pki, clock, refuse_unknown_revocation=True)
    before = counts(strict)
    try:
        send(strict, GOV_OFFICE, signed_document_bytes(signer, GOV_OFFICE, [NGHE_AN], number="104"))
    except LienthongError as exc:
        assert exc.code is ErrorCode.REVOCATION_UNKNOWN
    else:
        raise AssertionError("accepted without a revocation answer")
    assert counts(strict) == before


def test_the_grace_period_is_configurable(db: Database, tmp_path: Any, demo_pki: DemoPKI) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    signer = demo_pki.issue_custom(
        common_name="Võ Thị Lan",
        agency_code=GOV_OFFICE,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=365),
        ocsp_url=f"{base}/ocsp",
        crl_url=f"{base}/crl",
    )
    clock = FixedClock(NOW)
    container = hub(db, tmp_path, demo_pki, clock, revocation_grace_hours=1)
    register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    responder = Responder(demo_pki, port=port, clock=FixedClock(NOW)).start()
    try:
        send(container, GOV_OFFICE, signed_document_bytes(signer, GOV_OFFICE, [NGHE_AN]))
    finally:
        responder.stop()
    clock.advance(timedelta(hours=2))
    result = send(
        container,
        GOV_OFFICE,
        signed_document_bytes(signer, GOV_OFFICE, [NGHE_AN], number="105"),
    )
    assert revocation_check(container, result.message_id)["status"] == "unknown"
