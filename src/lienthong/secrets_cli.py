"""``lienthong secrets``: rotate the hub master key without downtime.

1. ``lienthong secrets new-key`` prints a fresh key K2 (the current one is K1).
2. Every hub process gets ``LIENTHONG_PREVIOUS_SECRET_KEYS=K2`` (rolling restart): all of them
   open values sealed under K2 while they still seal under K1.
3. Every process gets ``LIENTHONG_SECRET_KEY=K2`` and ``LIENTHONG_PREVIOUS_SECRET_KEYS=K1``
   (rolling restart): new values are sealed under K2, old ones still open.
4. ``lienthong secrets reseal`` re-seals every stored secret under K2.
5. ``LIENTHONG_PREVIOUS_SECRET_KEYS`` is removed (rolling restart); K1 can be destroyed.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from lienthong.agencies.service import AgencyService
from lienthong.clock import SystemClock
from lienthong.config import Settings
from lienthong.db import Database
from lienthong.secrets import SealError, load_previous_keys, new_key_text, sealer_from

secrets_app = typer.Typer(help="The hub master key: new keys, re-sealing", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


@secrets_app.command("new-key")
def new_key(
    quiet: Annotated[bool, typer.Option(help="Print the key only")] = False,
) -> None:
    """Print a fresh master key (urlsafe base64 of 32 random bytes)."""
    key = new_key_text()
    if quiet:
        typer.echo(key)
        return
    console.print(key, soft_wrap=True)
    console.print(
        "[dim]Next: add it to LIENTHONG_PREVIOUS_SECRET_KEYS everywhere, then make it "
        "LIENTHONG_SECRET_KEY (the old key in PREVIOUS), then `lienthong secrets reseal`.[/dim]"
    )


@secrets_app.command("reseal")
def reseal() -> None:
    """Re-seal every stored secret under LIENTHONG_SECRET_KEY (values sealed under one of
    LIENTHONG_PREVIOUS_SECRET_KEYS open first); then the previous keys can be removed."""
    settings = Settings()
    try:
        sealer = sealer_from(settings)
        previous = load_previous_keys(settings)
    except ValueError as exc:
        errors.print(f"[red]REQUEST_INVALID[/red]: {exc}")
        raise typer.Exit(2) from exc
    db = Database.from_url(settings.database_url, pool_size=1)
    try:
        resealed, current = AgencyService(db, sealer, SystemClock()).reseal_secrets()
    except SealError as exc:
        errors.print(
            f"[red]{exc.code}[/red]: {exc.message}. Nothing was changed: list the key it was "
            "sealed under in LIENTHONG_PREVIOUS_SECRET_KEYS."
        )
        raise typer.Exit(1) from exc
    finally:
        db.dispose()
    console.print(f"{resealed} secret(s) re-sealed, {current} already under the current key.")
    if previous:
        console.print(
            "[dim]Every stored secret is under the current key: "
            "LIENTHONG_PREVIOUS_SECRET_KEYS can be removed.[/dim]"
        )
