"""Gateway to hub to gateway over mutual TLS on loopback, with real certificates.

One real hub process serves HTTPS with the test PKI (client certificates optional: a verified
certificate or HTTP Basic), a second one demands them; two in-process gateways (one through
its local HTTP API) sign, send, pull and verify. The hub signs a receipt for each package and
seals its audit log in the background.
"""

from __future__ import annotations

import hashlib
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import hashes
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import create_engine, func, select

from lienthong.audit.service import AuditService
from lienthong.client.rest import HubClient, HubError, mtls_client
from lienthong.client.signing import SigningClient
from lienthong.clock import SystemClock
from lienthong.db import Database
from lienthong.exchange import store
from lienthong.gateway.api import create_gateway_app
from lienthong.gateway.cli import build_gateway
from lienthong.gateway.service import GatewayService
from lienthong.gateway.store import Outgoing as GatewayOutgoing
from lienthong.schema import load_all
from lienthong.trust.pki import Credential, DemoPKI
from lienthong.trust.receipts import verify_receipt
from lienthong.web.container import build_container
from tests.e2e.conftest import PreparedHub, prepare_hub
from tests.hub_process import HubProcess, free_port
from tests.support import CAO_BANG, NGHE_AN, unsigned_document_bytes

UNREGISTERED = "000.00.00.H99"
GATEWAY_TOKEN = "gateway-local-token-for-tests-0123456789"


class TLSHubProcess(HubProcess):
    """A hub process serving HTTPS; ready when /healthz answers over TLS."""

    def __init__(
        self, *, ca: Path, client_cert: tuple[Path, Path] | None = None, **kw: object
    ) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.ca = ca
        self.client_cert = client_cert

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> TLSHubProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lienthong", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        context = ssl.create_default_context(cafile=str(self.ca))
        if self.client_cert is not None:
            context.load_cert_chain(*self.client_cert)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hub exited: {self.log_path.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", verify=context, timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"hub did not start: {self.log_path.read_text()[-3000:]}")

    def __enter__(self) -> TLSHubProcess:
        return self.start()


@contextmanager
def serving(service: GatewayService, token: str | None = GATEWAY_TOKEN) -> Iterator[httpx.Client]:
    """The gateway's local API on a loopback port (a real uvicorn server in a thread); the
    client presents ``token`` (None: no Authorization header)."""
    port = free_port()
    app = create_gateway_app(service, token=GATEWAY_TOKEN)
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    headers = {} if token is None else {"Authorization": f"Bearer {token}".strip()}
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", timeout=30, headers=headers
        ) as local:
            yield local
    finally:
        server.should_exit = True
        thread.join(10)


def fullchain(path: Path, credential: Credential) -> Path:
    path.write_bytes(credential.cert_pem + credential.chain_pem)
    return path


@pytest.fixture(scope="module")
def pki(module_tmp: Path) -> DemoPKI:
    return DemoPKI.create(
        module_tmp / "pki",
        agencies=[(NGHE_AN, "UBND tỉnh Nghệ An"), (CAO_BANG, "UBND tỉnh Cao Bằng")],
        signers=[],
        hubs=["hub.national"],
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=datetime.now(UTC),
    )


@pytest.fixture(scope="module")
def files(pki: DemoPKI, module_tmp: Path) -> dict[str, Path]:
    folder = module_tmp / "tls"
    folder.mkdir()
    hub = pki.hub("hub.national")
    out = {
        "ca": pki.root_path,
        "hub_cert": fullchain(folder / "hub.pem", hub),
        "hub_key": pki.out_dir / "hubs" / "hub.national" / "key.pem",
    }
    for code in (NGHE_AN, CAO_BANG):
        out[code] = fullchain(folder / f"{code}.pem", pki.organisation(code))
        out[f"{code}.key"] = pki.out_dir / "agencies" / code / "org.key"
    return out


@pytest.fixture(scope="module")
def prepared(module_tmp: Path, sqlite_url: str) -> PreparedHub:
    hub = prepare_hub(module_tmp / "var", sqlite_url, [NGHE_AN, CAO_BANG])
    # Tables not in a migration yet (the audit chain) are created as tests/conftest.py does.
    engine = create_engine(sqlite_url)
    load_all().create_all(engine)
    engine.dispose()
    return hub


