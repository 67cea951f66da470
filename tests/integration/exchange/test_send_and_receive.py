"""The hub's use cases on real SQLite and PostgreSQL databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lienthong.db import Database
from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.model import TransportState
from lienthong.web.container import Container
from tests.support import (
    CAO_BANG,
    FINANCE,
    GOV_OFFICE,
    NGHE_AN,
    container_for,
    counts,
    document_bytes,
    register,
    send,
    status_bytes,
)


@pytest.fixture
def hub(db: Database, tmp_path: Path) -> Iterator[Container]:
    container = container_for(db, tmp_path)
    for code in (GOV_OFFICE, NGHE_AN, CAO_BANG, FINANCE):
        register(container, code)
    yield container


def refused(exc: pytest.ExceptionInfo[LienthongError], code: ErrorCode) -> None:
    assert exc.value.code == code, exc.value


def test_a_sent_document_reaches_every_recipient(hub: Container) -> None:
    result = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN, CAO_BANG]))

    assert result.recipients == [NGHE_AN, CAO_BANG]
    for recipient in (NGHE_AN, CAO_BANG):
        items, _ = hub.exchange.inbox(recipient)
        assert [i["message_id"] for i in items] == [result.message_id]
        assert items[0]["document"]["code_number"] == "101"
    assert hub.blobs.exists(result.package_digest)
    c = counts(hub)
    assert (c.messages, c.documents, c.deliveries, c.attachments) == (1, 1, 2, 1)


def test_fetched_package_is_the_sent_bytes(hub: Container) -> None:
    data = document_bytes(GOV_OFFICE, [NGHE_AN])
    send(hub, GOV_OFFICE, data)
    (item,), _ = hub.exchange.inbox(NGHE_AN)
    stream, size, _digest = hub.exchange.open_delivery(NGHE_AN, item["delivery_id"])
    with stream:
        assert stream.read() == data
    assert size == len(data)


def test_refuses_a_second_copy_with_the_same_document_id(hub: Container) -> None:
    first = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="7"))
    before = counts(hub)
    again = document_bytes(GOV_OFFICE, [CAO_BANG], number="7", subject="Khác")
    with pytest.raises(LienthongError) as exc:
        send(hub, GOV_OFFICE, again)
    refused(exc, ErrorCode.DUPLICATE_DOCUMENT)
    assert exc.value.detail["original_document_id"] == first.document_id
    assert counts(hub) == before


def test_refuses_the_same_number_notation_and_year_under_another_document_id(
    hub: Container,
) -> None:
    send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="08"))
    before = counts(hub)
    other_id = document_bytes(GOV_OFFICE, [NGHE_AN], number="8", document_id="a-guid-style-id-1234")
    with pytest.raises(LienthongError) as exc:
        send(hub, GOV_OFFICE, other_id)
    refused(exc, ErrorCode.DUPLICATE_DOCUMENT)
    assert counts(hub) == before


def test_an_exact_retry_with_the_same_key_returns_the_original_answer(hub: Container) -> None:
    data = document_bytes(GOV_OFFICE, [NGHE_AN])
    first = send(hub, GOV_OFFICE, data, key="retry-1")
    before = counts(hub)
    second = send(hub, GOV_OFFICE, data, key="retry-1")
    assert second.replay and second.message_id == first.message_id
    assert counts(hub) == before


def test_refuses_an_idempotency_key_reused_for_other_bytes(hub: Container) -> None:
    send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]), key="k")
    before = counts(hub)
    with pytest.raises(LienthongError) as exc:
        send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="2"), key="k")
    refused(exc, ErrorCode.IDEMPOTENCY_KEY_REUSED)
    assert counts(hub) == before


def test_an_identical_resend_without_a_key_answers_the_original_acceptance(
    hub: Container,
) -> None:
    # Existing receivers de-duplicate on sender + number/notation and acknowledge "done": a
    # re-send of the very same package (the SDK retrying after a lost answer) is not an error.
    data = document_bytes(GOV_OFFICE, [NGHE_AN], number="31")
    first = send(hub, GOV_OFFICE, data)
    before = counts(hub)
    for key in (None, "another-key"):
        again = send(hub, GOV_OFFICE, data, key=key)
        assert again.replay
        assert (again.message_id, again.document_id) == (first.message_id, first.document_id)
        assert again.recipients == first.recipients == [NGHE_AN]
    assert counts(hub) == before  # no row, no blob, no delivery twice
    items, _ = hub.exchange.inbox(NGHE_AN)
    assert [i["message_id"] for i in items] == [first.message_id]


def test_other_content_under_the_same_number_and_notation_is_still_refused(
    hub: Container,
) -> None:
    first = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="32"))
    before = counts(hub)
    changed = document_bytes(GOV_OFFICE, [NGHE_AN], number="32", subject="V/v nội dung khác")
    with pytest.raises(LienthongError) as exc:
        send(hub, GOV_OFFICE, changed)
    refused(exc, ErrorCode.DUPLICATE_DOCUMENT)
    assert exc.value.detail["original_document_id"] == first.document_id
    assert counts(hub) == before


def test_refuses_a_package_whose_from_is_not_the_caller(hub: Container) -> None:
    before = counts(hub)
    with pytest.raises(LienthongError) as exc:
        send(hub, NGHE_AN, document_bytes(GOV_OFFICE, [CAO_BANG]))
    refused(exc, ErrorCode.SENDER_MISMATCH)
    assert counts(hub) == before


def test_refuses_an_unknown_recipient_and_stores_nothing(hub: Container) -> None:
    before = counts(hub)
    with pytest.raises(LienthongError) as exc:
        send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN, "999.99.99.Z99"]))
    refused(exc, ErrorCode.RECIPIENT_UNKNOWN)
    assert counts(hub) == before


def test_statuses_01_to_06_come_back_to_the_sender(hub: Container) -> None:
    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    edxml_id = sent.edxml_document_id
    assert edxml_id
    for code in ("01", "03", "04", "05", "06"):
        send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, edxml_id, code))
    items, _ = hub.exchange.statuses(GOV_OFFICE)
    assert [i["status_code"] for i in items] == ["01", "03", "04", "05", "06"]
    inbox, _ = hub.exchange.inbox(GOV_OFFICE, kind="status")
    assert [i["status_code"] for i in inbox] == ["01", "03", "04", "05", "06"]
    view = hub.exchange.document_view(GOV_OFFICE, sent.document_id or "")
    assert view["recipients"][0]["status"] == "06"


@pytest.mark.parametrize(
    ("path", "code", "error"),
    [
        (["03"], "01", ErrorCode.STATUS_NOT_ALLOWED),  # going back
        (["06"], "05", ErrorCode.STATUS_NOT_ALLOWED),  # nothing follows 06
        (["02"], "03", ErrorCode.STATUS_NOT_ALLOWED),  # nothing follows 02
        (["03"], "02", ErrorCode.STATUS_NOT_ALLOWED),  # no return after acceptance
        ([], "15", ErrorCode.STATUS_NOT_ALLOWED),  # nothing to answer
        ([], "13", ErrorCode.NOT_YOUR_DOCUMENT),  # a recipient cannot recall
    ],
)
def test_refuses_a_status_that_breaks_the_transition_table(
    hub: Container, path: list[str], code: str, error: ErrorCode
) -> None:
    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    edxml_id = sent.edxml_document_id or ""
    for step in path:
        send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, edxml_id, step, "lý do"))
    before = counts(hub)
    with pytest.raises(LienthongError) as exc:
        send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, edxml_id, code, "lý do"))
    refused(exc, error)
    assert counts(hub) == before


def test_refuses_a_status_from_an_agency_that_is_not_a_recipient(hub: Container) -> None:
    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    before = counts(hub)
    with pytest.raises(LienthongError) as exc:
        send(hub, CAO_BANG, status_bytes(CAO_BANG, GOV_OFFICE, sent.edxml_document_id or "", "03"))
    refused(exc, ErrorCode.NOT_A_RECIPIENT)
    assert counts(hub) == before


def test_a_recall_is_answered_and_the_document_is_recalled(hub: Container) -> None:
    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN, CAO_BANG]))
    edxml_id = sent.edxml_document_id or ""
    recall = send(hub, GOV_OFFICE, status_bytes(GOV_OFFICE, GOV_OFFICE, edxml_id, "13", "Sai sót"))
    assert sorted(recall.recipients) == sorted([NGHE_AN, CAO_BANG])
    send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, edxml_id, "15"))
    view = hub.exchange.document_view(GOV_OFFICE, sent.document_id or "")
    assert view["state"] == "recall_requested"
    send(hub, CAO_BANG, status_bytes(CAO_BANG, GOV_OFFICE, edxml_id, "15"))
    view = hub.exchange.document_view(GOV_OFFICE, sent.document_id or "")
    assert view["state"] == "recalled"
    with pytest.raises(LienthongError) as exc:
        send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, edxml_id, "03"))
    refused(exc, ErrorCode.DOCUMENT_RECALLED)


def test_a_refused_recall_leaves_the_document_active(hub: Container) -> None:
    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    edxml_id = sent.edxml_document_id or ""
    send(hub, GOV_OFFICE, status_bytes(GOV_OFFICE, GOV_OFFICE, edxml_id, "13", "Sai sót"))
    send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, edxml_id, "16", "Đã xử lý"))
    view = hub.exchange.document_view(GOV_OFFICE, sent.document_id or "")
    assert view["state"] == "active"
    send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, edxml_id, "03"))


def test_a_revoke_package_asks_every_recipient(hub: Container) -> None:
    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    revoke = document_bytes(
        GOV_OFFICE,
        [NGHE_AN],
        bussiness_doc_type=1,
        target_document_id=sent.edxml_document_id,
        document_id=sent.edxml_document_id,
    )
    result = send(hub, GOV_OFFICE, revoke)
    assert result.recipients == [NGHE_AN]
    items, _ = hub.exchange.inbox(NGHE_AN)
    assert [i["bussiness_doc_type"] for i in items] == [0, 1]
    send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, sent.edxml_document_id or "", "15"))
    assert hub.exchange.document_view(GOV_OFFICE, sent.document_id or "")["state"] == "recalled"


def test_only_the_sender_may_revoke_its_document(hub: Container) -> None:
    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    before = counts(hub)
    revoke = document_bytes(
        FINANCE, [NGHE_AN], bussiness_doc_type=1, target_document_id=sent.edxml_document_id
    )
    with pytest.raises(LienthongError) as exc:
        send(hub, FINANCE, revoke)
    refused(exc, ErrorCode.NOT_YOUR_DOCUMENT)
    assert counts(hub) == before


def test_an_update_adding_a_recipient_delivers_to_it(hub: Container) -> None:
    from lienthong.edxml.model import Receiver

    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    update = document_bytes(
        GOV_OFFICE,
        [NGHE_AN, CAO_BANG],
        bussiness_doc_type=2,
        target_document_id=sent.edxml_document_id,
        document_id=sent.edxml_document_id,
        receivers=[Receiver(organ_id=CAO_BANG, receiver_type=1)],
    )
    result = send(hub, GOV_OFFICE, update)
    assert sorted(result.recipients) == sorted([NGHE_AN, CAO_BANG])
    (item,), _ = hub.exchange.inbox(CAO_BANG)
    assert item["bussiness_doc_type"] == 2
    view = hub.exchange.document_view(GOV_OFFICE, sent.document_id or "")
    assert {r["code"]: r["pending"] for r in view["recipients"]} == {
        NGHE_AN: "update",
        CAO_BANG: None,
    }
    send(hub, NGHE_AN, status_bytes(NGHE_AN, GOV_OFFICE, sent.edxml_document_id or "", "15"))
    send(hub, CAO_BANG, status_bytes(CAO_BANG, GOV_OFFICE, sent.edxml_document_id or "", "03"))


def test_a_replacement_marks_the_original_replaced(hub: Container) -> None:
    from lienthong.edxml.model import ReplacementInfo

    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number="5"))
    replacement = document_bytes(
        GOV_OFFICE,
        [NGHE_AN],
        number="6",
        bussiness_doc_type=3,
        replacements=[
            ReplacementInfo(document_id=sent.edxml_document_id or "", organ_ids=(NGHE_AN,))
        ],
    )
    result = send(hub, GOV_OFFICE, replacement)
    view = hub.exchange.document_view(GOV_OFFICE, sent.document_id or "")
    assert view["state"] == "replaced" and view["replaced_by"] == result.document_id


def test_acknowledging_a_fetch_records_arrival(hub: Container) -> None:
    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    (item,), _ = hub.exchange.inbox(NGHE_AN)
    hub.exchange.acknowledge(NGHE_AN, item["delivery_id"], TransportState.DONE)
    assert hub.exchange.inbox(NGHE_AN)[0] == []
    view = hub.exchange.document_view(GOV_OFFICE, sent.document_id or "")
    assert view["recipients"][0]["status"] == "01"
    # A repeated ack is harmless; turning done into fail is not allowed.
    hub.exchange.acknowledge(NGHE_AN, item["delivery_id"], TransportState.DONE)
    with pytest.raises(LienthongError) as exc:
        hub.exchange.acknowledge(NGHE_AN, item["delivery_id"], TransportState.FAILED, "x")
    refused(exc, ErrorCode.ACK_NOT_ALLOWED)


def test_an_agency_cannot_read_or_ack_another_agencys_delivery(hub: Container) -> None:
    sent = send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN]))
    (item,), _ = hub.exchange.inbox(NGHE_AN)
    with pytest.raises(LienthongError) as exc:
        hub.exchange.open_delivery(CAO_BANG, item["delivery_id"])
    refused(exc, ErrorCode.DELIVERY_NOT_FOUND)
    with pytest.raises(LienthongError) as exc:
        hub.exchange.acknowledge(CAO_BANG, item["delivery_id"], TransportState.DONE)
    refused(exc, ErrorCode.DELIVERY_NOT_FOUND)
    with pytest.raises(LienthongError) as exc:
        hub.exchange.document_view(CAO_BANG, sent.document_id or "")
    refused(exc, ErrorCode.DOCUMENT_NOT_FOUND)
    assert hub.exchange.inbox(NGHE_AN)[0][0]["delivery_id"] == item["delivery_id"]


def test_inbox_pages_with_a_cursor(hub: Container) -> None:
    for n in range(5):
        send(hub, GOV_OFFICE, document_bytes(GOV_OFFICE, [NGHE_AN], number=str(n + 1)))
    seen: list[int] = []
    cursor = 0
    while True:
        items, next_cursor = hub.exchange.inbox(NGHE_AN, after=cursor, limit=2)
        seen += [i["delivery_id"] for i in items]
        if next_cursor is None:
            break
        cursor = next_cursor
    assert len(seen) == 5 and seen == sorted(seen)
