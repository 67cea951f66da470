"""For ``make run``: the demo remote signing service beside the hub, on its own loopback port
(a uvicorn server in a thread, like the demo PKI's responder), holding the demo leaders' keys
from the demo PKI. The hub is pointed at it (``remote_signing_url``, ``remote_signing_token``),
so a demo leader's "Chờ ký" goes through the phone approval page and the demo SMS outbox."""

from __future__ import annotations

import secrets
import socket
import threading
import time
from dataclasses import dataclass

import uvicorn

from lienthong.config import Settings
from lienthong.remotesign.service import Holding, RemoteSigningService
from lienthong.trust.pki import DemoPKI

HUB_CLIENT = "Trục liên thông (demo)"


@dataclass
class DemoRemoteSigning:
    """The running service: its base URL (``/csc/v2``, ``/ky-so-tu-xa/...``) and the hub's
    bearer token there (made for this run)."""

    base_url: str
    token: str
    service: RemoteSigningService
    server: uvicorn.Server

    @property
    def csc_url(self) -> str:
        return f"{self.base_url}/csc/v2"

    def sms_url(self, username: str) -> str:
        return f"{self.base_url}/ky-so-tu-xa/tin-nhan/{username}"

    def configure(self, settings: Settings) -> Settings:
        """``settings`` with the hub's leaders signing through this service."""
        return settings.model_copy(
            update={"remote_signing_url": self.csc_url, "remote_signing_token": self.token}
        )


def demo_holdings(pki: DemoPKI) -> list[Holding]:
    """Each demo leader (``lanhdao.<slug>``) holds their agency's demo signer key."""
    from lienthong.accounts.demo import demo_people
    from lienthong.accounts.model import Role

    return [
        Holding(f"{code}-1", username, pki.signer(code))
        for username, _name, code, roles in demo_people()
        if Role.LEADER in roles and pki.signers.get(code)
    ]


def _port_or_free(host: str, port: int) -> tuple[int, bool]:
    """``port`` when free on ``host``, else one the system picks (True: it was taken)."""
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
            return port, False
        except OSError:
            sock.bind((host, 0))
            return int(sock.getsockname()[1]), True


def start_demo_remote_signing(
    settings: Settings, pki: DemoPKI, port: int, host: str = "127.0.0.1"
) -> tuple[DemoRemoteSigning, bool]:
    """Serve the demo remote signing service (its database: ``<data_dir>/remote-signing.db``)
    on ``port``, or on a free port when ``port`` is taken (True then): nothing points at
    the service but the hub started with it, so any port does."""
    from lienthong.clock import SystemClock
    from lienthong.db import Database
    from lienthong.migrate import upgrade
    from lienthong.remotesign.app import create_service_app

    chosen, taken = _port_or_free(host, port)
    base_url = f"http://{host}:{chosen}"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db_url = f"sqlite:///{settings.data_dir / 'remote-signing.db'}"
    upgrade(db_url)
    token = secrets.token_urlsafe(24)
    service = RemoteSigningService(
        db=Database.from_url(db_url),
        clock=SystemClock(),
        pki=pki,
        holdings=demo_holdings(pki),
        tokens={token: HUB_CLIENT},
        approval_base=base_url,
    )
    config = uvicorn.Config(
        create_service_app(service),
        host=host,
        port=chosen,
        log_level="warning",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="demo-remote-signing", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"the demo remote signing service did not start on {base_url}")
        time.sleep(0.05)
    return DemoRemoteSigning(base_url, token, service, server), taken
