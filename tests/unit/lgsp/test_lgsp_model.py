"""The LGSP style's pure rules: numeric codes, transport words, credential and token life,
scope, and the province of a unit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lienthong.errors import ErrorCode, LienthongError
from lienthong.exchange.model import TransportState
from lienthong.lgsp.model import (
    ConsumerState,
    PlatformCode,
    UnitFields,
    ack_for,
    consumer_state,
    in_scope,
    platform_code,
    province_units,
    token_usable,
    transport_word,
)

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("code", "number"),
    [
        (ErrorCode.PACKAGE_MALFORMED, 10),
        (ErrorCode.AUTH_FAILED, 15),
        (ErrorCode.TOKEN_INVALID, 15),
        (ErrorCode.RECIPIENT_UNKNOWN, 18),
        (ErrorCode.SENDER_MISMATCH, 19),
        (ErrorCode.INTERNAL, 20),
        (ErrorCode.DUPLICATE_DOCUMENT, 21),
        (ErrorCode.SIGNATURE_MISSING, 22),
        (ErrorCode.RECIPIENT_NOT_VALID, 23),
    ],
)
def test_each_refusal_has_the_platforms_number(code: ErrorCode, number: int) -> None:
    assert platform_code(code) == number


def test_every_code_of_the_closed_list_maps_to_a_platform_number() -> None:
    assert {platform_code(code) for code in ErrorCode} <= set(PlatformCode) - {PlatformCode.SUCCESS}


@pytest.mark.parametrize(
    ("word", "ack"),
    [
        ("INITIAL", None),
        ("processing", TransportState.DONE),
        ("DONE", TransportState.DONE),
        (" Fail ", TransportState.FAILED),
    ],
)
def test_the_four_status_words_are_transport_acknowledgements(
    word: str, ack: TransportState | None
) -> None:
    assert ack_for(word)[1] is ack


@pytest.mark.parametrize("word", ["", None, "READ", "done!"])
def test_another_status_word_is_refused(word: str | None) -> None:
    with pytest.raises(LienthongError) as exc:
        ack_for(word)
    assert exc.value.code is ErrorCode.REQUEST_INVALID


def test_transport_states_read_in_the_platforms_words() -> None:
    assert transport_word("pending") == ("INITIAL", "Khởi tạo")
    assert transport_word("done") == ("DONE", "Hoàn thành")
    assert transport_word("failed") == ("FAIL", "Thất bại")


def test_a_consumer_is_active_until_revoked_or_expired() -> None:
    assert consumer_state(revoked_at=None, expires_at=None, now=NOW) is ConsumerState.ACTIVE
    later = NOW + timedelta(seconds=1)
    assert consumer_state(revoked_at=None, expires_at=later, now=NOW) is ConsumerState.ACTIVE
    assert consumer_state(revoked_at=None, expires_at=NOW, now=NOW) is ConsumerState.EXPIRED
    assert consumer_state(revoked_at=NOW, expires_at=later, now=NOW) is ConsumerState.REVOKED


def test_a_token_works_until_its_expiry_for_its_generation_only() -> None:
    def usable(expires: datetime, generation: int, state: ConsumerState) -> bool:
        return token_usable(
            token_expires_at=expires,
            token_generation=generation,
            consumer_generation=2,
            state=state,
            now=NOW,
        )

    later = NOW + timedelta(seconds=1)
    assert usable(later, 2, ConsumerState.ACTIVE)
    assert not usable(NOW, 2, ConsumerState.ACTIVE)
    assert not usable(later, 1, ConsumerState.ACTIVE)  # issued before a rotation
    assert not usable(later, 2, ConsumerState.REVOKED)
    assert not usable(later, 2, ConsumerState.EXPIRED)


def test_a_system_serves_its_own_unit_and_those_below_it() -> None:
    chain = ["000.01.10.H41", "000.00.10.H41", "000.00.00.H41"]
    assert in_scope("000.00.00.H41", chain)
    assert in_scope("000.01.10.H41", chain)
    assert not in_scope("000.00.00.H14", chain)
    assert not in_scope("000.01.10.H41", chain[1:])


def test_the_province_of_a_unit_is_its_top_level_agencys_tree() -> None:
    parents = {
        "H41": None,
        "H41.a": "H41",
        "H41.a.1": "H41.a",
        "H14": None,
        "H14.a": "H14",
    }
    assert province_units("H41.a.1", parents) == ["H41", "H41.a", "H41.a.1"]
    assert province_units("H14", parents) == ["H14", "H14.a"]
    assert province_units("H99", parents) == []


def test_a_unit_to_register_needs_its_code_and_parent() -> None:
    fields = UnitFields.read({"code": " 001.00.10.H47 ", "pcode": "001.00.00.H47", "email": ""})
    assert (fields.code, fields.pcode, fields.name, fields.email) == (
        "001.00.10.H47",
        "001.00.00.H47",
        "",
        None,
    )
    with pytest.raises(LienthongError) as exc:
        UnitFields.read({"code": "001.00.10.H47"})
    assert exc.value.code is ErrorCode.REQUEST_INVALID
    assert exc.value.detail == {"missing": ["pcode"]}
