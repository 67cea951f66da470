from datetime import timedelta

import pytest

from lienthong.accounts.model import (
    NewUser,
    Role,
    ScryptParams,
    Throttle,
    hash_password,
    needs_rehash,
    parse_roles,
    token_hash,
    user_problems,
    verify_password,
)

FAST = ScryptParams(n=2**10)


def test_a_password_verifies_against_its_scrypt_hash() -> None:
    stored = hash_password("mật khẩu dài đủ", FAST)
    assert stored.startswith("scrypt$1024$8$1$")
    assert verify_password("mật khẩu dài đủ", stored)
    assert not verify_password("mật khẩu khác", stored)


def test_two_hashes_of_one_password_differ_by_their_salt() -> None:
    assert hash_password("correct horse", FAST) != hash_password("correct horse", FAST)


def test_a_malformed_stored_hash_never_verifies() -> None:
    assert not verify_password("x", "bcrypt$whatever")
    assert not verify_password("x", "scrypt$a$b$c$d$e")


def test_a_hash_with_old_parameters_needs_rehashing() -> None:
    assert needs_rehash(hash_password("abcdefghijk", FAST))
    assert not needs_rehash(hash_password("abcdefghijk", FAST), FAST)


def test_the_session_table_stores_a_hash_not_the_token() -> None:
    assert len(token_hash("abc")) == 64 and token_hash("abc") != "abc"


def test_throttling_refuses_after_five_failures_for_one_user() -> None:
    throttle = Throttle(window=timedelta(minutes=15))
    assert not throttle.refuses(4, 4)
    assert throttle.refuses(5, 0)
    assert throttle.refuses(0, 30)


def test_a_user_needs_a_valid_name_a_role_and_a_long_password() -> None:
    ok = NewUser("vanthu.nghean", "Văn thư", "000.00.00.H41", frozenset({Role.CLERK}))
    assert user_problems(ok, "0123456789") == []
    bad = NewUser("Vă n", "", "000.00.00.H41", frozenset())
    assert len(user_problems(bad, "short")) == 4


def test_roles_parse_from_values_or_names() -> None:
    assert parse_roles("clerk,LEADER") == {Role.CLERK, Role.LEADER}
    with pytest.raises(ValueError):
        parse_roles("king")
