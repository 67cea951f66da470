"""A real hub process on a loopback port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def _default_roots() -> Path:
    from tests.support import shared_pki

    return shared_pki().root_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class HubProcess:
    """``python -m lienthong serve`` with its own settings; started and stopped by the test."""

    def __init__(
        self,
        *,
        data_dir: Path,
        database_url: str,
        secret_key: str,
        port: int | None = None,
        workers: int = 1,
        env: dict[str, str] | None = None,
        ca: Path | None = None,
        allow_demo_secrets: bool = False,
    ) -> None:
        """``ca``: the hub serves HTTPS (``LIENTHONG_TLS_*`` in ``env``) with a certificate
        of this root; the readiness check verifies it."""
        self.ca = ca
        # The demo network's hubs serve its published secrets on purpose (`demo network`).
        self.extra_args = ["--allow-demo-secrets"] if allow_demo_secrets else []
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = port or free_port()
        self.workers = workers
        self.env = {
            **os.environ,
            "LIENTHONG_DATABASE_URL": database_url,
            "LIENTHONG_DATA_DIR": str(data_dir),
            "LIENTHONG_SECRET_KEY": secret_key,
            "LIENTHONG_LOG_LEVEL": "WARNING",
            # The shipped trust policy ('enforce'); the test PKI's root is trusted.
            "LIENTHONG_TRUSTED_ROOTS": str(_default_roots()),
            **(env or {}),
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"hub-{self.port}.log"

    @property
    def url(self) -> str:
        return f"{'https' if self.ca is not None else 'http'}://127.0.0.1:{self.port}"

    def verify(self) -> ssl.SSLContext | bool:
        return ssl.create_default_context(cafile=str(self.ca)) if self.ca is not None else True

    def start(self, timeout: float = 30.0) -> HubProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lienthong",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
                *self.extra_args,
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        verify = self.verify()
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", verify=verify, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"hub did not start: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no clean shutdown, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.proc = None

    def __enter__(self) -> HubProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
