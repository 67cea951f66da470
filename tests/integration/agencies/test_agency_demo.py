"""The demo registry: complete enough to exercise every rule, and safe to seed twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from lienthong.agencies.demo import DEMO_AGENCIES, seed_demo
from lienthong.agencies.errors import AgencyError
from lienthong.agencies.model import Level, NewAgency
from lienthong.agencies.service import AgencyService
from lienthong.agencies.store import check_recipients
from lienthong.db import Database
from lienthong.errors import ErrorCode

SAMPLE_AGENCIES = {"000.00.00.G22", "000.00.00.H41", "000.00.00.H14", "000.00.00.G17",
                   "000.00.00.A80", "28.22.H17"}  # fmt: skip


def test_seeds_the_demo_registry_with_credentials_for_every_agency(
    service: AgencyService,
) -> None:
    credentials = seed_demo(service)
    assert 30 <= len(credentials) <= 40
    assert [c["code"] for c in credentials] == [a.code for a in DEMO_AGENCIES]
    assert len(service.list_all()) == len(DEMO_AGENCIES)
    for item in credentials:
        assert set(item) == {"code", "name", "system_id", "secret"}
        assert service.authenticate(item["system_id"], item["secret"]) == item["code"]


def test_seeding_twice_changes_nothing_and_returns_the_same_secrets(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    first = seed_demo(service)
    before = snapshot()
    assert seed_demo(service) == first
    assert snapshot() == before


def test_a_second_run_issues_the_credentials_an_interrupted_first_run_missed(
    service: AgencyService,
) -> None:
    service.register_all(DEMO_AGENCIES)
    _, kept = service.issue_credentials("000.00.00.G22")
    credentials = {c["code"]: c["secret"] for c in seed_demo(service)}
    assert credentials["000.00.00.G22"] == kept
    assert len(credentials) == len(DEMO_AGENCIES)


def test_leaves_a_registry_that_is_not_the_demo_alone(
    service: AgencyService, snapshot: Callable[[], Any]
) -> None:
    service.register(NewAgency(code="000.00.00.H79", name="UBND TP Hồ Chí Minh", level=Level.ONE))
    before = snapshot()
    assert seed_demo(service) == []
    assert snapshot() == before


def test_covers_four_levels_the_two_tier_province_and_the_sample_agencies(
    service: AgencyService,
) -> None:
    seed_demo(service)
    agencies = {a.code: a for a in service.list_all()}
    assert {a.level for a in agencies.values()} == {1, 2, 3, 4}
    assert set(agencies) >= SAMPLE_AGENCIES
    assert agencies["000.00.00.G22"].name == "Văn phòng Chính phủ"
    assert agencies["000.00.18.G12"].parent_code == "000.00.00.G12"
    communes = [a for a in agencies.values() if a.parent_code == "H01" and "UBND" in a.name]
    assert communes and all(a.level is Level.TWO for a in communes)
    assert any(a.level is Level.FOUR for a in agencies.values())


def test_the_demo_has_a_merged_agency_that_the_exchange_refuses(
    service: AgencyService, db: Database
) -> None:
    seed_demo(service)
    merged = [a for a in DEMO_AGENCIES if a.successor_code and a.valid_to == date(2025, 6, 30)]
    assert merged
    with pytest.raises(AgencyError) as caught, db.read() as session:
        check_recipients(session, [merged[0].code], date(2026, 11, 20))
    assert caught.value.code is ErrorCode.RECIPIENT_MERGED
    assert caught.value.detail["successor"] == merged[0].successor_code
    with db.read() as session:
        check_recipients(session, sorted(SAMPLE_AGENCIES), date(2026, 11, 20))
