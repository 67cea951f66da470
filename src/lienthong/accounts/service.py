"""Accounts: create users, sign in and out, check sessions; every action is audited in the
same transaction as the action (``lienthong.audit.store.record``)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy.exc import IntegrityError

from lienthong.accounts import store
from lienthong.accounts.model import (
    DEFAULT_SCRYPT,
    NewUser,
    Role,
    ScryptParams,
    SignIn,
    Throttle,
    User,
    WebSession,
    dummy_hash,
    hash_password,
    needs_rehash,
    new_token,
    password_problems,
    token_hash,
    user_problems,
    verify_password,
)
from lienthong.agencies.store import get_agency
from lienthong.audit.store import record
from lienthong.clock import Clock, as_utc
from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError


class AccountError(LienthongError):
    default_code = ErrorCode.USER_INVALID


class AccountService:
    """Web users and their sessions. ``session_ttl``: how long a sign-in lasts."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        session_ttl: timedelta = timedelta(hours=8),
        throttle: Throttle | None = None,
        scrypt: ScryptParams = DEFAULT_SCRYPT,
    ) -> None:
        self.db = db
        self.clock = clock
        self.session_ttl = session_ttl
        self.throttle = throttle or Throttle()
        self.scrypt = scrypt

    # --- users ---------------------------------------------------------------------------

    def create_user(
        self,
        username: str,
        full_name: str,
        agency_code: str,
        roles: Iterable[Role],
        password: str,
        *,
        actor: str = "system",
    ) -> User:
        new = NewUser(username.strip().lower(), full_name.strip(), agency_code, frozenset(roles))
        problems = user_problems(new, password)
        if problems:
            raise AccountError(detail={"problems": problems})
        password_hash = hash_password(password, self.scrypt)  # slow: outside the transaction
        now = self.clock.now()
        try:
            with self.db.unit_of_work() as session:
                agency = get_agency(session, agency_code)
                if agency is None:
                    raise AccountError(
                        code=ErrorCode.AGENCY_UNKNOWN, detail={"agency_code": agency_code}
                    )
                if store.find_user(session, new.username) is not None:
                    raise AccountError(
                        code=ErrorCode.USER_EXISTS, detail={"username": new.username}
                    )
                user = store.add_user(
                    session,
                    username=new.username,
                    full_name=new.full_name,
                    agency_code=agency_code,
                    roles=new.roles,
                    password_hash=password_hash,
                    now=now,
                )
                record(
                    session,
                    at=now,
                    actor=actor,
                    action="user.create",
                    subject=new.username,
                    detail={"agency": agency_code, "roles": sorted(r.value for r in new.roles)},
                )
        except IntegrityError as exc:  # a concurrent create of the same name
            raise AccountError(
                code=ErrorCode.USER_EXISTS, detail={"username": new.username}
            ) from exc
        return User(**{**user.__dict__, "agency_name": agency.name})

    def get_user(self, username: str) -> User:
        with self.db.read() as session:
            found = store.find_user(session, username)
        if found is None:
            raise AccountError(code=ErrorCode.USER_UNKNOWN, detail={"username": username})
        return found[0]

    def get_user_by_id(self, user_id: int) -> User | None:
        with self.db.read() as session:
            return store.get_user_by_id(session, user_id)

    def list_users(self, agency_code: str | None = None) -> list[User]:
        with self.db.read() as session:
            return store.list_users(session, agency_code)

    def users_with_role(self, agency_code: str, role: Role) -> list[User]:
        return [u for u in self.list_users(agency_code) if u.active and role in u.roles]

    def password_matches(self, username: str, password: str) -> bool:
        """Whether ``username`` exists and ``password`` is still its password. A read only:
        no sign-in, no failure counted, nothing audited (``lienthong serve`` checks that the
        demo's published passwords were changed)."""
        with self.db.read() as session:
            found = store.find_user(session, username)
        return found is not None and verify_password(password, found[1])

    def set_password(self, username: str, password: str, *, actor: str = "system") -> None:
        """Change a password; every open session of the user ends."""
        problems = password_problems(password)
        if problems:
            raise AccountError(detail={"problems": problems})
        user = self.get_user(username)
        password_hash = hash_password(password, self.scrypt)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            store.set_password_hash(session, user.id, password_hash, now)
            store.delete_user_sessions(session, user.id)
            record(session, at=now, actor=actor, action="user.password", subject=user.username)

    def set_active(self, username: str, active: bool, *, actor: str = "system") -> None:
        user = self.get_user(username)
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            store.set_active(session, user.id, active)
            if not active:
                store.delete_user_sessions(session, user.id)
            record(
                session,
                at=now,
                actor=actor,
                action="user.enable" if active else "user.disable",
                subject=user.username,
            )

    # --- sessions ------------------------------------------------------------------------

    def sign_in(self, username: str, password: str, *, address: str) -> SignIn:
        """Check the password and open a session; LOGIN_THROTTLED after too many failures
        (the password is then not even checked), LOGIN_FAILED otherwise. Failures are
        recorded (and audited) even though the call raises."""
        # A NUL cannot be stored in PostgreSQL text: kept visible (U+FFFD) so that the failure is
        # recorded like any other, and such a name never matches a user.
        name = username.strip().lower()[:64].replace("\x00", "\ufffd")
        now = self.clock.now()
        since = now - self.throttle.window
        with self.db.read() as session:
            by_user, by_address = store.count_failures(
                session, username=name, address=address, since=since
            )
            found = store.find_user(session, name)
        if self.throttle.refuses(by_user, by_address):
            with self.db.unit_of_work() as session:
                record(
                    session,
                    at=now,
                    actor=name,
                    action="login.throttled",
                    detail={"address": address},
                )
            raise AccountError(code=ErrorCode.LOGIN_THROTTLED)
        stored = found[1] if found is not None else dummy_hash(self.scrypt)
        ok = verify_password(password, stored) and found is not None and found[0].active
        if not ok or found is None:
            with self.db.unit_of_work() as session:
                store.add_failure(session, username=name, address=address, at=now)
                record(
                    session, at=now, actor=name, action="login.failed", detail={"address": address}
                )
            raise AccountError(code=ErrorCode.LOGIN_FAILED)
        user = found[0]
        token, csrf = new_token(), secrets.token_urlsafe(24)
        expires = now + self.session_ttl
        rehash = hash_password(password, self.scrypt) if needs_rehash(stored, self.scrypt) else None
        with self.db.unit_of_work() as session:
            store.add_session(
                session,
                token_hash=token_hash(token),
                user_id=user.id,
                csrf_token=csrf,
                now=now,
                expires_at=expires,
                address=address,
            )
            store.forget_failures(session, username=name, before=since)
            store.delete_expired_sessions(session, now)
            if rehash is not None:
                store.set_password_hash(session, user.id, rehash, now)
            record(session, at=now, actor=name, action="login", detail={"address": address})
        return SignIn(token, WebSession(user, csrf, expires))

    def session(self, token: str | None) -> WebSession | None:
        """The live session of a cookie value, or None (unknown, expired, user disabled)."""
        if not token:
            return None
        now = self.clock.now()
        with self.db.read() as session:
            row = store.find_session(session, token_hash(token))
            if row is None or as_utc(row.expires_at) <= now:
                return None
            user = store.get_user_by_id(session, row.user_id)
            if user is None or not user.active:
                return None
            return WebSession(user, row.csrf_token, as_utc(row.expires_at))

    def sign_out(self, token: str | None, *, actor: str) -> None:
        if not token:
            return
        now = self.clock.now()
        with self.db.unit_of_work() as session:
            if store.delete_session(session, token_hash(token)):
                record(session, at=now, actor=actor, action="logout")
