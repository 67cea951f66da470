"""The pure rules of the federation: routing, loops, who may forward, the retry schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lienthong.errors import ErrorCode
from lienthong.federation.model import (
    Hop,
    RetryPolicy,
    Route,
    check_forward,
    check_loop,
    directory_etag,
    is_permanent,
    next_hop,
    parse_hops,
    pull_window_start,
)

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
NATIONAL, MINISTRY, PROVINCE_A, PROVINCE_B = "HUB.QG", "HUB.BKHCN", "HUB.H41", "HUB.H01"
AT_NATIONAL = Route(NATIONAL, NATIONAL)
AT_A = Route(PROVINCE_A, NATIONAL)


def hops(*codes: str) -> list[Hop]:
    return [Hop(code, NOW + timedelta(seconds=i)) for i, code in enumerate(codes)]


def test_an_agency_served_here_is_delivered_locally() -> None:
    assert next_hop(AT_A, None) is None
    assert next_hop(AT_A, PROVINCE_A) is None
    assert next_hop(AT_NATIONAL, None) is None


def test_a_provincial_hub_sends_everything_else_to_the_national_hub() -> None:
    assert next_hop(AT_A, MINISTRY) == NATIONAL
    assert next_hop(AT_A, PROVINCE_B) == NATIONAL
    assert next_hop(AT_A, NATIONAL) == NATIONAL


def test_the_national_hub_sends_to_the_hub_serving_the_recipient() -> None:
    assert next_hop(AT_NATIONAL, MINISTRY) == MINISTRY
    assert next_hop(AT_NATIONAL, PROVINCE_B) == PROVINCE_B


def test_a_package_coming_back_to_a_hub_it_passed_is_a_loop() -> None:
    problem = check_loop(AT_A, hops(PROVINCE_A, NATIONAL))
    assert problem is not None and problem.code is ErrorCode.FORWARD_LOOP
    assert check_loop(AT_A, hops(MINISTRY, NATIONAL)) is None


def test_the_national_hub_takes_a_forward_only_for_agencies_the_forwarder_serves() -> None:
    ok = check_forward(
        AT_NATIONAL, from_hub=PROVINCE_A, hops=hops(PROVINCE_A), sender_hub=PROVINCE_A
    )
    assert ok is None
    forged = check_forward(
        AT_NATIONAL, from_hub=PROVINCE_A, hops=hops(PROVINCE_A), sender_hub=MINISTRY
    )
    assert forged is not None and forged.code is ErrorCode.FORWARD_NOT_ALLOWED
    local = check_forward(AT_NATIONAL, from_hub=PROVINCE_A, hops=hops(PROVINCE_A), sender_hub=None)
    assert local is not None and local.code is ErrorCode.FORWARD_NOT_ALLOWED


def test_a_provincial_hub_takes_forwards_from_the_national_hub_only() -> None:
    path = hops(MINISTRY, NATIONAL)
    assert check_forward(AT_A, from_hub=NATIONAL, hops=path, sender_hub=MINISTRY) is None
    other = check_forward(AT_A, from_hub=PROVINCE_B, hops=hops(PROVINCE_B), sender_hub=PROVINCE_B)
    assert other is not None and other.code is ErrorCode.FORWARD_NOT_ALLOWED
    own = check_forward(AT_A, from_hub=NATIONAL, hops=path, sender_hub=None)
    assert own is not None and own.code is ErrorCode.FORWARD_NOT_ALLOWED


def test_a_sender_not_pulled_yet_is_refused_for_a_retry_not_for_good() -> None:
    """An agency added at the national hub sends before the provincial hub's next pull."""
    path = hops(NATIONAL)
    new = check_forward(AT_A, from_hub=NATIONAL, hops=path, sender_hub=None, sender_known=False)
    assert new is not None and new.code is ErrorCode.FORWARD_SENDER_UNKNOWN
    assert not is_permanent(409, str(new.code))
    own = check_forward(AT_A, from_hub=NATIONAL, hops=path, sender_hub=None)
    assert own is not None and is_permanent(403, str(own.code))
    # The national hub is the authority: a sender unknown there is refused for good.
    forged = check_forward(
        AT_NATIONAL,
        from_hub=PROVINCE_A,
        hops=hops(PROVINCE_A),
        sender_hub=None,
        sender_known=False,
    )
    assert forged is not None and forged.code is ErrorCode.FORWARD_NOT_ALLOWED


def test_the_hop_list_must_end_with_the_forwarding_hub() -> None:
    problem = check_forward(
        AT_NATIONAL, from_hub=PROVINCE_A, hops=hops(PROVINCE_B), sender_hub=PROVINCE_A
    )
    assert problem is not None and problem.code is ErrorCode.FORWARD_NOT_ALLOWED


def test_a_loop_is_reported_before_anything_else() -> None:
    problem = check_forward(AT_A, from_hub=PROVINCE_B, hops=hops(PROVINCE_A), sender_hub=None)
    assert problem is not None and problem.code is ErrorCode.FORWARD_LOOP


def test_retries_back_off_exponentially_up_to_a_cap() -> None:
    policy = RetryPolicy(first=5, factor=2, maximum=60, attempts=10)
    delays = [policy.delay(n).total_seconds() for n in range(1, 8)]
    assert delays == [5, 10, 20, 40, 60, 60, 60]


def test_the_first_retry_comes_within_thirty_seconds_by_default() -> None:
    assert RetryPolicy().delay(1) <= timedelta(seconds=30)


def test_an_item_out_of_attempts_is_dead_lettered() -> None:
    policy = RetryPolicy(first=1, attempts=3)
    assert policy.after_failure(2, NOW) == NOW + timedelta(seconds=2)
    assert policy.after_failure(3, NOW) is None


def test_a_huge_failure_count_does_not_overflow() -> None:
    assert RetryPolicy(maximum=600).delay(10_000) == timedelta(seconds=600)


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [
        (409, "DUPLICATE_DOCUMENT", True),
        (422, "RECIPIENT_UNKNOWN", True),
        (409, "FORWARD_LOOP", True),
        (403, "HUB_UNKNOWN", False),  # the directory may not have caught up yet
        (403, "HUB_SIGNATURE_INVALID", False),
        (503, "STORAGE_UNAVAILABLE", False),
        (502, None, False),
        (404, None, False),  # not our error format: a proxy in the way
        (None, None, False),  # no answer at all
    ],
)
def test_only_a_coded_refusal_is_final(
    status: int | None, code: str | None, permanent: bool
) -> None:
    assert is_permanent(status, code) is permanent


def test_hops_round_trip_through_json() -> None:
    path = hops(PROVINCE_A, NATIONAL)
    assert parse_hops([h.as_dict() for h in path]) == path


@pytest.mark.parametrize("bad", ["x", [{"at": NOW.isoformat()}], [{"hub": "A", "at": "never"}]])
def test_a_malformed_hop_list_is_refused(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_hops(bad)


def test_the_etag_changes_with_the_directory() -> None:
    assert directory_etag((3, NOW)) == directory_etag((3, NOW))
    assert directory_etag((3, NOW)) != directory_etag((4, NOW))


def test_a_pull_rereads_a_window_before_its_cursor() -> None:
    assert pull_window_start(None) is None
    start = pull_window_start(NOW)
    assert start is not None and start < NOW
