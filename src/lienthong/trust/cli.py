"""``lienthong pki``: make the demo PKI, serve its OCSP responder and CRL, revoke, show."""

from __future__ import annotations

from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from cryptography import x509
from rich.console import Console

from lienthong.clock import Clock
from lienthong.trust.pki import DemoPKI

if TYPE_CHECKING:
    from lienthong.trust.responder import Responder

pki_app = typer.Typer(help="The demo PKI (test certificates; never for production)")
console = Console(stderr=True)

DEFAULT_RESPONDER = "http://127.0.0.1:8089"


def default_pki_dir() -> Path:
    from lienthong.config import Settings

    return Settings().resolved_pki_dir


# The demo's certificates start this long ago, so the history `make run` seeds (documents
# and reports of the last months, signed at their time) verifies.
DEMO_HISTORY = timedelta(days=120)


def init_demo_pki(
    out: Path,
    responder_url: str = DEFAULT_RESPONDER,
    *,
    now: datetime | None = None,
    show_progress: bool = False,
) -> DemoPKI:
    """A PKI for every demo agency: organisation + one signer each, and the hub; its
    certificates valid from ``now`` (default: :data:`DEMO_HISTORY` ago) for two years."""
    from lienthong.agencies.demo import DEMO_AGENCIES, demo_signer
    from lienthong.progress import progress_bar

    base = responder_url.rstrip("/")
    total = 2 * len(DEMO_AGENCIES)
    with (
        progress_bar("Chứng thư số demo", total, console)
        if show_progress
        else nullcontext(lambda _n: None)
    ) as advance:
        return DemoPKI.create(
            out,
            agencies=[(a.code, a.name) for a in DEMO_AGENCIES],
            signers=[(a.code, *demo_signer(a)) for a in DEMO_AGENCIES],
            hubs=["hub.national"],
            ocsp_url=f"{base}/ocsp",
            crl_url=f"{base}/crl",
            now=now or datetime.now(UTC) - DEMO_HISTORY,
            progress=advance,
        )


class ResponderPortBusyError(Exception):
    """The demo responder's port is taken by another program."""


def _busy(port: int, exc: OSError) -> ResponderPortBusyError:
    return ResponderPortBusyError(
        f"Port {port} of the demo OCSP responder is taken ({exc.strerror}). Stop the program "
        f"using it (an earlier `make run`?) or choose another port: "
        f"LIENTHONG_DEMO_RESPONDER_PORT={port + 1} make run"
    )


def _refuse_busy(port: int) -> None:
    import socket

    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise _busy(port, exc) from exc


DirOption = Annotated[Path | None, typer.Option("--dir", help="PKI folder")]


@pki_app.command("init-demo")
def init_demo(
    out: Annotated[Path | None, typer.Option("--out", help="PKI folder to create")] = None,
    ocsp_url: Annotated[
        str, typer.Option("--ocsp-url", help="Base URL of the responder (OCSP and CRL)")
    ] = DEFAULT_RESPONDER,
) -> None:
    """Create the demo PKI (root, intermediate, every demo agency, the hub)."""
    folder = out or default_pki_dir()
    pki = init_demo_pki(folder, ocsp_url, show_progress=True)
    console.print(f"Demo PKI in {folder}: {len(pki.organisations)} agencies, OCSP {pki.ocsp_url}")


@pki_app.command("serve")
def serve(
    folder: DirOption = None,
    host: str = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (default: the one in the certificates)")] = 0,
) -> None:
    """Serve the OCSP responder (POST/GET /ocsp) and the CRL (GET /crl)."""
    from urllib.parse import urlsplit

    from lienthong.trust.responder import Responder

    pki = DemoPKI.load(folder or default_pki_dir())
    port = port or urlsplit(pki.ocsp_url).port or 80
    responder = Responder(pki, host, port)
    console.print(f"OCSP and CRL on {responder.base_url}")
    responder.serve_forever()


@pki_app.command("revoke")
def revoke(
    serial: Annotated[str, typer.Argument(help="Serial number (hex, or decimal with no letters)")],
    folder: DirOption = None,
    reason: str = "keyCompromise",
) -> None:
    """Revoke a certificate from now on (the CRL and OCSP answers show it at once)."""
    pki = DemoPKI.load(folder or default_pki_dir())
    number = (
        int(serial, 16) if serial.lower().startswith("0x") or not serial.isdigit() else int(serial)
    )
    pki.revoke(number, datetime.now(UTC), x509.ReasonFlags(reason))
    console.print(f"Revoked {number:x}")


@pki_app.command("show")
def show(folder: DirOption = None) -> None:
    """List the certificates of the demo PKI with their serials."""
    pki = DemoPKI.load(folder or default_pki_dir())
    revoked = pki.revoked()
    rows = [("root", pki.root), ("intermediate", pki.intermediate)]
    rows += [(f"org {code}", cred) for code, cred in pki.organisations.items()]
    rows += [(f"signer {code}", creds[0]) for code, creds in pki.signers.items()]
    rows += [(f"hub {name}", cred) for name, cred in pki.hubs.items()]
    for label, cred in rows:
        mark = " REVOKED" if cred.serial in revoked else ""
        typer.echo(f"{label}\t{cred.serial:x}\t{cred.certificate.subject.rfc4514_string()}{mark}")


def start_demo_responder(folder: Path, port: int, clock: Clock | None = None) -> Responder:
    """For ``make run``: make the demo PKI when absent (or made for another port: the
    certificates carry the responder's URLs) and serve its responder in a thread.

    Raises :class:`ResponderPortBusyError` when the port is taken: the demo's certificates
    would point at someone else's responder."""
    from urllib.parse import urlsplit

    from lienthong.trust.responder import Responder

    url = f"http://127.0.0.1:{port}"
    _refuse_busy(port)  # before any work: a clash must not leave a half-made demo
    if (folder / "pki.json").exists():
        pki = DemoPKI.load(folder)
        if urlsplit(pki.ocsp_url).port != port:
            console.print(
                f"The demo PKI in {folder} points at {pki.ocsp_url}; making it again for {url} "
                "(documents signed before keep their old certificates)"
            )
            pki = init_demo_pki(folder, url, show_progress=True)
    else:
        console.print(f"Creating the demo PKI in {folder}")
        pki = init_demo_pki(folder, url, show_progress=True)
    try:
        responder = Responder(pki, "127.0.0.1", port, clock=clock).start()
    except OSError as exc:
        raise _busy(port, exc) from exc
    console.print(f"OCSP and CRL of the demo PKI on {responder.base_url}")
    return responder
