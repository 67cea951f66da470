"""Accounts on SQLite and PostgreSQL: users, sign-in, sessions, throttling, audit."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lienthong.accounts import store
from lienthong.accounts.model import Role, ScryptParams, token_hash
from lienthong.accounts.service import AccountError, AccountService
from lienthong.audit.store import AuditEvent
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.errors import ErrorCode
from tests.support import NGHE_AN, NOW, container_for, register

FAST = ScryptParams(n=2**10)


@pytest.fixture
def accounts(db: Database, tmp_path: Path) -> tuple[AccountService, FixedClock]:
    clock = FixedClock(NOW)
    container = container_for(db, tmp_path, clock)
    register(container, NGHE_AN, "UBND tỉnh Nghệ An")
    return AccountService(db, clock, scrypt=FAST), clock


def _audit_actions(service: AccountService) -> list[str]:
    with service.db.read() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_a_user_signs_in_and_the_session_finds_them(
    accounts: tuple[AccountService, FixedClock],
) -> None:
    service, _clock = accounts
    service.create_user("vanthu.nghean", "Lê Thị Văn Thư", NGHE_AN, [Role.CLERK], "mat-khau-dai-1")
    signed = service.sign_in("VanThu.NgheAn", "mat-khau-dai-1", address="10.0.0.1")
    found = service.session(signed.token)
    assert found is not None
    assert found.user.username == "vanthu.nghean"
    assert found.user.agency_name == "UBND tỉnh Nghệ An"
    assert found.user.has(Role.CLERK) and not found.user.has(Role.OPERATOR)
    assert found.csrf_token == signed.session.csrf_token
    with service.db.read() as session:
        assert store.find_session(session, signed.token) is None  # the raw token is not stored
        assert store.find_session(session, token_hash(signed.token)) is not None
    assert _audit_actions(service) == ["user.create", "login"]


def test_a_session_ends_at_its_expiry_and_at_sign_out(
    accounts: tuple[AccountService, FixedClock],
) -> None:
    service, clock = accounts
    service.create_user("lanhdao.nghean", "Lãnh đạo", NGHE_AN, [Role.LEADER], "mat-khau-dai-1")
    first = service.sign_in("lanhdao.nghean", "mat-khau-dai-1", address="a")
    second = service.sign_in("lanhdao.nghean", "mat-khau-dai-1", address="a")
    clock.advance(service.session_ttl + timedelta(seconds=1))
    assert service.session(first.token) is None
    clock.set(NOW)
    service.sign_out(second.token, actor="lanhdao.nghean")
    assert service.session(second.token) is None
    assert _audit_actions(service)[-1] == "logout"


def test_refuses_a_wrong_password_and_records_the_failure(
    accounts: tuple[AccountService, FixedClock],
) -> None:
    service, _clock = accounts
    service.create_user("vanthu.nghean", "Văn thư", NGHE_AN, [Role.CLERK], "mat-khau-dai-1")
    with pytest.raises(AccountError) as caught:
        service.sign_in("vanthu.nghean", "sai-mat-khau", address="a")
    assert caught.value.code is ErrorCode.LOGIN_FAILED
    with pytest.raises(AccountError) as unknown:
        service.sign_in("nobody", "sai-mat-khau", address="a")
    assert unknown.value.code is ErrorCode.LOGIN_FAILED
    with service.db.read() as session:
        assert session.scalar(select(func.count()).select_from(store.UserSessionRow)) == 0
    assert _audit_actions(service)[-2:] == ["login.failed", "login.failed"]


def test_refuses_even_the_right_password_after_five_failures_until_the_window_passes(
    accounts: tuple[AccountService, FixedClock],
) -> None:
    service, clock = accounts
    service.create_user("vanthu.nghean", "Văn thư", NGHE_AN, [Role.CLERK], "mat-khau-dai-1")
    for _ in range(5):
        with pytest.raises(AccountError):
            service.sign_in("vanthu.nghean", "sai-mat-khau", address="a")
    with pytest.raises(AccountError) as caught:
        service.sign_in("vanthu.nghean", "mat-khau-dai-1", address="a")
    assert caught.value.code is ErrorCode.LOGIN_THROTTLED
    with service.db.read() as session:
        assert session.scalar(select(func.count()).select_from(store.UserSessionRow)) == 0
    clock.advance(service.throttle.window + timedelta(seconds=1))
    assert service.sign_in("vanthu.nghean", "mat-khau-dai-1", address="a").token


def test_refuses_a_second_user_with_the_same_name_and_stores_nothing(
    accounts: tuple[AccountService, FixedClock],
) -> None:
    service, _clock = accounts
    service.create_user("vanthu.nghean", "Văn thư", NGHE_AN, [Role.CLERK], "mat-khau-dai-1")
    with pytest.raises(AccountError) as caught:
        service.create_user("vanthu.nghean", "Khác", NGHE_AN, [Role.LEADER], "mat-khau-dai-2")
    assert caught.value.code is ErrorCode.USER_EXISTS
    with pytest.raises(AccountError) as weak:
        service.create_user("new.user", "Người mới", NGHE_AN, [Role.CLERK], "short")
    assert weak.value.code is ErrorCode.USER_INVALID
    with pytest.raises(AccountError) as agency:
        service.create_user("new.user", "Người mới", "000.00.00.Z99", [Role.CLERK], "long-enough-1")
    assert agency.value.code is ErrorCode.AGENCY_UNKNOWN
    assert [u.username for u in service.list_users()] == ["vanthu.nghean"]


def test_a_new_password_ends_the_open_sessions(accounts: tuple[AccountService, FixedClock]) -> None:
    service, _clock = accounts
    service.create_user("vanthu.nghean", "Văn thư", NGHE_AN, [Role.CLERK], "mat-khau-dai-1")
    signed = service.sign_in("vanthu.nghean", "mat-khau-dai-1", address="a")
    service.set_password("vanthu.nghean", "mat-khau-moi-2", actor="admin")
    assert service.session(signed.token) is None
    assert service.sign_in("vanthu.nghean", "mat-khau-moi-2", address="a").token


def test_demo_seeding_creates_the_demo_users_once_and_keeps_their_passwords(
    db: Database, tmp_path: Path
) -> None:
    import json

    from lienthong.accounts.demo import demo_people, seed_demo_users
    from lienthong.agencies.demo import seed_demo

    clock = FixedClock(NOW)
    container = container_for(db, tmp_path, clock)
    seed_demo(container.agencies)
    service = AccountService(db, clock, scrypt=FAST)
    path = tmp_path / "demo-users.json"
    first = seed_demo_users(service, path)
    again = seed_demo_users(service, path)
    assert first == again == json.loads(path.read_text("utf-8"))
    assert len(service.list_users()) == len(demo_people())
    clerk = next(u for u in first if u["username"] == "vanthu.nghean")
    assert service.sign_in("vanthu.nghean", clerk["password"], address="a").token
    operator = service.get_user("vanhanh")
    assert operator.has(Role.OPERATOR)
