"""Revocation answers are cached (memory, then the revocation_answers table); while the
responder is down the hub goes on with them for the grace period and says so; past it the
revocation check reports ``unknown``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
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
    kw.setdefault("refuse_unknown_revocation", True)  # the strict setting, unless a test opts out
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

    # Past the 24 h grace period: unknown, refused by default under enforce, nothing stored.
    clock.advance(timedelta(hours=23))
    before = counts(second)
    with pytest.raises(LienthongError) as caught:
        send(second, GOV_OFFICE, signed_document_bytes(signer, GOV_OFFICE, [NGHE_AN], number="103"))
    assert caught.value.code is ErrorCode.REVOCATION_UNKNOWN
    assert counts(second) == before

    # The explicit opt-out accepts it and records the unknown status.
    lenient = hub(db, tmp_path, demo_pki, clock, refuse_unknown_revocation=False)
    result = send(
        lenient, GOV_OFFICE, signed_document_bytes(signer, GOV_OFFICE, [NGHE_AN], number="104")
    )
    assert revocation_check(lenient, result.message_id)["status"] == "unknown"


def test_a_certificate_without_revocation_information_is_refused_under_enforce(
    db: Database, tmp_path: Any, demo_pki: DemoPKI
) -> None:
    """Issue 18 item 15: no OCSP responder and no CRL named at all was accepted."""
    bare = demo_pki.issue_custom(
        common_name="Đặng Văn Khoa",
        agency_code=GOV_OFFICE,
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=365),
        with_revocation_urls=False,
    )
    clock = FixedClock(NOW)
    container = hub(db, tmp_path, demo_pki, clock)
    register(container, GOV_OFFICE)
    register(container, NGHE_AN)
    before = counts(container)
    with pytest.raises(LienthongError) as caught:
        send(container, GOV_OFFICE, signed_document_bytes(bare, GOV_OFFICE, [NGHE_AN]))
    assert caught.value.code is ErrorCode.REVOCATION_UNKNOWN
    checks = caught.value.detail["validation"]["checks"]
    revocation = next(c for c in checks if c["name"] == "revocation")
    assert "names no OCSP responder or CRL" in revocation["message"]
    assert counts(container) == before
    blobs = container.settings.data_dir / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))

    lenient = hub(db, tmp_path, demo_pki, clock, refuse_unknown_revocation=False)
    result = send(lenient, GOV_OFFICE, signed_document_bytes(bare, GOV_OFFICE, [NGHE_AN]))
    assert revocation_check(lenient, result.message_id)["status"] == "unknown"


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
    container = hub(
        db, tmp_path, demo_pki, clock, revocation_grace_hours=1, refuse_unknown_revocation=False
    )
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
