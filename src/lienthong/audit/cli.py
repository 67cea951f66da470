"""``lienthong audit``: seal the audit log into its hash chain, verify it, sign checkpoints."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from lienthong.audit.service import AuditService
from lienthong.clock import SystemClock
from lienthong.config import Settings
from lienthong.db import Database
from lienthong.progress import progress_bar

audit_app = typer.Typer(help="The audit log's hash chain", no_args_is_help=True)


def _service(settings: Settings) -> AuditService:
    from lienthong.web.container import receipt_signer

    db = Database.from_url(
        settings.database_url, sqlite_synchronous=settings.sqlite_synchronous, pool_size=2
    )
    return AuditService(db, SystemClock(), signer=receipt_signer(settings))


@audit_app.command("seal")
def seal(
    checkpoint: Annotated[
        bool, typer.Option(help="Then record (and sign, with hub_cert/hub_key) the head")
    ] = True,
) -> None:
    """Link every committed, unsealed audit row into the chain (safe to run at any time, from
    any number of processes: sealers take turns under one lock)."""
    service = _service(Settings())
    try:
        with progress_bar("Niêm phong nhật ký kiểm toán", service.unsealed()) as advance:
            sealed = service.seal(progress=advance)
        answer: dict[str, object] = {"sealed": sealed}
        if checkpoint:
            point = service.checkpoint()
            if point is not None:
                answer["checkpoint"] = {
                    "seq": point.seq,
                    "hash": point.hash,
                    "at": point.at.isoformat(),
                    "signature": point.signature,
                }
    finally:
        service.db.dispose()
    typer.echo(json.dumps(answer, ensure_ascii=False))


@audit_app.command("verify")
def verify() -> None:
    """Recompute the chain; print the report as JSON and exit 1 at the first broken link."""
    service = _service(Settings())
    try:
        with progress_bar("Kiểm tra chuỗi nhật ký", service.chain_length()) as advance:
            report = service.verify(progress=advance)
    finally:
        service.db.dispose()
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    if not report.ok:
        raise typer.Exit(1)
