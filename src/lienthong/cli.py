"""The ``lienthong`` command: serve the hub, migrate, seed demo data, manage the registry."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import uvicorn
from rich.console import Console

from lienthong.config import Settings
from lienthong.errors import render_markdown

if TYPE_CHECKING:
    from lienthong.remotesign.demo import DemoRemoteSigning

app = typer.Typer(help="lienthong: Vietnam e-government interconnection hub", no_args_is_help=True)
db_app = typer.Typer(help="Database schema", no_args_is_help=True)
demo_app = typer.Typer(help="Demo data and demo servers", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
console = Console()

try:
    from lienthong.agencies.cli import agencies_app
except ModuleNotFoundError:  # pragma: no cover - during bootstrap only
    pass
else:
    app.add_typer(agencies_app, name="agencies")

from lienthong.audit.cli import audit_app  # noqa: E402 - after the app, like the others
from lienthong.gateway.cli import gateway_command  # noqa: E402

app.add_typer(audit_app, name="audit")
from lienthong.blobs.cli import blobs_app  # noqa: E402

app.add_typer(blobs_app, name="blobs")
from lienthong.federation.cli import federation_app, network_command  # noqa: E402

app.add_typer(federation_app, name="federation")
demo_app.command("network")(network_command)

from lienthong.accounts.cli import accounts_app  # noqa: E402
from lienthong.trust.cli import pki_app  # noqa: E402

app.add_typer(accounts_app, name="accounts")

app.add_typer(pki_app, name="pki")
from lienthong.remotesign.cli import remotesign_app  # noqa: E402

app.add_typer(remotesign_app, name="remotesign")
from lienthong.portal.cli import portal_app  # noqa: E402

app.add_typer(portal_app, name="portal")
from lienthong.lgsp.cli import lgsp_app  # noqa: E402
from lienthong.reporting.cli import reporting_app  # noqa: E402

app.add_typer(reporting_app, name="reporting")

app.add_typer(lgsp_app, name="lgsp")
from lienthong.tasks.cli import tasks_app  # noqa: E402

app.add_typer(tasks_app, name="tasks")
from lienthong.secrets_cli import secrets_app  # noqa: E402

app.add_typer(secrets_app, name="secrets")
app.command("gateway")(gateway_command)


def tls_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's TLS arguments from the settings (none when ``tls_cert`` is unset).

    With ``tls_ca``, client certificates are requested (``optional``) or demanded
    (``required``) and verified by OpenSSL; :mod:`lienthong.web.tls` hands the verified one to
    the app, where it authenticates the agency (``web.auth.current_agency``).
    """
    if settings.tls_cert is None:
        return {}
    from lienthong.web.tls import CERT_REQS, HTTP_PROTOCOL

    options: dict[str, Any] = {
        "ssl_certfile": str(settings.tls_cert),
        "ssl_keyfile": str(settings.tls_key) if settings.tls_key else None,
        "http": HTTP_PROTOCOL,
    }
    if settings.tls_ca is not None:
        if settings.tls_client_cert not in ("optional", "required"):
            raise typer.BadParameter("tls_client_cert is 'optional' or 'required'")
        options["ssl_ca_certs"] = str(settings.tls_ca)
        options["ssl_cert_reqs"] = CERT_REQS[settings.tls_client_cert]
    return options


