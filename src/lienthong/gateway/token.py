"""The gateway's local API token: what the agency's document software presents as
``Authorization: Bearer <token>`` on every call to the gateway.

Loopback alone authorises nothing (any process or user on the host, or a reverse proxy,
reaches loopback). The token is the setting ``LIENTHONG_GATEWAY_TOKEN`` (``--token``) or, when
unset, the file ``<data_dir>/api-token``, created on first start (32 random bytes, urlsafe
base64) with mode 0600: only the gateway's own user, and whoever it hands the file to, reads it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

TOKEN_FILE = "api-token"  # noqa: S105 - a file name, not a secret
TOKEN_BYTES = 32
MIN_TOKEN_CHARS = 32


def load_or_create_token(data_dir: Path, configured: str | None = None) -> str:
    """``configured`` when given (at least 32 characters, else ``ValueError``), else the token
    in ``<data_dir>/api-token``, created (mode 0600, atomically) when absent."""
    if configured is not None:
        token = configured.strip()
        if len(token) < MIN_TOKEN_CHARS:
            raise ValueError(f"the gateway token must have at least {MIN_TOKEN_CHARS} characters")
        return token
    path = data_dir / TOKEN_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_urlsafe(TOKEN_BYTES) + "\n")
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # another start linked its token first
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    token = path.read_text(encoding="ascii").strip()
    if len(token) < MIN_TOKEN_CHARS:
        raise ValueError(f"{path} holds no gateway token")
    return token
