"""Demo web users for the demo agencies (``lienthong demo seed``), passwords in
``<data_dir>/demo-users.json``. Idempotent: existing users keep their recorded password."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

from lienthong.accounts.model import Role
from lienthong.accounts.service import AccountError, AccountService
from lienthong.errors import ErrorCode

# slug -> agency code (the demo registry of lienthong.agencies.demo)
DEMO_AGENCY_SLUGS: dict[str, str] = {
    "vpcp": "000.00.00.G22",
    "btc": "000.00.00.G12",
    "nghean": "000.00.00.H41",
    "stc-nghean": "000.00.12.H41",
    "vinh": "000.00.31.H41",
    "caobang": "000.00.00.H14",
    "angiang": "H01",
}

_PEOPLE: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("vanthu", "Văn thư", frozenset({Role.CLERK})),
    ("lanhdao", "Lãnh đạo", frozenset({Role.LEADER})),
    ("chuyenvien", "Chuyên viên", frozenset({Role.SPECIALIST})),
    ("baocao", "Cán bộ báo cáo", frozenset({Role.REPORTING_OFFICER})),
)

# Hub-wide people at the Government Office.
_HUB_PEOPLE: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("vanhanh", "Nguyễn Văn Vận Hành", frozenset({Role.OPERATOR})),
    ("dichvucong", "Trần Thị Dịch Vụ", frozenset({Role.PORTAL_OPERATOR})),
    ("theodoi", "Phạm Thị Theo Dõi", frozenset({Role.TASK_OFFICER})),
)


def demo_people() -> list[tuple[str, str, str, frozenset[Role]]]:
    """(username, full name, agency code, roles) of every demo user: people's names (the
    leader is the head whose demo certificate signs, ``agencies.demo.demo_signer``)."""
    from lienthong.agencies.demo import DEMO_AGENCIES, DEMO_NAMES, demo_signer

    by_code = {a.code: a for a in DEMO_AGENCIES}
    people = [(name, full, DEMO_AGENCY_SLUGS["vpcp"], roles) for name, full, roles in _HUB_PEOPLE]
    for index, (slug, code) in enumerate(DEMO_AGENCY_SLUGS.items()):
        for offset, (prefix, _title, roles) in enumerate(_PEOPLE):
            if Role.LEADER in roles and code in by_code:
                full_name = demo_signer(by_code[code])[0]
            else:
                pick = 7 + index * 3 + offset
                full_name = DEMO_NAMES[pick % len(DEMO_NAMES)]
                if code in by_code and full_name == demo_signer(by_code[code])[0]:
                    full_name = DEMO_NAMES[(pick + 11) % len(DEMO_NAMES)]
            people.append((f"{prefix}.{slug}", full_name, code, roles))
    return people


def seed_demo_users(service: AccountService, path: Path) -> list[dict[str, str]]:
    """Create the demo users that are missing; write every demo user's password to ``path``."""
    known: dict[str, str] = {}
    if path.exists():
        known = {u["username"]: u["password"] for u in json.loads(path.read_text("utf-8"))}
    out = []
    for username, full_name, agency, roles in demo_people():
        password = known.get(username) or secrets.token_urlsafe(12)
        try:
            service.create_user(username, full_name, agency, roles, password, actor="demo-seed")
        except AccountError as exc:
            if exc.code is not ErrorCode.USER_EXISTS:
                raise
            if username not in known:  # exists, password unknown: set a new one
                service.set_password(username, password, actor="demo-seed")
        out.append(
            {
                "username": username,
                "password": password,
                "agency": agency,
                "roles": ",".join(sorted(r.value for r in roles)),
            }
        )
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)
    return out
