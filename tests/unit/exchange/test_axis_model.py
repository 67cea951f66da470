"""The axis protocol's vocabulary: acknowledgement words, message types, date bounds, pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lienthong.errors import ErrorCode
from lienthong.exchange.axis_model import (
    ack_of,
    date_bound,
    format_time,
    message_kind,
    page_of,
    status_description,
    transport_word,
)
from lienthong.exchange.errors import ExchangeError
from lienthong.exchange.model import MessageKind, TransportState


@pytest.mark.parametrize(
    ("word", "result"),
    [
        ("done", TransportState.DONE),
        ("DONE", TransportState.DONE),
        ("inbox", TransportState.DONE),
        ("processing", TransportState.DONE),
        ("acceptance", TransportState.DONE),
        ("assignment", TransportState.DONE),
        ("fail", TransportState.FAILED),
        ("rejection", TransportState.FAILED),
        ("cancellation", TransportState.FAILED),
    ],
)
def test_reads_every_acknowledgement_word_seen_in_the_wild(
    word: str, result: TransportState
) -> None:
    assert ack_of(word, "lý do").result is result


def test_a_rejection_without_reason_gives_its_word_as_the_reason() -> None:
    assert ack_of("rejection", None).reason == "rejection (updateStatus)"
    assert ack_of("rejection", "  ").reason == "rejection (updateStatus)"
    assert ack_of("fail", None).reason is None  # the hub then asks for one


@pytest.mark.parametrize("word", [None, "", "lost", "06"])
def test_refuses_an_unknown_acknowledgement_word(word: str | None) -> None:
    with pytest.raises(ExchangeError) as exc:
        ack_of(word, None)
    assert exc.value.code is ErrorCode.REQUEST_INVALID


def test_reads_message_types_in_any_case_and_refuses_others() -> None:
    assert message_kind("EDOC") is MessageKind.EDOC
    assert message_kind(" status ") is MessageKind.STATUS
    assert message_kind(None, MessageKind.EDOC) is MessageKind.EDOC
    for bad in ("fax", None):
        with pytest.raises(ExchangeError):
            message_kind(bad)


@pytest.mark.parametrize("text", ["20/11/2026", "2026-11-20", "2026/11/20", "20112026", "20261120"])
def test_a_date_alone_is_a_whole_vietnamese_day(text: str) -> None:
    assert date_bound(text, end=False) == datetime(2026, 11, 19, 17, 0, tzinfo=UTC)
    assert date_bound(text, end=True) == datetime(2026, 11, 20, 16, 59, 59, 999999, tzinfo=UTC)


def test_a_timestamp_bound_is_read_as_a_timestamp() -> None:
    assert date_bound("20112026T090000+0000", end=True) == datetime(2026, 11, 20, 2, tzinfo=UTC)
    assert date_bound(None, end=False) is None
    with pytest.raises(ExchangeError):
        date_bound("next week", end=False)


def test_pages_count_from_one_and_are_capped() -> None:
    assert page_of(None, None, largest=500) == page_of("500", "1", largest=500)
    assert (page_of("10", "3", largest=500).limit, page_of("10", "3", largest=500).offset) == (
        10,
        20,
    )
    assert page_of("10", "0", largest=500).offset == 0
    assert page_of("9999", "2", largest=500).offset == 500
    for size, index in (("x", "1"), ("0", "1"), ("10", "-1")):
        with pytest.raises(ExchangeError):
            page_of(size, index, largest=500)


def test_shows_states_and_statuses_in_vietnamese() -> None:
    assert transport_word("failed") == ("fail", "Đơn vị nhận báo không nhận được")
    assert status_description("03") == "Đã tiếp nhận"
    assert status_description(None) == ""
    assert format_time(datetime(2026, 11, 20, 2, tzinfo=UTC)) == "2026-11-20T09:00:00+07:00"
