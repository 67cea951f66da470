"""Interoperability left from the axis protocol, over real HTTP on SQLite and PostgreSQL.

- The official SDK's document samples carry an edXML-namespace ``Signature``: refused under
  ``enforce`` with ``SIGNATURE_NOT_XMLDSIG`` (nothing stored), accepted under ``warn`` with the
  report saying so.
- An identical re-send (same sender, same DocumentId or number/notation, same bytes) is answered
  with the original success and ``DocId``; other content under the same number is refused.
- The agency gateway acknowledges a package delivered again ``done`` without a second entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from lienthong.client.axis import AxisClient, AxisError
from lienthong.client.signing import SigningClient
from lienthong.clock import FixedClock
from lienthong.db import Database
from lienthong.edxml import DocumentPackage, parse_bytes
from lienthong.errors import ERROR_TABLE, ErrorCode
from lienthong.exchange import store
from lienthong.gateway.service import GatewayService
from lienthong.messages import vietnamese
from lienthong.web.app import create_app
from lienthong.web.container import Container
from tests.support import (
    GOV_OFFICE,
    NGHE_AN,
    NOW,
    container_for,
    counts,
    document_bytes,
    organisation_credential,
    register,
    send,
    shared_pki,
    sign_as,
    status_bytes,
)
from tests.web_server import ThreadedServer

A = "000.00.00.A80"  # the samples' From
B = "28.22.H17"  # the samples' To
# GOV_OFFICE (000.00.00.G22) is the update and revocation samples' From.
SAMPLES = ("edoc_new.edxml", "edoc_update.edxml", "edoc_revocation.edxml")


@dataclass
class Hub:
    container: Container
    server: ThreadedServer
    secrets: dict[str, str]

    def axis(self, code: str) -> AxisClient:
        return AxisClient(f"{self.server.url}/axis", code, self.secrets[code], now=lambda: NOW)


def start_hub(db: Database, tmp_path: Path, **settings: Any) -> Hub:
    container = container_for(db, tmp_path, FixedClock(NOW), **settings)
    secrets = {code: register(container, code) for code in (A, B, GOV_OFFICE, NGHE_AN)}
    return Hub(container, ThreadedServer(create_app(container=container)).start(), secrets)


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Iterator[Hub]:
    made = start_hub(db, tmp_path)  # the shipped policy: enforce
    yield made
    made.server.stop()


@pytest.fixture
def warn_hub(db: Database, tmp_path: Path) -> Iterator[Hub]:
    made = start_hub(db, tmp_path, trust_policy="warn")
    yield made
    made.server.stop()


def validation_of(container: Container, message_id: str) -> dict[str, Any]:
    with container.db.read() as session:
        message = session.get(store.Message, message_id)
        assert message is not None and message.validation is not None
        return dict(message.validation)


def check(report: dict[str, Any], name: str) -> dict[str, Any]:
    found = [c for c in report["checks"] if c["name"] == name]
    assert len(found) == 1, report
    return dict(found[0])


# --- the SDK samples' signature -------------------------------------------------------------


@pytest.mark.parametrize("sample", SAMPLES)
def test_a_sample_document_is_refused_under_enforce_for_its_signature_namespace(
    hub: Hub, samples_dir: Path, sample: str
) -> None:
    data = (samples_dir / sample).read_bytes()
    before = counts(hub.container)
    with pytest.raises(AxisError) as refused:
        hub.axis(parse_bytes(data).sender).send_edoc(data)
    assert refused.value.code == "SIGNATURE_NOT_XMLDSIG"
    desc = refused.value.desc
    assert "edXML namespace http://www.mic.gov.vn/TBT/QCVN_102_2016" in desc
    assert 'declare xmlns="http://www.w3.org/2000/09/xmldsig#" on Signature' in desc
    signature = check(refused.value.detail["validation"], "signature")
    assert (signature["status"], signature["message"]) == ("failed", desc)
    assert counts(hub.container) == before  # no message, document, delivery or blob
    # The sentence a page shows for this code, and the table behind the API's answers.
    assert vietnamese(ErrorCode.SIGNATURE_NOT_XMLDSIG).startswith(
        "Phần tử Signature của gói tin nằm trong không gian tên edXML"
    )
    assert ERROR_TABLE[ErrorCode.SIGNATURE_NOT_XMLDSIG][0] == 422


def test_the_sample_document_is_accepted_under_warn_and_its_report_says_why(
    warn_hub: Hub, samples_dir: Path
) -> None:
    data = (samples_dir / "edoc_new.edxml").read_bytes()
    doc_id = warn_hub.axis(A).send_edoc(data)
    report = validation_of(warn_hub.container, doc_id)
    assert report["would_refuse"] == "SIGNATURE_NOT_XMLDSIG"
    assert check(report, "signature")["status"] == "failed"
    message = check(report, "signature")["message"]
    assert "not in the XML-DSig namespace http://www.w3.org/2000/09/xmldsig#" in message
    assert "sign the package again" in message
    b = warn_hub.axis(B)
    (item,) = b.get_received_edoc_list("edoc")
    assert b.get_edoc(item["docId"]) == data


# --- re-sends -----------------------------------------------------------------------------


def test_an_identical_resend_is_answered_with_the_original_doc_id(hub: Hub) -> None:
    a = hub.axis(GOV_OFFICE)
    package = document_bytes(GOV_OFFICE, [NGHE_AN], number="41")
    doc_id = a.send_edoc(package)
    before = counts(hub.container)
    assert a.send_edoc(package) == doc_id
    assert counts(hub.container) == before
    nghe_an = hub.axis(NGHE_AN)
    assert [i["docId"] for i in nghe_an.get_received_edoc_list("edoc")] != []
    assert nghe_an.count_receive_edoc() == 1  # one inbox entry

    # The REST API: the same answer (HTTP 200, a replay) with the original ids.
    auth = (GOV_OFFICE, hub.secrets[GOV_OFFICE])
    with httpx.Client(base_url=hub.server.url, auth=auth) as rest:
        again = rest.post("/api/v1/packages", content=package)
    assert again.status_code == 200, again.text
    assert again.json()["message_id"] == doc_id
    assert counts(hub.container) == before


def test_other_content_under_the_same_number_and_notation_is_refused(hub: Hub) -> None:
    a = hub.axis(GOV_OFFICE)
    package = document_bytes(GOV_OFFICE, [NGHE_AN], number="42")
    a.send_edoc(package)
    before = counts(hub.container)
    changed = document_bytes(GOV_OFFICE, [NGHE_AN], number="42", subject="V/v nội dung khác")
    with pytest.raises(AxisError) as refused:
        a.send_edoc(changed)
    assert refused.value.code == "DUPLICATE_DOCUMENT"
    parsed = parse_bytes(package)
    assert isinstance(parsed, DocumentPackage)
    assert refused.value.detail["edxml_document_id"] == parsed.header.document_id
    assert counts(hub.container) == before


# --- the gateway, receiving ---------------------------------------------------------------


def test_the_gateway_acknowledges_a_redelivered_package_without_a_second_entry(
    hub: Hub, tmp_path: Path
) -> None:
    sent = send(hub.container, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="43"))
    assert sent.edxml_document_id
    # Nghệ An's software sends the same status package twice: the hub delivers it twice.
    status = sign_as(NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, sent.edxml_document_id, "05"))
    first = send(hub.container, NGHE_AN, status)
    second = send(hub.container, NGHE_AN, status)
    assert first.message_id != second.message_id

    client = SigningClient(
        hub.server.url,
        organisation_credential(GOV_OFFICE),
        shared_pki().trust_roots(),
        system_id=GOV_OFFICE,
        secret=hub.secrets[GOV_OFFICE],
        now=lambda: NOW,
    )
    gateway = GatewayService(client, tmp_path / "gateway", FixedClock(NOW))
    try:
        (item,) = gateway.pull()
        assert item["message_id"] == first.message_id and item["verified"] is True
        assert item["package_sha256"] == hashlib.sha256(status).hexdigest()
        (stored,) = gateway.inbox()
        assert stored["acked"] == "done"
        assert gateway.pull() == []  # both deliveries acknowledged at the hub
    finally:
        gateway.close()
    with hub.container.db.read() as session:
        states = session.scalars(
            select(store.Delivery.state).where(
                store.Delivery.message_id.in_([first.message_id, second.message_id])
            )
        ).all()
    assert sorted(states) == ["done", "done"]
