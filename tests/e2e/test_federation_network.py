"""Four hubs as real processes on loopback ports, each with its own SQLite file: the national
hub, a ministry hub and two provincial hubs (the demo network of ``lienthong demo network``).
Documents and statuses cross them; recalls too; the national hub goes down and comes back; a
provincial hub is killed while forwarding; the directory changes; a forged forward is refused."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from cryptography.x509.oid import ExtendedKeyUsageOID
from sqlalchemy import func, select

from lienthong.agencies.model import Level, NewAgency
from lienthong.client.rest import HubClient
from lienthong.exchange import store as exchange_store
from lienthong.federation import store as fstore
from lienthong.federation.demo import (
    MINISTRY,
    NATIONAL,
    PROVINCE_A,
    PROVINCE_B,
    HubSetup,
    prepare_network,
    settings_from_env,
)
from lienthong.federation.signing import sign_forward
from lienthong.federation.worker import FORWARD_PATH, SIGNATURE_HEADER
from lienthong.trust.pki import Credential, DemoPKI
from lienthong.trust.receipts import ReceiptSigner
from lienthong.web.container import Container, build_container
from tests.hub_process import HubProcess, free_port
from tests.support import TEST_SECRET_KEY, document_bytes, status_bytes

COMMUNE = "000.11.38.H41"  # UBND xã Nghi Phong, province A (four levels)
DEPARTMENT = "000.00.05.G15"  # Cục Chuyển đổi số quốc gia, on the ministry hub
GOV_OFFICE = "000.00.00.G22"  # on the national hub
COMMUNE_B = "H01.160"  # UBND xã Mỹ Hòa Hưng, province B (two tiers)

FAST = {
    "LIENTHONG_FEDERATION_PULL_SECONDS": "1",
    "LIENTHONG_FEDERATION_POLL_SECONDS": "0.5",
    "LIENTHONG_RETRY_FIRST_SECONDS": "0.5",
    "LIENTHONG_RETRY_MAX_SECONDS": "2",
    "LIENTHONG_FEDERATION_TIMEOUT_SECONDS": "3",
    "LIENTHONG_AUDIT_SEAL_INTERVAL_SECONDS": "0",
    "LIENTHONG_LOG_LEVEL": "WARNING",
}
T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float = 30.0, every: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout} s: {check}")
        time.sleep(every)


@dataclass
class Network:
    hubs: dict[str, HubSetup]
    processes: dict[str, HubProcess]
    base_dir: Path

    def client(self, hub: str, agency: str) -> HubClient:
        setup = self.hubs[hub]
        return setup.client(agency)

    def container(self, hub: str) -> Container:
        return build_container(settings_from_env(self.hubs[hub].env))

    def count(self, hub: str, model: Any, *where: Any) -> int:
        container = self.container(hub)
        try:
            with container.db.read() as session:
                query = select(func.count()).select_from(model)
                for clause in where:
                    query = query.where(clause)
                return int(session.scalar(query) or 0)
        finally:
            container.close()

    def outbox(self, hub: str) -> dict[str, Any]:
        """The operator endpoint: the backlog of a hub, read as the hub operator's agency
        (``hub_code``, which is the hub's own code in the demo network)."""
        setup = self.hubs[hub]
        answer = httpx.get(
            setup.url + "/federation/v1/outbox",
            auth=(hub, setup.credentials[hub]),
            verify=setup.verify(),
            timeout=5,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    base = tmp_path_factory.mktemp("network")
    hubs_order = (NATIONAL, MINISTRY, PROVINCE_A, PROVINCE_B)
    ports = {hub: free_port() for hub in hubs_order}
    hubs = prepare_network(base, ports, TEST_SECRET_KEY, **FAST)
    processes = {
        hub: HubProcess(
            data_dir=setup.data_dir,
            database_url=setup.database_url,
            secret_key=TEST_SECRET_KEY,
            port=setup.port,
            env=setup.env,
            ca=setup.ca,
            allow_demo_secrets=True,  # prepare_network writes demo-credentials.json
        )
        for hub, setup in hubs.items()
    }
    try:
        for process in processes.values():
            process.start()
        yield Network(hubs, processes, base)
    finally:
        for process in processes.values():
            process.stop()


def inbox_of(client: HubClient, kind: str | None = None) -> list[dict[str, Any]]:
    return list(client.inbox_all(kind=kind))


def arrived(client: HubClient, edxml_id: str) -> dict[str, Any] | None:
    for item in inbox_of(client, "edoc"):
        if item["document"]["edxml_document_id"] == edxml_id:
            return item
    return None


def test_a_commune_document_reaches_a_ministry_department_and_its_statuses_come_back(
    network: Network,
) -> None:
    commune = network.client(PROVINCE_A, COMMUNE)
    department = network.client(MINISTRY, DEPARTMENT)
    office = network.client(NATIONAL, GOV_OFFICE)
    commune_b = network.client(PROVINCE_B, COMMUNE_B)
    sent = commune.send(document_bytes(COMMUNE, [DEPARTMENT, GOV_OFFICE, COMMUNE_B], number="1001"))
    edxml_id = sent["edxml_document_id"]
    item = wait_for(lambda: arrived(department, edxml_id))
    assert wait_for(lambda: arrived(office, edxml_id))
    assert wait_for(lambda: arrived(commune_b, edxml_id))
    # The package arrives byte for byte as the commune sent (its signature would still hold).
    assert department.fetch(item["delivery_id"]) == document_bytes(
        COMMUNE, [DEPARTMENT, GOV_OFFICE, COMMUNE_B], number="1001"
    )
    department.ack(item["delivery_id"])
    department.send(status_bytes(DEPARTMENT, COMMUNE, edxml_id, "03", "Đã tiếp nhận"))
    department.send(status_bytes(DEPARTMENT, COMMUNE, edxml_id, "04", "Đã phân công"))
    statuses = wait_for(
        lambda: (
            [
                s["status_code"]
                for s in commune.statuses()[0]
                if s["document_id"] == sent["document_id"]
            ]
            == ["03", "04"]
        )
    )
    assert statuses
    view = commune.document(sent["document_id"])
    assert {r["code"]: r["status"] for r in view["recipients"]}[DEPARTMENT] == "04"
    forwards = [line for line in view["timeline"] if line["type"] == "forward"]
    assert [f["recipients"] for f in forwards] == [[DEPARTMENT, GOV_OFFICE, COMMUNE_B]]
    assert all(f["next_hop"] == NATIONAL and f["state"] == "done" for f in forwards)
    # At the ministry hub the document's timeline shows the hops it came through.
    department_view = department.document(item["document"]["document_id"])
    hops = [line["hub"] for line in department_view["timeline"] if line["type"] == "hop"]
    assert hops[:3] == [PROVINCE_A, NATIONAL, MINISTRY]


def test_a_recall_crosses_the_hubs_and_the_agreement_comes_back(network: Network) -> None:
    commune = network.client(PROVINCE_A, COMMUNE)
    department = network.client(MINISTRY, DEPARTMENT)
    sent = commune.send(document_bytes(COMMUNE, [DEPARTMENT], number="1002"))
    edxml_id = sent["edxml_document_id"]
    wait_for(lambda: arrived(department, edxml_id))
    commune.send(status_bytes(COMMUNE, COMMUNE, edxml_id, "13", "Thu hồi do sai sót"))

    def recall_request() -> bool:
        return any(
            i["status_code"] == "13" and i["from"] == COMMUNE
            for i in inbox_of(department, "status")
        )

    wait_for(recall_request)
    department.send(status_bytes(DEPARTMENT, COMMUNE, edxml_id, "15", "Đồng ý thu hồi"))
    wait_for(lambda: commune.document(sent["document_id"])["state"] == "recalled")


def test_a_duplicate_sent_again_across_hubs_is_refused_by_the_sending_hub(
    network: Network,
) -> None:
    commune = network.client(PROVINCE_A, COMMUNE)
    data = document_bytes(COMMUNE, [DEPARTMENT], number="1003")
    commune.send(data)
    other = document_bytes(COMMUNE, [DEPARTMENT], number="1003", subject="V/v nội dung khác")
    with pytest.raises(Exception) as refused:
        commune.send(other)
    assert getattr(refused.value, "code", None) == "DUPLICATE_DOCUMENT"


def _signer(pki_dir: Path, hub: str) -> ReceiptSigner:
    folder = pki_dir / "hubs" / hub
    return ReceiptSigner.from_files(hub, str(folder / "cert.pem"), str(folder / "key.pem"))


def _tls_files(folder: Path, credential: Credential) -> tuple[Path, Path]:
    """A credential as the PEM files a TLS client loads (certificate with its chain, key)."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "fullchain.pem", folder / "key.pem"
    cert.write_bytes(credential.cert_pem + credential.chain_pem)
    key.write_bytes(credential.key_pem)
    return cert, key


def _forged_post(
    network: Network,
    signer: ReceiptSigner,
    claim_hub: str,
    tls: tuple[Path, Path] | None,
    *,
    number: str = "6666",
) -> httpx.Response:
    """A forward to the national hub signed by ``signer`` as ``claim_hub``, over TLS with the
    client certificate ``tls`` (certificate and key files) or none."""
    import hashlib

    body = document_bytes(COMMUNE, [GOV_OFFICE], number=number)
    token = sign_forward(
        signer,
        hub=claim_hub,
        message_id=hashlib.sha256(number.encode()).hexdigest()[:32],
        sha256=hashlib.sha256(body).hexdigest(),
        hops=[{"hub": claim_hub, "at": datetime.now(UTC).isoformat()}],
        targets=[GOV_OFFICE],
        now=datetime.now(UTC),
    )
    context = ssl.create_default_context(cafile=str(network.hubs[NATIONAL].ca))
    if tls is not None:
        context.load_cert_chain(*tls)
    return httpx.post(
        network.hubs[NATIONAL].url + FORWARD_PATH,
        content=body,
        headers={SIGNATURE_HEADER: token, "Content-Type": "application/xml"},
        verify=context,
        timeout=10,
    )


def _hub_tls(network: Network, hub: str) -> tuple[Path, Path]:
    folder = network.base_dir / "pki" / "hubs" / hub
    return folder / "fullchain.pem", folder / "key.pem"


def test_a_forward_without_a_hub_certificate_is_refused_even_when_signed(
    network: Network,
) -> None:
    """The signature alone is not enough: hub to hub is mutual TLS."""
    pki_dir = network.base_dir / "pki"
    before = network.count(NATIONAL, exchange_store.Message)
    answer = _forged_post(network, _signer(pki_dir, PROVINCE_A), PROVINCE_A, None)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "HUB_TLS_REQUIRED"
    unsigned = httpx.post(
        network.hubs[NATIONAL].url + FORWARD_PATH,
        content=b"<x/>",
        verify=network.hubs[NATIONAL].verify(),
        timeout=5,
    )
    assert unsigned.json()["error"]["code"] == "HUB_TLS_REQUIRED"
    assert network.count(NATIONAL, exchange_store.Message) == before


def test_a_forged_forward_from_an_unlisted_hub_is_refused(network: Network) -> None:
    pki = DemoPKI.load(network.base_dir / "pki")
    now = datetime.now(UTC)
    # A certificate of the same national root, fit for TLS clients, but of no listed hub.
    rogue = pki.issue_custom(
        common_name="HUB.ROGUE",
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(1),
        key_usage=("digital_signature", "key_encipherment"),
        extended_key_usage=(ExtendedKeyUsageOID.CLIENT_AUTH,),
    )
    rogue_tls = _tls_files(network.base_dir / "rogue", rogue)
    rogue_signer = ReceiptSigner("HUB.ROGUE", rogue.private_key, rogue.certificate)
    before = network.count(NATIONAL, exchange_store.Message)
    unlisted = _forged_post(network, rogue_signer, "HUB.ROGUE", rogue_tls)
    assert unlisted.status_code == 403
    assert unlisted.json()["error"]["code"] == "HUB_UNKNOWN"
    # The rogue claims to be province A: its TLS certificate still is no listed hub's.
    claiming = _forged_post(network, rogue_signer, PROVINCE_A, rogue_tls)
    assert claiming.json()["error"]["code"] == "HUB_UNKNOWN"
    # Province A's own TLS certificate with a signature made by another key.
    impostor = _forged_post(network, rogue_signer, PROVINCE_A, _hub_tls(network, PROVINCE_A))
    assert impostor.status_code == 403
    assert impostor.json()["error"]["code"] == "HUB_SIGNATURE_INVALID"
    # Province B connects with its certificate and sends what province A signed.
    pki_dir = network.base_dir / "pki"
    crossed = _forged_post(
        network, _signer(pki_dir, PROVINCE_A), PROVINCE_A, _hub_tls(network, PROVINCE_B)
    )
    assert crossed.json()["error"]["code"] == "HUB_SIGNATURE_INVALID"
    assert "TLS from hub" in crossed.json()["error"]["message"]
    assert network.count(NATIONAL, exchange_store.Message) == before


def test_a_client_certificate_of_another_root_fails_the_tls_handshake(
    network: Network, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    other = DemoPKI.create(
        tmp_path / "other-pki",
        agencies=[],
        signers=[],
        hubs=[PROVINCE_A],  # the same hub name, from a root the network does not trust
        ocsp_url="http://127.0.0.1:9/ocsp",
        crl_url="http://127.0.0.1:9/crl",
        now=now,
    )
    tls = _tls_files(tmp_path / "other-tls", other.hub(PROVINCE_A))
    signer = ReceiptSigner(
        PROVINCE_A, other.hub(PROVINCE_A).private_key, other.hub(PROVINCE_A).certificate
    )
    before = network.count(NATIONAL, exchange_store.Message)
    with pytest.raises(httpx.HTTPError):
        _forged_post(network, signer, PROVINCE_A, tls, number="6667")
    assert network.count(NATIONAL, exchange_store.Message) == before


def test_a_directory_change_at_the_national_hub_reaches_every_hub_within_the_bound(
    network: Network,
) -> None:
    code = "H01.170"
    national = network.container(NATIONAL)
    try:
        national.agencies.register(
            NewAgency(
                code=code,
                name="UBND xã Bình Hòa",
                level=Level.TWO,
                parent_code="H01",
                hub_code=PROVINCE_B,
            )
        )
    finally:
        national.close()
    started = time.monotonic()
    for hub in (MINISTRY, PROVINCE_A, PROVINCE_B):
        wait_for(
            lambda hub=hub: network.count(hub, fstore.AgencyRow, fstore.AgencyRow.code == code),
            timeout=60,
            every=0.2,
        )
    elapsed = time.monotonic() - started
    assert elapsed < 60  # the bound; with a 1 s pull interval it takes about a second
    print(f"directory change visible at every hub after {elapsed:.2f} s")
    hub_b = network.container(PROVINCE_B)
    try:
        assert hub_b.agencies.get(code).hub_code is None  # served there
        _, secret = hub_b.agencies.issue_credentials(code)
    finally:
        hub_b.close()
    commune = network.client(PROVINCE_A, COMMUNE)
    sent = commune.send(document_bytes(COMMUNE, [code], number="1004"))
    setup = network.hubs[PROVINCE_B]
    newcomer = HubClient(setup.url, code, secret, http=setup.http())
    assert wait_for(lambda: arrived(newcomer, sent["edxml_document_id"]))


@pytest.mark.slow
def test_packages_accepted_during_a_national_outage_are_delivered_once_after_it(
    network: Network,
) -> None:
    commune = network.client(PROVINCE_A, COMMUNE)
    department = network.client(MINISTRY, DEPARTMENT)
    network.processes[NATIONAL].stop()
    try:
        sent = [
            commune.send(document_bytes(COMMUNE, [DEPARTMENT], number=f"2{i:03d}"))
            for i in range(5)
        ]
        ids = {s["message_id"] for s in sent}

        def backlog() -> bool:
            items = [i for i in network.outbox(PROVINCE_A)["items"] if i["message_id"] in ids]
            return len(items) == 5 and all(
                i["state"] == "pending" and i["attempts"] >= 1 and i["last_error"] for i in items
            )

        wait_for(backlog, timeout=180)  # visible to the operator, with the reason (a budget)
    finally:
        network.processes[NATIONAL].start()
    wanted = {s["edxml_document_id"] for s in sent}

    def delivered() -> bool:
        got = [
            i["document"]["edxml_document_id"]
            for i in inbox_of(department, "edoc")
            if i["document"]["edxml_document_id"] in wanted
        ]
        return sorted(got) == sorted(wanted)

    wait_for(delivered, timeout=60)
    time.sleep(1.5)  # a late duplicate would show up here
    assert delivered()
    items = [i for i in network.outbox(PROVINCE_A)["items"] if i["message_id"] in ids]
    assert all(i["state"] == "done" for i in items)


@pytest.mark.slow
def test_a_provincial_hub_killed_while_forwarding_loses_and_duplicates_nothing(
    network: Network,
) -> None:
    commune = network.client(PROVINCE_A, COMMUNE)
    department = network.client(MINISTRY, DEPARTMENT)
    network.processes[NATIONAL].stop()
    try:
        sent = [
            commune.send(document_bytes(COMMUNE, [DEPARTMENT], number=f"3{i:03d}"))
            for i in range(30)
        ]
    finally:
        network.processes[NATIONAL].start()
    wanted = {s["edxml_document_id"] for s in sent}

    def at_national() -> int:
        # Only this test's documents: an earlier test's late packages must not count here.
        return network.count(
            NATIONAL,
            exchange_store.Document,
            exchange_store.Document.sender_code == COMMUNE,
            exchange_store.Document.edxml_document_id.in_(wanted),
        )

    before = at_national()
    # Kill the provincial hub as soon as forwarding is under way, not finished.
    wait_for(lambda: at_national() > before, timeout=30, every=0.02)
    network.processes[PROVINCE_A].kill()
    partial = at_national() - before
    network.processes[PROVINCE_A].start()

    def delivered() -> list[str]:
        return [
            i["document"]["edxml_document_id"]
            for i in inbox_of(department, "edoc")
            if i["document"]["edxml_document_id"] in wanted
        ]

    wait_for(lambda: len(set(delivered())) == len(wanted), timeout=60, every=0.3)
    time.sleep(1.5)
    got = delivered()
    assert sorted(got) == sorted(wanted)  # each exactly once
    assert at_national() == len(wanted)  # each reached the national hub exactly once
    print(f"killed after {partial}/{len(wanted)} had reached the national hub")