def hub_env(files: dict[str, Path], client_cert: str) -> dict[str, str]:
    return {
        "LIENTHONG_TLS_CERT": str(files["hub_cert"]),
        "LIENTHONG_TLS_KEY": str(files["hub_key"]),
        "LIENTHONG_TLS_CA": str(files["ca"]),
        "LIENTHONG_TRUSTED_ROOTS": str(files["ca"]),
        # The hub's own package policy (OCSP/CRL included) is tested with trust; here the
        # gateways verify what they receive, and one test needs a package the hub accepts
        # but the receiving gateway does not trust.
        "LIENTHONG_TRUST_POLICY": "off",
        "LIENTHONG_TLS_CLIENT_CERT": client_cert,
        "LIENTHONG_HUB_CERT": str(files["hub_cert"]),
        "LIENTHONG_HUB_KEY": str(files["hub_key"]),
        "LIENTHONG_AUDIT_SEAL_INTERVAL_SECONDS": "0.2",
    }


def tls_hub(prepared: PreparedHub, files: dict[str, Path], client_cert: str) -> TLSHubProcess:
    return TLSHubProcess(
        ca=files["ca"],
        client_cert=(files[CAO_BANG], files[f"{CAO_BANG}.key"]),
        data_dir=prepared.settings.data_dir,
        database_url=prepared.settings.database_url,
        secret_key=prepared.settings.secret_key or "",
        env=hub_env(files, client_cert),
    )


@pytest.fixture(scope="module")
def hub(prepared: PreparedHub, files: dict[str, Path]) -> Iterator[TLSHubProcess]:
    with tls_hub(prepared, files, "optional") as process:
        yield process


def gateway(
    hub: TLSHubProcess, files: dict[str, Path], code: str, data_dir: Path
) -> GatewayService:
    return build_gateway(
        hub=hub.url,
        agency=code,
        cert=files[code],
        key=files[f"{code}.key"],
        ca=files["ca"],
        data_dir=data_dir,
    )


def message_count(prepared: PreparedHub) -> int:
    engine = create_engine(prepared.settings.database_url)
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(store.Message)).scalar_one())
    engine.dispose()
    return n


def test_a_document_travels_gateway_to_hub_to_gateway_over_mutual_tls(
    hub: TLSHubProcess, files: dict[str, Path], pki: DemoPKI, tmp_path: Path
) -> None:
    sender = gateway(hub, files, NGHE_AN, tmp_path / "nghe-an")
    receiver = gateway(hub, files, CAO_BANG, tmp_path / "cao-bang")
    try:
        raw = unsigned_document_bytes(NGHE_AN, [CAO_BANG], number="501")
        with serving(sender) as local:
            sent = local.post("/send", content=raw, headers={"Idempotency-Key": "cv-501"})
            assert sent.status_code == 201, sent.text
            answer = sent.json()
            assert answer["receipt_verified"] is True and answer["recipients"] == [CAO_BANG]
            # The document software retries: the very same answer, nothing sent twice.
            again = local.post("/send", content=raw, headers={"Idempotency-Key": "cv-501"})
            assert again.status_code == 200
            assert again.json()["message_id"] == answer["message_id"]
            assert again.json()["receipt"] == answer["receipt"]

        receipt = verify_receipt(answer["receipt"], pki.trust_roots())
        assert receipt.sender == NGHE_AN and receipt.recipients == (CAO_BANG,)

        (item,) = receiver.pull()
        assert item["verified"] is True and item["acked"] is None
        assert item["report"]["checks"]["sender"]["status"] == "passed"
        package = receiver.package(item["id"])
        assert hashlib.sha256(package).hexdigest() == receipt.package_sha256
        (stored,) = receiver.inbox()
        assert stored["acked"] == "done"
        assert receiver.pull() == []  # acknowledged: no longer pending at the hub
    finally:
        sender.close()
        receiver.close()