def serve_app(settings: Settings, host: str, port: int, workers: int) -> None:
    """Run the hub under uvicorn (``workers`` processes share the database and blobs), every
    worker with exactly ``settings`` (handed down through the environment)."""
    from lienthong.config import hand_to_workers
    from lienthong.web.tls import HTTP_PROTOCOL

    hand_to_workers(settings)
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="lienthong-prom-")
    uvicorn.run(
        "lienthong.web.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_keep_alive=settings.http_keep_alive_seconds,
        **{"http": HTTP_PROTOCOL, **tls_options(settings)},
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on")] = 8080,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    migrate: Annotated[bool, typer.Option(help="Upgrade the schema first")] = True,
    tls_cert: Annotated[Path | None, typer.Option(help="PEM server certificate (HTTPS)")] = None,
    tls_key: Annotated[Path | None, typer.Option(help="PEM key of --tls-cert")] = None,
    tls_ca: Annotated[
        Path | None, typer.Option(help="PEM CA of agency client certificates (mutual TLS)")
    ] = None,
    tls_client_cert: Annotated[
        str | None, typer.Option(help="'optional' or 'required' client certificate")
    ] = None,
    allow_demo_secrets: Annotated[
        bool,
        typer.Option(
            hidden=True, help="Serve with the demo's published secrets (demo network only)"
        ),
    ] = False,
) -> None:
    """Serve the hub (settings from LIENTHONG_* environment variables; options override).
    Refuses to start (DEMO_SECRETS_IN_USE) while the demo's master key, user passwords or
    agency secrets still work (lienthong.demo_guard)."""
    overrides: dict[str, Any] = {
        "tls_cert": tls_cert,
        "tls_key": tls_key,
        "tls_ca": tls_ca,
        "tls_client_cert": tls_client_cert,
    }
    settings = Settings(**{k: v for k, v in overrides.items() if v is not None})
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if migrate:
        from lienthong.migrate import upgrade

        upgrade(settings.database_url)
    if not allow_demo_secrets:
        _refuse_demo_secrets(settings)
    serve_app(settings, host, port, workers)


def _refuse_demo_secrets(settings: Settings) -> None:
    """Stop ``serve`` with DEMO_SECRETS_IN_USE (exit 3) while a demo secret still works."""
    from lienthong.accounts.service import AccountService
    from lienthong.agencies.service import AgencyService
    from lienthong.clock import SystemClock
    from lienthong.db import Database
    from lienthong.demo_guard import refuse_demo_secrets
    from lienthong.errors import LienthongError
    from lienthong.secrets import sealer_from

    db = Database.from_url(settings.database_url, pool_size=1)
    clock = SystemClock()
    try:
        agencies = AgencyService(db, sealer_from(settings), clock)
        refuse_demo_secrets(settings, agencies, AccountService(db, clock))
    except LienthongError as exc:
        console.print(f"[bold red]{exc.code}[/bold red]: {exc.message}", soft_wrap=True)
        raise typer.Exit(3) from exc
    finally:
        db.dispose()


@app.command()
def errors() -> None:
    """Print the closed list of error codes as Markdown (docs/errors.md)."""
    typer.echo(render_markdown(), nl=False)


