"""Document software speaking the axis protocol (the official SDK's calls) to a real hub process.

One hub per module, on a SQLite file; each test uses its own document numbers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from lienthong.client.axis import AxisClient, AxisError
from lienthong.config import Settings
from lienthong.edxml import DocumentPackage, StatusPackage, parse_bytes
from lienthong.exchange import store
from lienthong.exchange.axis_auth import sdk_hash_file
from lienthong.migrate import MIGRATIONS, upgrade
from lienthong.schema import load_all
from lienthong.web.container import build_container
from tests.hub_process import HubProcess
from tests.support import (
    TEST_SECRET_KEY,
    document_bytes,
    register,
    resigned_as,
    settings_for,
    status_bytes,
)

A = "000.00.00.A80"  # the sample package's From
B = "28.22.H17"  # the sample package's To
C = "000.00.00.H41"
C_CHILD = "000.00.10.H41"


class Hub:
    """A running hub and the secrets of its agencies."""

    def __init__(self, process: HubProcess, settings: Settings, secrets: dict[str, str]) -> None:
        self.process = process
        self.settings = settings
        self.secrets = secrets

    @property
    def axis_url(self) -> str:
        return f"{self.process.url}/axis"

    def client(self, code: str, **kw: object) -> AxisClient:
        return AxisClient(self.axis_url, code, self.secrets[code], **kw)  # type: ignore[arg-type]

    def message_count(self) -> int:
        engine = create_engine(self.settings.database_url)
        try:
            with engine.connect() as conn:
                query = select(func.count()).select_from(store.Message)
                return int(conn.execute(query).scalar_one())
        finally:
            engine.dispose()


def _create_schema(url: str) -> None:
    if any(MIGRATIONS.joinpath("versions").glob("[0-9]*.py")):
        upgrade(url)
    else:  # before the first migration exists
        engine = create_engine(url)
        load_all().create_all(engine)
        engine.dispose()


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    data_dir = tmp_path_factory.mktemp("axis") / "var"
    url = f"sqlite:///{data_dir.parent / 'hub.db'}"
    settings = settings_for(url, data_dir)
    _create_schema(url)
    container = build_container(settings)
    try:
        secrets = {
            A: register(container, A, "Ủy ban nhân dân xã Hòa Tiến"),
            B: register(container, B, "Ủy ban nhân dân xã Hòa Sơn"),
            C: register(container, C, "Ủy ban nhân dân tỉnh Nghệ An"),
        }
        register(container, C_CHILD, "Sở Tài chính tỉnh Nghệ An", level=2, parent_code=C)
    finally:
        container.close()
    process = HubProcess(data_dir=data_dir, database_url=url, secret_key=TEST_SECRET_KEY)
    with process:
        yield Hub(process, settings, secrets)


def edxml_id(package: bytes) -> str:
    parsed = parse_bytes(package)
    assert isinstance(parsed, DocumentPackage) and parsed.header.document_id
    return parsed.header.document_id


def status_code_of(package: bytes) -> str:
    parsed = parse_bytes(package)
    assert isinstance(parsed, StatusPackage)
    return parsed.status_code


def refused(code: str, call: object, *, status: int = 200) -> AxisError:
    assert callable(call)
    with pytest.raises(AxisError) as exc:
        call()
    assert (exc.value.code, exc.value.status) == (code, status), exc.value.desc
    return exc.value


def send_signed(
    client: AxisClient, body: bytes, params: dict[str, str], **kw: object
) -> httpx.Response:
    """A sendEdoc with hand-made parameters (as other SDK versions or a forger would send)."""
    headers = client.signed_headers(
        {"from": client.system_id, "servicetype": "eDoc", "messagetype": "edoc", **params},
        "application/octet-stream",
    )
    return httpx.post(f"{client.base_url}/sendEdoc", headers=headers, content=body, **kw)  # type: ignore[arg-type]


# --- the whole exchange -------------------------------------------------------------------


def test_the_sample_document_travels_and_its_statuses_come_back(
    hub: Hub, samples_dir: Path
) -> None:
    # The SDK sample's signature is a placeholder: its sender's software signs it.
    sample = resigned_as(A, (samples_dir / "edoc_new.edxml").read_bytes())
    a, b = hub.client(A), hub.client(B)

    doc_id = a.send_edoc(sample, to=[B])
    assert len(doc_id) == 32

    assert b.count_receive_edoc() == 1
    (item,) = b.get_received_edoc_list("edoc")
    assert item["docId"].isdigit()
    assert (item["from"], item["to"]) == (A, B)
    assert (item["serviceType"], item["messageType"], item["status"]) == ("eDoc", "edoc", "pending")
    assert item["created_time"].endswith("+07:00")
    assert b.get_edoc(item["docId"]) == sample
    assert b.download_edoc(item["docId"]) == sample

    b.update_status(item["docId"], "done")
    assert b.get_received_edoc_list("edoc") == []
    assert b.count_receive_edoc() == 0

    target = edxml_id(sample)
    for code in ("01", "03", "04", "05", "06"):
        b.send_edoc(status_bytes(B, A, target, code), message_type="status")

    assert a.count_receive_status() == 5
    statuses = a.get_received_edoc_list("status")
    assert {(s["from"], s["messageType"]) for s in statuses} == {(B, "status")}
    assert [status_code_of(a.get_edoc(s["docId"])) for s in statuses] == [
        "01", "03", "04", "05", "06",
    ]  # fmt: skip
    for s in statuses:
        a.update_status(s["docId"], "done")
    assert a.count_receive_status() == 0

    (row,) = a.get_sent_edoc_list(doc_id=doc_id)
    assert row["senderDocId"] == doc_id
    assert row["receiverDocId"] == item["docId"]
    assert (row["fromCode"], row["toCode"]) == (A, B)
    assert (row["sendStatus"], row["receiveStatus"]) == ("done", "06")
    assert row["receiveStatusDesc"] == "Hoàn thành"
    assert row["notation"] == "74fass22/VPCP-TTĐT"
    assert row["title"] == "V/v kết nối, liên thông phần mềm quản lý văn bản"
    assert row["sentTime"] and row["receivedTime"]
    assert row in a.get_sent_edoc_list()


def test_a_recall_is_answered_with_15(hub: Hub) -> None:
    a, b = hub.client(A), hub.client(B)
    package = document_bytes(A, [B], number="201")
    doc_id = a.send_edoc(package)
    (item,) = [i for i in b.get_received_edoc_list() if b.get_edoc(i["docId"]) == package]
    b.update_status(item["docId"], "done")

    a.send_edoc(status_bytes(A, A, edxml_id(package), "13", "Nhầm số"), message_type="status")
    recall = [s for s in b.get_received_edoc_list("status") if s["from"] == A]
    assert [status_code_of(b.get_edoc(s["docId"])) for s in recall] == ["13"]
    b.update_status(recall[0]["docId"], "done")
    b.send_edoc(status_bytes(B, A, edxml_id(package), "15"), message_type="status")

    answers = [status_code_of(a.get_edoc(s["docId"])) for s in a.get_received_edoc_list("status")]
    assert answers[-1] == "15"
    (row,) = a.get_sent_edoc_list(doc_id=doc_id)
    assert (row["receiveStatus"], row["receiveStatusDesc"]) == ("15", "Đồng ý thu hồi / cập nhật")


def test_the_agency_list_is_the_registry_in_vietnamese(hub: Hub) -> None:
    agencies = {x["code"]: x for x in hub.client(B).get_agencies_list()}
    assert set(agencies) >= {A, B, C, C_CHILD}
    assert agencies[C]["name"] == "Ủy ban nhân dân tỉnh Nghệ An"
    assert (agencies[C_CHILD]["pid"], agencies[C_CHILD]["level"]) == (C, 2)
    assert (agencies[C]["pid"], agencies[C]["level"]) == ("", 1)


def test_the_sdk_paths_answer_get_and_post_for_the_agency_list(hub: Hub) -> None:
    client = hub.client(A)
    for method, path in (("GET", "/getAgenciesList"), ("POST", "/getListAgency")):
        response = client._call(method, path, {})
        assert response.json()["status"] == "OK"


# --- refusals -----------------------------------------------------------------------------


def test_a_wrong_hmac_is_refused_and_nothing_is_stored(hub: Hub) -> None:
    before = hub.message_count()
    forger = AxisClient(hub.axis_url, A, "not-the-secret")
    refused("AUTH_FAILED", lambda: forger.send_edoc(document_bytes(A, [B], number="301")))
    refused("AUTH_FAILED", forger.count_receive_edoc)
    assert hub.message_count() == before


def test_an_unknown_system_id_is_refused(hub: Hub) -> None:
    refused("AUTH_FAILED", AxisClient(hub.axis_url, "000.00.00.X99", "x").count_receive_edoc)


def test_a_request_with_an_old_timestamp_is_refused_and_nothing_is_stored(hub: Hub) -> None:
    before = hub.message_count()
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    late = hub.client(A, now=lambda: an_hour_ago)
    error = refused("AUTH_REPLAYED", lambda: late.send_edoc(document_bytes(A, [B], number="302")))
    assert error.detail["window_seconds"] == hub.settings.axis_timestamp_window_seconds
    assert hub.message_count() == before


def test_a_captured_request_cannot_be_replayed_later(hub: Hub) -> None:
    before = hub.message_count()
    package = document_bytes(A, [B], number="303")
    params = {"hash-file": hashlib.sha256(package).hexdigest()}
    client = hub.client(A, now=lambda: datetime.now(UTC) - timedelta(minutes=10))
    answer = send_signed(client, package, params).json()
    assert (answer["status"], answer["ErrorCode"], answer["DocId"]) == ("FAIL", "AUTH_REPLAYED", "")
    assert hub.message_count() == before


def test_an_agency_cannot_fetch_another_agencys_delivery(hub: Hub) -> None:
    a, b, c = hub.client(A), hub.client(B), hub.client(C)
    package = document_bytes(A, [C], number="304")
    a.send_edoc(package)
    (item,) = [i for i in c.get_received_edoc_list() if c.get_edoc(i["docId"]) == package]
    refused("DELIVERY_NOT_FOUND", lambda: b.get_edoc(item["docId"]))
    refused("DELIVERY_NOT_FOUND", lambda: b.update_status(item["docId"], "done"))
    refused("DELIVERY_NOT_FOUND", lambda: b.download_edoc(item["docId"]), status=404)
    refused("DELIVERY_NOT_FOUND", lambda: b.get_edoc("not-a-number"))
    assert c.get_edoc(item["docId"]) == package  # still there for its owner


def test_a_hash_mismatch_is_refused_and_nothing_is_stored(hub: Hub) -> None:
    before = hub.message_count()
    package = document_bytes(A, [B], number="305")
    wrong = hashlib.sha256(package + b" ").hexdigest()
    answer = send_signed(hub.client(A), package, {"hash-file": wrong}).json()
    assert (answer["status"], answer["ErrorCode"]) == ("FAIL", "HASH_MISMATCH")
    assert answer["detail"]["sha256"] == hashlib.sha256(package).hexdigest()
    assert hub.message_count() == before


def test_other_content_under_a_sent_number_is_refused_with_the_hubs_own_code(hub: Hub) -> None:
    a = hub.client(A)
    package = document_bytes(A, [B], number="306")
    a.send_edoc(package)
    before = hub.message_count()
    changed = document_bytes(A, [B], number="306", subject="V/v nội dung khác")
    error = refused("DUPLICATE_DOCUMENT", lambda: a.send_edoc(changed))
    assert error.detail["edxml_document_id"] == edxml_id(package)
    assert hub.message_count() == before


def test_an_identical_resend_is_answered_ok_with_the_original_doc_id(hub: Hub) -> None:
    # The SDK re-sends the same file when an answer is lost; existing receivers expect a
    # success (they de-duplicate on sender + number/notation and acknowledge "done").
    a, b = hub.client(A), hub.client(B)
    package = document_bytes(A, [B], number="311")
    doc_id = a.send_edoc(package)
    before = hub.message_count()
    assert a.send_edoc(package) == doc_id
    params = {"hash-file": hashlib.sha256(package).hexdigest()}
    answer = send_signed(a, package, params).json()  # a plain SDK call, no idempotency key
    assert (answer["status"], answer["ErrorCode"], answer["DocId"]) == ("OK", "0", doc_id)
    assert hub.message_count() == before
    received = [i for i in b.get_received_edoc_list() if b.get_edoc(i["docId"]) == package]
    assert len(received) == 1  # one inbox entry at the recipient
    (row,) = a.get_sent_edoc_list(doc_id=doc_id)
    assert row["senderDocId"] == doc_id


def test_a_message_type_that_contradicts_the_package_is_refused(hub: Hub) -> None:
    before = hub.message_count()
    a = hub.client(A)
    package = document_bytes(A, [B], number="307")
    refused("PACKAGE_KIND_MISMATCH", lambda: a.send_edoc(package, message_type="status"))
    refused("REQUEST_INVALID", lambda: a.send_edoc(package, message_type="fax"))
    assert hub.message_count() == before


def test_a_failed_fetch_needs_a_reason_and_shows_in_the_senders_list(hub: Hub) -> None:
    a, b = hub.client(A), hub.client(B)
    package = document_bytes(A, [B], number="308")
    doc_id = a.send_edoc(package)
    (item,) = [i for i in b.get_received_edoc_list() if b.get_edoc(i["docId"]) == package]
    refused("REQUEST_INVALID", lambda: b.update_status(item["docId"], "fail"))
    refused("REQUEST_INVALID", lambda: b.update_status(item["docId"], "lost"))
    b.update_status(item["docId"], "rejection")
    (row,) = a.get_sent_edoc_list(doc_id=doc_id)
    assert row["sendStatus"] == "fail"
    assert "rejection" in row["sendStatusDesc"]


# --- what the SDK's HTTP stack really sends ------------------------------------------------


def test_the_sdk_2_0_1_trailing_line_break_is_not_stored(hub: Hub) -> None:
    package = document_bytes(A, [B], number="309")
    params = {"hash-file": sdk_hash_file(hashlib.sha256(package).digest())}
    answer = send_signed(hub.client(A), package + b"\r\n", params).json()
    assert answer["status"] == "OK", answer
    b = hub.client(B)
    assert package in [b.get_edoc(i["docId"]) for i in b.get_received_edoc_list()]


def test_a_multipart_body_is_read_from_its_file_part(hub: Hub) -> None:
    client = hub.client(A)
    package = document_bytes(A, [B], number="310")
    headers = client.signed_headers(
        {
            "from": A,
            "servicetype": "eDoc",
            "messagetype": "edoc",
            "hash-file": hashlib.sha256(package).hexdigest(),
        },
        "multipart/form-data",
    )
    del headers[b"Content-Type"]  # httpx writes it with the boundary
    response = httpx.post(
        f"{client.base_url}/sendEdoc",
        headers=headers,
        data={"note": "ignored"},
        files={"file_doc": ("doc.edxml", package, "application/xml")},
    )
    assert response.json()["status"] == "OK", response.text
    b = hub.client(B)
    assert package in [b.get_edoc(i["docId"]) for i in b.get_received_edoc_list()]
