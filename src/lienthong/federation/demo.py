"""The demo network: a national hub, a ministry hub and two provincial hubs (LGSP), each its own
process with its own SQLite file, on loopback ports.

* the national hub (run by the Government Office) serves the Government Office and every agency
  not assigned elsewhere, and is the authority for the routing directory;
* the ministry hub of Bộ Khoa học và Công nghệ serves the ministry and its departments;
* province A (Nghệ An, four levels: province → departments and districts → communes → units)
  is served by its provincial hub;
* province B (An Giang, two tiers since 1 July 2025: province → communes) by its own.

:func:`prepare_network` writes everything the hubs need (databases, registry, hub
certificates, hub list, credentials); :mod:`lienthong.cli` starts the processes.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine

from lienthong.agencies.demo import DEMO_AGENCIES
from lienthong.agencies.errors import AgencyError
from lienthong.client.rest import HubClient
from lienthong.config import Settings
from lienthong.federation.model import HubRole
from lienthong.migrate import upgrade
from lienthong.schema import load_all
from lienthong.trust.pki import DemoPKI
from lienthong.web.container import Container, build_container

NATIONAL = "000.00.00.G22"  # Văn phòng Chính phủ runs the national axis
MINISTRY = "000.00.00.G15"  # Bộ Khoa học và Công nghệ
PROVINCE_A = "000.00.00.H41"  # Nghệ An
PROVINCE_B = "H01"  # An Giang

HUB_NAMES = {
    NATIONAL: ("Trục liên thông văn bản quốc gia", HubRole.NATIONAL),
    MINISTRY: ("Nền tảng tích hợp, chia sẻ dữ liệu Bộ Khoa học và Công nghệ", HubRole.MINISTRY),
    PROVINCE_A: ("Trục liên thông văn bản tỉnh Nghệ An", HubRole.PROVINCE),
    PROVINCE_B: ("Trục liên thông văn bản tỉnh An Giang", HubRole.PROVINCE),
}


def demo_hub_of(code: str) -> str:
    """The hub serving a demo agency."""
    if code.endswith(".G15") or code.endswith(".G14"):
        return MINISTRY
    if code.endswith(".H41"):
        return PROVINCE_A
    if code == "H01" or code.startswith("H01.") or code in ("000.00.00.H01", "000.00.00.H33"):
        return PROVINCE_B
    return NATIONAL


@dataclass
class HubSetup:
    """One hub of the demo network. With ``ca`` (the default), it serves HTTPS with its hub
    certificate, accepts client certificates issued under ``ca`` (agencies and other hubs),
    and forwards to the other hubs over mutual TLS."""

    hub: str
    port: int
    data_dir: Path
    ca: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    credentials: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        scheme = "https" if self.ca is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return f"sqlite:///{self.data_dir / 'hub.db'}"

    def verify(self) -> ssl.SSLContext | bool:
        """What a client of this hub verifies its server certificate with."""
        return ssl.create_default_context(cafile=str(self.ca)) if self.ca is not None else True

    def http(self, timeout: float = 60.0) -> httpx.Client:
        """An HTTP client for this hub (checks its certificate against the demo root)."""
        return httpx.Client(base_url=self.url, verify=self.verify(), timeout=timeout)

    def client(self, agency: str, timeout: float = 60.0) -> HubClient:
        """An agency's client of this hub (HTTP Basic with its demo credentials)."""
        return HubClient(
            self.url, agency, self.credentials[agency], http=self.http(timeout=timeout)
        )


def hub_env(
    setup: HubSetup, pki_dir: Path, national_url: str, secret_key: str, **more: str
) -> dict[str, str]:
    folder = pki_dir / "hubs" / setup.hub
    env = {
        "LIENTHONG_DATABASE_URL": setup.database_url,
        "LIENTHONG_DATA_DIR": str(setup.data_dir),
        "LIENTHONG_SECRET_KEY": secret_key,
        "LIENTHONG_HUB_ID": setup.hub,
        "LIENTHONG_HUB_CODE": setup.hub,
        "LIENTHONG_HUB_NAME": HUB_NAMES[setup.hub][0],
        "LIENTHONG_HUB_CERT": str(folder / "fullchain.pem"),
        "LIENTHONG_HUB_KEY": str(folder / "key.pem"),
        "LIENTHONG_NATIONAL_HUB_ID": NATIONAL,
        "LIENTHONG_TRUST_POLICY": "off",
    }
    if setup.ca is not None:
        # HTTPS with the hub certificate; agencies and hubs may present certificates of the
        # demo root; forwards to other hubs go over mutual TLS (federation_mtls=required).
        env["LIENTHONG_TLS_CERT"] = str(folder / "fullchain.pem")
        env["LIENTHONG_TLS_KEY"] = str(folder / "key.pem")
        env["LIENTHONG_TLS_CA"] = str(setup.ca)
        env["LIENTHONG_TLS_CLIENT_CERT"] = "optional"
    else:
        env["LIENTHONG_FEDERATION_MTLS"] = "off"
    if setup.hub != NATIONAL:
        env["LIENTHONG_NATIONAL_HUB_URL"] = national_url
    env.update(more)
    return env


