"""Sealing secrets the hub must be able to read back, under the hub master key.

Most secrets are only ever compared, and a hash is enough. The axis protocol is the exception:
a client signs each request with HMAC-SHA256 keyed by its agency secret, and the hub can only
check that signature by computing the same HMAC, so it needs the raw secret. Such secrets are
stored sealed (AES-256-GCM) under a master key that lives outside the database: a copy of the
database alone does not reveal them.

The master key is the setting ``secret_key`` (urlsafe base64 of 32 bytes) or, when unset, the
file ``<data_dir>/secret.key``, created on first use with mode 0600. Losing the key makes every
sealed secret unreadable (agencies then need new credentials); keep it with the backups but
apart from them.

Rotation without downtime (docs/operations.md): ``previous_secret_keys`` lists the keys being
rotated out; sealed values open under any of them, new ones are sealed under the current key,
and ``lienthong secrets reseal`` re-seals every stored value under the current key, after which
the previous keys can go.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from lienthong.errors import ErrorCode, LienthongError

__all__ = [
    "KEY_BYTES",
    "SealError",
    "Sealer",
    "load_or_create_key",
    "load_previous_keys",
    "new_key_text",
    "sealer_from",
]

KEY_BYTES = 32
NONCE_BYTES = 12  # the size AES-GCM is specified for (NIST SP 800-38D)
KEY_FILE = "secret.key"


class SealError(LienthongError):
    """A sealed value cannot be opened: it was damaged, or sealed under another master key.

    This is the hub's fault, never the caller's, hence ``INTERNAL``.
    """

    default_code = ErrorCode.INTERNAL


class _KeySettings(Protocol):
    @property
    def secret_key(self) -> str | None: ...

    @property
    def data_dir(self) -> Path: ...


class _RotationSettings(_KeySettings, Protocol):
    @property
    def previous_secret_keys(self) -> str | None: ...


class Sealer:
    """Authenticated encryption of small secrets with AES-256-GCM under one 32-byte key.

    ``seal`` draws a fresh random 96-bit nonce per call and returns the urlsafe base64 text of
    nonce + ciphertext + tag; ``open`` reverses it. ``associated_data``, when given, binds the
    sealed value to its context (for instance the system id it belongs to): opening it under
    another context fails like tampering does.

    ``previous``: master keys being rotated out. ``open`` tries them after the current key, so
    values sealed under a previous key still open during a rotation; ``seal`` always uses the
    current key (``lienthong secrets reseal`` moves stored values to it).
    """

    def __init__(self, key: bytes, previous: Sequence[bytes] = ()) -> None:
        for k in (key, *previous):
            if len(k) != KEY_BYTES:
                raise ValueError(f"the master key must be {KEY_BYTES} bytes, not {len(k)}")
        self._aead = AESGCM(key)
        self._previous = [AESGCM(k) for k in previous if k != key]

    @property
    def rotating(self) -> bool:
        """Whether previous keys are configured (a rotation is under way)."""
        return bool(self._previous)

    def seal(self, plaintext: bytes, *, associated_data: bytes = b"") -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = nonce + self._aead.encrypt(nonce, plaintext, associated_data)
        return base64.urlsafe_b64encode(sealed).decode("ascii")

    def open(self, sealed: str, *, associated_data: bytes = b"") -> bytes:
        """The plaintext; raises :class:`SealError` when ``sealed`` is damaged, was sealed under
        another key or with other associated data."""
        try:
            raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError, ValueError) as exc:
            raise SealError("a sealed secret is not valid base64") from exc
        if len(raw) < NONCE_BYTES + 16:
            raise SealError("a sealed secret is too short")
        for aead in (self._aead, *self._previous):
            try:
                return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data)
            except InvalidTag:
                continue
        raise SealError(
            "a sealed secret cannot be opened: damaged, or sealed under another master key"
        )

    def sealed_under_current(self, sealed: str, *, associated_data: bytes = b"") -> bool:
        """Whether ``sealed`` opens with the current key (no reseal needed)."""
        try:
            raw = base64.urlsafe_b64decode(sealed.encode("ascii"))
            self._aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data)
        except (InvalidTag, binascii.Error, UnicodeEncodeError, ValueError):
            return False
        return True


def decode_key(text: str) -> bytes:
    """The 32 key bytes of a urlsafe base64 text (padding optional); ``ValueError`` otherwise."""
    text = text.strip()
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("the master key is not urlsafe base64") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"the master key must be {KEY_BYTES} bytes, not {len(key)}")
    return key


def load_or_create_key(settings: _KeySettings) -> bytes:
    """The hub master key: ``settings.secret_key`` when set, else ``<data_dir>/secret.key``,
    created (32 random bytes, urlsafe base64, mode 0600) when absent.

    Several processes may start at once: the file appears atomically (written under a temporary
    name, then hard-linked into place), so each of them reads the one key that won.
    Raises ``ValueError`` when the setting or the file does not hold a 32-byte key.
    """
    if settings.secret_key:
        return decode_key(settings.secret_key)
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        _create_key_file(path)
    return decode_key(path.read_text(encoding="ascii"))


def load_previous_keys(settings: _RotationSettings) -> list[bytes]:
    """The keys of ``previous_secret_keys`` (comma-separated urlsafe base64), oldest last;
    ``ValueError`` when one is not a 32-byte key."""
    text = settings.previous_secret_keys or ""
    return [decode_key(part) for part in text.split(",") if part.strip()]


def sealer_from(settings: _RotationSettings) -> Sealer:
    """The sealer of the hub: the current master key, and the previous ones of a rotation."""
    return Sealer(load_or_create_key(settings), load_previous_keys(settings))


def new_key_text() -> str:
    """A fresh master key, as the setting ``secret_key`` takes it."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def _create_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii") + "\n"
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        # The link fails if another process linked its key first: then that key stands.
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
