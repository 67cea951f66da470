"""Document software speaking the LGSP style (the platform's example client's calls) to a
real hub process started as shipped (``lienthong serve``, trust policy ``enforce``), over
HTTP on loopback: agency A sends, agency B lists and fetches in the LGSP style and through the
axis protocol, takes the document, answers with statuses that reach A in the LGSP style."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from lienthong.client.axis import AxisClient
from lienthong.edxml import DocumentPackage, StatusPackage, parse_bytes
from lienthong.lgsp.service import IssuedConsumer
from lienthong.web.container import build_container
from tests.hub_process import HubProcess
from tests.lgsp_client import LgspClient, edxml_base64
from tests.support import (
    CAO_BANG,
    GOV_OFFICE,
    TEST_SECRET_KEY,
    document_bytes,
    register,
    settings_for,
    status_bytes,
    unsigned_document_bytes,
)


@dataclass
class Hub:
    process: HubProcess
    axis_secrets: dict[str, str]
    issued: dict[str, IssuedConsumer]

    def lgsp(self, code: str) -> LgspClient:
        issued = self.issued[code]
        client = LgspClient(self.process.url, issued.consumer_key, issued.consumer_secret)
        client.generate()
        return client

    def secret(self, code: str) -> str:
        unit = self.issued[code].unit_secret
        assert unit is not None
        return unit


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    data_dir = tmp_path_factory.mktemp("lgsp") / "var"
    url = f"sqlite:///{data_dir.parent / 'hub.db'}"
    from lienthong.migrate import upgrade

    upgrade(url)
    container = build_container(settings_for(url, data_dir))
    try:
        axis_secrets = {
            GOV_OFFICE: register(container, GOV_OFFICE, "Văn phòng Chính phủ"),
            CAO_BANG: register(container, CAO_BANG, "Ủy ban nhân dân tỉnh Cao Bằng"),
        }
        assert container.lgsp is not None
        issued = {code: container.lgsp.issue_consumer(code) for code in axis_secrets}
    finally:
        container.close()
    with HubProcess(data_dir=data_dir, database_url=url, secret_key=TEST_SECRET_KEY) as process:
        yield Hub(process, axis_secrets, issued)


def test_a_document_travels_lgsp_style_and_its_statuses_come_back(hub: Hub) -> None:
    a, b = hub.lgsp(GOV_OFFICE), hub.lgsp(CAO_BANG)
    package = document_bytes(GOV_OFFICE, [CAO_BANG], number="501")
    try:
        sent = a.vanbans_post(edxml_base64(package), hub.secret(GOV_OFFICE), "edoc")
        assert (sent["status"], sent["errorCode"]) == ("OK", 0), sent

        (item,) = b.vanbans_get(hub.secret(CAO_BANG))["data"]
        assert (item["from"], item["messageType"], item["status"]) == (
            GOV_OFFICE,
            "edoc",
            "INITIAL",
        )
        detail = b.vanbans_doc_id_get(item["docId"], hub.secret(CAO_BANG))
        assert base64.b64decode(detail["data"]) == package
        with AxisClient(f"{hub.process.url}/axis", CAO_BANG, hub.axis_secrets[CAO_BANG]) as axis:
            assert [i["docId"] for i in axis.get_received_edoc_list("edoc")] == [item["docId"]]
            assert axis.get_edoc(item["docId"]) == package

        assert b.vanbans_doc_id_put(item["docId"], "DONE", hub.secret(CAO_BANG))["status"] == "OK"
        parsed = parse_bytes(package)
        assert isinstance(parsed, DocumentPackage) and parsed.header.document_id
        status = status_bytes(CAO_BANG, GOV_OFFICE, parsed.header.document_id, "03")
        answer = b.vanbans_post(edxml_base64(status), hub.secret(CAO_BANG), "status")
        assert answer["status"] == "OK", answer

        (back,) = a.vanbans_get(hub.secret(GOV_OFFICE))["data"]
        assert (back["from"], back["messageType"]) == (CAO_BANG, "status")
        got = parse_bytes(
            base64.b64decode(a.vanbans_doc_id_get(back["docId"], hub.secret(GOV_OFFICE))["data"])
        )
        assert isinstance(got, StatusPackage) and got.status_code == "03"
        with AxisClient(
            f"{hub.process.url}/axis", GOV_OFFICE, hub.axis_secrets[GOV_OFFICE]
        ) as axis:
            (row,) = axis.get_sent_edoc_list(doc_id=sent["docId"])
            assert (row["sendStatus"], row["receiveStatus"]) == ("done", "03")
    finally:
        a.close()
        b.close()


def test_the_shipped_hub_refuses_an_unsigned_document_sent_lgsp_style(hub: Hub) -> None:
    a = hub.lgsp(GOV_OFFICE)
    try:
        package = unsigned_document_bytes(GOV_OFFICE, [CAO_BANG], number="502")
        answer = a.vanbans_post(edxml_base64(package), hub.secret(GOV_OFFICE), "edoc")
        assert (answer["status"], answer["errorCode"], answer["code"]) == (
            "FAIL",
            22,
            "SIGNATURE_MISSING",
        )
        assert answer["docId"] == ""
        with AxisClient(f"{hub.process.url}/axis", CAO_BANG, hub.axis_secrets[CAO_BANG]) as axis:
            assert axis.get_received_edoc_list("edoc") == []
    finally:
        a.close()
