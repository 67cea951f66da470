"""Agency identifiers: every published form up to 35 characters, nothing else."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import CODE_MAX_LENGTH, is_valid_code, validate_code
from lienthong.errors import ErrorCode

ALPHABET = string.ascii_letters + string.digits + ".-_"


@pytest.mark.parametrize(
    "code",
    [
        "000.00.00.G22",  # 2016 form, the Government Office
        "000.00.18.G12",  # a department under a ministry
        "001.00.10.H47",
        "H01",  # forms of Decision 20/2020 (after the 2025 reorganisation)
        "H01.151",
        "H01.151.01",
        "28.22.H17",  # as a sample package writes it
        "A" * 35,
        "x_y-z.0",
    ],
)
def test_accepts_every_published_identifier_form(code: str) -> None:
    assert validate_code(code) == code


@pytest.mark.parametrize(
    "code",
    [
        "",
        "A" * 36,
        "000.00.00 G22",
        " 000.00.00.G22",
        "000.00.00.G22\n",
        "000.00.00.Đ22",
        "000/00/00.G22",
        "H01;DROP",
    ],
)
def test_refuses_an_identifier_that_is_empty_too_long_or_has_other_characters(code: str) -> None:
    with pytest.raises(AgencyError) as caught:
        validate_code(code)
    assert caught.value.code is ErrorCode.AGENCY_CODE_INVALID


def test_the_limit_is_thirty_five_characters_as_amendment_1_of_2022_says() -> None:
    assert CODE_MAX_LENGTH == 35
    assert is_valid_code("0" * 35)
    assert not is_valid_code("0" * 36)


def test_a_value_that_is_not_text_is_not_an_identifier() -> None:
    assert not is_valid_code(None)
    assert not is_valid_code(22)


@given(st.text(alphabet=ALPHABET, min_size=1, max_size=CODE_MAX_LENGTH))
def test_any_run_of_letters_digits_dots_hyphens_and_underscores_is_accepted(code: str) -> None:
    assert is_valid_code(code)


@given(
    st.text(alphabet=ALPHABET, max_size=20),
    st.characters().filter(lambda c: c not in ALPHABET),
    st.text(alphabet=ALPHABET, max_size=14),
)
def test_any_other_character_anywhere_is_refused(before: str, bad: str, after: str) -> None:
    assert not is_valid_code(before + bad + after)
