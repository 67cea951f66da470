"""``lienthong federation ...`` (the operator's commands) and ``lienthong demo network``."""

from __future__ import annotations

import base64
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import httpx
import typer
from rich.console import Console
from rich.table import Table

from lienthong.config import Settings
from lienthong.errors import LienthongError
from lienthong.federation.service import FederationService

if TYPE_CHECKING:
    from lienthong.web.container import Container

federation_app = typer.Typer(help="Federation: hubs, outbox, directory", no_args_is_help=True)
console = Console()


def _service() -> tuple[FederationService, Container]:
    from lienthong.web.container import build_container

    container = build_container(Settings())
    if container.federation is None:
        container.close()
        console.print("[red]Federation is off on this hub (LIENTHONG_HUB_ID unset).[/red]")
        raise typer.Exit(2)
    return container.federation, container


def _close(container: Container) -> None:
    container.close()


@federation_app.command("outbox")
def outbox(
    state: Annotated[list[str] | None, typer.Option(help="pending, done or dead")] = None,
    limit: int = 50,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The backlog: counts per state and the latest items (dead letters with their reason)."""
    service, container = _service()
    try:
        view = service.outbox(state, limit)
    finally:
        _close(container)
    if as_json:
        typer.echo(json.dumps(view, ensure_ascii=False, indent=1))
        return
    console.print(
        "Hàng đợi chuyển tiếp: " + ", ".join(f"{k}={v}" for k, v in view["counts"].items())
    )
    table = Table(
        "id", "message", "next hub", "recipients", "state", "attempts", "next attempt", "reason"
    )
    for item in view["items"]:
        table.add_row(
            str(item["id"]),
            item["message_id"],
            item["next_hop"],
            ", ".join(item["targets"]),
            item["state"],
            str(item["attempts"]),
            item["next_attempt_at"],
            (item["last_code"] or "") + " " + (item["last_error"] or ""),
        )
    console.print(table)


@federation_app.command("resend")
def resend(item_id: int) -> None:
    """Send an outbox item (a dead letter, or one waiting out its backoff) again now."""
    service, container = _service()
    try:
        item = service.resend(item_id)
    except LienthongError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/red]")
        raise typer.Exit(1) from exc
    finally:
        _close(container)
    console.print(f"Đã đưa mục {item['id']} trở lại hàng đợi (gửi tới {item['next_hop']}).")


@federation_app.command("hubs")
def hubs() -> None:
    """The hubs of the network, as this hub's directory lists them."""
    service, container = _service()
    try:
        for hub in service.hubs():
            console.print(f"{hub['code']}\t{hub['role']}\t{hub['url']}\t{hub['name']}")
    finally:
        _close(container)


@federation_app.command("hub-save")
def hub_save(
    code: str,
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help="national, ministry or province")],
    url: Annotated[str, typer.Option()],
    cert: Annotated[Path, typer.Option(help="PEM certificate of the hub's key")],
) -> None:
    """Add or change a hub in the directory (on the national hub)."""
    service, container = _service()
    try:
        service.save_hub(
            code=code, name=name, role=role, url=url, certificate_pem=cert.read_text("ascii")
        )
    finally:
        _close(container)
    console.print(f"Hub {code} saved.")


# --- lienthong demo network ------------------------------------------------------------------


def network_command(
    base_port: Annotated[int, typer.Option(help="First of four loopback ports")] = 8101,
    data_dir: Annotated[Path, typer.Option(help="Where the four hubs keep their data")] = Path(
        "var/network"
    ),
) -> None:
    """Start the demo network: national, ministry and two provincial hubs, one process each."""
    from lienthong.federation.demo import HUB_NAMES, prepare_network

    ports = {hub: base_port + i for i, hub in enumerate(HUB_NAMES)}
    secret = base64.urlsafe_b64encode(os.urandom(32)).decode()
    key_file = data_dir / "secret.key"
    data_dir.mkdir(parents=True, exist_ok=True)
    if key_file.exists():
        secret = key_file.read_text().strip()
    else:
        key_file.write_text(secret)
        key_file.chmod(0o600)
    hubs = prepare_network(data_dir, ports, secret)
    signal.signal(signal.SIGTERM, _interrupt)  # stop the hubs on SIGTERM too
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for setup in hubs.values():
            log = open(setup.data_dir / "hub.log", "ab")  # noqa: SIM115 - handed to the child
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "lienthong",
                        "serve",
                        "--port",
                        str(setup.port),
                        "--allow-demo-secrets",  # the demo's published secrets, on purpose
                    ],
                    env={**os.environ, **setup.env},
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log.close()
        for setup in hubs.values():
            _wait_healthy(setup.url, setup.verify())
        for hub, setup in hubs.items():
            name, role = HUB_NAMES[hub]
            console.print(f"[bold green]{name}[/bold green] ({role}, {hub}): {setup.url}/docs")
            console.print(
                f"  {len(setup.credentials)} cơ quan; "
                f"mật khẩu: {setup.data_dir / 'demo-credentials.json'}"
            )
        ca = next(iter(hubs.values())).ca
        if ca is not None:
            console.print(
                f"HTTPS, xác thực lẫn nhau giữa các trục bằng chứng thư trục (mTLS); "
                f"chứng thư gốc: {ca}"
            )
        console.print("Ctrl-C để dừng.")
        while all(p.poll() is None for p in procs):
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _wait_healthy(url: str, verify: ssl.SSLContext | bool, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", verify=verify, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not start")
