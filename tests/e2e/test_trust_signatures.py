"""A real hub process under the policy ``enforce``: signed packages travel and the recipient
reads the validation report; unsigned, tampered or revoked ones are refused over HTTP with
their codes, and nothing is stored."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from lienthong.client.rest import HubClient, HubError
from lienthong.clock import SystemClock
from lienthong.exchange import store
from lienthong.trust.pki import Credential, DemoPKI
from lienthong.trust.responder import Responder
from tests.e2e.conftest import PreparedHub, prepare_hub
from tests.hub_process import HubProcess, free_port
from tests.support import GOV_OFFICE, NGHE_AN, NOW, signed_document_bytes, unsigned_document_bytes


@dataclass
class Signers:
    good: Credential
    revoked: Credential


@pytest.fixture(scope="module")
def signers(demo_pki: DemoPKI) -> Iterator[Signers]:
    # The hub runs on the real clock: a responder of its own, on the real clock too.
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    def issue(name: str) -> Credential:
        return demo_pki.issue_custom(
            common_name=name,
            title="Chánh Văn phòng",
            agency_code=GOV_OFFICE,
            not_before=NOW - timedelta(days=30),
            not_after=NOW + timedelta(days=365),
            ocsp_url=f"{base}/ocsp",
            crl_url=f"{base}/crl",
        )

    good, revoked = issue("Đặng Quốc Bảo"), issue("Hoàng Thu Trang")
    demo_pki.revoke(revoked.serial, NOW - timedelta(days=1), "keyCompromise")
    responder = Responder(demo_pki, port=port, clock=SystemClock()).start()
    yield Signers(good, revoked)
    responder.stop()


@pytest.fixture(scope="module")
def prepared(module_tmp: Path, sqlite_url: str) -> PreparedHub:
    return prepare_hub(
        module_tmp / "var", sqlite_url, [GOV_OFFICE, NGHE_AN], trust_policy="enforce"
    )


@pytest.fixture(scope="module")
def hub(prepared: PreparedHub, demo_pki: DemoPKI) -> Iterator[HubProcess]:
    env = {"LIENTHONG_TRUSTED_ROOTS": str(demo_pki.root_path)}
    with prepared.process(env=env) as process:
        yield process


def messages(prepared: PreparedHub) -> int:
    engine = create_engine(prepared.settings.database_url)
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(store.Message)).scalar_one())
    engine.dispose()
    return n


def refused(hub: HubProcess, prepared: PreparedHub, body: bytes, code: str) -> None:
    before = messages(prepared)
    with (
        HubClient(hub.url, GOV_OFFICE, prepared.secrets[GOV_OFFICE]) as sender,
        pytest.raises(HubError) as caught,
    ):
        sender.send(body)
    assert (caught.value.status, caught.value.code) == (422, code)
    assert messages(prepared) == before


def test_a_signed_package_travels_with_its_validation_report(
    hub: HubProcess, prepared: PreparedHub, signers: Signers
) -> None:
    body = signed_document_bytes(signers.good, GOV_OFFICE, [NGHE_AN], number="901")
    with HubClient(hub.url, GOV_OFFICE, prepared.secrets[GOV_OFFICE]) as sender:
        answer = sender.send(body)
    with HubClient(hub.url, NGHE_AN, prepared.secrets[NGHE_AN]) as recipient:
        (item,) = list(recipient.inbox_all(kind="edoc"))
        assert recipient.fetch(item["delivery_id"]) == body
        report = recipient.document(answer["document_id"])["validation"]
    assert report["overall"] == "ok", report
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert set(statuses.values()) == {"ok"}
    assert report["signer"]["common_name"] == "Đặng Quốc Bảo"


def test_an_unsigned_package_is_refused(hub: HubProcess, prepared: PreparedHub) -> None:
    refused(
        hub,
        prepared,
        unsigned_document_bytes(GOV_OFFICE, [NGHE_AN], number="902"),
        "SIGNATURE_MISSING",
    )


def test_a_tampered_package_is_refused(
    hub: HubProcess, prepared: PreparedHub, signers: Signers
) -> None:
    body = signed_document_bytes(signers.good, GOV_OFFICE, [NGHE_AN], number="903")
    refused(hub, prepared, body.replace(b">903<", b">904<", 1), "SIGNATURE_INVALID")


def test_a_package_signed_with_a_revoked_certificate_is_refused(
    hub: HubProcess, prepared: PreparedHub, signers: Signers
) -> None:
    body = signed_document_bytes(signers.revoked, GOV_OFFICE, [NGHE_AN], number="905")
    refused(hub, prepared, body, "CERTIFICATE_REVOKED")
