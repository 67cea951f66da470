"""Sealing secrets under the hub master key, and finding that key."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest

from lienthong.config import Settings
from lienthong.secrets import Sealer, SealError, load_or_create_key

KEY = bytes(range(32))


def test_a_sealed_secret_opens_to_the_same_bytes() -> None:
    sealer = Sealer(KEY)
    sealed = sealer.seal("bí mật".encode())
    assert sealer.open(sealed) == "bí mật".encode()
    assert "bí" not in sealed
    base64.urlsafe_b64decode(sealed)  # urlsafe base64 text


def test_sealing_twice_gives_different_texts() -> None:
    sealer = Sealer(KEY)
    assert sealer.seal(b"secret") != sealer.seal(b"secret")


def test_refuses_to_open_under_another_key() -> None:
    sealed = Sealer(KEY).seal(b"secret")
    with pytest.raises(SealError):
        Sealer(b"\x00" * 32).open(sealed)


def test_refuses_to_open_a_tampered_text() -> None:
    sealer = Sealer(KEY)
    raw = bytearray(base64.urlsafe_b64decode(sealer.seal(b"secret")))
    raw[-1] ^= 1
    with pytest.raises(SealError):
        sealer.open(base64.urlsafe_b64encode(bytes(raw)).decode())
    with pytest.raises(SealError):
        sealer.open("not base64!")
    with pytest.raises(SealError):
        sealer.open("")


def test_refuses_to_open_a_secret_moved_to_another_context() -> None:
    sealer = Sealer(KEY)
    sealed = sealer.seal(b"secret", associated_data=b"000.00.00.G22")
    assert sealer.open(sealed, associated_data=b"000.00.00.G22") == b"secret"
    with pytest.raises(SealError):
        sealer.open(sealed, associated_data=b"000.00.00.H41")


def test_refuses_a_key_that_is_not_32_bytes() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        Sealer(b"short")


def test_takes_the_key_from_the_setting_when_set(tmp_path: Path) -> None:
    text = base64.urlsafe_b64encode(KEY).decode().rstrip("=")
    settings = Settings(secret_key=text, data_dir=tmp_path)
    assert load_or_create_key(settings) == KEY
    assert not (tmp_path / "secret.key").exists()


def test_refuses_a_setting_that_is_not_a_32_byte_key(tmp_path: Path) -> None:
    short = base64.urlsafe_b64encode(b"x" * 16).decode()
    with pytest.raises(ValueError, match="32 bytes"):
        load_or_create_key(Settings(secret_key=short, data_dir=tmp_path))


def test_creates_a_private_key_file_once_and_reads_it_afterwards(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    first = load_or_create_key(settings)
    path = tmp_path / "var" / "secret.key"
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(settings) == first
    assert [p.name for p in path.parent.iterdir()] == ["secret.key"]
