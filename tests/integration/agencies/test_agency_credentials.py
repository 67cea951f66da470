"""Credentials: issued, rotated, checked on every call, and unsealed for the axis HMAC."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import Level, NewAgency
from lienthong.agencies.service import AgencyService
from lienthong.agencies.store import CredentialRow
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.errors import ErrorCode

GOV_OFFICE = "000.00.00.G22"


@pytest.fixture
def registered(service: AgencyService) -> str:
    service.register(NewAgency(code=GOV_OFFICE, name="Văn phòng Chính phủ", level=Level.ONE))
    return GOV_OFFICE


def auth_refused(service: AgencyService, system_id: str, secret: str) -> None:
    with pytest.raises(AgencyError) as caught:
        service.authenticate(system_id, secret)
    assert caught.value.code is ErrorCode.AUTH_FAILED


def credential_rows(db: Database) -> list[CredentialRow]:
    with db.read() as session:
        rows = list(session.scalars(select(CredentialRow).order_by(CredentialRow.id)))
        session.expunge_all()  # keep the loaded values past the read's rollback
    return rows


def test_issued_credentials_authenticate_the_agency(
    service: AgencyService, registered: str
) -> None:
    system_id, secret = service.issue_credentials(registered)
    assert system_id == registered
    assert len(secret) >= 43
    assert service.authenticate(system_id, secret) == registered


def test_stores_only_a_hash_and_a_sealed_copy_of_the_secret(
    service: AgencyService, db: Database, registered: str
) -> None:
    _, secret = service.issue_credentials(registered)
    [row] = credential_rows(db)
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in row.secret_sealed
    assert row.revoked_at is None


def test_refuses_a_wrong_secret_an_unknown_system_and_junk(
    service: AgencyService, registered: str
) -> None:
    system_id, secret = service.issue_credentials(registered)
    auth_refused(service, system_id, secret + "x")
    auth_refused(service, system_id, "")
    auth_refused(service, "000.00.00.G99", secret)
    auth_refused(service, "not a system id", secret)
    auth_refused(service, "x" * 10_000, secret)


def test_an_agency_without_credentials_cannot_authenticate(
    service: AgencyService, registered: str
) -> None:
    auth_refused(service, registered, "")


def test_after_rotation_the_old_secret_is_refused_and_the_new_one_works(
    service: AgencyService, db: Database, clock: FixedClock, registered: str
) -> None:
    _, old = service.issue_credentials(registered)
    clock.advance(timedelta(minutes=5))
    system_id, new = service.rotate_credentials(registered)
    assert new != old
    auth_refused(service, system_id, old)
    assert service.authenticate(system_id, new) == registered
    first, second = credential_rows(db)
    assert first.revoked_at is not None
    assert second.revoked_at is None


def test_issuing_again_revokes_the_previous_credentials(
    service: AgencyService, db: Database, registered: str
) -> None:
    _, old = service.issue_credentials(registered)
    _, new = service.issue_credentials(registered)
    auth_refused(service, registered, old)
    assert service.authenticate(registered, new) == registered
    assert [row.revoked_at is None for row in credential_rows(db)] == [False, True]


def test_refuses_credentials_for_an_agency_that_is_not_registered(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    before = snapshot()
    with pytest.raises(AgencyError) as caught:
        service.issue_credentials("000.00.00.Z99")
    assert caught.value.code is ErrorCode.AGENCY_UNKNOWN
    with pytest.raises(AgencyError) as caught:
        service.rotate_credentials("000.00.00.Z99")
    assert caught.value.code is ErrorCode.AGENCY_UNKNOWN
    assert snapshot() == before


def test_gives_the_axis_protocol_the_secret_bytes_the_client_keys_its_hmac_with(
    service: AgencyService, registered: str
) -> None:
    system_id, secret = service.issue_credentials(registered)
    assert service.hmac_secret(system_id) == (registered, secret.encode("utf-8"))
    _, rotated = service.rotate_credentials(registered)
    assert service.hmac_secret(system_id) == (registered, rotated.encode("utf-8"))


def test_has_no_hmac_secret_for_an_unknown_system(service: AgencyService, registered: str) -> None:
    for system_id in [registered, "000.00.00.Z99", "not valid"]:
        with pytest.raises(AgencyError) as caught:
            service.hmac_secret(system_id)
        assert caught.value.code is ErrorCode.AUTH_FAILED


def test_concurrent_issues_leave_exactly_one_active_credential(
    service: AgencyService, db: Database, registered: str
) -> None:
    results: list[tuple[str, str]] = []
    failures: list[BaseException] = []
    start = threading.Barrier(4)

    def issue() -> None:
        start.wait()
        try:
            results.append(service.issue_credentials(registered))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=issue) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    rows = credential_rows(db)
    assert len(rows) == 4
    assert sum(row.revoked_at is None for row in rows) == 1
    working = [s for _, s in results if _authenticates(service, registered, s)]
    assert len(working) == 1


def _authenticates(service: AgencyService, system_id: str, secret: str) -> bool:
    try:
        service.authenticate(system_id, secret)
    except AgencyError:
        return False
    return True


def test_a_rotation_with_an_overlap_keeps_the_old_secret_until_it_ends(
    service: AgencyService, registered: str, clock: FixedClock
) -> None:
    system_id, old = service.issue_credentials(registered)
    _, new = service.rotate_credentials(registered, overlap=timedelta(hours=2))
    assert service.authenticate(system_id, old) == registered
    assert service.authenticate(system_id, new) == registered
    assert service.hmac_secret(system_id) == (registered, new.encode("utf-8"))
    assert service.previous_hmac_secrets(system_id) == [old.encode("utf-8")]
    clock.advance(timedelta(hours=2, seconds=1))
    auth_refused(service, system_id, old)
    assert service.previous_hmac_secrets(system_id) == []
    assert service.authenticate(system_id, new) == registered


def test_reseal_moves_every_live_secret_to_the_current_key(
    db: Database, registered: str, clock: FixedClock
) -> None:
    from lienthong.secrets import Sealer

    old_key, new_key = b"o" * 32, b"n" * 32
    before = AgencyService(db, Sealer(old_key), clock)
    system_id, first = before.issue_credentials(registered)
    _, second = before.rotate_credentials(registered, overlap=timedelta(hours=1))
    rotating = AgencyService(db, Sealer(new_key, [old_key]), clock)
    assert rotating.reseal_secrets() == (2, 0)
    after = AgencyService(db, Sealer(new_key), clock)
    assert after.hmac_secret(system_id) == (registered, second.encode("utf-8"))
    assert after.previous_hmac_secrets(system_id) == [first.encode("utf-8")]
    assert after.reseal_secrets() == (0, 2)