@app.command()
def settings() -> None:
    """Print every setting as Markdown (docs/configuration.md)."""
    from lienthong.config import render_markdown as settings_markdown

    typer.echo(settings_markdown(), nl=False)


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations up to REVISION."""
    from lienthong.migrate import upgrade

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url, revision)
    console.print(f"[green]Schema at {revision}[/green]")


def seed(settings: Settings) -> list[dict[str, str]]:
    """Migrate, load the demo registry, and write ``<data_dir>/demo-credentials.json``: per
    demo agency its axis ``system_id``/``secret`` and its LGSP ``consumer_key``,
    ``consumer_secret`` and ``lgsp_secret``."""
    from lienthong.agencies.demo import seed_demo
    from lienthong.migrate import upgrade
    from lienthong.web.container import build_container

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    path = settings.data_dir / "demo-credentials.json"
    container = build_container(settings)
    try:
        credentials = seed_demo(container.agencies)
        from lienthong.lgsp.demo import seed_lgsp_credentials

        assert container.lgsp is not None
        seed_lgsp_credentials(container.lgsp, credentials, _previous_credentials(path))
        from lienthong.accounts.demo import seed_demo_users

        assert container.accounts is not None
        seed_demo_users(container.accounts, settings.data_dir / "demo-users.json")
    finally:
        container.close()
    path.write_text(json.dumps(credentials, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)
    from lienthong.demo_guard import record_demo_key

    record_demo_key(settings)  # `lienthong serve` refuses to run with it
    return credentials


def _previous_credentials(path: Path) -> list[Any]:
    """The demo credentials file of a previous run (LGSP secrets are kept only as hashes, so
    those that still work are taken from it), or ``[]``."""
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return []
    return data if isinstance(data, list) else []


@demo_app.command("seed")
def demo_seed() -> None:
    """Create the demo registry (idempotent) and write the demo credentials file."""
    settings = Settings()
    credentials = seed(settings)
    console.print(f"{len(credentials)} demo agencies; credentials in {settings.data_dir}")


@demo_app.command("run")
def demo_run(
    port: Annotated[int, typer.Option(envvar="PORT", help="Port to listen on")] = 8080,
    host: str = "127.0.0.1",
) -> None:
    """Start the hub on SQLite with the living demo (what ``make run`` does): the demo
    registry, users and PKI, then months of activity replayed through the services in the
    background while the hub serves (``<data_dir>/demo-activity.json`` says when it is done)."""
    from lienthong.clock import ReplayClock
    from lienthong.demo import start_activity
    from lienthong.logs import configure_logging, quieted
    from lienthong.trust.cli import ResponderPortBusyError, start_demo_responder

    settings = Settings()  # the shipped defaults ('enforce'), as every user gets them
    configure_logging(settings.log_level, settings.log_json)
    _check_port_free(host, port)
    clock = ReplayClock(datetime.now(UTC))
    try:
        start_demo_responder(settings.resolved_pki_dir, settings.demo_responder_port, clock)
    except ResponderPortBusyError as exc:
        console.print(f"[bold red]{exc}[/bold red]")
        raise typer.Exit(1) from exc
    with quieted():
        credentials = seed(settings)
    remote = _start_remote_signing(settings)
    settings = remote.configure(settings)  # the demo leaders sign on the phone pages
    start_activity(settings, clock, console)
    data_dir = Path(settings.data_dir)
    console.print(f"[bold green]lienthong hub: http://{host}:{port}[/bold green]")
    console.print(f"API documentation: http://{host}:{port}/docs")
    console.print(
        f"Remote signing (leaders, CSC API v2 style): {remote.csc_url}; approval pages "
        f"{remote.base_url}/ky-so-tu-xa/yeu-cau/..., one-time codes in the demo SMS outbox "
        f"{remote.sms_url('lanhdao.vpcp')} (any leader's username)"
    )
    console.print(
        f"{len(credentials)} demo agencies; system ids and secrets in "
        f"{data_dir / 'demo-credentials.json'}; users in {data_dir / 'demo-users.json'}"
    )
    serve_app(settings, host, port, 1)


def _start_remote_signing(settings: Settings) -> DemoRemoteSigning:
    """The demo remote signing service with the demo leaders' keys (a taken port: a free
    one, said so)."""
    from lienthong.remotesign.demo import start_demo_remote_signing
    from lienthong.trust.pki import DemoPKI

    wanted = settings.demo_remote_signing_port
    remote, taken = start_demo_remote_signing(
        settings, DemoPKI.load(settings.resolved_pki_dir), wanted
    )
    if taken:
        console.print(
            f"[yellow]Port {wanted} is taken: the demo remote signing service is on "
            f"{remote.base_url} (LIENTHONG_DEMO_REMOTE_SIGNING_PORT chooses it)[/yellow]"
        )
    return remote


def _check_port_free(host: str, port: int) -> None:
    """Stop with a message, before any work, when the hub's port is taken."""
    import socket

    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            console.print(
                f"[bold red]Port {port} on {host} is taken ({exc.strerror}): stop the program "
                f"using it or choose another: PORT={port + 1} make run[/bold red]"
            )
            raise typer.Exit(1) from exc


def main() -> None:
    app()
