"""``lienthong accounts``: add, list users and change a password (hub's web screens)."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lienthong.accounts.model import ROLE_LABELS, Role, parse_roles
from lienthong.accounts.service import AccountService
from lienthong.config import Settings
from lienthong.errors import LienthongError

accounts_app = typer.Typer(help="Web users (văn thư, lãnh đạo, ...)", no_args_is_help=True)
console = Console()


def _service() -> tuple[AccountService, object]:
    from lienthong.web.container import build_container

    container = build_container(Settings())
    assert container.accounts is not None
    return container.accounts, container


def _close(container: object) -> None:
    close = getattr(container, "close", None)
    if close is not None:
        close()


@accounts_app.command("add")
def add(
    username: str,
    agency: Annotated[str, typer.Option(help="Agency code the user acts for")],
    roles: Annotated[
        str, typer.Option(help=f"Comma-separated: {', '.join(r.value for r in Role)}")
    ],
    full_name: Annotated[str, typer.Option(help="Full name shown on screens")],
    password: Annotated[
        str | None, typer.Option(help="Password (default: a random one, printed once)")
    ] = None,
) -> None:
    """Create a web user."""
    try:
        parsed = parse_roles(roles)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    chosen = password or secrets.token_urlsafe(12)
    service, container = _service()
    try:
        user = service.create_user(username, full_name, agency, parsed, chosen, actor="cli")
    except LienthongError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message} {exc.detail or ''}")
        raise typer.Exit(1) from exc
    finally:
        _close(container)
    console.print(f"Created {user.username} ({', '.join(user.role_labels)}) for {agency}")
    if password is None:
        console.print(f"Password: {chosen}")


@accounts_app.command("list")
def list_users(
    agency: Annotated[str | None, typer.Option(help="Only this agency's users")] = None,
) -> None:
    """List web users."""
    service, container = _service()
    try:
        users = service.list_users(agency)
    finally:
        _close(container)
    table = Table("username", "full name", "agency", "roles", "active")
    for user in users:
        table.add_row(
            user.username,
            user.full_name,
            user.agency_code,
            ", ".join(ROLE_LABELS[r] for r in Role if r in user.roles),
            "yes" if user.active else "no",
        )
    console.print(table)


@accounts_app.command("passwd")
def passwd(
    username: str,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)],
) -> None:
    """Change a user's password (their open sessions end)."""
    service, container = _service()
    try:
        service.set_password(username, password, actor="cli")
    except LienthongError as exc:
        console.print(f"[red]{exc.code}[/red]: {exc.message} {exc.detail or ''}")
        raise typer.Exit(1) from exc
    finally:
        _close(container)
    console.print(f"Password of {username} changed")