@pytest.mark.parametrize(
    ("token", "code"),
    [
        pytest.param(None, "GATEWAY_TOKEN_MISSING", id="no-token"),
        pytest.param("", "GATEWAY_TOKEN_MISSING", id="empty-token"),
        pytest.param("x" * 40, "GATEWAY_TOKEN_INVALID", id="wrong-token"),
        pytest.param(GATEWAY_TOKEN + "x", "GATEWAY_TOKEN_INVALID", id="longer-token"),
    ],
)
def test_the_gateway_local_api_refuses_a_call_without_its_token(
    hub: TLSHubProcess,
    prepared: PreparedHub,
    files: dict[str, Path],
    tmp_path: Path,
    token: str | None,
    code: str,
) -> None:
    """From loopback too: nothing signed, sent, pulled or stored."""
    sender = gateway(hub, files, NGHE_AN, tmp_path / "nghe-an")
    before = message_count(prepared)
    raw = unsigned_document_bytes(NGHE_AN, [CAO_BANG], number="508")
    try:
        with serving(sender, token=token) as local:
            answers = [
                local.post("/send", content=raw, headers={"Idempotency-Key": "cv-508"}),
                local.post(
                    "/status",
                    json={"document_id": "x", "original_sender": CAO_BANG, "status_code": "03"},
                ),
                local.get("/inbox"),
                local.get("/inbox/1/package"),
                local.get("/healthz"),
                local.get("/openapi.json"),
            ]
        for answer in answers:
            assert answer.status_code == 401, answer.text
            assert answer.json()["error"]["code"] == code
            assert answer.headers["www-authenticate"].startswith("Bearer")
        assert sender.inbox() == []
        assert list((tmp_path / "nghe-an" / "packages").iterdir()) == []
        with sender.db.read() as session:
            assert session.scalar(select(func.count()).select_from(GatewayOutgoing)) == 0
        assert message_count(prepared) == before
    finally:
        sender.close()


def test_the_gateway_local_api_answers_with_its_token(
    hub: TLSHubProcess, files: dict[str, Path], tmp_path: Path
) -> None:
    sender = gateway(hub, files, NGHE_AN, tmp_path / "nghe-an")
    try:
        with serving(sender) as local:
            assert local.get("/healthz").status_code == 200
            listed = local.get("/inbox", params={"pull": "false"})
            assert listed.status_code == 200 and listed.json()["items"] == []
    finally:
        sender.close()


def test_the_hub_answers_an_exact_retry_with_the_original_receipt(
    hub: TLSHubProcess, files: dict[str, Path], pki: DemoPKI
) -> None:
    credential = pki.organisation(NGHE_AN)
    http = mtls_client(hub.url, cert=files[NGHE_AN], key=files[f"{NGHE_AN}.key"], ca=files["ca"])
    client = SigningClient(hub.url, credential, pki.trust_roots(), system_id=NGHE_AN, http=http)
    with client:
        signed = client.sign(unsigned_document_bytes(NGHE_AN, [CAO_BANG], number="502"))
        first = client.send_signed(signed, idempotency_key="retry-502")
        second = client.send_signed(signed, idempotency_key="retry-502")
    assert first.receipt is not None and second.receipt is not None
    assert second.answer["replay"] is True
    assert second.answer["receipt"] == first.answer["receipt"]
    assert first.receipt.package_sha256 == hashlib.sha256(signed).hexdigest()


def test_a_package_the_receiver_does_not_trust_is_stored_and_acknowledged_fail(
    hub: TLSHubProcess, files: dict[str, Path], pki: DemoPKI, tmp_path: Path
) -> None:
    sender = gateway(hub, files, NGHE_AN, tmp_path / "nghe-an")
    answer = sender.send(unsigned_document_bytes(NGHE_AN, [CAO_BANG], number="503"))
    sender.close()
    # Cao Bằng's gateway trusts another root for signatures (TLS still uses the real one).
    other_root = DemoPKI.issue_root("Another root", datetime.now(UTC) - timedelta(days=1))
    http = mtls_client(hub.url, cert=files[CAO_BANG], key=files[f"{CAO_BANG}.key"], ca=files["ca"])
    client = SigningClient(
        hub.url, pki.organisation(CAO_BANG), [other_root.certificate], system_id=CAO_BANG, http=http
    )
    receiver = GatewayService(client, tmp_path / "cao-bang", SystemClock())
    try:
        (item,) = [i for i in receiver.pull() if i["message_id"] == answer["message_id"]]
        assert item["verified"] is False
        assert item["report"]["code"] == "CERTIFICATE_UNTRUSTED"
        (stored,) = [i for i in receiver.inbox(verified=False) if i["id"] == item["id"]]
        assert stored["acked"] == "fail"
        assert receiver.pull() == []
    finally:
        receiver.close()


