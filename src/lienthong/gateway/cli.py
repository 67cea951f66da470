"""``lienthong gateway``: run an agency's gateway next to its document software."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
import uvicorn
from cryptography import x509

from lienthong.client.rest import mtls_client
from lienthong.client.signing import SigningClient
from lienthong.clock import SystemClock
from lienthong.gateway.api import create_gateway_app
from lienthong.gateway.service import GatewayService
from lienthong.gateway.token import TOKEN_FILE, load_or_create_token
from lienthong.trust.pki import load_credential


def build_gateway(
    *,
    hub: str,
    agency: str,
    cert: Path,
    key: Path,
    ca: Path,
    data_dir: Path,
    secret: str | None = None,
    require_receipt: bool = True,
) -> GatewayService:
    """A gateway for ``agency``: its certificate ``cert`` (PEM, the leaf then its chain) and
    ``key`` sign packages and, over
    https, authenticates it to the hub (mutual TLS); ``ca`` (PEM, the trust roots) checks the
    hub's TLS certificate, incoming signatures and the hub's receipts."""
    certs = x509.load_pem_x509_certificates(cert.read_bytes())
    credential = replace(load_credential(cert, key), chain=tuple(certs[1:]))
    roots = x509.load_pem_x509_certificates(ca.read_bytes())
    http = mtls_client(hub, cert=cert, key=key, ca=ca) if hub.startswith("https") else None
    client = SigningClient(
        hub,
        credential,
        roots,
        system_id=agency,
        secret=secret,
        http=http,
        require_receipt=require_receipt,
    )
    return GatewayService(client, data_dir, SystemClock())


def gateway_command(
    hub: Annotated[str, typer.Option(help="The hub's URL (https:// for mutual TLS)")],
    agency: Annotated[str, typer.Option(help="The agency's identifier code")],
    cert: Annotated[Path, typer.Option(help="PEM organisation certificate (+ chain)")],
    key: Annotated[Path, typer.Option(help="PEM private key of --cert")],
    ca: Annotated[Path, typer.Option(help="PEM trust roots (hub TLS, signatures, receipts)")],
    port: Annotated[int, typer.Option(help="Local API port")] = 8090,
    host: Annotated[str, typer.Option(help="Local API address (keep it loopback)")] = "127.0.0.1",
    data_dir: Annotated[Path, typer.Option(help="Where the inbox and outbox live")] = Path(
        "var/gateway"
    ),
    secret: Annotated[
        str | None,
        typer.Option(envvar="LIENTHONG_GATEWAY_SECRET", help="HTTP Basic secret (without mTLS)"),
    ] = None,
    require_receipt: Annotated[
        bool, typer.Option(help="Refuse a hub answer without a signed receipt")
    ] = True,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="LIENTHONG_GATEWAY_TOKEN",
            help=f"Local API bearer token (default: <data-dir>/{TOKEN_FILE}, made with mode 0600)",
        ),
    ] = None,
) -> None:
    """Run the agency gateway: a local API (POST /send, GET /inbox, GET /inbox/{id}/package,
    POST /status) that signs, sends over mutual TLS, pulls and verifies. Every call carries
    ``Authorization: Bearer <token>``."""
    try:
        api_token = load_or_create_token(data_dir, token)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--token") from exc
    service = build_gateway(
        hub=hub,
        agency=agency,
        cert=cert,
        key=key,
        ca=ca,
        data_dir=data_dir,
        secret=secret,
        require_receipt=require_receipt,
    )
    try:
        if token is None:
            typer.echo(f"Local API token: {data_dir / TOKEN_FILE} (Authorization: Bearer)")
        app = create_gateway_app(service, token=api_token)
        uvicorn.run(app, host=host, port=port, access_log=False)
    finally:
        service.close()
