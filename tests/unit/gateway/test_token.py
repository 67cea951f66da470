"""The gateway's local API token: made once with mode 0600, read back, or configured."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from lienthong.gateway.token import TOKEN_FILE, load_or_create_token


def test_the_token_is_made_once_in_the_data_dir_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    first = load_or_create_token(tmp_path / "gw")
    path = tmp_path / "gw" / TOKEN_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first) >= 32
    assert load_or_create_token(tmp_path / "gw") == first  # a restart keeps it
    assert load_or_create_token(tmp_path / "other") != first


def test_a_configured_token_wins_and_no_file_is_made(tmp_path: Path) -> None:
    assert load_or_create_token(tmp_path, "t" * 40) == "t" * 40
    assert not (tmp_path / TOKEN_FILE).exists()


@pytest.mark.parametrize("weak", ["", "short", " " * 40])
def test_a_weak_configured_token_is_refused(tmp_path: Path, weak: str) -> None:
    with pytest.raises(ValueError, match="at least 32"):
        load_or_create_token(tmp_path, weak)