def test_http_basic_still_works_over_tls(
    hub: TLSHubProcess, prepared: PreparedHub, files: dict[str, Path]
) -> None:
    context = ssl.create_default_context(cafile=str(files["ca"]))
    http = httpx.Client(base_url=hub.url, verify=context)
    with HubClient(hub.url, CAO_BANG, prepared.secrets[CAO_BANG], http=http) as client:
        items, _ = client.inbox()
    # Authenticated by the secret alone (no client certificate): the inbox answers.
    assert all(item["delivery_id"] > 0 for item in items)


def test_refuses_a_client_without_certificate_or_secret(
    hub: TLSHubProcess, prepared: PreparedHub, files: dict[str, Path]
) -> None:
    before = message_count(prepared)
    context = ssl.create_default_context(cafile=str(files["ca"]))
    with (
        HubClient(hub.url, NGHE_AN, None, http=httpx.Client(base_url=hub.url, verify=context)) as c,
        pytest.raises(HubError) as caught,
    ):
        c.send(unsigned_document_bytes(NGHE_AN, [CAO_BANG], number="504"))
    assert caught.value.status == 401 and caught.value.code == "AUTH_FAILED"
    assert message_count(prepared) == before


def test_refuses_a_certificate_of_an_unregistered_agency(
    hub: TLSHubProcess, prepared: PreparedHub, pki: DemoPKI, tmp_path: Path, files: dict[str, Path]
) -> None:
    now = datetime.now(UTC)
    stranger = pki.issue_custom(
        common_name="Cơ quan chưa đăng ký",
        agency_code=UNREGISTERED,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
        extended_key_usage=(ExtendedKeyUsageOID.CLIENT_AUTH,),
    )
    cert = fullchain(tmp_path / "stranger.pem", stranger)
    key = tmp_path / "stranger.key"
    key.write_bytes(stranger.key_pem)
    before = message_count(prepared)
    http = mtls_client(hub.url, cert=cert, key=key, ca=files["ca"])
    with (
        HubClient(hub.url, UNREGISTERED, None, http=http) as client,
        pytest.raises(HubError) as caught,
    ):
        client.send(unsigned_document_bytes(UNREGISTERED, [CAO_BANG], number="505"))
    assert caught.value.code == "AUTH_FAILED"
    assert message_count(prepared) == before


def test_a_personal_signer_certificate_does_not_authenticate_as_its_agency(
    hub: TLSHubProcess, prepared: PreparedHub, pki: DemoPKI, tmp_path: Path, files: dict[str, Path]
) -> None:
    """A leader's signing certificate carries the agency UID and chains to the same CA, so
    the handshake takes it; the hub refuses it: it is not issued for TLS (no clientAuth)."""
    now = datetime.now(UTC)
    signer = pki.issue_custom(
        common_name="Nguyễn Văn An",
        title="Chủ tịch",
        agency_code=NGHE_AN,
        organisation="UBND tỉnh Nghệ An",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
    )
    cert = fullchain(tmp_path / "signer.pem", signer)
    key = tmp_path / "signer.key"
    key.write_bytes(signer.key_pem)
    before = message_count(prepared)
    http = mtls_client(hub.url, cert=cert, key=key, ca=files["ca"])
    with HubClient(hub.url, NGHE_AN, None, http=http) as client:
        with pytest.raises(HubError) as caught:
            client.send(unsigned_document_bytes(NGHE_AN, [CAO_BANG], number="507"))
        assert caught.value.status == 401
        assert caught.value.code == "CLIENT_CERTIFICATE_NOT_FOR_TLS"
        with pytest.raises(HubError) as listed:
            client.inbox()
        assert listed.value.code == "CLIENT_CERTIFICATE_NOT_FOR_TLS"
    assert message_count(prepared) == before
    # The organisation certificate (clientAuth) of the same agency authenticates.
    ok = mtls_client(hub.url, cert=files[NGHE_AN], key=files[f"{NGHE_AN}.key"], ca=files["ca"])
    with HubClient(hub.url, NGHE_AN, None, http=ok) as client:
        client.inbox()


