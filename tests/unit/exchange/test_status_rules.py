"""The status transition table and the duplicate keys, without a database."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.edxml.model import StatusCode
from lienthong.errors import ERROR_TABLE, ErrorCode
from lienthong.exchange.model import (
    PendingRequest,
    RecipientView,
    Refusal,
    StatusOutcome,
    TransportState,
    apply_status,
    may_receive_request,
    normalise_notation,
    normalise_number,
    transport_ack_allowed,
)

CHAIN = ["01", "03", "04", "05", "06"]


def outcome(view: RecipientView, code: str, reason: str | None = "lý do") -> StatusOutcome:
    result = apply_status(view, StatusCode(code), reason)
    assert isinstance(result, StatusOutcome), result
    return result


def refusal(view: RecipientView, code: str, reason: str | None = "lý do") -> ErrorCode:
    result = apply_status(view, StatusCode(code), reason)
    assert isinstance(result, Refusal), result
    return result.code


def test_a_recipient_may_skip_forward() -> None:
    assert outcome(RecipientView(status=None), "06").status == StatusCode.COMPLETED
    assert outcome(RecipientView(status=StatusCode.ARRIVED), "05").status == StatusCode.PROCESSING


@given(st.sampled_from(CHAIN), st.sampled_from(CHAIN))
def test_a_recipient_never_goes_back(current: str, new: str) -> None:
    view = RecipientView(status=StatusCode(current))
    result = apply_status(view, StatusCode(new), None)
    if CHAIN.index(new) < CHAIN.index(current) or current == "06":
        assert isinstance(result, Refusal)
    elif CHAIN.index(new) > CHAIN.index(current):
        assert isinstance(result, StatusOutcome)


def test_04_and_05_may_repeat_but_03_may_not() -> None:
    assert outcome(RecipientView(status=StatusCode.ASSIGNED), "04").status == "04"
    assert outcome(RecipientView(status=StatusCode.PROCESSING), "05").status == "05"
    assert refusal(RecipientView(status=StatusCode.ACCEPTED), "03") == ErrorCode.STATUS_NOT_ALLOWED


@pytest.mark.parametrize("final", ["02", "06"])
@pytest.mark.parametrize("new", ["01", "02", "03", "04", "05", "06"])
def test_nothing_follows_returned_or_completed(final: str, new: str) -> None:
    assert refusal(RecipientView(status=StatusCode(final)), new) == ErrorCode.STATUS_NOT_ALLOWED


def test_returning_needs_a_reason_and_comes_before_acceptance() -> None:
    assert (
        refusal(RecipientView(status=None), "02", reason="  ") == ErrorCode.STATUS_REASON_REQUIRED
    )
    assert outcome(RecipientView(status=StatusCode.ARRIVED), "02").status == "02"
    assert refusal(RecipientView(status=StatusCode.ACCEPTED), "02") == ErrorCode.STATUS_NOT_ALLOWED


def test_15_and_16_only_answer_a_waiting_request() -> None:
    assert refusal(RecipientView(status=StatusCode.ACCEPTED), "15") == ErrorCode.STATUS_NOT_ALLOWED
    agreed = outcome(RecipientView(status=StatusCode.ACCEPTED, pending=PendingRequest.RECALL), "15")
    assert agreed.recalled and agreed.pending is None and agreed.status == "03"
    refused = outcome(RecipientView(status=None, pending=PendingRequest.RECALL), "16")
    assert not refused.recalled and refused.answered is PendingRequest.RECALL
    update = outcome(RecipientView(status=None, pending=PendingRequest.UPDATE), "15")
    assert not update.recalled and update.answered is PendingRequest.UPDATE


def test_a_recipient_never_sends_13_and_a_recalled_copy_takes_nothing() -> None:
    assert refusal(RecipientView(status=None), "13") == ErrorCode.STATUS_NOT_ALLOWED
    assert refusal(RecipientView(status=None, recalled=True), "03") == ErrorCode.DOCUMENT_RECALLED


def test_returned_copies_get_no_recall_request() -> None:
    assert not may_receive_request(RecipientView(status=StatusCode.RETURNED))
    assert may_receive_request(RecipientView(status=StatusCode.COMPLETED))


def test_numbers_and_notations_compare_as_the_same_document() -> None:
    assert normalise_number("01") == normalise_number("1") == "1"
    assert normalise_notation("vpcp - ttđt") == normalise_notation("VPCP-TTĐT")
    # The NFD spelling (as some keyboards write it) is the same notation.
    assert normalise_notation(unicodedata.normalize("NFD", "SYT-VPỦ")) == "SYT-VPỦ"


def test_a_done_acknowledgement_is_never_turned_into_a_failure() -> None:
    assert transport_ack_allowed(TransportState.PENDING, TransportState.FAILED)
    assert transport_ack_allowed(TransportState.DONE, TransportState.DONE)
    assert not transport_ack_allowed(TransportState.DONE, TransportState.FAILED)
    assert transport_ack_allowed(TransportState.FAILED, TransportState.DONE)


def test_every_error_code_has_an_http_status_and_a_sentence() -> None:
    assert set(ERROR_TABLE) == set(ErrorCode)
    for status, sentence in ERROR_TABLE.values():
        assert 400 <= status < 600 and sentence.endswith(".")