def settings_from_env(env: dict[str, str]) -> Settings:
    return Settings(
        **{k.removeprefix("LIENTHONG_").lower(): v for k, v in env.items()}  # type: ignore[arg-type]
    )


def create_schema(url: str) -> None:
    """Migrate, then create tables not yet in a migration (federation's, until the lead
    generates its migration; ``create_all`` leaves existing tables alone)."""
    upgrade(url)
    engine = create_engine(url)
    try:
        load_all().create_all(engine)
    finally:
        engine.dispose()


def prepare_network(
    base_dir: Path, ports: dict[str, int], secret_key: str, *, tls: bool = True, **env: str
) -> dict[str, HubSetup]:
    """Databases, registry, hub certificates and credentials of the four demo hubs.

    The national registry gets every demo agency with its hub; the other hubs start from a
    copy of the national directory (as their first pull would make it) and issue credentials
    to the agencies they serve. ``env`` adds settings to every hub (``LIENTHONG_*``). With
    ``tls`` (the default) the hubs serve HTTPS and authenticate each other by mutual TLS with
    their hub certificates; ``tls=False`` is plain HTTP with signed forwards only.
    """
    base_dir.mkdir(parents=True, exist_ok=True)
    pki_dir = base_dir / "pki"
    if (pki_dir / "pki.json").exists():
        pki = DemoPKI.load(pki_dir)
    else:
        pki = DemoPKI.create(
            pki_dir,
            agencies=[],
            signers=[],
            hubs=list(HUB_NAMES),
            ocsp_url="http://127.0.0.1:1/ocsp",
            crl_url="http://127.0.0.1:1/crl",
            now=datetime.now(UTC),
        )
    for hub in HUB_NAMES:
        credential = pki.hub(hub)
        (pki_dir / "hubs" / hub / "fullchain.pem").write_bytes(
            credential.cert_pem + credential.chain_pem
        )
    ca = pki.root_path if tls else None
    hubs = {
        hub: HubSetup(hub, ports[hub], base_dir / hub.replace(".", "-"), ca) for hub in HUB_NAMES
    }
    national_url = hubs[NATIONAL].url
    for setup in hubs.values():
        setup.data_dir.mkdir(parents=True, exist_ok=True)
        setup.env = hub_env(setup, pki_dir, national_url, secret_key, **env)
        create_schema(setup.database_url)
    national = build_container(settings_from_env(hubs[NATIONAL].env))
    try:
        assert national.federation is not None
        if not national.agencies.list_all():
            national.agencies.register_all(
                [
                    replace(
                        a, hub_code=None if demo_hub_of(a.code) == NATIONAL else demo_hub_of(a.code)
                    )
                    for a in DEMO_AGENCIES
                ]
            )
        for hub, (name, role) in HUB_NAMES.items():
            national.federation.save_hub(
                code=hub,
                name=name,
                role=role,
                url=hubs[hub].url,
                certificate_pem=pki.hub(hub).cert_pem.decode("ascii"),
            )
        _, directory = national.federation.directory(None)
        assert directory is not None
        hubs[NATIONAL].credentials = _credentials(national, NATIONAL)
    finally:
        national.close()
    for hub, setup in hubs.items():
        if hub == NATIONAL:
            continue
        container = build_container(settings_from_env(setup.env))
        try:
            assert container.federation is not None
            container.federation.apply_directory(directory, None)
            setup.credentials = _credentials(container, hub)
        finally:
            container.close()
    for setup in hubs.values():
        path = setup.data_dir / "demo-credentials.json"
        path.write_text(json.dumps(setup.credentials, indent=1), encoding="utf-8")
        path.chmod(0o600)
    return hubs


def _credentials(container: Container, hub: str) -> dict[str, str]:
    """The secret of every agency this hub serves (issued once, then read back)."""
    out = {}
    for agency in container.agencies.list_all():
        if agency.hub_code is None:
            try:
                _, raw = container.agencies.hmac_secret(agency.code)
                out[agency.code] = raw.decode("utf-8")
            except AgencyError:
                out[agency.code] = container.agencies.issue_credentials(agency.code)[1]
    return out