def test_an_agency_with_registered_fingerprints_is_authenticated_by_those_only(
    hub: TLSHubProcess, prepared: PreparedHub, pki: DemoPKI, tmp_path: Path, files: dict[str, Path]
) -> None:
    """Nghệ An registers the fingerprint of a new TLS certificate (lienthong agencies
    add-tls-fingerprint): it authenticates; its organisation certificate, with clientAuth but
    not registered, is refused CLIENT_CERTIFICATE_NOT_REGISTERED; removing the fingerprint
    brings back the clientAuth rule."""
    now = datetime.now(UTC)
    device = pki.issue_custom(
        common_name="Hệ thống QLVB UBND tỉnh Nghệ An",
        agency_code=NGHE_AN,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
        extended_key_usage=(ExtendedKeyUsageOID.CLIENT_AUTH,),
    )
    cert = fullchain(tmp_path / "device.pem", device)
    key = tmp_path / "device.key"
    key.write_bytes(device.key_pem)
    fingerprint = device.certificate.fingerprint(hashes.SHA256()).hex()
    container = build_container(prepared.settings)
    try:
        container.agencies.add_tls_fingerprint(NGHE_AN, fingerprint)
        before = message_count(prepared)
        registered = mtls_client(hub.url, cert=cert, key=key, ca=files["ca"])
        with HubClient(hub.url, NGHE_AN, None, http=registered) as client:
            client.inbox()
        organisation = mtls_client(
            hub.url, cert=files[NGHE_AN], key=files[f"{NGHE_AN}.key"], ca=files["ca"]
        )
        with HubClient(hub.url, NGHE_AN, None, http=organisation) as client:
            with pytest.raises(HubError) as caught:
                client.send(unsigned_document_bytes(NGHE_AN, [CAO_BANG], number="509"))
            assert caught.value.status == 401
            assert caught.value.code == "CLIENT_CERTIFICATE_NOT_REGISTERED"
        assert message_count(prepared) == before
    finally:
        container.agencies.remove_tls_fingerprint(NGHE_AN, fingerprint)
        container.close()
    again = mtls_client(hub.url, cert=files[NGHE_AN], key=files[f"{NGHE_AN}.key"], ca=files["ca"])
    with HubClient(hub.url, NGHE_AN, None, http=again) as client:
        client.inbox()


def test_refuses_a_certificate_from_another_ca_at_the_handshake(
    hub: TLSHubProcess, prepared: PreparedHub, pki: DemoPKI, tmp_path: Path, files: dict[str, Path]
) -> None:
    now = datetime.now(UTC)
    other_root = DemoPKI.issue_root("Another root", now - timedelta(days=1))
    forged = pki.issue_custom(
        common_name="UBND tỉnh Nghệ An",
        agency_code=NGHE_AN,
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=30),
        issuer=other_root,
    )
    cert, key = tmp_path / "forged.pem", tmp_path / "forged.key"
    cert.write_bytes(forged.cert_pem)
    key.write_bytes(forged.key_pem)
    before = message_count(prepared)
    http = mtls_client(hub.url, cert=cert, key=key, ca=files["ca"])
    with (
        HubClient(hub.url, NGHE_AN, None, http=http) as client,
        pytest.raises(httpx.TransportError),
    ):
        client.send(unsigned_document_bytes(NGHE_AN, [CAO_BANG], number="506"))
    assert message_count(prepared) == before


def test_a_hub_demanding_certificates_refuses_a_client_without_one(
    hub: TLSHubProcess, prepared: PreparedHub, files: dict[str, Path]
) -> None:
    with tls_hub(prepared, files, "required") as strict:
        context = ssl.create_default_context(cafile=str(files["ca"]))
        http = httpx.Client(base_url=strict.url, verify=context)
        with (
            HubClient(strict.url, CAO_BANG, prepared.secrets[CAO_BANG], http=http) as client,
            pytest.raises(httpx.TransportError),
        ):
            client.inbox()
        ok = mtls_client(
            strict.url, cert=files[CAO_BANG], key=files[f"{CAO_BANG}.key"], ca=files["ca"]
        )
        with HubClient(strict.url, CAO_BANG, None, http=ok) as client:
            assert client.inbox()[1] is None


def test_the_hub_seals_its_audit_log_in_the_background(
    hub: TLSHubProcess, prepared: PreparedHub
) -> None:
    db = Database.from_url(prepared.settings.database_url, pool_size=1)
    service = AuditService(db, SystemClock())
    try:
        deadline = time.monotonic() + 10
        report = service.verify()
        while report.unsealed and time.monotonic() < deadline:
            time.sleep(0.2)
            report = service.verify()
        assert report.ok and report.unsealed == 0 and report.links >= 3
    finally:
        db.dispose()
