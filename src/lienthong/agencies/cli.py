"""``lienthong agencies ...``: manage the registry from a shell.

Every command reads the settings (``LIENTHONG_*`` environment variables), opens the database
they name and runs one service call. A refusal prints its code and sentence and exits with 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.tree import Tree

from lienthong.agencies.model import Agency, Level, NewAgency, TreeNode, Validity, local_date
from lienthong.agencies.service import AgencyService
from lienthong.clock import SystemClock
from lienthong.config import Settings
from lienthong.db import Database
from lienthong.errors import LienthongError
from lienthong.secrets import sealer_from

__all__ = ["agencies_app"]

agencies_app = typer.Typer(help="The agency registry (mã định danh)", no_args_is_help=True)
console = Console()
errors = Console(stderr=True)


@contextmanager
def _service() -> Iterator[AgencyService]:
    """The service wired from the settings; refusals become a message and exit status 1."""
    settings = Settings()
    db = Database.from_url(
        settings.database_url,
        sqlite_synchronous=settings.sqlite_synchronous,
        pool_size=settings.db_pool_size,
    )
    try:
        yield AgencyService(db, sealer_from(settings), SystemClock())
    except LienthongError as exc:
        errors.print(f"[red]{exc.code}[/red]: {escape(exc.message)}")
        for item in exc.detail.get("errors", []):
            errors.print(f"  row {item.get('row', '-')}: {item['code']}: {escape(item['reason'])}")
        raise typer.Exit(1) from exc
    finally:
        db.dispose()


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD") from exc


@agencies_app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="Identifier, e.g. 000.00.00.G22 or H01.151")],
    name: Annotated[str, typer.Argument(help="Name, in Vietnamese")],
    level: Annotated[int, typer.Option(min=1, max=4, help="Level 1-4")],
    parent: Annotated[str | None, typer.Option(help="Parent identifier")] = None,
    hub: Annotated[str | None, typer.Option(help="Serving hub (default: this hub)")] = None,
    valid_from: Annotated[str | None, typer.Option(help="First valid day YYYY-MM-DD")] = None,
    valid_to: Annotated[str | None, typer.Option(help="Last valid day YYYY-MM-DD")] = None,
    successor: Annotated[str | None, typer.Option(help="Successor after a merger")] = None,
    organization_in_charge: Annotated[str | None, typer.Option(help="OrganizationInCharge")] = None,
    address: Annotated[str | None, typer.Option(help="Address (OrganAdd)")] = None,
    email: Annotated[str | None, typer.Option()] = None,
    telephone: Annotated[str | None, typer.Option()] = None,
    fax: Annotated[str | None, typer.Option()] = None,
    website: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Register one agency."""
    record = NewAgency(
        code=code,
        name=name,
        level=Level(level),
        parent_code=parent,
        hub_code=hub,
        valid_from=_date(valid_from),
        valid_to=_date(valid_to),
        successor_code=successor,
        organization_in_charge=organization_in_charge,
        address=address,
        email=email,
        telephone=telephone,
        fax=fax,
        website=website,
    )
    with _service() as service:
        agency = service.register(record)
    console.print(f"Registered [bold]{escape(agency.code)}[/bold] {escape(agency.name)}")


@agencies_app.command("import-csv")
def import_csv(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV file, UTF-8")],
) -> None:
    """Register every agency of a CSV file, all or nothing.

    Header row required; columns: code, name, parent_code, level, hub_code, valid_from,
    valid_to, successor_code, organization_in_charge, address, email, telephone, fax, website.
    """
    with _service() as service, path.open(encoding="utf-8-sig", newline="") as stream:
        result = service.import_csv(stream)
    console.print(f"Imported {result.count} agencies from {escape(str(path))}")


@agencies_app.command("list")
def list_agencies() -> None:
    """Show the registry as a tree."""
    with _service() as service:
        forest = service.tree()
        today = local_date(service.clock.now())
    if not forest:
        console.print("The registry is empty.")
        return
    root = Tree("[bold]Registry[/bold]", guide_style="dim")
    for node in forest:
        _add_branch(root, node, today)
    console.print(root)


def _add_branch(branch: Tree, node: TreeNode, today: date) -> None:
    child = branch.add(_label(node.agency, today))
    for kid in node.children:
        _add_branch(child, kid, today)


def _label(agency: Agency, today: date) -> str:
    label = f"[cyan]{escape(agency.code)}[/cyan]  {escape(agency.name)}  [dim]L{agency.level}[/dim]"
    if agency.hub_code:
        label += f"  [magenta]via {escape(agency.hub_code)}[/magenta]"
    state = agency.validity(today)
    if state is Validity.MERGED:
        label += f"  [yellow]merged into {escape(agency.successor_code or '')}[/yellow]"
    elif state is Validity.EXPIRED:
        label += "  [red]expired[/red]"
    elif state is Validity.NOT_YET_VALID:
        start = agency.valid_from.isoformat() if agency.valid_from else ""
        label += f"  [yellow]valid from {start}[/yellow]"
    return label


def _print_credentials(system_id: str, secret: str) -> None:
    console.print(f"system id: [bold]{escape(system_id)}[/bold]")
    console.print(f"secret:    [bold]{escape(secret)}[/bold]")
    console.print("[dim]Hand the secret to the agency over a safe channel.[/dim]")


@agencies_app.command("issue-credentials")
def issue_credentials(code: Annotated[str, typer.Argument(help="Agency identifier")]) -> None:
    """Issue credentials for an agency (revokes any it had)."""
    with _service() as service:
        system_id, secret = service.issue_credentials(code)
    _print_credentials(system_id, secret)


@agencies_app.command("rotate-credentials")
def rotate_credentials(
    code: Annotated[str, typer.Argument(help="Agency identifier")],
    overlap_hours: Annotated[
        float,
        typer.Option(min=0, help="Hours the old secret keeps working beside the new one"),
    ] = 0,
) -> None:
    """Replace an agency's credentials; the old secret stops working at once, or after
    --overlap-hours (both work meanwhile: the agency switches without downtime)."""
    overlap = timedelta(hours=overlap_hours) if overlap_hours else None
    with _service() as service:
        system_id, secret = service.rotate_credentials(code, overlap=overlap)
    _print_credentials(system_id, secret)
    if overlap is not None:
        console.print(f"The previous secret keeps working for {overlap_hours:g} h.")
