"""How pages name people and cut notification texts (pure rules)."""

from __future__ import annotations

from lienthong.accounts.model import Role, User
from lienthong.notifications.model import KIND_LABELS, NotificationKind, shorten


def _user(*roles: Role) -> User:
    return User(1, "lanhdao.vpcp", "Nguyễn Văn Minh", "000.00.00.G22", frozenset(roles))


def test_a_person_is_named_by_full_name_and_title_never_by_login_name() -> None:
    assert _user(Role.LEADER).name_and_title == "Nguyễn Văn Minh (Lãnh đạo)"
    both = _user(Role.LEADER, Role.CLERK).name_and_title
    assert both == "Nguyễn Văn Minh (Văn thư, Lãnh đạo)"
    assert "lanhdao" not in both


def test_a_long_subject_is_cut_on_one_line_with_an_ellipsis() -> None:
    assert shorten("V/v   kết nối\nliên thông") == "V/v kết nối liên thông"
    cut = shorten("x" * 200, most=20)
    assert len(cut) == 20 and cut.endswith("…")
    assert shorten(None) == ""


def test_every_kind_has_a_vietnamese_label() -> None:
    assert set(KIND_LABELS) == set(NotificationKind)
