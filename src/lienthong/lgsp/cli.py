"""``lienthong lgsp credentials ...``: the LGSP style's credentials from a shell.

Every command reads the settings (``LIENTHONG_*`` environment variables), opens the database
they name and runs one service call. A refusal prints its code and sentence and exits with 1.
Secrets are printed once; the hub keeps only their hashes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lienthong.clock import SystemClock
from lienthong.config import Settings
from lienthong.db import Database
from lienthong.errors import LienthongError
from lienthong.lgsp.model import ConsumerState
from lienthong.lgsp.service import LgspService

__all__ = ["lgsp_app"]

lgsp_app = typer.Typer(help="The provincial platform API (LGSP style)", no_args_is_help=True)
credentials_app = typer.Typer(
    help="Consumer keys of connected systems and unit secrets", no_args_is_help=True
)
lgsp_app.add_typer(credentials_app, name="credentials")
console = Console()
errors = Console(stderr=True)

_SAFE = "[dim]Hand the secrets to the system's operator over a safe channel.[/dim]"


@contextmanager
def _service() -> Iterator[LgspService]:
    settings = Settings()
    db = Database.from_url(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.db_pool_size,
    )
    try:
        yield LgspService(db, SystemClock(), token_seconds=settings.lgsp_token_seconds)
    except LienthongError as exc:
        errors.print(f"[red]{exc.code}[/red]: {escape(exc.message)}")
        raise typer.Exit(1) from exc
    finally:
        db.dispose()


@credentials_app.command("issue")
def issue(
    agency: Annotated[str, typer.Argument(help="The agency that owns the connected system")],
    days: Annotated[
        int | None, typer.Option(min=1, help="Days the key stays valid (default: until revoked)")
    ] = None,
) -> None:
    """A consumer key and secret for a system of AGENCY; the agency is connected as a unit
    (and its unit secret printed) when it is not yet."""
    with _service() as service:
        issued = service.issue_consumer(agency, valid_days=days)
    console.print(f"consumer_key:    [bold]{escape(issued.consumer_key)}[/bold]")
    console.print(f"consumer_secret: [bold]{escape(issued.consumer_secret)}[/bold]")
    if issued.expires_at is not None:
        console.print(f"expires:         {issued.expires_at.isoformat()}")
    if issued.unit_secret is not None:
        console.print(f"lgsp_secret:     [bold]{escape(issued.unit_secret)}[/bold] (unit {agency})")
    else:
        console.print(f"[dim]{agency} was connected already: its unit secret is unchanged.[/dim]")
    console.print(_SAFE)


@credentials_app.command("rotate")
def rotate(
    target: Annotated[str, typer.Argument(help="A consumer key (or, with --unit, an agency)")],
    unit: Annotated[bool, typer.Option(help="Give the unit TARGET a new unit secret")] = False,
    overlap_hours: Annotated[
        float,
        typer.Option(
            min=0, help="Hours the old consumer secret (and its tokens) keep working beside the new"
        ),
    ] = 0,
) -> None:
    """A new consumer secret (or unit secret); the old one stops working at once, and so
    does every token issued with an old consumer secret, or, for a consumer secret, after
    --overlap-hours (both work meanwhile: the systems switch without downtime)."""
    overlap = timedelta(hours=overlap_hours) if overlap_hours else None
    if unit and overlap is not None:
        errors.print("--overlap-hours applies to a consumer secret, not a unit secret.")
        raise typer.Exit(2)
    with _service() as service:
        if unit:
            secret = service.connect_unit(target, rotate=True)
            console.print(f"lgsp_secret:     [bold]{escape(secret)}[/bold] (unit {target})")
        else:
            secret = service.rotate_consumer(target, overlap=overlap)
            console.print(f"consumer_key:    [bold]{escape(target)}[/bold]")
            console.print(f"consumer_secret: [bold]{escape(secret)}[/bold]")
            if overlap is not None:
                console.print(f"The previous secret keeps working for {overlap_hours:g} h.")
    console.print(_SAFE)


@credentials_app.command("revoke")
def revoke(
    target: Annotated[str, typer.Argument(help="A consumer key (or, with --unit, an agency)")],
    unit: Annotated[bool, typer.Option(help="Disconnect the unit TARGET")] = False,
) -> None:
    """End a consumer key (its tokens stop at once) or, with --unit, a unit's secret."""
    with _service() as service:
        if unit:
            service.disconnect_unit(target)
        else:
            service.revoke_consumer(target)
    console.print(f"Revoked {escape(target)}")


@credentials_app.command("list")
def list_credentials(
    agency: Annotated[str | None, typer.Option(help="Only this agency's systems")] = None,
) -> None:
    """The consumer keys (no secrets) and the connected units."""
    with _service() as service:
        consumers = service.consumers(agency)
        units = service.connected_units()
    table = Table()
    # Keys are copied from here: never cut, whatever the terminal's width.
    table.add_column("consumer_key", overflow="fold", min_width=28)
    for name in ("agency", "state", "created", "expires", "rotated"):
        table.add_column(name, overflow="fold")
    colours = {ConsumerState.ACTIVE: "green", ConsumerState.EXPIRED: "yellow"}
    for c in consumers:
        colour = colours.get(c.state, "red")
        table.add_row(
            escape(c.consumer_key),
            escape(c.agency),
            f"[{colour}]{c.state}[/{colour}]",
            c.created_at.isoformat(timespec="seconds"),
            c.expires_at.isoformat(timespec="seconds") if c.expires_at else "-",
            c.rotated_at.isoformat(timespec="seconds") if c.rotated_at else "-",
        )
    console.print(table)
    wanted = [u for u in units if agency is None or u.agency_code == agency]
    console.print(f"{len(wanted)} connected unit(s): " + ", ".join(u.agency_code for u in wanted))
