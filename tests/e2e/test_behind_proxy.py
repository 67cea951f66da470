"""The production layout: nginx (Debian's package) in front of a real hub, started by
``scripts/run-behind-proxy`` with ``deploy/nginx/lienthong.conf`` and a test PKI. An agency
sends a document through nginx with its client certificate (nginx verifies it, the hub believes
nginx's verified-client header) and the recipient fetches it the same way. The same headers sent
to the hub directly, from an address that is not the trusted proxy, are ignored (401), and a
client cannot forge them through nginx either."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from lienthong.trust.pki import DemoPKI
from tests.e2e.conftest import prepare_hub
from tests.hub_process import free_port
from tests.support import CAO_BANG, NGHE_AN, TEST_SECRET_KEY, document_bytes

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "run-behind-proxy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)

if NGINX is None:
    reason = "nginx is not installed (`apt-get install nginx-light`): the proxy layout is untested"
    if os.environ.get("CI") == "true":
        pytest.fail(reason, pytrace=False)
    pytest.skip(f"!!! {reason} !!!", allow_module_level=True)


class Layout:
    def __init__(self, base: Path, pki: DemoPKI) -> None:
        self.pki = pki
        self.proxy_port = free_port()
        self.hub_port = free_port()
        hub = pki.hub("hub.national")
        tls = base / "tls"
        tls.mkdir()
        (tls / "hub.pem").write_bytes(hub.cert_pem + hub.chain_pem)
        self.files = {
            "cert": tls / "hub.pem",
            "key": pki.out_dir / "hubs" / "hub.national" / "key.pem",
            "ca": pki.root_path,
        }
        for code in (NGHE_AN, CAO_BANG):
            org = pki.organisation(code)
            (tls / f"{code}.pem").write_bytes(org.cert_pem + org.chain_pem)
        self.tls = tls
        self.base = base

    def agency(self, code: str) -> httpx.Client:
        context = self.context()
        context.load_cert_chain(
            self.tls / f"{code}.pem", self.pki.out_dir / "agencies" / code / "org.key"
        )
        return httpx.Client(
            base_url=f"https://127.0.0.1:{self.proxy_port}", verify=context, timeout=30
        )

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.files["ca"]))


@pytest.fixture(scope="module")
def layout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Layout]:
    base = tmp_path_factory.mktemp("proxy")
    pki = DemoPKI.create(
        base / "pki",
        agencies=[(NGHE_AN, "UBND tỉnh Nghệ An"), (CAO_BANG, "UBND tỉnh Cao Bằng")],
        signers=[],
        hubs=["hub.national"],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=datetime.now(UTC),
    )
    made = Layout(base, pki)
    prepared = prepare_hub(base / "var", f"sqlite:///{base / 'hub.db'}", [NGHE_AN, CAO_BANG])
    env = {
        **os.environ,
        "PROXY_PORT": str(made.proxy_port),
        "HUB_PORT": str(made.hub_port),
        "TLS_CERT": str(made.files["cert"]),
        "TLS_KEY": str(made.files["key"]),
        "CLIENT_CA": str(made.files["ca"]),
        "PYTHON": sys.executable,
        "LIENTHONG_DATABASE_URL": prepared.settings.database_url,
        "LIENTHONG_DATA_DIR": str(prepared.settings.data_dir),
        "LIENTHONG_SECRET_KEY": TEST_SECRET_KEY,
        "LIENTHONG_TRUST_POLICY": "off",  # signatures are tested elsewhere; here, transport
        "LIENTHONG_LOG_LEVEL": "WARNING",
    }
    log = open(base / "run.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        [str(SCRIPT), str(base / "run")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    log.close()
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                raise RuntimeError((base / "run.log").read_text()[-3000:])
            try:
                with made.agency(NGHE_AN) as client:
                    if client.get("/healthz").status_code == 200:
                        break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError((base / "run.log").read_text()[-3000:])
            time.sleep(0.2)
        yield made
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _inbox(client: httpx.Client) -> list[dict[str, object]]:
    answer = client.get("/api/v1/inbox")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_a_document_goes_through_nginx_with_client_certificates(layout: Layout) -> None:
    package = document_bytes(NGHE_AN, [CAO_BANG], subject="Qua proxy")
    with layout.agency(NGHE_AN) as sender:
        sent = sender.post(
            "/api/v1/packages",
            content=package,
            headers={"Content-Type": "application/xml", "Idempotency-Key": "proxy-1"},
        )
        assert sent.status_code in (200, 201, 202), sent.text
        assert sent.headers["strict-transport-security"].startswith("max-age=")
    with layout.agency(CAO_BANG) as recipient:
        items = _inbox(recipient)
        assert len(items) == 1
        fetched = recipient.get(f"/api/v1/inbox/{items[0]['delivery_id']}/package")
        assert fetched.status_code == 200
        assert fetched.content == package


def _forged(layout: Layout) -> dict[str, str]:
    pem = (layout.tls / f"{NGHE_AN}.pem").read_text().split("-----END CERTIFICATE-----")[0]
    return {
        "X-Client-Verify": "SUCCESS",
        "X-Client-Cert": quote(pem + "-----END CERTIFICATE-----\n"),
    }


def test_the_verified_client_header_is_ignored_from_anyone_but_the_proxy(layout: Layout) -> None:
    # Straight to the hub's port from 127.0.0.2 (not LIENTHONG_TRUSTED_PROXIES' 127.0.0.1).
    transport = httpx.HTTPTransport(local_address="127.0.0.2")
    with httpx.Client(transport=transport, timeout=30) as direct:
        url = f"http://127.0.0.1:{layout.hub_port}/api/v1/inbox"
        answer = direct.get(url, headers=_forged(layout))
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "AUTH_FAILED"
        # Nor does a forged X-Forwarded-Proto make the plain-HTTP answer a TLS one.
        page = direct.get(
            f"http://127.0.0.1:{layout.hub_port}/dang-nhap", headers={"X-Forwarded-Proto": "https"}
        )
        assert "strict-transport-security" not in page.headers
        assert all("secure" not in c.lower() for c in page.headers.get_list("set-cookie"))


def test_a_client_cannot_forge_the_header_through_nginx(layout: Layout) -> None:
    # No client certificate, the headers typed by hand: nginx overwrites them (NONE).
    with httpx.Client(
        base_url=f"https://127.0.0.1:{layout.proxy_port}",
        verify=layout.context(),
        timeout=30,
    ) as anonymous:
        answer = anonymous.get("/api/v1/inbox", headers=_forged(layout))
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == "AUTH_FAILED"
        # Through the proxy the hub knows the page came over TLS: its cookie is Secure.
        page = anonymous.get("/dang-nhap")
        cookies = page.headers.get_list("set-cookie")
        assert cookies and all("secure" in c.lower().split("; ") for c in cookies)
