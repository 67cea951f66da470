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


def _fingerprint_of(fingerprint: str | None, certificate: Path | None) -> str:
    """The fingerprint typed, or the one of a PEM or DER certificate file."""
    if (fingerprint is None) == (certificate is None):
        errors.print("Give a fingerprint or --certificate FILE (one of them).")
        raise typer.Exit(2)
    if certificate is None:
        assert fingerprint is not None
        return fingerprint
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    data = certificate.read_bytes()
    try:
        cert = (
            x509.load_pem_x509_certificate(data)
            if b"-----BEGIN" in data
            else x509.load_der_x509_certificate(data)
        )
    except ValueError as exc:
        errors.print(f"Not a certificate: {escape(str(certificate))}")
        raise typer.Exit(2) from exc
    return cert.fingerprint(hashes.SHA256()).hex()


_FINGERPRINT_HELP = "SHA-256 fingerprint (hex, colons allowed: openssl x509 -fingerprint -sha256)"
_CERTIFICATE_HELP = "Read the fingerprint from this certificate file (PEM or DER) instead"


@agencies_app.command("add-tls-fingerprint")
def add_tls_fingerprint(
    code: Annotated[str, typer.Argument(help="Agency identifier")],
    fingerprint: Annotated[str | None, typer.Argument(help=_FINGERPRINT_HELP)] = None,
    certificate: Annotated[Path | None, typer.Option(help=_CERTIFICATE_HELP)] = None,
) -> None:
    """Register one of the agency's TLS client certificates. Once it has any, only its
    registered certificates authenticate it over mutual TLS (clientAuth alone no longer does):
    register the new certificate before the agency starts using it."""
    value = _fingerprint_of(fingerprint, certificate)
    with _service() as service:
        stored = service.add_tls_fingerprint(code, value)
        count = len(service.tls_fingerprints(code))
    console.print(f"Registered {stored} for {code} ({count} registered).")


@agencies_app.command("remove-tls-fingerprint")
def remove_tls_fingerprint(
    code: Annotated[str, typer.Argument(help="Agency identifier")],
    fingerprint: Annotated[str | None, typer.Argument(help=_FINGERPRINT_HELP)] = None,
    certificate: Annotated[Path | None, typer.Option(help=_CERTIFICATE_HELP)] = None,
) -> None:
    """Unregister a TLS client certificate; when none is left, certificates with clientAuth
    authenticate the agency again."""
    value = _fingerprint_of(fingerprint, certificate)
    with _service() as service:
        removed = service.remove_tls_fingerprint(code, value)
        left = len(service.tls_fingerprints(code))
    if not removed:
        errors.print(f"{code} had not registered {value}.")
        raise typer.Exit(1)
    rule = f"{left} registered" if left else "none left: the clientAuth rule applies again"
    console.print(f"Removed {value} from {code} ({rule}).")


@agencies_app.command("list-tls-fingerprints")
def list_tls_fingerprints(
    code: Annotated[str, typer.Argument(help="Agency identifier")],
) -> None:
    """The agency's registered TLS client certificate fingerprints, with when each was added."""
    with _service() as service:
        rows = service.tls_fingerprints(code)
    if not rows:
        console.print(f"{code} registered none: certificates with clientAuth authenticate it.")
        return
    for value, added in rows:
        console.print(f"{value}  {added.isoformat(timespec='seconds')}")
