"""``lienthong remotesign serve``: the demo remote signing service in its own process."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import uvicorn

remotesign_app = typer.Typer(help="The demo remote signing service (CSC API v2 style)")


@remotesign_app.command("serve")
def serve(
    pki_dir: Annotated[Path, typer.Option(help="The demo PKI holding the leaders' keys")],
    db_url: Annotated[str, typer.Option(help="The service's database (migrated here)")],
    holder: Annotated[
        list[str],
        typer.Option(help="USER=AGENCY[:N]: USER holds the agency's N-th signer key (from 1)"),
    ],
    token: Annotated[list[str], typer.Option(help="TOKEN=CLIENT: a hub's bearer token")],
    host: str = "127.0.0.1",
    port: int = 8700,
    public_url: Annotated[str, typer.Option(help="Base URL of the phone pages")] = "",
) -> None:
    """Serve the CSC endpoints (/csc/v2/...) and the phone approval pages (/ky-so-tu-xa/...);
    the one-time codes go to the demo SMS outbox (/ky-so-tu-xa/tin-nhan/USER)."""
    from lienthong.clock import SystemClock
    from lienthong.db import Database
    from lienthong.migrate import upgrade
    from lienthong.remotesign.app import create_service_app
    from lienthong.remotesign.service import Holding, RemoteSigningService
    from lienthong.trust.pki import DemoPKI

    pki = DemoPKI.load(pki_dir)
    holdings = []
    for item in holder:
        user, _, key = item.partition("=")
        agency, _, index = key.partition(":")
        number = int(index or "1")
        holdings.append(Holding(f"{agency}-{number}", user, pki.signers[agency][number - 1]))
    tokens = dict(t.split("=", 1) for t in token)
    upgrade(db_url)
    service = RemoteSigningService(
        db=Database.from_url(db_url),
        clock=SystemClock(),
        pki=pki,
        holdings=holdings,
        tokens=tokens,
        approval_base=public_url or f"http://{host}:{port}",
    )
    uvicorn.run(create_service_app(service), host=host, port=port, log_level="warning")
