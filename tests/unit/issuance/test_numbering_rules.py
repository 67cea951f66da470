"""Decree 30/2020/NĐ-CP Art. 25: annual numbering from 01, Vietnam's calendar year."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lienthong.issuance.model import (
    NumberingRuleError,
    attachment_stamp_lines,
    check_notation,
    fold_to_ascii,
    format_number,
    issuance_date,
    next_number,
    register_key,
)


def test_numbers_are_written_with_at_least_two_digits() -> None:
    assert [format_number(n) for n in (1, 9, 10, 99, 100, 1234)] == [
        "01",
        "09",
        "10",
        "99",
        "100",
        "1234",
    ]


def test_an_empty_register_gives_01_first() -> None:
    assert format_number(next_number(0)) == "01"
    assert next_number(41) == 42


def test_refuses_number_zero_and_a_negative_register() -> None:
    with pytest.raises(NumberingRuleError):
        format_number(0)
    with pytest.raises(NumberingRuleError):
        next_number(-1)


def test_the_year_turns_at_midnight_in_ha_noi_not_in_utc() -> None:
    eve = datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)  # 23:59:59 in Hà Nội
    new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)  # 00:00 on 1 January in Hà Nội
    assert register_key("000.00.00.G22", eve).year == 2026
    assert register_key("000.00.00.G22", new_year).year == 2027
    assert issuance_date(new_year).isoformat() == "2027-01-01"


def test_secret_documents_have_their_own_register() -> None:
    now = datetime(2026, 5, 1, tzinfo=UTC)
    assert register_key("H41", now) != register_key("H41", now, secret=True)
    assert register_key("H41", now, "QĐ") != register_key("H41", now)


def test_refuses_a_naive_instant() -> None:
    with pytest.raises(NumberingRuleError):
        register_key("000.00.00.G22", datetime(2026, 1, 1))


@pytest.mark.parametrize("bad", ["", " ", "A" * 31, "UBND VP", "UBND/VP"])
def test_refuses_a_malformed_notation(bad: str) -> None:
    with pytest.raises(NumberingRuleError):
        check_notation(bad)


def test_attachment_stamp_prints_number_notation_and_iso_8601_vietnam_time() -> None:
    lines = attachment_stamp_lines(5, "QĐ-UBND", datetime(2026, 11, 20, 2, 0, tzinfo=UTC))
    assert lines == ("05/QĐ-UBND", "2026-11-20T09:00:00+07:00")


def test_folding_keeps_the_letters_of_vietnamese_text() -> None:
    assert fold_to_ascii("QĐ-UBND Hà Nội ưu tiên") == "QD-UBND Ha Noi uu tien"
