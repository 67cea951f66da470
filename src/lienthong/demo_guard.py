"""The demo's secrets never serve outside the demo.

``lienthong demo seed`` / ``demo run`` publish their secrets on purpose, in plain files of the
data folder: user passwords in ``demo-users.json``, agency secrets in ``demo-credentials.json``
(``demo network``: one per hub), and they record which master key the demo ran with
(``demo-master-key.sha256``, its SHA-256). ``lienthong serve`` refuses to start
(``DEMO_SECRETS_IN_USE``) while any of them still works: the master key is the demo's, a demo
user still has the published password, an agency still authenticates with the published secret.
Change them (``lienthong secrets`` for the key, ``lienthong accounts set-password``, ``lienthong
agencies rotate-credentials``) or delete the data folder; the demo commands themselves are not
affected.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from lienthong.accounts.service import AccountService
from lienthong.agencies.service import AgencyService
from lienthong.config import Settings
from lienthong.errors import ErrorCode, LienthongError
from lienthong.secrets import load_or_create_key

USERS_FILE = "demo-users.json"
CREDENTIALS_FILE = "demo-credentials.json"
KEY_FINGERPRINT_FILE = "demo-master-key.sha256"


class DemoSecretsInUseError(LienthongError):
    default_code = ErrorCode.DEMO_SECRETS_IN_USE


def key_fingerprint(key: bytes) -> str:
    return hashlib.sha256(b"lienthong-master-key:" + key).hexdigest()


def record_demo_key(settings: Settings) -> None:
    """Remember (as a fingerprint) the master key the demo runs with."""
    path = Path(settings.data_dir) / KEY_FINGERPRINT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(key_fingerprint(load_or_create_key(settings)) + "\n", encoding="ascii")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _published_secrets(data: Any) -> Iterable[tuple[str, str]]:
    """(agency code, secret) of a demo credentials file: the demo's list of objects, or the
    demo network's ``{code: secret}``."""
    if isinstance(data, dict):
        yield from ((str(k), v) for k, v in data.items() if isinstance(v, str))
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and isinstance(item.get("secret"), str):
                yield str(item.get("system_id") or item.get("code")), item["secret"]


def demo_secrets_in_use(
    settings: Settings, agencies: AgencyService, accounts: AccountService
) -> list[str]:
    """What of the demo's published secrets still works here, one line each."""
    data_dir = Path(settings.data_dir)
    found: list[str] = []
    fingerprint = data_dir / KEY_FINGERPRINT_FILE
    if fingerprint.exists():
        recorded = fingerprint.read_text("ascii").strip()
        if recorded == key_fingerprint(load_or_create_key(settings)):
            found.append("the master key (LIENTHONG_SECRET_KEY / secret.key) is the demo's")
    users = _read_json(data_dir / USERS_FILE)
    for user in users if isinstance(users, list) else []:
        if not isinstance(user, dict):
            continue
        name, password = user.get("username"), user.get("password")
        if (
            isinstance(name, str)
            and isinstance(password, str)
            and accounts.password_matches(name, password)
        ):
            found.append(f"user {name} still has the demo password")
    for system_id, secret in _published_secrets(_read_json(data_dir / CREDENTIALS_FILE)):
        try:
            agencies.authenticate(system_id, secret)
        except LienthongError:
            continue
        found.append(f"agency {system_id} still has the demo secret")
    return found


def refuse_demo_secrets(
    settings: Settings, agencies: AgencyService, accounts: AccountService
) -> None:
    """Raise ``DEMO_SECRETS_IN_USE`` (with what still works) when any demo secret works."""
    found = demo_secrets_in_use(settings, agencies, accounts)
    if not found:
        return
    users = [f.split()[1] for f in found if f.startswith("user ")]
    codes = [f.split()[1] for f in found if f.startswith("agency ")]
    parts = [f for f in found if not f.startswith(("user ", "agency "))]
    if users:
        parts.append(f"{len(users)} user(s) still have the demo password ({_few(users)})")
    if codes:
        parts.append(f"{len(codes)} agency(ies) still have the demo secret ({_few(codes)})")
    raise DemoSecretsInUseError(
        f"The demo's published secrets still work in {settings.data_dir}: "
        + "; ".join(parts)
        + ". Change them, or use `lienthong demo run` for the demo.",
        detail={"found": found},
    )


def _few(names: list[str]) -> str:
    return ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
