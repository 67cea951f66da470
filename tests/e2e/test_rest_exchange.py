"""Two agencies exchange documents through a real hub process over HTTP."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from lienthong.client.rest import HubClient, HubError
from lienthong.edxml.model import Receiver
from lienthong.exchange import store
from tests.e2e.conftest import PreparedHub, prepare_hub
from tests.hub_process import HubProcess
from tests.support import (
    CAO_BANG,
    GOV_OFFICE,
    NGHE_AN,
    document_bytes,
    resigned_as,
    status_bytes,
)

SAMPLE_FROM, SAMPLE_TO = "000.00.00.A80", "28.22.H17"


@pytest.fixture(scope="module")
def prepared(module_tmp: Path, sqlite_url: str) -> PreparedHub:
    return prepare_hub(
        module_tmp / "var", sqlite_url, [GOV_OFFICE, NGHE_AN, CAO_BANG, SAMPLE_FROM, SAMPLE_TO]
    )


@pytest.fixture(scope="module")
def hub(prepared: PreparedHub) -> Iterator[HubProcess]:
    with prepared.process() as process:
        yield process


def client(hub: HubProcess, prepared: PreparedHub, code: str) -> HubClient:
    return HubClient(hub.url, code, prepared.secrets[code])


def message_count(prepared: PreparedHub) -> int:
    engine = create_engine(prepared.settings.database_url)
    with engine.connect() as conn:
        n = int(conn.execute(select(func.count()).select_from(store.Message)).scalar_one())
    engine.dispose()
    return n


def test_a_sample_package_travels_and_its_statuses_come_back(
    hub: HubProcess, prepared: PreparedHub, samples_dir: Path
) -> None:
    # The SDK sample's signature is a placeholder: its sender's software signs it.
    sample = resigned_as(SAMPLE_FROM, (samples_dir / "edoc_new.edxml").read_bytes())
    sender, recipient = client(hub, prepared, SAMPLE_FROM), client(hub, prepared, SAMPLE_TO)
    answer = sender.send(sample, idempotency_key="sample-1")
    assert answer["recipients"] == [SAMPLE_TO]

    (item,) = list(recipient.inbox_all(kind="edoc"))
    assert recipient.fetch(item["delivery_id"]) == sample
    recipient.ack(item["delivery_id"])
    for code in ("01", "03", "04", "05", "06"):
        recipient.send(status_bytes(SAMPLE_TO, SAMPLE_FROM, answer["edxml_document_id"], code))
    codes = [s["status_code"] for s in sender.statuses()[0]]
    assert codes == ["01", "01", "03", "04", "05", "06"]  # the hub's 01 at the ack, then B's
    timeline = sender.document(answer["document_id"])["timeline"]
    assert [e["status_code"] for e in timeline if e["type"] == "status"][-1] == "06"


def test_a_recall_is_answered_over_http(hub: HubProcess, prepared: PreparedHub) -> None:
    a, b = client(hub, prepared, GOV_OFFICE), client(hub, prepared, NGHE_AN)
    sent = a.send(document_bytes(GOV_OFFICE, [NGHE_AN], number="201"))
    a.send(status_bytes(GOV_OFFICE, GOV_OFFICE, sent["edxml_document_id"], "13", "Nhầm số"))
    kinds = [(i["kind"], i["status_code"]) for i in b.inbox_all()]
    assert ("status", "13") in kinds or ("edoc", None) in kinds
    b.send(status_bytes(NGHE_AN, GOV_OFFICE, sent["edxml_document_id"], "15"))
    assert a.document(sent["document_id"])["state"] == "recalled"


def test_an_update_adds_a_recipient_over_http(hub: HubProcess, prepared: PreparedHub) -> None:
    a, c = client(hub, prepared, GOV_OFFICE), client(hub, prepared, CAO_BANG)
    sent = a.send(document_bytes(GOV_OFFICE, [NGHE_AN], number="202"))
    a.send(
        document_bytes(
            GOV_OFFICE,
            [NGHE_AN, CAO_BANG],
            number="202",
            bussiness_doc_type=2,
            document_id=sent["edxml_document_id"],
            target_document_id=sent["edxml_document_id"],
            receivers=[Receiver(organ_id=CAO_BANG, receiver_type=1)],
        )
    )
    items = [i for i in c.inbox_all() if i["document"]["document_id"] == sent["document_id"]]
    assert [i["bussiness_doc_type"] for i in items] == [2]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (
            b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><a></b></edXML>',
            "PACKAGE_MALFORMED",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
            b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&lol2;</edXML>',
            "PACKAGE_FORBIDDEN_XML",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">&xxe;</edXML>',
            "PACKAGE_FORBIDDEN_XML",
        ),
        (b'<edXML xmlns="urn:other"/>', "PACKAGE_WRONG_NAMESPACE"),
    ],
)
def test_bad_packages_are_refused_over_http_and_nothing_is_stored(
    hub: HubProcess, prepared: PreparedHub, body: bytes, code: str
) -> None:
    before = message_count(prepared)
    with pytest.raises(HubError) as exc:
        client(hub, prepared, GOV_OFFICE).send(body)
    assert exc.value.code == code
    assert message_count(prepared) == before


def test_a_spoofed_from_is_refused(hub: HubProcess, prepared: PreparedHub) -> None:
    before = message_count(prepared)
    with pytest.raises(HubError) as exc:
        client(hub, prepared, NGHE_AN).send(document_bytes(GOV_OFFICE, [CAO_BANG], number="9"))
    assert (exc.value.status, exc.value.code) == (403, "SENDER_MISMATCH")
    assert message_count(prepared) == before


def test_a_wrong_secret_is_refused(hub: HubProcess, prepared: PreparedHub) -> None:
    with pytest.raises(HubError) as exc:
        HubClient(hub.url, GOV_OFFICE, "not-the-secret").inbox()
    assert (exc.value.status, exc.value.code) == (401, "AUTH_FAILED")


def test_b_cannot_read_as_or_for_a(hub: HubProcess, prepared: PreparedHub) -> None:
    a, b, c = (client(hub, prepared, x) for x in (GOV_OFFICE, NGHE_AN, CAO_BANG))
    sent = a.send(document_bytes(GOV_OFFICE, [NGHE_AN], number="301"))
    item = next(i for i in b.inbox_all() if i["message_id"] == sent["message_id"])
    for call in (
        lambda: c.fetch(item["delivery_id"]),
        lambda: c.ack(item["delivery_id"]),
        lambda: c.document(sent["document_id"]),
    ):
        with pytest.raises(HubError) as exc:
            call()
        assert exc.value.status == 404
    with pytest.raises(HubError) as exc:
        c.send(status_bytes(CAO_BANG, GOV_OFFICE, sent["edxml_document_id"], "03"))
    assert exc.value.code == "NOT_A_RECIPIENT"


def test_health_metrics_and_openapi_answer(hub: HubProcess) -> None:
    assert httpx.get(f"{hub.url}/healthz").json()["status"] == "ok"
    metrics = httpx.get(f"{hub.url}/metrics").text
    assert "lienthong_packages_accepted_total" in metrics
    # Request durations are labelled with the route template, not the raw path.
    assert 'lienthong_request_seconds_count{method="GET",route="/healthz"}' in metrics
    httpx.get(f"{hub.url}/api/v1/inbox/12345/package")  # 401, timed under its template
    metrics = httpx.get(f"{hub.url}/metrics").text
    assert "/api/v1/inbox/12345" not in metrics
    assert 'route="/api/v1/inbox/{delivery_id}/package"' in metrics
    spec = httpx.get(f"{hub.url}/openapi.json").json()
    assert "/api/v1/packages" in spec["paths"]


def test_an_idle_connection_outlives_a_client_pool_expiry(hub: HubProcess) -> None:
    """A hub that closed idle connections after uvicorn's 5 s raced clients whose pools keep
    them 5 s too: a request sent as the hub closed the socket was lost (RemoteProtocolError)."""
    url = httpx.URL(hub.url)
    connection = http.client.HTTPConnection(url.host, url.port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        first = connection.getresponse()
        first.read()
        time.sleep(6)  # idle past uvicorn's default keep-alive
        connection.request("GET", "/healthz")
        second = connection.getresponse()
        assert (first.status, second.status) == (200, 200)
        assert second.getheader("connection") != "close"
    finally:
        connection.close()
