"""Web users of the hub: who they are, which agency they act for, what they may do.

Pure rules only (password hashing, validation, throttling decisions); no SQL, no HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum


class Role(StrEnum):
    """What a web user may do. A user holds one or more roles within one agency."""

    CLERK = "clerk"  # văn thư: registers, numbers, sends, receives (Decree 30/2020 Art. 19-25)
    LEADER = "leader"  # lãnh đạo: signs as the competent person
    SPECIALIST = "specialist"  # chuyên viên: processes what is assigned
    OPERATOR = "operator"  # hub operator: monitoring centre, registry
    REPORTING_OFFICER = "reporting_officer"  # Decree 09/2019 reporting
    PORTAL_OPERATOR = "portal_operator"  # public service portal back office
    TASK_OFFICER = "task_officer"  # theo dõi nhiệm vụ: assigns and follows up assigned tasks


ROLE_LABELS: dict[Role, str] = {
    Role.CLERK: "Văn thư",
    Role.LEADER: "Lãnh đạo",
    Role.SPECIALIST: "Chuyên viên",
    Role.OPERATOR: "Vận hành trục",
    Role.REPORTING_OFFICER: "Cán bộ báo cáo",
    Role.PORTAL_OPERATOR: "Vận hành cổng dịch vụ công",
    Role.TASK_OFFICER: "Theo dõi nhiệm vụ",
}


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    agency_code: str
    roles: frozenset[Role]
    active: bool = True
    agency_name: str | None = None

    def has(self, *roles: Role) -> bool:
        """True when the user holds at least one of ``roles``."""
        return bool(self.roles.intersection(roles))

    @property
    def role_labels(self) -> list[str]:
        return [ROLE_LABELS[r] for r in Role if r in self.roles]

    @property
    def name_and_title(self) -> str:
        """How a page names the person: "Nguyễn Văn An (Lãnh đạo)", never the login name."""
        titles = ", ".join(self.role_labels)
        return f"{self.full_name} ({titles})" if titles else self.full_name


@dataclass(frozen=True)
class WebSession:
    """A signed-in browser: the user, the session's CSRF token and when it ends."""

    user: User
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True)
class SignIn:
    """A successful sign-in: the cookie value (only its hash is stored) and the session."""

    token: str
    session: WebSession


@dataclass(frozen=True)
class Throttle:
    """Sign-in throttling: after ``max_per_user`` failures for one user name, or
    ``max_per_address`` from one address, within ``window``, further attempts are refused
    without checking the password until the window has passed."""

    window: timedelta = timedelta(minutes=15)
    max_per_user: int = 5
    max_per_address: int = 30

    def refuses(self, user_failures: int, address_failures: int) -> bool:
        return user_failures >= self.max_per_user or address_failures >= self.max_per_address


# --- passwords: scrypt (RFC 7914) with a random salt; the parameters travel with the hash ---


@dataclass(frozen=True)
class ScryptParams:
    n: int = 2**14
    r: int = 8
    p: int = 1
    length: int = 32
    salt_bytes: int = 16


DEFAULT_SCRYPT = ScryptParams()
MIN_PASSWORD_LENGTH = 10


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, params: ScryptParams = DEFAULT_SCRYPT) -> str:
    """``scrypt$N$r$p$salt$hash`` (salt and hash urlsafe base64)."""
    salt = secrets.token_bytes(params.salt_bytes)
    digest = hashlib.scrypt(
        password.encode("utf-8"),
        salt=salt,
        n=params.n,
        r=params.r,
        p=params.p,
        dklen=params.length,
        maxmem=256 * params.n * params.r * params.p,
    )
    return f"scrypt${params.n}${params.r}${params.p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    """Recompute with the stored salt and parameters; constant-time comparison."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = _unb64(digest)
        actual = hashlib.scrypt(
            password.encode("utf-8"),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=256 * int(n) * int(r) * int(p),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def needs_rehash(stored: str, params: ScryptParams = DEFAULT_SCRYPT) -> bool:
    parts = stored.split("$")
    return len(parts) != 6 or parts[1:4] != [str(params.n), str(params.r), str(params.p)]


# A dummy hash checked when the user name is unknown, so that timing does not reveal it.
_DUMMY_HASH: dict[ScryptParams, str] = {}


def dummy_hash(params: ScryptParams) -> str:
    if params not in _DUMMY_HASH:
        _DUMMY_HASH[params] = hash_password(secrets.token_urlsafe(16), params)
    return _DUMMY_HASH[params]


# --- tokens ------------------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the sessions table stores: the SHA-256 of the cookie value, never the value."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


# --- validation --------------------------------------------------------------------------

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")


@dataclass(frozen=True)
class NewUser:
    username: str
    full_name: str
    agency_code: str
    roles: frozenset[Role] = field(default_factory=frozenset)


def user_problems(user: NewUser, password: str | None) -> list[str]:
    """Why a user cannot be created (empty: fine)."""
    problems = []
    if not USERNAME_RE.match(user.username):
        problems.append("username: 3-64 lower-case letters, digits, '.', '_' or '-'")
    if not user.full_name.strip():
        problems.append("full_name: required")
    if not user.roles:
        problems.append("roles: at least one")
    if password is not None:
        problems.extend(password_problems(password))
    return problems


def password_problems(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"password: at least {MIN_PASSWORD_LENGTH} characters"]
    return []


def parse_roles(values: list[str] | str) -> frozenset[Role]:
    """Roles from names (``clerk``) or enum names (``CLERK``); ValueError on an unknown one."""
    items = values.split(",") if isinstance(values, str) else values
    roles = set()
    for item in items:
        name = item.strip()
        if not name:
            continue
        try:
            roles.add(Role(name.lower()))
        except ValueError as exc:
            raise ValueError(f"unknown role {name!r}") from exc
    return frozenset(roles)
